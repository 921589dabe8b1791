"""``cmokit build``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli.options import handle_errors, legacy_path_argument, named_review, review_option, untrusted_option


@click.command()
@legacy_path_argument
@review_option
@click.option("--db", type=click.Path(path_type=Path), default=None,
              help="Database file to write (default: .cmokit/review.duckdb inside the review, git-ignored).")
@click.option("--force", is_flag=True,
              help="Build even if validation finds errors (recorded in the database's build_metadata).")
@untrusted_option
@handle_errors
def command(path: Path | None, review: Path | None, db: Path | None, force: bool, untrusted: bool) -> None:
    """Validate the review and build its DuckDB database.

    An invalid review is refused (exit 1, errors listed) unless --force. The file is replaced atomically; query
    it with `cmokit query`. With --untrusted the review's own rules are not run (build_metadata.trusted records
    it).

    \b
    Examples:
      cmokit build
      cmokit build -C path/to/review --db /tmp/review.duckdb
      cmokit build --force                 # build over validation errors (recorded)
      cmokit build --untrusted             # a review you did not write: its validators/ are not run
    """
    from cmokit.synthesis.build import BuildRefused, build
    from cmokit.validation.render import MAX_LISTED, one_line

    try:
        result = build(named_review(review, path), db, force=force, trusted=not untrusted)
    except BuildRefused as exc:
        _list_problems(exc.report.errors, MAX_LISTED, one_line)
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
        _list_problems(result.errors, MAX_LISTED, one_line)
        click.echo(f"  FORCED over {len(result.errors)} validation error(s): recorded in build_metadata and "
                   f"validation_problems; {result.invalid_cells:,} invalid cell(s) are NULL (text kept in "
                   "missing_cells); no keys or checks declared.", err=True)
    for p in result.removed_temps:
        click.echo(f"  removed {p.name}, left by a build that was interrupted", err=True)
    if not result.trusted:
        click.echo("  untrusted: the review's own rules (validators/) were not run (build_metadata.trusted = "
                   "false).", err=True)
    warnings = len(result.problems) - len(result.errors)
    if warnings:
        click.echo(f"  {warnings} validation warning(s) (see `cmokit validate`).")
    click.echo('Next: cmokit query --list, or cmokit query "SELECT * FROM study_overview".')


def _shown(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _list_problems(problems: list, limit: int, one_line) -> None:
    for p in problems[:limit]:
        click.echo(one_line(p), err=True)
    if len(problems) > limit:
        click.echo(f"... and {len(problems) - limit} more (run `cmokit validate` for all).", err=True)
