"""The bundled review extends the template review shipped in the package (``cmokit init`` writes it): every table,
field, code, key, annotation and rule of the template exists in the bundled review, which may add more (age bands,
social-support fields, its own rules). So the two cannot drift apart.

A template field may be *specialised* instead: the bundled review's ``cmo`` splits the template's ``outcomes`` into
``ss_outcomes`` and ``child_outcomes``, each declaring ``"cmokit:specialises": "outcomes"`` (same type and role).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from pathlib import Path

from conftest import copy_review

from cmokit.package.create import template_files
from cmokit.rules import Context

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "src" / "cmokit" / "package" / "template"
ANNOTATIONS = ("cmokit:role", "cmokit:study", "cmokit:codes")


def _schemas(folder: Path) -> dict[str, dict]:
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: (r, json.loads((folder / r["schema"]).read_text(encoding="utf-8"))) for r in d["resources"]}


def _codes(f: dict) -> list[str]:
    c = f.get("constraints") or {}
    if "enum" in c:
        return [str(v) for v in c["enum"]]
    if f.get("cmokit:codes") == "multiple":
        return c["pattern"].split("(", 1)[1].split(")", 1)[0].split("|")
    return []


def _missing(schema: dict) -> list[str]:
    return [m.get("value") if isinstance(m, dict) else m for m in schema.get("missingValues", [""])]


def _rule_ids(folder: Path, params: dict) -> set[str]:
    ids = set()
    for path in sorted((folder / "validators").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_drift_{folder.name}_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for v in module.validators(Context(params=params, inclusion="inclusion_status")):
            ids |= {r.name for r in v.rules}
    return ids


def drift(template: Path, review: Path) -> list[str]:
    """Everything of ``template`` that ``review`` lacks (empty: the review extends the template)."""
    out = []
    mine, theirs = _schemas(template), _schemas(review)
    for table, (res, schema) in mine.items():
        if table not in theirs:
            out.append(f"table {table} is missing")
            continue
        their_res, their = theirs[table]
        if res.get("cmokit:role") != their_res.get("cmokit:role"):
            out.append(f"{table}: resource role {res.get('cmokit:role')} != {their_res.get('cmokit:role')}")
        for key in ("primaryKey", "cmokit:match"):
            if schema.get(key) != their.get(key):
                out.append(f"{table}: {key} differs")
        for fk in schema.get("foreignKeys") or []:
            if fk not in (their.get("foreignKeys") or []):
                out.append(f"{table}: foreign key {fk['fields']} is missing")
        if _missing(schema) != _missing(their):
            out.append(f"{table}: missing values differ")
        fields = {f["name"]: f for f in their["fields"]}
        for f in schema["fields"]:
            same = [fields[f["name"]]] if f["name"] in fields else [
                g for g in their["fields"] if g.get("cmokit:specialises") == f["name"]]
            if not same:
                out.append(f"{table}.{f['name']} is missing")
            for g in same:
                for prop in ("type", *ANNOTATIONS):
                    if f.get(prop) != g.get(prop):
                        out.append(f"{table}.{f['name']}: {prop} {f.get(prop)!r} != {g.get(prop)!r} in {g['name']}")
                lost = [c for c in _codes(f) if c not in _codes(g)]
                if lost:
                    out.append(f"{table}.{f['name']}: codes {lost} are missing")
    with open(template / "schema/codebook.csv", encoding="utf-8", newline="") as fh:
        book = {(r["table"], r["field"], r["code"]) for r in csv.DictReader(fh)}
    with open(review / "schema/codebook.csv", encoding="utf-8", newline="") as fh:
        theirs_book = {(r["table"], r["field"], r["code"]) for r in csv.DictReader(fh)}
    out += [f"codebook row {row} is missing" for row in sorted(book - theirs_book)]
    for path in sorted((template / "validators").glob("*.py")):
        other = review / "validators" / path.name
        if not other.is_file() or other.read_bytes() != path.read_bytes():
            out.append(f"validators/{path.name} is missing or differs")
    params = [json.loads((f / "datapackage.json").read_text(encoding="utf-8"))["cmokit"] for f in (template, review)]
    out += [f"cmokit.{k} is missing" for k in params[0] if k not in params[1]]
    out += [f"rule {r} is missing" for r in sorted(_rule_ids(template, params[0]) - _rule_ids(review, params[1]))]
    return out


def test_the_bundled_review_extends_the_template():
    assert drift(TEMPLATE, ROOT) == []


def test_the_rules_of_the_template_are_in_the_bundled_review_with_its_configuration():
    """Configured, the bundled review runs every rule the template ships (and its own)."""
    bundled = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["cmokit"]
    template_rules = _rule_ids(TEMPLATE, bundled)
    assert {"mmat.category", "theory.lineage", "cross.cmo", "cross.appraisal", "inclusion.window", "age_band.rule",
            "exclusion.criteria", "prisma.studies"} <= template_rules
    assert template_rules < _rule_ids(ROOT, bundled)  # plus its own: cross.effect_text, inclusion.mh_outcome


def test_drift_is_found(tmp_path):
    review = copy_review(tmp_path / "review")
    schema = review / "schema/measures.schema.json"
    s = json.loads(schema.read_text(encoding="utf-8"))
    s["fields"] = [f for f in s["fields"] if f["name"] != "instrument"]
    schema.write_text(json.dumps(s), encoding="utf-8")
    cmo = review / "schema/cmo.schema.json"
    s = json.loads(cmo.read_text(encoding="utf-8"))
    for f in s["fields"]:
        if f["name"] == "child_outcomes":
            f["cmokit:role"] = "other"
        if f["name"] == "stance":
            f["constraints"]["enum"].remove("both")
    cmo.write_text(json.dumps(s), encoding="utf-8")
    (review / "validators/mmat.py").write_text("def validators(ctx):\n    return []\n", encoding="utf-8")
    shutil.rmtree(review / "extract")
    found = drift(TEMPLATE, review)
    assert "measures.instrument is missing" in found
    assert "cmo.outcomes: cmokit:role 'outcome' != 'other' in child_outcomes" in found
    assert "cmo.stance: codes ['both'] are missing" in found
    assert "validators/mmat.py is missing or differs" in found
    assert "rule mmat.category is missing" in found and "rule mmat.screening is missing" in found


def test_the_package_data_is_the_template_folder():
    """What `cmokit init` writes is the template folder (hidden files renamed), read through importlib.resources."""
    files = template_files()
    on_disk = {p.relative_to(TEMPLATE).as_posix() for p in TEMPLATE.rglob("*") if p.is_file()
               and "__pycache__" not in p.parts}
    renamed = {"gitignore": ".gitignore", "github/workflows/validate.yml": ".github/workflows/validate.yml"}
    assert set(files) == {renamed.get(p, p) for p in on_disk}
    assert files["schema/cmo.schema.json"] == (TEMPLATE / "schema/cmo.schema.json").read_bytes()
