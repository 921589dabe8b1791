"""Rows as people and programs read them: aligned text, CSV, JSON (an array of row objects) or a Markdown table.

Values follow the package's conventions: NULL -> empty, lists as ``'; '``-separated codes, booleans yes/no, dates ISO.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import uuid
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.synthesis.query import QueryResult

FORMATS = ("table", "csv", "json", "markdown")
TABLE_CELL_WIDTH = 60


def to_jsonable(v: Any) -> Any:
    """A value as JSON can hold it: dates ISO, decimals as numbers, lists and structs recursively."""
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, list | tuple):
        return [to_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_jsonable(x) for k, x in v.items()}
    return v


def cell_text(v: Any) -> str:
    """A value as text: NULL -> '', lists as '; '-separated codes (the package's own convention)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list | tuple):
        return "; ".join(cell_text(x) for x in v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v)


def render(result: QueryResult, fmt: str = "table") -> str:
    """Render a result as ``table`` (aligned text), ``csv``, ``json`` (array of row objects) or ``markdown``."""
    if fmt == "json":
        return json.dumps([{k: to_jsonable(v) for k, v in r.items()} for r in result.records()],
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(result.columns)
        for r in result.rows:
            w.writerow([cell_text(v) for v in r])
        return buf.getvalue()
    if fmt == "markdown":
        return markdown_table(result.columns, [[cell_text(v) for v in r] for r in result.rows])
    if fmt == "table":
        return text_table(result.columns, [[cell_text(v) for v in r] for r in result.rows])
    raise CmokitError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)}).", rule="usage")


def md_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (line breaks in cells become <br>)."""
    lines = ["| " + " | ".join(md_escape(c) for c in columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    lines += ["| " + " | ".join(md_escape(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def text_table(columns: list[str], rows: list[list[str]], width: int = TABLE_CELL_WIDTH) -> str:
    """Aligned plain text for people; long cells are cut at ``width`` characters with '…'."""
    def fit(s: str) -> str:
        s = s.replace("\r\n", " / ").replace("\n", " / ")
        return s if len(s) <= width else s[: width - 1] + "…"

    cells = [[fit(c) for c in columns]] + [[fit(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    out = []
    for n, r in enumerate(cells):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append(f"({len(rows)} row{'s' * (len(rows) != 1)})")
    return "\n".join(out) + "\n"
