"""Arrivals from data: a CSV of counts per interval (a forecast) or of timestamps (a replay).

``load_scenario`` reads the files a scenario names under ``[arrivals]`` and puts
their contents into the scenario itself, so a resolved scenario is complete
without them:

- ``counts_file``: a CSV with a header and the columns ``interval`` (0, 1, 2,
  ... in order) and ``count`` (expected arrivals in the interval, >= 0). It
  becomes ``rate_per_hour = count * 60 / interval_minutes``: Poisson arrivals
  with that forecast.
- ``times_file``: a CSV with a header, the column ``minutes`` (arrival time in
  minutes since opening, >= 0, non-decreasing and before the end of the day)
  and optionally ``segment`` (a segment name), ``customer`` (a customer id, 1
  to 128 characters: arrivals of one id are one customer, a later one a redial)
  and ``date`` (``YYYY-MM-DD``: a replay of several days, rows sorted by date and
  by minutes within a date). It becomes ``arrivals.times`` (and
  ``arrivals.times_segment``, ``times_customer``, ``times_date``): the customers
  arrive exactly then. Unless the scenario gives ``rate_per_hour`` too, the
  profile is the timestamps counted per interval, averaged over the dates (it
  sets the number of intervals and the load estimate).

An arrival file is untrusted data, read under fixed rules (``docs/parameters.md``
documents them for users):

- **Where**: :func:`resolve_arrival_file`. The path is relative to the scenario
  file's folder; with every symbolic link resolved, the file must lie inside that
  folder (or a folder below it), or inside a folder the person running peakend
  names in the ``PEAKEND_DATA_DIRS`` environment variable (or ``data_dirs`` of
  :func:`peakend.config.loading.load_scenario`). An absolute path or ``..`` is
  accepted only when it ends up inside one of those. A scenario file cannot widen
  the rule itself: it may come from someone else. Files under ``/proc``, ``/sys``
  and ``/dev`` are refused whatever is allowed.
- **What**: only a regular file. Its kind is looked up before it is opened (a
  named pipe would block forever, a device never ends), it is opened
  non-blocking, and the opened descriptor is checked again.
- **How much**: at most :data:`MAX_FILE_BYTES` bytes, :data:`MAX_LINE_BYTES`
  bytes a line, and a header plus :data:`MAX_REPLAYED_ARRIVALS` timestamps or
  :data:`~peakend.config.schema.MAX_INTERVALS` intervals, all checked before a
  row is parsed; reading stops one byte past the limit, whatever size the file
  claims.
- **Which numbers**: decimal numbers only (no ``nan``, ``inf``, hexadecimal or
  ``_`` separators), finite and >= 0; timestamps before the end of the day,
  counts at most :data:`MAX_COUNT_PER_INTERVAL`; all checked row by row before
  anything is sized from them.
- **What an error says**: the file, the line, the column (number and name) and
  what is allowed; never the file's contents (a cell, the header or a line),
  which may be a secret when the path is not what the scenario's author meant.
"""

from __future__ import annotations

import csv
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from peakend.base.names import MAX_NAME_LENGTH
from peakend.base.reading import read_limited
from peakend.config.days import check_date
from peakend.config.schema import MAX_INTERVALS

__all__ = [
    "DATA_DIRS_VARIABLE",
    "MAX_COUNT_PER_INTERVAL",
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "MAX_REPLAYED_ARRIVALS",
    "ArrivalFileError",
    "allowed_folders",
    "rates_from_times",
    "read_counts",
    "read_replay",
    "read_times",
    "Replay",
    "resolve_arrival_file",
]

MAX_FILE_BYTES = 32 * 2**20
"""Largest arrival file read (32 MiB): a million timestamps with segment names fit."""
MAX_LINE_BYTES = 1_000
"""Longest line of an arrival file, in bytes: a row is a few numbers and a name."""
MAX_REPLAYED_ARRIVALS = 1_000_000
"""Most timestamps of a times file: a day of a very large contact centre. Each costs
memory in every process of the run (counted by :mod:`peakend.config.budget`)."""
MAX_COUNT_PER_INTERVAL = 1e9
"""Most expected arrivals in one interval of a counts file (the memory budget refuses
far fewer; this keeps the rates finite)."""
DATA_DIRS_VARIABLE = "PEAKEND_DATA_DIRS"
"""Environment variable naming extra folders (separated by ``os.pathsep``) from which
arrival files may be read."""

