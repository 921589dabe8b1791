"""Time ``cmokit validate`` against ``frictionless validate`` and the DuckDB floor on the same synthetic review.

    python benchmarks/validate.py                       # 100,000 studies in benchmarks/out/100000 (made if needed)
    python benchmarks/validate.py --studies 10000
    python benchmarks/validate.py --dir some/review     # an existing folder (with injected.json to check reports)
    python benchmarks/validate.py --no-frictionless     # skip the slow reference

Every command runs as a separate process (wall time includes Python start-up and imports; peak memory is the
child's maximum resident set size, from ``os.wait4``):

- ``cmokit validate DIR --format json``;
- ``frictionless validate DIR/datapackage.json --json --limit-errors 1000000000`` (frictionless stops at 1,000
  errors per resource by default; the limit is raised so that both tools do the whole job);
- the floor: a Python process that only loads every CSV of the package into DuckDB as text
  (``read_csv(..., all_varchar=true)`` into tables), no checks at all.

It then checks that the set of (resource, line, rule) errors cmokit reports equals ``DIR/injected.json`` exactly,
and times ``cmokit --help`` and, on the bundled review, ``cmokit validate`` against ``frictionless validate``.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
CMOKIT = str(BIN / "cmokit")
FRICTIONLESS = str(BIN / "frictionless")

FLOOR = """
import json, sys, time, duckdb
root = sys.argv[1]
pkg = json.load(open(root + "/datapackage.json", encoding="utf-8"))
con = duckdb.connect()
rows = 0
for r in pkg["resources"]:
    con.execute(f"CREATE TABLE \\"{r['name']}\\" AS SELECT * FROM read_csv(?, all_varchar=true, header=true)",
                [root + "/" + r["path"]])
    rows += con.execute(f"SELECT count(*) FROM \\"{r['name']}\\"").fetchone()[0]
