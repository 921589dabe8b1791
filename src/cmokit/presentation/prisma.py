"""The PRISMA 2020 flow diagram as SVG, from the review's ``prisma`` resource (one row per box, named as in the data
template of the PRISMA2020 R package: ``database_results``, ``duplicates``, ``records_screened``, ...).

The layout follows the PRISMA 2020 template for new and updated reviews: a column for databases and registers with
the boxes of records and reports removed at each step on its right, a column for other methods when the review has
any of their boxes, and one for the previous version of the review when it has one. A box is drawn when the review
has a row for one of its lines; a count the source does not give is written as it was recorded (``n = NR``) and its
box is dashed, so a missing number is never shown as a number and never by colour alone. The arithmetic is checked
by the review's validators (``validators/prisma.py``), not here: the diagram shows what the data say.

Drawn by hand with :mod:`cmokit.presentation.svg` (no plotting library draws PRISMA flows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.presentation.svg import Svg, text_width, wrap
from cmokit.synthesis.database import MISSING_SCHEMA, connect_readonly

RESOURCE = "prisma"
FIELDS = ("n", "reasons", "details", "locator", "notes")
BOX_W = 250.0
GAP_X = 40.0
GAP_Y = 34.0
PHASE_W = 30.0
PAD = 20.0
SIZE = 12
LINE = 15
INK = "#1a1a1a"
MUTED = "#555555"
HEAD_FILL = "#e8eef7"  # the template's header bands; text on it is black (contrast 17:1)
MISSING_LABELS = {"": "not yet extracted", "NR": "not reported", "NA": "not applicable"}
REASON = re.compile(r"^(?P<reason>.*\S)\s*,\s*(?P<n>\S+)$")


@dataclass(frozen=True)
class Box:
    """One row of the ``prisma`` resource: the count (or its missing-value code) and the source's words."""

    data: str
    n: int | None
    code: str  # the missing-value code of n ('' not yet extracted, NR, NA), '' when n is given
    reasons: str
    details: str
    locator: str
    notes: str

    @property
    def shown(self) -> str:
        """The count as the diagram writes it: the number, or its code (NR, NA, 'not yet extracted')."""
        if self.n is not None:
            return f"{self.n:,}"
        return self.code or "not yet extracted"


@dataclass
class Flow:
    """The boxes of a review's flow, by name, in the order of the flow (the codebook's order of the codes)."""

    boxes: dict[str, Box]
    labels: dict[str, str]

    def get(self, name: str) -> Box | None:
        return self.boxes.get(name)

    def has(self, *names: str) -> bool:
        return any(n in self.boxes for n in names)


def flow_data(review: Review, db_path: Path) -> Flow | None:
    """The review's PRISMA boxes from the database; None when the review has no ``prisma`` resource."""
    if not review.has(RESOURCE):
        return None
    import duckdb

    typed = ", ".join(f"CAST(p.{f} AS VARCHAR)" for f in FIELDS)
    shadow = ", ".join(f"m.{f}" for f in FIELDS)
    con = connect_readonly(db_path, sandbox=True)
    try:
        rows = con.execute(f"SELECT CAST(p.data AS VARCHAR), {typed}, {shadow} FROM {RESOURCE} p "
                           f"LEFT JOIN {MISSING_SCHEMA}.{RESOURCE} m ON m.data = CAST(p.data AS VARCHAR)").fetchall()
    except duckdb.Error as exc:
        raise CmokitError(f"the PRISMA flow needs a prisma table with the fields data, {', '.join(FIELDS)}; this "
                          f"database cannot give them ({str(exc).strip().splitlines()[0][:200]}).",
                          rule="report.unsupported") from None
    finally:
        con.close()
    boxes = {}
    for row in rows:
        values = dict(zip(FIELDS, row[1:6], strict=True))
        codes = dict(zip(FIELDS, row[6:], strict=True))
        text = {f: values[f] if values[f] is not None else (codes[f] or "") for f in FIELDS}
        n = int(values["n"]) if values["n"] is not None else None
        boxes[row[0]] = Box(row[0], n, "" if n is not None else (codes["n"] or ""), text["reasons"],
                            text["details"], text["locator"], text["notes"])
    from cmokit.presentation.plot_data import code_labels

    labels = dict(code_labels(review, RESOURCE, "data"))  # the codebook lists the boxes in the order of the flow
    order = {code: i for i, code in enumerate(labels)}
    return Flow(dict(sorted(boxes.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))), labels)


