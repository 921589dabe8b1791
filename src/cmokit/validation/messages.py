"""Messages for bad cells: why a value is not of its field's type or not one of its codes, and the fix.

Shared by the cell checks (:mod:`cmokit.validation.cells`), the key checks and ``reconcile``'s check of a decided
value, so that a wrong value gets the same explanation from every command.
"""

from __future__ import annotations

import re
from difflib import get_close_matches

from cmokit.package.model import Field, Resource

INTEGER_RE = r"^[+-]?[0-9]+$"
NUMBER_RE = r"^(?:[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|INF|-INF)$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
YEAR_RE = r"^[0-9]{4}$"
DATETIME_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?$"
THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]+,[0-9]+$")
SLASH_DATE = re.compile(r"^\s*([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})\s*$")
DIFFLIB_MAX = 5000  # suggest near matches only among this many candidates (difflib is slow)


def fmt_number(x: float | int | str | None) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def missing_hint(resource: Resource | dict[str, str]) -> str:
    """", or NR (not reported) / NA (...)": the named missing values a cell may hold instead (of a resource, or a
    field's own {value: label})."""
    values = resource if isinstance(resource, dict) else resource.missing_values
    named = [f"{v} ({label.split(' (')[0]})" if label else v for v, label in values.items() if v]
    return f", or {' / '.join(named)}" if named else ""


def close_match(value: str, options: list[str] | tuple[str, ...]) -> str | None:
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
    close = close_match(v.strip().lower(), list(codes))
    hint = f"did you mean '{close}'? " if close else ""
    shown = ", ".join(codes) if len(codes) <= 15 else ", ".join(codes[:15]) + ", ..."
    return f"{what} '{v}' is not allowed: {hint}use one of {shown}{missing_hint(resource)}."


def type_message(f: Field, value: str, resource: Resource) -> str:
    """Why ``value`` is not of the field's type and format, and the fix."""
    v = value
    mh = missing_hint(resource.missing_for(f) if hasattr(resource, "missing_for") else resource)
    special = _special_form(f, v, mh)
    if special:
        return special
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
    return _other_type(f, v, mh)


EXAMPLES = {"time": "15:00:00", "yearmonth": "2024-01", "duration": "P1Y2M10DT2H30M", "object": '{"a": 1}',
            "array": "[1, 2]", "geojson": '{"type": "Point", "coordinates": [90.5, 45.5]}', "boolean": "true"}
FORMAT_EXAMPLES = {"email": "name@example.org", "uri": "https://example.org/page", "uuid":
                   "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "binary": "aGVsbG8=", "array": "[90.5, 45.5]",
                   "object": '{"lon": 90.5, "lat": 45.5}', "default": "90.5, 45.5"}


def _why(f: Field, v: str) -> str:
    from cmokit.validation.values import reason

    why = reason(f, v)
    return f" ({why})" if why else ""


def _special_form(f: Field, v: str, mh: str) -> str | None:
    """The message for a value whose form the field declares itself (formats, number characters), or None."""
    if f.type in ("integer", "number") and (f.group_char or not f.bare_number or f.decimal_char != "."):
        how = [f"decimal character '{f.decimal_char}'"] if f.type == "number" else []
        how += [f"group character '{f.group_char}'"] if f.group_char else []
        how += ["text around the number allowed"] if not f.bare_number else []
        kind = "a whole number" if f.type == "integer" else "a number"
        return f"'{v}' is not {kind} in this field's form ({', '.join(how)}){_why(f, v)}{mh}."
    if f.type in ("date", "time", "datetime") and f.format != "default":
        form = "any date/time form Python's dateutil reads" if f.format == "any" else f"the form '{f.format}'"
        return f"'{v}' is not a {f.type} in {form}{_why(f, v)}{mh}."
    if f.type == "string" and f.format != "default":
        return f"'{v}' is not a valid {f.format} (e.g. {FORMAT_EXAMPLES[f.format]}){mh}."
    return None


