"""`cmokit report`: the one-file HTML report, checked against the review's data (counts taken straight from the
CSVs), the prisma table and its rules, escaping of hostile text, determinism and the atomic write.

The browser checks (no request, console, axe-core, clicking, printing) are in test_report_browser.py.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
from _report import HOSTILE, edit_cell, parse, read_csv, shared_realist_review, write_csv
from click.testing import CliRunner
from conftest import ROOT, copy_review

from cmokit.cli import main
from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.presentation.report import render, report_time
from cmokit.synthesis.build import build
from cmokit.synthesis.tables import paper_tables
from cmokit.validation.validate import validate_review

WHEN = "2026-01-02T03:04:05Z"
PRISMA = ROOT / "extract" / "consensus" / "prisma.csv"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def report_of(root: Path, **kw) -> str:
    review = Review.open(root)
    return render(review, root / ".cmokit" / "review.duckdb", built_at=WHEN, **kw).html


def section(html: str, anchor: str) -> str:
    """The HTML of one section (from its opening tag to the next section or the end of main)."""
    start = html.index(f'<section id="{anchor}"')
    end = min(i for i in (html.find("<section id=", start + 1), html.find("</main>", start)) if i != -1)
    return html[start:end]


def table_head(html: str, table_id: str) -> list[str]:
    head = html[html.index(f'<table id="{table_id}"'):]
    head = head[head.index("<thead>"):head.index("</thead>")]
    return [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of every cell of a table's body, row by row."""
    body = html[html.index(f'<table id="{table_id}"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    return [[unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> tuple[Path, str]:
    root = copy_review(tmp_path_factory.mktemp("report") / "review")
    build(root)
    return root, report_of(root)


# ------------------------------------------------------------------------------------------------- the prisma data

def test_bundled_prisma_records_only_what_the_text_states():
    flow = {r["data"]: r for r in rows(PRISMA)}
    given = {k: r["n"] for k, r in flow.items() if r["n"] not in ("NR", "NA")}
    assert given == {"new_studies": "33", "new_reports": "33"}  # every other count is only in Fig 1: NR
    included = [s for s in rows(ROOT / "extract/consensus/studies.csv") if s["inclusion_status"] == "included"]
    assert len(included) == 33
    databases = flow["database_results"]["details"]
    for name in ("PubMed", "CINAHL", "Ovid MEDLINE", "PsychINFO", "EMBASE", "Child and Adolescent Studies",
                 "EconLit", "SocINDEX"):
        assert name in databases
    assert "01/01/2008 to 08/06/2018" in databases  # the paper's wording, kept
    # ambiguous in the paper: the date format (read day first, as the review's search window) ...
    window = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["cmokit"]["search_window"]
    assert window == {"start": "2008-01-01", "end": "2018-06-08"}
    assert "day first" in flow["database_results"]["notes"]
    # ... and 'articles' (Abstract) versus 'studies' (Results) for the same 33
    assert flow["new_reports"]["details"] == "Thirty-three articles were included."
    assert flow["new_studies"]["details"] == "Thirty-three studies were included [32-64]."
    assert "'articles'" in flow["new_reports"]["notes"] and "'studies'" in flow["new_reports"]["notes"]
    assert flow["dbr_excluded"]["reasons"] == "NR"


def _flow(root: Path, counts: dict[str, str], reasons: str = "NR") -> dict[str, int]:
    """Give the bundled flow's boxes these counts; return the CSV line of each box."""
    header, body = read_csv(root / "extract/consensus/prisma.csv")
    known = {r[0] for r in body}
    body += [[b, "", "NA", "NR", "NR", "NA"] for b in counts if b not in known]
    for r in body:
        r[1] = counts.get(r[0], r[1])
        if r[0] == "dbr_excluded":
            r[2] = reasons
    write_csv(root / "extract/consensus/prisma.csv", header, body)
    return {r[0]: i + 2 for i, r in enumerate(body)}


CONSISTENT = {"database_results": "1200", "register_results": "0", "duplicates": "200", "excluded_automatic": "0",
              "excluded_other": "0", "records_screened": "1000", "records_excluded": "900",
              "dbr_sought_reports": "100", "dbr_notretrieved_reports": "4", "dbr_assessed": "96",
              "dbr_excluded": "63", "new_studies": "33", "new_reports": "33", "previous_studies": "0",
              "total_studies": "33"}


def prisma_problems(root: Path) -> set[tuple[str, str, int, str]]:
    return {(p.severity, p.rule, p.line, p.field) for p in validate_review(root).problems if p.resource == "prisma"}


def prisma_errors(root: Path) -> set[tuple[str, int, str]]:
    return {(r, ln, f) for sev, r, ln, f in prisma_problems(root) if sev == "error"}


def test_a_flow_that_adds_up_passes(review_copy):
    _flow(review_copy, CONSISTENT, reasons="wrong population, 40; no mental health outcome, NR; not in English, 3")
    assert prisma_errors(review_copy) == set()


def test_each_broken_sum_is_reported_at_its_box(review_copy):
    broken = dict(CONSISTENT, records_screened="1001", records_excluded="1002", dbr_assessed="95",
                  new_reports="97", total_studies="34")
    line = _flow(review_copy, broken, reasons="wrong population, 40; no outcome 23")
    assert prisma_errors(review_copy) == {
        ("prisma.screened", line["records_screened"], "n"),  # 1200 + 0 - 200 - 0 - 0 = 1000
        ("prisma.excluded", line["records_excluded"], "n"),  # 1002 > 1001 screened
        ("prisma.assessed", line["dbr_assessed"], "n"),  # 100 - 4 = 96
        ("prisma.included", line["new_reports"], "n"),  # 97 > 95 assessed
        ("prisma.total", line["total_studies"], "n"),  # 0 + 33
        ("prisma.reasons", line["dbr_excluded"], "reasons"),  # 'no outcome 23' has no comma
    }
    report = validate_review(review_copy)
    assert [(p.rule, p.line) for p in report.warnings if p.resource == "prisma"] == [
        ("prisma.studies", line["total_studies"])]  # 34, but the studies table has 33 included
    (reasons,) = [p for p in report.errors if p.rule == "prisma.reasons"]
    assert "'no outcome 23' is not 'reason, count'" in reasons.message
    (screened,) = [p for p in report.errors if p.rule == "prisma.screened"]
    assert "records_screened is 1001" in screened.message and "is 1000" in screened.message


def test_reasons_must_add_up_and_the_flow_ends_at_the_included_studies(review_copy):
    line = _flow(review_copy, CONSISTENT, reasons="wrong population, 40; no outcome, 22")
    edit_cell(review_copy / "extract/consensus/studies.csv", "study_id", "ayton-2016", "inclusion_status", "excluded")
    assert prisma_problems(review_copy) == {
        ("error", "prisma.reasons", line["dbr_excluded"], "reasons"),  # 40 + 22 = 62, but the box says 63
        ("warning", "prisma.studies", line["total_studies"], "n"),  # the flow ends at 33, the studies table has 32
    }
    _flow(review_copy, dict(CONSISTENT, total_studies="NR"), reasons="NR")
    assert prisma_problems(review_copy) == set()  # nothing is checked against an unknown number


# ------------------------------------------------------------------------------------------------- content

def test_sections_anchors_and_ids(bundled):
    _, html = bundled
    page = parse(html)
    ids = [a["id"] for _, a in page.tags if a.get("id")]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    toc = re.findall(r'<li><a href="#([^"]+)">', html)
    review = Review.open(bundled[0])
    realist = ["theories"] if review.has("theories") and review.has("evidence") else []
    assert toc == ["overview", "prisma", "characteristics", "figures", *realist, "agreement", "quality"]
    for anchor in toc:
        assert f'<section id="{anchor}"' in html
    for _, attrs in page.tags:  # every in-page link points at an element of the page
        href = attrs.get("href")
        if href and href.startswith("#"):
            assert href[1:] in ids, href
    levels = [int(t[1]) for t, _ in page.tags if re.fullmatch(r"h[1-6]", t)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_overview_counts_come_from_the_data(bundled):
    root, html = bundled
    studies = rows(root / "extract/consensus/studies.csv")
    by_band = Counter(s["age_band"] for s in studies if s["inclusion_status"] == "included")
    body = table_rows(html, "groups")
    assert [(r[0], int(r[1])) for r in body] == [("Infants (0-2 years)", by_band["infants"]),
                                                 ("Children (3-9 years)", by_band["children"]),
                                                 ("Adolescents (10-18 years)", by_band["adolescents"])]
    assert "<dt>Studies: Included</dt><dd>33</dd>" in html
    assert '<a href="https://doi.org/10.1371/journal.pone.0251750">' in html
    assert '<a href="https://creativecommons.org/licenses/by/4.0/">Creative Commons Attribution 4.0</a>' in html
    counts = {r[0]: int(r[2].replace(",", "")) for r in table_rows(html, "tables-rows")}
    assert counts["cmo"] == len(rows(root / "extract/consensus/cmo.csv"))
    assert counts["prisma"] == len(rows(root / "extract/consensus/prisma.csv"))


def test_provenance_hashes_every_source_file(bundled):
    root, html = bundled
    hashes = {r[0]: r[2] for r in table_rows(html, "sources")}
    for rel in ("datapackage.json", "extract/consensus/prisma.csv", "schema/prisma.schema.json",
                "validators/prisma.py", "extract/consensus/studies.csv"):
        assert hashes[rel] == hashlib.sha256((root / rel).read_bytes()).hexdigest(), rel
    assert f'<p class="build-time">Report built {WHEN} by cmokit' in html
    assert '<span class="status-ok">Passed</span>' in html
    problems = [tuple(p[:4]) for p in table_rows(html, "problems")]
    report = validate_review(root)
    assert report.errors == [] and problems == sorted(
        ((p.severity, p.rule, p.path or "", str(p.line or "")) for p in report.problems),
        key=lambda p: (p[0], p[2], p[3] == "", int(p[3] or 0), p[1]))
    assert ("warning", "inclusion.mh_outcome", "extract/consensus/studies.csv", "14") in problems


def test_characteristics_tables_are_the_paper_tables(bundled):
    root, html = bundled
    review = Review.open(root)
    tables = paper_tables(review, root / ".cmokit/review.duckdb")
    part = section(html, "characteristics")
    for t in tables:
        assert f'<caption id="table-{t.number}-caption">{t.title}</caption>' in part
        body = table_rows(part, f"table-{t.number}")
        assert len(body) == len(t.rows) and [r[0] for r in body] == [r[0] for r in t.rows]
        assert 'class="data sortable"' in part
    assert sum(len(t.rows) for t in tables) == len(rows(root / "extract/consensus/cmo.csv"))


def test_prisma_diagram_shows_nr_boxes_honestly(bundled):
    _, html = bundled
    part = section(html, "prisma")
    boxes = dict(re.findall(r'<g class="box[^"]*" data-box="([^"]+)" data-n="([^"]+)"', part))
    assert boxes["new_studies new_reports"] == "33 33"
    assert boxes["records_screened"] == "NR" and boxes["database_results register_results"] == "NR NR"
    assert re.search(r'<g class="box box-missing" data-box="records_screened"', part)
    assert not re.search(r'<g class="box box-missing" data-box="new_studies', part)
    assert "Records screened (n = NR)" in part and "New studies included in review" in part
    svg = part[part.index("<svg"):part.index("</svg>")]
    assert "via other methods" not in svg and "Websites" not in svg  # the review has no box of other methods
    assert '<title id="fig-prisma-prisma-title">' in part and 'aria-labelledby="fig-prisma-prisma-title ' in part
    body = table_rows(part, "prisma-boxes")
    assert ["New studies included in review", "33", "NA", "Thirty-three studies were included [32-64].",
            "Results"] == body[-2][:5]


def test_prisma_layout_of_an_updated_review_with_other_methods():
    import xml.etree.ElementTree as ET

    from cmokit.presentation.prisma import Box, Flow, render_flow

    counts = {"previous_studies": 10, "previous_reports": 12, "database_results": 1200, "register_results": 30,
              "duplicates": 230, "records_screened": 1000, "records_excluded": 900, "dbr_sought_reports": 100,
              "dbr_notretrieved_reports": 4, "dbr_assessed": 96, "dbr_excluded": 63, "website_results": 20,
              "citations_results": 15, "other_sought_reports": 35, "other_notretrieved_reports": None,
              "other_assessed": 30, "other_excluded": 28, "new_studies": 35, "new_reports": 35, "total_studies": 45,
              "total_reports": 47}
    flow = Flow({k: Box(k, n, "" if n is not None else "NR", "wrong population, 1040; no outcome, 23"
                        if k == "dbr_excluded" else "NA", "", "", "") for k, n in counts.items()}, {})
    root = ET.fromstring(render_flow(flow))
    ns = {"s": "http://www.w3.org/2000/svg"}
    boxes = {g.get("data-box"): g for g in root.iterfind(".//s:g", ns) if g.get("data-box")}
    assert set(boxes) == {"previous_studies previous_reports", "database_results register_results", "duplicates",
                          "records_screened", "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports",
                          "dbr_assessed", "dbr_excluded", "website_results citations_results", "other_sought_reports",
                          "other_notretrieved_reports", "other_assessed", "other_excluded", "new_studies new_reports",
                          "total_studies total_reports"}
    assert boxes["other_notretrieved_reports"].get("class") == "box box-missing"  # NR: dashed
    assert boxes["database_results register_results"].get("data-n") == "1,200 30"
    text = " ".join("".join(t.itertext()) for t in boxes["dbr_excluded"].iterfind(".//s:text", ns))
    assert "wrong population (n = 1,040)" in text and "no outcome (n = 23)" in text
    heads = ["".join(t.itertext()) for t in root.iterfind(".//s:text[@class='column-head']", ns)]
    assert heads == ["Identification of new studies via databases and registers",
                     "Identification of new studies via other methods", "Previous studies"]
    # arrows: 4 down + 4 right (databases), 2 down + 2 right (other methods), other -> new studies, previous and
    # new studies -> total
    assert len(root.findall(".//s:polygon", ns)) == 15


def test_figures_and_the_mmat_summary(bundled):
    root, html = bundled
    part = section(html, "figures")
    for fig in ("fig-evidence-map", "fig-effects", "fig-appraisal", "fig-mmat-summary"):
        assert f'<figure id="{fig}"' in part
    assert "<?xml" not in html
    appraisal = rows(root / "extract/consensus/appraisal.csv")
    heads = table_head(part, "mmat-summary")
    summary = {r[0]: dict(zip(heads, r, strict=True)) for r in table_rows(part, "mmat-summary")}
    ratings = Counter(a["overall_rating"] for a in appraisal)
    assert int(summary["Overall"]["Not reported (NR)"]) == ratings["NR"]
    assert int(summary["Overall"].get("Moderate quality", 0)) == ratings["moderate"]
    assert int(summary["Overall"].get("Low quality", 0)) == ratings["low"]
    assert int(summary["S1"]["Not reported (NR)"]) == sum(a["s1"] == "NR" for a in appraisal)
    svg = part[part.index('<figure id="fig-mmat-summary"'):]
    segments = re.findall(r'<g class="segment state-(\w+)" data-state="\w+" data-count="(\d+)"', svg)
    assert sum(int(n) for state, n in segments[-3:]) == len(appraisal)  # the overall bar: 100% of the appraisals


def test_data_quality_counts_missing_values_and_lists_the_notes(bundled):
    root, html = bundled
    heads = table_head(html, "missing")
    assert heads[:4] == ["Field", "Rows", "NR (not reported)", "NA (not applicable)"]
    missing = {r[0]: dict(zip(heads, r, strict=True)) for r in table_rows(html, "missing")}
    for table, fld, code, head in (("cmo", "support_types", "NR", "NR (not reported)"),
                                   ("cmo", "notes", "NA", "NA (not applicable)"),
                                   ("appraisal", "s1", "NR", "NR (not reported)"),
                                   ("prisma", "n", "NR", "NR (not reported)")):
        data = rows(root / f"extract/consensus/{table}.csv")
        assert int(missing[f"{table}.{fld}"][head]) == sum(r[fld] == code for r in data), (table, fld)
        assert int(missing[f"{table}.{fld}"]["Rows"]) == len(data)
    notes = table_rows(html, "quality-notes")
    tables = [r for r in Review.open(root).data_resources if "notes" in r.field_names]
    expected = [(t.name, r["notes"]) for t in tables for r in rows(t.path) if r["notes"] not in ("", "NR", "NA")]
    assert sorted((n[0], n[2]) for n in notes) == sorted(expected) and expected


def test_no_external_request_and_the_csp_allows_only_the_inline_style_and_script(bundled):
    _, html = bundled
    page = parse(html)
    tags = {t for t, _ in page.tags}
    assert not tags & {"link", "img", "iframe", "object", "embed", "base", "form", "audio", "video", "source"}
    for tag, attrs in page.tags:
        for name in ("src", "srcset", "action", "xlink:href", "data"):
            assert name not in attrs, (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith(("#", "https://")), attrs
    (csp,) = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp.startswith("default-src 'none';") and "unsafe" not in csp
    style = html[html.index("<style>") + 7:html.index("</style>")]
    script = page.scripts[0]
    for text in (style, script):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert len(page.scripts) == 1 and "url(" not in style and "@import" not in style


def test_the_same_review_gives_the_same_bytes(bundled, monkeypatch):
    root, html = bundled
    build(root)  # a new database of the same sources
    again = report_of(root)
    assert again == html
    later = Review.open(root)
    other = render(later, root / ".cmokit/review.duckdb", built_at="2030-05-06T07:08:09Z").html
    diff = [(a, b) for a, b in zip(html.splitlines(), other.splitlines(), strict=True) if a != b]
    assert diff and all(WHEN in a and "2030-05-06T07:08:09Z" in b for a, b in diff)
    assert len(diff) == 2  # the header line and the provenance line, nothing else
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767323045")
    assert report_time() == WHEN
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(CmokitError, match="whole number of seconds"):
        report_time()


# ------------------------------------------------------------------------------------------------- bad input

def test_hostile_text_stays_text(realist):
    _, html = realist  # HOSTILE in a cmo context, study notes, prisma details, theory notes, evidence, the title
    page = parse(html)
    assert len(page.scripts) == 1 and "alert" not in page.scripts[0]
    assert "img" not in {t for t, _ in page.tags}
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith(("#", "https://")) and "alert" not in attrs["href"], attrs
    text = "".join(page.text)
    for anchor in ("prisma", "characteristics", "theories", "quality"):
        assert '<script>alert("x")</script>' in "".join(parse(section(html, anchor)).text), anchor
    assert text.count(HOSTILE) >= 7  # <title>, <h1>, cmo context, two notes, prisma details, theory notes, evidence
    assert "javascript:alert(4)" in text  # the homepage is shown as text, not as a link
    assert "example.org" not in html  # a source path that is not a clean https:// address is left out


def test_an_invalid_review_gets_its_problems_and_no_page(review_copy, folder_state):
    edit_cell(review_copy / "extract/consensus/studies.csv", "study_id", "eddy-2017", "inclusion_status", "excluded")
    res = CliRunner().invoke(main, ["report", "-C", str(review_copy)])
    assert res.exit_code == 0, res.output  # a warning (prisma.studies) does not block the report, it is in it
    target = review_copy / "report" / "index.html"
    before = target.read_bytes()
    assert ("The flow ends at 33 studies (new_studies), but the studies table has 32 included studies"
            in section(before.decode(), "prisma"))
    edit_cell(review_copy / "extract/consensus/prisma.csv", "data", "new_studies", "n", "thirty-three")
    state = folder_state(review_copy / "report")
    res = CliRunner().invoke(main, ["report", "-C", str(review_copy)])
    assert res.exit_code == 1
    assert "extract/consensus/prisma.csv:" in res.stderr and "[type.integer]" in res.stderr
    assert "No report was written." in res.stderr
    assert folder_state(review_copy / "report") == state and target.read_bytes() == before
    res = CliRunner().invoke(main, ["report", "-C", str(review_copy), "--force", "-o", "-"])
    assert res.exit_code == 0 and 'class="status-forced">FORCED' in res.stdout
    assert "type.integer" in section(res.stdout, "overview")


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "{out}"], "is a folder"), (["-o", "{out}/report.txt"], "the report is an HTML file"),
    (["--max-rows", "0"], "0 is not in the range"),
])
def test_usage_errors_write_nothing(review_copy, tmp_path, args, message):
    res = CliRunner().invoke(main, ["report", "-C", str(review_copy), *[a.format(out=tmp_path) for a in args]])
    assert res.exit_code == 2 and message in res.stderr, res.output
    assert not (review_copy / "report").exists() and not (review_copy / ".cmokit").exists()


