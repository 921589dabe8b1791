"""Cell checks: the types, formats and Table Schema constraints of every cell, vectorised with polars.

Each field's logical values (validity, canonical key, length, bound checks) come from
:mod:`cmokit.validation.values`; every check is then a boolean polars expression, all of a table's checks are
evaluated in one ``select`` (polars runs them in parallel), and Python only builds the messages of the cells that
failed. enum, categories and unique compare logical values (``01`` is ``1`` in an integer field), bounds are exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cmokit.core.problems import ERROR, WARNING, Problem
from cmokit.package import values as scalar
from cmokit.package.model import Field, Resource
from cmokit.package.reader import LINE, RAGGED, Table
from cmokit.validation.messages import (
    bound_message,
    code_message,
    json_schema_message,
    length_message,
    multi_code_message,
    multi_pattern_message,
    pattern_message,
    type_message,
)
from cmokit.validation.values import BOUNDS, Need, col, prepare

if TYPE_CHECKING:
    import polars as pl


class _Checks:
    """Collects (rule, severity, mask, message builder) for one table, then evaluates them together."""

    def __init__(self, table: Table, frame: pl.DataFrame):
        self.table = table
        self.frame = frame
        self.items: list[tuple[str, str, str, pl.Expr, Callable[[str, int], Any]]] = []

    def add(self, rule: str, field: str, mask: pl.Expr, message: Callable[[str, int], Any],
            severity: str = ERROR) -> None:
        """``message(value, line)`` returns a message, a (rule, message) pair, a list of them, or None (no problem)."""
        self.items.append((rule, severity, field, mask, message))

    def run(self) -> list[Problem]:
        import polars as pl

        if not self.items or self.frame.height == 0:
            return []
        masks = self.frame.select([m.fill_null(False).alias(str(i)) for i, (*_, m, _) in enumerate(self.items)])
        counts = masks.sum().row(0)
        out: list[Problem] = []
        res = self.table.resource
        for i, (rule, severity, field, _, message) in enumerate(self.items):
            if not counts[i]:
                continue
            bad = self.frame.select(pl.col(LINE), pl.col(field)).filter(masks.get_column(str(i)))
            for line, value in bad.iter_rows():
                msg = message(value, line)
                if msg is None:
                    continue
                for m in msg if isinstance(msg, list) else [msg]:
                    r, m = m if isinstance(m, tuple) else (rule, m)  # a builder may name a more precise rule
                    out.append(Problem(rule=r, message=m, resource=res.name, path=self.table.path, line=line,
                                       field=field, value=value, severity=severity))
        return out


def needs_key(resource: Resource, f: Field) -> bool:
    """True when a field's canonical keys are used (enum, categories, unique, keys)."""
    in_keys = f.name in resource.primary_key or any(f.name in uk for uk in resource.unique_keys) or any(
        f.name in fk["fields"] for fk in resource.foreign_keys)
    return f.unique or f.enum is not None or f.categories is not None or in_keys


