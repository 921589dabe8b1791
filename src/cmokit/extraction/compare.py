"""Compare reviewers' submissions: align their rows, measure agreement, list the conflicts.

A *submission* is a folder of ``<resource>.csv`` files (any subset of the review's extraction tables and
studies), by convention ``extract/reviewers/<reviewer-id>/`` (:mod:`cmokit.package.submission`); its files are read
by the same reader as ``cmokit validate``.

Alignment
    Tables are aligned by primary key. A table whose schema carries ``"cmokit:match"`` has no key shared
    between reviewers (each reviewer numbers their own rows, e.g. ``cmo.cmo_number``, or writes their own
    id, ``appraisal.appraiser``); its rows are paired *within* a study (:mod:`cmokit.extraction.matching`).
    Rows of a study that only one reviewer extracted *in that table* are "only in A/B": they are carried
    into the consensus by ``cmokit reconcile`` and listed in the report. Rows of a study both reviewers
    extracted that found no partner are *unmatched*: each is a conflict on the pseudo-field ``(row)``
    (``value_a``/``value_b`` hold the row as JSON, or are empty where the reviewer has no such row), which
    the adjudicator decides with ``a`` or ``b`` (keep or drop the row).

Normalisation before comparing: :mod:`cmokit.extraction.normalise`; two different values are never called equal.

Statistics (per field, for each pair of reviewers)
    ``n`` = pairs of aligned rows where *both* reviewers filled the field (blank = not yet extracted is a
    missing value; ``NR`` and ``NA`` are values). ``agreement`` = share of those ``n`` pairs with equal
    values. Coded fields also get Cohen's ``kappa`` (a multi-code value is one category) with its
    Landis & Koch label. A pair where exactly one reviewer left the field blank is not part of ``n`` but
    *is* a conflict. With three or more reviewers, Krippendorff's alpha (nominal) is computed per field
    across all of them (units: primary key, or for matched tables the first reviewer's rows with the rows
    the others were matched to).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmokit.core.errors import CmokitError, DataInvalid
from cmokit.core.problems import ERROR, Problem
from cmokit.extraction.agreement import alpha_from_coincidences, kappa_from_counts
from cmokit.extraction.matching import MatchRule, match_rows, match_rule, row_hash
from cmokit.extraction.normalise import field_exprs, field_kind, normalise_frame, normalise_text, plain_text
from cmokit.extraction.packed import Packed, pack
from cmokit.extraction.results import ROW_FIELD, Comparison, Conflicts, FieldStat, PairComparison, TablePair
from cmokit.package.model import Resource, Review
from cmokit.package.reader import shown_path
from cmokit.package.submission import Submission, extraction_resources, resolve_submission, submission_hash
from cmokit.package.xlsx_reader import read_any, with_cells
from cmokit.validation.keys import check_keys
from cmokit.validation.render import MAX_LISTED, one_line

if TYPE_CHECKING:
    import polars as pl



class SubmissionInvalid(DataInvalid):
    """A submission file that cannot be compared as it is (exit 1): the reader's or the key check's problems,
    exactly as ``cmokit validate --reviewer`` reports them."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        lines = "\n".join("  " + one_line(p) for p in problems[:MAX_LISTED])
        more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        super().__init__(f"{first.path}: {len(problems)} problem{'s' * (len(problems) != 1)} to fix before it can be "
                         f"compared (`cmokit validate --reviewer` lists them too):\n{lines}{more}",
                         rule=first.rule, path=first.path, line=first.line)
        self.problems = problems


def read_submission_table(review: Review, resource: Resource, path: Path) -> pl.DataFrame:
    """A submission's table as text columns (every schema field; blanks as ''), plus ``_i`` (row index).

    Read by the same reader as ``cmokit validate`` (:func:`cmokit.package.reader.read_table`); a file with a
    structure problem (encoding, delimiter, header, ragged rows, quotes) or a duplicate key is refused with the same
    rule ids, lines and fixes (:class:`SubmissionInvalid`).
    """
    table = read_any(resource, path, shown_path(path, review.root))  # a CSV file or a workbook's sheet
    problems = [p for p in table.problems if p.severity == ERROR]
    if table.frame is not None and not problems:
        problems = check_keys(table, {}, foreign=False)
    problems = with_cells(problems, [table])
    if problems or table.frame is None:
        raise SubmissionInvalid(problems)
    return table.frame.select(resource.field_names).with_row_index("_i")


