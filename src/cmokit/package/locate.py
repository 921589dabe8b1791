"""Finding the review a command works on, the way git finds a repository.

From the current folder (or a folder named with ``-C DIR``), the review is the nearest folder at or above it that
holds a ``datapackage.json``: so every command works from the review root and from any folder below it, such as a
reviewer's ``extract/reviewers/<id>/``.
"""

from __future__ import annotations

from pathlib import Path

DESCRIPTOR = "datapackage.json"


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding a ``datapackage.json``; None when there is none."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / DESCRIPTOR).is_file():
            return folder
    return None
