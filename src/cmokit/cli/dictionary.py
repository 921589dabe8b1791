"""``cmokit dictionary``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli import handle_errors


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: docs/data-dictionary.md in the review; '-' for standard output).")
@click.option("--check", is_flag=True, help="Do not write; exit 1 if the file is out of date.")
@handle_errors
def command(path: Path | None, output: Path | None, check: bool) -> None:
    """Generate the data dictionary from the review's schemas and codebook.

    PATH is a review folder or its datapackage.json (default: the current folder).
    """
    from cmokit.atomic import write_text
    from cmokit.dictionary import render
    from cmokit.review import Review

    review = Review.open(path)
    text = render(review)
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output or review.root / "docs" / "data-dictionary.md"
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            click.echo(f"{target}: out of date. Run `cmokit dictionary` and commit the result.", err=True)
            sys.exit(1)
        click.echo(f"{target}: up to date.")
        return
    write_text(target, text)
    click.echo(f"Wrote {target}")
