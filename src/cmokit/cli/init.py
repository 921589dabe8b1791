"""``cmokit init``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmokit.cli.options import handle_errors, named_review


def interactive() -> bool:
    """True when a person is at the terminal (then the missing title, name, author and licence are asked for)."""
    return sys.stdin.isatty()


@click.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("-C", "--review", "-r", "review", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Run as if started in DIR (as git -C does): the review is written there, or into FOLDER "
                   "relative to it.")
@click.option("--title", default=None, help="The review's title (asked for when run in a terminal; default: the "
                                             "folder's name).")
@click.option("--name", default=None, help="The package name: lower-case letters, digits, '.', '_', '-' "
                                           "(default: made from the folder's name).")
@click.option("--author", "authors", multiple=True,
              help="A contributor, e.g. 'Ada Lovelace <ada@example.org>' (repeat for several).")
@click.option("--licence", "--license", "licence", default=None,
              help="The data's licence, an SPDX id (default CC-BY-4.0; CC0-1.0, ODC-BY-1.0...).")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty (no file is ever overwritten).")
@handle_errors
def command(folder: Path | None, review: Path | None, title: str | None, name: str | None, authors: tuple[str, ...],
            licence: str | None, force: bool) -> None:
    """Start a new review: a complete, valid, empty realist review in FOLDER (default: the current folder).

    Writes datapackage.json, the Table Schemas of the realist layer (studies, cmo with roles and provenance,
    measures, resource_inputs, appraisal with MMAT 2018, theories, evidence, decisions, prisma) and the codebook,
    empty consensus CSVs, generic validators, starter named queries, a README for the review team, .gitignore and
    a CI workflow (.github/workflows/validate.yml). `cmokit validate` and `cmokit build` pass at once.

    FOLDER must be empty or new (or give --force); no file is ever overwritten (exit 2, nothing written). In a
    terminal, the title, name, author and licence not given as options are asked for.

    \b
    Examples:
      cmokit init my-review --title "Mentoring and young people's wellbeing: a realist review"
      cmokit init --title "School-based peer support" --author "Ada Lovelace <ada@example.org>"
      cmokit init my-review --name mentoring-review --licence CC0-1.0
    """
    from cmokit.package.create import DEFAULT_LICENCE, init_review, slug

    base = named_review(review)
    target = (Path(base) / folder if base is not None else folder) if folder is not None else Path(base or ".")
    shown = target.resolve().name
    if interactive() and title is None:
        title = click.prompt("Title of the review", default=shown)
        name = name or click.prompt("Package name", default=slug(shown))
        if not authors:
            author = click.prompt("Author (Name <e-mail>, empty for none)", default="", show_default=False)
            authors = (author,) if author.strip() else ()
        licence = licence or click.prompt("Licence of the data (SPDX id)", default=DEFAULT_LICENCE)
    result = init_review(target, title=title or shown, name=name, licence=licence or DEFAULT_LICENCE,
                         authors=list(authors), force=force)
    click.echo(f"Wrote a new review in {result.root} ({len(result.files)} files): datapackage.json, schema/, "
               "extract/consensus/, validators/, queries/, README.md, .gitignore, .github/workflows/validate.yml")
    where = "" if target.resolve() == Path.cwd().resolve() else f"cd {target} && "
    click.echo(f"Next: {where}cmokit validate, then cmokit template --reviewer ID for each reviewer "
               "(README.md says how the team works).")
