"""Running the replications of an experiment's scenarios: executor, store and stopping rule.

A :class:`Session` is one call of :func:`peakend.experiments.api.run_experiment`. It
sends :class:`Job` objects (one replication of one scenario) to an executor,
keeps what comes back, stores each replication as soon as it finishes, reads
finished ones back from the store instead of running them again (resuming), and
records failures without stopping the others. With a sequential
:class:`~peakend.experiments.schema.ReplicationPlan` it adds batches of
replications until the confidence intervals are narrow enough.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from peakend.analysis.metrics import SHARE_METRICS
from peakend.analysis.stats import estimate
from peakend.config.loading import ConfigError
from peakend.config.schema import Scenario
from peakend.experiments.design import ScenarioSpec
from peakend.experiments.results import CONFIDENCE_LEVEL
from peakend.experiments.schema import ReplicationPlan
from peakend.runs.errors import Failure, FailureRecord
from peakend.runs.executors import Executor, ProgressBar
from peakend.runs.runner import replicate, replication_memory_bytes
from peakend.store.replications import ReplicationRecord, ResultStore

__all__ = ["Job", "ReplicationTask", "Session"]


@dataclass(frozen=True)
class Job:
    """One replication of one scenario: the unit of work sent to an executor."""

    key: str
    scenario: Scenario
    replication: int
    record_files: Mapping[str, str] | None = None
    """Where the replication streams its record tables (:meth:`ResultStore.record_files`:
    the worker writes them into the store, and only their names come back)."""


@dataclass(frozen=True)
class ReplicationTask:
    """Picklable ``Job -> ReplicationRecord``: runs ``replicate_fn`` and keeps what is stored."""

    keep_tables: bool = False
    replicate_fn: Any = replicate

    def __call__(self, job: Job) -> ReplicationRecord:
        if self.replicate_fn is replicate:  # no record frames made that would not be kept
            records = job.record_files if self.keep_tables and job.record_files else None
            result = replicate(job.scenario, job.replication, records=records or self.keep_tables)
        else:
            result = self.replicate_fn(job.scenario, job.replication)
        return ReplicationRecord.from_result(job.key, result, self.keep_tables)


class Session:
    """One call of ``run_experiment``: what is done, what ran, what failed."""

    def __init__(
        self,
        specs: list[ScenarioSpec],
        store: ResultStore | None,
        executor: Executor,
        task: ReplicationTask,
        bar: ProgressBar,
    ) -> None:
        self.scenarios: dict[str, ScenarioSpec] = {}
        for spec in specs:  # equal scenarios (same key) run once, under the first label
            self.scenarios.setdefault(spec.key, spec)
        self.store, self.executor, self.task, self.bar = store, executor, task, bar
        self.records: dict[str, dict[int, ReplicationRecord]] = {k: {} for k in self.scenarios}
        self.failures: dict[tuple[str, int], FailureRecord] = {}
        self.stored = {k: store.completed(k) if store else set() for k in self.scenarios}
        self._read: dict[str, dict[int, ReplicationRecord]] = {k: {} for k in self.scenarios}
        self.ran = self.skipped = 0
        self.replication_seconds = 0.0
        self._unsaved: dict[tuple[str, int], Mapping[str, str]] = {}
        """Record files made for replications not yet saved (:meth:`discard_unsaved`)."""
        self.store_seconds = 0.0
        """Wall-clock seconds this process spent storing finished replications."""

    def read_stored(self) -> None:
        """Read every stored replication now, before anything runs or is written.

        Raises
        ------
        OutputError
            For a stored file that cannot be read back (truncated, corrupted).
        """
        if self.store is None:
            return
        for key, replications in self.stored.items():
            for r in sorted(replications):
                self._read[key][r] = self.store.load(key, r)

    def run_plan(self, plan: ReplicationPlan, source: str) -> int:
        """Run the plan's replications of every scenario; return how many each has.

        A sequential plan adds batches until the half-width of its metric is below
        the target in every scenario, or its maximum is reached; it stops early
        when a replication fails.
        """
        count = plan.first
        while True:
            failed = self.run_to(count)
            if not plan.sequential or failed or count >= (plan.max or count):
                return count
            worst = self.worst_half_width(plan.metric, source)
            if worst <= (plan.target_half_width or 0):
                return count
            count = _next_count(count, worst, plan)

    def run_to(self, replications: int) -> int:
        """Make replications 0..n-1 of every scenario available; return new failures."""
        jobs = self._missing(replications)
        self.bar.add(len(jobs))
        failed = 0
        scenarios = {job.key: job.scenario for job in jobs}.values()
        memory = max(map(replication_memory_bytes, scenarios)) if jobs else None
        for outcome in self.executor.as_completed(self.task, jobs, memory_bytes=memory):
            failed += not self._keep(outcome.item, outcome.value, outcome.failure)
            self.ran += 1
            self.bar.advance()
        return failed

    def _missing(self, replications: int) -> list[Job]:
        """Jobs for replications not done yet; stored ones are read back instead."""
        jobs = []
        for key, spec in self.scenarios.items():
            done = self.records[key]
            for r in range(replications):
                if r in done:
                    continue
                if r in self.stored[key] and self.store is not None:
                    done[r] = self._read[key].get(r) or self.store.load(key, r)
                    self.skipped += 1
                else:
                    files = None
                    if self.task.keep_tables and self.store is not None:
                        files = self.store.record_files(key, r)
                        self._unsaved[(key, r)] = files
                    jobs.append(Job(key, spec.scenario, r, files))
        return jobs

    def discard_unsaved(self) -> None:
        """Remove the record files of replications that did not finish (failed, or not
        run when the session was interrupted)."""
        if self.store is not None:
            for files in self._unsaved.values():
                self.store.discard(files)
        self._unsaved.clear()

    def _keep(self, job: Job, record: ReplicationRecord | None, failure: Failure | None) -> bool:
        if failure is not None or record is None:
            self._fail(job, failure or _no_result())
            return False
        if self.store is not None:
            started = time.perf_counter()
            self.store.save(record)
            self._unsaved.pop((job.key, job.replication), None)
            self.store_seconds += time.perf_counter() - started
        self.records[job.key][job.replication] = dataclasses.replace(
            record, tables={}, table_files={}
        )
        self.failures.pop((job.key, job.replication), None)
        self.replication_seconds += record.seconds
        return True

    def _fail(self, job: Job, failure: Failure) -> None:
        label = self.scenarios[job.key].label
        failed = FailureRecord(job.key, label, job.replication, failure)
        self.failures[(job.key, job.replication)] = failed
        if self.store is not None:
            self.store.save_failure(failed)

    def worst_half_width(self, metric: str, source: str) -> float:
        """The largest CI half-width of ``metric`` over the scenarios (inf if unknown)."""
        widths = []
        for records in self.records.values():
            values = [_metric(rec, metric, source) for rec in records.values()]
            share = metric in SHARE_METRICS
            widths.append(estimate(values, CONFIDENCE_LEVEL, share=share).half_width)
        return max((math.inf if math.isnan(w) else w) for w in widths)


def _no_result() -> Failure:
    return Failure("RuntimeError", "the task returned no result", "")


def _metric(record: ReplicationRecord, metric: str, source: str) -> float:
    try:
        return record.metrics[metric]
    except KeyError:
        allowed = ", ".join(record.metrics)
        raise ConfigError(
            f"{source}: replications.metric: unknown metric {metric!r}; allowed: {allowed}"
        ) from None


def _next_count(current: int, worst: float, plan: ReplicationPlan) -> int:
    # The half-width shrinks like 1/sqrt(n): aim for the target, but at most
    # double per batch, because early estimates of the spread are noisy.
    target = plan.target_half_width or math.inf
    needed = math.ceil(current * (worst / target) ** 2) if math.isfinite(worst) else 2 * current
    return min(plan.max or current, max(current + 1, min(needed, 2 * current)))
