"""Cell checks (types and Table Schema constraints), keys and the codebook, vectorised with polars.

Every check is a boolean polars expression over a column of strings; all of a table's checks are evaluated in
one ``select`` (polars runs them in parallel), and Python only builds the messages of the cells that failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from cmokit.reader import LINE, RAGGED, Table
from cmokit.report import ERROR, WARNING, Problem
from cmokit.review import Field, Resource, Review

if TYPE_CHECKING:
    import polars as pl

INTEGER_RE = r"^[+-]?[0-9]+$"
NUMBER_RE = r"^(?:[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|INF|-INF)$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
YEAR_RE = r"^[0-9]{4}$"
DATETIME_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?$"
THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]+,[0-9]+$")
SLASH_DATE = re.compile(r"^\s*([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})\s*$")
DIFFLIB_MAX = 5000  # suggest near matches only among this many candidates (difflib is slow)

Mk = Callable[[str], str]


def _fmt(x: float | int | str | None) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _missing_hint(resource: Resource) -> str:
    named = [f"{v} ({label.split(' (')[0]})" if label else v for v, label in resource.missing_values.items() if v]
    return f", or {' / '.join(named)}" if named else ""


def _close(value: str, options: list[str] | tuple[str, ...]) -> str | None:
    if len(options) > DIFFLIB_MAX:
        return None
    m = get_close_matches(value, list(options), n=1, cutoff=0.6)
    return m[0] if m else None


def code_message(value: str, codes: tuple[str, ...], resource: Resource, what: str = "code") -> str:
    """Why ``value`` is not one of ``codes``, and the fix (codes are compared exactly)."""
    v = str(value)
    if v.strip() in codes:
        return (f"{what} '{v}' has spaces around it: remove the spaces (write '{v.strip()}'); "
                "codes are compared exactly.")
    lower = {c.lower(): c for c in codes}
    if v.strip().lower() in lower:
        return f"{what} '{v}': codes are lower case: write '{lower[v.strip().lower()]}'."
    close = _close(v.strip().lower(), list(codes))
    hint = f"did you mean '{close}'? " if close else ""
    shown = ", ".join(codes) if len(codes) <= 15 else ", ".join(codes[:15]) + ", ..."
    return f"{what} '{v}' is not allowed: {hint}use one of {shown}{_missing_hint(resource)}."


def type_message(f: Field, value: str, resource: Resource) -> str:
    """Why ``value`` is not of the field's type, and the fix."""
    v = value
    mh = _missing_hint(resource)
    if f.type in ("integer", "number"):
        kind = "a whole number" if f.type == "integer" else "a number"
        if THOUSANDS.match(v.strip()):
            return f"'{v}' is not {kind}: write numbers without thousands separators: {v.strip().replace(',', '')}."
        if DECIMAL_COMMA.match(v.strip()):
            fixed = v.strip().replace(",", ".")
            if f.type == "integer":
                return f"'{v}' is not a whole number: write digits only (e.g. {fixed.split('.')[0]}){mh}."
            return f"'{v}' is not a number: use a decimal point, not a comma: {fixed}."
        if v != v.strip() and re.match(INTEGER_RE if f.type == "integer" else NUMBER_RE, v.strip()):
            return f"'{v}' has spaces around it: remove the spaces (write {v.strip()})."
        if f.type == "integer" and re.match(r"^[+-]?[0-9]+\.[0-9]*$", v.strip()):
            return f"'{v}' is not a whole number: write an integer such as {v.strip().split('.')[0] or '0'}{mh}."
        if re.match(r"^[^0-9]*[0-9.,]+\s*[^0-9]*$", v) and re.search(r"[£$€%]", v):
            return f"'{v}' is not {kind}: write the number alone, without symbols or units (put units elsewhere){mh}."
        return f"'{v}' is not {kind}: write digits only (e.g. 12{'' if f.type == 'integer' else ' or 12.5'}){mh}."
    if f.type == "date":
        m = SLASH_DATE.match(v)
        if m:
            a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
            day, month = (a, b) if a > 12 or b <= 12 else (b, a)
            return (f"'{v}' is not a date in the required form: write dates as YYYY-MM-DD, "
                    f"e.g. {y}-{month:02d}-{day:02d} (check day and month){mh}.")
        if re.match(DATE_RE, v.strip()):
            if v != v.strip():
                return f"'{v}' has spaces around it: remove the spaces (write {v.strip()})."
            return f"'{v}' is not a real calendar date (month 01-12, day within the month): write dates as YYYY-MM-DD."
        if re.match(YEAR_RE, v.strip()):
            return (f"'{v}' is a year, not a date: write dates as YYYY-MM-DD, e.g. {v.strip()}-06-08; "
                    f"if only the year is known, write NR here and the year in the year field.")
        return f"'{v}' is not a date: write dates as YYYY-MM-DD, e.g. 2018-06-08{mh}."
    if f.type == "boolean":
        yes, no = (f.true_values or ("true",))[0], (f.false_values or ("false",))[0]
        allowed = set(f.true_values) | set(f.false_values)
        if v.strip() in allowed:
            return f"'{v}' has spaces around it: remove the spaces (write {v.strip()}); write {yes} or {no}."
        if v.strip().lower() in {a.lower() for a in allowed}:
            return f"'{v}': write {yes} or {no} (lower case){mh}."
        return f"'{v}' is not {yes} or {no}: write {yes} or {no}{mh}."
    if f.type == "year":
        return f"'{v}' is not a year: write four digits, e.g. 2016{mh}."
    if f.type == "datetime":
        return f"'{v}' is not a date and time: write YYYY-MM-DDThh:mm:ssZ, e.g. 2026-11-26T09:30:00Z{mh}."
    return f"'{v}' is not a valid {f.type}{mh}."


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
                       lambda v, line, f=f, codes=codes: _multi_msg(v, codes, res))
            if f.pattern:
                checks.add("constraint.pattern", name, type_ok & ~bad_code.list.any() & ~_matches(c, f.pattern),
                           lambda v, line, codes=codes: _multi_pattern_msg(v, codes))
        elif f.enum is not None:
            checks.add("constraint.enum", name, type_ok & ~c.is_in(list(f.enum)),
                       lambda v, line, f=f: code_message(v, f.enum, res))
        if f.pattern and not f.multiple:
            checks.add("constraint.pattern", name, type_ok & ~_matches(c, f.pattern),
                       lambda v, line, f=f: _pattern_msg(f, v))
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
                                                                          f"{word} {_fmt(bound)}.")
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


