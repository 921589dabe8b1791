"""PRISMA 2020 flow: the boxes add up wherever the counts are given, and the flow ends at the studies table.

One row per box (``data`` names the box as in the PRISMA2020 R package's template). A box without a row counts 0;
a box whose count is NR or NA stops every check that needs it (nothing is checked against an unknown number).

- ``prisma.screened``: records screened = records identified (databases + registers) minus the records removed
  before screening (duplicates, automation tools, other reasons).
- ``prisma.excluded``: records excluded <= records screened.
- ``prisma.assessed``: reports assessed = reports sought minus reports not retrieved (databases and registers, and
  other methods).
- ``prisma.included``: new studies and their reports <= the reports assessed.
- ``prisma.total``: total studies (reports) = previous + new studies (reports).
- ``prisma.reasons``: the reasons for excluded reports read 'reason, count; reason, count', and the counts add up to
  the box's number.
- ``prisma.studies`` (a warning): the studies included at the end of the flow = the included studies in the studies
  table. A warning, not an error: the flow is what the review reports, the studies table what was extracted, and a
  difference (a study excluded at extraction, a study still to add) is shown by `cmokit validate` and in the report
  without blocking the build.
"""

from __future__ import annotations

import re

import polars as pl

from cmokit.rules import WARNING, Context, Rule, Validator

FLOW = "prisma"
REMOVED = ("duplicates", "excluded_automatic", "excluded_other")
EQUALS = {  # box -> (rule, its parts that add, its parts that subtract, how to say it)
    "records_screened": ("prisma.screened", ("database_results", "register_results"), REMOVED,
                         "records identified (database_results + register_results) minus the records removed "
                         "before screening (duplicates + excluded_automatic + excluded_other)"),
    "dbr_assessed": ("prisma.assessed", ("dbr_sought_reports",), ("dbr_notretrieved_reports",),
                     "reports sought (dbr_sought_reports) minus reports not retrieved (dbr_notretrieved_reports)"),
    "other_assessed": ("prisma.assessed", ("other_sought_reports",), ("other_notretrieved_reports",),
                       "reports sought (other_sought_reports) minus reports not retrieved "
                       "(other_notretrieved_reports)"),
    "total_studies": ("prisma.total", ("previous_studies", "new_studies"), (),
                      "previous_studies + new_studies"),
    "total_reports": ("prisma.total", ("previous_reports", "new_reports"), (),
                      "previous_reports + new_reports"),
}
AT_MOST = {  # box -> (rule, the boxes whose sum it may not exceed, how to say it)
    "records_excluded": ("prisma.excluded", ("records_screened",), "the records screened (records_screened)"),
    "new_studies": ("prisma.included", ("dbr_assessed", "other_assessed"),
                    "the reports assessed for eligibility (dbr_assessed + other_assessed)"),
    "new_reports": ("prisma.included", ("dbr_assessed", "other_assessed"),
                    "the reports assessed for eligibility (dbr_assessed + other_assessed)"),
}
EXCLUDED = ("dbr_excluded", "other_excluded")
REASON = re.compile(r"^(?P<reason>.*\S)\s*,\s*(?P<n>\d+|NR)$")


