"""`cmokit build`: typed tables, keys, views, missing values, metadata, refusal, --force, atomic writes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.presentation.tabular import cell_text
from cmokit.synthesis.build import build
from cmokit.synthesis.database import DEFAULT_DB

ROOT = Path(__file__).resolve().parents[1]


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the bundled review, built once with the CLI: (review folder, database)."""
    review = copy_review(tmp_path_factory.mktemp("built") / "review")
    result = CliRunner().invoke(main, ["build", "-C", str(review)])
    assert result.exit_code == 0, result.output
    return review, review / DEFAULT_DB


def test_build_summary_and_default_location(built):
    review, db = built
    assert db.is_file()
    # nothing but the database is left in .cmokit (no temporary file, no WAL)
    assert sorted(p.name for p in db.parent.iterdir()) == ["review.duckdb"]
    result = CliRunner().invoke(main, ["build", "-C", str(review), "--db", str(db.parent / "again.duckdb")])
    assert result.exit_code == 0
    assert "Built" in result.output and "studies 33" in result.output and "missing_cells" in result.output


def test_default_database_is_git_ignored():
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".cmokit/" in lines and "*.duckdb" in lines
    if (ROOT / ".git").exists() and shutil.which("git"):
        out = subprocess.run(["git", "check-ignore", "-q", str(DEFAULT_DB)], cwd=ROOT)
        assert out.returncode == 0, ".cmokit/review.duckdb must be ignored by git"


def test_one_table_per_resource_with_all_rows(built):
    review, db = built
    rv = Review.open(review)
    con = duckdb.connect(str(db), read_only=True)
    for r in rv.resources:
        _, rows = read_csv(r.path)
        assert con.execute(f'SELECT count(*) FROM "{r.name}"').fetchone()[0] == len(rows), r.name
        cols = [c[0] for c in con.execute(f'DESCRIBE "{r.name}"').fetchall()]
        assert cols == r.field_names


def test_types_follow_the_table_schema(built):
    _, db = built
    con = duckdb.connect(str(db), read_only=True)
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' "
                 "AND table_name = 'studies'")
                 .fetchall())
    assert types["publication_date"] == "DATE"
    assert types["ref_number"] == types["year"] == "BIGINT"  # a Table Schema integer has no 32-bit limit
    assert types["age_min"] == "DOUBLE"
    assert types["ss_in_aims"] == "BOOLEAN"
    assert types["age_band"] == "ENUM('infants', 'children', 'adolescents')"
    assert types["intervention_type"].startswith("ENUM('mentoring'") and types["intervention_type"].endswith("[]")
    assert types["notes"] == "VARCHAR"
    cmo = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' "
                           "AND table_name = 'cmo'").fetchall())
    assert cmo["adverse_effect"] == "BOOLEAN" and cmo["cmo_number"] == "BIGINT"
    assert con.execute("SELECT adverse_effect FROM cmo WHERE study_id = 'lachman-2017'").fetchone()[0] is True
    assert con.execute("SELECT intervention_type FROM studies WHERE study_id = 'ayton-2016'").fetchone()[0] == [
        "mentoring", "parenting"]


def test_every_csv_cell_survives_as_a_typed_value_or_a_missing_code(built):
    """Rebuild each CSV cell from the database (typed value as text, else its code in missing_cells): identical."""
    review, db = built
    rv = Review.open(review)
    con = duckdb.connect(str(db), read_only=True)
    codes = {(res, tuple(key), field): code for res, key, field, code in
             con.execute("SELECT resource, key, field, code FROM missing_cells").fetchall()}
    n_missing = 0
    for r in rv.resources:
        _, rows = read_csv(r.path)
        cur = con.execute(f'SELECT * FROM "{r.name}"')
        names = [d[0] for d in cur.description]
        for row, values in zip(rows, cur.fetchall(), strict=True):
            key = tuple(row[k] for k in r.primary_key)
            for name, value in zip(names, values, strict=True):
                if value is None:
                    assert codes[(r.name, key, name)] == row[name], (r.name, key, name)
                    assert row[name] in r.missing_values
                    n_missing += 1
                else:
                    assert cell_text(value) == row[name], (r.name, key, name)
    assert n_missing == len(codes) > 1000


def test_missing_values_are_null_and_their_codes_kept(built):
    _, db = built
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT country, publication_date FROM studies WHERE study_id = 'cho-2013'").fetchone() == (
        None, None)
    assert con.execute("SELECT code, label FROM missing_cells WHERE resource = 'studies' AND key = ['cho-2013'] "
                       "AND field = 'country'").fetchone() == (
        "NR", "not reported in the study (or in the source paper)")
    assert con.execute("SELECT notes FROM missing.cmo WHERE study_id = 'eddy-2017'").fetchone()[0] == "NA"
    # NR and NA are told apart
    assert {c for (c,) in con.execute("SELECT DISTINCT code FROM missing_cells").fetchall()} >= {"NR", "NA"}


