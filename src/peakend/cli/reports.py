"""The ``peakend report`` and ``peakend dictionary`` commands: a thin layer over
:mod:`peakend.output.report` and :mod:`peakend.store.dictionary`."""

from __future__ import annotations

from pathlib import Path

import click

from peakend.base.names import printable
from peakend.cli.errors import friendly_errors

__all__ = ["dictionary", "report"]


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Write the report here (default: FOLDER/report.html).",
)
@click.option("--currency", default="€", show_default=True, help="Symbol of the money columns.")
@friendly_errors
def report(folder: Path, out: Path | None, currency: str) -> None:
    """Write one self-contained HTML report of the run, comparison, sweep or optimisation
    in FOLDER: the scenario in words, results with 95 % CIs, differences from the base
    (an optimisation: the chosen plan against today's), plots, assumptions and their
    sources, n and warnings."""
    from peakend.output.report import write_report

    path = write_report(folder, out, currency)
    click.echo(f"report written to {printable(str(path))}")


@click.command()
@click.argument("folder", type=click.Path(path_type=Path), required=False)
@click.option(
    "--period-name",
    default="period",
    show_default=True,
    help="Name of the period column (retention.period_name) in the full listing.",
)
@friendly_errors
def dictionary(folder: Path | None, period_name: str) -> None:
    """Print the data dictionary as CSV (file, column, unit, description): every column
    of every table peakend writes, or with FOLDER, the tables in that run directory."""
    import sys

    from peakend.base.errors import ConfigError
    from peakend.store.dictionary import data_dictionary, folder_dictionary, read_columns

    if folder is None:
        frame = data_dictionary(period_name)
    elif not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder")
    else:
        frame = folder_dictionary(read_columns(folder), period_name)
    # Column names come from names (the period's): shown escaped, one row a line.
    frame = frame.map(lambda value: printable(value) if isinstance(value, str) else value)
    frame.to_csv(sys.stdout, index=False)
