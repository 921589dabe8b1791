"""`pip install cmokit` then `cmokit init` works anywhere: the wheel carries the template review.

The test builds the wheel, installs it (``--no-deps``) into a fresh virtual environment outside the repository, and
runs ``cmokit init``, ``cmokit validate`` and ``cmokit build`` there, from a folder outside the repository. To stay
fast it does not download the dependencies again: a ``.pth`` file lets the new environment import the ones already
installed for the test run (a directory named in a ``.pth`` file is added to ``sys.path`` as it is: the ``.pth`` files
inside it, such as the editable install's pointer to ``src/``, are not read). The test proves the isolation: the
``cmokit`` that runs is the new environment's, and nothing on its ``sys.path`` is in the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_installed_elsewhere_runs_init_validate_build(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT)],
        tmp_path, env)
    (wheel,) = wheels.glob("cmokit-*.whl")
    target = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path,
                       env).strip())
    (purelib / "_cmokit_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)], tmp_path, env)
    where = json.loads(run([str(python), "-c",
                            "import cmokit, json, sys; from importlib.resources import files; "
                            "print(json.dumps({'file': cmokit.__file__, 'path': sys.path, "
                            "'template': str(files('cmokit.package') / 'template')}))"], tmp_path, env))
    assert Path(where["file"]).is_relative_to(purelib), where["file"]
    assert Path(where["template"]).is_relative_to(purelib)
    deps = Path(sysconfig.get_paths()["purelib"]).resolve()
    inside = [p for p in where["path"] if p and Path(p).resolve().is_relative_to(ROOT) and Path(p).resolve() != deps]
    assert not inside, inside  # src/ (or the repository itself) is not on the path: only the dependencies are
    assert (ROOT / "src").resolve() not in [Path(p).resolve() for p in where["path"] if p]
    cmokit = str(target / "bin" / "cmokit")
    out = run([cmokit, "init", "fresh-review", "--title", "A review from the wheel"], tmp_path, env)
    assert "Wrote a new review" in out
    review = tmp_path / "fresh-review"
    assert "VALID: 0 errors" in run([cmokit, "validate"], review, env)
    assert "Built .cmokit/review.duckdb" in run([cmokit, "build"], review, env)
    assert (review / ".cmokit" / "review.duckdb").is_file()
