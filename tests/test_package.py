"""The bundled review as a data package: structure, counts, keys, and the choices made where the paper is unclear."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from cmokit.package.model import Review

ROOT = Path(__file__).resolve().parents[1]
CHILD_TABLES = ["cmo", "measures", "resource_inputs", "appraisal"]


def rows(name: str) -> list[dict[str, str]]:
    with open(ROOT / "extract" / "consensus" / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def review() -> Review:
    return Review.open(ROOT)


@pytest.fixture(scope="module")
def studies() -> dict[str, dict[str, str]]:
    return {r["study_id"]: r for r in rows("studies")}


def by_ref(studies: dict[str, dict[str, str]]) -> dict[int, dict[str, str]]:
    return {int(r["ref_number"]): r for r in studies.values()}


def test_frictionless_python_api_finds_the_package_valid():
    from frictionless import Package

    report = Package(str(ROOT / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])
    assert {t.name for t in report.tasks} >= {"studies", "cmo", "measures", "resource_inputs", "appraisal", "codebook"}


def test_descriptor_is_data_package_v2_and_cites_the_source(review: Review):
    d = review.descriptor
    assert d["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    for key in ("name", "title", "description", "version", "licenses", "contributors", "sources"):
        assert d.get(key), key
    assert "10.1371/journal.pone.0251750" in d["sources"][0]["path"] + d["sources"][0]["title"]


def test_each_resource_has_a_schema_file_and_consensus_csv(review: Review):
    for r in review.data_resources:
        assert r.schema_path is not None and r.schema_path.parent.name == "schema"
        assert r.rel_path == f"extract/consensus/{r.name}.csv"


def test_every_field_described_every_table_keyed_every_child_linked_to_studies(review: Review):
    for r in review.resources:
        assert r.primary_key, r.name
        assert r.schema.get("description"), r.name
        for f in r.fields:
            assert f.description.strip(), f"{r.name}.{f.name}"
    for name in CHILD_TABLES:
        fks = review.resource(name).foreign_keys
        assert {"fields": ["study_id"], "reference": {"resource": "studies", "fields": ["study_id"]}} in fks


def test_every_coded_field_has_its_codes_in_the_codebook(review: Review):
    book = {(r["table"], r["field"], r["code"]) for r in review.codebook()}
    declared = set()
    for r in review.data_resources:
        for f in r.fields:
            if f.coded:
                assert f.codes(), f"{r.name}.{f.name} has no codes"
                declared |= {(r.name, f.name, c) for c in f.codes()}
    assert declared - book == set(), "codes missing from codebook"
    assert {b for b in book if b[0] != "*"} - declared == set(), "codebook codes the schemas do not allow"
    assert {c for t, _, c in book if t == "*"} == {"NR", "NA", "(blank)"}


def test_thirty_three_studies_refs_32_to_64_once_each(studies):
    refs = sorted(int(r["ref_number"]) for r in studies.values())
    assert refs == list(range(32, 65))
    assert all(r["inclusion_status"] == "included" for r in studies.values())


def test_age_band_split_is_4_13_16_as_the_results_list_them(studies):
    refs = by_ref(studies)
    assert Counter(r["age_band"] for r in studies.values()) == {"infants": 4, "children": 13, "adolescents": 16}
    # Results: infants [33-36], children [32,37-48], adolescents [49-64]
    assert {n for n, r in refs.items() if r["age_band"] == "infants"} == set(range(33, 37))
    assert {n for n, r in refs.items() if r["age_band"] == "children"} == {32, *range(37, 49)}
    assert {n for n, r in refs.items() if r["age_band"] == "adolescents"} == set(range(49, 65))


def test_table_rows_are_in_the_papers_order(studies):
    for table, first, last in [(1, "Cho", "Stubbs"), (2, "Ayton", "Vazquez"), (3, "Asghar", "Vella")]:
        ordered = sorted((r for r in studies.values() if r["paper_table"] == str(table)),
                         key=lambda r: int(r["paper_table_row"]))
        assert [int(r["paper_table_row"]) for r in ordered] == list(range(1, len(ordered) + 1))
        assert ordered[0]["first_author"] == first and ordered[-1]["first_author"] == last


def test_every_study_has_cmo_and_appraisal_rows_and_every_foreign_key_resolves(studies):
    for name in CHILD_TABLES:
        for i, row in enumerate(rows(name), start=2):
            assert row["study_id"] in studies, f"{name}.csv record {i}: {row['study_id']}"
    assert {r["study_id"] for r in rows("cmo")} == set(studies)
    assert {r["study_id"] for r in rows("appraisal")} == set(studies)


def test_primary_keys_are_unique(review: Review):
    for r in review.data_resources:
        keys = [tuple(row[k] for k in r.primary_key) for row in rows(r.name)]
        assert len(keys) == len(set(keys)), r.name


def test_no_invented_values_ages_titles_countries_mmat_answers_are_not_reported(studies):
    # The source paper prints no per-study ages, titles, dates or countries, and no MMAT answers.
    for r in studies.values():
        for f in ("age_min", "age_max", "age_mean", "title", "publication_date", "country"):
            assert r[f] == "NR", (r["study_id"], f)
    for row in rows("appraisal"):
        assert {row[k] for k in row if k == "mmat_category" or k in ("s1", "s2") or k.startswith("c")} == {"NR"}


def test_band_basis_inferred_only_for_the_two_studies_without_ages(studies):
    refs = by_ref(studies)
    inferred = {n for n, r in refs.items() if r["age_band_basis"] == "inferred"}
    assert inferred == {37, 39}
    for n in inferred:
        assert "inferred from the background information" in refs[n]["age_band_justification"]
    assert all(r["age_band_justification"] not in ("", "NR", "NA") for r in studies.values())


def test_contradiction_hauken_and_valdez_2011_follow_the_tables_adolescents(studies):
    for sid in ("hauken-2015", "valdez-2011"):
        r = studies[sid]
        assert r["age_band"] == "adolescents" and r["paper_table"] == "3"
        assert "children section" in r["notes"]


def test_contradiction_letourneau_quality_follows_results_moderate_and_keeps_both():
    row = next(r for r in rows("appraisal") if r["study_id"] == "letourneau-2011")
    assert row["overall_rating"] == "moderate"
    assert "moderate-quality" in row["notes"] and "high-quality" in row["notes"]


def test_contradiction_lachman_income_group_middle_and_keeps_both(studies):
    r = studies["lachman-2017"]
    assert r["income_group"] == "middle"
    assert "low-income country" in r["notes"] and "middle-income countries" in r["notes"]
    assert "low-income country" in r["income_group_basis"]


def test_income_groups_match_the_results_four_middle_income_rest_high(studies):
    refs = by_ref(studies)
    assert {n for n, r in refs.items() if r["income_group"] == "middle"} == {43, 49, 51, 56}
    assert {r["income_group"] for n, r in refs.items() if n not in (43, 49, 51, 56)} == {"high"}


def test_quality_ratings_only_where_the_paper_names_them():
    rated = {r["study_id"]: r["overall_rating"] for r in rows("appraisal") if r["overall_rating"] != "NR"}
    assert rated == {"letourneau-2011": "moderate", "mitchell-2015": "low"}


def test_cmo_cells_keep_the_papers_wording():
    cmo = {r["study_id"]: r for r in rows("cmo")}
    assert cmo["drummond-2014"]["ss_outcomes"] == "N/A (protocol)"
    assert cmo["hauken-2015"]["child_outcomes"] == "Not applicable"
    assert cmo["lachman-2017"]["child_outcomes"] == "Negative effect on child behaviour"
    assert cmo["cho-2013"]["context"].split("\n") == [
        "Mothers with pre-term infants", "High levels of stress, low levels of personal networks",
        "Provided alongside health professionals"]
    for r in cmo.values():
        for f in ("intervention_components", "context", "mechanisms", "ss_outcomes", "child_outcomes"):
            assert r[f].strip() and r[f] not in ("NR", "NA"), (r["study_id"], f)


def test_effect_directions_agree_with_the_papers_statements():
    cmo = {r["study_id"]: r for r in rows("cmo")}
    # Results: two studies [43,62] reported negative effects on child outcomes; [33] findings favoured control;
    # [53] negative effects among boys.
    assert {s for s, r in cmo.items() if r["adverse_effect"] == "yes"} == {
        "lachman-2017", "valdez-2011", "letourneau-2011", "dewit-2016"}
    assert cmo["lachman-2017"]["child_effect"] == "worse"
    assert cmo["letourneau-2011"]["ss_effect"] == "worse"
    # Results: 'Two studies reported no effects on perceived social support [46,50]'
    assert cmo["pancer-2013"]["ss_effect"] == cmo["bohleber-2016"]["ss_effect"] == "no_change"
    # Protocol / not applicable rows
    assert {s for s, r in cmo.items() if r["child_effect"] == "not_applicable"} == {
        "drummond-2014", "hauken-2015", "vella-2018"}


def test_the_one_reported_cost_is_usd_10000_to_12000_per_child_per_year():
    money = [r for r in rows("resource_inputs") if r["input_type"] == "money"]
    assert [(r["study_id"], r["amount_min"], r["amount_max"], r["currency"], r["unit"]) for r in money] == [
        ("eddy-2017", "10000", "12000", "USD", "per child per year")]


def test_infant_support_types_follow_the_results_without_implying_only():
    cmo = {r["study_id"]: r for r in rows("cmo")}
    infants = ("cho-2013", "letourneau-2011", "mitchell-2015", "stubbs-2016")
    # 'All four interventions addressed some form of informational support'
    assert all("informational" in cmo[s]["support_types"].split("; ") for s in infants)
    # '[34] specifically addressed all types of social support (i.e. emotional, practical and informational support)'
    assert set(cmo["stubbs-2016"]["support_types"].split("; ")) == {"emotional", "practical", "informational"}
    # 'one intervention addressed informational support only [36]': the other two say they addressed more
    for s in ("letourneau-2011", "mitchell-2015"):
        assert "informational support only [36]" in cmo[s]["notes"]


def test_branch_child_outcomes_follow_the_table_and_note_the_results(studies):
    cmo = {r["study_id"]: r for r in rows("cmo")}
    assert cmo["branch-2013"]["child_effect"] == "not_reported"
    assert "only [32,37]" in studies["branch-2013"]["notes"]


def test_consensus_files_are_in_primary_key_order_as_reconcile_writes_them(review: Review):
    from cmokit.extraction.reconcile import _sort_key

    for r in review.data_resources:
        data = rows(r.name)
        assert data == sorted(data, key=_sort_key(r)), f"{r.name}.csv is not in primary-key order"


# ------------------------------------------------------------------------------------------------------------
# the data audit of all 33 studies (docs/data-notes.md, "The audit of all 33 studies")


def test_audit_byrne_mechanism_keeps_the_word_lost_at_the_column_boundary():
    cmo = {r["study_id"]: r for r in rows("cmo")}
    # Table 2: "... hypothesised to increase help seeking behaviour including help for child development support"
    assert cmo["byrne-2012"]["mechanisms"].split("\n")[1].endswith("including help for child development support")
    assert "restored" in cmo["byrne-2012"]["notes"]


@pytest.mark.parametrize("first,second,paragraph", [
    ("nabuco-2014", "pancer-2013", "Providing opportunities for parents in the same community"),
    ("nabuco-2014", "pancer-2013", "Skills to access community resources"),
    ("nabuco-2014", "marcynyszyn-2011", "(role of social support not well described)"),
    ("pancer-2013", "parcel-2012", "Changing the environment"),
    ("romjinders-2017", "schwartz-2013", "Some improvements in social support from family"),
    ("valdez-2011", "vanvoorhees-2008", "Small decrease in internalising and behaviour problems"),
    ("valdez-2011", "valdez-2013", "Teaching families about building external social supports"),
    ("valdez-2013", "vella-2018", "Children experience high rates of suicide attempts"),
    ("bohleber-2016", "cluver-2017", "Providing information about mental health promotion"),
])
def test_audit_a_paragraph_that_could_belong_to_either_row_is_noted_on_both(first, second, paragraph):
    notes = {r["study_id"]: r["notes"] + " " + r["confidence_justification"] for r in rows("cmo")}
    studies = {r["study_id"]: r["notes"] for r in rows("studies")}
    for sid in (first, second):
        assert paragraph in notes[sid] + studies[sid], sid
    cmo = {r["study_id"]: r for r in rows("cmo")}
    assert {cmo[first]["confidence"], cmo[second]["confidence"]} != {"high"}


def test_audit_coded_values_keep_the_qualifiers_the_paper_states():
    cmo = {r["study_id"]: r for r in rows("cmo")}
    # "Parents reported higher levels of family support ... Perceived helpfulness of resources largely unchanged"
    assert cmo["marcynyszyn-2011"]["ss_effect"] == "mixed" and "largely unchanged" in cmo["marcynyszyn-2011"]["notes"]
    # "(for those who stay in mentoring relationship for a year or longer)": kept in the text, noted, not coded mixed
    assert cmo["dewit-2016"]["child_effect"] == "improved" and "a year or longer" in cmo["dewit-2016"]["notes"]
    assert cmo["january-2016"]["ss_effect"] == "improved" and "not about partnering" in cmo["january-2016"]["notes"]
    # "educating parents and sport coaches about supporting male youth"
    assert set(cmo["vella-2018"]["support_sources"].split("; ")) == {"family", "professionals", "community"}
    # Table 2 "(but no evidence on child mental health presented)" while mh_outcome is measured: noted
    studies = {r["study_id"]: r for r in rows("studies")}
    for sid in ("ayton-2016", "byrne-2012", "branch-2013"):
        assert studies[sid]["mh_outcome"] == "measured" and "previous evaluations" in studies[sid]["notes"], sid


# Where the paper names each study outside the range citations of its band ([32,37-48], [49-64]) and its table
DISCUSSED = {
    33: ["Results: Resource inputs", "Discussion: Discussion of findings by age groups: Infants"],
    35: ["Results: Resource inputs"], 38: ["Results: Resource inputs"], 41: ["Results: Resource inputs"],
    42: ["Results: Resource inputs"], 44: ["Results: Resource inputs"], 45: ["Results: Resource inputs"],
    47: ["Results: Resource inputs"], 55: ["Results: Resource inputs"],
    43: ["Results (opening paragraphs)", "Findings: Adolescents", "Results: Resource inputs"],
    46: ["Findings: Adolescents"], 49: ["Results (opening paragraphs)"], 51: ["Results (opening paragraphs)"],
    56: ["Results (opening paragraphs)"], 54: ["Findings: Children"], 62: ["Findings: Children"],
}


def test_audit_sources_name_every_section_that_discusses_the_study(studies):
    for ref, r in by_ref(studies).items():
        sources = r["sources"].replace("Age-group specific findings", "Findings")
        band = {"infants": "Infants", "children": "Children", "adolescents": "Adolescents"}[r["age_band"]]
        assert sources.startswith(f"Table {r['paper_table']}; Results: Findings: {band}"), ref
        for section in DISCUSSED.get(ref, []):
            assert section in sources, (ref, section)


def test_audit_group_statements_are_reflected_or_noted(studies):
    measures = [r for r in rows("measures") if r["construct"] == "social_support"]
    # infants: "None of the studies reported an increase in support from partners, parents or friends (even though
    # all four studies measured this)"
    for sid in ("cho-2013", "letourneau-2011", "mitchell-2015", "stubbs-2016"):
        assert any("partner" in m["description"] for m in measures if m["study_id"] == sid), sid
    cmo = {r["study_id"]: r for r in rows("cmo")}
    # "Two studies [34,36] reported that design errors might have explained the lack of evidence on infant outcomes"
    assert all("design errors" in cmo[sid]["notes"] for sid in ("cho-2013", "stubbs-2016"))
    # "providing a trusted person ... (see for example Drummond et al. [40])": not in its Table 2 row, noted
    assert "trusted person" in cmo["drummond-2014"]["notes"]
    # "Three interventions sought to change capacities of social networks and whole service systems [40,47,54]"
    assert all("[40,47,54]" in studies[sid]["notes"] for sid in ("drummond-2014", "parcel-2012", "hauken-2015"))
    # "Two studies were about universal preventative interventions ... transition to employment ... male athletes"
    assert all("universal preventative" in studies[sid]["notes"] for sid in ("bohleber-2016", "vella-2018"))


def test_every_configuration_field_names_its_realist_role(review: Review):
    from cmokit.package.model import ROLES

    cmo = review.resource("cmo")
    assert all(f.role in ROLES for f in cmo.fields), [(f.name, f.role) for f in cmo.fields]
    by_role = {role: [f.name for f in cmo.fields_by_role(role, text=True)] for role in ROLES}
    assert by_role["context"] == ["context"] and by_role["mechanism"] == ["mechanisms"]
    assert by_role["outcome"] == ["ss_outcomes", "child_outcomes"]  # text; the coded effects are outcomes too
    assert [f.name for f in cmo.fields_by_role("outcome") if f.coded] == ["ss_effect", "child_effect"]
    # no other table holds configurations
    assert [r.name for r in review.resources if any(f.role for f in r.fields)] == ["cmo"]
