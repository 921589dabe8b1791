"""The paper's Tables 1-3, regenerated from the database: one table per age band, rows in the paper's order.

Columns: Study ID (the study's label and reference number, as the paper prints it), Intervention components,
Context, Mechanisms for improved child mental health, Social support outcomes, Child outcomes. A study with several
CMO configurations has one row per configuration. A missing cell shows its code (NR, NA). Rows follow
``studies.paper_table_row``; studies without one come last, by study_id. Written as files by
:mod:`cmokit.presentation.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.synthesis.database import MISSING_SCHEMA, connect_readonly

COLUMNS = ["Study ID", "Intervention components", "Context", "Mechanisms for improved child mental health",
           "Social support outcomes", "Child outcomes"]
CMO_FIELDS = ["intervention_components", "context", "mechanisms", "ss_outcomes", "child_outcomes"]


@dataclass
class PaperTable:
    """One regenerated table."""

    number: int
    band: str
    title: str
    columns: list[str]
    rows: list[list[str]]

    @property
    def filename_stem(self) -> str:
        return f"table-{self.number}-{self.band}"


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
    cells = ", ".join(f"coalesce(c.{f}, mc.{f})" for f in CMO_FIELDS)
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
            out.append(PaperTable(n, code, title, list(COLUMNS), rows))
        return out
    finally:
        con.close()
