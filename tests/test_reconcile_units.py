"""reconcile on a tiny review (two tables, a few rows): every rule of the merge and of the audit log, fast enough to
run for each mutant of a mutation-testing run (docs/testing.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from cmokit.core.errors import CmokitError, DataInvalid
from cmokit.extraction.compare import compare_pair
from cmokit.extraction.conflicts import conflicts_csv
from cmokit.extraction.reconcile import EditsFound, reconcile
from cmokit.package.model import Review
from cmokit.package.submission import resolve_submission

STUDY = {"fields": [{"name": "study_id", "type": "string", "constraints": {"required": True}},
                    {"name": "year", "type": "integer", "constraints": {"required": True, "minimum": 1900,
                                                                        "maximum": 2100}},
                    {"name": "band", "type": "string", "constraints": {"enum": ["infants", "children"]}},
                    {"name": "notes", "type": "string"}],
         "missingValues": ["", "NR"], "primaryKey": ["study_id"]}
ROWS = {"fields": [{"name": "study_id", "type": "string", "constraints": {"required": True}},
                   {"name": "n", "type": "integer", "constraints": {"required": True, "minimum": 1}},
                   {"name": "text", "type": "string"}],
        "missingValues": ["", "NR"], "primaryKey": ["study_id", "n"],
        "foreignKeys": [{"fields": "study_id", "reference": {"resource": "studies", "fields": "study_id"}}],
        "cmokit:match": {"within": ["study_id"], "row": "n", "threshold": 0.5, "renumber": True}}
LOG_FIELDS = ["entry", "decided_at", "decided_by", "table", "key", "field", "value_a", "value_b", "decision",
              "value", "reason", "reviewer_a", "reviewer_b", "sha256_a", "sha256_b"]
LOG = {"fields": [{"name": f, "type": "string"} for f in LOG_FIELDS], "missingValues": [""], "primaryKey": ["entry"]}


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Path:
    """Consensus: s1, s2, s9. ann and bob: s1 and s2, disagreeing on s1's year and notes and on s2's rows."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764133200")
    root = tmp_path / "tiny"
    (root / "datapackage.json").parent.mkdir(parents=True)
    (root / "datapackage.json").write_text(json.dumps({"name": "tiny", "resources": [
        {"name": "studies", "path": "c/studies.csv", "schema": STUDY},
        {"name": "rows", "path": "c/rows.csv", "schema": ROWS},
        {"name": "decisions", "path": "c/decisions.csv", "schema": LOG, "cmokit:role": "audit-log"}]}))
    write(root / "c/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2010", "infants", "old"], ["s2", "2011", "children", "x"], ["s9", "2019", "infants", "kept"]])
    write(root / "c/rows.csv", ["study_id", "n", "text"], [["s1", "1", "alpha beta"], ["s9", "1", "kept row"]])
    write(root / "c/decisions.csv", LOG_FIELDS, [])
    sub = root / "extract" / "reviewers"
    write(sub / "ann/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2010", "Infants", " same "], ["s2", "2011", "children", "ann's"]])
    write(sub / "bob/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2012", "infants", "same"], ["s2", "2011", "children", "bob's"]])
    write(sub / "ann/rows.csv", ["study_id", "n", "text"],
          [["s1", "1", "one two three"], ["s2", "1", "red green blue"], ["s2", "2", "only ann has this"]])
    write(sub / "bob/rows.csv", ["study_id", "n", "text"],
          [["s1", "5", "one two three"], ["s2", "3", "red green blue"], ["s2", "7", "zzz qqq"]])
    return root


def conflicts(root: Path, a: str = "ann", b: str = "bob") -> list[list[str]]:
    rv = Review.open(root)
    pair = compare_pair(rv, resolve_submission(rv, a), resolve_submission(rv, b))
    return list(csv.reader(io.StringIO(conflicts_csv(pair))))[1:]


def decide(root: Path, choices: dict[tuple[str, str], tuple[str, str]], name: str = "c.csv") -> Path:
    """The conflicts file with decisions: (table, field or key) -> (decision, value)."""
    rows = conflicts(root)
    out = [rows[0]]
    for r in rows[1:]:
        d, v = choices.get((r[0], r[2]), choices.get((r[0], r[1]), ("a", "")))
        out.append(r[:5] + [d, v, "carol", "why"])
    rv = Review.open(root)
    pair = compare_pair(rv, resolve_submission(rv, "ann"), resolve_submission(rv, "bob"))
    path = root / name
    text = conflicts_csv(pair).splitlines()[0] + "\n"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out)
    path.write_text(text + buf.getvalue(), encoding="utf-8")
    return path


def test_the_conflicts_are_those_expected(tiny):
    got = [r[:5] for r in conflicts(tiny)[1:]]
    assert got == [["studies", "s1", "year", "2010", "2012"], ["studies", "s2", "notes", "ann's", "bob's"],
                   ["rows", "s2 / n a=2", "(row)", '{"study_id": "s2", "n": "2", "text": "only ann has this"}', ""],
                   ["rows", "s2 / n b=7", "(row)", "", '{"study_id": "s2", "n": "7", "text": "zzz qqq"}']]


