"""What every command shares: the review option, the format and output options, and error handling.

The same words mean the same thing on every command: ``-C DIR`` / ``--review DIR`` / ``-r DIR`` names the review
(found from the current folder upwards otherwise, as git finds a repository), ``-f/--format`` chooses the output
format, ``-o/--output`` where it goes, ``--db`` the database file, ``--untrusted`` (or ``CMOKIT_UNTRUSTED=1``) that
the review's own Python (``validators/``) is not run. ``--reviewer`` never has a short form.
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
UNTRUSTED_ENV = "CMOKIT_UNTRUSTED"
UNTRUSTED_HELP = ("Do not run the review's own Python rules (validators/): structure, types, constraints, keys and "
                  "codebook only. Use it for a folder you did not write. Also set by the environment variable "
                  f"{UNTRUSTED_ENV}=1.")
REVIEW_HELP = ("The review folder (or its datapackage.json). Default: the folder holding datapackage.json, found "
               "from the current folder upwards, as git finds a repository.")


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn CmokitError into a clean message and exit code; never show a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CmokitError as exc:
            report = getattr(exc, "report", None)
            if report is not None:  # a refused (re)build: the problems, as `cmokit validate` lists them
                from cmokit.validation.render import render

                click.echo(render(report, "text"), err=True, nl=False)
            click.echo(f"Error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            import signal

            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the exit into a traceback
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except ValueError as exc:
            if "null byte" not in str(exc):
                return _internal(exc)
            click.echo("Error: a path (in datapackage.json, a schema or on the command line) contains a NUL byte "
                       "(\\x00); no file can have such a name. Remove it from the path. [path.unsafe]", err=True)
            sys.exit(2)
        except BrokenPipeError:
            # the reader went away (e.g. `cmokit query --list | head`): stop quietly, like other Unix tools
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as exc:
            click.echo(f"Error: {_os_error_message(exc)}", err=True)
            sys.exit(2)
        except Exception as exc:  # noqa: BLE001 - last line of defence for users
            _internal(exc)

    return wrapper


def _os_error_message(exc: OSError) -> str:
    """A file-system refusal (mostly a bad -o/--output path) as one line: the path, what is wrong, what to do."""
    path = exc.filename2 if exc.filename2 is not None else exc.filename
    where = f"{path}: " if path is not None else ""
    if isinstance(exc, IsADirectoryError):
        what = "is a folder where a file is needed: give a file name (e.g. one inside that folder)"
    elif isinstance(exc, NotADirectoryError | FileExistsError):
        what = "is a file where a folder is needed: give a folder, or a path that does not exist yet"
    elif isinstance(exc, FileNotFoundError):
        what = "does not exist and cannot be created: give a path inside a folder that exists"
    elif isinstance(exc, PermissionError):
        what = "permission denied: give a path you can read and write"
    else:
        what = f"{exc.strerror or exc}: check the path and the disk"
    return f"{where}{what}. [file.io]"


def _internal(exc: BaseException) -> None:
    """An unexpected error: one line saying it is a bug and where to report it, exit 3."""
    text = " ".join(str(exc).split())
    click.echo(f"Internal error in cmokit {__version__}: {type(exc).__name__}: {text[:300]}. "
               f"This is a bug; please report it with the command you ran at {REPORT_URL}", err=True)
    sys.exit(3)


def untrusted_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--untrusted``: do not import the review's ``validators/`` (also ``CMOKIT_UNTRUSTED=1``)."""
    return click.option("--untrusted", is_flag=True, envvar=UNTRUSTED_ENV, help=UNTRUSTED_HELP)(func)


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
