"""Arrivals from data: a CSV of counts per interval (a forecast) or of timestamps (a replay).

``load_scenario`` reads the files a scenario names under ``[arrivals]`` and puts
their contents into the scenario itself, so a resolved scenario is complete
without them:

- ``counts_file``: a CSV with a header and the columns ``interval`` (0, 1, 2,
  ... in order) and ``count`` (expected arrivals in the interval, >= 0). It
  becomes ``rate_per_hour = count * 60 / interval_minutes``: Poisson arrivals
  with that forecast.
- ``times_file``: a CSV with a header, the column ``minutes`` (arrival time in
  minutes since opening, >= 0 and non-decreasing) and optionally ``segment``
  (a segment name). It becomes ``arrivals.times`` (and ``arrivals.times_segment``):
  the customers arrive exactly then. Unless the scenario gives
  ``rate_per_hour`` too, the profile is the timestamps counted per interval
  (it sets the number of intervals and the load estimate).

Errors name the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

__all__ = ["ArrivalFileError", "read_counts", "read_times", "rates_from_times"]

MAX_ROWS = 10_000_000


class ArrivalFileError(ValueError):
    """A problem in an arrival file, located by file, line and column."""


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [name for name in required if name not in header]
            if missing:
                raise ArrivalFileError(
                    f"{path}: line 1: missing column {missing[0]!r}; the header has "
                    f"{', '.join(header) or 'nothing'}"
                )
            rows: list[tuple[int, dict[str, str]]] = []
            for row in reader:
                if len(rows) >= MAX_ROWS:
                    raise ArrivalFileError(f"{path}: more than {MAX_ROWS:,} rows")
                rows.append((reader.line_num, row))
            return rows
    except OSError as error:
        raise ArrivalFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ArrivalFileError(f"{path}: not a UTF-8 text file") from None
    except csv.Error as error:
        raise ArrivalFileError(f"{path}: not a CSV file: {error}") from None


def _number(path: Path, line: int, column: str, text: str | None) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ArrivalFileError(
            f"{path}: line {line}, column {column!r}: expected a finite number >= 0, got {text!r}"
        )
    return value


def read_counts(path: Path, interval_minutes: float) -> list[float]:
    """The rate per hour of each interval of a counts file."""
    rates = []
    for expected, (line, row) in enumerate(_rows(path, ("interval", "count"))):
        interval = _number(path, line, "interval", row["interval"])
        if interval != expected:
            raise ArrivalFileError(
                f"{path}: line {line}, column 'interval': expected {expected} (intervals in "
                f"order from 0), got {row['interval']!r}"
            )
        rates.append(_number(path, line, "count", row["count"]) * 60 / interval_minutes)
    if not rates:
        raise ArrivalFileError(f"{path}: no intervals")
    return rates


def read_times(path: Path) -> tuple[list[float], list[str] | None]:
    """Arrival times (and segment names, if the file has them) of a timestamps file."""
    rows = _rows(path, ("minutes",))
    times: list[float] = []
    segments: list[str] | None = [] if rows and "segment" in rows[0][1] else None
    for line, row in rows:
        minutes = _number(path, line, "minutes", row["minutes"])
        if times and minutes < times[-1]:
            raise ArrivalFileError(
                f"{path}: line {line}, column 'minutes': times must not decrease "
                f"({minutes:g} after {times[-1]:g})"
            )
        times.append(minutes)
        if segments is not None:
            segments.append(row["segment"] or "")
    if not times:
        raise ArrivalFileError(f"{path}: no arrivals")
    return times, segments


def rates_from_times(times: list[float], interval_minutes: float) -> list[float]:
    """The arrivals per hour of each interval, counted from the timestamps."""
    intervals = int(times[-1] // interval_minutes) + 1
    counts = [0] * intervals
    for minutes in times:
        counts[int(minutes // interval_minutes)] += 1
    return [count * 60 / interval_minutes for count in counts]
