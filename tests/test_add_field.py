"""`cmokit add-field` and `cmokit add-code`: the schema, the codebook and every CSV header change together; reviewers'
workbooks are left to them; bad input writes nothing; an interrupted change is completed by the next one."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.core import fileset
from cmokit.package.edit import JOURNAL, records
from cmokit.package.model import Review
from cmokit.validation.validate import validate_review


@pytest.fixture
def review(tmp_path) -> Path:
    """The bundled review with alice's CSV submission (studies, cmo) and bob's Excel form."""
    root = copy_review(tmp_path / "review")
    alice = root / "extract/reviewers/alice"
    alice.mkdir(parents=True)
    for t in ("studies", "cmo"):
        shutil.copy2(root / f"extract/consensus/{t}.csv", alice / f"{t}.csv")
    assert CliRunner().invoke(main, ["template", "-C", str(root), "--reviewer", "bob", "-f", "xlsx"]).exit_code == 0
    return root


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, [args[0], "-C", str(root), *args[1:]])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def schema_field(root: Path, table: str, name: str) -> dict | None:
    s = json.loads((root / f"schema/{table}.schema.json").read_text(encoding="utf-8"))
    return next((f for f in s["fields"] if f["name"] == name), None)


def test_add_field_changes_schema_codebook_and_every_csv_but_not_the_workbook(review):
    consensus = review / "extract/consensus/studies.csv"
    before = consensus.read_text(encoding="utf-8")
    alice_before = (review / "extract/reviewers/alice/studies.csv").read_text(encoding="utf-8")
    book = review / "extract/reviewers/bob/bob.xlsx"
    book_sha = sha(book)
    res = cli(review, "add-field", "studies", "setting", "--type", "string", "--codes", "school,clinic,community",
              "--title", "Setting", "--description", "Where the programme is delivered.", "--fill", "NR")
    assert res.exit_code == 0, res.output
    assert schema_field(review, "studies", "setting") == {
        "name": "setting", "title": "Setting", "type": "string", "description": "Where the programme is delivered.",
        "constraints": {"enum": ["school", "clinic", "community"]}}
    rows = list(csv.DictReader(open(review / "schema/codebook.csv", encoding="utf-8", newline="")))
    assert [(r["table"], r["field"], r["code"], r["label"]) for r in rows[-3:]] == [
        ("studies", "setting", c, c) for c in ("school", "clinic", "community")]
    assert rows[-1]["definition"].startswith("Not yet defined")
    # every CSV: the header gains the column, every record an NR cell; nothing else moves (quoted line breaks too)
    for path, old in ((consensus, before), (review / "extract/reviewers/alice/studies.csv", alice_before)):
        new = path.read_text(encoding="utf-8")
        got, was = records(new, Review.open(review).resource("studies").dialect), records(old, Review.open(
            review).resource("studies").dialect)
        assert got[0][0] == was[0][0] + ",setting"
        assert [r for r, _ in got[1:]] == [r + ",NR" for r, _ in was[1:]]
        assert [e for _, e in got] == [e for _, e in was]
    assert sha(book) == book_sha  # the workbook is the reviewer's own
    assert "not changed: extract/reviewers/bob/bob.xlsx (a workbook)" in res.output
    assert "column 'setting' to sheet 'studies'" in res.output
    assert validate_review(review).valid
    bob = validate_review(review, submission="bob")
    assert [(p.rule, p.field) for p in bob.errors] == [("header.missing", "setting")]
    assert not (review / JOURNAL).exists()


def test_a_new_field_of_a_configuration_table_needs_its_role(review, folder_state):
    before = folder_state(review)
    res = cli(review, "add-field", "cmo", "resources_offered", "--type", "string")
    assert res.exit_code == 2 and "cmo holds configurations" in res.stderr and "--role" in res.stderr
    assert folder_state(review) == before
    res = cli(review, "add-field", "cmo", "resources_offered", "--type", "string", "--role", "mechanism",
              "--title", "Resources offered", "--fill", "NR")
    assert res.exit_code == 0, res.output
    assert schema_field(review, "cmo", "resources_offered")["cmokit:role"] == "mechanism"
    from cmokit.synthesis.tables import paper_columns

    assert paper_columns(Review.open(review))[0] == [  # the tables find it by role, beside the other mechanisms
        "Study ID", "Intervention components", "Context", "Mechanisms for improved child mental health",
        "Resources offered", "Social support outcomes", "Child outcomes"]


def test_the_default_fill_is_not_yet_extracted(review):
    assert cli(review, "add-field", "measures", "follow_up_months", "--type", "integer").exit_code == 0
    report = validate_review(review)
    blanks = [p for p in report.errors if p.rule == "extract.blank"]
    n = len(list(csv.DictReader(open(review / "extract/consensus/measures.csv", encoding="utf-8", newline=""))))
    assert len(blanks) == n and {p.field for p in blanks} == {"follow_up_months"}


def test_a_grouping_field_of_studies_from_the_role_option(tmp_path):
    assert CliRunner().invoke(main, ["init", str(tmp_path / "r"), "--title", "T"]).exit_code == 0
    root = tmp_path / "r"
    res = cli(root, "add-field", "studies", "setting", "--type", "string", "--codes", "school,home", "--role",
              "grouping")
    assert res.exit_code == 0, res.output
    assert schema_field(root, "studies", "setting")["cmokit:study"] == "grouping"
    from cmokit.package.annotations import groups

    assert groups(Review.open(root)) == [("school", "school"), ("home", "home")]
    res = cli(root, "add-field", "studies", "reach", "--type", "integer", "--role", "grouping")
    assert res.exit_code == 2 and "--role grouping needs a coded field" in res.stderr


@pytest.mark.parametrize("args, message", [
    (["studies", "country", "--type", "string"], "studies already has a field 'country'"),
    (["studies", "Setting", "--type", "string"], "is not a field name"),
    (["studies", "setting", "--type", "strin"], "Invalid value for '--type'"),
    (["studies", "setting", "--type", "date", "--codes", "a,b"], "a date field cannot have codes"),
    (["studies", "setting", "--type", "string", "--codes", "school,,clinic"], "no empty code"),
    (["studies", "setting", "--type", "string", "--codes", "school,NR"], "is a missing value of the table"),
    (["studies", "setting", "--type", "string", "--codes", "home visit"], "is not a code"),
    (["studies", "setting", "--type", "string", "--codes", "a,a"], "a is given twice"),
    (["studies", "setting", "--type", "integer", "--codes", "1,two"], "is not an integer"),
    (["studies", "setting", "--type", "string", "--codes", "a,b", "--fill", "c"], "c is not one of the codes"),
    (["studies", "setting", "--type", "integer", "--fill", "many"], "is not an integer"),
    (["studies", "setting", "--type", "string", "--multiple"], "--multiple needs --codes"),
    (["studies", "setting", "--type", "string", "--role", "mechanism"], "for studies, one of"),
    (["measures", "setting", "--type", "string", "--role", "label"], "take a role"),
    (["codebook", "setting", "--type", "string"], "is written by cmokit itself"),
    (["decisions", "setting", "--type", "string"], "is written by cmokit itself"),
    (["nothing", "setting", "--type", "string"], "no table named 'nothing'"),
])
def test_bad_input_writes_nothing(review, folder_state, args, message):
    before = folder_state(review)
    res = cli(review, "add-field", *args)
    assert res.exit_code == 2 and message in res.output, res.output
    assert "Traceback" not in res.output
    assert folder_state(review) == before


def test_add_code_to_a_code_list_and_to_a_multi_code_field(review):
    res = cli(review, "add-code", "studies", "evidence_type", "case_study", "--label", "Case study",
              "--definition", "A report of one case.")
    assert res.exit_code == 0, res.output
    assert schema_field(review, "studies", "evidence_type")["constraints"]["enum"][-1] == "case_study"
    rows = list(csv.DictReader(open(review / "schema/codebook.csv", encoding="utf-8", newline="")))
    at = [i for i, r in enumerate(rows) if r["field"] == "evidence_type"]
    assert at == list(range(at[0], at[0] + 4)) and rows[at[-1]]["code"] == "case_study"  # after the field's codes
    res = cli(review, "add-code", "studies", "intervention_type", "arts", "--label", "Arts",
              "--definition", "Arts-based activities.")
    assert res.exit_code == 0, res.output
    pattern = schema_field(review, "studies", "intervention_type")["constraints"]["pattern"]
    assert pattern.startswith("^(mentoring|") and "|arts)(; ?(mentoring|" in pattern
    assert validate_review(review).valid
    assert Review.open(review).resource("studies").field("intervention_type").codes()[-1] == "arts"
    # a study coded with the new codes is valid
    studies = review / "extract/consensus/studies.csv"
    text = studies.read_text(encoding="utf-8")
    assert "evaluation," in text and "skills_training" in text
    studies.write_text(text.replace("evaluation,", "case_study,", 1).replace("skills_training", "skills_training; arts",
                                                                             1), encoding="utf-8")
    assert validate_review(review).valid


@pytest.mark.parametrize("args, message", [
    (["studies", "evidence_type", "protocol", "--label", "P", "--definition", "D"], "already has the code"),
    (["studies", "country", "x", "--label", "X", "--definition", "D"], "is not a coded field"),
    (["studies", "nothing", "x", "--label", "X", "--definition", "D"], "has no field 'nothing'"),
    (["studies", "evidence_type", "case study", "--label", "X", "--definition", "D"], "is not a code"),
    (["studies", "evidence_type", "NA", "--label", "X", "--definition", "D"], "is a missing value"),
    (["studies", "evidence_type", "x", "--label", " ", "--definition", "D"], "must both say something"),
    (["studies", "evidence_type", "x", "--definition", "D"], "Missing option '--label'"),
    (["theories", "kind", "a;b", "--label", "X", "--definition", "D"], "is not a code"),
])
def test_add_code_bad_input_writes_nothing(review, folder_state, args, message):
    before = folder_state(review)
    res = cli(review, "add-code", *args)
    assert res.exit_code == 2 and message in res.output, res.output
    assert folder_state(review) == before


def test_a_failure_before_the_renames_changes_nothing(review, monkeypatch, folder_state):
    before = folder_state(review)
    real, calls = fileset._stage, {"n": 0}

    def stage(target, data, token):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(target, data, token)

    monkeypatch.setattr(fileset, "_stage", stage)
    res = cli(review, "add-field", "studies", "setting", "--type", "string", "--codes", "a,b", "--fill", "NR")
    assert res.exit_code == 2 and "nothing was changed" in res.stderr and "No space left" in res.stderr
    assert folder_state(review) == before  # no temporary file left either


def test_an_interrupted_change_is_completed_by_the_next_one(review, monkeypatch):
    """The process dies after the first rename: the journal lets the next add-field or add-code finish the set."""
    real, calls = fileset.os.replace, {"n": 0}

    class Died(BaseException):
        pass

    def replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:  # the journal's own write is the first replace; then the schema, then...
            raise Died()
        real(src, dst)

    monkeypatch.setattr(fileset.os, "replace", replace)
    with pytest.raises(Died):
        from cmokit.package.edit import add_field

        add_field(Review.open(review), "studies", "setting", type="string", fill="NR")
    monkeypatch.setattr(fileset.os, "replace", real)
    assert (review / JOURNAL).exists()
    assert schema_field(review, "studies", "setting") is not None  # half done: the schema has the field...
    assert ",setting" not in (review / "extract/reviewers/alice/studies.csv").read_text(encoding="utf-8").split(
        "\n")[0]
    res = cli(review, "add-code", "studies", "evidence_type", "case_study", "--label", "Case study",
              "--definition", "A report of one case.")
    assert res.exit_code == 0, res.output
    assert not (review / JOURNAL).exists()
    for p in (review / "extract/consensus/studies.csv", review / "extract/reviewers/alice/studies.csv"):
        assert p.read_text(encoding="utf-8").split("\n")[0].endswith(",setting")
    assert not list(review.rglob(".*.cmokit-*.tmp"))
    assert validate_review(review).valid


def test_records_keep_line_endings_quotes_and_a_missing_last_newline():
    from cmokit.package.dialect import Dialect

    text = 'a,b\r\n1,"x\r\ny"\r\n2,"say ""hi"""\r\n\r\n3,z'
    assert records(text, Dialect()) == [("a,b", "\r\n"), ('1,"x\r\ny"', "\r\n"), ('2,"say ""hi"""', "\r\n"),
                                        ("", "\r\n"), ("3,z", "")]


def test_crlf_and_bom_survive(review):
    p = review / "extract/consensus/prisma.csv"
    original = p.read_text(encoding="utf-8")
    p.write_bytes(b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8"))
    res = cli(review, "add-field", "prisma", "checked_by", "--type", "string", "--fill", "NA")
    assert res.exit_code == 0, res.output
    data = p.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\n" not in data.replace(b"\r\n", b"")
    assert data.decode("utf-8-sig").split("\r\n")[0].endswith(",checked_by")
    assert validate_review(review).valid
