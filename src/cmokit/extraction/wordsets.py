"""Word and code sets as sorted 64-bit hashes, and the sizes of their intersections: a compiled kernel (numba) for
the similarity step of large comparisons (:func:`cmokit.extraction.matching.similarities`).

A cell's set is hashed straight from the bytes of its text (FNV-1a, 64 bits), sorted and deduplicated in place;
the words two cells share are counted by merging their sorted hashes. Words are what polars' ``\\w+`` finds in the
lower-cased text. In a cell of ASCII text, with at most the typographic marks of
:data:`cmokit.extraction.normalise.MARKS` beside it (– — ‘ ’ “ ” …, UTF-8 E2 80 93/94/98/99/9C/9D/A6: none of them
a word character, nor changed by lower-casing), these are the runs of ``[0-9A-Za-z_]``, lower-cased here byte by
byte. A cell with any other character is cut into its words by polars itself (its lower-cased ``\\w+`` words,
joined by spaces), whose bytes the kernel then only splits at the spaces. Codes of a multi-code field are the
pieces between ``"; "`` separators, exactly as ``str.split("; ")`` cuts them. ``tests/test_compare.py`` holds the
kernel to the plain definition.

The kernel is compiled once per machine (numba's cache, beside this module or in the user's cache folder; when
neither can be written, compiled in each process); small comparisons never load it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import polars as pl

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
TEXT, WORDS, CODES = 0, 1, 2  # how the kernel reads a cell: text, polars' words joined by spaces, codes


def _table() -> np.ndarray:
    """Per byte: its lower-case form for an ASCII word character, 0 for any other ASCII byte, -1 above ASCII."""
    t = np.zeros(256, np.int16)
    for b in range(256):
        ch = chr(b)
        if b >= 128:
            t[b] = -1
        elif ch.isalnum() or ch == "_":
            t[b] = ord(ch.lower())
    return t


TABLE = _table()


def _jit(**options: Any):
    """numba's ``njit`` with its on-disk cache, or without it when no cache folder can be written."""
    import numba

    def deco(fn):
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(**options)(fn)

    return deco


prange = range  # numba's parallel range once the kernels are compiled (:func:`_kernels`)


def _mark(data, k, end):
    """True when the bytes at ``k`` encode one of the typographic marks (E2 80 93/94/98/99/9C/9D/A6)."""
    if k + 2 >= end or data[k] != 0xE2 or data[k + 1] != 0x80:
        return False
    x = data[k + 2]
    return x == 0x93 or x == 0x94 or x == 0x98 or x == 0x99 or x == 0x9C or x == 0x9D or x == 0xA6


def _count(data, k, end, mode, table):
    """How many words or codes cell ``data[k:end]`` holds (before deduplication), or -1 for a TEXT cell with a
    character the kernel leaves to polars."""
    c = 0
    if mode == CODES:
        while k < end - 1:
            if data[k] == 59 and data[k + 1] == 32:
                c += 1
                k += 2
            else:
                k += 1
        return c + 1
    inside = False
    while k < end:
        t = table[data[k]]
        if t > 0 or t < 0 and mode == WORDS:
            c += not inside
            inside = True
            k += 1
            continue
        if t < 0:
            if not _mark(data, k, end):
                return -1
            k += 3
        else:
            k += 1
        inside = False
    return c


def _sort(seg):
    """Sort a cell's hashes in place (insertion sort for the usual few dozen, else numpy's)."""
    m = seg.size
    if m > 48:
        seg.sort()
        return
    for i in range(1, m):
        x = seg[i]
        j = i - 1
        while j >= 0 and seg[j] > x:
            seg[j + 1] = seg[j]
            j -= 1
        seg[j + 1] = x


def _cell(data, k, end, mode, table, out, p):
    """Cut one cell (``data[k:end]``, not left to polars) into its words or codes, write their hashes at
    ``out[p:]`` and return how many."""
    c = 0
    h = np.uint64(FNV_OFFSET)
    if mode == CODES:
        while k < end:
            if k < end - 1 and data[k] == 59 and data[k + 1] == 32:
                out[p + c] = h
                c += 1
                h = np.uint64(FNV_OFFSET)
                k += 2
            else:
                h = (h ^ np.uint64(data[k])) * np.uint64(FNV_PRIME)
                k += 1
        out[p + c] = h
        return c + 1
    inside = False
    while k < end:
        t = table[data[k]]
        if t < 0 and mode == WORDS:
            t = data[k]
        if t > 0:
            h = (h ^ np.uint64(t)) * np.uint64(FNV_PRIME)
            inside = True
            k += 1
            continue
        if t < 0:
            if not _mark(data, k, end):
                return -1
            k += 3
        else:
            k += 1
        if inside:
            out[p + c] = h
            c += 1
            h = np.uint64(FNV_OFFSET)
            inside = False
    if inside:
        out[p + c] = h
        c += 1
    return c


