"""Cross-table rules: every included study has configurations, and (when configured) an appraisal.

Parameters (datapackage.json, section "cmokit"): ``included_code`` (with the studies field declaring
``"cmokit:study": "inclusion"``: which studies are included; without them every study is), ``require_appraisal``
(``true``: every included study has a row in appraisal, rule ``cross.appraisal``; off by default, since many realist
reviews judge rigour per piece of evidence instead of per study).
"""

from __future__ import annotations

import polars as pl

from cmokit.rules import Context, Rule, Validator


def _count(table: str, column: str):
    def prepare(frames: dict[str, pl.DataFrame], ctx: Context) -> pl.DataFrame:
        counts = frames[table].group_by("study_id").agg(pl.len().alias(column))
        studies = frames["studies"]
        return studies.join(counts, on="study_id", how="left", maintain_order="left").with_columns(
            pl.col(column).fill_null(0))

    return prepare


def _or_exclude(ctx: Context) -> str:
    return f", or set {ctx.inclusion} to excluded" if ctx.inclusion and ctx.params.get("included_code") else ""


def validators(ctx: Context) -> list[Validator]:
    inc = ctx.included()
    out = [Validator("studies", [Rule(
        "cross.cmo", ok=~(inc & (pl.col("__n_cmo") == 0)), field="study_id",
        message="included study '{study_id}' has no row in cmo: extract at least one context-mechanism-outcome row "
                f"for it{_or_exclude(ctx)}.")], needs=("cmo",), prepare=_count("cmo", "__n_cmo"), name="cross.cmo")]
    if ctx.params.get("require_appraisal"):
        out.append(Validator("studies", [Rule(
            "cross.appraisal", ok=~(inc & (pl.col("__n_appraisal") == 0)), field="study_id",
            message="included study '{study_id}' has no row in appraisal: appraise it (MMAT)"
                    f"{_or_exclude(ctx)}.")], needs=("appraisal",), prepare=_count("appraisal", "__n_appraisal"),
            name="cross.appraisal"))
    return out
