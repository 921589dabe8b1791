"""DuckDB DDL derived from the Table Schemas: column types, casts from the CSV's text, checks, keys.

Every Table Schema type has a DuckDB type: ``string`` -> VARCHAR (``uuid`` -> UUID, ``binary`` -> BLOB, a coded
string -> an ENUM type of its codes, a multi-code field -> a list of that ENUM), ``integer`` -> BIGINT (HUGEINT when
a bound needs more than 64 bits), ``number`` -> DOUBLE (after decimalChar, groupChar and bareNumber), ``boolean`` ->
BOOLEAN, ``date`` -> DATE, ``time`` -> TIME, ``datetime`` -> TIMESTAMP (in UTC when the value has an offset),
``year`` -> INTEGER, ``yearmonth`` -> DATE (the first day of the month), ``duration`` -> INTERVAL, ``object``,
``array`` and ``geojson`` -> JSON, ``geopoint`` -> STRUCT(lon DOUBLE, lat DOUBLE), ``list`` -> a list of its item
type, ``any`` -> VARCHAR; a date, time or datetime of format ``any`` stays VARCHAR, as written.
``required``, ``minimum``/``maximum``, ``pattern`` and lengths become NOT NULL and CHECK constraints, ``unique`` a
unique index, ``primaryKey`` and ``foreignKeys`` PRIMARY KEY and FOREIGN KEY constraints. A typed column holds NULL
for every missing value of the schema (``""`` not yet extracted, ``NR`` not reported, ``NA`` not applicable); the
shadow expressions keep each cell's code.
"""

from __future__ import annotations

from cmokit.package.model import Field, Resource, Review


def q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def enum_type_name(resource: Resource, f: Field) -> str:
    """Name of the ENUM type holding a coded field's codes."""
    return f"{resource.name}__{f.name}"


LIST_ITEM = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
             "time": "TIME", "datetime": "TIMESTAMP"}
TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP",
         "time": "TIME", "year": "INTEGER", "yearmonth": "DATE", "duration": "INTERVAL", "object": "JSON",
         "array": "JSON", "geojson": "JSON", "geopoint": "STRUCT(lon DOUBLE, lat DOUBLE)", "any": "VARCHAR"}
DURATION_SQL = (r"^(-)?P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?"
                r"(?:([0-9]+(?:\.[0-9]+)?)S)?)?$")


def column_type(resource: Resource, f: Field) -> str:
    """The DuckDB type of a field (see the module docstring)."""
    if f.type == "string" and f.codes() is not None:
        return q(enum_type_name(resource, f)) + ("[]" if f.multiple else "")
    if f.type == "string" and f.multiple:
        return "VARCHAR[]"
    if f.type == "string":
        return {"uuid": "UUID", "binary": "BLOB"}.get(f.format, "VARCHAR")
    if f.type in ("date", "time", "datetime") and f.format == "any":
        return "VARCHAR"  # "any" form: kept as written (no SQL parser reads every form)
    if f.type == "list":
        return LIST_ITEM.get(f.item_type, "VARCHAR") + "[]"
    if f.type == "integer" and any(_outside_int64(b) for b in (f.minimum, f.maximum, f.exclusive_minimum,
                                                                f.exclusive_maximum)):
        return "HUGEINT"
    return TYPES.get(f.type, "VARCHAR")


def _outside_int64(bound: object) -> bool:
    try:
        return bound is not None and not -(2 ** 63) <= int(str(bound)) < 2 ** 63
    except ValueError:
        return False


def _number_text(f: Field, raw: str) -> str:
    """SQL turning a numeric cell into standard number text (bareNumber, groupChar, decimalChar)."""
    out = raw
    if not f.bare_number:
        out = f"regexp_extract({out}, {lit(r'[+-]?[0-9.,]*[0-9]')}, 0)"
    if f.group_char:
        out = f"replace({out}, {lit(f.group_char)}, '')"
    if f.type == "number" and f.decimal_char != ".":
        out = f"replace({out}, {lit(f.decimal_char)}, '.')"
    return out


