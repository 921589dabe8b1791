"""This review's own inclusion criterion on children's mental health (inclusion.mh_outcome).

An included study must have a children's mental-health outcome (``mh_outcome``): measured; for infants, a predictor
such as attachment (``infant_predictor``, only in the youngest of the ``age_bands``); for protocols and conceptual
papers, described outcomes (``described``). Parameters (datapackage.json, section "cmokit"): ``age_bands``,
``included_code``.
"""

from __future__ import annotations

import polars as pl

from cmokit.rules import WARNING, Context, Rule, Validator

NOT_DOCUMENTED = "criterion not documented: {field} is NR for an included study. Record what the study says."


def validators(ctx: Context) -> list[Validator]:
    inc = ctx.included()
    bands = ctx.params.get("age_bands") or []
    youngest = min(bands, key=lambda b: b["min"])["code"] if bands else None
    mh = pl.col("mh_outcome")
    rules = [
        Rule("inclusion.mh_outcome", ok=~(inc & (mh == "none")), field="mh_outcome",
             message="an included study must have a children's mental-health outcome (or, for infants, a predictor; "
                     "for protocols and conceptual papers, described outcomes), but mh_outcome is 'none'. Correct it, "
                     "or set inclusion_status to excluded."),
        Rule("inclusion.mh_outcome", ok=~(inc & (mh == "infant_predictor") & (pl.col("age_band") != youngest)),
             field="mh_outcome",
             message=f"mh_outcome is infant_predictor, which counts only for the {youngest} band, but age_band is "
                     "'{age_band}'. Record the mental-health outcome measured, or correct the band."),
        Rule("inclusion.mh_outcome", ok=~(inc & (mh == "described") & (pl.col("evidence_type") == "evaluation")),
             field="mh_outcome",
             message="mh_outcome is 'described', which counts only for protocols and conceptual papers, but "
                     "evidence_type is evaluation: record the outcome measured (measured), or correct evidence_type."),
        Rule("inclusion.mh_outcome", ok=~(inc & (mh == ctx.not_reported)), field="mh_outcome", severity=WARNING,
             message=NOT_DOCUMENTED.format(field="mh_outcome")),
    ]
    return [Validator("studies", rules, name="mh_outcome")]
