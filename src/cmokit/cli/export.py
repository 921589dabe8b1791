"""``cmokit export``."""

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
@click.argument("directory", required=False, type=click.Path(path_type=Path),
                deprecated="give the folder with -o/--output DIR instead")
@output_option("The folder to write into (created if needed).")
@format_option(("parquet", "csv", "xlsx"), "parquet",
               "Parquet (typed), CSV (lists as '; '-separated codes, booleans yes/no, NR/NA as written, other NULL "
               "empty; cells are never escaped, a cell that a spreadsheet would run as a formula is noted) or "
               "xlsx (one Excel workbook DIR/<package name>.xlsx: a README sheet, then a sheet per table; a cell "
               "missing with a code shows NR or NA).")
@review_option
@db_option
@untrusted_option
@handle_errors
def command(directory: Path | None, output: Path | None, fmt: str, review: Path | None, db: Path | None,
            untrusted: bool) -> None:
    """Export every table of the database as Parquet, CSV or one Excel workbook.

    Parquet and CSV write one file per table; xlsx one workbook with a sheet per table.

    Includes cmokit's tables (build_metadata, source_files, validation_problems) and the missing-value shadow
    tables (missing.<resource>). The database is rebuilt first if stale.

    \b
    Examples:
      cmokit export -o out/                # Parquet, for R, pandas or Spark
      cmokit export -o out/ -f csv
      cmokit export -o out/ -f xlsx        # one workbook: out/<package name>.xlsx
    """
    from cmokit.core.errors import CmokitError
    from cmokit.synthesis.build import ensure_database

    if directory is not None and output is not None and directory != output:
        raise CmokitError("give the output folder once: -o/--output DIR (the positional DIRECTORY is its old form).",
                          rule="usage")
    target = output or directory
    if target is None:
        raise CmokitError("give the folder to write into: cmokit export -o DIR [-f parquet|csv|xlsx].", rule="usage")
    if target.exists() and not target.is_dir():
        raise CmokitError(f"{target}: is a file; export writes a folder of files (or, with -f xlsx, a workbook inside "
                          "a folder). Give a folder: cmokit export -o DIR.", rule="usage", path=str(target))
    rv = open_review(review)
    db_path = ensure_database(rv, db, notify=lambda m: click.echo(m, err=True),
                              trusted=not untrusted)
    if fmt == "xlsx":
        from cmokit.presentation.workbook import export_xlsx

        click.echo(f"Wrote {export_xlsx(db_path, target, rv)} (a README sheet, then one sheet per table)")
        return
    from cmokit.synthesis.export import export, formula_like_cells

    files = export(db_path, target, fmt)
    click.echo(f"Wrote {len(files)} {fmt} files to {target}: " + ", ".join(p.name for p in files))
    if fmt == "csv":
        risky = formula_like_cells(db_path)
        if risky:
            where = ", ".join(f"{t}.{c} ({n})" for t, c, n in risky[:10]) + (" ..." if len(risky) > 10 else "")
            click.echo(f"Note: {sum(n for _, _, n in risky)} text cell(s) start with =, +, -, @, a tab or a carriage "
                       f"return: {where}. They are written as they are; a spreadsheet opening the CSV may run them "
                       "as formulas. Import the CSV with its columns as text, or use -f xlsx (which never stores "
                       "formulas).", err=True)
