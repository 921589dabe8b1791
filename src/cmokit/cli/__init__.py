"""The ``cmokit`` command: a thin click layer over the library.

Commands are imported only when run, so ``cmokit --help`` stays fast; heavy libraries
(polars, duckdb, pandera) are imported inside the library functions that need them.
Options shared by every command (review, format, output, database, error handling) are in :mod:`.options`.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from pathlib import Path

import click

from cmokit import __version__
from cmokit.cli.options import REVIEW_HELP

# command name -> module under cmokit.cli, in the order of the workflow. A command's one-line help in
# `cmokit --help` is the first line of its own docstring (one source: the listing cannot drift from the command).
COMMANDS: dict[str, str] = {name: name.replace("-", "_") for name in (
    "init", "add-field", "add-code", "template", "validate", "compare", "reconcile", "build", "query", "tables",
    "export", "plot", "report", "dictionary")}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, and which suggests the nearest name for a typo."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"cmokit.cli.{COMMANDS[name]}")
        return module.command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                             list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            near = get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            hint = f" Did you mean '{near[0]}'?" if near else " Run `cmokit --help` for the list of commands."
            ctx.fail(f"No such command '{name}'.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            rows.append((name, command.get_short_help_str(limit=200) if command else ""))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cmokit")
@click.option("-C", "--review", "-r", "review", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help=REVIEW_HELP + " The same as -C DIR after the command.")
@click.pass_context
def main(ctx: click.Context, review: Path | None) -> None:
    """cmokit: data extraction for realist reviews.

    A review is a folder: datapackage.json, schema/, extract/, validators/, queries/. Every command works on the
    review found from the current folder upwards (so also from inside extract/reviewers/<id>/), or on the one named
    with -C DIR. The workflow: init -> template -> validate -> compare -> reconcile -> build -> query / tables /
    export / plot / report; add-field and add-code change the form after piloting.

    Exit codes: 0 success, 1 invalid data or disagreement, 2 usage error or unreadable input.

    \b
    Examples:
      cmokit validate
      cmokit -C path/to/review build
      cmokit query --list
    """
    ctx.ensure_object(dict)
    ctx.obj["review"] = review
