"""Excel workbooks (.xlsx) for reviewers and analysts: the helpers ``cmokit export`` and ``cmokit tables`` share.

Written with xlsxwriter (imported lazily, so ``cmokit --help`` stays fast), row by row (constant memory), atomically
(a temporary file in the target's folder, then ``os.replace``). Cells follow the package's conventions: lists of
codes as ``a; b``, booleans as yes/no, dates as real Excel dates, NULL as an empty cell; text is always written as
text (never turned into a formula, a link or a number). Nothing is cut: a cell longer than Excel holds (32,767
characters) or a sheet with more rows than Excel holds is refused with an error, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmokit.errors import CmokitError

MAX_ROWS = 1_048_576  # rows of a sheet, header included
MAX_CELL = 32_767  # characters of a cell
MAX_SHEET_NAME = 31
MIN_WIDTH, MAX_WIDTH = 8, 60  # column widths, in characters
EXACT_INT = 2**53  # integers beyond this lose digits as Excel numbers: written as text
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_names(names: Iterable[str], reserved: Iterable[str] = ()) -> list[str]:
    """Excel-safe sheet names for ``names``, in order: at most 31 characters, no ``[]:*?/\\``, unique (Excel
    compares them case-insensitively) among themselves and with ``reserved``."""
    taken = {r.casefold() for r in reserved}
    out = []
    for name in names:
        base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "sheet"
        candidate, n = base[:MAX_SHEET_NAME], 1
        while candidate.casefold() in taken or candidate.casefold() == "history":  # 'History' is reserved by Excel
            n += 1
            suffix = f"~{n}"
            candidate = base[:MAX_SHEET_NAME - len(suffix)] + suffix
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


@dataclass
class Book:
    """An open xlsxwriter ``Workbook`` and its cell formats."""

    wb: Any
    formats: dict[str, Any]


@contextmanager
def workbook(path: Path, created: dt.datetime | None = None) -> Iterator[Book]:
    """A workbook that becomes ``path`` when the block ends without error (else nothing is written).

    ``created`` (the document's creation time) keeps the file the same from one run to the next.
    """
    import xlsxwriter

    from cmokit.atomic import atomic_open

    with atomic_open(path, "wb") as fh:
        wb = xlsxwriter.Workbook(fh, {"constant_memory": True, "nan_inf_to_errors": True,
                                      "default_date_format": "yyyy-mm-dd"})
        if created is not None:
            wb.set_properties({"created": _naive_utc(created)})
        formats = {
            "title": wb.add_format({"bold": True, "font_size": 12}),
            "header": wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1}),
            "bold": wb.add_format({"bold": True, "valign": "top"}),
            "text": wb.add_format({"valign": "top"}),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "date": wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top", "align": "left"}),
            "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top", "align": "left"}),
            "link": wb.add_format({"font_color": "blue", "underline": 1, "valign": "top"}),
        }
        yield Book(wb, formats)
        wb.close()


def _naive_utc(value: dt.datetime) -> dt.datetime:
    """Excel has no time zones: an aware time as naive UTC."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def cell(value: Any) -> tuple[str, Any]:
    """(kind, value) of a database value as Excel should hold it: kind is blank, text, number, date or datetime."""
    if value is None:
        return "blank", None
    if isinstance(value, bool):
        return "text", "yes" if value else "no"
    if isinstance(value, int) and abs(value) >= EXACT_INT:
        return "text", str(value)
    if isinstance(value, int | float | Decimal):
        return "number", float(value) if isinstance(value, Decimal) else value
    if isinstance(value, dt.datetime):
        value = _naive_utc(value)
        return ("datetime", value) if value.year >= 1900 else ("text", value.isoformat(sep=" "))
    if isinstance(value, dt.date):
        return ("date", value) if value.year >= 1900 else ("text", value.isoformat())
    if isinstance(value, list | tuple):
        return "text", "; ".join(str(v) for v in value if v is not None)
    return "text", str(value)


def _width(kind: str, value: Any) -> int:
    if kind == "blank":
        return 0
    if kind == "date":
        return 10
    if kind == "datetime":
        return 19
    text = value if kind == "text" else str(value)
    return max((len(line) for line in text.split("\n")), default=0)


def write_table(book: Book, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                title: str | None = None, label: str | None = None) -> Any:
    """Add sheet ``name`` holding a table: an optional ``title`` row, then the header (bold, frozen, with an
    autofilter), then ``rows`` (database values, converted by ``cell``). Columns get widths fitted to their text
    (capped); long or multi-line text wraps. ``label`` names the table in errors. Returns the worksheet."""
    label = label or name
    first = 1 if title else 0
    if first + 1 + len(rows) > MAX_ROWS:
        raise CmokitError(f"{label}: {len(rows):,} rows do not fit in an Excel sheet ({MAX_ROWS - 1 - first:,} at "
                          "most). Export it as Parquet or CSV instead (--format parquet).", rule="xlsx.too_many_rows")
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(MIN_WIDTH, len(c) + 3) for c in columns]  # + room for the filter button
    for row in cells:
        for j, (kind, value) in enumerate(row):
            widths[j] = max(widths[j], _width(kind, value) + 1)
    widths = [min(w, MAX_WIDTH) for w in widths]
    fmt = book.formats
    ws = book.wb.add_worksheet(name)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    if title:
        ws.write_string(0, 0, title, fmt["title"])
    for j, c in enumerate(columns):
        ws.write_string(first, j, c, fmt["header"])
    for i, row in enumerate(cells, first + 1):
        for j, (kind, value) in enumerate(row):
            if kind == "text":
                if len(value) > MAX_CELL:
                    raise CmokitError(
                        f"{label}, row {i - first}, column {columns[j]}: {len(value):,} characters do not fit in an "
                        f"Excel cell ({MAX_CELL:,} at most). Export as Parquet or CSV instead.",
                        rule="xlsx.cell_too_long")
                long = "\n" in value or len(value) > widths[j]
                ws.write_string(i, j, value, fmt["wrap"] if long else fmt["text"])
            elif kind == "number":
                ws.write_number(i, j, value, fmt["text"])
            elif kind == "date":
                ws.write_datetime(i, j, value, fmt["date"])
            elif kind == "datetime":
                ws.write_datetime(i, j, value, fmt["datetime"])
    ws.freeze_panes(first + 1, 0)
    if columns:
        ws.autofilter(first, 0, first + len(cells), len(columns) - 1)
    return ws
