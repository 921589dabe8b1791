"""What the report shows, read from the review and its database: the overview, the build's provenance, the
characteristics tables and the data-quality counts (the realist layer and agreement have modules of their own).

Everything is plain data (strings and numbers in :class:`TableView` and dicts), so the numbers can be tested apart
from the HTML. Long lists are cut at ``max_rows`` rows with the total kept, so a 10,000-study review gives a page of
summaries, not of every row; the full data come from ``cmokit tables`` and ``cmokit export``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.synthesis.database import (
    METADATA_TABLE,
    MISSING_SCHEMA,
    MISSING_TABLE,
    PROBLEMS_TABLE,
    SOURCES_TABLE,
    connect_readonly,
)
from cmokit.synthesis.ddl import q

HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s\"'<>\\`]*)?$")
MISSING_ORDER = ("NR", "NA", "")


@dataclass(frozen=True)
class Link:
    """A text with an optional address (only an https:// address from a dedicated URL field becomes a link)."""

    text: str
    url: str | None = None


@dataclass
class TableView:
    """One table of the report: caption, column headers, rows of text (cut at ``max_rows``), the total count."""

    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]]
    total: int
    numeric: tuple[int, ...] = ()  # columns holding numbers (right-aligned, sorted as numbers)
    mono: tuple[int, ...] = ()  # columns holding hashes (monospace, broken anywhere)
    row_header: bool = True  # the first column heads its row (<th scope="row">)
    note: str = ""
    sortable: bool = True

    @property
    def omitted(self) -> int:
        return max(self.total - len(self.rows), 0)


@dataclass
class Section:
    """A section's data, or why the review cannot give it (``problem``)."""

    data: Any = None
    problem: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def safe_url(value: object) -> str | None:
    """``value`` when it is a plain https:// address, else None (never a javascript:, data: or relative link)."""
    text = str(value or "").strip()
    return text if HTTPS.match(text) else None


def cell(value: object) -> str:
    """A database value as the report writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "; ".join(cell(v) for v in value)
    return str(value)


def number(n: int | float | None) -> str:
    """An integer with thousands separators ('' for None)."""
    return "" if n is None else f"{n:,}"


class Db:
    """One read-only, sandboxed connection for the whole report."""

    def __init__(self, db_path: Path):
        self.path = db_path
        self.con = connect_readonly(db_path, sandbox=True)
        self.tables = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        return self.con.execute(sql, params or None).fetchall()

    def one(self, sql: str, params: dict | None = None) -> Any:
        row = self.con.execute(sql, params or None).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.con.close()


def texts(review: Review, resource: str, fields: list[str], alias: str = "t") -> tuple[list[str], str]:
    """SELECT expressions giving each field as text (a missing value as its code: NR, NA, '') and the JOIN of the
    resource's shadow table that holds the codes."""
    res = review.resource(resource)
    keys = res.primary_key
    exprs = [f"coalesce(CAST({alias}.{q(f)} AS VARCHAR), m_{alias}.{q(f)}, '')" if f not in keys
             else f"CAST({alias}.{q(f)} AS VARCHAR)" for f in fields]
    on = " AND ".join(f"m_{alias}.{q(k)} = CAST({alias}.{q(k)} AS VARCHAR)" for k in keys) or "false"
    return exprs, f"LEFT JOIN {MISSING_SCHEMA}.{q(resource)} m_{alias} ON {on}"


# ------------------------------------------------------------------------------------------------------ overview

