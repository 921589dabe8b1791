"""Is a process still running? Used to tell a lock or a temporary file of a live run from one a dead run left."""

from __future__ import annotations

import os
import socket


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``), or None if unknown or not running.

    A PID can be reused by a new process once the old one is gone; the start time tells them apart.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int, start: str | None = None) -> bool:
    """True when process ``pid`` runs (and, if ``start`` is given and known here, is the one started then)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    if start is not None:
        now = process_start(pid)
        if now is not None and now != start:
            return False
    return True


def host() -> str:
    """This machine's name (a lock taken on another machine cannot be checked from here)."""
    return socket.gethostname()
