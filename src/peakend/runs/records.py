"""Record tables streamed to Parquet files while a replication makes them.

A replication makes its records a block of customers at a time
(:func:`peakend.runs.runner.replicate`). Kept in memory, the blocks are joined
into one frame per table; for a run too big for that, each block is written as
one row group of a Parquet file per replication and table (a :class:`PartWriter`)
as soon as it is made, so neither the replication nor the process that collects
the results ever holds a whole table: the worker that ran the replication writes
it, and only the files' names travel back.

The files are the caller's: ``peakend run --out`` gives each replication files in
its run folder, journalled there as temporary files before anything runs (a run
killed half-way leaves nothing that the next run in that folder does not remove),
joins them into ``customers.parquet`` and ``contacts.parquet`` row group by row
group (:func:`join_parts`) and removes them.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["RECORD_TABLES", "PartWriter", "dictionary_columns", "join_parts", "read_part"]

RECORD_TABLES = ("customers", "contacts")
"""The record tables a replication can stream (one row per customer, per contact)."""


def dictionary_columns(schema: Any) -> list[str]:
    """The columns of a table (its pyarrow schema) that peakend's Parquet files
    dictionary-encode: labels (categoricals) and text. Numbers and flags are written
    plain: dictionary-encoding 100,000 distinct waiting times only to give it up took
    half the time of writing a run's records, for larger files (measured on the
    benchmark scenario's customers and contacts: 0.16 s against 0.08 s, 11.6 MB
    against 10.6 MB; docs/benchmarks.md). The values read back are the same."""
    import pyarrow as pa

    return [
        field.name
        for field in schema
        if pa.types.is_dictionary(field.type)
        or pa.types.is_string(field.type)
        or pa.types.is_large_string(field.type)
    ]


class PartWriter:
    """Writes a replication's record frames, each call one row group, into the files
    ``paths`` names (one per table of :data:`RECORD_TABLES`)."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        unknown = sorted(set(paths) - set(RECORD_TABLES))
        if unknown:
            raise ValueError(f"no record table named {unknown[0]!r}; tables: {RECORD_TABLES}")
        self.paths = dict(paths)
        self._writers: dict[str, Any] = {}

    def add(self, table: str, frame: pd.DataFrame) -> None:
        """Append ``frame`` to ``table``'s file as one row group."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = pa.Table.from_pandas(frame, preserve_index=False)
        writer = self._writers.get(table)
        if writer is None:
            writer = self._writers[table] = pq.ParquetWriter(
                self.paths[table], data.schema, use_dictionary=dictionary_columns(data.schema)
            )
        writer.write_table(data)

    def close(self) -> dict[str, str]:
        """Close the files; returns ``{table: path}`` of those written."""
        for writer in self._writers.values():
            writer.close()
        written = {table: self.paths[table] for table in self._writers}
        self._writers.clear()
        return written


def read_part(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One replication's streamed table (``columns`` only, if given) as a frame."""
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=list(columns) if columns else None).to_pandas()


def join_parts(parts: Sequence[str | Path], target: Path, table_format: str = "parquet") -> None:
    """Write the tables of ``parts`` (files of :class:`PartWriter`, one table each), in
    order, into ``target`` as ``table_format`` (``"parquet"`` or ``"csv"``), a row group
    at a time (the memory of one block of customers, whatever the run's size).

    A CSV quotes every text field when a label holds a carriage return, as
    :func:`peakend.store.files.write_table` does (labels are the scenario's names,
    the same in every part).
    """
    import pyarrow.parquet as pq

    if table_format == "parquet":
        writer = None
        try:
            for part in parts:
                file = pq.ParquetFile(part)
                for group in range(file.num_row_groups):
                    data = file.read_row_group(group)
                    if writer is None:
                        writer = pq.ParquetWriter(
                            target, data.schema, use_dictionary=dictionary_columns(data.schema)
                        )
                    writer.write_table(data)
        finally:
            if writer is not None:
                writer.close()
        return
    header = True
    with open(target, "w", encoding="utf-8", newline="") as out:
        for part in parts:
            file = pq.ParquetFile(part)
            for group in range(file.num_row_groups):
                frame = file.read_row_group(group).to_pandas()
                quoting = csv.QUOTE_NONNUMERIC if _labels_with_cr(frame) else csv.QUOTE_MINIMAL
                frame.to_csv(out, index=False, header=header, quoting=quoting)
                header = False


def _labels_with_cr(frame: pd.DataFrame) -> bool:
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            if any("\r" in str(label) for label in values.cat.categories):
                return True
    return any("\r" in str(column) for column in frame.columns)
