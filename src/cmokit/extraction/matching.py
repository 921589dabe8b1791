"""Pairing the rows of a table that has no key shared between reviewers (schema property ``cmokit:match``).

Within a study: (1) rows with the same row label and identical content pair up; (2) among the rest, rows with
identical content pair up, in row-number order; (3) the remaining rows are paired by an optimal one-to-one
assignment (Hungarian method) maximising the total similarity; a pair below the table's ``threshold`` stays
unmatched. Similarity of two rows = mean, over the compared fields at least one of them filled in, of 1 for equal
values, the Jaccard index of the codes of a multi-code field and of the (lower-cased) words of free text, else 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cmokit.core.errors import CmokitError
from cmokit.extraction.normalise import field_kind, normalise_text
from cmokit.extraction.results import TablePair
from cmokit.package.model import Resource

if TYPE_CHECKING:
    import polars as pl

_WORD_RE = re.compile(r"\w+")


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


def _features(values: dict[str, str], kinds: dict[str, str], multi: set[str]) -> list[tuple[str, Any]]:
    """Per compared field: (value, set of codes or words, or None), computed once per row."""
    out: list[tuple[str, Any]] = []
    for name, kind in kinds.items():
        v = values[name]
        if v and name in multi:
            out.append((v, frozenset(v.split("; "))))
        elif v and kind == "text":
            out.append((v, frozenset(_WORD_RE.findall(v.lower()))))
        else:
            out.append((v, None))
    return out


def _similarity(fa: list[tuple[str, Any]], fb: list[tuple[str, Any]]) -> float:
    """Mean over the fields either row filled in: 1 if equal, Jaccard of codes / words, else 0."""
    total = 0.0
    used = 0
    for (x, sx), (y, sy) in zip(fa, fb, strict=True):
        if x == "" and y == "":
            continue
        used += 1
        if x == y:
            total += 1.0
        elif sx is not None and sy is not None:
            union = len(sx | sy)
            total += len(sx & sy) / union if union else 0.0
    return total / used if used else 1.0


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


def match_rows(tp: TablePair, sa: pl.DataFrame, sb: pl.DataFrame, rule: MatchRule) -> None:
    import polars as pl

    cmpcols = ["~" + c for c in tp.compared]
    same_content = pl.all_horizontal([pl.col(c) == pl.col(c + "_b") for c in cmpcols]) if cmpcols else pl.lit(True)
    # step 1: the same row number and identical content (the usual case: one cheap join)
    first = sa.select("_i", "_g", rule.row, *cmpcols).join(
        sb.select(pl.col("_i").alias("_ib"), "_g", rule.row, *cmpcols), on=["_g", rule.row], how="inner",
        suffix="_b").filter(same_content)
    pairs = [first.select(pl.col("_i").alias("_ia"), "_ib", "_g", pl.col(rule.row).alias("_ra"),
                          pl.col(rule.row).alias("_rb"))]
    sa = sa.join(first.select("_i"), on="_i", how="anti")
    sb = sb.join(first.select(pl.col("_ib").alias("_i")), on="_i", how="anti")

    # step 2: identical content under different numbers, paired in row-number order
    def ranked(df: pl.DataFrame, num: str) -> pl.DataFrame:
        df = df.with_columns(pl.struct(cmpcols).hash().alias("_h") if cmpcols else pl.lit(0, pl.UInt64).alias("_h"))
        df = df.sort("_g", num, rule.row, nulls_last=True)  # group, row number (integer), row (text)
        return df.with_columns(pl.int_range(pl.len()).over("_g", "_h").alias("_rank"))

    sa = ranked(sa, "_na")
    sb = ranked(sb, "_nb")
    exact = sa.select("_i", "_g", rule.row, *cmpcols, "_h", "_rank").join(
        sb.select(pl.col("_i").alias("_ib"), "_g", pl.col(rule.row).alias("_rowb"), *cmpcols, "_h", "_rank"),
        on=["_g", "_h", "_rank"], how="inner", suffix="_b")
    # the hash only proposes pairs: keep those whose every compared value is really equal
    exact = exact.filter(same_content)
    left_a = sa.join(exact.select("_i"), on="_i", how="anti")
    left_b = sb.join(exact.select(pl.col("_ib").alias("_i")), on="_i", how="anti")
    pairs.append(exact.select(pl.col("_i").alias("_ia"), "_ib", "_g", pl.col(rule.row).alias("_ra"),
                              pl.col("_rowb").alias("_rb")))
    un_a: list[dict] = []
    un_b: list[dict] = []
    if left_a.height or left_b.height:
        kinds = {c: field_kind(tp.resource.field(c)) for c in tp.compared}
        multi = {c for c in tp.compared if tp.resource.field(c).multiple}
        rows_a: dict[str, list[dict]] = {}
        rows_b: dict[str, list[dict]] = {}
        for rows, left in ((rows_a, left_a), (rows_b, left_b)):
            for r in left.select("_i", "_g", rule.row, *cmpcols).iter_rows(named=True):
                for c, kind in kinds.items():
                    if kind == "text":
                        r["~" + c] = normalise_text(r["~" + c])
                rows.setdefault(r["_g"], []).append(r)
        extra = []
        for g in sorted(set(rows_a) | set(rows_b)):
            ra, rb = rows_a.get(g, []), rows_b.get(g, [])
            done_a, done_b = set(), set()
            if ra and rb:
                va = [_features({c: r["~" + c] for c in tp.compared}, kinds, multi) for r in ra]
                vb = [_features({c: r["~" + c] for c in tp.compared}, kinds, multi) for r in rb]
                w = [[_similarity(x, y) for y in vb] for x in va]
                for i, j in assign(w):
                    if w[i][j] >= rule.threshold:
                        extra.append({"_ia": ra[i]["_i"], "_ib": rb[j]["_i"], "_g": g, "_ra": ra[i][rule.row],
                                      "_rb": rb[j][rule.row]})
                        done_a.add(i)
                        done_b.add(j)
            un_a += [{"_ia": r["_i"], "_key": f"{g} / {rule.row} a={r[rule.row]}"}
                     for i, r in enumerate(ra) if i not in done_a]
            un_b += [{"_ib": r["_i"], "_key": f"{g} / {rule.row} b={r[rule.row]}"}
                     for j, r in enumerate(rb) if j not in done_b]
        if extra:
            pairs.append(pl.DataFrame(extra, schema=pairs[0].schema))
    allp = pl.concat(pairs)
    tp.pairs = allp.select("_ia", "_ib", pl.concat_str(
        [pl.col("_g"), pl.lit(f" / {rule.row} a="), pl.col("_ra"), pl.lit(" b="), pl.col("_rb")]).alias("_key"))
    if un_a:
        tp.unmatched_a = pl.DataFrame(un_a, schema={"_ia": pl.UInt32, "_key": pl.String})
    if un_b:
        tp.unmatched_b = pl.DataFrame(un_b, schema={"_ib": pl.UInt32, "_key": pl.String})
