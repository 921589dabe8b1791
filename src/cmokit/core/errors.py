"""Error types shared by every command."""

from __future__ import annotations


class CmokitError(Exception):
    """Input that cannot be used at all (bad descriptor, missing file, bad option): exit code 2.

    The message is shown to the user as it is, so it must say what is wrong, where, and how to fix it.
    ``rule`` is a stable id (e.g. ``descriptor.json``) that machine-readable reports carry.
    """

    exit_code = 2

    def __init__(self, message: str, *, rule: str = "usage", path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.path = path
        self.line = line


class DataInvalid(CmokitError):
    """The data were read but break the rules (exit code 1)."""

    exit_code = 1