def _empty_keys() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame({"_ia": [], "_key": []}, schema={"_ia": pl.UInt32, "_key": pl.String})


def _group_expr(fields: Sequence[str]) -> pl.Expr:
    import polars as pl

    return pl.concat_str([pl.col(f) for f in fields], separator=" / ")


def _row_sort(rule: MatchRule | None, side: str) -> pl.Expr:
    import polars as pl

    e = pl.col(rule.row).cast(pl.Int64, strict=False) if rule else pl.lit(None, pl.Int64)
    return e.alias(f"_n{side}")


def _layout(resource: Resource) -> tuple[MatchRule | None, list[str], list[str]]:
    """The table's match rule, the fields its rows are grouped by, and the fields compared."""
    rule = match_rule(resource)
    pk = list(resource.primary_key)
    if rule:
        group, skip = list(rule.within), set(rule.within) | {rule.row}
    else:
        group, skip = pk[:1], set(pk)
    return rule, group, [f.name for f in resource.fields if f.name not in skip]


def prepare_side(resource: Resource, df: pl.DataFrame, side: str, *, hashed: bool = False) -> pl.DataFrame:
    """One submission's table made ready for :func:`align_table`: normalised (:func:`normalise_frame`), with its
    group ``_g`` and row number ``_n<side>``; ``hashed``: also its rows' content hash ``_h`` and its free-text
    values' hashes ``_h~field`` (matched tables: :func:`cmokit.extraction.matching.row_hash`)."""
    import polars as pl

    rule, group, compared = _layout(resource)
    out = normalise_frame(df, resource, compared).with_columns(_group_expr(group).alias("_g"), _row_sort(rule, side))
    if not (hashed and rule):
        return out
    texts = [c for c in compared if field_kind(resource.field(c)) == "text"]
    return out.with_columns(pl.col("~" + c).hash(seed=0).alias("_h~" + c) for c in texts).with_columns(
        row_hash(compared, texts))


def align_table(resource: Resource, fa: pl.DataFrame | Packed | None, fb: pl.DataFrame | Packed | None,
                ids: tuple[str, str] = ("a", "b"), *, prepared: bool = False) -> TablePair:
    """Align two submissions' rows of one table (see the module docstring for the rules); ``ids`` name the two
    reviewers in the statistics and conflicts; ``prepared``: the frames come from :func:`prepare_side` (and may be
    packed, :mod:`cmokit.extraction.packed`)."""
    import polars as pl

    rule, group, compared = _layout(resource)
    pk = list(resource.primary_key)
    both_sides = fa is not None and fb is not None
    if prepared:
        a, b = fa, fb
    else:
        a = prepare_side(resource, fa, "a", hashed=both_sides) if fa is not None else None
        b = prepare_side(resource, fb, "b", hashed=both_sides) if fb is not None else None
    empty = _empty_keys()
    pairs = pl.DataFrame(schema={"_ia": pl.UInt32, "_ib": pl.UInt32, "_key": pl.String})
    tp = TablePair(resource, rule, compared, a, b, pairs, empty, empty.rename({"_ia": "_ib"}), empty,
                   empty.rename({"_ia": "_ib"}))

    def keyed(df: pl.DataFrame | Packed, side: str) -> pl.DataFrame:
        cols = df.select(*dict.fromkeys(["_i", *group, *([rule.row] if rule else pk)]))
        if rule:
            k = pl.concat_str([_group_expr(group), pl.lit(f" / {rule.row} {side}="), pl.col(rule.row)])
        else:
            k = _group_expr(pk)
        return cols.select(pl.col("_i").alias(f"_i{side}"), k.alias("_key"))

    if a is None or b is None:
        if a is not None:
            tp.only_a = keyed(a, "a")
        if b is not None:
            tp.only_b = keyed(b, "b")
        return tp
    # from here on only keys and row indexes are joined (the values are gathered column by column when compared)
    keys = list(dict.fromkeys([*group, *([rule.row] if rule else pk)]))
    ka, kb = a.select("_i", "_g", "_na", *keys), b.select("_i", "_g", "_nb", *keys)
    if rule:
        ka, kb = ka.with_columns(a.get_column("_h")), kb.with_columns(b.get_column("_h"))
    shared = ka.select("_g").unique().join(kb.select("_g").unique(), on="_g", how="inner")
    tp.only_a = keyed(ka.join(shared, on="_g", how="anti"), "a")
    tp.only_b = keyed(kb.join(shared, on="_g", how="anti"), "b")
    sa = ka.join(shared, on="_g", how="semi")
    sb = kb.join(shared, on="_g", how="semi")
    if not rule:
        joined = sa.select("_i", *pk).join(sb.select("_i", *pk), on=pk, how="full", coalesce=True, suffix="_b")
        joined = joined.rename({"_i": "_ia", "_i_b": "_ib"})
        both = joined.filter(pl.col("_ia").is_not_null() & pl.col("_ib").is_not_null())
        tp.pairs = both.select("_ia", "_ib", _group_expr(pk).alias("_key"))
        tp.unmatched_a = keyed(sa.join(both.select(pl.col("_ia").alias("_i")), on="_i", how="anti"), "a")
        tp.unmatched_b = keyed(sb.join(both.select(pl.col("_ib").alias("_i")), on="_i", how="anti"), "b")
    else:
        match_rows(tp, sa, sb, rule)
    _compare_fields(tp, ids)
    return tp


