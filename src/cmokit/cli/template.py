"""``cmokit template``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import format_option, handle_errors, legacy_package_option, open_review, review_option


@click.command()
@review_option
@click.option("--reviewer", "reviewer", required=True, help="Reviewer id (lower-case letters, digits, '-', '_').")
@click.option("--folder", "folder", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: extract/reviewers/<reviewer>/ in the review).")
@format_option(("csv", "xlsx"), "csv",
               "csv: one header-only CSV per table and CODES.md; xlsx: one Excel workbook <reviewer>.xlsx, a sheet "
               "per table with dropdowns for codes, checks for numbers and dates, and a README sheet.")
@legacy_package_option
@handle_errors
def command(review: Path | None, reviewer: str, folder: Path | None, fmt: str, package: Path | None) -> None:
    """Write blank extraction forms for a reviewer: CSV files, or one Excel workbook.

    The headers come from the Table Schemas, the codes (guide CODES.md, or the workbook's dropdowns and README
    sheet) from the codebook. A submission folder may hold CSV files or a workbook, not both for one table.

    Existing files are never overwritten (exit 2, nothing written).

    \b
    Examples:
      cmokit template --reviewer alice     # extract/reviewers/alice/<table>.csv + CODES.md
      cmokit template --reviewer alice -f xlsx   # extract/reviewers/alice/alice.xlsx
      cmokit template --reviewer bob --folder ~/extraction/bob
    """
    rv = open_review(review, package)
    if fmt == "xlsx":
        from cmokit.presentation.forms import write_form

        click.echo(f"Wrote {write_form(rv, reviewer, folder)} (a README sheet, then one sheet per table)")
        return
    from cmokit.extraction.template import write_template

    for p in write_template(rv, reviewer, folder):
        click.echo(f"Wrote {p}")
