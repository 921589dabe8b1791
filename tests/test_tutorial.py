"""docs/tutorial.md is executed, block by block, in a temporary folder: so it cannot go stale.

The tutorial's fenced blocks, in order:

- ```` ```bash ````: every line is run: ``cmokit ...`` through click's runner (it must exit 0), ``cd DIR`` changes the
  folder; any other command fails the test (so the tutorial shows nothing the test does not run);
- ```` ```csv PATH ````: the file PATH is written with the block's text; a conflicts file that ``cmokit compare``
  wrote keeps its first line (the submissions' hashes), and its rows must be the ones compare wrote;
- ```` ```text ````: every line must appear in the output of the last command run;
- ```` ```sh ```` (installation): shown, not run.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from cmokit.cli import main

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str, str]]:
    """(kind, argument, body) of every fenced block."""
    out = []
    for m in BLOCK.finditer(text):
        kind, _, arg = m.group("info").strip().partition(" ")
        out.append((kind, arg.strip(), m.group("body")))
    return out


def _conflict_rows(text: str) -> list[list[str]]:
    lines = text.split("\n", 1)[1] if text.startswith("#") else text
    return [r[:5] for r in csv.reader(io.StringIO(lines))]


def test_the_tutorial_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    runner = CliRunner()
    here = tmp_path
    last = ""
    ran: list[str] = []
    for kind, arg, body in blocks(TUTORIAL.read_text(encoding="utf-8")):
        if kind == "bash":
            for line in body.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                words = shlex.split(line)
                if words[0] == "cd":
                    here = (here / words[1]).resolve()
                    monkeypatch.chdir(here)
                    continue
                assert words[0] == "cmokit", f"the tutorial runs something the test cannot: {line}"
                result = runner.invoke(main, words[1:], catch_exceptions=False)
                last = result.output
                assert result.exit_code == 0, f"{line}\n{result.output}"
                ran.append(words[1])
        elif kind == "csv":
            assert arg, "a csv block names the file it writes"
            target = here / arg
            if target.exists() and target.read_text(encoding="utf-8").startswith("# cmokit-conflicts"):
                written = target.read_text(encoding="utf-8")
                assert _conflict_rows(body) == _conflict_rows(written), "the tutorial's conflicts are not compare's"
                body = written.split("\n", 1)[0] + "\n" + body
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif kind == "text":
            for line in body.splitlines():
                assert line.strip() in last, f"not in the output of the last command: {line}\n{last}"
        else:
            assert kind == "sh", f"unknown block kind {kind!r}"
    assert ran[0] == "init" and {"template", "compare", "reconcile", "build", "query", "plot"} <= set(ran)
    review = tmp_path / "social-support-review"
    svg = (review / "theories.svg").read_text(encoding="utf-8")
    assert svg.count('class="cell"') == 3 and 'data-judgements="refutes"' in svg
    log = list(csv.DictReader(open(review / "extract/consensus/decisions.csv", encoding="utf-8", newline="")))
    files = [r["key"] for r in log if r["field"] == "(file)"]
    assert "cmo.csv" in files and "studies.csv" in files and "decisions.csv" not in files
    assert [(r["key"], r["field"], r["decision"], r["decided_by"]) for r in log if r["field"] != "(file)"] == [
        ("lachman-2017 / cmo_number a=1 b=1", "stance", "a", "carol"),
        ("letourneau-2011 / cmo_number a=1 b=1", "context", "a", "carol")]


def test_the_readme_quickstart_stays_two_lines_and_the_tour_starts_a_review():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    (code,) = [b for kind, _, b in blocks(quickstart) if kind == "bash"]
    assert len(code.strip().splitlines()) == 2
    tour = readme.split("## The workflow", 1)[1].split("\n## ", 1)[0]
    assert tour.index("cmokit init") < tour.index("cmokit template") and "docs/tutorial.md" in tour
