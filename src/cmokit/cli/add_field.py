"""``cmokit add-field``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import handle_errors, open_review, review_option
from cmokit.package.spec import TYPES


@click.command()
@click.argument("table")
@click.argument("name")
@review_option
@click.option("--type", "field_type", required=True, type=click.Choice(list(TYPES)),
              help="The Table Schema type of the field (string, integer, number, boolean, date, ...).")
@click.option("--codes", default=None, help="The field's codes, separated by commas (e.g. school,clinic,home): a "
                                            "coded field, with a row per code in the codebook.")
@click.option("--multiple", is_flag=True, help="Several codes in one cell, separated by '; ' (with --codes).")
@click.option("--role", default=None,
              help="For a field of a configuration table (cmo): its realist role (intervention, context, mechanism, "
                   "outcome, resource, other; required there). For studies: what the field is to the engine "
                   "(label, reference, grouping, inclusion, intervention).")
@click.option("--title", default=None, help="A heading for tables and forms (default: the name).")
@click.option("--description", default=None, help="What the field holds and how to fill it.")
@click.option("--fill", default="", help="The value every existing row gets (default: empty, 'not yet extracted'; "
                                         "e.g. NR or NA, or a code).")
@handle_errors
def command(table: str, name: str, review: Path | None, field_type: str, codes: str | None, multiple: bool,
            role: str | None, title: str | None, description: str | None, fill: str) -> None:
    """Add a field to a table: the schema, the codebook and every CSV header, at once.

    The field goes at the end of TABLE's Table Schema (schema/TABLE.schema.json); with --codes, its codes go into
    the codebook (schema/codebook.csv, each with a placeholder definition to edit); the consensus CSV and every
    reviewer's CSV under extract/reviewers/ get the column, each existing row the --fill value. All files change
    together or none does. Reviewers' Excel workbooks are not rewritten: they are listed, with the column to add.

    A name that exists, an unknown type, bad codes or a missing --role: exit 2, nothing written.

    \b
    Examples:
      cmokit add-field studies setting --type string --codes school,clinic,community --fill NR
      cmokit add-field cmo resources --type string --role mechanism --title "Resources offered"
      cmokit add-field studies follow_up_months --type integer --description "Months from baseline to follow-up."
    """
    from cmokit.package.edit import add_field

    rv = open_review(review)
    result = add_field(rv, table, name, type=field_type, codes=codes, multiple=multiple, role=role, title=title,
                       description=description, fill=fill)
    click.echo(f"Added field {table}.{name} ({field_type}{', codes ' + codes if codes else ''}):")
    for p in result.files:
        click.echo(f"  wrote {_shown(p, rv.root)}")
    for book, sheet in result.workbooks:
        click.echo(f"  not changed: {_shown(book, rv.root)} (a workbook): its reviewer adds a column '{name}' to "
                   f"sheet '{sheet}', or writes a new form with cmokit template.")
    if codes:
        click.echo("Next: define the new codes in schema/codebook.csv (label and definition), then cmokit validate.")


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
