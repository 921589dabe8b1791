"""Programme theories for the report: each theory's statement, its lineage (which theory it refines, which refine
it) and the evidence that supports, refutes or refines it, with the studies' quotes and rigour.

Read from the ``theories`` and ``evidence`` tables of the realist layer (fields as the review's Table Schemas name
them: ``theory_id``, ``label``, ``statement``, ``refines``...; ``evidence``: ``theory_id``, ``study_id``,
``judgement``, ``relevance``, ``rigour``, ``quote``, ``locator``, ``justification``). A review without them has no
such section. Labels of codes come from the codebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cmokit.package.model import Review
from cmokit.presentation.report_data import Db, TableView, texts
from cmokit.synthesis.ddl import q

THEORIES = "theories"
EVIDENCE = "evidence"
THEORY_FIELDS = ("theory_id", "kind", "label", "statement", "status", "refines", "source", "locator", "notes")
EVIDENCE_FIELDS = ("theory_id", "study_id", "evidence_number", "cmo_number", "judgement", "relevance", "rigour",
                   "quote", "locator", "justification")
JUDGEMENTS = ("supports", "refutes", "refines", "illustrates")


@dataclass
class Theory:
    """One theory with its lineage and its evidence."""

    theory_id: str
    values: dict[str, str]
    ancestors: list[tuple[str, str]] = field(default_factory=list)  # (theory_id, label), nearest first
    refined_by: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # judgement -> evidence rows
    evidence: TableView | None = None

    @property
    def anchor(self) -> str:
        return "theory-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in self.theory_id)


def has_theories(review: Review, db: Db) -> bool:
    return review.has(THEORIES) and review.has(EVIDENCE) and {THEORIES, EVIDENCE} <= db.tables


def _present(review: Review, name: str, wanted: tuple[str, ...]) -> list[str]:
    names = review.resource(name).field_names
    return [f for f in wanted if f in names]


def theories(review: Review, db: Db, max_rows: int) -> dict[str, Any] | None:
    """Every theory (up to ``max_rows``) with lineage and evidence; None when the review has no realist layer."""
    if not has_theories(review, db):
        return None
    from cmokit.presentation.plot_data import code_labels

    tf = _present(review, THEORIES, THEORY_FIELDS)
    exprs, join = texts(review, THEORIES, tf)
    rows = db.rows(f"SELECT {', '.join(exprs)} FROM {q(THEORIES)} t {join} ORDER BY 1")
    labels = {f: dict(code_labels(review, THEORIES, f)) for f in ("kind", "status", "source") if f in tf}
    all_theories = {}
    for r in rows:
        values = dict(zip(tf, r, strict=True))
        for f, lab in labels.items():
            values[f + "_label"] = lab.get(values[f], values[f])
        all_theories[values["theory_id"]] = Theory(values["theory_id"], values)
    label = {t: th.values.get("label") or t for t, th in all_theories.items()}
    for th in all_theories.values():
        seen = {th.theory_id}
        parent = th.values.get("refines", "")
        while parent in all_theories and parent not in seen:  # a cycle is a validation error; stop at it
            th.ancestors.append((parent, label[parent]))
            seen.add(parent)
            parent = all_theories[parent].values.get("refines", "")
        if th.values.get("refines", "") in all_theories:
            all_theories[th.values["refines"]].refined_by.append((th.theory_id, label[th.theory_id]))
    _evidence(review, db, all_theories, max_rows)
    kinds = {code: i for i, code in enumerate(labels.get("kind", {}))}  # programme theories first, as the codebook
    ordered = sorted(all_theories.values(), key=lambda t: (kinds.get(t.values.get("kind", ""), len(kinds)),
                                                             t.theory_id))
    judgements = _judgement_labels(review)
    summary = TableView("theories-summary", "The theories at a glance (evidence rows by judgement)",
                        ["Theory", "Label", "Kind", "Status", *judgements.values()],
                        [[t.theory_id, t.values.get("label", ""), t.values.get("kind_label", ""),
                          t.values.get("status_label", ""), *[str(t.counts.get(j, 0)) for j in judgements]]
                         for t in ordered[:max_rows]], len(ordered), numeric=tuple(range(4, 4 + len(judgements))))
    return {"theories": ordered[:max_rows], "total": len(ordered), "judgements": judgements, "summary": summary}


def _judgement_labels(review: Review) -> dict[str, str]:
    from cmokit.presentation.plot_data import code_labels

    return dict(code_labels(review, EVIDENCE, "judgement")) if review.has(EVIDENCE) else {}


def _evidence(review: Review, db: Db, all_theories: dict[str, Theory], max_rows: int) -> None:
    """Attach to each theory its evidence rows (supports, refutes, refines, illustrates; then by study)."""
    ef = _present(review, EVIDENCE, EVIDENCE_FIELDS)
    exprs, join = texts(review, EVIDENCE, ef, alias="e")
    has_studies = review.has("studies") and "studies" in db.tables
    from cmokit.package.annotations import study_fields

    sf = study_fields(review) if has_studies else None
    label, reference = (sf.label, sf.reference) if sf else (None, None)
    study = f"CAST(s.{q(label)} AS VARCHAR)" if label else "e.study_id"
    ref = f"CAST(s.{q(reference)} AS VARCHAR)" if reference else "''"
    studies_join = "LEFT JOIN studies s ON s.study_id = e.study_id" if has_studies else ""
    sort_ref = f"s.{q(reference)}" if reference else "e.study_id"
    order = ("CASE CAST(e.judgement AS VARCHAR) " + " ".join(f"WHEN '{j}' THEN {i}" for i, j in enumerate(JUDGEMENTS))
             + " ELSE 9 END") if "judgement" in ef else "1"
    rows = db.rows(f"SELECT {', '.join(exprs)}, {study}, {ref} FROM {q(EVIDENCE)} e {join} {studies_join} "
                   f"ORDER BY e.theory_id, {order}, {sort_ref}, e.study_id")
    from cmokit.presentation.plot_data import code_labels

    judge = _judgement_labels(review)
    level = {f: dict(code_labels(review, EVIDENCE, f)) for f in ("relevance", "rigour")}
    grouped: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        values = dict(zip(ef, r[:len(ef)], strict=True))
        values["study"] = r[len(ef)] or values.get("study_id", "")
        values["ref"] = r[len(ef) + 1] or ""
        grouped.setdefault(values["theory_id"], []).append(values)
    for tid, items in grouped.items():
        th = all_theories.get(tid)
        if th is None:
            continue
        for v in items:
            j = v.get("judgement", "")
            th.counts[j] = th.counts.get(j, 0) + 1
        columns = ["Judgement", "Study", "Configuration", "Relevance", "Rigour", "Quote", "Where", "Justification"]
        body = [[judge.get(v.get("judgement", ""), v.get("judgement", "")),
                 v["study"] + (f" [{v['ref']}]" if v["ref"] else ""), v.get("cmo_number", ""),
                 level["relevance"].get(v.get("relevance", ""), v.get("relevance", "")),
                 level["rigour"].get(v.get("rigour", ""), v.get("rigour", "")), v.get("quote", ""),
                 v.get("locator", ""), v.get("justification", "")] for v in items[:max_rows]]
        caption = f"Evidence for {tid}: {th.values.get('label') or tid}"
        th.evidence = TableView(f"{th.anchor}-evidence", caption, columns, body, len(items), row_header=False)
