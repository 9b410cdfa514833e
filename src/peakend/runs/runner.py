"""Running a scenario over many replications and summarising it.

:func:`run_scenario` is what ``peakend run`` does, as a Python call: it runs the
replications (serially, or through any ``map``-like executor), computes each
replication's metrics and returns a :class:`RunResult` with per-replication
metrics, per-customer and per-contact records, and the summary with 95 %
confidence intervals (logit intervals for shares, see :mod:`peakend.analysis.stats`).

A replication that raises does not stop the others; at the end
:class:`~peakend.runs.errors.ReplicationError` is raised with the
failures and the :class:`RunResult` of the replications that finished. Ctrl-C
raises :class:`~peakend.runs.errors.RunInterrupted`, a
``KeyboardInterrupt`` that carries the finished ones, so a caller can keep them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from peakend.analysis.intervals import summarize_intervals
from peakend.analysis.metrics import EXPERIENCE_METRICS, QUEUE_METRICS, SHARE_METRICS
from peakend.analysis.stats import MIN_REPLICATIONS_FOR_INTERVALS, Estimate, estimate
from peakend.base import views
from peakend.config.budget import check_budget, estimate_scenario
from peakend.config.loading import config_hash, load_scenario, scenario_from_dict, scenario_to_dict
from peakend.config.schema import MAX_SEED, Scenario
from peakend.experience.trace import EpisodeKind, Traces
from peakend.runs import simulate
from peakend.runs.errors import FailureRecord, ReplicationError, RunInterrupted
from peakend.runs.executors import (
    ExecutorLike,
    ProgressBar,
    TaskError,
    as_executor,
    planned_workers,
)
from peakend.runs.forked import ForkedWork
from peakend.runs.records import PartWriter, read_part
from peakend.runs.simulate import (
    STREAM_RECORDS_BYTES,
    Simulated,
    simulate_blocks,
    simulate_replication,
    streams_records,
)

__all__ = [
    "ReplicationResult",
    "RunResult",
    "few_replications_warning",
    "finish_replication",
    "local_workers",
    "metric_names",
    "planned_workers",
    "replicate",
    "replication_memory_bytes",
    "STREAM_RECORDS_BYTES",
    "run_scenario",
    "simulate_blocks",
    "streams_records",
    "with_seed",
]

# The metrics of a multi-period run besides the day metrics averaged over periods
# (peakend.retention.multiperiod); money and agent-minutes are summed there.
_PERIOD_METRICS = (
    "customers",
    "visits",
    "retention_rate",
    "churn_rate",
    "profit",
    "revenue",
    "relationship_revenue",
    "visit_revenue",
    "staff_cost",
    "recovery_cost",
    "extras_cost",
    "recovery_minutes",
    "extras_minutes",
    "clv",
    "active_customers_end",
    "load_change",
    "initial_cohort_active_end",
)


def metric_names(scenario: Scenario) -> list[str]:
    """The metrics a replication of ``scenario`` reports, known before running it."""
    if scenario.retention.periods > 1:
        return list(dict.fromkeys([*_PERIOD_METRICS, *QUEUE_METRICS, *EXPERIENCE_METRICS]))
    if scenario.experience.enabled:
        return [*QUEUE_METRICS, *EXPERIENCE_METRICS]
    return list(QUEUE_METRICS)


DRIFT_WARNING_SHARE = 0.10
"""A base whose load changes by more than this share from its first period to its last is
drifting: far beyond the noise of a period's visits (about 1 % at 10,000), and enough to move
a busy plan's service level by several points."""


def drifting_base_warning(load_changes: Sequence[float], label: str = "the run") -> str | None:
    """The warning for a multi-period base whose load drifts (mean ``load_change``), or None."""
    finite = [value for value in load_changes if math.isfinite(value)]
    if not finite:
        return None
    change = sum(finite) / len(finite) - 1
    if abs(change) <= DRIFT_WARNING_SHARE:
        return None
    return (
        f"{label}: the load changes by {change:+.0%} from the first period to the last under "
        "an unchanged plan (newcomers and churn do not balance), so differences mix the drift "
        'with the lever; set retention.acquisition_per_period = "steady" and '
        "retention.warmup_periods >= 1 for a steady base"
    )


