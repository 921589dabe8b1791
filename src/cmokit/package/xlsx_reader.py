"""Read a reviewer's Excel workbook (.xlsx) as tables: one sheet per table, named after it.

A sheet becomes the same :class:`~cmokit.package.reader.Table` as a CSV file (a frame of String columns named by
field, ``__line`` = the sheet's row number, header = row 1), so every check runs unchanged; :class:`SheetTable` adds
the sheet's name and the column letter of each field, so that every problem names its cell (``studies!C14``).

Cells become the text a CSV would hold: numbers as written (``3.0`` in an integer field is ``3``), booleans as
the field's true/false value, a date as ISO text only where the field is a date (anywhere else it is reported,
``xlsx.date``: Excel turned what was typed into a date). What Excel holds that a CSV cannot is reported with its
own rule: a formula (``xlsx.formula``: its saved result is never taken silently), an error value (``xlsx.error_value``),
merged cells (``xlsx.merged``), hidden rows or columns (``xlsx.hidden_row``, ``xlsx.hidden_column``, warnings: they are
read), a value in a column without a header (``xlsx.no_header``), a literal apostrophe before a number, date or code
(``xlsx.apostrophe``). LibreOffice's dropdowns accept a code in any case, so a code that differs from the codebook's
only by case is read as the codebook's code, with a warning (``xlsx.code_case``).

The workbook is read with openpyxl in read-only mode, one streaming pass per sheet. Its public read-only worksheet
drops what this module must report (hidden rows and columns, merged ranges) and gives either a formula or its saved
value, never both; so each sheet's XML goes through openpyxl's own worksheet parser (``WorkSheetParser``) with a
cell reader that keeps both (:mod:`cmokit.package.xlsx_cells`): values and formulas are inspected in the same pass.
openpyxl is pinned to 3.1 (pyproject.toml) because that parser is not part of its public API.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from xml.etree import ElementTree

from cmokit.core.problems import WARNING, Problem
from cmokit.package.header import header_problems
from cmokit.package.model import Field, Resource
from cmokit.package.reader import LINE, RAGGED, Table
from cmokit.package.xlsx_cells import (
    Sheet,
    case_map,
    cell_kind,
    column_letter,
    header_problem,
    header_texts,
    parser_class,
    quote_sheet,
)

__all__ = ["SheetTable", "column_letter", "contents", "first_cell", "quote_sheet", "read_any", "read_sheet",
           "read_workbook", "renamed_table", "with_cells"]

README_SHEET = "README"
LISTS_SHEET = "lists"  # the hidden sheet holding the dropdown lists of a cmokit workbook
OWN_SHEETS_PROPERTY = "cmokit_other_sheets"  # custom property: sheets cmokit wrote that are not forms
SUPERSEDING = ("xlsx.formula", "xlsx.error_value", "xlsx.date", "xlsx.apostrophe")  # a cell's only report
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: an encrypted .xlsx, or an old .xls
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"


@dataclass
class SheetTable(Table):
    """A table read from a sheet: ``sheet`` is its name, ``letters`` the column letter of each field."""

    sheet: str = ""
    letters: dict[str, str] = field(default_factory=dict)

    def cell(self, fld: str | None, line: int | None) -> str | None:
        """The address ``sheet!C14`` of a field's cell on a row (``sheet!14:14`` for a whole row)."""
        if line is None:
            return None
        letter = self.letters.get(fld or "")
        return f"{quote_sheet(self.sheet)}!{letter}{line}" if letter else f"{quote_sheet(self.sheet)}!{line}:{line}"


@dataclass
class WorkbookContents:
    """What a workbook holds, from its table of contents: sheet names and states, and the sheets cmokit wrote that
    are not forms. ``error`` (rule, message) when the file is not a readable workbook."""

    sheets: dict[str, str] = field(default_factory=dict)  # name -> visible | hidden | veryHidden
    own: set[str] = field(default_factory=set)
    error: tuple[str, str] | None = None


