"""This review's coded effects: every coded effect of a configuration has the outcome text it was coded from.

``ss_effect`` is coded from ``ss_outcomes``, ``child_effect`` from ``child_outcomes`` (rule cross.effect_text): an
effect coded improved, no_change, mixed or worse needs its text (not_applicable and not_reported need none).
"""

from __future__ import annotations

import polars as pl

from cmokit.rules import Context, Rule, Validator

CODED_EFFECTS = ("improved", "no_change", "mixed", "worse")


def validators(ctx: Context) -> list[Validator]:
    effects = []
    for effect, text in (("ss_effect", "ss_outcomes"), ("child_effect", "child_outcomes")):
        effects.append(Rule(
            "cross.effect_text", ok=~(pl.col(effect).is_in(list(CODED_EFFECTS)) & ctx.absent(text)), field=text,
            message=f"{effect} is '{{{effect}}}' but {text} is '{{{text}}}': write the outcome text the effect was "
                    f"coded from, or code {effect} not_reported."))
    return [Validator("cmo", effects, name="cross.effect_text")]
