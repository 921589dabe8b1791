"""Run SQL against the review's database, read-only and sandboxed; named queries from ``queries/*.sql``.

A named query is a ``.sql`` file whose leading comment block is its header::

    -- title: Studies by year
    -- question: How many studies were published in a year, and which?
    -- param year: the year
    -- param kind = NULL: optional; NULL (the default) means every kind of evidence
    SELECT ... WHERE year = $year

Parameters are DuckDB prepared-statement parameters (``$name``); values are bound, never pasted into the SQL.
A parameter with ``= default`` is optional (``NULL`` for SQL NULL); one without must be given.
"""

from __future__ import annotations

import gc
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.synthesis.database import Limits, connect_readonly

POLL_SECONDS = 0.05  # how often a waiting query checks its time limit and repeats an interrupt

BATCH_ROWS = 2000  # rows fetched into Python at a time

HEADER_RE = re.compile(r"^--\s*(title|question|paper)\s*:\s*(.*)$")
PARAM_RE = re.compile(r"^--\s*param\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*([^:]*?))?\s*:\s*(.*)$")


@dataclass
class Param:
    """A parameter of a named query."""

    name: str
    description: str
    default: str | None = None
    required: bool = True


@dataclass
class NamedQuery:
    """A named query: its file, header and SQL."""

    name: str
    path: Path
    title: str
    question: str
    params: list[Param]
    sql: str
    paper: list[str] = field(default_factory=list)


@dataclass
class QueryResult:
    """Columns, their DuckDB types, and rows (Python values)."""

    columns: list[str]
    types: list[str]
    rows: list[tuple]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


# ----------------------------------------------------------------------------------------------- named queries

def parse_named(path: Path) -> NamedQuery:
    """Read a named query file and its header; CmokitError (query.header) if the header is incomplete."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CmokitError(f"{path}: cannot be read ({exc}).", rule="query.unreadable", path=str(path)) from None
    meta: dict[str, str] = {}
    params: list[Param] = []
    paper: list[str] = []
    last: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if not s.startswith("--"):
            break
        m = HEADER_RE.match(s)
        pm = PARAM_RE.match(s)
        if m:
            key, value = m.group(1), m.group(2).strip()
            last = key
            if key == "paper":
                paper.append(value)
            else:
                meta[key] = value
        elif pm:
            last = "param"
            default = pm.group(2)
            params.append(Param(pm.group(1), pm.group(3), default, required=default is None))
        elif re.match(r"^--\s*param\b", s):
            raise CmokitError(f"{path.name}, line {n}: a parameter reads '-- param NAME: description' or "
                              f"'-- param NAME = DEFAULT: description', not '{s}'.", rule="query.header",
                              path=str(path), line=n)
        elif last in ("title", "question") and s[2:].strip():  # continuation line
            meta[last] += " " + s[2:].strip()
        elif last == "param" and params and s[2:].strip():
            params[-1].description += " " + s[2:].strip()
    for key in ("title", "question"):
        if not meta.get(key):
            raise CmokitError(f"{path.name}: the header needs a '-- {key}: ...' line.", rule="query.header",
                              path=str(path))
    return NamedQuery(name=path.stem, path=path, title=meta["title"], question=meta["question"], params=params,
                      sql=text, paper=paper)


def queries_dir(review: Review) -> Path:
    return review.root / "queries"


def list_named(review: Review) -> list[NamedQuery]:
    """Every named query of the review, by name."""
    d = queries_dir(review)
    return [parse_named(p) for p in sorted(d.glob("*.sql"))] if d.is_dir() else []


def load_named(review: Review, name: str) -> NamedQuery:
    """The named query ``name`` (file ``queries/<name>.sql``)."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
        raise CmokitError(f"'{name}' is not a query name (letters, digits, '_', '-', '.').", rule="query.unknown")
    path = queries_dir(review) / f"{name}.sql"
    if not path.is_file():
        known = ", ".join(q.name for q in list_named(review)) or "none"
        raise CmokitError(f"no named query '{name}' in {queries_dir(review)} (known: {known}). "
                          "Run `cmokit query --list`.", rule="query.unknown")
    return parse_named(path)


def bind_params(nq: NamedQuery, given: dict[str, str]) -> dict[str, str | None]:
    """Check given parameters against the header; fill defaults; CmokitError (query.param) on a mismatch."""
    names = [p.name for p in nq.params]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise CmokitError(f"query '{nq.name}' has no parameter {', '.join(unknown)} "
                          f"(its parameters: {', '.join(names) or 'none'}).", rule="query.param")
    out: dict[str, str | None] = {}
    for p in nq.params:
        if p.name in given:
            out[p.name] = given[p.name]
        elif p.required:
            raise CmokitError(f"query '{nq.name}' needs --param {p.name}=VALUE ({p.description}).",
                              rule="query.param")
        else:
            out[p.name] = None if (p.default or "").upper() == "NULL" else p.default
    used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", _strip_comments(nq.sql)))
    # DuckDB refuses values for parameters the SQL does not use
    return {k: v for k, v in out.items() if k in used}


