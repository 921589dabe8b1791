"""The Table Schema v2 vocabulary and the check of a schema against it: what cmokit implements, and nothing silent.

Every type, format, field property, constraint and schema property of Table Schema v2 (datapackage.org/standard/
table-schema) is listed here with the types it applies to. :func:`schema_issues` reads a schema descriptor and
returns every property cmokit cannot honour (``schema.unsupported``: an unknown type, format or constraint, a
constraint or property that does not apply to the field's type, a misspelt property) and every value the spec
forbids (``schema.invalid``: ``minLength: -1``, a pattern that is not a regular expression...). Written by hand:
frictionless checks descriptors against the JSON profile, which accepts unknown constraints and misspelt properties
without a word (the profile allows additional properties), and that is exactly the silence cmokit refuses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

NUMERIC = ("integer", "number")
ORDERED = ("integer", "number", "date", "time", "datetime", "duration", "year", "yearmonth")
TEMPORAL = ("date", "time", "datetime")
TYPES = ("string", "number", "integer", "boolean", "object", "array", "list", "datetime", "date", "time", "year",
         "yearmonth", "duration", "geopoint", "geojson", "any")
FORMATS: dict[str, tuple[str, ...]] = {
    "string": ("default", "email", "uri", "binary", "uuid"),
    "geopoint": ("default", "array", "object"),
    "geojson": ("default", "topojson"),
}
# constraints per type (Table Schema v2, "Field Constraints": the "Fields:" line of each constraint)
CONSTRAINTS: dict[str, tuple[str, ...]] = {
    "required": TYPES,
    "unique": TYPES,
    "enum": TYPES,
    "minLength": ("string", "array", "object", "list", "geojson"),
    "maxLength": ("string", "array", "object", "list", "geojson"),
    "minimum": ORDERED,
    "maximum": ORDERED,
    "exclusiveMinimum": ORDERED,
    "exclusiveMaximum": ORDERED,
    "jsonSchema": ("array", "object"),
    "pattern": ("string",),
}
COMMON_FIELD = ("name", "title", "description", "example", "type", "format", "constraints", "missingValues",
                "rdfType")
TYPE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "categories": ("string", "integer"),
    "categoriesOrdered": ("string", "integer"),
    "decimalChar": ("number",),
    "groupChar": ("number", "integer"),
    "bareNumber": ("number", "integer"),
    "trueValues": ("boolean",),
    "falseValues": ("boolean",),
    "delimiter": ("list",),
    "itemType": ("list",),
}
SCHEMA_PROPERTIES = ("fields", "$schema", "fieldsMatch", "missingValues", "primaryKey", "uniqueKeys", "foreignKeys",
                     "title", "description")
FIELDS_MATCH = ("exact", "equal", "subset", "superset", "partial")
# "datetme" is how the spec text spells it in the list of item types (a typo of "datetime"); both are read
LIST_ITEM_TYPES = ("string", "integer", "boolean", "number", "datetime", "date", "time")
CMOKIT_FIELD = ("cmokit:codes", "cmokit:role", "cmokit:study", "cmokit:specialises")
# what a studies field is to the engine ("cmokit:study"; see cmokit.package.annotations)
STUDY_PARTS = ("label", "reference", "grouping", "inclusion", "intervention")
STRPTIME_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")


@dataclass(frozen=True)
class Issue:
    """One property of a schema cmokit cannot honour (``schema.unsupported``) or that breaks the spec."""

    rule: str
    message: str
    field: str | None = None
    property: str | None = None


def strip_fmt(fmt: Any) -> Any:
    """A format without the ``fmt:`` prefix of Data Package v0 (the spec: an implementation MUST remove it)."""
    return fmt[4:] if isinstance(fmt, str) and fmt.startswith("fmt:") else fmt


def _near(name: str, known: tuple[str, ...] | list[str]) -> str:
    close = get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def misspelling(name: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known property ``name`` is probably a misspelling of, if any (namespaced names like ``x:y`` never)."""
    if ":" in name or name in known:
        return None
    close = get_close_matches(name, list(known), n=1, cutoff=0.8)
    if not close and name.lower() in {k.lower() for k in known}:
        close = [next(k for k in known if k.lower() == name.lower())]
    return close[0] if close else None


