"""Point 11: the query sandbox is bounded: a time limit, a memory limit, few threads, no spill directory SQL could
reach, Ctrl-C as exit 130, and rows streamed so that a big result never sits whole in memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.synthesis.database import DEFAULT_DB, Limits
from cmokit.synthesis.query import BATCH_ROWS, QueryStream

CMOKIT = str(Path(sys.executable).with_name("cmokit"))
ENDLESS = "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3"  # minutes on this machine


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    r = copy_review(tmp_path_factory.mktemp("limits") / "review")
    assert CliRunner().invoke(main, ["build", "-C", str(r)]).exit_code == 0
    return r


def q(review: Path, *args: str):
    return CliRunner().invoke(main, ["query", "-C", str(review), "--no-rebuild", *args])


def test_a_runaway_query_is_stopped_at_the_time_limit(review):
    """Point 11: `range(100000000000)` ran until killed; now --timeout ends it: one line, exit 2."""
    t0 = time.perf_counter()
    res = q(review, ENDLESS, "--timeout", "1")
    assert time.perf_counter() - t0 < 30
    assert res.exit_code == 2
    assert res.stderr == ("Error: the query ran longer than the time limit (1 s) and was stopped. Make it cheaper "
                          "(filter, aggregate, LIMIT) or allow more time with --timeout SECONDS.\n")


def test_a_query_over_the_memory_limit_is_stopped(review):
    """Point 11: `list(repeat('x',1000)) FROM range(10000000)` reached 9.2 GB; now it stops at --memory-limit."""
    res = q(review, "SELECT list(repeat('x', 1000)) FROM range(10000000)", "--memory-limit", "200MB")
    assert res.exit_code == 2
    assert res.stderr == ("Error: the query needed more memory than the limit (200MB) and was stopped. Make it "
                          "cheaper (filter, aggregate, LIMIT) or allow more with --memory-limit SIZE (e.g. 4GB).\n")


def test_limits_are_set_and_locked(review):
    """The limits are DuckDB settings, set before the configuration is locked; there is no spill directory."""
    res = q(review, "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t, "
                    "current_setting('temp_directory') AS d", "-f", "csv", "--memory-limit", "300MB")
    assert res.exit_code == 0, res.output
    assert res.stdout == "m,t,d\n286.1 MiB,2,\n"
    assert "locked" in q(review, "SET memory_limit = '10GB'").stderr


def test_the_spill_directory_is_out_of_reach(review):
    """Point 11: DuckDB's default temp folder `<db>.tmp/` was writable from SQL when it existed; now the sandbox
    has no temp folder at all (DuckDB lets SQL into its own), so nothing can be written there."""
    tmp = Path(str(review / DEFAULT_DB) + ".tmp")
    tmp.mkdir()
    try:
        for sql in (f"COPY (SELECT 1) TO '{tmp}/x.csv'", f"SELECT * FROM glob('{tmp}/*')"):
            res = q(review, sql)
            assert res.exit_code == 2 and "disabled by configuration" in res.stderr, res.output
        assert list(tmp.iterdir()) == []
    finally:
        tmp.rmdir()


def test_bad_limits_are_usage_errors(review):
    for args, text in ((["--memory-limit", "lots"], "--memory-limit 'lots' is not a size"),
                       (["--timeout", "0"], "--timeout 0: give a number of seconds above 0")):
        res = q(review, "SELECT 1", *args)
        assert res.exit_code == 2 and text in res.stderr, res.output


def test_rows_arrive_in_batches(review):
    """The library reads a result batch by batch; every row arrives, in order, none of them twice."""
    with QueryStream(review / DEFAULT_DB, "SELECT i FROM range(5000) t(i) ORDER BY i", limits=Limits()) as s:
        sizes, rows = [], []
        for batch in s.batches():
            sizes.append(len(batch))
            rows += [r[0] for r in batch]
    assert s.columns == ["i"] and rows == list(range(5000))
    assert max(sizes) == BATCH_ROWS < 5000


def _wait_until_querying(proc: subprocess.Popen, db: Path, timeout: float = 60, settle: float = 0.3) -> None:
    """Until the process has had the database open for ``settle`` seconds (it connects right before the query)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if any(os.readlink(f"/proc/{proc.pid}/fd/{fd}") == str(db) for fd in os.listdir(f"/proc/{proc.pid}/fd")):
                time.sleep(settle)
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("the query never started")


def test_ctrl_c_ends_a_query_with_exit_130_and_no_traceback(review):
    """Point 11: Ctrl-C printed 'Internal error ... This is a bug', exit 3."""
    # a shell without job control starts background jobs (a CI runner's, say) with SIGINT ignored, and an ignored
    # signal stays ignored across exec: give the child Ctrl-C's default disposition, as a terminal would
    proc = subprocess.Popen([CMOKIT, "query", "-C", str(review), "--no-rebuild", ENDLESS], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_until_querying(proc, review / DEFAULT_DB)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (130, "", "Interrupted.\n")


def test_ctrl_c_at_any_moment_of_the_start_ends_the_query(review):
    """A Ctrl-C landing as DuckDB started the query went unanswered (about one time in five, whatever the load):
    pressed at ten moments from the opening of the database on, each run ends with exit 130 within seconds."""
    for delay in [i * 0.04 for i in range(10)]:
        proc = subprocess.Popen([CMOKIT, "query", "-C", str(review), "--no-rebuild", ENDLESS],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            _wait_until_querying(proc, review / DEFAULT_DB, settle=delay)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
        finally:
            proc.kill()
        assert (proc.returncode, err) == (130, "Interrupted.\n"), delay


def test_a_big_result_is_streamed_with_bounded_memory(review, tmp_path):
    """Point 11: DuckDB's memory limit does not cover rows fetched into Python; they are written batch by batch,
    so 300,000 rows of 1 KB (300 MB of CSV) go through a process that stays far below that."""
    out = tmp_path / "big.csv"
    # a small launcher: the peak of a child forked from pytest itself would count pytest's own pages
    launcher = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
                "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", launcher, CMOKIT, "query", "-C", str(review), "--no-rebuild", "-o",
                           str(out), "SELECT i, repeat('x', 1000) AS v FROM range(300000) t(i)"],
                          capture_output=True, text=True, check=True)
    code, peak_kb = map(int, done.stdout.split())
    assert code == 0, done.stderr
    assert peak_kb < 250 * 1024, f"peak {peak_kb // 1024} MB"
    assert out.stat().st_size > 300_000_000
    with open(out, encoding="utf-8") as fh:
        assert next(fh) == "i,v\n" and sum(1 for _ in fh) == 300_000


def test_a_stopped_query_leaves_no_partial_output_file(review, tmp_path):
    out = tmp_path / "result.csv"
    res = q(review, ENDLESS, "--timeout", "1", "-o", str(out))
    assert res.exit_code == 2 and list(tmp_path.iterdir()) == []
