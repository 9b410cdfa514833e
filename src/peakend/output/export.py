"""Exports of a run directory for spreadsheets: one Excel workbook, or CSVs in a local dialect.

The run directory's own tables are for programs (``,`` separators, ``.`` decimal
marks, Parquet). A planner opens them in Excel, where a German or French locale
reads a ``,``-separated file as one column. :func:`export_folder` writes the
folder's tables again:

- ``to="xlsx"``: one workbook, one sheet per table (the sheet named after the
  file), units in the header row (``mean_wait_minutes (minutes)``). A table of
  one metric per row (``compare.csv``, ``sweep_summary.csv``) gets a ``unit``
  column after ``metric`` instead, since its unit changes from row to row.
  Needs the optional extra ``peakend[excel]`` (openpyxl).
- ``to="csv"``: a folder of CSV files with the given separator and decimal mark
  (``sep=";", decimal=","`` for most of continental Europe), UTF-8 with a byte
  order mark so that Excel reads ``€`` and accents right; headers carry units as
  in the workbook.

Which tables: every table at the top of the folder (``*.csv``, ``*.parquet``),
the data dictionary included, and for a single run the summary of
``summary.json`` as a ``summary`` table (metric, unit, mean, 95 % CI, n); the
per-customer, per-contact and trace records only with ``records=True`` (they can
be millions of rows: Excel holds at most :data:`EXCEL_MAX_ROWS` per sheet, and a
larger table is refused by name).

Every text cell goes through :func:`~peakend.base.names.spreadsheet_text`: a
scenario, variant or level name that starts with ``=``, ``+``, ``-`` or ``@`` is
written with a leading ``'`` so that no spreadsheet runs it as a formula; in the
workbook every text cell is also stored as text, never as a formula. Numbers
stay numbers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from peakend.analysis.registry import metric_info
from peakend.base.errors import ConfigError
from peakend.base.names import spreadsheet_text
from peakend.config.extras import require
from peakend.store.dictionary import describe_column
from peakend.store.files import atomic_write
from peakend.store.ledger import read_inside

__all__ = [
    "CSV_DECIMALS",
    "CSV_SEPARATORS",
    "EXCEL_MAX_ROWS",
    "EXPORT_FORMATS",
    "export_folder",
    "export_tables",
]

EXPORT_FORMATS = ("xlsx", "csv")
CSV_SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
"""Separators a CSV export may use (``tab`` names the tab character)."""
CSV_DECIMALS = (".", ",")
EXCEL_MAX_ROWS = 1_048_575
"""Data rows of one Excel sheet (its 1,048,576 rows less the header)."""

RECORD_TABLES = ("customers", "contacts", "traces")
"""Per-record tables, exported only on request."""

_METRIC_UNIT = "the metric's"
_RELATIVE_UNITS = {_METRIC_UNIT: "see unit", "gain_unit": "see gain_unit"}
_UNITS = {
    "percent": "share (0-1)",
    "currency": "currency",
    "count": "count",
    "hours": "hours",
    "points": "utility points",
    "minutes": "minutes",
    "number": "",
    "ratio": "ratio",
}


def export_tables(folder: str | Path, records: bool = False) -> dict[str, pd.DataFrame]:
    """The tables of a run directory as spreadsheets show them: ``{sheet name: table}``.

    Columns are headed ``name (unit)`` (no unit: the name alone); a table with a
    ``metric`` column gets a ``unit`` column after it; text cells are guarded
    against formula injection (see the module doc). Sorted by file name.

    Raises
    ------
    ConfigError
        For a folder that is not a directory or holds no table.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder")
    tables: dict[str, pd.DataFrame] = {}
    summary = _run_summary(root)
    if summary is not None:
        tables["summary"] = _for_spreadsheet("summary", summary)
    for path in sorted(root.iterdir()):
        if not _is_table(path, records):
            continue
        frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
        tables[_sheet_name(path, tables)] = _for_spreadsheet(path.name, frame)
    if not tables:
        raise ConfigError(f"{root}: no tables to export (not a peakend run directory?)")
    return tables


