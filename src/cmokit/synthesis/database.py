"""Where the review's DuckDB database lives, what it was built from, and the read-only sandbox for user SQL.

The sandbox (verified in tests/test_query.py): the file is opened ``read_only``, external access (files, URLs,
ATTACH, COPY, INSTALL/LOAD of extensions) is disabled, extensions are neither auto-loaded nor auto-installed, and
the configuration is then locked so that SQL cannot undo any of it (``SET``/``RESET``/``PRAGMA`` are refused).
DuckDB still lets the connection read its own database file (and its WAL); nothing else is reachable.

Limits (:class:`Limits`): DuckDB may hold at most ``memory`` (``memory_limit``) and runs on ``threads`` threads. It
gets no temporary (spill) directory at all: DuckDB lets SQL read and write its temporary directory even with
external access disabled (verified with duckdb 2.0.1: ``COPY ... TO '<temp dir>/x'`` and ``glob()`` work there),
and its default one, ``<database>.tmp/``, is used whenever that folder exists. So a query that needs more memory than
the limit stops with an out-of-memory error instead of spilling to disk. The time limit is enforced by the caller
(:mod:`cmokit.synthesis.query`).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

DEFAULT_DB = Path(".cmokit") / "review.duckdb"

# Tables every build adds beside the resources' own tables (a resource may not use these names).
METADATA_TABLE = "build_metadata"
SOURCES_TABLE = "source_files"
MISSING_TABLE = "missing_cells"
PROBLEMS_TABLE = "validation_problems"
MISSING_SCHEMA = "missing"  # one shadow table per resource: which missing-value code each cell had
SYSTEM_TABLES = (METADATA_TABLE, SOURCES_TABLE, MISSING_TABLE, PROBLEMS_TABLE)


MEMORY_RE = re.compile(r"^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """What one sandboxed query may use: wall time (seconds; None = no limit), DuckDB memory, threads."""

    timeout: float | None = 60.0
    memory: str = "2GB"
    threads: int = 2

    def check(self) -> Limits:
        """Self, or CmokitError (exit 2) for a limit DuckDB would not understand."""
        if not MEMORY_RE.match(self.memory):
            raise CmokitError(f"--memory-limit '{self.memory}' is not a size: write e.g. 2GB, 500MB or 1.5GiB.",
                              rule="usage")
        if self.timeout is not None and not self.timeout > 0:
            raise CmokitError(f"--timeout {self.timeout:g}: give a number of seconds above 0.", rule="usage")
        if self.threads < 1:
            raise CmokitError(f"threads {self.threads}: at least 1.", rule="usage")
        return self


def default_db_path(review: Review) -> Path:
    """The default database of a review: ``<review>/.cmokit/review.duckdb`` (git-ignored)."""
    return review.root / DEFAULT_DB


def resolve_db_path(review: Review, db: str | os.PathLike[str] | None) -> Path:
    """``db`` if given (relative to the current folder), else the review's default database."""
    return Path(db).resolve() if db is not None else default_db_path(review)


def source_files(review: Review) -> list[tuple[str, Path, str]]:
    """Every file a build reads, as (path relative to the review, absolute path, role), in a stable order.

    The descriptor, each resource's Table Schema and CSV, and the review's own validator code (``validators/``),
    since a change in any of them can change the database or whether the review is valid.
    """
    root = review.root
    seen: dict[str, tuple[str, Path, str]] = {}

    def add(p: Path, role: str) -> None:
        try:
            rel = p.resolve().relative_to(root).as_posix()
        except ValueError:
            rel = str(p)
        seen.setdefault(rel, (rel, p, role))

    add(review.descriptor_path, "descriptor")
    for r in review.resources:
        if r.schema_path is not None:
            add(r.schema_path, "schema")
        add(r.path, "data")
    vdir = root / "validators"
    if vdir.is_dir():
        for p in sorted(vdir.rglob("*.py")):
            if "__pycache__" not in p.parts:
                add(p, "validator")
    return sorted(seen.values(), key=lambda t: (t[2] != "descriptor", t[0]))


def sha256_file(path: Path) -> str | None:
    """Hex SHA-256 of a file, or None when it does not exist."""
    h = hashlib.sha256()
    if path.exists() and not path.is_file():  # a pipe or device is never opened (it could block forever)
        return None
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except FileNotFoundError:
        return None
    return h.hexdigest()


def source_hashes(review: Review) -> dict[str, str | None]:
    """Path (relative to the review) -> SHA-256 of every source file (None for a missing file)."""
    return {rel: sha256_file(p) for rel, p, _ in source_files(review)}


def connect_readonly(db_path: Path, *, sandbox: bool = True, limits: Limits | None = None
                     ) -> duckdb.DuckDBPyConnection:
    """Open the database read-only; with ``sandbox`` (the default for user SQL) lock it down and bound it as
    described above (``limits``: default :class:`Limits`)."""
    import duckdb

    if not db_path.exists():
        raise CmokitError(f"{db_path}: no database here. Run `cmokit build` first.", rule="db.missing",
                          path=str(db_path))
    if not db_path.is_file():
        raise CmokitError(f"{db_path}: is not a regular file (a folder, pipe or device); give --db a database file.",
                          rule="file.unsafe", path=str(db_path))
    config: dict[str, object] = {}
    if sandbox:
        lim = (limits or Limits()).check()
        config = {"enable_external_access": False, "autoload_known_extensions": False,
                  "autoinstall_known_extensions": False, "temp_directory": "", "max_temp_directory_size": "0B",
                  "memory_limit": lim.memory.strip(), "threads": lim.threads}
    try:
        con = duckdb.connect(str(db_path), read_only=True, config=config)
    except duckdb.Error as exc:
        raise CmokitError(f"{db_path}: cannot be opened as a DuckDB database ({_first_line(exc)}). "
                          "Rebuild it with `cmokit build`.", rule="db.unreadable", path=str(db_path)) from None
    if sandbox:
        con.execute("SET errors_as_json = true")
        con.execute("SET lock_configuration = true")
    return con


def stored_hashes(db_path: Path) -> dict[str, str | None] | None:
    """The source hashes recorded in a database, or None if it is missing or not a cmokit database."""
    import duckdb

    if not db_path.exists():
        return None
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(f"SELECT path, sha256 FROM {SOURCES_TABLE}").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return dict(rows)


def changed_sources(review: Review, db_path: Path) -> list[str] | None:
    """Source files whose hash differs from the database's record ([] if up to date, None if never built)."""
    stored = stored_hashes(db_path)
    if stored is None:
        return None
    current = source_hashes(review)
    return sorted(k for k in set(stored) | set(current) if stored.get(k) != current.get(k))


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
