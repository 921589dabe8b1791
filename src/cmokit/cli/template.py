"""``cmokit template``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli import handle_errors


@click.command()
@click.option("--reviewer", "reviewer", required=True, help="Reviewer id (lower-case letters, digits, '-', '_').")
@click.option("--folder", "folder", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: extract/reviewers/<reviewer>/ in the review).")
@click.option("--package", "package", type=click.Path(path_type=Path), default=None,
              help="The review folder or its datapackage.json (default: the current folder).")
@handle_errors
def command(reviewer: str, folder: Path | None, package: Path | None) -> None:
    """Write blank extraction forms (one CSV per table, headers from the schemas) and a guide to the codes.

    Existing files are never overwritten (exit 2, nothing written).
    """
    from cmokit.review import Review
    from cmokit.template import write_template

    review = Review.open(package)
    for p in write_template(review, reviewer, folder):
        click.echo(f"Wrote {p}")
