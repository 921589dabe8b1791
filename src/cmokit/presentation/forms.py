"""The Excel extraction form: ``cmokit template --reviewer ID --format xlsx`` writes ``extract/reviewers/ID/ID.xlsx``.

A README sheet (how to fill the form and submit it, the missing-value convention, the codes with their labels), then
one sheet per table in the package's order: the header row (the fields' names, bold, frozen; required fields in
another colour), columns sized to their content, and on every column the field's input message and its check (a
dropdown from the codebook for coded and yes/no fields, whole-number / decimal / date checks for typed fields), from
:func:`cmokit.presentation.workbook.add_validations`, which the export shares. The dropdown lists live on a hidden
sheet. Written with XlsxWriter, atomically, never over an existing file.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from cmokit.extraction.normalise import field_kind
from cmokit.extraction.template import form_folder, refuse_existing
from cmokit.package.model import Field, Resource, Review
from cmokit.package.submission import REVIEWERS_DIR, extraction_resources
from cmokit.package.xlsx_reader import README_SHEET
from cmokit.presentation.workbook import MAX_WIDTH, Lists, add_validations, workbook

HEADER_COLOUR, REQUIRED_COLOUR = "#DDEBF7", "#FCE4D6"


def _width(f: Field) -> int:
    """A column width that fits the field's name and what it holds."""
    codes = f.codes() or ((f.true_values[0], f.false_values[0]) if f.type == "boolean" else ())
    if codes:
        content = max(len(c) for c in codes) + 4  # + the dropdown's button
    elif f.type in ("integer", "number", "year"):
        content = 10
    elif f.type in ("date", "datetime"):
        content = 12 if f.type == "date" else 20
    else:
        content = 40 if field_kind(f) == "text" and f.name not in ("study_id",) and not f.pattern else 24
    return min(max(len(f.name) + 3, content), MAX_WIDTH)


def _column_format(book, f: Field, cache: dict) -> object:
    """Text format for text and codes (Excel then keeps '0012', '1-2' or 'Mar' as typed), dates as YYYY-MM-DD."""
    kind = "date" if f.type == "date" else "number" if f.type in ("integer", "number", "year") else \
        "wrap" if field_kind(f) == "text" and not f.pattern else "text"
    if kind not in cache:
        spec = {"date": {"num_format": "yyyy-mm-dd"}, "number": {}, "text": {"num_format": "@"},
                "wrap": {"num_format": "@", "text_wrap": True}}[kind]
        cache[kind] = book.wb.add_format({**spec, "valign": "top"})
    return cache[kind]


def write_form(review: Review, reviewer: str, folder: str | os.PathLike[str] | None = None) -> Path:
    """Write the reviewer's Excel form (``<folder>/<reviewer>.xlsx``); CmokitError (exit 2) and nothing written when
    the file exists or the folder already holds forms of the tables."""
    target = form_folder(review, reviewer, folder)
    path = target / f"{reviewer}.xlsx"
    refuse_existing(review, target, [path])
    tables = extraction_resources(review)
    with workbook(path) as book:
        header = book.wb.add_format({"bold": True, "bg_color": HEADER_COLOUR, "border": 1, "valign": "top"})
        required = book.wb.add_format({"bold": True, "bg_color": REQUIRED_COLOUR, "border": 1, "valign": "top"})
        _readme(book, review, reviewer, tables)
        lists = Lists(book)
        formats: dict = {}
        for r in tables:
            ws = book.wb.add_worksheet(r.name)
            for j, f in enumerate(r.fields):
                ws.set_column(j, j, _width(f), _column_format(book, f, formats))
                ws.write_string(0, j, f.name, required if f.required else header)
            ws.freeze_panes(1, 0)
            add_validations(ws, r, r.field_names, lists, first_row=1)
        lists.write()
    return path


def _readme(book, review: Review, reviewer: str, tables: list[Resource]) -> None:
    """The first sheet: what the form is, how to fill it in and submit it, the codes and their meaning."""
    fmt = book.formats
    ws = book.wb.add_worksheet(README_SHEET)
    ws.activate()
    for j, width in enumerate((22, 30, 24, 90)):
        ws.set_column(j, j, width)
    title = review.descriptor.get("title") or review.name
    ws.write_string(0, 0, f"Extraction form of reviewer '{reviewer}': {title}", fmt["title"])
    folder = f"{REVIEWERS_DIR}/{reviewer}/"
    steps = [
        f"One sheet per table, in this order: {', '.join(r.name for r in tables)}. Fill in the rows of the studies "
        "you extract (any subset of tables and studies); one row per study, configuration, measure, input or "
        "appraisal.",
        "Row 1 names the columns: keep the sheet names and the header row as they are (do not rename, delete or "
        "merge them). Headers in orange are required fields.",
        "Select a cell to see what its column holds. Coded columns have a dropdown; numbers and dates are checked "
        "as you type.",
        "Empty cell = not yet extracted. NR = not reported in the study. NA = not applicable. Never leave a cell "
        "empty to mean NR or NA.",
        "Several codes in one cell: pick one from the dropdown, then type the others after '; ' (e.g. family; peers).",
        "Type values, not formulas; do not merge cells; write dates as YYYY-MM-DD. A column is formatted as Text "
        "where it holds text or codes, so that Excel keeps what you type.",
        f"To submit: save this workbook as 'Excel Workbook (.xlsx)' in {folder} (keep one workbook per reviewer, "
        "and no CSV files of the same tables beside it), then run: "
        f"cmokit validate --reviewer {reviewer}. Every problem names its sheet and cell (e.g. studies!C14).",
        "Fix the problems, save, and run the command again until it says VALID; then commit the workbook.",
    ]
    r = 2
    ws.write_string(r, 0, "How to fill it in", fmt["bold"])
    for n, step in enumerate(steps, 1):
        r += 1
        ws.write_string(r, 0, f"{n}.", fmt["text"])
        ws.write_string(r, 1, step, fmt["text"])
    r += 2
    ws.write_string(r, 0, "Codes", fmt["bold"])
    r += 1
    for j, h in enumerate(("table", "field", "code", "meaning")):
        ws.write_string(r, j, h, fmt["header"])
    book_rows: dict[tuple[str, str], dict[str, dict[str, str]]] = defaultdict(dict)
    for row in review.codebook():
        book_rows[(row["table"], row["field"])][row["code"]] = row
    for (table, fld), codes in book_rows.items():
        for code, row in codes.items():
            r += 1
            meaning = row.get("label", "") + (f": {row['definition']}" if row.get("definition") else "")
            for j, value in enumerate(("(any)" if table == "*" else table, "(any)" if fld == "*" else fld, code,
                                       meaning)):
                ws.write_string(r, j, value, fmt["text"])
