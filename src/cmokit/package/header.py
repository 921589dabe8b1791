"""The header of a CSV file against its schema, per the schema's ``fieldsMatch``: which column is which field, and
what is wrong with the header (missing, extra, duplicate, blank or misnamed columns, columns out of order)."""

from __future__ import annotations

from difflib import get_close_matches

from cmokit.package.model import Resource


def header_problems(header: list[str], resource: Resource, problem) -> dict[int, str]:
    """Report header problems per the schema's ``fieldsMatch``; return {column position: schema field} for the
    columns to check.

    Columns are matched by name, whatever the mode: with ``exact`` (the spec's default) a header holding every
    field in another order is reported (``header.order``) and its cells are still checked by name. ``subset`` and
    ``partial`` allow extra columns, ``superset`` and ``partial`` absent ones (a required or key field must be
    there: every row would break it otherwise).
    """
    names = resource.field_names
    mode = resource.fields_match
    extras_ok = mode in ("subset", "partial")
    absent_ok = mode in ("superset", "partial")
    by_fold = {n.strip().lower(): n for n in names}
    keep: dict[int, str] = {}
    seen: dict[str, int] = {}
    suggested: dict[str, str] = {}
    for i, h in enumerate(header):
        col = i + 1
        if not h.strip():
            problem("header.blank", f"column {col} has no name in the header. Name it (or delete the column if it "
                                    "is empty).", 1, None, h)
            continue
        if h in seen:
            problem("header.duplicate", f"column {col} '{h}' repeats column {seen[h] + 1}. Keep one column per field "
                                        "(merge or delete the copy).", 1, h, h)
            continue
        seen[h] = i
        if h in names:
            keep[i] = h
            continue
        fold = by_fold.get(h.strip().lower())
        if fold is not None and fold not in header:
            suggested[fold] = h
            hint = f"did you mean '{fold}'? Rename the column exactly '{fold}' (names are case-sensitive, no spaces)."
        else:
            close = get_close_matches(h, [n for n in names if n not in header], n=1, cutoff=0.75)
            if close:
                suggested[close[0]] = h
                hint = f"did you mean '{close[0]}'? Rename the column."
            else:
                hint = f"it is not a field of {resource.name}. Delete it, or add the field to the schema first."
        if not extras_ok:
            problem("header.extra", f"column {col} '{h}': {hint}", 1, h, h)
    order = "columns may be in any order" if mode != "exact" else "in the schema's order"
    for n in names:
        if n not in seen:
            if absent_ok and n not in suggested and not resource.field(n).required and n not in resource.primary_key:
                continue
            if n in suggested:
                msg = f"the column '{n}' is missing; the header has '{suggested[n]}' instead: rename it '{n}'."
            else:
                msg = f"the column '{n}' is missing from the header. Add it ({order})."
            problem("header.missing", msg, 1, n, None)
    if mode == "partial" and not keep and names:
        problem("header.missing", f"none of the columns is a field of {resource.name} (fieldsMatch 'partial' needs "
                                  f"at least one: {', '.join(names[:5])}...).", 1, None, None)
    if mode == "exact" and len(keep) == len(names) == len(header) and list(keep.values()) != names:
        wrong = next(i for i, h in enumerate(header) if h != names[i])
        problem("header.order", f"column {wrong + 1} is '{header[wrong]}' where the schema has '{names[wrong]}': "
                                "the schema maps columns by position (fieldsMatch 'exact', the default). Put the "
                                f"columns in the schema's order ({','.join(names[:6])}"
                                f"{',...' if len(names) > 6 else ''}), or declare \"fieldsMatch\": \"equal\" in "
                                "the schema to match them by name.",
                1, header[wrong], header[wrong])
    return keep