def parse_param_options(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``key=value`` strings -> dict (CmokitError on a malformed one)."""
    out = {}
    for v in values:
        if "=" not in v:
            raise CmokitError(f"--param '{v}' must read key=value.", rule="query.param")
        k, _, val = v.partition("=")
        out[k.strip()] = val
    return out


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


# ----------------------------------------------------------------------------------------------- running

class QueryStream:
    """A query running in the sandbox, read batch by batch so that a big result never sits whole in memory.

    ``with QueryStream(db, sql) as q:`` runs the SQL (``q.columns``, ``q.types``), then ``for rows in q.batches():``
    yields lists of row tuples. The time limit covers the whole run, fetching included. Each DuckDB call runs in a
    worker thread while the calling thread waits in Python, so that Ctrl-C and the time limit are noticed at once;
    DuckDB's ``interrupt()`` is then repeated until the call returns (one interrupt that lands as DuckDB starts a
    query can go unanswered: seen as a Ctrl-C that hung about one time in five). Errors become one-line
    :class:`CmokitError` (exit 2): ``query.sql``, ``query.timeout``, ``query.memory``; Ctrl-C raises
    KeyboardInterrupt.
    """

    def __init__(self, db_path: Path, sql: str, params: dict[str, Any] | None = None, *,
                 limits: Limits | None = None, batch_rows: int = BATCH_ROWS):
        self.db_path, self.sql, self.params = db_path, sql, params
        self.limits = (limits or Limits()).check()
        self.batch_rows = batch_rows
        self.columns: list[str] = []
        self.types: list[str] = []
        self._con = None
        self._cur = None
        self._deadline: float | None = None
        self._timed_out = False

    def __enter__(self) -> QueryStream:
        self._con = connect_readonly(self.db_path, sandbox=True, limits=self.limits)
        if self.limits.timeout is not None:
            self._deadline = time.monotonic() + self.limits.timeout
        try:
            with self._translated():
                self._cur = self._call(self._con.execute, self.sql, self.params or None)
        except BaseException:
            self.__exit__()
            raise
        desc = self._cur.description or []
        self.columns = [d[0] for d in desc]
        self.types = [str(d[1]) for d in desc]
        return self

    def _call(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` in a worker thread; this thread waits in Python, interrupting DuckDB until the call returns
        once Ctrl-C came (KeyboardInterrupt) or the time limit passed (``query.timeout``)."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["value"] = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = exc
            finally:
                done.set()

        cancelled = stopping = False
        threading.Thread(target=work, name="cmokit-query", daemon=True).start()
        # waiting by sleeping, not Thread.join: a Ctrl-C that interrupts join() can leave the thread reported as
        # finished while it still runs (CPython 3.11)
        while not done.is_set():
            try:
                if not stopping and self._deadline is not None and time.monotonic() >= self._deadline:
                    self._timed_out = stopping = True
                if stopping:
                    self._con.interrupt()
                time.sleep(POLL_SECONDS)
            except KeyboardInterrupt:
                cancelled = stopping = True
        if cancelled:
            raise KeyboardInterrupt
        if self._timed_out:
            raise self._timeout_error()
        if "error" in box:
            raise box["error"]
        return box["value"]

    def batches(self) -> Iterator[list[tuple]]:
        """The rows, ``batch_rows`` at a time (none for a statement without a result)."""
        if not self.columns:
            return
        while True:
            with self._translated():
                rows = self._call(self._cur.fetchmany, self.batch_rows)
            if not rows:
                return
            yield rows

    def __exit__(self, *exc: Any) -> None:
        if self._con is not None:
            self._con.close()

    def _timeout_error(self) -> CmokitError:
        return CmokitError(f"the query ran longer than the time limit ({self.limits.timeout:g} s) and was stopped. "
                           "Make it cheaper (filter, aggregate, LIMIT) or allow more time with --timeout SECONDS.",
                           rule="query.timeout")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        import duckdb

        try:
            yield
        except duckdb.InterruptException:
            if self._timed_out:
                raise self._timeout_error() from None
            raise KeyboardInterrupt from None
        except duckdb.OutOfMemoryException:
            raise CmokitError(f"the query needed more memory than the limit ({self.limits.memory}) and was stopped. "
                              "Make it cheaper (filter, aggregate, LIMIT) or allow more with --memory-limit SIZE "
                              "(e.g. 4GB).", rule="query.memory") from None
        except duckdb.Error as exc:
            raise CmokitError(sql_error_message(exc, self.sql), rule="query.sql") from None
        except RuntimeError as exc:  # DuckDB's answer to Ctrl-C while it runs: "Query interrupted"
            if "interrupt" in str(exc).lower():
                raise KeyboardInterrupt from None
            raise


def run_sql(db_path: Path, sql: str, params: dict[str, Any] | None = None, *,
            limits: Limits | None = None) -> QueryResult:
    """Run ``sql`` in the read-only sandbox and collect every row (CmokitError with one line on error).

    For results of any size, read them batch by batch with :class:`QueryStream` instead.
    """
    rows: list[tuple] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # fetching many rows creates many tuples at once; collecting them midway only costs time
    try:
        with QueryStream(db_path, sql, params, limits=limits) as q:
            for batch in q.batches():
                rows.extend(batch)
    finally:
        if gc_was_enabled:
            gc.enable()
    return QueryResult(columns=q.columns, types=q.types, rows=rows)


def named_stream(db_path: Path, nq: NamedQuery, params: dict[str, str] | None = None, *,
                 limits: Limits | None = None) -> QueryStream:
    """A :class:`QueryStream` of a named query with its parameters checked and bound (not yet entered)."""
    bound = bind_params(nq, params or {})
    check_param_codes(db_path, nq, {k: v for k, v in (params or {}).items() if k in bound})
    return _Named(db_path, nq.sql, bound, limits=limits, name=nq.path.name)


class _Named(QueryStream):
    """A named query's stream: its errors name the query's file."""

    def __init__(self, *args: Any, name: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.name = name

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            with super()._translated():
                yield
        except CmokitError as exc:
            exc.message = f"{self.name}: {exc.message}"
            raise


def run_named(db_path: Path, nq: NamedQuery, params: dict[str, str] | None = None, *,
              limits: Limits | None = None) -> QueryResult:
    """Run a named query with its parameters bound, and collect every row."""
    rows: list[tuple] = []
    with named_stream(db_path, nq, params, limits=limits) as q:
        for batch in q.batches():
            rows.extend(batch)
    return QueryResult(columns=q.columns, types=q.types, rows=rows)


# A parameter compared with a column (``col = $p``, ``$p = col``, ``list_contains(col, $p)``): a coded column's
# codes are the only values that can match, so any other value is a mistake, not an empty answer.
_COMPARED = r"(?:[A-Za-z_][A-Za-z0-9_]*\.)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\${p}\b|\${p}\s*=\s*" \
            r"(?:[A-Za-z_][A-Za-z0-9_]*\.)?([A-Za-z_][A-Za-z0-9_]*)|list_contains\(\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)?" \
            r"([A-Za-z_][A-Za-z0-9_]*)\s*,\s*\${p}\s*\)"


def compared_columns(sql: str, param: str) -> list[str]:
    """The columns the SQL compares parameter ``param`` with (see ``_COMPARED``)."""
    found = re.findall(_COMPARED.format(p=re.escape(param)), _strip_comments(sql), flags=re.IGNORECASE)
    return sorted({c for groups in found for c in groups if c})


def check_param_codes(db_path: Path, nq: NamedQuery, given: dict[str, str]) -> None:
    """CmokitError (query.param, exit 2) when a given value is compared with a coded (ENUM) column but is not one
    of its codes; the message names the allowed codes."""
    wanted = {name: compared_columns(nq.sql, name) for name in given}
    columns = sorted({c for cols in wanted.values() for c in cols})
    if not columns:
        return
    con = connect_readonly(db_path, sandbox=True)
    try:
        types = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE list_contains($c, column_name)",
                            {"c": columns}).fetchall()
    finally:
        con.close()
    codes: dict[str, set[tuple[str, ...]]] = {}
    for col, typ in types:
        if typ.startswith("ENUM("):
            # every quoted code of the type (a quote inside a code is doubled); not cut at the first ")", which
            # a code may hold ("a (b)"): an ENUM list column's type ends in "[]", which holds no quote
            codes.setdefault(col, set()).add(tuple(v.replace("''", "'") for v in
                                                   re.findall(r"'((?:[^']|'')*)'", typ)))
    for name, value in given.items():
        for col in wanted[name]:
            sets = codes.get(col)
            if sets and len(sets) == 1:
                allowed = next(iter(sets))
                if value not in allowed:
                    raise CmokitError(f"query '{nq.name}': --param {name}={value} is not a code of {col}; the codes "
                                      f"are {', '.join(allowed)}.", rule="query.param")


def sql_error_message(exc: BaseException, sql: str) -> str:
    """One line: the kind of error, DuckDB's message, and where in the SQL (line, column) when DuckDB says."""
    text = str(exc).strip()
    kind, _, rest = text.partition(": ")
    info: dict[str, Any] = {}
    if rest.startswith("{"):
        try:
            info = json.loads(rest)
        except json.JSONDecodeError:
            info = {}
    message = info.get("exception_message") or rest or text
    kind = (info.get("exception_type") + " Error") if info.get("exception_type") else kind
    message = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    where = ""
    pos = info.get("position")
    if pos is not None and str(pos).isdigit():
        offset = int(pos)
        before = sql[:offset]
        line = before.count("\n") + 1
        col = offset - (before.rfind("\n") + 1) + 1
        where = f" (at line {line}, column {col}: {sql[offset:offset + 20].splitlines()[0] if sql[offset:] else ''!r})"
    if kind.startswith("Permission"):
        message += " - queries run in a read-only sandbox without file, network or extension access"
    elif "Cannot change configuration option" in message:
        message += " - settings are locked in the query sandbox"
    return f"SQL {kind.lower() if kind else 'error'}: {message}{where}"
