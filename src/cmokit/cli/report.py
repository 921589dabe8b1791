"""``cmokit report``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli.options import db_option, handle_errors, open_review, output_option, review_option, untrusted_option


@click.command()
@output_option("The HTML file to write (replaced atomically), or '-' for standard output. Default: "
               "report/index.html inside the review (git-ignored).", dash=True)
@review_option
@db_option
@click.option("--force", is_flag=True,
              help="Build the database even if validation finds errors; the report then says FORCED.")
@click.option("--max-rows", type=click.IntRange(min=1), default=500, show_default=True,
              help="Most rows shown per table (and per traffic-light plot); longer ones are cut, with their count.")
@untrusted_option
@handle_errors
def command(output: Path | None, review: Path | None, db: Path | None, force: bool, max_rows: int,
            untrusted: bool) -> None:
    """Write the review report: one self-contained HTML file.

    Sections: overview and build provenance, the PRISMA 2020 flow diagram (from the prisma table), the
    characteristics tables (sortable and filterable), the evidence map, effects grid and MMAT plots, programme
    theories (when the review has them), extraction agreement (from the last `cmokit compare` of each pair) and
    decisions, and data quality. The page makes no request of any kind and works without JavaScript; it prints on
    A4. The database is rebuilt first if stale; an invalid review is refused (exit 1, problems listed, nothing
    written) unless --force. SOURCE_DATE_EPOCH, when set, is the build time written in the report, so the same
    review gives the same bytes (e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) cmokit report).

    \b
    Examples:
      cmokit report
      cmokit report -o review-report.html
      cmokit report --max-rows 100 -o - > report.html
    """
    from cmokit.presentation.report import check_output, render, report_time, write_report
    from cmokit.synthesis.build import BuildRefused, ensure_database
    from cmokit.validation.render import MAX_LISTED, one_line

    rv = open_review(review)
    target = check_output(output, rv)  # refused before anything is built or written
    built_at = report_time()
    try:
        db_path = ensure_database(rv, db, notify=lambda m: click.echo(m, err=True), force=force,
                                  trusted=not untrusted)
    except BuildRefused as exc:
        for p in exc.report.errors[:MAX_LISTED]:
            click.echo(one_line(p), err=True)
        if len(exc.report.errors) > MAX_LISTED:
            click.echo(f"... and {len(exc.report.errors) - MAX_LISTED} more (run `cmokit validate` for all).",
                       err=True)
        click.echo(f"Error: {exc.message} No report was written.", err=True)
        sys.exit(exc.exit_code)
    report = render(rv, db_path, built_at=built_at, max_rows=max_rows)
    if target is None:
        click.echo(report.html, nl=False)
        return
    click.echo(f"Wrote {write_report(report, target)} ({len(report.html.encode('utf-8')):,} bytes; "
               f"{len(report.sections)} sections).")
