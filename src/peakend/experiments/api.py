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
named values. A pool whose name holds a dot, a bracket, ``=`` or a quote is
named by a quoted key part, as in TOML: ``'pools."front.desk".staffing*'``.

Names are data (:mod:`peakend.base.names`): the experiment's ``name``, a
variant's ``description`` and a level's name may hold any characters (names up to
128), shown escaped wherever they are printed, drawn or written; a variant's
own name becomes part of file names and uses letters, digits and ``_ . + -``.

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

import dataclasses
import functools
import hashlib
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from peakend.config.budget import BudgetError, Workload, check_budget, estimate_experiment
from peakend.config.loading import (
    ConfigError,
)
from peakend.config.schema import Scenario
from peakend.experiments.design import (
    Experiment,
    Kind,
    ScenarioSpec,
    is_experiment_data,
    load_experiment,
    load_experiment_or_scenario,
)
from peakend.experiments.grid import (
    FIXED_KEYS,
    check_fixed_keys,
    expand,
    factor_levels,
    resolve_overrides,
)
from peakend.experiments.manifest import RunManifest, add_stage, check_versions
from peakend.experiments.results import CONFIDENCE_LEVEL, PLOT_METRIC_PREFERENCE, ExperimentResult
from peakend.experiments.schema import (
    BASE_LABEL,
    ExperimentFile,
    ReplicationPlan,
    SweepSpec,
    VariantSpec,
    check_variant_names,
)
from peakend.experiments.session import Job, ReplicationTask, Session
from peakend.runs.errors import ReplicationError
from peakend.runs.executors import ExecutorLike, ProgressBar, as_executor
from peakend.runs.runner import (
    local_workers,
    metric_names,
    replicate,
    resolve_scenario,
    run_scenario,
    with_seed,
)
from peakend.store.replications import ResultStore, scenario_key
from peakend.store.rundir import RunDirectory, RunIdentity

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
    "check_metrics",
    "experiment_identity",
    "check_variant_names",
    "compare",
    "expand",
    "factor_levels",
    "is_experiment_data",
    "load_experiment",
    "load_experiment_or_scenario",
    "planned_workload",
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
    seed: int | None = None,
    executor: ExecutorLike | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
    replicate_fn: Any = replicate,
    memory_budget_bytes: float | None = None,
    max_scenarios: int | None = None,
    allow_version_change: bool = False,
) -> ExperimentResult:
    """Run every scenario of ``experiment`` (its variants, or its sweep grid).

    Everything is checked before the first replication runs: the overrides, the
    metrics to report and plot, the run's estimated memory (see
    :mod:`peakend.config.budget`) and the run directory.

    Parameters
    ----------
    experiment
        What to run, e.g. from :func:`load_experiment`.
    kind
        ``"compare"`` (the base and each variant) or ``"sweep"`` (the factorial grid).
    replications
        Replaces the experiment's plan by a fixed number per scenario.
    seed
        Replaces the root seed (``run.seed``) of the base, and so of every scenario.
    executor
        Runs the replications (default: serially in this process): a peakend
        executor or any standard ``concurrent.futures.Executor`` (Dask's
        ``Client.get_executor()``, loky, Ray); pass one opened with ``with`` and
        close it yourself.
    out
        A run directory: every replication is stored there as it finishes,
        finished ones found there are not run again, failed ones are retried, and
        the aggregated tables are written at the end (``compare.csv`` or
        ``sweep_tidy.parquet`` and ``sweep_summary.csv``, and ``summary.json``).
        It must be new, or hold a run of the same experiment (same kind, name and
        base scenario: a resume) written under the same peakend, NumPy and SimPy
        versions; see :mod:`peakend.store.rundir`.
    overwrite
        Replace a run directory that holds another peakend run (its files are
        removed first).
    progress
        Show a progress bar on stderr (when it is a terminal).
    replicate_fn
        ``replicate_fn(scenario, r)`` replaces :func:`peakend.runs.runner.replicate`
        (for tests; it must be picklable).
    memory_budget_bytes
        Refuse the run when its estimated peak memory is above this (default 4 GiB).
    max_scenarios
        Refuse an experiment with more scenarios (sweep points, or variants and the
        base) than this (default 10,000; above 1,000 a
        :class:`~peakend.config.budget.LargeGridWarning` is issued).
    allow_version_change
        Resume a run directory written under another peakend, NumPy or SimPy version
        (with a :class:`~peakend.experiments.manifest.VersionChangeWarning`); by
        default it is refused, since its stored numbers may differ from this
        installation's.

    Returns
    -------
    ExperimentResult
        Every replication of every scenario finished.

    Raises
    ------
    ConfigError
        For overrides that do not apply to the base, or an unknown metric.
    BudgetError
        (a ``ConfigError``) for a run above the memory budget or a grid above
        ``max_scenarios``, before anything runs.
    OutputError
        (a ``ConfigError``) for a run directory that may not be used, is locked by
        another process, holds a stored replication that cannot be read, or was
        written under other versions
        (:class:`~peakend.experiments.manifest.VersionMismatchError`).
    ReplicationError
        When replications raised; the others ran, and its ``result`` is the
        :class:`ExperimentResult` without them (also written to ``out``).
    ValueError
        For a bad ``seed`` (an integer from 0 to ``2**63 - 1``).
    """
    if max_scenarios is not None:
        experiment = dataclasses.replace(experiment, max_scenarios=max_scenarios)
    if seed is not None:
        experiment = dataclasses.replace(experiment, base=with_seed(experiment.base, seed))
    executor = as_executor(executor)
    specs = experiment.specs(kind)
    check_metrics(experiment, specs)
    _check_budget(experiment, specs, replications, executor, out, memory_budget_bytes)
    if memory_budget_bytes is not None and replicate_fn is replicate:
        replicate_fn = functools.partial(replicate, memory_budget_bytes=memory_budget_bytes)
    if out is None:
        return _run(experiment, kind, specs, replications, executor, None, progress, replicate_fn)
    with RunDirectory(out, experiment_identity(experiment, kind), overwrite) as folder:
        if folder.status == "overwrite":
            folder.clear()
        elif folder.status == "resume":
            previous = ResultStore(folder.path).read_manifest()
            check_versions(folder.path, previous, allow_version_change)
        return _run(experiment, kind, specs, replications, executor, folder, progress, replicate_fn)


