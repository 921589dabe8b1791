"""Pictures of the synthesis as SVG, drawn from the review's database: an evidence map, an effects grid and an MMAT
2018 traffic-light plot.

Each kind has a data function (what is counted, from the database) and a render function (the SVG text), so the
numbers can be checked apart from the drawing. Labels and code order come from the review's codebook, age bands from
the descriptor. The SVG is written by hand (:mod:`cmokit.svg`): no plotting library, escaped text, the same bytes
for the same data, a ``<title>`` and ``<desc>`` for screen readers, and every cell carries its numbers as ``data-*``
attributes so that the file can be checked or restyled without parsing the drawing. Colours are the Okabe-Ito
palette (safe for colour-blind readers), and no state is shown by colour alone: cells also carry a symbol or count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from cmokit.database import MISSING_SCHEMA, connect_readonly
from cmokit.errors import CmokitError
from cmokit.review import Review
from cmokit.svg import Svg, text_width, wrap

KINDS = ("evidence-map", "effects", "appraisal")
BAND_KINDS = ("effects", "appraisal")

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

MMAT_ANSWERS = ("yes", "no", "cant_tell")
MMAT_RATINGS = ("low", "moderate", "high")
APPRAISAL_COLUMNS = ("s1", "s2", "c1", "c2", "c3", "c4", "c5", "overall")
APPRAISAL_HEADERS = ("S1", "S2", "C1", "C2", "C3", "C4", "C5", "Overall")


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


# ------------------------------------------------------------------------------------------------------ data

@dataclass
class Grid:
    """Counts in a grid of codes: rows x columns, each a (code, label) in display order."""

    kind: str
    title: str
    rows: list[tuple[str, str]]
    cols: list[tuple[str, str]]
    counts: dict[tuple[str, str], int]
    row_totals: dict[str, int]
    col_totals: dict[str, int]
    n: int
    unit: str
    row_axis: str
    col_axis: str
    notes: list[str] = field(default_factory=list)

    def count(self, row: str, col: str) -> int:
        return self.counts.get((row, col), 0)


@dataclass
class Cell:
    """One appraisal cell: its column (s1 ... c5, overall), the schema field shown, the state and the raw value."""

    column: str
    field: str
    state: str
    value: str


@dataclass
class AppraisalRow:
    """One study (and appraiser) of the traffic-light plot."""

    study_id: str
    label: str
    appraiser: str
    category: str  # the MMAT category code, or the missing-value code
    category_label: str
    cells: list[Cell]


@dataclass
class Appraisal:
    """The traffic-light plot's rows and what they add up to."""

    title: str
    rows: list[AppraisalRow]
    missing_labels: dict[str, str]
    band: str | None = None

    def summary(self) -> tuple[int, int, int, int]:
        """(answered criteria cells, criteria cells, rated appraisals, appraisals)."""
        answers = [c for r in self.rows for c in r.cells if c.column != "overall"]
        rated = [c for r in self.rows for c in r.cells if c.column == "overall" and c.state in MMAT_RATINGS]
        return sum(c.state in MMAT_ANSWERS for c in answers), len(answers), len(rated), len(self.rows)


def code_labels(review: Review, table: str, field_name: str) -> list[tuple[str, str]]:
    """(code, label) of a coded field: codebook order and labels first, then any schema code the codebook lacks."""
    out = [(r["code"], r.get("label") or r["code"]) for r in review.codebook()
           if r.get("table") == table and r.get("field") == field_name]
    known = {c for c, _ in out}
    try:
        codes = review.resource(table).field(field_name).codes() or ()
    except (CmokitError, KeyError):
        codes = ()
    return out + [(c, c) for c in codes if c not in known]


def band_choices(review: Review) -> list[tuple[str, str]]:
    """The review's age bands (code, label), in the descriptor's order."""
    from cmokit.tables import bands

    return bands(review)


def check_band(review: Review, band: str | None) -> None:
    """CmokitError (usage) unless ``band`` is None or one of the review's age bands."""
    codes = [c for c, _ in band_choices(review)]
    if band is not None and band not in codes:
        raise CmokitError(f"unknown age band '{band}' (one of {', '.join(codes) or 'none declared'}).", rule="usage")


def _fetch(db_path: Path, sql: str, params: dict | None, what: str) -> list[tuple]:
    import duckdb

    con = connect_readonly(db_path, sandbox=True)
    try:
        return con.execute(sql, params or None).fetchall()
    except duckdb.Error as exc:
        raise CmokitError(f"the {what} needs the bundled review's tables and fields; this database cannot give them "
                          f"({str(exc).strip().splitlines()[0][:200]}).", rule="plot.unsupported") from None
    finally:
        con.close()


def _included(review: Review) -> str:
    return str(review.params.get("included_code") or "included")


def _missing_key(code: str | None) -> str:
    return "(missing:" + (code or "") + ")"


def _missing_label(review: Review, resource: str, code: str | None) -> str:
    if not code:
        return "Not yet extracted"
    labels = review.resource(resource).missing_values if review.has(resource) else {}
    return f"Missing ({code})" if code in labels else f"Invalid value '{code}'"


