"""Several files changed as one: stage every new file, write a journal, rename; a dead run's journal is finished.

``os.replace`` makes one file's change atomic on POSIX; nothing offers that for several files (no library in the
environment does), hence this journal, written by hand. :func:`commit`:

1. stages every new file beside its target (``.<name>.cmokit-<pid>-<random>.tmp``, written and fsync'ed, with the
   target's permission bits);
2. writes the journal (the list of temp -> target renames, relative to the journal's folder), atomically: from this
   moment the change is decided;
3. renames each staged file over its target, syncs the folders and removes the journal.

If the process dies before step 2, no target was touched (its staged files are left, named after its PID, and
:func:`sweep` removes them once that process is gone); after step 2, :func:`finish` completes the renames. Either
way every file is all old or all new. Used by ``cmokit reconcile`` (tables and audit log) and by ``cmokit
add-field`` / ``add-code`` (schema, codebook and CSV headers).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from cmokit.core.atomic import _mode
from cmokit.core.process import pid_alive

STAGED = re.compile(r"\.(?P<name>.+)\.cmokit-(?P<pid>[0-9]+)-[0-9a-f]+\.tmp")


class JournalError(ValueError):
    """A journal that cannot be read: which renames it decided is unknown."""


def _nothing() -> None:
    return None


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


def _write_synced(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, mode)


def _stage(target: Path, data: bytes, token: str) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` (same mode as the target); return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{token}.tmp"
    _write_synced(tmp, data, _mode(target))
    return tmp


def commit(files: dict[Path, bytes], journal: Path, step: Callable[[], None] = _nothing) -> None:
    """Replace every target of ``files`` with its new bytes, all or none (see the module docstring).

    Nothing is renamed unless every new file was staged; on an error before the journal exists, the staged files
    are removed and every target is as it was. ``step`` is called after each step of the write (a test hook).
    """
    if not files:
        return
    token = f"cmokit-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    base = journal.parent
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            staged.append((_stage(target, data, token), target))
            step()
        plan = {"pid": os.getpid(), "renames": [[os.path.relpath(t, base), os.path.relpath(d, base)]
                                                for t, d in staged]}
        base.mkdir(parents=True, exist_ok=True)
        tmp_journal = base / f".{journal.name}.{token}.tmp"
        _write_synced(tmp_journal, json.dumps(plan, indent=1).encode(), 0o644)
        os.replace(tmp_journal, journal)  # the commit point
        _fsync_dir(base)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    step()
    for tmp, target in staged:
        os.replace(tmp, target)
        step()
    for folder in {t.parent for _, t in staged}:
        _fsync_dir(folder)
    journal.unlink()
    _fsync_dir(base)
    step()


def finish(journal: Path) -> tuple[object, int, int] | None:
    """Complete the renames a dead run decided in ``journal`` and remove it: (its pid, renames done, renames listed).

    None when there is no journal; :class:`JournalError` when it cannot be read (nothing is renamed then).
    """
    if not journal.exists():
        return None
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        renames = [(journal.parent / t, journal.parent / d) for t, d in plan["renames"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JournalError(str(exc)) from None
    done = 0
    for tmp, target in renames:
        if tmp.exists():
            os.replace(tmp, target)
            done += 1
    for folder in {t.parent for _, t in renames}:
        _fsync_dir(folder)
    journal.unlink()
    _fsync_dir(journal.parent)
    return plan.get("pid"), done, len(renames)


def sweep(folders: set[Path], names: set[str]) -> list[str]:
    """Remove what dead runs left in ``folders``: files they staged, and temporary files named after one of ``names``
    (as :mod:`cmokit.core.atomic` and older versions leave them); return the names removed."""
    removed = []
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for p in entries:
            m = STAGED.fullmatch(p.name)
            old_style = p.name.startswith(".") and p.name.endswith(".tmp") and any(
                p.name.startswith(f".{n}.") for n in names)
            if (m and not pid_alive(int(m["pid"]))) or (old_style and not m):
                p.unlink(missing_ok=True)
                removed.append(p.name)
    return removed