def _check_budget(
    experiment: Experiment,
    specs: Sequence[ScenarioSpec],
    replications: int | None,
    executor: ExecutorLike | None,
    out: str | Path | None,
    memory_budget_bytes: float | None,
) -> None:
    """Refuse an experiment whose estimated peak memory is above the budget."""
    workload = _workload(
        experiment,
        specs,
        replications,
        workers=local_workers(executor),
        keep_records=experiment.keep_records and out is not None,
    )
    try:
        check_budget(workload, memory_budget_bytes)
    except BudgetError as exc:
        raise BudgetError(f"{experiment.source}: {exc}") from None


def _workload(
    experiment: Experiment,
    specs: Sequence[ScenarioSpec],
    replications: int | None,
    workers: int = 1,
    keep_records: bool = False,
) -> Workload:
    plan = ReplicationPlan(count=replications) if replications else experiment.replications
    most = plan.count if plan.count is not None else plan.max
    return estimate_experiment(
        [spec.scenario for spec in specs],
        most or plan.first,
        workers=workers,
        keep_records=keep_records,
    )


def planned_workload(
    experiment: Experiment, kind: Kind = "compare", replications: int | None = None
) -> Workload:
    """The estimated work of running ``experiment`` (every replication its plan may run),
    e.g. for ``make_executor("auto", ...)`` to choose serial or processes.

    Raises
    ------
    ConfigError
        For overrides that do not apply to the base.
    """
    return _workload(experiment, experiment.specs(kind), replications)


def experiment_identity(experiment: Experiment, kind: str) -> RunIdentity:
    """What an experiment's run directory holds: the kind, the name and the base scenario."""
    text = f"{kind}\n{experiment.name}\n{scenario_key(experiment.base)}"
    return RunIdentity(kind, experiment.name, hashlib.sha256(text.encode()).hexdigest()[:16])


def check_metrics(experiment: Experiment, specs: Sequence[ScenarioSpec]) -> None:
    """Refuse reported, plotted or stopping-rule metrics that some scenario does not produce.

    Raises
    ------
    ConfigError
        Naming the experiment's source and the key (``metrics``, ``sweep.plot``,
        ``replications.metric``).
    """
    available = [metric_names(spec.scenario) for spec in specs]
    common = [name for name in available[0] if all(name in names for names in available)]
    plan = experiment.replications
    wanted = [
        ("metrics", experiment.metrics or ()),
        ("sweep.plot", experiment.plot_metrics),
        ("replications.metric", (plan.metric,) if plan.sequential else ()),
    ]
    for key, metrics in wanted:
        for metric in metrics:
            if metric not in common:
                raise ConfigError(
                    f"{experiment.source}: {key}: unknown metric {metric!r}; "
                    f"allowed: {', '.join(common)}"
                )


