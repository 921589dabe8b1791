"""Excel output: `cmokit export DIR --format xlsx` (one workbook, a sheet per table, saying what the review's CSVs say)
and `cmokit tables --format xlsx --output FILE` (Tables 1-3 as sheets), read back with openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.presentation.workbook import MAX_WIDTH, sheet_names
from cmokit.synthesis.database import DEFAULT_DB

DATED = ("cho-2013", "2013-03-15")  # the bundled studies give no publication date: the fixture gives one a date

# the paper's headings of Tables 1-3
COLUMNS = ["Study ID", "Intervention components", "Context", "Mechanisms for improved child mental health",
           "Social support outcomes", "Child outcomes"]


def set_cell(path: Path, key: str, field: str, value: str, key_field: str = "study_id") -> None:
    """Set one cell of a review CSV (the first row whose ``key_field`` is ``key``)."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    next(r for r in rows if r[key_field] == key)[field] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    r = copy_review(tmp_path_factory.mktemp("xlsx") / "review")
    set_cell(r / "extract/consensus/studies.csv", DATED[0], "publication_date", DATED[1])
    result = CliRunner().invoke(main, ["build", "-C", str(r)])
    assert result.exit_code == 0, result.output
    return r


@pytest.fixture(scope="module")
def workbook(review, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("xlsx-out")
    result = CliRunner().invoke(main, ["export", "-o", str(out), "--format", "xlsx", "--review", str(review)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    name = Review.open(review).name
    assert files == [f"{name}.xlsx"]  # one workbook, named after the package, no temporary file left
    return out / files[0]


def expected(review: Path, band: str) -> list[list[str]]:
    """Table n's rows straight from the consensus CSVs: included studies of the band by paper_table_row, one row per
    CMO configuration."""
    studies = sorted((s for s in read_csv(review / "extract/consensus/studies.csv")
                      if s["age_band"] == band and s["inclusion_status"] == "included"),
                     key=lambda s: int(s["paper_table_row"]))
    cmo = read_csv(review / "extract/consensus/cmo.csv")
    return [[f"{s['study_label']} [{s['ref_number']}]", c["intervention_components"], c["context"], c["mechanisms"],
             c["ss_outcomes"], c["child_outcomes"]]
            for s in studies
            for c in sorted((c for c in cmo if c["study_id"] == s["study_id"]), key=lambda c: int(c["cmo_number"]))]


def db_tables(con) -> list[tuple[str, str]]:
    rows = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    return sorted(rows, key=lambda st: (st[0] != "main", st[0], st[1]))


def as_csv_text(value) -> str:
    """A cell read back from the workbook, written as the review's CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_every_table_is_a_sheet_with_the_databases_header_and_rows(review, workbook):
    wb = openpyxl.load_workbook(workbook, read_only=True)
    con = duckdb.connect(str(review / DEFAULT_DB), read_only=True)
    tables = db_tables(con)
    labels = [t if s == "main" else f"{s}.{t}" for s, t in tables]
    assert {"studies", "cmo", "codebook", "build_metadata", "missing.studies"} <= set(labels)
    order = [r.name for r in Review.open(review).resources]  # the package's order: studies first
    resources = [t for t in order if t in labels]
    shadows = [f"missing.{t}" for t in order if f"missing.{t}" in labels]
    others = [t for t in labels if t not in resources and t not in shadows]
    assert resources[0] == "studies" and others == sorted(others, key=lambda t: ("." in t, t))
    assert wb.sheetnames == ["README", *resources, *[t for t in others if "." not in t], *shadows,
                             *[t for t in others if "." in t], "lists"]
    assert wb["lists"].sheet_state == "hidden" and wb.active.title == "studies"
    for (schema, table), label in zip(tables, labels, strict=True):
        rel = con.sql(f'SELECT * FROM "{schema}"."{table}"')
        rows = list(wb[label].iter_rows(values_only=True))
        assert list(rows[0]) == rel.columns, label
        assert len(rows) - 1 == con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0], label
    con.close()


def test_the_workbook_says_what_the_review_csvs_say(review, workbook):
    """Every cell of every resource's sheet, written back as CSV text, is the consensus CSV's cell: values, lists
    ('a; b'), booleans (yes/no), dates, and the NR / NA codes where the database holds NULL."""
    wb = openpyxl.load_workbook(workbook, read_only=True)
    compared = codes = 0
    for r in Review.open(review).resources:
        source = read_csv(r.path)
        rows = list(wb[r.name].iter_rows(values_only=True))
        header = list(rows[0])
        assert len(rows) - 1 == len(source), r.name
        for line, (row, src) in enumerate(zip(rows[1:], source, strict=True), 2):
            for field, value in zip(header, row, strict=True):
                assert as_csv_text(value) == src[field], (r.name, line, field)
                compared += 1
                codes += src[field] in ("NR", "NA") and src[field] in r.missing_values
    con = duckdb.connect(str(review / DEFAULT_DB), read_only=True)
    assert codes == con.execute("SELECT count(*) FROM missing_cells WHERE code IN ('NR', 'NA')").fetchone()[0] > 1000
    assert compared > 4000
    con.close()


def test_typed_cells_and_missing_codes(review, workbook):
    wb = openpyxl.load_workbook(workbook)
    con = duckdb.connect(str(review / DEFAULT_DB), read_only=True)
    ws = wb["studies"]
    header = [c.value for c in ws[1]]
    by_id = {r[0].value: {h: c for h, c in zip(header, r, strict=True)} for r in ws.iter_rows(min_row=2)}
    # a multi-code cell: the database's list as 'a; b'
    sid, codes = con.execute("SELECT study_id, intervention_type FROM studies WHERE len(intervention_type) > 1 "
                             "ORDER BY study_id LIMIT 1").fetchone()
    assert len(codes) > 1 and by_id[sid]["intervention_type"].value == "; ".join(codes)
    # an NR cell: NULL in the database, NR in missing_cells, NR in the workbook
    assert con.execute("SELECT country FROM studies WHERE study_id = 'cho-2013'").fetchone() == (None,)
    assert con.execute("SELECT code FROM missing_cells WHERE resource = 'studies' AND key = ['cho-2013'] "
                       "AND field = 'country'").fetchone() == ("NR",)
    assert by_id["cho-2013"]["country"].value == "NR"
    # every missing code of the database is in its cell
    n = 0
    for key, field, code in con.execute("SELECT key, field, code FROM missing_cells WHERE resource = 'studies' "
                                        "AND code IN ('NR', 'NA')").fetchall():
        assert by_id[key[0]][field].value == code, (key, field)
        n += 1
    assert n > 100
    # a real date, numbers, a yes/no boolean
    date = by_id[DATED[0]]["publication_date"]
    assert date.is_date and date.value == dt.datetime.fromisoformat(DATED[1]) and date.number_format == "yyyy-mm-dd"
    assert by_id["cho-2013"]["ref_number"].value == 36 and by_id["cho-2013"]["ref_number"].data_type == "n"
    assert by_id["cho-2013"]["ss_in_aims"].value == "yes"
    built_at = wb["build_metadata"]["D2"]
    assert wb["build_metadata"]["D1"].value == "built_at" and built_at.is_date
    db_built = con.execute("SELECT built_at FROM build_metadata").fetchone()[0].astimezone(dt.UTC)
    assert abs(built_at.value - db_built.replace(tzinfo=None)) < dt.timedelta(seconds=1)
    con.close()


def test_sheet_layout_and_readme(review, workbook):
    wb = openpyxl.load_workbook(workbook)
    ws = wb["cmo"]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    widths = [d.width for d in ws.column_dimensions.values()]
    assert widths and max(widths) <= MAX_WIDTH + 1
    long = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and len(c.value) > 80]
    assert long and all(c.alignment.wrap_text for c in long)
    readme = wb["README"]
    pairs = {r[0]: r[1] for r in readme.iter_rows(values_only=True) if r[0]}
    con = duckdb.connect(str(review / DEFAULT_DB), read_only=True)
    name, version, cmokit_version = con.execute(
        "SELECT package_name, package_version, cmokit_version FROM build_metadata").fetchone()
    con.close()
    assert pairs["Package"] == name and pairs["Version"] == version and pairs["Built with cmokit"] == cmokit_version
    assert isinstance(pairs["Built at (UTC)"], dt.datetime)
    assert pairs["(empty cell)"] == "not yet extracted" and pairs["NR"].startswith("not reported")
    assert pairs["NA"] == "not applicable"
    assert pairs["missing.studies"] == "missing.studies"  # the list of sheets, each linked to its sheet
    link = next(c for row in readme.iter_rows() for c in row if c.value == "studies" and c.hyperlink)
    assert link.hyperlink.location == "'studies'!A1"


def test_an_error_writes_nothing_and_keeps_the_old_workbook(review, workbook, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    old = out / workbook.name
    old.write_bytes(b"the previous export")
    monkeypatch.setattr("cmokit.presentation.workbook.MAX_CELL", 100)  # a free-text cell longer than Excel holds
    result = CliRunner().invoke(main, ["export", "-o", str(out), "--format", "xlsx", "--review", str(review)])
    assert result.exit_code == 2
    assert "do not fit in an Excel cell" in result.output and "Parquet or CSV" in result.output
    assert [p.name for p in out.iterdir()] == [old.name] and old.read_bytes() == b"the previous export"


def test_a_forced_build_keeps_the_text_of_an_invalid_cell(tmp_path):
    r = copy_review(tmp_path / "review")
    set_cell(r / "extract/consensus/studies.csv", "cho-2013", "intervention_type", "parenting; flying")
    assert CliRunner().invoke(main, ["build", "-C", str(r), "--force"]).exit_code == 0
    result = CliRunner().invoke(main, ["export", "-o", str(tmp_path / "x"), "-f", "xlsx", "-r", str(r), "--db",
                                       str(r / DEFAULT_DB)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(next((tmp_path / "x").glob("*.xlsx")), read_only=True)
    rows = list(wb["studies"].iter_rows(values_only=True))
    col = rows[0].index("intervention_type")
    assert next(row for row in rows if row[0] == "cho-2013")[col] == "parenting; flying"
    readme = [r[0] for r in wb["README"].iter_rows(values_only=True) if r[0]]
    assert any("built over validation errors" in str(line) for line in readme)


def test_tables_workbook_one_sheet_per_band_in_the_papers_order(review, tmp_path):
    out = tmp_path / "tables.xlsx"
    result = CliRunner().invoke(main, ["tables", "--review", str(review), "--format", "xlsx", "--output", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Table 1 infants", "Table 2 children", "Table 3 adolescents"]
    broken = 0
    for n, (ws, band) in enumerate(zip(wb.worksheets, ("infants", "children", "adolescents"), strict=True), 1):
        rows = [[c.value or "" for c in row] for row in ws.iter_rows()]
        assert rows[0][0].startswith(f"Table {n}. ") and band in rows[0][0]
        assert rows[1] == COLUMNS and ws.freeze_panes == "A3" and all(c.font.b for c in ws[2])
        want = expected(review, band)
        assert [r[0] for r in rows[2:]] == [w[0] for w in want]  # study order
        assert rows[2:] == want  # every cell's text, paragraph breaks included
        for row in ws.iter_rows(min_row=3):
            for c in row:
                if "\n" in (c.value or ""):
                    assert c.alignment.wrap_text
                    broken += 1
    assert broken > 0
    # a cell with a line break equals the consensus cmo.csv
    cmo = next(c for c in read_csv(review / "extract/consensus/cmo.csv") if "\n" in c["context"])
    assert any(c.value == cmo["context"] for ws in wb.worksheets for row in ws.iter_rows(min_row=3) for c in row)


def test_tables_workbook_for_one_band(review, tmp_path):
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(main, ["tables", "-r", str(review), "-b", "children", "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Table 2 children"]
    assert len(list(wb.worksheets[0].iter_rows())) == 2 + len(expected(review, "children"))


def test_tables_xlsx_is_refused_without_a_workbook_file(review_copy, folder_state, tmp_path):
    before = folder_state(review_copy)  # no database yet: a refused command must not build one either
    runner = CliRunner()
    result = runner.invoke(main, ["tables", "--review", str(review_copy), "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.output and "xlsx" in result.output
    for bad in (tmp_path, tmp_path / "tables.csv", tmp_path / "tables"):
        result = runner.invoke(main, ["tables", "-r", str(review_copy), "-f", "xlsx", "-o", str(bad)])
        assert result.exit_code == 2 and ".xlsx" in result.output, bad
    assert folder_state(review_copy) == before
    assert list(tmp_path.iterdir()) == [review_copy]


def test_sheet_names_are_excel_safe_and_unique():
    names = sheet_names(["a" * 40, "A" * 40, "x[1]:y/z?", "readme", "'quoted'", "missing.resource_inputs"],
                        reserved=["README"])
    assert names == ["a" * 31, "A" * 29 + "~2", "x_1__y_z_", "readme~2", "quoted", "missing.resource_inputs"]
    assert all(len(n) <= 31 for n in names)


def test_the_export_can_be_filled_in_as_a_form(review, workbook, tmp_path):
    """The review's sheets carry the template's dropdowns; the workbook dropped into a reviewer's folder is read
    back (cmokit's other sheets are not tables and are skipped) and says exactly what the consensus CSVs say."""
    import shutil

    from cmokit.extraction.compare import compare
    from cmokit.package.submission import extraction_resources
    from cmokit.validation.validate import validate_review

    wb = openpyxl.load_workbook(workbook)
    dvs = {str(d.sqref).split(":")[0]: d for d in wb["studies"].data_validations.dataValidation}
    header = [c.value for c in wb["studies"][1]]
    age_band = dvs[f"{openpyxl.utils.get_column_letter(header.index('age_band') + 1)}2"]
    assert age_band.type == "list" and age_band.formula1 == "cmokit_studies_age_band"
    r = copy_review(tmp_path / "review")
    (r / "extract/reviewers/alice").mkdir(parents=True)
    shutil.copy(workbook, r / "extract/reviewers/alice/alice.xlsx")
    (r / "extract/reviewers/bob").mkdir(parents=True)  # the consensus's extraction tables, as CSV
    for res in extraction_resources(Review.open(r)):
        shutil.copy(review / "extract/consensus" / f"{res.name}.csv", r / "extract/reviewers/bob")
    report = validate_review(r, submission="alice")
    assert [p.rule for p in report.errors] == [] and not [p for p in report.problems if p.rule.startswith("xlsx.")]
    assert report.rows == {t: len(read_csv(review / f"extract/consensus/{t}.csv")) for t in report.rows} and \
        set(report.rows) == {res.name for res in extraction_resources(Review.open(r))}
    result = compare(Review.open(r), ["alice", "bob"])
    assert result.conflicts == []
