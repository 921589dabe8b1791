"""The engine (``src/cmokit``) names no field or code of the bundled review: it finds them by role, annotation and
configuration. The template review inside the package (``src/cmokit/package/template/``) is data, a review folder
like any other, and is not searched.

What may be named: the template's contract (the key fields of every table; every field and code of the realist layer
``theories``/``evidence``, of the MMAT 2018 ``appraisal``, of ``prisma``, ``decisions`` and the codebook), the
template's table names, the Table Schema and Data Package vocabulary (types, properties: ``title``, ``year``,
``sources``...) and cmokit's own vocabulary (the realist roles, the ``cmokit:study`` parts, the rules API's
``not_reported``/``not_applicable``). Every other field or code of the bundled review is searched for:

- a name with ``_`` or a digit (``ss_effect``, ``age_band``, ``no_change``) as a whole word anywhere: code, strings,
  docstrings, comments, the report's templates;
- a one-word field name (``country``) as a Python string constant, or as a column in SQL (``s.country``, ``"country"``);
- a one-word code (``included``, ``children``) as a Python string constant or a quoted SQL literal (``'included'``),
  except ``none`` and ``middle``, keywords of SVG and of the report's Content-Security-Policy (``stroke="none"``,
  ``text-anchor="middle"``, ``default-src 'none'``).
"""

from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path

from cmokit.package.model import ROLES
from cmokit.package.spec import COMMON_FIELD, SCHEMA_PROPERTIES, STUDY_PARTS, TYPES

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cmokit"
TEMPLATE = SRC / "package" / "template"
CONTRACT_TABLES = ("theories", "evidence", "appraisal", "prisma", "decisions", "codebook")
PACKAGE_WORDS = ("name", "path", "sources", "licenses", "contributors", "version", "created", "homepage",
                 "keywords", "profile", "resources")
API_WORDS = ("not_reported", "not_applicable")  # cmokit.rules.Context attributes (the codes NR and NA)
WEB_WORDS = ("none", "middle")


def schemas(folder: Path) -> dict[str, dict]:
    return {p.name.split(".")[0]: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((folder / "schema").glob("*.schema.json"))}


def codebook(folder: Path) -> list[dict[str, str]]:
    with open(folder / "schema" / "codebook.csv", encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["table"] != "*"]


def contract() -> set[str]:
    """The names the engine may use: see the module docstring."""
    out: set[str] = set()
    for table, s in schemas(TEMPLATE).items():
        out.add(table)
        out |= set(s.get("primaryKey") or []) | {k for fk in s.get("foreignKeys") or [] for k in fk["fields"]}
        if table in CONTRACT_TABLES:
            out |= {f["name"] for f in s["fields"]}
    out |= {r["code"] for r in codebook(TEMPLATE) if r["table"] in CONTRACT_TABLES}
    return out | set(TYPES) | set(COMMON_FIELD) | set(SCHEMA_PROPERTIES) | set(PACKAGE_WORDS) | set(ROLES) | set(
        STUDY_PARTS) | set(API_WORDS)


def forbidden(folder: Path = ROOT) -> tuple[set[str], set[str], set[str]]:
    """(names with '_' or a digit, one-word field names, one-word codes) of the review at ``folder`` that the
    engine must not name."""
    allowed = contract()
    fields = {f["name"] for s in schemas(folder).values() for f in s["fields"]} - allowed
    codes = {r["code"] for r in codebook(folder)} - allowed - fields
    marked = {n for n in fields | codes if re.search(r"[_0-9]", n)}
    return marked, fields - marked, codes - marked


def engine_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*") if p.is_file() and TEMPLATE not in p.parents
                  and p.suffix in (".py", ".j2", ".js", ".css"))


def constants(path: Path, text: str) -> list[tuple[int, str]]:
    """(line, value) of every string constant of a Python file; every line of a template file."""
    if path.suffix != ".py":
        return list(enumerate(text.splitlines(), 1))
    return [(n.lineno, n.value) for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def hits(files: list[Path], marked: set[str], words: set[str], codes: set[str], base: Path = SRC) -> list[str]:
    """Every place in ``files`` that names a forbidden name (``path:line: what``)."""
    out = []
    marked_re = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(marked, key=len, reverse=True)))
                           + r")(?![\w-])") if marked else None
    for path in files:
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(base).as_posix()
        if marked_re:
            for m in marked_re.finditer(text):
                out.append(f"{shown}:{text[:m.start()].count(chr(10)) + 1}: {m.group(1)}")
        for line, value in constants(path, text):
            for w in words:
                if value == w or re.search(rf"(?<![\w.])\w+\.{re.escape(w)}\b|\"{re.escape(w)}\"", value):
                    out.append(f"{shown}:{line}: field {w}")
            for c in codes:
                if c not in WEB_WORDS and (value == c or f"'{c}'" in value):
                    out.append(f"{shown}:{line}: code {c}")
    return out


def test_the_engine_names_no_field_or_code_of_the_bundled_review():
    marked, words, codes = forbidden()
    assert {"ss_effect", "age_band", "paper_table_row", "inclusion_status", "study_label", "ref_number"} <= marked
    assert {"country", "mechanisms"} <= words and {"included", "children", "improved"} <= codes
    found = hits(engine_files(), marked, words, codes)
    assert not found, "\n".join(found)


def test_the_search_finds_what_it_looks_for(tmp_path):
    """The check can fail: a file naming the bundled review's fields the old way is caught on each rule."""
    bad = tmp_path / "bad.py"
    bad.write_text('"""Rows follow paper_table_row."""\n'
                   'SQL = "SELECT s.country FROM studies s WHERE s.inclusion_status = \'included\'"\n'
                   'BAND = "children"\nSTROKE = "none"\n', encoding="utf-8")  # "none": an SVG keyword
    found = [h.split(": ", 1)[1] for h in hits([bad], *forbidden(), base=tmp_path)]
    assert sorted(found) == sorted(["paper_table_row", "inclusion_status", "field country", "code included",
                                    "code children"])
