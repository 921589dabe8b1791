"""A large CSV file looked through in small pieces, so that polars can then read it from the disk.

Reading a file's bytes into memory and parsing them costs the file's size twice at the peak (the bytes, then the
table). For a large file of the usual kind (UTF-8 without a byte-order mark, the default dialect) the reader
instead looks through the file once in pieces of :data:`PIECE` bytes, one buffer reused, for what it needs beside
polars' table (the first lines, the number of lines, a NUL byte, anything but whitespace, and per line the
separators that end it, which tell an empty last cell from a missing one), and lets polars read the file itself.
The bytes are read whole only when they are needed after all (the exact scan, text that is not UTF-8), so the
table and problems are the same either way (``tests/test_reader_survey.py`` reads files of every kind both ways).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from cmokit.package.dialect import Dialect

if TYPE_CHECKING:
    import numpy as np

SURVEY_BYTES = 16 << 20  # files larger than this are looked through in pieces, then read by polars from the disk
PIECE = 4 << 20
HEAD = 1 << 20  # the first bytes, kept for the header


CAP = 255  # trailing separators counted per line, at most (a line with more: unknown, the exact scan decides)


@dataclass
class Survey:
    head: bytes  # the first bytes (the whole file when it is shorter)
    lines: int  # physical lines: newlines, plus one when the last line has none
    nul: bool  # a NUL byte somewhere
    blank: bool  # nothing but whitespace
    trailing: np.ndarray  # per physical line: the separators that end it (a final carriage return aside), <= CAP


def surveyable(dialect: Dialect) -> bool:
    """True for the dialect the survey can stand in for the bytes (UTF-8, one header row, no comments)."""
    return (dialect.utf8 and not dialect.python_only and dialect.header and dialect.header_rows == (1,)
            and dialect.comment_char is None and not dialect.comment_rows and len(dialect.delimiter) == 1
            and dialect.delimiter.isascii())


def _trailing(arr: np.ndarray, ends: np.ndarray, sep: int) -> np.ndarray:
    """Per line ending before position ``ends`` of ``arr``: how many ``sep`` bytes end it (a carriage return aside)."""
    import numpy as np

    p = ends - 1
    p = p - ((p >= 0) & (arr[np.maximum(p, 0)] == 13))
    count = np.zeros(ends.size, np.int64)
    alive = p >= 0
    for j in range(CAP):
        q = p - j
        alive = alive & (q >= 0) & (arr[np.maximum(q, 0)] == sep)
        if not alive.any():
            break
        count += alive
    return np.minimum(count, CAP).astype(np.uint8)


def scan(fh: BinaryIO, sep: bytes, piece: int | None = None, head: int | None = None) -> Survey:
    """Look through a binary stream: its first ``head`` bytes (default :data:`HEAD`) kept, the rest in pieces of
    ``piece`` bytes (default :data:`PIECE`, one buffer reused)."""
    import numpy as np

    code = sep[0]
    buf = bytearray(piece or PIECE)
    view = memoryview(buf)
    first = fh.read(head or HEAD)
    nul, seen, last = b"\x00" in first, re.search(rb"[^\s]", first) is not None, first[-1:]
    prev, ends = b"", []
    data: bytes | memoryview = first
    while len(data):
        joined = prev + data  # with the bytes before the piece, to look back across its start
        arr = np.frombuffer(joined, np.uint8)
        ends.append(_trailing(arr, np.flatnonzero(arr[len(prev):] == 10) + len(prev), code))
        prev = joined[-(CAP + 2):]
        n = fh.readinto(view)
        data = view[:n]
        if n:
            nul = nul or buf.find(b"\x00", 0, n) >= 0
            seen = seen or re.search(rb"[^\s]", data) is not None
            last = bytes(data[-1:])
    view.release()
    if last not in (b"\n", b""):  # the last line has no newline
        arr = np.frombuffer(prev, np.uint8)
        ends.append(_trailing(arr, np.array([arr.size]), code))
    trailing = np.concatenate(ends) if ends else np.zeros(0, np.uint8)
    return Survey(first, int(trailing.size), nul, not seen, trailing)


def survey(file: Path, sep: bytes = b",", piece: int | None = None, head: int | None = None) -> Survey:
    """:func:`scan` of a file; OSError when it cannot be read."""
    with file.open("rb") as fh:
        return scan(fh, sep, piece, head)
