"""Write a query's rows batch by batch, in the formats of :mod:`cmokit.presentation.tabular`.

``cmokit query`` never holds a whole result in memory: DuckDB's memory limit does not cover rows fetched into
Python, so a big result would otherwise grow without bound. Each format is written as the rows arrive; the output
is the same text :func:`cmokit.presentation.tabular.render` gives, except that the aligned ``table`` format sizes
its columns from the first :data:`TABLE_SAMPLE` rows (a longer cell further down is not padded to match).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import IO

from cmokit.presentation.tabular import TABLE_CELL_WIDTH, cell_text, md_escape, to_jsonable

TABLE_SAMPLE = 1000


def write_rows(out: IO[str], fmt: str, columns: list[str], batches: Iterable[list[tuple]]) -> int:
    """Write the result to ``out`` in ``fmt`` (table, csv, json, markdown); return the number of rows."""
    writer = {"json": _json, "csv": _csv, "markdown": _markdown, "table": _table}[fmt]
    return writer(out, columns, batches)


def _json(out: IO[str], columns: list[str], batches: Iterable[list[tuple]]) -> int:
    n = 0
    for rows in batches:
        for r in rows:
            obj = json.dumps({k: to_jsonable(v) for k, v in zip(columns, r, strict=True)}, ensure_ascii=False,
                             indent=2)
            out.write(("[\n" if n == 0 else ",\n") + "\n".join("  " + line for line in obj.splitlines()))
            n += 1
    out.write("\n]\n" if n else "[]\n")
    return n


def _csv(out: IO[str], columns: list[str], batches: Iterable[list[tuple]]) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    n = 0
    for rows in batches:
        w.writerows([cell_text(v) for v in r] for r in rows)
        n += len(rows)
    return n


def _markdown(out: IO[str], columns: list[str], batches: Iterable[list[tuple]]) -> int:
    out.write("| " + " | ".join(md_escape(c) for c in columns) + " |\n")
    out.write("|" + "|".join(" --- " for _ in columns) + "|\n")
    n = 0
    for rows in batches:
        out.write("".join("| " + " | ".join(md_escape(cell_text(v)) for v in r) + " |\n" for r in rows))
        n += len(rows)
    return n


def _fit(s: str) -> str:
    s = s.replace("\r\n", " / ").replace("\n", " / ")
    return s if len(s) <= TABLE_CELL_WIDTH else s[: TABLE_CELL_WIDTH - 1] + "…"


def _table(out: IO[str], columns: list[str], batches: Iterable[list[tuple]]) -> int:
    it = iter(batches)
    sample: list[list[str]] = []
    for rows in it:
        sample += [[_fit(cell_text(v)) for v in r] for r in rows]
        if len(sample) >= TABLE_SAMPLE:
            break
    head = [_fit(c) for c in columns]
    widths = [max([len(head[i])] + [len(r[i]) for r in sample]) for i in range(len(columns))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n"

    out.write(line(head))
    out.write("  ".join("-" * w for w in widths) + "\n")
    buf = io.StringIO()
    for r in sample:
        buf.write(line(r))
    out.write(buf.getvalue())
    n = len(sample)
    for rows in it:  # the rest, as it comes
        out.write("".join(line([_fit(cell_text(v)) for v in r]) for r in rows))
        n += len(rows)
    out.write(f"({n} row{'s' * (n != 1)})\n")
    return n
