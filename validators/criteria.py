"""Inclusion and exclusion criteria of an included study.

Parameters (datapackage.json, section "cmokit"): ``included_code``, ``search_window`` (start, end dates),
``age_bands`` (the youngest band is the one for which infant predictors count as a mental-health outcome).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cmokit.rules import WARNING, Context, Rule, Validator

NOT_DOCUMENTED = "criterion not documented: {field} is NR for an included study. Record what the study says."


def _yes_no(ctx: Context, rule: str, field: str, what: str) -> list[Rule]:
    inc = ctx.included()
    return [
        Rule(rule, ok=~(inc & (pl.col(field) == "no")), field=field,
             message=f"an included study must have {what}, but {field} is 'no'. Correct {field}, or set "
                     "inclusion_status to excluded."),
        Rule(rule, ok=~(inc & (pl.col(field) == ctx.not_reported)), field=field, severity=WARNING,
             message=NOT_DOCUMENTED.format(field=field)),
    ]


def validators(ctx: Context) -> list[Validator]:
    inc = ctx.included()
    bands = ctx.params.get("age_bands") or []
    youngest = min(bands, key=lambda b: b["min"])["code"] if bands else None
    mh = pl.col("mh_outcome")
    rules = [
        *_yes_no(ctx, "inclusion.ss_in_aims", "ss_in_aims", "social support in the programme's or study's aims"),
        *_yes_no(ctx, "inclusion.ss_measured", "ss_measured", "social support measured"),
        *_yes_no(ctx, "inclusion.english", "full_text_english", "its full text in English"),
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
    window = ctx.params.get("search_window") or {}
    if window.get("start") and window.get("end"):
        start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
        d = ctx.date("publication_date")
        year = ctx.num("year")
        rules += [
            Rule("inclusion.window", ok=~(inc & ((d < start) | (d > end))), field="publication_date",
                 message=f"published {{publication_date}}, outside the search window {start} to {end}. Check the "
                         "date, or set inclusion_status to excluded."),
            Rule("inclusion.window", ok=~(inc & d.is_null() & ((year < start.year) | (year > end.year))),
                 field="year",
                 message=f"year {{year}} is outside the search window {start} to {end}. Check the year, or set "
                         "inclusion_status to excluded."),
        ]
    excl = pl.col("exclusion_criteria")
    other = excl.str.split(";").list.eval(pl.element().str.strip_chars() != "none").list.any()
    rules.append(Rule("exclusion.criteria", ok=~(inc & ctx.given("exclusion_criteria") & other),
                      field="exclusion_criteria",
                      message="an included study carries the exclusion criterion '{exclusion_criteria}': a study "
                              "meeting any exclusion criterion cannot be included. Write none, or set "
                              "inclusion_status to excluded."))
    return [Validator("studies", rules, name="criteria")]
