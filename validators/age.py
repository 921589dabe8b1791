"""Age rules: ages in order, mean age in range, and the age band that covers most of the study's years.

On only when configured. Parameters (datapackage.json, section "cmokit"):

- ``mean_age`` (``min``, ``max``): an included study's mean age lies in the range (``age.mean_range``), and the
  ages are in order (``age.order``);
- ``age_bands`` (a list of ``{"code", "min", "max"}`` in whole years): the ages are in order, and each study's
  ``age_band`` is the band covering more of its years (``age_band.rule``); a tie is a reviewer's decision
  (``age_band.tie``), and a band not derived from reported ages needs a justification (``age_band.justification``).

The rules read the studies fields ``age_min``, ``age_max``, ``age_mean`` and, with ``age_bands``, ``age_band``,
``age_band_basis`` (codes reported_ages, inferred, review_table, reviewer_decision), ``age_band_justification`` and
``age_band_decided_by``: add them (``cmokit add-field``) before configuring the rules. Which studies are included:
``included_code`` and the studies field declaring ``"cmokit:study": "inclusion"``.
"""

from __future__ import annotations

import polars as pl

from cmokit.rules import Context, Rule, Validator

DERIVED = ("reported_ages",)
NOT_DERIVED = ("inferred", "review_table", "reviewer_decision")
DECISION = "reviewer_decision"


def _bands(frames: dict[str, pl.DataFrame], ctx: Context) -> pl.DataFrame:
    """Add the whole-year overlap of the study's age range with each band, the expected band and ties."""
    bands = ctx.params.get("age_bands") or []
    lo = ctx.num("age_min").floor()
    hi = ctx.num("age_max").floor()
    has_ages = lo.is_not_null() & hi.is_not_null() & (lo <= hi)
    studies = frames["studies"]
    if not bands:
        return studies.with_columns(pl.lit(None, pl.String).alias("__expected"), pl.lit(False).alias("__tie"),
                                    pl.lit("").alias("__overlaps"), pl.lit("").alias("__tied"),
                                    pl.lit(False).alias("__chosen_is_best"))
    ov = {b["code"]: f"__ov_{i}" for i, b in enumerate(bands)}
    frame = studies.with_columns(
        [(pl.min_horizontal(hi, pl.lit(float(b["max"]))) - pl.max_horizontal(lo, pl.lit(float(b["min"]))) + 1)
         .clip(lower_bound=0).fill_nan(None).cast(pl.Int64).alias(ov[b["code"]]) for b in bands]
        + [has_ages.alias("__has_ages")])
    cols = [(code, pl.col(name)) for code, name in ov.items()]
    frame = frame.with_columns(pl.max_horizontal([o for _, o in cols]).alias("__best"))
    best = pl.col("__best")
    frame = frame.with_columns(pl.sum_horizontal([((o == best) & (best > 0)).cast(pl.Int32) for _, o in cols])
                               .alias("__n_best"),
                               pl.coalesce([pl.when(pl.col("age_band") == code).then(o) for code, o in cols])
                               .alias("__chosen"))
    n_best, has = pl.col("__n_best"), pl.col("__has_ages")
    return frame.with_columns(
        pl.when(has & (n_best == 1)).then(pl.coalesce([pl.when(o == best).then(pl.lit(code)) for code, o in cols]))
        .alias("__expected"),
        (has & (n_best > 1)).alias("__tie"),
        (pl.col("__chosen") == best).fill_null(False).alias("__chosen_is_best"),
        pl.concat_str([pl.when(o > 0).then(pl.lit(f"{code} (") + o.cast(pl.String) + pl.lit(" years)"))
                       for code, o in cols], separator=", ", ignore_nulls=True).alias("__overlaps"),
        pl.concat_str([pl.when((o == best) & (best > 0)).then(pl.lit(code)) for code, o in cols],
                      separator=" or ", ignore_nulls=True).alias("__tied"))


def validators(ctx: Context) -> list[Validator]:
    mean = ctx.params.get("mean_age") or {}
    bands = ctx.params.get("age_bands") or []
    if not mean and not bands:
        return []
    lo, hi = mean.get("min"), mean.get("max")
    amin, amax, amean = ctx.num("age_min"), ctx.num("age_max"), ctx.num("age_mean")
    basis = pl.col("age_band_basis")
    tied_ok = ((basis == DECISION) & ctx.given("age_band_justification") & ctx.given("age_band_decided_by")
               & pl.col("__chosen_is_best"))
    order = [
        Rule("age.order", ok=~(amin > amax), field="age_max",
             message="age_max {age_max} is below age_min {age_min}: the ages must satisfy age_min <= age_max "
                     "(swapped columns?)."),
        Rule("age.order", ok=~((amean < amin) | (amean > amax)), field="age_mean",
             message="age_mean {age_mean} lies outside age_min {age_min} .. age_max {age_max}: the ages must satisfy "
                     "age_min <= age_mean <= age_max. Check the three values against the paper."),
    ]
    band_rules = [
        Rule("age_band.rule", ok=pl.col("__expected").is_null() | (pl.col("age_band") == pl.col("__expected")),
             field="age_band",
             message="ages {age_min}-{age_max} cover {__overlaps}: the band must be '{__expected}' (the band "
                     "covering more of the study's years), not '{age_band}'."),
        Rule("age_band.tie", ok=~pl.col("__tie") | tied_ok, field="age_band_basis",
             message="ages {age_min}-{age_max} cover {__overlaps}: a tie between {__tied}. Code cannot choose: a "
                     "reviewer must decide. Set age_band to {__tied}, age_band_basis to reviewer_decision, and record "
                     "age_band_justification and age_band_decided_by."),
        Rule("age_band.justification", ok=~(basis.is_in(list(NOT_DERIVED)) & ctx.absent("age_band_justification")),
             field="age_band_justification",
             message="age_band_basis is '{age_band_basis}', so the band was not derived from reported ages: "
                     "age_band_justification must say where '{age_band}' comes from (empty, NR or NA is not enough)."),
        Rule("age_band.justification",
             ok=~((basis == DECISION) & ~pl.col("__tie") & ctx.absent("age_band_decided_by")),
             field="age_band_decided_by",
             message="age_band_basis is reviewer_decision: age_band_decided_by must name who decided "
                     "(it is '{age_band_decided_by}')."),
        Rule("age_band.justification",
             ok=~((basis == "reported_ages") & (pl.col("age_min").is_in(["NR", "NA"])
                                                 | pl.col("age_max").is_in(["NR", "NA"]))),
             field="age_band_basis",
             message="age_band_basis is reported_ages but the ages are not reported (age_min {age_min}, age_max "
                     "{age_max}): use inferred or review_table with a justification, or enter the ages."),
    ]
    rules = order + (band_rules if bands else [])
    if lo is not None or hi is not None:
        out_of_range = pl.lit(False)
        if lo is not None:
            out_of_range = out_of_range | (amean < float(lo))
        if hi is not None:
            out_of_range = out_of_range | (amean > float(hi))
        rules.append(Rule("age.mean_range", ok=~(ctx.included() & out_of_range), field="age_mean",
                          message=f"age_mean {{age_mean}} is outside {lo}-{hi} years: an included study's mean age "
                                  "must be within the review's range. Check the value, or exclude the study."))
    return [Validator("studies", rules, prepare=_bands if bands else None, name="age")]
