"""Benchmark: compare two reviewers' submissions of N studies each (default 100,000).

    python benchmarks/compare.py [--studies 100000] [--seed 1] [--repeat 3] [--work DIR] [--worst] [--blank-last]

Makes a synthetic review with ``benchmarks/make_synthetic.py`` (no injected errors), copies its consensus into
two reviewer folders, perturbs reviewer B (1% of studies get a different code, 1% a different free text, 1% their
cmo rows renumbered in reverse, 0.1% missing from B), then times ``cmokit.extraction.compare.compare`` end to end
(hashing, reading, normalising, matching, statistics and conflicts) and prints the figures. ``--worst``: instead,
every cmo row of every study differs in its text (B rewrites a word of each free-text cell), so that every row
goes through the similarity matching. ``--blank-last``: also, in both submissions, the last cell of a third of the
rows of every table is empty and written as spreadsheets write it (nothing between the last comma and the line end;
polars would write ``""``), so that the reader has to tell empty last cells from short records.

Each timed run is its own process, so its peak memory (maximum resident set, in MiB) is the comparison's alone.
Every run prints its wall time, its CPU time (all threads) and the load average of the machine just before it:
on a shared machine the wall time says little without them. Targets: < 10 s (the usual case), < 20 s (the worst
case), peak memory <= 1.5 GiB (1,536 MiB).

``--child DIR`` times one comparison of an already built folder (``--work DIR`` of an earlier run) and prints its
figures as JSON, e.g. to compare two versions of the code on the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def perturb(folder: Path, seed: int) -> dict[str, int]:
    """Change reviewer B's copy in place; return how many studies got each kind of change."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    studies = pl.read_csv(folder / "studies.csv", infer_schema=False)
    ids = studies["study_id"].to_numpy()
    pick = lambda share: set(rng.choice(ids, size=max(1, int(len(ids) * share)), replace=False).tolist())  # noqa: E731
    code, text, renum, drop = pick(0.01), pick(0.01), pick(0.01), pick(0.001)
    cmo = pl.read_csv(folder / "cmo.csv", infer_schema=False)
    flip = {"improved": "mixed", "mixed": "improved", "no_change": "worse", "worse": "no_change",
            "not_reported": "improved", "not_applicable": "improved"}
    cmo = cmo.with_columns(
        pl.when(pl.col("study_id").is_in(list(code)) & (pl.col("cmo_number") == "1"))
        .then(pl.col("ss_effect").replace(flip)).otherwise(pl.col("ss_effect")).alias("ss_effect"),
        pl.when(pl.col("study_id").is_in(list(renum)))
        .then((pl.col("cmo_number").cast(pl.Int64).max().over("study_id") + 1 - pl.col("cmo_number").cast(pl.Int64))
              .cast(pl.String)).otherwise(pl.col("cmo_number")).alias("cmo_number"))
    studies = studies.with_columns(pl.when(pl.col("study_id").is_in(list(text)))
                                   .then(pl.col("provider") + " (as reviewer B read it)").otherwise(pl.col("provider")))
    for name, df in (("studies", studies), ("cmo", cmo)):
        df.write_csv(folder / f"{name}.csv")
    for f in folder.glob("*.csv"):
        df = pl.read_csv(f, infer_schema=False)
        if "study_id" in df.columns:  # theories are not per study
            df.filter(~pl.col("study_id").is_in(list(drop))).write_csv(f)
    return {"code": len(code), "text": len(text), "renumbered": len(renum), "dropped": len(drop)}


def worst(folder: Path) -> int:
    """Reviewer B words every free-text cell of every cmo row differently (one word changed); return the rows."""
    import polars as pl

    from cmokit.package.model import Review

    cmo = pl.read_csv(folder / "cmo.csv", infer_schema=False)
    text = [f.name for f in Review.open(folder.parents[2]).resource("cmo").fields
            if f.type == "string" and not f.codes() and f.name not in ("study_id", "cmo_number")]
    cmo = cmo.with_columns([pl.col(c).str.replace(r"\b(\w+)\b", "${1}s") for c in text])
    cmo.write_csv(folder / "cmo.csv")
    return cmo.height


