"""cmokit reconcile refuses broken or out-of-date conflicts files: exit 1, the exact message, nothing written."""

from __future__ import annotations

import copy
import csv
import io
import os

import pytest
from _dual import consensus, fill, submit
from click.testing import CliRunner

from cmokit.cli import main

C1 = ("studies", "letourneau-2011", "provider")
C2 = ("cmo", "letourneau-2011 / cmo_number a=1 b=1", "ss_effect")


@pytest.fixture
def setup(review_copy):
    base = consensus(review_copy)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    next(r for r in b["studies"][1] if r["study_id"] == "letourneau-2011")["provider"] = "volunteer peers"
    next(r for r in b["cmo"][1] if r["study_id"] == "letourneau-2011")["ss_effect"] = "improved"
    submit(review_copy, "alice", a)
    submit(review_copy, "bob", b)
    path = review_copy / "conflicts.csv"
    res = CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review_copy), "--conflicts", str(path)])
    assert res.exit_code == 0, res.output
    fill(path, {C1: ("a", "", "carol", "Table 1"), C2: ("b", "", "carol", "Results")})
    return review_copy, path


def run(review, path):
    return CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review)])


def rewrite(path, edit):
    """Apply ``edit(rows)`` to the CSV rows after the hash line (header included)."""
    lines = path.read_text().splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO("".join(lines[1:]), newline="")))
    rows = edit(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(lines[0] + buf.getvalue())


def refused(setup, folder_state, expected):
    review, path = setup
    before = folder_state(review)
    res = run(review, path)
    assert res.exit_code == 1, res.output
    assert res.stderr == f"Error: {expected}\n"
    assert folder_state(review) == before
    return res


def head(path, n):
    return f"{path}: {n} problem(s); nothing was written.\n"


def test_good_file_reconciles(setup):
    review, path = setup
    res = run(review, path)
    assert res.exit_code == 0, res.output
    assert "2 decision(s) applied, 2 new audit-log entries" in res.output
    assert not (review / "extract" / "consensus" / ".cmokit-reconcile.lock").exists()


def test_missing_columns(setup, folder_state):
    _, path = setup
    rewrite(path, lambda rows: [r[:7] for r in rows])
    refused(setup, folder_state, "conflicts.csv, line 2: missing column(s) decided_by, reason. The columns are: "
            "table, key, field, value_a, value_b, decision, value, decided_by, reason. [reconcile.columns]")


def test_duplicated_decision(setup, folder_state):
    _, path = setup
    rewrite(path, lambda rows: rows + [rows[1]])
    refused(setup, folder_state, head(path, 1) + "conflicts.csv, line 5: table 'studies', key 'letourneau-2011', "
            "field 'provider' is decided twice (also on line 3). Keep one row. [reconcile.duplicate]")


def test_unknown_key(setup, folder_state):
    _, path = setup

    def edit(rows):
        rows[2][1] = "letourneau-2011 / cmo_number a=1 b=2"
        return rows
    rewrite(path, edit)
    refused(setup, folder_state, head(path, 2) + "conflicts.csv, line 4: table 'cmo', key 'letourneau-2011 / "
            "cmo_number a=1 b=2', field 'ss_effect' is not in conflict between alice and bob. Remove the row, or fix "
            "table/key/field to those compare wrote. [reconcile.unknown]\n"
            "conflicts.csv: table 'cmo', key 'letourneau-2011 / cmo_number a=1 b=1', field 'ss_effect' is undecided "
            "(no row for it in the file). Add its row from `cmokit compare --conflicts`. [reconcile.undecided]")


def test_wrong_hash_after_a_submission_changed(setup, folder_state):
    review, path = setup
    f = review / "extract" / "reviewers" / "bob" / "studies.csv"
    f.write_text(f.read_text().replace("volunteer peers", "volunteer peers!"))
    from cmokit.package.submission import submission_hash
    first = path.read_text().splitlines()[0]
    old = first.split("b=bob:sha256:")[1]
    new = submission_hash({p.stem: p for p in f.parent.glob("*.csv")})
    refused(setup, folder_state, f"conflicts.csv, line 1: submission 'bob' has changed since this file was written "
            f"(sha256 {old[:12]}… then, {new[:12]}… now). Run `cmokit compare alice bob --conflicts NEWFILE` again "
            "and carry the decisions over. [reconcile.hash]")


def test_missing_hash_line(setup, folder_state):
    _, path = setup
    path.write_text("\n".join(path.read_text().splitlines()[1:]) + "\n")
    refused(setup, folder_state, "conflicts.csv, line 1: the first line is not the '# cmokit-conflicts a=... b=...' "
            "line that records the submissions' hashes. Write the file with `cmokit compare A B --conflicts FILE` "
            "and keep its first line. [reconcile.hash_missing]")


def test_undecided(setup, folder_state):
    _, path = setup
    fill(path, {C2: ("", "", "", "")})
    refused(setup, folder_state, head(path, 1) + "conflicts.csv, line 4: table 'cmo', key 'letourneau-2011 / "
            "cmo_number a=1 b=1', field 'ss_effect' is undecided. Write a, b or other in 'decision'. "
            "[reconcile.undecided]")


def test_invalid_other_value(setup, folder_state):
    _, path = setup
    fill(path, {C2: ("other", "great", "carol", "")})
    refused(setup, folder_state, head(path, 1) + "conflicts.csv, line 4: table 'cmo', key 'letourneau-2011 / "
            "cmo_number a=1 b=1', field 'ss_effect': the decided value 'great' is not valid for the field: code "
            "'great' is not allowed: use one of improved, no_change, mixed, worse, not_applicable, not_reported, or "
            "NR (not reported in the study) / NA (not applicable to this study). [constraint.enum] Choose a valid "
            "value (see "
            "docs/data-dictionary.md). [reconcile.value_invalid]")


def test_bad_decision_and_missing_decider(setup, folder_state):
    _, path = setup
    fill(path, {C1: ("c", "", "carol", ""), C2: ("a", "", "", "")})
    refused(setup, folder_state, head(path, 2)
            + "conflicts.csv, line 3: table 'studies', key 'letourneau-2011', field 'provider': decision 'c' is not "
            "a, b or other. [reconcile.decision]\n"
            "conflicts.csv, line 4: table 'cmo', key 'letourneau-2011 / cmo_number a=1 b=1', field 'ss_effect': "
            "'decided_by' is empty. Write who decided. [reconcile.decided_by]")


def test_other_value_is_normalised_and_code_case_accepted(setup):
    review, path = setup
    fill(path, {C2: ("other", " Mixed ", "carol", "")})
    res = run(review, path)
    assert res.exit_code == 0, res.output
    text = (review / "extract" / "consensus" / "cmo.csv").read_text()
    assert ",mixed,no_change," in text


def test_lock_held_by_another_reconcile(setup, folder_state):
    review, path = setup
    lock = review / "extract" / "consensus" / ".cmokit-reconcile.lock"
    lock.write_text(f"pid {os.getppid()}\n")  # a process that runs (the one that started the tests)
    before = folder_state(review)
    res = run(review, path)
    assert res.exit_code == 2
    assert res.stderr == (f"Error: {lock}: another cmokit reconcile (pid {os.getppid()}) is writing to this folder. "
                          "Wait for it to finish.\n")
    assert folder_state(review) == before
    lock.write_text("garbage\n")
    before = folder_state(review)
    res = run(review, path)
    assert res.exit_code == 2 and "names no process" in res.stderr and folder_state(review) == before


def test_out_folder_and_changed_decision_appends(setup):
    review, path = setup
    out = review / "elsewhere"
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review),
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(os.listdir(out)) == ["appraisal.csv", "cmo.csv", "decisions.csv", "measures.csv",
                                       "resource_inputs.csv", "studies.csv"]
    fill(path, {C2: ("a", "", "carol", "changed my mind")})
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review),
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    log = [e for e in csv.DictReader(open(out / "decisions.csv")) if e["field"] != "(file)"]
    assert [(e["entry"], e["field"], e["decision"], e["value"]) for e in log] == [
        ("1", "provider", "a", "volunteering peers"), ("2", "ss_effect", "b", "improved"),
        ("8", "ss_effect", "a", "worse")]  # entries 3-7 record the five tables the first run wrote