def _run(
    experiment: Experiment,
    kind: Kind,
    specs: list[ScenarioSpec],
    replications: int | None,
    executor: ExecutorLike | None,
    folder: RunDirectory | None,
    progress: bool,
    replicate_fn: Any,
) -> ExperimentResult:
    clock = time.perf_counter()
    plan = ReplicationPlan(count=replications) if replications else experiment.replications
    store = ResultStore(folder.path) if folder is not None else None
    task = ReplicationTask(experiment.keep_records and store is not None, replicate_fn)
    with ProgressBar(progress, f"{experiment.name}: {kind}") as bar:
        session = Session(specs, store, as_executor(executor), task, bar)
        session.read_stored()  # a damaged store is refused before anything is written
        manifest = None
        if store is not None and folder is not None:
            manifest = RunManifest.open(store, experiment, kind, specs, plan, folder.identity)
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
    if store is not None and folder is not None:
        started = time.perf_counter()
        result.write(store)
        add_stage(folder.path, "tables", time.perf_counter() - started)
    if result.failures:
        attempted = count * len({spec.key for spec in specs})
        raise ReplicationError(result.failures, attempted, result)
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
        session.discard_unsaved()
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
    seed: int | None = None,
    executor: ExecutorLike | None = None,
    out: str | Path | None = None,
    metrics: Sequence[str] | None = None,
    overwrite: bool = False,
    progress: bool = False,
    memory_budget_bytes: float | None = None,
    allow_version_change: bool = False,
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
    replications, seed, executor, out, overwrite, progress, memory_budget_bytes
    allow_version_change
        As for :func:`run_experiment`.

    Returns
    -------
    pandas.DataFrame
        One row per metric and variant (see :meth:`ExperimentResult.compare_frame`).

    Raises
    ------
    ConfigError
        For bad overrides, metrics or run directory (before anything runs).
    ReplicationError
        When replications raised (never a table with holes).
    """
    experiment = _as_experiment(base, variants=variants, metrics=metrics)
    result = run_experiment(
        experiment,
        "compare",
        replications=replications,
        seed=seed,
        executor=executor,
        out=out,
        overwrite=overwrite,
        progress=progress,
        memory_budget_bytes=memory_budget_bytes,
        allow_version_change=allow_version_change,
    )
    return result.compare_frame()


def sweep(
    base: Experiment | Scenario | str | Path,
    factors: Mapping[str, Any] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    executor: ExecutorLike | None = None,
    out: str | Path | None = None,
    metrics: Sequence[str] | None = None,
    overwrite: bool = False,
    progress: bool = False,
    memory_budget_bytes: float | None = None,
    max_scenarios: int | None = None,
    allow_version_change: bool = False,
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
    replications, seed, executor, out, overwrite, progress, memory_budget_bytes
    max_scenarios, allow_version_change
        As for :func:`run_experiment`.

    Returns
    -------
    tuple of pandas.DataFrame
        The tidy table (one row per scenario and replication) and the aggregated
        one (one row per scenario and metric).

    Raises
    ------
    ConfigError
        For bad factors, metrics or run directory (before anything runs).
    ReplicationError
        When replications raised (never a table with holes).
    """
    experiment = _as_experiment(base, factors=factors, metrics=metrics)
    result = run_experiment(
        experiment,
        "sweep",
        replications=replications,
        seed=seed,
        executor=executor,
        out=out,
        overwrite=overwrite,
        progress=progress,
        memory_budget_bytes=memory_budget_bytes,
        max_scenarios=max_scenarios,
        allow_version_change=allow_version_change,
    )
    return result.tidy_frame(), result.summary_frame()


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    executor: ExecutorLike | None = None,
    overrides: Iterable[str] = (),
    progress: bool = False,
    memory_budget_bytes: float | None = None,
) -> pd.DataFrame:
    """Run one scenario; a thin alias of :func:`peakend.runs.runner.run_scenario`
    that returns ``run_scenario(...).metrics_frame()``.

    :func:`~peakend.runs.runner.run_scenario` is the documented entry point (it
    returns the :class:`~peakend.runs.runner.RunResult`, with its summary,
    records and notebook display); this one is for a quick table of metrics.

    Parameters
    ----------
    scenario
        A scenario, or a scenario file.
    replications
        Replications (default: the scenario's ``run.replications``).
    seed
        Replaces ``run.seed``.
    executor
        Runs the replications (default: serially in this process); a peakend executor
        or any standard ``concurrent.futures.Executor``.
    overrides
        Overrides of the scenario, as for :func:`peakend.config.loading.load_scenario`.
    progress
        Show a progress bar (in a terminal or a Jupyter notebook).
    memory_budget_bytes
        As for :func:`peakend.runs.runner.run_scenario`.

    Returns
    -------
    pandas.DataFrame
        One row per replication, one column per metric.

    Raises
    ------
    ReplicationError
        When replications raised (see :func:`peakend.runs.runner.run_scenario`).
    """
    result = run_scenario(
        resolve_scenario(scenario, overrides, seed),
        replications,
        executor=executor,
        progress=progress,
        memory_budget_bytes=memory_budget_bytes,
    )
    return result.metrics_frame()
