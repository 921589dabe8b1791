"""Compare at scale, memory: the first submission's long texts held compressed while the second is read
(cmokit.extraction.packed) change nothing in what compare reports."""

from __future__ import annotations

import copy
import random
import unicodedata

import polars as pl
import pytest
from _dual import consensus, submit

import cmokit.extraction.matching as matching
import cmokit.extraction.packed as packed
from cmokit.extraction.compare import compare
from cmokit.extraction.packed import Packed, holds, pack
from cmokit.package.model import Review

EXTRA = ["", " Extra words", "  ", " Café STRAßE", " it’s “new” — x…", " ÉCOLE école"]


def _perturb(base: dict, seed: int) -> dict:
    """Reviewer B's version of the consensus with every kind of difference compare knows."""
    rng = random.Random(seed)
    b = copy.deepcopy(base)
    header, rows = b["cmo"]
    out = []
    for r in rows:
        x = rng.random()
        if x < 0.05:
            continue  # a row B did not extract
        for f in ("context", "mechanisms", "notes", "quote", "child_outcomes"):
            words = r[f].split()
            y = rng.random()
            if words and y < 0.3:
                r[f] = " ".join(w for w in words if rng.random() < 0.8) + rng.choice(EXTRA)
            elif y < 0.35:
                r[f] = r[f].upper()
            elif y < 0.4:
                r[f] = "  " + unicodedata.normalize("NFD", r[f]) + "\t"
            elif y < 0.43:
                r[f] = rng.choice(["", "NR"])
        if rng.random() < 0.2:
            r["ss_effect"] = rng.choice(["worse", "mixed", "IMPROVED", ""])
        if rng.random() < 0.2:
            r["support_types"] = rng.choice(["emotional", "practical; emotional", ""])
        out.append(r)
        if x > 0.97:  # a row only B has
            extra = dict(r, cmo_number=str(100 + len(out)), context="A configuration only reviewer B found.")
            out.append(extra)
    by_study: dict[str, list[dict]] = {}
    for r in out:
        by_study.setdefault(r["study_id"], []).append(r)
    for group in by_study.values():  # some studies numbered the other way round
        if len(group) > 1 and rng.random() < 0.3:
            nums = [g["cmo_number"] for g in group]
            for g, n in zip(group, reversed(nums), strict=True):
                g["cmo_number"] = n
    b["cmo"] = (header, out)
    sh, srows = b["studies"]
    for r in srows:
        if rng.random() < 0.3:
            r["provider"] = (r["provider"] + " (as B read it)") if r["provider"] else "NR"
        if rng.random() < 0.1:
            r["title"] = "  " + r["title"].lower() + " "
    return b


def _report(review, monkeypatch, *, packing: bool, kernel: bool) -> dict:
    monkeypatch.setattr(packed, "PACK_BYTES", 0 if packing else 1 << 62)
    monkeypatch.setattr(matching, "KERNEL_PAIRS", 0 if kernel else 10**12)
    seen = []
    real = packed.Packed.__init__

    def spy(self, *args):
        seen.append(args[1])
        real(self, *args)

    monkeypatch.setattr(packed.Packed, "__init__", spy)
    out = compare(Review.open(review), ["alice", "bob"]).to_dict()
    assert bool(seen) == packing  # the packed path was really taken (or not)
    return out


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("kernel", [False, True], ids=["polars", "numba kernel"])
def test_packing_changes_nothing_in_the_report(review_copy, monkeypatch, seed, kernel):
    """Compare at scale (memory): with A's texts packed, the report (statistics, pairs, unmatched rows, every
    conflict with its values, in order) equals the one without packing, on a pair with every kind of difference."""
    base = consensus(review_copy)
    submit(review_copy, "alice", base)
    submit(review_copy, "bob", _perturb(base, seed))
    plain = _report(review_copy, monkeypatch, packing=False, kernel=kernel)
    with_packing = _report(review_copy, monkeypatch, packing=True, kernel=kernel)
    assert with_packing == plain
    kinds = {c["field"] for c in plain["conflicts"] if c["table"] == "cmo"}
    assert {"(row)", "context", "ss_effect", "support_types"} <= kinds  # the pair differs in every way
    assert len(plain["conflicts"]) > 50 and plain["unmatched"]


def test_packed_columns_unpack_to_exactly_what_was_packed():
    """Compare at scale (memory): every column of a packed frame reads back equal (text with line breaks, quotes,
    accents, empty cells and nulls), under its own name and its alias; the other columns are not packed."""
    rng = random.Random(5)
    pieces = ["a", "é", "’", "\n", '"', " ", "", "NR", "ÉCOLE", "x" * 40]
    n = 3000
    df = pl.DataFrame({
        "_i": pl.Series(range(n), dtype=pl.UInt32),
        "text": ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 9))) for _ in range(n)],
        "code": [rng.choice(["improved", "worse", ""]) for _ in range(n)],
        "more": [None if rng.random() < 0.1 else "z" * rng.randint(0, 30) for _ in range(n)],
    }).with_columns(pl.col("text").alias("~text"))
    p = pack(df, ["text", "more"], threshold=0)
    assert isinstance(p, Packed) and p.height == n and p.columns == df.columns
    for name in df.columns:
        assert p.get_column(name).equals(df.get_column(name).alias(name)), name
    assert p.get_column("~text").name == "~text"
    assert holds(p, "text") and holds(p, "~text") and holds(p, "more")
    assert not holds(p, "code") and not holds(p, "_i") and not holds(df, "text")
    assert p.select("_i", "text").equals(df.select("_i", "text"))
    assert p.packed_bytes < df.select("text", "more").estimated_size()
    assert pack(df, ["text"]) is df  # small tables are not packed
