"""Point 14 (messages that said too little or the wrong thing) and point 8 (work in progress is not invalid)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from click.testing import CliRunner

from cmokit.cli import main
from cmokit.validation.validate import validate_review

STUDIES = Path("extract") / "consensus" / "studies.csv"


def _set(review: Path, rel: Path, study: str, field: str, value: str) -> None:
    path = review / rel
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index(field)
    next(r for r in rows[1:] if r[0] == study)[col] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_the_pattern_message_keeps_the_example(review_copy):
    """Point 14: the constraint.pattern message for study_id ended "e.g." with the example cut off."""
    _set(review_copy, STUDIES, "cho-2013", "study_id", "cho2013")
    report = validate_review(review_copy)
    msg = next(p.message for p in report.errors if p.rule == "constraint.pattern" and p.field == "study_id")
    assert msg.endswith(": Stable readable identifier: first author's surname in lower case (letters only, no spaces), "
                        "a hyphen and the year, e.g. ayton-2016; add a letter (valdez-2011a) only if two studies "
                        "would collide.")


def test_no_cross_table_message_names_an_empty_study(review_copy):
    """Point 14: a cross.appraisal message named study ''. A study whose key is blank or invalid is reported for
    its key, and not again by the cross-table rules, which cannot link it."""
    _set(review_copy, STUDIES, "cho-2013", "study_id", "")
    _set(review_copy, STUDIES, "eddy-2017", "study_id", "Eddy 2017")
    report = validate_review(review_copy)
    assert not [p for p in report.errors if p.rule.startswith("cross.")], [p.message for p in report.errors]
    rules = {(p.rule, p.value) for p in report.errors if p.resource == "studies" and p.field == "study_id"}
    assert {("constraint.required", ""), ("constraint.pattern", "Eddy 2017")} <= rules
    assert all("''" not in p.message for p in report.errors if p.rule.startswith("cross."))


def test_an_auto_rebuild_that_fails_shows_the_problems(review_copy):
    """Point 14: a query whose auto-rebuild failed said "the review has 1 error" without showing it; now the
    problems are listed as `cmokit validate` lists them."""
    assert CliRunner().invoke(main, ["build", "-C", str(review_copy)]).exit_code == 0
    _set(review_copy, STUDIES, "cho-2013", "age_band", "babies")
    res = CliRunner().invoke(main, ["query", "SELECT 1", "-C", str(review_copy)])
    assert res.exit_code == 1
    expected = CliRunner().invoke(main, ["validate", "-C", str(review_copy)]).stdout
    assert expected in res.stderr and "age_band = 'babies'  [error constraint.enum]" in res.stderr
    assert res.stderr.rstrip().splitlines()[-1].startswith("Error: ") and "the review has 1 error" in res.stderr


def test_an_unknown_code_in_a_parameter_is_an_error(review_copy):
    """Point 14: `query --name ... --param band=teens` returned 0 rows and exit 0 for a code the field lacks."""
    res = CliRunner().invoke(main, ["query", "-C", str(review_copy), "--name", "mechanisms_by_band", "--param",
                                    "band=teens"])
    assert res.exit_code == 2
    assert res.stderr.endswith("Error: query 'mechanisms_by_band': --param band=teens is not a code of age_band; the "
                               "codes are infants, children, adolescents.\n")
    ok = CliRunner().invoke(main, ["query", "-C", str(review_copy), "--name", "mechanisms_by_band", "--param",
                                   "band=infants", "-f", "csv"])
    assert ok.exit_code == 0 and ok.stdout.count("\n") == 5  # the header and the four infant studies' rows
    free = CliRunner().invoke(main, ["query", "-C", str(review_copy), "--name", "cmo_text_search", "--param",
                                     "text=teens"])  # a free-text parameter takes any value
    assert free.exit_code == 0, free.output


def test_header_only_files_are_work_not_started(review_copy):
    """Point 8: the header-only files `cmokit template` writes made a work-in-progress submission INVALID
    (cross.cmo, cross.appraisal for tables not started; key.foreign against an empty studies.csv)."""
    assert CliRunner().invoke(main, ["template", "--reviewer", "ann", "-C", str(review_copy)]).exit_code == 0
    folder = review_copy / "extract" / "reviewers" / "ann"
    consensus = review_copy / "extract" / "consensus"
    with open(consensus / "studies.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with open(folder / "studies.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([rows[0], *[r for r in rows[1:] if r[0] == "cho-2013"]])
    report = validate_review(review_copy, submission="ann")
    assert report.errors == [], [(p.rule, p.message) for p in report.errors]
    # the other way round: cmo started, studies.csv still header-only: keys resolve against the consensus
    with open(folder / "studies.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(rows[0])
    with open(consensus / "cmo.csv", encoding="utf-8", newline="") as fh:
        cmo = list(csv.reader(fh))
    with open(folder / "cmo.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([cmo[0], *[r for r in cmo[1:] if r[0] == "cho-2013"]])
    report = validate_review(review_copy, submission="ann")
    assert report.errors == [], [(p.rule, p.message) for p in report.errors]
    res = CliRunner().invoke(main, ["validate", "--reviewer", "ann", "-C", str(review_copy)])
    assert res.exit_code == 0 and "VALID" in res.stdout


def test_an_unknown_file_in_a_submission_is_a_warning(review_copy):
    """The docs' claim: `file.unknown` (warning) for a submission file named after no table; it is not read."""
    folder = review_copy / "extract" / "reviewers" / "ann"
    folder.mkdir(parents=True)
    shutil.copy(review_copy / STUDIES, folder / "studies.csv")
    (folder / "cmos.csv").write_text("not, a, table\n")
    report = validate_review(review_copy, submission=folder)
    assert [(p.rule, p.severity, p.path) for p in report.warnings if p.rule == "file.unknown"] == [
        ("file.unknown", "warning", "extract/reviewers/ann/cmos.csv")]
    assert report.exit_code == 0
