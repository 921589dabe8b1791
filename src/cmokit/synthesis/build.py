"""Build the review's DuckDB database from the validated package.

One table per resource, typed from its Table Schema (:mod:`cmokit.synthesis.ddl`), with the documented views
(:mod:`cmokit.synthesis.views`); descriptions become table and column comments.

Missing values: a typed column holds NULL for every missing value of the schema (``""`` not yet extracted, ``NR``
not reported, ``NA`` not applicable). Nothing is lost: the schema ``missing`` holds one shadow table per resource
(its key as text, then per field the cell's code, NULL where the cell holds a value), and the view
``missing_cells(resource, key, field, code, label)`` lists them one cell per row. CSVs are loaded with DuckDB
``read_csv`` as text and cast in SQL, one statement per table.

The file is written atomically: built under a temporary name in the same folder (``.<name>.<pid>.<random>.tmp``),
then moved over the old one, and only once validation (running in a thread meanwhile) has passed, or the build is
forced. Temporary files that a killed build left (its process is gone) are removed by the next build.

DuckDB's CSV reader is stricter than the package's reader: it refuses, for example, a file mixing CRLF and LF line
ends or holding a carriage return inside an unquoted cell, and lines over 2 MB. Such a file is loaded from the frame
of the package's reader (:func:`cmokit.package.reader.read_table`, the one ``cmokit validate`` checks), so any file
``validate`` accepts, ``build`` loads, with the same cells.

``trusted=False`` validates without the review's own Python rules (``validators/``); ``build_metadata.trusted``
records it.
"""

from __future__ import annotations

import csv
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmokit import __version__
from cmokit.core.errors import CmokitError, DataInvalid
from cmokit.core.problems import Problem, Report
from cmokit.core.process import pid_alive
from cmokit.package.dialect import Dialect
from cmokit.package.model import Resource, Review
from cmokit.synthesis.database import (
    METADATA_TABLE,
    MISSING_SCHEMA,
    PROBLEMS_TABLE,
    SOURCES_TABLE,
    SYSTEM_TABLES,
    changed_sources,
    resolve_db_path,
    sha256_file,
    source_files,
)
from cmokit.synthesis.ddl import cast_expr, enum_type_name, key_ddl, lit, load_order, q, shadow_expr, table_ddl
from cmokit.synthesis.views import documented_views, missing_view


@dataclass
class BuildResult:
    """What a build did."""

    db_path: Path
    package: str
    version: str
    tables: dict[str, int]
    views: list[str]
    missing_cells: int
    invalid_cells: int
    forced: bool
    valid: bool
    constraints: bool
    problems: list[Problem] = field(default_factory=list)
    validation_seconds: float = 0.0
    seconds: float = 0.0
    trusted: bool = True
    removed_temps: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class BuildRefused(DataInvalid):
    """The review is invalid and the build was not forced (exit 1); ``report`` holds the problems."""

    def __init__(self, message: str, report: Report):
        super().__init__(message, rule="build.invalid")
        self.report = report


def _regular(path: Path, shown: str) -> None:
    """CmokitError (file.unsafe) when ``path`` exists but is not a regular file: a pipe or device is never read."""
    if path.exists() and not path.is_file():
        raise CmokitError(f"{shown}: is not a regular file (a folder, pipe, socket or device); it was not read. "
                          "Put the CSV file itself there.", rule="file.unsafe", path=shown)


def _header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return next(csv.reader(fh), [])
    except FileNotFoundError:
        raise CmokitError(f"{path}: data file not found. Restore it or fix the resource's path.",
                          rule="data.missing", path=str(path)) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CmokitError(f"{path}: cannot be read ({exc}). Save it as UTF-8 CSV.", rule="data.unreadable",
                          path=str(path)) from None


# ----------------------------------------------------------------------------------------------- build

def validate(review: Review, trusted: bool = True) -> Report:
    """Validate with cmokit's validator (the same as ``cmokit validate``; ``trusted=False`` as ``--untrusted``)."""
    from cmokit.validation.validate import validate_review

    return validate_review(review, trusted=trusted)