def test_reviewer_folder_is_never_an_output(setup, folder_state):
    review, path = setup
    before = folder_state(review)
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review),
                                    "-o", str(review / "extract" / "reviewers" / "bob")])
    assert res.exit_code == 2
    assert "a reviewer's files are never written" in res.stderr
    assert folder_state(review) == before


def test_file_saved_by_a_spreadsheet_still_works(setup):
    """BOM, CRLF line ends, and the hash line padded with commas, as spreadsheets save CSV."""
    review, path = setup
    lines = path.read_text().splitlines()
    lines[0] = lines[0] + ",,,,,,,,"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    res = run(review, path)
    assert res.exit_code == 0, res.output
    assert "2 decision(s) applied" in res.output


def test_one_reviewer_without_a_table(setup):
    review, path = setup
    (review / "extract/reviewers/bob/appraisal.csv").unlink()
    res = CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review), "--conflicts",
                                    str(review / "c2.csv")])
    assert res.exit_code == 0, res.output
    fill(review / "c2.csv", {C1: ("a", "", "carol", ""), C2: ("a", "", "carol", "")})
    res = run(review, review / "c2.csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(review / "extract/consensus/appraisal.csv")))
    assert len(rows) == 33 and {r["appraiser"] for r in rows} == {"review-team"}  # alice's rows, carried


def test_studies_neither_reviewer_submitted_stay_in_the_consensus(review_copy):
    base = consensus(review_copy)
    keep = {"ayton-2016", "cho-2013"}
    part = {t: (h, [r for r in rows if r["study_id"] in keep]) for t, (h, rows) in base.items()}
    a, b = copy.deepcopy(part), copy.deepcopy(part)
    next(r for r in b["studies"][1] if r["study_id"] == "cho-2013")["country"] = "Korea"
    submit(review_copy, "alice", a)
    submit(review_copy, "bob", b)
    path = review_copy / "c.csv"
    assert CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review_copy), "--conflicts",
                                     str(path)]).exit_code == 0
    fill(path, {("studies", "cho-2013", "country"): ("b", "", "carol", "")})
    res = run(review_copy, path)
    assert res.exit_code == 0, res.output
    for t, (_, rows) in base.items():
        got = list(csv.DictReader(open(review_copy / "extract" / "consensus" / f"{t}.csv")))
        assert len(got) == len(rows), t
        assert sorted(map(str, got)) == sorted(map(str, (dict(r, country="Korea") if t == "studies" and
                                                         r["study_id"] == "cho-2013" else r for r in rows))), t
