"""The ``cmokit`` command: a thin click layer over the library.

Commands are imported only when run, so ``cmokit --help`` stays fast; heavy libraries
(polars, duckdb, pandera, frictionless) are imported inside the library functions that need them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from cmokit import __version__
from cmokit.errors import CmokitError

# name -> (module under cmokit.cli, short help shown by `cmokit --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "Check a review (or a reviewer's submission) against its schemas and rules."),
    "dictionary": ("dictionary", "Write the data dictionary (docs/data-dictionary.md) from the schemas and codebook."),
    "template": ("template", "Write blank extraction forms for a reviewer."),
    "compare": ("compare", "Compare reviewers' extractions: agreement, kappa, conflicts."),
    "reconcile": ("reconcile", "Merge two extractions and adjudicated decisions into the consensus."),
    "build": ("build", "Validate the review and build its DuckDB database."),
    "query": ("query", "Run SQL or a named query against the review's database (read-only)."),
    "tables": ("tables", "Regenerate the review's Tables 1-3 from the database."),
    "export": ("export", "Export every table as Parquet or CSV."),
    "plot": ("plot", "Draw an evidence map, an effects grid or an MMAT traffic-light plot as SVG."),
}

REPORT_URL = "https://github.com/cmokit/cmokit/issues"


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _module_exists(name)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _module_exists(name):
            return None
        module = importlib.import_module(f"cmokit.cli.{COMMANDS[name][0]}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"cmokit.cli.{COMMANDS[name][0]}") is not None


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


review_option = click.option(
    "--review", "-r", "review_path", type=click.Path(path_type=Path), default=None,
    help="Review folder or datapackage.json (default: the current folder).")
db_option = click.option(
    "--db", type=click.Path(path_type=Path), default=None,
    help="Database file (default: .cmokit/review.duckdb inside the review).")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cmokit")
def main() -> None:
    """cmokit: data extraction for realist reviews.

    A review is a folder: datapackage.json, schema/, extract/, validators/, queries/.
    Every command works on the review in the current folder unless given another.
    Exit codes: 0 success, 1 invalid data or disagreement, 2 usage error or unreadable input.
    """
