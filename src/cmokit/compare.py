"""Compare reviewers' submissions: align their rows, measure agreement, list the conflicts.

A *submission* is a folder of ``<resource>.csv`` files (any subset of the review's extraction tables and
studies), by convention ``extract/reviewers/<reviewer-id>/``.

Alignment
    Tables are aligned by primary key. A table whose schema carries ``"cmokit:match"`` has no key shared
    between reviewers (each reviewer numbers their own rows, e.g. ``cmo.cmo_number``, or writes their own
    id, ``appraisal.appraiser``); its rows are paired *within* a study:

    1. a row of A and a row of B with the same row label (e.g. both ``cmo_number`` 2) and identical content
       (every compared field equal) pair up;
    2. among the rest, rows with identical content pair up, in row-number order;
    3. the remaining rows of the study are paired by an optimal one-to-one assignment (Hungarian method)
       that maximises the total similarity; a pair whose similarity is below the table's ``threshold``
       stays unmatched (for ``appraisal`` the threshold is 0: a study's appraisals always pair).
       Similarity of two rows = mean, over the compared fields that at least one of them
       filled in, of 1 for equal values, the Jaccard index of the codes for a multi-code field and of
       the (lower-cased) words for free text, 0 otherwise.

    Rows of a study that only one reviewer extracted *in that table* are "only in A/B": they are carried
    into the consensus by ``cmokit reconcile`` and listed in the report. Rows of a study both reviewers
    extracted that found no partner are *unmatched*: each is a conflict on the pseudo-field ``(row)``
    (``value_a``/``value_b`` hold the row as JSON, or are empty where the reviewer has no such row), which
    the adjudicator decides with ``a`` or ``b`` (keep or drop the row).

Normalisation before comparing
    Surrounding whitespace is removed and text is put in Unicode NFC; codes (enum, boolean and multi-code
    fields, and the missing-value codes NR/NA) are compared without regard to case when the field's codes
    stay distinct that way, and are written in the codebook's case; the codes inside a multi-code field are
    compared as a sorted list (so order does not matter, but a repeated code does); numbers are compared as
    exact decimals (``1.50`` = ``1.5``, never through floating point). Free text keeps its case and inner
    spacing. Nothing else is normalised, so two different values are never called equal.

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

import csv
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmokit.agreement import alpha_from_coincidences, kappa_from_counts, landis_koch
from cmokit.errors import CmokitError, DataInvalid
from cmokit.review import Field, Resource, Review

if TYPE_CHECKING:
    import polars as pl

ROW_FIELD = "(row)"
REVIEWER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
REVIEWERS_DIR = "extract/reviewers"
CONFLICT_COLUMNS = ["table", "key", "field", "value_a", "value_b", "decision", "value", "decided_by", "reason"]
HASH_LINE_PREFIX = "# cmokit-conflicts"
_NUMBER_RE = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_WORD_RE = re.compile(r"\w+")


# --------------------------------------------------------------------------------------------- submissions
@dataclass
class Submission:
    """One reviewer's submission folder and the review tables it holds."""

    id: str
    path: Path
    files: dict[str, Path]  # resource name -> CSV file
    sha256: str


def extraction_resources(review: Review) -> list[Resource]:
    """The tables reviewers extract into (every data resource except the audit log)."""
    return [r for r in review.data_resources if not r.descriptor.get("cmokit:role")]