def temporal_format_issue(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable date/time pattern, or None (``default``, ``any`` and strptime patterns are)."""
    if fmt in ("default", "any"):
        return None
    directives = re.findall(r"%(.)", fmt.replace("%%", ""))
    if "%" not in fmt or not directives:
        return (f"'{fmt}' is neither 'default', 'any' nor a strptime pattern (a pattern uses directives such as "
                "%Y-%m-%d)")
    bad = sorted(set(directives) - STRPTIME_DIRECTIVES)
    if bad:
        return f"the pattern '{fmt}' uses {', '.join('%' + b for b in bad)}, which Python's strptime does not know"
    return None


def field_issues(d: dict) -> list[Issue]:
    """Everything in one field descriptor that cmokit cannot honour or that the spec forbids."""
    name = d.get("name")
    out: list[Issue] = []

    def unsupported(prop: str, message: str) -> None:
        out.append(Issue("schema.unsupported", f"field '{name}': {message}", name, prop))

    def invalid(prop: str, message: str) -> None:
        out.append(Issue("schema.invalid", f"field '{name}': {message}", name, prop))

    typ = d.get("type", "any")
    if not isinstance(typ, str) or typ not in TYPES:
        unsupported("type", f"type '{typ}' is not a Table Schema type{_near(str(typ), TYPES)}; the types are "
                            f"{', '.join(TYPES)}.")
        return out
    fmt = strip_fmt(d.get("format", "default"))
    if not isinstance(fmt, str):
        invalid("format", f"format must be a string, not {fmt!r}.")
    elif typ in TEMPORAL:
        why = temporal_format_issue(fmt)
        if why:
            unsupported("format", f"format of a {typ} field: {why}.")
    elif fmt != "default" and fmt not in FORMATS.get(typ, ("default",)):
        formats = FORMATS.get(typ, ("default",))
        unsupported("format", f"format '{fmt}' is not a format of {typ} fields{_near(fmt, formats)}; "
                              f"allowed: {', '.join(formats)}.")
    known = list(COMMON_FIELD) + list(TYPE_PROPERTIES) + list(CMOKIT_FIELD)
    for prop in d:
        if prop in TYPE_PROPERTIES and typ not in TYPE_PROPERTIES[prop]:
            unsupported(prop, f"'{prop}' applies only to {' and '.join(TYPE_PROPERTIES[prop])} fields, not to "
                              f"{typ} fields; remove it or change the type.")
        elif prop not in known:
            guess = misspelling(prop, known)
            if guess:
                unsupported(prop, f"'{prop}' is not a field property; did you mean '{guess}'? (cmokit refuses a "
                                  "misspelt property rather than ignore it)")
    part = d.get("cmokit:study")
    if part is not None and part not in STUDY_PARTS:
        unsupported("cmokit:study", f"'cmokit:study' is {part!r}{_near(str(part), STUDY_PARTS)}; it is one of "
                                    f"{', '.join(STUDY_PARTS)}.")
    c = d.get("constraints", {})
    if not isinstance(c, dict):
        invalid("constraints", "constraints must be an object.")
        c = {}
    for prop, value in c.items():
        if prop not in CONSTRAINTS:
            unsupported(prop, f"'{prop}' is not a Table Schema constraint{_near(prop, tuple(CONSTRAINTS))}; the "
                              f"constraints are {', '.join(CONSTRAINTS)}.")
        elif typ not in CONSTRAINTS[prop]:
            unsupported(prop, f"the constraint '{prop}' does not apply to {typ} fields (only to "
                              f"{', '.join(CONSTRAINTS[prop])}).")
        elif prop in ("required", "unique") and not isinstance(value, bool):
            invalid(prop, f"constraint '{prop}' must be true or false, not {value!r}.")
        elif prop in ("minLength", "maxLength") and (not isinstance(value, int) or isinstance(value, bool)
                                                     or value < 0):
            invalid(prop, f"constraint '{prop}' must be a non-negative integer, not {value!r}.")
        elif prop == "enum" and (not isinstance(value, list) or not value):
            invalid(prop, "constraint 'enum' must be a non-empty array of values.")
        elif prop == "pattern":
            why = pattern_issue(value)
            if why:
                invalid(prop, why)
        elif prop == "jsonSchema":
            why = json_schema_issue(value)
            if why:
                invalid(prop, why)
    out += _type_property_issues(d, typ, name)
    mv = d.get("missingValues")
    if mv is not None and missing_values_issue(mv):
        invalid("missingValues", missing_values_issue(mv) or "")
    return out


def _type_property_issues(d: dict, typ: str, name: Any) -> list[Issue]:
    out: list[Issue] = []

    def invalid(prop: str, message: str) -> None:
        out.append(Issue("schema.invalid", f"field '{name}': {message}", name, prop))

    for prop in ("decimalChar", "groupChar", "delimiter"):
        if prop in d and typ in TYPE_PROPERTIES[prop] and (not isinstance(d[prop], str) or not d[prop]):
            invalid(prop, f"'{prop}' must be a non-empty string.")
    if typ == "number" and d.get("decimalChar", ".") == d.get("groupChar"):
        invalid("groupChar", "decimalChar and groupChar must differ.")
    if "bareNumber" in d and typ in NUMERIC and not isinstance(d["bareNumber"], bool):
        invalid("bareNumber", "'bareNumber' must be true or false.")
    for prop in ("trueValues", "falseValues"):
        if prop in d and typ == "boolean" and (not isinstance(d[prop], list) or not d[prop]
                                               or not all(isinstance(v, str) for v in d[prop])):
            invalid(prop, f"'{prop}' must be a non-empty array of strings.")
    if typ == "boolean" and set(d.get("trueValues", [])) & set(d.get("falseValues", [])):
        invalid("trueValues", "a value cannot be both in trueValues and in falseValues.")
    if typ == "list":
        item = d.get("itemType", "string")
        if item == "datetme":
            item = "datetime"
        if item not in LIST_ITEM_TYPES:
            out.append(Issue("schema.unsupported", f"field '{name}': itemType '{item}' is not a list item type"
                                                   f"{_near(str(item), LIST_ITEM_TYPES)}; allowed: "
                                                   f"{', '.join(LIST_ITEM_TYPES)}.", name, "itemType"))
    cats = d.get("categories")
    if cats is not None and typ in ("string", "integer"):
        if not isinstance(cats, list) or not cats:
            invalid("categories", "'categories' must be a non-empty array of values or of {value, label} objects.")
        elif any(isinstance(x, dict) and "value" not in x for x in cats):
            invalid("categories", "every object in 'categories' needs a 'value'.")
    if "categoriesOrdered" in d and not isinstance(d["categoriesOrdered"], bool):
        invalid("categoriesOrdered", "'categoriesOrdered' must be true or false.")
    return out


def pattern_issue(pattern: Any) -> str | None:
    """Why a ``pattern`` constraint cannot be used (not a string, or neither polars nor Python can compile it)."""
    if not isinstance(pattern, str):
        return f"constraint 'pattern' must be a string, not {pattern!r}."
    try:
        re.compile(pattern)
        return None
    except re.error as exc:
        python_error = str(exc)
    try:
        import polars as pl

        pl.select(pl.lit("x").str.contains(pattern))
        return None
    except Exception:  # noqa: BLE001 - polars' regex error
        return f"constraint 'pattern' {pattern!r} is not a regular expression ({python_error})."


def json_schema_issue(schema: Any) -> str | None:
    """Why a ``jsonSchema`` constraint is not a usable JSON Schema, or None."""
    if not isinstance(schema, dict):
        return "constraint 'jsonSchema' must be a JSON Schema object."
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        return f"constraint 'jsonSchema' is not a valid JSON Schema ({exc.message})."
    return None


def missing_values_issue(mv: Any) -> str | None:
    """Why a ``missingValues`` property breaks the spec (an array of unique strings, or of {value, label}), or None."""
    if not isinstance(mv, list):
        return "missingValues must be an array."
    values = [m.get("value") if isinstance(m, dict) else m for m in mv]
    if any(isinstance(m, dict) for m in mv) and not all(isinstance(m, dict) for m in mv):
        return "missingValues must be all strings or all {value, label} objects, not a mix."
    if not all(isinstance(v, str) for v in values):
        return "every missing value must be a string (e.g. \"NA\", not NA or 99)."
    if len(set(values)) != len(values):
        return "missing values must be unique."
    return None


def schema_issues(schema: dict) -> list[Issue]:
    """Every issue of a schema descriptor: its fields, then its own properties (keys are checked by the model)."""
    out: list[Issue] = []
    for fd in schema.get("fields") or []:
        if isinstance(fd, dict):
            out += field_issues(fd)
    for prop in schema:
        guess = misspelling(prop, SCHEMA_PROPERTIES)
        if guess:
            out.append(Issue("schema.unsupported", f"'{prop}' is not a schema property; did you mean '{guess}'? "
                                                   "(cmokit refuses a misspelt property rather than ignore it)",
                             None, prop))
    fm = schema.get("fieldsMatch")
    if fm is not None and fm not in FIELDS_MATCH:
        out.append(Issue("schema.unsupported", f"fieldsMatch '{fm}' is not one of {', '.join(FIELDS_MATCH)}"
                                               f"{_near(str(fm), FIELDS_MATCH)}.", None, "fieldsMatch"))
    if "missingValues" in schema and missing_values_issue(schema["missingValues"]):
        out.append(Issue("schema.invalid", f"schema: {missing_values_issue(schema['missingValues'])}", None,
                         "missingValues"))
    return out


def text_of(value: Any) -> str:
    """A JSON value of a schema (an enum entry, a category) as the text a CSV cell would hold."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def missing_map(values: Any) -> dict[str, str]:
    """``missingValues`` (strings or {value, label} objects) as {value: label}."""
    out: dict[str, str] = {}
    for mv in values if isinstance(values, list) else []:
        if isinstance(mv, dict):
            out[str(mv.get("value", ""))] = str(mv.get("label", ""))
        else:
            out[str(mv)] = ""
    return out


def key_names(value: Any) -> list[str]:
    """A key's field list: an array of names, or one name (Table Schema v1 form)."""
    if value is None or value == []:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []
