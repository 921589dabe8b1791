"""Cell, key and rule checks on tiny tables made here: each rule at its edges (a bound itself, one past it), and
the rule engine's handling of validators. Fast (no review is read), so that mutation testing can run them for
every mutant (docs/testing.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmokit.package.model import Resource, Review
from cmokit.package.reader import read_table
from cmokit.validation.cells import check_cells, check_value
from cmokit.validation.keys import check_keys
from cmokit.validation.rules import run_validators

SCHEMA = {"fields": [
    {"name": "id", "type": "integer", "constraints": {"required": True, "minimum": 1, "maximum": 9}},
    {"name": "x", "type": "number", "constraints": {"minimum": -1.5, "maximum": 2.5}},
    {"name": "day", "type": "date", "constraints": {"minimum": "2008-01-01", "maximum": "2018-06-08"}},
    {"name": "flag", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
    {"name": "code", "type": "string", "constraints": {"enum": ["a", "b"]}},
    {"name": "codes", "type": "string", "cmokit:codes": "multiple",
     "constraints": {"enum": ["p", "q"], "pattern": "^(p|q)(; (p|q))*$"}},
    {"name": "word", "type": "string", "constraints": {"pattern": "^[a-z]+$", "minLength": 2, "maxLength": 4}},
    {"name": "year", "type": "year"},
    {"name": "u", "type": "string", "constraints": {"unique": True}}],
    "missingValues": ["", "NR", "NA"], "primaryKey": ["id"]}
GOOD = {"id": "1", "x": "1", "day": "2010-05-05", "flag": "yes", "code": "a", "codes": "p; q", "word": "abc",
        "year": "2011", "u": "k1"}


def resource(schema: dict = SCHEMA, name: str = "t") -> Resource:
    """A resource of a cmokit review (its conventions apply: blank = not yet extracted, the codebook checks)."""
    return Resource.from_schema(name, schema, path=Path(f"{name}.csv"), rel_path=f"{name}.csv", conventions=True)


def table(rows: list[dict[str, str]], res: Resource | None = None):
    res = res or resource()
    names = res.field_names
    text = ",".join(names) + "\n" + "".join(",".join(r.get(n, "") for n in names) + "\n" for r in rows)
    return read_table(res, Path(f"{res.name}.csv"), f"{res.name}.csv", data=text.encode())


def rules_of(field: str, value: str, submission: bool = False) -> list[tuple[str, str]]:
    return [(p.rule, p.severity) for p in check_value(resource(), field, value, submission=submission)]


@pytest.mark.parametrize("field,value,expected", [
    ("id", "1", []), ("id", "9", []), ("id", "0", ["constraint.minimum"]), ("id", "10", ["constraint.maximum"]),
    ("id", "1.5", ["type.integer"]), ("id", "", ["constraint.required"]), ("id", "NR", ["constraint.required"]),
    ("id", "+3", []), ("x", "-1.5", []), ("x", "2.5", []), ("x", "-1.6", ["constraint.minimum"]),
    ("x", "2.51", ["constraint.maximum"]), ("x", "1,5", ["type.number"]), ("x", "1e0", []), ("x", "NA", []),
    ("day", "2008-01-01", []), ("day", "2018-06-08", []), ("day", "2007-12-31", ["constraint.minimum"]),
    ("day", "2018-06-09", ["constraint.maximum"]), ("day", "2018-02-30", ["type.date"]),
    ("day", "08/06/2018", ["type.date"]), ("flag", "yes", []), ("flag", "no", []), ("flag", "Yes", ["type.boolean"]),
    ("code", "a", []), ("code", "c", ["constraint.enum"]), ("code", "NR", []), ("codes", "p", []),
    ("codes", "p; r", ["constraint.enum"]), ("codes", "p;q", ["constraint.pattern"]),
    ("word", "ab", []), ("word", "abcd", []), ("word", "a", ["constraint.minLength"]),
    ("word", "abcde", ["constraint.maxLength"]), ("word", "AB", ["constraint.pattern"]), ("year", "2011", []),
    ("year", "11", ["type.year"]), ("code", "", ["extract.blank"])])
def test_one_value(field, value, expected):
    assert [r for r, _ in rules_of(field, value)] == expected


def test_a_blank_is_an_error_in_the_consensus_and_a_warning_in_a_submission():
    assert rules_of("code", "") == [("extract.blank", "error")]
    assert rules_of("code", "", submission=True) == [("extract.blank", "warning")]
    only_blank = {**SCHEMA, "missingValues": [""]}  # no NR/NA offered: an empty cell is simply missing
    assert check_value(resource(only_blank), "code", "") == []


def test_messages_and_lines_of_a_table():
    t = table([GOOD, {**GOOD, "id": "2", "x": "3", "u": "k2"}, {**GOOD, "id": "3", "u": "k1"}])
    found = [(p.rule, p.line, p.field, p.value) for p in check_cells(t)]
    assert found == [("constraint.maximum", 3, "x", "3"), ("constraint.unique", 4, "u", "k1")]
    msgs = {p.rule: p.message for p in check_cells(t)}
    assert msgs["constraint.maximum"] == "'3' is too large: the value must be at most 2.5."
    assert msgs["constraint.unique"] == "'k1' must be unique in u, but line 2 has the same value. Correct one of them."
    assert check_cells(table([GOOD])) == []


def test_ragged_records_are_not_checked_cell_by_cell():
    res = resource()
    text = ",".join(res.field_names) + "\n" + "1,oops\n"
    t = read_table(res, Path("t.csv"), "t.csv", data=text.encode())
    assert [p.rule for p in t.problems] == ["row.ragged"] and check_cells(t) == []


def test_primary_and_foreign_keys():
    t = table([GOOD, {**GOOD, "u": "k2"}, {**GOOD, "id": "NR", "u": "k3"}])
    found = [(p.rule, p.line, p.value, p.message) for p in check_keys(t, {})]
    assert found == [("key.primary", 3, "1", "duplicate primary key (id='1'): line 2 has the same key. Each row needs "
                                            "its own key; renumber or merge the rows.")]
    parent = resource({"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["id"]}, "parent")
    child_schema = {"fields": [{"name": "pid", "type": "integer"}], "missingValues": ["", "NR"],
                    "foreignKeys": [{"fields": "pid", "reference": {"resource": "parent", "fields": "id"}}]}
    child = table([{"pid": "1"}, {"pid": "2"}, {"pid": "NR"}], resource(child_schema, "child"))
    refs = {"parent": table([{"id": "1"}], parent)}
    found = [(p.rule, p.line, p.value) for p in check_keys(child, refs)]
    assert found == [("key.foreign", 3, "2")]
    assert check_keys(child, refs, foreign=False) == []
    assert check_keys(child, {}) == []  # nothing to check against


VALIDATOR = '''
import polars as pl
from cmokit.rules import Context, Rule, Validator, WARNING


def validators(ctx: Context):
    studies = Validator("studies", [
        Rule("demo.positive", ok=ctx.num("n") > 0, field="n", message="n is {n}: it must be positive."),
        Rule("demo.note", ok=~ctx.absent("note"), field="note", message=lambda r: f"note of {r['sid']}",
             severity=WARNING),
    ], name="demo")

    def count(frames, ctx):
        c = frames["cmo"].group_by("sid").agg(pl.len().alias("k"))
        return frames["studies"].join(c, on="sid", how="left").with_columns(pl.col("k").fill_null(0))

    cross = Validator("studies", [Rule("demo.cross", ok=pl.col("k") > 0, field="sid",
                                       message="study '{sid}' has no cmo row")], needs=("cmo",), prepare=count)
    return [studies, cross]
'''


@pytest.fixture
def mini(tmp_path) -> Path:
    root = tmp_path / "mini"
    (root / "validators").mkdir(parents=True)
    (root / "validators" / "demo.py").write_text(VALIDATOR)
    studies = {"fields": [{"name": "sid", "type": "string", "constraints": {"required": True,
                                                                          "pattern": "^s[0-9]$"}},
                          {"name": "n", "type": "integer"}, {"name": "note", "type": "string"}],
               "missingValues": ["", "NR", "NA"], "primaryKey": ["sid"]}
    cmo = {"fields": [{"name": "sid", "type": "string"}, {"name": "k", "type": "integer"}],
           "missingValues": ["", "NR"], "primaryKey": ["sid", "k"],
           "foreignKeys": [{"fields": "sid", "reference": {"resource": "studies", "fields": "sid"}}]}
    (root / "datapackage.json").write_text(json.dumps({"name": "mini", "resources": [
        {"name": "studies", "path": "studies.csv", "schema": studies},
        {"name": "cmo", "path": "cmo.csv", "schema": cmo}]}))
    (root / "studies.csv").write_text("sid,n,note\ns1,1,x\ns2,0,NR\ns3,5,y\nS4,2,z\n")
    (root / "cmo.csv").write_text("sid,k\ns1,1\ns2,1\n")
    return root


def _run(root: Path, submission: bool = False, invalid=None):
    review = Review.open(root)
    tables = {r.name: read_table(r, r.path, r.path.name) for r in review.resources}
    return run_validators(review, tables, submission=submission, invalid=invalid)


def test_the_rule_engine(mini):
    problems, fatal = _run(mini)
    assert not fatal
    assert [(p.rule, p.line, p.field, p.value, p.severity, p.message) for p in problems] == [
        ("demo.positive", 3, "n", "0", "error", "n is 0: it must be positive."),
        ("demo.note", 3, "note", "NR", "warning", "note of s2"),
        ("demo.cross", 4, "sid", "s3", "error", "study 's3' has no cmo row"),
        ("demo.cross", 5, "sid", "S4", "error", "study 'S4' has no cmo row")]
    # a cell already reported invalid is null for the rules: its row's key cannot link, so no cross message
    problems, _ = _run(mini, invalid={"studies": {"sid": {5}}})
    assert [(p.rule, p.line) for p in problems if p.rule == "demo.cross"] == [("demo.cross", 4)]


def test_cross_table_rules_in_a_submission_skip_a_table_not_started(mini):
    (mini / "cmo.csv").write_text("sid,k\n")
    problems, _ = _run(mini, submission=True)
    assert [p.rule for p in problems] == ["demo.positive", "demo.note"]
    problems, _ = _run(mini)  # the consensus is checked in full
    assert [p.rule for p in problems].count("demo.cross") == 4


def test_broken_validator_code_is_fatal(mini):
    (mini / "validators" / "demo.py").write_text("raise RuntimeError('boom')\n")
    problems, fatal = _run(mini)
    assert fatal and [(p.rule, p.path) for p in problems] == [("rules.error", "validators")]
    assert "RuntimeError: boom" in problems[0].message
    (mini / "validators" / "demo.py").write_text("def validators(ctx):\n    raise ValueError('no')\n")
    problems, fatal = _run(mini)
    assert fatal and problems[0].message.startswith("validators/demo.py: validators() failed: ValueError: no.")
    (mini / "validators" / "_private.py").write_text("raise RuntimeError('never imported')\n")
    (mini / "validators" / "demo.py").write_text("def validators(ctx):\n    return []\n")
    assert _run(mini) == ([], False)


def test_the_codebook_matches_the_schemas(mini):
    codebook = {"fields": [{"name": n, "type": "string"} for n in ("table", "field", "code", "label")]}
    (mini / "datapackage.json").write_text(json.dumps({**json.loads((mini / "datapackage.json").read_text()),
                                                       "cmokit": {},  # the codebook is a cmokit convention
                                                       "resources": [*json.loads((mini / "datapackage.json")
                                                                                 .read_text())["resources"],
                                                                     {"name": "codebook", "path": "codebook.csv",
                                                                      "schema": codebook}]}))
    schema = json.loads((mini / "datapackage.json").read_text())
    schema["resources"][1]["schema"]["fields"].append({"name": "kind", "type": "string",
                                                       "constraints": {"enum": ["x", "y"]}})
    (mini / "datapackage.json").write_text(json.dumps(schema))
    (mini / "codebook.csv").write_text("table,field,code,label\ncmo,kind,x,X\ncmo,kind,z,Z\nstudies,n,1,one\n"
                                       "*,*,NR,not reported\n")
    from cmokit.validation.keys import check_codebook

    review = Review.open(mini)
    res = review.resource("codebook")
    found = [(p.rule, p.line, p.field, p.value, p.message) for p in check_codebook(
        review, read_table(res, res.path, "codebook.csv"))]
    assert found == [
        ("codebook.mismatch", 3, "code", "z", "code 'z' of cmo.kind is not allowed by schema/cmo.schema.json. Add it "
                                              "to the schema's codes or delete this codebook row."),
        ("codebook.mismatch", 4, "field", "n", "codebook row for studies.n, which is not a coded field of the schemas "
                                               "(no enum or code list). Fix the table/field names or delete the row."),
        ("codebook.mismatch", None, "code", "y", "code 'y' of cmo.kind (allowed by its schema) has no row in "
                                                 "codebook.csv. Add a row: cmo,kind,y,<label>,<definition>.")]
    bare = resource({"fields": [{"name": "table", "type": "string"}]}, "codebook")
    assert check_codebook(review, table([{"table": "cmo"}], bare)) == []


def test_the_context_helpers():
    import polars as pl

    from cmokit.validation.rules import Context, _Row

    df = pl.DataFrame({"v": ["2018-06-08", "NR", "", "x", None], "s": ["included", "excluded", "included", "", None],
                       "n": ["1.5", "NA", "", "2", None]})
    ctx = Context(params={"included_code": "included"})
    sub = Context(params={}, submission=True)
    out = df.select(ctx.date("v").alias("d"), ctx.given("v").alias("g"), ctx.absent("v").alias("a"),
                    sub.absent("v").alias("sa"), ctx.included("s").alias("i"), sub.included("s").alias("si"),
                    ctx.num("n").alias("n"), ctx.col("s").alias("c"))
    assert out["d"].to_list()[:2] == [__import__("datetime").date(2018, 6, 8), None]
    assert out["g"].to_list() == [True, False, False, True, False]
    assert out["a"].to_list() == [False, True, True, False, True]
    assert out["sa"].to_list() == [False, True, False, False, True]  # an empty cell is work to do, not absent
    assert out["i"].to_list() == [True, False, True, False, None]
    assert out["si"].to_list() == [True] * 5  # no included code configured: every study counts as included
    assert out["n"].to_list() == [1.5, None, None, 2.0, None] and out["c"].to_list() == df["s"].to_list()
    row = _Row({"a": None, "b": 1})
    assert "{a}|{b}|{c}".format_map(row) == "|1|"


def test_patterns_polars_cannot_compile_fall_back_to_python():
    """A look-around (unsupported by polars) is matched with Python's re; an invalid pattern is refused with the
    schema."""
    look = {"fields": [{"name": "w", "type": "string", "constraints": {"pattern": "(?=.*[0-9])[a-z0-9]+"}}]}
    assert [p.rule for p in check_value(resource(look), "w", "abc1")] == []
    assert [(p.rule, p.value) for p in check_value(resource(look), "w", "abc")] == [("constraint.pattern", "abc")]
    assert [p.rule for p in check_value(resource(look), "w", "x1!")] == ["constraint.pattern"]  # a full match
    broken = {"fields": [{"name": "w", "type": "string", "constraints": {"pattern": "(["}}]}
    with pytest.raises(Exception, match="is not a regular expression"):  # refused with the schema (schema.invalid)
        resource(broken)


MORE = '''
import polars as pl
from cmokit.rules import Context, Rule, Validator


def validators(ctx: Context):
    low = ctx.params["low"]
    return [
        Validator("nowhere", [Rule("more.never", ok=pl.lit(False), field="x", message="never")]),
        Validator("studies", [Rule("more.low", ok=ctx.num("n") >= low, field="n", message="n below {n}")],
                  name="low"),
        Validator("studies", [Rule("more.sub", ok=pl.col("n").is_null() | pl.lit(not ctx.submission), field="sid",
                                   message="sub")]),
        Validator("studies", [Rule("more.note", ok=pl.col("note").is_null() | (pl.col("note") != "bad"),
                                   field="note", message="bad note")]),
        Validator("studies", [Rule("more.rows", ok=pl.col("k") > 0, field="sid", message="{sid}: no row")],
                  needs=("cmo",), prepare=lambda f, c: f["studies"].join(
                      f["cmo"].group_by("study").agg(pl.len().alias("k")), left_on="sid", right_on="study",
                      how="left").with_columns(pl.col("k").fill_null(0))),
    ]
'''


def test_the_rule_engine_with_several_modules_and_validators(mini):
    """Modules in name order (one without validators() is passed over); validators whose table is absent are
    skipped and the next ones still run; parameters and the submission flag reach the rules; ragged rows of a
    needed table still count, but a ragged row of the checked table is not checked; a column the file lacks is
    null; a foreign key may use other field names than the key it refers to."""
    (mini / "validators" / "demo.py").unlink()
    (mini / "validators" / "a_helpers.py").write_text("X = 1\n")
    (mini / "validators" / "more.py").write_text(MORE)
    d = json.loads((mini / "datapackage.json").read_text())
    d["cmokit"] = {"low": 2}
    cmo = d["resources"][1]["schema"]
    cmo["fields"][0]["name"] = "study"
    cmo["primaryKey"] = ["study", "k"]
    cmo["foreignKeys"] = [{"fields": ["study"], "reference": {"resource": "studies", "fields": ["sid"]}}]
    (mini / "datapackage.json").write_text(json.dumps(d))
    (mini / "studies.csv").write_text("sid,n,note\ns1,1,bad\ns2,5,ok\ns3,3,ok\ns4,4\n")
    (mini / "cmo.csv").write_text("study,k\ns1,1\ns2,1,extra\n")
    problems, fatal = _run(mini)
    assert not fatal
    assert sorted((p.rule, p.line) for p in problems) == [
        ("more.low", 2), ("more.note", 2), ("more.rows", 4)]  # s2's only cmo row is ragged: it still counts
    problems, _ = _run(mini, submission=True)
    assert sorted((p.rule, p.line) for p in problems) == [
        ("more.low", 2), ("more.note", 2), ("more.rows", 4), ("more.sub", 2), ("more.sub", 3), ("more.sub", 4)]
    (mini / "studies.csv").write_text("sid,n\ns1,5\n")  # no note column: null for the rules
    problems, _ = _run(mini)
    assert problems == []
    (mini / "validators" / "more.py").write_text(MORE.replace('ctx.params["low"]', 'ctx.params["nope"]'))
    problems, fatal = _run(mini)
    assert fatal and [(p.rule, p.path) for p in problems] == [("rules.error", "validators/more.py")]
    (mini / "validators" / "more.py").write_text(MORE.replace("prepare=lambda f, c: f", "prepare=lambda f, c: g"))
    problems, fatal = _run(mini)
    assert fatal and problems[-1].rule == "rules.error" and problems[-1].path == "validators/more.py"
    assert problems[-1].message.startswith("validators/more.py: a validator for studies failed: NameError")


# ------------------------------------------------------------------ keys: every attribute of their problems
def _problems(found) -> list[tuple]:
    return [(p.rule, p.resource, p.path, p.line, p.field, p.value, p.message) for p in found]


PARENT = {"fields": [{"name": "id", "type": "string"}], "primaryKey": ["id"], "missingValues": ["", "NR"]}
CHILD = {"fields": [{"name": "pid", "type": "string"}, {"name": "x", "type": "string"}],
         "missingValues": ["", "NR"], "foreignKeys": [{"fields": "pid", "reference": {"resource": "parent",
                                                                                        "fields": "id"}}]}


def test_a_foreign_key_problem_in_full_with_its_hints():
    parent = table([{"id": "Alpha"}, {"id": "beta"}, {"id": "NR"}], resource(PARENT, "parent"))
    child = table([{"pid": "Alpha"}, {"pid": " alpha"}, {"pid": "betx"}, {"pid": "zzz"}, {"pid": "NR"}],
                  resource(CHILD, "child"))
    tail = "has no matching row in parent (parent.csv)."
    fix = " Correct the id, or add the row to parent first."
    assert _problems(check_keys(child, {"parent": parent})) == [
        ("key.foreign", "child", "child.csv", 3, "pid", " alpha", f"pid ' alpha' {tail} Did you mean 'Alpha'?{fix}"),
        ("key.foreign", "child", "child.csv", 4, "pid", "betx", f"pid 'betx' {tail} Did you mean 'beta'?{fix}"),
        ("key.foreign", "child", "child.csv", 5, "pid", "zzz", f"pid 'zzz' {tail}{fix}")]
    # orphans come in line order, whatever the order of the rows of the target
    child = table([{"pid": "q2"}, {"pid": "Alpha"}, {"pid": "a1"}], resource(CHILD, "child"))
    assert [(p.line, p.value) for p in check_keys(child, {"parent": parent})] == [(2, "q2"), (4, "a1")]


def test_a_foreign_key_to_the_same_table_and_one_of_two_fields():
    tree = {"fields": [{"name": "id", "type": "integer"}, {"name": "up", "type": "integer"}],
            "missingValues": ["", "NR"], "primaryKey": ["id"],
            "foreignKeys": [{"fields": "up", "reference": {"resource": "", "fields": "id"}}]}
    t = table([{"id": "1", "up": ""}, {"id": "2", "up": "01"}, {"id": "3", "up": "4"}, {"id": "4", "up": "5"}],
              resource(tree, "tree"))
    found = check_keys(t, {})
    assert [(p.rule, p.line, p.field, p.value) for p in found] == [("key.foreign", 5, "up", "5")]
    assert found[0].message == ("up '5' has no matching row in tree (tree.csv). Correct the id, or add the row to "
                                "tree first.")
    pair = {"fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "integer"}],
            "primaryKey": ["a", "b"], "missingValues": ["", "NR"]}
    ref = {"fields": [{"name": "sa", "type": "string"}, {"name": "sb", "type": "integer"}],
           "missingValues": ["", "NR"],
           "foreignKeys": [{"fields": ["sa", "sb"], "reference": {"resource": "pair", "fields": ["a", "b"]}}]}
    target = table([{"a": "x", "b": "1"}, {"a": "y", "b": "2"}], resource(pair, "pair"))
    src = table([{"sa": "x", "sb": "01"}, {"sa": "x", "sb": "2"}, {"sa": "y", "sb": "NR"}, {"sa": "X", "sb": "1"}],
                resource(ref, "src"))
    assert _problems(check_keys(src, {"pair": target})) == [
        ("key.foreign", "src", "src.csv", 3, "sa", "x, 2", "sa, sb 'x, 2' has no matching row in pair (pair.csv). "
                                                        "Correct the id, or add the row to pair first."),
        ("key.foreign", "src", "src.csv", 5, "sa", "X, 1", "sa, sb 'X, 1' has no matching row in pair (pair.csv). "
                                                        "Correct the id, or add the row to pair first.")]
    # a target without one of the referenced columns, or a source without a key column: nothing to compare
    narrow = table([{"a": "x"}], resource({"fields": [{"name": "a", "type": "string"}]}, "pair"))
    assert check_keys(src, {"pair": narrow}) == []
    assert check_keys(src, {"pair": None}) == []


def test_duplicate_unique_keys_in_full():
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "a", "type": "string"},
                         {"name": "b", "type": "integer"}],
              "missingValues": ["", "NR"], "primaryKey": ["id"], "uniqueKeys": [["a", "b"]]}
    t = table([{"id": "1", "a": "x", "b": "1"}, {"id": "2", "a": "x", "b": "2"}, {"id": "3", "a": "x", "b": "01"},
               {"id": "4", "a": "x", "b": "NR"}, {"id": "5", "a": "x", "b": "NR"}, {"id": "01", "a": "y", "b": "1"},
               {"id": "6", "a": "x", "b": "+1"}], resource(schema, "u"))
    assert _problems(check_keys(t, {})) == [
        ("key.primary", "u", "u.csv", 7, "id", "01", "duplicate primary key (id='01'): line 2 has the same key. Each "
                                                    "row needs its own key; renumber or merge the rows."),
        ("key.unique", "u", "u.csv", 4, "b", "x, 01", "duplicate unique key (a='x', b='01'): line 2 has the same key. "
                                                     "These fields must not repeat together; correct one of the rows."),
        ("key.unique", "u", "u.csv", 8, "b", "x, +1", "duplicate unique key (a='x', b='+1'): line 2 has the same key. "
                                                     "These fields must not repeat together; correct one of the rows.")]


def test_the_codebook_check_applies_only_with_the_conventions_and_its_three_columns(mini):
    from cmokit.validation.keys import check_codebook

    d = json.loads((mini / "datapackage.json").read_text())
    d["resources"][1]["schema"]["fields"].append({"name": "kind", "type": "string",
                                                  "constraints": {"enum": ["x", "y"]}})
    (mini / "datapackage.json").write_text(json.dumps({**d, "cmokit": {}}))
    review = Review.open(mini)
    three = {"fields": [{"name": n, "type": "string"} for n in ("table", "field", "code")]}
    # exactly the three columns it needs (no label); a wildcard row first does not end the reading
    cb = table([{"table": "*", "field": "*", "code": "NR"}, {"table": "cmo", "field": "kind", "code": "x"},
                {"table": "cmo", "field": "kind", "code": "z"}], resource(three, "codebook"))
    assert [(p.rule, p.line, p.field, p.value) for p in check_codebook(review, cb)] == [
        ("codebook.mismatch", 4, "code", "z"), ("codebook.mismatch", None, "code", "y")]
    plain = Resource.from_schema("codebook", three, path=Path("codebook.csv"), rel_path="codebook.csv",
                                 conventions=False)
    cb = table([{"table": "cmo", "field": "kind", "code": "z"}], plain)
    assert check_codebook(review, cb) == []  # not a cmokit review: the codebook is just a table
    two = {"fields": [{"name": n, "type": "string"} for n in ("table", "field")]}
    assert check_codebook(review, table([{"table": "cmo", "field": "kind"}], resource(two, "codebook"))) == []


def test_context_dates_are_iso_only():
    """Only YYYY-MM-DD is a date for the rules: a slash date, though polars could guess its format, is not."""
    import datetime

    import polars as pl

    from cmokit.validation.rules import Context

    df = pl.DataFrame({"v": ["2018-06-08", "2018/06/08", "08/06/2018", "2018-13-01"]})
    got = df.select(Context(params={}).date("v")).to_series().to_list()
    assert got == [datetime.date(2018, 6, 8), None, None, None]


# ------------------------------------------------------------------ cells: every attribute of their problems
def _full(found) -> list[tuple]:
    return [(p.rule, p.severity, p.resource, p.path, p.line, p.field, p.value, p.message) for p in found]


def test_a_cell_problem_in_full():
    found = check_value(resource(), "x", "3", path="p.csv", line=7)
    assert _full(found) == [("constraint.maximum", "error", "t", "p.csv", 7, "x", "3",
                             "'3' is too large: the value must be at most 2.5.")]
    # in a submission too, a broken constraint is an error (only a blank cell is a warning there)
    assert _full(check_value(resource(), "x", "-2", submission=True)) == [
        ("constraint.minimum", "error", "t", "", 0, "x", "-2", "'-2' is too small: the value must be at least -1.5.")]


def test_required_messages():
    assert [p.message for p in check_value(resource(), "id", "")] == [
        "id is required: the cell is empty; write the value (NR and NA are not allowed here)."]
    assert [p.message for p in check_value(resource(), "id", "NA")] == [
        "id is required: 'NA' (a missing value) is not allowed here; write the value."]
    labelled = {"fields": [{"name": "k", "type": "string"}, {"name": "v", "type": "string"}],
                "missingValues": [{"value": "", "label": ""}, {"value": "NR", "label": "not reported"}],
                "primaryKey": ["k"]}
    assert [(p.rule, p.message) for p in check_value(resource(labelled), "k", "NR")] == [
        ("constraint.required", "k is part of the primary key, so it is required: 'NR' (not reported) is not allowed "
                                "here; write the value.")]
    only_blank = {"fields": [{"name": "k", "type": "string", "constraints": {"required": True}}],
                  "missingValues": [""]}
    assert [p.message for p in check_value(resource(only_blank), "k", "")] == [
        "k is required: the cell is empty; write the value."]


def test_blank_cell_messages():
    assert [(p.severity, p.message) for p in check_value(resource(), "code", "")] == [
        ("error", "empty cell (not yet extracted): extract the value, or write NR (not reported) / NA (not "
                  "applicable).")]
    assert [(p.severity, p.message) for p in check_value(resource(), "code", "", submission=True)] == [
        ("warning", "empty cell (not yet extracted): fill it in before submitting.")]
    labelled = {**SCHEMA, "missingValues": [{"value": "", "label": "to do"}, {"value": "NR", "label": "nr"}]}
    assert [p.message for p in check_value(resource(labelled), "code", "", submission=True)] == [
        "empty cell (to do): fill it in before submitting."]
    # the codebook is not extracted: an empty cell there is simply missing; nor outside a cmokit review
    assert check_value(resource(SCHEMA, "codebook"), "code", "") == []
    plain = Resource.from_schema("t", SCHEMA, path=Path("t.csv"), rel_path="t.csv", conventions=False)
    assert check_value(plain, "code", "") == []


def test_exclusive_bounds_and_length_messages():
    schema = {"fields": [{"name": "e", "type": "number", "constraints": {"exclusiveMinimum": 0,
                                                                          "exclusiveMaximum": 10}},
                         {"name": "w", "type": "string", "constraints": {"minLength": 2, "maxLength": 4}}],
              "missingValues": ["", "NR"]}
    res = resource(schema)

    def got(field, value):
        return [(p.rule, p.message) for p in check_value(res, field, value)]

    assert got("e", "0.001") == [] and got("e", "9.999") == []
    assert got("e", "0") == [("constraint.exclusiveMinimum", "'0' is too small: the value must be more than 0.")]
    assert got("e", "10") == [("constraint.exclusiveMaximum", "'10' is too large: the value must be less than 10.")]
    assert got("w", "ab") == [] and got("w", "abcd") == []
    assert got("w", "a") == [("constraint.minLength", "the text has 1 characters; it must have at least 2.")]
    assert got("w", "abcde") == [("constraint.maxLength", "the text has 5 characters; it must have at most 4.")]


def test_codes_categories_and_their_messages():
    from cmokit.validation.messages import code_message, multi_code_message, multi_pattern_message, type_message

    schema = {"fields": [{"name": "n", "type": "integer", "constraints": {"enum": [1, 2]}},
                         {"name": "cat", "type": "string", "categories": ["low", "high"]},
                         {"name": "codes", "type": "string", "cmokit:codes": "multiple",
                          "constraints": {"enum": ["p", "q"], "pattern": "^(p|q)(; (p|q))*$"}}],
              "missingValues": ["", "NR"]}
    res = resource(schema)
    f = {n: res.field(n) for n in ("n", "cat", "codes")}

    def got(field, value):
        return [(p.rule, p.message) for p in check_value(res, field, value)]

    assert got("n", "01") == [] and got("n", "+2") == []  # by logical value
    assert got("n", "3") == [("constraint.enum", code_message("3", f["n"].enum, res))]
    assert got("n", "x") == [("type.integer", type_message(f["n"], "x", res))]
    assert got("cat", "low") == []
    assert got("cat", "mid") == [("constraint.categories", code_message("mid", f["cat"].categories, res,
                                                                         "category"))]
    assert got("codes", "q; p") == []
    def expect(rule, msg):  # a message builder may return several messages, some with a more precise rule
        msgs = msg if isinstance(msg, list) else [msg]
        return [m if isinstance(m, tuple) else (rule, m) for m in msgs]

    assert got("codes", "p;  q") == expect("constraint.enum", multi_code_message("p;  q", f["codes"].codes(), res))
    assert got("codes", "p; r; s") == expect("constraint.enum", multi_code_message("p; r; s", f["codes"].codes(),
                                                                                     res))
    assert len(got("codes", "p; r; s")) == 2  # one problem per bad code
    assert got("codes", "p;q") == expect("constraint.pattern", multi_pattern_message("p;q", f["codes"].codes()))


def test_unique_is_left_to_the_key_check_for_a_sole_primary_key():
    schema = {"fields": [{"name": "id", "type": "integer", "constraints": {"unique": True}},
                         {"name": "u", "type": "integer", "constraints": {"unique": True}}],
              "missingValues": ["", "NR"], "primaryKey": ["id"]}
    res = resource(schema)
    t = table([{"id": "1", "u": "5"}, {"id": "01", "u": "05"}, {"id": "2", "u": "NR"}, {"id": "3", "u": "NR"}], res)
    assert [(p.rule, p.line, p.field, p.value, p.message) for p in check_cells(t)] == [
        ("constraint.unique", 3, "u", "05", "'05' must be unique in u, but line 2 has the same value. Correct one of "
                                            "them.")]
    assert [(p.rule, p.line) for p in check_keys(t, {})] == [("key.primary", 3)]
    two = {**schema, "primaryKey": ["id", "u"]}
    t = table([{"id": "1", "u": "5"}, {"id": "01", "u": "6"}], resource(two))
    assert [(p.rule, p.line, p.field) for p in check_cells(t)] == [("constraint.unique", 3, "id")]


LINKS = '''
import polars as pl
from cmokit.rules import Context, Rule, Validator


def validators(ctx: Context):
    def studies_with_rows(f, c):
        k = f["cmo"].group_by("study").agg(pl.len().alias("k"))
        return f["studies"].join(k, left_on="sid", right_on="study", how="left").with_columns(pl.col("k").fill_null(0))

    def rows_with_study(f, c):
        return f["cmo"].join(f["studies"].select("sid", pl.lit(1).alias("s")), left_on="study", right_on="sid",
                             how="left")

    return [
        Validator("studies", [Rule("links.rows", ok=pl.col("k") > 0, field="sid", message="{sid}: no row")],
                  needs=("cmo",), prepare=studies_with_rows),
        Validator("cmo", [Rule("links.study", ok=pl.col("s").is_not_null(), field="study",
                               message="row {k}: study '{study}' unknown")],
                  needs=("other", "studies"), prepare=rows_with_study),
        Validator("studies", [Rule("links.n", ok=ctx.num("n") > 0, field=lambda r: "n" if r["n"] else "sid",
                                   message="n {n} {nothere}")]),
        Validator("studies", [Rule("links.gone", ok=pl.col("gone").is_not_null(), field="gone",
                                   message="gone is {gone}")]),
    ]
'''


def test_cross_table_rules_link_by_the_foreign_key_either_way(mini):
    """A cross-table validator leaves out the rows of its table whose key to a needed table is blank or invalid,
    whichever of the two tables holds the foreign key and whatever its fields are called there; a needed table
    without a key to it filters nothing. A rule's null is a pass; its field may be computed from the row; a value
    the table lacks is None."""
    (mini / "validators" / "demo.py").unlink()
    (mini / "validators" / "links.py").write_text(LINKS)
    d = json.loads((mini / "datapackage.json").read_text())
    d["resources"][0]["schema"]["fields"].append({"name": "gone", "type": "string"})
    cmo = d["resources"][1]["schema"]
    cmo["fields"][0]["name"] = "study"
    cmo["fields"][0]["constraints"] = {"pattern": "^s[0-9]$"}
    cmo["primaryKey"] = ["study", "k"]
    cmo["foreignKeys"] = [{"fields": ["study"], "reference": {"resource": "studies", "fields": ["sid"]}}]
    d["resources"].append({"name": "other", "path": "other.csv", "schema": {"fields": [{"name": "o",
                                                                                        "type": "string"}]}})
    (mini / "datapackage.json").write_text(json.dumps(d))
    (mini / "studies.csv").write_text("sid,n,note,gone\ns1,1,x,g\ns2,NR,y,g\n,3,z,g\nS4,2,z,g\ns5,0,w,bad\n")
    (mini / "cmo.csv").write_text("study,k\ns1,1\ns9,1\n,2\nS4,3\n")
    (mini / "other.csv").write_text("o\nx\n")
    problems, fatal = _run(mini, invalid={"studies": {"sid": {5}, "gone": {6}}, "cmo": {"study": {5}}})
    assert not fatal
    got = sorted((p.rule, p.resource, p.path, p.line, p.field, p.value, p.message) for p in problems)
    assert got == [
        ("links.gone", "studies", "studies.csv", 6, "gone", None, "gone is "),
        ("links.n", "studies", "studies.csv", 6, "n", "0", "n 0 "),
        ("links.rows", "studies", "studies.csv", 3, "sid", "s2", "s2: no row"),
        ("links.rows", "studies", "studies.csv", 6, "sid", "s5", "s5: no row"),
        ("links.study", "cmo", "cmo.csv", 3, "study", "s9", "row 1: study 's9' unknown")]


def test_json_schema_no_missing_values_and_an_empty_table():
    from cmokit.validation.messages import json_schema_message

    schema = {"fields": [{"name": "o", "type": "object", "constraints": {"jsonSchema": {
        "type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}}},
                         {"name": "n", "type": "integer"}], "missingValues": []}
    res = resource(schema)
    assert check_value(res, "o", '{"a": 1}') == []
    assert [(p.rule, p.message) for p in check_value(res, "o", '{"a": "x"}')] == [
        ("constraint.jsonSchema", json_schema_message(res.field("o"), '{"a": "x"}'))]
    assert [p.rule for p in check_value(res, "o", "{}")] == ["constraint.jsonSchema"]
    # no missing values at all: an empty cell is a value, and not a whole number
    assert [(p.rule, p.value) for p in check_value(res, "n", "")] == [("type.integer", "")]
    assert check_cells(table([], resource())) == []  # a header and no rows


ENGINE = '''
from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from cmokit.rules import Context, Rule, Validator


@dataclass
class Band:  # a dataclass in a validator module: needs the module registered under its name
    low: int


def validators(ctx: Context):
    band = Band(ctx.params.get("low", 1))

    def with_rows(f, c):
        k = f["cmo"].group_by("study").agg(pl.len().alias("k"))
        return (f["studies"].join(k, left_on="sid", right_on="study", how="left")
                .with_columns(pl.col("k").fill_null(0), pl.lit(c.params["low"]).alias("low")))

    return [
        Validator("studies", [Rule("e.rows", ok=pl.col("k") >= pl.col("low"), field="sid", message="{sid}: rows")],
                  needs=("cmo",), prepare=with_rows),
        Validator("studies", [Rule("e.included", ok=~ctx.included() | (ctx.num("n") >= band.low), field="n",
                                   message="{sid}: n {n}")]),
        Validator("studies", [Rule("e.sub", ok=pl.col("sid").is_null() | pl.lit(not ctx.submission), field="sid",
                                   message="sub")]),
    ]
'''


def _engine(mini: Path) -> None:
    (mini / "validators" / "demo.py").unlink()
    (mini / "validators" / "_skipped.py").write_text("raise RuntimeError('never imported')\n")
    (mini / "validators" / "engine.py").write_text(ENGINE)
    d = json.loads((mini / "datapackage.json").read_text())
    d["cmokit"] = {"low": 1, "included_code": "in"}
    st = d["resources"][0]["schema"]
    st["fields"][0]["constraints"]["pattern"] = "^s[0-9]+$"
    st["fields"].append({"name": "status", "type": "string", "cmokit:study": "inclusion"})
    cmo = d["resources"][1]["schema"]
    cmo["fields"][0] = {"name": "study", "type": "string", "constraints": {"pattern": "^s[0-9]$"}}
    cmo["primaryKey"] = ["study", "k"]
    cmo["foreignKeys"] = [{"fields": ["study"], "reference": {"resource": "studies", "fields": ["sid"]}}]
    (mini / "datapackage.json").write_text(json.dumps(d))
    (mini / "studies.csv").write_text("sid,n,note,status\ns1,0,x,in\ns2,0,y,out\ns10,2,z,in\n")
    (mini / "cmo.csv").write_text("study,k\ns1,1\ns2,1\ns10,1\n")


def test_the_rule_engine_passes_its_context_and_keeps_invalid_links_out(mini, monkeypatch):
    """Modules starting with '_' are skipped and the next still load (a dataclass in one works); the inclusion
    field and parameters reach the rules and prepare steps; a needed table's invalid key cell links nothing; no
    bytecode is written and the interpreter's setting is restored; by default the consensus is checked."""
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as in a plain interpreter
    _engine(mini)
    review = Review.open(mini)
    tables = {r.name: read_table(r, r.path, r.path.name) for r in review.resources}
    problems, fatal = run_validators(review, tables, invalid={"cmo": {"study": {4}}})
    assert not fatal
    assert sorted((p.rule, p.line, p.value) for p in problems) == [("e.included", 2, "0"), ("e.rows", 4, "s10")]
    assert sys.dont_write_bytecode is False and not (mini / "validators" / "__pycache__").exists()
    problems, _ = run_validators(review, tables)  # s10's cmo row counts when it is not reported invalid
    assert [p.rule for p in problems] == ["e.included"]


