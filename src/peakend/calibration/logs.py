"""Reading a contact log: :func:`read_log` turns a CSV or Parquet export into a
:class:`ContactLog`, one clean row per usable contact, and counts every row it
could not use by reason.

A log is untrusted input, read under the rules of the arrival files
(:mod:`peakend.config.arrival_files`): only a regular file (its kind looked up
before it is opened, opened non-blocking, checked again once opened), at most
:data:`MAX_LOG_BYTES` bytes and :data:`MAX_LOG_ROWS` rows, both checked before a
row is parsed; UTF-8 text for a CSV (comma- or tab-separated, the delimiter taken
from the header line). A *malformed* file (not CSV, a missing column, a row with
too few cells, a time or date that is not one, an outcome the format does not
know) is refused with one line naming the file, the line and the column, never
quoting a cell. A well-formed row that cannot be used (a phantom call, a served
call without an agent, ...) is *dropped*: counted under its reason in
:attr:`ContactLog.dropped`, which the report shows.

Times in the clean table are minutes since midnight of the contact's ``date``
(the day it arrived); a stage logged at a time of day earlier than the stage
before it happened after midnight (+ 1,440 minutes).
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from peakend.base.errors import ConfigError
from peakend.base.reading import read_limited
from peakend.calibration.logformat import LogFormat

__all__ = [
    "MAX_LOG_BYTES",
    "MAX_LOG_ROWS",
    "ContactLog",
    "LogError",
    "read_log",
]

MAX_LOG_BYTES = 256 * 2**20
"""Largest log read (256 MiB): about two million call-by-call rows."""
MAX_LOG_ROWS = 2_000_000
"""Most rows of a log: a month of a very large centre."""
MAX_LINE_BYTES = 4_096
"""Longest line of a CSV log."""
DAY = 1_440.0
"""Minutes in a day."""

_CLOCK = re.compile(r"([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])")
_PSEUDO_FILE_SYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))


class LogError(ConfigError):
    """A log that cannot be read, located by file, line and column (never quoting a cell)."""


@dataclass(frozen=True)
class ContactLog:
    """The usable contacts of a log and the count of rows dropped, by reason.

    ``frame`` has one row per usable contact, columns: ``line`` (the file's line,
    from 1; the row number for Parquet), ``type``, ``customer`` (``""``: not
    identified), ``date`` (the arrival's day), ``arrival``, ``queue_entry``
    (minutes since midnight of ``date``; NaN for a contact that never queued),
    ``wait`` (minutes in queue; NaN if never queued, 0 for a contact answered at
    once), ``outcome`` (``served``, ``abandoned``, ``ivr_only``), ``service_start``,
    ``service_minutes`` (NaN unless served), ``agent`` (``""`` unless served) and
    ``score`` (NaN where the log has none).
    """

    source: str
    format_name: str
    rows_read: int
    frame: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def rows_used(self) -> int:
        return len(self.frame)

    def days(self) -> list[pd.Timestamp]:
        """The calendar days with at least one contact, in order."""
        return [pd.Timestamp(day) for day in sorted(self.frame["date"].unique())]

    def only_days(self, days: list[pd.Timestamp]) -> ContactLog:
        """The same log restricted to ``days`` (drop counts kept: they describe the file)."""
        keep = self.frame["date"].isin(days)
        return ContactLog(
            self.source, self.format_name, self.rows_read, self.frame[keep].copy(), self.dropped
        )


# ------------------------------------------------------------------ the file


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_LOG_BYTES`, read without blocking."""
    real = Path(os.path.realpath(path))
    if any(real == base or base in real.parents for base in _PSEUDO_FILE_SYSTEMS):
        raise LogError(f"{path}: a system pseudo-file (under /proc, /sys or /dev); expected a log")
    return read_limited(path, real, MAX_LOG_BYTES, LogError, _check_kind, _check_size)


def _check_kind(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise LogError(f"{path}: is {kind}; expected a CSV or Parquet contact log")


def _check_size(path: Path, size: int) -> None:
    if size > MAX_LOG_BYTES:
        raise LogError(f"{path}: larger than the limit of {MAX_LOG_BYTES // 2**20} MiB for a log")


# ------------------------------------------------------------------ cells


@dataclass
class _Cells:
    """The wanted columns of a file as strings, with each row's line number."""

    path: Path
    columns: dict[str, list[str]]
    position: dict[str, int]
    lines: np.ndarray

    def error(self, column: str, row: int, problem: str) -> LogError:
        where = f"line {int(self.lines[row])}, column {self.position[column] + 1} ({column!r})"
        return LogError(f"{self.path}: {where}: {problem}")


def _check_text(path: Path, raw: bytes) -> None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LogError(f"{path}: UTF-16 text; save the log as UTF-8 CSV")
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise LogError(
            f"{path}: line {line}: binary data (a NUL byte); "
            "expected a UTF-8 CSV file or a Parquet file"
        )
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") or not raw else 1)
    if lines > MAX_LOG_ROWS + 1:
        raise LogError(f"{path}: {lines:,} lines, more than the limit of {MAX_LOG_ROWS:,} rows")
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == ord("\n"))
    lengths = np.diff(np.concatenate(([-1], ends, [len(raw)]))) - 1
    long_lines = np.flatnonzero(lengths > MAX_LINE_BYTES)
    if long_lines.size:
        raise LogError(
            f"{path}: line {int(long_lines[0]) + 1}: longer than {MAX_LINE_BYTES:,} bytes; "
            "a row of a contact log is a few dozen cells"
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise LogError(f"{path}: line {line}: not UTF-8 text; expected a CSV text file") from None


def _lines(raw: bytes) -> Iterator[str]:
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    while start < len(raw):
        end = raw.find(b"\n", start)
        end = len(raw) if end < 0 else end + 1
        yield raw[start:end].decode("utf-8")
        start = end


def _csv_cells(path: Path, raw: bytes, wanted: dict[str, str]) -> _Cells:
    """The columns of ``wanted`` (field -> column name) of a CSV log, as strings."""
    _check_text(path, raw)
    first = next(_lines(raw), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(_lines(raw), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        if not header:
            raise LogError(f"{path}: empty; expected a header line naming the log's columns")
        position = _positions(path, header, wanted)
        width = max(position.values()) + 1
        columns: dict[str, list[str]] = {name: [] for name in position}
        lines: list[int] = []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) < width:
                name = next(n for n, i in position.items() if i >= len(row))
                raise LogError(
                    f"{path}: line {reader.line_num}, column {position[name] + 1} ({name!r}): "
                    f"missing; the row has {len(row)} cells, the header {len(header)}"
                )
            for name, index in position.items():
                columns[name].append(row[index].strip())
            lines.append(reader.line_num)
    except csv.Error as error:
        raise LogError(f"{path}: line {reader.line_num}: not valid CSV ({error})") from None
    return _Cells(path, columns, position, np.asarray(lines, dtype=np.int64))


def _positions(path: Path, header: list[str], wanted: dict[str, str]) -> dict[str, int]:
    missing = [column for column in wanted.values() if column not in header]
    if missing:
        raise LogError(
            f"{path}: line 1: no column {missing[0]!r}; the format expects the columns "
            f"{', '.join(wanted.values())}"
        )
    return {column: header.index(column) for column in wanted.values()}


def _parquet_cells(path: Path, raw: bytes, wanted: dict[str, str]) -> _Cells:
    """The columns of a Parquet log as strings (its row count checked before reading)."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(io.BytesIO(raw))
        rows = handle.metadata.num_rows
        if rows > MAX_LOG_ROWS:
            raise LogError(f"{path}: {rows:,} rows, more than the limit of {MAX_LOG_ROWS:,}")
        header = list(handle.schema_arrow.names)
        position = _positions(path, header, wanted)
        table = handle.read(columns=list(position))
    except LogError:
        raise
    except Exception as error:  # pyarrow raises many kinds for a damaged file
        raise LogError(f"{path}: not a readable Parquet file ({type(error).__name__})") from None
    columns = {}
    for name in position:
        values = table.column(name).to_pandas()
        columns[name] = ["" if pd.isna(v) else str(v).strip() for v in values]
    return _Cells(path, columns, position, np.arange(2, rows + 2, dtype=np.int64))


# ------------------------------------------------------------------ values


def _clock_minutes(cells: _Cells, column: str) -> np.ndarray:
    """Times of day ``H:MM:SS`` as minutes since midnight (NaN for an empty cell)."""
    series = pd.Series(cells.columns[column], dtype="string")
    parts = series.str.fullmatch(_CLOCK.pattern)
    empty = series == ""
    bad = np.flatnonzero(~(parts.fillna(False) | empty).to_numpy(dtype=bool))
    if bad.size:
        raise cells.error(column, int(bad[0]), "not a time of day; expected H:MM:SS")
    pieces = series.str.extract(_CLOCK.pattern).astype("float64")
    minutes = pieces[0] * 60 + pieces[1] + pieces[2] / 60
    late = np.flatnonzero((pieces[0] > 23).to_numpy(dtype=bool))
    if late.size:
        raise cells.error(column, int(late[0]), "hour above 23; expected H:MM:SS")
    return minutes.to_numpy(dtype=np.float64, na_value=np.nan)


def _timestamps(cells: _Cells, column: str) -> pd.Series:
    series = pd.Series(cells.columns[column], dtype="string")
    parsed = pd.to_datetime(series.replace("", pd.NA), format="ISO8601", errors="coerce")
    bad = np.flatnonzero((parsed.isna() & (series != "")).to_numpy(dtype=bool))
    if bad.size:
        raise cells.error(column, int(bad[0]), "not a date and time; expected ISO 8601")
    return parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed


def _dates(cells: _Cells, column: str, date_format: str) -> pd.Series:
    series = pd.Series(cells.columns[column], dtype="string")
    parsed = pd.to_datetime(series.replace("", pd.NA), format=date_format, errors="coerce")
    bad = np.flatnonzero((parsed.isna() & (series != "")).to_numpy(dtype=bool))
    if bad.size:
        raise cells.error(column, int(bad[0]), f"not a date; expected the format {date_format}")
    return parsed


def _scores(cells: _Cells, column: str) -> np.ndarray:
    series = pd.Series(cells.columns[column], dtype="string")
    numbers = pd.to_numeric(series.replace("", pd.NA), errors="coerce")
    bad = np.flatnonzero((numbers.isna() & (series != "")).to_numpy(dtype=bool))
    finite = np.isfinite(numbers.to_numpy(dtype=np.float64, na_value=np.nan))
    bad = np.union1d(bad, np.flatnonzero(~finite & (series != "").to_numpy(dtype=bool)))
    if bad.size:
        raise cells.error(column, int(bad[0]), "not a finite number; expected a survey score")
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


# ------------------------------------------------------------------ reading


def read_log(path: str | Path, log_format: LogFormat) -> ContactLog:
    """Read the contact log at ``path`` in ``log_format``.

    Parquet is recognised by its magic bytes; anything else is read as CSV.

    Raises
    ------
    LogError
        One line naming the file (and the line and column) for a file that is not
        a regular file, too large, not UTF-8 CSV or Parquet, without a column of the
        format, or with a cell that is not what its column holds.
    """
    path = Path(path)
    raw = _read_bytes(path)
    wanted = {name: column for name, column in log_format.columns.items()}
    if log_format.times == "clock" and "date" not in wanted:
        raise LogError(f"{path}: the format {log_format.name!r} has clock times but no date column")
    if raw[:4] == b"PAR1":
        cells = _parquet_cells(path, raw, wanted)
    else:
        cells = _csv_cells(path, raw, wanted)
    if not len(cells.lines):
        raise LogError(f"{path}: no rows (a header only)")
    return _clean(path, cells, log_format)


def _clean(path: Path, cells: _Cells, fmt: LogFormat) -> ContactLog:
    column = fmt.columns
    outcome = _outcomes(cells, fmt)
    entry_cells = np.asarray(cells.columns[column["queue_entry"]], dtype=object)
    never_queued = entry_cells == ""
    if fmt.no_queue_time is not None:
        never_queued |= entry_cells == fmt.no_queue_time
    date, arrival, queue_entry, queue_exit, start, end = _times(cells, fmt, never_queued)
    agent = _optional_text(cells, fmt, "agent", fmt.no_agent)
    customer = _optional_text(cells, fmt, "customer", fmt.no_customer)
    score = (
        _scores(cells, column["score"]) if "score" in column else np.full(len(cells.lines), np.nan)
    )
    queue_entry = np.where(never_queued, np.nan, queue_entry)
    frame = pd.DataFrame(
        {
            "line": cells.lines,
            "type": pd.Series(cells.columns[column["type"]], dtype="string").astype(object),
            "customer": customer,
            "date": date,
            "arrival": arrival,
            "queue_entry": queue_entry,
            "queue_exit": queue_exit,
            "outcome": outcome,
            "service_start": start,
            "service_end": end,
            "agent": agent,
            "score": score,
        }
    )
    frame, dropped = _usable(frame)
    return ContactLog(str(path), fmt.name, len(cells.lines), frame, dropped)


def _outcomes(cells: _Cells, fmt: LogFormat) -> np.ndarray:
    column = fmt.columns["outcome"]
    values = np.asarray(cells.columns[column], dtype=object)
    known = np.isin(values, list(fmt.outcomes))
    bad = np.flatnonzero(~known)
    if bad.size:
        raise cells.error(
            column,
            int(bad[0]),
            f"an outcome the format does not know; allowed: {', '.join(fmt.outcomes)}",
        )
    mapping = fmt.outcomes
    return np.array([mapping[value] for value in values], dtype=object)


def _optional_text(
    cells: _Cells, fmt: LogFormat, name: str, missing: tuple[str, ...]
) -> np.ndarray:
    column = fmt.columns.get(name)
    if column is None:
        return np.full(len(cells.lines), "", dtype=object)
    values = np.asarray(cells.columns[column], dtype=object)
    return np.where(np.isin(values, list(missing)), "", values)


def _times(
    cells: _Cells, fmt: LogFormat, never_queued: np.ndarray
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The day of each row, and its five times in minutes since that day's midnight,
    each stage after midnight moved to the next day when it reads earlier than the one
    before it (clock times). The queue times of a contact that never queued are NaN."""
    names = ("arrival", "queue_entry", "queue_exit", "service_start", "service_end")
    if fmt.times == "clock":
        date = _dates(cells, fmt.columns["date"], fmt.date_format)
        raw = [
            _clock_minutes(cells, fmt.columns[name]) if name in fmt.columns else None
            for name in names
        ]
        stages = [np.full(len(cells.lines), np.nan) if r is None else r for r in raw]
        stages[1] = np.where(never_queued, np.nan, stages[1])
        stages[2] = np.where(never_queued, np.nan, stages[2])
        return (date, *_unwrap(stages))  # type: ignore[return-value]
    stamps = [
        _timestamps(cells, fmt.columns[name]) if name in fmt.columns else None for name in names
    ]
    arrival = stamps[0]
    assert arrival is not None
    date = arrival.dt.normalize()
    minutes = [
        np.full(len(cells.lines), np.nan)
        if s is None
        else ((s - date).dt.total_seconds() / 60).to_numpy(dtype=np.float64, na_value=np.nan)
        for s in stamps
    ]
    return (date, *minutes)  # type: ignore[return-value]


def _unwrap(stages: list[np.ndarray]) -> list[np.ndarray]:
    """Clock times made non-decreasing along the stages: a time earlier than the last
    known stage before it lies on a later day. The arrival stays on its date."""
    out = [stages[0]]
    last = stages[0].copy()
    for times in stages[1:]:
        with np.errstate(invalid="ignore"):
            days = np.maximum(np.ceil((last - times - 1e-9) / DAY), 0.0)
        moved = times + np.nan_to_num(days) * DAY
        out.append(moved)
        last = np.where(np.isnan(moved), last, moved)
    return out


_REASONS = {
    "ignore": "marked to be ignored by the log (e.g. a PHANTOM call)",
    "no_date": "no date",
    "no_arrival": "no arrival time",
    "no_queue_exit": "queued, but no time of leaving the queue",
    "served_no_times": "served, but no service start or end time",
    "served_no_agent": "served, but no agent",
    "negative_service": "service ends before it starts",
    "too_long": "a wait or service longer than 12 hours (times out of order)",
}
LONGEST_STAGE = 720.0
"""Longest wait or service read as such (minutes): a clock time that runs backwards
reads as the next day, and a 23-hour service is a typing error, not a call."""


def _usable(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The usable rows, with ``wait`` and ``service_minutes``, and the drops by reason.

    A contact whose queue entry is missing never queued: a served one was answered
    at once (wait 0, queue entry = service start), an abandoned one left in the IVR.
    """
    reasons = pd.Series("", index=frame.index, dtype=object)

    def drop(mask: pd.Series | np.ndarray, reason: str) -> None:
        reasons[np.asarray(mask) & (reasons == "").to_numpy()] = _REASONS[reason]

    outcome = frame["outcome"]
    served = outcome == "served"
    never_queued = frame["queue_entry"].isna()
    drop(outcome == "ignore", "ignore")
    drop(frame["date"].isna(), "no_date")
    drop(frame["arrival"].isna(), "no_arrival")
    drop(served & (frame["service_start"].isna() | frame["service_end"].isna()), "served_no_times")
    drop(served & (frame["agent"] == ""), "served_no_agent")
    drop(served & (frame["service_end"] < frame["service_start"]), "negative_service")
    drop(served & (frame["service_end"] - frame["service_start"] > LONGEST_STAGE), "too_long")
    drop(frame["queue_exit"] - frame["queue_entry"] > LONGEST_STAGE, "too_long")
    drop(served & (frame["service_start"] - frame["queue_entry"] > LONGEST_STAGE), "too_long")
    drop(
        ~never_queued & ~served & (outcome == "abandoned") & frame["queue_exit"].isna(),
        "no_queue_exit",
    )
    kept = frame[(reasons == "").to_numpy()].copy()
    served = kept["outcome"] == "served"
    never = kept["queue_entry"].isna()
    kept.loc[never & (kept["outcome"] == "abandoned"), "outcome"] = "ivr_only"
    kept.loc[never & served, "queue_entry"] = kept.loc[never & served, "service_start"]
    exit_time = np.where(served, kept["service_start"], kept["queue_exit"])
    # Differences of clock times carry float noise (26/60 two ways): round to a
    # thousandth of a second, so equal waits are equal.
    wait = np.round(np.maximum(exit_time - kept["queue_entry"].to_numpy(), 0.0) * 60, 3) / 60
    kept["wait"] = np.where(kept["outcome"] == "ivr_only", np.nan, wait)
    kept.loc[kept["outcome"] == "ivr_only", "queue_entry"] = np.nan
    service = np.round((kept["service_end"] - kept["service_start"]).to_numpy() * 60, 3) / 60
    kept["service_minutes"] = np.where(served, service, np.nan)
    kept.loc[~served, "service_start"] = np.nan
    kept.loc[~served, "agent"] = ""
    kept["date"] = pd.to_datetime(kept["date"]).dt.normalize()
    columns = [
        "line",
        "type",
        "customer",
        "date",
        "arrival",
        "queue_entry",
        "wait",
        "outcome",
        "service_start",
        "service_minutes",
        "agent",
        "score",
    ]
    counts = reasons[reasons != ""].value_counts()
    return kept[columns].reset_index(drop=True), {str(k): int(v) for k, v in counts.items()}
