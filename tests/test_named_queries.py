"""Each named query, run on the bundled review, answers as Bauer et al. (2021) state in their Results.

The expectations are the paper's own statements (quoted above each test), not the query's output. Where the
bundled data deliberately differ from a Results sentence (the tables win; see docs/data-notes.md, "How the bundled
data were extracted" and the studies' notes), the test says so and checks the part the paper and data share.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_review

from cmokit.package.model import Review
from cmokit.synthesis.build import build
from cmokit.synthesis.query import load_named, run_named


@pytest.fixture(scope="module")
def ask(tmp_path_factory):
    """``ask(name, **params)`` -> the named query's rows (dicts), on a database built from the bundled review."""
    root = copy_review(tmp_path_factory.mktemp("named") / "review")
    db = root / "review.duckdb"
    build(root, db)
    review = Review.open(root)

    def run(name: str, **params: str) -> list[dict]:
        return run_named(db, load_named(review, name), params).records()

    return run


def refs(rows: list[dict], **where) -> list[int]:
    """Sorted reference numbers of the rows matching ``where`` (column=value)."""
    return sorted({r["ref_number"] for r in rows if all(r[k] == v for k, v in where.items())})


def test_studies_by_age_band(ask):
    # "Thirty-three studies were included [32-64]"; infants "Four studies [33-36]"; children "thirteen studies
    # [32,37-48]"; adolescents "Sixteen studies [49-64]".
    rows = {r["age_band"]: r for r in ask("studies_by_age_band")}
    assert list(rows) == ["infants", "children", "adolescents"]
    assert rows["infants"]["refs"] == [33, 34, 35, 36] and rows["infants"]["studies"] == 4
    assert rows["children"]["refs"] == [32, *range(37, 49)] and rows["children"]["studies"] == 13
    assert rows["adolescents"]["refs"] == list(range(49, 65)) and rows["adolescents"]["studies"] == 16
    assert sorted(sum((r["refs"] for r in rows.values()), [])) == list(range(32, 65))
    # "two studies [37,39] that did not specify the age, but where we inferred ..."
    assert rows["children"]["inferred_band"] == 2 and rows["infants"]["inferred_band"] == 0


def test_inferred_age_bands(ask):
    # "two studies [37,39] that did not specify the age, but where we inferred from the background information"
    rows = ask("inferred_age_bands")
    assert refs(rows) == [37, 39]
    assert all(r["age_band"] == "children" and r["age_band_basis"] == "inferred" for r in rows)
    assert all("background information" in r["age_band_justification"] for r in rows)


def test_who_is_supported(ask):
    # "Interventions most commonly mobilised the social support of parents, followed by those studies that were
    # about mobilising social support of children. Only a few were about increasing social support of the family."
    rows = ask("who_is_supported")
    overall = {r["support_recipient"]: r["studies"] for r in rows if r["age_band"] == "all"}
    assert overall["parent"] > overall["child"] > overall["family"]
    assert overall["family"] <= 3
    by_band = {(r["age_band"], r["support_recipient"]): r["refs"] for r in rows}
    # infants: "[34] was the only one that targeted the whole families, whilst the others targeted mothers"
    assert by_band[("infants", "family")] == [34] and by_band[("infants", "parent")] == [33, 35, 36]
    # children: "Only one study [41] referred to social support as mobilised by children directly"
    assert by_band[("children", "child")] == [41]


def test_studies_by_support_recipient(ask):
    # "Only one study [41] referred to social support as mobilised by children directly, whilst all other studies
    # referred to social support as mobilised by parents (and teachers) on behalf of the child."
    assert refs(ask("studies_by_support_recipient", recipient="child", band="children")) == [41]
    assert refs(ask("studies_by_support_recipient", recipient="parent", band="children")) == [
        32, *range(37, 41), *range(42, 49)]
    # "The study by Stubbs and Achat (2016) [34] was the only one that targeted the whole families"
    assert refs(ask("studies_by_support_recipient", recipient="family", band="infants")) == [34]


def test_intervention_types(ask):
    # "More than a third of the interventions were mentoring, peer support, or a combination of the two."
    rows = {r["intervention_type"]: set(r["refs"]) for r in ask("intervention_types")}
    assert len(rows["mentoring"] | rows["peer_support"]) > 33 / 3
    # the other kinds the paper lists all occur: "parenting education, training or support ..., complex family
    # support ..., linkage projects ..., community capacity-building and service integration approaches, and
    # psychoeducation or mental health literacy training"
    for kind in ("parenting", "family_support", "linkage", "community_capacity", "service_integration",
                 "psychoeducation"):
        assert rows.get(kind), kind


