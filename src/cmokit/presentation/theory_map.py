"""The theory x study matrix (``cmokit plot theories``): which studies support, refute, refine or illustrate each
theory, with the studies grouped (by the field declaring ``"cmokit:study": "grouping"``; the bundled review's age
bands).

:func:`theory_map_data` reads what the picture shows from the database (theories with at least one evidence row as
rows, included studies as columns, each cell the judgements of its evidence rows); :func:`render_theory_map` draws
it with the same hand-written SVG as the other plots (:mod:`cmokit.presentation.svg`): every cell carries its theory,
study, reference number and judgements as ``data-*`` attributes, and every judgement has its own symbol as well as
its colour (Okabe-Ito), so nothing is shown by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cmokit.package.model import Review
from cmokit.presentation.svg import Svg, text_width, wrap
from cmokit.synthesis.ddl import q

JUDGEMENTS = ("supports", "refutes", "refines", "illustrates")
# symbol, fill, ink: Okabe-Ito bluish green, vermillion, blue; grey for an illustration (no test of the theory)
MARKS = {"supports": ("+", "#009E73", "#ffffff"), "refutes": ("\u2212", "#D55E00", "#ffffff"),
         "refines": ("~", "#0072B2", "#ffffff"), "illustrates": ("i", "#DDDDDD", "#1a1a1a")}
PAD, TITLE, LABEL, NOTE = 20, 16, 12, 11
CELL_W, CELL_H, ROW_LABEL_W = 26.0, 26.0, 300.0
INK, MUTED, GRID, SHADE = "#1a1a1a", "#555555", "#d9d9d9", "#f4f4f4"


@dataclass
class Study:
    """One column: an included study of one band."""

    study_id: str
    reference: int | None
    label: str
    band: str


@dataclass
class TheoryMap:
    """The matrix: theory rows, study columns grouped by band, and the judgements in each cell."""

    title: str
    theories: list[tuple[str, str]]  # (theory_id, label)
    bands: list[tuple[str, str, list[Study]]]  # (code, label, studies)
    marks: dict[tuple[str, str], list[str]]  # (theory_id, study_id) -> judgements, in evidence order
    labels: dict[str, str]  # judgement -> label (codebook)
    unlinked: int = 0  # theories without evidence (not drawn)
    notes: list[str] = field(default_factory=list)

    def count(self, judgement: str) -> int:
        return sum(js.count(judgement) for js in self.marks.values())


def theory_map_data(review: Review, db_path: Path, band: str | None = None) -> TheoryMap:
    """What the matrix shows, from the database; ``band`` keeps one age band's studies (and the theories they test)."""
    from cmokit.package.annotations import STUDIES, field_title, included_sql, study_fields
    from cmokit.presentation.plot_data import _fetch, _group_sql, _label_sql, band_choices, check_band, code_labels

    check_band(review, band)
    sf = study_fields(review)
    # without a reference field, the columns are numbered 1, 2, ... in study_id order
    ref = f"s.{q(sf.reference)}" if sf.reference else "row_number() OVER (ORDER BY s.study_id)"
    order = f"{ref} NULLS LAST, s.study_id" if sf.reference else "s.study_id"
    group = _group_sql(review)
    studies = _fetch(db_path, f"SELECT s.study_id, {ref}, {_label_sql(review)}, {group} "
                              f"FROM studies s WHERE {included_sql(review)} AND ($band IS NULL "
                              f"OR {group} = $band) ORDER BY {order}",
                     {"band": band}, "theory map")
    evidence = _fetch(db_path, "SELECT e.theory_id, t.label, e.study_id, CAST(e.judgement AS VARCHAR) FROM evidence e "
                               "JOIN theories t USING (theory_id) ORDER BY e.theory_id, e.study_id, e.evidence_number",
                      None, "theory map")
    total = _fetch(db_path, "SELECT count(*) FROM theories", None, "theory map")[0][0]
    shown = {s[0] for s in studies}
    marks: dict[tuple[str, str], list[str]] = {}
    theories: dict[str, str] = {}
    for tid, label, sid, judgement in evidence:
        if sid in shown and judgement is not None:
            marks.setdefault((tid, sid), []).append(judgement)
            theories.setdefault(tid, label or tid)
    groups = []
    for code, label in band_choices(review) or [("", "")]:
        members = [Study(s[0], s[1], s[2] or s[0], code) for s in studies if s[3] == code or not code]
        if members:
            groups.append((code, label, members))
    labels = dict(code_labels(review, "evidence", "judgement")) if review.has("evidence") else {}
    n_studies = len({sid for _, sid in marks})
    band_label = dict(band_choices(review)).get(band or "", band or "")
    grouping = field_title(review, STUDIES, sf.group).lower()
    scope = f"the {band_label} band" if band else (f"all {grouping}s" if grouping else "the review")
    numbered = "by reference number" if sf.reference else "numbered in study_id order"
    tm = TheoryMap("Theories and the studies that test them" + (f": {band_label}" if band else ""),
                   sorted(theories.items()), groups, marks, {j: labels.get(j, j) for j in JUDGEMENTS},
                   unlinked=total - len(theories))
    tm.notes = [f"n = {sum(len(v) for v in marks.values())} evidence judgements on {len(theories)} theories from "
                f"{n_studies} of the {len(studies)} included studies of {scope}; columns are the studies {numbered}"
                + (f", grouped by {grouping}." if grouping else "."),
                f"{tm.unlinked} theor{'y has' if tm.unlinked == 1 else 'ies have'} no evidence "
                f"{'in this band' if band else 'linked'} and {'is' if tm.unlinked == 1 else 'are'} not shown; the "
                "theories table lists every theory with its statement."]
    return tm