def test_merge(tiny):
    path = decide(tiny, {("studies", "year"): ("b", ""), ("studies", "notes"): ("other", " both "),
                         ("rows", "s2 / n a=2"): ("a", ""), ("rows", "s2 / n b=7"): ("b", "")})
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert read(tiny / "c/studies.csv") == [["study_id", "year", "band", "notes"], ["s1", "2012", "infants", "same"],
                                             ["s2", "2011", "children", "both"], ["s9", "2019", "infants", "kept"]]
    assert read(tiny / "c/rows.csv") == [["study_id", "n", "text"], ["s1", "1", "one two three"],
                                          ["s2", "1", "red green blue"], ["s2", "2", "only ann has this"],
                                          ["s2", "3", "zzz qqq"], ["s9", "1", "kept row"]]
    assert (res.decisions, res.logged, res.hashed, res.rows) == (4, 4, 2, {"studies": 3, "rows": 5})
    log = read(tiny / "c/decisions.csv")
    assert [r[:3] + r[3:11] for r in log[1:5]] == [
        ["1", "2025-11-26T05:00:00Z", "carol", "studies", "s1", "year", "2010", "2012", "b", "2012", "why"],
        ["2", "2025-11-26T05:00:00Z", "carol", "studies", "s2", "notes", "ann's", "bob's", "other", "both", "why"],
        ["3", "2025-11-26T05:00:00Z", "carol", "rows", "s2 / n a=2", "(row)",
         '{"study_id": "s2", "n": "2", "text": "only ann has this"}', "", "a",
         '{"study_id": "s2", "n": "2", "text": "only ann has this"}', "why"],
        ["4", "2025-11-26T05:00:00Z", "carol", "rows", "s2 / n b=7", "(row)", "",
         '{"study_id": "s2", "n": "7", "text": "zzz qqq"}', "b", '{"study_id": "s2", "n": "7", "text": "zzz qqq"}',
         "why"]]
    sha = {s: hashlib.sha256((tiny / f"c/{s}.csv").read_bytes()).hexdigest() for s in ("studies", "rows")}
    assert [(r[3], r[4], r[5], r[8], r[9], r[2]) for r in log[5:]] == [
        ("studies", "studies.csv", "(file)", "other", sha["studies"], "cmokit reconcile"),
        ("rows", "rows.csv", "(file)", "other", sha["rows"], "cmokit reconcile")]
    assert all(r[11:13] == ["ann", "bob"] for r in log[1:])
    # again: nothing new, nothing rewritten
    before = {p: p.read_bytes() for p in (tiny / "c").iterdir()}
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert (res.logged, res.hashed, res.written) == (0, 0, [])
    assert {p: p.read_bytes() for p in (tiny / "c").iterdir()} == before


def test_dropping_rows_and_changing_a_decision(tiny):
    path = decide(tiny, {("rows", "s2 / n a=2"): ("b", ""), ("rows", "s2 / n b=7"): ("a", "")})
    reconcile(Review.open(tiny), "ann", "bob", path)
    assert [r[1:] for r in read(tiny / "c/rows.csv")[1:] if r[0] == "s2"] == [["1", "red green blue"]]
    path = decide(tiny, {("studies", "year"): ("other", "2011"), ("rows", "s2 / n a=2"): ("b", ""),
                         ("rows", "s2 / n b=7"): ("a", "")})
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert res.logged == 1 and read(tiny / "c/studies.csv")[1][1] == "2011"
    assert read(tiny / "c/decisions.csv")[-2][5:10] == ["year", "2010", "2012", "other", "2011"]


@pytest.mark.parametrize("choice,rule", [
    (("other", "1899"), "constraint.minimum"), (("other", "2101"), "constraint.maximum"),
    (("other", "soon"), "type.integer"), (("other", ""), "constraint.required"), (("c", ""), "reconcile.decision"),
    (("", ""), "reconcile.undecided")])
def test_refusals_write_nothing(tiny, choice, rule):
    path = decide(tiny, {("studies", "year"): choice, ("rows", "s2 / n a=2"): ("a", "")})
    before = {p: p.read_bytes() for p in (tiny / "c").iterdir()}
    with pytest.raises(DataInvalid) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    assert f"[{rule}]" in exc.value.message
    assert {p: p.read_bytes() for p in (tiny / "c").iterdir()} == before


def test_bounds_are_inclusive(tiny):
    for year in ("1900", "2100"):
        reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {("studies", "year"): ("other", year)}))
        assert read(tiny / "c/studies.csv")[1][1] == year


def test_a_row_conflict_is_not_decided_with_other(tiny):
    path = decide(tiny, {("rows", "s2 / n a=2"): ("other", "x")})
    with pytest.raises(DataInvalid, match=r"a \(row\) conflict is decided with a .* \[reconcile.decision\]"):
        reconcile(Review.open(tiny), "ann", "bob", path)


def test_missing_decider_duplicate_and_unknown(tiny):
    path = decide(tiny, {})
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace(",carol,", ",,")
    lines.append(lines[3])
    lines.append("studies,s9,year,1,2,a,,carol,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataInvalid) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    text = exc.value.message
    assert text.startswith(f"{path}: 3 problem(s); nothing was written.")
    assert "[reconcile.decided_by]" in text and "[reconcile.duplicate]" in text and "[reconcile.unknown]" in text


def test_a_changed_submission_is_refused(tiny):
    path = decide(tiny, {})
    f = tiny / "extract/reviewers/bob/studies.csv"
    f.write_text(f.read_text() + "\n")
    with pytest.raises(DataInvalid, match=r"submission 'bob' has changed"):
        reconcile(Review.open(tiny), "ann", "bob", path)


def test_one_reviewer(tiny):
    res = reconcile(Review.open(tiny), "ann", by="carol", reason="pilot")
    assert res.single and res.decisions == 0
    assert read(tiny / "c/studies.csv")[1:] == [["s1", "2010", "infants", "same"], ["s2", "2011", "children", "ann's"],
                                                 ["s9", "2019", "infants", "kept"]]
    assert read(tiny / "c/rows.csv")[1:] == [["s1", "1", "one two three"], ["s2", "1", "red green blue"],
                                              ["s2", "2", "only ann has this"], ["s9", "1", "kept row"]]
    log = read(tiny / "c/decisions.csv")[1:]
    singles = [r for r in log if r[5] != "(file)"]
    assert len(singles) == 2 * 3 + 3 * 1 == res.logged
    assert singles[0][2:13] == ["carol", "studies", "s1", "year", "2010", "", "a", "2010", "pilot", "ann",
                                "(single)"]
    assert all(r[13] == r[14] for r in singles)
    with pytest.raises(CmokitError, match="name it once"):
        reconcile(Review.open(tiny), "ann", "ann", tiny / "c.csv")
    with pytest.raises(CmokitError, match="--decisions goes with two reviewers"):
        reconcile(Review.open(tiny), "ann", None, tiny / "c.csv")
    with pytest.raises(CmokitError, match="give the adjudicated conflicts file"):
        reconcile(Review.open(tiny), "ann", "bob")


def test_hand_edits(tiny):
    path = decide(tiny, {})
    reconcile(Review.open(tiny), "ann", "bob", path)
    f = tiny / "c/studies.csv"
    f.write_text(f.read_text().replace("s1,2010,infants,same", "s1,2010,infants,checked again"))
    with pytest.raises(EditsFound) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    assert [(e.key, e.field, e.line, e.reconciled, e.edited) for e in exc.value.edits] == [
        ("study_id=s1", "notes", 2, "same", "checked again")]
    with pytest.raises(CmokitError, match="--adopt-edits needs --by"):
        reconcile(Review.open(tiny), "ann", "bob", path, adopt_edits=True)
    res = reconcile(Review.open(tiny), "ann", "bob", path, adopt_edits=True, by="dana", reason="paper")
    assert len(res.adopted) == 1 and read(f)[1] == ["s1", "2010", "infants", "checked again"]
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert (res.logged, res.hashed, res.stale_edits) == (0, 0, [])
    # an edit in a row no reviewer submitted is kept without adoption
    f.write_text(f.read_text().replace("s9,2019,infants,kept", "s9,2019,infants,kept and edited"))
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert read(f)[3] == ["s9", "2019", "infants", "kept and edited"] and res.hashed == 1 and res.logged == 0


def test_an_output_folder_starts_from_the_consensus(tiny, tmp_path):
    out = tmp_path / "draft"
    res = reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}), out=out)
    assert sorted(p.name for p in out.iterdir()) == ["decisions.csv", "rows.csv", "studies.csv"]
    assert read(out / "studies.csv")[-1] == ["s9", "2019", "infants", "kept"]
    assert read(out / "rows.csv")[-1] == ["s9", "1", "kept row"]
    assert read(tiny / "c/studies.csv")[1] == ["s1", "2010", "infants", "old"]  # the consensus is untouched
    assert res.rows == {"studies": 3, "rows": 4}  # ann's extra row kept, bob's dropped ("a" everywhere)
    with pytest.raises(CmokitError, match="a reviewer's files are never written"):
        reconcile(Review.open(tiny), "ann", "bob", tiny / "c.csv", out=tiny / "extract/reviewers/ann")


