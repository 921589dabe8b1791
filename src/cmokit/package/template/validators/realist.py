"""The realist layer: theory lineage and status, evidence judgements, quotes and the confidence of configurations.

Parameters (datapackage.json, section "cmokit", key "realist"):

- ``quote_max_words`` (default 60): a quote longer than this is a warning (``quote.length``);
- ``quote_fields`` (default ``{"cmo": ["quote"], "evidence": ["quote"]}``): the quote fields of each table;
- ``status_evidence``: for a status, the judgements its theory's evidence must include (every one of them), e.g.
  ``{"contested": ["supports", "refutes"]}``;
- ``status_refined_by_theory``: statuses also met when a newer theory refines the theory (e.g. ``["refined"]``).

One report per mistake: a ``refines`` naming no theory is the foreign key's problem (``key.foreign``), so
``theory.lineage`` reports a theory that refines itself, directly or through a cycle (once per cycle); and
``evidence.cmo`` checks the configurations of a study that has some (a study without any is ``cross.cmo``'s
problem). The lineage is a graph walk in Python (one step per theory): polars has no recursive join, and a review
holds hundreds of theories, not millions.
"""

from __future__ import annotations

import polars as pl

from cmokit.rules import WARNING, Context, Rule, Validator

NOT_ILLUSTRATION = "illustrates"
DEFAULT_QUOTE_FIELDS = {"cmo": ["quote"], "evidence": ["quote"]}


def _params(ctx: Context) -> dict:
    return ctx.params.get("realist") or {}


