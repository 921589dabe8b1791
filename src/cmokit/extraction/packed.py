"""One submission's table held small while the other one is read: its long texts compressed, unpacked on demand.

Comparing two submissions needs both versions of a table at once. While reviewer B's file is read, reviewer A's
free-text columns are held compressed (each column an Arrow IPC buffer, zstd, written by polars on both cores), and
each is unpacked when the comparison reads it, one column at a time; keys, codes, row numbers and the values'
hashes stay as they are. Nothing is lost or rounded: a column unpacks to exactly what was packed
(``tests/test_compare_packed.py``). Only tables whose texts take more than :data:`PACK_BYTES` are packed: below
that, the time it costs (about 1 s per 500 MB of text) buys nothing the peak of a comparison needs.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

PACK_BYTES = 256 << 20  # a table whose packable columns take more than this (in memory) is packed


class Packed:
    """The columns of a frame, the ``packed`` ones compressed. ``aliases`` map a name to the packed column it equals
    (a free-text field's comparison column ``~f`` is its raw column ``f``). The column unpacked last is kept until
    another one is asked for, since a field's two names are often read in turn."""

    def __init__(self, df: pl.DataFrame, packed: list[str], aliases: dict[str, str]):
        from concurrent.futures import ThreadPoolExecutor

        def one(name: str) -> bytes:
            buf = io.BytesIO()
            df.select(name).write_ipc(buf, compression="zstd")
            return buf.getvalue()

        with ThreadPoolExecutor(max_workers=2) as pool:  # one column per task: both cores (polars frees the GIL)
            self._blobs = dict(zip(packed, pool.map(one, packed), strict=True))
        self._kept = df.drop([*packed, *aliases])
        self._packed, self._aliases = set(packed), aliases
        self._order = df.columns
        self._last: tuple[str, pl.Series] | None = None

    @property
    def height(self) -> int:
        return self._kept.height

    @property
    def columns(self) -> list[str]:
        return list(self._order)

    @property
    def packed_bytes(self) -> int:
        return sum(len(b) for b in self._blobs.values())

    def get_column(self, name: str) -> pl.Series:
        """The column ``name`` (unpacked if it was packed)."""
        import polars as pl

        source = self._aliases.get(name, name)
        if source not in self._packed:
            return self._kept.get_column(name)
        if self._last is None or self._last[0] != source:
            self._last = None  # freed before the next one is unpacked
            self._last = (source, pl.read_ipc(io.BytesIO(self._blobs[source])).to_series())
        return self._last[1].alias(name)

    def select(self, *names: str) -> pl.DataFrame:
        """A frame of the named columns."""
        import polars as pl

        return pl.DataFrame([self.get_column(n) for n in names])


def pack(df: pl.DataFrame, texts: list[str], threshold: int | None = None) -> pl.DataFrame | Packed:
    """``df`` with its free-text columns ``texts`` (and their comparison columns ``~name``, equal to them) packed,
    when they take more than ``threshold`` bytes (default :data:`PACK_BYTES`); else ``df`` itself."""
    limit = PACK_BYTES if threshold is None else threshold
    texts = [c for c in texts if c in df.columns]
    if not texts or sum(df.get_column(c).estimated_size() for c in texts) <= limit:
        return df
    return Packed(df, texts, {"~" + c: c for c in texts if "~" + c in df.columns})


def holds(df: pl.DataFrame | Packed | None, name: str) -> bool:
    """True when ``df`` holds column ``name`` packed."""
    return isinstance(df, Packed) and df._aliases.get(name, name) in df._packed