def test_rows_are_sorted_by_the_integer_value_of_their_key(tiny):
    """Twelve rows of one study: 1, 2, ..., 10, 11, 12 (not 1, 10, 11, 12, 2, ... as text would sort them)."""
    rows = [["s1", str(n), f"text {n}"] for n in (12, 3, 1, 10, 2, 11, 4, 5, 6, 7, 8, 9)]
    for who in ("ann", "bob"):
        write(tiny / f"extract/reviewers/{who}/rows.csv", ["study_id", "n", "text"], rows)
    write(tiny / "extract/reviewers/ann/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2012", "infants", "same"]])
    write(tiny / "extract/reviewers/bob/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2012", "infants", "same"]])
    res = reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert res.decisions == 0
    got = read(tiny / "c/rows.csv")[1:]
    assert [r[1] for r in got if r[0] == "s1"] == [str(n) for n in range(1, 13)]
    assert [r[2] for r in got if r[0] == "s1"] == [f"text {n}" for n in range(1, 13)]  # in A's (numeric) order


def test_a_broken_consensus_file_is_refused_not_overwritten(tiny):
    f = tiny / "c/studies.csv"
    f.write_text("study_id,year,band,notes\ns1,2010,infants\n")
    before = f.read_bytes()
    with pytest.raises(CmokitError) as exc:
        reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert exc.value.rule == "row.ragged" and exc.value.line == 2
    assert exc.value.message.startswith("c/studies.csv, line 2: this record has 3 cells but the header has 4")
    assert exc.value.message.endswith("[row.ragged] Fix the file (`cmokit validate`) before reconciling into it.")
    assert f.read_bytes() == before
    f.write_text("")
    with pytest.raises(CmokitError) as exc:
        reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert exc.value.rule == "file.empty"


def test_an_edit_refusal_is_its_own_rule(tiny):
    path = decide(tiny, {})
    reconcile(Review.open(tiny), "ann", "bob", path)
    f = tiny / "c/studies.csv"
    f.write_text(f.read_text().replace("ann's", "edited"))
    with pytest.raises(EditsFound) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    assert (exc.value.rule, exc.value.exit_code) == ("reconcile.edited", 1)
    assert exc.value.message.startswith("c/studies.csv: changed since cmokit reconcile wrote it")


# ------------------------------------------------------------------ the audit log, entry by entry and field by field
STAMP = "2025-11-26T05:00:00Z"  # SOURCE_DATE_EPOCH 1764133200 of the fixture, in UTC


def log_of(root: Path, name: str = "c/decisions.csv") -> list[dict[str, str]]:
    rows = read(root / name)
    assert rows[0] == LOG_FIELDS
    return [dict(zip(LOG_FIELDS, r, strict=True)) for r in rows[1:]]


def sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sub_sha(root: Path, who: str) -> str:
    """A submission's SHA-256 as the conflicts file's first line records it (written by compare, not reconcile)."""
    rv = Review.open(root)
    return resolve_submission(rv, who).sha256


def test_every_field_of_every_log_entry_of_a_merge(tiny):
    path = decide(tiny, {("studies", "year"): ("b", ""), ("studies", "notes"): ("other", " both "),
                         ("rows", "s2 / n a=2"): ("a", ""), ("rows", "s2 / n b=7"): ("b", "")})
    first = path.read_text(encoding="utf-8").splitlines()[0]
    ha, hb = sub_sha(tiny, "ann"), sub_sha(tiny, "bob")
    assert ha in first and hb in first and ha != hb
    reconcile(Review.open(tiny), "ann", "bob", path)
    run = {"decided_at": STAMP, "reviewer_a": "ann", "reviewer_b": "bob", "sha256_a": ha, "sha256_b": hb}
    row_a = '{"study_id": "s2", "n": "2", "text": "only ann has this"}'
    row_b = '{"study_id": "s2", "n": "7", "text": "zzz qqq"}'
    expected = [
        {"entry": "1", "decided_by": "carol", "table": "studies", "key": "s1", "field": "year", "value_a": "2010",
         "value_b": "2012", "decision": "b", "value": "2012", "reason": "why", **run},
        {"entry": "2", "decided_by": "carol", "table": "studies", "key": "s2", "field": "notes", "value_a": "ann's",
         "value_b": "bob's", "decision": "other", "value": "both", "reason": "why", **run},
        {"entry": "3", "decided_by": "carol", "table": "rows", "key": "s2 / n a=2", "field": "(row)", "value_a": row_a,
         "value_b": "", "decision": "a", "value": row_a, "reason": "why", **run},
        {"entry": "4", "decided_by": "carol", "table": "rows", "key": "s2 / n b=7", "field": "(row)", "value_a": "",
         "value_b": row_b, "decision": "b", "value": row_b, "reason": "why", **run},
        {"entry": "5", "decided_by": "cmokit reconcile", "table": "studies", "key": "studies.csv", "field": "(file)",
         "value_a": "", "value_b": "", "decision": "other", "value": sha_file(tiny / "c/studies.csv"),
         "reason": "the file as cmokit reconcile wrote it", **run},
        {"entry": "6", "decided_by": "cmokit reconcile", "table": "rows", "key": "rows.csv", "field": "(file)",
         "value_a": "", "value_b": "", "decision": "other", "value": sha_file(tiny / "c/rows.csv"),
         "reason": "the file as cmokit reconcile wrote it", **run}]
    assert log_of(tiny) == expected


