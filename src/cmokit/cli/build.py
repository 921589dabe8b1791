"""``cmokit build``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli import handle_errors

MAX_LISTED = 50


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--db", type=click.Path(path_type=Path), default=None,
              help="Database file to write (default: .cmokit/review.duckdb inside the review, git-ignored).")
@click.option("--force", is_flag=True,
              help="Build even if validation finds errors (recorded in the database's build_metadata).")
@handle_errors
def command(path: Path | None, db: Path | None, force: bool) -> None:
    """Validate the review and build its DuckDB database.

    PATH is a review folder or its datapackage.json (default: the current folder). An invalid review is refused
    (exit 1, errors listed) unless --force. The file is replaced atomically; query it with `cmokit query`.
    """
    from cmokit.build import BuildRefused, build

    try:
        result = build(path, db, force=force)
    except BuildRefused as exc:
        _list_problems(exc.report.errors)
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    where = _shown(result.db_path)
    rows = ", ".join(f"{name} {n:,}" for name, n in result.tables.items())
    click.echo(f"Built {where} from {result.package} {result.version} in {result.seconds:.1f} s "
               f"(validation {result.validation_seconds:.1f} s).")
    click.echo(f"  tables: {rows}")
    click.echo(f"  views: {', '.join(result.views)}")
    click.echo(f"  missing values kept in missing_cells: {result.missing_cells:,}")
    if result.forced and not result.valid:
        _list_problems(result.errors)
        click.echo(f"  FORCED over {len(result.errors)} validation error(s): recorded in build_metadata and "
                   f"validation_problems; {result.invalid_cells:,} invalid cell(s) are NULL (text kept in "
                   "missing_cells); no keys or checks declared.", err=True)
    warnings = len(result.problems) - len(result.errors)
    if warnings:
        click.echo(f"  {warnings} validation warning(s) (see `cmokit validate`).")
    click.echo('Next: cmokit query --list, or cmokit query "SELECT * FROM study_overview".')


def _shown(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _list_problems(problems: list) -> None:
    for p in problems[:MAX_LISTED]:
        where = ":".join(str(x) for x in (p.path, p.line) if x is not None) or "(review)"
        cell = f" {p.field}={p.value!r}" if p.field and p.value is not None else (f" {p.field}" if p.field else "")
        click.echo(f"{where}:{cell} [{p.rule}] {p.message}", err=True)
    if len(problems) > MAX_LISTED:
        click.echo(f"... and {len(problems) - MAX_LISTED} more (run `cmokit validate` for all).", err=True)