def test_middle_low_income_studies(ask):
    # "Only four studies [43,49,51,56] were conducted in middle-income countries ..., whilst the rest were from
    # high-income countries". Infants: "All four took place in high-income countries". Adolescents: "Three studies
    # [49,51,56] took place in low- and middle-income countries". ([43] is "a low-income country" in the children
    # section; the data follow the overview and Table 2's "Low and middle income country context": middle.)
    rows = ask("middle_low_income_studies")
    assert refs(rows) == [43, 49, 51, 56]
    assert {r["income_group"] for r in rows} == {"middle"}
    assert refs(rows, age_band="adolescents") == [49, 51, 56]
    assert refs(rows, age_band="infants") == []
    assert refs(rows, age_band="children") == [43]


def test_support_sources_and_types_infants(ask):
    rows = ask("support_sources_and_types", band="infants")
    assert {r["age_band"] for r in rows} == {"infants"}
    types = {r["code"]: set(r["refs"]) for r in rows if r["kind"] == "type"}
    sources = {r["code"]: set(r["refs"]) for r in rows if r["kind"] == "source"}
    # "All four interventions addressed some form of informational support"
    assert types["informational"] == {33, 34, 35, 36}
    # "one specifically addressed all types of social support (i.e. emotional, practical and informational) [34]"
    assert types["emotional"] & types["practical"] & types["informational"] == {34}
    # "Two of the interventions were linking parents with their community through a trusted lay person [34,35]"
    assert sources["community"] == {34, 35}
    # "One intervention was linking mothers with health professionals [36]"
    assert 36 in sources["professionals"]


def test_support_sources_and_types_all_bands(ask):
    rows = ask("support_sources_and_types")
    assert {r["age_band"] for r in rows} == {"infants", "children", "adolescents"}
    # adolescents: support "commonly referred to specific types or sources of support such as by families, peers or
    # mentors": those are the three most frequent sources in the band
    adolescents = sorted((r for r in rows if r["age_band"] == "adolescents" and r["kind"] == "source"),
                         key=lambda r: -r["studies"])
    assert {r["code"] for r in adolescents[:3]} == {"family", "peers", "mentor"}


def test_mechanisms_by_band(ask):
    rows = ask("mechanisms_by_band", band="infants")
    # Table 1 lists Cho [36], Letourneau [33], Mitchell [35], Stubbs and Achat [34], in that order
    assert [r["ref_number"] for r in rows] == [36, 33, 35, 34]
    mech = {r["ref_number"]: r["mechanisms"] for r in rows}
    assert mech[33].startswith("Social support protective against depressive symptoms and stress")
    assert mech[34] == "Improved parental self-efficacy leading to improved child behaviour and wellbeing"
    assert len(ask("mechanisms_by_band", band="children")) == 13
    adolescents = ask("mechanisms_by_band", band="adolescents")
    assert [r["table_row"] for r in adolescents] == list(range(1, 17))


def test_effects_crosstab(ask):
    def table(band: str) -> dict[str, dict]:
        return {r["ss_effect"]: r for r in ask("effects_crosstab", band=band)}

    infants = table("infants")
    # "Three studies [34-36] reported increased social support" (two of them not for every source: mixed);
    # [33] "reported findings in relation to social support that favoured the control group"
    assert infants["improved"]["total"] + infants["mixed"]["total"] == 3
    assert infants["worse"]["total"] == 1
    # "Only one low-quality study [35] reported positive effects on mother-infant attachment"
    assert sum(r["child_improved"] for r in infants.values()) == 1
    children = table("children")
    # "The vast majority of studies reported increases in parents' social support"
    assert children["improved"]["total"] >= 2 / 3 * 13
    adolescents = table("adolescents")
    # "More than half the studies reported evidence of an increase in social support"
    assert adolescents["improved"]["total"] > 16 / 2
    # "Most studies that reported positive effects on social support also reported positive effects on depression,
    # anxiety or behaviour ... However, a number of studies reported mixed findings"
    up = adolescents["improved"]
    assert up["child_improved"] + up["child_mixed"] > up["total"] / 2
    assert up["child_mixed"] >= 2
    everything = {r["ss_effect"]: r["total"] for r in ask("effects_crosstab")}
    assert sum(everything.values()) == 33


