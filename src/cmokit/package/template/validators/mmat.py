"""MMAT 2018 appraisal: screening questions answered, criteria that belong to the study's category.

Categories 1-5 each have five criteria (c<category>_<n>); a mixed-methods study (category 5) is also rated on
the criteria of the components it combines. Answers are yes / no / cant_tell (the schema's enum).
"""

from __future__ import annotations

import polars as pl

from cmokit.rules import WARNING, Context, Rule, Validator

CATEGORIES = ("1", "2", "3", "4", "5")
MIXED = "5"
ANSWERS = ("yes", "no", "cant_tell")
NAMES = {"1": "qualitative", "2": "randomised controlled trial", "3": "non-randomised", "4": "quantitative descriptive",
         "5": "mixed methods"}


def _criterion_rule(ctx: Context, x: str, y: int) -> Rule:
    col = f"c{x}_{y}"
    cat = pl.col("mmat_category")
    known = cat.is_in(list(CATEGORIES))
    answered = pl.col(col).is_in(list(ANSWERS))
    unanswered = (pl.col(col) == ctx.not_applicable) | (pl.lit(not ctx.submission) & (pl.col(col) == ""))
    own = (cat == x) & unanswered
    foreign = known & (cat != x) & (cat != MIXED) & answered
    unknown = ~known & answered

    def message(row: dict) -> str:
        c = row.get("mmat_category") or ""
        if c == x:
            return (f"{col} is '{row.get(col) or ''}' but it is a criterion of the study's own category {c} "
                    f"({NAMES[c]}): answer it yes, no or cant_tell (NR if the source does not say).")
        if c in CATEGORIES:
            return (f"{col} is answered ('{row.get(col)}') but belongs to category {x} ({NAMES[x]}), not to the "
                    f"study's category {c} ({NAMES[c]}): answer only the criteria c{c}_1..c{c}_5 (write NA here), "
                    "or correct mmat_category.")
        return (f"{col} is answered but mmat_category is '{c}': record the study's MMAT category (1-5) so the "
                "criteria can be checked.")

    return Rule("mmat.category", ok=~(own | foreign | unknown), field=col, message=message)


def _components(row: dict) -> str:
    cats = sorted({k[1] for k, v in row.items() if k.startswith("c") and k[1:2] in CATEGORIES and k[2:3] == "_"
                   and k[1] != MIXED and v in ANSWERS})
    return ", ".join(f"{c} ({NAMES[c]})" for c in cats)


def validators(ctx: Context) -> list[Validator]:
    rules = []
    for q in ("s1", "s2"):
        bad = (pl.col(q) == ctx.not_applicable) | (pl.lit(not ctx.submission) & (pl.col(q) == ""))
        rules.append(Rule("mmat.screening", ok=~bad, field=q,
                          message=f"screening question {q} must be answered (yes, no or cant_tell; NR if the source "
                                  f"does not say), but it is '{{{q}}}'."))
    rules += [_criterion_rule(ctx, x, y) for x in CATEGORIES for y in range(1, 6)]
    other_answered = pl.any_horizontal([pl.col(f"c{x}_{y}").is_in(list(ANSWERS))
                                        for x in CATEGORIES if x != MIXED for y in range(1, 6)])
    rules.append(Rule("mmat.category", ok=~((pl.col("mmat_category") == MIXED) & other_answered),
                      field="mmat_category", severity=WARNING,
                      message=lambda row: "mixed-methods study rated also on the criteria of category "
                                          f"{_components(row)}: make sure those are the components this study "
                                          "combines."))
    return [Validator("appraisal", rules, name="mmat")]
