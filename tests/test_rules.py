"""The review's own rules (validators/): each on a real copy of the bundled review with one cell changed.

Every test edits a copy with the csv module, runs ``validate_review`` and asserts the exact rule id, CSV line
(header = line 1), field and severity of the problems, the exit code, and that the folder did not change.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cmokit.validation.validate import validate_review

CONSENSUS = Path("extract") / "consensus"


def _path(root: Path, table: str) -> Path:
    return root / CONSENSUS / f"{table}.csv"


def edit(root: Path, table: str, key: dict[str, str], **values: str) -> int:
    """Set ``values`` in the first row of ``table`` matching ``key``; return that row's physical CSV line."""
    with open(_path(root, table), encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows, lines = [], []
        start = reader.line_num + 1
        for rec in reader:
            rows.append(rec)
            lines.append(start)
            start = reader.line_num + 1
    match = [i for i, rec in enumerate(rows) if all(rec[header.index(k)] == v for k, v in key.items())]
    assert match, f"no row {key} in {table}"
    i = match[0]
    for k, v in values.items():
        rows[i][header.index(k)] = v
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    _path(root, table).write_text(buf.getvalue(), encoding="utf-8", newline="")
    return lines[i]


def delete_rows(root: Path, table: str, study_id: str) -> None:
    with open(_path(root, table), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    kept = [rows[0]] + [r for r in rows[1:] if r[0] != study_id]
    assert len(kept) < len(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(kept)
    _path(root, table).write_text(buf.getvalue(), encoding="utf-8", newline="")


def problems(root: Path, state, **kwargs):
    before = state(root)
    report = validate_review(root, **kwargs)
    assert state(root) == before, "validation changed the review folder"
    return report, [(p.rule, p.resource, p.line, p.field, p.severity) for p in report.problems
                    if p.rule != "inclusion.mh_outcome" or p.severity == "error"]


def errors(report) -> set[tuple]:
    return {(p.rule, p.resource, p.line, p.field) for p in report.errors}


# ------------------------------------------------------------------ age


def test_age_band_rule_takes_the_band_covering_more_years(review_copy, folder_state):
    # the paper's example: 5-12 years covers 5 years of 'children' (3-9) and 3 of 'adolescents' (10-18)
    line = edit(review_copy, "studies", {"study_id": "asghar-2018"}, age_min="5", age_max="12", age_mean="8",
                age_band_basis="reported_ages")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age_band.rule", "studies", line, "age_band")}
    (p,) = report.errors
    assert p.value == "adolescents" and "children" in p.message and "5 years" in p.message
    assert report.exit_code == 1


def test_age_band_rule_accepts_the_right_band(review_copy, folder_state):
    edit(review_copy, "studies", {"study_id": "ayton-2016"}, age_min="5", age_max="12", age_mean="8",
         age_band_basis="reported_ages")
    report, _ = problems(review_copy, folder_state)
    assert report.errors == [] and report.exit_code == 0


def test_age_band_tie_needs_a_recorded_reviewer_decision(review_copy, folder_state):
    # 8-11: two years of children (8, 9), two of adolescents (10, 11)
    line = edit(review_copy, "studies", {"study_id": "ayton-2016"}, age_min="8", age_max="11", age_mean="9.5",
                age_band_basis="reported_ages")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age_band.tie", "studies", line, "age_band_basis")}
    assert "reviewer_decision" in report.errors[0].message


def test_age_band_tie_decided_and_recorded_is_valid(review_copy, folder_state):
    edit(review_copy, "studies", {"study_id": "ayton-2016"}, age_min="8", age_max="11", age_mean="9.5",
         age_band_basis="reviewer_decision", age_band_justification="Most participants were 8 or 9.",
         age_band_decided_by="reviewer-a")
    report, _ = problems(review_copy, folder_state)
    assert report.errors == []


def test_age_band_tie_decision_without_who_decided(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "ayton-2016"}, age_min="8", age_max="11",
                age_band_basis="reviewer_decision", age_band_justification="Most participants were 8 or 9.",
                age_band_decided_by="NA")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age_band.tie", "studies", line, "age_band_basis")}


def test_age_band_justification_required_when_not_derived_from_ages(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "byrne-2012"}, age_band_justification="NR")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age_band.justification", "studies", line, "age_band_justification")}


def test_reported_ages_basis_without_ages(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "doty-2017"}, age_band_basis="reported_ages")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age_band.justification", "studies", line, "age_band_basis")}


