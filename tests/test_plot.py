"""`cmokit plot`: SVG pictures whose numbers are checked against counts taken straight from the consensus CSVs."""

from __future__ import annotations

import csv
import os
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.presentation.plot import STATES, appraisal_plot, effects_grid, evidence_map, write_plot
from cmokit.presentation.svg import esc, wrap
from cmokit.synthesis.database import DEFAULT_DB

NS = {"s": "http://www.w3.org/2000/svg"}


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def included(review: Path) -> list[dict[str, str]]:
    return [s for s in read(review / "extract/consensus/studies.csv") if s["inclusion_status"] == "included"]


def text_of(el: ET.Element) -> str:
    return "".join(el.itertext())


def cells(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(g.get("data-row"), g.get("data-col")): g for g in root.iterfind(".//s:g[@class='cell']", NS)}


def plot_cli(review: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["plot", *args, "-C", str(review)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    r = copy_review(tmp_path_factory.mktemp("plot") / "review")
    assert CliRunner().invoke(main, ["build", "-C", str(r)]).exit_code == 0
    return r


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> Path:
    """A copy with a study label and a codebook label full of XML's special characters, and one real MMAT appraisal
    (letourneau-2011: an RCT with yes / no / can't tell answers)."""
    r = copy_review(tmp_path_factory.mktemp("plot-edited") / "review")
    studies = read(r / "extract/consensus/studies.csv")
    for s in studies:
        if s["study_id"] == "cho-2013":
            s["study_label"] = 'Cho & <Kim> "et al" (2013)'
    write(r / "extract/consensus/studies.csv", studies)
    codebook = read(r / "schema/codebook.csv")
    for c in codebook:
        if (c["table"], c["field"], c["code"]) == ("studies", "intervention_type", "linkage"):
            c["label"] = "Linkage & <referral>"
    write(r / "schema/codebook.csv", codebook)
    appraisal = read(r / "extract/consensus/appraisal.csv")
    for a in appraisal:
        if a["study_id"] == "letourneau-2011":
            a.update(mmat_category="2", s1="yes", s2="yes", c2_1="no", c2_2="cant_tell", c2_3="yes", c2_4="yes")
    write(r / "extract/consensus/appraisal.csv", appraisal)
    return r


# ------------------------------------------------------------------------------------------------ evidence map

def test_evidence_map_counts_equal_the_studies_csv(review):
    code, out, _ = plot_cli(review, "evidence-map", "--output", "-")
    assert code == 0
    root = ET.fromstring(out.encode())
    expected: Counter[tuple[str, str]] = Counter()
    for s in included(review):
        for t in set(s["intervention_type"].split("; ")):
            expected[(t, s["age_band"])] += 1
    drawn = cells(root)
    assert {k: int(g.get("data-count")) for k, g in drawn.items() if int(g.get("data-count"))} == dict(expected)
    for key, g in drawn.items():  # the number written in each circle is the count
        assert [text_of(t) for t in g.iterfind("s:text", NS)] == ([str(expected[key])] if expected[key] else [])
    assert expected[("parenting", "children")] == 7  # the map's biggest cell on the bundled review
    assert text_of(drawn[("parenting", "children")].find("s:text", NS)) == "7"
    # rows and columns in codebook / descriptor order, labelled from the codebook
    codebook = read(review / "schema/codebook.csv")
    types = [(c["code"], c["label"]) for c in codebook if (c["table"], c["field"]) == ("studies", "intervention_type")]
    rows = [(t.get("data-code"), " ".join(text_of(s) for s in t.iterfind("s:tspan", NS)) or text_of(t))
            for t in root.iterfind(".//s:text[@class='row-label']", NS)]
    assert rows == types
    assert [t.get("data-code") for t in root.iterfind(".//s:text[@class='col-label']", NS)] == [
        "infants", "children", "adolescents"]
    totals = {t.get("data-code"): text_of(t) for t in root.iterfind(".//s:text[@class='col-total']", NS)}
    assert totals == {b: f"n = {n}" for b, n in Counter(s["age_band"] for s in included(review)).items()}
    notes = " ".join(text_of(t) for t in root.iterfind(".//s:text[@class='note']", NS))
    assert f"n = {len(included(review))} studies; intervention type as coded in the review" in notes


def test_svg_has_size_viewbox_title_and_desc(review):
    db = review / DEFAULT_DB
    for svg in (evidence_map(Review.open(review), db), effects_grid(Review.open(review), db),
                appraisal_plot(Review.open(review), db)):
        assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n') and svg.endswith("</svg>\n")
        root = ET.fromstring(svg.encode())
        w, h = root.get("width"), root.get("height")
        assert root.get("viewBox") == f"0 0 {w} {h}" and int(w) > 300 and int(h) > 200
        assert root.get("font-family") == "sans-serif"
        assert text_of(root.find("s:title", NS)).strip() and len(text_of(root.find("s:desc", NS))) > 50
        ids = f"{root.find('s:title', NS).get('id')} {root.find('s:desc', NS).get('id')}"
        assert root.get("aria-labelledby") == ids


def test_rendering_is_deterministic(review, tmp_path):
    db = review / DEFAULT_DB
    assert evidence_map(Review.open(review), db) == evidence_map(Review.open(review), db)
    assert appraisal_plot(Review.open(review), db) == appraisal_plot(Review.open(review), db)
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for path in (a, b):
        assert plot_cli(review, "effects", "--output", str(path))[0] == 0
    assert a.read_bytes() == b.read_bytes() == plot_cli(review, "effects", "-o", "-")[1].encode()


# ------------------------------------------------------------------------------------------------ effects

@pytest.mark.parametrize("band", [None, "adolescents"])
def test_effects_grid_counts_equal_the_cmo_csv(review, band):
    studies = {s["study_id"]: s for s in included(review)}
    expected = Counter((c["ss_effect"], c["child_effect"]) for c in read(review / "extract/consensus/cmo.csv")
                       if c["study_id"] in studies and band in (None, studies[c["study_id"]]["age_band"]))
    code, out, _ = plot_cli(review, "effects", "-o", "-", *(["--band", band] if band else []))
    assert code == 0
    drawn = cells(ET.fromstring(out.encode()))
    assert {k: int(g.get("data-count")) for k, g in drawn.items() if int(g.get("data-count"))} == dict(expected)
    assert all(text_of(g.find("s:text", NS)) == g.get("data-count") for g in drawn.values())
    codes = [c["code"] for c in read(review / "schema/codebook.csv")
             if (c["table"], c["field"]) == ("cmo", "ss_effect")]
    assert sorted({r for r, _ in drawn}, key=codes.index) == codes  # every code has its row, none extra
    if band:
        assert "Adolescents (10-18 years)" in text_of(ET.fromstring(out.encode()).find("s:title", NS))


# ------------------------------------------------------------------------------------------------ appraisal

def overall_cells(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-study"): g.find("s:g[@data-column='overall']", NS)
            for g in root.iterfind(".//s:g[@class='study']", NS)}


def test_appraisal_plot_shows_the_two_ratings_and_not_reported_everywhere_else(review):
    code, out, _ = plot_cli(review, "appraisal", "-o", "-")
    assert code == 0
    root = ET.fromstring(out.encode())
    studies = included(review)
    rows = root.findall(".//s:g[@class='study']", NS)
    assert len(rows) == len(studies) == 33
    labels = {s["study_id"]: s["study_label"] for s in studies}
    assert {g.get("data-study"): text_of(g.find("s:text[@class='study-label']", NS)) for g in rows} == labels
    ratings = {a["study_id"]: a["overall_rating"] for a in read(review / "extract/consensus/appraisal.csv")}
    assert {k: v for k, v in ratings.items() if v != "NR"} == {"letourneau-2011": "moderate", "mitchell-2015": "low"}
    for study, cell in overall_cells(root).items():
        state = ratings[study]
        assert cell.get("class") == f"cell state-{state}" and cell.get("data-value") == state
        assert cell.find("s:circle", NS).get("fill") == STATES[state].fill
        assert text_of(cell.find("s:text", NS)) == STATES[state].symbol
    assert STATES["moderate"].fill != STATES["low"].fill != STATES["NR"].fill
    # the paper prints no MMAT answers: every other cell is grey "not reported", none hidden
    answers = [c for g in rows for c in g.iterfind("s:g", NS) if c.get("data-column") != "overall"]
    assert len(answers) == 33 * 7 and {c.get("data-state") for c in answers} == {"NR"}
    assert {c.find("s:circle", NS).get("fill") for c in answers} == {STATES["NR"].fill}
    summary = " ".join(text_of(t) for t in root.iterfind(".//s:text[@class='summary']", NS))
    assert "0 of 231 cells" in summary and "2 of 33 studies" in summary
    legend = {g.get("data-state") for g in root.iterfind(".//s:g[@class='legend-key']", NS)}
    assert {"yes", "no", "cant_tell", "NR", "NA", "low", "moderate", "high"} <= legend


def test_appraisal_plot_draws_recorded_answers_of_the_studys_category(edited):
    code, out, err = plot_cli(edited, "appraisal", "--band", "infants", "-o", "-")
    assert code == 0, err
    root = ET.fromstring(out.encode())
    rows = {g.get("data-study"): g for g in root.iterfind(".//s:g[@class='study']", NS)}
    infants = {s["study_id"] for s in included(edited) if s["age_band"] == "infants"}
    assert set(rows) == infants and len(infants) == 4
    drawn = {c.get("data-column"): (c.get("data-field"), c.get("data-state"))
             for c in rows["letourneau-2011"].iterfind("s:g", NS)}
    assert drawn == {"s1": ("s1", "yes"), "s2": ("s2", "yes"), "c1": ("c2_1", "no"), "c2": ("c2_2", "cant_tell"),
                     "c3": ("c2_3", "yes"), "c4": ("c2_4", "yes"), "c5": ("c2_5", "NR"),
                     "overall": ("overall_rating", "moderate")}
    assert text_of(rows["letourneau-2011"].find("s:text[@class='category']", NS)) == "2 Randomised controlled trial"


# ------------------------------------------------------------------------------------------------ theories

def theory_cells(root: ET.Element) -> dict[tuple[str, str], list[str]]:
    return {(g.get("data-theory"), g.get("data-study")): g.get("data-judgements").split()
            for g in root.iterfind(".//s:g[@class='cell']", NS)}


@pytest.mark.parametrize("band", [None, "infants"])
def test_theory_matrix_marks_equal_the_evidence_csv(review, band):
    studies = {s["study_id"]: s for s in included(review) if band in (None, s["age_band"])}
    expected: dict[tuple[str, str], list[str]] = {}
    for e in read(review / "extract/consensus/evidence.csv"):
        if e["study_id"] in studies:
            expected.setdefault((e["theory_id"], e["study_id"]), []).append(e["judgement"])
    code, out, _ = plot_cli(review, "theories", "-o", "-", *(["--band", band] if band else []))
    assert code == 0
    root = ET.fromstring(out.encode())
    drawn = theory_cells(root)
    assert {k: v for k, v in drawn.items() if v} == expected
    # one marked circle per judgement, its symbol written in it
    symbols = {"supports": "+", "refutes": "\u2212", "refines": "~", "illustrates": "i"}
    for g in root.iterfind(".//s:g[@class='cell']", NS):
        assert [text_of(x) for x in g.iterfind("s:text", NS)] == [symbols[j] for j in g.get("data-judgements").split()]
    # rows: the theories with evidence; columns: every included study of the band(s), grouped by band, by reference
    assert {t for t, _ in drawn} == {t for t, _ in expected}
    columns = [x.get("data-study") for x in root.iterfind(".//s:text[@class='study-ref']", NS)]
    order = [b for b in ("infants", "children", "adolescents") if band in (None, b)]
    assert columns == [s["study_id"] for s in sorted(studies.values(), key=lambda s: (order.index(s["age_band"]),
                                                                                       int(s["ref_number"])))]
    assert [x.get("data-band") for x in root.iterfind(".//s:text[@class='band-label']", NS)] == order
    notes = " ".join(text_of(x) for x in root.iterfind(".//s:text[@class='note']", NS))
    n_theories = len(read(review / "extract/consensus/theories.csv"))
    linked = len({t for t, _ in expected})
    assert f"{sum(map(len, expected.values()))} evidence judgements on {linked} theories" in notes
    assert f"{n_theories - linked} theories have no evidence" in notes


def test_theory_matrix_on_the_bundled_review_shows_the_papers_contested_claims(review):
    code, out, _ = plot_cli(review, "theories", "-o", "-")
    root = ET.fromstring(out.encode())
    drawn = theory_cells(root)
    # "Three studies [34-36] reported increased social support ... One moderate-quality study [33] ... favoured the
    # control group"; "One study [43] found that child behaviour problems could become worse, which they attributed
    # to insufficiently skilled staff" (two pieces of evidence in one cell)
    row = {s: j for (t, s), j in drawn.items() if t == "infants-support-increase" and j}
    assert row == {"stubbs-2016": ["supports"], "mitchell-2015": ["supports"], "cho-2013": ["supports"],
                   "letourneau-2011": ["refutes"]}
    assert drawn[("adolescents-child-outcomes", "lachman-2017")] == ["refutes", "refines"]
    legend = [g.get("data-judgement") for g in root.iterfind(".//s:g[@class='legend-key']", NS)]
    assert legend == ["supports", "refutes", "refines", "illustrates"]
    desc = text_of(root.find("s:desc", NS))
    assert "Infants: interventions increase parents' social support: supports [34, 35, 36]; refutes [33]" in desc
    assert out == plot_cli(review, "theories", "-o", "-")[1]  # deterministic


# ------------------------------------------------------------------------------------------------ text and output

def test_labels_with_xml_characters_are_escaped(edited):
    code, out, err = plot_cli(edited, "appraisal", "-o", "-")
    assert code == 0, err
    assert "Cho &amp; &lt;Kim&gt; &quot;et al&quot; (2013)" in out
    labels = [text_of(t) for t in ET.fromstring(out.encode()).iterfind(".//s:text[@class='study-label']", NS)]
    assert 'Cho & <Kim> "et al" (2013)' in labels
    code, out, _ = plot_cli(edited, "evidence-map", "-o", "-")
    assert code == 0
    rows = [" ".join(text_of(s) for s in t.iterfind("s:tspan", NS)) or text_of(t)
            for t in ET.fromstring(out.encode()).iterfind(".//s:text[@class='row-label']", NS)]
    assert "Linkage & <referral>" in rows


def test_esc_and_wrap():
    assert esc('a & b < c > "d"\x00\x1b') == "a &amp; b &lt; c &gt; &quot;d&quot;"
    ET.fromstring(f"<t a=\"{esc(chr(7) + '<&>')}\">{esc('x' + chr(0) + '&')}</t>")  # still well-formed
    assert wrap("Adolescents (10-18 years)", 500, 12, before_parenthesis=True) == ["Adolescents", "(10-18 years)"]
    assert wrap("one two three four", 50, 12) == ["one two", "three", "four"]


def test_output_file_is_written_atomically(review, tmp_path, monkeypatch):
    target = tmp_path / "map.svg"
    code, out, _ = plot_cli(review, "evidence-map", "--output", str(target))
    assert code == 0 and out == f"Wrote {target}\n"
    first = target.read_bytes()
    ET.fromstring(first)

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_plot("<svg/>", target)
    assert target.read_bytes() == first and sorted(p.name for p in tmp_path.iterdir()) == ["map.svg"]


def test_usage_errors_exit_2_and_build_nothing(tmp_path):
    fresh = copy_review(tmp_path / "review")
    result = CliRunner().invoke(main, ["plot", "scatter", "-C", str(fresh), "-o", "-"])
    assert result.exit_code == 2 and "'scatter' is not one of 'evidence-map', 'effects', 'appraisal'" in result.output
    code, _, err = plot_cli(fresh, "effects", "--band", "toddlers", "-o", "-")
    assert code == 2 and "unknown age band 'toddlers' (one of infants, children, adolescents)" in err
    code, _, err = plot_cli(fresh, "evidence-map", "--band", "infants", "-o", "-")
    assert code == 2 and "--band does not apply to evidence-map" in err
    code, _, err = plot_cli(fresh, "appraisal", "-o", str(tmp_path / "plot.png"))
    assert code == 2 and "plot.png: a plot is an SVG file; give --output FILE.svg" in err
    code, _, err = plot_cli(fresh, "appraisal", "-o", str(tmp_path))
    assert code == 2 and "is a folder" in err
    result = CliRunner().invoke(main, ["plot", "appraisal", "-C", str(fresh)])
    assert result.exit_code == 2 and "Missing option '--output'" in result.output
    assert not (fresh / DEFAULT_DB).exists() and "Traceback" not in err