def _words(offsets, data, mode, table):
    """Per cell (``offsets`` into ``data``): its sorted distinct hashes (``hashes[starts[i]:starts[i] + sizes[i]]``),
    and whether it was left to polars (``odd``: then its set is empty here)."""
    n = offsets.size - 1
    bound = np.empty(n, np.int64)
    for i in prange(n):
        bound[i] = _count(data, offsets[i], offsets[i + 1], mode, table)
    odd = bound < 0
    starts = np.zeros(n + 1, np.int64)
    starts[1:] = np.cumsum(np.maximum(bound, 0))
    out = np.empty(starts[n], np.uint64)
    sizes = np.zeros(n, np.int64)
    for i in prange(n):
        if bound[i] <= 0:
            continue
        p = starts[i]
        m = _cell(data, offsets[i], offsets[i + 1], mode, table, out, p)
        seg = out[p:p + m]
        _sort(seg)
        u = 1
        for k in range(1, m):
            if seg[k] != seg[u - 1]:
                seg[u] = seg[k]
                u += 1
        sizes[i] = u
    return starts[:n], sizes, out, odd


def _shared(pa, pb, sa, na, ha, sb, nb, hb):
    """Per pair of cells (``pa`` of A, ``pb`` of B): how many hashes their sorted sets share."""
    n = pa.size
    out = np.empty(n, np.int64)
    for k in prange(n):
        x, y = sa[pa[k]], sb[pb[k]]
        xe, ye = x + na[pa[k]], y + nb[pb[k]]
        c = 0
        while x < xe and y < ye:
            if ha[x] < hb[y]:
                x += 1
            elif ha[x] > hb[y]:
                y += 1
            else:
                c += 1
                x += 1
                y += 1
        out[k] = c
    return out


@cache
def _kernels() -> dict[str, Any]:
    """Compile (or load from numba's cache) the kernels; only called for large comparisons."""
    import numba

    global prange, _cell, _count, _mark, _sort
    prange = numba.prange
    _mark, _count, _cell, _sort = (numba.njit(inline="always")(f) for f in (_mark, _count, _cell, _sort))
    jit = _jit(parallel=True, nogil=True)
    return {"words": jit(_words), "shared": jit(_shared)}


def available() -> bool:
    """True when numba can be imported (the kernel can be used)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _buffers(values: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The Arrow offsets and bytes of a string column (nulls read as empty)."""
    import pyarrow as pa

    arr = values.fill_null("").to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    _, off, data = arr.buffers()
    offsets = np.frombuffer(off, dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets, raw


def hash_sets(values: pl.Series, codes: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's set (its codes, or its lower-cased ``\\w+`` words) as sorted distinct 64-bit hashes:
    ``(starts, sizes, hashes)``, cell i's set being ``hashes[starts[i]:starts[i] + sizes[i]]``."""

    words = _kernels()["words"]
    offsets, raw = _buffers(values)
    starts, sizes, out, odd = words(offsets, raw, CODES if codes else TEXT, TABLE)
    left = np.flatnonzero(odd)
    if left.size:  # cells with other characters: polars cuts them into words, the kernel hashes those
        cut = values.gather(left).str.to_lowercase().str.extract_all(r"\w+").list.join(" ")
        s2, z2, o2, _ = words(*_buffers(cut), WORDS, TABLE)
        starts[left] = s2 + out.size
        sizes[left] = z2
        out = np.concatenate([out, o2])
    return starts, sizes, out


def jaccard(pa: np.ndarray, pb: np.ndarray, a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> np.ndarray:
    """The Jaccard index |A ∩ B| / |A ∪ B| of the sets of cells ``pa`` of A and ``pb`` of B (0 for two empty sets),
    from :func:`hash_sets` of each side."""
    (sa, na, ha), (sb, nb, hb) = a, b
    inter = _kernels()["shared"](pa, pb, sa, na, ha, sb, nb, hb)
    union = na[pa] + nb[pb] - inter
    out = np.zeros(inter.size, np.float64)
    np.divide(inter, union, out=out, where=union > 0)
    return out
