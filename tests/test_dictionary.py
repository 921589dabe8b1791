"""docs/data-dictionary.md is generated, never hand-edited, and never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.presentation.dictionary import render

ROOT = Path(__file__).resolve().parents[1]


def test_committed_data_dictionary_is_up_to_date():
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == render(Review.open(ROOT)), "run `cmokit dictionary` and commit docs/data-dictionary.md"


def test_dictionary_lists_every_field_and_code():
    review = Review.open(ROOT)
    text = render(review)
    for r in review.resources:
        assert f"## {r.name}" in text
        for f in r.fields:
            assert f"| `{f.name}` |" in text
            for code in f.codes() or ():
                assert f"| `{code}` |" in text


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "review"
    dst.mkdir()
    shutil.copy(ROOT / "datapackage.json", dst / "datapackage.json")
    for folder in ("schema", "extract", "docs"):
        shutil.copytree(ROOT / folder, dst / folder)
    return dst


def test_check_flags_a_stale_dictionary_and_regeneration_fixes_it(tmp_path: Path):
    review = _copy(tmp_path)
    schema = review / "schema" / "measures.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace("What was measured.", "What was measured (edited)."),
                      encoding="utf-8")
    runner = CliRunner()
    stale = runner.invoke(main, ["dictionary", "-C", str(review), "--check"])
    assert stale.exit_code == 1 and "out of date" in stale.output
    assert runner.invoke(main, ["dictionary", "-C", str(review)]).exit_code == 0
    assert "What was measured (edited)." in (review / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert runner.invoke(main, ["dictionary", "-C", str(review), "--check"]).exit_code == 0


def test_missing_descriptor_is_a_clear_usage_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["dictionary", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert "datapackage.json: not found" in result.output and "Traceback" not in result.output
