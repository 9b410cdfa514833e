"""The ``peakend export`` command: a thin layer over :mod:`peakend.output.export`."""

from __future__ import annotations

from pathlib import Path

import click

from peakend.base.names import printable
from peakend.cli.errors import friendly_errors

__all__ = ["export"]


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "to",
    type=click.Choice(["xlsx", "csv"]),
    default="xlsx",
    show_default=True,
    help="An Excel workbook (one sheet per table; needs peakend[excel]) or a folder of CSVs.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Write here (default: beside FOLDER, as FOLDER.xlsx or FOLDER-csv/).",
)
@click.option(
    "--sep",
    type=click.Choice([",", ";", "tab", "|"]),
    default=",",
    show_default=True,
    help="CSV separator: ';' for a German or French Excel.",
)
@click.option(
    "--decimal",
    type=click.Choice([".", ","]),
    default=".",
    show_default=True,
    help="CSV decimal mark (',' with --sep ';').",
)
@click.option("--records", is_flag=True, help="Also export the per-customer and contact records.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@friendly_errors
def export(
    folder: Path,
    to: str,
    out: Path | None,
    sep: str,
    decimal: str,
    records: bool,
    overwrite: bool,
) -> None:
    """Export the tables of the run directory FOLDER for a spreadsheet: an .xlsx
    workbook with units in the headers, or CSVs with your separator and decimal mark.

    Text that would start a formula (= + - @) is written with a leading '.
    """
    from peakend.output.export import export_folder

    written = export_folder(
        folder,
        to,  # type: ignore[arg-type]
        out,
        sep=sep,
        decimal=decimal,
        records=records,
        overwrite=overwrite,
    )
    click.echo(f"exported to {printable(str(written))}")