def test_keys_and_checks_are_enforced(built, tmp_path):
    _, db = built
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    kinds = {(t, k) for t, k in con.execute("SELECT table_name, constraint_type FROM duckdb_constraints()").fetchall()}
    for table in ("studies", "cmo", "measures", "resource_inputs", "appraisal"):
        assert (table, "PRIMARY KEY") in kinds
    for table in ("cmo", "measures", "resource_inputs", "appraisal"):
        assert (table, "FOREIGN KEY") in kinds
    with pytest.raises(duckdb.ConstraintException, match="primary key"):  # duplicate primary key
        con.execute("INSERT INTO cmo (study_id, cmo_number) VALUES ('cho-2013', 1)")
    with pytest.raises(duckdb.ConstraintException, match="foreign key"):  # a study that does not exist
        con.execute("INSERT INTO cmo (study_id, cmo_number) VALUES ('nobody-2000', 1)")
    with pytest.raises(duckdb.ConstraintException, match="CHECK"):  # CHECK from the schema's pattern
        con.execute("INSERT INTO measures (study_id, measure_number, construct, description) "
                    "VALUES ('Not An Id', 1, 'hope', 'x')")
    insert = ("INSERT INTO studies (study_id, ref_number, study_label, first_author, year, inclusion_status, "
              "age_band, age_band_basis, exclusion_criteria, sources) "
              "VALUES ('new-2010', $ref, 'x', 'x', 2010, 'included', 'infants', 'inferred', ['none'], 'x')")
    with pytest.raises(duckdb.ConstraintException, match="ref_number"):  # unique index from the schema's `unique`
        con.execute(insert, {"ref": 33})
    con.execute(insert, {"ref": 99})  # the same row with an unused reference number is accepted
    with pytest.raises(duckdb.ConversionException):  # ENUM from the schema's codes
        con.execute("UPDATE studies SET age_band = 'teenagers' WHERE study_id = 'cho-2013'")


def test_views_for_the_common_joins(built):
    _, db = built
    con = duckdb.connect(str(db), read_only=True)
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    for name in ("study_overview", "study_cmo", "study_measures", "study_resource_inputs", "missing_cells",
                 "cmo_support_sources", "cmo_support_types", "studies_intervention_type"):
        assert views.get(name), f"view {name} missing or undocumented"
    assert con.execute("SELECT quality, n_cmo, n_resource_inputs FROM study_overview "
                       "WHERE study_id = 'letourneau-2011'").fetchone() == ("moderate", 1, 2)
    assert con.execute("SELECT count(*) FROM study_overview").fetchone()[0] == 33
    assert con.execute("SELECT count(*) FROM study_cmo").fetchone()[0] == con.execute(
        "SELECT count(*) FROM cmo").fetchone()[0]
    assert con.execute("SELECT list(code ORDER BY code) FROM cmo_support_types WHERE study_id = 'stubbs-2016'"
                       ).fetchone()[0] == ["emotional", "informational", "practical"]


def test_metadata_records_the_build(built):
    review, db = built
    rv = Review.open(review)
    con = duckdb.connect(str(db), read_only=True)
    meta = con.execute("SELECT package_name, package_version, cmokit_version, forced, valid, constraints, built_at "
                       "FROM build_metadata").fetchall()
    assert len(meta) == 1
    name, version, cmokit_version, forced, valid, constraints, built_at = meta[0]
    from cmokit import __version__

    assert (name, version, cmokit_version) == (rv.name, rv.version, __version__)
    assert (forced, valid, constraints) == (False, True, True)
    assert abs((dt.datetime.now(dt.UTC) - built_at).total_seconds()) < 600
    hashes = dict(con.execute("SELECT path, sha256 FROM source_files").fetchall())
    expected = {"datapackage.json"} | {r.rel_path for r in rv.resources} | {
        p.relative_to(review).as_posix() for p in (review / "schema").glob("*.schema.json")}
    assert expected <= set(hashes)
    for rel in expected:
        assert hashes[rel] == hashlib.sha256((review / rel).read_bytes()).hexdigest(), rel


def _break(review: Path) -> None:
    """Make one cell invalid: an age band that is not a code."""
    p = review / "extract" / "consensus" / "studies.csv"
    text = p.read_text(encoding="utf-8")
    assert ",infants,review_table," in text
    p.write_text(text.replace(",infants,review_table,", ",babies,review_table,", 1), encoding="utf-8")


def test_invalid_review_is_refused_and_the_old_database_kept(review_copy):
    runner = CliRunner()
    assert runner.invoke(main, ["build", "-C", str(review_copy)]).exit_code == 0
    db = review_copy / DEFAULT_DB
    before = db.read_bytes()
    _break(review_copy)
    result = runner.invoke(main, ["build", "-C", str(review_copy)])
    assert result.exit_code == 1
    assert "extract/consensus/studies.csv" in result.output and "babies" in result.output
    assert "--force" in result.output
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["review.duckdb"]


