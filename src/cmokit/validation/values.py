"""The logical values of a whole column, vectorised: validity, canonical key, length and bound checks per field.

:func:`prepare` adds, for each field, columns computed from its text column (missing values excluded):

- ``~ok:<field>``: the cell is a value of the field's type and format (null where the cell is a missing value);
- ``~key:<field>``: the canonical text of its logical value (:func:`cmokit.package.values.key`), for enum,
  categories, unique, primary, unique and foreign keys, and ``compare``;
- ``~len:<field>``: what minLength/maxLength measure; ``~<constraint>:<field>``: True where a bound
  (minimum, maximum, exclusiveMinimum, exclusiveMaximum) or the jsonSchema is broken.

The common forms are polars expressions (integers, numbers with their decimalChar/groupChar/bareNumber,
booleans, strings and their formats, default dates, times, datetimes, years, year-months). Bounds are exact: a
float comparison decides every cell whose value is not within rounding of the bound, and the few distinct values
that tie with it are decided with Python integers and decimals. Everything else (custom date patterns and
``any``, durations, JSON types, geopoints, lists, jsonSchema) is decided by the scalar reference
(:mod:`cmokit.package.values`) once per distinct value, then mapped back onto the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cmokit.package import values as scalar
from cmokit.package.model import Field, Resource

if TYPE_CHECKING:
    import polars as pl

BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_INT_RE = r"^[+-]?[0-9]+$"
_NUM_RE = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def col(kind: str, name: str) -> str:
    """Name of a derived column: ``col("key", "age")`` -> ``~key:age``."""
    return f"~{kind}:{name}"


@dataclass(frozen=True)
class Need:
    """What to compute for a field (keys only where enum, unique or keys use them)."""

    key: bool = False
    checks: bool = True


def bounds(f: Field) -> dict[str, Any]:
    """The field's bound constraints as logical values {constraint: value}."""
    c = f.raw.get("constraints") or {}
    return {b: scalar.schema_value(f, c[b]) for b in BOUNDS if c.get(b) is not None}


def vectorised(f: Field) -> bool:
    """True when polars expressions implement the field's type and format (else the scalar reference does)."""
    if f.type in ("string", "any", "boolean", "integer", "number", "year", "yearmonth"):
        return True
    return f.type in ("date", "time", "datetime") and f.format == "default"


def prepare(frame: pl.DataFrame, resource: Resource, names: list[str], need: dict[str, Need] | None = None
            ) -> pl.DataFrame:
    """``frame`` with the derived columns of each field in ``names`` (see the module docstring)."""
    import polars as pl

    exprs: list[pl.Expr] = []
    staged: list[pl.Expr] = []
    structs: list[str] = []
    for name in names:
        f = resource.field(name)
        n = (need or {}).get(name, Need(key=True))
        missing = list(resource.missing_for(f))
        c = pl.col(name)
        present = ~c.is_in(missing) if missing else pl.lit(True)
        if vectorised(f):
            if f.type in ("integer", "number"):  # stage the number's text and float once for all its checks
                std, lexical = _numeric_text(f, c)
                staged += [std.alias(col("std", name)), lexical.alias(col("lex", name)),
                           std.cast(pl.Float64, strict=False).alias(col("f64", name))]
                parts = _numeric(f, pl.col(col("std", name)), pl.col(col("lex", name)), pl.col(col("f64", name)), n)
            else:
                parts = _fast(f, c, n)
            for kind, e in parts.items():
                exprs.append(pl.when(present).then(e).otherwise(None).alias(col(kind, name)))
        else:
            exprs.append(_by_distinct(f, c, missing, n).alias(col("s", name)))
            structs.append(name)
    out = frame.with_columns(staged) if staged else frame
    out = out.with_columns(exprs) if exprs else out
    if staged:
        out = out.drop([e.meta.output_name() for e in staged])
    for name in structs:
        s = col("s", name)
        fields = out.schema[s].fields  # type: ignore[attr-defined]
        out = out.with_columns([pl.col(s).struct.field(fd.name).alias(col(fd.name, name)) for fd in fields]).drop(s)
    return out


