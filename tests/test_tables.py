"""`cmokit tables`: the paper's Tables 1-3 from the database, checked against the consensus CSVs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.synthesis.database import DEFAULT_DB
from cmokit.synthesis.tables import paper_tables

# the paper's headings of Tables 1-3 (the bundled review's configuration fields' titles, in role order)
COLUMNS = ["Study ID", "Intervention components", "Context", "Mechanisms for improved child mental health",
           "Social support outcomes", "Child outcomes"]


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    r = copy_review(tmp_path_factory.mktemp("tables") / "review")
    assert CliRunner().invoke(main, ["build", "-C", str(r)]).exit_code == 0
    return r


def expected(review: Path, band: str) -> list[list[str]]:
    """The rows Table n should have, straight from the consensus CSVs, ordered by paper_table_row."""
    studies = [s for s in read(review / "extract/consensus/studies.csv")
               if s["age_band"] == band and s["inclusion_status"] == "included"]
    studies.sort(key=lambda s: int(s["paper_table_row"]))
    cmo = read(review / "extract/consensus/cmo.csv")
    rows = []
    for s in studies:
        for c in sorted((c for c in cmo if c["study_id"] == s["study_id"]), key=lambda c: int(c["cmo_number"])):
            rows.append([f"{s['study_label']} [{s['ref_number']}]", c["intervention_components"], c["context"],
                         c["mechanisms"], c["ss_outcomes"], c["child_outcomes"]])
    return rows


def test_three_tables_in_the_papers_order_with_the_consensus_text(review):
    tables = paper_tables(Review.open(review), review / DEFAULT_DB)
    assert [(t.number, t.band) for t in tables] == [(1, "infants"), (2, "children"), (3, "adolescents")]
    for t in tables:
        assert t.columns == COLUMNS
        assert t.rows == expected(review, t.band), t.band
    # the paper's first rows: Table 1 Cho et al (2013) [36], Table 2 Ayton and Joss (2016) [32], Table 3 Asghar [49]
    assert [t.rows[0][0] for t in tables] == ["Cho et al (2013) [36]", "Ayton and Joss (2016) [32]",
                                              "Asghar et al 2018 [49]"]
    assert [len(t.rows) for t in tables] == [4, 13, 16]
    assert tables[0].title.startswith("Table 1.") and "infants (0-2 years)" in tables[0].title


def test_csv_output_round_trips_cells_with_line_breaks(review):
    result = CliRunner().invoke(main, ["tables", "--review", str(review), "--band", "children", "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == COLUMNS
    assert rows[1:] == expected(review, "children")
    assert any("\n" in cell for row in rows for cell in row)


def test_markdown_output(review, tmp_path):
    out = tmp_path / "tables.md"
    result = CliRunner().invoke(main, ["tables", "--review", str(review), "--output", str(out)])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("### Table ") == 3
    assert "| Study ID | Intervention components | Context |" in text
    first = expected(review, "infants")[0]
    assert "| " + " | ".join(c.replace("\n", "<br>") for c in first) + " |" in text
    assert "\r" not in text


def test_folder_output_one_file_per_table(review, tmp_path):
    result = CliRunner().invoke(main, ["tables", "--review", str(review), "-f", "csv", "-o", str(tmp_path / "t")])
    assert result.exit_code == 0
    names = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert names == ["table-1-infants.csv", "table-2-children.csv", "table-3-adolescents.csv"]
    assert len(read(tmp_path / "t" / "table-3-adolescents.csv")) == 16


def test_usage_errors(review, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["tables", "--review", str(review), "--format", "csv"])
    assert result.exit_code == 2 and "--band" in result.output
    result = runner.invoke(main, ["tables", "--review", str(review), "--band", "toddlers"])
    assert result.exit_code == 2 and "infants" in result.output
    result = runner.invoke(main, ["tables", "--review", str(review), "-f", "csv", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2


def test_missing_cells_show_their_code(review_copy):
    p = review_copy / "extract/consensus/cmo.csv"
    rows = read(p)
    with open(p, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    target = next(r for r in rows if r["study_id"] == "cho-2013")
    target["mechanisms"] = "NR"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    result = CliRunner().invoke(main, ["tables", "--review", str(review_copy), "-b", "infants", "-f", "csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert table[0]["Study ID"] == "Cho et al (2013) [36]"
    assert table[0]["Mechanisms for improved child mental health"] == "NR"


# ------------------------------------------------------------------------------------------------ --theories

def test_theory_table_has_every_theory_with_its_studies_by_judgement(review):
    result = CliRunner().invoke(main, ["tables", "--theories", "-C", str(review), "-f", "csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    theories = read(review / "extract/consensus/theories.csv")
    assert [r["Theory"] for r in table] == [f"{t['label']} ({t['theory_id']})" for t in theories]
    assert [r["Statement"] for r in table] == [t["statement"] for t in theories]
    studies = {s["study_id"]: f"{s['study_label']} [{s['ref_number']}]" for s in read(review / "extract/consensus/"
                                                                                        "studies.csv")}
    column = {"supports": "Supporting studies", "refutes": "Refuting studies", "refines": "Refining studies",
              "illustrates": "Illustrating studies"}
    expected: dict[tuple[str, str], set[str]] = {}
    for e in read(review / "extract/consensus/evidence.csv"):
        expected.setdefault((e["theory_id"], column[e["judgement"]]), set()).add(studies[e["study_id"]])
    for row, t in zip(table, theories, strict=True):
        for col in column.values():
            got = set(row[col].split("\n")) - {""}
            assert got == expected.get((t["theory_id"], col), set()), (t["theory_id"], col)
    by_id = {t["theory_id"]: r for t, r in zip(theories, table, strict=True)}
    # "Three studies [34-36] reported increased social support ... One moderate-quality study [33] ..."
    assert by_id["infants-support-increase"]["Refuting studies"] == "Letourneau et al (2011) [33]"
    assert by_id["infants-support-increase"]["Rigour"] == "[33] medium"
    assert by_id["children-service-systems"]["Rigour"] == "NR"  # evidence, none rated
    assert by_id["abstract-pathways"]["Rigour"] == ""  # no evidence at all


def test_theory_table_as_markdown_and_excel(review, tmp_path):
    result = CliRunner().invoke(main, ["tables", "--theories", "-C", str(review), "-o", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "t" / "theories.md").read_text(encoding="utf-8")
    assert text.startswith("### Theories and the evidence") and "Pancer et al. (2013) [46]<br>Bohleber" in text
    from openpyxl import load_workbook

    out = tmp_path / "theories.xlsx"
    assert CliRunner().invoke(main, ["tables", "--theories", "-C", str(review), "-f", "xlsx", "-o", str(out)]
                              ).exit_code == 0
    ws = load_workbook(out).active
    assert ws.title == "Theories" and [c.value for c in ws[2]][:4] == ["Theory", "Kind", "Status", "Statement"]
    assert ws.max_row == 2 + len(read(review / "extract/consensus/theories.csv"))


def test_theories_and_band_together_is_a_usage_error(review):
    result = CliRunner().invoke(main, ["tables", "--theories", "--band", "infants", "-C", str(review)])
    assert result.exit_code == 2 and "--theories" in result.output
