"""The house shows the flow: the stage packages import only downwards, and no module grows past ~500 lines."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cmokit"
STAGES = ("core", "package", "validation", "extraction", "synthesis", "presentation", "cli")
MAX_LINES = 500
# the template review (package data written by `cmokit init`) is a review folder, not engine code: its validators
# import the review authors' facade cmokit.rules, as every review's do
TEMPLATE = SRC / "package" / "template"


def _engine(paths):
    return [p for p in paths if TEMPLATE not in p.parents]


def _stage(module: str) -> int | None:
    """The stage index of a ``cmokit.<stage>...`` module name, None for anything else."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "cmokit" and parts[1] in STAGES:
        return STAGES.index(parts[1])
    return None


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every cmokit module an import statement names, anywhere in the file (function-level imports included)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("cmokit")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("cmokit"):
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def test_every_module_belongs_to_a_stage():
    loose = sorted(p.name for p in SRC.glob("*.py"))
    assert loose == ["__init__.py", "rules.py"], loose  # rules.py: the stable API for a review's validators/
    assert sorted(p.name for p in SRC.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_higher_stage(stage: str):
    mine = STAGES.index(stage)
    bad = []
    for path in sorted(_engine((SRC / stage).rglob("*.py"))):
        for line, name in _imports(path):
            other = _stage(name)
            if other is not None and other > mine:
                bad.append(f"{path.relative_to(SRC)}:{line} imports {name}")
            if name == "cmokit.rules":
                bad.append(f"{path.relative_to(SRC)}:{line} imports the review authors' facade cmokit.rules")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("stage", STAGES[:-1])
def test_importing_a_stage_loads_no_higher_stage(stage: str):
    """At run time too: import every module of the stage in a fresh interpreter and look at sys.modules."""
    modules = sorted(f"cmokit.{stage}." + p.stem for p in (SRC / stage).glob("*.py") if p.stem != "__init__")
    code = ("import importlib, json, sys\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('cmokit.'))))\n")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    higher = [m for m in loaded if (_stage(m) or 0) > STAGES.index(stage)]
    assert not higher, higher


def test_no_module_is_over_500_lines():
    big = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, big