def build(path: str | os.PathLike[str] | None = None, db: str | os.PathLike[str] | None = None, *,
          force: bool = False, trusted: bool = True) -> BuildResult:
    """Validate the review at ``path`` and write its database to ``db`` (default ``<review>/.cmokit/review.duckdb``).

    Raises BuildRefused (exit 1) if the review is invalid and ``force`` is false; CmokitError (exit 2) if it
    cannot be read at all. ``trusted=False``: the review's ``validators/`` are not imported (recorded).
    """
    t0 = time.perf_counter()
    review = Review.open(path)
    clash = sorted({r.name for r in review.resources} & set(SYSTEM_TABLES))
    if clash:
        raise CmokitError(f"{review.descriptor_path.name}: resource name(s) {', '.join(clash)} are reserved for "
                          f"cmokit's own tables ({', '.join(SYSTEM_TABLES)}); rename the resource.",
                          rule="build.reserved_name", path=review.descriptor_path.name)
    target = resolve_db_path(review, db)
    if target.is_dir():
        raise CmokitError(f"{target}: is a folder; give --db a database file name (e.g. {target / 'review.duckdb'}).",
                          rule="usage", path=str(target))
    from concurrent.futures import ThreadPoolExecutor

    # Validation runs in a thread while the database is built (optimistically, as for a valid review) into a
    # temporary file: both release the GIL, so this saves about a fifth of the time. The file only replaces the
    # database once validation has passed; an invalid review is refused, or, with --force, built again without
    # keys or checks. Hashing comes first, so a file edited during the build shows up as changed at the next query.
    def timed_validate() -> tuple[Report, float]:
        report = validate(review, trusted)
        return report, time.perf_counter() - t0

    sources = _hash_sources(review)
    with ThreadPoolExecutor(max_workers=1) as pool:
        validating = pool.submit(timed_validate)
        result: BuildResult | None
        try:
            result = _write(review, target, lambda: validating.result()[0], sources, forced=force, strict=True)
        except _NotValid:
            result = None
        except CmokitError:
            if validating.result()[0].valid:
                raise
            result = None  # the data broke a cast or a key: validation says why
        report, validation_seconds = validating.result()
    if report.fatal:
        first = report.errors[0].message if report.errors else "the review cannot be read"
        raise CmokitError(first, rule=report.errors[0].rule if report.errors else "build.unreadable")
    if result is None:
        if not force:
            n = len(report.errors)
            raise BuildRefused(f"{review.name}: the review has {n} error{'s' * (n != 1)}; the database was not "
                               "built. Fix them (see `cmokit validate`) or build anyway with --force (recorded in "
                               "the database).", report)
        # a forced build of invalid data keeps every row and cell, so it cannot declare keys or checks
        result = _write(review, target, lambda: report, sources, forced=True, strict=False)
    result.validation_seconds = validation_seconds
    result.seconds = time.perf_counter() - t0
    return result


class _NotValid(Exception):
    """Validation failed while an optimistic (strict) build was running: abandon it."""


def _hash_sources(review: Review) -> list[tuple]:
    """(path, absolute path, role, sha256, size) of every source file."""
    return [(rel, p, role, sha256_file(p), p.stat().st_size if p.exists() else None)
            for rel, p, role in source_files(review)]


def _write(review: Review, target: Path, get_report: Callable[[], Report], sources: list, *, forced: bool,
           strict: bool) -> BuildResult:
    """Build into a temporary file beside ``target`` and move it over ``target``.

    ``strict``: the review is (expected to be) valid: casts are strict and keys and checks are declared; once the
    tables are loaded, ``get_report()`` must confirm it (else _NotValid and nothing is written).
    """
    import duckdb

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CmokitError(f"{target.parent}: cannot create the folder ({exc.strerror or exc}). Choose another "
                          "place with --db.", rule="build.write", path=str(target)) from None
    removed = remove_dead_temps(target)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        con = duckdb.connect(str(tmp))
        try:
            result = _fill(con, review, target, get_report, sources, forced=forced, strict=strict)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        wal = Path(str(target) + ".wal")
        if wal.exists():  # a stale log of the old file must not be replayed onto the new one
            wal.unlink()
        os.replace(tmp, target)
    except duckdb.Error as exc:
        raise CmokitError(f"building {target} failed: {str(exc).strip().splitlines()[0]}. The review passed "
                          "validation, so this is probably a cmokit bug; please report it.",
                          rule="build.failed", path=str(target)) from None
    except OSError as exc:
        raise CmokitError(f"{target}: cannot be written ({exc.strerror or exc}). Choose another place with --db.",
                          rule="build.write", path=str(target)) from None
    finally:
        for p in (tmp, Path(str(tmp) + ".wal")):
            if p.exists():
                p.unlink()
    result.removed_temps = removed
    return result


