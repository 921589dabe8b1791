"""Pairing the rows of a table that has no key shared between reviewers (schema property ``cmokit:match``).

Within a study: (1) rows with the same row label and identical content pair up; (2) among the rest, rows with
identical content pair up, in row-number order; (3) the remaining rows are paired by an optimal one-to-one
assignment (Hungarian method) maximising the total similarity; a pair below the table's ``threshold`` stays
unmatched. Similarity of two rows = mean, over the compared fields at least one of them filled in, of 1 for equal
values, the Jaccard index of the codes of a multi-code field and of the (lower-cased) words of free text, else 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cmokit.core.errors import CmokitError
from cmokit.extraction.normalise import field_kind, nfc, plain_text
from cmokit.extraction.results import TablePair
from cmokit.package.model import Resource

if TYPE_CHECKING:
    import polars as pl

@dataclass(frozen=True)
class MatchRule:
    """How rows of a table without a shared key are paired (schema property ``cmokit:match``)."""

    within: tuple[str, ...]
    row: str
    threshold: float = 0.5
    renumber: bool = False
    consensus_value: str | None = None


def match_rule(resource: Resource) -> MatchRule | None:
    m = resource.schema.get("cmokit:match")
    if not m:
        return None
    try:
        rule = MatchRule(within=tuple(m["within"]), row=str(m["row"]), threshold=float(m.get("threshold", 0.5)),
                         renumber=bool(m.get("renumber", False)), consensus_value=m.get("consensus_value"))
    except (KeyError, TypeError, ValueError):
        raise CmokitError(f"schema of '{resource.name}': 'cmokit:match' needs 'within' (a list of fields) and 'row' "
                          "(a field).", rule="schema.invalid", path=str(resource.schema_path)) from None
    names = set(resource.field_names)
    for f in (*rule.within, rule.row):
        if f not in names:
            raise CmokitError(f"schema of '{resource.name}': 'cmokit:match' names '{f}', which is not a field.",
                              rule="schema.invalid", path=str(resource.schema_path))
    return rule


def assign(weights: list[list[float]]) -> list[tuple[int, int]]:
    """Maximum-weight one-to-one assignment (Hungarian method, O(n²m)); returns (row, column) pairs."""
    n = len(weights)
    m = len(weights[0]) if n else 0
    if n == 0 or m == 0:
        return []
    if n > m:
        return [(i, j) for j, i in assign([list(col) for col in zip(*weights, strict=True)])]
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    p = [0] * (m + 1)
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = inf
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = -weights[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j] - 1e-12:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta - 1e-12:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return sorted((p[j] - 1, j - 1) for j in range(1, m + 1) if p[j])


def _equal(tp: TablePair, ia: pl.Series, ib: pl.Series) -> pl.Series:
    """Per pair of rows (indexes ``ia`` of A, ``ib`` of B): is every compared value equal? One column at a time.

    A column held packed (:mod:`cmokit.extraction.packed`) is compared by its values' 64-bit hashes instead, so
    that it is not unpacked for this: a collision (about one in 10^19 per pair) could pair two rows as identical;
    what compare reports about a pair is still decided on the values themselves, so their differences would be
    listed as conflicts.
    """
    import polars as pl

    from cmokit.extraction.packed import holds

    same = pl.Series([True] * len(ia), dtype=pl.Boolean)
    for c in tp.compared:
        if holds(tp.a, "~" + c) or holds(tp.b, "~" + c):  # the hashes compare.prepare_side made (``_h~field``)
            x, y = tp.a.get_column("_h~" + c).gather(ia), tp.b.get_column("_h~" + c).gather(ib)
        else:
            x, y = tp.a.get_column("~" + c).gather(ia), tp.b.get_column("~" + c).gather(ib)
        same = same & (x == y)
    return same


def row_hash(compared: list[str], hashed: list[str] = ()) -> pl.Expr:
    """``_h``: a hash of a row's compared values (``~field`` columns; for the fields ``hashed``, their values' hashes
    already in ``_h~field``); it only proposes pairs, ``_equal`` confirms them. A hash of the columns' hashes: as
    exact as a hash of the values (equal rows, equal hashes), faster."""
    import polars as pl

    if not compared:
        return pl.lit(0, pl.UInt64).alias("_h")
    return pl.struct([pl.col("_h~" + c) if c in hashed else pl.col("~" + c).hash(seed=0) for c in compared]
                     ).hash().alias("_h")


def _tokens(values: pl.Expr, multi: bool) -> pl.Expr:
    """The set a value is compared by, as hashes: its codes (multi-code field) or its lower-cased words (\\w+)."""
    import polars as pl

    parts = values.str.split("; ") if multi else values.str.to_lowercase().str.extract_all(r"\w+")
    return parts.list.eval(pl.element().hash(seed=0)).list.unique()


def _normalised(tp: TablePair, side: str, rows: pl.Series) -> pl.LazyFrame:
    """The compared columns of the given rows as the matching compares them (free text trimmed and in NFC)."""
    import polars as pl

    df = tp.a if side == "a" else tp.b
    values = pl.DataFrame({c: df.get_column("~" + c).gather(rows) for c in tp.compared})
    exprs = []
    for c in tp.compared:
        v = pl.col(c)
        if field_kind(tp.resource.field(c)) == "text":
            v = nfc(v.str.strip_chars())
        exprs.append(v.alias(c))
    return values.lazy().select(exprs) if exprs else values.lazy()


def _side(tp: TablePair, side: str, rows: pl.Series, sets: list[str], kernel: bool = False) -> pl.LazyFrame:
    """Per given row and compared field: the value's hash (``=``), filled or not (``?``), and for a field compared
    by set, its set of codes or words as hashes (``~``) and the set's size (``#``); with ``kernel``, instead of
    those two, the value the compiled kernel cuts into the set (``w:``, :mod:`cmokit.extraction.wordsets`)."""
    import polars as pl

    vals = _normalised(tp, side, rows)
    multi = {c: tp.resource.field(c).multiple for c in sets}
    plain = [c for c in sets if plain_text(tp.resource.field(c))]  # kept for compare's conflicts (``n:``)
    if kernel:
        setcols = [pl.col(c).alias("w:" + c) for c in sets]
    else:
        setcols = [_tokens(pl.col(c), multi[c]).alias("~" + c) for c in sets]
    out = vals.select([pl.col(c).alias("n:" + c) for c in plain] + setcols
                      + [pl.col(c).hash(seed=0).alias("=" + c) for c in tp.compared]
                      + [(pl.col(c) != "").alias("?" + c) for c in tp.compared])
    return out if kernel else out.with_columns([pl.col("~" + c).list.len().cast(pl.Int64).alias("#" + c)
                                                for c in sets])


KERNEL_PAIRS = 50_000  # candidate pairs from which compiled kernels (numba) compute the similarities and assignment


def _kernel_available() -> bool:
    from cmokit.extraction.wordsets import available

    return available()


def similarities(tp: TablePair, cand: pl.DataFrame, chunk: int = 250_000) -> pl.Series:
    """The similarity (module docstring) of each candidate pair (``cand``: ``_i`` of A, ``_ib`` of B).

    Vectorised: each row's values are normalised and cut into codes or words once (as 64-bit hashes); the words
    two rows share are counted by a set intersection of the two rows' hash lists, every field in parallel, in
    chunks of ``chunk`` pairs (so that memory holds one chunk's lists); |A ∪ B| = |A| + |B| - |A ∩ B|. Values
    and words are compared by their hash, so that the pairs carry numbers, not text: a collision (about one in
    10^19 per comparison) could only raise a similarity; the equality of values that compare reports is checked
    on the values themselves.
    """
    import polars as pl

    sets = [c for c in tp.compared if tp.resource.field(c).multiple or field_kind(tp.resource.field(c)) == "text"]
    kernel = bool(sets) and cand.height >= KERNEL_PAIRS and _kernel_available()
    pos, lazy, rows_of = [], [], {}
    for s, col in (("a", "_i"), ("b", "_ib")):
        rows = cand.select(pl.col(col).alias("_r")).unique("_r", maintain_order=True).with_row_index("_p")
        lazy.append(_side(tp, s, rows.get_column("_r"), sets, kernel))
        rows_of[s] = rows
        pos.append(cand.select(pl.col(col).alias("_r")).join(rows, on="_r", how="left", maintain_order="left")
                   .get_column("_p").alias("_p" + s))
    pairs = pl.DataFrame(pos)
    side = dict(zip("ab", pl.collect_all(lazy), strict=True))  # both sides at once: both cores busy
    for s, df in side.items():  # compare lists the conflicts of these rows' free text: normalised once, here
        norm = df.select(pl.col("^n:.*$"))
        side[s] = df.drop(norm.columns)
        tp.normalised[s] = (rows_of[s], norm)
    if kernel:  # the Jaccard index of each set field, one field at a time (memory holds one field's hashes)
        from cmokit.extraction.wordsets import hash_sets, jaccard

        pa, pb = pairs.get_column("_pa").to_numpy(), pairs.get_column("_pb").to_numpy()
        for c in sets:
            codes = tp.resource.field(c).multiple
            ha, hb = (hash_sets(side[s].get_column("w:" + c), codes) for s in "ab")
            pairs = pairs.with_columns(pl.Series("&" + c, jaccard(pa, pb, ha, hb)))
            del ha, hb
            side = {s: df.drop("w:" + c) for s, df in side.items()}

    def a(k: str) -> pl.Expr:
        return pl.lit(side["a"].get_column(k)).gather(pl.col("_pa"))

    def b(k: str) -> pl.Expr:
        return pl.lit(side["b"].get_column(k)).gather(pl.col("_pb"))

    total, used = pl.lit(0.0), pl.lit(0)
    for c in tp.compared:
        fx, fy = pl.col("?" + c), pl.col("?" + c + "_b")
        if c in sets and kernel:
            partial = pl.col("&" + c)
        elif c in sets:
            inter = pl.col("&" + c).fill_null(0)
            union = pl.col("#" + c) + pl.col("#" + c + "_b") - inter
            partial = pl.when(union > 0).then(inter / union).otherwise(0.0)
        else:
            partial = pl.lit(0.0)
        equal = pl.col("=" + c) == pl.col("=" + c + "_b")
        total = total + pl.when(~(fx | fy)).then(0.0).when(equal).then(1.0).when(fx & fy).then(partial).otherwise(0.0)
        used = used + (fx | fy).cast(pl.Int64)
    score = pl.when(used > 0).then(total / used).otherwise(1.0).alias("_s")
    cols = [k + c for c in tp.compared for k in "=?"] + ([] if kernel else ["#" + c for c in sets])
    shared = [pl.col("&" + c) if kernel else
              a("~" + c).list.set_intersection(b("~" + c)).list.len().cast(pl.Int64).alias("&" + c) for c in sets]
    out = []
    for start in range(0, pairs.height, chunk):
        part = pairs.slice(start, chunk).lazy().select(
            [a(k) for k in cols] + [b(k).alias(k + "_b") for k in cols] + shared)
        out.append(part.select(score).collect().get_column("_s"))
    return pl.concat(out) if out else pl.Series("_s", [], pl.Float64)


def match_rows(tp: TablePair, sa: pl.DataFrame, sb: pl.DataFrame, rule: MatchRule) -> None:
    """Pair the rows of the studies both submissions hold (``sa``, ``sb``: their ``_i, _g, _na/_nb`` and key
    columns); set ``tp.pairs``, ``tp.unmatched_a`` and ``tp.unmatched_b``. Only keys, hashes and row indexes are
    joined; the values are compared column by column (memory holds one column of the candidate pairs at a time)."""
    import polars as pl

    ka, kb = sa, sb  # with their content hash _h (compare.prepare_side)
    # step 1: the same row number and identical content (the usual case: one cheap join)
    cand = ka.select("_i", "_g", rule.row, "_h").join(kb.select(pl.col("_i").alias("_ib"), "_g", rule.row, "_h"),
                                                       on=["_g", rule.row, "_h"], how="inner")
    first = cand.filter(_equal(tp, cand.get_column("_i"), cand.get_column("_ib")))
    pairs = [first.select(pl.col("_i").alias("_ia"), "_ib", "_g", pl.col(rule.row).alias("_ra"),
                          pl.col(rule.row).alias("_rb"))]
    ka = ka.join(first.select("_i"), on="_i", how="anti")
    kb = kb.join(first.select(pl.col("_ib").alias("_i")), on="_i", how="anti")

    # step 2: identical content under different numbers, paired in row-number order
    def ranked(df: pl.DataFrame, num: str) -> pl.DataFrame:
        df = df.sort("_g", num, rule.row, nulls_last=True)  # group, row number (integer), row (text)
        return df.with_columns(pl.int_range(pl.len()).over("_g", "_h").alias("_rank"))

    ka, kb = ranked(ka, "_na"), ranked(kb, "_nb")
    cand = ka.select("_i", "_g", rule.row, "_h", "_rank").join(
        kb.select(pl.col("_i").alias("_ib"), "_g", pl.col(rule.row).alias("_rowb"), "_h", "_rank"),
        on=["_g", "_h", "_rank"], how="inner")
    exact = cand.filter(_equal(tp, cand.get_column("_i"), cand.get_column("_ib")))
    pairs.append(exact.select(pl.col("_i").alias("_ia"), "_ib", "_g", pl.col(rule.row).alias("_ra"),
                              pl.col("_rowb").alias("_rb")))
    left_a = ka.join(exact.select("_i"), on="_i", how="anti", maintain_order="left")
    left_b = kb.join(exact.select(pl.col("_ib").alias("_i")), on="_i", how="anti", maintain_order="left")
    # step 3: the rest, by similarity: every pair of a group's remaining rows, then an optimal assignment
    la = left_a.select("_i", "_g", rule.row).with_columns(pl.int_range(pl.len()).over("_g").alias("_pa"))
    lb = left_b.select(pl.col("_i").alias("_ib"), "_g", pl.col(rule.row).alias("_rowb")).with_columns(
        pl.int_range(pl.len()).over("_g").alias("_pb"))
    # la and lb are in (group, position) order, so the join in left-right order is sorted by (_g, _pa, _pb)
    cand = la.join(lb, on="_g", how="inner", maintain_order="left_right")
    matched_a: set[int] = set()
    matched_b: set[int] = set()
    if cand.height:
        sims = similarities(tp, cand)
        cand = cand.with_columns(sims.alias("_s"))
        sizes = cand.group_by("_g", maintain_order=True).agg(pl.col("_pa").max() + 1, pl.col("_pb").max() + 1,
                                                             pl.len().alias("_n"))
        chosen: list[int] = []
        if cand.height >= KERNEL_PAIRS and _kernel_available():  # the same assignment, compiled
            from cmokit.extraction.assignment import assign_groups

            chosen = assign_groups(cand.get_column("_s").to_numpy(), sizes.get_column("_pa").to_numpy(),
                                   sizes.get_column("_pb").to_numpy(), rule.threshold).tolist()
        else:
            s_all = cand.get_column("_s").to_list()
            start = 0
            for na, nb, n in sizes.select("_pa", "_pb", "_n").iter_rows():
                w = [s_all[start + i * nb:start + (i + 1) * nb] for i in range(na)]
                chosen += [start + i * nb + j for i, j in assign(w) if w[i][j] >= rule.threshold]
                start += n
        extra = cand[chosen]
        matched_a, matched_b = set(extra.get_column("_i").to_list()), set(extra.get_column("_ib").to_list())
        pairs.append(extra.select(pl.col("_i").alias("_ia"), "_ib", "_g", pl.col(rule.row).alias("_ra"),
                                  pl.col("_rowb").alias("_rb")))
    allp = pl.concat([p.with_columns(pl.col("_ia").cast(pl.UInt32), pl.col("_ib").cast(pl.UInt32)) for p in pairs])
    tp.pairs = allp.select("_ia", "_ib", pl.concat_str(
        [pl.col("_g"), pl.lit(f" / {rule.row} a="), pl.col("_ra"), pl.lit(" b="), pl.col("_rb")]).alias("_key"))
    un_a = left_a.filter(~pl.col("_i").is_in(list(matched_a)))
    un_b = left_b.filter(~pl.col("_i").is_in(list(matched_b)))
    tp.unmatched_a = un_a.select(pl.col("_i").cast(pl.UInt32).alias("_ia"), pl.concat_str(
        [pl.col("_g"), pl.lit(f" / {rule.row} a="), pl.col(rule.row)]).alias("_key"))
    tp.unmatched_b = un_b.select(pl.col("_i").cast(pl.UInt32).alias("_ib"), pl.concat_str(
        [pl.col("_g"), pl.lit(f" / {rule.row} b="), pl.col(rule.row)]).alias("_key"))
