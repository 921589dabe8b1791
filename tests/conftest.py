"""Shared fixtures: a private copy of the bundled review, and a fingerprint of a folder to prove nothing changed."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REVIEW_PARTS = ("datapackage.json", "schema", "extract", "validators", "queries")


def copy_review(dest: Path) -> Path:
    """Copy the bundled review (descriptor, schema/, extract/, validators/, queries/) into ``dest``; return it."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in REVIEW_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.is_file():
            shutil.copy2(src, dest / part)
    return dest


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (not following symlinks): relative path -> sha256 of a file, link target, or 'dir'.

    Comparing two states detects changed, removed and new files (e.g. a ``__pycache__`` or a database written
    into the review folder).
    """
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in dirnames + filenames:
            p = base / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                state[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                state[rel] = "dir"
            else:
                state[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return state


@pytest.fixture
def review_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled review in a temporary folder (the repository itself is never touched)."""
    return copy_review(tmp_path / "review")


@pytest.fixture
def folder_state() -> Callable[[Path], dict[str, str]]:
    """The ``snapshot`` function: ``folder_state(path)`` fingerprints every file under ``path``."""
    return snapshot
