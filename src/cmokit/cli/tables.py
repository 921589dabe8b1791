"""``cmokit tables``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import (
    db_option,
    format_option,
    handle_errors,
    open_review,
    output_option,
    review_option,
    untrusted_option,
)


@click.command()
@click.option("--band", "-b", default=None, help="One age band (e.g. adolescents); default every band.")
@format_option(("markdown", "csv", "xlsx"), "markdown",
               "Markdown (paragraphs joined by <br>), CSV (paragraphs on separate lines in a quoted cell) or "
               "xlsx (an Excel workbook, one sheet per table; needs --output FILE.xlsx).")
@output_option("A file (path with a suffix: all tables in one Markdown file or Excel workbook, or one band's "
               "CSV) or a folder (one file per table: table-<n>-<band>.md|csv). Default: standard output.")
@review_option
@db_option
@untrusted_option
@handle_errors
def command(band: str | None, fmt: str, output: Path | None, review: Path | None, db: Path | None,
            untrusted: bool) -> None:
    """Write the review's evidence tables (Tables 1-3) as Markdown, CSV or Excel.

    One table per age band, from the database, as the paper prints them.

    Columns: Study ID, Intervention components, Context, Mechanisms for improved child mental health, Social
    support outcomes, Child outcomes; rows in the paper's order. The database is rebuilt first if stale.

    \b
    Examples:
      cmokit tables                        # Markdown to standard output
      cmokit tables --band children -f csv
      cmokit tables -f xlsx -o tables.xlsx
    """
    from cmokit.core.errors import CmokitError
    from cmokit.presentation.tables import check_xlsx_output, to_csv, to_markdown, write_tables
    from cmokit.synthesis.build import ensure_database
    from cmokit.synthesis.tables import paper_tables

    if fmt == "xlsx":
        check_xlsx_output(output)  # before the database is (re)built: a refused command writes nothing
    rv = open_review(review)
    db_path = ensure_database(rv, db, notify=lambda m: click.echo(m, err=True),
                              trusted=not untrusted)
    tables = paper_tables(rv, db_path, band)
    if output is None:
        if fmt == "csv":
            if len(tables) != 1:
                raise CmokitError("CSV holds one table: give --band, or --output FOLDER for one file per table.",
                                  rule="usage")
            click.echo(to_csv(tables[0]), nl=False)
        else:
            click.echo(to_markdown(tables), nl=False)
        return
    for path in write_tables(tables, fmt, output):
        click.echo(f"Wrote {path}")