def _typed(resource: Resource, f: Field, raw: str, typ: str, cast: str, *, item: bool = False) -> str:
    """SQL of the typed value of a present cell (``raw``), without the missing-value handling."""
    t = f.item_type if item else f.type
    fmt = "default" if item else f.format
    if t in ("integer", "number") and not item:
        return f"{cast}({_number_text(f, raw)} AS {typ})"
    if t == "date" and fmt != "default":
        return f"{cast}(strptime({raw}, {lit(fmt)}) AS DATE)"
    if t == "time" and fmt != "default":
        return f"{cast}(strptime({raw}, {lit(fmt)}) AS TIME)"
    if t == "datetime":
        tz = f"timezone('UTC', {cast}({raw} AS TIMESTAMPTZ))"
        if fmt != "default":
            parsed = f"strptime({raw}, {lit(fmt)})"
            return f"timezone('UTC', {parsed})" if "%z" in fmt else f"{cast}({parsed} AS TIMESTAMP)"
        return (f"CASE WHEN regexp_matches({raw}, '(Z|[+-][0-9][0-9]:[0-9][0-9])$') THEN {tz} "
                f"ELSE {cast}({raw} AS TIMESTAMP) END")
    if t == "yearmonth":
        return f"{cast}({raw} || '-01' AS DATE)"
    if t == "duration":
        p = f"regexp_extract({raw}, {lit(DURATION_SQL)}, ['neg', 'y', 'mo', 'd', 'h', 'mi', 's'])"
        part = "coalesce({cast}(nullif({p}.{k}, '') AS {t}), 0)"
        y, mo, d, h, mi = (part.format(cast=cast, p=p, k=k, t="BIGINT") for k in ("y", "mo", "d", "h", "mi"))
        sec = part.format(cast=cast, p=p, k="s", t="DECIMAL(38, 9)")
        value = (f"(to_months({y} * 12 + {mo}) + to_days({d}) + to_microseconds(CAST(({h} * 3600 + {mi} * 60 + "
                 f"{sec}) * 1000000 AS BIGINT)))")
        return f"CASE WHEN {p}.neg = '-' THEN {value} * -1 ELSE {value} END"
    if t == "geopoint":
        if fmt == "default":
            lon, lat = (f"trim(split_part({raw}, ',', {i}))" for i in (1, 2))
        else:
            path = ("$[0]", "$[1]") if fmt == "array" else ("$.lon", "$.lat")
            lon, lat = (f"json_extract({raw}, {lit(x)})" for x in path)
        return f"struct_pack(lon := {cast}({lon} AS DOUBLE), lat := {cast}({lat} AS DOUBLE))"
    if t == "boolean" and item:
        return (f"CASE WHEN {raw} IN ('true', 'True', 'TRUE', '1') THEN TRUE "
                f"WHEN {raw} IN ('false', 'False', 'FALSE', '0') THEN FALSE END")
    if t == "string" and f.format == "binary" and not item:
        return f"from_base64({raw})" if cast == "CAST" else f"TRY(from_base64({raw}))"
    return f"{cast}({raw} AS {typ})"


def cast_expr(resource: Resource, f: Field, raw: str, *, strict: bool = True) -> str:
    """SQL turning the raw text column ``raw`` into the typed value; NULL for a missing value of the field.

    ``strict`` (a build of a valid review) makes a cell that does not convert an error; otherwise it becomes NULL
    (its text is kept in the ``missing`` schema).
    """
    typ = column_type(resource, f)
    missing = resource.missing_for(f)
    cast = "CAST" if strict else "TRY_CAST"
    if f.type == "string" and f.multiple:
        value = f"{cast}(list_transform(string_split({raw}, ';'), lambda x: trim(x)) AS {typ})"
    elif f.type == "boolean":
        bad = (f"error({lit(f'{resource.name}.{f.name}: not a boolean: ')} || {raw})" if strict else "NULL")
        value = (f"CASE WHEN {raw} IS NULL THEN NULL "
                 f"WHEN {raw} IN ({', '.join(lit(v) for v in f.true_values)}) THEN TRUE "
                 f"WHEN {raw} IN ({', '.join(lit(v) for v in f.false_values)}) THEN FALSE ELSE {bad} END")
    elif f.type == "list":
        item = LIST_ITEM.get(f.item_type, "VARCHAR")
        value = (f"list_transform(string_split({raw}, {lit(f.delimiter)}), lambda x: "
                 f"{_typed(resource, f, 'x', item, cast, item=True)})")
    elif typ == "VARCHAR":
        value = raw if "" in missing else f"coalesce({raw}, '')"
    else:
        value = _typed(resource, f, raw, typ, cast)
    codes = [c for c in missing if c != ""]
    if codes:
        return f"CASE WHEN {raw} IN ({', '.join(lit(c) for c in codes)}) THEN NULL ELSE {value} END"
    return value


