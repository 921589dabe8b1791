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
