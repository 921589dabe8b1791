"""Cross-table rules: every included study has CMO rows and an appraisal; every coded effect has its text."""

from __future__ import annotations

import polars as pl

from cmokit.rules import Context, Rule, Validator

CODED_EFFECTS = ("improved", "no_change", "mixed", "worse")


def _count(table: str, column: str):
    def prepare(frames: dict[str, pl.DataFrame], ctx: Context) -> pl.DataFrame:
        counts = frames[table].group_by("study_id").agg(pl.len().alias(column))
        studies = frames["studies"]
        return studies.join(counts, on="study_id", how="left", maintain_order="left").with_columns(
            pl.col(column).fill_null(0))

    return prepare


def validators(ctx: Context) -> list[Validator]:
    inc = ctx.included()
    cmo = Validator("studies", [Rule(
        "cross.cmo", ok=~(inc & (pl.col("__n_cmo") == 0)), field="study_id",
        message="included study '{study_id}' has no row in cmo: extract at least one context-mechanism-outcome row "
                "for it, or set inclusion_status to excluded.")], needs=("cmo",), prepare=_count("cmo", "__n_cmo"),
        name="cross.cmo")
    appraisal = Validator("studies", [Rule(
        "cross.appraisal", ok=~(inc & (pl.col("__n_appraisal") == 0)), field="study_id",
        message="included study '{study_id}' has no row in appraisal: appraise it (MMAT), or set inclusion_status "
                "to excluded.")], needs=("appraisal",), prepare=_count("appraisal", "__n_appraisal"),
        name="cross.appraisal")
    effects = []
    for effect, text in (("ss_effect", "ss_outcomes"), ("child_effect", "child_outcomes")):
        effects.append(Rule(
            "cross.effect_text", ok=~(pl.col(effect).is_in(list(CODED_EFFECTS)) & ctx.absent(text)), field=text,
            message=f"{effect} is '{{{effect}}}' but {text} is '{{{text}}}': write the outcome text the effect was "
                    f"coded from, or code {effect} not_reported."))
    return [cmo, appraisal, Validator("cmo", effects, name="cross.effect_text")]
