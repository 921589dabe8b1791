"""Excel forms: `cmokit template --format xlsx` (dropdowns, checks, input messages, a README sheet; never over a
file), the round trip template -> filled workbook -> validate -> compare with a CSV submission -> zero conflicts, and
the conflicts workbook (`compare --conflicts FILE.xlsx`, `reconcile --decisions FILE.xlsx`)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from _sheets import STUDIES, consensus_rows
from click.testing import CliRunner

from cmokit.cli import main
from cmokit.extraction.compare import compare
from cmokit.package.model import Review
from cmokit.package.submission import extraction_resources
from cmokit.presentation.workbook import MAX_MESSAGE, MAX_TITLE, dropdown_codes, shorten

run = CliRunner().invoke


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> tuple[Path, Path]:
    from conftest import copy_review

    review = copy_review(tmp_path_factory.mktemp("forms") / "review")
    result = run(main, ["template", "-C", str(review), "--reviewer", "alice", "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    path = review / "extract/reviewers/alice/alice.xlsx"
    assert result.output.startswith(f"Wrote {path}")
    return review, path


def validations(ws) -> dict[str, object]:
    """Column letter -> its data validation (each covers the column from row 2 down)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        ref = str(dv.sqref)
        first, last = ref.split(":")
        assert first[-1] == "2" and last.endswith("1048576"), ref
        out[first[:-1]] = dv
    return out


def list_values(wb, dv) -> list[str]:
    name = dv.formula1
    dest = next(iter(wb.defined_names[name].destinations))
    ws = wb[dest[0]]
    return [c.value for row in ws[dest[1].replace("$", "")] for c in row]


def test_the_form_has_a_sheet_per_table_in_the_packages_order(form):
    review, path = form
    tables = extraction_resources(Review.open(review))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["README", *[r.name for r in tables], "lists"]
    assert wb["lists"].sheet_state == "hidden" and wb.active.title == "README"
    for r in tables:
        ws = wb[r.name]
        assert [c.value for c in ws[1]] == r.field_names and ws.max_row == 1
        assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
        required = {f.name for f in r.fields if f.required}
        fills = {c.value: c.fill.fgColor.rgb for c in ws[1]}
        assert len({fills[n] for n in required}) == 1 and not {fills[n] for n in required} & \
            {fills[n] for n in fills if n not in required}  # required fields stand out
        widths = {j: d.width for d in ws.column_dimensions.values() for j in range(d.min, d.max + 1)}
        for j, f in enumerate(r.fields, 1):
            assert len(f.name) + 1 <= widths[j] <= 61, (r.name, f.name, widths[j])


def test_every_field_has_its_message_and_check(form):
    review, path = form
    rv = Review.open(review)
    wb = openpyxl.load_workbook(path)
    kinds = set()
    for r in extraction_resources(rv):
        dvs = validations(wb[r.name])
        assert len(dvs) == len(r.fields)
        for j, f in enumerate(r.fields, 1):
            dv = dvs[openpyxl.utils.get_column_letter(j)]
            assert dv.promptTitle == f.name[:MAX_TITLE] and dv.showInputMessage
            assert 0 < len(dv.prompt) <= MAX_MESSAGE
            described = " ".join(f.description.split())
            if "…" in dv.prompt:  # shortened: a prefix of the description that ends where a word ends
                head = dv.prompt.split("…")[0]
                assert described.startswith(head) and described[len(head)] in " ,;:.(", (f.name, dv.prompt)
            else:
                assert dv.prompt.startswith(described)
            codes = dropdown_codes(f, r)
            if codes:
                assert dv.type == "list" and list_values(wb, dv) == codes, (r.name, f.name)
                assert ("NR" in codes) == (not f.required)
                assert dv.showErrorMessage == (not f.multiple)
                if f.multiple:
                    assert "Several codes" in dv.prompt and "'; '" in dv.prompt
                kinds.add("multi" if f.multiple else "list")
            elif f.type in ("integer", "number", "date"):
                assert dv.type == {"integer": "whole", "number": "decimal", "date": "date"}[f.type]
                assert (dv.errorStyle or "stop") == ("stop" if f.required else "warning")  # NR stays possible
                if not f.required:
                    assert "NR or NA" in dv.error
                kinds.add(dv.type)
            else:
                assert dv.type is None  # free text: the message only
    assert kinds == {"list", "multi", "whole", "decimal", "date"}


def test_input_messages_are_shortened_at_a_word():
    text = "word " * 80
    short = shorten(text, 50)
    assert len(short) <= 50 and short.endswith("…") and short[:-1].split(" ")[-1] == "word"
    assert shorten("antidisestablishmentarianism", 10) == "antidises…"  # one word longer than the room
    assert shorten("The study reports the ages of the children, in years", 30) == "The study reports the ages…"
    assert shorten("short text", 50) == "short text"


def test_the_readme_sheet_explains_the_convention_and_submitting(form):
    review, path = form
    wb = openpyxl.load_workbook(path)
    text = " ".join(str(c.value) for row in wb["README"].iter_rows() for c in row if c.value)
    assert "Empty cell = not yet extracted" in text and "NR = not reported" in text and "NA = not applicable" in text
    assert "cmokit validate --reviewer alice" in text and "extract/reviewers/alice/" in text
    assert "Can't tell" in text  # the codes with their labels, from the codebook


