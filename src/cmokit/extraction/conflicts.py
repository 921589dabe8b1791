"""The conflicts file: written by ``cmokit compare A B --conflicts FILE``, filled in by the adjudicator, read by
``cmokit reconcile``.

Its first line records the submissions it was written for and their content hashes
(``# cmokit-conflicts a=ID:sha256:<64 hex> b=ID:sha256:<64 hex>``), then come the columns of
:data:`CONFLICT_COLUMNS`: one row per conflict, with the adjudicator's ``decision`` (``a`` | ``b`` | ``other``),
``value`` (for ``other``), ``decided_by`` and ``reason``.

Carrying decisions over (:func:`carry_over`): when a submission changes (even by one byte), its conflicts file no
longer applies, but most conflicts are still the same. ``cmokit compare A B --conflicts NEW --carry OLD`` copies
each decision of OLD whose ``table, key, field, value_a, value_b`` is still a conflict, exactly, into NEW, and lists
the decisions that no longer apply (the conflict is gone, or its values changed).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cmokit.core.errors import CmokitError, DataInvalid
from cmokit.core.problems import ERROR
from cmokit.extraction.results import PairComparison
from cmokit.package.model import Resource
from cmokit.package.reader import LINE
from cmokit.package.submission import Submission

CONFLICT_COLUMNS = ["table", "key", "field", "value_a", "value_b", "decision", "value", "decided_by", "reason"]
HASH_LINE_PREFIX = "# cmokit-conflicts"


def hash_line(a: Submission, b: Submission) -> str:
    """First line of a conflicts file: which submissions it was written for, and their content hashes.

    It has no comma or quote, so a spreadsheet that saves the file again keeps it readable
    (trailing commas a spreadsheet may add are ignored).
    """
    return f"{HASH_LINE_PREFIX} a={a.id}:sha256:{a.sha256} b={b.id}:sha256:{b.sha256}"


HASH_LINE_RE = re.compile(rf"^{re.escape(HASH_LINE_PREFIX)} a=(?P<a>\S+):sha256:(?P<ha>[0-9a-f]{{64}}) "
                          r"b=(?P<b>\S+):sha256:(?P<hb>[0-9a-f]{64})$")


def conflicts_csv(pair: PairComparison, decided: dict[tuple[str, ...], Decision] | None = None) -> str:
    """The conflicts file: the hash line, then one row per conflict, its decision columns empty or, for a conflict
    in ``decided`` (by table, key, field, value_a, value_b), filled from that decision."""
    import io

    decided = decided or {}
    buf = io.StringIO()
    buf.write(hash_line(pair.a, pair.b) + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CONFLICT_COLUMNS)
    for c in pair.conflicts:
        d = decided.get((c.table, c.key, c.field, c.value_a, c.value_b))
        w.writerow([c.table, c.key, c.field, c.value_a, c.value_b, *((d.decision, d.value, d.decided_by, d.reason)
                                                                      if d else ("", "", "", ""))])
    return buf.getvalue()


@dataclass
class Carry:
    """Decisions of an older conflicts file: those still applying (by conflict) and those that no longer do."""

    kept: dict[tuple[str, ...], Decision]
    dropped: list[Decision]


def carry_over(pair: PairComparison, old: str | os.PathLike[str]) -> Carry:
    """The decisions of conflicts file ``old`` that still apply to ``pair`` (see the module docstring)."""
    dec = read_decisions(old)
    if (dec.a, dec.b) != (pair.a.id, pair.b.id):
        raise CmokitError(f"{old}: was written for a={dec.a} b={dec.b}, not a={pair.a.id} b={pair.b.id}; compare the "
                          "reviewers in the same order to carry its decisions over.", rule="compare.carry",
                          path=str(old))
    now = {(c.table, c.key, c.field, c.value_a, c.value_b) for c in pair.conflicts}
    kept: dict[tuple[str, ...], Decision] = {}
    dropped = []
    for d in dec.rows:
        if not d.decision:
            continue
        k = (d.table, d.key, d.field, d.value_a, d.value_b)
        if k in now and k not in kept:
            kept[k] = d
        else:
            dropped.append(d)
    return Carry(kept, dropped)


def write_conflicts(pair: PairComparison, path: str | os.PathLike[str],
                    decided: dict[tuple[str, ...], Decision] | None = None) -> Path:
    """Write the conflicts file atomically (with ``decided`` decisions filled in, see :func:`conflicts_csv`);
    refuse inside a submission or over a file with decisions in it."""
    from cmokit.core.atomic import write_text

    target = Path(path).resolve()
    for s in (pair.a, pair.b):
        if target.parent == s.path or s.path in target.parents:
            raise CmokitError(f"{path}: is inside the submission folder of '{s.id}'; write the conflicts file "
                              "elsewhere (a reviewer's folder is never written to).", rule="compare.conflicts_path")
    if target.exists() and holds_decisions(target):
        raise CmokitError(f"{path}: already holds decisions; it was not overwritten (nor is a file that cmokit cannot "
                          "read as a conflicts file). Write the new conflicts to another file, or move this one away "
                          "first.",
                          rule="compare.conflicts_exists")
    if target.suffix.lower() == ".xlsx":  # a workbook for adjudicators who decide in a spreadsheet
        from cmokit.extraction.conflicts_xlsx import write_conflicts_xlsx

        write_conflicts_xlsx(pair, target, hash_line(pair.a, pair.b), CONFLICT_COLUMNS, decided)
        return target
    write_text(target, conflicts_csv(pair, decided))
    return target


@dataclass
class Decision:
    line: int
    table: str
    key: str
    field: str
    decision: str
    value: str
    decided_by: str
    reason: str
    value_a: str = ""  # the conflict's values as compare wrote them
    value_b: str = ""


@dataclass
class DecisionsFile:
    path: Path
    a: str
    hash_a: str
    b: str
    hash_b: str
    rows: list[Decision]


def _problem(path: Path, line: int | None, text: str, rule: str) -> str:
    where = f"{path.name}, line {line}" if line else path.name
    return f"{where}: {text} [{rule}]"


def conflicts_resource(path: Path) -> Resource:
    """The conflicts file as a table the CSV reader can check: every column text, no missing-value codes."""
    return Resource.from_schema("conflicts", {"fields": [{"name": c, "type": "string"} for c in CONFLICT_COLUMNS],
                                              "missingValues": [], "fieldsMatch": "equal"}, path=path,
                                rel_path=str(path))


# Header problems of a conflicts file that do not stop reconcile: a spreadsheet may add a column; it is ignored.
_TOLERATED = ("header.extra", "header.blank")


def read_decisions(path: str | os.PathLike[str]) -> DecisionsFile:
    """Parse a conflicts file filled in by the adjudicator (exit 1 with the reason if it is malformed).

    The table under the hash line is read by the same reader as every review file, so an encoding, delimiter,
    quote or ragged-row problem gets the same rule id, line and fix as ``cmokit validate`` gives.
    """
    from cmokit.package.reader import BOM

    p = Path(path)
    if p.exists() and not p.is_file():  # a pipe or device could block forever
        raise CmokitError(f"{p}: is not a regular file (a folder, pipe, socket or device); it was not read.",
                          rule="file.unsafe", path=str(p))
    if p.suffix.lower() == ".xlsx":
        from cmokit.extraction.conflicts_xlsx import read_conflicts_sheet

        first, table = read_conflicts_sheet(p, conflicts_resource(p))
        return _decisions(p, first, table)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise CmokitError(f"{p}: not found. Write it with `cmokit compare A B --conflicts {p}`.",
                          rule="reconcile.decisions_missing", path=str(p)) from None
    except OSError as exc:
        raise CmokitError(f"{p}: cannot be read ({exc.strerror or exc}).", rule="reconcile.decisions_unreadable",
                          path=str(p)) from None
    if data.startswith(BOM):
        data = data[len(BOM):]
    end = data.find(b"\n")
    head, rest = (data, b"") if end < 0 else (data[:end], data[end + 1:])
    first = head.decode("utf-8", errors="replace").strip().rstrip(",").strip().strip('"').strip()
    return _decisions(p, first, None, rest)


def _decisions(p: Path, first: str, table, rest: bytes = b"") -> DecisionsFile:
    """The decisions under the hash line ``first``: ``table`` as read (a workbook's sheet), or read from ``rest``."""
    from cmokit.package.reader import read_table

    m = HASH_LINE_RE.match(first)
    if not m:
        raise DataInvalid(_problem(p, 1, "the first line is not the '# cmokit-conflicts a=... b=...' line that "
                                   "records the submissions' hashes. Write the file with `cmokit compare A B "
                                   "--conflicts FILE` and keep its first line.", "reconcile.hash_missing"),
                          rule="reconcile.hash_missing", path=str(p), line=1)
    if table is None:
        table = read_table(conflicts_resource(p), p, str(p), data=rest, first_line=2)
    missing = [q.field for q in table.problems if q.rule == "header.missing"]
    if missing:
        hints = "".join(f" Column {q.value!r}: {q.message.split(': ', 1)[-1]}" for q in table.problems
                        if q.rule == "header.extra" and "did you mean" in q.message)
        raise DataInvalid(_problem(p, 2, f"missing column(s) {', '.join(missing)}. The columns are: "
                                   f"{', '.join(CONFLICT_COLUMNS)}.{hints}", "reconcile.columns"),
                          rule="reconcile.columns", path=str(p), line=2)
    broken = [q for q in table.problems if q.severity == ERROR and q.rule not in _TOLERATED]
    if broken or table.frame is None:
        lines = "\n".join(_problem(p, q.line, (f"{q.cell}: " if q.cell else "") + q.message, q.rule) for q in broken)
        raise DataInvalid(f"{p}: cannot be read as a conflicts table; nothing was written.\n{lines}",
                          rule=broken[0].rule if broken else "file.empty", path=str(p),
                          line=broken[0].line if broken else None)
    rows: list[Decision] = []
    for rec in table.frame.select(LINE, *CONFLICT_COLUMNS).iter_rows(named=True):
        if not any(str(rec[c]).strip() for c in CONFLICT_COLUMNS):
            continue
        rows.append(Decision(rec[LINE], rec["table"].strip(), rec["key"].strip(), rec["field"].strip(),
                             rec["decision"].strip().lower(), rec["value"], rec["decided_by"].strip(),
                             rec["reason"].strip(), rec["value_a"], rec["value_b"]))
    return DecisionsFile(p, m["a"], m["ha"], m["b"], m["hb"], rows)


def holds_decisions(path: Path) -> bool:
    """True when ``path`` may hold an adjudicator's work: any decision, or a file that is not a readable
    conflicts file at all (then it is not ours to overwrite either)."""
    try:
        return any(d.decision for d in read_decisions(path).rows)
    except CmokitError:
        return True
