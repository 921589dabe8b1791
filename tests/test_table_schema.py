"""Table Schema v2 through the commands: refused out loud, the declared dialect, values in compare and DuckDB.

- an unsupported type/format/constraint/property is ``schema.unsupported`` (exit 2), one problem each, naming the
  field and the property, from every command that opens the review;
- a semicolon-separated Windows-1252 file from European Excel gets both diagnoses, delimiter and encoding, in one
  run of ``validate``, ``compare`` and ``reconcile``;
- ``compare``: an integer ``01`` and ``1`` agree, booleans by value;
- ``build``: every Table Schema type has a DuckDB type, and the typed value is the logical value.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from _dual import consensus, submit
from click.testing import CliRunner

from cmokit.cli import main
from cmokit.extraction.compare import SubmissionInvalid, compare
from cmokit.package.model import Review
from cmokit.synthesis.build import build
from cmokit.validation import validate_review


def package(root: Path, fields: list[dict], text: str, **resource) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [
        {"name": "t", "path": "t.csv", "schema": {"fields": fields}, **resource}]}), encoding="utf-8")
    (root / "t.csv").write_text(text, encoding="utf-8")
    return root


def test_every_unsupported_property_is_refused_naming_field_and_property(tmp_path: Path) -> None:
    root = package(tmp_path / "p", [
        {"name": "a", "type": "integr"}, {"name": "b", "type": "string", "format": "phone"},
        {"name": "c", "type": "integer", "constraints": {"multipleOf": 2}},
        {"name": "d", "type": "string", "constraints": {"minimum": 1}},
        {"name": "e", "type": "number", "contraints": {"maximum": 1}}], "a,b,c,d,e\n1,2,3,4,5\n",
        dialect={"delimiter": ";;"})
    res = CliRunner().invoke(main, ["validate", "-C", str(root), "-f", "json"])
    assert res.exit_code == 2, res.output
    found = {(p["field"], p["value"], p["rule"]) for p in json.loads(res.stdout)["errors"]}
    assert found == {("a", "type", "schema.unsupported"), ("b", "format", "schema.unsupported"),
                     ("c", "multipleOf", "schema.unsupported"), ("d", "minimum", "schema.unsupported"),
                     ("e", "contraints", "schema.unsupported"), (None, "delimiter", "schema.unsupported")}
    messages = " ".join(p["message"] for p in json.loads(res.stdout)["errors"])
    assert "did you mean 'integer'" in messages and "did you mean 'constraints'" in messages
    text = CliRunner().invoke(main, ["validate", "-C", str(root)])
    assert text.exit_code == 2 and "Traceback" not in text.output and "multipleOf" in text.output
    built = CliRunner().invoke(main, ["build", "-C", str(root), "--db", str(tmp_path / "x.duckdb")])
    assert built.exit_code == 2 and "type 'integr' is not a Table Schema type" in built.stderr, built.output
    assert not (tmp_path / "x.duckdb").exists()


def test_a_value_the_spec_forbids_in_a_schema_is_schema_invalid(tmp_path: Path) -> None:
    root = package(tmp_path / "p", [{"name": "a", "type": "integer", "constraints": {"enum": ["one"]}},
                                    {"name": "b", "type": "string", "constraints": {"minLength": -1}},
                                    {"name": "c", "type": "date", "constraints": {"minimum": "01/01/2024"}}],
                   "a,b,c\n1,x,2024-01-01\n")
    report = validate_review(root)
    assert report.exit_code == 2
    assert {(p.field, p.value, p.rule) for p in report.problems} == {
        ("b", "minLength", "schema.invalid")}  # reported first; the value checks follow once it is fixed
    (root / "datapackage.json").write_text((root / "datapackage.json").read_text().replace('"minLength": -1',
                                                                                           '"minLength": 0'))
    report = validate_review(root)
    assert {(p.field, p.value, p.rule) for p in report.problems} == {
        ("a", "enum", "schema.invalid"), ("c", "minimum", "schema.invalid")}


def _european(review: Path, reviewer: str) -> Path:
    """The reviewer's studies.csv as European Excel saves it: semicolons, Windows-1252."""
    header, rows = consensus(review)["studies"]
    rows[0]["notes"] = "Dépistage précoce"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, delimiter=";", lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path = review / "extract" / "reviewers" / reviewer / "studies.csv"
    path.write_bytes(buf.getvalue().encode("cp1252", errors="replace"))
    return path


def test_a_european_excel_file_gets_both_diagnoses_from_every_command(review_copy: Path, folder_state) -> None:
    tables = consensus(review_copy)
    submit(review_copy, "ann", tables)
    submit(review_copy, "bob", tables)
    _european(review_copy, "ann")
    runner = CliRunner()
    res = runner.invoke(main, ["validate", "-C", str(review_copy), "--reviewer", "ann", "-f", "json"])
    rules = {p["rule"] for p in json.loads(res.stdout)["errors"] if p["path"].endswith("ann/studies.csv")}
    assert {"file.delimiter", "file.encoding"} <= rules, rules
    with pytest.raises(SubmissionInvalid) as info:
        compare(Review.open(review_copy), ["ann", "bob"])
    assert {"file.delimiter", "file.encoding"} <= {p.rule for p in info.value.problems}
    res = runner.invoke(main, ["compare", "ann", "bob", "-C", str(review_copy)])
    assert res.exit_code == 1 and "file.delimiter" in res.stderr and "file.encoding" in res.stderr
    conflicts = review_copy / "conflicts.csv"
    conflicts.write_text("# cmokit-conflicts a=ann:sha256:" + "0" * 64 + " b=bob:sha256:" + "0" * 64 + "\n"
                         "table,key,field,value_a,value_b,decision,value,decided_by,reason\n", encoding="utf-8")
    before = folder_state(review_copy)
    res = runner.invoke(main, ["reconcile", "ann", "bob", "--decisions", str(conflicts), "-C", str(review_copy)])
    assert res.exit_code == 1 and "file.delimiter" in res.stderr and "file.encoding" in res.stderr
    assert folder_state(review_copy) == before


