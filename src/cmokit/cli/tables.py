"""``cmokit tables``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli import db_option, handle_errors, review_option


@click.command()
@click.option("--band", "-b", default=None, help="One age band (e.g. adolescents); default every band.")
@click.option("--format", "-f", "fmt", type=click.Choice(["markdown", "csv", "xlsx"]), default="markdown",
              show_default=True,
              help="Markdown (paragraphs joined by <br>), CSV (paragraphs on separate lines in a quoted cell) or "
                   "xlsx (an Excel workbook, one sheet per table; needs --output FILE.xlsx).")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="A file (path with a suffix: all tables in one Markdown file or Excel workbook, or one band's "
                   "CSV) or a folder (one file per table: table-<n>-<band>.md|csv). Default: standard output.")
@review_option
@db_option
@handle_errors
def command(band: str | None, fmt: str, output: Path | None, review_path: Path | None, db: Path | None) -> None:
    """Regenerate the review's Tables 1-3 (one per age band) from the database.

    Columns: Study ID, Intervention components, Context, Mechanisms for improved child mental health, Social
    support outcomes, Child outcomes; rows in the paper's order. The database is rebuilt first if stale.
    """
    from cmokit.errors import CmokitError
    from cmokit.query import ensure_database
    from cmokit.review import Review
    from cmokit.tables import check_xlsx_output, paper_tables, to_csv, to_markdown, write_tables

    if fmt == "xlsx":
        check_xlsx_output(output)  # before the database is (re)built: a refused command writes nothing
    review = Review.open(review_path)
    db_path = ensure_database(review, db, notify=lambda m: click.echo(m, err=True))
    tables = paper_tables(review, db_path, band)
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
