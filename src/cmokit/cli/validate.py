"""``cmokit validate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli import handle_errors


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--reviewer", "-r", metavar="ID_OR_FOLDER", default=None,
              help="Validate a reviewer's submission instead of the consensus: a reviewer id "
                   "(extract/reviewers/ID/) or a folder of <table>.csv files.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="text for people, json for machines, github for GitHub Actions annotations.")
@click.option("--untrusted", is_flag=True,
              help="Do not run the review's Python rules (validators/): structure, types, constraints, keys and "
                   "codebook only. Use it for a folder you did not write.")
@handle_errors
def command(path: Path | None, reviewer: str | None, fmt: str, untrusted: bool) -> None:
    """Check a review, or a reviewer's submission, against its schemas and rules.

    PATH is a review folder or its datapackage.json (default: the current folder). Every problem is reported
    (file, CSV line, field, value, rule, fix). Exit 0 valid, 1 invalid, 2 unreadable input.
    """
    from cmokit.render import render
    from cmokit.validate import validate_review

    submission = None
    if reviewer is not None:
        submission = _reviewer_folder(path, reviewer)
    report = validate_review(path, submission=submission, trusted=not untrusted)
    click.echo(render(report, fmt), nl=False)
    sys.exit(report.exit_code)


def _reviewer_folder(path: Path | None, reviewer: str) -> Path:
    """An existing folder path as given, else <review>/extract/reviewers/<ID>/."""
    given = Path(reviewer)
    if given.is_dir():
        return given
    base = Path(path) if path is not None else Path.cwd()
    root = base if base.is_dir() or base.suffix != ".json" else base.parent
    return root / "extract" / "reviewers" / reviewer
