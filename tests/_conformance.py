"""The Table Schema v2 conformance corpus: small packages generated from cases written from the spec's text.

Each case cites the section of the spec (datapackage.org/standard/table-schema, /table-dialect) and quotes the
sentence its expectations come from. A case is one package: one resource ``t`` read from ``t.csv``.

- ``cells``: one field; every value is a row; ``valid`` / ``invalid`` are the spec's verdicts per row;
  ``ambiguous`` maps a value the spec does not settle to cmokit's verdict (True = valid), with ``why``.
- ``rows``: several fields; each row is (cells, verdict), verdict True/False or ``"?"`` + cmokit's verdict in
  ``ambiguous_rows``.
- ``package``: raw bytes and a verdict for the whole package: ``valid``, ``invalid`` or ``refused`` (the
  descriptor cannot be honoured: cmokit exits 2 with ``schema.unsupported`` or ``schema.invalid``).

The default test run checks cmokit against every case (``tests/test_conformance.py``); the on-demand comparison
with frictionless (``benchmarks/conformance.py``) runs the same packages through frictionless and classifies
every disagreement.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TS = "Table Schema"
TD = "Table Dialect"


@dataclass
class Case:
    id: str
    section: str
    quote: str
    fields: list[dict]
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    ambiguous: dict[str, bool] = field(default_factory=dict)
    why: str = ""
    schema: dict = field(default_factory=dict)  # more schema properties (missingValues, keys...)
    resource: dict = field(default_factory=dict)  # more resource properties (dialect, encoding)
    rows: list[tuple[list[str], Any]] = field(default_factory=list)
    data: bytes | None = None  # a package case: the file's bytes
    verdict: str | None = None  # a package case: valid / invalid / refused
    ambiguous_verdict: bool = False  # a package case whose verdict the spec does not settle (cmokit's in verdict)
    others: list[dict] = field(default_factory=list)  # more resources: {"name", "fields", "rows"}

    @property
    def kind(self) -> str:
        return "package" if self.verdict is not None else "rows" if self.rows else "cells"

    def expected(self) -> list[tuple[str, bool, bool]]:
        """(row text, verdict, spec-defined) per data row of a cells or rows case."""
        if self.kind == "rows":
            return [(",".join(cells), v if v != "?" else self.ambiguous.get(",".join(cells), True), v != "?")
                    for cells, v in self.rows]
        return ([(v, True, True) for v in self.valid] + [(v, False, True) for v in self.invalid]
                + [(v, ok, False) for v, ok in self.ambiguous.items()])

    def table(self) -> list[list[str]]:
        """The data rows (a one-field case numbers its rows in a first column, so that no row is blank)."""
        if self.kind == "rows":
            return [cells for cells, _ in self.rows]
        return [[str(i + 1), v] for i, (v, _, _) in enumerate(self.expected())]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_package(case: Case, folder: Path) -> Path:
    """The case as a data package in ``folder`` (datapackage.json, t.csv and the other resources); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    schema = {"fields": case.fields, **case.schema}
    resources = [{"name": "t", "path": "t.csv", "format": "csv", "schema": schema, **case.resource}]
    data = case.data if case.data is not None else csv_bytes([f["name"] for f in case.fields], case.table())
    (folder / "t.csv").write_bytes(data)
    for other in case.others:
        resources.append({"name": other["name"], "path": f"{other['name']}.csv", "format": "csv",
                          "schema": {"fields": other["fields"], **other.get("schema", {})}})
        (folder / f"{other['name']}.csv").write_bytes(csv_bytes([f["name"] for f in other["fields"]],
                                                                other["rows"]))
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": "case",
                  "resources": resources}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=1), encoding="utf-8")
    return folder


def cells(id: str, section: str, quote: str, fd: dict, valid=(), invalid=(), ambiguous=None, why="",
          **kw: Any) -> Case:
    return Case(id, section, quote, [{"name": "row", "type": "integer"}, {"name": "v", **fd}], list(valid),
                list(invalid), dict(ambiguous or {}), why, **kw)


def package(id: str, section: str, quote: str, fields: list[dict], data: bytes, verdict: str, **kw: Any) -> Case:
    return Case(id, section, quote, fields, data=data, verdict=verdict, **kw)


S = f"{TS} › Field Types"
C = f"{TS} › Field Constraints"
NUM_Q = ("The lexical formatting follows that of decimal in XMLSchema ... An optional leading sign is allowed ... "
         "The following special string values are permitted (case need not be respected): NaN, INF, -INF. "
         "A number MAY also have a trailing exponent: this MUST consist of an E followed by an optional + or - "
         "sign followed by one or more decimal digits")
DT_Q = ("default: The lexical representation MUST be in a form defined by XML Schema containing required date and "
        "time parts, followed by optional milliseconds and timezone parts")
FIDS = [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]

