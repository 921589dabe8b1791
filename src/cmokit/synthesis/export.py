"""Export every table of the review's database as Parquet or CSV, for R, pandas or Spark users.

One file per table: the resources' tables, cmokit's tables (build_metadata, source_files, validation_problems) and
the ``missing`` schema's shadow tables (as ``missing.<resource>``). Parquet keeps the types (DATE, BOOLEAN, lists;
ENUM codes become strings). CSV writes the package's own conventions: lists as '; '-separated codes, booleans as
yes/no, and a missing cell as the review's CSV holds it: ``NR`` and ``NA`` as written (from the shadow table), an
empty cell only where the review's cell is empty (*not yet extracted*). Rows keep the database's order. Views are
not exported (they are queries). The Excel export (one workbook) is
:func:`cmokit.presentation.workbook.export_xlsx`, over the same tables.

Formulas: CSV cells are written exactly as they are, also those a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return). The CSV export is for programs (R, pandas), and escaping
such cells (a leading ``'``) would change the data, e.g. every negative number; :func:`formula_like_cells` counts
the text cells a spreadsheet could run, and the CLI warns about them. The Excel export never stores a formula.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.synthesis.database import METADATA_TABLE, MISSING_SCHEMA, connect_readonly
from cmokit.synthesis.ddl import lit, q

FORMATS = ("parquet", "csv")
FORMULA_START = "^[=+\\-@\t\r]"  # what spreadsheets read as the start of a formula (a regular expression)


def table_names(con) -> list[tuple[str, str]]:
    """(schema, table) of every base table, main schema first."""
    return [(s, t) for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND NOT temporary ORDER BY schema_name != 'main', schema_name, table_name").fetchall()]


def export(db_path: Path, out_dir: Path, fmt: str = "parquet") -> list[Path]:
    """Write every table to ``out_dir`` (created) as ``<table>.<fmt>``; return the files written."""
    if fmt not in FORMATS:
        raise CmokitError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)}; xlsx is "
                          "cmokit.presentation.workbook.export_xlsx).", rule="usage")
    out_dir.mkdir(parents=True, exist_ok=True)
    con = connect_readonly(db_path, sandbox=False)
    written = []
    try:
        tables = table_names(con)
        shadows = {t for s, t in tables if s == MISSING_SCHEMA}
        for schema, table in tables:
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
                select = _csv_select(con, schema, table, cols, table in shadows and schema == "main")
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


def _csv_select(con, schema: str, table: str, cols: list[tuple[str, str]], shadowed: bool) -> str:
    """The SELECT writing one table as CSV; a resource's missing cells take their code from its shadow table.

    The shadow table is joined by position (DuckDB's POSITIONAL JOIN): the build fills a table and its shadow from
    the CSV's rows in one statement each, in the same order (as the Excel export relies on too).
    """
    if not shadowed:
        return "SELECT " + ", ".join(_csv_expr(f"t.{q(c)}", t) + f" AS {q(c)}" for c, t in cols) + \
            f" FROM {q(schema)}.{q(table)} t"
    shadow = {c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $s "
        "AND table_name = $t", {"s": MISSING_SCHEMA, "t": table}).fetchall()}
    keys = {c for (c,) in con.execute(
        "SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = $t AND constraint_type = 'PRIMARY KEY'", {"t": table}).fetchall()}
    exprs = []
    for c, t in cols:
        value = _csv_expr(f"t.{q(c)}", t)
        if c in shadow and c not in keys:
            value = f"coalesce(m.{q(c)}, CAST({value} AS VARCHAR))"
        exprs.append(f"{value} AS {q(c)}")
    return f"SELECT {', '.join(exprs)} FROM main.{q(table)} t POSITIONAL JOIN {MISSING_SCHEMA}.{q(table)} m"


def _csv_expr(c: str, typ: str) -> str:
    if typ.endswith("[]"):
        return f"array_to_string(CAST({c} AS VARCHAR[]), '; ')"
    if typ == "BOOLEAN":
        return f"CASE WHEN {c} THEN 'yes' WHEN NOT {c} THEN 'no' END"
    if typ == "DOUBLE":  # a whole number as written in the package (12, not 12.0), as cmokit query's CSV shows it
        return f"CASE WHEN {c} = trunc({c}) AND abs({c}) < 1e15 THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) " \
               f"ELSE CAST({c} AS VARCHAR) END"
    return c


def formula_like_cells(db_path: Path) -> list[tuple[str, str, int]]:
    """(table, column, cells) of the text columns of the resources whose cells a spreadsheet would read as a
    formula (see the module docstring); missing-value codes never are."""
    con = connect_readonly(db_path, sandbox=False)
    try:
        cols = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = "
                           "current_database() AND schema_name = 'main' AND data_type = 'VARCHAR' AND table_name IN "
                           "(SELECT table_name FROM duckdb_tables() WHERE schema_name = $m) ORDER BY table_name, "
                           "column_index", {"m": MISSING_SCHEMA}).fetchall()
        out = []
        for table, col in cols:
            n = con.execute(f"SELECT count(*) FROM main.{q(table)} WHERE regexp_matches({q(col)}, $p)",
                            {"p": FORMULA_START}).fetchone()[0]
            if n:
                out.append((table, col, n))
        return out
    finally:
        con.close()


def select_rows(con, schema: str, table: str) -> tuple[list[str], list[tuple]]:
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


def read_build_metadata(con) -> dict[str, Any]:
    try:
        cur = con.execute(f"SELECT * FROM {METADATA_TABLE} LIMIT 1")
    except Exception:  # noqa: BLE001 - not a cmokit database: export it without the build's details
        return {}
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else {}
