"""Cell checks: the types and Table Schema constraints of every cell, vectorised with polars.

Every check is a boolean polars expression over a column of strings; all of a table's checks are evaluated in
one ``select`` (polars runs them in parallel), and Python only builds the messages of the cells that failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cmokit.core.problems import ERROR, WARNING, Problem
from cmokit.package.model import Field, Resource
from cmokit.package.reader import LINE, RAGGED, Table
from cmokit.validation.messages import (
    DATE_RE,
    DATETIME_RE,
    INTEGER_RE,
    NUMBER_RE,
    YEAR_RE,
    code_message,
    fmt_number,
    multi_code_message,
    multi_pattern_message,
    pattern_message,
    type_message,
)

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


def check_cells(table: Table, *, submission: bool = False) -> list[Problem]:
    """Types and Table Schema constraints of every cell (ragged records excluded)."""
    import polars as pl

    if table.frame is None:
        return []
    res = table.resource
    frame = table.frame.filter(~pl.col(RAGGED))
    checks = _Checks(table, frame)
    missing = list(res.missing_values)
    # an empty cell means "not yet extracted" only where the schema offers other missing values (NR, NA)
    blank_is_pending = res.name != "codebook" and "" in res.missing_values and len(res.missing_values) > 1
    sole_pk = res.primary_key[0] if len(res.primary_key) == 1 else None
    for name in table.columns():
        f = res.field(name)
        c = pl.col(name)
        is_missing = c.is_in(missing) if missing else pl.lit(False)
        present = ~is_missing
        if f.required:
            checks.add("constraint.required", name, is_missing, _required_msg(res, f))
        elif blank_is_pending:
            label = res.missing_values[""] or "not yet extracted"
            sev = WARNING if submission else ERROR
            fix = ("fill it in before submitting" if submission else
                   "extract the value, or write NR (not reported) / NA (not applicable)")
            checks.add("extract.blank", name, c == "",
                       lambda v, line, fix=fix, label=label: f"empty cell ({label}): {fix}.", sev)
        type_ok = present
        regex = {"integer": INTEGER_RE, "number": NUMBER_RE, "year": YEAR_RE, "datetime": DATETIME_RE}.get(f.type)
        bad_type = None
        if regex:
            bad_type = ~c.str.contains(regex)
        elif f.type == "date":
            bad_type = ~(c.str.contains(DATE_RE) & c.str.to_date("%Y-%m-%d", strict=False).is_not_null())
        elif f.type == "boolean":
            bad_type = ~c.is_in(list(f.true_values) + list(f.false_values))
        if bad_type is not None:
            checks.add(f"type.{f.type}", name, present & bad_type,
                       lambda v, line, f=f: type_message(f, v, res))
            type_ok = present & ~bad_type
        codes = f.codes()
        if f.multiple and codes:
            bad_code = c.str.split(";").list.eval(pl.element().str.strip_prefix(" ").is_in(list(codes)).not_())
            checks.add("constraint.enum", name, type_ok & bad_code.list.any(),
                       lambda v, line, f=f, codes=codes: multi_code_message(v, codes, res))
            if f.pattern:
                checks.add("constraint.pattern", name, type_ok & ~bad_code.list.any() & ~_matches(c, f.pattern),
                           lambda v, line, codes=codes: multi_pattern_message(v, codes))
        elif f.enum is not None:
            checks.add("constraint.enum", name, type_ok & ~c.is_in(list(f.enum)),
                       lambda v, line, f=f: code_message(v, f.enum, res))
        if f.pattern and not f.multiple:
            checks.add("constraint.pattern", name, type_ok & ~_matches(c, f.pattern),
                       lambda v, line, f=f: pattern_message(f, v))
        for bound, rule, cmp in ((f.minimum, "constraint.minimum", "ge"), (f.maximum, "constraint.maximum", "le")):
            if bound is None:
                continue
            if f.type in ("integer", "number", "year"):
                x = c.cast(pl.Float64, strict=False)
                try:
                    lim = float(bound)
                except (TypeError, ValueError):
                    continue  # a schema bound that is not a number: nothing to compare with
            elif f.type == "date":
                x = c.str.to_date("%Y-%m-%d", strict=False)
                lim = pl.lit(str(bound)).str.to_date("%Y-%m-%d", strict=False)
            else:
                continue
            bad = x < lim if cmp == "ge" else x > lim
            word = "at least" if cmp == "ge" else "at most"
            size = "small" if cmp == "ge" else "large"
            checks.add(rule, name, type_ok & bad,
                       lambda v, line, word=word, bound=bound, size=size: f"'{v}' is too {size}: the value must be "
                                                                          f"{word} {fmt_number(bound)}.")
        for bound, rule, cmp in ((f.min_length, "constraint.minLength", "ge"),
                                 (f.max_length, "constraint.maxLength", "le")):
            if bound is None:
                continue
            n = c.str.len_chars()
            bad = n < bound if cmp == "ge" else n > bound
            word = "at least" if cmp == "ge" else "at most"
            checks.add(rule, name, present & bad,
                       lambda v, line, word=word, bound=bound: f"the text has {len(v)} characters; it must have "
                                                               f"{word} {bound}.")
        if f.unique and name != sole_pk:
            first = _first_lines(frame, name, missing)
            checks.add("constraint.unique", name, present & ~pl.when(present).then(c).is_first_distinct(),
                       lambda v, line, name=name, first=first: f"'{v}' must be unique in {name}, but line "
                                                               f"{first(v)} has it too. Correct one of them.")
    return checks.run()


def _first_lines(frame: pl.DataFrame, name: str, missing: list[str]) -> Callable[[str], int]:
    cache: dict[str, int] = {}

    def first(value: str) -> int:
        import polars as pl

        if not cache:
            agg = frame.filter(~pl.col(name).is_in(missing)).group_by(name).agg(pl.col(LINE).min())
            cache.update(dict(agg.iter_rows()))
        return cache[value]

    return first


def _matches(c: pl.Expr, pattern: str) -> pl.Expr:
    """Full match of a Table Schema pattern (polars regex; Python's re when polars cannot compile it)."""
    import polars as pl

    anchored = f"^(?:{pattern})$"
    try:
        pl.select(pl.lit("x").str.contains(anchored))
        return c.str.contains(anchored)
    except Exception:  # noqa: BLE001 - a regex feature polars lacks (look-around...)
        try:
            rx = re.compile(pattern)
        except re.error:
            return pl.lit(True)  # not a valid regular expression: the pattern cannot be checked
        return c.map_elements(lambda v: rx.fullmatch(v) is not None, return_dtype=pl.Boolean)


def _required_msg(res: Resource, f: Field) -> Callable[[str, int], str]:
    def msg(v: str, line: int) -> str:
        if v == "":
            return f"{f.name} is required: the cell is empty; write the value (NR and NA are not allowed here)."
        label = res.missing_values.get(v) or "a missing value"
        return f"{f.name} is required: '{v}' ({label}) is not allowed here; write the value."

    return msg


def check_value(resource: Resource, field: str, value: str, *, path: str = "", line: int | None = None,
                submission: bool = False) -> list[Problem]:
    """The problems of one value of ``field`` as if it stood in a CSV cell: the same checks and messages (used by
    ``reconcile`` for an adjudicator's decided value)."""
    import polars as pl

    frame = pl.DataFrame({field: [value], LINE: [line or 0], RAGGED: [False]},
                         schema={field: pl.String, LINE: pl.Int64, RAGGED: pl.Boolean})
    return check_cells(Table(resource=resource, path=path, frame=frame), submission=submission)
