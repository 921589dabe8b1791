"""The documented views a build adds beside the tables, and the ``missing_cells`` view of the shadow tables.

A study's identity in the views is ``study_id`` and the studies fields that declare ``"cmokit:study"`` reference,
label and group (:mod:`cmokit.package.annotations`); ``study_cmo`` also carries the studies fields the package's
``cmokit`` section lists under ``views`` -> ``study_cmo``. Nothing here names a field of one review.
"""

from __future__ import annotations

from cmokit.core.errors import CmokitError
from cmokit.package.annotations import study_fields
from cmokit.package.model import Resource, Review
from cmokit.synthesis.database import MISSING_SCHEMA, MISSING_TABLE, SYSTEM_TABLES
from cmokit.synthesis.ddl import lit, q

INVALID_LABEL = "invalid value kept by a forced build"


VIEW_DOCS: dict[str, str] = {
    "study_overview": "One row per study: every studies column, plus quality (the overall MMAT rating from appraisal; "
                      "the lowest where several appraisers rated the study), n_appraisals, n_cmo, n_measures and "
                      "n_resource_inputs.",
    "study_cmo": "Each CMO configuration with its study's identity (id, reference, label, group) and the studies "
                 "columns the review lists for this view (cmokit.views.study_cmo).",
    "study_measures": "Each measure with its study's identity (id, reference, label, group).",
    "study_resource_inputs": "Each resource input with its study's identity (id, reference, label, group).",
    "theory_evidence": "Each evidence judgement (theory x study): the theory's kind, label and status, the study's "
                       "identity and band, the judgement, its relevance and rigour, the study's quality (the lowest "
                       "MMAT overall rating) and the configuration it draws on, by realist role (intervention, "
                       "context, mechanism, outcome: the text fields of that role, one per line).",
    "theory_lineage": "One row per theory with its lineage, walked up the refines chain (recursively): root_id (the "
                      "theory it descends from, which refines none), depth (0 for a root) and path (theory ids from "
                      "the root down to this theory). A cycle is cut where it would repeat a theory.",
}
ROLE_COLUMNS = ("intervention", "context", "mechanism", "outcome")


def configuration_table(review: Review) -> Resource | None:
    """The table holding the CMO configurations: the first resource whose fields declare a mechanism role."""
    return next((r for r in review.resources if r.fields_by_role("mechanism")), None)


def view_columns(review: Review, view: str) -> list[str]:
    """The extra studies columns the ``cmokit`` section lists for a view (``views`` -> view name), that exist."""
    views = review.params.get("views") or {}
    listed = views.get(view, []) if isinstance(views, dict) else None
    if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
        raise CmokitError(f'datapackage.json: "cmokit" -> "views" -> "{view}" must be a list of studies fields.',
                          rule="views.config")
    have = review.resource("studies").field_names if review.has("studies") else []
    return [c for c in listed if c in have]


def documented_views(review: Review) -> list[tuple[str, str, str]]:
    """(name, comment, SQL) of the documented views this review supports."""
    have = {r.name: set(r.field_names) for r in review.resources}
    out: list[tuple[str, str, str]] = []
    ident = study_fields(review).identity
    if "studies" in have and set(ident) <= have["studies"]:
        counts, joins = [], []
        if "appraisal" in have and {"study_id", "overall_rating"} <= have["appraisal"]:
            counts.append("q.quality, coalesce(q.n_appraisals, 0) AS n_appraisals")
            joins.append("LEFT JOIN (SELECT study_id, min(overall_rating) AS quality, count(*) AS n_appraisals "
                         "FROM appraisal GROUP BY study_id) q USING (study_id)")
        for child in ("cmo", "measures", "resource_inputs"):
            if child in have and "study_id" in have[child]:
                counts.append(f"coalesce({child}_n.n, 0) AS n_{child}")
                joins.append(f"LEFT JOIN (SELECT study_id, count(*) AS n FROM {child} GROUP BY study_id) {child}_n "
                             "USING (study_id)")
        sel = ", ".join(["s.*"] + counts)
        out.append(("study_overview", VIEW_DOCS["study_overview"],
                    f"SELECT {sel} FROM studies s {' '.join(joins)} ORDER BY s.study_id"))
        extra = [c for c in view_columns(review, "study_cmo") if c not in ident]
        for child, name in (("cmo", "study_cmo"), ("measures", "study_measures"),
                            ("resource_inputs", "study_resource_inputs")):
            if child not in have or "study_id" not in have[child]:
                continue
            cols = ident + (extra if child == "cmo" else [])
            res = review.resource(child)
            order = ", ".join(f"c.{q(k)}" for k in res.primary_key) or "c.study_id"
            out.append((name, VIEW_DOCS[name],
                        f"SELECT {', '.join('s.' + q(c) for c in cols)}, c.* EXCLUDE (study_id) "
                        f"FROM studies s JOIN {q(child)} c USING (study_id) ORDER BY {order}"))
    out += _theory_views(review, have)
    out = [v for v in out if v[0] not in have]  # a resource of the same name wins
    taken = set(have) | set(SYSTEM_TABLES) | {v[0] for v in out}
    for r in review.resources:
        for f in r.fields:
            name = f"{r.name}_{f.name}"
            if f.multiple and r.primary_key and name not in taken:
                keys = ", ".join(q(k) for k in r.primary_key)
                out.append((name, f"One row per code of the multi-code field {r.name}.{f.name}: {r.primary_key} "
                                  f"and code.",
                            f"SELECT {keys}, unnest({q(f.name)}) AS code FROM {q(r.name)}"))
                taken.add(name)
    return out