def contents(file: Path) -> WorkbookContents:
    """The sheets of a workbook, read from its table of contents only (``xl/workbook.xml``, and the custom
    properties), without loading the cells: enough to know which tables a submission holds.

    Done with zipfile and ElementTree because openpyxl has no call that lists sheets without reading every string
    of the workbook first.
    """
    out = WorkbookContents()
    try:
        with open(file, "rb") as fh:
            head = fh.read(8)
            if head == CFB_MAGIC:
                fh.seek(0)
                data = fh.read()
                if ENCRYPTED_MARK in data:
                    out.error = ("xlsx.password", "the workbook is protected by a password, so it cannot be read. "
                                                  "Open it, remove the password (File > Info > Protect Workbook > "
                                                  "Encrypt with Password: clear it) and save it again.")
                else:
                    out.error = ("xlsx.unreadable", "this is an old Excel 97-2003 workbook (.xls) with an .xlsx "
                                                    "name. Open it and save it as 'Excel Workbook (.xlsx)'.")
                return out
        with zipfile.ZipFile(file) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names:
                what = "an OpenDocument (.ods) spreadsheet" if "content.xml" in names else "a zip file"
                out.error = ("xlsx.unreadable", f"this is {what}, not an Excel workbook. Save it as 'Excel "
                                                "Workbook (.xlsx)'.")
                return out
            root = ElementTree.fromstring(z.read("xl/workbook.xml"))
            for s in root.iter(f"{_NS}sheet"):
                out.sheets[s.get("name", "")] = s.get("state", "visible")
            if "docProps/custom.xml" in names:
                props = ElementTree.fromstring(z.read("docProps/custom.xml"))
                for p in props.iter(f"{_CUSTOM_NS}property"):
                    if p.get("name") == OWN_SHEETS_PROPERTY:
                        text = "".join(p.itertext())
                        out.own = {s for s in text.split("\n") if s}
    except OSError as exc:
        out.error = ("file.missing", f"cannot be read ({exc.strerror or exc}).")
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError):
        out.error = ("xlsx.unreadable", "this file is not an Excel workbook (it is not a valid .xlsx file). Save "
                                        "the spreadsheet as 'Excel Workbook (.xlsx)', or as 'CSV UTF-8' one file "
                                        "per table.")
    return out


def renamed_table(sheet: str, tables: Iterable[str]) -> str | None:
    """The table a sheet's name seems meant for ('Studies', 'studies (2)', 'stuides'), or None."""
    names = list(tables)
    fold = {n.casefold(): n for n in names}
    base = re.sub(r"\s*\(\d+\)$|\s+copy$|\s*-\s*copy$", "", sheet.strip(), flags=re.I).casefold().replace(" ", "_")
    if base in fold:
        return fold[base]
    close = get_close_matches(base, list(fold), n=1, cutoff=0.8)
    return fold[close[0]] if close else None


def read_workbook(resources: list[Resource], file: Path, shown: str, tables: Iterable[str] = (), *,
                  header_row: int = 1) -> tuple[dict[str, SheetTable], list[Problem]]:
    """Read the sheets named after ``resources`` (each once); return the tables and the workbook's own problems
    (unreadable file, renamed or unknown sheets, judged against the names ``tables`` and those of ``resources``).
    A resource whose sheet is absent gets no table."""
    info = contents(file)
    if info.error:
        rule, message = info.error
        return {}, [Problem(rule=rule, message=f"{shown}: {message}", path=shown)]
    names = {r.name for r in resources} | set(tables)
    problems: list[Problem] = []
    for sheet in info.sheets:
        if sheet in names or sheet in (README_SHEET, LISTS_SHEET) or sheet in info.own:
            continue
        meant = renamed_table(sheet, names)
        if meant and meant not in info.sheets:
            problems.append(Problem(rule="xlsx.sheet_renamed", path=shown, resource=meant, value=sheet, sheet=sheet,
                                    message=f"sheet '{sheet}' seems to hold table '{meant}', but sheets are read "
                                            f"only under the table's exact name: rename the sheet '{meant}'."))
        else:
            problems.append(Problem(rule="xlsx.sheet_unknown", severity=WARNING, path=shown, value=sheet, sheet=sheet,
                                    message=f"sheet '{sheet}' is not a table of this review and was not read; "
                                            f"sheets are read under the tables' names: {', '.join(sorted(names))}."))
    wanted = [r for r in resources if r.name in info.sheets]
    if not wanted:
        return {}, problems
    import openpyxl

    try:
        wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a damaged workbook: say so, never a traceback
        return {}, problems + [Problem(rule="xlsx.unreadable", path=shown,
                                       message=f"{shown}: the workbook cannot be read ({type(exc).__name__}: "
                                               f"{str(exc)[:200]}). Open it in Excel or LibreOffice and save it again "
                                               "as 'Excel Workbook (.xlsx)'.")]
    try:
        found = {r.name: _read_sheet(wb, wb[r.name], r, shown, header_row) for r in wanted}
    finally:
        wb.close()
    return found, problems


