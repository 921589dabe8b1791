"""What a comparison found: per-field statistics, conflicts, and the aligned tables of each pair of reviewers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from cmokit.extraction.agreement import landis_koch
from cmokit.package.model import Resource, Review
from cmokit.package.submission import Submission

if TYPE_CHECKING:
    import polars as pl

    from cmokit.extraction.matching import MatchRule

ROW_FIELD = "(row)"  # the pseudo-field of a conflict about a whole row that found no partner

@dataclass
class FieldStat:
    table: str
    field: str
    kind: str
    n: int
    agreed: int
    agreement: float | None
    kappa: float | None
    conflicts: int
    reviewer_a: str
    reviewer_b: str

    @property
    def kappa_label(self) -> str | None:
        return landis_koch(self.kappa) if self.kind == "coded" else None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "field": self.field, "kind": self.kind, "n": self.n,
                "agreed": self.agreed, "agreement": self.agreement, "kappa": self.kappa,
                "kappa_label": self.kappa_label,
                "conflicts": self.conflicts, "reviewer_a": self.reviewer_a, "reviewer_b": self.reviewer_b}


@dataclass(frozen=True, slots=True)
class Conflict:
    table: str
    key: str
    field: str
    value_a: str
    value_b: str
    reviewer_a: str = ""
    reviewer_b: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "key": self.key, "field": self.field, "value_a": self.value_a,
                "value_b": self.value_b, "reviewer_a": self.reviewer_a, "reviewer_b": self.reviewer_b}


class Conflicts(Sequence[Conflict]):
    """A sequence of conflicts kept as columns: each :class:`Conflict` is made only when it is read.

    A comparison can find millions of conflicts (every cell of every row differing); as columns they cost a
    fraction of the memory and no time until a report or the conflicts file reads them. ``parts`` are
    (table, reviewer_a, reviewer_b, frame with ``_key, field, value_a, value_b``).
    """

    def __init__(self, parts: list[tuple[str, str, str, pl.DataFrame]] | None = None):
        self.parts = [p for p in parts or [] if p[3].height]

    def __len__(self) -> int:
        return sum(p[3].height for p in self.parts)

    def __iter__(self) -> Iterator[Conflict]:
        for table, ra, rb, frame in self.parts:
            for k, f, va, vb in frame.select("_key", "field", "value_a", "value_b").iter_rows():
                yield Conflict(table, k, f, va, vb, ra, rb)

    @overload
    def __getitem__(self, i: int) -> Conflict: ...

    @overload
    def __getitem__(self, i: slice) -> list[Conflict]: ...

    def __getitem__(self, i: int | slice) -> Conflict | list[Conflict]:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1:  # the usual case (the first few): read only those rows
                out: list[Conflict] = []
                for table, ra, rb, frame in self.parts:
                    if start >= frame.height:
                        start, stop = start - frame.height, stop - frame.height
                        continue
                    part = frame.slice(start, max(0, stop - start))
                    out += Conflicts([(table, ra, rb, part)])
                    stop -= frame.height
                    start = 0
                    if stop <= 0:
                        break
                return out
            return list(self)[i]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self[i:i + 1][0]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __add__(self, other: Conflicts) -> Conflicts:
        return Conflicts(self.parts + other.parts)


@dataclass
class TablePair:
    """Two submissions' versions of one table, aligned."""

    resource: Resource
    rule: MatchRule | None
    compared: list[str]
    a: pl.DataFrame | None  # normalised rows (output columns = field names, ``~f`` comparison columns, ``_i``)
    b: pl.DataFrame | None
    pairs: pl.DataFrame  # _ia, _ib, _key
    only_a: pl.DataFrame  # _ia, _key: study extracted in this table by A only (carried into the consensus)
    only_b: pl.DataFrame
    unmatched_a: pl.DataFrame  # _ia, _key: rows of a shared study without a partner ((row) conflicts)
    unmatched_b: pl.DataFrame
    stats: list[FieldStat] = field(default_factory=list)
    conflicts: Conflicts = field(default_factory=Conflicts)
    # per side: (rows ``_r`` with their position ``_p``, their normalised free text ``n:field``), as the matching
    # normalised them; compare reads the conflicts' values from it, then drops it
    normalised: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return self.resource.name


@dataclass
class PairComparison:
    a: Submission
    b: Submission
    tables: list[TablePair]

    @property
    def conflicts(self) -> Conflicts:
        return Conflicts([p for t in self.tables for p in t.conflicts.parts])

    @property
    def stats(self) -> list[FieldStat]:
        return [s for t in self.tables for s in t.stats]


@dataclass
class Comparison:
    """Everything ``cmokit compare`` reports."""

    review: Review
    submissions: list[Submission]
    pairs: list[PairComparison]
    alpha: list[dict[str, Any]]
    studies_only: dict[str, list[str]]

    @property
    def conflicts(self) -> Conflicts:
        return Conflicts([part for p in self.pairs for part in p.conflicts.parts])

    def totals(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Per table and per pair of reviewers, and overall per pair: pooled n, agreement, conflicts, rows."""
        tables, overall = [], []
        for p in self.pairs:
            tn = ta = tc = 0
            for t in p.tables:
                n = sum(s.n for s in t.stats)
                agree = sum(s.agreed for s in t.stats)
                conf = len(t.conflicts)
                tn, ta, tc = tn + n, ta + agree, tc + conf
                tables.append({"table": t.table, "reviewer_a": p.a.id, "reviewer_b": p.b.id,
                               "rows_paired": t.pairs.height, "only_a": t.only_a.height, "only_b": t.only_b.height,
                               "unmatched_a": t.unmatched_a.height, "unmatched_b": t.unmatched_b.height,
                               "n": n, "agreement": agree / n if n else None, "conflicts": conf})
            overall.append({"reviewer_a": p.a.id, "reviewer_b": p.b.id, "n": tn,
                            "agreement": ta / tn if tn else None, "conflicts": tc})
        return tables, overall

    def _one_sided(self, attr_a: str, attr_b: str) -> list[dict[str, Any]]:
        """Rows one reviewer has and the other lacks (or that could not be paired), as JSON items."""
        out = []
        for p in self.pairs:
            for t in p.tables:
                for side, frame, sub in (("a", getattr(t, attr_a), p.a), ("b", getattr(t, attr_b), p.b)):
                    out += [{"table": t.table, "key": k, "reviewer": sub.id, "side": side,
                             "reviewer_a": p.a.id, "reviewer_b": p.b.id} for k in frame["_key"].to_list()]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (keys in docs/dual-extraction.md: ``fields``, ``conflicts``, ``tables``...)."""
        tables, overall = self.totals()
        only = self._one_sided("only_a", "only_b")
        unmatched = self._one_sided("unmatched_a", "unmatched_b")
        return {
            "review": self.review.name,
            "reviewers": [{"id": s.id, "path": str(s.path), "sha256": s.sha256} for s in self.submissions],
            "fields": [s.to_dict() for p in self.pairs for s in p.stats],
            "tables": tables,
            "overall": overall,
            "alpha": self.alpha,
            "studies_only": self.studies_only,
            "only": only,
            "unmatched": unmatched,
            "conflicts": [c.to_dict() for c in self.conflicts],
        }