# ------------------------------------------------------------------------------------------------- realist layer,
# agreement, decisions, size

@pytest.fixture(scope="module")
def realist(tmp_path_factory) -> tuple[Path, str]:
    root = shared_realist_review(tmp_path_factory)
    return root, (root / "report" / "index.html").read_text(encoding="utf-8")


def test_theories_with_lineage_and_evidence(realist):
    root, html = realist
    part = section(html, "theories")
    assert '<li><a href="#theories">Programme theories and their evidence</a></li>' in html
    assert '<h3 id="theory-T3-h">T3: Peer groups reduce isolation</h3>' in part
    t3 = part[part.index('id="theory-T3"'):]
    assert ('refines <a href="#theory-T2">T2: Trust takes time</a>, which refines <a href="#theory-T1">T1: Mentors '
            'build trust</a>') in t3
    t1 = part[part.index('id="theory-T1"'):part.index('id="theory-T2"')]
    assert 'refined by <a href="#theory-T2">T2: Trust takes time</a>' in t1
    assert "Supports: 1; Refutes: 1; Refines: 0; Illustrates: 0" in t1
    evidence = [e for e in read_csv(root / "extract/consensus/evidence.csv")[1] if e[0] == "T1"]
    body = table_rows(t1, "theory-T1-evidence")
    assert [r[0] for r in body] == ["Supports", "Refutes"] and len(body) == len(evidence)
    assert [r[5] for r in body] == ["regular visits built trust", "no change in support"]
    assert body[1][4] == "NR"  # rigour not reported
    glance = {r[0]: r for r in table_rows(part, "theories-summary")}
    assert list(glance) == ["T1", "T3", "T2"]  # by kind in the codebook's order, then id
    assert glance["T3"][2:] == ["Demi regularity", "Contested", "1", "1", "0", "0"]


