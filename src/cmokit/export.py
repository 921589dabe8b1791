"""Export every table of the review's database as Parquet or CSV, for R, pandas or Spark users, or as one Excel
workbook for reviewers and analysts who live in spreadsheets.

One file per table: the resources' tables, cmokit's tables (build_metadata, source_files, validation_problems) and
the ``missing`` schema's shadow tables (as ``missing.<resource>``). Parquet keeps the types (DATE, BOOLEAN, lists;
ENUM codes become strings). CSV writes lists back as '; '-separated codes and booleans as yes/no, the package's own
conventions; NULL is an empty cell. Rows keep the database's order. Views are not exported (they are queries).
XLSX writes the same tables as the sheets of one workbook ``<package name>.xlsx`` after a README sheet, with the
CSV's conventions, except that a cell missing with a code (NR, NA) shows its code, as the review's CSV does.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

from cmokit.build import lit, q
from cmokit.database import METADATA_TABLE, MISSING_SCHEMA, MISSING_TABLE, connect_readonly
from cmokit.errors import CmokitError

FORMATS = ("parquet", "csv", "xlsx")
README_SHEET = "README"
MISSING_CONVENTION = [("(empty cell)", "not yet extracted"), ("NR", "not reported in the study"),
                      ("NA", "not applicable")]


def table_names(con) -> list[tuple[str, str]]:
    """(schema, table) of every base table, main schema first."""
    return [(s, t) for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND NOT temporary ORDER BY schema_name != 'main', schema_name, table_name").fetchall()]


def export(db_path: Path, out_dir: Path, fmt: str = "parquet") -> list[Path]:
    """Write every table to ``out_dir`` (created) as ``<table>.<fmt>`` (xlsx: one workbook with a sheet per table);
    return the files written."""
    if fmt not in FORMATS:
        raise CmokitError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)}).", rule="usage")
    out_dir.mkdir(parents=True, exist_ok=True)
    con = connect_readonly(db_path, sandbox=False)
    written = []
    try:
        if fmt == "xlsx":
            return [export_xlsx(con, out_dir)]
        for schema, table in table_names(con):
            name = table if schema == "main" else f"{schema}.{table}"
            target = out_dir / f"{name}.{fmt}"
            tmp = out_dir / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
            if fmt == "parquet":
                select, options = f"SELECT * FROM {q(schema)}.{q(table)}", "FORMAT parquet, COMPRESSION zstd"
            else:
                cols = con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
                    "AND schema_name = $s AND table_name = $t ORDER BY column_index", {"s": schema, "t": table}
                ).fetchall()
                select = "SELECT " + ", ".join(_csv_expr(c, t) for c, t in cols) + f" FROM {q(schema)}.{q(table)}"
                options = "FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', NULLSTR ''"
            try:
                con.execute(f"COPY ({select}) TO {lit(str(tmp))} ({options})")
                os.replace(tmp, target)
            finally:
                if tmp.exists():
                    tmp.unlink()
            written.append(target)
    finally:
        con.close()
    return written


def _csv_expr(col: str, typ: str) -> str:
    c = q(col)
    if typ.endswith("[]"):
        return f"array_to_string(CAST({c} AS VARCHAR[]), '; ') AS {c}"
    if typ == "BOOLEAN":
        return f"CASE WHEN {c} THEN 'yes' WHEN NOT {c} THEN 'no' END AS {c}"
    return c


def export_xlsx(con, out_dir: Path) -> Path:
    """Write ``out_dir/<package name>.xlsx``: a README sheet, then one sheet per table (as ``table_names``).

    Cells as in the CSV export (lists ``a; b``, booleans yes/no, NULL empty) but dates are Excel dates, and a cell
    that is NULL because the review's CSV holds a missing-value code shows that code (from the table's shadow in the
    ``missing`` schema), so that nothing is lost: an empty cell means not yet extracted.
    """
    from cmokit.xlsx import sheet_names, workbook, write_table

    tables = table_names(con)
    labels = [t if s == "main" else f"{s}.{t}" for s, t in tables]
    sheets = sheet_names(labels, reserved=[README_SHEET])
    meta = _metadata(con)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(meta.get("package_name") or "")).strip("._") or "review"
    path = out_dir / f"{stem}.xlsx"
    with workbook(path, created=meta.get("built_at")) as book:
        _readme(book, con, meta, tables, labels, sheets)
        for (schema, table), label, sheet in zip(tables, labels, sheets, strict=True):
            columns, rows = _select(con, schema, table)
            if schema == "main" and (MISSING_SCHEMA, table) in tables:
                rows = with_missing_codes(columns, rows, *_select(con, MISSING_SCHEMA, table), label=label)
            write_table(book, sheet, columns, rows, label=label)
    return path


def _select(con, schema: str, table: str) -> tuple[list[str], list[tuple]]:
    cur = con.execute(f"SELECT * FROM {q(schema)}.{q(table)}")
    return [d[0] for d in cur.description], cur.fetchall()


def with_missing_codes(columns: list[str], rows: list[tuple], shadow_columns: list[str], shadow_rows: list[tuple],
                       *, label: str = "") -> list[list[Any]]:
    """``rows`` with each NULL cell replaced by its missing-value code from the shadow table (same rows, same order:
    the build fills both from the CSV's rows in one statement each). A forced build's invalid list keeps its text."""
    if len(rows) != len(shadow_rows):
        raise CmokitError(f"{label}: {len(rows)} rows but {len(shadow_rows)} in {MISSING_SCHEMA}.{label}; the "
                          "database is inconsistent. Rebuild it with `cmokit build`.", rule="export.missing_shadow")
    where = {c: k for k, c in enumerate(shadow_columns)}
    pairs = [(j, where[c]) for j, c in enumerate(columns) if c in where]
    out = []
    for row, shadow in zip(rows, shadow_rows, strict=True):
        row = list(row)
        for j, k in pairs:
            code, value = shadow[k], row[j]
            if code and (value is None or (isinstance(value, list) and None in value)):
                row[j] = code
        out.append(row)
    return out


def _metadata(con) -> dict[str, Any]:
    try:
        cur = con.execute(f"SELECT * FROM {METADATA_TABLE} LIMIT 1")
    except Exception:  # noqa: BLE001 - not a cmokit database: export it without the build's details
        return {}
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else {}


def _readme(book, con, meta: dict[str, Any], tables: list[tuple[str, str]], labels: list[str],
            sheets: list[str]) -> None:
    """The first sheet: what the workbook is, the missing-value convention, and a linked list of the sheets."""
    from cmokit import __version__
    from cmokit.xlsx import cell

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
        from cmokit.build import INVALID_LABEL

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
