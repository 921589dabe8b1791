"""The bundled review's realist layer as data: theories in the paper's words, evidence linked to exactly the studies
each claim cites, with the judgement the sentence gives, and the provenance of every configuration.

The expectations are the paper's (Bauer et al. 2021): its citation brackets, its wording for negative and null
findings, its quality statements. Where the paper is ambiguous or contradicts itself the test says so (see
docs/data-notes.md, "The realist layer").
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BRACKET = re.compile(r"\[(\d[\d,\s\-]*)\]")


def rows(name: str) -> list[dict[str, str]]:
    with open(ROOT / "extract" / "consensus" / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def cited(text: str) -> set[int]:
    """Reference numbers in the citation brackets of ``text``: '[40,47,54]', '[34-36]'."""
    out: set[int] = set()
    for inner in BRACKET.findall(text):
        for part in inner.split(","):
            a, _, b = part.strip().partition("-")
            out |= set(range(int(a), int(b) + 1)) if b else {int(a)}
    return out


@pytest.fixture(scope="module")
def data():
    studies = {r["study_id"]: r for r in rows("studies")}
    return {"ref": {sid: int(r["ref_number"]) for sid, r in studies.items()},
            "theories": {r["theory_id"]: r for r in rows("theories")}, "evidence": rows("evidence"),
            "cmo": {r["study_id"]: r for r in rows("cmo")}, "studies": studies}


def test_the_citation_parser_reads_the_papers_brackets():
    assert cited("Three studies [34-36] ... [40,47,54] and [43] but not (Table 2)") == {34, 35, 36, 40, 43, 47, 54}


def test_every_evidence_row_cites_its_study_in_the_statement_or_the_quote(data):
    for e in data["evidence"]:
        theory = data["theories"][e["theory_id"]]
        refs = cited(theory["statement"]) | cited(e["quote"])
        assert data["ref"][e["study_id"]] in refs, (e["theory_id"], e["study_id"])


def test_no_cited_included_study_lacks_an_evidence_row(data):
    included = {r: sid for sid, r in data["ref"].items()}
    linked = defaultdict(set)
    for e in data["evidence"]:
        linked[e["theory_id"]].add(data["ref"][e["study_id"]])
    for tid, theory in data["theories"].items():
        assert cited(theory["statement"]) & set(included) == linked[tid], tid


def test_statements_keep_the_papers_citation_brackets(data):
    theories = data["theories"]
    assert theories["children-service-systems"]["statement"].endswith("for parents [40,47,54].")
    assert theories["infants-support-increase"]["statement"].startswith("Three studies [34-36] reported increased")
    assert "[20-22]" not in theories["stress-buffering-model"]["statement"]  # cited in the sentence before: locator
    assert "[20-22]" in theories["stress-buffering-model"]["locator"]
    # 23 of the 33 studies are cited by some theory; the others appear only in band ranges or for their country
    assert len({e["study_id"] for e in data["evidence"]}) == 23


def test_each_quote_is_a_passage_of_its_theorys_statement(data):
    for e in data["evidence"]:
        assert e["quote"] in data["theories"][e["theory_id"]]["statement"], (e["theory_id"], e["study_id"])
        assert len(e["quote"].split()) <= 60


def test_studies_cited_for_negative_or_null_findings_never_support(data):
    negative = re.compile(r"no effects|negative effects|favoured the control group|lack of evidence|could become worse")
    judged = {(e["theory_id"], e["study_id"]): e["judgement"] for e in data["evidence"] if negative.search(e["quote"])}
    assert len(judged) == 9
    assert set(judged.values()) <= {"refutes", "refines"}
    # "Two studies reported no effects on perceived social support [46,50]" refute; "[53] reported negative effects
    # among boys when ... relationship break-ups" refines (a condition)
    assert judged[("adolescents-support-increase", "pancer-2013")] == "refutes"
    assert judged[("adolescents-support-increase", "bohleber-2016")] == "refutes"
    assert judged[("adolescents-support-increase", "dewit-2016")] == "refines"


def test_infants_support_increase_is_contested_three_for_one_against(data):
    ev = [e for e in data["evidence"] if e["theory_id"] == "infants-support-increase"]
    by = defaultdict(set)
    for e in ev:
        by[e["judgement"]].add(data["ref"][e["study_id"]])
    # "Three studies [34-36] reported increased social support ... One moderate-quality study [33] ... favoured the
    # control group"
    assert dict(by) == {"supports": {34, 35, 36}, "refutes": {33}}
    assert data["theories"]["infants-support-increase"]["status"] == "contested"


def test_relevance_is_never_stated_and_rigour_only_where_the_paper_rates_the_study(data):
    assert {e["relevance"] for e in data["evidence"]} == {"NR"}
    rated = {(e["theory_id"], e["study_id"]): e["rigour"] for e in data["evidence"] if e["rigour"] != "NR"}
    # "One moderate-quality study [33]"; "Only one low-quality study [35]"; the Discussion's "a high-quality study in
    # our review [33]" contradicts the Results: rigour follows the Results (as appraisal.overall_rating does)
    assert rated == {("infants-support-increase", "letourneau-2011"): "medium",
                     ("infants-volunteer-relationships", "letourneau-2011"): "medium",
                     ("infants-professional-advice-crowding-out", "letourneau-2011"): "medium",
                     ("infants-child-outcomes", "mitchell-2015"): "low"}
    crowding = next(e for e in data["evidence"] if e["theory_id"] == "infants-professional-advice-crowding-out")
    assert "high-quality" in crowding["quote"] and "moderate-quality" in crowding["notes"]
    # "two studies [43,62], including a high-quality one": which one is not said, so neither is rated
    negative = [e for e in data["evidence"] if e["theory_id"] == "children-child-outcomes"
                and e["study_id"] in ("lachman-2017", "valdez-2011") and e["judgement"] == "refutes"]
    assert len(negative) == 2 and all("does not say which" in e["notes"] for e in negative)


def test_one_study_can_give_several_pieces_of_evidence_to_one_theory(data):
    lachman = [e for e in data["evidence"] if e["theory_id"] == "adolescents-child-outcomes"]
    # "One study [43] found that child behaviour problems could become worse [refutes], which they attributed to
    # insufficiently skilled staff [refines]"
    assert [(e["evidence_number"], e["judgement"]) for e in lachman] == [("1", "refutes"), ("2", "refines")]


def test_lineage_is_a_forest_rooted_in_the_papers_sources(data):
    theories = data["theories"]
    for tid, t in theories.items():
        seen = {tid}
        while t["refines"] != "NA":
            assert t["refines"] in theories and t["refines"] not in seen, tid
            seen.add(t["refines"])
            t = theories[t["refines"]]
    assert {t["source"] for t in theories.values() if t["kind"] == "substantive_theory"} == {"literature"}
    assert theories["infants-mechanisms"]["refines"] == "stress-buffering-model"
    assert all(t["locator"].startswith("Abstract") for tid, t in theories.items() if tid.startswith("abstract-"))
    assert "stakeholders" not in {t["source"] for t in theories.values()}  # the review consulted none


def test_statuses_are_borne_out_by_the_evidence(data):
    judgements = defaultdict(set)
    for e in data["evidence"]:
        judgements[e["theory_id"]].add(e["judgement"])
    refined_by = {t["refines"] for t in data["theories"].values()}
    for tid, t in data["theories"].items():
        has = judgements[tid]
        expected = {"supported": "supports" in has, "contested": {"supports", "refutes"} <= has,
                    "refuted": "refutes" in has, "refined": "refines" in has or tid in refined_by,
                    "initial": True}[t["status"]]
        assert expected, tid
        if not has and tid not in refined_by:
            assert t["status"] == "initial", tid  # no evidence, nothing refines it: not yet tested


def test_every_configuration_has_its_provenance(data):
    for sid, c in data["cmo"].items():
        s = data["studies"][sid]
        assert c["locator"].startswith(f"Table {s['paper_table']}, row {s['paper_table_row']} ("), sid
        assert c["confidence"] in ("high", "medium", "low") and len(c["confidence_justification"]) > 40, sid
        if c["quote"] != "NR":
            assert f"{data['ref'][sid]}" in " ".join(map(str, cited(c["quote"]))) and "quote:" in c["locator"], sid
            assert len(c["quote"].split()) <= 60, sid
    stance = {sid: c["stance"] for sid, c in data["cmo"].items()}
    # the tables' mechanism columns are what studies expected, the outcome columns what they found; a protocol or
    # 'Not applicable' outcomes leave the hypothesis only; Vazquez et al.: 'No hypotheses stated'
    assert {sid for sid, v in stance.items() if v == "hypothesised"} == {"drummond-2014", "hauken-2015", "vella-2018"}
    assert {sid for sid, v in stance.items() if v == "observed"} == {"vazquez-2017"}


def test_confidence_is_lowered_wherever_a_paragraph_could_belong_to_a_neighbouring_row(data):
    doubtful = {sid for sid, c in data["cmo"].items() if c["confidence"] != "high"}
    assert doubtful == {"bohleber-2016", "cluver-2017", "drummond-2014", "marcynyszyn-2011", "nabuco-2014",
                        "pancer-2013", "romjinders-2017", "schwartz-2013", "valdez-2011", "valdez-2013",
                        "vanvoorhees-2008", "vella-2018"}
    assert data["cmo"]["nabuco-2014"]["confidence"] == "low"  # four paragraphs in doubt, and its codes rest on one