def submission_hash(files: dict[str, Path]) -> str:
    """SHA-256 over the submission's table files (name and bytes, in name order)."""
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name].read_bytes()
        h.update(f"{name}.csv\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def resolve_submission(review: Review, arg: str | os.PathLike[str], *, hashed: bool = True) -> Submission:
    """A reviewer id (``extract/reviewers/<id>``) or a folder path -> Submission; CmokitError (exit 2) if unusable.

    ``hashed=False`` leaves ``sha256`` empty (``compare`` hashes in a background thread meanwhile).
    """
    text = str(arg)
    p = Path(text)
    if p.is_dir() or os.sep in text or "/" in text or text.startswith("."):
        folder = p
        if not folder.is_dir():
            raise CmokitError(f"{text}: no such submission folder. Give a reviewer id or the path of a folder "
                              f"of <table>.csv files.", rule="submission.missing", path=text)
    else:
        if not REVIEWER_ID_RE.match(text):
            raise CmokitError(f"'{text}' is not a reviewer id (lower-case letters, digits, '-' and '_') nor a folder.",
                              rule="submission.missing")
        folder = review.root / REVIEWERS_DIR / text
        if not folder.is_dir():
            raise CmokitError(f"{REVIEWERS_DIR}/{text}: no such submission folder. Create it with "
                              f"`cmokit template --reviewer {text}`, or give the path of a folder.",
                              rule="submission.missing", path=f"{REVIEWERS_DIR}/{text}")
    folder = folder.resolve()
    known = {r.name for r in extraction_resources(review)}
    files: dict[str, Path] = {}
    for f in sorted(folder.glob("*.csv")):
        if f.stem not in known:
            raise CmokitError(
                f"{f}: '{f.name}' is not a table of the review (tables: {', '.join(sorted(known))}). Rename it to "
                "the table it holds, or move it out of the submission folder.", rule="submission.unknown_file",
                path=str(f))
        real = f.resolve()
        if real.parent != folder:
            raise CmokitError(f"{f}: is a link to a file outside the submission folder; copy the file instead.",
                              rule="path.unsafe", path=str(f))
        files[f.stem] = real
    if not files:
        raise CmokitError(f"{folder}: holds no table files (expected some of: "
                          f"{', '.join(f'{n}.csv' for n in sorted(known))}).", rule="submission.empty",
                          path=str(folder))
    return Submission(id=folder.name, path=folder, files=files, sha256=submission_hash(files) if hashed else "")


# ------------------------------------------------------------------------------------------------ matching
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


def field_kind(f: Field) -> str:
    """``coded`` (enum, boolean, multi-code) or ``text`` (everything else)."""
    return "coded" if (f.coded or f.type == "boolean") else "text"


def code_map(f: Field, missing: Sequence[str]) -> dict[str, str]:
    """lower-case -> canonical spelling of the field's codes (empty when lower-casing would merge two codes)."""
    codes = list(f.codes() or ())
    if f.type == "boolean":
        codes += list(f.true_values) + list(f.false_values)
    codes += [m for m in missing if m]
    lower: dict[str, str] = {}
    for c in codes:
        if lower.get(c.lower(), c) != c:
            return {}
        lower[c.lower()] = c
    return lower


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


# ----------------------------------------------------------------------------------------------- reading
def _physical_lines(path: Path) -> list[int]:
    """Physical line (header = 1) on which each data row starts."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        starts = []
        line = reader.line_num + 1
        for _ in reader:
            starts.append(line)
            line = reader.line_num + 1
    return starts


def read_table(resource: Resource, path: Path) -> pl.DataFrame:
    """A submission's table as text columns (every schema field; blanks as ''), plus ``_i`` (row index)."""
    import polars as pl

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise CmokitError(f"{path}: cannot be read ({exc}). Save it as UTF-8 CSV.", rule="csv.unreadable",
                          path=str(path)) from None
    if not header:
        raise CmokitError(f"{path}, line 1: no header. Start from `cmokit template`.", rule="csv.header",
                          path=str(path), line=1)
    names = resource.field_names
    unknown = [h for h in header if h not in names]
    if unknown or len(set(header)) != len(header):
        what = f"unknown column(s) {', '.join(repr(u) for u in unknown)}" if unknown else "a repeated column"
        raise CmokitError(f"{path}, line 1: {what}. The columns of '{resource.name}' are: {', '.join(names)}.",
                          rule="csv.header", path=str(path), line=1)
    key = list(resource.primary_key)
    missing_keys = [k for k in key if k not in header]
    if missing_keys:
        raise CmokitError(f"{path}, line 1: key column(s) {', '.join(missing_keys)} missing.", rule="csv.header",
                          path=str(path), line=1)
    try:
        df = pl.read_csv(path, schema={h: pl.String for h in header}, has_header=True, encoding="utf8",
                         empty_string_is_null=False, raise_if_empty=False)
    except Exception as exc:  # noqa: BLE001 - polars raises several types for malformed CSV
        raise CmokitError(f"{path}: not a readable CSV file ({exc}). Run `cmokit validate --reviewer` on it.",
                          rule="csv.unreadable", path=str(path)) from None
    cols = [pl.col(n).fill_null("") if n in header else pl.lit("").alias(n) for n in names]
    return df.select(cols).with_row_index("_i")


def _field_exprs(f: Field, src: str, missing: Sequence[str]) -> tuple[pl.Expr, pl.Expr]:
    """(output form, comparison form) of column ``src`` holding values of field ``f``."""
    import polars as pl

    base = pl.col(src).str.strip_chars()
    base = pl.when(base.str.contains(r"[^\x00-\x7F]")).then(base.str.normalize("NFC")).otherwise(base)
    cmap = code_map(f, missing) if field_kind(f) == "coded" else {}
    if f.multiple:
        elem = pl.element().str.strip_chars()
        if cmap:
            low = elem.str.to_lowercase()
            elem = pl.when(low.is_in(list(cmap))).then(low.replace(cmap)).otherwise(elem)
        canon = base.str.split(";").list.eval(elem)
        blank = base == ""
        return (pl.when(blank).then(pl.lit("")).otherwise(canon.list.join("; ")),
                pl.when(blank).then(pl.lit("")).otherwise(canon.list.sort().list.join("; ")))
    if cmap:
        low = base.str.to_lowercase()
        base = pl.when(low.is_in(list(cmap))).then(low.replace(cmap)).otherwise(base)
    if f.type in ("number", "integer"):
        canon_num = (base.str.replace(r"^\+", "").str.replace(r"^(-?)0+([0-9])", "${1}${2}")
                     .str.replace(r"^(-?[0-9]+\.[0-9]*?)0+$", "${1}").str.replace(r"\.$", ""))
        return base, pl.when(base.str.contains(_NUMBER_RE)).then(canon_num).otherwise(base)
    return base, base


def _normalise(df: pl.DataFrame, resource: Resource, compared: list[str]) -> pl.DataFrame:
    """Normalise keys and coded fields in place and add comparison columns ``~field``.

    Free-text (and number, date) columns stay raw here, for speed: equal raw values are equal after
    normalisation, so only pairs whose raw values differ are normalised (in ``_compare_fields``).
    """
    import polars as pl

    missing = list(resource.missing_values)
    out, cmp = [], []
    coded = [f.name for f in resource.fields if field_kind(f) == "coded"]
    uniques = df.select([pl.col(c).unique().implode() for c in coded]).row(0, named=True) if coded else {}
    for f in resource.fields:
        kind = field_kind(f)
        if f.name in compared and kind == "text":
            cmp.append(pl.col(f.name).alias("~" + f.name))
            continue
        if kind == "coded":
            # few distinct values: normalise each once in Python, then map the column
            cmap = code_map(f, missing)
            uniq = list(uniques[f.name])
            forms = [_code_forms(f, v, cmap) for v in uniq]
            outs, cmps = [o for o, _ in forms], [c for _, c in forms]
            col = pl.col(f.name)
            if outs != uniq:  # (clean data: nothing to map)
                out.append(col.replace_strict(uniq, outs, return_dtype=pl.String).alias(f.name))
            if f.name in compared:  # in the same pass, so that it reads the raw column
                out.append((col.replace_strict(uniq, cmps, return_dtype=pl.String) if cmps != uniq else col)
                           .alias("~" + f.name))
            continue
        o, c = _field_exprs(f, f.name, missing)
        out.append(o.alias(f.name))
        if f.name in compared:
            cmp.append(c.alias("~" + f.name))
    return df.with_columns(out).with_columns(cmp)


def _code_forms(f: Field, value: str, cmap: dict[str, str]) -> tuple[str, str]:
    """(output form, comparison form) of one value of a coded field (same rules as ``_field_exprs``)."""
    import unicodedata

    v = unicodedata.normalize("NFC", value.strip())
    if v == "":
        return "", ""

    def canon(x: str) -> str:
        return cmap.get(x.lower(), x) if cmap else x

    if f.multiple:
        parts = [canon(p.strip()) for p in v.split(";")]
        return "; ".join(parts), "; ".join(sorted(parts))
    return canon(v), canon(v)


def normalise_text(value: str) -> str:
    """Output form of a free-text value: surrounding whitespace removed, Unicode NFC."""
    import unicodedata

    return unicodedata.normalize("NFC", value.strip())


# ------------------------------------------------------------------------------------------------ results
@dataclass
class FieldStat:
    table: str
    field: str
    kind: str
    n: int
    agreed: int
    agreement: float | None
    kappa: float | None
    conflicts: int
    reviewer_a: str
    reviewer_b: str

    @property
    def kappa_label(self) -> str | None:
        return landis_koch(self.kappa) if self.kind == "coded" else None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "field": self.field, "kind": self.kind, "n": self.n,
                "agreed": self.agreed, "agreement": self.agreement, "kappa": self.kappa,
                "kappa_label": self.kappa_label,
                "conflicts": self.conflicts, "reviewer_a": self.reviewer_a, "reviewer_b": self.reviewer_b}


