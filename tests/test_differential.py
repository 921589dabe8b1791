"""validate and build agree: any CSV `cmokit validate` accepts, `cmokit build` loads, with the same cells.

A differential test with hypothesis over generated and mutated CSV files: CR/LF mixes, carriage returns inside
cells, quotes (and quotes left open), NUL bytes, BOMs, cells longer than DuckDB's 2 MB line limit, Windows-1252
and UTF-16 encodings. The default run tries a few examples; CMOKIT_HYPOTHESIS_EXAMPLES=N runs N (see
docs/testing.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cmokit.core.errors import CmokitError
from cmokit.package.model import Review
from cmokit.package.reader import read_table
from cmokit.synthesis.build import build
from cmokit.validation.validate import validate_review

EXAMPLES = int(os.environ.get("CMOKIT_HYPOTHESIS_EXAMPLES", "12"))
HEADER = ["id", "text", "code", "day", "flag"]
SCHEMA = {"fields": [
    {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
    {"name": "text", "type": "string"},
    {"name": "code", "type": "string", "constraints": {"enum": ["alpha", "beta"]}},
    {"name": "day", "type": "date"},
    {"name": "flag", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]}],
    "missingValues": ["", "NR", "NA"], "primaryKey": ["id"]}

# mostly valid values (so that most files are accepted and the property bites), some that are not
# (an empty cell is "not yet extracted", an error in the consensus: cells are filled, NR or NA)
PIECES = list("abcdef ,;'\"é\r\n\t€") + ["word", "\u00a0", "x" * 50, "\r\n", "  "]
text = st.lists(st.sampled_from(PIECES), max_size=8).map(lambda parts: "t" + "".join(parts))
cells = st.fixed_dictionaries({"text": text, "code": st.sampled_from(["alpha", "beta", "NR"] * 4 + ["Beta", ""]),
                               "day": st.sampled_from(["2018-06-08", "NA"] * 4 + ["08/06/2018"]),
                               "flag": st.sampled_from(["yes", "no", "NR"])})
rows = st.lists(st.tuples(cells, st.sampled_from(["\n", "\r\n"] * 3 + ["\r"]),
                          st.sampled_from(["auto", "always"] * 3 + ["never"])), min_size=1, max_size=6)
mutation = st.sampled_from(["none", "bom", "cp1252", "utf16", "huge", "no_final_newline", "blank_lines",
                            "open_quote", "nul"])


def _cell(v: str, how: str) -> str:
    if how == "always" or (how == "auto" and any(c in v for c in ',"\r\n')):
        return '"' + v.replace('"', '""') + '"'
    return v


def render(rs: list, how_file: str) -> bytes:
    """The CSV bytes: header, then each row with its own line end and quoting, then a whole-file mutation."""
    lines = [",".join(HEADER) + "\n"]
    for i, (c, eol, how) in enumerate(rs, start=1):
        values = [str(i), c["text"], c["code"], c["day"], c["flag"]]
        lines.append(",".join(_cell(v, how) for v in values) + eol)
    body = "".join(lines)
    if how_file == "huge":  # the first row's text becomes a 3 MB cell (DuckDB reads lines of 2 MB at most)
        first = f"1,{_cell(rs[0][0]['text'], rs[0][2])},"
        body = body.replace(first, f"1,\"{'y' * (3 << 20)}\",", 1)
    if how_file == "no_final_newline":
        body = body.rstrip("\r\n")
    if how_file == "blank_lines":
        body = body + "\n\n"
    if how_file == "nul":
        body = body.replace("t", "t\x00", 1)
    if how_file == "open_quote":
        body = body + '9,"never closed,alpha,,\n'
    if how_file == "cp1252":
        try:
            return body.encode("cp1252")
        except UnicodeEncodeError:
            return body.encode("utf-8")
    if how_file == "utf16":
        return body.encode("utf-16")
    return (b"\xef\xbb\xbf" if how_file == "bom" else b"") + body.encode("utf-8")


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    """A one-table review (no validators/), so that every example validates and builds in well under a second."""
    root = tmp_path_factory.mktemp("diff") / "review"
    (root / "data").mkdir(parents=True)
    (root / "datapackage.json").write_text(json.dumps({"name": "differential", "resources": [
        {"name": "notes", "path": "data/notes.csv", "schema": SCHEMA}]}), encoding="utf-8")
    return root


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 50, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rs=rows, how=mutation)
def test_what_validate_accepts_build_loads_with_the_same_cells(review, rs, how):
    data = render(rs, how)
    csv_path = review / "data" / "notes.csv"
    csv_path.write_bytes(data)
    report = validate_review(review)
    db = review / "out.duckdb"
    event(f"{how}: {'valid' if report.valid else 'refused'}")
    if not report.valid:
        with pytest.raises(CmokitError):  # refused, cleanly (exit 1 or 2), never an internal error
            build(review, db)
        return
    build(review, db)
    rv = Review.open(review)
    table = read_table(rv.resource("notes"), csv_path, "data/notes.csv")
    want = table.frame.select("id", "text").rows()
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute("SELECT CAST(n.id AS VARCHAR), coalesce(n.text, m.text) FROM notes n "
                          "POSITIONAL JOIN missing.notes m").fetchall()
    finally:
        con.close()
    assert got == [(i, t) for i, t in want], how