def key_expr(f: Field, c: pl.Expr, missing: list[str]) -> pl.Expr:
    """The canonical key of each cell of ``c`` as a value of ``f`` (null for a missing value or an invalid cell):
    what ``compare`` puts side by side, so that ``01`` and ``1`` agree in an integer field."""
    import polars as pl

    need = Need(key=True, checks=False)
    if vectorised(f):
        parts = _fast(f, c, need)
        key = pl.when(parts["ok"]).then(parts["key"])
    else:
        s = _by_distinct(f, c, missing, need)
        key = pl.when(s.struct.field("ok")).then(s.struct.field("key"))
    return pl.when(c.is_in(missing)).then(None).otherwise(key) if missing else key


# ------------------------------------------------------------------------------------------ vectorised forms

def number_text(f: Field, c: pl.Expr, *, integer: bool) -> tuple[pl.Expr, pl.Expr]:
    """(standard text, lexically valid) of a numeric column after bareNumber, groupChar and decimalChar."""
    import re

    import polars as pl

    s = c
    ok = pl.lit(True)
    dc = "" if integer else re.escape(f.decimal_char)
    g = re.escape(f.group_char) if f.group_char else ""
    if not f.bare_number:
        s = c.str.extract(scalar.bare_core(f, integer=integer), 0)
        ok = s.is_not_null()
    if f.group_char:
        rx = (rf"^[+-]?(?:[0-9]+(?:{g}[0-9]+)*)?(?:{dc}[0-9]*)?(?:[eE][+-]?[0-9]+)?$" if dc
              else rf"^[+-]?[0-9]+(?:{g}[0-9]+)*$")
        ok = ok & s.str.contains(rx)
        s = s.str.replace_all(f.group_char, "", literal=True)
    if not integer and f.decimal_char != ".":
        ok = ok & ~s.str.contains(".", literal=True)
        s = s.str.replace_all(f.decimal_char, ".", literal=True)
    return s, ok.fill_null(False)


def integer_key(s: pl.Expr) -> pl.Expr:
    """Canonical text of a valid integer: no ``+``, no leading zeros, ``0`` for zero (string operations only)."""
    import polars as pl

    neg = s.str.starts_with("-")
    digits = pl.when(neg).then(s.str.slice(1)).otherwise(s.str.strip_prefix("+")).str.strip_chars_start("0")
    return pl.when(digits == "").then(pl.lit("0")).when(neg).then(pl.lit("-") + digits).otherwise(digits)