def test_force_builds_and_records_it(review_copy):
    _break(review_copy)
    p = review_copy / "extract" / "consensus" / "studies.csv"
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace(",measured,yes,none,", ",measured,,none,", 1), encoding="utf-8")  # a blank boolean
    db = review_copy / "forced.duckdb"
    result = CliRunner().invoke(main, ["build", "-C", str(review_copy), "--db", str(db), "--force"])
    assert result.exit_code == 0, result.output
    assert "FORCED" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT forced, valid, validation_errors > 0, constraints FROM build_metadata").fetchone() == (
        True, False, True, False)
    assert con.execute("SELECT count(*) FROM validation_problems WHERE severity = 'error' AND value = 'babies'"
                       ).fetchone()[0] >= 1
    sid, band = con.execute("SELECT s.study_id, s.age_band FROM studies s JOIN missing.studies m USING (study_id) "
                            "WHERE m.age_band = 'babies'").fetchone()
    assert band is None
    assert con.execute("SELECT code, label FROM missing_cells WHERE key = [$sid] AND field = 'age_band'",
                       {"sid": sid}).fetchone() == ("babies", "invalid value kept by a forced build")
    assert con.execute("SELECT count(*) FROM studies").fetchone()[0] == 33
    blank = con.execute("SELECT s.full_text_english, m.full_text_english FROM studies s JOIN missing.studies m "
                        "USING (study_id) WHERE m.full_text_english IS NOT NULL").fetchall()
    assert blank == [(None, "")]


def test_a_failed_build_leaves_no_trace(review_copy, monkeypatch):
    import cmokit.synthesis.build as b

    db = review_copy / DEFAULT_DB
    build(review_copy)
    before = db.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(b, "_metadata", boom)
    with pytest.raises(RuntimeError):
        build(review_copy)
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["review.duckdb"]


def test_unreadable_review_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["build", "-C", str(tmp_path)])
    assert result.exit_code == 2 and "datapackage.json" in result.output and "Traceback" not in result.output


def test_reserved_resource_name_is_refused(review_copy):
    import json

    p = review_copy / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["resources"][-1]["name"] = "missing_cells"
    p.write_text(json.dumps(d), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "-C", str(review_copy)])
    assert result.exit_code == 2 and "reserved" in result.output


def test_quality_is_the_lowest_rating_of_several_appraisers(review_copy):
    """The docs' claim: study_overview.quality is the lowest MMAT rating where several appraisers rated a study."""
    p = review_copy / "extract" / "consensus" / "appraisal.csv"
    header, rows = read_csv(p)
    row = next(r for r in rows if r["study_id"] == "letourneau-2011")
    extra = [dict(row, appraiser="second", overall_rating="high"), dict(row, appraiser="third", overall_rating="low")]
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows + extra)
    db = review_copy / "q.duckdb"
    result = CliRunner().invoke(main, ["build", "-C", str(review_copy), "--db", str(db)])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT quality, n_appraisals FROM study_overview WHERE study_id = 'letourneau-2011'"
                       ).fetchone() == ("low", 3)
    assert con.execute("SELECT quality FROM study_overview WHERE study_id = 'mitchell-2015'").fetchone() == ("low",)
    con.close()


def test_the_validators_are_recorded_as_sources(built):
    """The docs' claim: source_files holds validators/*.py (role validator) with their SHA-256 (hashlib's)."""
    review, db = built
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT path, role, sha256, bytes FROM source_files WHERE role = 'validator' ORDER BY path"
                       ).fetchall()
    con.close()
    files = sorted((review / "validators").glob("*.py"))
    assert [r[0] for r in rows] == [p.relative_to(review).as_posix() for p in files] and len(rows) >= 4
    for (_, _, sha, size), p in zip(rows, files, strict=True):
        assert (sha, size) == (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size)


@pytest.mark.parametrize("dialect, encoding, note", [
    ({"delimiter": ";"}, None, "appraised"),  # no cell holds a comma: DuckDB's comma reader saw one column
    ({}, "windows-1252", "AppraisÃ©e"),  # its Windows-1252 bytes are also valid UTF-8 (as 'Appraisée')
])
def test_a_declared_dialect_and_encoding_are_read_as_validate_reads_them(review_copy, dialect, encoding, note):
    """validate and build agree on a resource that declares its CSV dialect or its encoding (issue 10, point 1)."""
    import json

    path = review_copy / "extract/consensus/appraisal.csv"
    header, rows = read_csv(path)
    rows = [{k: v.replace(",", " ") for k, v in row.items()} for row in rows]
    rows[0]["notes"] = note
    with open(path, "w", encoding=encoding or "utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, delimiter=dialect.get("delimiter", ","), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    descriptor = json.loads((review_copy / "datapackage.json").read_text(encoding="utf-8"))
    (res,) = [r for r in descriptor["resources"] if r["name"] == "appraisal"]
    res.update({"dialect": dialect} if dialect else {}, **({"encoding": encoding} if encoding else {}))
    (review_copy / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "-C", str(review_copy)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(review_copy / DEFAULT_DB), read_only=True) as con:
        got = con.execute("SELECT study_id, appraiser, notes FROM appraisal ORDER BY study_id, appraiser").fetchall()
    assert got == sorted((r["study_id"], r["appraiser"], None if r["notes"] in ("", "NR", "NA") else r["notes"])
                         for r in rows)
    assert note in [n for _, _, n in got]