def blank_last(folder: Path, unquote_only: bool = False) -> None:
    """Empty the last cell of every third row of each table (unless ``unquote_only``), and write empty last cells as
    spreadsheets do: ``a,b,`` rather than polars' ``a,b,""``."""
    import polars as pl

    for f in folder.glob("*.csv"):
        if not unquote_only:
            df = pl.read_csv(f, infer_schema=False)
            last = df.columns[-1]
            df.with_columns(pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("")).otherwise(pl.col(last))
                            .alias(last)).write_csv(f)
        f.write_bytes(f.read_bytes().replace(b',""\n', b",\n"))


def child(work: Path) -> None:
    """One timed comparison in this process: print its figures as JSON. polars is not loaded before cmokit, as in
    the ``cmokit`` command (cmokit sets polars' allocator up before polars is loaded)."""
    from cmokit.extraction.compare import compare
    from cmokit.package.model import Review

    review = Review.open(work)
    t0, c0 = time.perf_counter(), time.process_time()
    result = compare(review, ["a", "b"])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, overall = result.totals()
    unmatched = sum(t.unmatched_a.height + t.unmatched_b.height for p in result.pairs for t in p.tables)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "conflicts": len(result.conflicts), "pairs": overall[0]["n"],
                      "agreement": overall[0]["agreement"], "unmatched": unmatched,
                      "peak_mib": peak_mib()}))


def peak_mib() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` of its own address space where Linux gives it (a
    child's ``ru_maxrss`` starts at its parent's peak: this script builds the review in its own process first),
    else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 2**20 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="Time compare this many times (default 3; 0: only build).")
    ap.add_argument("--work", type=Path, default=None, help="Folder to build in (default: a temporary folder).")
    ap.add_argument("--worst", action="store_true", help="Every cmo row of B differs in its text.")
    ap.add_argument("--blank-last", action="store_true", help="A third of the last cells empty, as spreadsheets write.")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        return child(args.child)
    import polars as pl
    from make_synthetic import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="cmokit-compare-"))
    t0 = time.perf_counter()
    generate(work, studies=args.studies, seed=args.seed, errors=0)
    from cmokit.package.model import Review
    from cmokit.package.submission import extraction_resources

    tables = {r.name for r in extraction_resources(Review.open(work))}  # not prisma, decisions
    for who in ("a", "b"):
        dest = work / "extract" / "reviewers" / who
        dest.mkdir(parents=True, exist_ok=True)
        for f in (work / "extract" / "consensus").glob("*.csv"):
            if f.stem in tables:
                shutil.copy2(f, dest / f.name)
    if args.blank_last:
        for who in ("a", "b"):
            blank_last(work / "extract" / "reviewers" / who)
    changes = ({"cmo rows reworded": worst(work / "extract" / "reviewers" / "b")} if args.worst else
               perturb(work / "extract" / "reviewers" / "b", args.seed))
    if args.blank_last:  # B was written again by polars
        blank_last(work / "extract" / "reviewers" / "b", unquote_only=True)
    rows = sum(pl.scan_csv(f, infer_schema=False).select(pl.len()).collect().item()
               for f in (work / "extract" / "reviewers" / "a").glob("*.csv"))
    print(f"built {args.studies:,} studies ({rows:,} rows per reviewer) in {time.perf_counter() - t0:.1f} s; "
          f"B perturbed: {changes}")
    times, peaks = [], []
    for _ in range(args.repeat):
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        out = subprocess.run([sys.executable, __file__, "--child", str(work)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(r["seconds"])
        peaks.append(r["peak_mib"])
        print(f"compare a b: {r['seconds']:.2f} s (CPU {r['cpu']:.2f} s, load average {load:.1f} before), peak memory "
              f"{r['peak_mib']:,.0f} MiB, for "
              f"{args.studies:,} studies x 2 reviewers ({r['conflicts']:,} conflicts, {r['pairs']:,} value pairs, "
              f"{r['unmatched']:,} unmatched rows, agreement {r['agreement']:.4f})")
    if not times:  # --repeat 0: only build the folder (with --work, for --child runs)
        return
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    target = 20 if args.worst else 10
    print(f"best of {len(times)}: {min(times):.2f} s (target < {target} s), peak memory {max(peaks):,.0f} MiB at most "
          f"(target <= 1,536 MiB); {os.cpu_count()} cores, load average {load:.1f} after")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
