"""The command line as a whole: help, version, documentation, start-up cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmokit import __version__
from cmokit.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("polars", "duckdb", "pandera", "frictionless", "pandas", "pyarrow")


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output, name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_is_in_the_readme_tour(name: str):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    command = main.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None and (command.help or "").strip(), f"{name} has no help text"
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert (getattr(param, "help", None) or "").strip(), f"{name} {param.opts} has no help"
    assert f"cmokit {name}" in (ROOT / "README.md").read_text(encoding="utf-8"), f"README does not show `cmokit {name}`"


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from cmokit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 2 and "No such command 'frobnicate'." in result.output
    assert "Did you mean" not in result.output and "cmokit --help" in result.output


@pytest.mark.parametrize("typo, meant", [("valdate", "validate"), ("biuld", "build"), ("reconcil", "reconcile"),
                                         ("templates", "template"), ("qurey", "query")])
def test_a_mistyped_command_suggests_the_nearest(typo: str, meant: str):
    result = CliRunner().invoke(main, [typo])
    assert result.exit_code == 2
    assert f"No such command '{typo}'. Did you mean '{meant}'?" in result.output


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_help_has_an_example(name: str):
    text = CliRunner().invoke(main, [name, "--help"]).output
    assert "Examples:" in text
    block = text.split("Examples:", 1)[1].splitlines()[1:]
    lines = [ln.strip() for ln in block[:next((i for i, ln in enumerate(block) if not ln.strip()), len(block))]]
    assert lines and all(ln.startswith(f"cmokit {name}") or ln.startswith("cmokit -C") for ln in lines), lines


def test_top_level_help_takes_each_line_from_the_command_itself():
    """The listing is the first line of each command's docstring, so it cannot say less than the command does."""
    text = "".join(CliRunner().invoke(main, ["--help"]).output.split())  # wrapping aside
    for name in COMMANDS:
        command = main.get_command(None, name)  # type: ignore[arg-type]
        first = (command.help or "").strip().splitlines()[0]
        assert "".join(f"{name} {first}".split()) in text, name
    assert "Parquet,CSVoroneExcelworkbook" in text  # export writes xlsx too


def test_the_cli_reference_is_current():
    from cmokit.cli.reference import render

    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == render(), \
        "docs/cli.md is stale: run `python -m cmokit.cli.reference`"
    for name in COMMANDS:
        assert f"## cmokit {name}\n" in render()