def _rows_at(df: pl.DataFrame | Packed, idx: list[int], names: list[str]) -> pl.DataFrame:
    """The rows of ``df`` whose ``_i`` is in ``idx``: columns ``_i`` and ``names``, one column at a time."""
    import polars as pl

    keep = df.get_column("_i").is_in(pl.Series(idx, dtype=pl.UInt32).implode())
    return pl.DataFrame([df.get_column(n).filter(keep) for n in dict.fromkeys(["_i", *names])])


def _row_json(df: pl.DataFrame | Packed, idx: list[int], fields: list[str]) -> list[str]:
    rows = _rows_at(df, idx, fields)
    by = {r["_i"]: {k: normalise_text(v) if isinstance(v, str) else v for k, v in r.items()}
          for r in rows.iter_rows(named=True)}
    return [json.dumps({f: by[i][f] for f in fields if by[i][f] != ""}, ensure_ascii=False) for i in idx]


def _normalised_text(tp: TablePair, c: str, cached: dict[str, pl.Series], r: pl.Series
                     ) -> tuple[pl.Series, pl.Series] | None:
    """The normalised values of free-text field ``c`` of the pairs ``r`` (A's, B's), as the matching normalised
    them (``tp.normalised``; ``cached``: each pair's row position there), or None when it did not hold them all."""
    if not cached or "n:" + c not in tp.normalised["a"][1].columns:
        return None
    out = []
    for s in ("a", "b"):
        pos = cached[s].gather(r)
        if pos.null_count():
            return None
        out.append(tp.normalised[s][1].get_column("n:" + c).gather(pos))
    return out[0], out[1]


