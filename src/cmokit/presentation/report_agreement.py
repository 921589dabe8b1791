"""Extraction agreement for the report: the last ``cmokit compare`` of each pair of reviewers, and the decisions of
the audit log.

``cmokit compare`` keeps its figures in the review's git-ignored ``.cmokit/compare/`` folder, one JSON file per pair
of reviewers (``alice--bob.json``; a later compare of the same pair replaces it): the JSON keys of
``cmokit compare -f json`` restricted to that pair (``fields``, ``tables``, ``overall``), plus ``compared_at``, the
reviewers and their submissions' SHA-256. The report reads these files; the decisions come from the audit log in
the database (the resource whose ``cmokit:role`` is ``audit-log``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cmokit.core.atomic import write_text
from cmokit.package.model import Review
from cmokit.presentation.report_data import Db, TableView, cell, number
from cmokit.synthesis.ddl import q

COMPARE_DIR = Path(".cmokit") / "compare"
FORMAT = 1


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def pair_file(review: Review, a: str, b: str) -> Path:
    """Where the figures of the pair (a, b) are kept (the same file in either order)."""
    safe = sorted(re.sub(r"[^A-Za-z0-9_.-]", "_", x) for x in (a, b))
    return review.root / COMPARE_DIR / f"{safe[0]}--{safe[1]}.json"


def save_comparison(review: Review, result: dict[str, Any], now: datetime | None = None) -> list[Path]:
    """Keep the figures of every pair in ``result`` (``Comparison.to_dict()``); returns the files written."""
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sha = {r["id"]: r.get("sha256", "") for r in result.get("reviewers", [])}
    written = []
    for overall in result.get("overall", []):
        a, b = overall["reviewer_a"], overall["reviewer_b"]

        def mine(items: list[dict], a: str = a, b: str = b) -> list[dict]:
            return [i for i in items if i.get("reviewer_a") == a and i.get("reviewer_b") == b]

        data = {"cmokit_compare": FORMAT, "review": result.get("review"), "compared_at": when,
                "reviewer_a": a, "reviewer_b": b, "sha256_a": sha.get(a, ""), "sha256_b": sha.get(b, ""),
                "overall": overall, "tables": mine(result.get("tables", [])),
                "fields": mine(result.get("fields", [])), "conflicts": len(mine(result.get("conflicts", [])))}
        path = pair_file(review, a, b)
        write_text(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        written.append(path)
    return written


def load_comparisons(review: Review) -> tuple[list[dict[str, Any]], list[str]]:
    """The kept comparisons (by file name) and the files that could not be read."""
    folder = review.root / COMPARE_DIR
    found, broken = [], []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("cmokit_compare") != FORMAT:
                raise ValueError("not a cmokit comparison")
            data["file"] = path.relative_to(review.root).as_posix()
            found.append(data)
        except (OSError, ValueError) as exc:
            broken.append(f"{path.relative_to(review.root).as_posix()} ({exc})")
    return found, broken


def agreement_views(review: Review) -> tuple[list[dict[str, Any]], list[str]]:
    """Per pair: its headline figures, a table per table and a table per coded field (n, agreement, kappa, label)."""
    pairs, broken = load_comparisons(review)
    out = []
    for i, p in enumerate(pairs, 1):
        who = f"{p['reviewer_a']} and {p['reviewer_b']}"
        tables = TableView(f"agreement-{i}-tables", f"Agreement per table: {who}",
                           ["Table", "Rows paired", "Only one reviewer", "n", "Agreement", "Conflicts"],
                           [[t["table"], number(t.get("rows_paired")),
                             number((t.get("only_a") or 0) + (t.get("only_b") or 0)), number(t.get("n")),
                             _fmt(t.get("agreement"), 3), number(t.get("conflicts"))] for t in p.get("tables", [])],
                           len(p.get("tables", [])), numeric=(1, 2, 3, 4, 5))
        coded = [f for f in p.get("fields", []) if f.get("kind") == "coded"]
        fields = TableView(f"agreement-{i}-fields", f"Agreement per coded field: {who}",
                           ["Field", "n", "Agreement", "Kappa", "Landis & Koch", "Conflicts"],
                           [[f"{f['table']}.{f['field']}", number(f.get("n")), _fmt(f.get("agreement"), 3),
                             _fmt(f.get("kappa")), f.get("kappa_label") or "undefined", number(f.get("conflicts"))]
                            for f in coded], len(coded), numeric=(1, 2, 3, 5))
        ov = p.get("overall") or {}
        out.append({"who": who, "file": p["file"], "compared_at": p.get("compared_at", ""),
                    "n": ov.get("n"), "agreement": _fmt(ov.get("agreement"), 3), "conflicts": ov.get("conflicts"),
                    "tables": tables, "fields": fields})
    return out, broken


def decisions(review: Review, db: Db, max_rows: int) -> dict[str, Any] | None:
    """How many decisions the audit log holds, by whom, which way, in which tables, and the reasons given."""
    log = next((r for r in review.resources if r.descriptor.get("cmokit:role") == "audit-log"), None)
    if log is None or log.name not in db.tables:
        return None
    names = set(log.field_names)
    t = q(log.name)
    entries = db.one(f"SELECT count(*) FROM {t}")
    out: dict[str, Any] = {"resource": log.name, "entries": entries, "conflicts": None, "views": []}
    conflict = [c for c in ("table", "key", "field", "reviewer_a", "reviewer_b") if c in names]
    if conflict:
        out["conflicts"] = db.one(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(q(c) for c in conflict)} "
                                  f"FROM {t})")
    for column, head in (("decided_by", "Decided by"), ("decision", "Decision"), ("table", "Table")):
        if column in names:
            rows = db.rows(f"SELECT CAST({q(column)} AS VARCHAR) AS v, count(*) AS n FROM {t} GROUP BY 1 "
                           "ORDER BY n DESC, v")
            out["views"].append(TableView(f"decisions-{column}", f"Decisions by {head.lower()}", [head, "Entries"],
                                          [[cell(v), number(n)] for v, n in rows[:max_rows]], len(rows),
                                          numeric=(1,)))
    if "reason" in names:
        rows = db.rows(f"SELECT coalesce(CAST(reason AS VARCHAR), '') AS v, count(*) AS n FROM {t} GROUP BY 1 "
                       "ORDER BY n DESC, v")
        out["views"].append(TableView("decisions-reason", "Reasons given for the decisions", ["Reason", "Entries"],
                                      [[v or "(no reason given)", number(n)] for v, n in rows[:max_rows]],
                                      len(rows), numeric=(1,)))
    return out
