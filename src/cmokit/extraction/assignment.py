"""The optimal one-to-one assignment of every study's remaining rows, compiled (numba) for large comparisons.

The same Hungarian method as :func:`cmokit.extraction.matching.assign`, step for step and in the same floating-point
operations, so that it chooses the same pairs (ties included); ``tests/test_compare.py`` holds the two to each other.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np


def _assign(w, rows, cols):
    """Maximum-weight assignment of ``w`` (n <= m): writes the pairs, sorted by row, into ``rows``/``cols``;
    returns their number."""
    n, m = w.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, np.int64)
    way = np.zeros(m + 1, np.int64)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, np.bool_)
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = np.inf
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = -w[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j] - 1e-12:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta - 1e-12:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    k = 0
    for r in range(n):  # sorted by row: each row is assigned once
        for j in range(1, m + 1):
            if p[j] == r + 1:
                rows[k] = r
                cols[k] = j - 1
                k += 1
    return k


def _groups(s, na, nb, threshold):
    """Per group g (its ``na[g] x nb[g]`` similarities, row-major, one group after another in ``s``): the flat
    positions of the assigned pairs at or above ``threshold``, in the order ``matching`` lists them."""
    out = np.empty(s.size, np.int64)
    rows = np.empty(s.size, np.int64)
    cols = np.empty(s.size, np.int64)
    k = 0
    start = 0
    for g in range(na.size):
        a, b = na[g], nb[g]
        w = s[start:start + a * b].reshape(a, b)
        if a <= b:
            c = _assign(w, rows, cols)
            for t in range(c):
                if w[rows[t], cols[t]] >= threshold:
                    out[k] = start + rows[t] * b + cols[t]
                    k += 1
        else:  # as assign() does: the transposed problem, its pairs read back as (row, column)
            c = _assign(np.ascontiguousarray(w.T), rows, cols)
            for t in range(c):
                i, j = cols[t], rows[t]
                if w[i, j] >= threshold:
                    out[k] = start + i * b + j
                    k += 1
        start += a * b
    return out[:k]


@cache
def _kernels() -> dict[str, Any]:
    """Compile (or load from numba's cache) the kernel."""
    from cmokit.extraction.wordsets import _jit

    global _assign
    _assign = _jit()(_assign)
    return {"groups": _jit()(_groups)}


def assign_groups(s: np.ndarray, na: np.ndarray, nb: np.ndarray, threshold: float) -> np.ndarray:
    """The flat positions in ``s`` of the pairs each group's optimal assignment keeps (see :func:`_groups`)."""
    return _kernels()["groups"](np.ascontiguousarray(s, dtype=np.float64), na.astype(np.int64),
                                nb.astype(np.int64), float(threshold))
