"""``cmokit query``."""

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

FORMATS = ("table", "csv", "json", "markdown")  # cmokit.presentation.tabular.FORMATS (kept here: --help stays light)
SUFFIXES = {".csv": "csv", ".json": "json", ".md": "markdown", ".txt": "table"}


@click.command()
@click.argument("sql", required=False)
@click.option("--name", "-n", "name", default=None, help="Run the named query queries/NAME.sql instead of SQL.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the named query (repeatable); bound safely, never pasted into the SQL.")
@click.option("--list", "list_", is_flag=True, help="List the named queries with their questions and parameters.")
@format_option(FORMATS, "table", "Output: aligned text, CSV, JSON (an array of row objects) or a Markdown table. "
                                 "With -o and no -f, taken from the file's suffix (.csv, .json, .md, .txt).")
@output_option("Write the result to this file (replaced atomically) instead of standard output.")
@review_option
@db_option
@click.option("--no-rebuild", is_flag=True, help="Do not rebuild when source files changed since the last build.")
@click.option("--timeout", type=float, default=60.0, show_default=True, metavar="SECONDS",
              help="Stop the query after this many seconds (exit 2).")
@click.option("--memory-limit", "memory_limit", default="2GB", show_default=True, metavar="SIZE",
              help="The most memory DuckDB may use for the query, e.g. 500MB or 4GB (exit 2 when exceeded).")
@untrusted_option
@click.pass_context
@handle_errors
def command(ctx: click.Context, sql: str | None, name: str | None, params: tuple[str, ...], list_: bool, fmt: str,
            output: Path | None, review: Path | None, db: Path | None, no_rebuild: bool, timeout: float,
            memory_limit: str, untrusted: bool) -> None:
    """Run SQL or a named query against the review's database (read-only).

    The database is (re)built first when it is missing or a source file changed (with --untrusted, without the
    review's own rules). Queries run in a sandbox: no file or network access, no ATTACH, COPY, INSTALL/LOAD or
    settings changes, at most --timeout seconds and --memory-limit of memory on two threads; rows are written as
    they arrive, so a result of any size fits. A SQL error or an exceeded limit is reported on one line (exit 2);
    Ctrl-C stops the query (exit 130).

    \b
    Examples:
      cmokit query "SELECT count(*) FROM studies"
      cmokit query --name evidence_for_theory --param theory=THEORY_ID --format markdown
      cmokit query --name theory_lineage -o lineage.csv
      cmokit query --list
      cmokit query "SELECT * FROM cmo" --timeout 10 --memory-limit 500MB -o cmo.csv
    """
    import sys

    from cmokit.cli.stream import write_rows
    from cmokit.core.errors import CmokitError
    from cmokit.synthesis.build import ensure_database
    from cmokit.synthesis.database import Limits
    from cmokit.synthesis.query import QueryStream, list_named, load_named, named_stream, parse_param_options

    rv = open_review(review)
    if list_:
        if sql or name:
            raise CmokitError("--list takes no SQL and no --name.", rule="usage")
        for nq in list_named(rv):
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
    if output is not None and ctx.get_parameter_source("fmt") == click.core.ParameterSource.DEFAULT:
        fmt = SUFFIXES.get(output.suffix.lower(), fmt)
    limits = Limits(timeout=timeout, memory=memory_limit).check()
    nq = load_named(rv, name) if name is not None else None
    given = parse_param_options(params)
    db_path = ensure_database(rv, db, rebuild=not no_rebuild, notify=lambda m: click.echo(m, err=True),
                              trusted=not untrusted)
    stream = named_stream(db_path, nq, given, limits=limits) if nq is not None else \
        QueryStream(db_path, sql, limits=limits)
    if output is None:
        with stream as q:
            write_rows(sys.stdout, fmt, q.columns, q.batches())
        return
    from cmokit.core.atomic import atomic_open

    with stream as q, atomic_open(output, "w") as fh:  # a failed query leaves no partial file
        n = write_rows(fh, fmt, q.columns, q.batches())
    click.echo(f"Wrote {n} row(s) to {output}", err=True)
