"""The paper's Tables 1-3, regenerated from the database: one table per age band, rows in the paper's order; and the
theory table (``cmokit tables --theories``).

Columns of Tables 1-3: Study ID (the study's label and reference number, as the paper prints it), then the text
fields of the configuration table by realist role (``cmokit:role``: intervention, context, mechanism, outcome),
each headed by its field's title; for the bundled review: Intervention components, Context, Mechanisms for improved
child mental health, Social support outcomes, Child outcomes. A study with several CMO configurations has one row
per configuration. A missing cell shows its code (NR, NA). Rows follow ``studies.paper_table_row``; studies without
one come last, by study_id. The theory table has one row per theory: its statement, status, the studies that
support, refute, refine or illustrate it (label and reference number) and the rigour the evidence states. Written
as files by :mod:`cmokit.presentation.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.synthesis.database import MISSING_SCHEMA, connect_readonly
from cmokit.synthesis.ddl import q

# the bundled review's headings: its configuration fields' titles, in role order (paper_columns derives them)
COLUMNS = ["Study ID", "Intervention components", "Context", "Mechanisms for improved child mental health",
           "Social support outcomes", "Child outcomes"]
ROLE_ORDER = ("intervention", "context", "mechanism", "outcome")
THEORY_COLUMNS = ["Theory", "Kind", "Status", "Statement", "Supporting studies", "Refuting studies",
                  "Refining studies", "Illustrating studies", "Rigour"]
JUDGEMENT_COLUMNS = {"supports": 4, "refutes": 5, "refines": 6, "illustrates": 7}


@dataclass
class PaperTable:
    """One regenerated table."""

    number: int
    band: str
    title: str
    columns: list[str]
    rows: list[list[str]]

    stem: str | None = None
    sheet: str | None = None

    @property
    def filename_stem(self) -> str:
        return self.stem or f"table-{self.number}-{self.band}"

    @property
    def sheet_name(self) -> str:
        return self.sheet or f"Table {self.number} {self.band}"


def paper_columns(review: Review) -> tuple[list[str], list[str]]:
    """(column headings, cmo fields) of Tables 1-n: the configuration table's text fields by role (intervention,
    context, mechanism, outcome), headed by their titles (the field name when a field has none)."""
    res = review.resource("cmo") if review.has("cmo") else None
    fields = [f for role in ROLE_ORDER for f in (res.fields_by_role(role, text=True) if res else [])]
    if not fields:
        raise CmokitError("the paper's tables need the cmo table's text fields with a realist role (cmokit:role "
                          "intervention, context, mechanism or outcome); its schema declares none.",
                          rule="tables.unsupported")
    return ["Study ID"] + [f.raw.get("title") or f.name for f in fields], [f.name for f in fields]


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
    columns, fields = paper_columns(review)
    cells = ", ".join(f"coalesce(c.{q(f)}, mc.{q(f)})" for f in fields)
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
            out.append(PaperTable(n, code, title, list(columns), rows))
        return out
    finally:
        con.close()


def theory_table(review: Review, db_path: Path) -> PaperTable:
    """One row per theory (by theory_id): its id and label, kind, status and statement, the studies of each judgement
    ('label [ref]', one per line) and the rigour stated for the evidence ('[ref] rigour'; NR when the theory has
    evidence but none states its rigour, empty when it has none)."""
    import duckdb

    if not review.has("theories") or not review.has("evidence"):
        raise CmokitError("this review has no theories and evidence tables, so there is no theory table.",
                          rule="tables.unsupported")
    con = connect_readonly(db_path, sandbox=True)
    try:
        theories = con.execute("SELECT theory_id, label, CAST(kind AS VARCHAR), CAST(status AS VARCHAR), statement "
                               "FROM theories ORDER BY theory_id").fetchall()
        evidence = con.execute(
            "SELECT e.theory_id, CAST(e.judgement AS VARCHAR), s.study_label, s.ref_number, CAST(e.rigour AS VARCHAR) "
            "FROM evidence e JOIN studies s USING (study_id) "
            "ORDER BY e.theory_id, s.ref_number NULLS LAST, e.study_id, e.evidence_number").fetchall()
    except duckdb.Error as exc:
        raise CmokitError(f"the theory table needs the theories, evidence and studies tables with the bundled review's "
                          f"fields; this database cannot give them ({str(exc).splitlines()[0][:200]}).",
                          rule="tables.unsupported") from None
    finally:
        con.close()
    rows = {tid: [f"{label} ({tid})", kind or "", status or "", statement or "", "", "", "", "", ""]
            for tid, label, kind, status, statement in theories}
    linked: set[str] = set()
    for tid, judgement, label, ref, rigour in evidence:
        row = rows.get(tid)
        if row is None or judgement not in JUDGEMENT_COLUMNS:
            continue
        linked.add(tid)
        study = f"{label} [{ref}]"
        cell = JUDGEMENT_COLUMNS[judgement]
        if study not in row[cell].split("\n"):
            row[cell] = f"{row[cell]}\n{study}" if row[cell] else study
        if rigour:
            entry = f"[{ref}] {rigour}"
            if entry not in row[8].split("\n"):
                row[8] = f"{row[8]}\n{entry}" if row[8] else entry
    for tid in linked:
        rows[tid][8] = rows[tid][8] or "NR"
    return PaperTable(0, "theories", "Theories and the evidence that tests them: per theory its statement, status, the "
                      "studies that support, refute, refine or illustrate it, and the rigour the evidence states.",
                      list(THEORY_COLUMNS), list(rows.values()), stem="theories", sheet="Theories")
