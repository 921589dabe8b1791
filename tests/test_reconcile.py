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
from cmokit.package.model import Review
from cmokit.validation.validate import validate_review

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
    first = path.read_text().splitlines()[0]
    old = first.split("b=bob:sha256:")[1]
    new = _by_hand(f.parent)
    refused(setup, folder_state, f"conflicts.csv, line 1: submission 'bob' has changed since this file was written "
            f"(sha256 {old[:12]}… then, {new[:12]}… now). Run `cmokit compare alice bob --conflicts NEWFILE` again "
            "and carry the decisions over. [reconcile.hash]")


def _by_hand(folder):
    """SHA-256 of a submission as docs/dual-extraction.md defines it (name, NUL, size, NUL, bytes; name order)."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(folder.glob("*.csv")):
        data = p.read_bytes()
        h.update(p.name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


def test_the_hash_line_records_each_submission_by_the_documented_hash(setup):
    review, path = setup
    first = path.read_text().splitlines()[0]
    assert first == (f"# cmokit-conflicts a=alice:sha256:{_by_hand(review / 'extract/reviewers/alice')} "
                     f"b=bob:sha256:{_by_hand(review / 'extract/reviewers/bob')}")


def test_reviewers_in_the_other_order_are_refused(setup, folder_state):
    review, path = setup
    before = folder_state(review)
    res = CliRunner().invoke(main, ["reconcile", "bob", "alice", "--decisions", str(path), "-C", str(review)])
    assert res.exit_code == 1
    assert res.stderr == ("Error: conflicts.csv, line 1: was written for a=alice b=bob, but reconcile was given a=bob "
                          "b=alice. Name the reviewers in the same order as for compare. [reconcile.hash]\n")
    assert folder_state(review) == before


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
    rows = list(csv.DictReader(open(review / "extract" / "consensus" / "cmo.csv", encoding="utf-8")))
    assert next(r for r in rows if r["study_id"] == "letourneau-2011")["ss_effect"] == "mixed"  # the decided cell
    assert _log(review)[1]["value"] == "mixed"


@pytest.fixture
def numbers(review_copy):
    """alice and bob disagree on a year (integer, required, 1900-2100) and on a multi-code field (a pattern)."""
    base = consensus(review_copy)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    next(r for r in b["studies"][1] if r["study_id"] == "cho-2013")["year"] = "2014"
    next(r for r in b["cmo"][1] if r["study_id"] == "cho-2013")["support_types"] = "companionship"
    submit(review_copy, "alice", a)
    submit(review_copy, "bob", b)
    path = review_copy / "conflicts.csv"
    assert CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review_copy), "--conflicts",
                                     str(path)]).exit_code == 0
    return review_copy, path


YEAR = ("studies", "cho-2013", "year")
TYPES = ("cmo", "cho-2013 / cmo_number a=1 b=1", "support_types")


@pytest.mark.parametrize("conflict,value,rule", [
    (YEAR, "twenty", "type.integer"), (YEAR, "", "constraint.required"), (YEAR, "2101", "constraint.maximum"),
    (YEAR, "1899", "constraint.minimum"), (TYPES, "emotional,practical", "constraint.pattern")])
def test_a_decided_value_is_checked_like_a_cell(numbers, folder_state, conflict, value, rule):
    """The docs' claim: reconcile.value_invalid for type, required, pattern and bounds (not only codes)."""
    review, path = numbers
    other = TYPES if conflict == YEAR else YEAR
    fill(path, {conflict: ("other", value, "carol", ""), other: ("a", "", "carol", "")})
    before = folder_state(review)
    res = run(review, path)
    assert res.exit_code == 1, res.output
    assert f"[{rule}] Choose a valid value" in res.stderr and "[reconcile.value_invalid]" in res.stderr
    assert folder_state(review) == before


