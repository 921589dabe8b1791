"""The report in a real browser: Debian's Chromium driven by Playwright for Python (launched with
``executable_path``; ``playwright install`` is never run, it would download a browser of its own).

Every request of every page is routed: anything that is not ``file:`` is blocked and fails the test. Skipped, with
the reason, only when no Chromium is installed; ``.ci/run`` installs it. A screenshot of the top of the page is
kept in ``report/test-artefacts/`` (git-ignored; ``CMOKIT_TEST_ARTEFACTS`` names another folder).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest
from _report import HOSTILE, shared_realist_review
from conftest import ROOT
from playwright.sync_api import sync_playwright

AXE = ROOT / "tests" / "data" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # axe-core 4.14.1 from npm
ARTEFACTS = Path(os.environ.get("CMOKIT_TEST_ARTEFACTS") or ROOT / "report" / "test-artefacts")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CMOKIT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found (/usr/bin/chromium, or CMOKIT_CHROMIUM): the browser tests of the "
                             "report need it. Install it with `apt-get install chromium` (.ci/run does).")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        # Playwright gives every launch a new, empty profile folder (--user-data-dir), never the user's
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, chromium_sandbox=False, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The report of a review with every section, and hostile text in its free-text cells and title."""
    return shared_realist_review(tmp_path_factory) / "report" / "index.html"


class Watched:
    """A page whose every request is routed (only file: passes) and whose console errors are collected."""

    def __init__(self, browser, **context):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: Path):
        self.page.goto(path.as_uri(), wait_until="load")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser):
    w = Watched(browser)
    yield w
    w.close()


def visible_rows(page, table: str) -> list[str]:
    return page.eval_on_selector_all(f"#{table} tbody tr", "rows => rows.filter(r => r.offsetParent !== null)"
                                                             ".map(r => r.cells[0].textContent.trim())")


def test_loads_from_file_with_no_request_and_no_console_error(watched, report):
    page = watched.open(report)
    page.wait_for_timeout(200)  # anything the page would still load or log
    assert watched.blocked == [] and watched.errors == []
    assert watched.requests == [report.as_uri()]  # the page itself, nothing else
    assert page.title().endswith(": review report")
    # the hostile text in the page (see _report.make_hostile) ran nothing: no alert() dialog (it would be an error
    # above), no image, no javascript: link, and it reads as text
    assert page.locator("img").count() == 0 and page.locator("a[href^='javascript']").count() == 0
    assert page.locator("h1").text_content() == HOSTILE
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "report-top.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_the_csp_blocks_what_an_injected_script_would_load(watched, report):
    page = watched.open(report)
    page.evaluate("""() => {
        window.violations = [];
        document.addEventListener('securitypolicyviolation', e => window.violations.push(e.blockedURI));
        const img = document.createElement('img'); img.src = 'https://example.org/pixel.png';
        document.body.appendChild(img);
        const css = document.createElement('link'); css.rel = 'stylesheet'; css.href = 'https://example.org/x.css';
        document.head.appendChild(css);
        fetch('https://example.org/data.json').catch(() => {});
    }""")
    page.wait_for_function("window.violations.length >= 3")
    assert watched.blocked == []  # refused by the page's own policy before any request was made
    assert sorted(page.evaluate("window.violations")) == ["https://example.org/data.json",
                                                          "https://example.org/pixel.png",
                                                          "https://example.org/x.css"]


def test_axe_finds_no_violation(browser, report):
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    w = Watched(browser, bypass_csp=True)  # the test injects axe-core; the report's own policy would refuse it
    try:
        page = w.open(report)
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        found = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                 for v in result["violations"]]
        assert found == [], "\n".join(found)
        assert len(result["passes"]) > 20  # axe really looked at the page
        assert w.blocked == []
    finally:
        w.close()


def test_sorting_and_filtering_by_clicking(watched, report):
    page = watched.open(report)
    table = "table-3"
    before = visible_rows(page, table)
    assert len(before) > 5
    button = page.locator(f"#{table} thead th").nth(0).locator("button")
    button.click()
    ascending = visible_rows(page, table)
    assert ascending == sorted(before, key=str.casefold) != before
    assert page.locator(f"#{table} thead th").nth(0).get_attribute("aria-sort") == "ascending"
    button.click()
    assert visible_rows(page, table) == ascending[::-1]
    assert page.locator(f"#{table} thead th").nth(0).get_attribute("aria-sort") == "descending"
    word = "school"
    texts = page.eval_on_selector_all(f"#{table} tbody tr", "rows => rows.map(r => r.textContent.toLowerCase())")
    expected = sum(word in t for t in texts)
    assert 0 < expected < len(texts)
    page.fill(f"#{table}-filter", word.upper())
    assert len(visible_rows(page, table)) == expected
    assert f"of {expected} matching ({len(texts)} in all)" in page.text_content(f"#{table}-count")
    page.fill(f"#{table}-filter", "")
    assert len(visible_rows(page, table)) == len(texts)


def test_paging_by_clicking(watched, report):
    page = watched.open(report)
    table = "agreement-1-fields"
    total = page.eval_on_selector_all(f"#{table} tbody tr", "rows => rows.map(r => r.cells[0].textContent.trim())")
    assert len(total) > 25
    assert visible_rows(page, table) == total[:25]
    page.click(f"button[aria-controls='{table}']:has-text('Next rows')")
    assert visible_rows(page, table) == total[25:50]
    assert page.text_content(f"#{table}-count") == f"Rows 26\u201350 of {len(total)}"
    page.click(f"button[aria-controls='{table}']:has-text('Previous rows')")
    assert visible_rows(page, table) == total[:25]


def test_the_svgs_render_with_a_size(watched, report):
    page = watched.open(report)
    figures = ["fig-prisma", "fig-evidence-map", "fig-effects", "fig-appraisal", "fig-mmat-summary"]
    for fig in figures:
        box = page.locator(f"#{fig} svg").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, (fig, box)
    # the bundled flow: identification, removed, screened, excluded, sought, not retrieved, assessed, excluded,
    # included
    boxes = page.locator("#fig-prisma svg g.box")
    assert boxes.count() == 9 and all(boxes.nth(i).bounding_box()["height"] > 10 for i in range(boxes.count()))


def test_the_page_is_complete_without_javascript(browser, report):
    w = Watched(browser, java_script_enabled=False)
    try:
        page = w.open(report)
        rows = page.eval_on_selector_all("table.data tbody tr", "rows => rows.length")
        shown = page.eval_on_selector_all("table.data tbody tr", "rows => rows.filter(r => r.offsetParent !== null)"
                                                                 ".length")
        assert rows == shown > 100
        assert page.locator(".controls").count() == 0 and page.locator("button.sort").count() == 0
        assert w.blocked == [] and w.errors == []
    finally:
        w.close()


def test_prints_on_a4_one_section_per_page(watched, report, tmp_path):
    page = watched.open(report)
    page.emulate_media(media="print")
    assert page.eval_on_selector("#prisma", "s => getComputedStyle(s).breakBefore") == "page"
    assert page.eval_on_selector("#overview", "s => getComputedStyle(s).breakBefore") == "auto"
    assert page.eval_on_selector("nav.toc", "n => getComputedStyle(n).display") == "none"
    table = "agreement-1-fields"  # rows on later pages of a paged table are printed too
    assert len(visible_rows(page, table)) == page.locator(f"#{table} tbody tr").count()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)  # A4 in pt
    assert len(boxes) >= 7  # at least a page per section
