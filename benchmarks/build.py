"""Benchmark `cmokit build` and every named query on a large synthetic review.

    .venv/bin/python benchmarks/build.py [--studies 100000] [--out benchmarks/out/build-100k] [--repeat 3]

Writes a valid synthetic review with ``benchmarks/make_synthetic.py`` (no injected errors; reused when it is
already there), builds its database with validation (the same call as `cmokit build`), then runs every named query
in ``queries/`` against it (first run and best of ``--repeat``). Targets: build < 15 s including validation, every
query < 1 s. Prints the figures (the README's Performance table) and exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD_TARGET = 15.0
QUERY_TARGET = 1.0
# values for the named queries' required parameters
PARAMS = {"band": "adolescents", "recipient": "child", "text": "depression", "theory": "theory-1"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=None, help="synthetic review folder (default benchmarks/out/build-N)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per query (default 3)")
    args = ap.parse_args(argv)
    out = args.out or HERE / "out" / f"build-{args.studies}"

    sys.path.insert(0, str(HERE))
    from make_synthetic import generate

    from cmokit.package.model import Review
    from cmokit.synthesis.build import build
    from cmokit.synthesis.query import list_named, run_named

    if not (out / "datapackage.json").exists():
        t = time.perf_counter()
        info = generate(out, studies=args.studies, seed=1, errors=0)
        print(f"generated {out} ({info.get('studies', args.studies):,} studies) in {time.perf_counter() - t:.1f} s")
    csv_bytes = sum(p.stat().st_size for p in (out / "extract" / "consensus").glob("*.csv"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()}, load average {load:.1f}")
    db = out / ".cmokit" / "review.duckdb"
    result = build(out, db)
    rows = sum(result.tables.values())
    print(f"\nbuild ({args.studies:,} studies, {rows:,} rows, {csv_bytes / 1e6:.0f} MB of CSV):")
    print(f"  validation done after {result.validation_seconds:6.2f} s (runs in a thread beside the loading)")
    print(f"  total                 {result.seconds:6.2f} s   (target < {BUILD_TARGET:.0f} s)  "
          f"{'ok' if result.seconds < BUILD_TARGET else 'TOO SLOW'}")
    print(f"  database file {db.stat().st_size / 1e6:.0f} MB, missing cells kept {result.missing_cells:,}")
    ok = result.valid and result.seconds < BUILD_TARGET

    review = Review.open(out)
    print(f"\nnamed queries (first run / best of {args.repeat}, target < {QUERY_TARGET:.0f} s):")
    print("| query | rows | first (s) | best (s) |")
    print("| --- | ---: | ---: | ---: |")
    for nq in list_named(review):
        params = {p.name: PARAMS[p.name] for p in nq.params if p.required}
        times = []
        for _ in range(max(1, args.repeat)):
            t = time.perf_counter()
            res = run_named(db, nq, params)
            times.append(time.perf_counter() - t)
        slow = max(times[0], min(times)) >= QUERY_TARGET
        ok &= not slow
        print(f"| {nq.name} | {len(res.rows):,} | {times[0]:.3f} | {min(times):.3f} |{' TOO SLOW' if slow else ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
