"""The CSV reader against Python's csv module: physical lines, ragged records and cell values on random files.

Random files mix what reviewers' tools write: quoted cells with commas, quotes and line breaks (LF and CRLF),
CRLF line endings, a UTF-8 BOM, blank lines, short and long records, empty last cells, no final newline.
The csv module (slow but exact) is the reference for every record's first physical line and cells.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from cmokit.package.model import Field, Resource
from cmokit.package.reader import LINE, RAGGED, read_table

PIECES = ["a", "b", "xyz", " ", ",", '"', "\n", "\r\n", "é", "NR", "12", "tab\t", ";"]


def resource(width: int) -> Resource:
    fields = [Field(name=f"f{i}", type="string") for i in range(width)]
    return Resource(name="t", path=Path("t.csv"), rel_path="t.csv", schema_path=None, schema={}, fields=fields,
                    primary_key=[], foreign_keys=[], missing_values={"": ""}, descriptor={})


def cell(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return ""
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 5)))


def make(rng: random.Random, width: int, n: int, *, empty_last: float = 0.2) -> bytes:
    eol = rng.choice(["\n", "\r\n"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=eol)
    w.writerow([f"f{i}" for i in range(width)])
    for _ in range(n):
        row = ["id" + str(rng.randint(0, 99))] + [cell(rng) for _ in range(width - 1)]
        r = rng.random()
        if r < 0.05:
            row = row[:rng.randint(1, width - 1)]
        elif r < 0.08:
            row = row + ["extra"] * rng.randint(1, 3)
        elif rng.random() < empty_last:
            row[-1] = ""
        w.writerow(row)
        if rng.random() < 0.03:
            buf.write(eol)
    text = buf.getvalue()
    if rng.random() < 0.3:
        text = text.rstrip("\r\n")
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if rng.random() < 0.3 else data


def reference(data: bytes, width: int) -> list[tuple[int, list[str]]]:
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    out, start = [], reader.line_num + 1
    for rec in reader:
        if rec:
            out.append((start, rec))
        start = reader.line_num + 1
    return out


def check(tmp_path: Path, data: bytes, width: int) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    table = read_table(resource(width), path, "t.csv")
    want = reference(data, width)
    frame = table.frame
    assert frame is not None
    assert frame.get_column(LINE).to_list() == [line for line, _ in want]
    assert frame.get_column(RAGGED).to_list() == [len(rec) != width for _, rec in want]
    cols = [f"f{i}" for i in range(width)]
    for (line, rec), got in zip(want, frame.select(cols).iter_rows(), strict=True):
        if len(rec) == width:
            assert list(got) == rec, f"line {line}"
    assert sorted(p.line for p in table.problems if p.rule == "row.ragged") == \
        [line for line, rec in want if len(rec) != width]


@pytest.mark.parametrize("seed", range(40))
def test_random_files_match_the_csv_module(tmp_path, seed):
    rng = random.Random(seed)
    width = rng.randint(2, 7)
    check(tmp_path, make(rng, width, rng.randint(0, 60)), width)


@pytest.mark.parametrize("seed", range(12))
def test_many_empty_last_cells_are_counted_without_the_exact_scan(tmp_path, monkeypatch, seed):
    """Records whose last cell polars reads as null (an empty last cell, or a short record: it pads them alike) get
    their cell counts from the separators that end their last line, as the csv module counts them, however many
    there are (trailing empty cells, quoted cells with commas and line breaks before them, CRLF); the exact scan is
    not needed for that."""
    import cmokit.package.reader as reader

    scans = []
    real = reader._scanned
    monkeypatch.setattr(reader, "_scanned", lambda *a, **k: scans.append(1) or real(*a, **k))
    rng = random.Random(100 + seed)
    width = rng.randint(2, 6)
    eol = rng.choice(["\n", "\r\n"])
    lines = [",".join(f"f{i}" for i in range(width))]
    for _ in range(rng.randint(50, 400)):
        n = rng.randint(1, width) if rng.random() < 0.3 else width
        cells = [rng.choice(["", "", "x", " ", '"a,b"', '"q' + eol + 'r,"', '""', "NR"]) for _ in range(n)]
        if n == 1 or not "".join(cells).strip():  # a record of one empty cell is a blank line to the reader
            cells[0] = rng.choice(["y", '"a,b"', "NR"])
        lines.append(",".join(cells))
    data = (eol.join(lines) + (eol if rng.random() < 0.7 else "")).encode()
    check(tmp_path, data, width)
    assert not scans


def test_seven_thousand_empty_last_cells(tmp_path):
    rng = random.Random(7)
    check(tmp_path, make(rng, 4, 7000, empty_last=0.9), 4)


def test_unclosed_quote(tmp_path):
    data = b'f0,f1\na,b\nc,"d\ne,f\ng,h\n'
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    table = read_table(resource(2), path, "t.csv")
    assert [(p.rule, p.line) for p in table.problems] == [("row.quote", 3)]
    assert table.frame.get_column(LINE).to_list() == [2, 3]


def test_stray_quote_inside_a_cell_is_a_literal(tmp_path):
    # polars refuses this file; the csv module (like Excel) reads the quote as part of the cell
    data = b'f0,f1\na,5" tall\nb,c\n'
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    table = read_table(resource(2), path, "t.csv")
    assert table.problems == []
    assert table.frame.select("f0", "f1", LINE).rows() == [("a", '5" tall', 2), ("b", "c", 3)]