def test_age_order(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "cluver-2017"}, age_min="10", age_max="18", age_mean="19",
                age_band_basis="reported_ages")
    report, _ = problems(review_copy, folder_state)
    assert ("age.order", "studies", line, "age_mean") in errors(report)
    # the mean is also outside the review's 0-18 range (datapackage.json: cmokit.mean_age)
    assert errors(report) == {("age.order", "studies", line, "age_mean"),
                              ("age.mean_range", "studies", line, "age_mean")}


def test_age_min_above_max(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "cluver-2017"}, age_min="15", age_max="12",
                age_band_basis="reviewer_decision", age_band_decided_by="reviewer-a")
    report, _ = problems(review_copy, folder_state)
    assert ("age.order", "studies", line, "age_max") in errors(report)


def test_negative_age_is_a_schema_minimum(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "cluver-2017"}, age_min="-1")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("constraint.minimum", "studies", line, "age_min")}


def test_mean_age_range_comes_from_the_descriptor(review_copy, folder_state):
    edit(review_copy, "studies", {"study_id": "cluver-2017"}, age_mean="17")
    report, _ = problems(review_copy, folder_state)
    assert report.errors == []
    dp = review_copy / "datapackage.json"
    d = json.loads(dp.read_text(encoding="utf-8"))
    d["cmokit"]["mean_age"] = {"min": 0, "max": 16}
    dp.write_text(json.dumps(d), encoding="utf-8")
    line = edit(review_copy, "studies", {"study_id": "cluver-2017"}, age_mean="17")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age.mean_range", "studies", line, "age_mean")}
    assert "0-16" in report.errors[0].message


def test_age_bands_come_from_the_descriptor(review_copy, folder_state):
    """With bands 0-2 / 3-12 / 13-18, 5-12 is wholly 'children'; with the paper's bands 8-11 is a tie."""
    dp = review_copy / "datapackage.json"
    d = json.loads(dp.read_text(encoding="utf-8"))
    d["cmokit"]["age_bands"] = [{"code": "infants", "min": 0, "max": 2}, {"code": "children", "min": 3, "max": 12},
                                {"code": "adolescents", "min": 13, "max": 18}]
    dp.write_text(json.dumps(d), encoding="utf-8")
    line = edit(review_copy, "studies", {"study_id": "ayton-2016"}, age_min="8", age_max="11",
                age_band_basis="reported_ages")
    report, _ = problems(review_copy, folder_state)
    assert report.errors == []
    edit(review_copy, "studies", {"study_id": "ayton-2016"}, age_band="adolescents")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age_band.rule", "studies", line, "age_band")}


# ------------------------------------------------------------------ inclusion and exclusion


@pytest.mark.parametrize(("field", "rule"), [("ss_in_aims", "inclusion.ss_in_aims"),
                                             ("ss_measured", "inclusion.ss_measured"),
                                             ("full_text_english", "inclusion.english")])
def test_yes_no_inclusion_criteria(review_copy, folder_state, field, rule):
    line = edit(review_copy, "studies", {"study_id": "eddy-2017"}, **{field: "no"})
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {(rule, "studies", line, field)}
    line2 = edit(review_copy, "studies", {"study_id": "ingram-2015"}, **{field: "NR"})
    report, _ = problems(review_copy, folder_state)
    warned = [(p.rule, p.line, p.field) for p in report.warnings if p.rule == rule]
    assert warned == [(rule, line2, field)]
    assert "criterion not documented" in [p for p in report.warnings if p.rule == rule][0].message


def test_mh_outcome_none(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "eddy-2017"}, mh_outcome="none")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("inclusion.mh_outcome", "studies", line, "mh_outcome")}


def test_mh_outcome_infant_predictor_only_for_infants(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "eddy-2017"}, mh_outcome="infant_predictor")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("inclusion.mh_outcome", "studies", line, "mh_outcome")}
    assert "infants" in report.errors[0].message


def test_mh_outcome_described_only_for_protocols(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "drummond-2014"}, evidence_type="evaluation")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("inclusion.mh_outcome", "studies", line, "mh_outcome")}


