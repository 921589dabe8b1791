"""Time ``cmokit validate`` on a package that uses every Table Schema v2 type and constraint (1M rows by default).

    .venv/bin/python benchmarks/every_type.py                   # 1,000,000 rows in benchmarks/out/every_type
    .venv/bin/python benchmarks/every_type.py --rows 100000 --frictionless

One resource, 27 fields: every type (string with each format, number with decimalChar/groupChar/bareNumber,
integer, boolean with its own trueValues, object, array, list, datetime, date with a pattern, time, year, yearmonth,
duration, geopoint, geojson, any) and every constraint (required, unique, enum, categories, pattern, minLength,
maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum, jsonSchema), a primary key, a unique key, a
self-referencing foreign key and field-level missing values. The vectorised columns have about as many distinct
values as rows; the columns decided once per distinct value in Python (object, array, list, duration, geopoint,
geojson, the date pattern) hold ``--distinct`` distinct values (default 10,000). 100 errors are injected, one per
row, and the benchmark checks that cmokit reports exactly those (row, field, rule). cmokit runs as its own process
(wall time with start-up, peak memory of the child); frictionless on demand. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
V2 = "https://datapackage.org/profiles/2.0/datapackage.json"

FIELDS = [
    {"name": "id", "type": "integer", "constraints": {"required": True, "minimum": 1}},
    {"name": "parent", "type": "integer"},
    {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}-[0-9]{6}", "minLength": 9,
                                                       "maxLength": 9}},
    {"name": "email", "type": "string", "format": "email"},
    {"name": "uri", "type": "string", "format": "uri"},
    {"name": "uuid", "type": "string", "format": "uuid", "constraints": {"unique": True}},
    {"name": "blob", "type": "string", "format": "binary", "constraints": {"maxLength": 16}},
    {"name": "price", "type": "number", "decimalChar": ",", "groupChar": ".", "bareNumber": False,
     "constraints": {"minimum": 0, "exclusiveMaximum": 1000000}},
    {"name": "qty", "type": "integer", "constraints": {"exclusiveMinimum": 0, "maximum": 9007199254740993}},
    {"name": "ratio", "type": "number", "constraints": {"minimum": 0.1, "maximum": 1}},
    {"name": "flag", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"],
     "constraints": {"enum": [True, False]}},
    {"name": "colour", "type": "string", "categories": ["red", "green", "blue"]},
    {"name": "level", "type": "integer", "constraints": {"enum": [1, 2, 3, 4, 5]}, "missingValues": ["-"]},
    {"name": "meta", "type": "object", "constraints": {"maxLength": 3, "jsonSchema": {
        "type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}},
    {"name": "tags", "type": "array", "constraints": {"minLength": 1}},
    {"name": "items", "type": "list", "itemType": "integer", "constraints": {"minLength": 2}},
    {"name": "stamp", "type": "datetime", "constraints": {"minimum": "2000-01-01T00:00:00Z"}},
    {"name": "day", "type": "date", "format": "%d/%m/%Y", "constraints": {"maximum": "31/12/2030"}},
    {"name": "iso_day", "type": "date", "constraints": {"minimum": "1990-01-01"}},
    {"name": "clock", "type": "time", "constraints": {"maximum": "20:00:00"}},
    {"name": "yr", "type": "year", "constraints": {"minimum": 1990, "maximum": 2030}},
    {"name": "month", "type": "yearmonth", "constraints": {"exclusiveMaximum": "2031-01"}},
    {"name": "wait", "type": "duration", "constraints": {"maximum": "P1Y"}},
    {"name": "place", "type": "geopoint"},
    {"name": "shape", "type": "geojson"},
    {"name": "note", "type": "any", "constraints": {"required": True}},
    {"name": "label", "type": "string", "constraints": {"enum": ["a", "b", "c", "d"], "required": True}},
]
SCHEMA = {"fields": FIELDS, "primaryKey": ["id"], "uniqueKeys": [["code", "yr"]],
          "foreignKeys": [{"fields": ["parent"], "reference": {"fields": ["id"]}}], "missingValues": ["", "NA"]}
# (field, bad value, rule) injected, one per chosen row
ERRORS = [("price", "-1,5", "constraint.minimum"), ("qty", "0", "constraint.exclusiveMinimum"),
          ("ratio", "0.0999999999999999999999", "constraint.minimum"), ("flag", "true", "type.boolean"),
          ("colour", "pink", "constraint.categories"), ("level", "6", "constraint.enum"),
          ("meta", '{"n": "x"}', "constraint.jsonSchema"), ("tags", "[]", "constraint.minLength"),
          ("items", "1", "constraint.minLength"), ("stamp", "1999-12-31T23:59:59Z", "constraint.minimum"),
          ("day", "2024-01-01", "type.date"), ("iso_day", "2024-02-30", "type.date"),
          ("clock", "21:00:00", "constraint.maximum"), ("yr", "1989", "constraint.minimum"),
          ("wait", "P13M", "constraint.maximum"), ("place", "200, 10", "type.geopoint"),
          ("shape", '{"type": "Point"}', "type.geojson"), ("email", "a@@b.org", "type.string"),
          ("uri", "no scheme", "type.string"), ("code", "ab-123456", "constraint.pattern")]


def make(folder: Path, rows: int, distinct: int, seed: int = 1) -> list[tuple[int, str, str]]:
    """Write the package; return the injected (line, field, rule)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "datapackage.json").write_text(json.dumps({"$schema": V2, "name": "every-type", "resources": [
        {"name": "t", "path": "t.csv", "schema": SCHEMA}]}, indent=1), encoding="utf-8")
    pools = {
        "meta": [json.dumps({"n": i, "k": "v"}) for i in range(distinct)],
        "tags": [json.dumps(["t" + str(i), i]) for i in range(distinct)],
        "items": [f"{i},{i + 1},{i % 7}" for i in range(distinct)],
        "wait": [f"P{i % 12}M{i % 28}DT{i % 24}H" for i in range(distinct)],
        "place": [f"{(i * 7) % 359 - 179}.{i % 100:02d}, {(i * 3) % 179 - 89}.5" for i in range(distinct)],
        "shape": [json.dumps({"type": "Point", "coordinates": [i % 180, i % 90]}) for i in range(distinct)],
        "day": [f"{1 + i % 28}/{1 + i % 12}/{1990 + i % 40}" for i in range(distinct)],
    }
    bad_rows = sorted(rng.sample(range(2, rows), 100))
    injected = {r: ERRORS[k % len(ERRORS)] for k, r in enumerate(bad_rows)}
    out = []
    with open(folder / "t.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(f["name"] for f in FIELDS) + "\n")
        for i in range(1, rows + 1):
            p = i % distinct
            cells = {
                "id": str(i), "parent": str(rng.randint(1, i)) if i > 1 else "",
                "code": f"{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)}-{i % 1000000:06d}",
                "email": f"user{i}@example.org", "uri": f"https://example.org/item/{i}",
                "uuid": f"{i:08x}-0000-4000-8000-{i:012x}", "blob": "aGVsbG8=",
                "price": f'"{i % 1000}.{i % 10}00,{i % 100:02d} EUR"', "qty": str(1 + i % 100000),
                "ratio": f"0.{1 + i % 9}{i % 1000}", "flag": "yes" if i % 2 else "no",
                "colour": ("red", "green", "blue")[i % 3], "level": str(1 + i % 5) if i % 11 else "-",
                "meta": pools["meta"][p], "tags": pools["tags"][p], "items": pools["items"][p],
                "stamp": f"20{10 + i % 20}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00"
                         + ("Z" if i % 2 else "+02:00"),
                "day": pools["day"][p], "iso_day": f"{1990 + i % 35}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "clock": f"{i % 20:02d}:{i % 60:02d}:{(i * 7) % 60:02d}", "yr": str(1990 + i % 41),
                "month": f"{1990 + i % 41}-{1 + i % 12:02d}", "wait": pools["wait"][p],
                "place": f'"{pools["place"][p]}"', "shape": pools["shape"][p], "note": f"n{i % 97}",
                "label": "abcd"[i % 4],
            }
            for k in ("meta", "tags", "shape"):
                cells[k] = '"' + cells[k].replace('"', '""') + '"'
            cells["items"] = '"' + cells["items"] + '"'
            line = i + 1
            if line in injected:
                name, value, rule = injected[line]
                cells[name] = '"' + value.replace('"', '""') + '"'
                out.append((line, name, rule))
            fh.write(",".join(cells[f["name"]] for f in FIELDS) + "\n")
    return out


def timed(cmd: list[str], stdout: Path) -> tuple[float, float, int]:
    with open(stdout, "wb") as out:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        return time.perf_counter() - t, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--distinct", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--frictionless", action="store_true", help="also time frictionless validate")
    args = ap.parse_args()
    folder = HERE / "out" / f"every_type_{args.rows}"
    t = time.perf_counter()
    injected = make(folder, args.rows, args.distinct)
    size = (folder / "t.csv").stat().st_size / 1e6
    print(f"generated {args.rows:,} rows x {len(FIELDS)} fields ({size:.0f} MB) in {time.perf_counter() - t:.1f} s; "
          f"{len(injected)} injected errors")
    print(f"machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} before the run")
    best = None
    for _ in range(args.repeat):
        secs, mem, code = timed([str(BIN / "cmokit"), "validate", "-C", str(folder), "-f", "json"],
                                folder / "cmokit.json")
        best = (secs, mem, code) if best is None or secs < best[0] else best
    secs, mem, code = best
    report = json.loads((folder / "cmokit.json").read_text(encoding="utf-8"))
    got = sorted((p["line"], p["field"], p["rule"]) for p in report["errors"] if p["severity"] == "error")
    ok = got == sorted(injected)
    print(f"cmokit validate (best of {args.repeat}): {secs:.2f} s, {args.rows / secs:,.0f} rows/s, peak "
          f"{mem:,.0f} MB, exit {code}; reported {len(got)} errors: "
          f"{'exactly the injected ones' if ok else 'NOT the injected ones'}")
    if not ok:
        print("missing:", sorted(set(injected) - set(got))[:10], "unexpected:", sorted(set(got) - set(injected))[:10])
    if args.frictionless:
        fsecs, fmem, fcode = timed([str(BIN / "frictionless"), "validate", str(folder / "datapackage.json"),
                                    "--json", "--limit-errors", "1000000000"], folder / "frictionless.json")
        print(f"frictionless validate: {fsecs:.2f} s, peak {fmem:,.0f} MB, exit {fcode}: {fsecs / secs:.1f}x cmokit")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
