"""Reconcile two submissions and the adjudicator's decisions into the consensus tables.

The conflicts file comes from ``cmokit compare A B --conflicts FILE``: its first line carries the SHA-256 of
both submissions, then one row per conflict (``table, key, field, value_a, value_b``) with the adjudicator's
``decision`` (``a`` | ``b`` | ``other``), ``value`` (for ``other``), ``decided_by`` and ``reason``.

``reconcile`` refuses (exit 1, nothing written) when a conflict is undecided, a decided value is invalid for
its field, a decision names a conflict that does not exist, a conflict is decided twice, a column is
missing, or either submission changed since the file was written. Otherwise it writes, for every table
either submission holds:

- agreed values as they are (reviewer A's value after normalisation: trimmed, NFC, codes in the
  codebook's case, multi-codes joined by ``"; "`` in A's order);
- disagreements as decided; ``(row)`` conflicts keep or drop the unmatched row;
- rows of a study only one reviewer extracted in that table, as that reviewer wrote them;
- for tables with ``cmokit:match``: rows renumbered 1, 2, ... within the study (A's order, then B's extra
  rows), or the appraiser written as the schema's ``consensus_value`` when the two differ.

Rows of studies neither submission holds stay in the consensus as they are; with ``out`` (``-o DIR``) the other
tables and rows come from the current consensus, so ``DIR`` holds a complete consensus. Output is sorted by primary
key, UTF-8 with ``\\n``. Each decision is appended to the audit log (resource ``decisions``) unless the latest entry
for the same conflict already records the identical decision (same values, decision, value, decided_by and
reason): so running reconcile twice gives identical files.

One reviewer (``b=None``): the submission is taken as the consensus for the studies it holds, every value logged
as a single-extraction decision. Hand edits: reconcile records the SHA-256 of every table it wrote
(:mod:`cmokit.extraction.audit`); a table changed since then is refused (``reconcile.edited``, exit 1, nothing
written) with the cells reconcile would overwrite, unless ``adopt_edits`` records them as decisions (who: ``by``,
why: ``reason``), which every later run applies. The files change together or not at all, under a lock
(:mod:`cmokit.extraction.switch`).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

from cmokit.core.errors import CmokitError, DataInvalid
from cmokit.core.problems import ERROR
from cmokit.extraction import audit
from cmokit.extraction.compare import align_table, compare_pair, read_submission_table
from cmokit.extraction.conflicts import Decision, DecisionsFile, _problem, read_decisions
from cmokit.extraction.normalise import field_kind, normalise_text, normalise_value
from cmokit.extraction.results import ROW_FIELD, Conflict, PairComparison, TablePair
from cmokit.extraction.switch import LOCK_NAME, Lock, recover, switch
from cmokit.package.model import Resource, Review
from cmokit.package.reader import LINE, read_table, shown_path
from cmokit.package.submission import Submission, extraction_resources, resolve_submission
from cmokit.validation.cells import check_value

__all__ = ["LOCK_NAME", "ReconcileResult", "EditsFound", "reconcile"]
LOG_RESOURCE = "decisions"
# What makes two log entries "the same decision" (idempotence): everything but entry, time and hashes.
LOG_IDENTITY = ["table", "key", "field", "value_a", "value_b", "decision", "value", "decided_by", "reason",
                "reviewer_a", "reviewer_b"]
DECISIONS = ("a", "b", "other")


# ------------------------------------------------------------------------------------------------ result
@dataclass
class ReconcileResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    decisions: int = 0
    logged: int = 0  # new decisions in the audit log (of conflicts, single extraction, adopted edits)
    hashed: int = 0  # new file records in the audit log (the SHA-256 of a table as written)
    carried: list[tuple[str, str, str]] = field(default_factory=list)  # (table, key, reviewer)
    single: bool = False  # one reviewer's submission taken as the consensus
    adopted: list[audit.CellEdit] = field(default_factory=list)  # hand edits recorded as decisions in this run
    stale_edits: list[dict[str, str]] = field(default_factory=list)  # adopted edits that no longer apply
    notes: list[str] = field(default_factory=list)  # warnings: a stale lock taken over, a dead run recovered


class EditsFound(DataInvalid):
    """The consensus was edited by hand since reconcile wrote it (exit 1, nothing written); ``edits`` lists them."""

    def __init__(self, message: str, edits: list[audit.CellEdit]):
        super().__init__(message, rule="reconcile.edited")
        self.edits = edits


@dataclass
class _Chosen:
    decision: Decision
    conflict: Conflict
    value: str


def _validate(dec: DecisionsFile, a: Submission, b: Submission, pair: PairComparison,
              review: Review) -> dict[tuple[str, str, str], _Chosen]:
    p = dec.path
    problems: list[str] = []
    if (dec.a, dec.b) != (a.id, b.id):
        problems.append(_problem(p, 1, f"was written for a={dec.a} b={dec.b}, but reconcile was given "
                                 f"a={a.id} b={b.id}. Name the reviewers in the same order as for compare.",
                                 "reconcile.hash"))
    else:
        for sub, h in ((a, dec.hash_a), (b, dec.hash_b)):
            if sub.sha256 != h:
                problems.append(_problem(p, 1, f"submission '{sub.id}' has changed since this file was written "
                                         f"(sha256 {h[:12]}… then, {sub.sha256[:12]}… now). Run `cmokit compare "
                                         f"{a.id} {b.id} --conflicts NEWFILE` again and carry the decisions over.",
                                         "reconcile.hash"))
    if problems:
        raise DataInvalid("\n".join(problems), rule="reconcile.hash", path=str(p), line=1)
    conflicts = {(c.table, c.key, c.field): c for c in pair.conflicts}
    resources = {r.name: r for r in review.resources}
    seen: dict[tuple[str, str, str], int] = {}
    chosen: dict[tuple[str, str, str], _Chosen] = {}
    for d in dec.rows:
        k = (d.table, d.key, d.field)
        what = f"table '{d.table}', key '{d.key}', field '{d.field}'"
        if k in seen:
            problems.append(_problem(p, d.line, f"{what} is decided twice (also on line {seen[k]}). Keep one row.",
                                     "reconcile.duplicate"))
            continue
        seen[k] = d.line
        c = conflicts.get(k)
        if c is None:
            problems.append(_problem(p, d.line, f"{what} is not in conflict between {a.id} and {b.id}. Remove the "
                                     "row, or fix table/key/field to those compare wrote.", "reconcile.unknown"))
            continue
        if d.decision == "":
            problems.append(_problem(p, d.line, f"{what} is undecided. Write a, b or other in 'decision'.",
                                     "reconcile.undecided"))
            continue
        if d.decision not in DECISIONS:
            problems.append(_problem(p, d.line, f"{what}: decision '{d.decision}' is not a, b or other.",
                                     "reconcile.decision"))
            continue
        if not d.decided_by:
            problems.append(_problem(p, d.line, f"{what}: 'decided_by' is empty. Write who decided.",
                                     "reconcile.decided_by"))
            continue
        if d.field == ROW_FIELD:
            if d.decision == "other":
                problems.append(_problem(p, d.line, f"{what}: a (row) conflict is decided with a (keep reviewer "
                                         "A's side) or b, not other.", "reconcile.decision"))
                continue
            chosen[k] = _Chosen(d, c, c.value_a if d.decision == "a" else c.value_b)
            continue
        res = resources[d.table]
        if d.decision == "other":
            value = normalise_value(res.field(d.field), d.value, list(res.missing_values))
        else:
            value = c.value_a if d.decision == "a" else c.value_b
        found = check_value(res, d.field, value)
        if found:
            why = " ".join(f"{q.message} [{q.rule}]" for q in found)
            problems.append(_problem(p, d.line, f"{what}: the decided value '{value}' is not valid for the field: "
                                     f"{why} Choose a valid value (see docs/data-dictionary.md).",
                                     "reconcile.value_invalid"))
            continue
        chosen[k] = _Chosen(d, c, value)
    for k, c in conflicts.items():
        if k not in seen:
            problems.append(_problem(p, None, f"table '{c.table}', key '{c.key}', field '{c.field}' is undecided "
                                     "(no row for it in the file). Add its row from `cmokit compare --conflicts`.",
                                     "reconcile.undecided"))
    if problems:
        raise DataInvalid(f"{p}: {len(problems)} problem(s); nothing was written.\n" + "\n".join(problems),
                          rule=problems[0].rsplit("[", 1)[1].rstrip("]"), path=str(p))
    return chosen


# ------------------------------------------------------------------------------------------------ merge
def _sort_key(resource: Resource):
    ints = {f.name for f in resource.fields if f.type == "integer"}
    pk = resource.primary_key

    def key(row: dict[str, str]) -> tuple:
        out = []
        for k in pk:
            v = row.get(k, "")
            if k in ints and re.fullmatch(r"[+-]?[0-9]+", v.strip()):
                out.append((0, int(v), v))
            else:
                out.append((1, 0, v))
        return tuple(out)

    return key


def _rows_of(tp: TablePair, df: pl.DataFrame | None) -> dict[int, dict[str, str]]:
    """A submission's rows of one table by row index, in their output form (free text trimmed and NFC)."""
    if df is None:
        return {}
    names = tp.resource.field_names
    text = [n for n in names if field_kind(tp.resource.field(n)) == "text" and n in tp.compared]
    out = {}
    for r in df.select("_i", *names).iter_rows(named=True):
        for n in text:
            r[n] = normalise_text(r[n])
        out[r["_i"]] = r
    return out