def test_log_entries_follow_the_order_of_the_decisions_file_and_number_on_from_the_log(tiny):
    """Entries in the order of the lines of the conflicts file (not of the conflicts), numbered after the highest
    entry already in the log (a non-numeric entry id is passed over); a changed decision is a new entry."""
    path = decide(tiny, {("rows", "s2 / n a=2"): ("a", ""), ("rows", "s2 / n b=7"): ("b", "")})
    lines = path.read_text(encoding="utf-8").splitlines()
    head, body = lines[:2], lines[2:]
    path.write_text("\n".join(head + body[::-1]) + "\n", encoding="utf-8")  # the decisions in reverse order
    old = [["7", STAMP, "x", "studies", "s9", "notes", "a", "b", "a", "a", "", "p", "q", "", ""],
           ["note", STAMP, "x", "studies", "s9", "band", "a", "b", "a", "a", "", "p", "q", "", ""]]
    write(tiny / "c/decisions.csv", LOG_FIELDS, old)
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    log = log_of(tiny)
    assert [e["entry"] for e in log] == ["7", "note", "8", "9", "10", "11", "12", "13"]
    assert [(e["key"], e["field"]) for e in log[2:6]] == [("s2 / n b=7", "(row)"), ("s2 / n a=2", "(row)"),
                                                          ("s2", "notes"), ("s1", "year")]
    assert [e["field"] for e in log[6:]] == ["(file)", "(file)"]
    assert (res.logged, res.hashed, res.decisions) == (4, 2, 4)
    # the same decisions again: nothing logged; one changed reason: one new entry, numbered on
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert (res.logged, res.hashed) == (0, 0)
    text = path.read_text(encoding="utf-8").replace(",carol,why", ",carol,because", 1)
    path.write_text(text, encoding="utf-8")
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert (res.logged, res.hashed) == (1, 0)
    last = log_of(tiny)[-1]
    assert (last["entry"], last["key"], last["reason"]) == ("14", "s2 / n b=7", "because")


@pytest.mark.parametrize("column", ["value_a", "value_b", "decision", "value", "decided_by", "reason",
                                    "reviewer_a", "reviewer_b", "table", "key", "field"])
def test_a_decision_is_logged_again_when_any_part_of_its_identity_differs(tiny, column):
    """The latest entry of a conflict counts as the same decision only when all its identity columns match."""
    path = decide(tiny, {})
    reconcile(Review.open(tiny), "ann", "bob", path)
    log = read(tiny / "c/decisions.csv")
    i = LOG_FIELDS.index(column)
    year = next(r for r in log[1:] if r[5] == "year")
    year[i] = year[i] + "~"
    log = [r for r in log if r[5] != "year"] + [year]
    write(tiny / "c/decisions.csv", log[0], log[1:])
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert res.logged == 1
    assert [(e["key"], e["field"], e["value"]) for e in log_of(tiny) if e["field"] == "year"][-1] == (
        "s1", "year", "2010")


def test_a_decision_differing_only_in_time_or_hashes_is_not_logged_again(tiny):
    path = decide(tiny, {})
    reconcile(Review.open(tiny), "ann", "bob", path)
    log = read(tiny / "c/decisions.csv")
    for r in log[1:]:
        if r[5] != "(file)":
            r[1], r[13], r[14] = "2000-01-01T00:00:00Z", "0" * 64, "1" * 64
    write(tiny / "c/decisions.csv", log[0], log[1:])
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert (res.logged, res.hashed) == (0, 0)


def test_every_field_of_the_log_of_one_reviewer(tiny):
    ha = sub_sha(tiny, "ann")
    res = reconcile(Review.open(tiny), "ann")  # no --by, no reason: the reviewer and the default reason
    run = {"decided_at": STAMP, "reviewer_a": "ann", "reviewer_b": "(single)", "sha256_a": ha, "sha256_b": ha,
           "decided_by": "ann", "reason": "single extraction: only ann extracted this study", "decision": "a",
           "value_b": ""}
    values = [("studies", "s1", "year", "2010"), ("studies", "s1", "band", "infants"),
              ("studies", "s1", "notes", "same"), ("studies", "s2", "year", "2011"),
              ("studies", "s2", "band", "children"),
              ("studies", "s2", "notes", "ann's"), ("rows", "s1 / n a=1", "text", "one two three"),
              ("rows", "s2 / n a=1", "text", "red green blue"), ("rows", "s2 / n a=2", "text", "only ann has this")]
    expected = [{"entry": str(i), "table": t, "key": k, "field": f, "value_a": v, "value": v, **run}
                for i, (t, k, f, v) in enumerate(values, start=1)]
    files = [{"entry": str(len(values) + i), **run, "decided_by": "cmokit reconcile", "table": t, "key": f"{t}.csv",
              "field": "(file)", "value_a": "", "decision": "other", "value": sha_file(tiny / f"c/{t}.csv"),
              "reason": "the file as cmokit reconcile wrote it"} for i, t in enumerate(("studies", "rows"), start=1)]
    assert log_of(tiny) == expected + files
    assert (res.logged, res.hashed, res.decisions, res.single) == (9, 2, 0, True)
    assert res.carried == [("studies", "s1", "ann"), ("studies", "s2", "ann"), ("rows", "s1 / n a=1", "ann"),
                           ("rows", "s2 / n a=1", "ann"), ("rows", "s2 / n a=2", "ann")]
    # again: every value is already logged as the same decision, nothing is written
    res = reconcile(Review.open(tiny), "ann")
    assert (res.logged, res.hashed, res.written) == (0, 0, [])
    # --by is trimmed
    write(tiny / "c/decisions.csv", LOG_FIELDS, [])
    reconcile(Review.open(tiny), "ann", by="  carol  ")
    assert {e["decided_by"] for e in log_of(tiny) if e["field"] != "(file)"} == {"carol"}
    assert {e["reason"] for e in log_of(tiny) if e["field"] != "(file)"} == {
        "single extraction: only ann extracted this study"}


