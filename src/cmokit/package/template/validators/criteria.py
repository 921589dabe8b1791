"""Inclusion and exclusion criteria of an included study: each rule is on only when the review configures it.

Parameters (datapackage.json, section "cmokit"):

- ``search_window`` (``start``, ``end``: dates YYYY-MM-DD): an included study's ``publication_date`` (or, without
  one, its ``year``) lies in the window (``inclusion.window``);
- ``inclusion_criteria``: a list of ``{"rule": ..., "field": ..., "means": ..., "no": ...}``, one per yes/no
  criterion: an included study may not have the value ``no`` (default ``"no"``; ``"false"`` for a boolean field
  with the default true/false values) in ``field``: an error under ``rule``; ``NR`` is a warning. ``means`` says in
  words what the study must have (e.g. "its full text in English");
- ``exclusion_criteria`` (``{"field": ..., "none": ...}``): a multi-code studies field listing the exclusion
  criteria a study meets; an included study may only carry the code ``none`` (``exclusion.criteria``).

Which studies are included: ``included_code`` and the studies field declaring ``"cmokit:study": "inclusion"``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cmokit.rules import WARNING, Context, Rule, Validator

NOT_DOCUMENTED = "criterion not documented: {field} is NR for an included study. Record what the study says."


def _excluded(ctx: Context) -> str:
    return f"set {ctx.inclusion} to excluded" if ctx.inclusion else "exclude the study"


def _yes_no(ctx: Context, rule: str, field: str, what: str, no: str = "no") -> list[Rule]:
    inc = ctx.included()
    return [
        Rule(rule, ok=~(inc & (pl.col(field) == no)), field=field,
             message=f"an included study must have {what}, but {field} is '{no}'. Correct {field}, or "
                     f"{_excluded(ctx)}."),
        Rule(rule, ok=~(inc & (pl.col(field) == ctx.not_reported)), field=field, severity=WARNING,
             message=NOT_DOCUMENTED.format(field=field)),
    ]


def _window(ctx: Context, window: dict) -> list[Rule]:
    inc = ctx.included()
    start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
    d = ctx.date("publication_date")
    year = ctx.num("year")
    return [
        Rule("inclusion.window", ok=~(inc & ((d < start) | (d > end))), field="publication_date",
             message=f"published {{publication_date}}, outside the search window {start} to {end}. Check the "
                     f"date, or {_excluded(ctx)}."),
        Rule("inclusion.window", ok=~(inc & d.is_null() & ((year < start.year) | (year > end.year))),
             field="year",
             message=f"year {{year}} is outside the search window {start} to {end}. Check the year, or "
                     f"{_excluded(ctx)}."),
    ]


def validators(ctx: Context) -> list[Validator]:
    inc = ctx.included()
    rules: list[Rule] = []
    for c in ctx.params.get("inclusion_criteria") or []:
        rules += _yes_no(ctx, c["rule"], c["field"], c.get("means") or f"'yes' in {c['field']}", c.get("no", "no"))
    window = ctx.params.get("search_window") or {}
    if window.get("start") and window.get("end"):
        rules += _window(ctx, window)
    exclusion = ctx.params.get("exclusion_criteria") or {}
    if exclusion.get("field"):
        field, none = exclusion["field"], exclusion.get("none", "none")
        excl = pl.col(field)
        other = excl.str.split(";").list.eval(pl.element().str.strip_chars() != none).list.any()
        rules.append(Rule("exclusion.criteria", ok=~(inc & ctx.given(field) & other), field=field,
                          message=f"an included study carries the exclusion criterion '{{{field}}}': a study "
                                  f"meeting any exclusion criterion cannot be included. Write {none}, or "
                                  f"{_excluded(ctx)}."))
    return [Validator("studies", rules, name="criteria")] if rules else []