def _consensus_rows(tp: TablePair, chosen: dict[tuple[str, str, str], _Chosen],
                    result: ReconcileResult, a: Submission, b: Submission) -> tuple[list[dict[str, str]], set[str]]:
    """The reconciled rows of one table and the groups (studies) they cover."""
    import polars as pl

    res = tp.resource
    names = res.field_names
    rule = tp.rule
    group = list(rule.within) if rule else res.primary_key[:1]
    ra, rb = _rows_of(tp, tp.a), _rows_of(tp, tp.b)
    by_key: dict[str, list[tuple[str, _Chosen]]] = {}
    for (table, key, fname), ch in chosen.items():
        if table == res.name:
            by_key.setdefault(key, []).append((fname, ch))
    out: list[tuple[tuple, dict[str, str]]] = []  # (order within group, row)

    def add(row: dict[str, str], side: int, num_a: str | None, num_b: str | None) -> None:
        def as_int(x: str | None) -> int:
            return int(x) if x is not None and re.fullmatch(r"[0-9]+", x) else 1 << 62
        out.append(((side, as_int(num_a if side == 0 else num_b), num_a or num_b or ""), row))

    for ia, ib, key in tp.pairs.select("_ia", "_ib", "_key").iter_rows():
        row = {n: ra[ia][n] for n in names}
        for fname, ch in by_key.get(key, []):
            row[fname] = ch.value
        if rule:
            ra_row, rb_row = ra[ia][rule.row], rb[ib][rule.row]
            if not rule.renumber:
                row[rule.row] = ra_row if ra_row == rb_row else (rule.consensus_value or ra_row)
            add(row, 0, ra_row, rb_row)
        else:
            add(row, 0, None, None)
    for side, frame, rows, sub in ((0, tp.only_a, ra, a), (1, tp.only_b, rb, b)):
        col = "_ia" if side == 0 else "_ib"
        for i, key in frame.select(col, "_key").iter_rows():
            row = {n: rows[i][n] for n in names}
            num = row[rule.row] if rule else None
            add(row, side, num if side == 0 else None, num if side == 1 else None)
            result.carried.append((res.name, key, sub.id))
    for side, frame, rows in ((0, tp.unmatched_a, ra), (1, tp.unmatched_b, rb)):
        col = "_ia" if side == 0 else "_ib"
        for i, key in frame.select(col, "_key").iter_rows():
            ch = chosen[(res.name, key, ROW_FIELD)]
            if ch.decision.decision == ("a" if side == 0 else "b"):
                row = {n: rows[i][n] for n in names}
                num = row[rule.row] if rule else None
                add(row, side, num if side == 0 else None, num if side == 1 else None)
    groups: dict[str, list[tuple[tuple, dict[str, str]]]] = {}
    for order, row in out:
        groups.setdefault(" / ".join(row[g] for g in group), []).append((order, row))
    final = []
    for _, items in groups.items():
        items.sort(key=lambda x: x[0])
        for n, (_, row) in enumerate(items, start=1):
            if rule and rule.renumber:
                row[rule.row] = str(n)
            final.append(row)
    covered = set(groups)
    # groups of the submissions that ended with no rows (every row dropped) are covered too
    for df in (tp.a, tp.b):
        if df is not None:
            covered.update(df.select(pl.concat_str([pl.col(g) for g in group], separator=" / "))
                           .to_series().to_list())
    return final, covered