def number_key(s: pl.Expr) -> pl.Expr:
    """The canonical text of :func:`cmokit.package.values.number_key`, vectorised over standard number text."""
    import polars as pl

    p = s.str.extract_groups(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$")
    sign, whole, frac, exp = (p.struct.field(str(i)) for i in range(1, 5))
    digits = whole + frac.fill_null("")
    lead = digits.str.len_chars() - digits.str.strip_chars_start("0").str.len_chars()
    coeff = digits.str.strip_chars("0")
    shift = pl.when(exp.is_null()).then(0).otherwise(exp.cast(pl.Int64, strict=False))  # null: beyond 64 bits
    sci = whole.str.len_chars().cast(pl.Int64) - lead.cast(pl.Int64) - 1 + shift
    key = pl.when(coeff == "").then(pl.lit("0")).otherwise(
        pl.when(sign == "-").then(pl.lit("-")).otherwise(pl.lit("")) + coeff + pl.lit("E") + sci.cast(pl.String))
    key = pl.coalesce(key, pl.lit("~") + s)  # an exponent too large for 64 bits: compared as written
    low = s.str.to_lowercase()
    return (pl.when(low == "nan").then(pl.lit("NaN")).when(low == "inf").then(pl.lit("INF"))
            .when(low == "-inf").then(pl.lit("-INF")).otherwise(key))


def _exact(std: pl.Expr, x: pl.Expr, f: Field, bound: Any, op: str) -> pl.Expr:
    """True where a number (standard text ``std``, its float ``x``) breaks ``value <op> bound``, exactly: the float
    comparison decides every value not equal to the bound's float; the values that tie with it are decided with
    Python integers/decimals, once per distinct value. NaN breaks every bound."""
    import polars as pl

    limit = float(bound)
    as_int = f.type == "integer"

    def decide(s: pl.Series) -> pl.Series:
        ties = s.drop_nulls().unique().to_list()
        verdict = []
        for t in ties:
            v = int(t) if as_int else Decimal(t)
            cmp = (v > bound) - (v < bound)
            verdict.append({"ge": cmp < 0, "le": cmp > 0, "gt": cmp <= 0, "lt": cmp >= 0}[op])
        return s.replace_strict(ties, verdict, default=None, return_dtype=pl.Boolean)

    by_float = {"ge": x < limit, "le": x > limit, "gt": x <= limit, "lt": x >= limit}[op] | x.is_nan()
    tie = x == limit
    exact = pl.when(tie).then(std).map_batches(decide, return_dtype=pl.Boolean)
    return pl.when(tie).then(exact).otherwise(by_float).fill_null(False)


def _bound_exprs(f: Field, ordered: pl.Expr, convert) -> dict[str, pl.Expr]:
    out = {}
    for b, v in bounds(f).items():
        lim = convert(v)
        out[b] = {"minimum": ordered < lim, "maximum": ordered > lim, "exclusiveMinimum": ordered <= lim,
                  "exclusiveMaximum": ordered >= lim}[b]
    return out


def _fast(f: Field, c: pl.Expr, need: Need) -> dict[str, pl.Expr]:
    """Derived expressions of a field implemented by polars (see :func:`vectorised`)."""
    import polars as pl

    t = f.type
    out: dict[str, pl.Expr] = {}
    if t in ("string", "any"):
        out["ok"] = pl.lit(True) if t == "any" or f.format == "default" else c.str.contains(_string_rx(f.format))
        out["key"] = c.str.to_lowercase() if f.format == "uuid" else c
        if f.min_length is not None or f.max_length is not None:
            if f.format == "binary":
                pad = c.str.count_matches("=", literal=True)
                out["len"] = (c.str.len_bytes() // 4 * 3 - pad).cast(pl.Int64)
            else:
                out["len"] = c.str.len_chars().cast(pl.Int64)
        return out
    if t == "boolean":
        out["ok"] = c.is_in(list(f.true_values) + list(f.false_values))
        out["key"] = pl.when(c.is_in(list(f.true_values))).then(pl.lit("true")).when(
            c.is_in(list(f.false_values))).then(pl.lit("false")).otherwise(None)
        return out
    if t in ("integer", "number"):
        std, ok = _numeric_text(f, c)
        return _numeric(f, std, ok, std.cast(pl.Float64, strict=False), need)
    if t == "year":
        out["ok"] = c.str.contains(r"^[0-9]{4}$")
        out["key"] = c
        out.update(_bound_exprs(f, c.cast(pl.Int64, strict=False), lambda v: int(v)))
        return out
    if t == "yearmonth":
        out["ok"] = c.str.contains(r"^[0-9]{4}-(?:0[1-9]|1[0-2])$")
        out["key"] = c
        out.update(_bound_exprs(f, c, lambda v: scalar.key(f, v)))
        return out
    if t == "date":
        out["ok"] = c.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & c.str.to_date("%Y-%m-%d", strict=False) \
            .is_not_null() & ~c.str.starts_with("0000")  # no year 0 (XML Schema 1.0, Python)
        out["key"] = c
        out.update(_bound_exprs(f, c.str.to_date("%Y-%m-%d", strict=False), lambda v: pl.lit(v)))
        return out
    if t == "time":
        out["ok"] = c.str.contains(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")
        out["key"] = c
        out.update(_bound_exprs(f, c, lambda v: v.replace(tzinfo=None).isoformat()))
        return out
    # datetime, default format: the form by one regular expression; the value from fixed positions
    form = c.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
                          r"(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])?$")
    naive = c.str.slice(0, 19).str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    rest = c.str.slice(19)
    frac = pl.when(rest.str.starts_with(".")).then(rest.str.slice(1, 6).str.extract(r"^([0-9]*)", 1))
    micro = (frac.fill_null("") + pl.lit("000000")).str.slice(0, 6).cast(pl.Int64, strict=False).fill_null(0)
    tz = pl.when(rest.str.ends_with("Z")).then(pl.lit("Z")).when(rest.str.len_chars() >= 6).then(
        rest.str.slice(-6)).otherwise(None)
    tz = pl.when(tz.str.contains(r"^(?:Z|[+-][0-9]{2}:[0-9]{2})$")).then(tz)
    sign = pl.when(tz.str.starts_with("-")).then(-1).otherwise(1)
    offset = pl.when(tz.is_null() | (tz == "Z")).then(0).otherwise(
        sign * (tz.str.slice(1, 2).cast(pl.Int64, strict=False) * 60 + tz.str.slice(4, 2).cast(pl.Int64, strict=False)))
    utc = naive + pl.duration(microseconds=micro) - pl.duration(minutes=offset)
    ok = form & naive.is_not_null() & (offset.abs() <= 14 * 60) & ~c.str.starts_with("0000")
    out["ok"] = ok
    if need.key:
        us = utc.dt.microsecond()
        out["key"] = pl.when(ok).then(utc.dt.strftime("%Y-%m-%dT%H:%M:%S") + pl.when(us != 0).then(
            pl.lit(".") + us.cast(pl.String).str.zfill(6)).otherwise(pl.lit("")) + pl.when(tz.is_not_null()).then(
            pl.lit("Z")).otherwise(pl.lit("")))
    out.update(_bound_exprs(f, utc, lambda v: pl.lit(scalar._utc(v))))
    return out


def _numeric_text(f: Field, c: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(standard text, lexically valid) of an integer or number column (special values of a number kept)."""
    import polars as pl

    std, ok = number_text(f, c, integer=f.type == "integer")
    if f.type == "integer":
        return std, ok & std.str.contains(_INT_RE).fill_null(False)
    special = c.str.to_lowercase().is_in(list(scalar.SPECIAL)) if f.bare_number else pl.lit(False)
    std = pl.when(special).then(c).otherwise(std)
    return std, special | (ok & std.str.contains(_NUM_RE).fill_null(False))


def _numeric(f: Field, std: pl.Expr, ok: pl.Expr, x: pl.Expr, need: Need) -> dict[str, pl.Expr]:
    """Derived expressions of an integer or number field from its standard text, validity and float."""
    import polars as pl

    out = {"ok": ok}
    if need.key:
        out["key"] = pl.when(ok).then(integer_key(std) if f.type == "integer" else number_key(std))
    if need.checks:
        op = {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"}
        for b, v in bounds(f).items():
            out[b] = pl.when(ok).then(_exact(std, x, f, v, op[b]))
    return out


def _string_rx(fmt: str) -> str:
    return {"email": scalar.EMAIL, "uri": scalar.URI, "uuid": scalar.UUID, "binary": scalar.BASE64}[fmt].pattern


# ----------------------------------------------------------------------------------- the scalar reference

def _by_distinct(f: Field, c: pl.Expr, missing: list[str], need: Need) -> pl.Expr:
    """One struct (ok, key, len, bounds..., jsonSchema) per cell, computed once per distinct value in Python."""
    import polars as pl

    lims = bounds(f) if need.checks else {}
    schema = f.json_schema if need.checks else None
    validator = None
    if schema is not None:
        import jsonschema

        validator = jsonschema.validators.validator_for(schema)(schema)
    has_len = need.checks and (f.min_length is not None or f.max_length is not None)
    dtype = pl.Struct({"ok": pl.Boolean, "key": pl.String, **({"len": pl.Int64} if has_len else {}),
                       **{b: pl.Boolean for b in lims}, **({"jsonSchema": pl.Boolean} if validator else {})})
    skip = set(missing)

    def one(text: str) -> dict[str, Any]:
        try:
            v = scalar.parse(f, text)
        except (scalar.Invalid, ArithmeticError, ValueError, TypeError, RecursionError):
            return {"ok": False}
        row: dict[str, Any] = {"ok": True, "key": scalar.key(f, v)}
        if has_len:
            row["len"] = scalar.length(f, v)
        for b, lim in lims.items():
            cmp = scalar.compare(f, v, lim)
            row[b] = cmp is None or {"minimum": cmp < 0, "maximum": cmp > 0, "exclusiveMinimum": cmp <= 0,
                                     "exclusiveMaximum": cmp >= 0}[b]
        if validator is not None:
            row["jsonSchema"] = not validator.is_valid(v)
        return row

    def run(s: pl.Series) -> pl.Series:
        distinct = [v for v in s.drop_nulls().unique().to_list() if v not in skip]
        rows = [one(v) for v in distinct]
        table = pl.DataFrame({"v": distinct, "r": rows}, schema={"v": pl.String, "r": dtype})
        return pl.DataFrame({"v": s}).join(table, on="v", how="left", maintain_order="left").get_column("r")

    return c.map_batches(run, return_dtype=dtype)


def reason(f: Field, text: str) -> str:
    """Why ``text`` is not a value of field ``f`` (the scalar reference's words), '' if it is one."""
    try:
        scalar.parse(f, text)
        return ""
    except (scalar.Invalid, ArithmeticError, ValueError, TypeError) as exc:
        return str(exc)
    except RecursionError:
        return "nested too deeply"
