"""``cmokit plot``."""

from __future__ import annotations

from pathlib import Path

import click

from cmokit.cli.options import (
    db_option,
    handle_errors,
    legacy_path_argument,
    open_review,
    output_option,
    review_option,
    untrusted_option,
)

# cmokit.presentation.plot_data.KINDS (repeated here so that --help stays light)
KINDS = ("evidence-map", "effects", "appraisal", "theories")


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@legacy_path_argument
@output_option("The SVG file to write (FILE.svg, replaced atomically), or '-' for standard output.", required=True,
               dash=True)
@click.option("--band", "-b", default=None,
              help="One group of studies (a code of the studies field declaring \"cmokit:study\": \"grouping\", e.g. "
                   "an age band); for effects, appraisal and theories. Default: every group.")
@review_option
@db_option
@untrusted_option
@handle_errors
def command(kind: str, path: Path | None, output: Path, band: str | None, review: Path | None,
            db: Path | None, untrusted: bool) -> None:
    """Draw an evidence map, an effects grid, an MMAT traffic-light plot or a theory matrix as SVG.

    KIND is evidence-map (studies by intervention type and group, e.g. age band), effects (CMO configurations by
    their two coded outcomes, e.g. the effect on social support and on the child), appraisal (MMAT 2018 answers
    per study, robvis style) or theories (each theory's evidence: which studies support, refute, refine or
    illustrate it, studies grouped). The fields come from the schemas' annotations (cmokit:study, cmokit:role).
    The database is rebuilt first if stale.

    \b
    Examples:
      cmokit plot evidence-map --output evidence-map.svg
      cmokit plot effects --band GROUP --output effects-of-one-group.svg
      cmokit plot appraisal -o - > appraisal.svg
      cmokit plot theories -o theories.svg
    """
    from cmokit.presentation.plot import check_output, check_request, plot, write_plot
    from cmokit.synthesis.build import ensure_database

    target = check_output(output)  # before the database is (re)built: a refused command does nothing
    rv = open_review(review, path)
    check_request(rv, kind, band)
    db_path = ensure_database(rv, db, notify=lambda m: click.echo(m, err=True),
                              trusted=not untrusted)
    svg = plot(rv, db_path, kind, band)
    if target is None:
        click.echo(svg, nl=False)
        return
    click.echo(f"Wrote {write_plot(svg, target)}")
