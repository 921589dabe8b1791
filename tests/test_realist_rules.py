"""The realist rules (validators/realist.py) beyond the broken corpus: parameters, submissions, the lineage walk."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from cmokit.validation import validate_review


def edit(root: Path, table: str, where: dict[str, str], **values: str) -> None:
    """Set fields of the first row matching ``where``."""
    p = root / "extract" / "consensus" / f"{table}.csv"
    with open(p, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    i = next(k for k, r in enumerate(rows) if all(r[f] == v for f, v in where.items()))
    rows[i].update(values)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")


def params(root: Path, **values) -> None:
    p = root / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["cmokit"]["realist"].update(values)
    p.write_text(json.dumps(d, indent=2), encoding="utf-8")


def errors(report) -> set[tuple]:
    return {(p.rule, p.resource, p.line, p.field) for p in report.errors}


def test_refined_is_met_by_a_newer_theory_as_well_as_by_refining_evidence(review_copy):
    # stress-buffering-model has no evidence: it is 'refined' because infants-mechanisms refines it
    assert validate_review(review_copy).valid
    edit(review_copy, "theories", {"theory_id": "infants-mechanisms"}, refines="NA")
    assert errors(validate_review(review_copy)) == {("theory.status", "theories",
                                                     _line(review_copy, "stress-buffering-model"), "status")}


def _line(root: Path, tid: str) -> int:
    with open(root / "extract" / "consensus" / "theories.csv", encoding="utf-8", newline="") as fh:
        return 2 + next(i for i, r in enumerate(csv.DictReader(fh)) if r["theory_id"] == tid)


def test_which_judgements_a_status_needs_is_a_parameter(review_copy):
    # a review that wants 'supported' to mean supported and never refuted can say so in its descriptor
    params(review_copy, status_evidence={"supported": ["supports"], "contested": ["supports", "refutes", "refines"]})
    report = validate_review(review_copy)
    contested = {p.line for p in report.errors if p.rule == "theory.status"}
    assert contested == {_line(review_copy, "infants-support-increase"), _line(review_copy, "infants-child-outcomes")}
    assert all("'supports' and 'refutes' and 'refines'" in p.message for p in report.errors)


def test_a_two_theory_cycle_is_one_report_naming_both(review_copy):
    edit(review_copy, "theories", {"theory_id": "infants-support-increase"}, refines="infants-volunteer-relationships")
    report = validate_review(review_copy)
    (p,) = [p for p in report.errors if p.rule == "theory.lineage"]
    assert p.line == _line(review_copy, "infants-support-increase")
    assert "infants-support-increase -> infants-volunteer-relationships -> infants-support-increase" in p.message
    # infants-professional-advice-crowding-out descends from the cycle but is not part of it: not reported
    assert len(report.errors) == 1


def test_a_submission_blank_justification_is_not_yet_extracted_not_an_error(review_copy):
    folder = review_copy / "extract" / "reviewers" / "ann"
    folder.mkdir(parents=True)
    for t in ("theories", "evidence"):
        (folder / f"{t}.csv").write_text((review_copy / "extract" / "consensus" / f"{t}.csv").read_text("utf-8"),
                                         encoding="utf-8")
    with open(folder / "evidence.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update(justification="", quote="")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (folder / "evidence.csv").write_text(buf.getvalue(), encoding="utf-8")
    report = validate_review(review_copy, submission="ann")
    assert report.valid, [p.message for p in report.errors]
    assert {(p.rule, p.field) for p in report.warnings if p.resource == "evidence"} == {
        ("extract.blank", "justification"), ("extract.blank", "quote")}
    # theories submitted without evidence: the status rule needs the evidence, so it does not run
    (folder / "evidence.csv").unlink()
    assert validate_review(review_copy, submission="ann").valid
