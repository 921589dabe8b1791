"""Reconcile's lock, its journal of renames, and recovery from a killed run.

Writing the consensus changes several files (the tables and the audit log); a run killed half-way must not leave
some new and some old. :func:`switch` writes them as one set with the journal of :mod:`cmokit.core.fileset`
(``.cmokit-reconcile.journal``). :func:`recover`, run under the lock before anything else, finishes what a dead run
decided (a journal is left: its remaining renames are done) or rolls back what it had not (no journal: its staged
files are deleted). Either way every file is all old or all new. The lock (``.cmokit-reconcile.lock``, created
exclusively) names the PID, its start time and the host; a lock whose process is gone (or is another process by
now) is stale and is taken over with a warning.
"""

from __future__ import annotations

import os
import re
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cmokit.core import fileset
from cmokit.core.errors import CmokitError
from cmokit.core.process import host, pid_alive, process_start

LOCK_NAME = ".cmokit-reconcile.lock"
JOURNAL_NAME = ".cmokit-reconcile.journal"
# Test-only hook: SIGKILL this process at the N-th step of the write phase (tests/test_crash_safety.py).
KILL_ENV = "CMOKIT_TEST_KILL_AT"
_LOCK_RE = re.compile(r"pid (?P<pid>[0-9]+)(?: start (?P<start>\S+))?(?: host (?P<host>\S+))?(?: at (?P<at>\S+))?")
_steps = 0


def checkpoint() -> None:
    """One step of the write phase; with ``CMOKIT_TEST_KILL_AT=N`` the process kills itself at step N."""
    global _steps
    _steps += 1
    if os.environ.get(KILL_ENV, "") == str(_steps):
        os.kill(os.getpid(), signal.SIGKILL)


class Lock:
    """The lock of an output folder; ``taken_over`` describes a stale lock that was taken over (else None)."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self.taken_over: str | None = None

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(f"pid {os.getpid()} start {process_start(os.getpid()) or '-'} host {host()} "
                         f"at {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n")
            return self
        raise CmokitError(f"{self.path}: another cmokit reconcile keeps taking this lock. Try again.",
                          rule="reconcile.locked", path=str(self.path))

    def _take_over_if_stale(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace").strip()
        except FileNotFoundError:
            return  # released meanwhile: try again
        m = _LOCK_RE.match(text)
        if m is None:
            raise CmokitError(f"{self.path}: is a lock that names no process ('{text[:60]}'). If no cmokit reconcile "
                              "is running, delete the lock file.", rule="reconcile.locked", path=str(self.path))
        pid, start, where = int(m["pid"]), m["start"], m["host"]
        since = f", since {m['at']}" if m["at"] else ""
        if where and where != host():
            raise CmokitError(f"{self.path}: a cmokit reconcile on {where} (pid {pid}{since}) holds this folder; it "
                              "cannot be checked from here. Wait for it, or delete the lock file if it is not "
                              "running.", rule="reconcile.locked", path=str(self.path))
        if pid_alive(pid, None if start in (None, "-") else start):
            raise CmokitError(f"{self.path}: another cmokit reconcile (pid {pid}{since}) is writing to this folder. "
                              "Wait for it to finish.", rule="reconcile.locked", path=str(self.path))
        aside = self.path.with_name(f"{LOCK_NAME}.stale-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(self.path, aside)  # only one taker wins this rename
        except FileNotFoundError:
            return
        aside.unlink(missing_ok=True)
        self.taken_over = (f"took over the lock {self.path.name} left by cmokit reconcile pid {pid}{since}, which is "
                           "no longer running.")

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)


def switch(files: dict[Path, bytes], journal_dir: Path) -> None:
    """Replace every target in ``files`` with its new bytes, all or none (see the module docstring)."""
    fileset.commit(files, journal_dir / JOURNAL_NAME, step=checkpoint)


def recover(journal_dir: Path, folders: set[Path], names: set[str]) -> list[str]:
    """Finish or roll back what a dead run left in ``journal_dir`` (call it holding the lock); return what was done.

    ``folders`` hold the targets, ``names`` are the targets' file names: staged files of dead runs (and temporary
    files named after a target, as older versions and :mod:`cmokit.core.atomic` leave them) are removed.
    """
    notes: list[str] = []
    journal = journal_dir / JOURNAL_NAME
    try:
        finished = fileset.finish(journal)
    except fileset.JournalError as exc:
        raise CmokitError(f"{journal}: the journal of an interrupted reconcile cannot be read ({exc}). Check "
                          "the consensus files with `cmokit validate` and git, then delete the journal.",
                          rule="reconcile.journal", path=str(journal)) from None
    if finished is not None:
        pid, done, listed = finished
        notes.append(f"finished the reconcile that pid {pid} had decided before it was interrupted: "
                     f"{done} of {listed} file(s) were still to be switched.")
    removed = fileset.sweep(folders | {journal_dir}, names | {JOURNAL_NAME})
    if removed:
        notes.append(f"removed {len(removed)} temporary file(s) left by an interrupted run: "
                     f"{', '.join(sorted(removed))}.")
    return notes