def few_replications_warning(replications: int) -> str | None:
    """The warning shown with intervals from fewer than three replications, or None."""
    if replications >= MIN_REPLICATIONS_FOR_INTERVALS:
        return None
    if replications <= 1:
        return (
            f"only {replications} replication: no confidence intervals; "
            f"run at least {MIN_REPLICATIONS_FOR_INTERVALS}"
        )
    return (
        f"only {replications} replications: the 95% intervals rest on one degree of freedom "
        f"and are very wide; run at least {MIN_REPLICATIONS_FOR_INTERVALS} (10 or more for "
        "stable intervals)"
    )


Mapper = Callable[
    [Callable[[int], "ReplicationResult"], Iterable[int]], Iterator["ReplicationResult"]
]


@dataclass(frozen=True)
class ReplicationResult:
    """Metrics and flat records of one replication (picklable, executor-friendly)."""

    replication: int
    metrics: dict[str, float]
    customers: pd.DataFrame
    contacts: pd.DataFrame
    seconds: float
    traces: pd.DataFrame | None = None
    """Trace pieces of a sample of customers (experience model on, single period)."""
    periods: pd.DataFrame | None = None
    """One row per period of a multi-period run."""
    cohorts: pd.DataFrame | None = None
    """Share of each acquisition cohort still active after each period."""
    intervals: pd.DataFrame | None = None
    """Counts and agent-minutes per interval and pool (single-day runs,
    :func:`peakend.analysis.intervals.replication_intervals`)."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds of each stage of the replication: ``simulate`` (the engine and the
    experience pass), ``metrics``, ``records`` (tables, trace sample, intervals)."""
    parts: dict[str, str] = field(default_factory=dict)
    """``{table: file}`` of record tables streamed to Parquet files as they were made
    (:mod:`peakend.runs.records`); ``customers`` and ``contacts`` are then empty and
    :meth:`records` reads the files."""

    def records(self, table: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Record table ``table`` (``"customers"`` or ``"contacts"``), ``columns`` only
        if given, from memory or from its streamed file."""
        if table in self.parts:
            return read_part(self.parts[table], columns)
        frame: pd.DataFrame = getattr(self, table)
        return frame[list(columns)] if columns is not None and not frame.empty else frame


def replicate(
    scenario: Scenario,
    replication: int,
    *,
    memory_budget_bytes: float | None = None,
    records: bool | Mapping[str, str] = True,
) -> ReplicationResult:
    """Simulate one replication (one day, or all periods) and compute its metrics.

    A day's records are made a block of customers at a time
    (:meth:`~peakend.simulation.replication.Replication.run_blocks`): each block adds
    to the metrics and the per-interval counts and is then handed over as record
    frames, so the replication never holds all of its tables, traces and memories at
    once. ``records=False`` makes no record frames at all (the result's ``customers``
    and ``contacts`` are empty): what an experiment that keeps only metrics needs.
    ``records={"customers": file, "contacts": file}`` streams each block's frames
    into those Parquet files as row groups (:class:`~peakend.runs.records.PartWriter`;
    the result names them in ``parts``): the run's own memory then holds one block.

    Raises
    ------
    BudgetError
        (a ``ConfigError``) before simulating, when the replication's estimated peak
        memory exceeds ``memory_budget_bytes`` (default
        :data:`peakend.config.budget.DEFAULT_MEMORY_BUDGET_BYTES`).
    """
    if scenario.retention.periods > 1:
        check_budget(
            estimate_scenario(scenario, 1, keep_records=records is True), memory_budget_bytes
        )
        return _replicate_periods(scenario, replication, records)
    simulated = simulate_replication(
        scenario, replication, records, memory_budget_bytes=memory_budget_bytes
    )
    return finish_replication(simulated)


def finish_replication(simulated: Simulated) -> ReplicationResult:
    """A single-day replication's result from its simulation
    (:func:`~peakend.runs.simulate.simulate_replication`): the record tables and the
    trace sample as frames, and the per-interval rows. The simulation's tables are let
    go of (the frames share their arrays)."""
    clock = time.perf_counter()
    replication = simulated.replication
    intervals = simulated.intervals.frame(simulated.capacity_log, replication)
    traces = None
    if simulated.trace_sample is not None:
        traces = _sample_frame(simulated.trace_sample, replication)
    customers = _frame(simulated.customers, replication)
    contacts = _frame(simulated.contacts, replication)
    simulated.customers = simulated.contacts = None
    seconds = dict(simulated.stages)
    seconds["records"] += time.perf_counter() - clock
    return ReplicationResult(
        replication,
        simulated.metrics,
        customers,
        contacts,
        sum(seconds.values()),
        traces,
        intervals=intervals,
        stages=seconds,
        parts=simulated.parts,
    )


def _frame(table: Any, replication: int) -> pd.DataFrame:
    """A record table as a frame, replication in front (no table: an empty frame); the
    frame's numeric columns are the table's arrays, not copies."""
    if table is None:
        return pd.DataFrame()
    return table.to_frame(share=True, replication=replication)


def _sample_frame(columns: dict[str, np.ndarray], replication: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": replication,
            "customer": columns["customer"],
            "kind": pd.Categorical.from_codes(
                columns["kind"], [kind.name.lower() for kind in EpisodeKind]
            ),
            "start_minutes": columns["start_minutes"],
            "duration_minutes": columns["duration_minutes"],
            "u_start": columns["u_start"],
            "u_end": columns["u_end"],
        }
    )


def _replicate_periods(
    scenario: Scenario, replication: int, records: bool | Mapping[str, str] = True
) -> ReplicationResult:
    """A multi-period replication: its records kept (``records=True``), dropped as each
    day is done (False) or written day by day into the files named (a mapping)."""
    from peakend.retention.multiperiod import run_periods

    started = time.perf_counter()
    writer = None if isinstance(records, bool) else PartWriter(records)

    def emit(table: str, frame: pd.DataFrame) -> None:
        if writer is not None:
            writer.add(table, _records(frame, scenario, replication))

    out = run_periods(scenario, replication, emit=None if records is True else emit)
    periods = out.periods
    periods.insert(0, "replication", replication)
    cohorts = out.cohorts
    cohorts.insert(0, "replication", replication)
    customers = contacts = pd.DataFrame()
    if records is True:
        customers = _records(out.visits, scenario, replication)
        contacts = _records(out.contacts, scenario, replication)
    parts = writer.close() if writer is not None else {}
    seconds = time.perf_counter() - started
    return ReplicationResult(
        replication,
        {**out.metrics, **_period_staffing(scenario, periods)},
        customers,
        contacts,
        seconds,
        None,
        periods,
        cohorts,
        stages={"simulate": seconds},  # the periods' metrics and records are built as they run
        parts=parts,
    )


def _period_staffing(scenario: Scenario, periods: pd.DataFrame) -> dict[str, float]:
    """``agent_hours`` and ``staff_cost`` of every simulated day of a multi-period run."""
    days = scenario.retention.periods * scenario.retention.days_per_period
    agent_hours = scenario.agent_hours(range(days))
    return {"agent_hours": float(agent_hours), "staff_cost": float(periods["staff_cost"].sum())}


def _records(frame: pd.DataFrame, scenario: Scenario, replication: int) -> pd.DataFrame:
    """A record table (codes already labelled) with its replication in front."""
    frame.insert(0, "replication", replication)
    return frame


def trace_sample(traces: Traces, size: int, replication: int) -> pd.DataFrame:
    """Pieces of ``size`` customers spread evenly over the day (for plots), as a table."""
    sample = simulate.TraceSample(size, traces.n)
    sample.add(0, traces)
    return _sample_frame(sample.columns(), replication)


@dataclass(frozen=True)
class RunResult:
    """All finished replications of one scenario.

    ``requested`` replications were asked for (0: as many as finished); the ones
    that raised are in ``failures``; ``interrupted`` when Ctrl-C stopped the run.
    """

    scenario: Scenario
    replications: list[ReplicationResult]
    seconds: float
    requested: int = 0
    failures: tuple[FailureRecord, ...] = ()
    interrupted: bool = False
    executor: dict[str, Any] = field(default_factory=dict)
    """What ran the replications (:meth:`~peakend.runs.executors.Executor.describe`)."""
    summary: dict[str, Estimate] = field(init=False)

    def __post_init__(self) -> None:
        names = list(self.replications[0].metrics) if self.replications else []
        summary = {
            name: estimate(
                [rep.metrics[name] for rep in self.replications], share=name in SHARE_METRICS
            )
            for name in names
        }
        object.__setattr__(self, "summary", summary)
        object.__setattr__(self, "requested", self.requested or len(self.replications))

    def __repr__(self) -> str:
        """One line: the scenario, replications, seed, status and a few key estimates."""
        return views.show("run_result_text", self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the summary with 95 % CIs, the warnings and the key plot."""
        return views.show("run_result_html", self)

    @property
    def status(self) -> str:
        """``finished``, ``failed`` (some replications raised) or ``interrupted``."""
        if self.interrupted:
            return "interrupted"
        return "failed" if self.failures else "finished"

    def replication_stages(self) -> dict[str, float]:
        """Seconds of each stage summed over the replications (in whichever processes ran
        them): ``simulate``, ``metrics``, ``records``."""
        total: dict[str, float] = {}
        for rep in self.replications:
            for name, seconds in rep.stages.items():
                total[name] = total.get(name, 0.0) + seconds
        return total

    @property
    def warnings(self) -> list[str]:
        """What a reader of the summary must know: too few replications, missing ones."""
        notes = []
        few = few_replications_warning(len(self.replications))
        if few is not None:
            notes.append(few)
        drift = drifting_base_warning(
            [rep.metrics.get("load_change", math.nan) for rep in self.replications]
        )
        if drift is not None:
            notes.append(drift)
        missing = self.requested - len(self.replications)
        if missing > 0:
            why = "interrupted" if self.interrupted else f"{len(self.failures)} failed"
            notes.append(
                f"{len(self.replications)} of {self.requested} replications finished ({why}); "
                "the summary covers the finished ones"
            )
        return notes

    def metrics_frame(self) -> pd.DataFrame:
        """One row per replication, one column per metric."""
        return pd.DataFrame(
            [{"replication": rep.replication, **rep.metrics} for rep in self.replications]
        )

    def customers_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per customer per replication (``columns`` only, if given; read from
        the streamed files of a run whose records were streamed)."""
        return _stack([rep.records("customers", columns) for rep in self.replications])

    def periods_frame(self) -> pd.DataFrame | None:
        """One row per period per replication (multi-period runs), or None."""
        frames = [rep.periods for rep in self.replications if rep.periods is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def cohorts_frame(self) -> pd.DataFrame | None:
        """Cohort retention curves per replication (multi-period runs), or None."""
        frames = [rep.cohorts for rep in self.replications if rep.cohorts is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def traces_frame(self) -> pd.DataFrame | None:
        """Trace pieces of the sampled customers of every replication, or None."""
        frames = [rep.traces for rep in self.replications if rep.traces is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def contacts_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per contact per replication (``columns`` only, if given)."""
        return _stack([rep.records("contacts", columns) for rep in self.replications])

    def record_parts(self, table: str) -> list[str] | None:
        """The streamed files of ``table``, one per replication in order, when the
        records were streamed (:mod:`peakend.runs.records`); else None."""
        if not self.replications or table not in self.replications[0].parts:
            return None
        return [rep.parts[table] for rep in self.replications]

    def intervals_frame(self) -> pd.DataFrame | None:
        """Per interval and pool, means over replications with CIs for the shares
        (``intervals.csv``; :func:`peakend.analysis.intervals.summarize_intervals`),
        or None for a multi-period run or no finished replications."""
        frames = [rep.intervals for rep in self.replications if rep.intervals is not None]
        if not frames:
            return None
        # Made once per set of replications (a run's plots and its files both ask; the
        # Erlang agents of every interval are searched for): a copy each time.
        held: tuple[list[pd.DataFrame], pd.DataFrame] | None = self.__dict__.get("_intervals")
        if (
            held is None
            or len(held[0]) != len(frames)
            or any(a is not b for a, b in zip(held[0], frames, strict=True))
        ):
            held = (frames, summarize_intervals(frames, self.scenario))
            object.__setattr__(self, "_intervals", held)
        return held[1].copy()

    def summary_dict(self) -> dict[str, Any]:
        """The ``summary.json`` content: every metric as mean and 95 % CI, and warnings."""
        return {
            "scenario": self.scenario.name,
            "replications": len(self.replications),
            "replications_requested": self.requested,
            "status": self.status,
            "seed": self.scenario.run.seed,
            "confidence_level": 0.95,
            "intervals": "logit interval for shares, Student-t otherwise",
            "warnings": self.warnings,
            "metrics": {name: est.as_dict() for name, est in self.summary.items()},
        }


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def with_seed(scenario: Scenario, seed: int | None) -> Scenario:
    """``scenario`` with ``run.seed`` set to ``seed`` (the same scenario for None).

    Raises
    ------
    ValueError
        For a seed that is not an integer from 0 to ``2**63 - 1``.
    """
    if seed is None or seed == scenario.run.seed:
        return scenario
    integer = isinstance(seed, int | np.integer) and not isinstance(seed, bool)
    if not integer or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    return scenario.model_copy(update={"run": scenario.run.model_copy(update={"seed": int(seed)})})


def resolve_scenario(
    scenario: Scenario | str | Path, overrides: Iterable[str] = (), seed: int | None = None
) -> Scenario:
    """A scenario, or a scenario file loaded, with ``overrides`` and ``seed`` applied.

    Raises
    ------
    ConfigError
        For a file that cannot be loaded or an override that does not apply.
    ValueError
        For a bad ``seed`` (see :func:`with_seed`).
    """
    overrides = list(overrides)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = scenario_from_dict(scenario_to_dict(scenario), scenario.name, overrides)
    return with_seed(scenario, seed)


def run_scenario(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    mapper: Mapper | None = None,
    *,
    seed: int | None = None,
    overrides: Iterable[str] = (),
    executor: ExecutorLike | None = None,
    progress: ProgressBar | bool | None = None,
    memory_budget_bytes: float | None = None,
    record_parts: Mapping[int, Mapping[str, str]] | None = None,
    keep_records: bool = True,
) -> RunResult:
    """Run ``replications`` replications (default: the scenario's) of ``scenario``.

    This is the one entry point for "run this scenario" (``peakend run`` calls it);
    :func:`peakend.run` is a thin alias that returns ``run_scenario(...).metrics_frame()``.

    ``scenario`` is a :class:`Scenario` or a scenario file; ``overrides`` are applied
    to it as by ``peakend run --set`` and ``seed`` replaces ``run.seed`` (as
    ``--seed``). It runs on ``executor`` (default: serially in this process): a
    peakend executor or any standard ``concurrent.futures.Executor`` (see
    :func:`~peakend.runs.executors.as_executor`), or through ``mapper``, a
    ``map``-like callable over replication numbers. Results are the same whatever
    runs them, since each replication owns its random streams. ``progress`` is an
    entered :class:`~peakend.runs.executors.ProgressBar` that counts the
    finished replications, or True for a bar of this run's own (in a terminal or a
    Jupyter notebook).

    Before anything runs, the run's peak memory is estimated from the scenario (all
    replications' records are kept, and each of the executor's workers holds one
    replication while it runs; see :mod:`peakend.config.budget`).

    ``record_parts`` maps each replication to ``{"customers": file, "contacts":
    file}``: its records are then streamed into those Parquet files by whichever
    process runs it (:mod:`peakend.runs.records`) and not kept in memory, and the
    estimate counts no records (``peakend run --out`` streams a run whose records
    would take more than :data:`STREAM_RECORDS_BYTES`). ``keep_records=False`` makes
    no record tables at all (metrics, intervals and the trace sample only: what
    ``peakend run`` without ``--out`` needs).

    Raises
    ------
    ConfigError
        For a scenario file that cannot be loaded or an override that does not apply.
    BudgetError
        (a ``ConfigError``) before any simulation, when the estimate exceeds
        ``memory_budget_bytes`` (default: 4 GiB); the message gives the estimate.
    ReplicationError
        When replications raised (the others still ran); its ``result`` is the
        :class:`RunResult` of the finished ones, its ``failures`` the tracebacks.
    RunInterrupted
        On Ctrl-C (a ``KeyboardInterrupt``); its ``result`` holds the finished ones.
    ValueError
        For fewer than one replication, or a bad seed.
    """
    scenario = resolve_scenario(scenario, overrides, seed)
    count = scenario.run.replications if replications is None else replications
    if count < 1:
        raise ValueError(f"replications must be >= 1, got {count}")
    pool = as_executor(executor)
    workers = local_workers(pool if mapper is None else getattr(mapper, "__self__", None))
    keep = keep_records and record_parts is None
    check_budget(
        estimate_scenario(scenario, count, workers=workers, keep_records=keep), memory_budget_bytes
    )
    work = _Replicate(scenario, memory_budget_bytes, dict(record_parts or {}), keep_records)
    if isinstance(progress, bool):
        with ProgressBar(progress, scenario.name) as bar:
            return _run_replications(scenario, count, mapper, pool, bar, work)
    return _run_replications(scenario, count, mapper, pool, progress, work)


def _run_replications(
    scenario: Scenario,
    count: int,
    mapper: Mapper | None,
    pool: Any,
    progress: ProgressBar | None,
    work: _Replicate,
) -> RunResult:
    started = time.perf_counter()
    finished: list[ReplicationResult] = []
    failures: list[FailureRecord] = []

    def result(interrupted: bool = False) -> RunResult:
        finished.sort(key=lambda rep: rep.replication)
        failures.sort(key=lambda failure: failure.replication)
        elapsed = time.perf_counter() - started
        ran_on = {"kind": "mapper"} if mapper is not None else pool.describe()
        return RunResult(
            scenario, finished, elapsed, count, tuple(failures), interrupted, executor=ran_on
        )

    try:
        if mapper is not None:
            _collect_mapped(mapper, work, count, finished, failures)
        else:
            if progress is not None:
                progress.add(count)
            memory = replication_memory_bytes(scenario)
            for outcome in pool.as_completed(work, range(count), memory_bytes=memory):
                if outcome.failure is not None:
                    failures.append(_failure(scenario, outcome.item, outcome.failure))
                elif outcome.value is not None:
                    finished.append(outcome.value)
                # After it is kept: a Ctrl-C that lands once the bar shows a replication
                # finished always finds that replication in the result.
                if progress is not None:
                    progress.advance()
    except KeyboardInterrupt:
        raise RunInterrupted(result(interrupted=True)) from None
    done = result()
    if failures:
        raise ReplicationError(done.failures, count, done)
    return done


def _collect_mapped(
    mapper: Mapper,
    work: _Replicate,
    count: int,
    finished: list[ReplicationResult],
    failures: list[FailureRecord],
) -> None:
    try:
        finished.extend(mapper(work, range(count)))
    except TaskError as exc:  # a mapper stops at its first failure
        failures.append(_failure(work.scenario, exc.item, exc.failure))


def _failure(scenario: Scenario, replication: int, failure: Any) -> FailureRecord:
    return FailureRecord(config_hash(scenario), scenario.name, int(replication), failure)


@dataclass(frozen=True)
class _Replicate:
    """A picklable ``replication -> ReplicationResult`` callable for executors."""

    scenario: Scenario
    memory_budget_bytes: float | None = None
    record_parts: dict[int, Mapping[str, str]] = field(default_factory=dict)
    """Where each replication streams its records (none: kept in memory)."""
    keep_records: bool = True

    def __call__(self, replication: int) -> ReplicationResult:
        records = self.record_parts.get(replication, self.keep_records)
        return replicate(
            self.scenario,
            replication,
            memory_budget_bytes=self.memory_budget_bytes,
            records=records,
        )

    def forked(self) -> ForkedWork | None:
        """The simulation half that a :class:`~peakend.runs.forked.ForkedExecutor`
        runs in its child (None for a run it cannot: multi-period, or records streamed)."""
        if self.scenario.retention.periods > 1 or self.record_parts:
            return None
        return ForkedWork(self.scenario, self.keep_records, self.memory_budget_bytes)

    def finish(self, simulated: Simulated) -> ReplicationResult:
        """The result of a replication simulated by :meth:`forked`'s work."""
        return finish_replication(simulated)


def replication_memory_bytes(scenario: Scenario) -> float:
    """Estimated peak memory of a worker process running one replication of ``scenario``
    and holding its records until they are sent back (:mod:`peakend.config.budget`):
    what a Dask worker needs (see :class:`~peakend.runs.executors.DaskExecutor`)."""
    return estimate_scenario(scenario, 1, keep_records=True).peak_bytes


def local_workers(executor: object) -> int:
    """Replications an executor runs at once on this machine (its memory adds up here).

    A remote Dask cluster's workers use their own machines' memory: they count as one.
    """
    if executor is None:
        return 1
    if getattr(executor, "kind", "") == "dask" and getattr(executor, "address", "") != "local":
        return 1
    workers = getattr(executor, "workers", 1)
    return workers if isinstance(workers, int) and workers >= 1 else 1
