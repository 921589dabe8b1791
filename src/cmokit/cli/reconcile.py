"""``cmokit reconcile``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import handle_errors, legacy_package_option, open_review, output_option, review_option


@click.command()
@click.argument("reviewer_a")
@click.argument("reviewer_b", required=False)
@review_option
@click.option("--decisions", "decisions", type=click.Path(path_type=Path), default=None,
              help="The conflicts file written by `cmokit compare A B --conflicts FILE`, with decisions filled in "
                   "(a CSV file or an .xlsx workbook; two reviewers only).")
@output_option("Folder for the consensus tables and the audit log (default: the package's own paths, "
               "extract/consensus/). A new folder starts from the current consensus, so it holds all of it.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, deprecated="use -o/--output instead",
              help="Old name of -o/--output.")
@click.option("--adopt-edits", "adopt_edits", is_flag=True,
              help="Record the hand edits made to the consensus since reconcile wrote it as decisions (with --by "
                   "and --reason), so that this and every later reconcile keeps them.")
@click.option("--by", "by", default=None, metavar="NAME",
              help="Who decided: with --adopt-edits, who made or approves the edits; with one reviewer, who takes "
                   "their work as the consensus (default: the reviewer).")
@click.option("--reason", "reason", default="", metavar="TEXT", help="Why, recorded in the audit log.")
@legacy_package_option
@handle_errors
def command(reviewer_a: str, reviewer_b: str | None, review: Path | None, decisions: Path | None,
            output: Path | None, out: Path | None, adopt_edits: bool, by: str | None, reason: str,
            package: Path | None) -> None:
    """Merge two extractions and the adjudicator's decisions into the consensus.

    Agreed values are kept, conflicts take the decided value (a, b or other), rows of a study only one
    reviewer extracted are carried over; each decision is appended to the audit log (decisions.csv). With one
    reviewer (no REVIEWER_B, no --decisions), their submission becomes the consensus for the studies it holds,
    each value logged as a single-extraction decision. A consensus table edited by hand since reconcile wrote it
    is refused, listing the cells, unless --adopt-edits records the edits as decisions. The files change
    together or not at all; a run that was killed is finished or rolled back by the next one.
    Exit codes: 0 written, 1 the decisions file is incomplete, invalid or out of date, or the consensus was
    edited (nothing written), 2 usage error, unreadable input or another reconcile running.

    \b
    Examples:
      cmokit reconcile alice bob --decisions conflicts.csv
      cmokit reconcile alice bob --decisions conflicts.csv -o /tmp/consensus-draft
      cmokit reconcile alice bob --decisions conflicts.csv --adopt-edits --by carol --reason "Table 2 wording"
      cmokit reconcile alice --by carol --reason "one reviewer for the pilot studies"
    """
    from cmokit.core.errors import CmokitError
    from cmokit.extraction.reconcile import reconcile

    if output is not None and out is not None and output != out:
        raise CmokitError("give the output folder once: -o/--output (--out is its old name).", rule="usage")
    result = reconcile(open_review(review, package), reviewer_a, reviewer_b, decisions, out=output or out,
                       adopt_edits=adopt_edits, by=by, reason=reason)
    for note in result.notes:
        click.echo(f"Warning: {note}", err=True)
    for path in result.written:
        click.echo(f"Wrote {path}")
    for path in result.unchanged:
        click.echo(f"Unchanged {path}")
    what = (f"single extraction by {reviewer_a}" if result.single else f"{result.decisions} decision(s) applied")
    hashes = f", {result.hashed} file hash(es) recorded" if result.hashed else ""
    click.echo(f"{what}, {result.logged} new audit-log entr{'y' if result.logged == 1 else 'ies'}{hashes}; rows: "
               + ", ".join(f"{t} {n}" for t, n in result.rows.items()))
    if result.adopted:
        click.echo(f"{len(result.adopted)} hand edit(s) recorded as decisions by {by}:")
        for e in result.adopted[:20]:
            click.echo(f"  {e.table}: {e.key} {e.field}: {e.edited!r} (reconcile had {e.reconciled!r})")
    for e in result.stale_edits:
        click.echo(f"Note: the adopted edit of {e['table']} {e['key']} {e['field']} (entry {e['entry']}) no longer "
                   f"applies: reconcile writes another value there now.", err=True)
    if result.carried and not result.single:
        click.echo(f"{len(result.carried)} row(s) only one reviewer extracted were carried over:")
        for table, key, who in result.carried[:20]:
            click.echo(f"  {table}: {key} (only {who})")
        if len(result.carried) > 20:
            click.echo(f"  … and {len(result.carried) - 20} more")
