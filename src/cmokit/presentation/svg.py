"""A tiny SVG writer: elements as escaped text, deterministic number formatting, rough text widths for layout.

SVG is XML text, so a picture needs no plotting library: every element is one line built here, every piece of
text and every attribute value goes through :func:`esc`, and numbers are written with at most two decimals, so the
same data give the same bytes.
"""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape

FONT = "sans-serif"
# characters XML 1.0 does not allow at all (they would make the file unreadable, even escaped)
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NARROW = set("iljtfr.,;:!|'()[]- 1I")
_WIDE = set("mwMW@%")


def esc(value: object) -> str:
    """Text or an attribute value, safe inside XML (``& < > "`` escaped, characters XML forbids dropped)."""
    return escape(_INVALID_XML.sub("", str(value)), {'"': "&quot;"})


def num(x: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (``12``, ``12.5``)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def attrs(items: dict[str, object]) -> str:
    """Attributes in the given order; ``class_`` -> ``class``, ``font_size`` -> ``font-size``; None is left out."""
    out = []
    for key, value in items.items():
        if value is None:
            continue
        name = "class" if key == "class_" else key.rstrip("_").replace("_", "-")
        text = num(value) if isinstance(value, float) else str(value)
        out.append(f' {name}="{esc(text)}"')
    return "".join(out)


def text_width(text: str, size: float) -> float:
    """A generous estimate of the width of ``text`` in a sans-serif font of ``size`` px (for layout, not display)."""
    units = sum(0.34 if c in _NARROW else 0.9 if c in _WIDE else 0.74 if c.isupper() else 0.62 for c in text)
    return units * size


def wrap(text: str, width: float, size: float, *, before_parenthesis: bool = False) -> list[str]:
    """Words of ``text`` in lines no wider than ``width`` (a single longer word keeps a line of its own); with
    ``before_parenthesis`` a parenthesis starts a new line (``Infants`` / ``(0-2 years)``)."""
    lines: list[str] = []
    parts = str(text).splitlines() or [""]
    if before_parenthesis:
        parts = [p for part in parts for p in re.sub(r"\s+\(", "\n(", part).split("\n")]
    for part in parts:
        line = ""
        for word in part.split():
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


class Svg:
    """An SVG document assembled element by element."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def element(self, tag: str, content: str | None = None, **items: object) -> None:
        """``<tag .../>`` or ``<tag ...>content</tag>`` (``content`` must already be escaped)."""
        self.parts.append(f"<{tag}{attrs(items)}/>" if content is None else f"<{tag}{attrs(items)}>{content}</{tag}>")

    def rect(self, x: float, y: float, w: float, h: float, **items: object) -> None:
        self.element("rect", x=float(x), y=float(y), width=float(w), height=float(h), **items)

    def circle(self, cx: float, cy: float, r: float, **items: object) -> None:
        self.element("circle", cx=float(cx), cy=float(cy), r=float(r), **items)

    def line(self, x1: float, y1: float, x2: float, y2: float, **items: object) -> None:
        self.element("line", x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2), **items)

    def text(self, x: float, y: float, text: str | list[str], *, size: float = 12, line_height: float | None = None,
             **items: object) -> None:
        """Text at (x, y) (the first line's baseline); a list gives one line per item (``tspan``)."""
        lines = text if isinstance(text, list) else [text]
        if len(lines) == 1:
            content = esc(lines[0])
        else:
            step = num(line_height or size * 1.25)
            content = "".join(f'<tspan x="{num(x)}" dy="{step if i else 0}">{esc(t)}</tspan>'
                              for i, t in enumerate(lines))
        self.element("text", content, x=float(x), y=float(y), font_size=size, **items)

    def open(self, tag: str = "g", **items: object) -> None:
        self.parts.append(f"<{tag}{attrs(items)}>")

    def close(self, tag: str = "g") -> None:
        self.parts.append(f"</{tag}>")

    def document(self, width: float, height: float, title: str, desc: str, ident: str) -> str:
        """The whole file: XML declaration, ``<svg>`` with width, height and viewBox, ``<title>``, ``<desc>``, a white
        background, then the elements. ``ident`` prefixes the ids that ``aria-labelledby`` points to."""
        w, h = str(math.ceil(width)), str(math.ceil(height))
        head = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-labelledby="{esc(ident)}-title {esc(ident)}-desc" font-family="{FONT}">',
            f'<title id="{esc(ident)}-title">{esc(title)}</title>',
            f'<desc id="{esc(ident)}-desc">{esc(desc)}</desc>',
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
        ]
        return "\n".join(head + self.parts + ["</svg>"]) + "\n"
