"""The review's own rules: pandera validators loaded from the review's ``validators/`` folder.

A module in ``validators/`` defines ``validators(ctx: Context) -> list[Validator]``. A :class:`Validator` names the
table its problems point at, the other tables it needs, an optional ``prepare`` step (joins, derived columns) and
its :class:`Rule` objects. Each rule becomes a ``pandera.Check`` whose **name is the rule id**; the validator runs
as a ``pandera.polars.DataFrameSchema`` (``lazy=True``) and every row in ``failure_cases`` becomes a
:class:`~cmokit.core.problems.Problem` at the CSV line of that row. Rule parameters (age bands, search window, codes)
come from the ``cmokit`` section of ``datapackage.json`` (``ctx.params``), never from engine code.

A *cross-table* validator (one with ``needs``) sees only the rows it can link to the tables it needs (through their
foreign key): a row whose key is blank or invalid is left out (its own rule reports it, and a message naming study
``''`` would help nobody). In a reviewer's submission it relates only the submission's own tables, so it applies
only to the studies the submission holds, and a table the reviewer has not started (absent, or a header-only file
as ``cmokit template`` writes it) is not checked against at all: it is work in progress, not an error.

Validators are Python: importing them runs the review's code. cmokit imports them only from the root of the
review being validated, never from a reviewer's submission folder or a URL; ``trusted=False`` skips them.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmokit.core.problems import ERROR, WARNING, Problem
from cmokit.package.model import Review
from cmokit.package.reader import LINE, RAGGED, Table

if TYPE_CHECKING:
    import pandera.polars as pa
    import polars as pl

__all__ = ["Context", "Rule", "Validator", "ERROR", "WARNING", "run_validators", "load_modules"]

Message = str | Callable[[dict[str, Any]], str]
_LOADS = itertools.count(1)


@dataclass(frozen=True)
class Context:
    """What a validator may know: the review's parameters, whether a reviewer's submission is checked, and the
    studies field saying whether a study is included (``inclusion``: the field declaring ``"cmokit:study":
    "inclusion"``, None when none does)."""

    params: dict[str, Any]
    submission: bool = False
    not_reported: str = "NR"
    not_applicable: str = "NA"
    inclusion: str | None = None

    def col(self, name: str) -> pl.Expr:
        import polars as pl

        return pl.col(name)

    def num(self, name: str) -> pl.Expr:
        """The column as numbers (null when absent, NR, NA or not a number)."""
        import polars as pl

        return pl.col(name).cast(pl.Float64, strict=False)

    def date(self, name: str) -> pl.Expr:
        """The column as dates (null when absent or not a YYYY-MM-DD date)."""
        import polars as pl

        return pl.col(name).str.to_date("%Y-%m-%d", strict=False)

    def absent(self, name: str) -> pl.Expr:
        """True where the value is missing for a rule: NR or NA, and an empty cell in the consensus.

        In a submission an empty cell means "not yet extracted" (a warning elsewhere), so it is not absent here.
        """
        import polars as pl

        c = pl.col(name)
        values = [self.not_reported, self.not_applicable] + ([] if self.submission else [""])
        return c.is_null() | c.is_in(values)

    def given(self, name: str) -> pl.Expr:
        """True where a real value is recorded (not empty, NR or NA)."""
        import polars as pl

        c = pl.col(name)
        return c.is_not_null() & ~c.is_in(["", self.not_reported, self.not_applicable])

    def included(self, name: str | None = None) -> pl.Expr:
        """True for included studies: ``name`` (default: the inclusion field) holds ``params['included_code']``.
        Every study counts as included when the review declares no inclusion field or no included code."""
        import polars as pl

        field, code = name or self.inclusion, self.params.get("included_code")
        if field is None or code is None:
            return pl.lit(True)
        return pl.col(field) == code


@dataclass
class Rule:
    """One review rule: ``ok`` is True for valid rows (null counts as valid); the check's name is the rule id."""

    name: str
    ok: pl.Expr
    field: str | Callable[[dict[str, Any]], str]
    message: Message
    severity: str = ERROR

    def check(self) -> pa.Check:
        import pandera.polars as pa

        ok = self.ok.fill_null(True).alias("ok")
        return pa.Check(lambda data: data.lazyframe.select(ok), name=self.name)

    def problem(self, row: dict[str, Any], table: Table) -> Problem:
        fld = self.field(row) if callable(self.field) else self.field
        if callable(self.message):
            msg = self.message(row)
        else:
            msg = self.message.format_map(_Row(row))
        value = row.get(fld)
        return Problem(rule=self.name, message=msg, resource=table.resource.name, path=table.path,
                       line=row.get(LINE), field=fld, value=None if value is None else str(value),
                       severity=self.severity)