def test_the_bounds_themselves_are_valid(numbers):
    review, path = numbers
    fill(path, {YEAR: ("other", "2100", "carol", "the maximum is allowed"), TYPES: ("b", "", "carol", "")})
    assert run(review, path).exit_code == 0
    fill(path, {YEAR: ("other", "1900", "carol", "the minimum is allowed")})
    assert run(review, path).exit_code == 0


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
    assert sorted(os.listdir(out)) == sorted(f"{r.name}.csv" for r in Review.open(review).data_resources)
    fill(path, {C2: ("a", "", "carol", "changed my mind")})
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review),
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    entries = list(csv.DictReader(open(out / "decisions.csv")))
    tables = [r.name for r in Review.open(review).data_resources if r.name != "decisions"]
    assert [e["key"] for e in entries if e["field"] == "(file)"][:len(tables)] == [f"{t}.csv" for t in tables]
    log = [e for e in entries if e["field"] != "(file)"]
    # between the two runs' decisions: one file record per table the first run wrote
    assert [(e["entry"], e["field"], e["decision"], e["value"]) for e in log] == [
        ("1", "provider", "a", "volunteering peers"), ("2", "ss_effect", "b", "improved"),
        (str(3 + len(tables)), "ss_effect", "a", "worse")]


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


# ------------------------------------------------------------------------------------------- hand edits (point 1)

def _log(review):
    return list(csv.DictReader(open(review / "extract" / "consensus" / "decisions.csv", encoding="utf-8")))


def test_a_hand_edit_of_the_consensus_is_refused_then_adopted(setup, folder_state):
    """Point 1: hand edits to the consensus were silently undone by the next reconcile ("0 new audit-log entries").
    Now the run is refused (exit 1, nothing written, reconcile.edited) naming the cell; --adopt-edits records the
    edit as a decision (who, why, both values, both file hashes) and every later run keeps it."""
    import hashlib

    review, path = setup
    assert run(review, path).exit_code == 0
    studies = review / "extract" / "consensus" / "studies.csv"
    written = studies.read_bytes()
    studies.write_bytes(written.replace(b"Letourneau et al (2011)", b"Letourneau and colleagues (2011)", 1))
    edited = studies.read_bytes()
    before = folder_state(review)
    res = run(review, path)
    assert res.exit_code == 1
    line = next(n for n, text in enumerate(edited.decode().splitlines(), 1) if "Letourneau and colleagues" in text)
    sha_then, sha_now = hashlib.sha256(written).hexdigest(), hashlib.sha256(edited).hexdigest()
    assert res.stderr == (
        f"Error: extract/consensus/studies.csv: changed since cmokit reconcile wrote it (sha256 {sha_then[:12]}… then, "
        f"{sha_now[:12]}… now); reconcile would overwrite 1 cell(s) of it; nothing was written:\n"
        f"  extract/consensus/studies.csv, line {line}: study_id=letourneau-2011, field 'study_label': the file holds "
        "'Letourneau and colleagues (2011)', reconcile would write 'Letourneau et al (2011)' [reconcile.edited]\n"
        "To keep the edits, record them as decisions: `cmokit reconcile alice bob --decisions FILE --adopt-edits --by "
        "NAME --reason TEXT`; to drop them, restore the file (e.g. `git checkout -- extract/consensus/studies.csv`).\n")
    assert folder_state(review) == before
    adopt = ["--adopt-edits", "--by", "dana", "--reason", "the label the paper prints"]
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review),
                                    "--adopt-edits"])
    assert res.exit_code == 2 and "--adopt-edits needs --by NAME" in res.stderr
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review), *adopt])
    assert res.exit_code == 0, res.output
    assert studies.read_bytes() == edited
    entry = _log(review)[-2]
    assert {k: entry[k] for k in ("decided_by", "table", "key", "field", "value_a", "value_b", "decision", "value",
                                  "reason", "reviewer_a", "reviewer_b", "sha256_a", "sha256_b")} == {
        "decided_by": "dana", "table": "studies", "key": "study_id=letourneau-2011", "field": "study_label",
        "value_a": "Letourneau et al (2011)", "value_b": "Letourneau and colleagues (2011)", "decision": "other",
        "value": "Letourneau and colleagues (2011)", "reason": "the label the paper prints", "reviewer_a": "(edit)",
        "reviewer_b": "(edit)", "sha256_a": sha_then, "sha256_b": sha_now}
    assert _log(review)[-1]["field"] == "(file)" and _log(review)[-1]["value"] == sha_now
    # every later reconcile keeps it, and logs nothing new
    state = folder_state(review)
    res = run(review, path)
    assert res.exit_code == 0 and "0 new audit-log entries" in res.output
    assert folder_state(review) == state
    # ... also when another decision changes the same row
    fill(path, {C1: ("b", "", "carol", "changed my mind")})
    res = run(review, path)
    assert res.exit_code == 0, res.output
    row = next(r for r in csv.DictReader(open(studies)) if r["study_id"] == "letourneau-2011")
    assert (row["study_label"], row["provider"]) == ("Letourneau and colleagues (2011)", "volunteer peers")
    assert validate_review(review).valid


