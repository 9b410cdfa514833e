"""Running a scenario over many replications and summarising it.

:func:`run_scenario` is what ``peakend run`` does, as a Python call: it runs the
replications (serially, or through any ``map``-like executor), computes each
replication's metrics and returns a :class:`RunResult` with per-replication
metrics, per-customer and per-contact records, and the summary with 95 %
confidence intervals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from peakend.analysis.metrics import experience_metrics, replication_metrics
from peakend.analysis.stats import Estimate, estimate
from peakend.config.schema import Scenario
from peakend.engine.replication import simulate
from peakend.experience.trace import EpisodeKind, Traces

__all__ = ["ReplicationResult", "RunResult", "replicate", "run_scenario"]

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


def replicate(scenario: Scenario, replication: int) -> ReplicationResult:
    """Simulate one replication (one day, or all periods) and compute its metrics."""
    if scenario.retention.periods > 1:
        return _replicate_periods(scenario, replication)
    started = time.perf_counter()
    output = simulate(scenario, replication)
    window = (scenario.run.warmup_minutes, scenario.horizon_minutes)
    metrics = replication_metrics(output, *window, scenario.run.service_level_threshold_minutes)
    traces = None
    if output.traces is not None:
        metrics.update(
            experience_metrics(output, *window, scenario.experience.bad_memory_threshold)
        )
        traces = trace_sample(output.traces, scenario.experience.trace_sample, replication)
    customers = _records(output.customers.to_frame(), scenario, replication)
    contacts = _records(output.contacts.to_frame(), scenario, replication)
    return ReplicationResult(
        replication, metrics, customers, contacts, time.perf_counter() - started, traces
    )


def _replicate_periods(scenario: Scenario, replication: int) -> ReplicationResult:
    from peakend.retention.multiperiod import run_periods

    started = time.perf_counter()
    out = run_periods(scenario, replication)
    periods = out.periods
    periods.insert(0, "replication", replication)
    cohorts = out.cohorts
    cohorts.insert(0, "replication", replication)
    return ReplicationResult(
        replication,
        out.metrics,
        _records(out.visits, scenario, replication),
        _records(out.contacts, scenario, replication),
        time.perf_counter() - started,
        None,
        periods,
        cohorts,
    )


def _records(frame: pd.DataFrame, scenario: Scenario, replication: int) -> pd.DataFrame:
    """A record table (codes already labelled) with its replication in front."""
    frame.insert(0, "replication", replication)
    return frame


def trace_sample(traces: Traces, size: int, replication: int) -> pd.DataFrame:
    """Pieces of ``size`` customers spread evenly over the day (for plots), as a table."""
    if size == 0 or traces.n == 0:
        chosen = np.empty(0, dtype=np.int64)
    else:
        chosen = np.unique(np.linspace(0, traces.n - 1, min(size, traces.n)).astype(np.int64))
    keep = np.isin(traces.owner, chosen)
    return pd.DataFrame(
        {
            "replication": replication,
            "customer": traces.owner[keep],
            "kind": pd.Categorical.from_codes(
                traces.kind[keep], [kind.name.lower() for kind in EpisodeKind]
            ),
            "start_minutes": traces.start[keep],
            "duration_minutes": traces.duration[keep],
            "u_start": traces.u_start[keep],
            "u_end": traces.u_end[keep],
        }
    )


@dataclass(frozen=True)
class RunResult:
    """All replications of one scenario."""

    scenario: Scenario
    replications: list[ReplicationResult]
    seconds: float
    summary: dict[str, Estimate] = field(init=False)

    def __post_init__(self) -> None:
        names = list(self.replications[0].metrics) if self.replications else []
        summary = {
            name: estimate([rep.metrics[name] for rep in self.replications]) for name in names
        }
        object.__setattr__(self, "summary", summary)

    def metrics_frame(self) -> pd.DataFrame:
        """One row per replication, one column per metric."""
        return pd.DataFrame(
            [{"replication": rep.replication, **rep.metrics} for rep in self.replications]
        )

    def customers_frame(self) -> pd.DataFrame:
        """One row per customer per replication."""
        return pd.concat([rep.customers for rep in self.replications], ignore_index=True)

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

    def contacts_frame(self) -> pd.DataFrame:
        """One row per contact per replication."""
        return pd.concat([rep.contacts for rep in self.replications], ignore_index=True)

    def summary_dict(self) -> dict[str, Any]:
        """The ``summary.json`` content: every metric as mean and 95 % CI."""
        return {
            "scenario": self.scenario.name,
            "replications": len(self.replications),
            "seed": self.scenario.run.seed,
            "confidence_level": 0.95,
            "metrics": {name: est.as_dict() for name, est in self.summary.items()},
        }


def run_scenario(
    scenario: Scenario,
    replications: int | None = None,
    mapper: Mapper | None = None,
) -> RunResult:
    """Run ``replications`` replications (default: the scenario's) of ``scenario``.

    ``mapper`` maps a one-argument function over replication numbers (the built-in
    ``map`` by default; an executor's ``map`` for parallel runs). Results are the
    same whatever the mapper, since each replication owns its random streams.
    """
    count = scenario.run.replications if replications is None else replications
    if count < 1:
        raise ValueError(f"replications must be >= 1, got {count}")
    started = time.perf_counter()
    work = _Replicate(scenario)
    results = list((mapper or map)(work, range(count)))
    results.sort(key=lambda rep: rep.replication)
    return RunResult(scenario, results, time.perf_counter() - started)


@dataclass(frozen=True)
class _Replicate:
    """A picklable ``replication -> ReplicationResult`` callable for executors."""

    scenario: Scenario

    def __call__(self, replication: int) -> ReplicationResult:
        return replicate(self.scenario, replication)
