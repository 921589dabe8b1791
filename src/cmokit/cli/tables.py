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
@click.option("--band", "-b", default=None,
              help="One group's table (a code of the grouping field, e.g. an age band); default every group.")
@click.option("--theories", is_flag=True,
              help="The theory table instead: per theory its statement, status, the studies that support, refute, "
                   "refine or illustrate it (with reference numbers) and the rigour of the evidence.")
@format_option(("markdown", "csv", "xlsx"), "markdown",
               "Markdown (paragraphs joined by <br>), CSV (paragraphs on separate lines in a quoted cell) or "
               "xlsx (an Excel workbook, one sheet per table; needs --output FILE.xlsx).")
@output_option("A file (path with a suffix: all tables in one Markdown file or Excel workbook, or one band's "
               "CSV) or a folder (one file per table: table-<n>-<band>.md|csv). Default: standard output.")
@review_option
@db_option
@untrusted_option
@handle_errors
def command(band: str | None, theories: bool, fmt: str, output: Path | None, review: Path | None,
            db: Path | None, untrusted: bool) -> None:
    """Write the review's evidence tables (Tables 1-3), or its theory table, as Markdown, CSV or Excel.

    One table per group of studies (e.g. age band; one table when the review does not group its studies), from the
    database; for the bundled review the paper's Tables 1-3, as it prints them.

    Columns: Study ID, then the configuration's text fields by realist role (intervention, context, mechanism,
    outcome), headed by their titles. Grouping, titles, columns and row order come from the "tables" entry of the
    package's "cmokit" section (docs/synthesis.md). With --theories, one row per theory: its statement, kind and
    status, the supporting, refuting, refining and illustrating studies, and the rigour of the evidence. The
    database is rebuilt first if stale.

    \b
    Examples:
      cmokit tables                        # Markdown to standard output
      cmokit tables --band GROUP -f csv
      cmokit tables -f xlsx -o tables.xlsx
      cmokit tables --theories -f csv -o theories.csv
    """
    from cmokit.core.errors import CmokitError
    from cmokit.presentation.tables import check_xlsx_output, to_csv, to_markdown, write_tables
    from cmokit.synthesis.build import ensure_database
    from cmokit.synthesis.tables import paper_tables, theory_table

    if theories and band is not None:
        raise CmokitError("--band chooses one of Tables 1-3; the theory table (--theories) covers every band.",
                          rule="usage")
    if fmt == "xlsx":
        check_xlsx_output(output)  # before the database is (re)built: a refused command writes nothing
    rv = open_review(review)
    db_path = ensure_database(rv, db, notify=lambda m: click.echo(m, err=True), trusted=not untrusted)
    tables = [theory_table(rv, db_path)] if theories else paper_tables(rv, db_path, band)
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