def test_studies_by_effect(ask):
    # infants: "Only one low-quality study [35] reported positive effects on mother-infant attachment"
    assert refs(ask("studies_by_effect", band="infants", child_effect="improved")) == [35]
    # "Three studies [34-36] reported increased social support"
    up = ask("studies_by_effect", band="infants", ss_effect="improved") + ask(
        "studies_by_effect", band="infants", ss_effect="mixed")
    assert refs(up) == [34, 35, 36]
    # children: "Two studies [32,37] did not report child outcomes". The data also code Branch et al. [38] as
    # not_reported, following its Table 2 cell ("no evidence on child outcomes presented"): the tables win.
    assert {32, 37} <= set(refs(ask("studies_by_effect", band="children", child_effect="not_reported")))
    # "Two studies reported no effects on perceived social support [46,50]" (Lachman [43], Table 2: "No significant
    # differences in parent's perceived social support", is coded no_change as well)
    assert {46, 50} <= set(refs(ask("studies_by_effect", ss_effect="no_change")))


def test_negative_or_no_effects(ask):
    rows = ask("negative_or_no_effects")
    harmed_child = refs([r for r in rows if "child" in r["negative_for"].split("; ")])
    harmed_support = refs([r for r in rows if "social_support" in r["negative_for"].split("; ")])
    # children section: "two studies [43,62], including a high-quality one, reported negative effects on child
    # behaviour, emotional problems or school adjustment"
    assert harmed_child == [43, 62]
    # infants: findings on social support "favoured the control group" [33]; adolescents: "one study [53] reported
    # negative effects among boys when the intervention (mentoring) resulted in relationship break-ups"
    assert harmed_support == [33, 53]
    assert refs(rows, adverse_effect=True) == [33, 43, 53, 62]
    # "Two studies reported no effects on perceived social support [46,50]"
    assert {46, 50} <= set(refs([r for r in rows if "social_support" in r["no_effect_on"].split("; ")]))
    # "Two studies [34,36] reported that design errors might have explained the lack of evidence on infant outcomes"
    assert {34, 36} <= set(refs([r for r in rows if "child" in r["no_effect_on"].split("; ")], age_band="infants"))


def test_resource_inputs_and_costs(ask):
    rows = ask("resource_inputs_and_costs")
    # "Only one study reported intervention costs, and those were USD 10,000 to 12,000 per child per year [41]"
    priced = [r for r in rows if r["amount_min"] is not None]
    assert len(priced) == 1
    p = priced[0]
    assert (p["ref_number"], p["amount_min"], p["amount_max"], p["currency"], p["unit"]) == (
        41, 10000, 12000, "USD", "per child per year")
    # "additional investment was required to fund travelling costs and childcare [55]"
    assert refs(rows, input_type="travel") == [55] and refs(rows, input_type="childcare") == [55]
    # "substantial time inputs from staff employed by public sector agencies [38,42,47]"
    staff = ask("resource_inputs_and_costs", input_type="staff_time")
    assert {r["input_type"] for r in staff} == {"staff_time"}
    assert refs([r for r in staff if r["source"].startswith("Results")]) == [38, 42, 47]
    # "Implementation challenges were potentially driving up costs ... [44,45]"
    assert refs(rows, input_type="implementation") == [44, 45]
    # "Some papers discussed whether interventions could be effectively provided at low cost [33,43]"
    assert refs(rows, input_type="cost_discussion") == [33, 43]
    # "the interventions should not replace existing support ..., but be provided alongside professional support [35]"
    assert refs(rows, input_type="existing_services") == [35]


def test_quality_by_band(ask):
    rows = {(r["age_band"], r["quality"]): r["refs"] for r in ask("quality_by_band")}
    # "One moderate-quality study [33]" (the Discussion's "a high-quality study in our review [33]" contradicts it;
    # the data follow the Results); "Only one low-quality study [35]"
    assert rows[("infants", "moderate")] == [33]
    assert rows[("infants", "low")] == [35]
    assert not any(q == "high" for _, q in rows)
    # the other ratings are in the supplementary tables, not in the source: NR, not a guess
    assert rows[("infants", "NR")] == [34, 36]
    assert len(rows[("adolescents", "NR")]) == 16


def test_protocols_and_not_applicable(ask):
    # Table 2: Drummond et al. [40] "N/A (protocol)"; Table 3: Hauken et al. [54] and Vella et al. [64]
    # "Not applicable" in both outcome columns
    rows = ask("protocols_and_not_applicable")
    assert refs(rows) == [40, 54, 64]
    assert refs(rows, evidence_type="protocol") == [40]


