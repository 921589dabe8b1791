"""A large CSV file looked through in small pieces, so that polars can then read it from the disk.

Reading a file's bytes into memory and parsing them costs the file's size twice at the peak (the bytes, then the
table). For a large file of the usual kind (UTF-8 without a byte-order mark, the default dialect) the reader
instead looks through the file once in pieces of :data:`PIECE` bytes, reused, for what it needs before parsing
(the first lines, the number of lines, a NUL byte, anything but whitespace), and lets polars read the file itself.
The bytes are read whole only when they are needed after all (a record to recount, the exact scan, text that is
not UTF-8): the same checks, in the same order, on the same bytes, so the table and problems are the same either
way (a test reads files of every kind both ways).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cmokit.package.dialect import Dialect

SURVEY_BYTES = 16 << 20  # files larger than this are looked through in pieces, then read by polars from the disk
PIECE = 4 << 20
HEAD = 1 << 20  # the first bytes, kept for the header


@dataclass
class Survey:
    head: bytes  # the first bytes (the whole file when it is shorter)
    lines: int  # physical lines: newlines, plus one when the last line has none
    nul: bool  # a NUL byte somewhere
    blank: bool  # nothing but whitespace


def surveyable(dialect: Dialect) -> bool:
    """True for the dialect the survey can stand in for the bytes (UTF-8, one header row, no comments)."""
    return (dialect.utf8 and not dialect.python_only and dialect.header and dialect.header_rows == (1,)
            and dialect.comment_char is None and not dialect.comment_rows)


def survey(file: Path, piece: int | None = None, head: int | None = None) -> Survey:
    """Look through ``file``: its first ``head`` bytes (default :data:`HEAD`) kept, the rest in pieces of ``piece``
    bytes (default :data:`PIECE`, one buffer reused); OSError when it cannot be read."""
    buf = bytearray(piece or PIECE)
    view = memoryview(buf)
    with file.open("rb") as fh:
        first = fh.read(head or HEAD)
        newlines, nul = first.count(b"\n"), b"\x00" in first
        seen, last = re.search(rb"[^\s]", first) is not None, first[-1:]
        while True:
            n = fh.readinto(view)
            if not n:
                break
            newlines += buf.count(b"\n", 0, n)
            nul = nul or buf.find(b"\x00", 0, n) >= 0
            seen = seen or re.search(rb"[^\s]", view[:n]) is not None
            last = bytes(view[n - 1:n])
    view.release()
    return Survey(first, newlines + (0 if last in (b"\n", b"") else 1), nul, not seen)
