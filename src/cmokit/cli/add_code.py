"""``cmokit add-code``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import handle_errors, open_review, review_option


@click.command()
@click.argument("table")
@click.argument("field")
@click.argument("code")
@review_option
@click.option("--label", required=True, help="A short label for the code (shown in forms, plots and tables).")
@click.option("--definition", required=True, help="What the code means and when to use it.")
@handle_errors
def command(table: str, field: str, code: str, review: Path | None, label: str, definition: str) -> None:
    """Add a code to a coded field: the schema's codes and the codebook, at once.

    The code goes into the field's enum (or the pattern of a multi-code field) in schema/TABLE.schema.json and,
    with its label and definition, into schema/codebook.csv after the field's other codes. Both files change
    together or neither does. A code that exists or a field without codes: exit 2, nothing written.

    \b
    Examples:
      cmokit add-code theories source team_workshop --label "Team workshop" --definition "Proposed at a workshop."
      cmokit add-code evidence judgement qualifies --label Qualifies --definition "Narrows where the theory holds."
    """
    from cmokit.package.edit import add_code

    rv = open_review(review)
    result = add_code(rv, table, field, code, label=label, definition=definition)
    click.echo(f"Added code '{code}' to {table}.{field}:")
    for p in result.files:
        click.echo(f"  wrote {p.relative_to(rv.root).as_posix() if p.is_relative_to(rv.root) else p}")
