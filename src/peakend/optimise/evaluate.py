"""Evaluating plans: replications with common random numbers, through an executor and the store.

Every plan's replication ``r`` uses the base scenario's seed, so plans are
compared on the same customers and the same agents' days (common random numbers)
and differences are paired. :class:`Evaluator` runs the replications a plan still
lacks, as one batch over every plan asked for (so an executor's workers stay
busy), keeps each replication's metrics, and stores it at once in a
:class:`~peakend.store.replications.ResultStore` (the layout of an experiment's
run directory), from which a later session reads it back instead of running it.

Besides the metrics of :func:`peakend.runs.runner.replicate`, a replication
here reports (:func:`optimise_replicate`):

- ``total_cost``: ``staff_cost + recovery_cost + extras_cost`` (money);
- single-day runs: ``interval_service_level:POOL:I`` and
  ``interval_abandonment_rate:POOL:I`` per interval (NaN where nobody queued) and
  their worst over the pool's intervals (``interval_service_level:POOL``, the
  minimum; ``interval_abandonment_rate:POOL``, the maximum), and
  ``absence_rate``: the share of rostered agent-intervals whose agent was absent;
- multi-period runs: ``worst_period_service_level`` (the lowest week's, say),
  ``worst_period_abandonment_rate`` and ``worst_period_retention_rate``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from peakend.config.schema import Scenario
from peakend.experiments.session import Job, ReplicationTask
from peakend.optimise.plans import Plan
from peakend.optimise.problem import Optimisation
from peakend.runs.errors import FailureRecord
from peakend.runs.executors import Executor, ProgressBar, SerialExecutor
from peakend.runs.runner import ReplicationResult, replicate
from peakend.store.replications import ReplicationRecord, ResultStore, scenario_key

__all__ = ["EvaluationFailed", "Evaluator", "optimise_replicate"]

_PERIOD_WORST = {"service_level": min, "abandonment_rate": max, "retention_rate": min}


class EvaluationFailed(RuntimeError):
    """A replication of a plan raised: the search cannot judge that plan."""

    def __init__(self, label: str, replication: int, message: str) -> None:
        super().__init__(f"{label}: replication {replication} failed: {message}")


def optimise_replicate(scenario: Scenario, replication: int) -> ReplicationResult:
    """:func:`~peakend.runs.runner.replicate` with the optimiser's extra metrics
    (see the module docstring). Picklable: executors send it to their workers."""
    result = replicate(scenario, replication)
    metrics = dict(result.metrics)
    metrics["total_cost"] = (
        metrics["staff_cost"] + metrics.get("recovery_cost", 0.0) + metrics.get("extras_cost", 0.0)
    )
    if result.intervals is not None:
        metrics.update(_interval_metrics(result.intervals))
    if result.periods is not None:
        for name, worst in _PERIOD_WORST.items():
            if name in result.periods:
                metrics[f"worst_period_{name}"] = float(worst(result.periods[name]))
    return dataclasses.replace(result, metrics=metrics)


def _interval_metrics(frame: Any) -> dict[str, float]:
    metrics: dict[str, float] = {}
    scheduled = float(frame["agents_scheduled"].sum())
    present = float(frame["agents_present"].sum())
    metrics["absence_rate"] = 1.0 - present / scheduled if scheduled else 0.0
    for pool, rows in frame.groupby("pool", sort=False):
        offered = rows["offered"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            service = np.where(offered > 0, rows["answered_in_threshold"] / offered, np.nan)
            abandon = np.where(offered > 0, rows["abandoned"] / offered, np.nan)
        for i, (sl, ab) in enumerate(zip(service, abandon, strict=True)):
            metrics[f"interval_service_level:{pool}:{i}"] = float(sl)
            metrics[f"interval_abandonment_rate:{pool}:{i}"] = float(ab)
        metrics[f"interval_service_level:{pool}"] = _worst(service, np.nanmin)
        metrics[f"interval_abandonment_rate:{pool}"] = _worst(abandon, np.nanmax)
    return metrics


def _worst(values: np.ndarray, worst: Any) -> float:
    return float(worst(values)) if np.isfinite(values).any() else math.nan


class Evaluator:
    """Runs and remembers the replications of plans (see the module docstring)."""

    def __init__(
        self,
        problem: Optimisation,
        executor: Executor | None = None,
        store: ResultStore | None = None,
        bar: ProgressBar | None = None,
        replicate_fn: Any = optimise_replicate,
    ) -> None:
        self.problem = problem
        self.executor = executor or SerialExecutor()
        self.store = store
        self.bar = bar or ProgressBar(False)
        self.task = ReplicationTask(False, replicate_fn)
        self.records: dict[str, dict[int, dict[str, float]]] = {}
        self._scenarios: dict[Plan, tuple[str, Scenario]] = {}
        self.ran = self.read = 0
        self.seconds = 0.0
        """Wall-clock seconds spent waiting for replications."""
        self.replication_seconds = 0.0
        """Seconds the replications run here took, summed over the workers."""

    def key(self, plan: Plan) -> str:
        """The store key of ``plan``'s scenario."""
        return self._scenario(plan)[0]

    def scenario(self, plan: Plan) -> Scenario:
        return self._scenario(plan)[1]

    def _scenario(self, plan: Plan) -> tuple[str, Scenario]:
        if plan not in self._scenarios:
            scenario = self.problem.scenario(plan)
            self._scenarios[plan] = (scenario_key(scenario), scenario)
        return self._scenarios[plan]

    def count(self, plan: Plan) -> int:
        """Replications 0, 1, ... of ``plan`` available without a gap."""
        done = self.records.get(self.key(plan), {})
        n = 0
        while n in done:
            n += 1
        return n

    def ensure(self, plans: Sequence[Plan], replications: int) -> None:
        """Make replications ``0 .. replications - 1`` of every plan available.

        Raises
        ------
        EvaluationFailed
            When a replication raised (its traceback is stored in
            ``failures/<key>/<r>.json`` when there is a store).
        """
        jobs = [job for plan in dict.fromkeys(plans) for job in self._missing(plan, replications)]
        if not jobs:
            return
        started = time.perf_counter()
        self.bar.add(len(jobs))
        failure = None
        for outcome in self.executor.as_completed(self.task, jobs):
            job = outcome.item
            if outcome.failure is not None or outcome.value is None:
                failure = failure or (job, outcome.failure)
                if outcome.failure is not None and self.store is not None:
                    record = FailureRecord(job.key, job.key, job.replication, outcome.failure)
                    self.store.save_failure(record)
            else:
                self._keep(outcome.value)
            self.bar.advance()
        self.seconds += time.perf_counter() - started
        if failure is not None:
            job, error = failure
            message = f"{error.error_type}: {error.message}" if error else "no result"
            raise EvaluationFailed(job.key, job.replication, message)

    def _missing(self, plan: Plan, replications: int) -> list[Job]:
        key, scenario = self._scenario(plan)
        done = self.records.setdefault(key, {})
        stored = self.store.completed(key) if self.store is not None else set()
        jobs = []
        for r in range(replications):
            if r in done:
                continue
            if r in stored and self.store is not None:
                done[r] = self.store.load(key, r).metrics
                self.read += 1
            else:
                jobs.append(Job(key, scenario, r))
        if jobs and self.store is not None:
            self.store.save_scenario(key, scenario)
        return jobs

    def _keep(self, record: ReplicationRecord) -> None:
        if self.store is not None:
            self.store.save(record)
        self.records.setdefault(record.key, {})[record.replication] = record.metrics
        self.ran += 1
        if record.seconds == record.seconds:  # not NaN
            self.replication_seconds += record.seconds

    def values(self, plan: Plan, metric: str, replications: int | None = None) -> np.ndarray:
        """``metric`` of replications ``0 .. n - 1`` of ``plan`` (n: all available)."""
        done = self.records.get(self.key(plan), {})
        n = self.count(plan) if replications is None else replications
        return np.array([done[r].get(metric, math.nan) for r in range(n)], dtype=float)

    def metric_names(self, plan: Plan) -> list[str]:
        """The metrics ``plan``'s replications report (none before one has run)."""
        done = self.records.get(self.key(plan), {})
        return list(done[0]) if 0 in done else []


def plans_metric(evaluator: Evaluator, plans: Iterable[Plan], metric: str, n: int) -> np.ndarray:
    """A ``plans x n`` array of ``metric`` (rows in the order of ``plans``)."""
    return np.array([evaluator.values(plan, metric, n) for plan in plans])