def last_count(flow: Flow) -> tuple[str, int] | None:
    """The box the flow ends at (``total_studies``, else ``new_studies``) and its number, when it has one."""
    box = flow.get("total_studies") or flow.get("new_studies")
    return (box.data, box.n) if box is not None and box.n is not None else None


def parse_reasons(text: str) -> list[tuple[str, str]] | None:
    """'reason, count; reason, count' as (reason, count) pairs (a count written with thousands separators); None when
    the text has another shape."""
    parts = [p.strip() for p in (text or "").split(";") if p.strip()]
    out = []
    for part in parts:
        m = REASON.match(part)
        if not m:
            return None
        n = m.group("n")
        out.append((m.group("reason"), f"{int(n):,}" if n.isdigit() else n))
    return out or None


# ------------------------------------------------------------------------------------------------------ layout

@dataclass
class _Cell:
    """A box to draw: its grid position, its lines, and the PRISMA names of the rows it shows."""

    col: int
    row: int
    lines: list[tuple[str, bool]]  # (text, bold)
    names: tuple[str, ...]
    missing: bool


def _count_line(flow: Flow, name: str, label: str) -> str:
    box = flow.get(name)
    return f"{label} (n = {box.shown if box else 'NR'})"


def _cell(flow: Flow, col: int, row: int, head: str | None, items: list[tuple[str, str]]) -> _Cell | None:
    """A box listing ``items`` (PRISMA name, label) under an optional heading; None when the review has none."""
    present = [(name, label) for name, label in items if name in flow.boxes]
    if not present:
        return None
    lines: list[tuple[str, bool]] = [(head, True)] if head else []
    lines += [(_count_line(flow, name, label), not head) for name, label in present]
    missing = all(flow.boxes[name].n is None for name, _ in present)
    return _Cell(col, row, lines, tuple(name for name, _ in present), missing)


def _excluded(flow: Flow, col: int, row: int, name: str) -> _Cell | None:
    box = flow.get(name)
    if box is None:
        return None
    lines = [(f"Reports excluded (n = {box.shown})", True)]
    reasons = parse_reasons(box.reasons) if box.reasons not in ("", "NR", "NA") else None
    if reasons:
        lines += [(f"{reason} (n = {count})", False) for reason, count in reasons]
    elif box.reasons not in ("", "NA"):
        lines.append((f"Reasons: {box.reasons}" if box.reasons != "NR" else "Reasons: NR", False))
    return _Cell(col, row, lines, (name,), box.n is None)


