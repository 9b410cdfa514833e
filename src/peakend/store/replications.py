"""The results store of an experiment: one directory, resumable, written atomically.

Layout of a run directory::

    manifest.json                       scenarios (keys, config hashes, seeds, overrides),
                                        peakend version, executor, timings of every session,
                                        and every file written (size, SHA-256: the ledger of
                                        :mod:`peakend.store.ledger`)
    scenarios/<key>.toml                the resolved scenario behind each key
    experiment.toml                     the experiment file as given (when there was one)
    resolved_base.toml                  the base scenario with every override applied
    resolved_experiment.toml            the experiment as it ran, its base the file above:
                                        ``peakend compare|sweep resolved_experiment.toml
                                        --out rerun`` in a copy of the folder runs it again
    replications/<key>/<r>.parquet      one row: replication, seconds and every metric
    replications/<key>/<r>.<table>.parquet   optional per-replication records (customers, ...)
    failures/<key>/<r>.json             a replication that raised: error type, message, traceback

``<key>`` identifies everything a replication's result depends on: the resolved
scenario (except ``run.replications``, which does not change replication ``r``)
and the peakend version. A replication is finished when its metrics file exists;
that file is written last and atomically, so an interrupted run never leaves a
half-finished replication that looks complete. Re-running the same experiment
into the same directory skips finished ``(key, r)`` pairs and retries failed ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from peakend._version import __version__
from peakend.base.errors import ConfigError
from peakend.config.loading import scenario_to_dict, scenario_to_toml
from peakend.config.schema import Scenario
from peakend.runs.errors import FailureRecord
from peakend.runs.records import RECORD_TABLES
from peakend.store.files import (
    adopt,
    atomic_write,
    temporary_file,
    write_json,
    write_table,
    write_text,
)
from peakend.store.ledger import check_manifest, read_inside
from peakend.store.rundir import OutputError

__all__ = ["FailureRecord", "ReplicationRecord", "ResultStore", "scenario_key"]

_METRICS_FILE = re.compile(r"^(\d+)\.parquet$")
_RESERVED = ("replication", "seconds")


def scenario_key(scenario: Scenario) -> str:
    """A short hash of what a replication's result depends on (stable across sessions)."""
    data = scenario_to_dict(scenario)
    data["run"].pop("replications", None)
    text = json.dumps({"peakend": __version__, "scenario": data}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ReplicationRecord:
    """What the store keeps of one replication: its metrics, run time and optional tables."""

    key: str
    replication: int
    metrics: dict[str, float]
    seconds: float = math.nan
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    table_files: dict[str, str] = field(default_factory=dict)
    """Tables the replication streamed to files (:mod:`peakend.runs.records`), by name:
    moved into the store as they are, not shipped as frames."""

    @classmethod
    def from_result(cls, key: str, result: Any, keep_tables: bool = False) -> ReplicationRecord:
        """From a :class:`~peakend.runs.runner.ReplicationResult` (or alike).

        ``metrics`` is required; every DataFrame attribute (customers, contacts, and
        whatever tables a later version adds) is kept as a table when ``keep_tables``.
        """
        metrics = {str(name): float(value) for name, value in result.metrics.items()}
        clash = [name for name in metrics if name in _RESERVED]
        if clash:
            raise ValueError(f"metric names {clash} clash with the store's own columns")
        tables: dict[str, pd.DataFrame] = {}
        files: dict[str, str] = {}
        if keep_tables:
            files = dict(getattr(result, "parts", None) or {})
            for name, value in _attributes(result).items():
                if isinstance(value, pd.DataFrame) and name not in files:
                    tables[name] = value
        seconds = float(getattr(result, "seconds", math.nan))
        return cls(key, int(result.replication), metrics, seconds, tables, files)

    def row(self) -> dict[str, Any]:
        return {"replication": self.replication, "seconds": self.seconds, **self.metrics}


_RECORD_LIMIT = 4 * 2**20  # bytes of a failure record (its traceback included)
METRICS_FILE_LIMIT = 1 * 2**20
"""Largest stored metrics file read back, in bytes: one row of a few hundred metrics is
a few KB, so a larger file is not one peakend wrote."""
_MAX_METRICS = 10_000  # columns of one metrics row; peakend writes well under 1,000


def _check_metrics_file(path: Path) -> None:
    """Refuse a stored metrics file that is not one row of peakend's before reading it.

    A regular file (no link, FIFO or device), at most :data:`METRICS_FILE_LIMIT`
    bytes, whose Parquet footer (read alone, not the data) records one row and a
    plausible number of columns: a small file of millions of zero rows would
    otherwise take gigabytes to read.

    Raises
    ------
    OutputError
        Naming the file and what is wrong with it.
    """
    import pyarrow.parquet as pq

    try:
        info = path.lstat()
    except OSError as exc:
        raise OutputError(path, f"stored replication cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(path, "stored replication is not a regular file (a link, FIFO or device)")
    if info.st_size > METRICS_FILE_LIMIT:
        raise OutputError(
            path,
            f"stored replication is {info.st_size:,} bytes, above the {METRICS_FILE_LIMIT:,} "
            "a metrics file has; it is not peakend's: delete it to run that replication again",
        )
    try:
        meta = pq.read_metadata(path)
        rows, columns = meta.num_rows, meta.num_columns
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise OutputError(
            path,
            f"stored replication cannot be read ({type(exc).__name__}); delete the file "
            "to run that replication again",
            overwritable=True,
        ) from None
    if rows != 1 or not 2 <= columns <= _MAX_METRICS:
        raise OutputError(
            path,
            f"stored replication holds {rows:,} rows and {columns:,} columns, not the one "
            "row of metrics peakend writes; delete it to run that replication again",
        )


def _attributes(result: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(result):
        return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    return dict(vars(result))


class ResultStore:
    """Reads and writes one experiment's run directory (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    def _replication_dir(self, key: str) -> Path:
        return self.root / "replications" / key

    def _failure_path(self, key: str, replication: int) -> Path:
        return self.root / "failures" / key / f"{replication}.json"

    def completed(self, key: str) -> set[int]:
        """Replications of ``key`` whose results are stored."""
        folder = self._replication_dir(key)
        if not folder.is_dir():
            return set()
        found = (_METRICS_FILE.match(name.name) for name in folder.iterdir())
        return {int(match.group(1)) for match in found if match}

    def load(self, key: str, replication: int) -> ReplicationRecord:
        """The stored metrics of one replication (tables stay on disk; see :meth:`table`).

        Raises
        ------
        OutputError
            When the file cannot be read back (truncated, corrupted, another format).
        """
        path = self._replication_dir(key) / f"{replication}.parquet"
        _check_metrics_file(path)
        try:
            row = pd.read_parquet(path).iloc[0]
            metrics = {str(name): float(row[name]) for name in row.index if name not in _RESERVED}
            found = int(row["replication"])
            seconds = float(row["seconds"])
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise OutputError(
                path,
                f"stored replication cannot be read ({type(exc).__name__}); delete the file "
                "to run that replication again",
                overwritable=True,
            ) from None
        if found != replication:
            raise OutputError(path, f"holds replication {found}, not {replication}")
        return ReplicationRecord(key, found, metrics, seconds)

    def save(self, record: ReplicationRecord) -> None:
        """Store a finished replication: tables first, then the metrics row that marks it done."""
        folder = self._replication_dir(record.key)
        for name, frame in record.tables.items():
            write_table(folder / f"{record.replication}.{name}.parquet", frame)
        for name, file in record.table_files.items():
            adopt(folder / f"{record.replication}.{name}.parquet", Path(file))
        frame = pd.DataFrame([record.row()])
        write_table(folder / f"{record.replication}.parquet", frame)
        self._failure_path(record.key, record.replication).unlink(missing_ok=True)

    def record_files(self, key: str, replication: int) -> dict[str, str]:
        """Temporary files for a replication to stream its record tables into
        (:data:`peakend.runs.records.RECORD_TABLES`), journalled in the folder's ledger;
        :meth:`save` moves them into place, :meth:`discard` removes them."""
        folder = self._replication_dir(key)
        return {
            table: str(temporary_file(folder, f"{replication}.{table}.parquet"))
            for table in RECORD_TABLES
        }

    def discard(self, files: Mapping[str, str]) -> None:
        """Remove temporary files of :meth:`record_files` that were not saved."""
        for file in files.values():
            Path(file).unlink(missing_ok=True)

    def save_failure(self, record: FailureRecord) -> None:
        write_json(self._failure_path(record.key, record.replication), record.as_dict())

    def failures(self, key: str) -> dict[int, dict[str, Any]]:
        """Recorded failures of ``key`` by replication (those not since retried successfully)."""
        folder = self.root / "failures" / key
        if not folder.is_dir():
            return {}
        found = {}
        for path in sorted(folder.glob("*.json")):
            if path.stem.isdigit():
                try:
                    data = read_inside(folder, path.name, _RECORD_LIMIT).decode("utf-8")
                    found[int(path.stem)] = json.loads(data)
                except (ConfigError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                    found[int(path.stem)] = {"error_type": "unreadable failure record"}
        return found

    def table(self, key: str, name: str, replications: list[int] | None = None) -> pd.DataFrame:
        """A per-replication table (e.g. ``customers``) of ``key``, stacked over replications."""
        folder = self._replication_dir(key)
        wanted = sorted(self.completed(key)) if replications is None else replications
        paths = [folder / f"{r}.{name}.parquet" for r in wanted]
        missing = [p.name for p in paths if not p.exists()]
        if missing:
            raise FileNotFoundError(f"{folder}: no table {name!r} for {', '.join(missing)}")
        return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)

    def save_scenario(self, key: str, scenario: Scenario) -> None:
        """Keep the resolved scenario behind ``key`` (once; it never changes for a key)."""
        path = self.root / "scenarios" / f"{key}.toml"
        if not path.exists():
            header = f"Scenario {key}, written by peakend {__version__}."
            write_text(path, scenario_to_toml(scenario, header))

    def read_manifest(self) -> dict[str, Any]:
        """The manifest's content ({} when there is none or it is not readable JSON).

        Raises
        ------
        OutputError
            For a manifest whose layout was changed (a key of the wrong type).
        """
        path = self.root / "manifest.json"
        if not path.exists():
            return {}
        try:
            data = json.loads(read_inside(self.root, path.name, _RECORD_LIMIT * 16))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return {}
        return check_manifest(data, path) if isinstance(data, dict) else {}

    def write_manifest(self, data: Mapping[str, Any]) -> None:
        write_json(self.root / "manifest.json", dict(data))

    def write_json(self, name: str, data: Any) -> Path:
        path = self.root / name
        write_json(path, data)
        return path

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.root / name
        write_table(path, frame)
        return path

    def write_text(self, name: str, text: str) -> Path:
        path = self.root / name
        write_text(path, text)
        return path

    def write_file(self, name: str, write: Any) -> Path:
        """Atomically write ``name`` with ``write(tmp_path)`` (e.g. a figure's ``savefig``)."""
        path = self.root / name
        atomic_write(path, write)
        return path
