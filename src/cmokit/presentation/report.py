"""The review report: one self-contained HTML file for co-authors, funders and journal reviewers.

Sections: overview (with the build's provenance), the PRISMA 2020 flow diagram, the characteristics-and-findings
tables, the figures (evidence map, effects grid, MMAT traffic-light plot and summary), the programme theories (when
the review has the realist layer), extraction agreement and decisions, and data quality.

How it can be trusted:

- Everything the review wrote goes through Jinja2 with autoescaping; the only text inserted unescaped is cmokit's
  own: the CSS and JavaScript shipped with the package and the SVG drawn by :mod:`cmokit.presentation.svg`, which
  escapes every text itself. Only ``https://`` addresses from the descriptor's URL fields become links.
- No external request of any kind: CSS, SVG and script are inline, and a Content-Security-Policy meta tag forbids
  everything else (``default-src 'none'``); the style and the script are allowed by their SHA-256 only, so an
  injected script would not run even if one got through.
- The script only enhances (sorting, filtering and paging of tables): the page is complete without it.
- The same review gives the same bytes, except the line saying when the report was built, which honours
  ``SOURCE_DATE_EPOCH`` (reproducible builds).
- The file is written atomically, and only after the database was built from a valid review (or forced).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review

REPORT_DIR = Path("report")
DEFAULT_FILE = "index.html"
MAX_ROWS = 500
TEMPLATES = "templates"
CSP = ("default-src 'none'; style-src '{style}'; script-src '{script}'; img-src data:; base-uri 'none'; "
       "form-action 'none'")


@dataclass
class Report:
    """A rendered report: the HTML text and the sections it holds (anchor, title)."""

    html: str
    sections: list[tuple[str, str]]


def default_output(review: Review) -> Path:
    """``report/index.html`` inside the review (git-ignored)."""
    return review.root / REPORT_DIR / DEFAULT_FILE


def check_output(output: str | Path | None, review: Review | None = None) -> Path | None:
    """The file to write (None for '-', standard output); CmokitError (report.output) unless it is an .html path."""
    if output is None:
        return default_output(review) if review is not None else None
    if str(output) == "-":
        return None
    path = Path(output)
    if path.is_dir():
        raise CmokitError(f"{path}: is a folder; give --output FILE.html (or '-' for standard output).",
                          rule="report.output", path=str(path))
    if path.suffix.lower() not in (".html", ".htm"):
        raise CmokitError(f"{path}: the report is an HTML file; give --output FILE.html (or '-' for standard "
                          "output).", rule="report.output", path=str(path))
    return path


def report_time(environ: dict[str, str] | None = None) -> str:
    """When the report is built (UTC): ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now."""
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch == "":
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        moment = datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        raise CmokitError(f"SOURCE_DATE_EPOCH is '{epoch}': it must be a whole number of seconds since 1970-01-01 "
                          "UTC (e.g. the time of the last commit: `git log -1 --format=%ct`).", rule="usage") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _asset(name: str) -> str:
    return (resources.files("cmokit.presentation") / TEMPLATES / name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@functools.lru_cache(maxsize=1)
def _environment():
    """The Jinja2 environment (compiled once per process): autoescaping, strict about undefined names."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("cmokit.presentation", TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.globals.update(fmt=lambda n: "" if n is None else f"{n:,}", anchor=_anchor, summary_states=_summary_states,
                       summary_rows=_summary_rows)
    return env


def _anchor(theory_id: str) -> str:
    from cmokit.presentation.report_realist import Theory

    return Theory(theory_id, {}).anchor


def _summary_states(summary) -> list[tuple[str, str]]:
    from cmokit.presentation.plot import STATES
    from cmokit.presentation.report_plots import ANSWER_ORDER

    used = {s for counts in summary.counts.values() for s, n in counts.items() if n}
    return [(s, STATES[s].label) for s in ANSWER_ORDER if s in used]


def _summary_rows(summary) -> list[tuple[str, str]]:
    from cmokit.presentation.plot_data import APPRAISAL_COLUMNS, APPRAISAL_HEADERS

    return list(zip(APPRAISAL_COLUMNS, APPRAISAL_HEADERS, strict=True))


def _figures(review: Review, db_path: Path, max_rows: int) -> dict[str, Any]:
    """The SVG figures, inlined, each with its caption, or the reason it cannot be drawn."""
    from markupsafe import Markup

    from cmokit.presentation import plot
    from cmokit.presentation.plot_data import appraisal_data, effects_data, evidence_map_data
    from cmokit.presentation.report_plots import inline_svg, mmat_summary, render_mmat_summary

    figures: list[dict[str, Any]] = []
    problems: list[str] = []

    def add(ident: str, make, draw) -> Any:
        """Compute a figure's data with ``make()`` and draw it with ``draw(data)``; its title is the caption."""
        try:
            data = make()
            svg = draw(data)
        except CmokitError as exc:
            problems.append(exc.message)
            return None
        figures.append({"id": f"fig-{ident}", "caption": data.title,
                        "svg": Markup(inline_svg(svg, f"fig-{ident}"))})
        return data

    add("evidence-map", lambda: evidence_map_data(review, db_path), plot.render_evidence_map)
    add("effects", lambda: effects_data(review, db_path), plot.render_grid)
    try:
        appraisal = appraisal_data(review, db_path)
    except CmokitError as exc:
        problems.append(exc.message)
        appraisal = None
    summary = None
    if appraisal is not None:
        if len(appraisal.rows) <= max_rows:
            add("appraisal", lambda: appraisal, plot.render_appraisal)
        else:
            problems.append(f"{appraisal.title}: {len(appraisal.rows):,} rows are more than the {max_rows:,} a "
                            "report shows (--max-rows); the summary covers them all. Draw it with `cmokit plot "
                            "appraisal --band BAND -o FILE.svg`.")
        summary = add("mmat-summary", lambda: mmat_summary(appraisal), render_mmat_summary)
    return {"figures": figures, "problems": problems, "summary": summary}