_PSEUDO_FILE_SYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
# Possessive quantifiers: no backtracking, linear in the cell's length whatever it holds.
_NUMBER = re.compile(r"[+-]?(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?[0-9]++)?+")
_TIMES_COLUMNS = ("minutes",)
_COUNTS_COLUMNS = ("interval", "count")


class ArrivalFileError(ValueError):
    """A problem in an arrival file, located by file, line and column (never quoting it)."""


# ------------------------------------------------------------------ where and what


def allowed_folders(
    scenario_file: Path, data_dirs: Iterable[str | Path] | None = None
) -> list[Path]:
    """The folders arrival files of ``scenario_file`` may lie in, symbolic links resolved:
    its own folder, then ``data_dirs`` (default: those of ``PEAKEND_DATA_DIRS``)."""
    if data_dirs is None:
        data_dirs = os.environ.get(DATA_DIRS_VARIABLE, "").split(os.pathsep)
    folders = [Path(os.path.realpath(scenario_file.parent))]
    folders += [Path(os.path.realpath(folder)) for folder in data_dirs if str(folder)]
    return folders


def resolve_arrival_file(
    scenario_file: Path, key: str, value: str, folders: Sequence[Path]
) -> tuple[Path, Path]:
    """The path to show in messages and the real path to read, after the path rule.

    ``value`` is the path the scenario gives under ``key`` (relative to the
    scenario file's folder); ``folders`` are :func:`allowed_folders`.

    Raises
    ------
    ArrivalFileError
        For an empty path or one with a control character, or a file that (symbolic
        links resolved) is not inside one of ``folders`` or is a pseudo-file.
    """
    where = f"{scenario_file}: arrivals.{key}"
    if not value.strip() or any(ord(char) < 32 or ord(char) == 127 for char in value):
        # Messages print the path: a newline or an escape in it could forge or hide a line.
        raise ArrivalFileError(
            f"{where}: expected a file name without control characters, got {value!r}"
        )
    shown = scenario_file.parent / value
    real = Path(os.path.realpath(shown))
    if any(real == base or base in real.parents for base in _PSEUDO_FILE_SYSTEMS):
        raise ArrivalFileError(
            f"{where}: {value!r} is a system pseudo-file (under /proc, /sys or /dev); "
            "an arrival file is a CSV file"
        )
    if not any(real == folder or folder in real.parents for folder in folders):
        raise ArrivalFileError(
            f"{where}: {value!r} is outside the scenario's folder; an arrival file must be "
            f"inside {folders[0]} (symbolic links resolved), or in a folder named in "
            f"{DATA_DIRS_VARIABLE}"
        )
    return shown, real


