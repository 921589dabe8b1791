"""``cmokit template``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import handle_errors, legacy_package_option, open_review, review_option


@click.command()
@review_option
@click.option("--reviewer", "reviewer", required=True, help="Reviewer id (lower-case letters, digits, '-', '_').")
@click.option("--folder", "folder", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: extract/reviewers/<reviewer>/ in the review).")
@legacy_package_option
@handle_errors
def command(review: Path | None, reviewer: str, folder: Path | None, package: Path | None) -> None:
    """Write blank extraction forms for a reviewer: one CSV per table and a guide to the codes.

    The headers come from the Table Schemas, the guide (CODES.md) from the codebook.

    Existing files are never overwritten (exit 2, nothing written).

    \b
    Examples:
      cmokit template --reviewer alice     # extract/reviewers/alice/<table>.csv + CODES.md
      cmokit template --reviewer bob --folder ~/extraction/bob
    """
    from cmokit.extraction.template import write_template

    for p in write_template(open_review(review, package), reviewer, folder):
        click.echo(f"Wrote {p}")