def read_sheet(resource: Resource, file: Path, shown: str, *, header_row: int = 1) -> SheetTable:
    """One resource's sheet of a workbook (its workbook-level problems go into the table's problems)."""
    tables, problems = read_workbook([resource], file, shown, header_row=header_row)
    table = tables.get(resource.name) or SheetTable(resource=resource, path=shown, sheet=resource.name)
    if resource.name not in tables and not problems:
        problems = [Problem(rule="file.missing", path=shown, resource=resource.name,
                            message=f"{shown}: has no sheet named '{resource.name}'.")]
    table.problems = [p for p in problems if p.resource in (None, resource.name)] + table.problems
    return table


def first_cell(file: Path, sheet: str) -> str:
    """The text of cell A1 of a sheet ('' when empty or absent)."""
    import openpyxl

    wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        if sheet not in wb.sheetnames:
            return ""
        value = wb[sheet].cell(1, 1).value
        return "" if value is None else str(value)
    finally:
        wb.close()


def read_any(resource: Resource, file: Path, shown: str) -> Table:
    """A table file of either kind: a CSV file, or the resource's sheet of a workbook."""
    if file.suffix.lower() == ".xlsx":
        return read_sheet(resource, file, shown)
    from cmokit.package.reader import read_table

    return read_table(resource, file, shown)


def with_cells(problems: list[Problem], tables: Iterable[Table]) -> list[Problem]:
    """``problems`` with the sheet and cell of every problem found in a sheet's table (matched by file and
    resource; the field's column and the row give the cell)."""
    sheets = {(t.path, t.resource.name): t for t in tables if isinstance(t, SheetTable)}
    if not sheets:
        return problems
    out = []
    for p in problems:
        t = sheets.get((p.path, p.resource))
        if t is not None and p.sheet is None:
            p = replace(p, sheet=t.sheet, cell=t.cell(p.field, p.line))
        out.append(p)
    return out