CASES: list[Case] = [
    # ------------------------------------------------------------------------------------------------ types
    cells("string/default", f"{S} › string", "default: any valid string.", {"type": "string"},
          valid=["apple", "a, b", "1.5", "  spaced  "]),
    cells("string/email", f"{S} › string", "email: A valid email address.", {"type": "string", "format": "email"},
          valid=["a@example.org", "first.last+tag@sub.example.co.uk"],
          invalid=["a@", "@example.org", "a b@example.org", "a@@example.org", "example.org"],
          ambiguous={"a@localhost": True, "é@example.org": False},
          why="'valid email address' is not defined; cmokit uses HTML's definition (a dotted domain is not "
              "required; non-ASCII is refused)."),
    cells("string/uri", f"{S} › string", "uri: A valid URI.", {"type": "string", "format": "uri"},
          valid=["https://example.org/a?b=c#d", "urn:isbn:0451450523", "mailto:a@example.org"],
          invalid=["example.org/page", "http://exa mple.org", "1http://example.org", "http://example.org/%zz"],
          ambiguous={"https://例え.jp": False},
          why="URI per RFC 3986 (an IRI with non-ASCII characters is not a URI; cmokit refuses it)."),
    cells("string/uuid", f"{S} › string", "uuid: A string that is a uuid.", {"type": "string", "format": "uuid"},
          valid=["1b4e28ba-2fa1-11d2-883f-0016d3cca427", "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"],
          invalid=["not-a-uuid", "1b4e28ba-2fa1-11d2-883f-0016d3cca42", "1b4e28ba-2fa1-11d2-883f-0016d3cca42g"],
          ambiguous={"1b4e28ba2fa111d2883f0016d3cca427": False, "{1b4e28ba-2fa1-11d2-883f-0016d3cca427}": False},
          why="the form of 'a uuid' is not given; cmokit takes RFC 4122's string representation (8-4-4-4-12 hex)."),
    cells("string/binary", f"{S} › string", "binary: A base64 encoded string representing binary data.",
          {"type": "string", "format": "binary"}, valid=["aGVsbG8=", "QUJD", "YQ=="],
          invalid=["aGVsbG8", "a$==", "YQ="], ambiguous={"aGVs bG8=": False, "-_8=": False},
          why="base64 per RFC 4648 with its standard alphabet and padding; spaces and the URL-safe alphabet are "
              "refused."),
    cells("number/lexical", f"{S} › number", NUM_Q, {"type": "number"},
          valid=["-1.23", "12678967.543233", "+100000.00", "210", "1E5", "1E-3", "2.5E+3", "NaN", "nan", "INF",
                 "inf", "-INF", "-Inf", ".5", "5."],
          invalid=["1,5", "1.2.3", "abc", "1E", "E5", "0x10", "1_000", "--1", "Infinity", "1 000", "12%", "€12"],
          ambiguous={"1e5": True, "+INF": False, " 1.5": False},
          why="'an E': cmokit also accepts a lower-case e (XML Schema's double does); +INF is not in the spec's "
              "list; spaces around a number are refused (nothing a user typed is silently trimmed)."),
    cells("number/decimalChar", f"{S} › number", "decimalChar: A string whose value is used to represent a decimal "
          "point within the number. The default value is \".\".", {"type": "number", "decimalChar": ","},
          valid=["1,5", "-0,25", "3"], invalid=["1.5", "1,5,5"]),
    cells("number/groupChar", f"{S} › number", "groupChar: A string whose value is used to group digits within the "
          "number ... A common value is \",\" e.g. \"100,000\".", {"type": "number", "groupChar": ","},
          valid=["100,000", "1,234.5", "1234"], ambiguous={",100": False, "1,,000": False, "1.234,5": False},
          why="where a group character may stand is not said; cmokit accepts it only between digits of the "
              "integer part."),
    cells("number/bareNumber-false", f"{S} › number", "If false the contents of this field may contain leading "
          "and/or trailing non-numeric characters (which implementors MUST therefore strip) ... e.g. 95% or ... "
          "€95 or EUR 95.", {"type": "number", "bareNumber": False},
          valid=["95%", "€95", "EUR 95", "95", "-3.5 kg"], invalid=["EUR", "%"]),
    cells("number/bareNumber-true", f"{S} › number", "bareNumber: a boolean field with a default of true. If true "
          "the physical contents of this field MUST follow the formatting constraints already set out.",
          {"type": "number"}, valid=["95"], invalid=["95%", "€95", "EUR 95"]),
    cells("integer/lexical", f"{S} › integer", "Integer values are indicated in the standard way for any valid "
          "integer.", {"type": "integer"}, valid=["1", "-7", "+3", "0", "9223372036854775808000"],
          invalid=["1.5", "1.0", "1e3", "1_000", "one", "1,000", "--1"], ambiguous={"007": True, " 1": False},
          why="leading zeros: XML Schema's integer allows them (cmokit: valid, and 007 equals 7); spaces refused."),
    cells("integer/groupChar", f"{S} › integer", "groupChar: A string whose value is used to group digits within "
          "the integer.", {"type": "integer", "groupChar": " "}, valid=["100 000", "12"], invalid=["100,000"]),
    cells("integer/bareNumber-false", f"{S} › integer", "If false the contents of this field may contain leading "
          "and/or trailing non-numeric characters", {"type": "integer", "bareNumber": False},
          valid=["95%", "€95", "EUR 95"], invalid=["EUR"]),
    cells("boolean/default", f"{S} › boolean", "trueValues: [ \"true\", \"True\", \"TRUE\", \"1\" ] falseValues: "
          "[ \"false\", \"False\", \"FALSE\", \"0\" ]", {"type": "boolean"},
          valid=["true", "True", "TRUE", "1", "false", "False", "FALSE", "0"],
          invalid=["yes", "t", "tRUE", " true", "2"]),
    cells("boolean/custom", f"{S} › boolean", "trueValues and falseValues are arrays which can be customised to "
          "user need.", {"type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
          valid=["yes", "no"], invalid=["true", "Yes", "0"]),
    cells("object", f"{S} › object", "The field contains a valid JSON object.", {"type": "object"},
          valid=['{"a": 1}', "{}", '{"a": {"b": [1, 2]}}'],
          invalid=["[1]", '"x"', "{bad", "1", '{"a": NaN}', "{'a': 1}"]),
    cells("array", f"{S} › array", "The field contains a valid JSON array.", {"type": "array"},
          valid=["[1, 2]", "[]", '[{"a": 1}, "x"]'], invalid=['{"a": 1}', "[1,", "1", "[NaN]"]),
    cells("list/default", f"{S} › list", "values separated by a delimiter which is , (comma) by default ... "
          "If not present, the default is string.", {"type": "list"}, valid=["value1,value2", "a", "a,,b"]),
    cells("list/integer", f"{S} › list", "A data consumer MUST process list items as it were individual values of "
          "the corresponding data type.", {"type": "list", "itemType": "integer"},
          valid=["1,2,3", "-1", "01,2"], invalid=["1,x", "1;2", "1.5,2"], ambiguous={"1, 2": False},
          why="an item with a space (' 2') is refused, as a spaced integer is."),
    cells("list/delimiter", f"{S} › list", "delimiter: specifies the character sequence which separates lexically "
          "represented list items.", {"type": "list", "itemType": "number", "delimiter": ";"},
          valid=["1.5;2", "3"], invalid=["1.5,2"]),
    cells("list/boolean", f"{S} › list", "on lexical level only default formats are supported",
          {"type": "list", "itemType": "boolean"}, valid=["true,false", "1,0"], invalid=["yes,no"]),
    cells("list/date", f"{S} › list", "for a list with itemType set to date, items have to be in default form for "
          "dates i.e. yyyy-mm-dd.", {"type": "list", "itemType": "date"},
          valid=["2024-01-01,2024-02-29"], invalid=["2024-01-01,2024-02-30", "01/02/2024"]),
    cells("list/datetme", f"{S} › list", "If present, it MUST be one of string, integer, boolean, number, datetme, "
          "date, and time.", {"type": "list", "itemType": "datetme"},
          ambiguous={"2024-01-26T15:00:00": True, "2024-01-26": False},
          why="the spec's list spells datetime 'datetme'; cmokit reads both spellings as datetime."),
    cells("datetime/default", f"{S} › datetime", DT_Q, {"type": "datetime"},
          valid=["2024-01-26T15:00:00", "2024-01-26T15:00:00.300-05:00", "2024-01-26T15:00:00Z",
                 "2024-02-29T23:59:59+14:00"],
          invalid=["2024-02-30T10:00:00", "2024-01-26 15:00:00", "2024-01-26", "2024-01-26T25:00:00",
                   "2024-01-26T15:00", "2024-01-26T15:00:00+15:00", "26/01/2024 15:00:00"],
          ambiguous={"2024-01-26T24:00:00": False, "2024-12-31T23:59:60Z": False, "0000-01-01T00:00:00": False},
          why="XML Schema allows 24:00:00 (the first instant of the next day): cmokit, like Python, refuses it; "
              "no leap seconds; year 0000 (not a year in XML Schema 1.0, year 1 BC in 1.1) is refused."),
    cells("datetime/pattern", f"{S} › datetime", "<PATTERN>: values in this field can be parsed according to "
          "<PATTERN> ... Example for \"format\": \"%d/%m/%Y %H:%M:%S\" ... 12/11/2018 09:15:32",
          {"type": "datetime", "format": "%d/%m/%Y %H:%M:%S"}, valid=["12/11/2018 09:15:32"],
          invalid=["2018-11-12T09:15:32", "31/02/2018 09:15:32"]),
    cells("datetime/any", f"{S} › datetime", "any: Any parsable representation of the value. The implementing "
          "library can attempt to parse the datetime via a range of strategies.",
          {"type": "datetime", "format": "any"}, valid=["2024-01-26T15:00:00", "Jan 26 2024 3pm"],
          invalid=["not a date"]),
    cells("date/default", f"{S} › date", "default: The lexical representation MUST be yyyy-mm-dd e.g. 2024-01-26",
          {"type": "date"}, valid=["2024-01-26", "2024-02-29"],
          invalid=["2023-02-29", "2024-1-5", "26/01/2024", "2024-01-26T00:00:00", "20240126", "2024-13-01"]),
    cells("date/pattern", f"{S} › date", "<PATTERN>: The same as for datetime (values SHOULD be parsable by "
          "Python / C standard strptime using <PATTERN>)", {"type": "date", "format": "%d/%m/%Y"},
          valid=["26/01/2024", "5/1/2024"], invalid=["2024-01-26", "31/02/2024"]),
    cells("date/fmt-prefix", f"{TS} › type and format", "If format property start with fmt: prefix, an "
          "implementation MUST remove the prefix", {"type": "date", "format": "fmt:%d/%m/%Y"},
          valid=["26/01/2024"], invalid=["2024-01-26"]),
    cells("date/any", f"{S} › date", "any: The same as for datetime", {"type": "date", "format": "any"},
          valid=["Jan 26 2024", "2024-01-26", "26 January 2024"], invalid=["someday"]),
    cells("time/default", f"{S} › time", "default: The lexical representation MUST be hh:mm:ss e.g. 15:00:00",
          {"type": "time"}, valid=["15:00:00", "00:00:00", "23:59:59"],
          invalid=["15:00", "3pm", "15:60:00", "25:00:00", "5:00:00"],
          ambiguous={"24:00:00": False, "15:00:00Z": False, "15:00:00.5": False},
          why="'MUST be hh:mm:ss' (cmokit) against XML Schema's time, which allows 24:00:00, fractions and a "
              "timezone."),
    cells("time/pattern", f"{S} › time", "<PATTERN>: The same as for datetime", {"type": "time", "format": "%H:%M"},
          valid=["15:00", "9:05"], invalid=["15:00:00", "25:00"]),
    cells("time/any", f"{S} › time", "any: The same as for datetime", {"type": "time", "format": "any"},
          valid=["3pm", "15:00"], invalid=["later"]),
    cells("year", f"{S} › year", "A calendar year as per XMLSchema gYear. Usual lexical representation is YYYY.",
          {"type": "year"}, valid=["2024", "1999", "0001"], invalid=["24", "2024-01", "year", "2024.0"],
          ambiguous={"20245": False, "-0044": False, "2024Z": False},
          why="gYear allows more digits, a sign and a timezone; cmokit reads the usual YYYY only."),
    cells("yearmonth", f"{S} › yearmonth", "A specific month in a specific year as per XMLSchema gYearMonth. Usual "
          "lexical representation is: YYYY-MM.", {"type": "yearmonth"}, valid=["2024-01", "2024-12"],
          invalid=["2024-13", "2024-1", "2024", "2024-00", "01-2024"]),
    cells("duration", f"{S} › duration", "the lexical representation for duration is the ISO 8601 extended format "
          "PnYnMnDTnHnMnS ... The number of seconds can include decimal digits to arbitrary precision. Date and "
          "time elements including their designator MAY be omitted if their value is zero",
          {"type": "duration"}, valid=["P1Y2M3DT4H5M6S", "PT0.5S", "P1D", "-P1D", "PT36H", "P0D", "PT1.000001S"],
          invalid=["P", "PT", "1D", "P1H", "P1.5Y", "PT1M1H", "P1DT", "P-1D"]),
    cells("geopoint/default", f"{S} › geopoint", "default: A string of the pattern \"lon, lat\", where each value "
          "is a number ... (note the space is optional after the ,). E.g. \"90.50, 45.50\".",
          {"type": "geopoint"}, valid=["90.50, 45.50", "90.5,45.5", "-180, -90"],
          invalid=["90.50 45.50", "lon, lat", "[90.5, 45.5]", "90.5"], ambiguous={"200, 45": False,
                                                                                   "90.5 , 45.5": False},
          why="the spec gives no range; cmokit requires a point on Earth (longitude -180..180, latitude -90..90)."),
    cells("geopoint/array", f"{S} › geopoint", "array: A JSON array, or a string parsable as a JSON array, of "
          "exactly two items, where each item is a number", {"type": "geopoint", "format": "array"},
          valid=["[90.50, 45.50]", "[0, 0]"], invalid=["[90.5]", "[90.5, 45.5, 1]", '["a", 1]', "90.5, 45.5"]),
    cells("geopoint/object", f"{S} › geopoint", "object: A JSON object with exactly two keys, lat and lon and each "
          "value is a number", {"type": "geopoint", "format": "object"}, valid=['{"lon": 90.50, "lat": 45.50}'],
          invalid=['{"lon": 90.5}', '{"x": 1, "y": 2}', '{"lon": 1, "lat": 2, "z": 3}', '{"lon": "1", "lat": 2}']),
    cells("geojson/default", f"{S} › geojson", "default: A geojson object as per the GeoJSON spec.",
          {"type": "geojson"}, valid=['{"type": "Point", "coordinates": [125.6, 10.1]}',
                                      '{"type": "Feature", "geometry": null, "properties": {}}',
                                      '{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}'],
          invalid=['{"type": "Pt", "coordinates": [1, 2]}', '{"type": "Point"}', "[1, 2]",
                   '{"type": "LineString", "coordinates": [[0, 0]]}']),
    cells("geojson/topojson", f"{S} › geojson", "topojson: A topojson object as per the TopoJSON spec",
          {"type": "geojson", "format": "topojson"}, valid=['{"type": "Topology", "objects": {}, "arcs": []}'],
          invalid=['{"type": "Point", "coordinates": [1, 2]}', "{}"]),
    cells("any", f"{S} › any", "A data consumer MUST NOT perform any processing on this field's values and MUST "
          "interpret them as it is in the data source.", {"type": "any"}, valid=["anything", "1", "{", "2024-1-5"]),
    cells("type/absent", f"{TS} › type and format", "If type is not provided a consumer MUST utilize the any type "
          "for the field instead of inferring it from the field's values.", {}, valid=["x", "1.5", "{"]),
    # ------------------------------------------------------------------------------------------ constraints
    cells("required", f"{C} › required", "Indicates whether this field cannot be null.",
          {"type": "string", "constraints": {"required": True}}, valid=["apple"], invalid=[""]),
    cells("required/integer", f"{C} › required", "Indicates whether this field cannot be null. See the section on "
          "missingValues", {"type": "integer", "constraints": {"required": True}}, valid=["0"], invalid=["", "NA"],
          schema={"missingValues": ["", "NA"]}),
    Case("unique/string", f"{C} › unique", "If true, then all values for that field MUST be unique within the data "
         "file in which it is found.", [{"name": "v", "type": "string", "constraints": {"unique": True}}],
         rows=[(["apple"], True), (["apple"], False), (["Apple"], True)]),
    Case("unique/integer", f"{C} › unique", "Constraints MUST be applied on the logical representation of field "
         "values", [{"name": "v", "type": "integer", "constraints": {"unique": True}}],
         rows=[(["1"], True), (["01"], False), (["+1"], False), (["2"], True)]),
    Case("unique/number", f"{C} › unique", "Constraints MUST be applied on the logical representation of field "
         "values", [{"name": "v", "type": "number", "constraints": {"unique": True}}],
         rows=[(["1.5"], True), (["1.50"], False), (["15E-1"], False), (["1.05"], True)]),
    Case("unique/boolean-datetime", f"{C} › unique", "Constraints MUST be applied on the logical representation",
         [{"name": "b", "type": "boolean", "constraints": {"unique": True}},
          {"name": "d", "type": "datetime", "constraints": {"unique": True}}],
         rows=[(["true", "2024-01-26T15:00:00+02:00"], True), (["1", "2024-01-26T13:00:00Z"], False)]),
    Case("unique/nulls", f"{C} › unique", "All the field values that are on the logical level are considered to be "
         "null values MUST be excluded from the uniqueness check (uniqueKeys; the same rule read for unique)",
         [{"name": "row", "type": "integer"}, {"name": "v", "type": "integer", "constraints": {"unique": True}}],
         rows=[(["1", ""], "?"), (["2", ""], "?"), (["3", "3"], True)], ambiguous={"1,": True, "2,": True},
         why="the null rule is written for uniqueKeys; cmokit applies it to unique too (SQL semantics)."),
    cells("minLength/string", f"{C} › minLength", "An integer that specifies the minimum length of a value. (The "
          "example: minLength 5, plum is too short.)", {"type": "string", "constraints": {"minLength": 5}},
          valid=["apple", "grapefruit"], invalid=["plum"], ambiguous={"éééé": False, "ééééé": True},
          why="length counts characters (Unicode code points), not bytes."),
    cells("maxLength/string", f"{C} › maxLength", "An integer that specifies the maximum length of a value. "
          "(grapefruit is too long for maxLength 5.)", {"type": "string", "constraints": {"maxLength": 5}},
          valid=["apple", "fig"], invalid=["grapefruit"]),
    cells("minLength/array", f"{C} › minLength", "Fields: collections (string, array, object)",
          {"type": "array", "constraints": {"minLength": 2}}, valid=["[1, 2]", '["a", "b", "c"]'],
          invalid=["[1]", "[]", '["abcdefgh"]']),
    cells("maxLength/object", f"{C} › maxLength", "Fields: collections (string, array, object)",
          {"type": "object", "constraints": {"maxLength": 1}}, valid=['{"a": 1}', "{}"],
          invalid=['{"a": 1, "b": 2}']),
    cells("minLength/list", f"{S} › list", "The list field ... collection of primitive values (minLength counts "
          "items of a collection)", {"type": "list", "constraints": {"minLength": 2}}, valid=["a,b", "a,b,c"],
          invalid=["abcdef"]),
    cells("minimum/integer", f"{C} › minimum", "A minimum value constraint checks whether a field value is greater "
          "than or equal to the specified value. (price minimum 100: 50 is too low.)",
          {"type": "integer", "constraints": {"minimum": 100}}, valid=["100", "101", "0100"], invalid=["50", "99"]),
    cells("minimum/integer-exact", f"{C} › minimum", "Constraints MUST be applied on the logical representation of "
          "field values and constraint values.", {"type": "integer", "constraints": {"minimum": 9007199254740993}},
          valid=["9007199254740993", "9007199254740994"], invalid=["9007199254740992"]),
    cells("maximum/integer-string", f"{C} › maximum", "the physical representation of constraint values MAY be ... "
          "represented as strings that are castable with the type and format rules of the field.",
          {"type": "integer", "constraints": {"maximum": "100"}}, valid=["100"], invalid=["101"]),
    cells("minimum/number-exact", f"{C} › minimum", "Constraints MUST be applied on the logical representation of "
          "field values and constraint values.", {"type": "number", "constraints": {"minimum": 0.1}},
          valid=["0.1", "0.1000000000000000000001", "1E-1"], invalid=["0.0999999999999999999999", "-INF"],
          ambiguous={"NaN": False, "INF": True}, why="NaN is not ordered: cmokit says it breaks every bound."),
    cells("maximum/number", f"{C} › maximum", "As for minimum, but specifies a maximum value for a field.",
          {"type": "number", "constraints": {"maximum": 1000}}, valid=["1000.0", "1E3", "-5"],
          invalid=["1000.0000000000000001", "1001", "INF"]),
    cells("maximum/number-decimalChar", f"{C} › maximum", "represented as strings that are castable with the type "
          "and format rules of the field.", {"type": "number", "decimalChar": ",",
                                             "constraints": {"maximum": "1,5"}}, valid=["1,5", "1"],
          invalid=["1,51"]),
    cells("exclusiveMinimum", f"{C} › exclusiveMinimum", "As for minimum, but for expressing exclusive range. "
          "(exclusiveMinimum 0: price 0 is too low.)", {"type": "integer", "constraints": {"exclusiveMinimum": 0}},
          valid=["100", "1"], invalid=["0", "-1"]),
    cells("exclusiveMaximum", f"{C} › exclusiveMaximum", "As for maximum, but for expressing exclusive range. "
          "(exclusiveMaximum 150: 150 is too high.)", {"type": "integer", "constraints": {"exclusiveMaximum": 150}},
          valid=["100", "149"], invalid=["150", "151"]),
    cells("exclusive/number", f"{C} › exclusiveMinimum", "As for minimum, but for expressing exclusive range.",
          {"type": "number", "constraints": {"exclusiveMinimum": 0.5, "exclusiveMaximum": 1}},
          valid=["0.5000000000000000001", "0.75"], invalid=["0.5", "1", "1.0", "5E-1"]),
    cells("minimum/date", f"{C} › minimum", "a date field might have a minimum date.",
          {"type": "date", "constraints": {"minimum": "2024-01-01"}}, valid=["2024-01-01", "2025-06-30"],
          invalid=["2023-12-31"]),
    cells("exclusiveMaximum/date-pattern", f"{C} › exclusiveMaximum", "represented as strings that are castable "
          "with the type and format rules of the field.", {"type": "date", "format": "%d/%m/%Y",
                                                           "constraints": {"exclusiveMaximum": "01/01/2024"}},
          valid=["31/12/2023"], invalid=["01/01/2024", "2/1/2024"]),
    cells("minimum/datetime", f"{C} › minimum", "Fields: integer, number, date, time, datetime, duration, year, "
          "yearmonth", {"type": "datetime", "constraints": {"minimum": "2024-01-01T00:00:00Z"}},
          valid=["2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", "2024-06-01T00:00:00Z"],
          invalid=["2023-12-31T23:59:59Z", "2024-01-01T00:30:00+01:00"],
          ambiguous={"2024-01-01T00:00:00": True}, why="a datetime without a timezone is compared as UTC."),
    cells("maximum/time", f"{C} › maximum", "Fields: ... time ...", {"type": "time",
                                                                   "constraints": {"maximum": "12:00:00"}},
          valid=["12:00:00", "09:30:00"], invalid=["12:00:01", "23:00:00"]),
    cells("minimum/year", f"{C} › minimum", "Fields: ... year ...", {"type": "year", "constraints": {"minimum": 2000}},
          valid=["2000", "2024"], invalid=["1999"]),
    cells("maximum/yearmonth", f"{C} › maximum", "Fields: ... yearmonth", {"type": "yearmonth",
                                                                          "constraints": {"maximum": "2024-06"}},
          valid=["2024-06", "2023-12"], invalid=["2024-07", "2025-01"]),
    cells("maximum/duration", f"{C} › maximum", "Fields: ... duration ... (XML Schema duration)",
          {"type": "duration", "constraints": {"maximum": "P1D"}}, valid=["PT24H", "PT23H", "P0D"],
          invalid=["PT25H", "P2D", "P1DT1S"]),
    cells("minimum/duration-partial", f"{C} › minimum", "We follow the definition of XML Schema duration datatype "
          "directly", {"type": "duration", "constraints": {"minimum": "P1M"}}, valid=["P1M", "P32D", "P1Y"],
          invalid=["P27D"], ambiguous={"P30D": False},
          why="XML Schema orders durations partially: P30D is neither less nor more than P1M; cmokit says it "
              "does not meet the minimum (it may be shorter)."),
    cells("pattern/example", f"{C} › pattern", "A regular expression that can be used to test field values. If the "
          "regular expression matches then the value is valid. (pattern ^a.*$: orange is invalid.)",
          {"type": "string", "constraints": {"pattern": "^a.*$"}}, valid=["apple"], invalid=["orange"]),
    cells("pattern/anchored", f"{C} › pattern", "The values of this field MUST conform to the standard XML Schema "
          "regular expression syntax (XML Schema patterns match the whole value).",
          {"type": "string", "constraints": {"pattern": "cat|dog"}}, valid=["cat", "dog"],
          invalid=["catx", "xdog", "cats"]),
    cells("pattern/class", f"{C} › pattern", "XML Schema regular expression syntax", {
          "type": "string", "constraints": {"pattern": "[a-z]+[0-9]{2}"}}, valid=["abc12"], invalid=["abc1", "1ab12"]),
    cells("enum/string", f"{C} › enum", "The value of the field MUST exactly match one of the values in the enum "
          "array.", {"type": "string", "constraints": {"enum": ["apple"]}}, valid=["apple"],
          invalid=["orange", "Apple", "apple "]),
    cells("enum/integer", f"{C} › enum", "Constraints MUST be applied on the logical representation of field "
          "values and constraint values.", {"type": "integer", "constraints": {"enum": [1, 2, 3]}},
          valid=["1", "01", "+3"], invalid=["4", "0"]),
    cells("enum/integer-strings", f"{C} › enum", "the physical representation of constraint values MAY be ... "
          "strings that are castable with the type and format rules of the field.",
          {"type": "integer", "constraints": {"enum": ["1", "2"]}}, valid=["1", "002"], invalid=["3"]),
    cells("enum/boolean", f"{C} › enum", "Constraints MUST be applied on the logical representation",
          {"type": "boolean", "constraints": {"enum": [True]}}, valid=["true", "TRUE", "1"], invalid=["false", "0"]),
    cells("enum/number", f"{C} › enum", "Constraints MUST be applied on the logical representation",
          {"type": "number", "constraints": {"enum": [1.5, 2]}}, valid=["1.5", "1.50", "2.0", "2"],
          invalid=["1.55"]),
    cells("enum/date", f"{C} › enum", "Constraints MUST be applied on the logical representation",
          {"type": "date", "format": "%d/%m/%Y", "constraints": {"enum": ["01/02/2024"]}},
          valid=["01/02/2024", "1/2/2024"], invalid=["02/01/2024"]),
    cells("jsonSchema", f"{C} › jsonSchema", "A valid JSON Schema object to validate field values. (value must be "
          "an integer.)", {"type": "object", "constraints": {"jsonSchema": {
              "type": "object", "properties": {"value": {"type": "integer"}}}}},
          valid=['{"value": 100}', "{}"], invalid=['{"value": "bad"}', '{"value": 1.5}']),
    cells("jsonSchema/array", f"{C} › jsonSchema", "Fields: array, object", {"type": "array", "constraints": {
        "jsonSchema": {"type": "array", "items": {"type": "string"}, "maxItems": 2}}},
          valid=['["a"]', '["a", "b"]'], invalid=["[1]", '["a", "b", "c"]']),
    cells("categories/string", f"{TS} › Field › categories", "The logical representation of data in the field MUST "
          "exactly match one of the values in categories.", {"type": "string", "categories":
                                                             ["apple", "orange", "banana"]},
          valid=["apple", "banana"], invalid=["pear", "Apple"]),
    cells("categories/integer-objects", f"{TS} › Field › categories", "an array of objects, each with a unique "
          "value property ... store our fruit with values 0, 1, and 2 in an integer field",
          {"type": "integer", "categories": [{"value": 0, "label": "apple"}, {"value": 1, "label": "orange"},
                                             {"value": 2, "label": "banana"}]},
          valid=["0", "2", "00"], invalid=["3", "-1"]),
    cells("multiple-constraints", f"{C}", "A constraints descriptor MAY contain multiple constraints, in which case "
          "implementations MUST apply all the constraints", {"type": "integer", "constraints": {
              "minimum": 1, "maximum": 10, "enum": [1, 5, 20]}}, valid=["1", "5"], invalid=["20", "3", "0"]),
    # ------------------------------------------------------------------------------------- missing values
    cells("missing/default", f"{TS} › missingValues", "The default value [ \"\" ] means that empty strings will be "
          "converted to null before any other processing takes place.", {"type": "integer"},
          valid=["", "1"], invalid=["NA"]),
    cells("missing/custom", f"{TS} › missingValues", "\"missingValues\": [\"-\"]", {"type": "integer"},
          valid=["-", "1"], invalid=["", "NA"], schema={"missingValues": ["-"]}),
    cells("missing/empty-list", f"{TS} › missingValues", "Providing the empty list [] means that no conversion to "
          "null will be done, on any value.", {"type": "integer"}, valid=["1"], invalid=[""],
          schema={"missingValues": []}),
    cells("missing/empty-list-string", f"{TS} › missingValues", "Providing the empty list [] means that no "
          "conversion to null will be done (an empty string stays a string).",
          {"type": "string", "constraints": {"required": True}}, valid=["", "x"], schema={"missingValues": []}),
    cells("missing/objects", f"{TS} › missingValues", "If an array of objects is provided, each object MUST have a "
          "unique value and optional unique label property.", {"type": "integer", "constraints": {"minimum": 0}},
          valid=["-99", "", "5"], invalid=["-1"], schema={"missingValues": [{"value": "", "label": "OMITTED"},
                                                                             {"value": "-99", "label": "REFUSED"}]}),
    cells("missing/before-type", f"{TS} › missingValues", "this conversion to null MUST be done before any other "
          "attempted type-specific string conversion.", {"type": "number", "constraints": {"required": True}},
          valid=["nan", "1"], invalid=["NaN"], schema={"missingValues": ["NaN"]}),
    Case("missing/field-level", f"{TS} › Field › missingValues", "If this property is defined, it takes precedence "
         "over the schema-level property and completely replaces it for the field without combining the values.",
         [{"name": "column1", "type": "integer"}, {"name": "column2", "type": "integer", "missingValues": ["-"]}],
         schema={"missingValues": ["", "NA"]},
         rows=[(["NA", "-"], True), (["", "1"], True), (["1", "NA"], False), (["-", "1"], False),
               (["1", ""], False)]),
    # ------------------------------------------------------------------------------------------------ keys
    Case("primaryKey/duplicate", f"{TS} › primaryKey", "A primary key is a field or set of fields that uniquely "
         "identifies each row in the table.", FIDS, schema={"primaryKey": ["id"]},
         rows=[(["1", "a"], True), (["2", "b"], True), (["1", "c"], False), (["01", "d"], False)]),
    Case("primaryKey/null", f"{TS} › primaryKey", "Per SQL standards, the fields cannot be null, so their use in the "
         "primary key is equivalent to adding required: true to their constraints.", FIDS,
         schema={"primaryKey": ["id"]}, rows=[(["1", "a"], True), (["", "b"], False)]),
    Case("primaryKey/composite", f"{TS} › primaryKey", "the primary key is made up of those fields",
         [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}], schema={"primaryKey": ["a", "b"]},
         rows=[(["1", "x"], True), (["1", "y"], True), (["01", "x"], False), (["2", "x"], True)]),
    Case("primaryKey/string-form", f"{TS} › primaryKey", "Data consumer MUST support the primaryKey property in a "
         "form of a single string e.g. primaryKey: a", FIDS, schema={"primaryKey": "id"},
         rows=[(["1", "a"], True), (["1", "b"], False)]),
    Case("uniqueKeys", f"{TS} › uniqueKeys", "each row has a unique set of logical values in the fields a and b ... "
         "null values MUST be excluded from the uniqueness check", [
             {"name": "a", "type": "string"}, {"name": "b", "type": "integer"}, {"name": "c", "type": "string"}],
         schema={"uniqueKeys": [["a"], ["b", "c"]]},
         rows=[(["x", "1", "p"], True), (["y", "01", "p"], False), (["", "", "p"], True), (["", "", "p"], True),
               (["x", "2", "q"], False)]),
    Case("foreignKeys/self", f"{TS} › foreignKeys", "For self-referencing, i.e. references between fields in this "
         "Table Schema, the resource property MUST be omitted.", [
             {"name": "id", "type": "integer"}, {"name": "parent", "type": "integer"}],
         schema={"foreignKeys": [{"fields": ["parent"], "reference": {"fields": ["id"]}}]},
         rows=[(["1", ""], True), (["2", "+1"], True), (["3", "5"], False), (["4", "02"], True)]),
    Case("foreignKeys/other", f"{TS} › foreignKeys", "For referencing another data resource the resource property "
         "MUST be provided.", [{"name": "row", "type": "integer"}, {"name": "state", "type": "string"}],
         schema={"foreignKeys": [{"fields": "state", "reference": {"resource": "states", "fields": "code"}}]},
         others=[{"name": "states", "fields": [{"name": "code", "type": "string"}], "rows": [["CA"], ["NY"]]}],
         rows=[(["1", "CA"], True), (["2", "TX"], False), (["3", "ca"], False), (["4", ""], True)]),
    Case("foreignKeys/empty-resource", f"{TS} › foreignKeys", "If the value of the foreignKey.reference.resource "
         "property is an empty string \"\" a data consumer MUST interpret it as an omited property", [
             {"name": "id", "type": "integer"}, {"name": "parent", "type": "integer"}],
         schema={"foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}]},
         rows=[(["1", "1"], True), (["2", "9"], False)]),
    Case("foreignKeys/composite", f"{TS} › foreignKeys", "fields is an array of strings specifying the field or "
         "fields on this resource that form the source part of the foreign key.", [
             {"name": "y", "type": "year"}, {"name": "n", "type": "integer"}],
         schema={"foreignKeys": [{"fields": ["y", "n"], "reference": {"resource": "r", "fields": ["year", "no"]}}]},
         others=[{"name": "r", "fields": [{"name": "year", "type": "year"}, {"name": "no", "type": "integer"}],
                  "rows": [["2024", "1"], ["2024", "2"]]}],
         rows=[(["2024", "1"], True), (["2024", "002"], True), (["2023", "1"], False)]),
    # ------------------------------------------------------------------------------ dialect and encoding
    package("dialect/delimiter", f"{TD} › delimiter", "This property specifies the character sequence which "
            "separates fields in the data file.", FIDS, b"id|name\n1|apple\n2|orange\n", "valid",
            resource={"dialect": {"delimiter": "|"}}),
    package("dialect/delimiter-wrong", f"{TD} › delimiter", "delimiter ... with default value , (comma)", FIDS,
            b"id;name\n1;apple\n", "invalid"),
    package("dialect/header-false", f"{TD} › header", "If true the first row in the file MUST be interpreted as a "
            "header row, not data.", FIDS, b"1,apple\n2,orange\n", "valid", resource={"dialect": {"header": False}}),
    package("dialect/header-false-data", f"{TD} › header", "header: false (the first row is data)", FIDS,
            b"1,apple\nx,orange\n", "invalid", resource={"dialect": {"header": False}}),
    package("dialect/headerRows", f"{TD} › headerRows", "This property specifies the row numbers for the header ... "
            "{\"fruit id\": 1, \"fruit name\": \"apple\"}", [{"name": "fruit id", "type": "integer"},
                                                          {"name": "fruit name", "type": "string"}],
            b"fruit\nid,name\n1,apple\n2,orange\n", "valid", resource={"dialect": {"headerRows": [1, 2]}}),
    package("dialect/headerJoin", f"{TD} › headerJoin", "This property specifies how multiline-header files have to "
            "join the resulting header rows.", [{"name": "fruit-id", "type": "integer"},
                                                {"name": "fruit-name", "type": "string"}],
            b"fruit\nid,name\n1,apple\n", "valid", resource={"dialect": {"headerRows": [1, 2], "headerJoin": "-"}}),
    package("dialect/commentChar", f"{TD} › commentChar", "This property specifies what rows have to be omitted "
            "from the data based on the row's first characters.", FIDS, b"id,name\n#fruits\n1,apple\n", "valid",
            resource={"dialect": {"commentChar": "#"}}),
    package("dialect/commentRows", f"{TD} › commentRows", "This property specifies what rows have to be omitted "
            "from the data.", FIDS, b"id,name\n#fruits\n1,apple\n", "valid",
            resource={"dialect": {"commentRows": [2]}}),
    package("dialect/no-comment", f"{TD} › commentChar", "commentChar: undefined by default", FIDS,
            b"id,name\n#fruits\n1,apple\n", "invalid"),
    package("dialect/quoteChar", f"{TD} › quoteChar", "This property specifies a character to use for quoting in "
            "case the delimiter needs to be used inside a data cell.", [
                {"name": "id", "type": "integer"}, {"name": "name", "constraints": {"enum": ["apple,fruits"]}}],
            b"id,name\n1,'apple,fruits'\n", "valid", resource={"dialect": {"quoteChar": "'"}}),
    package("dialect/doubleQuote", f"{TD} › doubleQuote", "If true, two consecutive quotes are interpreted as one.",
            [{"name": "id", "type": "integer"}, {"name": "name", "constraints": {"enum": ['apple"fruits']}}],
            b'id,name\n1,"apple""fruits"\n', "valid", resource={"dialect": {"doubleQuote": True}}),
    package("dialect/escapeChar", f"{TD} › escapeChar", "This property specifies a one-character string to use for "
            "escaping", [{"name": "id", "type": "integer"}, {"name": "name",
                                                              "constraints": {"enum": ["apple,fruits"]}}],
            b"id,name\n1,apple|,fruits\n", "valid", resource={"dialect": {"escapeChar": "|"}}),
    package("dialect/nullSequence", f"{TD} › nullSequence", "This property specifies the null sequence, for example, "
            "\\N. ({id: 2, name: null})", [{"name": "id", "type": "integer"}, {"name": "name", "type": "integer"}],
            b"id,name\n1,3\n2,NA\n", "valid", resource={"dialect": {"nullSequence": "NA"}}),
    package("dialect/nullSequence-required", f"{TD} › nullSequence", "the null sequence ... output null (and a "
            "required field cannot be null)", [{"name": "id", "type": "integer", "constraints": {"required": True}}],
            b"id\nNA\n", "invalid", resource={"dialect": {"nullSequence": "NA"}}),
    package("dialect/skipInitialSpace", f"{TD} › skipInitialSpace", "if false, it means that whitespace immediately "
            "after a delimiter is treated as part of the following field.", [
                {"name": "id", "type": "integer"}, {"name": "name", "constraints": {"enum": ["apple"]}}],
            b"id,name\n1, apple\n", "valid", resource={"dialect": {"skipInitialSpace": True}}),
    package("dialect/skipInitialSpace-false", f"{TD} › skipInitialSpace", "skipInitialSpace: false by default",
            [{"name": "id", "type": "integer"}, {"name": "name", "constraints": {"enum": ["apple"]}}],
            b"id,name\n1, apple\n", "invalid"),
    package("encoding/declared", "Data Resource › encoding", "The character encoding of resource's data file",
            [{"name": "id", "type": "integer"}, {"name": "name", "constraints": {"enum": ["pommé"]}}],
            "id,name\n1,pommé\n".encode("cp1252"), "valid", resource={"encoding": "windows-1252"}),
    package("encoding/utf-16", "Data Resource › encoding", "The value SHOULD be one of the \"Preferred MIME Names\" "
            "for a character encoding registered with IANA", FIDS, "id,name\n1,apple\n".encode("utf-16"), "valid",
            resource={"encoding": "utf-16"}),
    # --------------------------------------------------------------------------------------- fieldsMatch
    package("fieldsMatch/exact-order", f"{TS} › fieldsMatch", "exact (default): The data source MUST have exactly "
            "the same fields as defined in the fields array. Fields MUST be mapped by their order.", FIDS,
            b"name,id\napple,1\n", "invalid"),
    package("fieldsMatch/exact", f"{TS} › fieldsMatch", "exact (default): ... exactly the same fields", FIDS,
            b"id,name\n1,apple\n", "valid"),
    package("fieldsMatch/exact-extra", f"{TS} › fieldsMatch", "exact (default): ... exactly the same fields", FIDS,
            b"id,name,x\n1,apple,z\n", "invalid"),
    package("fieldsMatch/equal", f"{TS} › fieldsMatch", "equal: The data source MUST have exactly the same fields "
            "as defined in the fields array. Fields MUST be mapped by their names.", FIDS, b"name,id\napple,1\n",
            "valid", schema={"fieldsMatch": "equal"}),
    package("fieldsMatch/subset", f"{TS} › fieldsMatch", "subset: The data source MUST have all the fields defined "
            "in the fields array, but MAY have more.", FIDS, b"name,extra,id\napple,z,1\n", "valid",
            schema={"fieldsMatch": "subset"}),
    package("fieldsMatch/subset-missing", f"{TS} › fieldsMatch", "subset: The data source MUST have all the fields",
            FIDS, b"name\napple\n", "invalid", schema={"fieldsMatch": "subset"}),
    package("fieldsMatch/superset", f"{TS} › fieldsMatch", "superset: The data source MUST only have fields defined "
            "in the fields array, but MAY have fewer.", FIDS, b"name\napple\n", "valid",
            schema={"fieldsMatch": "superset"}),
    package("fieldsMatch/superset-extra", f"{TS} › fieldsMatch", "superset: ... MUST only have fields defined", FIDS,
            b"name,extra\napple,z\n", "invalid", schema={"fieldsMatch": "superset"}),
    package("fieldsMatch/partial", f"{TS} › fieldsMatch", "partial: The data source MUST have at least one field "
            "defined in the fields array.", FIDS, b"name,extra\napple,z\n", "valid",
            schema={"fieldsMatch": "partial"}),
    package("fieldsMatch/partial-none", f"{TS} › fieldsMatch", "partial: ... at least one field", FIDS,
            b"x,y\n1,2\n", "invalid", schema={"fieldsMatch": "partial"}),
    # ------------------------------------------------------------------------------------ refused, loudly
    package("refuse/type", f"{TS} › type and format", "A field's type property is a string indicating the type of "
            "this field (one of the types listed).", [{"name": "v", "type": "integr"}], b"v\n1\n", "refused"),
    package("refuse/format", f"{S} › string", "Supported formats: default, email, uri, binary, uuid.",
            [{"name": "v", "type": "string", "format": "phone"}], b"v\n1\n", "refused"),
    package("refuse/constraint", C, "Implementations SHOULD report an error if an attempt is made to evaluate a value "
            "against an unsupported constraint.", [{"name": "v", "type": "integer",
                                                     "constraints": {"multipleOf": 2}}], b"v\n3\n", "refused"),
    package("refuse/constraint-type", f"{C} › minimum", "Fields: integer, number, date, time, datetime, duration, "
            "year, yearmonth (not string)", [{"name": "v", "type": "string", "constraints": {"minimum": 1}}],
            b"v\n0\n", "refused"),
    package("refuse/pattern-type", f"{C} › pattern", "Fields: string", [
        {"name": "v", "type": "integer", "constraints": {"pattern": "[0-9]"}}], b"v\n1\n", "refused"),
    package("refuse/itemType", f"{S} › list", "itemType ... If present, it MUST be one of string, integer, boolean, "
            "number, datetme, date, and time.", [{"name": "v", "type": "list", "itemType": "object"}], b"v\n1\n",
            "refused"),
    package("refuse/date-format", f"{S} › date", "Supported formats: default, <PATTERN>, any",
            [{"name": "v", "type": "date", "format": "european"}], b"v\n1\n", "refused", ambiguous_verdict=True),
    package("refuse/enum-value", f"{C} › enum", "the physical representation of constraint values MAY be ... strings "
            "that are castable with the type and format rules of the field.",
            [{"name": "v", "type": "integer", "constraints": {"enum": ["one"]}}], b"v\n1\n", "refused"),
    package("refuse/minLength-negative", f"{C} › minLength", "An integer that specifies the minimum length",
            [{"name": "v", "type": "string", "constraints": {"minLength": -1}}], b"v\nx\n", "refused"),
    package("refuse/misspelt", f"{TS} › Field", "The field descriptor object MAY contain any number of other "
            "properties.", [{"name": "v", "type": "integer", "contraints": {"maximum": 1}}], b"v\n5\n", "refused",
            ambiguous_verdict=True),
]
AMBIGUOUS_PACKAGES = {
    "refuse/date-format": "A pattern without any strptime directive ('european') is, to the letter, a pattern that "
                          "matches only its own text; cmokit refuses it as a format mistake.",
    "refuse/misspelt": "The spec allows any other property on a field, so 'contraints' is legal and meaningless; "
                       "cmokit refuses a near miss of a Table Schema property name, so that a "
                       "misspelt constraint is never skipped in silence.",
}


def all_cases() -> list[Case]:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return CASES