def _read_existing(review: Review, resource: Resource, path: Path) -> list[dict[str, Any]]:
    """The rows already in an output file (none if it does not exist), each with its CSV line (``LINE``), read by the
    one CSV reader; a file that is not a clean table of the resource is refused (CmokitError), since rewriting it
    could lose what it holds."""
    if not path.exists():
        return []
    shown = shown_path(path, review.root)
    table = read_table(resource, path, shown)
    broken = [p for p in table.problems if p.severity == ERROR]
    if broken or table.frame is None:
        first = broken[0] if broken else None
        raise CmokitError(f"{shown}, line {first.line if first else 1}: {first.message if first else 'not a table'} "
                          f"[{first.rule if first else 'file.empty'}] Fix the file (`cmokit validate`) before "
                          "reconciling into it.", rule=first.rule if first else "file.empty", path=shown,
                          line=first.line if first else None)
    return table.frame.select(*resource.field_names, LINE).to_dicts()


def _csv_text(names: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for r in rows:
        w.writerow([r.get(n, "") for n in names])
    return buf.getvalue()


def _targets(review: Review, out: Path | None) -> tuple[dict[str, Path], Path, Path]:
    """Output path of every table, of the audit log, and the folder holding the lock."""
    tables: dict[str, Path] = {}
    if out is None:
        for r in review.data_resources:
            tables[r.name] = r.path
        log = review.resource(LOG_RESOURCE).path
        return tables, log, log.parent
    out = out.resolve()
    for r in review.data_resources:
        tables[r.name] = out / f"{r.name}.csv"
    return tables, out / "decisions.csv", out


def _single_pair(review: Review, sa: Submission) -> PairComparison:
    """One submission's tables, aligned with nothing: every row is "only in A"."""
    tables = [align_table(r, read_submission_table(review, r, sa.files[r.name]), None)
              for r in extraction_resources(review) if r.name in sa.files]
    return PairComparison(sa, sa, tables)


def _single_entries(pair: PairComparison) -> list[dict[str, str]]:
    """One single-extraction decision per value of the submission (table, row key, field)."""
    out = []
    for tp in pair.tables:
        rows = _rows_of(tp, tp.a)
        for i, key in tp.only_a.select("_ia", "_key").iter_rows():
            for f in tp.compared:
                v = rows[i][f]
                out.append({"table": tp.table, "key": key, "field": f, "value_a": v, "value_b": "", "decision": "a",
                            "value": v})
    return out


def reconcile(review: Review, a: str | os.PathLike[str] | Submission,
              b: str | os.PathLike[str] | Submission | None = None, decisions: str | os.PathLike[str] | None = None,
              out: str | os.PathLike[str] | None = None, now: datetime | None = None, *, adopt_edits: bool = False,
              by: str | None = None, reason: str = "") -> ReconcileResult:
    """Merge submissions ``a`` and ``b`` with the decisions file into the consensus, or take submission ``a`` alone
    as the consensus for its studies (``b`` and ``decisions`` None); see the module docstring."""
    import hashlib

    sa = a if isinstance(a, Submission) else resolve_submission(review, a)
    sb = None if b is None else b if isinstance(b, Submission) else resolve_submission(review, b)
    if sb is not None and sa.path == sb.path:
        raise CmokitError("reconcile needs two different submissions; to take one reviewer's work as the consensus, "
                          f"name it once: `cmokit reconcile {sa.id}`.", rule="usage")
    if sb is None and decisions is not None:
        raise CmokitError("--decisions goes with two reviewers (the conflicts between them); one reviewer's "
                          f"submission is taken as it is: `cmokit reconcile {sa.id}`.", rule="usage")
    if sb is not None and decisions is None:
        raise CmokitError(f"give the adjudicated conflicts file: `cmokit reconcile {sa.id} {sb.id} --decisions FILE` "
                          f"(written by `cmokit compare {sa.id} {sb.id} --conflicts FILE`).", rule="usage")
    if adopt_edits and not (by or "").strip():
        raise CmokitError("--adopt-edits needs --by NAME: who made (or approves) the hand edits.", rule="usage")
    if not review.has(LOG_RESOURCE):
        raise CmokitError(f"{review.descriptor_path.name}: the review has no '{LOG_RESOURCE}' resource, the audit log "
                          "where reconcile records every decision. Declare it (schema/decisions.schema.json of the "
                          "bundled review is the model) and create its CSV with the schema's header.",
                          rule="reconcile.no_log", path=review.descriptor_path.name)
    log_resource = review.resource(LOG_RESOURCE)
    tables, log_path, lock_dir = _targets(review, Path(out) if out is not None else None)
    for target in [*tables.values(), log_path]:
        for s in (sa, sb):
            if s is not None and (s.path == target.resolve().parent or s.path in target.resolve().parents):
                raise CmokitError(f"{target}: is inside the submission folder of '{s.id}'; a reviewer's files are "
                                  "never written. Choose another --out.", rule="reconcile.out", path=str(target))
    if sb is not None:
        dec = read_decisions(decisions)
        pair = compare_pair(review, sa, sb)
        chosen = _validate(dec, sa, sb, pair, review)
    else:
        pair, chosen = _single_pair(review, sa), {}
    result = ReconcileResult(decisions=len(chosen), single=sb is None)
    if now is None and os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():  # reproducible runs (tests, CI)
        now = datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), UTC)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = {"decided_at": stamp, "reviewer_a": sa.id, "reviewer_b": sb.id if sb else audit.SINGLE_MARK,
           "sha256_a": sa.sha256, "sha256_b": sb.sha256 if sb else sa.sha256}
    with Lock(lock_dir) as lock:
        result.notes += [lock.taken_over] if lock.taken_over else []
        result.notes += recover(lock_dir, {p.parent for p in [*tables.values(), log_path]},
                                {p.name for p in [*tables.values(), log_path]})

        def base(target: Path, resource: Resource) -> Path:  # -o DIR starts from the current consensus
            return target if out is None or target.exists() else resource.path

        log = [{k: v for k, v in e.items() if k != LINE}
               for e in _read_existing(review, log_resource, base(log_path, log_resource))]
        records, in_force = audit.latest_file_records(log), audit.adopted_edits(log)
        in_pair = {tp.resource.name: tp for tp in pair.tables}
        files: dict[Path, bytes] = {}
        new_entries: list[dict[str, str]] = []
        for r in review.data_resources:
            if r.name == LOG_RESOURCE:
                continue
            target, source = tables[r.name], base(tables[r.name], r)
            current = _read_existing(review, r, source)
            tp = in_pair.get(r.name)
            if tp is None:  # nobody submitted this table: it stays as it is (copied into a new -o folder)
                data = source.read_bytes() if source.exists() else None
                result.rows[r.name] = len(current)
                if data is not None and source != target:
                    files[target] = data
            else:
                rows, covered = _consensus_rows(tp, chosen, result, sa, sb or sa)
                group = list(tp.rule.within) if tp.rule else r.primary_key[:1]
                kept = [{k: v for k, v in row.items() if k != LINE} for row in current
                        if " / ".join(row[g] for g in group) not in covered]
                allrows, stale = audit.apply_edits(r, kept + rows, in_force)
                result.stale_edits += stale
                rec = records.get(r.name)
                now_hash = hashlib.sha256(source.read_bytes()).hexdigest() if source.exists() else None
                if rec is not None and now_hash != rec["value"]:
                    edits = audit.diff_cells(r, current, sorted(allrows, key=_sort_key(r)), LINE)
                    if edits and not adopt_edits:
                        raise EditsFound(audit.edits_message(shown_path(source, review.root), rec["value"], now_hash,
                                                        edits, sa.id, sb.id if sb else None), edits)
                    for e in edits:
                        entry = {"table": e.table, "key": e.key, "field": e.field, "value_a": e.reconciled,
                                 "value_b": e.edited, "decision": "other", "value": e.edited,
                                 "decided_by": by.strip(), "reason": reason, "reviewer_a": audit.EDIT_MARK,
                                 "reviewer_b": audit.EDIT_MARK, "sha256_a": rec["value"], "sha256_b": now_hash or ""}
                        new_entries.append(entry)
                        in_force[(e.table, e.key, e.field)] = entry
                    result.adopted += edits
                    if edits:
                        allrows, _ = audit.apply_edits(r, kept + rows, in_force)
                allrows = sorted(allrows, key=_sort_key(r))
                result.rows[r.name] = len(allrows)
                data = _csv_text(r.field_names, allrows).encode("utf-8")
                if not (target.exists() and target.read_bytes() == data):
                    files[target] = data
            final = files.get(target, target.read_bytes() if target.exists() else None)
            if final is not None:
                h = hashlib.sha256(final).hexdigest()
                if records.get(r.name, {}).get("value") != h:
                    new_entries.append({"table": r.name, "key": target.name, "field": audit.FILE_FIELD,
                                        "value_a": "", "value_b": "", "decision": "other", "value": h,
                                        "decided_by": audit.ROBOT, "reason": "the file as cmokit reconcile wrote it"})
        entries = []
        for k in sorted(chosen, key=lambda k: chosen[k].decision.line):
            ch = chosen[k]
            d, c = ch.decision, ch.conflict
            entries.append({"decided_by": d.decided_by, "table": c.table, "key": c.key, "field": c.field,
                            "value_a": c.value_a, "value_b": c.value_b, "decision": d.decision, "value": ch.value,
                            "reason": d.reason})
        if sb is None:
            entries += [{**e, "decided_by": (by or "").strip() or sa.id, "reason": reason or "single extraction: "
                         f"only {sa.id} extracted this study"} for e in _single_entries(pair)]
        file_entries = [e for e in new_entries if e["field"] == audit.FILE_FIELD]
        entries += [e for e in new_entries if e["field"] != audit.FILE_FIELD] + file_entries
        latest: dict[tuple[str, str, str], dict[str, str]] = {}
        for e in log:
            latest[(e["table"], e["key"], e["field"])] = e
        next_entry = max((int(e["entry"]) for e in log if e["entry"].isdigit()), default=0) + 1
        for e in entries:
            entry = {"entry": str(next_entry), **run, **e}
            k = (e["table"], e["key"], e["field"])
            prev = latest.get(k)
            same = (prev is not None and prev["value"] == entry["value"]) if e["field"] == audit.FILE_FIELD else \
                (prev is not None and all(prev[x] == entry[x] for x in LOG_IDENTITY))
            if same:
                continue
            log.append(entry)
            latest[k] = entry
            next_entry += 1
            if e["field"] == audit.FILE_FIELD:
                result.hashed += 1
            else:
                result.logged += 1
        log_data = _csv_text(log_resource.field_names, log).encode("utf-8")
        if not (log_path.exists() and log_path.read_bytes() == log_data):
            files[log_path] = log_data
        switch(files, lock_dir)
        result.written = list(files)
        result.unchanged = [p for p in dict.fromkeys([*tables.values(), log_path]) if p not in files and p.exists()]
    return result
