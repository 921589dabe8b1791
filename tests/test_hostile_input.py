"""Hostile and odd input: special files (point 12), huge fields and NUL bytes in paths (point 13), a bare carriage
return inside an unquoted cell (point 4). Never a hang, never a traceback, always the file and the rule."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from pathlib import Path

import duckdb
import pytest
from _dual import consensus, fill, submit
from click.testing import CliRunner

from cmokit.cli import main
from cmokit.synthesis.database import DEFAULT_DB


@contextlib.contextmanager
def no_hang(seconds: int = 30):
    """Fail (instead of waiting forever) when the block blocks, e.g. on a pipe nobody writes to."""
    def alarm(*_):
        raise AssertionError(f"still waiting after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run(review: Path, *args: str):
    with no_hang():
        return CliRunner().invoke(main, [*args, "-C", str(review)])


def test_a_pipe_in_a_submission_is_refused_never_read(review_copy):
    """Point 12: a FIFO named studies.csv: `validate --reviewer` skipped it and said VALID; `compare` hung."""
    base = consensus(review_copy)
    submit(review_copy, "alice", base)
    submit(review_copy, "bob", base)
    fifo = review_copy / "extract" / "reviewers" / "bob" / "studies.csv"
    fifo.unlink()
    os.mkfifo(fifo)
    res = run(review_copy, "validate", "--reviewer", "bob", "-f", "json")
    assert res.exit_code == 2
    found = [(p["rule"], p["path"]) for p in json.loads(res.stdout)["errors"] if p["severity"] == "error"]
    assert found == [("file.unsafe", "extract/reviewers/bob/studies.csv")]
    res = run(review_copy, "compare", "alice", "bob")
    assert res.exit_code == 2
    assert res.stderr == (f"Error: {fifo}: is not a regular file (a folder, pipe, socket or device); it was not read. "
                          "Put the CSV file itself in the submission folder.\n")
    res = run(review_copy, "reconcile", "bob")
    assert res.exit_code == 2 and "is not a regular file" in res.stderr


def test_a_pipe_in_the_consensus_or_as_the_decisions_file_is_refused(review_copy, tmp_path):
    """Point 12: where any CSV is expected: a resource of the review, the conflicts file."""
    base = consensus(review_copy)
    fifo = review_copy / "extract" / "consensus" / "cmo.csv"
    saved = fifo.read_bytes()
    fifo.unlink()
    os.mkfifo(fifo)
    res = run(review_copy, "validate", "-f", "json")
    assert res.exit_code == 2
    assert [p["rule"] for p in json.loads(res.stdout)["errors"] if p["path"] == "extract/consensus/cmo.csv"] == [
        "file.unsafe"]
    res = run(review_copy, "build")
    assert res.exit_code == 2 and "extract/consensus/cmo.csv: is not a regular file" in res.stderr
    fifo.unlink()
    fifo.write_bytes(saved)
    submit(review_copy, "alice", base)
    submit(review_copy, "bob", base)
    pipe = tmp_path / "conflicts.csv"
    os.mkfifo(pipe)
    res = run(review_copy, "reconcile", "alice", "bob", "--decisions", str(pipe))
    assert res.exit_code == 2 and res.stderr == (f"Error: {pipe}: is not a regular file (a folder, pipe, socket or "
                                                 "device); it was not read.\n")


def test_a_200000_character_field_is_read_everywhere(review_copy):
    """Point 13: a 200,000-character field in the conflicts file was 'Internal error', exit 3 (the csv module's
    field limit); in the audit log it must validate and build as well."""
    a = consensus(review_copy)
    b = {t: (h, [dict(r) for r in rows]) for t, (h, rows) in a.items()}
    b["studies"][1][0]["provider"] = "someone else"
    submit(review_copy, "alice", a)
    submit(review_copy, "bob", b)
    path = review_copy / "conflicts.csv"
    assert run(review_copy, "compare", "alice", "bob", "--conflicts", str(path)).exit_code == 0
    why = "x" * 200_000
    fill(path, {("studies", a["studies"][1][0]["study_id"], "provider"): ("a", "", "carol", why)})
    res = run(review_copy, "reconcile", "alice", "bob", "--decisions", str(path))
    assert res.exit_code == 0, res.output
    log = review_copy / "extract" / "consensus" / "decisions.csv"
    assert why in log.read_text()
    res = run(review_copy, "validate")
    assert res.exit_code == 0, res.output
    res = run(review_copy, "build")
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(review_copy / DEFAULT_DB), read_only=True)
    assert con.execute("SELECT max(length(reason)) FROM decisions").fetchone() == (200_000,)
    con.close()


@pytest.mark.parametrize("command", [["validate"], ["build"], ["query", "SELECT 1"], ["compare", "a", "b"],
                                     ["dictionary", "-o", "-"]])
def test_a_nul_byte_in_a_descriptor_path_is_a_clean_error(review_copy, command):
    """Point 13: a NUL byte in a resource path was 'Internal error' (ValueError: embedded null byte), exit 3."""
    p = review_copy / "datapackage.json"
    p.write_text(p.read_text(encoding="utf-8").replace('"extract/consensus/cmo.csv"',
                                                       '"extract/consensus/cmo\\u0000.csv"'), encoding="utf-8")
    res = run(review_copy, *command)
    assert res.exit_code == 2, res.output
    assert "NUL byte" in res.output and "path.unsafe" in res.output and "Internal error" not in res.output


def test_a_bare_carriage_return_in_an_unquoted_cell_validates_and_builds_the_same(review_copy, tmp_path):
    """Point 4: `validate` said VALID, then `build` (and query, export, tables) refused the file with DuckDB's "state
    machine reached an invalid state". Now what validate accepts, build loads, with the same cell."""
    p = review_copy / "extract" / "consensus" / "studies.csv"
    data = p.read_bytes()
    assert b"volunteering peers" in data and b'"volunteering peers' not in data  # an unquoted cell
    p.write_bytes(data.replace(b"volunteering peers", b"volunteering\rpeers", 1))
    assert run(review_copy, "validate").exit_code == 0
    res = run(review_copy, "query", "SELECT provider FROM studies WHERE study_id = 'letourneau-2011'", "-f", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == [{"provider": "volunteering\rpeers"}]
    out = tmp_path / "csv"
    assert run(review_copy, "export", "-o", str(out), "-f", "csv").exit_code == 0
    assert b'"volunteering\rpeers"' in (out / "studies.csv").read_bytes()  # quoted now, the same text
    assert run(review_copy, "tables", "-b", "infants").exit_code == 0


def test_a_file_mixing_crlf_and_lf_line_ends_builds(review_copy):
    """A file saved by two editors (some lines CRLF, some LF): DuckDB's reader refuses it, cmokit's accepts it."""
    p = review_copy / "extract" / "consensus" / "measures.csv"
    lines = p.read_bytes().split(b"\n")
    p.write_bytes(b"\n".join(line + (b"\r" if i % 2 and line else b"") for i, line in enumerate(lines)))
    assert run(review_copy, "validate").exit_code == 0
    res = run(review_copy, "query", "SELECT count(*) AS n FROM measures", "-f", "csv")
    assert res.exit_code == 0 and res.stdout == "n\n65\n", res.output
    shutil.rmtree(review_copy / ".cmokit")


def test_the_reader_itself_refuses_a_pipe_without_reading_it(tmp_path):
    """Point 12, at the reader's own level (callers check first too): a FIFO is a `file.unsafe` problem, not a
    crash and not a wait."""
    import os

    from cmokit.package.model import Review
    from cmokit.package.reader import read_table

    review = Review.open(Path(__file__).resolve().parents[1])
    fifo = tmp_path / "studies.csv"
    os.mkfifo(fifo)
    table = read_table(review.resource("studies"), fifo, "studies.csv")
    assert table.frame is None and [p.rule for p in table.problems] == ["file.unsafe"]