def _prisma(review: Review, db_path: Path) -> dict[str, Any]:
    from markupsafe import Markup

    from cmokit.presentation.prisma import flow_data, parse_reasons, render_flow
    from cmokit.presentation.report_data import TableView
    from cmokit.presentation.report_plots import inline_svg

    try:
        flow = flow_data(review, db_path)
    except CmokitError as exc:
        return {"flow": None, "problem": exc.message}
    if flow is None:
        return {"flow": None, "problem": ""}
    rows = []
    for box in flow.boxes.values():
        reasons = parse_reasons(box.reasons)
        shown = "; ".join(f"{r} ({n})" for r, n in reasons) if reasons else box.reasons
        rows.append([flow.labels.get(box.data, box.data), box.shown, shown, box.details, box.locator, box.notes])
    table = TableView("prisma-boxes", "The boxes of the flow, with what the source says about each",
                      ["Box", "n", "Reasons", "The source's words", "Where", "Notes"], rows, len(rows), numeric=(1,),
                      sortable=False)
    return {"flow": flow, "svg": Markup(inline_svg(render_flow(flow), "fig-prisma")), "table": table, "problem": "",
            "mismatch": _mismatch(review, db_path, flow)}


def _mismatch(review: Review, db_path: Path, flow) -> str:
    """A sentence when the flow does not end at the number of included studies (the prisma.studies warning)."""
    from cmokit.package.annotations import included_sql
    from cmokit.presentation.prisma import last_count
    from cmokit.presentation.report_data import Db

    last = last_count(flow)
    if last is None or not review.has("studies"):
        return ""
    import duckdb

    db = Db(db_path)
    try:
        included = db.one(f"SELECT count(*) FROM studies s WHERE {included_sql(review)}")
    except duckdb.Error:  # a database without the studies table the review declares: nothing to compare
        return ""
    finally:
        db.close()
    if included == last[1]:
        return ""
    return (f"The flow ends at {last[1]:,} studies ({last[0]}), but the studies table has {included:,} included "
            "studies: one of them is out of date (rule prisma.studies).")


def render(review: Review, db_path: Path, *, built_at: str | None = None, max_rows: int = MAX_ROWS) -> Report:
    """The report of ``review`` from its database ``db_path`` (see the module docstring)."""
    from markupsafe import Markup

    from cmokit.presentation import report_agreement, report_data, report_realist

    if max_rows < 1:
        raise CmokitError(f"--max-rows must be at least 1 (it is {max_rows}).", rule="usage")
    built_at = built_at or report_time()
    db = report_data.Db(db_path)
    try:
        overview = report_data.overview(review, db)
        provenance = report_data.provenance(review, db, built_at, max_rows)
        theories = report_realist.theories(review, db, max_rows)
        decisions = report_agreement.decisions(review, db, max_rows)
        quality = report_data.quality(review, db, max_rows)
    finally:
        db.close()
    agreement, broken = report_agreement.agreement_views(review)
    sections = [("overview", "Overview"), ("prisma", "PRISMA 2020 flow diagram"),
                ("characteristics", "Characteristics and findings of the included studies"),
                ("figures", "Evidence map, effects and appraisal")]
    if theories is not None:
        sections.append(("theories", "Programme theories and their evidence"))
    sections += [("agreement", "Extraction agreement and decisions"), ("quality", "Data quality")]
    css, js = _asset("report.css"), _asset("report.js")
    context = {
        "sections": sections, "overview": overview, "provenance": provenance, "prisma": _prisma(review, db_path),
        "characteristics": report_data.characteristics(review, db_path, max_rows),
        "figures": _figures(review, db_path, max_rows), "theories": theories, "agreement": agreement,
        "broken_comparisons": broken, "decisions": decisions, "quality": quality, "max_rows": max_rows,
        "css": Markup(css), "js": Markup(js), "csp": CSP.format(style=_digest(css), script=_digest(js)),
        "codes": {"NR", "NA"},
    }
    html = _environment().get_template("report.html.j2").render(**context)
    return Report(html, sections)


def write_report(report: Report, path: Path) -> Path:
    """Write the report atomically to ``path`` (its folder is created); returns it."""
    from cmokit.core.atomic import write_text

    try:
        write_text(path, report.html)
    except OSError as exc:
        raise CmokitError(f"{path}: cannot be written ({exc.strerror or exc}). Choose another place with --output.",
                          rule="report.write", path=str(path)) from None
    return path