def overview(review: Review, db: Db) -> dict[str, Any]:
    """Title, citation, licence, contributors, and counts: studies by inclusion status and by group (age band)."""
    d = review.descriptor
    sources = [Link(str(s.get("title") or s.get("path") or ""), safe_url(s.get("path")))
               for s in d.get("sources") or [] if isinstance(s, dict)]
    licences = [Link(str(lic.get("title") or lic.get("name") or ""), safe_url(lic.get("path")))
                for lic in d.get("licenses") or [] if isinstance(lic, dict)]
    contributors = [(Link(str(c.get("title") or ""), safe_url(c.get("path"))),
                     ", ".join(str(r) for r in c.get("roles") or ([c["role"]] if c.get("role") else [])))
                    for c in d.get("contributors") or [] if isinstance(c, dict)]
    rows = [(r.name, str(r.descriptor.get("title") or r.name), db.one(f"SELECT count(*) FROM {q(r.name)}"))
            for r in review.resources if r.name in db.tables]
    out: dict[str, Any] = {"title": str(d.get("title") or review.name), "name": review.name,
                           "version": review.version, "description": str(d.get("description") or ""),
                           "homepage": Link(str(d.get("homepage") or ""), safe_url(d.get("homepage"))),
                           "sources": sources, "licences": licences, "contributors": contributors,
                           "keywords": [str(k) for k in d.get("keywords") or []],
                           "tables": TableView("tables-rows", "Rows per table", ["Table", "Title", "Rows"],
                                               [[n, t, number(c)] for n, t, c in rows], len(rows), numeric=(2,),
                                               sortable=False),
                           "status": [], "groups": None}
    if "studies" in db.tables and review.has("studies"):
        from cmokit.package.annotations import code_labels, study_fields

        inclusion = study_fields(review).inclusion
        if inclusion:
            labels = dict(code_labels(review, "studies", inclusion))
            counts = db.rows(f"SELECT CAST({q(inclusion)} AS VARCHAR), count(*) FROM studies GROUP BY 1 ORDER BY 1")
            out["status"] = [(labels.get(c or "", c or "missing"), n) for c, n in counts]
        out["groups"] = _groups(review, db)
    return out


def _groups(review: Review, db: Db) -> TableView | None:
    """Included studies per group (the grouping field declares ``"cmokit:study": "grouping"``; its codes and labels
    come from the schema and the codebook)."""
    from cmokit.package.annotations import STUDIES, field_title, groups, included_sql, study_fields

    field = study_fields(review).group
    found = groups(review)
    if not found or field is None:
        return None
    title = field_title(review, STUDIES, field)
    counts = dict(db.rows(f"SELECT CAST(s.{q(field)} AS VARCHAR), count(*) FROM studies s "
                          f"WHERE {included_sql(review)} GROUP BY 1"))
    total = sum(counts.values())
    rows = [[label, number(counts.get(code, 0)), _share(counts.get(code, 0), total)] for code, label in found]
    other = total - sum(counts.get(code, 0) for code, _ in found)
    if other:
        rows.append([f"No {title.lower()} (missing value)", number(other), _share(other, total)])
    return TableView("groups", f"Included studies by {title.lower()}", [title, "Studies", "Share"], rows, len(rows),
                     numeric=(1, 2), sortable=False)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


# ------------------------------------------------------------------------------------------------------ provenance

def provenance(review: Review, db: Db, built_at: str, max_rows: int) -> dict[str, Any]:
    """cmokit version, report time, the database's build record, the source files' SHA-256, the problems."""
    from cmokit import __version__

    meta: dict[str, Any] = {}
    if METADATA_TABLE in db.tables:
        cur = db.con.execute(f"SELECT * FROM {METADATA_TABLE}")
        row = cur.fetchone()
        meta = dict(zip([c[0] for c in cur.description], row, strict=True)) if row else {}
    sources = db.rows(f"SELECT path, role, sha256, bytes FROM {SOURCES_TABLE} ORDER BY path") \
        if SOURCES_TABLE in db.tables else []
    problems = db.rows(f"SELECT severity, rule, path, line, field, message FROM {PROBLEMS_TABLE} "
                       "ORDER BY severity, path, line, rule") if PROBLEMS_TABLE in db.tables else []
    shown = problems[:max_rows]
    return {
        "cmokit_version": __version__, "built_at": built_at,
        "database_cmokit": meta.get("cmokit_version"), "duckdb_version": meta.get("duckdb_version"),
        "valid": bool(meta.get("valid")), "forced": bool(meta.get("forced")),
        "errors": int(meta.get("validation_errors") or 0), "warnings": int(meta.get("validation_warnings") or 0),
        "sources": TableView("sources", "Source files and their SHA-256", ["File", "Role", "SHA-256", "Bytes"],
                             [[p, r, h or "(missing)", number(b)] for p, r, h, b in sources], len(sources),
                             numeric=(3,), mono=(2,)),
        "problems": TableView("problems", "Validation problems recorded with the build",
                              ["Severity", "Rule", "File", "Line", "Field", "Message"],
                              [[s, r, p or "", cell(ln), f or "", m] for s, r, p, ln, f, m in shown], len(problems),
                              numeric=(3,), row_header=False),
    }