def test_a_submission_skips_only_the_validators_whose_needed_table_is_not_started(mini):
    _engine(mini)
    (mini / "cmo.csv").write_text("study,k\n")
    problems, fatal = _run(mini, submission=True)
    assert not fatal and [(p.rule, p.line) for p in problems] == [("e.included", 2), ("e.sub", 2), ("e.sub", 3),
                                                                  ("e.sub", 4)]


def test_an_absent_column_is_a_null_text_column_for_the_rules(mini):
    (mini / "validators" / "demo.py").write_text('''
import polars as pl
from cmokit.rules import Rule, Validator


def validators(ctx):
    return [Validator("studies", [Rule("t.len", ok=pl.col("note").str.len_chars() < 2, field="sid",
                                       message="long")])]
''')
    (mini / "studies.csv").write_text("sid,n\ns1,1\n")
    assert _run(mini) == ([], False)
    (mini / "studies.csv").write_text("sid,n,note\ns1,1,long\n")
    assert [(p.rule, p.line) for p in _run(mini)[0]] == [("t.len", 2)]


def test_a_case_only_difference_is_hinted_even_when_no_close_match_is_found():
    parent = table([{"id": "Alpha"}, {"id": "beta"}], resource(PARENT, "parent"))
    child = table([{"pid": "ALPHA"}, {"pid": " BETA "}], resource(CHILD, "child"))
    got = [p.message for p in check_keys(child, {"parent": parent})]
    assert got == ["pid 'ALPHA' has no matching row in parent (parent.csv). Did you mean 'Alpha'? Correct the id, or "
                   "add the row to parent first.",
                   "pid ' BETA ' has no matching row in parent (parent.csv). Did you mean 'beta'? Correct the id, or "
                   "add the row to parent first."]
    # a file without the foreign key's column: nothing to compare (its absence is reported elsewhere)
    res = resource(CHILD, "child")
    t = read_table(res, Path("child.csv"), "child.csv", data=b"x\n1\n")
    assert check_keys(t, {"parent": parent}) == []