def test_the_form_is_never_written_over_a_reviewers_files(review_copy, folder_state):
    folder = review_copy / "extract/reviewers/bob"
    folder.mkdir(parents=True)
    (folder / "bob.xlsx").write_bytes(b"my work")
    before = folder_state(review_copy)
    result = run(main, ["template", "-C", str(review_copy), "--reviewer", "bob", "-f", "xlsx"])
    assert result.exit_code == 2 and "already holds bob.xlsx; nothing was written" in result.output
    assert folder_state(review_copy) == before
    # a folder of CSV forms gets no workbook of the same tables, and a workbook no CSV forms
    (folder / "bob.xlsx").unlink()
    assert run(main, ["template", "-C", str(review_copy), "--reviewer", "bob"]).exit_code == 0
    before = folder_state(review_copy)
    result = run(main, ["template", "-C", str(review_copy), "--reviewer", "bob", "-f", "xlsx"])
    assert result.exit_code == 2 and "already holds" in result.output and "studies.csv" in result.output
    assert folder_state(review_copy) == before
    carol = review_copy / "extract/reviewers/carol"
    assert run(main, ["template", "-C", str(review_copy), "--reviewer", "carol", "-f", "xlsx"]).exit_code == 0
    result = run(main, ["template", "-C", str(review_copy), "--reviewer", "carol"])
    assert result.exit_code == 2 and "carol.xlsx" in result.output and sorted(p.name for p in carol.iterdir()) == \
        ["carol.xlsx"]


def fill(review: Path, path: Path, studies=STUDIES) -> dict[str, list[dict[str, str]]]:
    """Fill the form with openpyxl as a reviewer would (numbers as numbers, codes as text); return the rows."""
    rv = Review.open(review)
    wb = openpyxl.load_workbook(path)
    filled = {}
    for r in extraction_resources(rv):
        rows = consensus_rows(review, r.name, studies)
        ws = wb[r.name]
        for i, row in enumerate(rows, 2):
            for j, f in enumerate(r.fields, 1):
                v: object = row[f.name]
                if v in ("", *r.missing_values):
                    pass
                elif f.type == "integer":
                    v = int(v)
                elif f.type == "number":
                    v = float(v)
                if v != "":
                    ws.cell(i, j).value = v
        filled[r.name] = rows
    wb.save(path)
    return filled


def write_csvs(review: Path, folder: Path, rows: dict[str, list[dict[str, str]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rv = Review.open(review)
    for name, table in rows.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=rv.resource(name).field_names, lineterminator="\n")
            w.writeheader()
            w.writerows(table)


def test_round_trip_template_fill_validate_compare(form, tmp_path):
    src, _ = form
    review = tmp_path / "review"
    shutil.copytree(src, review)
    path = review / "extract/reviewers/alice/alice.xlsx"
    rows = fill(review, path, studies=None)  # the whole bundled review, multi-line cells included
    assert sum(len(t) for t in rows.values()) > 170
    result = run(main, ["validate", "-C", str(review), "--reviewer", "alice"])
    assert result.exit_code == 0 and "VALID" in result.output, result.output
    write_csvs(review, review / "extract/reviewers/bob", rows)
    result = compare(Review.open(review), ["alice", "bob"])
    assert result.conflicts == [] and result.pairs[0].tables
    assert all(t.pairs.height == len(rows[t.table]) for t in result.pairs[0].tables)  # every row paired


def test_the_conflicts_workbook_from_compare_to_reconcile(form, tmp_path):
    src, _ = form
    review = tmp_path / "review"
    shutil.copytree(src, review)
    rows = fill(review, review / "extract/reviewers/alice/alice.xlsx")
    rows["studies"][1] = dict(rows["studies"][1], country="Canada")  # bob disagrees on one cell
    write_csvs(review, review / "extract/reviewers/bob", rows)
    out = tmp_path / "conflicts.xlsx"
    result = run(main, ["compare", "-C", str(review), "alice", "bob", "--conflicts", str(out)])
    assert result.exit_code == 0 and "Wrote 1 conflicts" in result.output
    wb = openpyxl.load_workbook(out)
    ws = wb["conflicts"]
    assert ws["A1"].value.startswith("# cmokit-conflicts a=alice:sha256:")
    header = [c.value for c in ws[2]]
    assert header[:6] == ["table", "key", "field", "value_a", "value_b", "decision"]
    assert [c.value for c in ws[3]][:3] == ["studies", "cho-2013", "country"]
    dv = next(d for d in ws.data_validations.dataValidation if str(d.sqref).startswith("F"))
    assert dv.type == "list" and dv.formula1 == '"a,b,other"'
    # undecided: refused, nothing written
    result = run(main, ["reconcile", "-C", str(review), "alice", "bob", "--decisions", str(out), "-o",
                        str(tmp_path / "consensus")])
    assert result.exit_code == 1 and "reconcile.undecided" in result.output
    assert not (tmp_path / "consensus").exists()
    ws["F3"], ws["G3"], ws["H3"], ws["I3"] = "other", "NR", "adjudicator", "the paper names no country"
    wb.save(out)
    result = run(main, ["compare", "-C", str(review), "alice", "bob", "--conflicts", str(out)])
    assert result.exit_code == 2 and "already holds decisions" in result.output  # never over decisions
    result = run(main, ["reconcile", "-C", str(review), "alice", "bob", "--decisions", str(out), "-o",
                        str(tmp_path / "consensus")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "consensus/studies.csv", encoding="utf-8", newline="") as fh:
        country = {r["study_id"]: r["country"] for r in csv.DictReader(fh)}
    assert country["cho-2013"] == "NR"
    # a formula in the decisions sheet is refused, never taken
    ws["G3"] = '="N"&"R"'
    wb.save(out)
    result = run(main, ["reconcile", "-C", str(review), "alice", "bob", "--decisions", str(out), "-o",
                        str(tmp_path / "c2")])
    assert result.exit_code == 1 and "xlsx.formula" in result.output and "conflicts!G3" in result.output