def test_rows_added_or_deleted_by_hand_are_edits_too(setup):
    """Point 1: a row deleted from (or added to) a reconciled study is listed as a (row) edit and can be adopted."""
    review, path = setup
    assert run(review, path).exit_code == 0
    measures = review / "extract" / "consensus" / "measures.csv"
    lines = measures.read_text().splitlines(keepends=True)
    gone = next(n for n, text in enumerate(lines) if text.startswith("letourneau-2011,"))
    measures.write_text("".join(lines[:gone] + lines[gone + 1:]))
    res = run(review, path)
    assert res.exit_code == 1
    assert "measures.csv, (not in the file): study_id=letourneau-2011 / measure_number=1: a row deleted by hand " \
           "[reconcile.edited]" in res.stderr
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review),
                                    "--adopt-edits", "--by", "dana"])
    assert res.exit_code == 0, res.output
    assert measures.read_text() == "".join(lines[:gone] + lines[gone + 1:])
    assert run(review, path).exit_code == 0 and measures.read_text() == "".join(lines[:gone] + lines[gone + 1:])


def test_an_adopted_edit_gives_way_to_a_newer_decision_on_that_cell(setup):
    review, path = setup
    assert run(review, path).exit_code == 0
    studies = review / "extract" / "consensus" / "studies.csv"
    studies.write_text(studies.read_text().replace("volunteering peers", "trained peers", 1))
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review),
                                    "--adopt-edits", "--by", "dana"])
    assert res.exit_code == 0, res.output
    fill(path, {C1: ("b", "", "carol", "the Results say so")})  # the adjudicator decides that very cell anew
    res = run(review, path)
    assert res.exit_code == 0, res.output
    assert "no longer applies: reconcile writes another value there now" in res.stderr
    row = next(r for r in csv.DictReader(open(studies)) if r["study_id"] == "letourneau-2011")
    assert row["provider"] == "volunteer peers"


# ------------------------------------------------------------------------------------------- -o DIR (point 2)

def test_an_output_folder_holds_the_whole_consensus(review_copy):
    """Point 2: `reconcile A B --out DIR` wrote only the studies the reviewers submitted; the other rows and tables
    now come unchanged from the current consensus, and the log continues the consensus's log."""
    base = consensus(review_copy)
    part = {t: (h, [r for r in rows if r["study_id"] in ("ayton-2016", "cho-2013")]) for t, (h, rows) in base.items()}
    b = copy.deepcopy(part)
    next(r for r in b["studies"][1] if r["study_id"] == "cho-2013")["country"] = "Korea"
    submit(review_copy, "alice", part)
    submit(review_copy, "bob", b)
    path = review_copy / "c.csv"
    assert CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review_copy), "--conflicts",
                                     str(path)]).exit_code == 0
    fill(path, {("studies", "cho-2013", "country"): ("b", "", "carol", "")})
    out = review_copy.parent / "draft"
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(path), "-C", str(review_copy),
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    consensus_dir = review_copy / "extract" / "consensus"
    for t, (_, rows) in base.items():
        got = list(csv.DictReader(open(out / f"{t}.csv", encoding="utf-8")))
        want = [dict(r, country="Korea") if t == "studies" and r["study_id"] == "cho-2013" else r for r in rows]
        assert sorted(map(str, got)) == sorted(map(str, want)), t
    assert (out / "codebook.csv").exists() is False  # the codebook is part of the schema, not of the consensus
    assert [e["field"] for e in csv.DictReader(open(out / "decisions.csv"))][:1] == ["country"]
    assert (consensus_dir / "decisions.csv").read_text().count("\n") == 1  # the package's own files untouched


# ------------------------------------------------------------------------------------------- one reviewer (point 6)