class _Row(dict):
    def __missing__(self, key: str) -> str:
        return ""

    def __getitem__(self, key: str) -> Any:
        v = super().get(key)
        return "" if v is None else v


@dataclass
class Validator:
    """A set of rules run on one table (``resource``), whose rows give the CSV lines of the problems."""

    resource: str
    rules: list[Rule]
    needs: tuple[str, ...] = ()
    prepare: Callable[[dict[str, pl.DataFrame], Context], pl.DataFrame] | None = None
    name: str = ""

    def failing(self, frame: pl.DataFrame) -> list[int]:
        """Indexes of the rules that fail on some row: every rule in one vectorised pass (polars runs them in
        parallel), instead of pandera's query per check.

        pandera is the reporter: it runs (and lists the failure cases) only for these rules. On small reviews its
        per-check overhead is most of the validation time; on large ones, checks that pass cost nothing twice.
        """

        if not self.rules:
            return []
        flags = frame.select([(~r.ok.fill_null(True)).any().alias(f"r{i}") for i, r in enumerate(self.rules)])
        return [i for i, bad in enumerate(flags.row(0)) if bad]

    def all_pass(self, frame: pl.DataFrame) -> bool:
        """True when every rule holds on every row."""
        return not self.failing(frame)

    def schema(self, only: list[int] | None = None) -> pa.DataFrameSchema:
        """The pandera schema of the rules (``only``: of these rule indexes, in that order)."""
        import pandera.polars as pa

        rules = self.rules if only is None else [self.rules[i] for i in only]
        return pa.DataFrameSchema(checks=[r.check() for r in rules], name=self.name or self.resource)


