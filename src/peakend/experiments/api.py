"""Experiments: what-if comparisons and factorial sweeps over a base scenario.

An experiment file (TOML) names a base scenario and what to vary::

    name = "staffing_whatif"
    base = "../configs/contact_centre.toml"   # relative to this file
    set = ["run.warmup_minutes=30"]           # optional overrides of the base
    seed = 7                                  # optional; the same for every scenario
    warmup_minutes = 30                       # optional, shorthand for run.warmup_minutes
    replications = 20                         # or the [replications] table below
    metrics = ["service_level", "abandonment_rate"]   # reported; default: all

    [replications]                            # sequential: batches until the 95 % CI
    min = 10                                  # half-width of `metric` is below the
    max = 200                                 # target in every scenario, or `max`
    target_half_width = 0.01
    metric = "service_level"

    [variants.lunch_plus_3]                   # named variants: overrides of the base
    set = ["pools.agents.staffing[8:12]+=3"]

    [sweep]                                   # factorial over dotted keys
    plot = ["service_level"]                  # metrics to plot (default: a few key ones)
    x = "pools.agents.staffing*"              # factor on the x axis (default: the first)
    [sweep.factors]
    "pools.agents.staffing*" = [0.8, 1.0, 1.2]
    "segments.regular.retry_probability" = [0.2, 0.4]

Overrides are those of ``peakend run --set`` (:mod:`peakend.config.overrides`):
``key=value`` with the value read as TOML, ``key*=0.8`` and ``key+=3`` on
numbers and lists of numbers, and ``key[8:12]+=3`` on part of a list. A sweep
factor whose key ends in ``*`` or ``+`` applies each of its values that way, so
``"pools.agents.staffing*" = [0.8, 1.2]`` scales the whole staffing plan. A
factor's levels are a list of values or a table ``{ label = value, ... }`` of
named values.

Every scenario of an experiment uses the same seed, so replication ``r`` of each
sees the same customers (common random numbers) and differences are paired.

This module runs experiments (:func:`run_experiment`, and the shortcuts
:func:`compare`, :func:`sweep` and :func:`run`) and re-exports the names of the
modules it is built from: :mod:`peakend.experiments.schema` (the file schema),
:mod:`peakend.experiments.grid` (variants and sweep points as plain overrides),
:mod:`peakend.experiments.design` (:class:`Experiment`, loading files),
:mod:`peakend.experiments.session` (replications through an executor and the
store), :mod:`peakend.experiments.manifest` (the run directory's manifest) and
:mod:`peakend.experiments.results` (:class:`ExperimentResult` and its tables).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from peakend.config.loading import load_scenario, scenario_from_dict, scenario_to_dict
from peakend.config.schema import Scenario
from peakend.experiments.design import (
    Experiment,
    Kind,
    ScenarioSpec,
    is_experiment_data,
    load_experiment,
    load_experiment_or_scenario,
)
from peakend.experiments.executors import Executor, ProgressBar, SerialExecutor
from peakend.experiments.grid import (
    FIXED_KEYS,
    check_fixed_keys,
    expand,
    factor_levels,
    resolve_overrides,
)
from peakend.experiments.manifest import RunManifest
from peakend.experiments.results import CONFIDENCE_LEVEL, PLOT_METRIC_PREFERENCE, ExperimentResult
from peakend.experiments.runner import replicate, run_scenario
from peakend.experiments.schema import (
    BASE_LABEL,
    ExperimentFile,
    ReplicationPlan,
    SweepSpec,
    VariantSpec,
    check_variant_names,
)
from peakend.experiments.session import Job, ReplicationTask, Session
from peakend.experiments.store import ResultStore

__all__ = [
    "BASE_LABEL",
    "CONFIDENCE_LEVEL",
    "FIXED_KEYS",
    "PLOT_METRIC_PREFERENCE",
    "Experiment",
    "ExperimentFile",
    "ExperimentResult",
    "Job",
    "Kind",
    "ReplicationPlan",
    "ReplicationTask",
    "ScenarioSpec",
    "SweepSpec",
    "VariantSpec",
    "check_fixed_keys",
    "check_variant_names",
    "compare",
    "expand",
    "factor_levels",
    "is_experiment_data",
    "load_experiment",
    "load_experiment_or_scenario",
    "resolve_overrides",
    "run",
    "run_experiment",
    "sweep",
]


def run_experiment(
    experiment: Experiment,
    kind: Kind = "compare",
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    replicate_fn: Any = replicate,
) -> ExperimentResult:
    """Run every scenario of ``experiment`` (its variants, or its sweep grid).

    Parameters
    ----------
    experiment
        What to run, e.g. from :func:`load_experiment`.
    kind
        ``"compare"`` (the base and each variant) or ``"sweep"`` (the factorial grid).
    replications
        Replaces the experiment's plan by a fixed number per scenario.
    executor
        Runs the replications (default: serially in this process); pass one opened
        with ``with`` and close it yourself.
    out
        A run directory: every replication is stored there as it finishes,
        finished ones found there are not run again, failed ones are retried, and
        the aggregated tables are written at the end (``compare.csv`` or
        ``sweep_tidy.parquet`` and ``sweep_summary.csv``, and ``summary.json``).
    progress
        Show a progress bar on stderr (when it is a terminal).
    replicate_fn
        ``replicate_fn(scenario, r)`` replaces :func:`peakend.experiments.runner.replicate`
        (for tests; it must be picklable).

    Returns
    -------
    ExperimentResult
        A replication that raised is in its ``failures`` (and the store); the
        others went on.

    Raises
    ------
    ConfigError
        For overrides that do not apply to the base, or an unknown metric.
    """
    clock = time.perf_counter()
    specs = experiment.specs(kind)
    plan = ReplicationPlan(count=replications) if replications else experiment.replications
    store = ResultStore(out) if out is not None else None
    task = ReplicationTask(experiment.keep_records and store is not None, replicate_fn)
    manifest = RunManifest.open(store, experiment, kind, specs, plan) if store is not None else None
    with ProgressBar(progress, f"{experiment.name}: {kind}") as bar:
        session = Session(specs, store, executor or SerialExecutor(), task, bar)
        count = _run_session(session, plan, experiment.source, manifest)
    result = ExperimentResult(
        experiment=experiment,
        kind=kind,
        specs=specs,
        replications=count,
        records=session.records,
        failures=sorted(session.failures.values(), key=lambda f: (f.label, f.replication)),
        ran=session.ran,
        skipped=session.skipped,
        seconds=time.perf_counter() - clock,
    )
    if store is not None:
        result.write(store)
    return result


def _run_session(
    session: Session, plan: ReplicationPlan, source: str, manifest: RunManifest | None
) -> int:
    """Run the plan; record the session in the manifest even when interrupted."""
    status, count = "interrupted", plan.first
    try:
        count = session.run_plan(plan, source)
        status = "finished"
    finally:
        if manifest is not None:
            manifest.close(session, status, count)
    return count


# -------------------------------------------------------------------------- shortcuts


def _as_experiment(
    base: Experiment | Scenario | str | Path,
    variants: Mapping[str, Sequence[str]] | None = None,
    factors: Mapping[str, Any] | None = None,
    metrics: Sequence[str] | None = None,
) -> Experiment:
    """``base`` as an experiment, with these variants, factors or metrics."""
    if isinstance(base, Experiment):
        experiment = base
    elif isinstance(base, Scenario):
        experiment = Experiment.from_scenario(base)
    else:
        experiment = load_experiment_or_scenario(base)
    return experiment.with_changes(variants=variants, factors=factors, metrics=metrics)


def compare(
    base: Experiment | Scenario | str | Path,
    variants: Mapping[str, Sequence[str]] | None = None,
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    metrics: Sequence[str] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Compare variants with a base scenario.

    Parameters
    ----------
    base
        A scenario, a scenario or experiment file, or an :class:`Experiment`.
    variants
        Variant names to override lists (added to an experiment's own).
    metrics
        Metrics to report (default: the experiment's, or all).
    replications, executor, out, progress
        As for :func:`run_experiment`.

    Returns
    -------
    pandas.DataFrame
        One row per metric and variant (see :meth:`ExperimentResult.compare_frame`).
    """
    experiment = _as_experiment(base, variants=variants, metrics=metrics)
    result = run_experiment(
        experiment,
        "compare",
        replications=replications,
        executor=executor,
        out=out,
        progress=progress,
    )
    return result.compare_frame()


