"""``cmokit reconcile``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import handle_errors, legacy_package_option, open_review, output_option, review_option


@click.command()
@click.argument("reviewer_a")
@click.argument("reviewer_b")
@review_option
@click.option("--decisions", "decisions", type=click.Path(path_type=Path), required=True,
              help="The conflicts file written by `cmokit compare A B --conflicts FILE`, with decisions filled in "
                   "(a CSV file or an .xlsx workbook).")
@output_option("Folder for the consensus tables and the audit log (default: the package's own paths, "
               "extract/consensus/).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, deprecated="use -o/--output instead",
              help="Old name of -o/--output.")
@legacy_package_option
@handle_errors
def command(reviewer_a: str, reviewer_b: str, review: Path | None, decisions: Path, output: Path | None,
            out: Path | None, package: Path | None) -> None:
    """Merge two extractions and the adjudicator's decisions into the consensus.

    Agreed values are kept, conflicts take the decided value (a, b or other), rows of a study only one
    reviewer extracted are carried over; each decision is appended to the audit log (decisions.csv).
    Exit codes: 0 written, 1 the decisions file is incomplete, invalid or out of date (nothing written),
    2 usage error, unreadable input or another reconcile running.

    \b
    Examples:
      cmokit reconcile alice bob --decisions conflicts.csv
      cmokit reconcile alice bob --decisions conflicts.csv -o /tmp/consensus-draft
    """
    from cmokit.core.errors import CmokitError
    from cmokit.extraction.reconcile import reconcile

    if output is not None and out is not None and output != out:
        raise CmokitError("give the output folder once: -o/--output (--out is its old name).", rule="usage")
    result = reconcile(open_review(review, package), reviewer_a, reviewer_b, decisions, out=output or out)
    for path in result.written:
        click.echo(f"Wrote {path}")
    for path in result.unchanged:
        click.echo(f"Unchanged {path}")
    click.echo(f"{result.decisions} decision(s) applied, {result.logged} new audit-log entr"
               f"{'y' if result.logged == 1 else 'ies'}; rows: "
               + ", ".join(f"{t} {n}" for t, n in result.rows.items()))
    if result.carried:
        click.echo(f"{len(result.carried)} row(s) only one reviewer extracted were carried over:")
        for table, key, who in result.carried[:20]:
            click.echo(f"  {table}: {key} (only {who})")
        if len(result.carried) > 20:
            click.echo(f"  … and {len(result.carried) - 20} more")
