"""Atomic writes: all or nothing, and ordinary file permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cmokit.core.atomic import atomic_open, write_text


def test_new_file_gets_the_umask_default_not_0600(tmp_path: Path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_existing_file_keeps_its_mode(tmp_path: Path):
    target = tmp_path / "a.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o664)
    write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o664


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path):
    target = tmp_path / "a.txt"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