def evidence_map_data(review: Review, db_path: Path) -> Grid:
    """Included studies by intervention type (rows) and age band (columns); a study with several types counts once
    under each. Studies without a band or a type are counted in ``notes``."""
    rows = _fetch(db_path, "SELECT s.study_id, CAST(s.age_band AS VARCHAR), CAST(s.intervention_type AS VARCHAR[]) "
                           "FROM studies s WHERE CAST(s.inclusion_status AS VARCHAR) = $included ORDER BY s.study_id",
                  {"included": _included(review)}, "evidence map")
    types = code_labels(review, "studies", "intervention_type")
    bands = band_choices(review)
    counts: dict[tuple[str, str], int] = {}
    row_totals: dict[str, int] = {}
    col_totals: dict[str, int] = {}
    unplaced = 0
    band_codes = {c for c, _ in bands}
    for _study, band, codes in rows:
        codes = sorted(set(codes or []))
        if band not in band_codes or not codes:
            unplaced += 1
            continue
        col_totals[band] = col_totals.get(band, 0) + 1
        for code in codes:
            counts[(code, band)] = counts.get((code, band), 0) + 1
            row_totals[code] = row_totals.get(code, 0) + 1
    notes = [f"n = {len(rows)} studies; intervention types as coded from the review's tables.",
             "A study with several intervention types counts once under each; circle area is proportional to the "
             "number of studies."]
    if unplaced:
        one = unplaced == 1
        notes.append(f"{unplaced} stud{'y has' if one else 'ies have'} no age band or no intervention type (a missing "
                     f"value) and {'is' if one else 'are'} not shown.")
    return Grid("evidence-map", "Evidence map: studies by intervention type and age band", types, bands, counts,
                row_totals, col_totals, len(rows), "studies", "Intervention type", "Age band", notes)


def effects_data(review: Review, db_path: Path, band: str | None = None) -> Grid:
    """CMO configurations of included studies by effect on social support (rows) and on the child (columns)."""
    check_band(review, band)
    sql = ("SELECT CAST(c.ss_effect AS VARCHAR), mc.ss_effect, CAST(c.child_effect AS VARCHAR), mc.child_effect, "
           "c.study_id FROM cmo c JOIN studies s USING (study_id) "
           f"LEFT JOIN {MISSING_SCHEMA}.cmo mc "
           "ON mc.study_id = c.study_id AND mc.cmo_number = CAST(c.cmo_number AS VARCHAR) "
           "WHERE CAST(s.inclusion_status AS VARCHAR) = $included "
           "AND ($band IS NULL OR CAST(s.age_band AS VARCHAR) = $band) ORDER BY c.study_id, c.cmo_number")
    fetched = _fetch(db_path, sql, {"included": _included(review), "band": band}, "effects grid")
    rows = code_labels(review, "cmo", "ss_effect")
    cols = code_labels(review, "cmo", "child_effect")
    counts: dict[tuple[str, str], int] = {}
    row_totals: dict[str, int] = {}
    col_totals: dict[str, int] = {}
    extra_rows: dict[str, str] = {}
    extra_cols: dict[str, str] = {}
    for ss, ss_missing, child, child_missing, _study in fetched:
        if ss is None:
            ss = _missing_key(ss_missing)
            extra_rows[ss] = _missing_label(review, "cmo", ss_missing)
        if child is None:
            child = _missing_key(child_missing)
            extra_cols[child] = _missing_label(review, "cmo", child_missing)
        counts[(ss, child)] = counts.get((ss, child), 0) + 1
        row_totals[ss] = row_totals.get(ss, 0) + 1
        col_totals[child] = col_totals.get(child, 0) + 1
    rows += sorted(extra_rows.items())
    cols += sorted(extra_cols.items())
    studies = len({r[4] for r in fetched})
    label = dict(band_choices(review)).get(band or "", "")
    scope = f"of {label[:1].lower()}{label[1:]}" if band else "(all age bands)"
    notes = [f"n = {len(fetched)} CMO configurations from {studies} studies {scope}; codes and labels from the "
             "review's codebook.",
             "Each configuration counts once, in the cell of its coded effect on social support and on the child."]
    title = "Effects on social support and on the child" + (f": {label}" if band else "")
    return Grid("effects", title, rows, cols, counts, row_totals, col_totals, len(fetched), "CMO configurations",
                "Effect on social support", "Effect on the child's mental health", notes)


def _criteria_fields(category: str | None) -> list[str]:
    return [f"c{category}_{j}" for j in range(1, 6)] if category else []


