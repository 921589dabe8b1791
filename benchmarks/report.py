"""Benchmark `cmokit report` on the bundled review and on a large synthetic review.

    .venv/bin/python benchmarks/report.py [--studies 10000] [--out benchmarks/out/report-10000] [--repeat 3]

Each run is `cmokit report` in its own process (wall time including start-up; peak resident memory of that
process; size of the HTML file). The bundled review is copied to benchmarks/out/report-bundled first, so the
repository is never written. The synthetic review comes from ``benchmarks/make_synthetic.py`` (no injected errors;
reused when it is already there); its database is built first, then timed apart from the report. Targets: the
bundled review's report < 2 s, the synthetic one < 30 s and < 50 MB. Prints the figures and exits 1 if a target
is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CMOKIT = Path(sys.executable).parent / "cmokit"
BUNDLED_TARGET = 2.0
LARGE_TARGET = 30.0
SIZE_TARGET = 50e6


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one cmokit process."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    t = time.perf_counter()
    proc = subprocess.Popen([str(CMOKIT), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"cmokit {' '.join(args)} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def best(args: list[str], repeat: int) -> tuple[float, float, float]:
    runs = [run(args) for _ in range(max(1, repeat))]
    return runs[0][0], min(s for s, _ in runs), max(m for _, m in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=None, help="synthetic review folder (default benchmarks/out/report-N)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each report (default 3)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from make_synthetic import generate

    from cmokit.synthesis.build import build

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()}, load average {load:.1f}")
    ok = True

    bundled = HERE / "out" / "report-bundled"
    shutil.rmtree(bundled, ignore_errors=True)
    bundled.mkdir(parents=True)
    for part in ("datapackage.json", "schema", "extract", "validators", "queries"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, bundled / part)
    html = bundled / "report" / "index.html"
    cold, _ = run(["report", "-C", str(bundled)])  # builds the database first
    first, fastest, memory = best(["report", "-C", str(bundled)], max(5, args.repeat))
    size = html.stat().st_size
    ok &= fastest < BUNDLED_TARGET
    print("\nbundled review (33 studies): `cmokit report`, wall time with start-up")
    print("| run | seconds |")
    print("| --- | ---: |")
    print(f"| with the database build (no database yet) | {cold:.2f} |")
    print(f"| database up to date, first / best of {max(5, args.repeat)} | {first:.2f} / {fastest:.2f} |")
    print(f"report {size / 1e3:.0f} kB, peak memory {memory:.0f} MB; target < {BUNDLED_TARGET:.0f} s: "
          f"{'ok' if fastest < BUNDLED_TARGET else 'TOO SLOW'}")

    out = args.out or HERE / "out" / f"report-{args.studies}"
    if not (out / "datapackage.json").exists():
        t = time.perf_counter()
        generate(out, studies=args.studies, seed=1, errors=0)
        print(f"\ngenerated {out} ({args.studies:,} studies) in {time.perf_counter() - t:.1f} s")
    else:
        from make_synthetic import sync_package

        sync_package(out)
    t = time.perf_counter()
    result = build(out)
    built = time.perf_counter() - t
    rows = sum(result.tables.values())
    first, fastest, memory = best(["report", "-C", str(out)], args.repeat)
    size = (out / "report" / "index.html").stat().st_size
    fine = fastest < LARGE_TARGET and size < SIZE_TARGET and result.valid
    ok &= fine
    print(f"\nsynthetic review ({args.studies:,} studies, {rows:,} rows): database built in {built:.1f} s, then "
          f"`cmokit report` (first / best of {args.repeat}): {first:.2f} / {fastest:.2f} s, report "
          f"{size / 1e6:.1f} MB, peak memory {memory:.0f} MB; targets < {LARGE_TARGET:.0f} s and "
          f"< {SIZE_TARGET / 1e6:.0f} MB: {'ok' if fine else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
