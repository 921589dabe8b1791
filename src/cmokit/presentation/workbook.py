"""Excel workbooks (.xlsx) for reviewers and analysts: ``cmokit export -f xlsx`` and the writers it shares with
``cmokit tables -f xlsx``.

Written with xlsxwriter (imported lazily, so ``cmokit --help`` stays fast), row by row (constant memory), atomically
(a temporary file in the target's folder, then ``os.replace``). Cells follow the package's conventions: lists of
codes as ``a; b``, booleans as yes/no, dates as real Excel dates, NULL as an empty cell; text is always written as
text (never turned into a formula, a link or a number). Nothing is cut: a cell longer than Excel holds (32,767
characters) or a sheet with more rows than Excel holds is refused with an error, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.package.model import Field, Resource, Review
from cmokit.synthesis.database import MISSING_SCHEMA, MISSING_TABLE
from cmokit.synthesis.ddl import q
from cmokit.synthesis.export import read_build_metadata, select_rows, table_names, with_missing_codes
from cmokit.synthesis.views import INVALID_LABEL

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
    """An open xlsxwriter ``Workbook``, its cell formats, and the data rows of its sheets as XML (by sheet index),
    spliced in when it is closed (:mod:`cmokit.presentation.sheet_xml`)."""

    wb: Any
    formats: dict[str, Any]
    rows: dict[int, tuple[bytes, str]] = field(default_factory=dict)


@contextmanager
def workbook(path: Path, created: dt.datetime | None = None) -> Iterator[Book]:
    """A workbook that becomes ``path`` when the block ends without error (else nothing is written).

    ``created`` (the document's creation time) keeps the file the same from one run to the next.
    """
    import xlsxwriter

    from cmokit.core.atomic import atomic_open

    with atomic_open(path, "wb") as fh:
        buffer = io.BytesIO()
        wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "nan_inf_to_errors": True,
                                          "default_date_format": "yyyy-mm-dd", **WORKBOOK_OPTIONS})
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
        book = Book(wb, formats)
        yield book
        wb.close()
        if book.rows:
            from cmokit.presentation.sheet_xml import splice

            splice(buffer.getvalue(), book.rows, fh)
        else:
            fh.write(buffer.getvalue())


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
    (capped); long or multi-line text wraps. ``label`` names the table in errors. Returns the worksheet.

    Text and numbers (nearly every cell) take a fast path; other values go through ``cell``."""
    label = label or name
    first = 1 if title else 0
    if first + 1 + len(rows) > MAX_ROWS:
        raise CmokitError(f"{label}: {len(rows):,} rows do not fit in an Excel sheet ({MAX_ROWS - 1 - first:,} at "
                          "most). Export it as Parquet or CSV instead (--format parquet).", rule="xlsx.too_many_rows")
    widths = [max(MIN_WIDTH, len(c) + 3) for c in columns]  # + room for the filter button
    for row in rows:
        for j, v in enumerate(row):
            if v is None:
                continue
            if type(v) is str:
                n = len(v) if "\n" not in v else max(len(line) for line in v.split("\n"))
            else:
                n = _width(*cell(v))
            if n >= widths[j]:
                widths[j] = n + 1
    widths = [min(w, MAX_WIDTH) for w in widths]
    fmt = book.formats
    text_fmt, wrap_fmt = fmt["text"], fmt["wrap"]
    ws = book.wb.add_worksheet(name)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    if title:
        ws.write_string(0, 0, title, fmt["title"])
    for j, c in enumerate(columns):
        ws.write_string(first, j, c, fmt["header"])
    from cmokit.presentation import sheet_xml as x

    names = x.column_names(len(columns))
    text_s, wrap_s, date_s, time_s = (f._get_xf_index() for f in (text_fmt, wrap_fmt, fmt["date"], fmt["datetime"]))
    out = []
    for i, row in enumerate(rows, first + 1):
        line = str(i + 1)
        cells = []
        for j, v in enumerate(row):
            if v is None:
                continue
            t = type(v)
            if t is str:
                kind, value = "text", v
            elif (t is int and abs(v) < EXACT_INT) or t is float:
                kind, value = "number", v
            else:
                kind, value = cell(v)
            ref = names[j] + line
            if kind == "text":
                if len(value) > MAX_CELL:
                    raise CmokitError(
                        f"{label}, row {i - first}, column {columns[j]}: {len(value):,} characters do not fit in an "
                        f"Excel cell ({MAX_CELL:,} at most). Export as Parquet or CSV instead.",
                        rule="xlsx.cell_too_long")
                cells.append(x.string_cell(ref, wrap_s if "\n" in value or len(value) > widths[j] else text_s,
                                           value))
            elif kind == "number":
                finite = value == value and value not in (float("inf"), float("-inf"))
                cells.append(x.number_cell(ref, text_s, value) if finite else x.error_cell(ref, text_s, value))
            elif kind in ("date", "datetime"):
                cells.append(x.date_cell(ref, date_s if kind == "date" else time_s, value))
        if cells:
            out.append((i, cells))
    if out:
        last = f"{names[-1]}{first + 1 + len(rows)}"
        book.rows[ws.index] = (x.rows_xml(iter(out)), last)
    ws.freeze_panes(first + 1, 0)
    if columns:
        ws.autofilter(first, 0, first + len(rows), len(columns) - 1)
    return ws


# ----------------------------------------------------------------------------------------------- forms: dropdowns
MAX_MESSAGE, MAX_TITLE, MAX_INLINE_LIST = 255, 32, 255  # Excel's limits for input messages, titles, inline lists
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at a word boundary (never inside a word) with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip(" ,;:.(") + "…"


def dropdown_codes(f: Field, resource: Resource) -> list[str] | None:
    """The values a coded or boolean field's dropdown offers: its codes (or yes/no values), then the missing-value
    codes (NR, NA) unless the field is required. None for a field without a fixed list."""
    codes = list(f.codes() or ())
    if not codes and f.type == "boolean":
        codes = [f.true_values[0], f.false_values[0]]
    if not codes:
        return None
    if not f.required:
        codes += [m for m in resource.missing_values if m and m not in codes]
    return codes


def input_message(f: Field, resource: Resource) -> str:
    """What Excel shows when a cell of the field is selected: its description, shortened to fit, then how to write
    several codes, and whether NR / NA are allowed (at most 255 characters)."""
    notes = []
    if f.multiple:
        notes.append("Several codes: pick one, then type the others after '; ' (e.g. a; b).")
    missing = [m for m in resource.missing_values if m]
    if f.required:
        notes.append("Required.")
    elif missing:
        notes.append(f"Not reported: {'NR' if 'NR' in missing else missing[0]}."
                     + (" Not applicable: NA." if "NA" in missing else ""))
    tail = " ".join(notes)
    room = MAX_MESSAGE - len(tail) - 1
    return (shorten(f.description, room) + " " + tail).strip() if f.description else tail


class Lists:
    """The hidden sheet of dropdown lists: one column per coded field, each behind a defined name (Excel refuses an
    inline list over 255 characters). Written last, row by row (the workbook is in constant-memory mode)."""

    def __init__(self, book: Book):
        self.book = book
        self.columns: list[list[str]] = []
        self.names: dict[tuple[str, ...], str] = {}

    def name(self, key: str, codes: list[str]) -> str:
        """The defined name of a list (lists with the same codes share one)."""
        from cmokit.package.xlsx_reader import LISTS_SHEET

        found = self.names.get(tuple(codes))
        if found:
            return found
        col = len(self.columns)
        self.columns.append([key, *codes])
        name = "cmokit_" + re.sub(r"[^A-Za-z0-9_]", "_", key)
        letter = _letter(col)
        self.book.wb.define_name(name, f"={LISTS_SHEET}!${letter}$2:${letter}${len(codes) + 1}")
        self.names[tuple(codes)] = name
        return name

    def write(self) -> None:
        from cmokit.package.xlsx_reader import LISTS_SHEET

        ws = self.book.wb.add_worksheet(LISTS_SHEET)
        ws.hide()
        for i in range(max((len(c) for c in self.columns), default=0)):
            for j, col in enumerate(self.columns):
                if i < len(col):
                    ws.write_string(i, j, col[i])


def _letter(index: int) -> str:
    from cmokit.package.xlsx_reader import column_letter

    return column_letter(index + 1)


def validation(f: Field, resource: Resource, lists: Lists) -> dict[str, Any]:
    """The data validation of a field's cells: a dropdown for coded and yes/no fields, whole-number, decimal or date
    checks for typed fields (NR / NA stay possible where allowed: the check warns, the reviewer may keep the value),
    and always the input message."""
    opts: dict[str, Any] = {"validate": "any", "input_title": f.name[:MAX_TITLE],
                            "input_message": input_message(f, resource), "ignore_blank": True}
    codes = dropdown_codes(f, resource)
    strict = f.required or not [m for m in resource.missing_values if m]
    if codes:
        opts.update(validate="list", source=f"={lists.name(f'{resource.name}.{f.name}', codes)}",
                    error_title="Not a code"[:MAX_TITLE],
                    error_message=shorten(f"Choose a code from the list: {', '.join(codes)}.", MAX_MESSAGE))
        if f.multiple:  # several codes 'a; b' are not in the list: the dropdown helps, it does not refuse
            opts["show_error"] = False
        return opts
    low, high = f.minimum, f.maximum
    kind = {"integer": "integer", "year": "integer", "number": "decimal", "date": "date"}.get(f.type)
    if kind is None:
        return opts
    if kind == "date":
        low = dt.datetime.fromisoformat(str(low)) if low is not None else dt.datetime(1900, 1, 1)
        high = dt.datetime.fromisoformat(str(high)) if high is not None else None
    base = {"date": "a date", "integer": "a whole number", "decimal": "a number"}[kind]
    what = base + (" (YYYY-MM-DD)" if kind == "date" else "")
    if low is not None and high is not None:
        opts.update(validate=kind, criteria="between", minimum=low, maximum=high)
        what += f" from {_bound(low)} to {_bound(high)}"
    elif low is not None:
        opts.update(validate=kind, criteria=">=", value=low)
        what += f" of at least {_bound(low)}"
    elif high is not None:
        opts.update(validate=kind, criteria="<=", value=high)
        what += f" of at most {_bound(high)}"
    else:
        opts.update(validate=kind, criteria="between", minimum=-1e300 if kind == "decimal" else -2**31,
                    maximum=1e300 if kind == "decimal" else 2**31 - 1)
    keep = "" if strict else " Not reported or not applicable? Type NR or NA and choose Yes to keep it."
    opts.update(error_type="stop" if strict else "warning", error_title=f"Not {base}"[:MAX_TITLE],
                error_message=shorten(f"Type {what}.{keep}", MAX_MESSAGE))
    return opts


def _bound(v: Any) -> str:
    return v.date().isoformat() if isinstance(v, dt.datetime) else str(int(v) if float(v).is_integer() else v)


def add_validations(ws: Any, resource: Resource, columns: Sequence[str], lists: Lists, first_row: int = 1) -> None:
    """Dropdowns, typed checks and input messages on the columns of ``resource``'s fields, from ``first_row`` (0-based)
    to the last row of the sheet."""
    for j, name in enumerate(columns):
        if name in resource.field_names:
            ws.data_validation(first_row, j, MAX_ROWS - 1, j, validation(resource.field(name), resource, lists))


# ----------------------------------------------------------------------------------------------- the database export
README_SHEET = "README"
MISSING_CONVENTION = [("(empty cell)", "not yet extracted"), ("NR", "not reported in the study"),
                      ("NA", "not applicable")]


def export_xlsx(db_path: Path, out_dir: Path, review: Review | None = None) -> Path:
    """Write ``out_dir/<package name>.xlsx`` (``out_dir`` created): a README sheet, then one sheet per table of the
    database, as :func:`cmokit.synthesis.export.export` writes them as files; with ``review``, in the package's order
    and with the forms' dropdowns (:func:`export_connection`)."""
    from cmokit.synthesis.database import connect_readonly

    out_dir.mkdir(parents=True, exist_ok=True)
    con = connect_readonly(db_path, sandbox=False)
    try:
        return export_connection(con, out_dir, review)
    finally:
        con.close()


def package_order(tables: list[tuple[str, str]], review: Review | None) -> list[tuple[str, str]]:
    """The review's tables in the package's order (studies first), then cmokit's own tables, then the
    ``missing`` shadows in the package's order; without a review, as given."""
    if review is None:
        return tables
    rank = {r.name: i for i, r in enumerate(review.resources)}

    def key(st: tuple[str, str]) -> tuple:
        schema, table = st
        return (schema != "main", schema, table not in rank, rank.get(table, 0), table)

    return sorted(tables, key=key)


def export_connection(con, out_dir: Path, review: Review | None = None) -> Path:
    """Write ``out_dir/<package name>.xlsx``: a README sheet, then one sheet per table (:func:`package_order`).

    Cells as in the CSV export (lists ``a; b``, booleans yes/no, NULL empty) but dates are Excel dates, and a cell
    that is NULL because the review's CSV holds a missing-value code shows that code (from the table's shadow in the
    ``missing`` schema), so that nothing is lost: an empty cell means not yet extracted. With ``review``, the sheets
    of the review's tables carry the dropdowns and checks of ``cmokit template --format xlsx``, so the export can
    be filled in as a form; the workbook names its other sheets, which cmokit does not read back.
    """
    from cmokit.package.xlsx_reader import LISTS_SHEET, OWN_SHEETS_PROPERTY

    tables = package_order(table_names(con), review)
    labels = [t if s == "main" else f"{s}.{t}" for s, t in tables]
    sheets = sheet_names(labels, reserved=[README_SHEET, LISTS_SHEET])
    meta = read_build_metadata(con)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(meta.get("package_name") or "")).strip("._") or "review"
    path = out_dir / f"{stem}.xlsx"
    forms = {r.name: r for r in _extraction_tables(review)}
    with workbook(path, created=meta.get("built_at")) as book:
        _readme(book, con, meta, tables, labels, sheets)
        lists = Lists(book)
        for (schema, table), label, sheet in zip(tables, labels, sheets, strict=True):
            columns, rows = select_rows(con, schema, table)
            if schema == "main" and (MISSING_SCHEMA, table) in tables:
                rows = with_missing_codes(columns, rows, *select_rows(con, MISSING_SCHEMA, table), label=label)
            ws = write_table(book, sheet, columns, rows, label=label)
            if schema == "main" and table in forms and sheet == table:
                add_validations(ws, forms[table], columns, lists, first_row=1)
                if table == next(iter(forms)):
                    ws.activate()
        if lists.columns:
            lists.write()
        book.wb.set_custom_property(OWN_SHEETS_PROPERTY, "\n".join(
            s for (schema, table), s in zip(tables, sheets, strict=True) if not (schema == "main" and table in forms)))
    return path