def check_cells(table: Table, *, submission: bool = False) -> list[Problem]:
    """Types, formats and Table Schema constraints of every cell (ragged records excluded), by logical value."""
    import polars as pl

    if table.frame is None:
        return []
    res = table.resource
    names = table.columns()
    frame = prepare(table.frame.filter(~pl.col(RAGGED)), res, names,
                    {n: Need(key=needs_key(res, res.field(n))) for n in names})
    checks = _Checks(table, frame)
    sole_pk = res.primary_key[0] if len(res.primary_key) == 1 else None
    for name in names:
        f = res.field(name)
        missing = res.missing_for(f)
        c = pl.col(name)
        present = ~c.is_in(list(missing)) if missing else pl.lit(True)
        # an empty cell means "not yet extracted" only in a cmokit review whose schema offers other missing values
        blank_is_pending = res.conventions and res.name != "codebook" and "" in missing and len(missing) > 1
        if f.required or name in res.primary_key:
            checks.add("constraint.required", name, ~present, _required_msg(res, f, missing))
        elif blank_is_pending:
            label = missing[""] or "not yet extracted"
            sev = WARNING if submission else ERROR
            fix = ("fill it in before submitting" if submission else
                   "extract the value, or write NR (not reported) / NA (not applicable)")
            checks.add("extract.blank", name, c == "",
                       lambda v, line, fix=fix, label=label: f"empty cell ({label}): {fix}.", sev)
        ok = pl.col(col("ok", name))
        checks.add(f"type.{f.type}", name, present & ~ok, lambda v, line, f=f: type_message(f, v, res))
        valid = present & ok
        key = pl.col(col("key", name)) if needs_key(res, f) else None
        codes = f.codes()
        if f.multiple and codes:
            bad_code = c.str.split(";").list.eval(pl.element().str.strip_prefix(" ").is_in(list(codes)).not_())
            checks.add("constraint.enum", name, valid & bad_code.list.any(),
                       lambda v, line, codes=codes: multi_code_message(v, codes, res))
            if f.pattern:
                checks.add("constraint.pattern", name, valid & ~bad_code.list.any() & ~_matches(c, f.pattern),
                           lambda v, line, codes=codes: multi_pattern_message(v, codes))
        elif f.enum is not None and key is not None:
            allowed = [scalar.key(f, scalar.schema_value(f, v)) for v in f.enum_values or []]
            checks.add("constraint.enum", name, valid & ~key.is_in(allowed),
                       lambda v, line, f=f: code_message(v, f.enum, res))
        if f.categories is not None and key is not None:
            allowed = [scalar.key(f, scalar.schema_value(f, v)) for v in f.category_values or []]
            checks.add("constraint.categories", name, valid & ~key.is_in(allowed),
                       lambda v, line, f=f: code_message(v, f.categories, res, "category"))
        if f.pattern and not f.multiple:
            checks.add("constraint.pattern", name, valid & ~_matches(c, f.pattern),
                       lambda v, line, f=f: pattern_message(f, v))
        for bound, value in (f.raw.get("constraints") or {}).items():
            if bound in BOUNDS and col(bound, name) in frame.columns:
                checks.add(f"constraint.{bound}", name, valid & pl.col(col(bound, name)),
                           lambda v, line, bound=bound, value=value: bound_message(bound, value, v))
        for bound, rule, cmp in ((f.min_length, "constraint.minLength", "ge"),
                                 (f.max_length, "constraint.maxLength", "le")):
            if bound is None or col("len", name) not in frame.columns:
                continue
            n = pl.col(col("len", name))
            checks.add(rule, name, valid & (n < bound if cmp == "ge" else n > bound),
                       lambda v, line, f=f, word="at least" if cmp == "ge" else "at most", bound=bound:
                       length_message(f, v, word, bound))
        if col("jsonSchema", name) in frame.columns:
            checks.add("constraint.jsonSchema", name, valid & pl.col(col("jsonSchema", name)),
                       lambda v, line, f=f: json_schema_message(f, v))
        if f.unique and name != sole_pk and key is not None:
            first = _first_lines(frame, name)
            checks.add("constraint.unique", name, valid & ~pl.when(valid).then(key).is_first_distinct(),
                       lambda v, line, name=name, first=first, f=f: f"'{v}' must be unique in {name}, but line "
                                                                    f"{first(f, v)} has the same value. Correct one "
                                                                    "of them.")
    return checks.run()


def _first_lines(frame: pl.DataFrame, name: str) -> Callable[[Field, str], int | str]:
    """The first line holding each logical value of ``name`` (computed on first use)."""
    cache: dict[str, int] = {}

    def first(f: Field, value: str) -> int | str:
        import polars as pl

        if not cache:
            key = col("key", name)
            agg = frame.filter(pl.col(key).is_not_null()).group_by(key).agg(pl.col(LINE).min())
            cache.update(dict(agg.iter_rows()))
        try:
            return cache.get(scalar.key(f, scalar.parse(f, value)), "another")
        except (scalar.Invalid, ArithmeticError, ValueError):
            return "another"

    return first


def _matches(c: pl.Expr, pattern: str) -> pl.Expr:
    """Full match of a Table Schema pattern: the spec anchors the whole pattern (``cat|dog`` does not match
    ``catx``). polars' regex; Python's ``re`` (once per distinct value) for what polars lacks (look-around...)."""
    import polars as pl

    anchored = f"^(?:{pattern})$"
    try:
        pl.select(pl.lit("x").str.contains(anchored))
        return c.str.contains(anchored)
    except Exception:  # noqa: BLE001 - a regex feature polars lacks; the schema check made sure re compiles it
        rx = re.compile(pattern)

        def run(s: pl.Series) -> pl.Series:
            distinct = s.drop_nulls().unique().to_list()
            hits = [rx.fullmatch(v) is not None for v in distinct]
            return s.replace_strict(distinct, hits, default=None, return_dtype=pl.Boolean)

        return c.map_batches(run, return_dtype=pl.Boolean)


def _required_msg(res: Resource, f: Field, missing: dict[str, str]) -> Callable[[str, int], str]:
    why = "is required" if f.required else "is part of the primary key, so it is required"
    others = [m for m in missing if m]
    refused = f" ({' and '.join(others)} are not allowed here)" if others else ""

    def msg(v: str, line: int) -> str:
        if v == "":
            return f"{f.name} {why}: the cell is empty; write the value{refused}."
        label = missing.get(v) or "a missing value"
        return f"{f.name} {why}: '{v}' ({label}) is not allowed here; write the value."

    return msg


def check_value(resource: Resource, field: str, value: str, *, path: str = "", line: int | None = None,
                submission: bool = False) -> list[Problem]:
    """The problems of one value of ``field`` as if it stood in a CSV cell: the same checks and messages (used by
    ``reconcile`` for an adjudicator's decided value)."""
    import polars as pl

    frame = pl.DataFrame({field: [value], LINE: [line or 0], RAGGED: [False]},
                         schema={field: pl.String, LINE: pl.Int64, RAGGED: pl.Boolean})
    return check_cells(Table(resource=resource, path=path, frame=frame), submission=submission)
