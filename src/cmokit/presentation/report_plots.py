"""Figures of the report that ``cmokit plot`` does not draw, and inlining SVG into HTML.

The MMAT summary is robvis's summary plot: one bar per criterion (S1, S2, C1-C5, overall rating), split into the
share of appraisals with each answer. As in the traffic-light plot, every state has a symbol as well as a colour
(``+`` yes, ``?`` can't tell, ``−`` no, ``NR``...), written in its segment and in the legend, and the shares are
written out beside each bar, so no state is told by colour alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cmokit.presentation.plot import STATES
from cmokit.presentation.plot_data import APPRAISAL_COLUMNS, APPRAISAL_HEADERS, Appraisal
from cmokit.presentation.svg import Svg, text_width, wrap

ANSWER_ORDER = ("yes", "cant_tell", "no", "high", "moderate", "low", "NR", "NA", "blank", "invalid")
BAR_W = 420.0
BAR_H = 22.0
ROW_H = 34.0
PAD = 20.0
INK = "#1a1a1a"
MUTED = "#555555"


@dataclass
class Summary:
    """Per criterion (column of the traffic-light plot): how many appraisals gave each answer."""

    title: str
    appraisals: int
    counts: dict[str, dict[str, int]]  # column -> state -> count

    def share(self, column: str, state: str) -> float:
        return self.counts[column].get(state, 0) / self.appraisals if self.appraisals else 0.0


def mmat_summary(data: Appraisal) -> Summary:
    """Count the states of every column of the traffic-light plot's rows."""
    counts: dict[str, dict[str, int]] = {c: {} for c in APPRAISAL_COLUMNS}
    for row in data.rows:
        for cell in row.cells:
            counts[cell.column][cell.state] = counts[cell.column].get(cell.state, 0) + 1
    title = "MMAT 2018 summary: share of appraisals per answer, by criterion"
    return Summary(title, len(data.rows), counts)


def percent(part: int, whole: int) -> str:
    """A share as a whole percentage ('0%' for an empty whole)."""
    return f"{round(100 * part / whole) if whole else 0}%"


def render_mmat_summary(summary: Summary) -> str:
    """The summary bar chart as SVG (see the module docstring)."""
    svg = Svg()
    label_w = 80.0
    used = [s for s in ANSWER_ORDER if any(summary.counts[c].get(s) for c in APPRAISAL_COLUMNS)]
    width = PAD * 2 + label_w + BAR_W + 330
    svg.text(PAD, PAD + 16, wrap(summary.title, width - 2 * PAD, 16), size=16, font_weight="bold", fill=INK,
             line_height=20)
    y = PAD + 40
    svg.text(PAD, y + 12, f"{summary.appraisals} appraisals (one per study and appraiser); each bar is 100% of them.",
             size=12, fill=INK, class_="summary")
    y += 28
    for column, head in zip(APPRAISAL_COLUMNS, APPRAISAL_HEADERS, strict=True):
        counts = summary.counts[column]
        svg.open("g", class_="criterion", data_column=column)
        svg.text(PAD, y + BAR_H / 2 + 4, head, size=12, font_weight="bold", fill=INK)
        x = PAD + label_w
        for state in ANSWER_ORDER:
            n = counts.get(state, 0)
            if not n:
                continue
            w = BAR_W * n / summary.appraisals
            look = STATES[state]
            svg.open("g", class_=f"segment state-{state}", data_state=state, data_count=n)
            svg.rect(x, y, w, BAR_H, fill=look.fill, stroke=look.stroke if look.stroke != "none" else "#ffffff",
                     stroke_dasharray=look.dash)
            if look.symbol and w >= text_width(look.symbol, 12) + 6:
                svg.text(x + w / 2, y + BAR_H / 2 + 4, look.symbol, size=12, font_weight="bold",
                         text_anchor="middle", fill=look.ink)
            svg.close("g")
            x += w
        shares = ", ".join(f"{STATES[s].symbol or 'blank'} {percent(counts[s], summary.appraisals)}"
                           for s in ANSWER_ORDER if counts.get(s))
        svg.text(PAD + label_w + BAR_W + 12, y + BAR_H / 2 + 4, shares, size=11, fill=INK, class_="shares")
        svg.close("g")
        y += ROW_H
    y += 6
    x = PAD
    for state in used:
        look = STATES[state]
        w = 30 + text_width(look.label, 11) + 14
        if x + w > width - PAD:
            x, y = PAD, y + 24
        svg.open("g", class_="legend-key", data_state=state)
        svg.rect(x, y, 22, 16, fill=look.fill, stroke=look.stroke if look.stroke != "none" else "#888888",
                 stroke_dasharray=look.dash)
        svg.text(x + 11, y + 12, look.symbol, size=9 if len(look.symbol) > 1 else 12, font_weight="bold",
                 text_anchor="middle", fill=look.ink)
        svg.text(x + 28, y + 12, look.label, size=11, fill=INK)
        svg.close("g")
        x += w
    y += 30
    note = ("S1, S2: MMAT screening questions; C1-C5: the five criteria of each study's category; Overall: the "
            "review's overall rating. Shares of all appraisals, rounded.")
    lines = wrap(note, width - 2 * PAD, 11)
    svg.text(PAD, y, lines, size=11, fill=MUTED, line_height=14, class_="note")
    y += 14 * len(lines)
    desc = summary.title + ". " + "; ".join(
        f"{head}: " + ", ".join(f"{STATES[s].label} {percent(summary.counts[c][s], summary.appraisals)}"
                                for s in ANSWER_ORDER if summary.counts[c].get(s))
        for c, head in zip(APPRAISAL_COLUMNS, APPRAISAL_HEADERS, strict=True)) + "."
    return svg.document(width, y + PAD, summary.title, desc, "mmat-summary")


_ID = re.compile(r'\bid="([^"]+)"')
_REFS = re.compile(r'\baria-labelledby="([^"]+)"')


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document ready to sit inside HTML: no XML declaration, every id (and the aria-labelledby pointing to
    them) prefixed with ``prefix-``, so several figures on one page never share an id."""
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
    body = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', body)
    return _REFS.sub(lambda m: 'aria-labelledby="' + " ".join(f"{prefix}-{i}" for i in m.group(1).split()) + '"',
                     body).rstrip("\n")