@dataclass(frozen=True)
class Conflict:
    table: str
    key: str
    field: str
    value_a: str
    value_b: str
    reviewer_a: str = ""
    reviewer_b: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "key": self.key, "field": self.field, "value_a": self.value_a,
                "value_b": self.value_b, "reviewer_a": self.reviewer_a, "reviewer_b": self.reviewer_b}


@dataclass
class TablePair:
    """Two submissions' versions of one table, aligned."""

    resource: Resource
    rule: MatchRule | None
    compared: list[str]
    a: pl.DataFrame | None  # normalised rows (output columns = field names, ``~f`` comparison columns, ``_i``)
    b: pl.DataFrame | None
    pairs: pl.DataFrame  # _ia, _ib, _key
    only_a: pl.DataFrame  # _ia, _key: study extracted in this table by A only (carried into the consensus)
    only_b: pl.DataFrame
    unmatched_a: pl.DataFrame  # _ia, _key: rows of a shared study without a partner ((row) conflicts)
    unmatched_b: pl.DataFrame
    stats: list[FieldStat] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.resource.name


@dataclass
class PairComparison:
    a: Submission
    b: Submission
    tables: list[TablePair]

    @property
    def conflicts(self) -> list[Conflict]:
        return [c for t in self.tables for c in t.conflicts]

    @property
    def stats(self) -> list[FieldStat]:
        return [s for t in self.tables for s in t.stats]