def remove_dead_temps(target: Path) -> list[Path]:
    """Remove the temporary files (and their WAL) that builds of ``target`` left when they were killed: those whose
    process (the PID in the name) is gone. A running build's files are left alone."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.([0-9]+)\.[0-9a-f]+\.tmp(\.wal)?")
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    for p in entries:
        m = pattern.fullmatch(p.name)
        if m and not pid_alive(int(m[1])):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return sorted(removed)


def _fill(con, review: Review, target: Path, get_report: Callable[[], Report], sources: list, *, forced: bool,
          strict: bool) -> BuildResult:
    constraints = strict
    con.execute(f"CREATE SCHEMA {MISSING_SCHEMA}")
    # one resource after another, referenced tables (with their keys) first; loading tables in parallel threads
    # was measured slower (the foreign-key checks contend for the referenced table's index)
    for r in load_order(review):
        _create(con, review, r, constraints=constraints)
        _load(con, r, strict=strict)
        for ddl in key_ddl(r) if constraints else []:
            con.execute(ddl)
    tables = {r.name: con.execute(f"SELECT count(*) FROM {q(r.name)}").fetchone()[0] for r in review.resources}
    views = []
    for name, comment, sql in documented_views(review) + [missing_view(review)]:
        con.execute(f"CREATE VIEW {q(name)} AS {sql}")
        con.execute(f"COMMENT ON VIEW {q(name)} IS {lit(comment)}")
        views.append(name)
    counts = _missing_counts(con, review, strict=strict)
    report = get_report()
    if strict and not report.valid:
        raise _NotValid()
    _metadata(con, review, report, sources, forced=forced, constraints=constraints)
    return BuildResult(db_path=target, package=review.name, version=review.version, tables=tables, views=views,
                       missing_cells=counts.get(False, 0), invalid_cells=counts.get(True, 0), forced=forced,
                       valid=report.valid, constraints=constraints, problems=list(report.problems),
                       trusted=report.trusted)


def _missing_counts(con, review: Review, *, strict: bool) -> dict[bool, int]:
    """{False: cells with a missing-value code, True: invalid cells kept by a forced build}, from the shadow tables.

    In a strict build every non-NULL shadow cell is a missing-value code (a bad cell would have stopped the build).
    """
    counts = {False: 0, True: 0}
    for r in review.resources:
        fields = [f for f in r.fields if f.name not in r.primary_key]
        if not fields:
            continue
        codes = ", ".join(lit(c) for c in r.missing_values) or "NULL"
        total = " + ".join(f"count({q(f.name)})" for f in fields)
        valid = total if strict else " + ".join(
            f"count({q(f.name)}) FILTER (WHERE {q(f.name)} IN ({codes}))" for f in fields)
        n_all, n_missing = con.execute(f"SELECT {total}, {valid} FROM {MISSING_SCHEMA}.{q(r.name)}").fetchone()
        counts[False] += n_missing or 0
        counts[True] += (n_all or 0) - (n_missing or 0)
    return counts


def _create(con, review: Review, r: Resource, *, constraints: bool) -> None:
    """Create a resource's ENUM types and table, with comments from the schema."""
    for f in r.fields:
        codes = f.codes() if f.type == "string" else None
        if codes is not None:
            con.execute(f"CREATE TYPE {q(enum_type_name(r, f))} AS ENUM ({', '.join(lit(c) for c in codes)})")
    con.execute(table_ddl(r, review, constraints))
    if r.schema.get("description") or r.descriptor.get("title"):
        con.execute(f"COMMENT ON TABLE {q(r.name)} IS " + lit(r.schema.get("description") or r.descriptor.get("title")))
    for f in r.fields:
        if f.description:
            con.execute(f"COMMENT ON COLUMN {q(r.name)}.{q(f.name)} IS {lit(f.description)}")
    keys = [f"CAST(NULL AS VARCHAR) AS {q(k)}" for k in r.primary_key] or ['CAST(NULL AS BIGINT) AS "#row"']
    others = [f"CAST(NULL AS VARCHAR) AS {q(f.name)}" for f in r.fields if f.name not in r.primary_key]
    con.execute(f"CREATE TABLE {MISSING_SCHEMA}.{q(r.name)} AS SELECT {', '.join(keys + others)} WHERE false")
    con.execute(f"COMMENT ON TABLE {MISSING_SCHEMA}.{q(r.name)} IS " + lit(
        f"Shadow of {r.name}: its key, then per field the missing-value code of the cell ('' not yet extracted, "
        "NR, NA...) or NULL when the cell holds a value. See the missing_cells view."))