def test_mh_outcome_not_reported_is_a_warning(review_copy, folder_state):
    report, _ = problems(review_copy, folder_state)
    warned = {(p.rule, p.field, p.value) for p in report.warnings}
    assert warned == {("inclusion.mh_outcome", "mh_outcome", "NR")}
    assert report.exit_code == 0


def test_publication_outside_search_window(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "eddy-2017"}, publication_date="2018-06-09")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("inclusion.window", "studies", line, "publication_date")}
    edit(review_copy, "studies", {"study_id": "eddy-2017"}, publication_date="2018-06-08")
    report, _ = problems(review_copy, folder_state)
    assert report.errors == []


def test_year_outside_window_when_date_not_reported(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "eddy-2017"}, year="2007")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("inclusion.window", "studies", line, "year")}


def test_included_study_with_exclusion_criterion(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "eddy-2017"}, exclusion_criteria="extreme_adversity")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("exclusion.criteria", "studies", line, "exclusion_criteria")}


def test_excluded_study_may_carry_exclusion_criteria(review_copy, folder_state):
    edit(review_copy, "studies", {"study_id": "eddy-2017"}, exclusion_criteria="extreme_adversity",
         inclusion_status="excluded")
    report, _ = problems(review_copy, folder_state)
    assert report.errors == []


# ------------------------------------------------------------------ MMAT


def test_mmat_criterion_of_another_category(review_copy, folder_state):
    line = edit(review_copy, "appraisal", {"study_id": "eddy-2017"}, mmat_category="2", s1="yes", s2="yes",
                c2_1="yes", c2_2="no", c2_3="cant_tell", c2_4="yes", c2_5="yes", c3_1="yes")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("mmat.category", "appraisal", line, "c3_1")}


def test_mmat_own_criterion_not_applicable(review_copy, folder_state):
    line = edit(review_copy, "appraisal", {"study_id": "eddy-2017"}, mmat_category="2", c2_3="NA")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("mmat.category", "appraisal", line, "c2_3")}


def test_mmat_mixed_methods_components_warn(review_copy, folder_state):
    line = edit(review_copy, "appraisal", {"study_id": "eddy-2017"}, mmat_category="5", c5_1="yes", c1_1="yes",
                c2_1="no")
    report, _ = problems(review_copy, folder_state)
    assert report.errors == []
    (w,) = [p for p in report.warnings if p.rule == "mmat.category"]
    assert (w.line, w.field) == (line, "mmat_category") and "components" in w.message


def test_mmat_screening_not_applicable(review_copy, folder_state):
    line = edit(review_copy, "appraisal", {"study_id": "eddy-2017"}, s2="NA")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("mmat.screening", "appraisal", line, "s2")}


def test_mmat_screening_blank_reported_once(review_copy, folder_state):
    line = edit(review_copy, "appraisal", {"study_id": "eddy-2017"}, s1="")
    report, _ = problems(review_copy, folder_state)
    # the blank cell is not also reported as extract.blank
    assert errors(report) == {("mmat.screening", "appraisal", line, "s1")}


def test_mmat_two_sets_for_one_appraiser_is_a_duplicate_key(review_copy, folder_state):
    with open(_path(review_copy, "appraisal"), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    first = next(i for i, r in enumerate(rows) if r[0] == "eddy-2017")
    rows.append(rows[first])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    _path(review_copy, "appraisal").write_text(buf.getvalue(), encoding="utf-8", newline="")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("key.primary", "appraisal", len(rows), "appraiser")}
    assert f"line {first + 1}" in report.errors[0].message


# ------------------------------------------------------------------ cross-table


def test_included_study_without_cmo(review_copy, folder_state):
    delete_rows(review_copy, "cmo", "stubbs-2016")
    line = edit(review_copy, "studies", {"study_id": "stubbs-2016"})
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("cross.cmo", "studies", line, "study_id")}


def test_included_study_without_appraisal(review_copy, folder_state):
    delete_rows(review_copy, "appraisal", "stubbs-2016")
    line = edit(review_copy, "studies", {"study_id": "stubbs-2016"})
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("cross.appraisal", "studies", line, "study_id")}


def test_coded_effect_without_text(review_copy, folder_state):
    line = edit(review_copy, "cmo", {"ss_effect": "improved"}, ss_outcomes="NR")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("cross.effect_text", "cmo", line, "ss_outcomes")}