def layout(flow: Flow) -> tuple[list[_Cell], list[tuple[int, int, int, int]], list[tuple[int, int, str]], int]:
    """The boxes, the arrows ((col, row) -> (col, row)), the column headings (column, columns spanned, text) and
    the number of rows."""
    previous = flow.has("previous_studies", "previous_reports")
    other = flow.has("website_results", "organisation_results", "citations_results", "other_sought_reports",
                     "other_notretrieved_reports", "other_assessed", "other_excluded")
    total = previous or flow.has("total_studies", "total_reports")
    main = 1 if previous else 0
    oth = main + 2
    cells = [c for c in [
        _cell(flow, 0, 4, None, [("previous_studies", "Studies included in previous version of review"),
                                 ("previous_reports", "Reports of studies included in previous version of review")])
        if previous else None,
        _cell(flow, main, 0, "Records identified from:", [("database_results", "Databases"),
                                                         ("register_results", "Registers")]),
        _cell(flow, main + 1, 0, "Records removed before screening:", [
            ("duplicates", "Duplicate records removed"),
            ("excluded_automatic", "Records marked as ineligible by automation tools"),
            ("excluded_other", "Records removed for other reasons")]),
        _cell(flow, main, 1, None, [("records_screened", "Records screened")]),
        _cell(flow, main + 1, 1, None, [("records_excluded", "Records excluded")]),
        _cell(flow, main, 2, None, [("dbr_sought_reports", "Reports sought for retrieval")]),
        _cell(flow, main + 1, 2, None, [("dbr_notretrieved_reports", "Reports not retrieved")]),
        _cell(flow, main, 3, None, [("dbr_assessed", "Reports assessed for eligibility")]),
        _excluded(flow, main + 1, 3, "dbr_excluded"),
        _cell(flow, main, 4, None, [("new_studies", "New studies included in review"),
                                    ("new_reports", "Reports of new included studies")]),
        _cell(flow, oth, 0, "Records identified from:", [("website_results", "Websites"),
                                                        ("organisation_results", "Organisations"),
                                                        ("citations_results", "Citation searching")]) if other
        else None,
        _cell(flow, oth, 2, None, [("other_sought_reports", "Reports sought for retrieval")]) if other else None,
        _cell(flow, oth + 1, 2, None, [("other_notretrieved_reports", "Reports not retrieved")]) if other else None,
        _cell(flow, oth, 3, None, [("other_assessed", "Reports assessed for eligibility")]) if other else None,
        _excluded(flow, oth + 1, 3, "other_excluded") if other else None,
        _cell(flow, main, 5, None, [("total_studies", "Total studies included in review"),
                                    ("total_reports", "Reports of total included studies")]) if total else None,
    ] if c is not None]
    at = {(c.col, c.row) for c in cells}
    arrows = []
    for column in sorted({c.col for c in cells if c.col in (main, oth)}):
        rows = sorted(c.row for c in cells if c.col == column and c.row <= 4)
        arrows += [(column, a, column, b) for a, b in zip(rows, rows[1:], strict=False)]
        arrows += [(column, r, column + 1, r) for r in rows if (column + 1, r) in at]
    if other and (main, 4) in at:
        last = max((c.row for c in cells if c.col == oth and c.row <= 3), default=None)
        if last is not None:
            arrows.append((oth, last, main, 4))
    if total and (main, 5) in at:
        arrows += [(col, 4, main, 5) for col in sorted({0, main}) if (col, 4) in at]
    heads = [(main, 2, "Identification of new studies via databases and registers")]
    if other:
        heads.append((oth, 2, "Identification of new studies via other methods"))
    if previous:
        heads.append((0, 1, "Previous studies"))
    return cells, sorted(set(arrows)), heads, 6 if total else 5


def _wrap(text: str) -> list[str]:
    """Box text in lines; a count "(n = 12)" is never split over two lines."""
    glued = re.sub(r"\(n = ([^)]*)\)", lambda m: "(n\u2060=\u2060" + m.group(1).replace(" ", "\u2060") + ")", text)
    return [line.replace("\u2060", " ") for line in wrap(glued, BOX_W - 16, SIZE)]


