"""Helpers for the dual-extraction tests: reviewer submissions built from the bundled consensus."""

from __future__ import annotations

import csv
import io
from pathlib import Path

TABLES = ("studies", "cmo", "measures", "resource_inputs", "appraisal")


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), [dict(r) for r in reader]


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def consensus(review: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    return {t: read_rows(review / "extract" / "consensus" / f"{t}.csv") for t in TABLES}


def submit(review: Path, reviewer: str, tables: dict[str, tuple[list[str], list[dict[str, str]]]]) -> Path:
    folder = review / "extract" / "reviewers" / reviewer
    for t, (header, rows) in tables.items():
        write_rows(folder / f"{t}.csv", header, rows)
    return folder


def fill(path: Path, decisions: dict[tuple[str, str, str], tuple[str, str, str, str]]) -> None:
    """Fill a conflicts file: (table, key, field) -> (decision, value, decided_by, reason)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO("".join(lines[1:]), newline="")))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(rows[0])
    for r in rows[1:]:
        d = decisions.get((r[0], r[1], r[2]))
        if d:
            r[5:9] = list(d)
        w.writerow(r)
    path.write_text(lines[0] + out.getvalue(), encoding="utf-8", newline="")