def _extraction_tables(review: Review | None) -> list[Resource]:
    if review is None:
        return []
    from cmokit.package.submission import extraction_resources

    return extraction_resources(review)


def _readme(book, con, meta: dict[str, Any], tables: list[tuple[str, str]], labels: list[str],
            sheets: list[str]) -> None:
    """The first sheet: what the workbook is, the missing-value convention, and a linked list of the sheets."""
    from cmokit import __version__

    fmt = book.formats
    ws = book.wb.add_worksheet(README_SHEET)
    for j, width in enumerate((26, 44, 10, 90)):
        ws.set_column(j, j, width)
    ws.write_string(0, 0, str(meta.get("package_title") or meta.get("package_name") or "Review database"),
                    fmt["title"])
    about = [("Package", meta.get("package_name")), ("Version", meta.get("package_version")),
             ("Built at (UTC)", meta.get("built_at")), ("Built with cmokit", meta.get("cmokit_version")),
             ("Exported with cmokit", __version__), ("Forced over validation errors", meta.get("forced"))]
    r = 2
    for key, value in about:
        ws.write_string(r, 0, key, fmt["bold"])
        kind, value = cell(value)
        if kind == "datetime":
            ws.write_datetime(r, 1, value, fmt["datetime"])
        elif kind != "blank":
            ws.write_string(r, 1, str(value), fmt["text"])
        r += 1
    convention = list(MISSING_CONVENTION)
    try:
        extra = con.execute(f"SELECT DISTINCT code, label FROM {MISSING_TABLE} WHERE code NOT IN ('', 'NR', 'NA') "
                            "AND label != $invalid ORDER BY code", {"invalid": INVALID_LABEL}).fetchall()
        convention += [(c, lbl) for c, lbl in extra]
    except Exception:  # noqa: BLE001 - no missing_cells view: the standard convention only
        pass
    r += 1
    ws.write_string(r, 0, "Missing values", fmt["bold"])
    for code, meaning in convention:
        r += 1
        ws.write_string(r, 0, code, fmt["text"])
        ws.write_string(r, 1, meaning, fmt["text"])
    notes = ["A cell missing with a code shows the code (the database column holds NULL there; the missing.<table> "
             "sheets list every cell's code, and missing_cells in the database).",
             "Lists of codes are written 'a; b', yes/no fields as yes or no, dates as Excel dates.",
             "Sheet names are the table names (cut to Excel's 31 characters where needed; see the list below)."]
    if meta.get("forced"):
        notes.append("This database was built over validation errors: a cell that did not convert shows its text as "
                     "written in the review; the validation_problems sheet lists the errors.")
    for note in notes:
        r += 1
        ws.write_string(r, 0, note, fmt["text"])
    r += 2
    for j, h in enumerate(("Sheet", "Table", "Rows", "Description")):
        ws.write_string(r, j, h, fmt["header"])
    comments = dict(((s, t), c) for s, t, c in con.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall())
    for (schema, table), label, sheet in zip(tables, labels, sheets, strict=True):
        r += 1
        n = con.execute(f"SELECT count(*) FROM {q(schema)}.{q(table)}").fetchone()[0]
        ws.write_url(r, 0, "internal:'" + sheet.replace("'", "''") + "'!A1", fmt["link"], string=sheet)
        ws.write_string(r, 1, label, fmt["text"])
        ws.write_number(r, 2, n, fmt["text"])
        if comments.get((schema, table)):
            ws.write_string(r, 3, comments[(schema, table)], fmt["wrap"])