SUMMARY_LIMIT = 16 * 2**20
"""Largest ``summary.json`` read, in bytes (peakend writes a few KB)."""


def _run_summary(root: Path) -> pd.DataFrame | None:
    """A single run's ``summary.json`` metrics as a table, or None (no file, not a run's).

    The folder is data: the file is read only if it is a regular file inside it of at
    most :data:`SUMMARY_LIMIT` bytes, and used only if laid out as peakend writes it.
    """
    if not (root / "summary.json").is_file():
        return None
    try:
        data = json.loads(read_inside(root, "summary.json", SUMMARY_LIMIT))
    except (ConfigError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict):
        return None  # an experiment's summary: its tables are compare.csv and the others
    rows = [
        {"metric": str(name), **{key: value.get(key) for key in _SUMMARY_KEYS}}
        for name, value in metrics.items()
        if isinstance(value, dict)
    ]
    return pd.DataFrame(rows, columns=["metric", *_SUMMARY_KEYS])


_SUMMARY_KEYS = ("mean", "ci_low", "ci_high", "n")


def _is_table(path: Path, records: bool) -> bool:
    if path.name.startswith(".") or path.is_symlink() or not path.is_file():
        return False  # no link followed, no FIFO opened
    if path.suffix not in (".csv", ".parquet"):
        return False
    return records or path.stem not in RECORD_TABLES


def _sheet_name(path: Path, taken: dict[str, Any]) -> str:
    """The file's stem, at most 31 characters (Excel's limit), unique in the workbook."""
    stem = path.stem[:31]
    return stem if stem not in taken else f"{stem[:26]}_{path.suffix[1:]}"


