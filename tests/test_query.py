"""`cmokit query`: the read-only sandbox, output formats, SQL errors, named queries and their parameters, rebuilds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.synthesis.database import DEFAULT_DB
from cmokit.synthesis.query import list_named, parse_named, run_sql

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    """A copy of the bundled review, built once."""
    r = copy_review(tmp_path_factory.mktemp("query") / "review")
    assert CliRunner().invoke(main, ["build", "-C", str(r)]).exit_code == 0
    return r


def q(review: Path, *args: str):
    return CliRunner().invoke(main, ["query", "--review", str(review), *args])


# ----------------------------------------------------------------------------------------------- sandbox

OFF = "file system operations are disabled by configuration"  # enable_external_access = false
LOCKED = "the configuration has been locked"  # lock_configuration = true
READ_ONLY = "which is attached in read-only mode"  # read_only = True
REFUSALS = [
    ("SELECT * FROM read_csv('/etc/passwd')", OFF),
    ("SELECT * FROM read_text('/etc/hostname')", OFF),
    ("SELECT * FROM glob('/etc/*')", OFF),
    ("SELECT * FROM read_csv('https://example.com/data.csv')", OFF),
    ("ATTACH '{tmp}/other.duckdb' AS other", OFF),
    ("INSTALL httpfs", OFF),
    ("LOAD httpfs", "Loading external extensions is disabled through configuration"),
    ("SET threads = 1", LOCKED),
    ("SET enable_external_access = true", LOCKED),
    ("RESET lock_configuration", LOCKED),
    ("PRAGMA enable_profiling", LOCKED),
    ("SET memory_limit = '100GB'", LOCKED),
    ("SET temp_directory = '{tmp}'", LOCKED),
    ("CREATE TABLE x AS SELECT 1", READ_ONLY),
    ("DELETE FROM studies", READ_ONLY),
]


@pytest.mark.parametrize("sql,refusal", REFUSALS)
def test_sandbox_refuses(review, tmp_path, sql, refusal):
    """Each statement is refused by the sandbox's own setting (its message), not by chance (a read-only file, no
    network): the expected message names the setting that refuses it."""
    result = q(review, sql.format(tmp=tmp_path))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: SQL ")
    assert refusal in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_the_refusals_come_from_the_sandbox(review, tmp_path):
    """Without the sandbox the same statements are not refused that way: the test above can fail."""
    import shutil

    import duckdb

    from cmokit.synthesis.query import sql_error_message

    copy = tmp_path / "copy.duckdb"  # statements below change it
    shutil.copy(review / DEFAULT_DB, copy)
    con = duckdb.connect(str(copy), read_only=False)
    try:
        for sql, refusal in REFUSALS:
            if "httpfs" in sql or "https" in sql:
                continue  # offline here: they would fail anyway, the message above is the sandbox's
            try:
                con.execute(sql.format(tmp=tmp_path))
            except duckdb.Error as exc:
                assert refusal not in sql_error_message(exc, sql), sql
    finally:
        con.close()


@pytest.mark.parametrize("sql", [
    "COPY studies TO '{tmp}/out.csv'",
    "COPY (SELECT * FROM cmo) TO '{tmp}/out.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{tmp}/dump'",
])
def test_sandbox_refuses_writing_files(review, tmp_path, sql):
    result = q(review, sql.format(tmp=tmp_path))
    assert result.exit_code == 2
    assert "sandbox" in result.output
    assert list(tmp_path.iterdir()) == []


def test_sandbox_still_answers_queries(review):
    result = q(review, "SELECT count(*) AS n FROM studies", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output) == [{"n": 33}]


# ----------------------------------------------------------------------------------------------- errors and formats

def test_sql_error_is_one_line_with_its_position(review):
    result = q(review, "SELECT study_id\nFROM studies\nWHERE nonexistent = 1")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "nonexistent" in lines[0] and "line 3, column 7" in lines[0]
    result = q(review, "SELECT * FRM studies")
    assert result.exit_code == 2 and "syntax error" in result.output and "line 1, column 14" in result.output
    assert "Traceback" not in result.output


def test_formats(review):
    sql = "SELECT study_id, age_band, intervention_type, ss_in_aims, publication_date FROM studies " \
          "WHERE ref_number IN (32, 33) ORDER BY ref_number"
    rows = json.loads(q(review, sql, "--format", "json").output)
    assert rows == [
        {"study_id": "ayton-2016", "age_band": "children", "intervention_type": ["mentoring", "parenting"],
         "ss_in_aims": True, "publication_date": None},
        {"study_id": "letourneau-2011", "age_band": "infants", "intervention_type": ["peer_support", "parenting"],
         "ss_in_aims": True, "publication_date": None}]
    parsed = list(csv.DictReader(io.StringIO(q(review, sql, "--format", "csv").output)))
    assert parsed[0] == {"study_id": "ayton-2016", "age_band": "children", "intervention_type": "mentoring; parenting",
                         "ss_in_aims": "yes", "publication_date": ""}
    md = q(review, sql, "--format", "markdown").output.splitlines()
    assert md[0] == "| study_id | age_band | intervention_type | ss_in_aims | publication_date |"
    assert md[2].startswith("| ayton-2016 | children | mentoring; parenting | yes |") and len(md) == 4
    table = q(review, sql).output.splitlines()
    assert table[0].split() == ["study_id", "age_band", "intervention_type", "ss_in_aims", "publication_date"]
    assert table[-1] == "(2 rows)"


def test_dates_in_json(review):
    out = q(review, "SELECT DATE '2018-06-08' AS d, 1.5::DECIMAL(4,2) AS x", "--format", "json").output
    assert json.loads(out) == [{"d": "2018-06-08", "x": 1.5}]


def test_usage_errors(review):
    """Each usage error says what is wrong (not only exit 2)."""
    for args, text in (((), "give either SQL"), (("SELECT 1", "--name", "studies_by_age_band"), "give either SQL"),
                       (("SELECT 1", "--param", "a=b"), "--param goes with --name"),
                       (("--list", "SELECT 1"), "--list takes no SQL"),
                       (("--name", "../datapackage"), "is not a query name")):
        result = q(review, *args)
        assert result.exit_code == 2 and text in result.stderr, (args, result.output)
    result = q(review, "--name", "no_such_query")
    assert result.exit_code == 2 and "studies_by_age_band" in result.output
    result = q(review, "--name", "mechanisms_by_band")
    assert result.exit_code == 2 and "--param band=" in result.output
    result = q(review, "--name", "mechanisms_by_band", "--param", "band=infants", "--param", "colour=red")
    assert result.exit_code == 2 and "has no parameter colour" in result.output


# ----------------------------------------------------------------------------------------------- named queries

def test_every_named_query_has_a_header_and_runs():
    review = Review.open(ROOT)
    names = [nq.name for nq in list_named(review)]
    assert len(names) >= 10
    for nq in list_named(review):
        assert nq.title and "?" in nq.question, nq.name
        assert nq.paper, f"{nq.name}: say which statement of the paper it answers"


def test_list(review):
    result = q(review, "--list")
    assert result.exit_code == 0
    for nq in list_named(Review.open(ROOT)):
        assert f"{nq.name}: {nq.title}" in result.output
        for p in nq.params:
            assert f"--param {p.name}=" in result.output


def test_parameters_are_bound_not_pasted(review):
    hostile = "x') OR 1=1; DROP TABLE studies; --"
    result = q(review, "--name", "cmo_text_search", "--param", f"text={hostile}", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output) == []
    result = q(review, "--name", "mechanisms_by_band", "--param", "band=infants' OR '1'='1", "--format", "json")
    assert result.exit_code == 2 and "is not a code of age_band" in result.stderr  # a value, checked, never SQL
    assert json.loads(q(review, "SELECT count(*) AS n FROM studies", "-f", "json").output) == [{"n": 33}]


def test_header_parsing(tmp_path):
    p = tmp_path / "demo.sql"
    p.write_text("-- title: Demo\n-- question: What is it\n--   really?\n-- param band: the band\n"
                 "-- param kind = NULL: optional\n--   kind\n-- paper: a statement\nSELECT $band, $kind\n",
                 encoding="utf-8")
    nq = parse_named(p)
    assert nq.title == "Demo" and nq.question == "What is it really?"
    assert [(x.name, x.required, x.default, x.description) for x in nq.params] == [
        ("band", True, None, "the band"), ("kind", False, "NULL", "optional kind")]
    p.write_text("-- question: no title\nSELECT 1\n", encoding="utf-8")
    with pytest.raises(CmokitError, match="title"):
        parse_named(p)


# ----------------------------------------------------------------------------------------------- rebuilds

def test_query_builds_a_missing_database_then_reuses_it(review_copy):
    db = review_copy / DEFAULT_DB
    assert not db.exists()
    result = q(review_copy, "SELECT count(*) AS n FROM cmo", "-f", "csv")
    assert result.exit_code == 0 and "Building" in result.output and db.exists()
    stamp = db.stat().st_mtime_ns
    result = q(review_copy, "SELECT count(*) AS n FROM cmo", "-f", "csv")
    assert result.exit_code == 0 and "Building" not in result.output and result.output == "n\n33\n"
    assert db.stat().st_mtime_ns == stamp


def test_query_rebuilds_when_a_source_file_changed(review_copy):
    assert q(review_copy, "SELECT 1").exit_code == 0
    p = review_copy / "extract" / "consensus" / "studies.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("Cho et al (2013)", "Cho and colleagues (2013)"),
                 encoding="utf-8")
    result = q(review_copy, "SELECT study_label FROM studies WHERE study_id = 'cho-2013'", "-f", "csv")
    assert result.exit_code == 0
    assert "studies.csv" in result.output and "Cho and colleagues (2013)" in result.output
    # --no-rebuild answers from the old database
    p.write_text(p.read_text(encoding="utf-8").replace("Cho and colleagues", "Cho"), encoding="utf-8")
    result = q(review_copy, "SELECT study_label FROM studies WHERE study_id = 'cho-2013'", "-f", "csv",
               "--no-rebuild")
    assert "Cho and colleagues (2013)" in result.output


def test_query_refuses_to_rebuild_an_invalid_review(review_copy):
    assert q(review_copy, "SELECT 1").exit_code == 0
    p = review_copy / "extract" / "consensus" / "cmo.csv"
    p.write_text(p.read_text(encoding="utf-8").replace(",improved,", ",better,", 1), encoding="utf-8")
    result = q(review_copy, "SELECT 1")
    assert result.exit_code == 1 and "--force" in result.output


def test_run_sql_library(review):
    res = run_sql(review / DEFAULT_DB, "SELECT ref_number FROM studies WHERE age_band = $b ORDER BY 1",
                  {"b": "infants"})
    assert res.columns == ["ref_number"] and [r[0] for r in res.rows] == [33, 34, 35, 36]
