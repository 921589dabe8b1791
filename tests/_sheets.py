"""Helpers for the spreadsheet tests: a reviewer's workbook built by XlsxWriter or by openpyxl from rows of the
bundled consensus, then validated."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter

from cmokit.package.model import Review
from cmokit.validation.validate import validate_review

STUDIES = ("ayton-2016", "cho-2013")  # two included studies of the bundled review (file order)
BUILDERS = ("xlsxwriter", "openpyxl")


def consensus_rows(review: Path, table: str, studies=STUDIES) -> list[dict[str, str]]:
    """The consensus rows of ``studies`` (None: every study); a review-level table (no study_id) whole."""
    path = Review.open(review).resource(table).path
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if studies is None or r.get("study_id", studies[0]) in studies]


def typed(review: Path, table: str, rows: list[dict[str, str]]) -> list[list[Any]]:
    """Header + rows as a reviewer types them in Excel: numbers of integer and number fields as numbers."""
    res = Review.open(review).resource(table)
    out: list[list[Any]] = [res.field_names]
    for row in rows:
        line: list[Any] = []
        for f in res.fields:
            v = row[f.name]
            if v and v not in res.missing_values and f.type == "integer":
                line.append(int(v))
            elif v and v not in res.missing_values and f.type == "number":
                line.append(float(v))
            else:
                line.append(v)
        out.append(line)
    return out


def column(review: Path, table: str, field: str) -> int:
    """0-based column of a field in the template's layout (schema order)."""
    return Review.open(review).resource(table).field_names.index(field)


def build(path: Path, builder: str, sheets: dict[str, list[list[Any]]],
          edit: Callable[[Any, Any, str], None] | None = None) -> Path:
    """Write ``sheets`` (name -> rows, the first being the header) with ``builder``; ``edit(book, sheet, name)``
    changes each sheet afterwards (a formula, a merge, a hidden row...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if builder == "xlsxwriter":
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                             "strings_to_urls": False})
        for name, rows in sheets.items():
            ws = wb.add_worksheet(name)
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    if v == "" or v is None:
                        continue
                    if isinstance(v, str):
                        ws.write_string(i, j, v)
                    else:
                        ws.write(i, j, v)
            if edit:
                edit(wb, ws, name)
        wb.close()
    else:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for i, row in enumerate(rows, 1):
                for j, v in enumerate(row, 1):
                    if v != "" and v is not None:
                        ws.cell(i, j).value = v
                        if isinstance(v, str) and v.startswith("="):
                            ws.cell(i, j).data_type = "s"  # text, as XlsxWriter's write_string
            if edit:
                edit(wb, ws, name)
        wb.save(path)
    return path


def studies_book(review: Path, builder: str, edit=None, name: str = "alice") -> Path:
    """extract/reviewers/<name>/<name>.xlsx holding the two studies' rows."""
    rows = typed(review, "studies", consensus_rows(review, "studies"))
    return build(review / "extract" / "reviewers" / name / f"{name}.xlsx", builder, {"studies": rows}, edit)


def problems(review: Path, reviewer: str = "alice"):
    report = validate_review(review, submission=reviewer, trusted=False)
    return report, [p for p in report.problems if p.rule != "rules.skipped"]