def _mark(svg: Svg, cx: float, cy: float, judgement: str, r: float) -> None:
    symbol, fill, ink = MARKS[judgement]
    svg.circle(cx, cy, r, fill=fill, stroke="#888888" if judgement == "illustrates" else "none")
    svg.text(cx, cy + r * 0.45, symbol, size=r * 1.3, text_anchor="middle", fill=ink, font_weight="bold")


def _describe(tm: TheoryMap) -> str:
    refs = {s.study_id: s.reference for _, _, members in tm.bands for s in members}
    parts = []
    for tid, label in tm.theories:
        by = {j: sorted(refs[sid] for (t, sid), js in tm.marks.items() if t == tid and j in js) for j in JUDGEMENTS}
        said = "; ".join(f"{tm.labels[j].lower()} {by[j]}" for j in JUDGEMENTS if by[j])
        parts.append(f"{label}: {said}")
    return f"{tm.title}. " + "".join(f"{p}. " for p in parts) + " ".join(tm.notes)


def render_theory_map(tm: TheoryMap) -> str:
    """The matrix as SVG: a row per theory, a column per study (grouped by band), a marked circle per judgement."""
    svg = Svg()
    columns = [s for _, _, members in tm.bands for s in members]
    gap = 10.0  # between bands
    width = PAD * 2 + ROW_LABEL_W + CELL_W * len(columns) + gap * max(len(tm.bands) - 1, 0)
    lines = wrap(tm.title, width - 2 * PAD, TITLE)
    svg.text(PAD, PAD + TITLE, lines, size=TITLE, font_weight="bold", fill=INK, line_height=20)
    y = PAD + TITLE + 20 * (len(lines) - 1) + 16
    x = PAD  # legend
    for j in JUDGEMENTS:
        svg.open("g", class_="legend-key", data_judgement=j)
        _mark(svg, x + 9, y + 6, j, 8)
        svg.text(x + 22, y + 10, tm.labels[j], size=NOTE, fill=INK)
        svg.close("g")
        x += 34 + text_width(tm.labels[j], NOTE)
    y += 30
    heads = {code: wrap(label, len(members) * CELL_W - 4, LABEL, before_parenthesis=True)
             for code, label, members in tm.bands}
    head_h = 15 * max([len(h) for h in heads.values()] + [1])
    x0 = PAD + ROW_LABEL_W
    xs: dict[str, float] = {}
    for code, _label, members in tm.bands:
        span = len(members) * CELL_W
        svg.text(x0 + span / 2, y + LABEL, heads[code], size=LABEL, text_anchor="middle", font_weight="bold",
                 fill=INK, line_height=15, class_="band-label", data_band=code)
        svg.line(x0 + 2, y + head_h + 2, x0 + span - 2, y + head_h + 2, stroke=MUTED)
        for i, s in enumerate(members):
            xs[s.study_id] = x0 + CELL_W * (i + 0.5)
            svg.text(xs[s.study_id], y + head_h + 18, str(s.reference if s.reference is not None else "?"),
                     size=NOTE, text_anchor="middle", fill=MUTED, class_="study-ref", data_study=s.study_id)
        x0 += span + gap
    svg.text(PAD, y + head_h + 18, "Theory (study reference numbers above)", size=LABEL, font_weight="bold", fill=INK)
    top = y + head_h + 26
    row_lines = {tid: wrap(label, ROW_LABEL_W - 12, LABEL) for tid, label in tm.theories}
    y = top
    for j, (tid, _label) in enumerate(tm.theories):
        h = max(CELL_H, 15 * len(row_lines[tid]) + 8)
        if j % 2 == 0:
            svg.rect(PAD, y, width - 2 * PAD, h, fill=SHADE)
        svg.text(PAD + 4, y + h / 2 - 15 * (len(row_lines[tid]) - 1) / 2 + 4, row_lines[tid], size=LABEL, fill=INK,
                 line_height=15, class_="theory-label", data_theory=tid)
        for s in columns:
            js = tm.marks.get((tid, s.study_id), [])
            svg.open("g", class_="cell", data_theory=tid, data_study=s.study_id, data_ref=s.reference,
                     data_judgements=" ".join(js))
            if js:
                r = 9 if len(js) == 1 else 6
                for k, judgement in enumerate(js):
                    _mark(svg, xs[s.study_id] + (k - (len(js) - 1) / 2) * (2 * r + 1), y + h / 2, judgement, r)
            svg.close("g")
        y += h
    for s in columns:
        svg.line(xs[s.study_id] - CELL_W / 2, top, xs[s.study_id] - CELL_W / 2, y, stroke=GRID)
    svg.line(PAD, y, width - PAD, y, stroke=GRID)
    y += 14
    for note in tm.notes:
        for line in wrap(note, width - 2 * PAD, NOTE):
            svg.text(PAD, y + NOTE, line, size=NOTE, fill=MUTED, class_="note")
            y += 14
    return svg.document(width, y + PAD, tm.title, _describe(tm), "theories")


def theory_map(review: Review, db_path: Path, band: str | None = None) -> str:
    """SVG of the theory x study matrix."""
    return render_theory_map(theory_map_data(review, db_path, band))
