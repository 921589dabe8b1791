"""Key checks: duplicate primary keys, foreign keys without a referenced row, and the codebook against the schemas."""

from __future__ import annotations

from cmokit.core.problems import Problem
from cmokit.package.model import Review
from cmokit.package.reader import LINE, RAGGED, Table
from cmokit.validation.messages import close_match


def check_keys(table: Table, refs: dict[str, Table | None], *, foreign: bool = True) -> list[Problem]:
    """Primary key (duplicates) and, with ``foreign``, foreign keys (values missing from the referenced resource)."""
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
    for fk in res.foreign_keys if foreign else []:
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
                near = folded.get(vals[0].strip().lower()) or close_match(vals[0], known)
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