@dataclass
class Comparison:
    """Everything ``cmokit compare`` reports."""

    review: Review
    submissions: list[Submission]
    pairs: list[PairComparison]
    alpha: list[dict[str, Any]]
    studies_only: dict[str, list[str]]

    @property
    def conflicts(self) -> list[Conflict]:
        return [c for p in self.pairs for c in p.conflicts]

    def totals(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Per table and per pair of reviewers, and overall per pair: pooled n, agreement, conflicts, rows."""
        tables, overall = [], []
        for p in self.pairs:
            tn = ta = tc = 0
            for t in p.tables:
                n = sum(s.n for s in t.stats)
                agree = sum(s.agreed for s in t.stats)
                conf = len(t.conflicts)
                tn, ta, tc = tn + n, ta + agree, tc + conf
                tables.append({"table": t.table, "reviewer_a": p.a.id, "reviewer_b": p.b.id,
                               "rows_paired": t.pairs.height, "only_a": t.only_a.height, "only_b": t.only_b.height,
                               "unmatched_a": t.unmatched_a.height, "unmatched_b": t.unmatched_b.height,
                               "n": n, "agreement": agree / n if n else None, "conflicts": conf})
            overall.append({"reviewer_a": p.a.id, "reviewer_b": p.b.id, "n": tn,
                            "agreement": ta / tn if tn else None, "conflicts": tc})
        return tables, overall

    def _one_sided(self, attr_a: str, attr_b: str) -> list[dict[str, Any]]:
        """Rows one reviewer has and the other lacks (or that could not be paired), as JSON items."""
        out = []
        for p in self.pairs:
            for t in p.tables:
                for side, frame, sub in (("a", getattr(t, attr_a), p.a), ("b", getattr(t, attr_b), p.b)):
                    out += [{"table": t.table, "key": k, "reviewer": sub.id, "side": side,
                             "reviewer_a": p.a.id, "reviewer_b": p.b.id} for k in frame["_key"].to_list()]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see the README: keys ``fields``, ``conflicts``, ``tables``, ``overall``...)."""
        tables, overall = self.totals()
        only = self._one_sided("only_a", "only_b")
        unmatched = self._one_sided("unmatched_a", "unmatched_b")
        return {
            "review": self.review.name,
            "reviewers": [{"id": s.id, "path": str(s.path), "sha256": s.sha256} for s in self.submissions],
            "fields": [s.to_dict() for p in self.pairs for s in p.stats],
            "tables": tables,
            "overall": overall,
            "alpha": self.alpha,
            "studies_only": self.studies_only,
            "only": only,
            "unmatched": unmatched,
            "conflicts": [c.to_dict() for c in self.conflicts],
        }


# ------------------------------------------------------------------------------------------------ compare
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


def align_table(resource: Resource, fa: pl.DataFrame | None, fb: pl.DataFrame | None,
                paths: tuple[Path | None, Path | None] = (None, None)) -> TablePair:
    """Align two submissions' rows of one table (see the module docstring for the rules)."""
    import polars as pl

    rule = match_rule(resource)
    pk = list(resource.primary_key)
    if rule:
        group, skip = list(rule.within), set(rule.within) | {rule.row}
    else:
        group, skip = pk[:1], set(pk)
    compared = [f.name for f in resource.fields if f.name not in skip]
    a = _normalise(fa, resource, compared) if fa is not None else None
    b = _normalise(fb, resource, compared) if fb is not None else None
    empty = _empty_keys()
    pairs = pl.DataFrame(schema={"_ia": pl.UInt32, "_ib": pl.UInt32, "_key": pl.String})
    tp = TablePair(resource, rule, compared, a, b, pairs, empty, empty.rename({"_ia": "_ib"}), empty,
                   empty.rename({"_ia": "_ib"}))
    for df, path in zip((a, b), paths, strict=True):
        if df is not None:
            _check_unique(resource, df, pk if not rule else [*rule.within, rule.row], path)

    def keyed(df: pl.DataFrame, side: str) -> pl.DataFrame:
        if rule:
            k = pl.concat_str([_group_expr(group), pl.lit(f" / {rule.row} {side}="), pl.col(rule.row)])
        else:
            k = _group_expr(pk)
        return df.select(pl.col("_i").alias(f"_i{side}"), k.alias("_key"))

    if a is None or b is None:
        if a is not None:
            tp.only_a = keyed(a, "a")
        if b is not None:
            tp.only_b = keyed(b, "b")
        return tp
    a = a.with_columns(_group_expr(group).alias("_g"), _row_sort(rule, "a"))
    b = b.with_columns(_group_expr(group).alias("_g"), _row_sort(rule, "b"))
    tp.a, tp.b = a, b
    shared = a.select("_g").unique().join(b.select("_g").unique(), on="_g", how="inner")
    tp.only_a = keyed(a.join(shared, on="_g", how="anti"), "a")
    tp.only_b = keyed(b.join(shared, on="_g", how="anti"), "b")
    sa = a.join(shared, on="_g", how="semi")
    sb = b.join(shared, on="_g", how="semi")
    if not rule:
        joined = sa.select("_i", *pk).join(sb.select("_i", *pk), on=pk, how="full", coalesce=True, suffix="_b")
        joined = joined.rename({"_i": "_ia", "_i_b": "_ib"})
        both = joined.filter(pl.col("_ia").is_not_null() & pl.col("_ib").is_not_null())
        tp.pairs = both.select("_ia", "_ib", _group_expr(pk).alias("_key"))
        tp.unmatched_a = keyed(sa.join(both.select(pl.col("_ia").alias("_i")), on="_i", how="anti"), "a")
        tp.unmatched_b = keyed(sb.join(both.select(pl.col("_ib").alias("_i")), on="_i", how="anti"), "b")
    else:
        _match_rows(tp, sa, sb, rule)
    _compare_fields(tp)
    return tp


def _check_unique(resource: Resource, df: pl.DataFrame, key: list[str], path: Path | None) -> None:
    import polars as pl

    if df.select(pl.struct(key).n_unique()).item() == df.height:
        return
    dup = df.filter(pl.struct(key).is_duplicated())
    first = dup.row(0, named=True)
    rows = dup.filter(pl.all_horizontal([pl.col(k) == first[k] for k in key]))["_i"].to_list()
    lines = _physical_lines(path) if path is not None else []
    where = [str(lines[i]) if i < len(lines) else f"row {i + 1}" for i in rows]
    what = ", ".join(f"{k} '{first[k]}'" for k in key)
    raise DataInvalid(f"{path or resource.name}, lines {', '.join(where)}: {what} appears {len(rows)} times in "
                      f"'{resource.name}' [compare.duplicate_key]. Keep one row per key (run `cmokit validate "
                      "--reviewer` on the submission).", rule="compare.duplicate_key",
                      path=str(path) if path else None, line=lines[rows[0]] if lines else None)


def _match_rows(tp: TablePair, sa: pl.DataFrame, sb: pl.DataFrame, rule: MatchRule) -> None:
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


def _row_json(df: pl.DataFrame, idx: list[int], fields: list[str]) -> list[str]:
    import polars as pl

    rows = df.filter(pl.col("_i").is_in(idx)).select("_i", *fields)
    by = {r["_i"]: {k: normalise_text(v) if isinstance(v, str) else v for k, v in r.items()}
          for r in rows.iter_rows(named=True)}
    return [json.dumps({f: by[i][f] for f in fields if by[i][f] != ""}, ensure_ascii=False) for i in idx]


def _compare_fields(tp: TablePair) -> None:
    import polars as pl

    assert tp.a is not None and tp.b is not None
    sort_a = _row_sort(tp.rule, "a")
    sort_b = _row_sort(tp.rule, "b")
    cols = [(c, "~" + c) for c in tp.compared]
    ja = tp.a.select(pl.col("_i").alias("_ia"), pl.col("_g") if "_g" in tp.a.columns else pl.lit("").alias("_g"),
                     sort_a, *[pl.col(c).alias("a:" + c) for c, _ in cols],
                     *[pl.col(k).alias("ca:" + c) for c, k in cols])
    jb = tp.b.select(pl.col("_i").alias("_ib"), sort_b, *[pl.col(c).alias("b:" + c) for c, _ in cols],
                     *[pl.col(k).alias("cb:" + c) for c, k in cols])
    j = tp.pairs.join(ja, on="_ia", how="left").join(jb, on="_ib", how="left")
    text = [c for c in tp.compared if field_kind(tp.resource.field(c)) == "text"]
    if text and j.height:
        # free text was left raw: equal raw values are equal; normalise only the pairs that differ somewhere
        missing = list(tp.resource.missing_values)
        diff = pl.any_horizontal([pl.col("ca:" + c) != pl.col("cb:" + c) for c in text])
        j = j.with_columns(diff.alias("_d"))
        jd = j.filter(pl.col("_d"))
        je = j.filter(~pl.col("_d"))
        exprs = []
        for c in text:
            for side in "ab":
                o, cm = _field_exprs(tp.resource.field(c), f"{side}:{c}", missing)
                exprs += [o.alias(f"{side}:{c}"), cm.alias(f"c{side}:{c}")]
        jd = jd.with_columns(exprs)
        # equal raw values: blank (whitespace only) on both sides or on neither
        je = je.with_columns([pl.col(f"ca:{c}").str.contains(r"^\s*$").alias(f"_blank:{c}") for c in text])
        je = je.with_columns([pl.when(pl.col(f"_blank:{c}")).then(pl.lit("")).otherwise(pl.col(f"c{side}:{c}"))
                              .alias(f"c{side}:{c}") for c in text for side in "ab"]).drop(
            [f"_blank:{c}" for c in text])
        j = pl.concat([je, jd]).drop("_d")
    aggs = []
    for c, _ in cols:
        x, y = pl.col("ca:" + c), pl.col("cb:" + c)
        both = (x != "") & (y != "")
        aggs += [both.sum().alias("n:" + c), (both & (x == y)).sum().alias("agree:" + c),
                 (x != y).sum().alias("conf:" + c)]
    totals = j.select(aggs).row(0, named=True) if aggs else {}
    # each reviewer's category counts of every coded field, in one parallel run
    coded = [c for c, _ in cols if field_kind(tp.resource.field(c)) == "coded" and totals["n:" + c]]
    queries = []
    lj = j.lazy()
    for c in coded:
        x, y = pl.col("ca:" + c), pl.col("cb:" + c)
        sub = lj.select(x, y).filter((x != "") & (y != ""))
        queries += [sub.group_by("ca:" + c).len(), sub.group_by("cb:" + c).len()]
    counted = pl.collect_all(queries) if queries else []
    counts = {c: (dict(counted[2 * k].iter_rows()), dict(counted[2 * k + 1].iter_rows())) for k, c in enumerate(coded)}
    a_id, b_id = "a", "b"
    frames = []
    for idx, (c, _) in enumerate(cols):
        f = tp.resource.field(c)
        kind = field_kind(f)
        n, agree = int(totals["n:" + c] or 0), int(totals["agree:" + c] or 0)
        kappa = None
        if c in counts:
            kappa = kappa_from_counts(n, agree, *counts[c])
        tp.stats.append(FieldStat(tp.table, c, kind, n, agree, agree / n if n else None, kappa,
                                  int(totals["conf:" + c] or 0), a_id, b_id))
        if totals["conf:" + c]:
            frames.append(j.select("_g", "_na", "_nb", "_key", "a:" + c, "b:" + c, "ca:" + c, "cb:" + c)
                          .filter(pl.col("ca:" + c) != pl.col("cb:" + c)).select(
                "_g", "_na", "_nb", "_key", pl.lit(idx).alias("_f"), pl.lit(c).alias("field"),
                pl.col("a:" + c).alias("value_a"), pl.col("b:" + c).alias("value_b")))
    # unmatched rows: one (row) conflict each
    fields = tp.resource.field_names
    for side, frame, df in (("a", tp.unmatched_a, tp.a), ("b", tp.unmatched_b, tp.b)):
        if not frame.height:
            continue
        idx = frame[f"_i{side}"].to_list()
        info = df.filter(pl.col("_i").is_in(idx)).select(
            "_i", "_g", _row_sort(tp.rule, side).alias("_n")).rows_by_key("_i", unique=True)
        js = _row_json(df, idx, fields)
        rows = []
        for i, k, text in zip(idx, frame["_key"].to_list(), js, strict=True):
            g, num = info[i]
            rows.append({"_g": g, "_na": num if side == "a" else None, "_nb": num if side == "b" else None,
                         "_key": k, "_f": -1, "field": ROW_FIELD, "value_a": text if side == "a" else "",
                         "value_b": text if side == "b" else ""})
        frames.append(pl.DataFrame(rows, schema={"_g": pl.String, "_na": pl.Int64, "_nb": pl.Int64,
                                                 "_key": pl.String, "_f": pl.Int32, "field": pl.String,
                                                 "value_a": pl.String, "value_b": pl.String}))
    if frames:
        frames = [fr.with_columns(pl.col("_f").cast(pl.Int32), pl.col("_na").cast(pl.Int64),
                                  pl.col("_nb").cast(pl.Int64)) for fr in frames]
        allc = pl.concat(frames).sort(["_g", "_na", "_nb", "_key", "_f"], nulls_last=True)
        tp.conflicts = [Conflict(tp.table, k, f, va, vb) for k, f, va, vb in
                        allc.select("_key", "field", "value_a", "value_b").iter_rows()]


def compare_pair(review: Review, a: Submission, b: Submission) -> PairComparison:
    """Align and compare two submissions, table by table (in the descriptor's order)."""
    tables = []
    for r in extraction_resources(review):
        if r.name not in a.files and r.name not in b.files:
            continue
        fa = read_table(r, a.files[r.name]) if r.name in a.files else None
        fb = read_table(r, b.files[r.name]) if r.name in b.files else None
        tp = align_table(r, fa, fb, (a.files.get(r.name), b.files.get(r.name)))
        for s in tp.stats:
            s.reviewer_a, s.reviewer_b = a.id, b.id
        tp.conflicts = [Conflict(c.table, c.key, c.field, c.value_a, c.value_b, a.id, b.id) for c in tp.conflicts]
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
        pairs = [compare_pair(review, subs[i], subs[j]) for i in range(len(subs)) for j in range(i + 1, len(subs))]
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


# ------------------------------------------------------------------------------------------ conflicts file
def hash_line(a: Submission, b: Submission) -> str:
    """First line of a conflicts file: which submissions it was written for, and their content hashes.

    It has no comma or quote, so a spreadsheet that saves the file again keeps it readable
    (trailing commas a spreadsheet may add are ignored).
    """
    return f"{HASH_LINE_PREFIX} a={a.id}:sha256:{a.sha256} b={b.id}:sha256:{b.sha256}"


HASH_LINE_RE = re.compile(rf"^{re.escape(HASH_LINE_PREFIX)} a=(?P<a>\S+):sha256:(?P<ha>[0-9a-f]{{64}}) "
                          r"b=(?P<b>\S+):sha256:(?P<hb>[0-9a-f]{64})$")


def conflicts_csv(pair: PairComparison) -> str:
    """The conflicts file: the hash line, then one row per conflict with empty decision columns."""
    import io

    buf = io.StringIO()
    buf.write(hash_line(pair.a, pair.b) + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CONFLICT_COLUMNS)
    for c in pair.conflicts:
        w.writerow([c.table, c.key, c.field, c.value_a, c.value_b, "", "", "", ""])
    return buf.getvalue()


def write_conflicts(pair: PairComparison, path: str | os.PathLike[str]) -> Path:
    """Write the conflicts file atomically; refuse inside a submission or over a file with decisions in it."""
    from cmokit.atomic import write_text

    target = Path(path).resolve()
    for s in (pair.a, pair.b):
        if target.parent == s.path or s.path in target.parents:
            raise CmokitError(f"{path}: is inside the submission folder of '{s.id}'; write the conflicts file "
                              "elsewhere (a reviewer's folder is never written to).", rule="compare.conflicts_path")
    if target.exists():
        try:
            with open(target, encoding="utf-8-sig", newline="") as fh:
                lines = [ln for ln in fh if not ln.startswith("#")]
            decided = any((r.get("decision") or "").strip() for r in csv.DictReader(lines))
        except (OSError, UnicodeDecodeError, csv.Error):
            decided = True
        if decided:
            raise CmokitError(f"{path}: already holds decisions; it was not overwritten. Write the new conflicts to "
                              "another file, or move this one away first.", rule="compare.conflicts_exists")
    write_text(target, conflicts_csv(pair))
    return target


# --------------------------------------------------------------------------------------------------- text
def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def render_text(cmp: Comparison, limit: int = 20) -> str:
    """The report for people."""
    d = cmp.to_dict()
    out = [f"Review {cmp.review.name}: " + ", ".join(f"{s.id} ({s.path})" for s in cmp.submissions), ""]
    for sid, studies in cmp.studies_only.items():
        if studies:
            more = f" … and {len(studies) - limit} more" if len(studies) > limit else ""
            out.append(f"Studies only {sid} extracted ({len(studies)}): {', '.join(studies[:limit])}{more}")
    for key, what in (("only", "carried into the consensus"), ("unmatched", "no partner: a (row) conflict")):
        items = d[key]
        if items:
            out.append(f"Rows only one reviewer has ({what}): {len(items)}")
            for it in items[:limit]:
                out.append(f"  {it['table']}: {it['key']} — only {it['reviewer']}")
            if len(items) > limit:
                out.append(f"  … and {len(items) - limit} more")
    tables = d["tables"]
    for p, ov in zip(cmp.pairs, d["overall"], strict=True):
        out += ["", f"{p.a.id} vs {p.b.id}", ""]
        out.append(f"{'table':<16} {'field':<26} {'kind':<6} {'n':>7} {'agree':>6} {'kappa':>6}  label")
        for t in p.tables:
            for s in t.stats:
                label = s.kappa_label or ""
                out.append(f"{s.table:<16} {s.field:<26} {s.kind:<6} {s.n:>7} {_fmt(s.agreement):>6} "
                           f"{_fmt(s.kappa) if s.kind == 'coded' else '':>6}  {label}")
            tt = next(x for x in tables if x["table"] == t.table and x["reviewer_a"] == p.a.id
                      and x["reviewer_b"] == p.b.id)
            out.append(f"{t.table:<16} {'TOTAL':<26} {'':<6} {tt['n']:>7} {_fmt(tt['agreement']):>6}         "
                       f"rows paired {tt['rows_paired']}, conflicts {tt['conflicts']}")
        out.append(f"{'OVERALL':<16} {'':<26} {'':<6} {ov['n']:>7} {_fmt(ov['agreement']):>6}         "
                   f"conflicts {ov['conflicts']}")
    if cmp.alpha:
        out += ["", "Krippendorff's alpha (nominal), all reviewers", ""]
        for a in cmp.alpha:
            out.append(f"{a['table']:<16} {a['field']:<26} units {a['units']:>7}  alpha {_fmt(a['alpha'], 3)}")
    conflicts = cmp.conflicts
    out += ["", f"Conflicts: {len(conflicts)}"]
    for c in conflicts[:limit]:
        who = f" [{c.reviewer_a} vs {c.reviewer_b}]" if len(cmp.submissions) > 2 else ""
        va, vb = excerpts(c.value_a, c.value_b)
        out.append(f"  {c.table} {c.key} {c.field}{who}: {va!r} vs {vb!r}")
    if len(conflicts) > limit:
        out.append(f"  … and {len(conflicts) - limit} more (--format json or --conflicts FILE lists them all)")
    return "\n".join(out) + "\n"


def excerpts(a: str, b: str, width: int = 60) -> tuple[str, str]:
    """Short excerpts of two long values that show where they differ (a shared start is elided with '…')."""
    if len(a) <= width and len(b) <= width:
        return a, b
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    start = max(0, common - 20)

    def cut(v: str) -> str:
        body = v[start:start + width]
        return ("…" if start else "") + body + ("…" if start + width < len(v) else "")

    return cut(a), cut(b)

