"""The logical value of one cell, per Table Schema v2 type and format: the scalar reference of the value semantics.

:func:`parse` turns a cell's text into its logical value (``int``, ``Decimal``, ``bool``, ``date``, ``time``,
``datetime``, a (year, month) pair, a (months, seconds) duration, a parsed JSON value, a list...) or raises
:class:`Invalid` saying why; :func:`key` gives the canonical text of a logical value (two cells are equal exactly when
their keys are: ``01`` and ``1`` in an integer field, ``1.50`` and ``15E-1`` in a number field, ``yes`` and ``1`` in a
boolean field whose trueValues hold both); :func:`compare` orders two values (None when they are not comparable:
``NaN``, durations such as P1M and P30D); :func:`schema_value` reads a bound or an enum entry of the schema. The
vectorised engine (:mod:`cmokit.validation.values`) implements the common forms with polars and calls this module
for the rest (custom date patterns, ``any``, JSON types, durations, lists), once per distinct value; the
conformance tests hold the two to the same answers. Written by hand because no library reads Table Schema's
lexical forms exactly (frictionless accepts ``2024-1-5`` as a date and ``1_000`` as an integer).
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from cmokit.package.model import Field

INTEGER = r"[+-]?[0-9]+"
DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
SPECIAL = ("nan", "inf", "-inf")
DATE_DEFAULT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
TIME_DEFAULT = re.compile(r"^[0-9]{2}:[0-9]{2}:[0-9]{2}$")
DATETIME_DEFAULT = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
                              r"(Z|[+-][0-9]{2}:[0-9]{2})?$")
YEAR = re.compile(r"^[0-9]{4}$")
YEARMONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
DURATION = re.compile(r"^(-)?P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?"
                      r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$")
# HTML's "valid e-mail address" (WHATWG), the definition browsers apply to <input type=email>
EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                   r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
# RFC 3986 URI: a scheme, then only the characters a URI may hold (percent-escapes well formed)
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
GEOJSON_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                 "GeometryCollection", "Feature", "FeatureCollection")
# XML Schema's four reference instants for ordering durations (XSD 1.0, 3.2.6.2)
DURATION_REFS = (dt.datetime(1696, 9, 1), dt.datetime(1697, 2, 1), dt.datetime(1903, 3, 1), dt.datetime(1903, 7, 1))


class Invalid(ValueError):
    """The text is not a value of the field's type and format (the message says why)."""


def bare_core(f: Field, *, integer: bool) -> str:
    """The regular expression of the number inside a cell when ``bareNumber`` is false: from the first digit (with
    a sign and a decimal character just before it) to the last digit; the text around it is stripped."""
    dc = "" if integer else f"(?:{re.escape(f.decimal_char)})?"
    return rf"[+-]?{dc}[0-9](?:.*[0-9])?"


def _number_text(f: Field, text: str, *, integer: bool) -> str:
    """The bare number in ``text`` after the field's bareNumber, groupChar and decimalChar (standard form)."""
    s = text
    dc = "" if integer else re.escape(f.decimal_char)
    if not f.bare_number:
        m = re.search(bare_core(f, integer=integer), s)
        if not m:
            raise Invalid("no number in it")
        s = m.group(0)
    if f.group_char:
        g = re.escape(f.group_char)
        if not re.match(rf"^[+-]?(?:[0-9]+(?:{g}[0-9]+)*)?(?:{dc}[0-9]*)?(?:[eE][+-]?[0-9]+)?$" if dc else
                        rf"^[+-]?[0-9]+(?:{g}[0-9]+)*$", s):
            raise Invalid("group characters must stand between digits")
        s = s.replace(f.group_char, "")
    if not integer and f.decimal_char != ".":
        if "." in s:
            raise Invalid(f"the decimal character is '{f.decimal_char}'")
        s = s.replace(f.decimal_char, ".")
    return s


def parse_integer(f: Field, text: str) -> int:
    s = _number_text(f, text, integer=True)
    if not re.fullmatch(INTEGER, s):
        raise Invalid("not an integer")
    return int(s)


def parse_number(f: Field, text: str) -> Decimal:
    if f.bare_number and text.lower() in SPECIAL:
        return Decimal({"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[text.lower()])
    s = _number_text(f, text, integer=False)
    if not re.fullmatch(DECIMAL, s):
        raise Invalid("not a number")
    return Decimal(s)


def _strptime(text: str, fmt: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text, fmt)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def _any(text: str) -> dt.datetime:
    from dateutil import parser

    try:
        return parser.parse(text, default=dt.datetime(1900, 1, 1))
    except (ValueError, OverflowError) as exc:
        raise Invalid(str(exc)) from None


def parse_datetime_default(text: str) -> dt.datetime:
    m = DATETIME_DEFAULT.match(text)
    if not m:
        raise Invalid("not YYYY-MM-DDThh:mm:ss")
    day, hh, mm, ss, frac, tz = m.groups()
    try:
        value = dt.datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}")
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if frac:
        value = value.replace(microsecond=int((frac[1:] + "000000")[:6]))
    if tz:
        if tz == "Z":
            value = value.replace(tzinfo=dt.UTC)
        else:
            h, mi = int(tz[1:3]), int(tz[4:6])
            if mi > 59 or h * 60 + mi > 14 * 60:
                raise Invalid("time zone offset out of range (-14:00 to +14:00)")
            sign = 1 if tz[0] == "+" else -1
            value = value.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=h, minutes=mi)))
    return value