def _cycles(frame: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Add ``__cycle`` (the cycle, as text) on the first row of every cycle of ``refines`` (self-loops excluded)."""
    ids = frame.get_column("theory_id").to_list()
    parents = frame.get_column("refines").to_list()
    parent: dict[str, str] = {}
    first_row: dict[str, int] = {}
    for i, (tid, ref) in enumerate(zip(ids, parents, strict=True)):
        if tid is None or tid in parent:
            continue
        first_row[tid] = i
        given = ref is not None and ref not in ("", ctx.not_reported, ctx.not_applicable)
        parent[tid] = ref if given and ref != tid else ""
    state: dict[str, int] = {}  # 1 on the current walk, 2 done
    found: list[str | None] = [None] * len(ids)
    for start in parent:
        walk: list[str] = []
        node = start
        while node in parent and node not in state:
            state[node] = 1
            walk.append(node)
            node = parent[node]
        if node in parent and state.get(node) == 1:  # the walk closed a cycle not seen before
            cycle = walk[walk.index(node):]
            at = min(cycle, key=lambda t: first_row[t])
            turn = cycle.index(at)
            found[first_row[at]] = " -> ".join(cycle[turn:] + cycle[:turn] + [at])
        for n in walk:
            state[n] = 2
    return frame.with_columns(pl.Series("__cycle", found, dtype=pl.String))


def _status_frame(frames: dict[str, pl.DataFrame], ctx: Context) -> pl.DataFrame:
    """Theories with ``__j_<judgement>`` (number of evidence rows per judgement) and ``__refined_by``."""
    theories, evidence = frames["theories"], frames["evidence"]
    judgements = sorted({j for js in (_params(ctx).get("status_evidence") or {}).values() for j in js})
    counts = evidence.group_by("theory_id").agg([(pl.col("judgement") == j).sum().alias(f"__j_{j}")
                                                 for j in judgements]) if judgements else None
    children = (theories.filter(ctx.given("refines") & (pl.col("refines") != pl.col("theory_id")))
                .group_by("refines").agg(pl.col("theory_id").unique().sort().str.join(", ").alias("__refined_by"))
                .rename({"refines": "theory_id"}))
    out = theories
    if counts is not None:
        out = out.join(counts, on="theory_id", how="left", maintain_order="left").with_columns(
            [pl.col(f"__j_{j}").fill_null(0) for j in judgements])
    return out.join(children, on="theory_id", how="left", maintain_order="left")


def _status_rules(ctx: Context) -> list[Rule]:
    p = _params(ctx)
    by_theory = set(p.get("status_refined_by_theory") or [])
    rules = []
    for status, needed in (p.get("status_evidence") or {}).items():
        missing = pl.any_horizontal([pl.col(f"__j_{j}") == 0 for j in needed]) if needed else pl.lit(False)
        if status in by_theory:
            missing = missing & pl.col("__refined_by").is_null()
        alt = " or a newer theory that refines it (its refines names this theory)" if status in by_theory else ""
        what = " and ".join(f"'{j}'" for j in needed)
        rules.append(Rule(
            "theory.status", ok=~((pl.col("status") == status) & missing), field="status",
            message=(f"status is '{status}', which needs evidence judged {what} for theory '{{theory_id}}'{alt}, "
                     "but evidence.csv has none: link that evidence (theory_id, study_id, judgement), or change the "
                     "status to what the evidence shows (initial if nothing is linked yet).")))
    return rules


def _cmo_links(frames: dict[str, pl.DataFrame], ctx: Context) -> pl.DataFrame:
    """Evidence with ``__cmo_found`` (the configuration exists), ``__has_cmo`` (the study has configurations) and,
    for the rows that name a missing configuration, ``__numbers`` (the study's cmo_number values)."""
    cmo = frames["cmo"].select("study_id", ctx.num("cmo_number").alias("__n")).drop_nulls().unique()
    evidence = frames["evidence"].with_columns(ctx.num("cmo_number").alias("__n"))
    evidence = (evidence.join(cmo.with_columns(pl.lit(True).alias("__cmo_found")), on=["study_id", "__n"],
                              how="left", maintain_order="left")
                .join(cmo.select("study_id").unique().with_columns(pl.lit(True).alias("__has_cmo")), on="study_id",
                      how="left", maintain_order="left"))
    missing = evidence.filter(pl.col("__has_cmo") & pl.col("__n").is_not_null() & pl.col("__cmo_found").is_null())
    numbers = (cmo.join(missing.select("study_id").unique(), on="study_id", how="semi").group_by("study_id")
               .agg(pl.col("__n").cast(pl.Int64).sort().cast(pl.String).str.join(", ").alias("__numbers")))
    return evidence.join(numbers, on="study_id", how="left", maintain_order="left")


def _quote_rules(ctx: Context, fields: list[str], limit: int) -> list[Rule]:
    rules = []
    for f in fields:
        words = pl.col(f).str.count_matches(r"\S+")
        rules.append(Rule(
            "quote.length", ok=~(ctx.given(f) & (words > limit)), field=f, severity=WARNING,
            message=lambda row, f=f: (f"{f} has {len(str(row.get(f) or '').split())} words, more than {limit}: quote "
                                      "only the passage the extraction rests on, and give the rest by locator.")))
    return rules


def validators(ctx: Context) -> list[Validator]:
    p = _params(ctx)
    out = [
        Validator("theories", [
            Rule("theory.lineage", ok=~(ctx.given("refines") & (pl.col("refines") == pl.col("theory_id"))),
                 field="refines",
                 message="theory '{theory_id}' refines itself: refines names the older theory this one refines "
                         "(another theory_id), or NA for a theory that refines none."),
            Rule("theory.lineage", ok=pl.col("__cycle").is_null(), field="refines",
                 message="theories refine each other in a cycle ({__cycle}): a lineage must end at a theory that "
                         "refines none (NA). Correct refines in one of these theories."),
        ], prepare=lambda frames, ctx: _cycles(frames["theories"], ctx), name="theory.lineage"),
        Validator("evidence", [
            Rule("evidence.cmo",
                 ok=~(pl.col("__has_cmo") & pl.col("__n").is_not_null() & pl.col("__cmo_found").is_null()),
                 field="cmo_number",
                 message="cmo_number {cmo_number} is not a configuration of study '{study_id}' in cmo.csv (its "
                         "cmo_number values: {__numbers}): give one of them, or NA when the evidence is not about "
                         "one configuration."),
        ], needs=("cmo",), prepare=_cmo_links, name="evidence.cmo"),
        Validator("evidence", [
            Rule("evidence.justification",
                 ok=~(ctx.given("judgement") & (pl.col("judgement") != NOT_ILLUSTRATION) & ctx.absent("justification")
                      & ctx.absent("quote")), field="justification",
                 message="judgement is '{judgement}' but neither justification nor quote says why: write why this "
                         "evidence {judgement} theory '{theory_id}', or the passage it rests on (quote). Only "
                         "'illustrates' may go without."),
        ], name="evidence.justification"),
        Validator("cmo", [
            Rule("confidence.justification", ok=~(ctx.given("confidence") & ctx.absent("confidence_justification")),
                 field="confidence_justification",
                 message="confidence is '{confidence}' but confidence_justification is '{confidence_justification}': "
                         "say why (e.g. which paragraph could belong to another row), or write NR for confidence."),
        ], name="confidence.justification"),
    ]
    status = _status_rules(ctx)
    if status:
        out.append(Validator("theories", status, needs=("evidence",), prepare=_status_frame, name="theory.status"))
    limit = int(p.get("quote_max_words", 60))
    for table, fields in (p.get("quote_fields") or DEFAULT_QUOTE_FIELDS).items():
        out.append(Validator(table, _quote_rules(ctx, list(fields), limit), name="quote.length"))
    return out