def test_one_reviewer_becomes_the_consensus_with_every_value_logged(review_copy, folder_state):
    """Point 6: one reviewer's work could not become the consensus (`compare ann` needs two, `reconcile ann ann`
    refused). `reconcile ann` takes it, logging each value as a single-extraction decision."""
    base = consensus(review_copy)
    mine = {t: (h, [r for r in rows if r["study_id"] == "cho-2013"]) for t, (h, rows) in base.items()}
    next(r for r in mine["studies"][1])["country"] = "Republic of Korea"
    submit(review_copy, "ann", mine)
    res = CliRunner().invoke(main, ["compare", "ann", "-C", str(review_copy)])
    assert res.exit_code == 2 and "`cmokit reconcile ann`" in res.stderr and "single-extraction" in res.stderr
    res = CliRunner().invoke(main, ["reconcile", "ann", "ann", "-C", str(review_copy)])
    assert res.exit_code == 2 and "name it once: `cmokit reconcile ann`" in res.stderr
    res = CliRunner().invoke(main, ["reconcile", "ann", "-C", str(review_copy), "--by", "carol", "--reason",
                                    "pilot study, one extractor"])
    assert res.exit_code == 0, res.output
    assert "single extraction by ann" in res.output
    studies = {r["study_id"]: r for r in csv.DictReader(open(review_copy / "extract/consensus/studies.csv"))}
    assert studies["cho-2013"]["country"] == "Republic of Korea" and len(studies) == 33
    singles = [e for e in _log(review_copy) if e["field"] != "(file)"]
    cells = sum(len(h) - (2 if t in ("cmo", "measures", "resource_inputs", "appraisal") else 1)
                for t, (h, rows) in mine.items() for _ in rows)
    assert len(singles) == cells
    assert {(e["decision"], e["decided_by"], e["reviewer_a"], e["reviewer_b"], e["reason"]) for e in singles} == {
        ("a", "carol", "ann", "(single)", "pilot study, one extractor")}
    e = next(e for e in singles if e["field"] == "country")
    assert (e["key"], e["value_a"], e["value"], e["sha256_a"]) == ("cho-2013", "Republic of Korea",
                                                                    "Republic of Korea", e["sha256_b"])
    assert validate_review(review_copy).valid
    state = folder_state(review_copy)
    res = CliRunner().invoke(main, ["reconcile", "ann", "-C", str(review_copy), "--by", "carol", "--reason",
                                    "pilot study, one extractor"])
    assert res.exit_code == 0 and "0 new audit-log entries" in res.output and folder_state(review_copy) == state


# ------------------------------------------------------------------------------------------- carry over (point 7)

def test_decisions_carry_over_to_a_fresh_conflicts_file(setup):
    """Point 7: one blank line appended to a submission invalidated every decision, and nothing carried them over.
    `compare --conflicts NEW --carry OLD` copies each decision whose conflict is unchanged and lists the others."""
    review, path = setup
    bob = review / "extract" / "reviewers" / "bob"
    (bob / "studies.csv").write_text((bob / "studies.csv").read_text() + "\n")
    cmo = bob / "cmo.csv"
    rows = list(csv.DictReader(open(cmo)))
    next(r for r in rows if r["study_id"] == "letourneau-2011")["ss_effect"] = "mixed"  # C2 changes its value
    with open(cmo, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    res = run(review, path)
    assert res.exit_code == 1 and "[reconcile.hash]" in res.stderr
    new = review / "conflicts-2.csv"
    res = CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review), "--conflicts", str(new), "--carry",
                                    str(path)])
    assert res.exit_code == 0, res.output
    assert "Carried 1 decision(s) over from" in res.stderr and "1 no longer apply:" in res.stderr
    assert "cmo letourneau-2011 / cmo_number a=1 b=1 ss_effect: decision b ('worse' vs 'improved')" in res.stderr
    got = list(csv.reader(new.read_text().splitlines()[1:]))
    assert got[1:] == [["studies", "letourneau-2011", "provider", "volunteering peers", "volunteer peers", "a", "",
                        "carol", "Table 1"],
                       ["cmo", "letourneau-2011 / cmo_number a=1 b=1", "ss_effect", "worse", "mixed", "", "", "", ""]]
    fill(new, {C2: ("a", "", "carol", "Results")})
    assert run(review, new).exit_code == 0
    res = CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review), "--carry", str(path)])
    assert res.exit_code == 2 and "--carry OLD goes with --conflicts NEW" in res.stderr


def test_carry_refuses_reviewers_in_the_other_order(setup):
    review, path = setup
    res = CliRunner().invoke(main, ["compare", "bob", "alice", "-C", str(review), "--conflicts",
                                    str(review / "n.csv"), "--carry", str(path)])
    assert res.exit_code == 2 and "was written for a=alice b=bob, not a=bob b=alice" in res.stderr
