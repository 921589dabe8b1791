"""Benchmark spreadsheets: reading a reviewer's workbook with validation, and the Excel export.

    .venv/bin/python benchmarks/xlsx.py [--studies 10000] [--out benchmarks/out/xlsx-10000] [--repeat 3]

Writes a valid synthetic review with ``benchmarks/make_synthetic.py`` (no injected errors; reused when there), then:

- a submission workbook ``extract/reviewers/bench/bench.xlsx`` holding its five extraction tables, one sheet each
  (written with XlsxWriter as a reviewer's Excel would hold them: numbers as numbers, text as text), and times
  ``cmokit validate -C DIR --reviewer bench -f json`` in its own process (wall time with start-up, peak resident
  memory); targets < 30 s and < 1 GB;
- ``cmokit build``, then ``cmokit export -o TMP -f xlsx`` in its own process; target < 10 s.

Best of ``--repeat`` runs each. Prints the figures (docs/performance.md, "Spreadsheets") and exits 1 if a target is
missed. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
READ_TARGET_S, READ_TARGET_MB, EXPORT_TARGET_S = 30.0, 1024.0, 10.0
TABLES = ("studies", "cmo", "measures", "resource_inputs", "appraisal")


def write_submission(review: Path) -> tuple[Path, int]:
    """The review's consensus tables as one reviewer's workbook; returns its path and its number of rows."""
    import polars as pl
    import xlsxwriter

    from cmokit.package.model import Review

    rv = Review.open(review)
    path = review / "extract" / "reviewers" / "bench" / "bench.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    for name in TABLES:
        res = rv.resource(name)
        frame = pl.read_csv(res.path, infer_schema=False)
        ws = wb.add_worksheet(name)
        numeric = [f.type in ("integer", "number") for f in res.fields]
        for j, f in enumerate(res.field_names):
            ws.write_string(0, j, f)
        for i, row in enumerate(frame.select(res.field_names).iter_rows(), 1):
            for j, v in enumerate(row):
                if not v:
                    continue
                if numeric[j] and v not in res.missing_values:
                    ws.write_number(i, j, float(v))
                else:
                    ws.write_string(i, j, v)
        rows += frame.height
    wb.close()
    return path, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    out = args.out or HERE / "out" / f"xlsx-{args.studies}"
    sys.path.insert(0, str(HERE))
    if args.prepare_only:
        from make_synthetic import make_review

        if not (out / "datapackage.json").exists():
            make_review(out, studies=args.studies, seed=1, errors=0)
        t = time.perf_counter()
        book, rows = write_submission(out)
        print(f"submission workbook: {rows:,} rows, {book.stat().st_size / 2**20:.1f} MB, written in "
              f"{time.perf_counter() - t:.1f} s")
        return 0
    from validate import machine, run

    # the review and the workbook are made in a child process, so that the measured commands' peak memory is
    # theirs (a child counts its parent's pages until it starts the command)
    subprocess.run([sys.executable, __file__, "--prepare-only", "--studies", str(args.studies), "--out", str(out)],
                   check=True)
    print(f"{machine()}; load average {os.getloadavg()[0]:.1f}")
    report = out / "validate.json"
    reads = [run([str(BIN / "cmokit"), "validate", "-C", str(out), "--reviewer", "bench", "-f", "json"], report)
             for _ in range(args.repeat)]
    wall, rss, code = min(reads)
    summary = json.loads(report.read_text())["summary"]
    print(f"cmokit validate --reviewer (workbook): {wall:.2f} s (best of {args.repeat}; runs "
          f"{', '.join(f'{r[0]:.2f}' for r in reads)}), peak {rss:,.0f} MB, exit {code}, "
          f"{summary['errors']} errors, {summary['warnings']} warnings")
    built = run([str(BIN / "cmokit"), "build", "-C", str(out)])
    print(f"cmokit build: {built[0]:.2f} s, exit {built[2]}")
    exports = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            exports.append(run([str(BIN / "cmokit"), "export", "-C", str(out), "-o", tmp, "-f", "xlsx"]))
            size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    ewall, erss, ecode = min(exports)
    print(f"cmokit export -f xlsx: {ewall:.2f} s (best of {args.repeat}; runs "
          f"{', '.join(f'{r[0]:.2f}' for r in exports)}), peak {erss:,.0f} MB, {size / 2**20:.1f} MB, exit {ecode}")
    missed = [what for what, bad in (("read < 30 s", wall >= READ_TARGET_S), ("read < 1 GB", rss >= READ_TARGET_MB),
                                     ("export < 10 s", ewall >= EXPORT_TARGET_S)) if bad]
    print("targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed or code not in (0, 1) else 0


if __name__ == "__main__":
    sys.exit(main())
