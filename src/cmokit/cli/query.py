"""``cmokit query``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli import db_option, handle_errors, review_option
from cmokit.query import FORMATS


@click.command()
@click.argument("sql", required=False)
@click.option("--name", "-n", "name", default=None, help="Run the named query queries/NAME.sql instead of SQL.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the named query (repeatable); bound safely, never pasted into the SQL.")
@click.option("--list", "list_", is_flag=True, help="List the named queries with their questions and parameters.")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Output: aligned text, CSV, JSON (an array of row objects) or a Markdown table.")
@review_option
@db_option
@click.option("--no-rebuild", is_flag=True, help="Do not rebuild when source files changed since the last build.")
@handle_errors
def command(sql: str | None, name: str | None, params: tuple[str, ...], list_: bool, fmt: str,
            review_path: Path | None, db: Path | None, no_rebuild: bool) -> None:
    """Run SQL or a named query against the review's database, read-only.

    The database is (re)built first when it is missing or a source file changed. Queries run in a sandbox: no
    file or network access, no ATTACH, COPY, INSTALL/LOAD or settings changes. A SQL error is reported on one
    line with its position (exit 2).

    \b
    Examples:
      cmokit query "SELECT age_band, count(*) FROM studies GROUP BY ALL"
      cmokit query --name mechanisms_by_band --param band=adolescents --format markdown
      cmokit query --list
    """
    from cmokit.errors import CmokitError
    from cmokit.query import ensure_database, list_named, load_named, parse_param_options, render, run_named, run_sql
    from cmokit.review import Review

    review = Review.open(review_path)
    if list_:
        if sql or name:
            raise CmokitError("--list takes no SQL and no --name.", rule="usage")
        for nq in list_named(review):
            click.echo(f"{nq.name}: {nq.title}")
            click.echo(f"    {nq.question}")
            for p in nq.params:
                opt = "" if p.required else f" (optional, default {p.default})"
                click.echo(f"    --param {p.name}=...{opt}: {p.description}")
        return
    if (sql is None) == (name is None):
        raise CmokitError('give either SQL (cmokit query "SELECT ...") or --name NAME; see --list.', rule="usage")
    if params and name is None:
        raise CmokitError("--param goes with --name (a named query); put values straight into your own SQL.",
                          rule="usage")
    nq = load_named(review, name) if name is not None else None
    db_path = ensure_database(review, db, rebuild=not no_rebuild, notify=lambda m: click.echo(m, err=True))
    if nq is not None:
        result = run_named(db_path, nq, parse_param_options(params))
    else:
        result = run_sql(db_path, sql)
    click.echo(render(result, fmt), nl=False)
