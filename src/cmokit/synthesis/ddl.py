"""DuckDB DDL derived from the Table Schemas: column types, casts from the CSV's text, checks, keys.

``date`` -> DATE, ``integer`` -> INTEGER, ``number`` -> DOUBLE, ``boolean`` (yes/no) -> BOOLEAN, a coded string ->
an ENUM type of its codes, a multi-code field -> a list of that ENUM (a list of codes), other strings -> VARCHAR.
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


def column_type(resource: Resource, f: Field) -> str:
    """The DuckDB type of a field (see the module docstring)."""
    if f.type == "string" and f.codes() is not None:
        return q(enum_type_name(resource, f)) + ("[]" if f.multiple else "")
    if f.type == "string" and f.multiple:
        return "VARCHAR[]"
    return {"integer": "INTEGER", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
            "datetime": "TIMESTAMP", "time": "TIME", "year": "INTEGER"}.get(f.type, "VARCHAR")


def cast_expr(resource: Resource, f: Field, raw: str, *, strict: bool = True) -> str:
    """SQL turning the raw text column ``raw`` into the typed value; NULL for a missing value.

    ``strict`` (a build of a valid review) makes a cell that does not convert an error; otherwise it becomes NULL
    (its text is kept in the ``missing`` schema).
    """
    typ = column_type(resource, f)
    cast = "CAST" if strict else "TRY_CAST"
    if f.type == "string" and f.multiple:
        value = f"{cast}(list_transform(string_split({raw}, ';'), lambda x: trim(x)) AS {typ})"
    elif f.type == "boolean":
        bad = (f"error({lit(f'{resource.name}.{f.name}: not a boolean: ')} || {raw})" if strict else "NULL")
        value = (f"CASE WHEN {raw} IS NULL THEN NULL "
                 f"WHEN {raw} IN ({', '.join(lit(v) for v in f.true_values)}) THEN TRUE "
                 f"WHEN {raw} IN ({', '.join(lit(v) for v in f.false_values)}) THEN FALSE ELSE {bad} END")
    elif typ == "VARCHAR":
        value = raw if "" in resource.missing_values else f"coalesce({raw}, '')"
    else:
        value = f"{cast}({raw} AS {typ})"
    codes = [c for c in resource.missing_values if c != ""]
    if codes:
        return f"CASE WHEN {raw} IN ({', '.join(lit(c) for c in codes)}) THEN NULL ELSE {value} END"
    return value


def shadow_expr(resource: Resource, f: Field, raw: str, *, strict: bool = True) -> str:
    """SQL for a field's column in the ``missing`` schema: the missing-value code of the cell, else NULL.

    In a non-strict (forced) build a cell that does not convert keeps its raw text here.
    """
    if strict and f.required:  # cannot be missing in a valid review (and NOT NULL would refuse it)
        return "CAST(NULL AS VARCHAR)"
    whens = []
    if "" in resource.missing_values:
        whens.append(f"WHEN {raw} IS NULL THEN ''")
    codes = [c for c in resource.missing_values if c != ""]
    if codes:
        whens.append(f"WHEN {raw} IN ({', '.join(lit(c) for c in codes)}) THEN {raw}")
    if not strict and column_type(resource, f) != "VARCHAR":
        typed = cast_expr(resource, f, raw, strict=False)
        bad = f"{typed} IS NULL"
        if f.multiple:
            bad = f"({typed} IS NULL OR len(list_filter({typed}, lambda x: x IS NULL)) > 0)"
        whens.append(f"WHEN {bad} THEN {raw}")
    return f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS VARCHAR)"


def checks(f: Field) -> list[str]:
    """CHECK constraints of a field's Table Schema constraints (enum codes are enforced by the ENUM type)."""
    c = q(f.name)
    out = []
    if f.minimum is not None and f.type in ("integer", "number", "year"):
        out.append(f"{c} >= {f.minimum!r}")
    if f.maximum is not None and f.type in ("integer", "number", "year"):
        out.append(f"{c} <= {f.maximum!r}")
    if f.type == "string" and not f.multiple and f.codes() is None:
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
