"""The audit log's kinds of entry beyond the adjudicator's decisions, and hand edits of the consensus.

The log (resource ``decisions``) has one set of columns; reconcile writes four kinds of entry into it:

- a **decision** on a conflict between two reviewers (``key`` as ``cmokit compare`` names the row);
- a **single-extraction decision**: one reviewer's value taken as the consensus (``cmokit reconcile A``):
  ``reviewer_b`` is ``(single)``, ``sha256_b`` repeats ``sha256_a``, ``decision`` is ``a``;
- a **file record**: ``field`` is ``(file)``, ``value`` the SHA-256 of a consensus table as reconcile wrote it
  (``key`` its file name), ``decided_by`` is ``cmokit reconcile``; a later run compares the file with it;
- an **adopted edit**: a hand edit of the consensus recorded as a decision (``--adopt-edits --by --reason``):
  ``reviewer_a`` and ``reviewer_b`` are ``(edit)``, ``key`` names the consensus row by its primary key
  (``study_id=cho-2013 / cmo_number=1``), ``value_a`` is what reconcile would write, ``value`` (= ``value_b``) what
  the edit wrote; ``sha256_a`` and ``sha256_b`` are the file's hashes before and after the edit. ``field`` is
  ``(row)`` for a row added (``value`` the row as JSON) or deleted (``value_a`` the row, ``value`` empty) by hand.

An adopted edit applies wherever reconcile would write its ``value_a`` in that cell: every later run writes the
edited value instead. When the reconciled value itself changes (a newer decision or submission), the edit no longer
applies and the run says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cmokit.extraction.results import ROW_FIELD
from cmokit.package.model import Resource

FILE_FIELD = "(file)"
EDIT_MARK = "(edit)"
SINGLE_MARK = "(single)"
ROBOT = "cmokit reconcile"
_LISTED = 50  # cells listed in a refusal


def row_key(resource: Resource, row: dict[str, str]) -> str:
    """A consensus row named by its primary key: ``study_id=cho-2013 / cmo_number=1``."""
    return " / ".join(f"{k}={row.get(k, '')}" for k in resource.primary_key)


def row_json(resource: Resource, row: dict[str, str]) -> str:
    """A row as JSON (its non-empty cells, in schema order), as compare shows a (row) conflict."""
    return json.dumps({f: row[f] for f in resource.field_names if row.get(f, "") != ""}, ensure_ascii=False)


def is_edit(entry: dict[str, str]) -> bool:
    return entry.get("reviewer_a") == EDIT_MARK


def is_file_record(entry: dict[str, str]) -> bool:
    return entry.get("field") == FILE_FIELD and entry.get("decided_by") == ROBOT


def latest_file_records(log: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """table -> the latest file record of it."""
    out = {}
    for e in log:
        if is_file_record(e):
            out[e["table"]] = e
    return out


def adopted_edits(log: list[dict[str, str]]) -> dict[tuple[str, str, str], dict[str, str]]:
    """(table, key, field) -> the latest adopted edit of that cell (or row)."""
    out = {}
    for e in log:
        if is_edit(e):
            out[(e["table"], e["key"], e["field"])] = e
    return out


@dataclass
class CellEdit:
    """A cell (or a whole row, field ``(row)``) where the consensus file differs from what reconcile writes."""

    table: str
    key: str
    field: str
    line: int | None  # the CSV line in the file (None: the row is not in the file)
    reconciled: str  # what reconcile writes there
    edited: str  # what the file holds


def apply_edits(resource: Resource, rows: list[dict[str, str]], edits: dict[tuple[str, str, str], dict[str, str]]
                ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """``rows`` with the adopted edits of this table applied; also the edits that no longer apply."""
    mine = {(k, f): e for (t, k, f), e in edits.items() if t == resource.name}
    if not mine:
        return rows, []
    by_key = {row_key(resource, r): r for r in rows}
    stale, drop, add = [], set(), []
    for (key, fld), e in mine.items():
        row = by_key.get(key)
        if fld == ROW_FIELD:
            if e["value_a"] == "":  # a row added by hand
                if row is None:
                    add.append({f: str(json.loads(e["value"]).get(f, "")) for f in resource.field_names})
                elif row_json(resource, row) != e["value"]:
                    stale.append(e)  # reconcile now writes a row of that key itself
            elif row is not None:  # a row deleted by hand
                if row_json(resource, row) == e["value_a"]:
                    drop.add(key)
                else:
                    stale.append(e)
            continue
        if row is None or fld not in row:
            stale.append(e)
        elif row[fld] == e["value_a"]:
            row[fld] = e["value"]
        elif row[fld] != e["value"]:
            stale.append(e)
    return [r for r in rows if row_key(resource, r) not in drop] + add, stale


def diff_cells(resource: Resource, current: list[dict[str, Any]], new: list[dict[str, str]],
               line_field: str) -> list[CellEdit]:
    """Where the file's rows (``current``, each with its CSV line in ``line_field``) differ from reconcile's."""
    have = {row_key(resource, r): r for r in current}
    want = {row_key(resource, r): r for r in new}
    out: list[CellEdit] = []
    for key, row in have.items():
        other = want.get(key)
        if other is None:
            out.append(CellEdit(resource.name, key, ROW_FIELD, row.get(line_field), "", row_json(resource, row)))
            continue
        for f in resource.field_names:
            if f not in resource.primary_key and row.get(f, "") != other.get(f, ""):
                out.append(CellEdit(resource.name, key, f, row.get(line_field), other.get(f, ""), row.get(f, "")))
    for key, row in want.items():
        if key not in have:
            out.append(CellEdit(resource.name, key, ROW_FIELD, None, row_json(resource, row), ""))
    return sorted(out, key=lambda c: (c.line is None, c.line or 0, resource.field_names.index(c.field)
                                      if c.field in resource.field_names else -1))


def edits_message(path: str, then: str, now: str | None, edits: list[CellEdit], a: str, b: str | None) -> str:
    """Why reconcile refuses a consensus table edited by hand: the cells, and the two ways on."""
    lines = [f"{path}: changed since cmokit reconcile wrote it (sha256 {then[:12]}… then, "
             f"{(now or 'none')[:12]}… now); reconcile would overwrite {len(edits)} cell(s) of it; nothing was "
             "written:"]
    for e in edits[:_LISTED]:
        where = f"line {e.line}" if e.line else "(not in the file)"
        if e.field == ROW_FIELD:
            what = "a row added by hand" if e.line else "a row deleted by hand"
            lines.append(f"  {path}, {where}: {e.key}: {what} [reconcile.edited]")
        else:
            lines.append(f"  {path}, {where}: {e.key}, field '{e.field}': the file holds {e.edited!r}, reconcile "
                         f"would write {e.reconciled!r} [reconcile.edited]")
    if len(edits) > _LISTED:
        lines.append(f"  ... and {len(edits) - _LISTED} more")
    who = f"{a} {b} --decisions FILE" if b else a
    lines.append(f"To keep the edits, record them as decisions: `cmokit reconcile {who} --adopt-edits --by NAME "
                 f"--reason TEXT`; to drop them, restore the file (e.g. `git checkout -- {path}`).")
    return "\n".join(lines)