def test_agreement_comes_from_the_last_compare(realist):
    root, html = realist
    kept = json.loads((root / ".cmokit/compare/alice--bob.json").read_text(encoding="utf-8"))
    assert {"compared_at", "reviewer_a", "reviewer_b", "fields", "tables", "overall", "sha256_a"} <= set(kept)
    part = section(html, "agreement")
    fields = {r[0]: r for r in table_rows(part, "agreement-1-fields")}
    stat = next(f for f in kept["fields"] if (f["table"], f["field"]) == ("cmo", "ss_effect"))
    assert fields["cmo.ss_effect"][1:5] == [str(stat["n"]), f"{stat['agreement']:.3f}", f"{stat['kappa']:.2f}",
                                            stat["kappa_label"]]
    assert all(f"{f['table']}.{f['field']}" in fields for f in kept["fields"] if f["kind"] == "coded")
    assert not [f for f in fields if f == "studies.title"]  # free text: no kappa, not listed
    tables = {r[0]: r for r in table_rows(part, "agreement-1-tables")}
    assert tables["cmo"][5] == "1" and tables["studies"][5] == "0"
    assert "3 entries for 1 conflict(s)" in part
    assert table_rows(part, "decisions-decided_by") == [["carol", "2"], ["dan", "1"]]
    assert table_rows(part, "decisions-reason") == [["Table 1 says so", "2"], ["Results, p. 5", "1"]]


def test_long_tables_are_cut_with_their_count(realist):
    root, _ = realist
    html = report_of(root, max_rows=3)
    part = section(html, "characteristics")
    first = table_rows(part, "table-1")
    assert len(first) == 3 and "of 4 rows)</caption>" in part
    assert "more row(s) are not shown here" in part
    figures = section(html, "figures")
    assert 'id="fig-appraisal"' not in figures and "more than the 3 a report shows" in figures
    assert 'id="fig-mmat-summary"' in figures  # the summary covers every appraisal


def test_the_templates_ship_with_the_package():
    from importlib import resources

    folder = resources.files("cmokit.presentation") / "templates"
    assert {p.name for p in folder.iterdir()} >= {"report.html.j2", "report.css", "report.js"}