def parse_temporal(f: Field, text: str, fmt: str | None = None) -> Any:
    """A date, time or datetime in the field's format (``fmt`` overrides it: the default form for list items)."""
    fmt = f.format if fmt is None else fmt
    if f.type == "date" or (f.type == "list" and f.item_type == "date"):
        if fmt == "default":
            if not DATE_DEFAULT.match(text):
                raise Invalid("not YYYY-MM-DD")
            try:
                return dt.date.fromisoformat(text)
            except ValueError as exc:
                raise Invalid(str(exc)) from None
        return (_any(text) if fmt == "any" else _strptime(text, fmt)).date()
    if f.type == "time" or (f.type == "list" and f.item_type == "time"):
        if fmt == "default":
            if not TIME_DEFAULT.match(text):
                raise Invalid("not hh:mm:ss")
            try:
                return dt.time.fromisoformat(text)
            except ValueError as exc:
                raise Invalid(str(exc)) from None
        return (_any(text) if fmt == "any" else _strptime(text, fmt)).timetz()
    if fmt == "default":
        return parse_datetime_default(text)
    return _any(text) if fmt == "any" else _strptime(text, fmt)


def parse_duration(text: str) -> tuple[int, Decimal]:
    """(months, seconds) of an XML Schema duration, negative for ``-P...``."""
    m = DURATION.match(text)
    if not m or not any(m.groups()[1:]) or text.endswith("T"):
        raise Invalid("not an ISO 8601 duration PnYnMnDTnHnMnS")
    neg, y, mo, d, h, mi, s = m.groups()
    months = int(y or 0) * 12 + int(mo or 0)
    seconds = int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + Decimal(s or 0)
    return (-months, -seconds) if neg else (months, seconds)


