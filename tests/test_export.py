"""`cmokit export`: every table as Parquet (identical to the database when read back) or CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.synthesis.database import DEFAULT_DB


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    r = copy_review(tmp_path_factory.mktemp("export") / "review")
    assert CliRunner().invoke(main, ["build", "-C", str(r)]).exit_code == 0
    return r


def db_tables(db: Path) -> dict[str, tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    con.close()
    return {(t if s == "main" else f"{s}.{t}"): (s, t) for s, t in rows}


def plain(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns (DuckDB ENUMs) as plain values, so that two tables compare by content."""
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
        elif pa.types.is_list(t) and pa.types.is_dictionary(t.value_type):
            col = col.cast(pa.list_(t.value_type.value_type))
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def test_parquet_is_identical_to_the_database(review, tmp_path):
    out = tmp_path / "parquet"
    result = CliRunner().invoke(main, ["export", "-o", str(out), "--review", str(review)])
    assert result.exit_code == 0, result.output
    db = review / DEFAULT_DB
    tables = db_tables(db)
    assert sorted(p.stem for p in out.glob("*.parquet")) == sorted(tables)
    assert {"studies", "cmo", "measures", "resource_inputs", "appraisal", "codebook", "build_metadata",
            "source_files", "validation_problems", "missing.studies"} <= set(tables)
    con = duckdb.connect(str(db), read_only=True)
    for name, (schema, table) in tables.items():
        in_db = plain(con.sql(f'SELECT * FROM "{schema}"."{table}"').to_arrow_table())
        back = plain(pq.read_table(out / f"{name}.parquet"))
        assert back.column_names == in_db.column_names, name
        assert back.num_rows == in_db.num_rows, name
        assert back.to_pylist() == in_db.to_pylist(), name
    # types survive: a date, a boolean, a list of codes
    schema = pq.read_schema(out / "studies.parquet")
    assert pa.types.is_date32(schema.field("publication_date").type)
    assert pa.types.is_boolean(schema.field("ss_in_aims").type)
    assert pa.types.is_list(schema.field("intervention_type").type)
    assert list(tmp_path.glob("parquet/.*")) == []


def test_csv_export_uses_the_package_conventions(review, tmp_path):
    out = tmp_path / "csv"
    result = CliRunner().invoke(main, ["export", "-o", str(out), "--format", "csv", "--review", str(review)])
    assert result.exit_code == 0
    with open(out / "studies.csv", encoding="utf-8", newline="") as fh:
        rows = {r["study_id"]: r for r in csv.DictReader(fh)}
    with open(review / "extract/consensus/studies.csv", encoding="utf-8", newline="") as fh:
        source = {r["study_id"]: r for r in csv.DictReader(fh)}
    assert rows.keys() == source.keys()
    for sid, row in rows.items():
        for field, value in row.items():
            # every cell comes back as written, NR and NA included (point 3: they were empty, "not yet extracted")
            assert value == source[sid][field], (sid, field)
    assert sum(v == "NR" for r in rows.values() for v in r.values()) > 100
    with open(out / "missing.studies.csv", encoding="utf-8", newline="") as fh:
        missing = {r["study_id"]: r for r in csv.DictReader(fh)}
    assert missing["cho-2013"]["country"] == "NR"


def test_unknown_format_is_a_usage_error(review, tmp_path):
    result = CliRunner().invoke(main, ["export", "-o", str(tmp_path), "--format", "ods", "--review", str(review)])
    assert result.exit_code == 2 and "'ods' is not one of 'parquet', 'csv', 'xlsx'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_formula_like_cells_are_written_as_they_are_and_noted(review_copy, tmp_path):
    """The formula-injection policy: CSV cells are never escaped (the export is for programs, and escaping would
    change values such as negative numbers); the command notes the text cells a spreadsheet would run as formulas.
    The Excel export stores every one of them as text, never as a formula."""
    import openpyxl

    p = review_copy / "extract" / "consensus" / "studies.csv"
    hostile = {"provider": '=HYPERLINK("http://evil.example","click")', "notes": "+1 (a plus sign first)",
               "sources": "@SUM(A1:A9)", "title": "-2 means two fewer"}
    with open(p, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0])
    rows[0].update(hostile)
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "csv"
    res = CliRunner().invoke(main, ["export", "-o", str(out), "-f", "csv", "-C", str(review_copy)])
    assert res.exit_code == 0, res.output
    with open(out / "studies.csv", encoding="utf-8", newline="") as fh:
        back = next(r for r in csv.DictReader(fh) if r["study_id"] == rows[0]["study_id"])
    assert {k: back[k] for k in hostile} == hostile
    assert ("Note: 4 text cell(s) start with =, +, -, @, a tab or a carriage return: studies.title (1), "
            "studies.provider (1), studies.sources (1), studies.notes (1).") in res.stderr
    res = CliRunner().invoke(main, ["export", "-o", str(tmp_path / "x"), "-f", "xlsx", "-C", str(review_copy)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(next((tmp_path / "x").glob("*.xlsx")), data_only=False)
    ws = wb["studies"]
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == rows[0]["study_id"])
    for field, text in hostile.items():
        cell = row[head.index(field)]
        assert (cell.value, cell.data_type) == (text, "s"), field  # a string, not a formula ("f")


def test_a_table_too_big_for_excel_is_refused_and_nothing_written(review, tmp_path, monkeypatch):
    """The docs' claim: a table over Excel's row limit is refused with exit 2, nothing written (the limit is
    lowered here so that the bundled review's measures, 65 rows, the first sheet in package order over it, exceed
    it)."""
    import cmokit.presentation.workbook as workbook

    monkeypatch.setattr(workbook, "MAX_ROWS", 60)
    out = tmp_path / "x"
    res = CliRunner().invoke(main, ["export", "-o", str(out), "-f", "xlsx", "--review", str(review)])
    assert res.exit_code == 2
    assert res.stderr == ("Error: measures: 65 rows do not fit in an Excel sheet (59 at most). Export it as Parquet "
                          "or CSV instead (--format parquet).\n")
    assert not out.exists() or list(out.iterdir()) == []


def test_every_cell_of_every_table_comes_back_from_the_csv_export(review, tmp_path):
    """Point 3 for every resource (not only studies): the CSV export is the review's CSV, cell for cell."""
    out = tmp_path / "all"
    assert CliRunner().invoke(main, ["export", "-o", str(out), "-f", "csv", "--review", str(review)]).exit_code == 0
    from cmokit.package.model import Review

    for r in Review.open(review).resources:
        with open(r.path, encoding="utf-8-sig", newline="") as fh:
            want = list(csv.reader(fh))
        with open(out / f"{r.name}.csv", encoding="utf-8", newline="") as fh:
            got = list(csv.reader(fh))
        assert got == want, r.name