def _other_type(f: Field, v: str, mh: str) -> str:
    if f.type == "list":
        return (f"'{v}' is not a list of {f.item_type} values separated by '{f.delimiter}'{_why(f, v)}{mh}.")
    if f.type == "geopoint":
        return f"'{v}' is not a geographic point, e.g. {FORMAT_EXAMPLES[f.format]}{_why(f, v)}{mh}."
    example = EXAMPLES.get(f.type)
    return f"'{v}' is not a valid {f.type}{_why(f, v)}" + (f": write e.g. {example}" if example else "") + f"{mh}."


def bound_message(bound: str, limit: object, v: str) -> str:
    """Why ``v`` breaks a minimum, maximum, exclusiveMinimum or exclusiveMaximum constraint."""
    size = "small" if bound in ("minimum", "exclusiveMinimum") else "large"
    word = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than"}[bound]
    return f"'{v}' is too {size}: the value must be {word} {fmt_number(limit)}."


def length_message(f: Field, v: str, word: str, bound: int) -> str:
    from cmokit.package import values as scalar

    what = {"array": "items", "list": "items", "object": "members", "geojson": "members"}.get(f.type, "characters")
    if f.type == "string" and f.format == "binary":
        what = "bytes"
    try:
        n = scalar.length(f, scalar.parse(f, v))
    except (scalar.Invalid, ArithmeticError, ValueError):
        n = len(v)
    if what == "characters":
        return f"the text has {n} characters; it must have {word} {bound}."
    return f"the value has {n} {what}; it must have {word} {bound}."


def json_schema_message(f: Field, v: str) -> str:
    import jsonschema

    from cmokit.package import values as scalar

    schema = f.json_schema or {}
    error = jsonschema.exceptions.best_match(jsonschema.validators.validator_for(schema)(schema)
                                             .iter_errors(scalar.parse(f, v)))
    where = "/".join(str(p) for p in error.absolute_path) if error is not None else ""
    detail = f"{error.message}" + (f" (at {where})" if where else "") if error is not None else "it does not"
    return f"'{v}' does not conform to the field's jsonSchema: {detail}."


def pattern_message(f: Field, v: str) -> str:
    try:
        rx = re.compile(f.pattern or "")
    except re.error:
        rx = re.compile(r"(?!)")  # polars-only syntax: no hint
    if rx.fullmatch(v.strip()):
        return f"'{v}' has spaces around it: remove the spaces (write '{v.strip()}')."
    if rx.fullmatch(v.strip().lower()):
        return f"'{v}' must be lower case: write '{v.strip().lower()}'."
    # the first sentence of the description (a full stop after "e.g" or "i.e" does not end it)
    desc = re.split(r"(?<!e\.g)(?<!i\.e)\.\s", f.description)[0].rstrip(".") if f.description else ""
    return f"'{v}' does not have the required form (pattern {f.pattern})" + (f": {desc}." if desc else ".")


def split_codes(v: str) -> list[str]:
    return [p[1:] if i and p.startswith(" ") else p for i, p in enumerate(v.split(";"))]


def multi_code_message(v: str, codes: tuple[str, ...], res: Resource) -> tuple[str, str] | list[str]:
    for sep in (",", "/", "|", " and "):
        parts = [p.strip() for p in v.split(sep)]
        if sep in v and all(p in codes for p in parts):
            return ("constraint.pattern",
                    f"'{v}': separate codes with '; ' (semicolon and space): write '{'; '.join(parts)}'.")
    return [code_message(p, codes, res) for p in split_codes(v) if p not in codes]


def multi_pattern_message(v: str, codes: tuple[str, ...]) -> str:
    parts = [p.strip() for p in v.split(";") if p.strip()]
    fixed = "; ".join(parts)
    return f"'{v}': write the codes separated by '; ' with nothing before, after or between them: '{fixed}'."
