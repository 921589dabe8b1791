"""``cmokit validate`` / ``validate_review``: the bundled review, output formats, structure, cells, submissions."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmokit.cli import main
from cmokit.core.problems import Problem
from cmokit.validation.validate import validate_review

ROOT = Path(__file__).resolve().parents[1]
STUDIES = Path("extract/consensus/studies.csv")
CMO = Path("extract/consensus/cmo.csv")


def rows_of(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]], *, eol: str = "\n", encoding: str = "utf-8") -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def physical_lines(path: Path) -> list[int]:
    """First physical line of every data record, by the csv module."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        out, start = [], reader.line_num + 1
        for rec in reader:
            if rec:  # blank lines are not records
                out.append(start)
            start = reader.line_num + 1
    return out


def found(report) -> list[tuple]:
    return [(p.rule, p.resource, p.line, p.field) for p in report.errors]


def set_cell(root: Path, rel: Path, study: str, field: str, value: str, nth: int = 0) -> int:
    rows = rows_of(root / rel)
    col = rows[0].index(field)
    hits = [i for i, r in enumerate(rows) if i and r[0] == study]
    rows[hits[nth]][col] = value
    write_rows(root / rel, rows)
    return physical_lines(root / rel)[hits[nth] - 1]


# ------------------------------------------------------------------ the bundled review


def test_bundled_review_is_valid():
    report = validate_review(ROOT)
    assert report.valid and report.exit_code == 0 and not report.fatal
    assert report.errors == []
    assert report.rows["studies"] == 33 and report.rows["cmo"] >= 33
    # the two included studies whose mental-health outcome the paper does not document are flagged for a look
    assert {(p.rule, p.severity) for p in report.warnings} == {("inclusion.mh_outcome", "warning")}


def test_datapackage_json_path_and_cwd_default(monkeypatch):
    assert validate_review(ROOT / "datapackage.json").exit_code == 0
    monkeypatch.chdir(ROOT)
    assert validate_review().review == validate_review(ROOT).review