def load_modules(root: Path) -> list[tuple[str, Any]]:
    """Import the review's ``validators/*.py`` (sorted; names starting with '_' skipped) without writing bytecode."""
    folder = root / "validators"
    if not folder.is_dir():
        return []
    out = []
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_") or path.is_symlink():
                continue
            modname = f"_cmokit_validators_{next(_LOADS)}_{path.stem}"
            spec = importlib.util.spec_from_file_location(modname, path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[modname] = module  # dataclasses, pickling and typing look modules up by name
            spec.loader.exec_module(module)
            out.append((path.relative_to(root).as_posix(), module))
    finally:
        sys.dont_write_bytecode = previous
    return out


def _frame(table: Table, ragged: bool = False, invalid: dict[str, set[int]] | None = None) -> pl.DataFrame:
    """The table for rules: non-ragged records (all with ``ragged``), every schema field (absent ones as nulls).

    Cells already reported as invalid (``invalid``: field -> lines) are null, so a rule never reports a value whose
    type or code is wrong in the first place.
    """
    import polars as pl

    frame = (table.frame if ragged else table.frame.filter(~pl.col(RAGGED))).drop(RAGGED)
    if invalid:
        frame = frame.with_columns([pl.when(pl.col(LINE).is_in(list(lines))).then(None).otherwise(pl.col(f)).alias(f)
                                    for f, lines in invalid.items() if f in frame.columns])
    absent = [n for n in table.resource.field_names if n not in frame.columns]
    if absent:
        frame = frame.with_columns([pl.lit(None, dtype=pl.String).alias(n) for n in absent])
    return frame


def run_validators(review: Review, tables: dict[str, Table], *, submission: bool = False,
                   invalid: dict[str, dict[str, set[int]]] | None = None) -> tuple[list[Problem], bool]:
    """Run the review's validators on the usable tables; return (problems, fatal).

    ``invalid``: {resource: {field: lines}} of cells that failed their type or constraint (seen as null by rules).
    """
    invalid = invalid or {}
    from cmokit.package.annotations import study_fields

    ctx = Context(params=review.params, submission=submission, inclusion=study_fields(review).inclusion)
    problems: list[Problem] = []
    try:
        modules = load_modules(review.root)
    except Exception as exc:  # noqa: BLE001 - the review's own code failed to import
        return [Problem(rule="rules.error", message=f"validators/ could not be imported: {type(exc).__name__}: {exc}. "
                                                    "Fix the review's validator code.", path="validators")], True
    frames = {name: _frame(t, invalid=invalid.get(name)) for name, t in tables.items() if t.frame is not None}
    # other tables, as read: a ragged record still counts as "this study has a cmo row" for cross-table rules
    whole = {name: _frame(t, ragged=True, invalid=invalid.get(name)) for name, t in tables.items()
             if t.frame is not None}
    for rel, module in modules:
        make = getattr(module, "validators", None)
        if make is None:
            continue
        try:
            validators = list(make(ctx))
        except Exception as exc:  # noqa: BLE001
            return problems + [Problem(rule="rules.error", path=rel,
                                       message=f"{rel}: validators() failed: {type(exc).__name__}: {exc}. "
                                               "Fix the review's validator code (or its parameters in "
                                               "datapackage.json).")], True
        for v in validators:
            if v.resource not in frames or any(n not in frames for n in v.needs):
                continue
            if submission and any(whole[n].height == 0 for n in v.needs):
                continue  # a table the reviewer has not started
            try:
                target = _linked(review, v, frames[v.resource]) if v.needs else frames[v.resource]
                given = {**{n: whole[n] for n in v.needs}, v.resource: target}
                frame = v.prepare(given, ctx) if v.prepare else target
                failing = v.failing(frame)
                if not failing:
                    continue
                import pandera.polars as pa

                try:
                    v.schema(failing).validate(frame, lazy=True)
                    continue
                except pa.errors.SchemaErrors as exc:
                    fc = exc.failure_cases
            except Exception as exc:  # noqa: BLE001
                return problems + [Problem(rule="rules.error", path=rel,
                                           message=f"{rel}: a validator for {v.resource} failed: "
                                                   f"{type(exc).__name__}: {exc}. Fix the review's validator code.")
                                   ], True
            problems.extend(_problems(v, frame, fc, tables[v.resource], rel, failing))
    return problems, any(p.rule == "rules.error" for p in problems)


def _links(review: Review, a: str, b: str) -> tuple[list[str], list[str]] | None:
    """(fields of ``a``, fields of ``b``) of a foreign key between resources ``a`` and ``b`` (either way), or None."""
    def fields(x: Any) -> list[str]:
        return [x] if isinstance(x, str) else list(x or [])

    for src, dst, flip in ((b, a, True), (a, b, False)):
        for fk in review.resource(src).foreign_keys:
            ref = fk.get("reference") or {}
            if ref.get("resource") == dst:
                here, there = fields(fk.get("fields")), fields(ref.get("fields"))
                return (there, here) if flip else (here, there)
    return None


def _linked(review: Review, v: Validator, target: pl.DataFrame) -> pl.DataFrame:
    """The rows of a cross-table validator's table whose key can link them to the tables it needs (not blank, not
    invalid: invalid cells are null here)."""
    import polars as pl

    for need in v.needs:
        link = _links(review, v.resource, need)
        if link is None or not all(c in target.columns for c in link[0]):
            continue
        target = target.filter(pl.all_horizontal([pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "")
                                                  for c in link[0]]))
    return target


def _problems(v: Validator, frame: pl.DataFrame, fc: pl.DataFrame, table: Table, rel: str,
              checked: list[int]) -> list[Problem]:
    """Problems from pandera's failure cases; ``checked``: the rule index of each check pandera ran."""
    import polars as pl

    out: list[Problem] = []
    fc = fc.filter(pl.col("schema_context") == "DataFrameSchema")
    broken = fc.filter(pl.col("index").is_null())
    for check, case in broken.select("check", "failure_case").iter_rows():
        out.append(Problem(rule="rules.error", path=rel, message=f"{rel}: rule {check} could not run: {case}"))
    fc = fc.filter(pl.col("index").is_not_null()).sort("index", "check_number")
    if fc.height == 0:
        return out
    idx = fc.get_column("index").to_list()
    rows = frame[idx].to_dicts()
    for number, row in zip(fc.get_column("check_number").to_list(), rows, strict=True):
        out.append(v.rules[checked[number]].problem(row, table))
    return out
