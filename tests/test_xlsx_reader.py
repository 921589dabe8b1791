"""Reviewers' workbooks read back: every sheet through the same checks as a CSV, every problem at its cell
(``studies!C14``), and what only a spreadsheet can hold (formulas, error values, merged cells, dates Excel made,
hidden rows, renamed sheets, files that are no workbook) each reported with its own rule. Workbooks are built here by
XlsxWriter and by openpyxl; one was saved by LibreOffice (tests/data/libreoffice.xlsx)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from _sheets import BUILDERS, STUDIES, build, column, consensus_rows, problems, studies_book, typed
from click.testing import CliRunner

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.package.xlsx_reader import column_letter, read_sheet
from cmokit.validation.render import render

DATA = Path(__file__).parent / "data"


def cell_of(review: Path, field: str, row: int, table: str = "studies") -> str:
    return f"{table}!{column_letter(column(review, table, field) + 1)}{row}"


def only(found, rule: str):
    hits = [p for p in found if p.rule == rule]
    assert len(hits) == 1, [(p.rule, p.cell, p.message) for p in found]
    return hits[0]


@pytest.fixture
def review(review_copy) -> Path:
    return review_copy


def _set(builder: str, ws, row: int, col: int, value, fmt=None) -> None:
    """Set a cell (0-based row/col) in either library."""
    if builder == "xlsxwriter":
        ws.write(row, col, value, fmt) if fmt is not None else ws.write(row, col, value)
    else:
        ws.cell(row + 1, col + 1).value = value


@pytest.mark.parametrize("builder", BUILDERS)
def test_a_formula_is_reported_and_its_result_never_taken(review, builder):
    col = column(review, "studies", "study_label")

    def edit(wb, ws, name):
        if builder == "xlsxwriter":
            ws.write_formula(1, col, '=D2&" et al 2013"', None, "Cho et al 2013")  # with a saved result
        else:
            ws.cell(2, col + 1).value = '=D2&" et al 2013"'  # openpyxl saves no result

    studies_book(review, builder, edit)
    report, found = problems(review)
    p = only(found, "xlsx.formula")
    assert (p.cell, p.line, p.field, p.value, p.sheet) == (cell_of(review, "study_label", 2), 2, "study_label",
                                                           '=D2&" et al 2013"', "studies")
    assert "Paste Special > Values" in p.message and report.exit_code == 1
    assert ("shows 'Cho et al 2013'" in p.message) == (builder == "xlsxwriter")
    assert [q.rule for q in found] == ["xlsx.formula"]  # no second report (blank, required...) for the same cell
    # compare refuses the submission rather than take the saved result
    shutil.copytree(review / "extract/reviewers/alice", review / "extract/reviewers/bob")
    result = CliRunner().invoke(main, ["compare", "-C", str(review), "alice", "bob"])
    assert result.exit_code == 1 and "xlsx.formula" in result.output and p.cell in result.output


@pytest.mark.parametrize("builder", BUILDERS)
def test_an_error_value_is_reported(review, builder):
    col = column(review, "studies", "country")

    def edit(wb, ws, name):
        if builder == "xlsxwriter":
            ws.write_formula(1, col, "=NA()", None, "#N/A")  # a formula whose saved result is an error
        else:
            ws.cell(2, col + 1).value = "#REF!"  # openpyxl stores an error value as such (type e)
            assert ws.cell(2, col + 1).data_type == "e"

    studies_book(review, builder, edit)
    report, found = problems(review)
    rule = "xlsx.formula" if builder == "xlsxwriter" else "xlsx.error_value"
    p = only(found, rule)
    assert p.cell == cell_of(review, "country", 2) and report.exit_code == 1
    assert ("#N/A" if builder == "xlsxwriter" else "#REF!") in p.message
    assert [q.rule for q in found] == [rule]


@pytest.mark.parametrize("builder", BUILDERS)
def test_merged_cells_are_reported(review, builder):
    col = column(review, "studies", "country")
    letter = column_letter(col + 1)

    def edit(wb, ws, name):
        if builder == "xlsxwriter":
            ws.merge_range(1, col, 2, col, "USA")
        else:
            ws.merge_cells(f"{letter}2:{letter}3")

    studies_book(review, builder, edit)
    report, found = problems(review)
    p = only(found, "xlsx.merged")
    assert p.cell == f"studies!{letter}2" and f"{letter}2:{letter}3" in p.message and p.field == "country"
    assert report.exit_code == 1


@pytest.mark.parametrize("builder", BUILDERS)
def test_dates_excel_made_are_reported_except_in_a_date_field(review, builder):
    cols = {f: column(review, "studies", f) for f in ("year", "country", "publication_date")}

    def edit(wb, ws, name):
        fmt = wb.add_format({"num_format": "yyyy-mm-dd"}) if builder == "xlsxwriter" else None
        values = {"year": dt.datetime(2013, 1, 1), "country": dt.datetime(2012, 5, 1),
                  "publication_date": dt.datetime(2013, 3, 15)}
        for f, v in values.items():
            if builder == "xlsxwriter":
                ws.write_datetime(1, cols[f], v, fmt)
            else:
                ws.cell(2, cols[f] + 1).value = v

    path = studies_book(review, builder, edit)
    report, found = problems(review)
    dates = {p.field: p for p in found if p.rule == "xlsx.date"}
    assert set(dates) == {"year", "country"}
    assert "type the year as a number (2013)" in dates["year"].message and dates["year"].value == "2013-01-01"
    assert dates["country"].cell == cell_of(review, "country", 2) and "format the column as Text" in \
        dates["country"].message
    assert [p.rule for p in found] == ["xlsx.date", "xlsx.date"]  # no type.integer for the same cell
    table = read_sheet(Review.open(review).resource("studies"), path, "alice.xlsx")
    assert table.frame.get_column("publication_date").to_list()[0] == "2013-03-15"  # ISO, only in a date field


@pytest.mark.parametrize("builder", BUILDERS)
def test_numbers_as_excel_holds_them(review, builder):
    """3.0 in an integer field is 3; 36.5 is not an integer; numbers stored as text are read as typed; a number in
    a text field is its digits."""
    c = {f: column(review, "studies", f) for f in ("ref_number", "paper_table", "study_label", "age_min")}

    def edit(wb, ws, name):
        _set(builder, ws, 1, c["ref_number"], 36.0)
        _set(builder, ws, 2, c["ref_number"], 36.5)
        _set(builder, ws, 1, c["paper_table"], "2")  # a number stored as text
        _set(builder, ws, 1, c["study_label"], 2013)  # a number in a text field
        _set(builder, ws, 1, c["age_min"], "2.5")

    path = studies_book(review, builder, edit)
    report, found = problems(review)
    p = only(found, "type.integer")
    assert (p.cell, p.value) == (cell_of(review, "ref_number", 3), "36.5") and len(found) == 1
    frame = read_sheet(Review.open(review).resource("studies"), path, "x").frame
    row = frame.row(0, named=True)
    assert (row["ref_number"], row["paper_table"], row["study_label"], row["age_min"]) == ("36", "2", "2013", "2.5")


@pytest.mark.parametrize("builder", BUILDERS)
def test_leading_apostrophes(review, builder):
    """Excel's text marker (an apostrophe typed first, kept as the cell's quote prefix) is not part of the value;
    an apostrophe the cell really holds, before a number, is reported."""
    c = {f: column(review, "studies", f) for f in ("title", "ref_number")}

    def edit(wb, ws, name):
        if builder == "xlsxwriter":
            ws.write_string(1, c["title"], "0012", wb.add_format({"quote_prefix": True}))
        else:
            ws.cell(2, c["title"] + 1).value = "0012"
            ws.cell(2, c["title"] + 1).quotePrefix = True
        _set(builder, ws, 1, c["ref_number"], "'36")

    path = studies_book(review, builder, edit)
    report, found = problems(review)
    p = only(found, "xlsx.apostrophe")
    assert (p.cell, p.value) == (cell_of(review, "ref_number", 2), "'36") and len(found) == 1  # no type.integer
    frame = read_sheet(Review.open(review).resource("studies"), path, "x").frame
    assert frame.get_column("title").to_list()[0] == "0012"


@pytest.mark.parametrize("builder", BUILDERS)
def test_hidden_rows_are_read_and_reported(review, builder):
    col = column(review, "studies", "notes")
    letter = column_letter(col + 1)

    def edit(wb, ws, name):
        if builder == "xlsxwriter":
            ws.set_row(2, None, None, {"hidden": True})
            ws.set_column(col, col, None, None, {"hidden": True})
        else:
            ws.row_dimensions[3].hidden = True
            ws.column_dimensions[letter].hidden = True

    studies_book(review, builder, edit)
    report, found = problems(review)
    p = only(found, "xlsx.hidden_row")
    assert p.severity == "warning" and p.line == 3 and "row 3 is hidden" in p.message
    c = only(found, "xlsx.hidden_column")
    assert (c.severity, c.cell, c.field) == ("warning", f"studies!{letter}1", "notes")
    assert report.rows == {"studies": 2} and report.exit_code == 0 and len(found) == 2


def test_extra_and_renamed_sheets(review):
    rows = typed(review, "studies", consensus_rows(review, "studies"))
    cmo = typed(review, "cmo", consensus_rows(review, "cmo"))
    build(review / "extract/reviewers/alice/alice.xlsx", "openpyxl",
          {"studies": rows, "CMO": cmo, "my notes": [["anything"]]})
    report, found = problems(review)
    renamed = only(found, "xlsx.sheet_renamed")
    assert renamed.value == "CMO" and "rename the sheet 'cmo'" in renamed.message and renamed.severity == "error"
    unknown = only(found, "xlsx.sheet_unknown")
    assert unknown.value == "my notes" and unknown.severity == "warning"
    assert report.rows == {"studies": 2} and report.exit_code in (1, 2)
    shutil.copytree(review / "extract/reviewers/alice", review / "extract/reviewers/bob")
    result = CliRunner().invoke(main, ["compare", "-C", str(review), "alice", "bob"])
    assert result.exit_code == 2 and "rename the sheet 'cmo'" in result.output


@pytest.mark.parametrize("kind", ["password", "text", "zip", "xls"])
def test_a_file_that_is_no_readable_workbook(review, kind, folder_state):
    folder = review / "extract/reviewers/alice"
    folder.mkdir(parents=True)
    path = folder / "alice.xlsx"
    if kind == "password":
        shutil.copy(DATA / "password.xlsx", path)  # encrypted with the password 'secret'
    elif kind == "text":
        path.write_text("study_id,ref_number\ncho-2013,36\n")
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("content.xml", "<x/>")
    else:
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # an old .xls, renamed
    before = folder_state(review)
    result = CliRunner().invoke(main, ["validate", "-C", str(review), "--reviewer", "alice", "-f", "json"])
    assert result.exit_code == 2, result.output
    errors = json.loads(result.output)["errors"]
    want = {"password": ("xlsx.password", "remove the password"), "text": ("xlsx.unreadable", "not an Excel"),
            "zip": ("xlsx.unreadable", "OpenDocument"), "xls": ("xlsx.unreadable", "97-2003")}[kind]
    assert [(e["rule"], want[1] in e["message"]) for e in errors] == [(want[0], True)]
    shutil.copytree(folder, review / "extract/reviewers/bob")
    result = CliRunner().invoke(main, ["compare", "-C", str(review), "alice", "bob"])
    assert result.exit_code == 2 and want[1] in result.output
    shutil.rmtree(review / "extract/reviewers/bob")
    assert folder_state(review) == before  # nothing written


def test_a_csv_and_a_sheet_for_the_same_table_is_an_error(review):
    studies_book(review, "openpyxl")
    rows = consensus_rows(review, "studies")
    res = Review.open(review).resource("studies")
    folder = review / "extract/reviewers/alice"
    (folder / "studies.csv").write_text(",".join(res.field_names) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "-C", str(review), "--reviewer", "alice"])
    assert result.exit_code == 2 and "submission.duplicate_table" in result.output
    assert "studies.csv and alice.xlsx (sheet 'studies')" in result.output and "never chooses" in result.output
    shutil.copytree(folder, review / "extract/reviewers/bob")
    result = CliRunner().invoke(main, ["compare", "-C", str(review), "alice", "bob"])
    assert result.exit_code == 2 and "submitted twice" in result.output
    # two workbooks holding the same sheet: the same error
    (folder / "studies.csv").unlink()
    build(folder / "more.xlsx", "xlsxwriter", {"studies": typed(review, "studies", rows)})
    result = CliRunner().invoke(main, ["validate", "-C", str(review), "--reviewer", "alice"])
    assert result.exit_code == 2 and "alice.xlsx (sheet 'studies') and more.xlsx (sheet 'studies')" in result.output


def test_codes_in_another_case_are_read_as_the_codebooks_with_a_warning(review):
    c = {f: column(review, "studies", f) for f in ("inclusion_status", "intervention_type", "ss_in_aims")}

    def edit(wb, ws, name):
        ws.cell(2, c["inclusion_status"] + 1).value = "Included"
        ws.cell(2, c["intervention_type"] + 1).value = "Parenting; family_support"
        ws.cell(2, c["ss_in_aims"] + 1).value = "YES"

    path = studies_book(review, "openpyxl", edit)
    report, found = problems(review)
    assert sorted((p.rule, p.field, p.severity) for p in found) == [
        ("xlsx.code_case", f, "warning") for f in ("inclusion_status", "intervention_type", "ss_in_aims")]
    row = read_sheet(Review.open(review).resource("studies"), path, "x").frame.row(0, named=True)
    assert (row["inclusion_status"], row["intervention_type"], row["ss_in_aims"]) == \
        ("included", "parenting; family_support", "yes")
    assert report.exit_code == 0


def test_every_format_names_the_cell(review):
    col = column(review, "studies", "year")
    studies_book(review, "xlsxwriter", lambda wb, ws, name: ws.write_string(2, col, "20l3"))
    report, _ = problems(review)
    cell = cell_of(review, "year", 3)
    assert f"  {cell}  year = '20l3'  [error type.integer]" in render(report, "text")
    item = next(e for e in json.loads(render(report, "json"))["errors"] if e["rule"] == "type.integer")
    assert (item["sheet"], item["cell"], item["line"], item["path"]) == \
        ("studies", cell, 3, "extract/reviewers/alice/alice.xlsx")
    assert f"line=3,title=type.integer::{cell}: year = '20l3'" in render(report, "github")


def test_excel_lock_files_and_empty_rows_are_ignored(review):
    path = studies_book(review, "openpyxl", lambda wb, ws, name: ws.insert_rows(3, 2))  # two empty rows
    (path.parent / f"~${path.name}").write_bytes(b"\0" * 165)  # Excel's owner file while the workbook is open
    report, found = problems(review)
    assert report.exit_code == 0 and report.rows == {"studies": 2} and not found


def test_a_workbook_saved_by_libreoffice(review):
    """tests/data/libreoffice.xlsx: a studies sheet of the two studies, saved by LibreOffice Calc 7.4 from a
    workbook with a formula in study_label (C2), a date typed in year (E3) and 32.0 in ref_number (B2).
    tests/data/password.xlsx is the same workbook encrypted with the password 'secret' (msoffcrypto-tool)."""
    folder = review / "extract/reviewers/alice"
    folder.mkdir(parents=True)
    shutil.copy(DATA / "libreoffice.xlsx", folder / "alice.xlsx")
    report, found = problems(review)
    assert sorted((p.rule, p.cell) for p in found) == [("xlsx.date", "studies!E3"), ("xlsx.formula", "studies!C2")]
    formula = only(found, "xlsx.formula")
    assert "shows 'Ayton and Joss (2016)'" in formula.message  # LibreOffice saves the formula's result
    frame = read_sheet(Review.open(review).resource("studies"), folder / "alice.xlsx", "x").frame
    assert frame.get_column("ref_number").to_list() == ["32", "36"] and frame.height == len(STUDIES)


def test_header_problems_name_the_header_cell(review):
    col = column(review, "studies", "country")
    width = len(Review.open(review).resource("studies").fields)

    def edit(wb, ws, name):
        ws.write_string(0, col, "Country ")
        ws.write_string(2, width + 1, "a note beside the table")  # a value in a column without a header

    studies_book(review, "xlsxwriter", edit)
    report, found = problems(review)
    outside = only(found, "xlsx.no_header")
    assert outside.cell == f"studies!{column_letter(width + 2)}3" and "has no header" in outside.message
    extra = only(found, "header.extra")
    letter = column_letter(col + 1)
    assert extra.cell == f"studies!{letter}1" and extra.message.startswith(f"column {letter} 'Country '")
    assert "did you mean 'country'?" in extra.message and only(found, "header.missing").field == "country"


def test_what_cmokits_own_writer_writes_is_read_back_unchanged(review):
    """The export's spliced rows (escaped control characters, XML characters, spaces kept at the ends, a literal
    _x0041_, line breaks, NaN and infinity as Excel errors) read back by the workbook reader."""
    import math

    from cmokit.presentation.workbook import workbook, write_table

    res = Review.open(review).resource("studies")
    row = consensus_rows(review, "studies")[0]
    tricky = {"title": "a\x01b & <c> \"d\"", "notes": "  two spaces\nline two _x0041_ ", "country": "Côte d’Ivoire"}
    values = [tricky.get(f, row[f]) for f in res.field_names]
    values[res.field_names.index("age_mean")] = math.nan
    values[res.field_names.index("age_max")] = math.inf
    path = review / "extract/reviewers/alice/alice.xlsx"
    with workbook(path) as book:
        write_table(book, "studies", res.field_names, [values])
    table = read_sheet(res, path, "alice.xlsx")
    got = table.frame.row(0, named=True)
    assert {f: got[f] for f in tricky} == tricky
    errors = {p.field: p.value for p in table.problems if p.rule == "xlsx.error_value"}
    assert errors == {"age_mean": "#NUM!", "age_max": "#DIV/0!"}