def test_every_field_of_an_adopted_edit(tiny):
    path = decide(tiny, {})
    reconcile(Review.open(tiny), "ann", "bob", path)
    f = tiny / "c/studies.csv"
    written = sha_file(f)
    f.write_text(f.read_text().replace("s1,2010,infants,same", "s1,2010,infants,checked"))
    edited = sha_file(f)
    n = len(log_of(tiny))
    res = reconcile(Review.open(tiny), "ann", "bob", path, adopt_edits=True, by="  dana ", reason="paper")
    new = log_of(tiny)[n:]
    assert new == [
        {"entry": str(n + 1), "decided_at": STAMP, "decided_by": "dana", "table": "studies", "key": "study_id=s1",
         "field": "notes", "value_a": "same", "value_b": "checked", "decision": "other", "value": "checked",
         "reason": "paper", "reviewer_a": "(edit)", "reviewer_b": "(edit)", "sha256_a": written, "sha256_b": edited},
        {"entry": str(n + 2), "decided_at": STAMP, "decided_by": "cmokit reconcile", "table": "studies",
         "key": "studies.csv", "field": "(file)", "value_a": "", "value_b": "", "decision": "other", "value": edited,
         "reason": "the file as cmokit reconcile wrote it", "reviewer_a": "ann", "reviewer_b": "bob",
         "sha256_a": sub_sha(tiny, "ann"), "sha256_b": sub_sha(tiny, "bob")}]
    # the file already is as edited: not rewritten, but recorded as the file reconcile stands for now
    assert sha_file(f) == edited and res.hashed == 1 and res.logged == 1 and f not in res.written
    assert [(e.table, e.key, e.field, e.reconciled, e.edited) for e in res.adopted] == [
        ("studies", "study_id=s1", "notes", "same", "checked")]


# ------------------------------------------------------------------ the merged rows of a table with cmokit:match
def test_row_order_within_a_study_is_a_then_b_by_row_number(tiny):
    """A's rows (matched or kept) by A's row number, then B's extra rows by B's number (9 before 12: as numbers),
    renumbered 1, 2, ...;
    a study only one reviewer extracted is carried over in that reviewer's order."""
    write(tiny / "extract/reviewers/ann/rows.csv", ["study_id", "n", "text"],
          [["s1", "1", "one two three"], ["s2", "2", "red green blue"], ["s2", "1", "only ann here"]])
    write(tiny / "extract/reviewers/bob/rows.csv", ["study_id", "n", "text"],
          [["s1", "5", "one two three"], ["s2", "12", "yyy www"], ["s2", "1", "red green blue"], ["s2", "9", "zzz qqq"],
           ["s3", "4", "bob four"], ["s3", "2", "bob two"]])
    write(tiny / "extract/reviewers/bob/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2010", "infants", "same"], ["s2", "2011", "children", "ann's"], ["s3", "2013", "infants", "b"]])
    got = {(r[0], r[1], r[2]) for r in conflicts(tiny)[1:]}
    assert got == {("rows", "s2 / n a=1", "(row)"), ("rows", "s2 / n b=12", "(row)"), ("rows", "s2 / n b=9", "(row)")}
    path = decide(tiny, {("rows", "s2 / n a=1"): ("a", ""), ("rows", "s2 / n b=12"): ("b", ""),
                         ("rows", "s2 / n b=9"): ("b", "")})
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert read(tiny / "c/rows.csv")[1:] == [
        ["s1", "1", "one two three"], ["s2", "1", "only ann here"], ["s2", "2", "red green blue"],
        ["s2", "3", "zzz qqq"], ["s2", "4", "yyy www"], ["s3", "1", "bob two"], ["s3", "2", "bob four"],
        ["s9", "1", "kept row"]]
    assert read(tiny / "c/studies.csv")[1:] == [
        ["s1", "2010", "infants", "same"], ["s2", "2011", "children", "ann's"], ["s3", "2013", "infants", "b"],
        ["s9", "2019", "infants", "kept"]]
    assert res.carried == [("studies", "s3", "bob"), ("rows", "s3 / n b=4", "bob"), ("rows", "s3 / n b=2", "bob")]
    assert res.rows == {"studies": 4, "rows": 8} and res.decisions == 3
    assert res.written == [tiny / "c/studies.csv", tiny / "c/rows.csv", tiny / "c/decisions.csv"]
    assert res.unchanged == []
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert res.written == [] and res.unchanged == [tiny / "c/studies.csv", tiny / "c/rows.csv",
                                                   tiny / "c/decisions.csv"]
    assert res.carried == [("studies", "s3", "bob"), ("rows", "s3 / n b=4", "bob"), ("rows", "s3 / n b=2", "bob")]


def test_a_study_whose_rows_are_all_dropped_loses_its_old_consensus_rows(tiny):
    write(tiny / "c/rows.csv", ["study_id", "n", "text"], [["s1", "1", "alpha beta"], ["s2", "1", "old s2 row"],
                                                           ["s9", "1", "kept row"]])
    write(tiny / "extract/reviewers/ann/rows.csv", ["study_id", "n", "text"], [["s2", "1", "aaa"]])
    write(tiny / "extract/reviewers/bob/rows.csv", ["study_id", "n", "text"], [["s2", "1", "bbb"]])
    path = decide(tiny, {("rows", "s2 / n a=1"): ("b", ""), ("rows", "s2 / n b=1"): ("a", "")})
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    # s2's rows are dropped by both decisions, s1 was submitted by nobody in this table: its old row stays
    assert read(tiny / "c/rows.csv")[1:] == [["s1", "1", "alpha beta"], ["s9", "1", "kept row"]]
    assert res.rows["rows"] == 2