def missing_view(review: Review) -> tuple[str, str, str]:
    """The ``missing_cells`` view: the shadow tables in long form, one row per missing (or invalid) cell."""
    parts = []
    for r in review.resources:
        keys = r.primary_key or ["#row"]
        fields = [f.name for f in r.fields if f.name not in r.primary_key]
        if not fields:
            continue
        labels = " ".join(f"WHEN {lit(c)} THEN {lit(lbl)}" for c, lbl in r.missing_values.items())
        key = "[" + ", ".join(f"CAST({q(k)} AS VARCHAR)" for k in keys) + "]"
        parts.append(
            f"SELECT {lit(r.name)} AS resource, {key} AS key, field, code, "
            f"CASE code {labels} ELSE {lit(INVALID_LABEL)} END AS label "
            f"FROM (UNPIVOT {MISSING_SCHEMA}.{q(r.name)} ON {', '.join(q(f) for f in fields)} "
            "INTO NAME field VALUE code)")
    sql = " UNION ALL ".join(parts) if parts else (
        "SELECT NULL::VARCHAR AS resource, NULL::VARCHAR[] AS key, NULL::VARCHAR AS field, NULL::VARCHAR AS code, "
        "NULL::VARCHAR AS label WHERE false")
    return (MISSING_TABLE, "One row per cell whose typed column holds NULL because the CSV has a missing-value code: "
            "resource, key (primary-key values as text), field, code ('' not yet extracted, NR not reported, NA not "
            "applicable; or the raw text of an invalid cell kept by a forced build) and its label.", sql)


def _theory_views(review: Review, have: dict[str, set[str]]) -> list[tuple[str, str, str]]:
    """theory_evidence and theory_lineage, when the review has theories (and evidence with studies)."""
    out: list[tuple[str, str, str]] = []
    theory = {"theory_id", "kind", "label", "status", "refines"}
    if "theories" not in have or not theory <= have["theories"]:
        return out
    evidence = {"theory_id", "study_id", "evidence_number", "cmo_number", "judgement", "relevance", "rigour", "quote",
                "locator", "justification"}
    sf = study_fields(review)
    ident = [c for c in sf.identity[1:] if c in have.get("studies", set())]
    if "evidence" in have and evidence <= have["evidence"] and "studies" in have:
        cols = ["e.theory_id", "t.kind", "t.label", "t.status", "e.study_id", *(f"s.{q(c)}" for c in ident),
                "e.evidence_number", "e.cmo_number", "e.judgement", "e.relevance", "e.rigour"]
        # left joins: a forced build of invalid data keeps an evidence row whose theory or study is missing
        joins = ["LEFT JOIN theories t ON t.theory_id = e.theory_id", "LEFT JOIN studies s ON s.study_id = e.study_id"]
        if "appraisal" in have and {"study_id", "overall_rating"} <= have["appraisal"]:
            cols.append("q.quality")
            joins.append("LEFT JOIN (SELECT study_id, min(overall_rating) AS quality FROM appraisal GROUP BY "
                         "study_id) q ON q.study_id = e.study_id")
        cols += ["e.quote", "e.locator", "e.justification"]
        config = configuration_table(review)
        if config is not None and config.primary_key == ["study_id", "cmo_number"]:
            joins.append(f"LEFT JOIN {q(config.name)} c ON c.study_id = e.study_id AND c.cmo_number = e.cmo_number")
            for role in ROLE_COLUMNS:
                fields = config.fields_by_role(role, text=True)
                if fields:
                    text = ", ".join(f"c.{q(f.name)}" for f in fields)
                    cols.append(f"CASE WHEN c.study_id IS NULL THEN NULL ELSE concat_ws(chr(10), {text}) END "
                                f"AS {q(role)}")
        by_ref = f"s.{q(sf.reference)}, " if sf.reference in ident else ""
        order = "e.theory_id, " + by_ref + "e.study_id, e.evidence_number"
        out.append(("theory_evidence", VIEW_DOCS["theory_evidence"],
                    f"SELECT {', '.join(cols)} FROM evidence e {' '.join(joins)} ORDER BY {order}"))
    out.append(("theory_lineage", VIEW_DOCS["theory_lineage"], (
        "WITH RECURSIVE up(theory_id, ancestor_id, depth, path) AS ("
        "SELECT theory_id, theory_id, 0, [theory_id] FROM theories "
        "UNION ALL SELECT u.theory_id, t.refines, u.depth + 1, list_prepend(t.refines, u.path) FROM up u "
        "JOIN theories t ON t.theory_id = u.ancestor_id "
        "WHERE t.refines IS NOT NULL AND NOT list_contains(u.path, t.refines)), "
        "top AS (SELECT theory_id, arg_max(ancestor_id, depth) AS root_id, max(depth) AS depth, "
        "arg_max(path, depth) AS path FROM up GROUP BY theory_id) "
        "SELECT t.theory_id, t.kind, t.label, t.status, t.refines, top.root_id, top.depth, top.path "
        "FROM theories t JOIN top USING (theory_id) ORDER BY top.root_id, top.path")))
    return out
