"""``cmokit export``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli import db_option, handle_errors, review_option


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--format", "-f", "fmt", type=click.Choice(["parquet", "csv", "xlsx"]), default="parquet",
              show_default=True,
              help="Parquet (typed), CSV (lists as '; '-separated codes, booleans yes/no, NULL empty) or xlsx (one "
                   "Excel workbook DIRECTORY/<package name>.xlsx: a README sheet, then a sheet per table; a cell "
                   "missing with a code shows NR or NA).")
@review_option
@db_option
@handle_errors
def command(directory: Path, fmt: str, review_path: Path | None, db: Path | None) -> None:
    """Export every table of the database to DIRECTORY as Parquet or CSV (one file per table), or as the sheets of
    one Excel workbook (xlsx).

    Includes cmokit's tables (build_metadata, source_files, validation_problems) and the missing-value shadow
    tables (missing.<resource>). The database is rebuilt first if stale.
    """
    from cmokit.export import export
    from cmokit.query import ensure_database
    from cmokit.review import Review

    review = Review.open(review_path)
    db_path = ensure_database(review, db, notify=lambda m: click.echo(m, err=True))
    files = export(db_path, directory, fmt)
    if fmt == "xlsx":
        click.echo(f"Wrote {files[0]} (a README sheet, then one sheet per table)")
        return
    click.echo(f"Wrote {len(files)} {fmt} files to {directory}: " + ", ".join(p.name for p in files))