def shadow_expr(resource: Resource, f: Field, raw: str, *, strict: bool = True) -> str:
    """SQL for a field's column in the ``missing`` schema: the missing-value code of the cell, else NULL.

    In a non-strict (forced) build a cell that does not convert keeps its raw text here.
    """
    if strict and (f.required or f.name in resource.primary_key):  # cannot be missing in a valid review
        return "CAST(NULL AS VARCHAR)"
    missing = resource.missing_for(f)
    whens = []
    if "" in missing:
        whens.append(f"WHEN {raw} IS NULL THEN ''")
    codes = [c for c in missing if c != ""]
    if codes:
        whens.append(f"WHEN {raw} IN ({', '.join(lit(c) for c in codes)}) THEN {raw}")
    if not strict and column_type(resource, f) != "VARCHAR":
        typed = cast_expr(resource, f, raw, strict=False)
        bad = f"{typed} IS NULL"
        if f.multiple or f.type == "list":
            bad = f"({typed} IS NULL OR len(list_filter({typed}, lambda x: x IS NULL)) > 0)"
        whens.append(f"WHEN {bad} THEN {raw}")
    return f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS VARCHAR)"


def _number_literal(bound: object) -> str | None:
    """A schema bound as an SQL number literal (exact), None if it is not a plain number."""
    from decimal import Decimal, InvalidOperation

    if bound is None or isinstance(bound, bool):
        return None
    try:
        d = Decimal(repr(bound)) if isinstance(bound, float) else Decimal(str(bound))
    except InvalidOperation:
        return None
    return str(d) if d.is_finite() else None


def checks(f: Field) -> list[str]:
    """CHECK constraints of a field's Table Schema constraints (enum codes are enforced by the ENUM type)."""
    c = q(f.name)
    out = []
    if f.type in ("integer", "number", "year"):
        for bound, op in ((f.minimum, ">="), (f.maximum, "<="), (f.exclusive_minimum, ">"),
                          (f.exclusive_maximum, "<")):
            literal = _number_literal(bound)
            if literal is not None:
                out.append(f"{c} {op} {literal}")
    if f.type == "string" and not f.multiple and f.codes() is None and f.format == "default":
        if f.pattern:
            out.append(f"regexp_full_match({c}, {lit(f.pattern)})")
        if f.min_length is not None:
            out.append(f"length({c}) >= {int(f.min_length)}")
        if f.max_length is not None:
            out.append(f"length({c}) <= {int(f.max_length)}")
    return out


def table_ddl(resource: Resource, review: Review, constraints: bool) -> str:
    """CREATE TABLE statement of a resource (its primary key and unique indexes come after loading: ``key_ddl``)."""
    cols = []
    for f in resource.fields:
        col = f"{q(f.name)} {column_type(resource, f)}"
        if constraints:
            if f.required or f.name in resource.primary_key:
                col += " NOT NULL"
            for chk in checks(f):
                col += f" CHECK ({chk})"
        cols.append(col)
    if constraints:
        for fk in usable_foreign_keys(resource, review):
            ref = fk["reference"]
            cols.append(f"FOREIGN KEY ({', '.join(q(k) for k in fk['fields'])}) REFERENCES "
                        f"{q(ref['resource'])} ({', '.join(q(k) for k in ref['fields'])})")
    return f"CREATE TABLE {q(resource.name)} (\n  " + ",\n  ".join(cols) + "\n)"


def key_ddl(resource: Resource) -> list[str]:
    """The primary key (ALTER TABLE) and a unique index per ``unique`` field, added after the load: building an
    index once is faster than row by row."""
    out = []
    if resource.primary_key:
        out.append(f"ALTER TABLE {q(resource.name)} ADD PRIMARY KEY ({', '.join(q(k) for k in resource.primary_key)})")
    for f in resource.fields:
        if f.unique and resource.primary_key != [f.name]:
            out.append(f"CREATE UNIQUE INDEX {q(f'{resource.name}__{f.name}__unique')} ON {q(resource.name)} "
                       f"({q(f.name)})")
    return out


def usable_foreign_keys(resource: Resource, review: Review) -> list[dict]:
    """Foreign keys DuckDB can enforce: to another resource, on its primary key or a unique field."""
    out = []
    for fk in resource.foreign_keys:
        ref = fk.get("reference") or {}
        target = ref.get("resource") or ""
        if not target or target == resource.name or not review.has(target):
            continue
        tr = review.resource(target)
        unique = [f.name for f in tr.fields if f.unique]
        if ref["fields"] == tr.primary_key or (len(ref["fields"]) == 1 and ref["fields"][0] in unique):
            out.append(fk)
    return out


def load_order(review: Review) -> list[Resource]:
    """Resources in an order where every referenced table comes before the tables that refer to it."""
    done: list[Resource] = []
    names: set[str] = set()
    pending = list(review.resources)
    while pending:
        for r in pending:
            deps = {fk["reference"].get("resource") for fk in usable_foreign_keys(r, review)}
            if deps <= names:
                done.append(r)
                names.add(r.name)
                pending.remove(r)
                break
        else:  # a cycle: keep the declared order
            done.extend(pending)
            break
    return done
