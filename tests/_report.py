"""Helpers for the report tests: a review with a small realist layer (theories and evidence, with the fields of the
realist-layer specification), hostile free text, and an HTML reader that lists what became markup."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

STATUS = ("initial", "refined", "supported", "contested", "refuted", "abandoned")
KINDS = ("programme_theory", "demi_regularity", "proposition", "substantive_theory")
SOURCES = ("literature", "stakeholders", "review_evidence", "substantive_theory")
JUDGEMENTS = ("supports", "refutes", "refines", "illustrates")
LEVELS = ("high", "medium", "low")
MISSING = [{"value": "", "label": "not yet extracted"}, {"value": "NR", "label": "not reported"},
           {"value": "NA", "label": "not applicable"}]


def _text(name: str, **extra) -> dict:
    return {"name": name, "type": "string", **extra}


def _coded(name: str, codes: tuple[str, ...], required: bool = False) -> dict:
    return {"name": name, "type": "string", "constraints": {"enum": list(codes), **({"required": True} if required
                                                                                   else {})}}


THEORIES_SCHEMA = {
    "missingValues": MISSING,
    "fields": [_text("theory_id", constraints={"required": True, "unique": True}), _coded("kind", KINDS, True),
               _text("label"), _text("statement"), _coded("status", STATUS, True), _text("refines"),
               _coded("source", SOURCES), _text("locator"), _text("notes")],
    "primaryKey": ["theory_id"],
}
EVIDENCE_SCHEMA = {
    "missingValues": MISSING,
    "fields": [_text("theory_id", constraints={"required": True}), _text("study_id", constraints={"required": True}),
               {"name": "evidence_number", "type": "integer", "constraints": {"required": True, "minimum": 1}},
               {"name": "cmo_number", "type": "integer"}, _coded("judgement", JUDGEMENTS, True),
               _coded("relevance", LEVELS), _coded("rigour", LEVELS), _text("quote"), _text("locator"),
               _text("justification"), _text("notes")],
    "primaryKey": ["theory_id", "study_id", "evidence_number"],
    "foreignKeys": [{"fields": ["theory_id"], "reference": {"resource": "theories", "fields": ["theory_id"]}},
                    {"fields": ["study_id"], "reference": {"resource": "studies", "fields": ["study_id"]}}],
}
THEORY_COLUMNS = [f["name"] for f in THEORIES_SCHEMA["fields"]]
EVIDENCE_COLUMNS = [f["name"] for f in EVIDENCE_SCHEMA["fields"]]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def edit_cell(path: Path, key_field: str, key: str, field: str, value: str) -> None:
    """Set one cell of a CSV (the row whose ``key_field`` is ``key``)."""
    header, rows = read_csv(path)
    i, j = header.index(key_field), header.index(field)
    hit = [r for r in rows if r[i] == key]
    assert hit, (path, key)
    hit[0][j] = value
    write_csv(path, header, rows)


def add_realist_layer(root: Path, theories: list[list[str]], evidence: list[list[str]]) -> None:
    """Declare ``theories`` and ``evidence`` in a copy of the bundled review, with their codebook rows and data."""
    (root / "schema" / "theories.schema.json").write_text(json.dumps(THEORIES_SCHEMA, indent=1), encoding="utf-8")
    (root / "schema" / "evidence.schema.json").write_text(json.dumps(EVIDENCE_SCHEMA, indent=1), encoding="utf-8")
    write_csv(root / "extract" / "consensus" / "theories.csv", THEORY_COLUMNS, theories)
    write_csv(root / "extract" / "consensus" / "evidence.csv", EVIDENCE_COLUMNS, evidence)
    # a review that has its own realist layer gets this one instead (declarations and codebook rows replaced)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r.get("name") not in ("theories", "evidence")]
    for name in ("theories", "evidence"):
        descriptor["resources"].append({"name": name, "path": f"extract/consensus/{name}.csv", "format": "csv",
                                        "schema": f"schema/{name}.schema.json"})
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=1), encoding="utf-8")
    book = [("theories", "kind", KINDS), ("theories", "status", STATUS), ("theories", "source", SOURCES),
            ("evidence", "judgement", JUDGEMENTS), ("evidence", "relevance", LEVELS), ("evidence", "rigour", LEVELS)]
    header, codebook = read_csv(root / "schema" / "codebook.csv")
    codebook = [r for r in codebook if r[0] not in ("theories", "evidence")]
    codebook += [[table, field, code, code.replace("_", " ").capitalize(), f"{field} {code}"]
                 for table, field, codes in book for code in codes]
    write_csv(root / "schema" / "codebook.csv", header, codebook)


THEORIES = [
    ["T1", "programme_theory", "Mentors build trust", "In families with few ties [32,33], a mentor's regular visits "
     "build trust, which widens the family's support.", "initial", "NA", "literature", "Introduction", "NA"],
    ["T2", "proposition", "Trust takes time", "Trust grows only over months of contact [33].", "refined", "T1",
     "review_evidence", "Discussion", "NA"],
    ["T3", "demi_regularity", "Peer groups reduce isolation", "Peer groups reduce parents' isolation [40].",
     "contested", "T2", "review_evidence", "Results", "NA"],
]


def realist_evidence(study_ids: list[str]) -> list[list[str]]:
    a, b, c = study_ids[:3]
    return [
        ["T1", a, "1", "1", "supports", "high", "medium", "regular visits built trust", "Table 1, row 1",
         "The study reports trust after visits.", "NA"],
        ["T1", b, "1", "NA", "refutes", "medium", "NR", "no change in support", "Results", "Null finding.", "NA"],
        ["T2", b, "1", "NA", "refines", "low", "low", "after six months", "Discussion", "Timing matters.", "NA"],
        ["T3", c, "1", "NA", "supports", "high", "high", "parents felt less alone", "Table 2", "Direct report.", "NA"],
        ["T3", a, "1", "NA", "refutes", "medium", "medium", "isolation unchanged", "Results", "Null finding.", "NA"],
    ]


HOSTILE = ('<script>alert("x")</script> "><img src=x onerror=alert(1)> '
           '<a href="javascript:alert(2)">click</a> javascript:alert(3)')


class Markup(HTMLParser):
    """Every start tag of a page, with its attributes, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(html: str) -> Markup:
    m = Markup()
    m.feed(html)
    m.close()
    return m


