"""``cmokit plot``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli import db_option, handle_errors

KINDS = ("evidence-map", "effects", "appraisal")  # cmokit.plot.KINDS (repeated here to keep `--help` light)


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path, allow_dash=True),
              help="The SVG file to write (FILE.svg, replaced atomically), or '-' for standard output.")
@click.option("--band", "-b", default=None,
              help="One age band (e.g. adolescents); for effects and appraisal. Default: every band.")
@db_option
@handle_errors
def command(kind: str, path: Path | None, output: Path, band: str | None, db: Path | None) -> None:
    """Draw an evidence map, an effects grid or an MMAT traffic-light plot as SVG.

    KIND is evidence-map (studies by intervention type and age band), effects (CMO configurations by effect on
    social support and on the child) or appraisal (MMAT 2018 answers per study, robvis style). PATH is the review
    folder or its datapackage.json (default: the current folder). The database is rebuilt first if stale.

    \b
    Examples:
      cmokit plot evidence-map --output evidence-map.svg
      cmokit plot effects --band adolescents --output effects-adolescents.svg
      cmokit plot appraisal -o - > appraisal.svg
    """
    from cmokit.plot import check_output, check_request, plot, write_plot
    from cmokit.query import ensure_database
    from cmokit.review import Review

    target = check_output(output)  # before the database is (re)built: a refused command does nothing
    review = Review.open(path)
    check_request(review, kind, band)
    db_path = ensure_database(review, db, notify=lambda m: click.echo(m, err=True))
    svg = plot(review, db_path, kind, band)
    if target is None:
        click.echo(svg, nl=False)
        return
    click.echo(f"Wrote {write_plot(svg, target)}")
