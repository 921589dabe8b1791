"""cmokit template: blank forms with the schemas' headers and a guide to the codes; never overwrites."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.package.submission import extraction_resources


def test_template_writes_headers_and_guide(review_copy, monkeypatch):
    monkeypatch.chdir(review_copy)
    result = CliRunner().invoke(main, ["template", "--reviewer", "alice"])
    assert result.exit_code == 0, result.output
    review = Review.open(review_copy)
    folder = review_copy / "extract" / "reviewers" / "alice"
    names = sorted(p.name for p in folder.iterdir())
    tables = extraction_resources(review)
    assert names == sorted([f"{r.name}.csv" for r in tables] + ["CODES.md"])
    assert "decisions.csv" not in names
    for r in tables:
        raw = (folder / f"{r.name}.csv").read_bytes()
        assert raw == (",".join(r.field_names) + "\n").encode()
        with open(folder / f"{r.name}.csv", newline="") as fh:
            assert list(csv.reader(fh)) == [r.field_names]
    guide = (folder / "CODES.md").read_text()
    assert "`cant_tell` Can't tell" in guide
    assert "**`support_types`** (several: separate with `; `)" in guide
    assert "`NR`: Not reported" in guide


def test_template_refuses_to_overwrite_and_writes_nothing(review_copy, folder_state):
    folder = review_copy / "extract" / "reviewers" / "bob"
    folder.mkdir(parents=True)
    (folder / "cmo.csv").write_text("my work\n")
    before = folder_state(review_copy)
    result = CliRunner().invoke(main, ["template", "--reviewer", "bob", "-C", str(review_copy)])
    assert result.exit_code == 2
    assert "already holds cmo.csv; nothing was written" in result.output
    assert folder_state(review_copy) == before


def test_template_rejects_bad_reviewer_id(review_copy, folder_state):
    before = folder_state(review_copy)
    result = CliRunner().invoke(main, ["template", "--reviewer", "../x", "-C", str(review_copy)])
    assert result.exit_code == 2
    assert "'../x' is not a valid reviewer id" in result.output
    assert folder_state(review_copy) == before