APPRAISAL = {"fields": [{"name": "study_id", "type": "string", "constraints": {"required": True}},
                        {"name": "appraiser", "type": "string", "constraints": {"required": True}},
                        {"name": "score", "type": "string"}],
             "missingValues": ["", "NR"], "primaryKey": ["study_id", "appraiser"],
             "cmokit:match": {"within": ["study_id"], "row": "appraiser", "threshold": 0.0}}


@pytest.mark.parametrize("consensus,expected", [("consensus", "consensus"), (None, "ann")])
def test_a_row_label_kept_or_written_as_the_consensus_value(tiny, consensus, expected):
    """Without renumbering, a pair keeps the label both reviewers wrote, else the schema's consensus_value (or
    A's label when the schema names none)."""
    d = json.loads((tiny / "datapackage.json").read_text())
    schema = json.loads(json.dumps(APPRAISAL))
    if consensus:
        schema["cmokit:match"]["consensus_value"] = consensus
    d["resources"].insert(2, {"name": "appraisal", "path": "c/appraisal.csv", "schema": schema})
    (tiny / "datapackage.json").write_text(json.dumps(d))
    write(tiny / "c/appraisal.csv", ["study_id", "appraiser", "score"], [])
    write(tiny / "extract/reviewers/ann/appraisal.csv", ["study_id", "appraiser", "score"],
          [["s1", "ann", "high"], ["s2", "both", "low"]])
    write(tiny / "extract/reviewers/bob/appraisal.csv", ["study_id", "appraiser", "score"],
          [["s1", "bob", "high"], ["s2", "both", "low"]])
    reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert read(tiny / "c/appraisal.csv") == [["study_id", "appraiser", "score"], ["s1", expected, "high"],
                                              ["s2", "both", "low"]]


# ------------------------------------------------------------------ refusals: their rule, file and line
def test_reviewers_named_the_other_way_round_are_refused(tiny):
    path = decide(tiny, {})
    with pytest.raises(DataInvalid) as exc:
        reconcile(Review.open(tiny), "bob", "ann", path)
    assert (exc.value.rule, exc.value.path, exc.value.line) == ("reconcile.hash", str(path), 1)
    assert exc.value.message == (f"{path.name}, line 1: was written for a=ann b=bob, but reconcile was given a=bob "
                                 "b=ann. Name the reviewers in the same order as for compare. [reconcile.hash]")


def test_both_changed_submissions_are_named(tiny):
    path = decide(tiny, {})
    for who in ("ann", "bob"):
        f = tiny / f"extract/reviewers/{who}/studies.csv"
        f.write_text(f.read_text() + "\n")
    with pytest.raises(DataInvalid) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    assert (exc.value.rule, exc.value.line) == ("reconcile.hash", 1)
    lines = exc.value.message.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{path.name}, line 1: submission 'ann' has changed")
    assert lines[1].startswith(f"{path.name}, line 1: submission 'bob' has changed")


def test_the_refusal_takes_the_rule_of_its_first_problem_and_lists_them_in_file_order(tiny):
    path = decide(tiny, {})
    lines = path.read_text().splitlines()
    assert lines[2].startswith("studies,s1,year,")
    lines[2] = lines[2].replace(",a,,carol,", ",x,,carol,")  # line 3: not a decision
    lines[3] = lines[3].replace(",a,,carol,", ",,,carol,")  # line 4: undecided
    del lines[5]  # the row conflict s2 / n b=7 has no row any more
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataInvalid) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    assert (exc.value.rule, exc.value.path, exc.value.line) == ("reconcile.decision", str(path), None)
    got = exc.value.message.splitlines()
    assert got[0] == f"{path}: 3 problem(s); nothing was written."
    assert [g.split(":")[0] for g in got[1:]] == [f"{path.name}, line 3", f"{path.name}, line 4", path.name]
    assert [g.rsplit(" ", 1)[1] for g in got[1:]] == ["[reconcile.decision]", "[reconcile.undecided]",
                                                      "[reconcile.undecided]"]
    assert "key 's2 / n b=7'" in got[3]


def test_output_is_sorted_by_key_integers_as_numbers_text_as_text(tiny):
    """Rows kept from the consensus are sorted too: an integer key field by number (a value that is not a whole
    number after the numbers), a text key field as text even when it holds digits."""
    write(tiny / "c/rows.csv", ["study_id", "n", "text"], [["s9", "2", "two"], ["s9", "x", "ex"], ["s9", "10", "ten"],
                                                           ["s9", "1", "one"]])
    write(tiny / "c/studies.csv", ["study_id", "year", "band", "notes"],
          [["9", "2019", "infants", "nine"], ["10", "2010", "infants", "ten"], ["s9", "2019", "infants", "kept"]])
    reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert [r[1] for r in read(tiny / "c/rows.csv")[1:] if r[0] == "s9"] == ["1", "2", "10", "x"]
    assert [r[0] for r in read(tiny / "c/studies.csv")[1:]] == ["10", "9", "s1", "s2", "s9"]


OUTCOMES = {"fields": [{"name": "study_id", "type": "string", "constraints": {"required": True}},
                       {"name": "outcome", "type": "string", "constraints": {"required": True}},
                       {"name": "effect", "type": "string"}],
            "missingValues": ["", "NR"], "primaryKey": ["study_id", "outcome"]}


def test_a_keyed_table_with_two_key_fields_is_replaced_study_by_study(tiny):
    """Without cmokit:match a study (the first key field) is the unit: a study either reviewer extracted replaces
    all of that study's rows in the consensus, also rows of an outcome neither reviewer wrote again."""
    d = json.loads((tiny / "datapackage.json").read_text())
    d["resources"].insert(2, {"name": "outcomes", "path": "c/outcomes.csv", "schema": OUTCOMES})
    (tiny / "datapackage.json").write_text(json.dumps(d))
    head = ["study_id", "outcome", "effect"]
    write(tiny / "c/outcomes.csv", head, [["s1", "o3", "old"], ["s9", "o1", "kept"]])
    write(tiny / "extract/reviewers/ann/outcomes.csv", head, [["s1", "o2", "up"], ["s1", "o1", "down"]])
    write(tiny / "extract/reviewers/bob/outcomes.csv", head, [["s1", "o1", "down"], ["s1", "o4", "flat"]])
    got = {(r[0], r[1], r[2]) for r in conflicts(tiny)[1:] if r[0] == "outcomes"}
    assert got == {("outcomes", "s1 / o2", "(row)"), ("outcomes", "s1 / o4", "(row)")}
    res = reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {("outcomes", "s1 / o2"): ("a", ""),
                                                                   ("outcomes", "s1 / o4"): ("b", "")}))
    assert read(tiny / "c/outcomes.csv") == [head, ["s1", "o1", "down"], ["s1", "o2", "up"], ["s1", "o4", "flat"],
                                             ["s9", "o1", "kept"]]
    assert res.rows["outcomes"] == 4


