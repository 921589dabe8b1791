"""The theory views of the database (theory_evidence, theory_lineage), and the engine finding C, M and O by role."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from conftest import copy_review

from cmokit.package.model import Review
from cmokit.synthesis.build import build
from cmokit.synthesis.tables import paper_columns, paper_tables


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_review(tmp_path_factory.mktemp("views") / "review")
    build(root, root / "review.duckdb")
    return root


def test_theory_evidence_has_every_evidence_row_with_its_study_and_configuration_by_role(built):
    con = duckdb.connect(str(built / "review.duckdb"), read_only=True)
    rows = con.execute("SELECT theory_id, study_id, evidence_number, judgement::VARCHAR, age_band::VARCHAR, "
                       "ref_number, intervention, context, mechanism, outcome, cmo_number FROM theory_evidence"
                       ).fetchall()
    con.close()
    evidence = read(built / "extract/consensus/evidence.csv")
    assert sorted((r[0], r[1], r[2], r[3]) for r in rows) == sorted(
        (e["theory_id"], e["study_id"], int(e["evidence_number"]), e["judgement"]) for e in evidence)
    studies = {s["study_id"]: s for s in read(built / "extract/consensus/studies.csv")}
    cmo = {c["study_id"]: c for c in read(built / "extract/consensus/cmo.csv")}
    for r in rows:
        assert (r[4], r[5]) == (studies[r[1]]["age_band"], int(studies[r[1]]["ref_number"]))
        if r[10] is None:  # not about one configuration (the resource claims): no C, M or O
            assert r[6:10] == (None, None, None, None)
        else:
            c = cmo[r[1]]
            assert r[6:10] == (c["intervention_components"], c["context"], c["mechanisms"],
                               c["ss_outcomes"] + "\n" + c["child_outcomes"])


def test_the_lineage_view_survives_a_cycle_in_a_forced_build(tmp_path):
    root = copy_review(tmp_path / "review")
    p = root / "extract/consensus/theories.csv"
    rows = read(p)
    for r in rows:
        if r["theory_id"] == "stress-buffering-model":
            r["refines"] = "infants-discussion-mechanisms"  # closes stress-buffering <- mechanisms <- discussion
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    result = build(root, root / "forced.duckdb", force=True)
    assert result.forced and any(pr.rule == "theory.lineage" for pr in result.errors)
    con = duckdb.connect(str(root / "forced.duckdb"), read_only=True)
    lineage = {r[0]: r[1:] for r in con.execute("SELECT theory_id, depth, path FROM theory_lineage").fetchall()}
    con.close()
    assert len(lineage) == 51  # every theory, once: the walk stops where it would repeat a theory
    depth, path = lineage["infants-mechanisms"]
    assert depth == 2 and path == ["infants-discussion-mechanisms", "stress-buffering-model", "infants-mechanisms"]


def test_tables_and_views_find_the_configuration_fields_by_role_not_by_name(tmp_path):
    """Rename the cmo fields of the bundled review: Tables 1-3 and theory_evidence still find C, M and O."""
    root = copy_review(tmp_path / "review")
    renamed = {"intervention_components": "what", "context": "where_and_who", "mechanisms": "how",
               "ss_outcomes": "support_result", "child_outcomes": "child_result", "ss_effect": "support_effect",
               "child_effect": "child_effect_code"}
    schema = root / "schema/cmo.schema.json"
    s = json.loads(schema.read_text(encoding="utf-8"))
    for f in s["fields"]:
        f["name"] = renamed.get(f["name"], f["name"])
    schema.write_text(json.dumps(s, indent=2), encoding="utf-8")
    p = root / "extract/consensus/cmo.csv"
    text = p.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    p.write_text(",".join(renamed.get(h, h) for h in header.split(",")) + "\n" + rest, encoding="utf-8")
    for rule in (root / "validators").glob("effects.py"):  # the review's own rule names its outcome fields
        text = rule.read_text(encoding="utf-8")
        for old, new in renamed.items():
            text = text.replace(f'"{old}"', f'"{new}"')
        rule.write_text(text, encoding="utf-8")
    codebook = root / "schema/codebook.csv"
    book = codebook.read_text(encoding="utf-8")
    codebook.write_text(book.replace("cmo,ss_effect,", "cmo,support_effect,").replace("cmo,child_effect,",
                                                                                     "cmo,child_effect_code,"),
                        encoding="utf-8")
    db = root / "review.duckdb"
    build(root, db)
    review = Review.open(root)
    columns, fields = paper_columns(review)
    assert fields == ["what", "where_and_who", "how", "support_result", "child_result"]
    assert columns[1:] == ["Intervention components", "Context", "Mechanisms for improved child mental health",
                           "Social support outcomes", "Child outcomes"]  # the fields' titles
    infants = paper_tables(review, db, "infants")[0]
    assert infants.rows[0][3].startswith("More secure mother-infant relationship")  # Cho et al.'s mechanism
    con = duckdb.connect(str(db), read_only=True)
    (mechanism,) = con.execute("SELECT mechanism FROM theory_evidence WHERE study_id = 'cho-2013' LIMIT 1").fetchone()
    con.close()
    assert mechanism == infants.rows[0][3]
    from cmokit.presentation.plot_data import effects_data

    grid = effects_data(review, db)  # the coded outcomes, found by role too
    assert (grid.row_axis, grid.col_axis, grid.n) == ("Effect on social support", "Effect on the child's mental health",
                                                      33)
    assert grid.count("worse", "no_change") == 1  # Letourneau et al.: support favoured the control group
