"""Compare at scale, memory: a large CSV file is looked through in small pieces and read by polars from the disk
(cmokit.package.survey), never held whole beside its table; the reader gives the same table and problems either
way, for files of every kind."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_validate_reader import make, resource

import cmokit.package.survey as survey
from cmokit.package.model import Review
from cmokit.package.reader import read_table

ODD = {
    "nul": b"f0,f1\na,b\nc,\x00d\n",
    "utf16": "f0,f1\na,b\n".encode("utf-16"),
    "cp1252": "f0,f1\ncaf\u00e9,b\n".encode("cp1252"),
    "blank": b"  \n\n \n",
    "bom": b"\xef\xbb\xbff0,f1\na,b\n",
    "header only": b"f0,f1\n",
    "header only, no newline": b"f0,f1",
    "semicolons": b"f0;f1\na;b\n",
    "bare CR": b"f0,f1\na,b\rc\nd,e\n",
    "unclosed quote": b'f0,f1\na,b\nc,"d\ne,f\n',
    "stray quote": b'f0,f1\na,5" tall\nb,c\n',
    "long header": b"f0," + b'"' + b"h\n" * 40 + b'",f1\na,b,c\n',
    "ragged": b"f0,f1\na\nb,c,d\ne,f\n",
    "empty last cells": b"f0,f1\na,\nb,\nc,d\n",
    "no final newline": b'f0,f1\na,"x\ny"\nb,c',
    "crlf": b'f0,f1\r\na,"x\r\ny"\r\nb,c\r\n',
}


def both_ways(monkeypatch, res, path: Path, piece: int = 5):
    """(in memory, surveyed) reads of one file, and whether the surveyed read held the file's bytes whole."""
    monkeypatch.setattr(survey, "SURVEY_BYTES", 1 << 62)
    whole = read_table(res, path, "t.csv")
    monkeypatch.setattr(survey, "SURVEY_BYTES", 0)
    monkeypatch.setattr(survey, "PIECE", piece)
    monkeypatch.setattr(survey, "HEAD", max(piece, 64))
    reads = []
    real = Path.read_bytes

    def spy(self):
        reads.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    surveyed = read_table(res, path, "t.csv")
    monkeypatch.setattr(Path, "read_bytes", real)
    return whole, surveyed, bool(reads)


def same(a, b) -> None:
    assert a.header == b.header
    assert a.problems == b.problems
    assert (a.frame is None) == (b.frame is None)
    if a.frame is not None:
        assert a.frame.equals(b.frame)


@pytest.mark.parametrize("seed", range(30))
def test_random_files_read_the_same_surveyed(tmp_path, monkeypatch, seed):
    """Compare at scale (memory): random files (quoted commas, quotes and line breaks, CRLF, BOMs, blank lines, short
    and long records, empty last cells) read the same surveyed, whatever the size of the pieces."""
    rng = random.Random(seed)
    width = rng.randint(2, 7)
    path = tmp_path / "t.csv"
    path.write_bytes(make(rng, width, rng.randint(0, 80)))
    whole, surveyed, _ = both_ways(monkeypatch, resource(width), path, piece=rng.choice([1, 7, 64, 1 << 20]))
    same(whole, surveyed)


@pytest.mark.parametrize("case", list(ODD))
def test_odd_files_read_the_same_surveyed(tmp_path, monkeypatch, case):
    """Compare at scale (memory): files the survey hands back to the in-memory read (NUL, UTF-16, BOM...) and files
    it reads itself give the same table and problems."""
    path = tmp_path / "t.csv"
    path.write_bytes(ODD[case])
    whole, surveyed, _ = both_ways(monkeypatch, resource(2), path)
    same(whole, surveyed)


def test_a_clean_file_is_never_held_whole(tmp_path, monkeypatch):
    """Compare at scale (memory), the point of the survey: a clean file (no record to recount) is read by polars
    from the disk, its bytes never read whole; one with something odd is (and is reported as before)."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"f0,f1\n" + b'a,"x\ny, z"\nb,c\n' * 200)
    whole, surveyed, held = both_ways(monkeypatch, resource(2), path)
    same(whole, surveyed)
    assert not held and surveyed.frame.height == 400
    path.write_bytes(ODD["nul"])
    _, _, held = both_ways(monkeypatch, resource(2), path)
    assert held


def test_the_bundled_review_reads_the_same_surveyed(monkeypatch):
    """Compare at scale (memory): every CSV of the bundled review (the paper's text: curly quotes, line breaks, empty
    cells) reads the same surveyed."""
    review = Review.open(Path(__file__).resolve().parents[1])
    for res in review.resources:
        if res.path.suffix == ".csv" and res.path.exists():
            whole, surveyed, _ = both_ways(monkeypatch, res, res.path, piece=4096)
            same(whole, surveyed)
