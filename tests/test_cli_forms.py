"""One way to call every command: the review is found from any folder below its root, ``-C``/``--review``/``-r``
name it on every command (and before it), and the old positional PATH / --package / --out forms still work."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmokit.cli import COMMANDS, main

TABLES = ("studies", "cmo", "measures", "resource_inputs", "appraisal")


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    """A copy of the bundled review with two identical submissions, alice and bob."""
    from conftest import copy_review

    root = copy_review(tmp_path_factory.mktemp("forms") / "review")
    for who in ("alice", "bob"):
        folder = root / "extract" / "reviewers" / who
        folder.mkdir(parents=True)
        for t in TABLES:
            shutil.copy2(root / "extract" / "consensus" / f"{t}.csv", folder / f"{t}.csv")
    return root


def calls(out: Path) -> list[tuple[str, list[str]]]:
    """One call of every command, writing only into ``out`` (outside the review), except add-field and add-code,
    which change the review: a new field (every row NA, so the review stays valid) and a new code, named after
    ``out`` so that every run adds its own."""
    unique = "x_" + re.sub(r"[^a-z0-9_]", "_", out.name.lower())
    return [
        ("init", ["init", str(out / "new-review"), "--title", "A new review"]),
        ("add-field", ["add-field", "studies", unique, "--type", "string", "--fill", "NA"]),
        ("add-code", ["add-code", "studies", "evidence_type", unique, "--label", "New", "--definition", "A test."]),
        ("template", ["template", "--reviewer", "carol", "--folder", str(out / "carol")]),
        ("validate", ["validate"]),
        ("validate", ["validate", "--reviewer", "alice"]),
        ("compare", ["compare", "alice", "bob", "--conflicts", str(out / "conflicts.csv")]),
        ("reconcile", ["reconcile", "alice", "bob", "--decisions", str(out / "conflicts.csv"), "-o",
                       str(out / "consensus")]),
        ("build", ["build", "--db", str(out / "review.duckdb")]),
        ("query", ["query", "SELECT count(*) AS n FROM studies", "--db", str(out / "review.duckdb"), "-f", "csv"]),
        ("tables", ["tables", "-b", "children", "-f", "csv", "--db", str(out / "review.duckdb")]),
        ("export", ["export", "-o", str(out / "export"), "-f", "csv", "--db", str(out / "review.duckdb")]),
        ("plot", ["plot", "evidence-map", "-o", str(out / "map.svg"), "--db", str(out / "review.duckdb")]),
        ("report", ["report", "-o", str(out / "report.html"), "--db", str(out / "review.duckdb")]),
        ("dictionary", ["dictionary", "-o", str(out / "data-dictionary.md")]),
    ]


def test_the_calls_cover_every_command(tmp_path):
    assert {name for name, _ in calls(tmp_path)} == set(COMMANDS)


def _run_all(args_of, out: Path) -> None:
    runner = CliRunner()
    for name, args in calls(out):
        result = runner.invoke(main, args_of(args))
        assert result.exit_code == 0, (name, args_of(args), result.output[-2000:])
        assert "Traceback" not in result.output
        if name == "query":
            assert result.stdout == "n\n33\n"


def test_every_command_works_from_a_reviewers_folder(review, tmp_path, monkeypatch):
    monkeypatch.chdir(review / "extract" / "reviewers" / "alice")
    _run_all(lambda args: args, tmp_path)
    assert (tmp_path / "carol" / "studies.csv").exists()  # --folder is relative to where the user is
    res = CliRunner().invoke(main, ["validate", "--reviewer", ".", "-f", "json"])  # "my own submission"
    assert res.exit_code == 0 and '"submission": "extract/reviewers/alice"' in res.stdout


@pytest.mark.parametrize("spelling", ["-C", "--review", "-r"])
def test_every_command_takes_the_review_option(review, tmp_path, monkeypatch, spelling):
    monkeypatch.chdir(tmp_path)  # not a review: without the option every command would fail
    _run_all(lambda args: [args[0], spelling, str(review), *args[1:]], tmp_path)


def test_the_review_option_before_the_command(review, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _run_all(lambda args: ["-C", str(review), *args], tmp_path)


def test_outside_any_review_the_error_says_how_to_name_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["build"])
    assert res.exit_code == 2
    assert "not found, nor in any folder above" in res.stderr and "-C DIR" in res.stderr


def test_dash_r_is_the_review_and_says_so_when_meant_as_reviewer(review, monkeypatch):
    monkeypatch.chdir(review)
    res = CliRunner().invoke(main, ["validate", "-r", "alice"])
    assert res.exit_code == 2
    assert "for a reviewer's submission write --reviewer alice" in res.stderr


def test_naming_the_review_twice_differently_is_a_usage_error(review, tmp_path):
    res = CliRunner().invoke(main, ["validate", str(tmp_path), "-C", str(review)])
    assert res.exit_code == 2 and "the review is named twice" in res.stderr


@pytest.mark.parametrize("args", [
    ["validate", "{review}"],
    ["build", "{review}", "--db", "{out}/old.duckdb"],
    ["dictionary", "{review}", "-o", "{out}/dd.md"],
    ["plot", "evidence-map", "{review}", "-o", "{out}/old.svg", "--db", "{out}/old.duckdb"],
    ["template", "--reviewer", "dave", "--folder", "{out}/dave", "--package", "{review}"],
    ["compare", "alice", "bob", "--package", "{review}"],
    ["reconcile", "alice", "bob", "--decisions", "{out}/c.csv", "--out", "{out}/cons", "--package", "{review}"],
    ["export", "{out}/exp", "-f", "csv", "-C", "{review}", "--db", "{out}/old.duckdb"],
])
def test_old_forms_still_work_with_a_deprecation_note(review, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    if args[0] == "reconcile":
        assert runner.invoke(main, ["compare", "alice", "bob", "-C", str(review), "--conflicts",
                                    str(tmp_path / "c.csv")]).exit_code == 0
    if args[0] in ("plot", "export"):
        assert runner.invoke(main, ["build", "-C", str(review), "--db", str(tmp_path / "old.duckdb")]).exit_code == 0
    filled = [a.format(review=review, out=tmp_path) for a in args]
    result = runner.invoke(main, filled)
    assert result.exit_code == 0, result.output[-2000:]
    assert "DeprecationWarning" in result.stderr
    assert "DEPRECATED" in runner.invoke(main, [args[0], "--help"]).output
