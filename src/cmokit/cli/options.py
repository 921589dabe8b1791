"""What every command shares: the review option, the format and output options, and error handling.

The same words mean the same thing on every command: ``-C DIR`` / ``--review DIR`` / ``-r DIR`` names the review
(found from the current folder upwards otherwise, as git finds a repository), ``-f/--format`` chooses the output
format, ``-o/--output`` where it goes, ``--db`` the database file. ``--reviewer`` never has a short form.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cmokit import __version__
from cmokit.core.errors import CmokitError

if TYPE_CHECKING:
    from cmokit.package.model import Review

REPORT_URL = "https://github.com/cmokit/cmokit/issues"
REVIEW_HELP = ("The review folder (or its datapackage.json). Default: the folder holding datapackage.json, found "
               "from the current folder upwards, as git finds a repository.")


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn CmokitError into a clean message and exit code; never show a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CmokitError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # the reader went away (e.g. `cmokit query --list | head`): stop quietly, like other Unix tools
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - last line of defence for users
            click.echo(
                f"Internal error in cmokit {__version__}: {type(exc).__name__}: {exc}. "
                f"This is a bug; please report it with the command you ran at {REPORT_URL}",
                err=True,
            )
            sys.exit(3)

    return wrapper


def review_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-C DIR`` / ``--review DIR`` / ``-r DIR``: the review folder (the same option on every command)."""
    return click.option("-C", "--review", "-r", "review", type=click.Path(path_type=Path), default=None,
                        metavar="DIR", help=REVIEW_HELP)(func)


def legacy_path_argument(func: Callable[..., Any]) -> Callable[..., Any]:
    """The old positional PATH of validate, build, dictionary and plot: still accepted, deprecated."""
    return click.argument("path", required=False, type=click.Path(path_type=Path),
                          deprecated="name the review with -C PATH instead")(func)


def legacy_package_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The old ``--package PATH`` of template, compare and reconcile: still accepted, deprecated."""
    return click.option("--package", "package", type=click.Path(path_type=Path), default=None,
                        deprecated="use -C/--review instead",
                        help="The review folder or its datapackage.json (old name of -C/--review).")(func)


db_option = click.option(
    "--db", type=click.Path(path_type=Path), default=None,
    help="Database file (default: .cmokit/review.duckdb inside the review).")


def format_option(choices: tuple[str, ...] | list[str], default: str, help: str) -> Callable[..., Any]:
    """``-f/--format``, with the command's own choices."""
    return click.option("--format", "-f", "fmt", type=click.Choice(list(choices)), default=default,
                        show_default=True, help=help)


def output_option(help: str, *, required: bool = False, dash: bool = False) -> Callable[..., Any]:
    """``-o/--output``: where the command writes (a file or a folder, as the command says)."""
    # no explicit default: click 8.5 counts an explicit default=None as a value, so `required` would never fail
    return click.option("--output", "-o", "output", required=required,
                        type=click.Path(path_type=Path, allow_dash=dash), help=help)


def named_review(review: Path | None, legacy: Path | None = None) -> Path | None:
    """The review the user named: ``-C``, the old positional PATH or ``--package``, or ``cmokit -C DIR`` (top level).

    Naming it twice in different ways is a usage error (exit 2).
    """
    given = [p for p in (review, legacy) if p is not None]
    if len(given) == 2 and Path(given[0]).resolve() != Path(given[1]).resolve():
        raise CmokitError(f"the review is named twice ({given[0]} with -C/--review and {given[1]} with the old "
                          "PATH/--package form); name it once, with -C DIR.", rule="usage")
    if given:
        return given[0]
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and ctx.obj.get("review") is not None:
            return ctx.obj["review"]
        ctx = ctx.parent
    return None


def open_review(review: Path | None, legacy: Path | None = None) -> Review:
    """Open the review named by the options (or found from the current folder); CmokitError (exit 2) with a fix."""
    from cmokit.package.model import Review

    path = named_review(review, legacy)
    try:
        return Review.open(path)
    except CmokitError as exc:
        if exc.rule == "descriptor.missing" and path is not None and not Path(path).exists():
            exc.message += (f" Note: -r/-C/--review name the review folder; for a reviewer's submission write "
                            f"--reviewer {path}.")
        raise
