"""Normalisation before comparing: what makes two reviewers' values the same (and nothing else does).

Surrounding whitespace is removed and text is put in Unicode NFC; codes (enum, boolean and multi-code fields, and
the missing-value codes NR/NA) are compared without regard to case when the field's codes stay distinct that way,
and are written in the codebook's case; the codes inside a multi-code field are compared as a sorted list (so order
does not matter, but a repeated code does); every other typed value is compared by its logical value, as
validation reads it (:func:`cmokit.validation.values.key_expr`): ``01`` and ``1`` agree in an integer field,
``1.50`` and ``1.5`` in a number field (exact decimals, never floating point), ``yes`` and ``1`` in a boolean
field whose trueValues hold both, ``2024-01-26T15:00:00+02:00`` and ``2024-01-26T13:00:00Z`` in a datetime field;
a value that is not valid is compared as text. Free text keeps its case and inner spacing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cmokit.package.model import Field, Resource

if TYPE_CHECKING:
    import polars as pl

# typographic marks that text often holds beside ASCII: each is its own NFC form and never composes with a
# neighbour, so text of ASCII and these marks is already in NFC (and no word character: see
# cmokit.extraction.wordsets)
MARKS = "\u2013\u2014\u2018\u2019\u201c\u201d\u2026"  # – — ‘ ’ “ ” …
NEEDS_NFC = "[^\\x00-\\x7f" + MARKS + "]"  # a character that may change in NFC


def nfc(v: pl.Expr) -> pl.Expr:
    """``v`` in Unicode NFC; only text with a character other than ASCII and :data:`MARKS` is normalised (found by
    a regular expression, far cheaper than normalising everything)."""
    import polars as pl

    return pl.when(v.str.contains(NEEDS_NFC)).then(v.str.normalize("NFC")).otherwise(v)


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


def field_exprs(f: Field, src: str, missing: Sequence[str]) -> tuple[pl.Expr, pl.Expr]:
    """(output form, comparison form) of column ``src`` holding values of field ``f``."""
    import polars as pl

    base = nfc(pl.col(src).str.strip_chars())
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
    if typed(f):
        from cmokit.validation.values import key_expr

        return base, pl.coalesce(key_expr(f, base, list(missing)), base)
    return base, base


def plain_text(f: Field) -> bool:
    """True for a free-text field compared by its normalised text (its output form is its comparison form)."""
    return field_kind(f) == "text" and not f.multiple and not typed(f)


def typed(f: Field) -> bool:
    """True for a field whose text is not its logical value (compared by value, not by text)."""
    return f.type not in ("string", "any") or f.format == "uuid"


def normalise_frame(df: pl.DataFrame, resource: Resource, compared: list[str]) -> pl.DataFrame:
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
            forms = [code_forms(f, v, cmap) for v in uniq]
            outs, cmps = [o for o, _ in forms], [c for _, c in forms]
            col = pl.col(f.name)
            if outs != uniq:  # (clean data: nothing to map)
                out.append(col.replace_strict(uniq, outs, return_dtype=pl.String).alias(f.name))
            if f.name in compared:  # in the same pass, so that it reads the raw column
                out.append((col.replace_strict(uniq, cmps, return_dtype=pl.String) if cmps != uniq else col)
                           .alias("~" + f.name))
            continue
        o, c = field_exprs(f, f.name, missing)
        out.append(o.alias(f.name))
        if f.name in compared:
            cmp.append(c.alias("~" + f.name))
    return df.with_columns(out).with_columns(cmp)


def code_forms(f: Field, value: str, cmap: dict[str, str]) -> tuple[str, str]:
    """(output form, comparison form) of one value of a coded field (same rules as ``field_exprs``)."""
    import unicodedata

    v = unicodedata.normalize("NFC", value.strip())
    if v == "":
        return "", ""

    def canon(x: str) -> str:
        return cmap.get(x.lower(), x) if cmap else x

    if f.multiple:
        parts = [canon(p.strip()) for p in v.split(";")]
        return "; ".join(parts), "; ".join(sorted(parts))
    out = canon(v)
    if typed(f) and out not in cmap.values() or f.type == "boolean":
        from cmokit.package import values as scalar

        try:  # a typed code (an integer enum, a boolean) compares by value: 01 = 1, yes = 1 when both are true
            return out, scalar.key(f, scalar.parse(f, out))
        except (scalar.Invalid, ArithmeticError, ValueError):
            pass
    return out, out


def normalise_text(value: str) -> str:
    """Output form of a free-text value: surrounding whitespace removed, Unicode NFC."""
    import unicodedata

    return unicodedata.normalize("NFC", value.strip())


def normalise_value(f: Field, value: str, missing: list[str]) -> str:
    """The same normalisation compare applies to an output value (trim, NFC, code case, '; ' between codes)."""
    if field_kind(f) != "coded":
        return normalise_text(value)
    return code_forms(f, value, code_map(f, missing))[0]