def _read_bytes(shown: Path, real: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`, read without blocking."""
    return read_limited(shown, real, MAX_FILE_BYTES, ArrivalFileError, _check_kind, _check_size)


def _check_kind(shown: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kinds = {
        stat.S_ISDIR: "a directory",
        stat.S_ISFIFO: "a named pipe",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    kind = next((name for test, name in kinds.items() if test(mode)), "not a file")
    raise ArrivalFileError(f"{shown}: is {kind}, not a regular file; expected a CSV file")


def _check_size(shown: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise ArrivalFileError(
            f"{shown}: larger than the limit of {MAX_FILE_BYTES // 2**20} MiB for an arrival file"
        )


# ------------------------------------------------------------------ text and rows


def _check_text(shown: Path, raw: bytes, max_rows: int) -> None:
    """The byte-level checks, before any row is parsed: encoding, line count, line length."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ArrivalFileError(f"{shown}: UTF-16 text; save the file as UTF-8 (or ASCII) CSV")
    nul = raw.find(b"\0")
    if nul >= 0:
        line, column = _position(raw, nul)
        raise ArrivalFileError(
            f"{shown}: line {line}, column {column}: binary data (a NUL byte); "
            "expected a UTF-8 CSV text file"
        )
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") or not raw else 1)
    if lines > max_rows + 1:
        raise ArrivalFileError(
            f"{shown}: {lines:,} lines, more than the limit of a header and {max_rows:,} rows"
        )
    long_line = _first_long_line(raw)
    if long_line is not None:
        raise ArrivalFileError(
            f"{shown}: line {long_line}: longer than {MAX_LINE_BYTES:,} bytes; "
            "a row is a few numbers and a name"
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(raw, error.start)
        raise ArrivalFileError(
            f"{shown}: line {line}, column {column}: not UTF-8 text; expected a CSV text file"
        ) from None


def _first_long_line(raw: bytes) -> int | None:
    """The number (from 1) of the first line longer than :data:`MAX_LINE_BYTES`, or None.

    Vectorised over the newline positions (at most the row limit of them, checked
    before): a regular expression for a long run of non-newlines backtracks at every
    byte and takes minutes on a file of lines just under the limit.
    """
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    lengths = np.append(ends, len(raw)) - starts
    long_lines = np.flatnonzero(lengths > MAX_LINE_BYTES)
    return int(long_lines[0]) + 1 if long_lines.size else None


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and byte column (both from 1) of a byte offset."""
    start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - start + 1


def _lines(raw: bytes) -> Iterator[str]:
    """The lines of UTF-8 ``raw`` (checked), decoded one at a time: the whole text at
    once, and a text stream's copy of it, would cost several times the file's size."""
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0  # a byte-order mark
    while start < len(raw):
        end = raw.find(b"\n", start)
        end = len(raw) if end < 0 else end + 1
        yield raw[start:end].decode("utf-8")
        start = end


class _Table:
    """The header and the wanted columns of a CSV file, read in chunks of rows."""

    CHUNK_ROWS = 65_536
    """Rows whose cells are held as strings at once (then checked and converted)."""

    def __init__(
        self, shown: Path, raw: bytes, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> None:
        self.shown, self.raw = shown, raw
        reader = csv.reader(_lines(raw), strict=True)
        expected = ",".join(required)
        try:
            header = next(reader, None)
        except csv.Error as error:
            raise ArrivalFileError(f"{shown}: line 1: not valid CSV ({error})") from None
        if header is None:
            raise ArrivalFileError(f"{shown}: empty; expected a header line {expected!r}")
        names = [name.strip() for name in header]
        missing = [name for name in required if name not in names]
        if missing:
            also = f" (optionally with {', '.join(optional)})" if optional else ""
            raise ArrivalFileError(
                f"{shown}: line 1: no column {missing[0]!r}; expected a header line "
                f"{expected!r}{also}"
            )
        self.index = {name: names.index(name) for name in (*required, *optional) if name in names}
        self._reader = reader

    def chunks(self) -> Iterator[tuple[int, dict[str, list[str]]]]:
        """``(first row, cells of each wanted column)`` for successive chunks of the
        non-empty rows (rows counted from 0 after the header; cells stripped)."""
        reader, wanted = self._reader, list(self.index.items())
        width = max(index for _, index in wanted) + 1
        done = 0
        cells: dict[str, list[str]] = {name: [] for name, _ in wanted}
        try:
            for row in reader:
                if not row:
                    continue  # a blank line
                if len(row) < width:
                    name, index = next((n, i) for n, i in wanted if i >= len(row))
                    raise ArrivalFileError(
                        f"{self.shown}: line {reader.line_num}: no value in column {index + 1} "
                        f"({name!r}); every row needs a value in each of the header's columns"
                    )
                for name, index in wanted:
                    cells[name].append(row[index].strip())
                if len(cells[wanted[0][0]]) == self.CHUNK_ROWS:
                    yield done, cells
                    done += self.CHUNK_ROWS
                    cells = {name: [] for name, _ in wanted}
        except csv.Error as error:
            raise ArrivalFileError(
                f"{self.shown}: line {reader.line_num}: not valid CSV ({error})"
            ) from None
        if cells[wanted[0][0]] or not done:
            yield done, cells

    def line(self, row: int) -> int:
        """The line number of data row ``row``: read again, as only an error needs it."""
        reader = csv.reader(_lines(self.raw), strict=True)
        next(reader)
        seen = -1
        for cells in reader:
            seen += bool(cells)
            if seen == row:
                break
        return reader.line_num

    def column(self, name: str, what: str) -> _Column:
        return _Column(self, name, what)


class _Column:
    """One column of a table: where it is, for messages, and its checks."""

    def __init__(self, table: _Table, name: str, what: str) -> None:
        self.table, self.name, self.what = table, name, what

    def error(self, row: int, problem: str) -> ArrivalFileError:
        """An error at data row ``row`` of this column, saying ``problem`` (never the cell)."""
        where = f"line {self.table.line(row)}, column {self.table.index[self.name] + 1}"
        return ArrivalFileError(f"{self.table.shown}: {where} ({self.name!r}): {problem}")

    def numbers(self, cells: list[str], first: int) -> np.ndarray:
        """The cells (data rows from ``first`` on) as finite numbers >= 0 (decimal only)."""
        match = _NUMBER.fullmatch
        bad = next((row for row, cell in enumerate(cells) if not match(cell)), None)
        if bad is not None:
            problem = "empty" if not cells[bad] else "not a number"
            raise self.error(first + bad, f"{problem}; expected {self.what}, a decimal number >= 0")
        values = np.array(cells, dtype=np.float64) + 0.0  # -0 is 0
        negative = np.flatnonzero(values < 0)
        if negative.size:
            raise self.error(
                first + int(negative[0]), f"negative; expected {self.what}, a number >= 0"
            )
        infinite = np.flatnonzero(~np.isfinite(values))
        if infinite.size:
            raise self.error(
                first + int(infinite[0]), f"too large; expected {self.what}, a finite number"
            )
        return values

    def at_most(self, values: np.ndarray, limit: float, problem: str) -> None:
        """Refuse the first value above ``limit``."""
        above = np.flatnonzero(values > limit)
        if above.size:
            raise self.error(int(above[0]), problem)


# ------------------------------------------------------------------ the two kinds of file


def read_counts(shown: Path, real: Path, interval_minutes: float) -> list[float]:
    """The rate per hour of each interval of a counts file.

    Raises
    ------
    ArrivalFileError
        Naming the file, line and column, for a file that breaks a rule of the
        module docstring, an interval out of order or a count that is not a
        number in ``[0, MAX_COUNT_PER_INTERVAL]``.
    """
    raw = _read_bytes(shown, real)
    _check_text(shown, raw, MAX_INTERVALS)
    table = _Table(shown, raw, _COUNTS_COLUMNS)
    interval = table.column("interval", "the interval's number")
    count = table.column("count", "the expected arrivals")
    counts: list[np.ndarray] = []
    for first, cells in table.chunks():
        numbers = interval.numbers(cells["interval"], first)
        wrong = np.flatnonzero(numbers != np.arange(first, first + len(numbers)))
        if wrong.size:
            expected = first + int(wrong[0])
            raise interval.error(
                expected, f"expected {expected} (intervals in order from 0, one a row)"
            )
        counts.append(count.numbers(cells["count"], first))
    values = np.concatenate(counts)
    if not values.size:
        raise ArrivalFileError(f"{shown}: no intervals (a header only)")
    count.at_most(
        values,
        MAX_COUNT_PER_INTERVAL,
        f"more than {MAX_COUNT_PER_INTERVAL:,.0f} arrivals in one interval",
    )
    return (values * 60 / interval_minutes).tolist()


@dataclass(frozen=True)
class Replay:
    """The columns of a times file: arrival times and, if the file has them, segment
    names, customer ids and dates (None for a column the file does not have)."""

    times: list[float]
    segment: list[str] | None = None
    customer: list[str] | None = None
    date: list[str] | None = None


def read_times(
    shown: Path,
    real: Path,
    end_minutes: float,
    segments: Sequence[str] | None = None,
    end_reason: str = "the end of the day",
) -> tuple[list[float], list[str] | None]:
    """Arrival times and segment names of a times file (:func:`read_replay`, its first
    two columns)."""
    replay = read_replay(shown, real, end_minutes, segments, end_reason)
    return replay.times, replay.segment


def read_replay(
    shown: Path,
    real: Path,
    end_minutes: float,
    segments: Sequence[str] | None = None,
    end_reason: str = "the end of the day",
) -> Replay:
    """Arrival times (and segment names, customer ids and dates, if the file has them) of
    a timestamps file.

    ``end_minutes``: every time must be below it (the day's end, or the longest day
    peakend simulates when the file sets the number of intervals; ``end_reason``
    says which in messages). ``segments``: the scenario's segment names, to check
    a ``segment`` column against (None: not checked here).

    Raises
    ------
    ArrivalFileError
        Naming the file, line and column, for a file that breaks a rule of the
        module docstring, a time that is negative, not finite, at or after
        ``end_minutes`` or earlier than the row before (on the same date), an
        unknown segment, an empty or too long customer id, or a date that is not
        ``YYYY-MM-DD`` or earlier than the row before.
    """
    raw = _read_bytes(shown, real)
    _check_text(shown, raw, MAX_REPLAYED_ARRIVALS)
    table = _Table(shown, raw, _TIMES_COLUMNS, ("segment", "customer", "date"))
    column = table.column("minutes", "minutes since opening")
    optional = {
        name: table.column(name, what) if name in table.index else None
        for name, what in (("segment", "a segment name"), ("customer", "a customer id"))
    }
    dates = table.column("date", "a date") if "date" in table.index else None
    known = {name: name for name in segments} if segments is not None else None
    chunks: list[np.ndarray] = []
    texts: dict[str, list[str]] = {name: [] for name, col in optional.items() if col}
    day_texts: list[str] = []
    interned: dict[str, str] = {}
    for first, cells in table.chunks():
        chunks.append(column.numbers(cells["minutes"], first))
        if optional["segment"] is not None:
            texts["segment"].extend(_segments(optional["segment"], cells["segment"], first, known))
        if optional["customer"] is not None:
            texts["customer"].extend(
                _customers(optional["customer"], cells["customer"], first, interned)
            )
        if dates is not None:
            day_texts.extend(_dates(dates, cells["date"], first, interned))
    times = np.concatenate(chunks)
    if not times.size:
        raise ArrivalFileError(f"{shown}: no arrivals (a header only)")
    late = np.flatnonzero(times >= end_minutes)
    if late.size:
        raise column.error(int(late[0]), f"at or after {end_reason} ({end_minutes:g} minutes)")
    _check_order(table, column, dates, times, day_texts)
    return Replay(
        times.tolist(),
        texts.get("segment"),
        texts.get("customer"),
        day_texts if dates is not None else None,
    )


def _check_order(
    table: _Table, column: _Column, dates: _Column | None, times: np.ndarray, days: list[str]
) -> None:
    """Dates must not decrease, nor times within a date."""
    new_day = np.zeros(len(times) - 1, dtype=bool)
    if dates is not None:
        day = np.array(days)
        back = np.flatnonzero(day[1:] < day[:-1])
        if back.size:
            row = int(back[0]) + 1
            raise dates.error(
                row,
                f"earlier than the date on line {table.line(row - 1)}; rows are sorted by date, "
                "then by minutes",
            )
        new_day = day[1:] != day[:-1]
    earlier = np.flatnonzero((np.diff(times) < 0) & ~new_day)
    if earlier.size:
        row = int(earlier[0]) + 1
        before = table.line(row - 1)
        raise column.error(row, f"earlier than the time on line {before}; times must not decrease")


def _customers(column: _Column, ids: list[str], first: int, interned: dict[str, str]) -> list[str]:
    """A chunk of the customer column: ids of 1 to MAX_NAME_LENGTH characters."""
    bad = next((row for row, name in enumerate(ids) if not 0 < len(name) <= MAX_NAME_LENGTH), None)
    if bad is not None:
        problem = "empty" if not ids[bad] else f"longer than {MAX_NAME_LENGTH} characters"
        raise column.error(first + bad, f"{problem}; expected a customer id")
    return [interned.setdefault(name, name) for name in ids]


def _dates(column: _Column, days: list[str], first: int, interned: dict[str, str]) -> list[str]:
    """A chunk of the date column: ``YYYY-MM-DD`` dates (each distinct one checked once)."""
    out = []
    for row, text in enumerate(days):
        known = interned.get("date:" + text)
        if known is None:
            try:
                check_date(text)
            except ValueError:
                raise column.error(
                    first + row, 'not a date; expected a date "YYYY-MM-DD"'
                ) from None
            known = interned["date:" + text] = text
        out.append(known)
    return out


def _segments(
    column: _Column, names: list[str], first: int, known: dict[str, str] | None
) -> list[str]:
    """A chunk of the segment column, checked against the scenario's segments (if known)."""
    empty = next((row for row, name in enumerate(names) if not name), None)
    if empty is not None:
        raise column.error(first + empty, "empty; expected a segment name")
    if known is None:
        return names
    unknown = next((row for row, name in enumerate(names) if name not in known), None)
    if unknown is not None:
        allowed = ", ".join(known)
        raise column.error(first + unknown, f"not a segment of the scenario; allowed: {allowed}")
    return [known[name] for name in names]  # one string object a segment, not one a row


def rates_from_times(times: list[float], interval_minutes: float, days: int = 1) -> list[float]:
    """The arrivals per hour of each interval, counted from the timestamps, over ``days``
    days (a replay of several days: the mean day).

    ``times`` are as :func:`read_times` returns them (below the longest day).
    """
    # A time just below the end of the longest day can round up to its end.
    index = np.floor(np.asarray(times, dtype=np.float64) / interval_minutes).astype(np.int64)
    intervals = min(int(index.max()) + 1, MAX_INTERVALS)  # times restart on each date
    counts = np.bincount(np.minimum(index, intervals - 1), minlength=intervals)
    return (counts * 60 / interval_minutes / days).tolist()
