"""One reader for every command: a broken submission file gets the same rule, line and field from ``validate
--reviewer``, ``compare`` and ``reconcile`` (the broken-corpus cases that apply to a reviewer's file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_broken_corpus import CASES

from cmokit.cli import main
from cmokit.extraction.compare import SubmissionInvalid, compare
from cmokit.package.model import Review
from cmokit.validation.render import one_line

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("studies", "cmo", "measures", "resource_inputs", "appraisal")
CONSENSUS = Path("extract") / "consensus"
# the reader's structure rules and the primary key: what stops compare and reconcile
STOPS = ("file.", "header.", "row.", "key.primary")
SUBMISSION_CASES = [
    "empty_file", "latin1_file_from_excel", "nul_byte", "semicolon_csv_from_european_excel", "tab_separated_file",
    "missing_column", "extra_column", "duplicate_column", "blank_column_name", "misnamed_column", "ragged_row",
    "duplicate_primary_key", "two_appraisals_by_the_same_reviewer", "utf16_file_from_excel_unicode_text",
    "quote_never_closed", "missing_required_column",
]


def _submissions(root: Path) -> None:
    """ann's submission: the mutated consensus tables; bob's: the bundled ones; the consensus itself restored."""
    for who, source in (("ann", root / CONSENSUS), ("bob", ROOT / CONSENSUS)):
        folder = root / "extract" / "reviewers" / who
        folder.mkdir(parents=True)
        for t in TABLES:
            shutil.copy2(source / f"{t}.csv", folder / f"{t}.csv")
    for t in TABLES:
        shutil.copy2(ROOT / CONSENSUS / f"{t}.csv", root / CONSENSUS / f"{t}.csv")


def _key(p: dict) -> tuple:
    return (p["path"], p["line"], p["field"], p["rule"], p["message"])


@pytest.mark.parametrize("name", SUBMISSION_CASES)
def test_validate_compare_and_reconcile_agree(name: str, review_copy: Path, folder_state) -> None:
    mutate, _ = CASES[name]
    expected = mutate(review_copy)
    assert all(e.rule.startswith(STOPS) for e in expected), f"{name} is not a case of the reader or the key check"
    _submissions(review_copy)
    runner = CliRunner()

    res = runner.invoke(main, ["validate", "-C", str(review_copy), "--reviewer", "ann", "-f", "json"])
    found = [p for p in json.loads(res.stdout)["errors"]
             if p["severity"] == "error" and p["rule"].startswith(STOPS) and "/ann/" in p["path"]]
    assert found and {p["rule"] for p in found} == {e.rule for e in expected}, found

    with pytest.raises(SubmissionInvalid) as info:
        compare(Review.open(review_copy), ["ann", "bob"])
    got = [p.to_dict() for p in info.value.problems]
    assert sorted(map(_key, got)) == sorted(map(_key, found))

    res = runner.invoke(main, ["compare", "ann", "bob", "-C", str(review_copy)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    for p in info.value.problems:
        assert one_line(p) in res.stderr

    conflicts = review_copy / "conflicts.csv"
    conflicts.write_text("# cmokit-conflicts a=ann:sha256:" + "0" * 64 + " b=bob:sha256:" + "0" * 64 + "\n"
                         "table,key,field,value_a,value_b,decision,value,decided_by,reason\n", encoding="utf-8")
    before = folder_state(review_copy)
    res = runner.invoke(main, ["reconcile", "ann", "bob", "--decisions", str(conflicts), "-C", str(review_copy)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    for p in info.value.problems:
        assert one_line(p) in res.stderr
    assert folder_state(review_copy) == before
