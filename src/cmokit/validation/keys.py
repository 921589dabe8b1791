"""Key checks by logical value: duplicate primary and unique keys, foreign keys without a referenced row, and the
codebook against the schemas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmokit.core.problems import Problem
from cmokit.package.model import Review
from cmokit.package.reader import LINE, RAGGED, Table
from cmokit.validation.messages import close_match
from cmokit.validation.values import Need, col, prepare

if TYPE_CHECKING:
    import polars as pl


def keyed(table: Table, fields: list[str]) -> pl.DataFrame:
    """The table's non-ragged records with the canonical key of each of ``fields`` (null: missing or invalid)."""
    import polars as pl

    assert table.frame is not None
    frame = table.frame.filter(~pl.col(RAGGED))
    return prepare(frame, table.resource, fields, {f: Need(key=True, checks=False) for f in fields})


def check_keys(table: Table, refs: dict[str, Table | None], *, foreign: bool = True) -> list[Problem]:
    """Primary key and uniqueKeys (duplicates) and, with ``foreign``, foreign keys (values missing from the
    referenced resource), all compared by logical value: ``01`` and ``1`` are the same integer key."""
    import polars as pl

    if table.frame is None:
        return []
    res = table.resource
    out: list[Problem] = []
    cols = set(table.frame.columns)
    wanted = sorted({k for k in res.primary_key + [k for uk in res.unique_keys for k in uk]
                     + [k for fk in res.foreign_keys for k in fk["fields"]]
                     + [k for fk in res.foreign_keys if (fk["reference"].get("resource") or res.name) == res.name
                        for k in fk["reference"]["fields"]] if k in cols})
    frame = keyed(table, wanted) if wanted else table.frame.filter(~pl.col(RAGGED))
    sets = [("key.primary", res.primary_key)] + [("key.unique", uk) for uk in res.unique_keys]
    for rule, key in sets:
        if not key or not all(k in cols for k in key):
            continue
        kcols = [col("key", k) for k in key]
        # a null (missing or invalid) in any of the fields: not compared (SQL unique semantics; a missing primary
        # key value is reported as constraint.required)
        hits = frame.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in kcols]))
        hits = hits.with_columns(pl.col(LINE).min().over(kcols).alias("__first"))
        dup = hits.filter(pl.col(LINE) != pl.col("__first")).sort(LINE)
        what = "primary key" if rule == "key.primary" else "unique key"
        fix = "Each row needs its own key; renumber or merge the rows." if rule == "key.primary" else \
            "These fields must not repeat together; correct one of the rows."
        for row in dup.select([LINE, "__first", *key]).iter_rows():
            line, first, *vals = row
            shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, vals, strict=True))
            out.append(Problem(rule=rule, resource=res.name, path=table.path, line=line, field=key[-1],
                               value=", ".join(vals),
                               message=f"duplicate {what} ({shown}): line {first} has the same key. {fix}"))
    for fk in res.foreign_keys if foreign else []:
        out += _foreign(table, frame, fk, refs)
    return out


def _foreign(table: Table, frame: pl.DataFrame, fk: dict, refs: dict[str, Table | None]) -> list[Problem]:
    """Rows whose foreign key (all of its fields given) has no row with the same logical values in the target."""
    import polars as pl

    res = table.resource
    fields = fk["fields"]
    ref = fk["reference"]
    target_name = ref.get("resource") or res.name
    target = table if target_name == res.name else refs.get(target_name)
    if target is None or target.frame is None or not all(k in frame.columns for k in fields):
        return []
    rfields = ref["fields"] or fields
    if not all(k in target.frame.columns for k in rfields):
        return []
    tframe = frame if target is table else keyed(target, rfields)
    keys = (tframe.select([pl.col(col("key", r)).alias(f"~k{i}") for i, r in enumerate(rfields)])
            .drop_nulls().unique())
    src = frame.select([LINE, *fields, *[pl.col(col("key", f)).alias(f"~k{i}") for i, f in enumerate(fields)]])
    src = src.drop_nulls([f"~k{i}" for i in range(len(fields))])
    orphans = src.join(keys, on=[f"~k{i}" for i in range(len(fields))], how="anti").sort(LINE)
    if orphans.height == 0:
        return []
    known = tframe.get_column(rfields[0]).drop_nulls().unique().to_list() if len(fields) == 1 else []
    folded = {str(k).strip().lower(): k for k in known}
    out = []
    for row in orphans.select([LINE, *fields]).iter_rows():
        line, *vals = row
        shown = ", ".join(vals)
        hint = ""
        if len(fields) == 1:
            near = folded.get(vals[0].strip().lower()) or close_match(vals[0], known)
            if near is not None:
                hint = f" Did you mean '{near}'?"
        out.append(Problem(
            rule="key.foreign", resource=res.name, path=table.path, line=line, field=fields[0], value=shown,
            message=f"{', '.join(fields)} '{shown}' has no matching row in {target_name} ({target.path}).{hint} "
                    f"Correct the id, or add the row to {target_name} first."))
    return out


def check_codebook(review: Review, codebook: Table) -> list[Problem]:
    """Every code allowed by a schema has a codebook row, and every codebook row is a code some schema allows (a
    cmokit addition: only in a review that uses cmokit's conventions)."""
    if not codebook.resource.conventions or codebook.frame is None \
            or not {"table", "field", "code"} <= set(codebook.frame.columns):
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
