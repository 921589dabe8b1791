"""Export every table of the review's database as Parquet or CSV, for R, pandas or Spark users.

One file per table: the resources' tables, cmokit's tables (build_metadata, source_files, validation_problems) and
the ``missing`` schema's shadow tables (as ``missing.<resource>``). Parquet keeps the types (DATE, BOOLEAN, lists;
ENUM codes become strings). CSV writes lists back as '; '-separated codes and booleans as yes/no, the package's own
conventions; NULL is an empty cell. Rows keep the database's order. Views are not exported (they are queries).
The Excel export (one workbook) is :func:`cmokit.presentation.workbook.export_xlsx`, over the same tables.
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
