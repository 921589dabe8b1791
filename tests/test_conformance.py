"""cmokit against the Table Schema v2 conformance corpus (tests/_conformance.py): every spec-defined verdict right.

Each case is a generated package; a row is valid when cmokit reports no error on its CSV line. Where the spec does
not settle a value, the case records cmokit's choice (and docs/conformance.md says why), and the test holds cmokit
to it. The scalar reference (cmokit.package.values) and the vectorised engine (cmokit.validation.values) must agree
on the validity and the key of every value of the corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from _conformance import AMBIGUOUS_PACKAGES, all_cases, write_package

from cmokit.package import values as scalar
from cmokit.package.model import Review
from cmokit.validation import validate_review
from cmokit.validation.values import Need, col, prepare

CASES = all_cases()
VERDICT = {"valid": 0, "invalid": 1, "refused": 2}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, tmp_path: Path) -> None:
    folder = write_package(case, tmp_path / "package")
    report = validate_review(folder)
    shown = json.dumps([p.to_dict() for p in report.problems], indent=1, ensure_ascii=False)[:3000]
    if case.kind == "package":
        assert report.exit_code == VERDICT[case.verdict], shown
        if case.verdict == "refused":
            assert {p.rule for p in report.problems} <= {"schema.unsupported", "schema.invalid"}, shown
            assert all(p.field and p.value for p in report.problems), shown  # names the field and the property
        assert case.ambiguous_verdict == (case.id in AMBIGUOUS_PACKAGES)
        return
    assert not report.fatal, shown
    assert not [p for p in report.errors if p.line is None or p.line < 2], shown  # no file or header problem
    bad = {p.line for p in report.errors}
    expected = [(text, ok) for text, ok, _ in case.expected()]
    got = [(text, (i + 2) not in bad) for i, (text, _) in enumerate(expected)]
    assert got == expected, shown
    assert report.exit_code == (0 if all(ok for _, ok in expected) else 1)


def test_every_case_cites_the_spec_and_ambiguities_say_why() -> None:
    for c in CASES:
        assert c.section.startswith(("Table Schema", "Table Dialect", "Data Resource")) and len(c.quote) > 10, c.id
        if c.ambiguous or any(v == "?" for _, v in c.rows):
            assert c.why, f"{c.id}: an ambiguous value needs the reason for cmokit's choice"


def test_the_corpus_covers_every_type_format_constraint_and_dialect_property() -> None:
    from cmokit.package.dialect import CSV_PROPERTIES
    from cmokit.package.spec import CONSTRAINTS, FIELDS_MATCH, FORMATS, TYPES

    text = json.dumps([[c.fields, c.schema, c.resource, c.others] for c in CASES])
    for t in TYPES:
        assert f'"type": "{t}"' in text or t == "any", t
    for t, formats in FORMATS.items():
        for fmt in formats:
            assert fmt == "default" or f'"format": "{fmt}"' in text, (t, fmt)
    for c in CONSTRAINTS:
        assert f'"{c}"' in text, c
    for p in ("missingValues", "primaryKey", "uniqueKeys", "foreignKeys", "fieldsMatch", "categories",
              "decimalChar", "groupChar", "bareNumber", "trueValues", "itemType", "delimiter", "encoding"):
        assert f'"{p}"' in text, p
    for m in FIELDS_MATCH:
        assert f'"fieldsMatch": "{m}"' in text or m == "exact", m
    for p in CSV_PROPERTIES:
        assert f'"{p}"' in text or p in ("$schema", "lineTerminator"), p
    spec_defined = sum(1 for c in CASES if c.kind != "package" for _, _, d in c.expected() if d)
    assert len(CASES) >= 120 and spec_defined >= 400, (len(CASES), spec_defined)


def test_scalar_reference_and_vectorised_engine_agree(tmp_path: Path) -> None:
    """Validity and canonical key of every value of every one-field case, by both implementations."""
    checked = 0
    for case in CASES:
        if case.kind != "cells":
            continue
        folder = write_package(case, tmp_path / case.id.replace("/", "_"))
        res = Review.open(folder).resource("t")
        f = res.field("v")
        values = [v for v, _, _ in case.expected()]
        frame = pl.DataFrame({"v": values}, schema={"v": pl.String})  # the value column alone
        out = prepare(frame, res, ["v"], {"v": Need(key=True)})
        missing = res.missing_for(f)
        for v, ok, key in zip(values, out.get_column(col("ok", "v")).to_list(),
                              out.get_column(col("key", "v")).to_list(), strict=True):
            if v in missing:
                assert ok is None, (case.id, v)
                continue
            try:
                logical = scalar.parse(f, v)
            except scalar.Invalid:
                assert ok is False, (case.id, v, "the engine accepts what the reference refuses")
                continue
            assert ok is True, (case.id, v, "the engine refuses what the reference accepts")
            assert key == scalar.key(f, logical), (case.id, v)
            checked += 1
    assert checked > 200
