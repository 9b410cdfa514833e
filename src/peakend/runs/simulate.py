"""One single-day replication simulated, with NumPy only.

:func:`simulate_replication` is the first half of
:func:`peakend.runs.runner.replicate`: it runs the engine and the experience pass a
block of customers at a time (:meth:`~peakend.simulation.replication.Replication.run_blocks`)
and keeps what every block adds up to: the metrics (a
:class:`~peakend.analysis.metrics.MetricTally`), the per-interval counts (an
:class:`~peakend.analysis.interval_counts.IntervalTally`), the trace sample's
columns and, when the records are kept, the record tables' columns. The second
half, :func:`peakend.runs.runner.finish_replication`, turns that into a
:class:`~peakend.runs.runner.ReplicationResult` of pandas frames.

The halves are split so that the simulation needs neither pandas, pyarrow nor SciPy
(about 0.7 s of imports): ``peakend run`` starts it in a process forked before the
command imports them (:mod:`peakend.runs.forked`) and imports them while the engine
runs. A :class:`Simulated` is plain NumPy arrays, small to send between processes.
Records streamed to files (``records={table: file}``) are written here, a block at a
time, and only then import pandas and pyarrow.

Also here, for the same reason (``peakend run`` decides them before those imports):
whether a run streams its records (:func:`streams_records`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from peakend.analysis.interval_counts import IntervalTally
from peakend.analysis.metrics import MetricTally, staffing_metrics
from peakend.config.budget import check_budget, estimate_scenario
from peakend.config.schema import Scenario
from peakend.experience.trace import Traces
from peakend.simulation.replication import BlockRun, ContactTable, CustomerTable, Replication

__all__ = [
    "STREAM_RECORDS_BYTES",
    "Simulated",
    "TRACE_SAMPLE_COLUMNS",
    "TraceSample",
    "simulate_blocks",
    "simulate_replication",
    "streams_records",
]

STREAM_RECORDS_BYTES = 512 * 2**20
"""Records (all replications') above which ``peakend run --out`` streams them to files
as they are made rather than keeping them in memory (:func:`streams_records`)."""

TRACE_SAMPLE_COLUMNS = (
    "customer",
    "kind",
    "start_minutes",
    "duration_minutes",
    "u_start",
    "u_end",
)
"""The columns of a trace sample (:attr:`Simulated.trace_sample`), in order."""


@dataclass
class Simulated:
    """A single-day replication simulated, before its records become frames.

    Everything is NumPy or plain Python (picklable, a few arrays per table); the
    record tables are ``None`` when the records were not kept (streamed to ``parts``,
    or not made)."""

    replication: int
    scenario: Scenario
    metrics: dict[str, float]
    intervals: IntervalTally
    """The replication's per-interval counts (``.frame(capacity_log)`` makes the rows)."""
    capacity_log: dict[str, list[tuple[float, int]]]
    customers: CustomerTable | None
    contacts: ContactTable | None
    trace_sample: dict[str, np.ndarray] | None
    """The trace pieces of the sampled customers (:data:`TRACE_SAMPLE_COLUMNS`);
    ``None`` with the experience model off."""
    stages: dict[str, float]
    """Seconds so far of ``simulate``, ``metrics`` and ``records``."""
    parts: dict[str, str] = field(default_factory=dict)
    """``{table: file}`` of records streamed to Parquet files."""


def simulate_blocks(scenario: Scenario, replication: int) -> BlockRun:
    """Simulate replication ``replication`` of ``scenario``; its records are made later,
    a block of customers at a time (:meth:`~peakend.simulation.replication.BlockRun.blocks`)."""
    return Replication(scenario, replication).run_blocks()


def simulate_replication(
    scenario: Scenario,
    replication: int,
    records: bool | Mapping[str, str] = True,
    *,
    memory_budget_bytes: float | None = None,
) -> Simulated:
    """Simulate replication ``replication`` of a single-day ``scenario`` and add up its
    blocks (see the module's docstring; ``records`` as in
    :func:`~peakend.runs.runner.replicate`).

    Raises
    ------
    BudgetError
        Before simulating, as :func:`~peakend.runs.runner.replicate` does.
    ValueError
        For a multi-period scenario (:func:`~peakend.runs.runner.replicate` runs those).
    """
    if scenario.retention.periods > 1:
        raise ValueError("simulate_replication runs single-day scenarios only")
    held = records is True  # tables kept until the result is handed over
    check_budget(estimate_scenario(scenario, 1, keep_records=held), memory_budget_bytes)
    started = time.perf_counter()
    run = simulate_blocks(scenario, replication)
    seconds = {"simulate": time.perf_counter() - started, "metrics": 0.0, "records": 0.0}
    config = scenario.run
    tally = MetricTally(
        config.warmup_minutes,
        scenario.horizon_minutes,
        config.service_level_threshold_minutes,
        bad_below=scenario.experience.bad_memory_threshold,
    )
    per_interval = IntervalTally(scenario)
    sample = TraceSample(scenario.experience.trace_sample, run.customer_count)
    tables = _Tables(replication, None if isinstance(records, bool) else records)
    blocks = run.blocks()
    while True:
        clock = time.perf_counter()
        block = next(blocks, None)  # tables, experience and memory of the next block
        measured = time.perf_counter()
        seconds["simulate"] += measured - clock
        if block is None:
            break
        tally.add_contacts(block.contacts)
        tally.add_customers(block.customers)
        per_interval.add(block.contacts, run.end_time)
        if block.traces is not None:
            sample.add(block.first, block.traces)
        clock = time.perf_counter()
        seconds["metrics"] += clock - measured
        if records:
            tables.add(block.customers, block.contacts)
        del block
        seconds["records"] += time.perf_counter() - clock
    clock = time.perf_counter()
    metrics = tally.queue_metrics(run.busy_minutes, run.available_minutes)
    metrics.update(staffing_metrics(scenario))
    if scenario.experience.enabled:
        metrics.update(tally.experience_metrics())
    customers, contacts = tables.joined()
    seconds["records"] += time.perf_counter() - clock
    return Simulated(
        replication,
        scenario,
        metrics,
        per_interval,
        run.capacity_log,
        customers,
        contacts,
        sample.columns() if scenario.experience.enabled else None,
        seconds,
        tables.parts,
    )


class _Tables:
    """A replication's record tables, a block at a time: joined at the end, or each
    block's frames written to the files ``paths`` names at once (a
    :class:`~peakend.runs.records.PartWriter`, which imports pandas and pyarrow)."""

    def __init__(self, replication: int, paths: Mapping[str, str] | None = None) -> None:
        self.replication = replication
        self.customers: list[CustomerTable] = []
        self.contacts: list[ContactTable] = []
        self.parts: dict[str, str] = {}
        self.writer: Any = None
        if paths is not None:
            from peakend.runs.records import PartWriter

            self.writer = PartWriter(paths)

    def add(self, customers: CustomerTable, contacts: ContactTable) -> None:
        if self.writer is None:
            self.customers.append(customers)
            self.contacts.append(contacts)
        else:
            self.writer.add(
                "customers", customers.to_frame(share=True, replication=self.replication)
            )
            self.writer.add("contacts", contacts.to_frame(share=True, replication=self.replication))

    def joined(self) -> tuple[CustomerTable | None, ContactTable | None]:
        if self.writer is not None:
            self.parts = self.writer.close()
        return _joined(self.customers), _joined(self.contacts)


def _joined(tables: list[Any]) -> Any:
    """The blocks' tables as one table (none: None). Joined a column at a time, each
    block's column let go of once copied: the records are held once, plus one column,
    never twice."""
    if not tables:
        return None
    if len(tables) > 1:
        first = tables[0]
        columns = {
            name: np.concatenate([table.columns.pop(name) for table in tables])
            for name in list(first.columns)
        }
        tables[:] = [type(first)(columns, first.labels)]
    return tables.pop()


class TraceSample:
    """The trace pieces of ``size`` customers spread evenly over the run, gathered from
    blocks of traces (for plots; :func:`peakend.runs.runner.trace_sample`)."""

    def __init__(self, size: int, customers: int) -> None:
        self.chosen = _sampled(size, customers)
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, first: int, traces: Traces) -> None:
        keep = np.isin(traces.owner + first, self.chosen)
        self.parts.append(
            {
                "customer": traces.owner[keep] + first,
                "kind": traces.kind[keep],
                "start_minutes": traces.start[keep],
                "duration_minutes": traces.duration[keep],
                "u_start": traces.u_start[keep],
                "u_end": traces.u_end[keep],
            }
        )

    def columns(self) -> dict[str, np.ndarray]:
        if len(self.parts) == 1:
            return self.parts[0]
        return {
            name: np.concatenate([part[name] for part in self.parts])
            for name in TRACE_SAMPLE_COLUMNS
        }


def _sampled(size: int, n: int) -> np.ndarray:
    """The customers whose traces a sample of ``size`` out of ``n`` keeps."""
    if size == 0 or n == 0:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, min(size, n)).astype(np.int64))


def streams_records(scenario: Scenario, replications: int | None = None) -> bool:
    """Whether ``peakend run --out`` streams the records of ``replications`` (default:
    the scenario's) replications of ``scenario``: when they would take more than
    :data:`STREAM_RECORDS_BYTES` kept, by the memory estimate
    (:mod:`peakend.config.budget`). It depends on the scenario and the count alone, so
    a run writes the same files whatever runs it."""
    count = scenario.run.replications if replications is None else replications
    kept = estimate_scenario(scenario, count, keep_records=True).peak_bytes
    held = estimate_scenario(scenario, count, keep_records=False).peak_bytes
    return kept - held > STREAM_RECORDS_BYTES