def _pattern_msg(f: Field, v: str) -> str:
    try:
        rx = re.compile(f.pattern or "")
    except re.error:
        rx = re.compile(r"(?!)")  # polars-only syntax: no hint
    if rx.fullmatch(v.strip()):
        return f"'{v}' has spaces around it: remove the spaces (write '{v.strip()}')."
    if rx.fullmatch(v.strip().lower()):
        return f"'{v}' must be lower case: write '{v.strip().lower()}'."
    desc = f.description.split(". ")[0].rstrip(".") if f.description else ""
    return f"'{v}' does not have the required form (pattern {f.pattern})" + (f": {desc}." if desc else ".")


def _split_codes(v: str) -> list[str]:
    return [p[1:] if i and p.startswith(" ") else p for i, p in enumerate(v.split(";"))]


def _multi_msg(v: str, codes: tuple[str, ...], res: Resource) -> tuple[str, str] | list[str]:
    for sep in (",", "/", "|", " and "):
        parts = [p.strip() for p in v.split(sep)]
        if sep in v and all(p in codes for p in parts):
            return ("constraint.pattern",
                    f"'{v}': separate codes with '; ' (semicolon and space): write '{'; '.join(parts)}'.")
    return [code_message(p, codes, res) for p in _split_codes(v) if p not in codes]


def _multi_pattern_msg(v: str, codes: tuple[str, ...]) -> str:
    parts = [p.strip() for p in v.split(";") if p.strip()]
    fixed = "; ".join(parts)
    return f"'{v}': write the codes separated by '; ' with nothing before, after or between them: '{fixed}'."