def _raw_table(con, r: Resource, raw: str) -> set[str]:
    """Load a resource's CSV as text into the temporary table ``raw``; return its column names.

    DuckDB's ``read_csv`` first (the fast path, for a plain UTF-8 comma-separated file); when it refuses the file,
    or the resource declares another dialect or encoding, the frame of the package's reader (see the module
    docstring). Empty cells are NULL either way.
    """
    _regular(r.path, r.rel_path)
    try:
        if r.dialect != Dialect(encoding=r.dialect.encoding) or not r.dialect.utf8:
            raise ValueError("a declared dialect or encoding: only the package's reader reads it exactly")
        cols: dict[str, str] = {}
        for i, h in enumerate(_header(r.path)):
            cols[h if h not in cols else f"{h}__{i}"] = "VARCHAR"
        if not cols:
            cols = {f.name: "VARCHAR" for f in r.fields}
        struct = "{" + ", ".join(f"{lit(k)}: 'VARCHAR'" for k in cols) + "}"
        con.execute(f"CREATE TEMP TABLE {q(raw)} AS SELECT * FROM read_csv($path, header = true, auto_detect = false, "
                    f"columns = {struct}, delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8')",
                    {"path": str(r.path)})
        return set(cols)
    except Exception:  # noqa: BLE001 - duckdb raises several error classes for CSV it cannot read
        pass
    import polars as pl

    from cmokit.package.reader import read_table

    table = read_table(r, r.path, r.rel_path)
    if table.frame is None:
        first = table.problems[0] if table.problems else None
        raise CmokitError(f"{r.rel_path}: cannot be read as CSV ({first.message if first else 'no table'}). Run "
                          "`cmokit validate` to locate the problem.", rule="data.unreadable", path=r.rel_path)
    names = table.columns()
    frame = table.frame.select([pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in names])
    con.register("__cmokit_frame", frame.to_arrow())
    try:
        con.execute(f"CREATE TEMP TABLE {q(raw)} AS SELECT * FROM __cmokit_frame")
    finally:
        con.unregister("__cmokit_frame")
    return set(names)


def _load(con, r: Resource, *, strict: bool) -> None:
    """Fill one resource's table and its ``missing`` shadow table from its CSV."""
    raw = f"raw__{r.name}"
    cols = _raw_table(con, r, raw)
    rawcol = {f.name: (f"r.{q(f.name)}" if f.name in cols else "CAST(NULL AS VARCHAR)") for f in r.fields}
    typed = ", ".join(f"{cast_expr(r, f, rawcol[f.name], strict=strict)} AS {q(f.name)}" for f in r.fields)
    try:
        con.execute(f"INSERT INTO {q(r.name)} SELECT {typed} FROM {q(raw)} r")
    except Exception as exc:  # noqa: BLE001
        import duckdb

        if not isinstance(exc, duckdb.ConversionException | duckdb.ConstraintException | duckdb.InvalidInputException):
            raise
        raise DataInvalid(f"{r.rel_path}: {str(exc).strip().splitlines()[0]}, although validation passed. Run "
                          "`cmokit validate`; if it reports nothing, please report this as a cmokit bug.",
                          rule="build.cast", path=r.rel_path) from None
    # the shadow table: key columns as text, then the missing-value code (or a forced build's bad text) per field
    keys = [rawcol[k] for k in r.primary_key] or ["row_number() OVER ()"]
    others = [shadow_expr(r, f, rawcol[f.name], strict=strict) for f in r.fields if f.name not in r.primary_key]
    con.execute(f"INSERT INTO {MISSING_SCHEMA}.{q(r.name)} SELECT {', '.join(keys + others)} FROM {q(raw)} r")
    con.execute(f"DROP TABLE {q(raw)}")


