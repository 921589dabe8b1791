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