def sweep(
    base: Experiment | Scenario | str | Path,
    factors: Mapping[str, Any] | None = None,
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    metrics: Sequence[str] | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a factorial sweep over a base scenario.

    Parameters
    ----------
    base
        A scenario, a scenario or experiment file, or an :class:`Experiment`.
    factors
        Dotted keys to levels (see :func:`expand`); replace an experiment's own.
    metrics
        Metrics to report (default: the experiment's, or all).
    replications, executor, out, progress
        As for :func:`run_experiment`.

    Returns
    -------
    tuple of pandas.DataFrame
        The tidy table (one row per scenario and replication) and the aggregated
        one (one row per scenario and metric).
    """
    experiment = _as_experiment(base, factors=factors, metrics=metrics)
    result = run_experiment(
        experiment,
        "sweep",
        replications=replications,
        executor=executor,
        out=out,
        progress=progress,
    )
    return result.tidy_frame(), result.summary_frame()


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    overrides: Iterable[str] = (),
) -> pd.DataFrame:
    """Run one scenario.

    Parameters
    ----------
    scenario
        A scenario, or a scenario file.
    replications
        Replications (default: the scenario's ``run.replications``).
    executor
        Runs the replications (default: serially in this process).
    overrides
        Overrides of the scenario, as for :func:`peakend.config.loading.load_scenario`.

    Returns
    -------
    pandas.DataFrame
        One row per replication, one column per metric.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = scenario_from_dict(scenario_to_dict(scenario), scenario.name, overrides)
    mapper = executor.map if executor is not None else None
    return run_scenario(scenario, replications, mapper=mapper).metrics_frame()