def _json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise Invalid(f"{name} is not JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, Invalid):
            raise
        raise Invalid(f"not JSON ({exc})") from None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _position(p: Any) -> bool:
    return isinstance(p, list) and len(p) >= 2 and all(_is_number(x) for x in p)


def _geometry(g: Any, depth: int = 0) -> str | None:
    """Why ``g`` is not a GeoJSON object (RFC 7946), or None."""
    if depth > 32:
        return "geometries nested more than 32 levels deep"
    if not isinstance(g, dict) or g.get("type") not in GEOJSON_TYPES:
        return f"'type' must be one of {', '.join(GEOJSON_TYPES)}"
    t = g["type"]
    if t == "Feature":
        if "geometry" not in g or (g["geometry"] is not None and _geometry(g["geometry"], depth + 1)):
            return "a Feature needs a 'geometry' (a geometry object or null)"
        if "properties" in g and g["properties"] is not None and not isinstance(g["properties"], dict):
            return "a Feature's 'properties' must be an object or null"
        return None
    if t == "FeatureCollection":
        feats = g.get("features")
        if not isinstance(feats, list) or any(not isinstance(x, dict) or x.get("type") != "Feature"
                                              or _geometry(x, depth + 1) for x in feats):
            return "a FeatureCollection needs 'features', an array of Features"
        return None
    if t == "GeometryCollection":
        geoms = g.get("geometries")
        if not isinstance(geoms, list) or any(_geometry(x, depth + 1) for x in geoms):
            return "a GeometryCollection needs 'geometries', an array of geometries"
        return None
    c = g.get("coordinates")
    ok = {
        "Point": lambda: _position(c),
        "MultiPoint": lambda: isinstance(c, list) and all(_position(p) for p in c),
        "LineString": lambda: isinstance(c, list) and len(c) >= 2 and all(_position(p) for p in c),
        "MultiLineString": lambda: isinstance(c, list) and all(isinstance(ls, list) and len(ls) >= 2
                                                               and all(_position(p) for p in ls) for ls in c),
        "Polygon": lambda: _rings(c),
        "MultiPolygon": lambda: isinstance(c, list) and all(_rings(p) for p in c),
    }[t]()
    return None if ok else f"the coordinates of a {t} are not valid"


def _rings(c: Any) -> bool:
    return isinstance(c, list) and all(isinstance(r, list) and len(r) >= 4 and all(_position(p) for p in r)
                                       and r[0] == r[-1] for r in c)


def _geopoint(f: Field, text: str) -> tuple[Decimal, Decimal]:
    if f.format == "default":
        m = re.fullmatch(rf"({DECIMAL}), ?({DECIMAL})", text)
        if not m:
            raise Invalid("not 'lon, lat'")
        lon, lat = Decimal(m.group(1)), Decimal(m.group(2))
    else:
        v = _json(text)
        if f.format == "array":
            if not isinstance(v, list) or len(v) != 2 or not all(_is_number(x) for x in v):
                raise Invalid("not a JSON array of two numbers [lon, lat]")
            lon, lat = (Decimal(repr(x)) if isinstance(x, float) else Decimal(x) for x in v)
        else:
            if not isinstance(v, dict) or set(v) != {"lon", "lat"} or not all(_is_number(x) for x in v.values()):
                raise Invalid('not a JSON object {"lon": ..., "lat": ...}')
            lon, lat = (Decimal(repr(v[k])) if isinstance(v[k], float) else Decimal(v[k]) for k in ("lon", "lat"))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("longitude must lie in -180..180 and latitude in -90..90")
    return lon, lat


def _item_field(f: Field) -> Field:
    return Field(name=f.name, type=f.item_type)


def parse(f: Field, text: str) -> Any:
    """The logical value of ``text`` (a present cell, not a missing value) in field ``f``; Invalid if it has none."""
    t = f.type
    if t in ("string", "any"):
        if t == "string" and f.format != "default":
            rx = {"email": EMAIL, "uri": URI, "uuid": UUID, "binary": BASE64}[f.format]
            if not rx.match(text):
                raise Invalid(f"not a valid {f.format}")
        return text
    if t == "integer":
        return parse_integer(f, text)
    if t == "number":
        return parse_number(f, text)
    if t == "boolean":
        if text in f.true_values:
            return True
        if text in f.false_values:
            return False
        raise Invalid("not one of the true or false values")
    if t in ("date", "time", "datetime"):
        return parse_temporal(f, text)
    if t == "year":
        if not YEAR.match(text):
            raise Invalid("not a year YYYY")
        return int(text)
    if t == "yearmonth":
        m = YEARMONTH.match(text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise Invalid("not YYYY-MM")
        return int(m.group(1)), int(m.group(2))
    if t == "duration":
        return parse_duration(text)
    if t in ("object", "array", "geojson"):
        v = _json(text)
        if t == "array" and not isinstance(v, list):
            raise Invalid("not a JSON array")
        if t in ("object", "geojson") and not isinstance(v, dict):
            raise Invalid("not a JSON object")
        if t == "geojson":
            why = (None if v.get("type") == "Topology" and isinstance(v.get("objects"), dict) else
                   "a TopoJSON object needs 'type': 'Topology' and 'objects'") if f.format == "topojson" \
                else _geometry(v)
            if why:
                raise Invalid(why)
        return v
    if t == "geopoint":
        return _geopoint(f, text)
    if t == "list":
        item = _item_field(f)
        return [parse(item, x) for x in text.split(f.delimiter)]
    raise Invalid(f"type {t} is not implemented")


def number_key(d: Decimal) -> str:
    """Canonical text of a decimal: ``<sign><digits>E<exponent>`` (digits without leading or trailing zeros, the
    value being 0.<digits> shifted: 1.5 -> 15E0, 150 -> 15E2, 0.00123 -> 123E-3), ``0``, ``NaN``, ``INF``, ``-INF``."""
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "-INF" if d < 0 else "INF"
    sign, digits, exp = d.as_tuple()
    c = "".join(map(str, digits)).lstrip("0")
    if not c:
        return "0"
    stripped = c.rstrip("0")
    exp = int(exp) + len(c) - len(stripped)
    return ("-" if sign else "") + stripped + "E" + str(exp + len(stripped) - 1)


def _utc(v: dt.datetime) -> dt.datetime:
    return v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo is not None else v


def key(f: Field, v: Any) -> str:
    """The canonical text of a logical value of field ``f`` (equal values, equal keys)."""
    t = f.type
    if t == "string" and f.format == "uuid":
        return v.lower()
    if t in ("string", "any"):
        return v
    if t == "integer":
        return str(v)
    if t == "number":
        return number_key(v)
    if t == "boolean":
        return "true" if v else "false"
    if t == "date":
        return v.isoformat()
    if t == "time":
        return v.replace(tzinfo=None).isoformat() if v.tzinfo is None else v.isoformat()
    if t == "datetime":
        return _utc(v).isoformat() + ("Z" if v.tzinfo is not None else "")
    if t == "year":
        return f"{v:04d}"
    if t == "yearmonth":
        return f"{v[0]:04d}-{v[1]:02d}"
    if t == "duration":
        return f"{v[0]}M{number_key(v[1])}S"
    if t in ("object", "array", "geojson"):
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if t == "geopoint":
        return f"{number_key(v[0])},{number_key(v[1])}"
    if t == "list":
        item = _item_field(f)
        return "\x1f".join(key(item, x) for x in v)
    return str(v)


def length(f: Field, v: Any) -> int | None:
    """The length minLength/maxLength measure: characters of a string (bytes of binary), items of an array or a
    list, members of an object."""
    if f.type == "string" and f.format == "binary":
        return len(base64.b64decode(v))
    if f.type in ("string", "array", "object", "list", "geojson"):
        return len(v)
    return None


def _months_later(ref: dt.datetime, months: int) -> dt.datetime:
    y, m = divmod(ref.month - 1 + months, 12)
    year, month = ref.year + y, m + 1
    return ref.replace(year=year, month=month, day=min(ref.day, calendar.monthrange(year, month)[1]))


def _sign(x: Any) -> int:
    return (x > 0) - (x < 0)


def compare(f: Field, a: Any, b: Any) -> int | None:
    """-1, 0 or 1 as ``a`` is less than, equal to or greater than ``b``; None when they are not comparable."""
    t = f.type
    if t in ("integer", "number", "year"):
        if isinstance(a, Decimal) and a.is_nan() or isinstance(b, Decimal) and b.is_nan():
            return None
        return _sign(Decimal(a) - Decimal(b)) if not (isinstance(a, Decimal) and a.is_infinite()
                                                       or isinstance(b, Decimal) and b.is_infinite()) \
            else (a > b) - (a < b)
    if t == "datetime":
        a, b = _utc(a), _utc(b)
    if t == "time":
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    if t == "duration":
        signs = set()
        for ref in DURATION_REFS:
            ends = []
            for months, seconds in (a, b):
                micro = int(seconds * 1_000_000)
                ends.append(_months_later(ref, months) + dt.timedelta(microseconds=micro))
            signs.add((ends[0] > ends[1]) - (ends[0] < ends[1]))
        return signs.pop() if len(signs) == 1 else None
    return (a > b) - (a < b)


def schema_value(f: Field, v: Any) -> Any:
    """A bound or enum entry of the schema as a logical value: a JSON value of the field's kind, or a string cast
    with the field's type and format (then with the default format); Invalid if it is neither."""
    t = f.type
    if t == "any":
        from cmokit.package.spec import text_of

        return text_of(v)
    if isinstance(v, bool):
        if t == "boolean":
            return v
        raise Invalid(f"{v!r} is not a {t}")
    if isinstance(v, int) and t in ("integer", "year", "number"):
        return Decimal(v) if t == "number" else v
    if isinstance(v, float) and t == "number":
        return Decimal(repr(v))
    if isinstance(v, float) and t in ("integer", "year") and v.is_integer():
        return int(v)
    if t in ("object", "array", "geojson") and not isinstance(v, str):
        return v
    if t == "geopoint" and isinstance(v, (list, dict)):
        return _geopoint(Field(name=f.name, type="geopoint", format="array" if isinstance(v, list) else "object"),
                         json.dumps(v))
    if t == "list" and isinstance(v, list):
        item = _item_field(f)
        return [schema_value(item, x) for x in v]
    if not isinstance(v, str):
        raise Invalid(f"{v!r} is not a {t}")
    try:
        return parse(f, v)
    except (Invalid, InvalidOperation):
        if f.format not in ("default",) and t in ("date", "time", "datetime"):
            return parse(Field(name=f.name, type=t), v)
        raise


def field_value_issues(f: Field) -> list[tuple[str, str]]:
    """(property, why) for every bound, enum entry or category of ``f`` that is not a value of its type."""
    out = []
    constraints = f.raw.get("constraints") or {}
    for prop in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if prop in constraints:
            try:
                schema_value(f, constraints[prop])
            except (Invalid, InvalidOperation) as exc:
                out.append((prop, f"constraint '{prop}' {constraints[prop]!r} is not a {f.type} value ({exc})."))
    for prop, values in (("enum", f.enum_values), ("categories", f.category_values)):
        for v in values or []:
            try:
                schema_value(f, v)
            except (Invalid, InvalidOperation) as exc:
                out.append((prop, f"'{prop}' value {v!r} is not a {f.type} value ({exc})."))
                break
    if f.enum_values is not None and f.category_values is not None:
        cats = {key(f, schema_value(f, v)) for v in f.category_values if _castable(f, v)}
        if any(_castable(f, v) and key(f, schema_value(f, v)) not in cats for v in f.enum_values):
            out.append(("enum", "the enum values must be a subset of the field's categories."))
    return out


def _castable(f: Field, v: Any) -> bool:
    try:
        schema_value(f, v)
        return True
    except (Invalid, InvalidOperation):
        return False