def _field_pairs(tp: TablePair, c: str, ia: pl.Series, ib: pl.Series, cached: dict[str, pl.Series],
                 missing: list[str]) -> tuple[int, int, float | None, pl.DataFrame]:
    """(n, agreed, kappa, conflicts ``_r, value_a, value_b``) of field ``c`` over the aligned pairs ``ia``/``ib``
    (a function of its own, so that the field's columns are freed before the next field's are gathered)."""
    import polars as pl

    f = tp.resource.field(c)
    kind = field_kind(f)
    x, y = tp.a.get_column("~" + c).gather(ia), tp.b.get_column("~" + c).gather(ib)
    pair = pl.DataFrame({"x": x, "y": y}).with_row_index("_r")
    if kind == "text":
        # free text was left raw: equal raw values are equal (blank when only whitespace); normalise only the
        # pairs that differ
        filled_same = pair.select(((pl.col("x") == pl.col("y")) & ~pl.col("x").str.contains(r"^\s*$")).sum()).item()
        ox, cx = field_exprs(f, "x", missing)
        oy, cy = field_exprs(f, "y", missing)
        diff = pair.filter(pl.col("x") != pl.col("y"))
        done = _normalised_text(tp, c, cached, diff.get_column("_r")) if plain_text(f) else None
        if done is not None:  # normalised by the matching already
            diff = diff.select("_r").with_columns(done[0].alias("ox"), done[1].alias("oy"))
        elif plain_text(f):
            diff = diff.select("_r", ox.alias("ox"), oy.alias("oy"))
        else:
            diff = diff.select("_r", ox.alias("ox"), cx.alias("cx"), oy.alias("oy"), cy.alias("cy"))
        if plain_text(f):  # the output form is the comparison form
            diff = diff.with_columns(pl.col("ox").alias("cx"), pl.col("oy").alias("cy"))
        both = (pl.col("cx") != "") & (pl.col("cy") != "")
        n_d, agree_d = diff.select(both.sum().alias("n"),
                                   (both & (pl.col("cx") == pl.col("cy"))).sum().alias("agree")).row(0)
        n, agree = filled_same + (n_d or 0), filled_same + (agree_d or 0)
        conf = diff.filter(pl.col("cx") != pl.col("cy")).select("_r", pl.col("ox").alias("value_a"),
                                                               pl.col("oy").alias("value_b"))
        kappa = None
    else:
        both = (pl.col("x") != "") & (pl.col("y") != "")
        n, agree = pair.select(both.sum().alias("n"), (both & (pl.col("x") == pl.col("y"))).sum().alias("agree")
                               ).row(0)
        n, agree = int(n or 0), int(agree or 0)
        kappa = None
        if n:
            filled = pair.filter(both)
            kappa = kappa_from_counts(n, agree, dict(filled.get_column("x").value_counts().iter_rows()),
                                      dict(filled.get_column("y").value_counts().iter_rows()))
        r = pair.filter(pl.col("x") != pl.col("y")).get_column("_r")
        conf = pl.DataFrame({"_r": r, "value_a": tp.a.get_column(c).gather(ia.gather(r)),
                             "value_b": tp.b.get_column(c).gather(ib.gather(r))})
    return int(n), int(agree), kappa, conf


def _compare_fields(tp: TablePair, ids: tuple[str, str]) -> None:
    """Per compared field: statistics and conflicts of the aligned pairs, one column at a time (so that memory holds
    one column of each side beside the tables, not a join of every column)."""
    import polars as pl

    assert tp.a is not None and tp.b is not None
    ia, ib = tp.pairs.get_column("_ia"), tp.pairs.get_column("_ib")
    order = pl.DataFrame({"_g": tp.a.get_column("_g").gather(ia), "_na": tp.a.get_column("_na").gather(ia),
                          "_nb": tp.b.get_column("_nb").gather(ib), "_key": tp.pairs.get_column("_key")}
                         ).with_row_index("_r")
    missing = list(tp.resource.missing_values)
    cached = {s: ids.to_frame("_r").join(tp.normalised[s][0], on="_r", how="left", maintain_order="left")
              .get_column("_p") for s, ids in (("a", ia), ("b", ib))} if set(tp.normalised) == {"a", "b"} else {}
    frames = []
    for idx, c in enumerate(tp.compared):
        n, agree, kappa, conf = _field_pairs(tp, c, ia, ib, cached, missing)
        tp.stats.append(FieldStat(tp.table, c, field_kind(tp.resource.field(c)), n, agree, agree / n if n else None,
                                  kappa, conf.height, *ids))
        if conf.height:
            frames.append(conf.select(pl.lit(0, pl.Int8).alias("_s"), pl.col("_r").cast(pl.Int64),
                                      pl.lit(idx, pl.Int32).alias("_f"), pl.lit(c).alias("field"), "value_a",
                                      "value_b"))
    tp.normalised = {}
    # unmatched rows: one (row) conflict each
    rows_in_order = [order.select(pl.lit(0, pl.Int8).alias("_s"), pl.col("_r").cast(pl.Int64), "_g",
                                  pl.col("_na").cast(pl.Int64), pl.col("_nb").cast(pl.Int64), "_key")]
    fields = tp.resource.field_names
    for s, side, frame, df in ((1, "a", tp.unmatched_a, tp.a), (2, "b", tp.unmatched_b, tp.b)):
        if not frame.height:
            continue
        idx = frame[f"_i{side}"].to_list()
        info = _rows_at(df, idx, ["_g", f"_n{side}"]).rows_by_key("_i", unique=True)
        js = _row_json(df, idx, fields)
        g_num = [info[i] for i in idx]
        rows_in_order.append(pl.DataFrame({
            "_s": [s] * len(idx), "_r": list(range(len(idx))), "_g": [g for g, _ in g_num],
            "_na": [n if side == "a" else None for _, n in g_num],
            "_nb": [n if side == "b" else None for _, n in g_num], "_key": frame["_key"].to_list()},
            schema={"_s": pl.Int8, "_r": pl.Int64, "_g": pl.String, "_na": pl.Int64, "_nb": pl.Int64,
                    "_key": pl.String}))
        frames.append(pl.DataFrame({"_s": [s] * len(idx), "_r": list(range(len(idx))), "_f": [-1] * len(idx),
                                    "field": [ROW_FIELD] * len(idx),
                                    "value_a": js if side == "a" else [""] * len(idx),
                                    "value_b": js if side == "b" else [""] * len(idx)},
                                   schema={"_s": pl.Int8, "_r": pl.Int64, "_f": pl.Int32, "field": pl.String,
                                           "value_a": pl.String, "value_b": pl.String}))
    if frames:
        # the report's order: by study, row numbers and key (each row ranked once), then field; conflicts carry
        # their row's rank, so that millions of them are sorted by integers, not by their texts
        ranked = pl.concat(rows_in_order).sort(["_g", "_na", "_nb", "_key"], nulls_last=True).with_row_index("_rank")
        allc = pl.concat(frames).join(ranked.select("_s", "_r", "_rank", "_key"), on=["_s", "_r"], how="left").sort(
            ["_rank", "_f"])
        tp.conflicts = Conflicts([(tp.table, *ids, allc.select("_key", "field", "value_a", "value_b"))])


def compare_pair(review: Review, a: Submission, b: Submission, *, slim: bool = False) -> PairComparison:
    """Align and compare two submissions, table by table (in the descriptor's order).

    ``slim``: once a table is compared, keep of its rows only ``study_id`` (what the report still needs), so that
    memory holds one table of each submission at a time, not all of them (reconcile, which writes the rows, and
    Krippendorff's alpha, which compares three or more reviewers, need them whole).
    """
    tables = []
    for r in extraction_resources(review):
        if r.name not in a.files and r.name not in b.files:
            continue
        both = r.name in a.files and r.name in b.files
        fa: pl.DataFrame | Packed | None = None
        if r.name in a.files:
            fa = prepare_side(r, read_submission_table(review, r, a.files[r.name]), "a", hashed=both)
        if slim and both:
            # A's long texts are held compressed while B's table is parsed (memory holds one table's texts, not two)
            compared = [f for f in r.fields if "~" + f.name in fa.columns]
            fa = pack(fa, [f.name for f in compared if field_kind(f) == "text"])
        fb = None
        if r.name in b.files:
            fb = prepare_side(r, read_submission_table(review, r, b.files[r.name]), "b", hashed=both)
        tp = align_table(r, fa, fb, (a.id, b.id), prepared=True)
        del fa, fb
        if slim:
            tp.a, tp.b = (None if df is None else df.select(*[c for c in ("_i", "study_id") if c in df.columns])
                          for df in (tp.a, tp.b))
        tables.append(tp)
    return PairComparison(a, b, tables)


def _studies(pair_tables: list[TablePair], side: str) -> pl.Series:
    """The distinct study ids a submission holds in any table."""
    import polars as pl

    cols = [df.get_column("study_id") for t in pair_tables
            for df in [t.a if side == "a" else t.b] if df is not None and "study_id" in df.columns]
    return pl.concat(cols).unique() if cols else pl.Series("study_id", [], pl.String)


def _alpha(review: Review, subs: list[Submission], pairs: list[PairComparison]) -> list[dict[str, Any]]:
    """Krippendorff's alpha (nominal) per field across all reviewers."""
    import polars as pl

    first = [p for p in pairs if p.a is subs[0]]
    out = []
    for r in extraction_resources(review):
        tps = [t for p in first for t in p.tables if t.table == r.name]
        if not tps:
            continue
        rule = tps[0].rule
        compared = tps[0].compared
        longs = []
        for p, t in zip(first, tps, strict=True):
            if rule is None:
                unit = _group_expr(r.primary_key)
                for k, df in enumerate((t.a, t.b)):
                    if df is None or (k == 0 and p is not first[0]):
                        continue
                    rid = subs[0].id if k == 0 else p.b.id
                    longs.append(df.select(unit.alias("_u"), pl.lit(rid).alias("_r"),
                                           *[pl.col("~" + c) for c in compared]))
            else:
                if t.a is not None and p is first[0]:
                    longs.append(t.a.select(pl.col("_i").cast(pl.Int64).alias("_u"), pl.lit(subs[0].id).alias("_r"),
                                            *[pl.col("~" + c) for c in compared]).with_columns(
                        pl.col("_u").cast(pl.String)))
                if t.b is not None and t.pairs.height:
                    longs.append(t.pairs.select("_ia", "_ib").join(
                        t.b.select(pl.col("_i").alias("_ib"), *[pl.col("~" + c) for c in compared]), on="_ib")
                        .select(pl.col("_ia").cast(pl.String).alias("_u"), pl.lit(p.b.id).alias("_r"),
                                *[pl.col("~" + c) for c in compared]))
        if not longs:
            continue
        wide = pl.concat(longs, how="vertical_relaxed").unique(subset=["_u", "_r"], keep="first")
        for c in compared:
            if field_kind(r.field(c)) != "coded":
                continue
            v = wide.select("_u", pl.col("~" + c).alias("v")).filter(pl.col("v") != "")
            units = v.group_by("_u").len("m").filter(pl.col("m") >= 2)
            cells = v.join(units, on="_u").group_by("_u", "v", "m").len("nc")
            diag = cells.select((pl.col("nc") * (pl.col("nc") - 1) / (pl.col("m") - 1)).sum()).item() or 0.0
            marg = cells.group_by("v").agg(pl.col("nc").sum())["nc"].to_list()
            out.append({"table": r.name, "field": c, "kind": field_kind(r.field(c)), "units": units.height,
                        "alpha": alpha_from_coincidences(float(diag), marg)})
    return out


def compare(review: Review, submissions: Sequence[str | os.PathLike[str] | Submission]) -> Comparison:
    """Compare two or more submissions (reviewer ids, folders or Submission objects)."""
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    subs = [s if isinstance(s, Submission) else resolve_submission(review, s, hashed=False) for s in submissions]
    if len(subs) < 2:
        raise CmokitError("compare needs at least two submissions (reviewer ids or folders).", rule="usage")
    paths = [s.path for s in subs]
    if len(set(paths)) != len(paths):
        raise CmokitError("the same submission folder is named twice; name each reviewer once.", rule="usage")
    # hashing (sha256 releases the GIL) overlaps with the comparison; the hashes are only needed for the output
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        hashes = {id(s): pool.submit(submission_hash, s.files) for s in subs if not s.sha256}
        pairs = [compare_pair(review, subs[i], subs[j], slim=len(subs) == 2) for i in range(len(subs))
                 for j in range(i + 1, len(subs))]
        seen: dict[str, pl.Series] = {}
        for p in pairs:
            seen.setdefault(p.a.id, _studies(p.tables, "a"))
            seen.setdefault(p.b.id, _studies(p.tables, "b"))
        studies_only = {}
        for s in subs:
            others = pl.concat([seen[o.id] for o in subs if o is not s])
            studies_only[s.id] = sorted(seen[s.id].filter(~seen[s.id].is_in(others.implode())).to_list())
        alpha = _alpha(review, subs, pairs) if len(subs) >= 3 else []
        for s in subs:
            if id(s) in hashes:
                s.sha256 = hashes[id(s)].result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return Comparison(review, subs, pairs, alpha, studies_only)