def _for_spreadsheet(file: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with unit headers, a unit column for metric rows and guarded text."""
    frame = frame.copy()
    if "metric" in frame.columns and _has_metric_units(file, frame):
        units = frame["metric"].map(lambda name: _UNITS.get(metric_info(str(name)).format, ""))
        frame.insert(frame.columns.get_loc("metric") + 1, "unit", units)
    for column in frame.columns:
        if frame[column].dtype == object or isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].map(_guarded)
        elif isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object).map(_guarded)
    frame.columns = [_header(file, str(column)) for column in frame.columns]
    return frame


def _has_metric_units(file: str, frame: pd.DataFrame) -> bool:
    if file == "summary":
        return True
    return any(
        (describe_column(file, str(c)) or {}).get("unit") == _METRIC_UNIT for c in frame.columns
    )


def _guarded(value: Any) -> Any:
    return spreadsheet_text(value) if isinstance(value, str) else value


def _header(file: str, column: str) -> str:
    if column == "unit":
        return column
    row = describe_column("sweep_summary.csv" if file == "summary" else file, column)
    unit = (row or {}).get("unit", "")
    unit = _RELATIVE_UNITS.get(unit, unit)
    name = spreadsheet_text(column)
    return f"{name} ({unit})" if unit else name


def export_folder(
    folder: str | Path,
    to: Literal["xlsx", "csv"] = "xlsx",
    out: str | Path | None = None,
    *,
    sep: str = ",",
    decimal: str = ".",
    records: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write the tables of run directory ``folder`` as a workbook or as CSV files.

    Parameters
    ----------
    to
        ``"xlsx"`` (one sheet per table) or ``"csv"`` (a folder of CSV files).
    out
        The workbook or folder to write (default: beside ``folder``, named
        ``FOLDER.xlsx`` or ``FOLDER-csv``).
    sep, decimal
        The CSV dialect: a separator from :data:`CSV_SEPARATORS` and a decimal mark
        from :data:`CSV_DECIMALS` (not the same character).
    records
        Also export the per-customer, per-contact and trace records.
    overwrite
        Replace ``out`` if it exists (a folder only if it holds nothing but CSV files).

    Returns
    -------
    Path
        What was written.

    Raises
    ------
    ConfigError
        For a bad format or dialect, a folder without tables, an ``out`` that exists
        (without ``overwrite``), or a table too long for an Excel sheet.
    MissingExtraError
        For ``xlsx`` without the extra ``peakend[excel]`` (openpyxl).
    """
    if to not in EXPORT_FORMATS:
        raise ConfigError(f"export format {to!r}: unknown; allowed: {', '.join(EXPORT_FORMATS)}")
    separator = _separator(sep, decimal) if to == "csv" else ","
    if to == "xlsx":
        require("openpyxl", "the Excel export", "excel")
    root = Path(folder)
    target = Path(out) if out is not None else _default_target(root, to)
    _check_target(target, to, overwrite)
    tables = export_tables(root, records)
    if to == "xlsx":
        _write_workbook(target, tables, str(root))
    else:
        _write_csvs(target, tables, separator, decimal)
    return target


def _separator(sep: str, decimal: str) -> str:
    if sep not in CSV_SEPARATORS:
        raise ConfigError(f"CSV separator {sep!r}: allowed: {', '.join(map(repr, CSV_SEPARATORS))}")
    if decimal not in CSV_DECIMALS:
        raise ConfigError(
            f"decimal mark {decimal!r}: allowed: {', '.join(map(repr, CSV_DECIMALS))}"
        )
    separator = CSV_SEPARATORS[sep]
    if separator == decimal:
        raise ConfigError(
            f"CSV separator {sep!r} is also the decimal mark: use sep=';' with decimal=','"
        )
    return separator


def _default_target(root: Path, to: str) -> Path:
    name = root.resolve().name or "export"
    return root.resolve().parent / (f"{name}.xlsx" if to == "xlsx" else f"{name}-csv")


def _check_target(target: Path, to: str, overwrite: bool) -> None:
    if not target.exists() and not target.is_symlink():
        return
    if not overwrite:
        raise ConfigError(f"{target}: exists; pass overwrite=True to replace it")
    if target.is_symlink():
        raise ConfigError(f"{target}: is a symbolic link; not replaced")
    if to == "xlsx" and not target.is_file():
        raise ConfigError(f"{target}: not a file; not replaced")
    if to == "csv":
        if not target.is_dir():
            raise ConfigError(f"{target}: not a folder; not replaced")
        others = [p.name for p in target.iterdir() if p.suffix != ".csv" or not p.is_file()]
        if others:
            raise ConfigError(
                f"{target}: holds {others[0]!r}, not an export's CSV file; not replaced"
            )


def _write_csvs(target: Path, tables: dict[str, pd.DataFrame], sep: str, decimal: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        write = _csv_writer(frame, sep, decimal)
        atomic_write(target / f"{name}.csv", write)


def _csv_writer(frame: pd.DataFrame, sep: str, decimal: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        # utf-8-sig: the byte order mark tells Excel the file is UTF-8 (else € is garbled).
        frame.to_csv(
            path,
            index=False,
            sep=sep,
            decimal=decimal,
            encoding="utf-8-sig",
            quoting=csv.QUOTE_MINIMAL,
        )

    return write


def _write_workbook(target: Path, tables: dict[str, pd.DataFrame], source: str) -> None:
    for name, frame in tables.items():
        if len(frame) > EXCEL_MAX_ROWS:
            raise ConfigError(
                f"{source}: table {name!r} has {len(frame):,} rows, more than an Excel sheet "
                f"holds ({EXCEL_MAX_ROWS:,}); export it as CSV (to='csv')"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda path: _save_workbook(path, tables))


def _save_workbook(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        sheet.append([_text_cell(sheet, WriteOnlyCell, column) for column in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(sheet, WriteOnlyCell, value) for value in row])
    book.save(path)


def _cell(sheet: Any, cell_type: Any, value: Any) -> Any:
    if isinstance(value, str):
        return _text_cell(sheet, cell_type, value)
    if value is None or (isinstance(value, float) and value != value):
        return None  # an empty cell, not the text "nan"
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _text_cell(sheet: Any, cell_type: Any, text: str) -> Any:
    """A cell that holds ``text`` as text: openpyxl reads a string starting with ``=`` as
    a formula, so the type is set after the value."""
    cell = cell_type(sheet, value=text)
    cell.data_type = "s"
    return cell