def test_compare_agrees_on_logical_values(review_copy: Path) -> None:
    tables = consensus(review_copy)
    submit(review_copy, "ann", tables)
    header, rows = tables["studies"]
    changed = [dict(r) for r in rows]
    changed[0]["ref_number"] = "0" + changed[0]["ref_number"]  # 049 is 49
    changed[1]["ss_in_aims"] = {"yes": "Yes", "no": "No"}.get(changed[1]["ss_in_aims"], changed[1]["ss_in_aims"])
    changed[2]["year"] = "+" + changed[2]["year"]
    changed[3]["ref_number"] = str(int(changed[3]["ref_number"]) + 1000)  # a real difference
    submit(review_copy, "bob", {**tables, "studies": (header, changed)})
    result = compare(Review.open(review_copy), ["ann", "bob"])
    studies = [(c.key, c.field) for c in result.conflicts if c.table == "studies"]
    assert studies == [(rows[3]["study_id"], "ref_number")], studies


ALL_TYPES = [
    ("s", {"type": "string"}, "apple", "VARCHAR", "apple"),
    ("u", {"type": "string", "format": "uuid"}, "1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "UUID",
     "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ("bin", {"type": "string", "format": "binary"}, "aGVsbG8=", "BLOB", b"hello"),
    ("i", {"type": "integer", "groupChar": ","}, '"3,000,000,000"', "BIGINT", 3000000000),
    ("n", {"type": "number", "decimalChar": ",", "bareNumber": False}, '"12,5 %"', "DOUBLE", 12.5),
    ("b", {"type": "boolean", "trueValues": ["ja"], "falseValues": ["nein"]}, "ja", "BOOLEAN", True),
    ("o", {"type": "object"}, '"{""a"": 1}"', "JSON", '{"a": 1}'),
    ("a", {"type": "array"}, '"[1, 2]"', "JSON", "[1, 2]"),
    ("l", {"type": "list", "itemType": "integer", "delimiter": ";"}, "1;2;3", "BIGINT[]", [1, 2, 3]),
    ("dt", {"type": "datetime"}, "2024-01-26T15:00:00+02:00", "TIMESTAMP", "2024-01-26 13:00:00"),
    ("d", {"type": "date", "format": "%d/%m/%Y"}, "26/01/2024", "DATE", "2024-01-26"),
    ("da", {"type": "date", "format": "any"}, "Jan 26 2024", "VARCHAR", "Jan 26 2024"),
    ("t", {"type": "time"}, "15:00:00", "TIME", "15:00:00"),
    ("y", {"type": "year"}, "2024", "INTEGER", 2024),
    ("ym", {"type": "yearmonth"}, "2024-02", "DATE", "2024-02-01"),
    ("du", {"type": "duration"}, "P1Y2M3DT4H5M6.5S", "INTERVAL", "1 year 2 months 3 days 04:05:06.5"),
    ("g", {"type": "geopoint"}, '"90.5, 45.5"', "STRUCT(lon DOUBLE, lat DOUBLE)", {"lon": 90.5, "lat": 45.5}),
    ("gj", {"type": "geojson"}, '"{""type"": ""Point"", ""coordinates"": [1, 2]}"', "JSON",
     '{"type": "Point", "coordinates": [1, 2]}'),
    ("x", {"type": "any"}, "whatever", "VARCHAR", "whatever"),
]


def test_every_type_has_a_duckdb_type_holding_its_logical_value(tmp_path: Path) -> None:
    fields = [{"name": n, **fd} for n, fd, *_ in ALL_TYPES]
    text = ",".join(n for n, *_ in ALL_TYPES) + "\n" + ",".join(cell for _, _, cell, *_ in ALL_TYPES) + "\n"
    root = package(tmp_path / "p", fields, text)
    assert validate_review(root).valid, [p.message for p in validate_review(root).problems]
    db = tmp_path / "p.duckdb"
    build(root, db)
    con = duckdb.connect(str(db), read_only=True)
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't' "
                             "AND schema_name = 'main'").fetchall())
    casts = ", ".join(f'CAST("{n}" AS VARCHAR)' if isinstance(v, str) and typ not in ("VARCHAR", "JSON") else f'"{n}"'
                      for n, _, _, typ, v in ALL_TYPES)
    row = con.execute(f"SELECT {casts} FROM t").fetchone()
    for (name, _, _, typ, value), got in zip(ALL_TYPES, row, strict=True):
        assert types[name] == typ, name
        assert got == value, (name, got)


def test_deeply_nested_json_is_an_invalid_value_not_a_crash(tmp_path: Path) -> None:
    deep_object = '"' + '{""a"":' * 3000 + "1" + "}" * 3000 + '"'
    deep_shape = '"' + '{""type"":""GeometryCollection"",""geometries"":[' * 400 + "]}" * 400 + '"'
    root = package(tmp_path / "p", [{"name": "o", "type": "object"}, {"name": "g", "type": "geojson"}],
                   f"o,g\n{deep_object},{deep_shape}\n")
    report = validate_review(root)
    assert sorted((p.rule, p.line) for p in report.problems) == [("type.geojson", 2), ("type.object", 2)]