def test_cmo_text_search(ask):
    # "One intervention targeted women with postpartum depression [33]"
    assert refs(ask("cmo_text_search", text="postpartum depression")) == [33]
    # "In three studies [33,35,36], mothers received the intervention alongside professional (mental) health services"
    rows = ask("cmo_text_search", text="alongside", band="infants")
    assert refs(rows) == [33, 35, 36] and all(r["found_in"] == "context" for r in rows)
    # "The study by Hauken et al [54] targeted children whose parents were living with cancer"
    assert refs(ask("cmo_text_search", text="CANCER")) == [54]
    # "One study [43] took place in a low-income country with high rates of HIV, substance abuse, and violence"
    assert refs(ask("cmo_text_search", text="HIV")) == [43]


def test_evidence_for_theory(ask):
    # Infants: "Three studies [34-36] reported increased social support ... One moderate-quality study [33] ...
    # reported findings in relation to social support that favoured the control group"
    rows = ask("evidence_for_theory", theory="infants-support-increase")
    assert [(r["ref_number"], r["judgement"]) for r in rows] == [
        (34, "supports"), (35, "supports"), (36, "supports"), (33, "refutes")]
    assert (rows[-1]["rigour"], rows[-1]["quality"]) == ("medium", "moderate")
    assert all(r["cmo_number"] == 1 and r["relevance"] is None for r in rows)
    # Children: "Three interventions sought to change capacities of social networks and whole service systems
    # (including schools) to mobilise social support for parents [40,47,54]" ([54] is tabled with adolescents)
    rows = ask("evidence_for_theory", theory="children-service-systems")
    assert refs(rows) == [40, 47, 54] and {r["age_band"] for r in rows} == {"children", "adolescents"}
    assert ask("evidence_for_theory", theory="no-such-theory") == []


def test_contested_theories(ask):
    rows = {r["theory_id"]: r for r in ask("contested_theories")}
    assert set(rows) == {"infants-support-increase", "infants-child-outcomes"}
    # "Only one low-quality study [35] reported positive effects on mother-infant attachment ... Two studies [34,36]
    # reported that design errors might have explained the lack of evidence on infant outcomes"
    assert (rows["infants-child-outcomes"]["supporting_refs"], rows["infants-child-outcomes"]["refuting_refs"]) == (
        [35], [34, 36])
    assert rows["infants-support-increase"]["refuting_refs"] == [33]
    assert {r["status"] for r in rows.values()} == {"contested"}


def test_studies_without_theory(ask):
    # the paper names these studies only within its band ranges ([32,37-48], [49-64]) or, for [49,51,56], in the
    # sentences on middle-income countries: no claim of the synthesis cites them
    rows = ask("studies_without_theory")
    assert refs(rows) == [48, 49, 51, 52, 56, 58, 59, 61, 63, 64]
    assert [r["ref_number"] for r in rows][:2] == [48, 49]  # Table 2 before Table 3


def test_theory_lineage(ask):
    rows = {r["theory_id"]: r for r in ask("theory_lineage")}
    assert len(rows) == 51
    # Introduction: "the stress-buffering model suggests that social support reduces the impact of negative life
    # events"; Results (infants): social support "expected to protect against negative impacts of depressive
    # symptoms and stress"; Discussion (infants): "either through social-cognitive ... or stress-buffering mechanisms"
    line = rows["infants-discussion-mechanisms"]
    assert (line["root_id"], line["depth"], line["path"]) == (
        "stress-buffering-model", 2, ["stress-buffering-model", "infants-mechanisms", "infants-discussion-mechanisms"])
    assert all(r["depth"] == len(r["path"]) - 1 and r["path"][-1] == tid for tid, r in rows.items())
    # Resource inputs: "A third of the studies explicitly highlighted the affordability ... there was also evidence
    # that interventions could require high levels of (unplanned) resources ... [38,42,47]"; Abstract: "Although
    # interventions were considered affordable, some required substantial human and financial resources"
    line = {r["theory_id"]: r for r in ask("theory_lineage", root="resources-affordability")}
    assert set(line) == {"resources-affordability", "resources-public-sector-time", "resources-access-barriers",
                         "resources-implementation-challenges", "resources-cost-evidence", "abstract-affordability"}
    assert (line["resources-public-sector-time"]["n_evidence"], line["abstract-affordability"]["depth"]) == (3, 2)


def test_every_named_query_is_tested():
    source = Path(__file__).read_text(encoding="utf-8")
    review = Review.open(Path(__file__).resolve().parents[1])
    from cmokit.synthesis.query import list_named

    for nq in list_named(review):
        assert f'"{nq.name}"' in source, f"named query {nq.name} has no test against the paper"