def check_keys(table: Table, refs: dict[str, Table | None]) -> list[Problem]:
    """Primary key (duplicates) and foreign keys (values missing from the referenced resource)."""
    import polars as pl

    if table.frame is None:
        return []
    res = table.resource
    out: list[Problem] = []
    frame = table.frame.filter(~pl.col(RAGGED))
    missing = list(res.missing_values)
    cols = set(frame.columns)
    pk = res.primary_key
    if pk and all(k in cols for k in pk):
        keyed = frame.filter(pl.all_horizontal([~pl.col(k).is_in(missing) for k in pk]))
        keyed = keyed.with_columns(pl.col(LINE).min().over(pk).alias("__first"))
        dup = keyed.filter(pl.col(LINE) != pl.col("__first")).sort(LINE)
        for row in dup.select([LINE, "__first", *pk]).iter_rows():
            line, first, *vals = row
            key = ", ".join(f"{k}={v!r}" for k, v in zip(pk, vals, strict=True))
            out.append(Problem(
                rule="key.primary", resource=res.name, path=table.path, line=line, field=pk[-1],
                value=", ".join(vals),
                message=f"duplicate primary key ({key}): line {first} has the same key. Each row needs its own key; "
                        f"renumber or merge the rows."))
    for fk in res.foreign_keys:
        fields = fk["fields"]
        ref = fk["reference"]
        target_name = ref.get("resource") or res.name
        target = table if target_name == res.name else refs.get(target_name)
        if target is None or target.frame is None or not all(k in cols for k in fields):
            continue
        rfields = ref["fields"] or fields
        if not all(k in target.frame.columns for k in rfields):
            continue
        tmissing = list(target.resource.missing_values)
        keys = (target.frame.select([pl.col(r).alias(f) for r, f in zip(rfields, fields, strict=True)])
                .filter(pl.all_horizontal([~pl.col(f).is_in(tmissing) for f in fields])).unique())
        src = frame.filter(pl.all_horizontal([~pl.col(f).is_in(missing) for f in fields]))
        orphans = src.join(keys, on=fields, how="anti").sort(LINE)
        if orphans.height == 0:
            continue
        known = keys.get_column(fields[0]).to_list() if len(fields) == 1 else []
        folded = {str(k).strip().lower(): k for k in known}
        for row in orphans.select([LINE, *fields]).iter_rows():
            line, *vals = row
            shown = ", ".join(vals)
            hint = ""
            if len(fields) == 1:
                near = folded.get(vals[0].strip().lower()) or _close(vals[0], known)
                if near is not None:
                    hint = f" Did you mean '{near}'?"
            out.append(Problem(
                rule="key.foreign", resource=res.name, path=table.path, line=line, field=fields[0], value=shown,
                message=f"{', '.join(fields)} '{shown}' has no matching row in {target_name} ({target.path}).{hint} "
                        f"Correct the id, or add the row to {target_name} first."))
    return out


def check_codebook(review: Review, codebook: Table) -> list[Problem]:
    """Every code allowed by a schema has a codebook row, and every codebook row is a code some schema allows."""
    if codebook.frame is None or not {"table", "field", "code"} <= set(codebook.frame.columns):
        return []
    allowed: dict[tuple[str, str], tuple[str, ...]] = {}
    for r in review.data_resources:
        for f in r.fields:
            codes = f.codes()
            if codes is not None:
                allowed[(r.name, f.name)] = codes
    rows = codebook.frame.select([LINE, "table", "field", "code"]).iter_rows()
    have: set[tuple[str, str, str]] = set()
    out: list[Problem] = []

    def add(message: str, line: int | None = None, field: str | None = None, value: str | None = None) -> None:
        out.append(Problem(rule="codebook.mismatch", message=message, resource=codebook.resource.name,
                           path=codebook.path, line=line, field=field, value=value))

    for line, t, fname, code in rows:
        if t == "*":
            continue
        have.add((t, fname, code))
        codes = allowed.get((t, fname))
        if codes is None:
            add(f"codebook row for {t}.{fname}, which is not a coded field of the schemas (no enum or code list). "
                "Fix the table/field names or delete the row.", line, "field", fname)
        elif code not in codes:
            add(f"code '{code}' of {t}.{fname} is not allowed by schema/{t}.schema.json. Add it to the schema's codes "
                "or delete this codebook row.", line, "code", code)
    for (t, fname), codes in allowed.items():
        for code in codes:
            if (t, fname, code) not in have:
                add(f"code '{code}' of {t}.{fname} (allowed by its schema) has no row in {codebook.path}. Add a row: "
                    f"{t},{fname},{code},<label>,<definition>.", None, "code", code)
    return out