def render_flow(flow: Flow, title: str = "PRISMA 2020 flow diagram") -> str:
    """The flow diagram as SVG text (see the module docstring)."""
    cells, arrows, heads, n_rows = layout(flow)
    n_cols = max(col + span for col, span, _ in heads)
    wrapped = {id(c): [(t, bold) for text, bold in c.lines for t in _wrap(text)] for c in cells}
    heights = [max([LINE * len(wrapped[id(c)]) + 16 for c in cells if c.row == r] + [0]) for r in range(n_rows)]
    heights[0] = max(heights[0], text_width("Identification", SIZE) + 16)  # room for the phase's rotated label
    x0 = PAD + PHASE_W + 10
    col_x = [x0 + i * (BOX_W + GAP_X) for i in range(n_cols)]
    head_h = 44.0
    y_top = PAD + 28 + head_h + 12
    row_y = []
    y = y_top
    for h in heights:
        row_y.append(y)
        y += (h or 0) + (GAP_Y if h else 0)
    bottom = y - GAP_Y
    width = col_x[-1] + BOX_W + PAD
    svg = Svg()
    svg.text(PAD, PAD + 16, title, size=16, font_weight="bold", fill=INK)
    for col, columns, text in heads:
        span = BOX_W * columns + GAP_X * (columns - 1)
        svg.rect(col_x[col], PAD + 28, span, head_h, fill=HEAD_FILL, stroke=INK, rx=4)
        svg.text(col_x[col] + span / 2, PAD + 28 + 18, wrap(text, span - 16, SIZE), size=SIZE, font_weight="bold",
                 text_anchor="middle", fill=INK, line_height=LINE, class_="column-head")
    phases = [("Identification", 0, 0), ("Screening", 1, 3), ("Included", 4, n_rows - 1)]
    for label, first, last in phases:
        top, end = row_y[first], row_y[last] + heights[last]
        if end <= top:
            continue
        svg.rect(PAD, top, PHASE_W, end - top, fill=HEAD_FILL, stroke=INK, rx=4)
        cx, cy = PAD + PHASE_W / 2, (top + end) / 2
        svg.element("text", label, x=float(cx), y=float(cy + 4), font_size=SIZE, font_weight="bold",
                    text_anchor="middle", fill=INK, transform=f"rotate(-90 {cx:.2f} {cy:.2f})", class_="phase")
    for c in cells:
        x, y_box, h = col_x[c.col], row_y[c.row], heights[c.row]
        svg.open("g", class_="box" + (" box-missing" if c.missing else ""), data_box=" ".join(c.names),
                 data_n=" ".join(flow.boxes[n].shown for n in c.names))
        svg.rect(x, y_box, BOX_W, h, fill="#ffffff", stroke=INK, stroke_width=1.5 if not c.missing else 1,
                 stroke_dasharray="6 4" if c.missing else None, rx=3)
        lines = wrapped[id(c)]
        for i, (text, bold) in enumerate(lines):
            svg.text(x + 8, y_box + 8 + SIZE + LINE * i, text, size=SIZE, fill=INK,
                     font_weight="bold" if bold else None)
        svg.close("g")
    for c1, r1, c2, r2 in arrows:
        _arrow(svg, col_x, row_y, heights, c1, r1, c2, r2)
    notes = ["n = NR: the source does not report the number (dashed box); n = NA: not applicable. The numbers are "
             "the review's prisma table; validators/prisma.py checks that they add up wherever they are given."]
    y = bottom + 18
    for note in notes:
        lines = wrap(note, width - 2 * PAD, 11)
        svg.text(PAD, y + 11, lines, size=11, fill=MUTED, line_height=14, class_="note")
        y += 14 * len(lines) + 4
    desc = describe(flow)
    return svg.document(width, y + PAD, title, desc, "prisma")


def _arrow(svg: Svg, col_x: list[float], row_y: list[float], heights: list[float], c1: int, r1: int, c2: int,
           r2: int) -> None:
    """A line with an arrowhead from one box to the next (down, right, or into a box of another column)."""
    if r1 == r2:  # to the right
        y = row_y[r1] + heights[r1] / 2
        x1, x2 = col_x[c1] + BOX_W, col_x[c2]
        svg.line(x1, y, x2 - 7, y, stroke=INK, stroke_width=1.5)
        svg.element("polygon", points=f"{x2:.2f},{y:.2f} {x2 - 8:.2f},{y - 4.5:.2f} {x2 - 8:.2f},{y + 4.5:.2f}",
                    fill=INK)
        return
    x1 = col_x[c1] + BOX_W / 2
    x2 = col_x[c2] + BOX_W / 2
    y1, y2 = row_y[r1] + heights[r1], row_y[r2]
    if c1 != c2:  # down and across, into the top of a box in another column
        mid = y2 - GAP_Y / 2
        svg.element("polyline", points=f"{x1:.2f},{y1:.2f} {x1:.2f},{mid:.2f} {x2:.2f},{mid:.2f} {x2:.2f},"
                                       f"{y2 - 7:.2f}", fill="none", stroke=INK, stroke_width=1.5)
    else:
        svg.line(x1, y1, x2, y2 - 7, stroke=INK, stroke_width=1.5)
    svg.element("polygon", points=f"{x2:.2f},{y2:.2f} {x2 - 4.5:.2f},{y2 - 8:.2f} {x2 + 4.5:.2f},{y2 - 8:.2f}",
                fill=INK)


def describe(flow: Flow) -> str:
    """The diagram in words (the SVG's ``<desc>``): every box with its count, in the resource's order."""
    parts = [f"{flow.labels.get(b.data, b.data)}: n = {b.shown}" for b in flow.boxes.values()]
    return "PRISMA 2020 flow of records and reports into the review. " + "; ".join(parts) + "."
