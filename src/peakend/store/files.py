"""Atomic files: every file peakend writes appears whole or not at all.

Every file is written to a temporary name in the same directory and then
renamed into place, so a crash or a Ctrl-C never leaves a half-written file and
never destroys the previous version of a file. Inside a folder claimed by a
:class:`~peakend.store.rundir.RunDirectory` each file is also recorded in the
folder's ledger (:mod:`peakend.store.ledger`).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from peakend.runs.records import dictionary_columns
from peakend.store.ledger import active_ledger

__all__ = [
    "adopt",
    "atomic_write",
    "json_safe",
    "temporary_file",
    "write_json",
    "write_table",
    "write_text",
]


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``.

    Inside a folder claimed by a :class:`~peakend.store.rundir.RunDirectory`, the
    file is recorded in the folder's ledger (:mod:`peakend.store.ledger`) before
    it is renamed into place, and ``path`` may not be reached through a symbolic
    link or replace a file peakend did not write there (an ``OutputError``).
    """
    owner = active_ledger(path)
    if owner is not None:
        owner.check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        if owner is not None:
            owner.note_temporary(tmp)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        if owner is not None:
            owner.record(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def adopt(path: Path, written: Path) -> None:
    """Move ``written``, a file complete in the same folder (another process may have
    written it: a worker), into place as ``path``, recorded in the folder's ledger as
    :func:`atomic_write` records its own files, under the same rules."""
    owner = active_ledger(path)
    if owner is not None:
        owner.check_target(path)
    os.chmod(written, 0o666 & ~_umask())
    if owner is not None:
        owner.record(path, written)
    os.replace(written, path)


def temporary_file(folder: Path, name: str) -> Path:
    """A new empty file ``.NAME.XXXXXXXX`` in ``folder``, journalled as temporary in a
    claimed folder's ledger (so a kill leaves nothing the next claim does not remove),
    to be written by anyone and then :func:`adopt`-ed or removed."""
    folder.mkdir(parents=True, exist_ok=True)
    owner = active_ledger(folder / name)
    handle, made = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    os.close(handle)
    path = Path(made)
    if owner is not None:
        owner.note_temporary(path)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Atomically write a text file."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Atomically write pretty, key-sorted JSON (NaN/inf become null)."""
    write_text(path, json.dumps(_json_safe(data), indent=2, sort_keys=True) + "\n")


def write_table(path: Path, frame: pd.DataFrame) -> None:
    """Atomically write a DataFrame as Parquet (``.parquet``) or CSV (``.csv``).

    A CSV whose text (a name, a label) holds a carriage return quotes every text
    field: the csv module quotes only fields with the line terminator (``\n``) in
    them, and a reader would end the row at the bare ``\r``.
    """
    if path.suffix == ".parquet":
        import pyarrow as pa

        schema = pa.Schema.from_pandas(frame, preserve_index=False)
        encoded = dictionary_columns(schema)
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False, use_dictionary=encoded))
    else:
        quoting = csv.QUOTE_NONNUMERIC if _has_carriage_return(frame) else csv.QUOTE_MINIMAL
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, quoting=quoting))


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    if any("\r" in str(column) for column in frame.columns):
        return True
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = pd.Series(values.cat.categories)
        elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if values.astype("string").str.contains("\r", regex=False).fillna(False).any():
            return True
    return False


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None and numpy scalars as Python numbers
    (what ``json.dumps`` takes; the JSON files and ``--json`` outputs)."""
    return _json_safe(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value