print(rows)
"""


def run(cmd: list[str], stdout_path: Path | None = None, cwd: Path | None = None) -> tuple[float, float, int]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB of the child, exit code)."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE if stdout_path is None else subprocess.DEVNULL,
                             cwd=cwd)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout_path:
            out.close()
    rss_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return wall, rss_mb, p.returncode


def best(cmd: list[str], repeat: int, cwd: Path | None = None) -> float:
    return min(run(cmd, cwd=cwd)[0] for _ in range(repeat))


def machine() -> str:
    cores = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        mem_s = f"{mem:.0f} GB RAM"
    except (ValueError, OSError):
        mem_s = "RAM unknown"
    return f"{cores} cores, {mem_s}, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def ensure(dir_: Path, studies: int, seed: int, errors: int | None) -> dict:
    sys.path.insert(0, str(HERE))
    from make_synthetic import KINDS, generate, sync_package

    inj = dir_ / "injected.json"
    if inj.exists():
        info = json.loads(inj.read_text(encoding="utf-8"))
        if info.get("studies") == studies:
            sync_package(dir_)  # the review's rules and schemas as they are now in the repository
            return info

    t = time.perf_counter()
    info = generate(dir_, studies, seed, errors if errors is not None else 2 * len(KINDS))
    print(f"generated {dir_} in {time.perf_counter() - t:.1f} s")
    return info


def check_reports(report: dict, injected: list[dict]) -> tuple[list, list, int]:
    """Compare cmokit's errors with the injected ones on (resource, line, rule)."""
    errors = [e for e in report.get("errors", []) if e.get("severity", "error") == "error"]
    got = {(e["resource"], e["line"], e["rule"]) for e in errors}
    want = {(e["resource"], e["line"], e["rule"]) for e in injected}
    return sorted(want - got, key=str), sorted(got - want, key=str), len(errors)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, help="review folder (default benchmarks/out/<studies>)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--errors", type=int, default=None, help="injected errors when generating")
    ap.add_argument("--no-frictionless", action="store_true", help="skip frictionless on the large folder")
    ap.add_argument("--repeat", type=int, default=3, help="runs of cmokit and the floor on the large folder (best)")
    a = ap.parse_args(argv)
    dir_ = a.dir or HERE / "out" / str(a.studies)
    if a.dir and not (dir_ / "injected.json").exists() and (dir_ / "datapackage.json").exists():
        info = {"studies": None, "errors": None, "total_rows": None}
    else:
        info = ensure(dir_, a.studies, a.seed, a.errors)

    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f} (other work skews the times)")
    print(f"folder: {dir_}  studies: {info['studies']}  rows: {info['total_rows']}  "
          f"CSV: {sum(p.stat().st_size for p in (dir_ / 'extract').rglob('*.csv')) / 1e6:.0f} MB")
    rows = info["total_rows"]

    results: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cmokit.json"
        runs = [run([CMOKIT, "validate", "-C", str(dir_), "-f", "json"], out) for _ in range(a.repeat)]
        results["cmokit validate"] = min(runs)
        text = out.read_text(encoding="utf-8")
        try:
            report = json.loads(text)
        except json.JSONDecodeError:
            print(f"cmokit printed no JSON report (exit {results['cmokit validate'][2]}): {text[:500]}")
            report = {}
        floor = [run([sys.executable, "-c", FLOOR, str(dir_)]) for _ in range(a.repeat)]
        results["DuckDB floor (load as text)"] = min(floor)
        if not a.no_frictionless:
            fl_out = Path(tmp) / "frictionless.json"
            results["frictionless validate"] = run([FRICTIONLESS, "validate", str(dir_ / "datapackage.json"),
                                                    "--json", "--limit-errors", "1000000000"], fl_out)
            try:
                fl = json.loads(fl_out.read_text(encoding="utf-8"))
                fl_errors = sum(len(t.get("errors", [])) for t in fl.get("tasks", []))
            except (json.JSONDecodeError, OSError):
                fl_errors = -1

    print()
    print("| tool | seconds | rows/s | peak memory (MB) | exit |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (sec, mb, code) in results.items():
        rps = f"{rows / sec:,.0f}" if rows else "-"
        print(f"| {name} | {sec:.2f} | {rps} | {mb:,.0f} | {code} |")
    c = results["cmokit validate"][0]
    f_ = results["DuckDB floor (load as text)"][0]
    if "frictionless validate" in results:
        print(f"\nfrictionless / cmokit = {results['frictionless validate'][0] / c:.1f}x  (target >= 10x); "
              f"frictionless reported {fl_errors} errors")
    print(f"cmokit / floor = {c / f_:.2f}x  (target <= 3x)")
    print(f"cmokit peak memory = {results['cmokit validate'][1]:,.0f} MB  (target < 2048 MB)")

    ok = True
    if info.get("errors") is not None:
        missing, unexpected, n = check_reports(report, info["errors"])
        print(f"\ncmokit reported {n} errors; injected {len(info['errors'])}: "
              f"{len(missing)} missing, {len(unexpected)} unexpected")
        for m in missing[:30]:
            print("  missing   ", m)
        for u in unexpected[:30]:
            print("  unexpected", u)
        ok = not missing and not unexpected and n == len(info["errors"])
        print("every injected error reported and nothing else:", "YES" if ok else "NO")

    print("\nstart-up and the bundled review (best of 5):")
    helpt = best([CMOKIT, "--help"], 5)
    cm_b = best([CMOKIT, "validate", "-C", str(ROOT), "-f", "json"], 5)
    fl_b = best([FRICTIONLESS, "validate", str(ROOT / "datapackage.json"), "--json"], 5)
    print(f"| cmokit --help | {helpt:.3f} s | (target < 0.3 s)")
    print(f"| cmokit validate (bundled review) | {cm_b:.2f} s |")
    print(f"| frictionless validate (bundled review) | {fl_b:.2f} s | (cmokit must be faster: "
          f"{'yes' if cm_b < fl_b else 'NO'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
