"""The paper's Tables 1-3, regenerated from the database: one table per age band, rows in the paper's order.

Columns: Study ID (the study's label and reference number, as the paper prints it), Intervention components,
Context, Mechanisms for improved child mental health, Social support outcomes, Child outcomes. A study with several
CMO configurations has one row per configuration. A missing cell shows its code (NR, NA). Rows follow
``studies.paper_table_row``; studies without one come last, by study_id. Written as Markdown, CSV, or an Excel
workbook with one sheet per table (a cell's paragraphs stay separate lines, wrapped).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from cmokit.database import MISSING_SCHEMA, connect_readonly
from cmokit.errors import CmokitError
from cmokit.query import markdown_table
from cmokit.review import Review

COLUMNS = ["Study ID", "Intervention components", "Context", "Mechanisms for improved child mental health",
           "Social support outcomes", "Child outcomes"]
CMO_FIELDS = ["intervention_components", "context", "mechanisms", "ss_outcomes", "child_outcomes"]
FORMATS = ("markdown", "csv", "xlsx")


@dataclass
class PaperTable:
    """One regenerated table."""

    number: int
    band: str
    title: str
    columns: list[str]
    rows: list[list[str]]

    @property
    def filename_stem(self) -> str:
        return f"table-{self.number}-{self.band}"


def bands(review: Review) -> list[tuple[str, str]]:
    """(code, label) of the review's age bands in order, labelled from the codebook when it defines them."""
    labels = {r["code"]: r["label"] for r in review.codebook()
              if r.get("table") == "studies" and r.get("field") == "age_band"}
    out = []
    for b in review.params.get("age_bands") or []:
        code = str(b.get("code"))
        out.append((code, labels.get(code) or f"{code} ({b.get('min')}-{b.get('max')} years)"))
    if not out and review.has("studies"):
        codes = review.resource("studies").field("age_band").codes() or ()
        out = [(c, labels.get(c, c)) for c in codes]
    return out


def paper_tables(review: Review, db_path: Path, band: str | None = None) -> list[PaperTable]:
    """Tables 1-n (one per age band) from the database; ``band`` selects one."""
    all_bands = bands(review)
    if band is not None and band not in [b for b, _ in all_bands]:
        raise CmokitError(f"unknown age band '{band}' (one of {', '.join(b for b, _ in all_bands)}).",
                          rule="usage")
    cells = ", ".join(f"coalesce(c.{f}, mc.{f})" for f in CMO_FIELDS)
    sql = (
        f"SELECT s.study_label || ' [' || s.ref_number || ']', {cells} "
        f"FROM studies s LEFT JOIN cmo c USING (study_id) "
        f"LEFT JOIN {MISSING_SCHEMA}.cmo mc "
        "ON mc.study_id = c.study_id AND mc.cmo_number = CAST(c.cmo_number AS VARCHAR) "
        "WHERE s.inclusion_status = 'included' AND s.age_band = $band "
        "ORDER BY s.paper_table_row NULLS LAST, s.study_id, c.cmo_number")
    import duckdb

    con = connect_readonly(db_path, sandbox=True)
    try:
        out = []
        for n, (code, label) in enumerate(all_bands, 1):
            if band is not None and code != band:
                continue
            try:
                fetched = con.execute(sql, {"band": code}).fetchall()
            except duckdb.Error as exc:
                raise CmokitError(f"the paper's tables need the studies and cmo tables with the bundled review's "
                                  f"fields; this database cannot give them ({str(exc).splitlines()[0][:200]}).",
                                  rule="tables.unsupported") from None
            rows = [[v if v is not None else "" for v in r] for r in fetched]
            title = (f"Table {n}. Information about programme theories and findings of included studies concerned "
                     f"with {label[:1].lower() + label[1:]}.")
            out.append(PaperTable(n, code, title, list(COLUMNS), rows))
        return out
    finally:
        con.close()


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
    from cmokit.atomic import write_text

    if fmt not in FORMATS:
        raise CmokitError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)}).", rule="usage")
    if fmt == "xlsx":
        return [to_xlsx(tables, output)]
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


def to_xlsx(tables: list[PaperTable], output: Path) -> Path:
    """The tables as the sheets of one workbook at ``output`` (``Table <n> <band>``): the table's title, then the
    header (bold, frozen, with an autofilter), then its rows in the paper's order; a cell's paragraphs stay separate
    lines (wrapped). Written atomically; returns the path."""
    from cmokit.xlsx import sheet_names, workbook, write_table

    check_xlsx_output(output)
    names = sheet_names(f"Table {t.number} {t.band}" for t in tables)
    with workbook(output) as book:
        for t, name in zip(tables, names, strict=True):
            write_table(book, name, t.columns, t.rows, title=t.title, label=f"Table {t.number}")
    return output
