"""``cmokit dictionary``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli.options import handle_errors, legacy_path_argument, open_review, output_option, review_option


@click.command()
@legacy_path_argument
@review_option
@output_option("Where to write (default: docs/data-dictionary.md in the review; '-' for standard output).",
               dash=True)
@click.option("--check", is_flag=True, help="Do not write; exit 1 if the file is out of date.")
@handle_errors
def command(path: Path | None, review: Path | None, output: Path | None, check: bool) -> None:
    """Write the data dictionary (docs/data-dictionary.md) from the schemas and codebook.

    \b
    Examples:
      cmokit dictionary                    # writes docs/data-dictionary.md
      cmokit dictionary --check            # in CI: exit 1 when the file is stale
      cmokit dictionary -o -               # to standard output
    """
    from cmokit.core.atomic import write_text
    from cmokit.presentation.dictionary import render

    rv = open_review(review, path)
    text = render(rv)
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output or rv.root / "docs" / "data-dictionary.md"
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            click.echo(f"{target}: out of date. Run `cmokit dictionary` and commit the result.", err=True)
            sys.exit(1)
        click.echo(f"{target}: up to date.")
        return
    write_text(target, text)
    click.echo(f"Wrote {target}")
