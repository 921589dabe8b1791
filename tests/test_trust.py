"""Point 10: every command that may run the review's own Python (validators/) takes --untrusted, also as
CMOKIT_UNTRUSTED=1; an untrusted build records that the review's rules were skipped."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.synthesis.database import DEFAULT_DB

MARKER_CODE = '''import os
from pathlib import Path

Path(os.environ["CMOKIT_TEST_MARKER"]).write_text("the review's code ran")  # {n}


def validators(ctx):
    return []
'''


@pytest.fixture
def review(tmp_path) -> Path:
    """A review whose validators/ leave a marker file when imported."""
    r = copy_review(tmp_path / "review")
    (r / "validators" / "zz_marker.py").write_text(MARKER_CODE.format(n=0))
    return r


def commands(out: Path) -> list[list[str]]:
    return [["build"], ["query", "SELECT 1"], ["tables", "-b", "children"], ["export", "-o", str(out), "-f", "csv"],
            ["plot", "evidence-map", "-o", str(out / "map.svg")], ["validate"]]


def test_untrusted_commands_never_import_the_reviews_code(review, tmp_path):
    """Point 10: build, query, tables, export and plot (each rebuilding a stale database) and validate ran
    validators/ with no way to refuse; with --untrusted none of them imports it."""
    marker = tmp_path / "marker"
    env = {"CMOKIT_TEST_MARKER": str(marker)}
    for n, args in enumerate(commands(tmp_path / "out"), start=1):
        # the validator file changes, so every command finds the database stale and rebuilds it
        (review / "validators" / "zz_marker.py").write_text(MARKER_CODE.format(n=n))
        res = CliRunner().invoke(main, [*args, "-C", str(review), "--untrusted"], env=env)
        assert res.exit_code == 0, (args, res.output)
        assert args[0] in ("validate", "build") or "Building" in res.stderr, args
        assert not marker.exists(), f"{args[0]} --untrusted ran the review's code"
    con = duckdb.connect(str(review / DEFAULT_DB), read_only=True)
    assert con.execute("SELECT trusted, valid FROM build_metadata").fetchone() == (False, True)
    assert con.execute("SELECT count(*) FROM validation_problems WHERE rule = 'rules.skipped'").fetchone()[0] == 1
    con.close()
    # the control: the same command without --untrusted does import it
    (review / "validators" / "zz_marker.py").write_text(MARKER_CODE.format(n=99))
    assert CliRunner().invoke(main, ["query", "SELECT 1", "-C", str(review)], env=env).exit_code == 0
    assert marker.read_text() == "the review's code ran"
    con = duckdb.connect(str(review / DEFAULT_DB), read_only=True)
    assert con.execute("SELECT trusted FROM build_metadata").fetchone() == (True,)
    con.close()


def test_the_environment_variable_means_untrusted(review, tmp_path):
    """Point 10: CMOKIT_UNTRUSTED=1 does what --untrusted does, for CI jobs that run several commands."""
    marker = tmp_path / "marker"
    env = {"CMOKIT_TEST_MARKER": str(marker), "CMOKIT_UNTRUSTED": "1"}
    res = CliRunner().invoke(main, ["build", "-C", str(review)], env=env)
    assert res.exit_code == 0 and "untrusted: the review's own rules" in res.stderr
    res = CliRunner().invoke(main, ["validate", "-C", str(review), "-f", "json"], env=env)
    assert res.exit_code == 0 and json.loads(res.stdout)["trusted"] is False
    assert not marker.exists()


def test_every_command_that_may_run_review_code_has_the_option():
    """Every command whose code builds, rebuilds or validates (and so may import validators/) takes --untrusted,
    a command added later included: the test reads each command's module."""
    import importlib
    import inspect

    from cmokit.cli import COMMANDS

    needs = []
    for name, module in COMMANDS.items():
        source = inspect.getsource(importlib.import_module(f"cmokit.cli.{module}"))
        if any(call in source for call in ("ensure_database(", "build(", "validate_review(")):
            needs.append(name)
            res = CliRunner().invoke(main, [name, "--help"])
            assert "--untrusted" in res.output and "CMOKIT_UNTRUSTED=1" in res.output, name
    assert {"validate", "build", "query", "tables", "export", "plot"} <= set(needs)