def _metadata(con, review: Review, report: Report, sources: list, *, forced: bool, constraints: bool) -> None:
    import duckdb

    con.execute(f"CREATE TABLE {METADATA_TABLE} (package_name VARCHAR, package_title VARCHAR, "
                "package_version VARCHAR, built_at TIMESTAMPTZ, cmokit_version VARCHAR, duckdb_version VARCHAR, "
                "forced BOOLEAN, valid BOOLEAN, validation_errors INTEGER, validation_warnings INTEGER, "
                "constraints BOOLEAN, trusted BOOLEAN)")
    con.execute(f"COMMENT ON TABLE {METADATA_TABLE} IS " + lit(
        "One row about this build: the package, when and with which cmokit it was built, whether it was "
        "forced over validation errors (then constraints is false: keys and checks were not declared), and whether "
        "the review's own rules (validators/) were run (trusted is false: built with --untrusted, they were not)."))
    con.execute(f"INSERT INTO {METADATA_TABLE} VALUES ($1, $2, $3, now(), $4, $5, $6, $7, $8, $9, $10, $11)",
                [review.name, review.descriptor.get("title"), review.version, __version__, duckdb.__version__,
                 forced, report.valid, len(report.errors), len(report.warnings), constraints, report.trusted])
    con.execute(f"CREATE TABLE {SOURCES_TABLE} (path VARCHAR PRIMARY KEY, role VARCHAR, sha256 VARCHAR, "
                "bytes BIGINT)")
    con.execute(f"COMMENT ON TABLE {SOURCES_TABLE} IS " + lit(
        "Every file the build read (path relative to the review), with its SHA-256; `cmokit query` rebuilds "
        "when one changes."))
    con.executemany(f"INSERT INTO {SOURCES_TABLE} VALUES ($1, $2, $3, $4)",
                    [[rel, role, h, size] for rel, _, role, h, size in sources])
    con.execute(f"CREATE TABLE {PROBLEMS_TABLE} (rule VARCHAR, severity VARCHAR, resource VARCHAR, path VARCHAR, "
                "line INTEGER, field VARCHAR, value VARCHAR, message VARCHAR)")
    con.execute(f"COMMENT ON TABLE {PROBLEMS_TABLE} IS " + lit(
        "The validation report the build was made with (errors only in a forced build; warnings in any)."))
    if report.problems:
        con.executemany(f"INSERT INTO {PROBLEMS_TABLE} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        [[p.rule, p.severity, p.resource, p.path, p.line, p.field,
                          None if p.value is None else str(p.value), p.message] for p in report.problems])


def read_metadata(db_path: Path) -> dict | None:
    """The build_metadata row of a database as a dict (None if absent)."""
    from cmokit.synthesis.database import connect_readonly

    con = connect_readonly(db_path, sandbox=False)
    try:
        cur = con.execute(f"SELECT * FROM {METADATA_TABLE}")
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None
    finally:
        con.close()


def ensure_database(review: Review, db: str | os.PathLike[str] | None = None, *, rebuild: bool = True,
                    notify: Any = None, force: bool = False, trusted: bool = True) -> Path:
    """The database path, rebuilt first when it is missing or any source file's hash changed.

    ``notify(message)`` is called before a rebuild (the CLI prints it to stderr); ``force`` builds over validation
    errors (as ``cmokit build --force``); ``trusted=False`` rebuilds without the review's ``validators/``.
    """
    path = resolve_db_path(review, db)
    changed = changed_sources(review, path)
    if changed == [] or not rebuild:
        return path
    if notify is not None:
        why = "no database yet" if changed is None else "changed: " + ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        notify(f"Building {path} ({why})...")
    build(review.descriptor_path if review.descriptor_path.name != "datapackage.json" else review.root, path,
          force=force, trusted=trusted)
    return path
