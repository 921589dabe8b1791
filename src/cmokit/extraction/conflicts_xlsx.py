"""The conflicts file as an Excel workbook, for adjudicators who decide in a spreadsheet:
``cmokit compare A B --conflicts conflicts.xlsx`` writes it, ``cmokit reconcile A B --decisions conflicts.xlsx``
reads it.

One sheet, ``conflicts``, laid out as the CSV file is: cell A1 holds the hash line, row 2 the columns, then one row
per conflict (so a row number is the CSV's line number). The ``decision`` column has a dropdown (a, b, other); every
column is formatted as Text, so a decided value is kept as typed. Read back by the workbook reader that reads
submissions (:mod:`cmokit.package.xlsx_reader`): a formula, an error value or a merged cell is refused, never taken.
"""

from __future__ import annotations

from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.extraction.results import PairComparison
from cmokit.package.reader import Table

SHEET = "conflicts"
DECISION_CODES = ("a", "b", "other")
HELP = {
    "decision": "a = keep reviewer A's value, b = reviewer B's, other = the value written in 'value'.",
    "value": "The decided value, when decision is other (as the field's CSV cell would hold it).",
    "decided_by": "Who decided (your reviewer id or name).",
    "reason": "Why (optional; kept in the audit log).",
}
WIDTHS = {"table": 14, "key": 28, "field": 20, "value_a": 40, "value_b": 40, "decision": 10, "value": 30,
          "decided_by": 14, "reason": 40}


def write_conflicts_xlsx(pair: PairComparison, target: Path, first_line: str, columns: list[str],
                         decided: dict | None = None) -> None:
    """Write the conflicts workbook atomically (the caller checked the target); a conflict in ``decided`` (by table,
    key, field, value_a, value_b: decisions carried over from an older file) gets its decision columns filled."""
    import xlsxwriter

    from cmokit.core.atomic import atomic_open

    with atomic_open(target, "wb") as fh:
        wb = xlsxwriter.Workbook(fh, {"strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False})
        text = wb.add_format({"num_format": "@", "valign": "top", "text_wrap": True})
        header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        ws = wb.add_worksheet(SHEET)
        for j, c in enumerate(columns):
            ws.set_column(j, j, WIDTHS.get(c, 16), text)
        ws.write_string(0, 0, first_line)
        for j, c in enumerate(columns):
            ws.write_string(1, j, c, header)
        for i, c in enumerate(pair.conflicts, 2):
            d = (decided or {}).get((c.table, c.key, c.field, c.value_a, c.value_b))
            done = (d.decision, d.value, d.decided_by, d.reason) if d else ()
            for j, value in enumerate((c.table, c.key, c.field, c.value_a, c.value_b, *done)):
                ws.write_string(i, j, value, text)
        for j, c in enumerate(columns):
            if c not in HELP:
                continue
            opts = {"validate": "any", "input_title": c, "input_message": HELP[c]}
            if c == "decision":
                opts.update(validate="list", source=list(DECISION_CODES), error_title="a, b or other",
                            error_message="Choose a (reviewer A), b (reviewer B) or other (write the value in "
                                          "'value').")
            ws.data_validation(2, j, 1_048_575, j, opts)
        ws.freeze_panes(2, 0)
        wb.close()


def read_conflicts_sheet(path: Path, resource) -> tuple[str, Table]:
    """The hash line (cell A1) and the table under it (header on row 2) of a conflicts workbook."""
    from cmokit.package.xlsx_reader import contents, first_cell, read_sheet

    if not path.exists():
        raise CmokitError(f"{path}: not found. Write it with `cmokit compare A B --conflicts {path}`.",
                          rule="reconcile.decisions_missing", path=str(path))
    info = contents(path)
    if info.error:
        raise CmokitError(f"{path}: {info.error[1]}", rule=info.error[0], path=str(path))
    if SHEET not in info.sheets:
        raise CmokitError(f"{path}: has no sheet named '{SHEET}'. Write the file with `cmokit compare A B "
                          "--conflicts FILE.xlsx` and keep its sheet's name.", rule="reconcile.columns",
                          path=str(path))
    return first_cell(path, SHEET).strip(), read_sheet(resource, path, str(path), header_row=2)
