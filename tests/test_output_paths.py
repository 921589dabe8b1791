"""A bad -o/--output path (a file where a folder is needed, a folder where a file is needed, a path under a file, a
folder that cannot be created) is a one-line message with the path and exit 2, never an internal error, and the
review is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_review, snapshot

from cmokit.cli import main

# command -> what it writes with -o: a folder ("dir"), one file ("file") or either
WRITERS = {
    ("export",): "dir",
    ("export", "-f", "xlsx"): "dir",
    ("tables",): "either",  # one file, or a folder for one file per table
    ("dictionary",): "file",
    ("query", "--name", "who_is_supported"): "file",
    ("plot", "evidence-map"): "file",
    ("report",): "file",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    review = copy_review(tmp_path_factory.mktemp("out") / "review")
    assert CliRunner().invoke(main, ["build", "-C", str(review)]).exit_code == 0
    return review


def _targets(tmp: Path, kind: str) -> list[tuple[Path, str]]:
    """(bad path, text the message must hold) for a command writing ``kind``."""
    a_file, a_folder = tmp / "notes.txt", tmp / "folder"
    a_file.write_text("mine\n", encoding="utf-8")
    a_folder.mkdir()
    cases = [(a_file / "sub" / "x.out", str(a_file)), (Path("/proc/no-such-folder/x.out"), "/proc/no-such-folder")]
    if kind != "either":
        cases.append((a_file, str(a_file)) if kind == "dir" else (a_folder, str(a_folder)))
    return cases


@pytest.mark.parametrize("command", list(WRITERS), ids=" ".join)
def test_a_bad_output_path_is_a_message_not_a_crash(built, tmp_path, command):
    for target, named in _targets(tmp_path, WRITERS[command]):
        before_review, before_tmp = snapshot(built), snapshot(tmp_path)
        res = CliRunner().invoke(main, [*command, "-C", str(built), "-o", str(target)])
        assert res.exit_code == 2, (target, res.output)
        assert "Internal error" not in res.output and "Traceback" not in res.output, res.output
        assert named in res.output, (target, res.output)
        assert snapshot(built) == before_review and snapshot(tmp_path) == before_tmp, target
