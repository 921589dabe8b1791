"""Export every table of the review's database as Parquet or CSV, for R, pandas or Spark users.

One file per table: the resources' tables, cmokit's tables (build_metadata, source_files, validation_problems) and
the ``missing`` schema's shadow tables (as ``missing.<resource>``). Parquet keeps the types (DATE, BOOLEAN, lists;
ENUM codes become strings). CSV writes lists back as '; '-separated codes and booleans as yes/no, the package's own
conventions; NULL is an empty cell. Rows keep the database's order. Views are not exported (they are queries).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from cmokit.build import lit, q
from cmokit.database import connect_readonly
from cmokit.errors import CmokitError

FORMATS = ("parquet", "csv")


def table_names(con) -> list[tuple[str, str]]:
    """(schema, table) of every base table, main schema first."""
    return [(s, t) for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND NOT temporary ORDER BY schema_name != 'main', schema_name, table_name").fetchall()]


def export(db_path: Path, out_dir: Path, fmt: str = "parquet") -> list[Path]:
    """Write every table to ``out_dir`` (created) as ``<table>.<fmt>``; return the files written."""
    if fmt not in FORMATS:
        raise CmokitError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)}).", rule="usage")
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
