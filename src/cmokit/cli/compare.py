"""``cmokit compare``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cmokit.cli.options import format_option, handle_errors, legacy_package_option, open_review, review_option


@click.command()
@click.argument("reviewers", nargs=-1, required=True)
@review_option
@format_option(("text", "json"), "text",
               "text for people, json for machines (keys: fields, conflicts, tables, overall, alpha...).")
@click.option("--conflicts", "conflicts_file", type=click.Path(path_type=Path), default=None,
              help="Write one CSV row per disagreement (table, key, field, value_a, value_b, decision, value, "
                   "decided_by, reason) for the adjudicator; two reviewers only. A FILE ending in .xlsx is an Excel "
                   "workbook instead, with a dropdown (a, b, other) for decision.")
@click.option("--carry", "carry", type=click.Path(path_type=Path), default=None, metavar="OLD",
              help="With --conflicts NEW: copy into NEW every decision of the older conflicts file OLD whose "
                   "conflict (table, key, field, value_a, value_b) is unchanged, and list those that no longer apply.")
@click.option("--fail-on-conflict", is_flag=True, help="Exit 1 when there is any conflict.")
@legacy_package_option
@handle_errors
def command(reviewers: tuple[str, ...], review: Path | None, fmt: str, conflicts_file: Path | None,
            carry: Path | None, fail_on_conflict: bool, package: Path | None) -> None:
    """Compare reviewers' extractions: agreement, Cohen's kappa, conflicts.

    REVIEWERS are reviewer ids (folders extract/reviewers/<id>/) or folder paths. With three or more,
    figures are pairwise and Krippendorff's alpha (nominal) is computed across all. Submissions are read by the
    same reader as `cmokit validate`: a broken file is refused with the same rule, line and fix.
    The figures of each pair are kept in .cmokit/compare/ inside the review for `cmokit report`.
    Exit codes: 0 compared (even with conflicts, unless --fail-on-conflict), 1 conflicts with
    --fail-on-conflict or invalid submission data, 2 usage error or unreadable input.

    \b
    Examples:
      cmokit compare alice bob
      cmokit compare alice bob --conflicts conflicts.csv
      cmokit compare alice bob --conflicts conflicts.xlsx   # to decide in Excel
      cmokit compare alice bob carol -f json
      cmokit compare alice bob --conflicts conflicts-2.csv --carry conflicts.csv
    """
    from cmokit.core.errors import CmokitError
    from cmokit.extraction.compare import compare
    from cmokit.extraction.conflicts import carry_over, write_conflicts
    from cmokit.extraction.text import render_text

    if len(reviewers) < 2:
        who = reviewers[0] if reviewers else "alice"
        raise CmokitError(f"compare needs two reviewers to compare, e.g. `cmokit compare {who} bob`. With one "
                          f"reviewer there is nothing to compare: take their submission as the consensus with "
                          f"`cmokit reconcile {who}` (each value is logged as a single-extraction decision).",
                          rule="usage")
    if conflicts_file is not None and len(reviewers) != 2:
        raise CmokitError("--conflicts needs exactly two reviewers (reconcile merges two); compare the others "
                          "pairwise.", rule="usage")
    if carry is not None and conflicts_file is None:
        raise CmokitError("--carry OLD goes with --conflicts NEW: the decisions of OLD are copied into NEW.",
                          rule="usage")
    rv = open_review(review, package)
    result = compare(rv, list(reviewers))
    if conflicts_file is not None:
        carried = carry_over(result.pairs[0], carry) if carry is not None else None
        target = write_conflicts(result.pairs[0], conflicts_file, carried.kept if carried else None)
        click.echo(f"Wrote {len(result.conflicts)} conflicts to {target}", err=True)
        if carried is not None:
            click.echo(f"Carried {len(carried.kept)} decision(s) over from {carry}; {len(carried.dropped)} no longer "
                       "apply" + (":" if carried.dropped else "."), err=True)
            for d in carried.dropped:
                click.echo(f"  {carry}, line {d.line}: {d.table} {d.key} {d.field}: decision {d.decision} "
                           f"({d.value_a!r} vs {d.value_b!r}) - that conflict is gone or its values changed",
                           err=True)
    data = result.to_dict()
    _keep(rv, data)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result), nl=False)
    if fail_on_conflict and result.conflicts:
        sys.exit(1)


def _keep(rv, data: dict) -> None:
    """Keep the figures for `cmokit report` (.cmokit/compare/, git-ignored); a failure only warns."""
    from cmokit.presentation.report_agreement import save_comparison

    try:
        files = save_comparison(rv, data)
    except OSError as exc:
        click.echo(f"Note: the agreement figures were not kept for `cmokit report` ({exc.strerror or exc}).", err=True)
        return
    shown = ", ".join(str(p.relative_to(rv.root)) for p in files)
    click.echo(f"Kept the agreement figures for `cmokit report` in {shown}.", err=True)