# ------------------------------------------------------------------------------------------------------ tables

def characteristics(review: Review, db_path: Path, max_rows: int) -> Section:
    """The review's characteristics-and-findings tables (for the bundled review the paper's Tables 1-3), as
    :func:`cmokit.synthesis.tables.paper_tables` gives them: titles and columns come from there."""
    from cmokit.synthesis.tables import paper_tables

    try:
        tables = paper_tables(review, db_path)
    except CmokitError as exc:
        return Section(problem=exc.message)
    views = [TableView(f"table-{t.number}", t.title, list(t.columns), [[cell(v) for v in r] for r in t.rows[:max_rows]],
                       len(t.rows)) for t in tables]
    return Section(views)


# ------------------------------------------------------------------------------------------------------ quality

def quality(review: Review, db: Db, max_rows: int) -> dict[str, Any]:
    """Missing values by table and field (from ``missing_cells``) and the review's notes fields."""
    codes: list[str] = []
    counts: dict[tuple[str, str], dict[str, int]] = {}
    if MISSING_TABLE in db.tables:
        for res, fld, code, n in db.rows(f"SELECT resource, field, code, count(*) FROM {MISSING_TABLE} "
                                         "WHERE code IS NOT NULL GROUP BY ALL"):
            counts.setdefault((res, fld), {})[code] = n
            if code not in codes:
                codes.append(code)
    codes.sort(key=lambda c: (MISSING_ORDER.index(c) if c in MISSING_ORDER else len(MISSING_ORDER), c))
    order = {r.name: (i, {f: j for j, f in enumerate(r.field_names)}) for i, r in enumerate(review.resources)}
    keys = sorted(counts, key=lambda k: (order.get(k[0], (999, {}))[0], order.get(k[0], (0, {}))[1].get(k[1], 999)))
    sizes = {r.name: db.one(f"SELECT count(*) FROM {q(r.name)}") for r in review.resources if r.name in db.tables}
    heads = [_code_head(c) for c in codes]
    rows = [[f"{res}.{fld}", number(sizes.get(res))] + [number(counts[(res, fld)].get(c, 0)) for c in codes]
            for res, fld in keys]
    missing = TableView("missing", "Missing values by table and field (cells)", ["Field", "Rows"] + heads,
                        rows[:max_rows], len(rows), numeric=tuple(range(1, 2 + len(codes))))
    return {"missing": missing, "notes": _notes(review, db, max_rows),
            "total": sum(sum(v.values()) for v in counts.values())}


def _code_head(code: str) -> str:
    return {"NR": "NR (not reported)", "NA": "NA (not applicable)", "": "blank (not yet extracted)"}.get(
        code, code)


def _notes(review: Review, db: Db, max_rows: int) -> TableView:
    """Every filled ``notes`` cell of the data tables: the review's record of doubts and contradictions in the
    source."""
    rows: list[list[str]] = []
    total = 0
    for r in review.data_resources:
        if "notes" not in r.field_names or r.name not in db.tables or r.descriptor.get("cmokit:role") == "audit-log":
            continue
        key = " || ' / ' || ".join(f"CAST({q(k)} AS VARCHAR)" for k in r.primary_key) or "''"
        where = "notes IS NOT NULL AND trim(CAST(notes AS VARCHAR)) <> ''"
        total += db.one(f"SELECT count(*) FROM {q(r.name)} WHERE {where}")
        if len(rows) < max_rows:
            order = ", ".join(q(k) for k in r.primary_key) or "1"
            rows += [[r.name, k, str(n)] for k, n in db.rows(
                f"SELECT {key}, CAST(notes AS VARCHAR) FROM {q(r.name)} WHERE {where} ORDER BY {order} "
                f"LIMIT {max_rows - len(rows)}")]
    return TableView("quality-notes", "Notes recorded with the data (doubts, readings of the source, contradictions)",
                     ["Table", "Row", "Note"], rows, total, row_header=False)