_SHARED: dict[str, Path] = {}


def shared_realist_review(tmp_path_factory) -> Path:
    """The review of :func:`make_realist_review`, made once per test session (the tests only read it)."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _SHARED:
        _SHARED[key] = make_realist_review(tmp_path_factory.mktemp("realist") / "review")
    return _SHARED[key]


def make_hostile(root: Path) -> None:
    """Put HOSTILE into free-text cells of every kind of section, and into the descriptor's title and URL fields."""
    ids = [r[0] for r in read_csv(root / "extract/consensus/studies.csv")[1]]
    for table, key, value, field in (("cmo", "study_id", ids[0], "context"), ("studies", "study_id", ids[0], "notes"),
                                     ("prisma", "data", "new_studies", "details"),
                                     ("theories", "theory_id", "T2", "notes"),
                                     ("evidence", "theory_id", "T3", "justification")):
        path = root / f"extract/consensus/{table}.csv"
        if path.exists():
            edit_cell(path, key, value, field, HOSTILE)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["title"] = HOSTILE
    descriptor["homepage"] = "javascript:alert(4)"
    descriptor["sources"][0]["path"] = "https://example.org/x\"onmouseover=\"alert(5)"
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=1), encoding="utf-8")


def make_realist_review(root: Path) -> Path:
    """A copy of the bundled review with the realist layer, two reviewers compared (one coded value differs), three
    decisions in the audit log, hostile text in free-text cells (:func:`make_hostile`), and its report written
    (``report/index.html``)."""
    import copy

    from _dual import consensus, submit
    from click.testing import CliRunner
    from conftest import copy_review

    from cmokit.cli import main

    copy_review(root)
    ids = [r[0] for r in read_csv(root / "extract/consensus/studies.csv")[1]]
    add_realist_layer(root, THEORIES, realist_evidence(ids))
    base = consensus(root)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    cmo = b["cmo"][1][0]
    cmo["ss_effect"] = "no_change" if cmo["ss_effect"] == "improved" else "improved"
    submit(root, "alice", a)
    submit(root, "bob", b)
    res = CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(root)])
    assert res.exit_code == 0 and ".cmokit/compare/alice--bob.json" in res.stderr, res.output
    header, _ = read_csv(root / "extract/consensus/decisions.csv")
    sha = "0" * 64
    decided = [("carol", "a", "Table 1 says so"), ("carol", "a", "Table 1 says so"), ("dan", "other", "Results, p. 5")]
    write_csv(root / "extract/consensus/decisions.csv", header,
              [[str(i), f"2026-01-0{i}T10:00:00Z", who, "cmo", f"{ids[0]} / cmo_number a=1 b=1", "ss_effect", "x",
                "y", dec, "x", why, "alice", "bob", sha, sha] for i, (who, dec, why) in enumerate(decided, 1)])
    make_hostile(root)
    res = CliRunner().invoke(main, ["report", "-C", str(root)])
    assert res.exit_code == 0, res.output
    return root
