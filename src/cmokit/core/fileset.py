"""Several files changed as one: every new file is written beside its target, a journal lists temp -> target, then
the renames run; a journal left by a dead run is completed before anything else (roll forward).

``os.replace`` makes one file's change atomic; a set of files needs more. :func:`commit` writes (and fsyncs) every
new content as a temporary file in its target's folder, then writes the journal atomically, then renames each
temporary file over its target, then deletes the journal. If the process dies before the journal exists, no target
was touched (hidden ``.cmokit-set.*.tmp`` files may be left over, safe to delete); once the journal exists, every
temporary file is complete, so :func:`recover` finishes the renames. Used by ``cmokit add-field`` and
``cmokit add-code`` (schema, codebook and CSV headers change together).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from cmokit.core.atomic import _mode, write_text

TEMP_PREFIX = ".cmokit-set."


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stage(target: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` (same mode as the target); return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=".tmp", dir=target.parent)
    os.chmod(tmp, _mode(target))
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(tmp)


def recover(journal: Path) -> list[Path]:
    """Finish the renames a dead run left in ``journal`` (if any) and remove it; return the targets completed."""
    if not journal.is_file():
        return []
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        plan = []
    done = []
    for tmp, target in plan if isinstance(plan, list) else []:
        if Path(tmp).is_file():
            os.replace(tmp, target)
            done.append(Path(target))
    journal.unlink(missing_ok=True)
    return done


def commit(files: dict[Path, bytes], journal: Path) -> None:
    """Replace every target of ``files`` with its new content, as one change (see the module docstring).

    Nothing is renamed unless every new content was written; on an error before the journal exists, the temporary
    files are removed and every target is as it was.
    """
    recover(journal)
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            staged.append((_stage(target, data), target))
        write_text(journal, json.dumps([[str(t), str(g)] for t, g in staged]))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    try:
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError:
        recover(journal)  # one more try at the renames left; if it fails too, the journal stays for the next run
        raise
    for folder in {target.parent for _, target in staged}:
        _fsync_dir(folder)
    journal.unlink(missing_ok=True)