def test_rules_run_only_in_trusted_mode(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "eddy-2017"}, mh_outcome="none")
    report, _ = problems(review_copy, folder_state, trusted=False)
    assert report.errors == [] and report.exit_code == 0
    assert [p.rule for p in report.warnings] == ["rules.skipped"]
    report, _ = problems(review_copy, folder_state, trusted=True)
    assert errors(report) == {("inclusion.mh_outcome", "studies", line, "mh_outcome")}


def test_untrusted_mode_never_imports_validators(review_copy, folder_state):
    """A validators/ module that would leave a mark when imported is not imported with trusted=False."""
    marker = review_copy.parent / "imported.txt"
    (review_copy / "validators" / "zz_marker.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n\ndef validators(ctx):\n    return []\n",
        encoding="utf-8")
    validate_review(review_copy, trusted=False)
    assert not marker.exists()
    validate_review(review_copy, trusted=True)
    assert marker.exists()


def test_broken_validator_is_reported_not_raised(review_copy, folder_state):
    (review_copy / "validators" / "zz_broken.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    report = validate_review(review_copy)
    assert report.exit_code == 2
    assert [p.rule for p in report.errors] == ["rules.error"] and "boom" in report.errors[0].message


def test_rules_do_not_rereport_a_cell_with_a_wrong_code(review_copy, folder_state):
    # 'Infants' is not a code (constraint.enum); the mh_outcome rule must not read it as a non-infant band
    line = edit(review_copy, "studies", {"study_id": "cho-2013"}, age_band="Infants")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("constraint.enum", "studies", line, "age_band")}


def test_reviewer_decision_names_who_decided(review_copy, folder_state):
    line = edit(review_copy, "studies", {"study_id": "ayton-2016"}, age_band_basis="reviewer_decision",
                age_band_decided_by="NA")
    report, _ = problems(review_copy, folder_state)
    assert errors(report) == {("age_band.justification", "studies", line, "age_band_decided_by")}


def test_rule_on_a_missing_column_is_reported_as_broken_rule(review_copy):
    (review_copy / "validators" / "zz_bad.py").write_text(
        "import polars as pl\nfrom cmokit.rules import Rule, Validator\n\n"
        "def validators(ctx):\n"
        "    return [Validator('studies', [Rule('x.bad', ok=pl.col('no_such_column') == 'a', field='study_id',\n"
        "                                       message='never')])]\n", encoding="utf-8")
    report = validate_review(review_copy)
    assert report.exit_code == 2
    assert {p.rule for p in report.errors} == {"rules.error"}
    assert "no_such_column" in report.errors[0].message


def test_only_failing_rules_go_to_pandera_and_keep_their_own_message(review_copy):
    """pandera runs only the rules that fail somewhere (the others passed the one vectorised pass): each failure
    case must still be reported under its own rule, message and field, not under the rule at its position among
    the checks pandera ran."""
    (review_copy / "validators" / "zz_mixed.py").write_text(
        "import polars as pl\nfrom cmokit.rules import Rule, Validator\n\n"
        "def validators(ctx):\n"
        "    yes = pl.lit(True)\n"
        "    return [Validator('studies', [\n"
        "        Rule('z.pass_a', ok=yes, field='study_id', message='never a'),\n"
        "        Rule('z.ayton', ok=pl.col('study_id') != 'ayton-2016', field='study_id',\n"
        "             message='ayton {study_id}'),\n"
        "        Rule('z.pass_b', ok=yes, field='country', message='never b'),\n"
        "        Rule('z.all', ok=pl.col('study_id').is_null(), field='country', message='all {study_id}'),\n"
        "    ])]\n", encoding="utf-8")
    report = validate_review(review_copy)
    ours = [p for p in report.problems if p.rule.startswith("z.")]
    with _path(review_copy, "studies").open(encoding="utf-8", newline="") as fh:
        ids = [row["study_id"] for row in csv.DictReader(fh)]
    assert {p.rule for p in ours} == {"z.ayton", "z.all"}
    assert [(p.field, p.message) for p in ours if p.rule == "z.ayton"] == [("study_id", "ayton ayton-2016")]
    alls = [p for p in ours if p.rule == "z.all"]
    assert sorted(p.message for p in alls) == sorted(f"all {i}" for i in ids)
    assert {p.field for p in alls} == {"country"}