def appraisal_data(review: Review, db_path: Path, band: str | None = None) -> Appraisal:
    """One row per included study and appraiser (a study without an appraisal gets a row of blank cells): S1, S2,
    the five criteria of the study's MMAT category, and the overall rating, each with its state."""
    check_band(review, band)
    answer_fields = ["mmat_category", "s1", "s2"] + [f"c{k}_{j}" for k in range(1, 6) for j in range(1, 6)] + [
        "overall_rating"]
    typed = ", ".join(f"CAST(a.{f} AS VARCHAR)" for f in answer_fields)
    shadow = ", ".join(f"m.{f}" for f in answer_fields)
    sql = (f"SELECT s.study_id, s.study_label, a.appraiser, a.study_id IS NOT NULL, {typed}, {shadow} "
           f"FROM studies s LEFT JOIN appraisal a USING (study_id) "
           f"LEFT JOIN {MISSING_SCHEMA}.appraisal m ON m.study_id = a.study_id AND m.appraiser = a.appraiser "
           "WHERE CAST(s.inclusion_status AS VARCHAR) = $included "
           "AND ($band IS NULL OR CAST(s.age_band AS VARCHAR) = $band) ORDER BY s.study_id, a.appraiser")
    fetched = _fetch(db_path, sql, {"included": _included(review), "band": band}, "appraisal plot")
    declared = review.resource("appraisal").missing_values if review.has("appraisal") else {}
    categories = dict(code_labels(review, "appraisal", "mmat_category"))
    k = len(answer_fields)
    per_study: dict[str, int] = {}
    for r in fetched:
        per_study[r[0]] = per_study.get(r[0], 0) + 1
    out = []
    for r in fetched:
        study_id, label, appraiser, appraised = r[0], r[1] or r[0], r[2] or "", r[3]
        values = dict(zip(answer_fields, r[4:4 + k], strict=True))
        missing = dict(zip(answer_fields, r[4 + k:], strict=True))

        def state(name: str, allowed: tuple[str, ...], values=values, missing=missing, appraised=appraised) -> Cell:
            value = values.get(name)
            if value is not None:
                return Cell("", name, value if value in allowed else "invalid", value)
            code = missing.get(name) if appraised else ""
            if not code:
                return Cell("", name, "blank", "")
            if code in ("NR", "NA"):
                return Cell("", name, code, code)
            return Cell("", name, "NR" if code in declared else "invalid", code)

        category_cell = state("mmat_category", tuple(categories) or ("1", "2", "3", "4", "5"))
        category = category_cell.value if category_cell.state not in ("NR", "NA", "blank", "invalid") else None
        cells = [state("s1", MMAT_ANSWERS), state("s2", MMAT_ANSWERS)]
        if category:
            cells += [state(f, MMAT_ANSWERS) for f in _criteria_fields(category)]
        else:  # the criteria belong to a category: without one they are as missing as the category is
            cells += [Cell("", "mmat_category", category_cell.state, category_cell.value) for _ in range(5)]
        cells.append(state("overall_rating", MMAT_RATINGS))
        for column, cell in zip(APPRAISAL_COLUMNS, cells, strict=True):
            cell.column = column
        shown = label if per_study[study_id] == 1 or not appraiser else f"{label} ({appraiser})"
        cat_label = (f"{category} {categories.get(category, '')}".strip() if category
                     else (category_cell.value or "not yet extracted"))
        out.append(AppraisalRow(study_id, shown, appraiser, category or category_cell.value, cat_label, cells))
    label = dict(band_choices(review)).get(band or "", "")
    title = "MMAT 2018 appraisal (traffic-light plot)" + (f": {label}" if band else "")
    return Appraisal(title, out, dict(declared), band)


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
    """SVG of the evidence map (intervention type x age band, studies per cell)."""
    return render_evidence_map(evidence_map_data(review, db_path))


def effects_grid(review: Review, db_path: Path, band: str | None = None) -> str:
    """SVG of the social-support effect x child-outcome effect grid (CMO configurations per cell)."""
    return render_grid(effects_data(review, db_path, band))


def appraisal_plot(review: Review, db_path: Path, band: str | None = None) -> str:
    """SVG of the MMAT 2018 traffic-light plot."""
    return render_appraisal(appraisal_data(review, db_path, band))


def check_request(review: Review, kind: str, band: str | None) -> None:
    """CmokitError (usage) for an unknown kind, an unknown band, or a band for a kind that shows every band."""
    if kind not in KINDS:
        raise CmokitError(f"unknown plot kind '{kind}' (one of {', '.join(KINDS)}).", rule="usage")
    if band is not None and kind not in BAND_KINDS:
        raise CmokitError(f"--band does not apply to {kind}: its columns are the age bands already "
                          f"(--band works with {' and '.join(BAND_KINDS)}).", rule="usage")
    check_band(review, band)


def plot(review: Review, db_path: Path, kind: str, band: str | None = None) -> str:
    """SVG text of one kind of plot (``evidence-map``, ``effects`` or ``appraisal``)."""
    check_request(review, kind, band)
    if kind == "evidence-map":
        return evidence_map(review, db_path)
    if kind == "effects":
        return effects_grid(review, db_path, band)
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
    from cmokit.atomic import write_text

    path = check_output(output)
    if path is None:
        raise CmokitError("write_plot needs a file path; print the SVG text for standard output.", rule="usage")
    write_text(path, svg)
    return path
