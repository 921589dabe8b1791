"""Docs that stay true: every relative link resolves (files and #anchors), the README stays a front door."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "benchmarks" / "README.md",
               ROOT / "extract" / "reviewers" / "README.md"])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (but - and _), spaces to '-'."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*$", text, re.M)}


def links(path: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path):
    bad = []
    for target in links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file, _, anchor = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists():
            bad.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{target}: no heading '#{anchor}' in {dest.relative_to(ROOT)}")
    assert not bad, "\n".join(bad)


def test_the_checker_sees_broken_links(tmp_path: Path):
    (tmp_path / "a.md").write_text("# Title\n\n[x](b.md) [y](#title) [z](#nope)\n", encoding="utf-8")
    assert links(tmp_path / "a.md") == ["b.md", "#title", "#nope"]
    assert anchors(tmp_path / "a.md") == {"title"}
    assert slug("Pictures: `cmokit plot`") == "pictures-cmokit-plot"


def test_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    for guide in ("docs/validation.md", "docs/dual-extraction.md", "docs/synthesis.md", "docs/performance.md",
                  "docs/data-notes.md", "docs/cli.md", "docs/data-dictionary.md"):
        assert f"]({guide}" in text, guide


def test_no_word_about_who_wrote_what():
    pattern = re.compile(r"<!--\s*owners?:|\bhelper \(issue|\bin session\b", re.I)
    hits = [str(p.relative_to(ROOT)) for p in [*DOCS, *(ROOT / "src").rglob("*.py"), *(ROOT / "tests").glob("*.py")]
            if p != Path(__file__) and pattern.search(p.read_text(encoding="utf-8"))]
    assert not hits, hits