# ----------------------------------------------------------------------------------------------- one sheet
def _read_sheet(wb, ws, resource: Resource, shown: str, header_row: int = 1) -> SheetTable:
    """Stream one sheet into a SheetTable (header on ``header_row``; rows above it are skipped)."""
    import polars as pl

    reader = Sheet(resource, shown, ws.title)
    table = SheetTable(resource=resource, path=shown, sheet=ws.title)
    parser = parser_class()(wb._archive.open(ws._worksheet_path), ws._shared_strings, data_only=True,
                             epoch=wb.epoch, date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
    header: list[str] | None = None
    keep: dict[int, str] = {}
    columns: dict[int, list[str]] = {}
    lines: list[int] = []
    specs: dict[int, tuple[Field, str, dict[str, str] | None, str]] = {}
    outside: dict[int, int] = {}  # column -> first row with a value but no header
    rows_read: set[int] = set()
    try:
        for row, cells in parser.parse():
            if row < header_row:
                continue
            if header is None:
                header = header_texts(cells)
                keep = header_problems(header, resource, lambda *a: header_problem(reader, header_row, *a))
                for pos, name in keep.items():
                    f = resource.field(name)
                    specs[pos + 1] = (f, cell_kind(f), case_map(f, resource), column_letter(pos + 1))
                    columns[pos + 1] = []
                continue
            values = {c["column"]: c for c in cells if c["value"] is not None or "formula" in c}
            if not any(c["value"] != "" or "formula" in c for c in values.values()):
                continue  # an empty row, as a blank line of a CSV
            rows_read.add(row)
            lines.append(row)
            for col, out in columns.items():
                c = values.get(col)
                if c is None:
                    out.append("")
                    continue
                f, kind, codes, letter = specs[col]
                text = reader.text(f, kind, c, row, letter)
                if codes and text:
                    text = reader.code(f, codes, text, row, letter)
                out.append(text)
            for col in values:
                if col > len(header):
                    outside.setdefault(col, row)
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: say so, never a traceback
        reader.problem("xlsx.unreadable", f"{shown}: sheet '{ws.title}' cannot be read ({type(exc).__name__}: "
                       f"{str(exc)[:200]}). Open the workbook and save it again.")
        table.problems = reader.problems
        return table
    if header is None or not any(h.strip() for h in header):
        reader.problem("file.empty", f"sheet '{ws.title}' has no header row. Row {header_row} must name the columns "
                       f"({', '.join(resource.field_names[:4])}, ...). Run `cmokit template --format xlsx` for a "
                       "blank form.", header_row, cell=f"A{header_row}")
        table.problems = reader.problems
        return table
    for col, row in sorted(outside.items()):
        reader.problem("xlsx.no_header", f"column {column_letter(col)} holds values (from row {row}) but has no "
                       "header, so it was not read. Name the column after a field, or delete its values.", row,
                       cell=f"{column_letter(col)}{row}")
    _layout_problems(reader, parser, header, keep, rows_read, header_row)
    table.header = header
    table.letters = {name: column_letter(pos + 1) for pos, name in keep.items()}
    data: dict[str, list] = {keep[col - 1]: values for col, values in columns.items()}
    schema = {**{name: pl.String for name in data}, LINE: pl.Int64, RAGGED: pl.Boolean}
    table.frame = pl.DataFrame({**data, LINE: lines, RAGGED: [False] * len(lines)}, schema=schema)
    table.problems = reader.problems
    return table


def _layout_problems(reader: Sheet, parser, header: list[str], keep: dict[int, str], rows: set[int],
                     header_row: int) -> None:
    """Merged cells, hidden rows and hidden columns of the read part of the sheet."""
    from openpyxl.utils.cell import range_boundaries

    fields = {pos + 1: name for pos, name in keep.items()}
    merged = getattr(parser.merged_cells, "mergeCell", None) or []
    for m in merged:
        min_col, min_row, max_col, max_row = range_boundaries(m.ref)
        first = f"{column_letter(min_col)}{min_row}"
        reader.problem("xlsx.merged", f"cells {m.ref} are merged: a merged range keeps its value in {first} only, "
                       "so the other cells would be read as empty. Unmerge them (Merge & Center off) and type the "
                       "value in every cell.", min_row, fields.get(min_col), None, first)
    hidden = sorted(int(r) for r, attrs in parser.row_dimensions.items()
                    if attrs.get("hidden") in ("1", "true") and int(r) in rows)
    for start, end in _runs(hidden):
        span = f"row {start} is" if start == end else f"rows {start}-{end} are"
        reader.problem("xlsx.hidden_row", f"{span} hidden (or filtered out); hidden rows are read and checked like "
                       "the others. Unhide them (or clear the filter) to see what is submitted.", start,
                       severity=WARNING)
    for attrs in parser.column_dimensions.values():
        if attrs.get("hidden") not in ("1", "true"):
            continue
        for col in range(int(attrs.get("min", 0)), int(attrs.get("max", 0)) + 1):
            if col in fields:
                reader.problem("xlsx.hidden_column", f"column {column_letter(col)} ({fields[col]}) is hidden; it is "
                               "read and checked like the others. Unhide it to see what is submitted.", header_row,
                               fields[col], None, f"{column_letter(col)}{header_row}", WARNING)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n in numbers:
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out
