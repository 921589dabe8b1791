"""``cmokit validate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli.options import (
    format_option,
    handle_errors,
    legacy_path_argument,
    named_review,
    open_review,
    review_option,
    untrusted_option,
)


@click.command()
@legacy_path_argument
@review_option
@click.option("--reviewer", metavar="ID_OR_FOLDER", default=None,
              help="Validate a reviewer's submission instead of the consensus: a reviewer id "
                   "(extract/reviewers/ID/) or a folder of <table>.csv files.")
@format_option(("text", "json", "github"), "text", "text for people, json for machines, github for GitHub Actions "
                                                   "annotations.")
@untrusted_option
@handle_errors
def command(path: Path | None, review: Path | None, reviewer: str | None, fmt: str, untrusted: bool) -> None:
    """Check a review, or a reviewer's submission, against its schemas and rules.

    Every problem is reported (file, CSV line, field, value, rule, fix). Exit 0 valid, 1 invalid, 2 unreadable
    input.

    \b
    Examples:
      cmokit validate
      cmokit validate --reviewer alice
      cmokit validate -C path/to/review -f json
      cmokit validate -f github            # annotations on a pull request
    """
    from cmokit.validation.render import render
    from cmokit.validation.validate import validate_review

    if review is not None and not review.exists():
        open_review(review)  # says what -C names, and how to validate a reviewer's submission
    report = validate_review(named_review(review, path), submission=reviewer, trusted=not untrusted)
    click.echo(render(report, fmt), nl=False)
    sys.exit(report.exit_code)