def test_cli_text_output_and_exit_code():
    result = CliRunner().invoke(main, ["validate", "-C", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "VALID: 0 errors" in result.output and "Summary" in result.output
    assert "Traceback" not in result.output


def test_cli_json_shape():
    result = CliRunner().invoke(main, ["validate", "-C", str(ROOT), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["valid"] is True and data["exit_code"] == 0
    assert data["review"] == "bauer-2021-social-support-children-mental-health"
    assert {"errors", "summary", "rows", "trusted", "submission", "fatal", "root"} <= set(data)
    for item in data["errors"]:
        assert list(item) == ["resource", "path", "sheet", "cell", "line", "field", "value", "rule", "message",
                              "severity"]
    assert data["summary"]["errors"] == 0
    assert data["summary"]["warnings"] == len(data["errors"])
    assert data["summary"]["rules"]["inclusion.mh_outcome"] == {"error": 0, "warning": 2}


def test_cli_github_format(review_copy):
    line = set_cell(review_copy, STUDIES, "eddy-2017", "year", "2,017")
    result = CliRunner().invoke(main, ["validate", "-C", str(review_copy), "--format", "github"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    errors = [x for x in lines if x.startswith("::error ")]
    assert errors == [f"::error file=extract/consensus/studies.csv,line={line},title=type.integer::year = '2,017': "
                      "'2,017' is not a whole number: write numbers without thousands separators: 2017."]
    assert any(x.startswith("::warning file=extract/consensus/studies.csv,line=") for x in lines)
    assert lines[-1].startswith("cmokit validate: INVALID (exit 1): 1 error")


def test_github_paths_are_relative_to_the_repository_root(tmp_path):
    from cmokit.core.problems import Report
    from cmokit.validation.render import github

    (tmp_path / ".git").mkdir()
    review = tmp_path / "reviews" / "mine"
    review.mkdir(parents=True)
    report = Report(review="r", root=str(review),
                    problems=[Problem(rule="type.date", message="50% done\nnext", path="extract/x.csv", line=3)])
    out = github(report).splitlines()
    assert out[0] == "::error file=reviews/mine/extract/x.csv,line=3,title=type.date::50%25 done%0Anext"


def test_validation_writes_nothing(review_copy, folder_state):
    before = folder_state(review_copy)
    CliRunner().invoke(main, ["validate", "-C", str(review_copy)])
    assert folder_state(review_copy) == before
    assert not list(review_copy.rglob("__pycache__"))


# ------------------------------------------------------------------ fatal input (exit 2)


def test_missing_descriptor_is_fatal_not_a_traceback(tmp_path):
    report = validate_review(tmp_path)
    assert report.exit_code == 2 and [p.rule for p in report.problems] == ["descriptor.missing"]
    result = CliRunner().invoke(main, ["validate", "-C", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2 and json.loads(result.output)["errors"][0]["rule"] == "descriptor.missing"


def test_invalid_json_descriptor(review_copy):
    (review_copy / "datapackage.json").write_text('{"resources": [}', encoding="utf-8")
    report = validate_review(review_copy)
    assert report.exit_code == 2
    (p,) = report.problems
    assert (p.rule, p.line) == ("descriptor.json", 1)


def test_missing_resource_file_is_fatal_and_the_rest_is_still_checked(review_copy):
    (review_copy / CMO).unlink()
    line = set_cell(review_copy, STUDIES, "eddy-2017", "year", "20l7")
    report = validate_review(review_copy)
    assert report.exit_code == 2
    assert ("file.missing", "cmo", None, None) in found(report)
    assert ("type.integer", "studies", line, "year") in found(report)


# ------------------------------------------------------------------ structure


def test_crlf_and_bom_are_accepted(review_copy):
    for rel in (STUDIES, CMO):
        path = review_copy / rel
        rows = rows_of(path)
        write_rows(path, rows, eol="\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = validate_review(review_copy)
    assert report.errors == [] and report.exit_code == 0


def test_crlf_keeps_physical_lines_with_multiline_cells(review_copy):
    path = review_copy / CMO
    rows = rows_of(path)
    write_rows(path, rows, eol="\r\n")
    lines = physical_lines(path)
    i = max(range(1, len(rows)), key=lambda k: sum(c.count("\n") for c in rows[k]))  # a record spanning lines
    rows[i][rows[0].index("ss_effect")] = "better"
    write_rows(path, rows, eol="\r\n")
    report = validate_review(review_copy)
    assert found(report) == [("constraint.enum", "cmo", lines[i - 1], "ss_effect")]
    assert lines[i - 1] > i + 1  # earlier records hold line breaks, so line != record number + 1


def test_latin1_file(review_copy):
    path = review_copy / STUDIES
    rows = rows_of(path)
    line = physical_lines(path)[4]
    rows[5][rows[0].index("first_author")] = "Müller"
    write_rows(path, rows, encoding="cp1252")
    report = validate_review(review_copy)
    (p,) = report.errors
    assert (p.rule, p.line, p.value) == ("file.encoding", line, "0xfc")
    assert "UTF-8" in p.message


def test_nul_bytes(review_copy):
    path = review_copy / STUDIES
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if "Ayton and Joss" in text)
    path.write_bytes(path.read_bytes().replace(b"Ayton and Joss", b"Ayton\x00and Joss", 1))
    report = validate_review(review_copy)
    assert ("file.nul", "studies", line, None) in found(report)


def test_empty_file(review_copy):
    (review_copy / STUDIES).write_bytes(b"")
    report = validate_review(review_copy)
    assert ("file.empty", "studies", None, None) in found(report)
    assert report.exit_code == 1


def test_semicolon_delimited_file(review_copy):
    path = review_copy / STUDIES
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows_of(path))
    path.write_text(buf.getvalue(), encoding="utf-8")
    report = validate_review(review_copy)
    assert [p for p in found(report) if p[1] == "studies"] == [("file.delimiter", "studies", 1, None)]


def test_header_problems(review_copy):
    path = review_copy / STUDIES
    rows = rows_of(path)
    h = rows[0]
    h[h.index("country")] = "Country "  # misnamed: case and a trailing space
    h[h.index("notes")] = ""  # blank name
    rows = [r + ["x"] for r in rows]
    rows[0][-1] = "provider"  # duplicate
    write_rows(path, rows)
    report = validate_review(review_copy)
    got = {(p.rule, p.line, p.field) for p in report.errors if p.resource == "studies"}
    assert got == {("header.extra", 1, "Country "), ("header.missing", 1, "country"), ("header.blank", 1, None),
                   ("header.missing", 1, "notes"), ("header.duplicate", 1, "provider")}
    extra = next(p for p in report.errors if p.rule == "header.extra")
    assert "did you mean 'country'" in extra.message


def test_columns_in_any_order(review_copy):
    path = review_copy / STUDIES
    rows = rows_of(path)
    order = list(reversed(range(len(rows[0]))))
    write_rows(path, [[r[i] for i in order] for r in rows])
    assert validate_review(review_copy).errors == []


def test_ragged_rows(review_copy):
    path = review_copy / CMO
    rows = rows_of(path)
    lines = physical_lines(path)
    rows[3] = rows[3][:-2]
    rows[7] = rows[7] + ["surplus"]
    write_rows(path, rows)
    report = validate_review(review_copy)
    assert [(p.rule, p.line) for p in report.errors] == [("row.ragged", lines[2]), ("row.ragged", lines[6])]
    assert "fewer" in report.errors[0].message and "more" in report.errors[1].message


def test_blank_lines_are_ignored_and_lines_stay_right(review_copy):
    path = review_copy / STUDIES
    set_cell(review_copy, STUDIES, "eddy-2017", "year", "x")
    head, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(head + "\n\n" + rest + "\n\n", encoding="utf-8")
    records = [r for r in rows_of(path)[1:] if r]
    line = physical_lines(path)[next(i for i, r in enumerate(records) if r[0] == "eddy-2017")]
    assert found(validate_review(review_copy)) == [("type.integer", "studies", line, "year")]


# ------------------------------------------------------------------ cells


@pytest.mark.parametrize(("field", "value", "rule", "hint"), [
    ("year", "2,017", "type.integer", "without thousands separators: 2017"),
    ("publication_date", "08/06/2018", "type.date", "write dates as YYYY-MM-DD, e.g. 2018-06-08"),
    ("publication_date", "2018-02-30", "type.date", "not a real calendar date"),
    ("ss_in_aims", "Yes", "type.boolean", "write yes or no"),
    ("ss_in_aims", "true", "type.boolean", "write yes or no"),
    ("age_mean", "7,5", "type.number", "use a decimal point"),
    ("inclusion_status", "included ", "constraint.enum", "remove the spaces"),
    ("age_band", "Children", "constraint.enum", "codes are lower case: write 'children'"),
    ("study_label", "NR", "constraint.required", "required"),
    ("ref_number", "0", "constraint.minimum", "at least 1"),
    ("intervention_type", "mentoring;  parenting", "constraint.enum", "remove the spaces"),
    ("intervention_type", "mentoring, parenting", "constraint.pattern", "separate codes with '; '"),
    ("intervention_type", "mentoring; tutoring", "constraint.enum", "'tutoring' is not allowed"),
    ("title", "", "extract.blank", "not yet extracted"),
])
def test_cell_problems(review_copy, field, value, rule, hint):
    line = set_cell(review_copy, STUDIES, "eddy-2017", field, value)
    report = validate_review(review_copy)
    assert found(report) == [(rule, "studies", line, field)]
    (p,) = report.errors
    assert p.value == value and hint in p.message and p.path == "extract/consensus/studies.csv"


def test_maximum(review_copy):
    set_cell(review_copy, STUDIES, "eddy-2017", "inclusion_status", "excluded")
    line = set_cell(review_copy, STUDIES, "eddy-2017", "year", "2101")
    assert found(validate_review(review_copy)) == [("constraint.maximum", "studies", line, "year")]


def test_required_blank_is_not_also_extract_blank(review_copy):
    line = set_cell(review_copy, STUDIES, "eddy-2017", "sources", "")
    assert found(validate_review(review_copy)) == [("constraint.required", "studies", line, "sources")]


def test_unique_and_primary_key(review_copy):
    path = review_copy / STUDIES
    rows = rows_of(path)
    first = set_cell(review_copy, STUDIES, "ayton-2016", "ref_number", "32")
    rows = rows_of(path)
    rows[4][rows[0].index("ref_number")] = "32"
    rows[6][0] = "ayton-2016"
    write_rows(path, rows)
    lines = physical_lines(path)
    report = validate_review(review_copy)
    got = {(p.rule, p.line, p.field) for p in report.errors if p.resource == "studies"}
    assert got == {("constraint.unique", lines[3], "ref_number"), ("key.primary", lines[5], "study_id")}
    uniq = next(p for p in report.errors if p.rule == "constraint.unique")
    assert f"line {first}" in uniq.message


def test_orphan_foreign_key(review_copy):
    line = set_cell(review_copy, CMO, "ayton-2016", "study_id", "Ayton-2016")
    report = validate_review(review_copy)
    fk = [p for p in report.errors if p.rule == "key.foreign"]
    assert [(p.resource, p.line, p.field) for p in fk] == [("cmo", line, "study_id")]
    assert "Did you mean 'ayton-2016'" in fk[0].message


def test_codebook_mismatch(review_copy):
    path = review_copy / "schema" / "codebook.csv"
    rows = rows_of(path)
    gone = next(i for i, r in enumerate(rows) if r[:3] == ["studies", "age_band", "children"])
    del rows[gone]
    rows.append(["studies", "age_band", "toddlers", "Toddlers", "Not a code of the schema."])
    write_rows(path, rows)
    report = validate_review(review_copy)
    got = {(p.rule, p.line, p.value) for p in report.errors}
    assert got == {("codebook.mismatch", None, "children"), ("codebook.mismatch", len(rows), "toddlers")}


# ------------------------------------------------------------------ submissions


def make_submission(review: Path, name: str, studies: list[str], tables=("studies", "cmo")) -> Path:
    folder = review / "extract" / "reviewers" / name
    folder.mkdir(parents=True)
    for t in tables:
        rows = rows_of(review / "extract" / "consensus" / f"{t}.csv")
        write_rows(folder / f"{t}.csv", [rows[0]] + [r for r in rows[1:] if r[0] in studies])
    return folder


def test_submission_subset_is_valid(review_copy, folder_state):
    make_submission(review_copy, "ab", ["ayton-2016", "eddy-2017"])
    before = folder_state(review_copy)
    result = CliRunner().invoke(main, ["validate", "-C", str(review_copy), "--reviewer", "ab", "--format", "json"])
    assert folder_state(review_copy) == before
    data = json.loads(result.output)
    assert result.exit_code == 0, result.output
    n_cmo = sum(r[0] in ("ayton-2016", "eddy-2017") for r in rows_of(review_copy / CMO)[1:])
    assert data["submission"] == "extract/reviewers/ab" and data["rows"] == {"studies": 2, "cmo": n_cmo}


def test_submission_blank_is_a_warning_and_fk_uses_its_studies(review_copy):
    folder = make_submission(review_copy, "ab", ["ayton-2016"], tables=("studies", "cmo", "measures"))
    rows = rows_of(folder / "studies.csv")
    rows[1][rows[0].index("country")] = ""
    rows[1][rows[0].index("study_label")] = ""
    write_rows(folder / "studies.csv", rows)
    mrows = rows_of(review_copy / "extract/consensus/measures.csv")
    write_rows(folder / "measures.csv", [mrows[0]] + [r for r in mrows[1:] if r[0] == "eddy-2017"])
    report = validate_review(review_copy, submission=folder)
    blank = [(p.rule, p.field, p.severity) for p in report.problems if p.rule == "extract.blank"]
    assert blank == [("extract.blank", "country", "warning")]
    assert ("constraint.required", "studies", 2, "study_label") in found(report)
    # eddy-2017 is in the consensus but not in this reviewer's studies.csv
    assert {p.rule for p in report.errors} == {"constraint.required", "key.foreign"}
    assert all(p.path.startswith("extract/reviewers/ab/") for p in report.problems)


def test_submission_without_studies_resolves_keys_against_consensus(review_copy):
    folder = make_submission(review_copy, "cd", ["eddy-2017"], tables=("cmo",))
    assert validate_review(review_copy, submission=folder).exit_code == 0
    line = set_cell(folder, Path("cmo.csv"), "eddy-2017", "study_id", "eddy-2071")
    assert found(validate_review(review_copy, submission=folder)) == [("key.foreign", "cmo", line, "study_id")]


def test_submission_cross_table_rules_only_among_present_tables(review_copy):
    # studies alone: no cmo or appraisal file, so cross.cmo / cross.appraisal do not apply
    folder = make_submission(review_copy, "ef", ["eddy-2017"], tables=("studies",))
    assert validate_review(review_copy, submission=folder).errors == []
    shutil.copy(review_copy / "extract/consensus/appraisal.csv", folder / "appraisal.csv")
    rows = rows_of(folder / "appraisal.csv")
    write_rows(folder / "appraisal.csv", [rows[0]])  # header only: not started, so not checked against
    assert validate_review(review_copy, submission=folder).errors == []
    write_rows(folder / "appraisal.csv", [rows[0], next(r for r in rows[1:] if r[0] != "eddy-2017")])
    assert sorted(p.rule for p in validate_review(review_copy, submission=folder).errors) == [
        "cross.appraisal", "key.foreign"]  # eddy-2017 is not appraised; the row's own study is not in studies.csv


def test_submission_folder_path_and_missing_reviewer(review_copy, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    rows = rows_of(review_copy / STUDIES)
    write_rows(outside / "studies.csv", rows[:3])
    result = CliRunner().invoke(main, ["validate", "-C", str(review_copy), "--reviewer", str(outside)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["validate", "-C", str(review_copy), "--reviewer", "nobody", "--format", "json"])
    assert result.exit_code == 2 and json.loads(result.output)["errors"][0]["rule"] == "file.missing"


def test_submission_symlink_leading_outside_is_not_read(review_copy, tmp_path):
    folder = make_submission(review_copy, "gh", ["eddy-2017"], tables=("cmo",))
    secret = tmp_path / "secret.csv"
    secret.write_text("study_id\nx\n", encoding="utf-8")
    (folder / "studies.csv").symlink_to(secret)
    report = validate_review(review_copy, submission=folder)
    assert report.exit_code == 2
    assert [(p.rule, p.resource) for p in report.errors] == [("path.unsafe", "studies")]


class _OneAtATime:
    """A stand-in for ThreadPoolExecutor that runs every task at once in the calling thread, in order."""

    made = 0

    def __init__(self, *args, **kwargs) -> None:
        _OneAtATime.made += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, fn, items):
        return [fn(i) for i in items]

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future: Future = Future()
        future.set_result(fn(*args))
        return future


def test_threads_change_nothing_in_the_report(review_copy, monkeypatch):
    """validate reads and checks files on several threads and checks keys beside the rules: the report (every
    problem, in order, and the rows per table in package order) must be the one a single thread gives."""
    set_cell(review_copy, Path("extract/consensus") / "studies.csv", "ayton-2016", "year", "20x6")
    set_cell(review_copy, Path("extract/consensus") / "cmo.csv", "ayton-2016", "ss_effect", "better")
    set_cell(review_copy, Path("extract/consensus") / "measures.csv", "ayton-2016", "study_id", "nobody-2020")
    set_cell(review_copy, Path("extract/consensus") / "appraisal.csv", "ayton-2016", "s1", "NA")
    threaded = validate_review(review_copy)
    import cmokit.validation.validate as module

    monkeypatch.setattr(module, "ThreadPoolExecutor", _OneAtATime)
    single = validate_review(review_copy)
    assert _OneAtATime.made == 2  # the files' pool and the keys' thread
    assert [p.rule for p in threaded.problems] == [p.rule for p in single.problems]
    assert len({p.rule for p in single.problems}) >= 4
    assert threaded.to_dict() == single.to_dict()
    names = [r["name"] for r in json.loads((review_copy / "datapackage.json").read_text())["resources"]]
    assert list(threaded.rows) == [n for n in names if n in threaded.rows] == list(single.rows)