PARTS = {"fields": [{"name": "study_id", "type": "string", "constraints": {"required": True}},
                    {"name": "part", "type": "string", "constraints": {"required": True}},
                    {"name": "n", "type": "integer", "constraints": {"required": True, "minimum": 1}},
                    {"name": "text", "type": "string"}],
         "missingValues": ["", "NR"], "primaryKey": ["study_id", "part", "n"],
         "cmokit:match": {"within": ["study_id", "part"], "row": "n", "threshold": 0.5, "renumber": True}}


def test_rows_are_renumbered_within_the_groups_the_match_rule_names(tiny):
    d = json.loads((tiny / "datapackage.json").read_text())
    d["resources"].insert(2, {"name": "parts", "path": "c/parts.csv", "schema": PARTS})
    (tiny / "datapackage.json").write_text(json.dumps(d))
    head = ["study_id", "part", "n", "text"]
    write(tiny / "c/parts.csv", head, [])
    rows = [["s1", "A", "3", "alpha one"], ["s1", "A", "5", "alpha two"], ["s1", "B", "4", "beta one"]]
    for who in ("ann", "bob"):
        write(tiny / f"extract/reviewers/{who}/parts.csv", head, rows)
    reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert read(tiny / "c/parts.csv") == [head, ["s1", "A", "1", "alpha one"], ["s1", "A", "2", "alpha two"],
                                          ["s1", "B", "1", "beta one"]]


# ------------------------------------------------------------------ the run: time stamp, usage, outputs
def test_the_time_stamp_is_the_given_time_in_utc(tiny):
    from datetime import UTC, datetime, timedelta, timezone

    path = decide(tiny, {})
    when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))  # given: wins over SOURCE_DATE_EPOCH
    reconcile(Review.open(tiny), "ann", "bob", path, now=when)
    assert {e["decided_at"] for e in log_of(tiny)} == {"2020-01-02T01:04:05Z"}
    write(tiny / "c/decisions.csv", LOG_FIELDS, [])
    reconcile(Review.open(tiny), "ann", "bob", path, now=datetime(2021, 6, 7, 8, 9, 10, tzinfo=UTC))
    assert {e["decided_at"] for e in log_of(tiny)} == {"2021-06-07T08:09:10Z"}


def test_without_a_usable_source_date_epoch_the_clock_is_used(tiny, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    before = datetime.now(UTC).replace(microsecond=0)
    reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    after = datetime.now(UTC)
    stamps = {e["decided_at"] for e in log_of(tiny)}
    assert len(stamps) == 1
    got = datetime.strptime(stamps.pop(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= got <= after


def test_usage_refusals(tiny):
    path = decide(tiny, {})
    for by in (None, "", "   "):
        with pytest.raises(CmokitError, match="--adopt-edits needs --by") as exc:
            reconcile(Review.open(tiny), "ann", "bob", path, adopt_edits=True, by=by)
        assert exc.value.rule == "usage"
    with pytest.raises(CmokitError) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path, out=tiny / "extract/reviewers/bob/deeper/draft")
    assert exc.value.rule == "reconcile.out"
    d = json.loads((tiny / "datapackage.json").read_text())
    d["resources"] = [r for r in d["resources"] if r["name"] != "decisions"]
    (tiny / "datapackage.json").write_text(json.dumps(d))
    before = {p: p.read_bytes() for p in (tiny / "c").iterdir()}
    with pytest.raises(CmokitError) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    assert (exc.value.rule, exc.value.path) == ("reconcile.no_log", "datapackage.json")
    assert {p: p.read_bytes() for p in (tiny / "c").iterdir()} == before


def test_a_table_nobody_submitted_is_copied_into_an_output_folder_and_left_alone_in_place(tiny, tmp_path):
    d = json.loads((tiny / "datapackage.json").read_text())
    d["resources"].insert(2, {"name": "extra", "path": "c/extra.csv", "schema": {
        "fields": [{"name": "k", "type": "string"}], "primaryKey": ["k"], "missingValues": [""]}})
    (tiny / "datapackage.json").write_text(json.dumps(d))
    (tiny / "c/extra.csv").write_text("k\nb\na\n")  # not sorted: nobody's table is not rewritten
    out = tmp_path / "draft"
    path = decide(tiny, {})
    res = reconcile(Review.open(tiny), "ann", "bob", path, out=out)
    assert (out / "extra.csv").read_text() == "k\nb\na\n" and res.rows["extra"] == 2
    assert out / "extra.csv" in res.written
    files = {e["table"]: e for e in log_of(tmp_path, "draft/decisions.csv") if e["field"] == "(file)"}
    assert files["extra"]["value"] == sha_file(tiny / "c/extra.csv") and files["extra"]["key"] == "extra.csv"
    # again into the same folder: it starts from the folder's own files, so nothing changes
    res = reconcile(Review.open(tiny), "ann", "bob", path, out=out)
    assert (res.written, res.logged, res.hashed) == ([], 0, 0)
    assert out / "extra.csv" in res.unchanged
    # in place: the file stays as it is; its hash is recorded once
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert tiny / "c/extra.csv" not in res.written and (tiny / "c/extra.csv").read_text() == "k\nb\na\n"
    assert [e["table"] for e in log_of(tiny) if e["field"] == "(file)"] == ["studies", "rows", "extra"]
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert (res.written, res.hashed) == ([], 0)


def test_files_are_written_with_newlines_and_a_log_column_reconcile_does_not_know_is_left_empty(tiny):
    d = json.loads((tiny / "datapackage.json").read_text())
    log = next(r for r in d["resources"] if r["name"] == "decisions")
    log["schema"]["fields"].append({"name": "comment", "type": "string"})
    (tiny / "datapackage.json").write_text(json.dumps(d))
    old = ["1", STAMP, "x", "studies", "s9", "notes", "a", "b", "a", "a", "", "p", "q", "", "", "kept comment"]
    write(tiny / "c/decisions.csv", [*LOG_FIELDS, "comment"], [old])
    reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert (tiny / "c/studies.csv").read_bytes() == (b"study_id,year,band,notes\ns1,2010,infants,same\n"
                                                     b"s2,2011,children,ann's\ns9,2019,infants,kept\n")
    rows = read(tiny / "c/decisions.csv")
    assert rows[0] == [*LOG_FIELDS, "comment"] and rows[1] == old
    assert all(len(r) == 16 and r[15] == "" for r in rows[2:]) and len(rows) > 2
    assert b"\r" not in (tiny / "c/decisions.csv").read_bytes()


def test_rows_only_one_reviewer_wrote_keep_their_numeric_order(tiny):
    """A study only A extracted, and A's and B's unmatched rows of a shared study: each side by its own row number
    (9 before 12), A's before B's."""
    write(tiny / "extract/reviewers/ann/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2010", "infants", "same"], ["s4", "2014", "infants", "a"]])
    write(tiny / "extract/reviewers/bob/studies.csv", ["study_id", "year", "band", "notes"],
          [["s1", "2010", "infants", "same"]])
    write(tiny / "extract/reviewers/ann/rows.csv", ["study_id", "n", "text"],
          [["s1", "12", "ann twelve"], ["s1", "9", "ann nine"], ["s1", "1", "shared text"], ["s4", "12", "four b"],
           ["s4", "9", "four a"]])
    write(tiny / "extract/reviewers/bob/rows.csv", ["study_id", "n", "text"],
          [["s1", "1", "shared text"], ["s1", "12", "bob twelve words"], ["s1", "9", "bob nine words"]])
    keys = {r[1] for r in conflicts(tiny)[1:] if r[0] == "rows"}
    assert keys == {"s1 / n a=12", "s1 / n a=9", "s1 / n b=12", "s1 / n b=9"}
    path = decide(tiny, {("rows", k): ("a" if "a=" in k else "b", "") for k in keys})
    res = reconcile(Review.open(tiny), "ann", "bob", path)
    assert [r for r in read(tiny / "c/rows.csv")[1:] if r[0] in ("s1", "s4")] == [
        ["s1", "1", "shared text"], ["s1", "2", "ann nine"], ["s1", "3", "ann twelve"], ["s1", "4", "bob nine words"],
        ["s1", "5", "bob twelve words"], ["s4", "1", "four a"], ["s4", "2", "four b"]]
    assert res.carried == [("studies", "s4", "ann"), ("rows", "s4 / n a=12", "ann"), ("rows", "s4 / n a=9", "ann")]