def test_missing_values_are_not_checked_against_patterns_and_blanks_are_errors_by_default():
    assert rules_of("word", "NR") == [] and rules_of("codes", "NA") == [] and rules_of("x", "NR") == []
    t = table([{**GOOD, "code": ""}])
    assert [(p.rule, p.severity) for p in check_cells(t)] == [("extract.blank", "error")]


def test_rule_problems_come_row_by_row_then_rule_by_rule(mini):
    (mini / "validators" / "demo.py").write_text('''
import polars as pl
from cmokit.rules import Rule, Validator


def validators(ctx):
    n = ctx.num("n")
    return [Validator("studies", [Rule("o.first", ok=n != 5, field="n", message="five"),
                                  Rule("o.second", ok=n != 1, field="n", message="one"),
                                  Rule("o.third", ok=n != 2, field="n", message="two"),
                                  Rule("o.all", ok=n > 9, field="n", message="small")])]
''')
    (mini / "studies.csv").write_text("sid,n\ns1,1\ns2,2\ns3,5\ns4,10\n")
    problems, fatal = _run(mini)
    assert not fatal
    assert [(p.line, p.rule) for p in problems] == [(2, "o.second"), (2, "o.all"), (3, "o.third"), (3, "o.all"),
                                                    (4, "o.first"), (4, "o.all")]


def test_a_blank_key_of_spaces_links_nothing(mini):
    (mini / "studies.csv").write_text("sid,n,note\ns1,1,x\n   ,2,y\n")
    (mini / "cmo.csv").write_text("sid,k\ns1,1\n")
    problems, _ = _run(mini)
    assert [p.rule for p in problems if p.rule == "demo.cross"] == []


def test_a_maximum_length_alone_is_checked():
    only_max = {"fields": [{"name": "w", "type": "string", "constraints": {"maxLength": 3}}], "missingValues": [""]}
    assert [p.rule for p in check_value(resource(only_max), "w", "abc")] == []
    assert [p.rule for p in check_value(resource(only_max), "w", "abcd")] == ["constraint.maxLength"]