def _count(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def _sum(counts: dict[str, int | None], names: tuple[str, ...]) -> int | None:
    """The sum of the boxes (absent = 0); None when one of them has no number, or none of them has a row."""
    if not any(n in counts for n in names):
        return None
    values = [counts.get(n, 0) for n in names]
    return None if any(v is None for v in values) else sum(values)


def reasons_problem(text: str | None, n: int | None) -> str | None:
    """Why a reasons cell is wrong ('reason, count; ...' whose counts add up to ``n``), or None."""
    if text is None or text.strip() in ("", "NR", "NA"):
        return None
    parts = [p.strip() for p in text.split(";") if p.strip()]
    counts = []
    for part in parts:
        m = REASON.match(part)
        if not m:
            return (f"'{part}' is not 'reason, count': write each reason with its count after a comma and separate "
                    "reasons with ';' (e.g. 'wrong population, 12; no social support outcome, 7'), NR for an "
                    "unknown count")
        counts.append(_count(m.group("n")))
    if n is not None and all(c is not None for c in counts) and sum(counts) != n:
        return (f"the reasons' counts add up to {sum(counts)}, but the box says {n}: correct a count or the box's "
                "number")
    return None


def _expected(counts: dict[str, int | None], plus: tuple[str, ...], minus: tuple[str, ...]) -> int | None:
    """``sum(plus) - sum(minus)``; None when a box it needs has no number."""
    total = _sum(counts, plus)
    if total is None or any(counts.get(x, 0) is None for x in minus):
        return None
    return total - sum(counts.get(x, 0) or 0 for x in minus)


def _flow(frames: dict[str, pl.DataFrame], ctx: Context) -> pl.DataFrame:
    """Per row: the number its box must equal (``__equal``), may not exceed (``__most``), and the reasons problem."""
    flow = frames[FLOW]
    boxes, numbers, reasons = flow["data"].to_list(), flow["n"].to_list(), flow["reasons"].to_list()
    counts = {d: _count(n) for d, n in zip(boxes, numbers, strict=True) if d}
    equal = [_expected(counts, *EQUALS[b][1:3]) if b in EQUALS else None for b in boxes]
    most = [_sum(counts, AT_MOST[b][1]) if b in AT_MOST else None for b in boxes]
    why = [EQUALS[b][3] if b in EQUALS else AT_MOST[b][2] if b in AT_MOST else "" for b in boxes]
    problems = [reasons_problem(r, _count(n)) if b in EXCLUDED else None
                for b, n, r in zip(boxes, numbers, reasons, strict=True)]
    return flow.with_columns(pl.Series("__equal", equal, pl.Int64), pl.Series("__most", most, pl.Int64),
                             pl.Series("__why", why, pl.String), pl.Series("__reasons", problems, pl.String))


def _included(frames: dict[str, pl.DataFrame], ctx: Context) -> pl.DataFrame:
    """The flow's last box (total_studies, else new_studies) with the number of included studies."""
    flow = frames[FLOW]
    included = frames["studies"].filter(ctx.included()).height
    counts = {d: _count(n) for d, n in zip(flow["data"].to_list(), flow["n"].to_list(), strict=True) if d}
    last = "total_studies" if "total_studies" in counts else "new_studies"
    return flow.with_columns((pl.col("data") == last).alias("__last"), pl.lit(included).alias("__included"))


def validators(ctx: Context) -> list[Validator]:
    n = ctx.num("n")
    rules = []
    for rule in sorted({r for r, *_ in EQUALS.values()}):
        boxes = [b for b, spec in EQUALS.items() if spec[0] == rule]
        rules.append(Rule(rule, ok=~pl.col("data").is_in(boxes) | pl.col("__equal").is_null() | n.is_null()
                          | (n == pl.col("__equal")), field="n",
                          message="{data} is {n}, but {__why} is {__equal}: the boxes of the flow must add up "
                                  "(PRISMA 2020). Correct the count that is wrong, or write NR where the source "
                                  "gives none."))
    for rule in sorted({r for r, *_ in AT_MOST.values()}):
        boxes = [b for b, spec in AT_MOST.items() if spec[0] == rule]
        rules.append(Rule(rule, ok=~pl.col("data").is_in(boxes) | pl.col("__most").is_null() | n.is_null()
                          | (n <= pl.col("__most")), field="n",
                          message="{data} is {n}, more than {__why}, {__most}: a later box of the flow cannot hold "
                                  "more than the box it comes from. Correct one of the counts."))
    rules.append(Rule("prisma.reasons", ok=pl.col("__reasons").is_null(), field="reasons",
                      message="reasons of {data}: {__reasons}."))
    last = Rule("prisma.studies", ok=~pl.col("__last") | n.is_null() | (n == pl.col("__included")), field="n",
                message=lambda row: f"{row['data']} is {row['n']}, but the studies table has {row['__included']} "
                                    f"included stud{'y' if row['__included'] == 1 else 'ies'}: the flow must end at "
                                    "the studies the review includes. Correct the count, or the studies' "
                                    f"{ctx.inclusion or 'inclusion status'}.", severity=WARNING)
    return [Validator(FLOW, rules, prepare=_flow, name="prisma.flow"),
            Validator(FLOW, [last], needs=("studies",), prepare=_included, name="prisma.studies")]