def test_duplicate_unknown_and_invalid_rows_are_all_reported_whatever_follows_them(tiny):
    path = decide(tiny, {})
    lines = path.read_text().splitlines()
    year = lines[2]
    lines.insert(3, year)  # line 4: s1's year decided again
    lines.insert(4, "studies,s9,year,1,2,a,,carol,")  # line 5: not in conflict
    lines.insert(5, lines[5])  # line 7: s2's notes decided again (line 6)
    lines.append("studies,s2,year,1,2,other,soon,carol,")  # not in conflict either
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataInvalid) as exc:
        reconcile(Review.open(tiny), "ann", "bob", path)
    got = exc.value.message.splitlines()[1:]
    assert got[0] == (f"{path.name}, line 4: table 'studies', key 's1', field 'year' is decided twice (also on line 3)."
                      " Keep one row. [reconcile.duplicate]")
    assert got[1].startswith(f"{path.name}, line 5: table 'studies', key 's9', field 'year' is not in conflict")
    assert got[-1].startswith(f"{path.name}, line 10: table 'studies', key 's2', field 'year' is not in conflict")
    assert got[2].startswith(f"{path.name}, line 7: table 'studies', key 's2', field 'notes' is decided twice (also "
                             "on line 6)")
    assert len(got) == 4


def test_submissions_given_as_objects_and_no_source_date_epoch(tiny, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    rv = Review.open(tiny)
    res = reconcile(rv, resolve_submission(rv, "ann"), resolve_submission(rv, "bob"), decide(tiny, {}))
    assert res.decisions == 4 and res.notes == [] and res.stale_edits == []
    got = datetime.strptime(log_of(tiny)[0]["decided_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - got).total_seconds()) < 120


def test_the_stamp_is_utc_whatever_the_local_zone(tiny, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert {e["decided_at"] for e in log_of(tiny)} == {STAMP}


def test_the_log_declared_first_and_a_table_without_a_file(tiny):
    d = json.loads((tiny / "datapackage.json").read_text())
    d["resources"] = [d["resources"][2], *d["resources"][:2], {"name": "absent", "path": "c/absent.csv", "schema": {
        "fields": [{"name": "k", "type": "string"}], "primaryKey": ["k"], "missingValues": [""]}}]
    (tiny / "datapackage.json").write_text(json.dumps(d))
    res = reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert res.rows == {"studies": 3, "rows": 4, "absent": 0} and not (tiny / "c/absent.csv").exists()
    assert read(tiny / "c/studies.csv")[1] == ["s1", "2010", "infants", "same"]


def test_old_rows_of_a_group_nobody_submitted_stay_and_those_of_a_submitted_group_go(tiny):
    d = json.loads((tiny / "datapackage.json").read_text())
    d["resources"].insert(2, {"name": "parts", "path": "c/parts.csv", "schema": PARTS})
    (tiny / "datapackage.json").write_text(json.dumps(d))
    head = ["study_id", "part", "n", "text"]
    write(tiny / "c/parts.csv", head, [["s1", "A", "1", "old a"], ["s1", "C", "1", "old c"]])
    for who in ("ann", "bob"):
        write(tiny / f"extract/reviewers/{who}/parts.csv", head, [["s1", "A", "3", "alpha one"]])
    reconcile(Review.open(tiny), "ann", "bob", decide(tiny, {}))
    assert read(tiny / "c/parts.csv") == [head, ["s1", "A", "1", "alpha one"], ["s1", "C", "1", "old c"]]
