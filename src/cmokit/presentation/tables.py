"""The paper's tables (and the theory table) as files: Markdown, CSV, or an Excel workbook with one sheet per table
(a cell's paragraphs stay separate lines: ``<br>`` in Markdown, line breaks in a quoted CSV cell, wrapped lines in
Excel)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.presentation.tabular import markdown_table
from cmokit.synthesis.tables import PaperTable

FORMATS = ("markdown", "csv", "xlsx")


def to_markdown(tables: list[PaperTable]) -> str:
    """The tables as one Markdown document (cell paragraphs joined by <br>)."""
    return "\n".join(f"### {t.title}\n\n{markdown_table(t.columns, t.rows)}" for t in tables)


def to_csv(table: PaperTable) -> str:
    """One table as CSV (a cell's paragraphs stay on separate lines inside the quoted cell)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    w.writerows(table.rows)
    return buf.getvalue()


def write_tables(tables: list[PaperTable], fmt: str, output: Path) -> list[Path]:
    """Write to ``output``: a file (a path with a suffix) or a folder (one file per table). Returns the files."""
    from cmokit.core.atomic import write_text

    if fmt not in FORMATS:
        raise CmokitError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)}).", rule="usage")
    if fmt == "xlsx":
        return [tables_to_xlsx(tables, output)]
    ext = "md" if fmt == "markdown" else "csv"
    if output.suffix and not output.is_dir():
        if fmt == "csv" and len(tables) != 1:
            raise CmokitError(f"{output}: a CSV file holds one table; give --band, or a folder as --output.",
                              rule="usage")
        write_text(output, to_markdown(tables) if fmt == "markdown" else to_csv(tables[0]))
        return [output]
    files = []
    for t in tables:
        path = output / f"{t.filename_stem}.{ext}"
        write_text(path, to_markdown([t]) if fmt == "markdown" else to_csv(t))
        files.append(path)
    return files


def check_xlsx_output(output: Path | None) -> Path:
    """``output`` checked as a workbook path: a file ending in .xlsx (a workbook never goes to a terminal)."""
    if output is None:
        raise CmokitError("xlsx is a binary Excel workbook and is not written to the terminal: give --output "
                          "FILE.xlsx.", rule="usage")
    if output.is_dir() or output.suffix.lower() != ".xlsx":
        raise CmokitError(f"{output}: an Excel workbook is one file holding every table as a sheet: give --output "
                          "FILE.xlsx.", rule="usage")
    return output


def tables_to_xlsx(tables: list[PaperTable], output: Path) -> Path:
    """The tables as the sheets of one workbook at ``output`` (``Table <n> <band>``): the table's title, then the
    header (bold, frozen, with an autofilter), then its rows in the paper's order; a cell's paragraphs stay separate
    lines (wrapped). Written atomically; returns the path."""
    from cmokit.presentation.workbook import sheet_names, workbook, write_table

    check_xlsx_output(output)
    names = sheet_names(t.sheet_name for t in tables)
    with workbook(output) as book:
        for t, name in zip(tables, names, strict=True):
            label = t.sheet_name if t.sheet else f"Table {t.number}"
            write_table(book, name, t.columns, t.rows, title=t.title, label=label)
    return output
