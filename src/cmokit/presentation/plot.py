"""Pictures of the synthesis as SVG, drawn from the review's database: an evidence map, an effects grid, an MMAT
2018 traffic-light plot and the theory x study matrix (:mod:`cmokit.presentation.theory_map`).

Each kind has a data function (what is counted, from the database: :mod:`cmokit.presentation.plot_data`) and a
render function (the SVG text, here), so the numbers can be checked apart from the drawing. Labels and code order
come from the review's codebook, the groups (e.g. age bands) from the schemas' annotations. The SVG is written by hand
(:mod:`cmokit.presentation.svg`): no plotting library, escaped text, the same bytes for the same data, a
``<title>`` and ``<desc>`` for screen readers, and every cell carries its numbers as ``data-*`` attributes so
that the file can be checked or restyled without parsing the drawing. Colours are the Okabe-Ito palette (safe for
colour-blind readers), and no state is shown by colour alone: cells also carry a symbol or count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.presentation.plot_data import (
    APPRAISAL_HEADERS,
    BAND_KINDS,
    KINDS,
    Appraisal,
    Grid,
    appraisal_data,
    check_band,
    effects_data,
    evidence_map_data,
)
from cmokit.presentation.svg import Svg, text_width, wrap

PAD = 20
TITLE_SIZE = 16
LABEL_SIZE = 12
NOTE_SIZE = 11
LINE = 15  # line height of 12 px labels
R_MIN = 8.0  # the smallest circle of the evidence map (radius, px): room for its count
GRID_COLOUR = "#d9d9d9"
SHADE = "#f4f4f4"
INK = "#1a1a1a"
MUTED = "#555555"
BUBBLE = "#56B4E9"  # Okabe-Ito sky blue
BUBBLE_EDGE = "#0072B2"  # Okabe-Ito blue
# ColorBrewer "Blues" (single hue, readable by colour-blind readers and in greyscale); index 0 is for zero
HEAT = ("#ffffff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")


@dataclass(frozen=True)
class State:
    """How one kind of appraisal cell looks: legend label, fill, symbol, symbol colour, outline."""

    label: str
    fill: str
    symbol: str
    ink: str = "#000000"
    stroke: str = "none"
    dash: str | None = None


# Okabe-Ito: bluish green / yellow / vermillion, as robvis uses green / yellow / red; grey = no information.
STATES: dict[str, State] = {
    "yes": State("Yes", "#009E73", "+"),
    "cant_tell": State("Can't tell", "#F0E442", "?"),
    "no": State("No", "#D55E00", "\u2212"),
    "high": State("High quality", "#009E73", "H"),
    "moderate": State("Moderate quality", "#F0E442", "M"),
    "low": State("Low quality", "#D55E00", "L"),
    "NR": State("Not reported (NR)", "#BBBBBB", "NR"),
    "NA": State("Not applicable (NA)", "#ffffff", "NA", ink=MUTED, stroke="#888888"),
    "blank": State("Not yet extracted (blank)", "#ffffff", "", stroke="#888888", dash="3 2"),
    "invalid": State("Invalid value (forced build)", "#ffffff", "!", ink="#D55E00", stroke="#D55E00"),
}
ANSWER_LEGEND = ("yes", "cant_tell", "no", "NR", "NA")
RATING_LEGEND = ("high", "moderate", "low", "NR")


# ------------------------------------------------------------------------------------------------------ drawing

def _title(svg: Svg, text: str, width: float) -> float:
    """The title (wrapped to ``width``); returns the y below it."""
    lines = wrap(text, width, TITLE_SIZE)
    svg.text(PAD, PAD + TITLE_SIZE, lines, size=TITLE_SIZE, font_weight="bold", fill=INK, line_height=20)
    return PAD + TITLE_SIZE + 20 * (len(lines) - 1) + 14


def _notes(svg: Svg, notes: list[str], y: float, width: float) -> float:
    """Footnotes from ``y`` (wrapped to ``width``); returns the y below them."""
    for note in notes:
        lines = wrap(note, width, NOTE_SIZE)
        svg.text(PAD, y + NOTE_SIZE, lines, size=NOTE_SIZE, fill=MUTED, line_height=14, class_="note")
        y += 14 * len(lines) + 2
    return y


def _grid_layout(grid: Grid, min_cell_w: float, min_cell_h: float) -> tuple[dict, float, float, float, float]:
    """Wrapped labels and sizes shared by the evidence map and the effects grid."""
    row_lines = {code: wrap(label, 230, LABEL_SIZE) for code, label in grid.rows}
    label_w = max([text_width(line, LABEL_SIZE) for lines in row_lines.values() for line in lines] +
                  [text_width(grid.row_axis, LABEL_SIZE)]) + 14
    widest_word = max([text_width(w, LABEL_SIZE) for _, label in grid.cols for w in label.split()] + [0])
    cell_w = max(min_cell_w, widest_word + 14)
    col_lines = {code: wrap(label, cell_w - 10, LABEL_SIZE, before_parenthesis=True) for code, label in grid.cols}
    cell_h = max([min_cell_h] + [LINE * len(lines) + 12 for lines in row_lines.values()])
    return {"rows": row_lines, "cols": col_lines}, label_w, cell_w, cell_h, float(max(
        [len(v) for v in col_lines.values()] + [1]))


def _grid_frame(svg: Svg, grid: Grid, lines: dict, x0: float, y0: float, label_w: float, cell_w: float,
                cell_h: float, header_lines: float) -> tuple[float, float, float]:
    """Axis captions, column headers (with totals), row labels (with totals) and row shading. Returns
    (x of the first cell, y of the first row, x of the totals column)."""
    svg.text(x0 + label_w, y0 + LABEL_SIZE, grid.col_axis, size=LABEL_SIZE, font_weight="bold", fill=INK)
    top = y0 + LINE + 6
    gx = x0 + label_w
    header_h = LINE * (header_lines + 1) + 8
    gy = top + header_h
    total_x = gx + cell_w * len(grid.cols)
    svg.text(x0, gy - 8, grid.row_axis, size=LABEL_SIZE, font_weight="bold", fill=INK)
    for i, (code, _label) in enumerate(grid.cols):
        cx = gx + cell_w * (i + 0.5)
        shift = LINE * (header_lines - len(lines["cols"][code]))  # headers sit on a common bottom line
        svg.text(cx, top + LABEL_SIZE + shift, lines["cols"][code], size=LABEL_SIZE, text_anchor="middle", fill=INK,
                 line_height=LINE, class_="col-label", data_code=code)
        svg.text(cx, top + LABEL_SIZE + LINE * header_lines, f"n = {grid.col_totals.get(code, 0)}",
                 size=NOTE_SIZE, text_anchor="middle", fill=MUTED, class_="col-total", data_code=code)
    svg.text(total_x + 34, top + LABEL_SIZE + LINE * header_lines, "Total", size=NOTE_SIZE, text_anchor="middle",
             fill=MUTED)
    for j, (code, _label) in enumerate(grid.rows):
        y = gy + cell_h * j
        if j % 2 == 0:
            svg.rect(x0, y, total_x + 68 - x0, cell_h, fill=SHADE)
        row_lines = lines["rows"][code]
        first = y + cell_h / 2 - LINE * (len(row_lines) - 1) / 2 + 4
        svg.text(x0 + 4, first, row_lines, size=LABEL_SIZE, fill=INK, line_height=LINE, class_="row-label",
                 data_code=code)
        svg.text(total_x + 34, y + cell_h / 2 + 4, str(grid.row_totals.get(code, 0)), size=NOTE_SIZE,
                 text_anchor="middle", fill=MUTED, class_="row-total", data_code=code)
    bottom = gy + cell_h * len(grid.rows)
    for i in range(len(grid.cols) + 1):
        svg.line(gx + cell_w * i, gy, gx + cell_w * i, bottom, stroke=GRID_COLOUR)
    svg.line(x0, bottom, total_x + 68, bottom, stroke=GRID_COLOUR)
    return gx, gy, total_x


def _describe(grid: Grid) -> str:
    parts = []
    for code, label in grid.rows:
        cells = [f"{cl} {grid.count(code, cc)}" for cc, cl in grid.cols if grid.count(code, cc)]
        if cells:
            parts.append(f"{label}: " + ", ".join(cells))
    return f"{grid.title} ({grid.row_axis} by {grid.col_axis}; {grid.n} {grid.unit}). " + "; ".join(parts) + ". " + \
        " ".join(grid.notes)


def render_evidence_map(grid: Grid) -> str:
    """The evidence map as SVG: a circle per cell, area proportional to the count, the count written in it."""
    svg = Svg()
    lines, label_w, cell_w, cell_h, header_lines = _grid_layout(grid, 118, 50)
    width = PAD * 2 + label_w + cell_w * len(grid.cols) + 68
    y = _title(svg, grid.title, width - 2 * PAD)
    gx, gy, _ = _grid_frame(svg, grid, lines, PAD, y, label_w, cell_w, cell_h, header_lines)
    biggest = max(grid.counts.values(), default=0)
    r_max = min(cell_w, cell_h) / 2 - 4
    notes = list(grid.notes)
    if biggest and r_max * math.sqrt(1 / biggest) < R_MIN:
        notes[1] = notes[1].rstrip(".") + (f" (the smallest circles are enlarged to a radius of {R_MIN:g} px to hold "
                                           "their count).")
    for j, (row, _rl) in enumerate(grid.rows):
        for i, (col, _cl) in enumerate(grid.cols):
            n = grid.count(row, col)
            cx, cy = gx + cell_w * (i + 0.5), gy + cell_h * (j + 0.5)
            svg.open("g", class_="cell", data_row=row, data_col=col, data_count=n)
            if n:
                r = max(R_MIN, r_max * math.sqrt(n / biggest))
                svg.circle(cx, cy, r, fill=BUBBLE, stroke=BUBBLE_EDGE, stroke_width=1)
                svg.text(cx, cy + 4, str(n), size=LABEL_SIZE, text_anchor="middle", fill="#000000",
                         font_weight="bold", class_="count")
            else:
                svg.circle(cx, cy, 1.5, fill=GRID_COLOUR)
            svg.close("g")
    y = _notes(svg, notes, gy + cell_h * len(grid.rows) + 12, width - 2 * PAD)
    return svg.document(width, y + PAD, grid.title, _describe(grid), grid.kind)


def render_grid(grid: Grid) -> str:
    """The effects grid as SVG: a heat grid (single-hue blues, darker = more) with the count in every cell."""
    svg = Svg()
    lines, label_w, cell_w, cell_h, header_lines = _grid_layout(grid, 110, 40)
    width = PAD * 2 + label_w + cell_w * len(grid.cols) + 68
    y = _title(svg, grid.title, width - 2 * PAD)
    gx, gy, _ = _grid_frame(svg, grid, lines, PAD, y, label_w, cell_w, cell_h, header_lines)
    biggest = max(grid.counts.values(), default=0)
    for j, (row, _rl) in enumerate(grid.rows):
        for i, (col, _cl) in enumerate(grid.cols):
            n = grid.count(row, col)
            shade = 0 if n == 0 else 1 + round((len(HEAT) - 2) * n / biggest) if biggest else 0
            shade = min(shade, len(HEAT) - 1)
            x, y0 = gx + cell_w * i, gy + cell_h * j
            svg.open("g", class_="cell", data_row=row, data_col=col, data_count=n)
            svg.rect(x + 1, y0 + 1, cell_w - 2, cell_h - 2, fill=HEAT[shade])
            svg.text(x + cell_w / 2, y0 + cell_h / 2 + 4, str(n), size=LABEL_SIZE, text_anchor="middle",
                     fill="#ffffff" if shade >= 5 else (INK if n else "#aaaaaa"),
                     font_weight="bold" if n else None, class_="count")
            svg.close("g")
    y = _notes(svg, grid.notes, gy + cell_h * len(grid.rows) + 12, width - 2 * PAD)
    return svg.document(width, y + PAD, grid.title, _describe(grid), grid.kind)


def _marker(svg: Svg, cx: float, cy: float, state: str, r: float = 10) -> None:
    look = STATES[state]
    svg.circle(cx, cy, r, fill=look.fill, stroke=look.stroke, stroke_dasharray=look.dash)
    if look.symbol:
        size = 8 if len(look.symbol) > 1 else 13
        svg.text(cx, cy + (3 if len(look.symbol) > 1 else 4.5), look.symbol, size=size, text_anchor="middle",
                 fill=look.ink, font_weight="bold")


def _legend(svg: Svg, y: float, heading: str, states: list[str], width: float) -> float:
    """A row of legend keys (wrapping onto more lines when needed); returns the y below it."""
    svg.text(PAD, y + LABEL_SIZE, heading, size=LABEL_SIZE, font_weight="bold", fill=INK)
    x = PAD + text_width(heading, LABEL_SIZE) + 12
    y_line = y + 8
    for state in states:
        w = 26 + text_width(STATES[state].label, NOTE_SIZE) + 14
        if x + w > PAD + width:
            x, y_line = PAD + 12, y_line + 26
        svg.open("g", class_="legend-key", data_state=state)
        _marker(svg, x + 10, y_line - 3 + 4, state, r=9)
        svg.text(x + 24, y_line + 5, STATES[state].label, size=NOTE_SIZE, fill=INK)
        svg.close("g")
        x += w
    return y_line + 22


def render_appraisal(data: Appraisal) -> str:
    """The MMAT traffic-light plot as SVG: one row per study, a coloured symbol per answer, a legend and notes."""
    svg = Svg()
    row_h, col_w, overall_w = 24.0, 30.0, 62.0
    label_w = max([text_width(r.label, LABEL_SIZE) for r in data.rows] + [text_width("Study", LABEL_SIZE)]) + 16
    cat_w = max([text_width(r.category_label, NOTE_SIZE) for r in data.rows] +
                [text_width("MMAT category", LABEL_SIZE)]) + 16
    grid_w = label_w + cat_w + col_w * 7 + overall_w
    answered, cells, rated, total = data.summary()
    summary = (f"Answers recorded in {answered} of {cells} cells (S1, S2, C1-C5); an overall rating for {rated} of "
               f"{total} stud{'y' if total == 1 else 'ies'}. Grey cells: not reported.")
    width = PAD * 2 + max(grid_w, 520)
    y = _title(svg, data.title, width - 2 * PAD)
    for line in wrap(summary, width - 2 * PAD, LABEL_SIZE):
        svg.text(PAD, y + LABEL_SIZE, line, size=LABEL_SIZE, fill=INK, class_="summary")
        y += LINE
    y += 12
    x_cat = PAD + label_w
    x_cells = x_cat + cat_w
    svg.text(PAD + 4, y + LABEL_SIZE, "Study", size=LABEL_SIZE, font_weight="bold", fill=INK)
    svg.text(x_cat, y + LABEL_SIZE, "MMAT category", size=LABEL_SIZE, font_weight="bold", fill=INK)
    for i, head in enumerate(APPRAISAL_HEADERS):
        cx = x_cells + col_w * (i + 0.5) if i < 7 else x_cells + col_w * 7 + overall_w / 2
        svg.text(cx, y + LABEL_SIZE, head, size=LABEL_SIZE, font_weight="bold", text_anchor="middle", fill=INK)
    y += LINE + 8
    svg.line(PAD, y - 4, PAD + grid_w, y - 4, stroke="#888888")
    for j, row in enumerate(data.rows):
        top = y + row_h * j
        if j % 2 == 0:
            svg.rect(PAD, top, grid_w, row_h, fill=SHADE)
        cy = top + row_h / 2
        svg.open("g", class_="study", data_study=row.study_id, data_appraiser=row.appraiser)
        svg.text(PAD + 4, cy + 4, row.label, size=LABEL_SIZE, fill=INK, class_="study-label")
        svg.text(x_cat, cy + 4, row.category_label, size=NOTE_SIZE, fill=MUTED, class_="category",
                 data_value=row.category)
        for i, cell in enumerate(row.cells):
            cx = x_cells + col_w * (i + 0.5) if i < 7 else x_cells + col_w * 7 + overall_w / 2
            svg.open("g", class_=f"cell state-{cell.state}", data_column=cell.column, data_field=cell.field,
                     data_value=cell.value, data_state=cell.state)
            _marker(svg, cx, cy, cell.state)
            svg.close("g")
        svg.close("g")
    y += row_h * len(data.rows)
    svg.line(PAD, y, PAD + grid_w, y, stroke="#888888")
    svg.line(x_cells + col_w * 7 + 1, y - row_h * len(data.rows) - LINE - 12, x_cells + col_w * 7 + 1, y,
             stroke="#888888")
    y += 14
    used = {c.state for r in data.rows for c in r.cells}
    extra = [s for s in ("blank", "invalid") if s in used]
    y = _legend(svg, y, "Answers:", list(ANSWER_LEGEND) + extra, width - 2 * PAD)
    y = _legend(svg, y, "Overall:", list(RATING_LEGEND) + [s for s in ("NA", *extra) if s in used], width - 2 * PAD)
    notes = ["S1: clear research questions; S2: the data allow the questions to be addressed; C1-C5: the criteria "
             "k.1-k.5 of the study's MMAT category k (a mixed-methods study, category 5, shows 5.1-5.5 only). Where "
             "the category is missing, its criteria are shown as missing too."]
    notes += [f"{code}: {label}." for code, label in sorted(data.missing_labels.items()) if code]
    y = _notes(svg, notes, y + 4, width - 2 * PAD)
    desc = (f"{data.title}: {total} rows (studies, one per appraiser). {summary} "
            + "; ".join(f"{r.label}: " + ", ".join(f"{h} {STATES[c.state].label}" for h, c in
                                                   zip(APPRAISAL_HEADERS, r.cells, strict=True))
                        for r in data.rows))
    return svg.document(width, y + PAD, data.title, desc, "appraisal")


# ------------------------------------------------------------------------------------------------------ entry points

def evidence_map(review: Review, db_path: Path) -> str:
    """SVG of the evidence map (intervention type x group, e.g. age band; studies per cell)."""
    return render_evidence_map(evidence_map_data(review, db_path))


def effects_grid(review: Review, db_path: Path, band: str | None = None) -> str:
    """SVG of the grid of the two coded outcomes (e.g. social-support effect x child-outcome effect; CMO
    configurations per cell)."""
    return render_grid(effects_data(review, db_path, band))


def appraisal_plot(review: Review, db_path: Path, band: str | None = None) -> str:
    """SVG of the MMAT 2018 traffic-light plot."""
    return render_appraisal(appraisal_data(review, db_path, band))


def check_request(review: Review, kind: str, band: str | None) -> None:
    """CmokitError (usage) for an unknown kind, an unknown band, or a band for a kind that shows every band."""
    if kind not in KINDS:
        raise CmokitError(f"unknown plot kind '{kind}' (one of {', '.join(KINDS)}).", rule="usage")
    if band is not None and kind not in BAND_KINDS:
        raise CmokitError(f"--band does not apply to {kind}: its columns are the groups (e.g. age bands) already "
                          f"(--band works with {' and '.join(BAND_KINDS)}).", rule="usage")
    check_band(review, band)


def plot(review: Review, db_path: Path, kind: str, band: str | None = None) -> str:
    """SVG text of one kind of plot (``evidence-map``, ``effects``, ``appraisal`` or ``theories``)."""
    check_request(review, kind, band)
    if kind == "evidence-map":
        return evidence_map(review, db_path)
    if kind == "effects":
        return effects_grid(review, db_path, band)
    if kind == "theories":
        from cmokit.presentation.theory_map import theory_map

        return theory_map(review, db_path, band)
    return appraisal_plot(review, db_path, band)


def check_output(output: str | Path) -> Path | None:
    """The output path (None for '-', standard output); CmokitError (plot.output) unless it is a .svg file path."""
    if str(output) == "-":
        return None
    path = Path(output)
    if path.is_dir():
        raise CmokitError(f"{path}: is a folder; give --output FILE.svg (or '-' for standard output).",
                          rule="plot.output", path=str(path))
    if path.suffix.lower() != ".svg":
        raise CmokitError(f"{path}: a plot is an SVG file; give --output FILE.svg (or '-' for standard output).",
                          rule="plot.output", path=str(path))
    return path


def write_plot(svg: str, output: Path) -> Path:
    """Write the SVG atomically to ``output`` (a .svg path); returns it."""
    from cmokit.core.atomic import write_text

    path = check_output(output)
    if path is None:
        raise CmokitError("write_plot needs a file path; print the SVG text for standard output.", rule="usage")
    write_text(path, svg)
    return path
