"""Point 5 and 9 of the workflow under faults: a `cmokit reconcile` killed (SIGKILL) at every step of its write phase
leaves, once the next run has recovered, every file all old or all new; the rerun is clean; stale locks and the
temporary files of dead runs (reconcile and build) do not block or linger."""

from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from _dual import consensus, fill, submit
from click.testing import CliRunner

from cmokit.cli import main
from cmokit.extraction import switch

CMOKIT = str(Path(sys.executable).with_name("cmokit"))
EPOCH = "1764133200"
FOLDER = Path("extract") / "consensus"


def state(review: Path) -> dict[str, bytes]:
    """Every file of the consensus folder, by name (temporary files, locks and journals included)."""
    return {p.name: p.read_bytes() for p in sorted((review / FOLDER).iterdir())}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A review whose reconcile changes every submitted table and the log: (review, files before, files after).

    The consensus folder also holds tables nobody submitted (theories, evidence, prisma): reconcile leaves them."""
    from conftest import copy_review

    review = copy_review(tmp_path_factory.mktemp("crash") / "review")
    base = consensus(review)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    for t, field, value in (("studies", "provider", "peer volunteers"), ("cmo", "notes", "a note"),
                            ("measures", "notes", "a note"), ("resource_inputs", "source", "a source"),
                            ("appraisal", "notes", "a note")):
        a[t][1][0][field] = value  # alice's first row of every table differs from bob's (and the consensus)
    submit(review, "alice", a)
    submit(review, "bob", b)
    path = review / "conflicts.csv"
    assert CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review), "--conflicts", str(path)]
                              ).exit_code == 0
    lines = path.read_text().splitlines()[2:]
    fill(path, {tuple(line.split(",")[:3]): ("a", "", "carol", "alice read it right") for line in lines})
    before = state(review)
    done = review.parent / "done"
    shutil.copytree(review, done)
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(done / "conflicts.csv"), "-C",
                                    str(done)], env={"SOURCE_DATE_EPOCH": EPOCH})
    assert res.exit_code == 0, res.output
    after = state(done)
    changed = {f"{t}.csv" for t in a} | {"decisions.csv"}  # every submitted table and the log change; the rest not
    assert set(after) == set(before) and all((after[n] != before[n]) == (n in changed) for n in before)
    return review, before, after


def written(before: dict[str, bytes], after: dict[str, bytes]) -> int:
    """How many files the reconcile switches (stages, then renames)."""
    return sum(before[n] != after[n] for n in before)


def test_a_reconcile_killed_anywhere_in_its_write_phase_is_all_old_or_all_new(prepared, tmp_path):
    """Point 5: kill -9 at each of the 14 steps (6 files staged, the journal, 6 renames, the end): after recovery
    every file is old or every file is new, never a mix; no temporary file, lock or journal is left; the rerun
    writes exactly what an uninterrupted run writes."""
    review, before, after = prepared
    steps = 2 * written(before, after) + 2
    runs = {}
    for n in range(1, steps + 1):  # all at once: each in its own copy
        copy_ = tmp_path / f"kill-{n}"
        shutil.copytree(review, copy_)
        env = {**os.environ, switch.KILL_ENV: str(n), "SOURCE_DATE_EPOCH": EPOCH}
        runs[n] = (copy_, subprocess.Popen([CMOKIT, "reconcile", "alice", "bob", "--decisions",
                                            str(copy_ / "conflicts.csv"), "-C", str(copy_)], env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    outcomes = {}
    for n, (copy_, proc) in runs.items():
        assert proc.wait(timeout=120) == -signal.SIGKILL, f"step {n}: not killed"
        raw = state(copy_)
        assert switch.LOCK_NAME in raw  # the dead run's lock is still there
        with switch.Lock(copy_ / FOLDER) as lock:  # what the next run does first
            assert lock.taken_over and "no longer running" in lock.taken_over
            switch.recover(copy_ / FOLDER, {copy_ / FOLDER}, set(before))
        now = {k: v for k, v in state(copy_).items() if k != switch.LOCK_NAME}
        assert now in (before, after), f"step {n}: a mix of old and new files, or a leftover: {sorted(now)}"
        outcomes[n] = "new" if now == after else "old"
        res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(copy_ / "conflicts.csv"),
                                        "-C", str(copy_)], env={"SOURCE_DATE_EPOCH": EPOCH})
        assert res.exit_code == 0, (n, res.output)
        assert state(copy_) == after, f"step {n}: the rerun differs from an uninterrupted run"
    # killed while staging: rolled back; once the journal is written: finished
    n_files = written(before, after)
    assert [outcomes[n] for n in range(1, steps + 1)] == ["old"] * n_files + ["new"] * (n_files + 2)
    assert switch.KILL_ENV not in os.environ


def test_a_kill_between_two_renames_is_finished_by_the_next_run(prepared, tmp_path):
    """Point 5: right after the kill some files are new and some old (and the journal lists the rest); the next
    `cmokit reconcile` finishes the switch first, says so, and ends with the uninterrupted result."""
    review, before, after = prepared
    copy_ = tmp_path / "mid"
    shutil.copytree(review, copy_)
    kill_at = written(before, after) + 3  # the journal written, then two renames
    env = {**os.environ, switch.KILL_ENV: str(kill_at), "SOURCE_DATE_EPOCH": EPOCH}
    proc = subprocess.run([CMOKIT, "reconcile", "alice", "bob", "--decisions", str(copy_ / "conflicts.csv"), "-C",
                           str(copy_)], env=env, capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    raw = state(copy_)
    new = [n for n in before if raw.get(n) == after[n] != before[n]]
    assert len(new) == 2 and switch.JOURNAL_NAME in raw
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(copy_ / "conflicts.csv"), "-C",
                                    str(copy_)], env={"SOURCE_DATE_EPOCH": EPOCH})
    assert res.exit_code == 0, res.output
    assert "Warning: took over the lock" in res.stderr
    assert "Warning: finished the reconcile that pid" in res.stderr
    assert "4 of 6 file(s) were still to be switched" in res.stderr
    assert state(copy_) == after


def test_a_stale_lock_is_taken_over_with_a_warning_and_a_live_one_refuses(prepared, tmp_path, folder_state):
    """Point 9: a lock whose process is gone no longer blocks (a warning names it); one held by a running process
    refuses with exit 2 and names it; nothing is written then."""
    review, before, after = prepared
    copy_ = tmp_path / "lock"
    shutil.copytree(review, copy_)
    lock = copy_ / FOLDER / switch.LOCK_NAME
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(f"pid {dead.pid} start 1 host {os.uname().nodename} at 2026-01-01T00:00:00Z\n")
    args = ["reconcile", "alice", "bob", "--decisions", str(copy_ / "conflicts.csv"), "-C", str(copy_)]
    res = CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert res.exit_code == 0, res.output
    assert f"Warning: took over the lock .cmokit-reconcile.lock left by cmokit reconcile pid {dead.pid}, since " \
           "2026-01-01T00:00:00Z, which is no longer running." in res.stderr
    assert state(copy_) == after and not lock.exists()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(f"pid {live.pid} start {switch.process_start(live.pid)} host {os.uname().nodename}\n")
        snap = folder_state(copy_)
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2
        assert res.stderr == f"Error: {lock}: another cmokit reconcile (pid {live.pid}) is writing to this folder. " \
                             "Wait for it to finish.\n"
        assert folder_state(copy_) == snap
    finally:
        live.kill()
        live.wait()


def test_temporary_files_of_dead_runs_are_removed(prepared, tmp_path):
    """Point 9: a killed reconcile's staged files and a killed build's `.review.duckdb.<pid>.<rand>.tmp` (+ .wal)
    are removed by the next run; a live build's are left alone; .gitignore covers every temporary name."""
    review, before, after = prepared
    copy_ = tmp_path / "temps"
    shutil.copytree(review, copy_)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftovers = [copy_ / FOLDER / f".cmo.csv.cmokit-{dead.pid}-0badc0de.tmp", copy_ / FOLDER / ".cmo.csv.x7y8z9.tmp"]
    for p in leftovers:
        p.write_text("half a file")
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(copy_ / "conflicts.csv"), "-C",
                                    str(copy_)], env={"SOURCE_DATE_EPOCH": EPOCH})
    assert res.exit_code == 0, res.output
    assert "removed 2 temporary file(s) left by an interrupted run" in res.stderr
    assert state(copy_) == after
    db = copy_ / ".cmokit" / "review.duckdb"
    db.parent.mkdir(exist_ok=True)  # compare keeps its figures in .cmokit/compare/
    stale = [db.parent / f".review.duckdb.{dead.pid}.0badc0de.tmp", db.parent / f".review.duckdb.{dead.pid}.0badc0de"
             ".tmp.wal"]
    mine = db.parent / f".review.duckdb.{os.getpid()}.00000000.tmp"  # a build running now (this process)
    for p in [*stale, mine]:
        p.write_bytes(b"")
    res = CliRunner().invoke(main, ["build", "-C", str(copy_)])
    assert res.exit_code == 0, res.output
    left = sorted(p.name for p in db.parent.iterdir() if p.name != "compare")  # compare's figures are not build's
    assert left == sorted([db.name, mine.name])
    assert "interrupted" in res.stderr
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *(str(p.relative_to(copy_)) for p in
                                                                     [*leftovers, *stale, mine])],
                             cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    assert len(ignored.stdout.splitlines()) == 5, ignored
