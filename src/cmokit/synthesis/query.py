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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.synthesis.database import connect_readonly

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

def run_sql(db_path: Path, sql: str, params: dict[str, Any] | None = None) -> QueryResult:
    """Run ``sql`` in the read-only sandbox; CmokitError (rule query.sql) with one line and the position on error."""
    import duckdb

    con = connect_readonly(db_path, sandbox=True)
    try:
        gc_was_enabled = gc.isenabled()
        gc.disable()  # fetching many rows creates many tuples at once; collecting them midway only costs time
        try:
            cur = con.execute(sql, params or None)
            rows = cur.fetchall() if cur.description else []
            desc = cur.description or []
        except duckdb.Error as exc:
            raise CmokitError(sql_error_message(exc, sql), rule="query.sql") from None
        finally:
            if gc_was_enabled:
                gc.enable()
    finally:
        con.close()
    return QueryResult(columns=[d[0] for d in desc], types=[str(d[1]) for d in desc], rows=rows)


def run_named(db_path: Path, nq: NamedQuery, params: dict[str, str] | None = None) -> QueryResult:
    """Run a named query with its parameters bound."""
    bound = bind_params(nq, params or {})
    try:
        return run_sql(db_path, nq.sql, bound)
    except CmokitError as exc:
        exc.message = f"{nq.path.name}: {exc.message}"
        raise


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
