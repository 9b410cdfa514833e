"""Writing a run directory: results, the resolved config and provenance.

Every file is written atomically (:mod:`peakend.store.files`). :func:`write_run` writes only
into a folder it may use (:mod:`peakend.store.rundir`: new, or holding a run
of the same scenario, or replaced on request) and removes the old run's files
before writing the new ones, so a folder never holds a mix of two runs.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from peakend._version import __version__, software_versions
from peakend.base.names import unique_file_names
from peakend.config.loading import config_hash, scenario_to_toml
from peakend.config.schema import Scenario
from peakend.runs.errors import error_log
from peakend.runs.records import RECORD_TABLES, join_parts
from peakend.runs.runner import RunResult
from peakend.runs.stages import Stages
from peakend.store.dictionary import folder_dictionary, read_columns
from peakend.store.files import atomic_write, write_json, write_table, write_text
from peakend.store.rerun import RESOLVED_CONFIG, rerun_command
from peakend.store.rundir import RunDirectory, RunIdentity

if TYPE_CHECKING:
    from peakend.output.plot_process import DrawnPlot, PendingPlots, PlotJob

__all__ = ["plot_jobs", "run_identity", "write_plots", "write_run"]

TABLE_FORMATS = ("parquet", "csv")


def provenance(result: RunResult, stages: Stages | None = None) -> dict[str, Any]:
    """What produced a run: versions, seed, config hash, executor, timings, status.

    ``stages`` are the wall-clock seconds of the run's stages (``load``, ``simulate``:
    all replications on the executor, start-up included, ``tables``, ``store``,
    ``plots``, ``dictionary``); ``replication_stages`` the seconds of each
    replication's own stages summed over the replications (``simulate``,
    ``metrics``, ``records``; CPU in the worker processes, so with several workers
    they may add up to more than the wall clock).
    """
    recorded = stages.rounded() if stages is not None else {}
    stage_seconds = {"load": recorded.pop("load")} if "load" in recorded else {}
    stage_seconds["simulate"] = round(result.seconds, 3)
    stage_seconds.update(recorded)
    return {
        **run_identity(result.scenario).manifest_fields(),
        **software_versions(),
        "config_hash": config_hash(result.scenario),
        "seed": result.scenario.run.seed,
        "status": result.status,
        "replications": len(result.replications),
        "replications_requested": result.requested,
        "failed_replications": [failure.replication for failure in result.failures],
        "seconds": round(result.seconds, 3),
        "replication_seconds": [round(rep.seconds, 3) for rep in result.replications],
        "executor": result.executor,
        "stages": stage_seconds,
        "replication_stages": {k: round(v, 3) for k, v in result.replication_stages().items()},
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def run_identity(scenario: Scenario) -> RunIdentity:
    """What a ``peakend run`` folder holds: a run of this resolved scenario (its config hash)."""
    return RunIdentity("run", scenario.name, config_hash(scenario))


def check_table_format(table_format: str) -> None:
    """Raise ``ValueError`` unless ``table_format`` is one of :data:`TABLE_FORMATS`."""
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"table_format must be 'parquet' or 'csv', got {table_format!r}")


def write_run(
    result: RunResult,
    out: str | Path | RunDirectory,
    table_format: str = "parquet",
    overwrite: bool = False,
    *,
    svg: bool = False,
    stages: Stages | None = None,
    drawn: PendingPlots | None = None,
) -> Path:
    """Write ``summary.json``, records, per-replication metrics, config, manifest and plots.

    ``out`` is a folder (claimed for the write: see :mod:`peakend.store.rundir`) or a
    :class:`RunDirectory` already entered (claimed before the simulation, as the
    command line does). The folder's old run is removed first; failed
    replications' tracebacks go to ``errors.log``. Plots are PNG; ``svg`` adds an SVG
    beside each. ``stages`` holds the times of the stages before the write (the
    command line's ``load``); the write adds its own, and the manifest records them.
    ``drawn``: the plots (:func:`plot_jobs`) already submitted to a helper process
    (:meth:`PlotProcess.submit <peakend.output.plot_process.PlotProcess.submit>`),
    drawn there while the tables are written (the same files); ``plots`` is then the
    time spent waiting for them and writing them.

    Raises
    ------
    OutputError
        For a folder that may not be used (another run without ``overwrite``,
        files that are not a peakend run, a lock held by another process).
    OSError
        When writing fails (full disk, read-only file system).
    """
    check_table_format(table_format)
    stages = stages if stages is not None else Stages()
    if isinstance(out, RunDirectory):
        return _write_into(result, out, table_format, svg, stages, drawn)
    with RunDirectory(out, run_identity(result.scenario), overwrite) as folder:
        return _write_into(result, folder, table_format, svg, stages, drawn)


def _write_into(
    result: RunResult,
    folder: RunDirectory,
    table_format: str,
    svg: bool,
    stages: Stages,
    drawn: PendingPlots | None = None,
) -> Path:
    out = folder.path
    if folder.status != "new":
        folder.clear()
    # A manifest first, so that a write cut short (full disk) still leaves a folder
    # recognisable as this run's; rewritten last with the final status.
    write_json(out / "manifest.json", {**provenance(result, stages), "status": "writing"})
    with stages("store"):
        write_json(out / "summary.json", result.summary_dict())
    for name, build in (
        (f"customers.{table_format}", result.customers_frame),
        (f"contacts.{table_format}", result.contacts_frame),
        ("replications.csv", result.metrics_frame),
        (f"traces.{table_format}", result.traces_frame),
        ("intervals.csv", result.intervals_frame),
        ("periods.csv", result.periods_frame),
        ("cohorts.csv", result.cohorts_frame),
    ):
        table = name.partition(".")[0]
        parts = result.record_parts(table) if table in RECORD_TABLES else None
        if parts is not None:  # streamed by the replications: joined a row group at a time
            with stages("store"):
                atomic_write(out / name, functools.partial(_join, parts, table_format))
            continue
        with stages("tables"):
            frame = build()
        if frame is not None:
            with stages("store"):
                write_table(out / name, frame)
    with stages("store"):
        _write_config(result, out)
    with stages("plots"):
        write_plots(result, out, svg=svg, drawn=drawn)
    with stages("dictionary"):
        dictionary = folder_dictionary(read_columns(out), result.scenario.retention.period_name)
        write_table(out / "data_dictionary.csv", dictionary)
    write_json(out / "manifest.json", provenance(result, stages))  # last: it marks the run complete
    return out


def _join(parts: list[str], table_format: str, tmp: Path) -> None:
    join_parts(parts, tmp, table_format)


def _write_config(result: RunResult, out: Path) -> None:
    """``resolved_config.toml`` and, when replications failed, ``errors.log``."""
    header = (
        f"Resolved scenario written by peakend {__version__}; seed {result.scenario.run.seed}.\n"
        f"Run it again from this folder with: {rerun_command('run')}"
    )
    write_text(out / RESOLVED_CONFIG, scenario_to_toml(result.scenario, header))
    if result.failures:
        write_text(out / "errors.log", error_log(result.failures))


def write_plots(
    result: RunResult, out: Path, *, svg: bool = False, drawn: PendingPlots | None = None
) -> list[Path]:
    """PNG plots of a run (with ``svg``, an SVG beside each): service level and staffing
    by interval of each pool, a customer's trace and remembered vs experienced
    utility, or for a multi-period run the retention curve and profit per period
    (:func:`plot_jobs`). ``drawn``: the same plots already submitted to a helper
    process (:meth:`~peakend.output.plot_process.PlotProcess.submit`), written
    when they arrive; without it they are drawn here."""
    from peakend.output.plot_process import draw_plots

    plots = drawn.result() if drawn is not None else draw_plots(plot_jobs(result), svg)
    return _write_drawn(out, plots)


def plot_jobs(result: RunResult) -> list[PlotJob]:
    """The plots of :func:`write_plots`, not yet drawn: (file name, display)."""
    periods = result.periods_frame()
    cohorts = result.cohorts_frame()
    if periods is not None and cohorts is not None:
        return _period_jobs(result, periods, cohorts)
    jobs = _interval_jobs(result)
    traces = result.traces_frame()
    if traces is None or traces.empty or not result.replications:
        return jobs
    from peakend.output.plots import RememberedVsExperiencedPlot, TracePlot

    scenario = result.scenario.name
    customers = result.replications[0].records("customers", _STORY_COLUMNS)
    sampled = customers[customers["customer"].isin(traces["customer"][traces["replication"] == 0])]
    sampled = sampled.dropna(subset=["remembered_utility"])
    jobs.append(
        (
            "remembered_vs_experienced.png",
            RememberedVsExperiencedPlot.from_customers(
                result.customers_frame(_CLOUD_COLUMNS), scenario=scenario
            ),
        )
    )
    if not sampled.empty:
        # The longest sampled story (most trace pieces), worst-remembered among equals.
        pieces = traces[traces["replication"] == 0].groupby("customer").size()
        sampled = sampled.assign(pieces=sampled["customer"].map(pieces))
        pick = sampled.sort_values(["pieces", "remembered_utility"], ascending=[False, True]).iloc[
            0
        ]
        customer, remembered = int(pick["customer"]), float(pick["remembered_utility"])
        trace = TracePlot.from_traces(traces, customer, 0, remembered, scenario=scenario)
        jobs.append(
            ("trace.png", dataclasses.replace(trace, opens_at=result.scenario.run.opens_at))
        )
    return jobs


_STORY_COLUMNS = ("customer", "remembered_utility")
"""What the trace plot's choice of a story reads of the first replication's customers."""
_CLOUD_COLUMNS = ("replication", "experienced_utility", "remembered_utility", "effort")
"""What the remembered-vs-experienced plot reads of every customer (a run's records may
be streamed files too big to read whole)."""


def write_interval_plots(result: RunResult, out: Path, *, svg: bool = False) -> list[Path]:
    """``intervals_<pool>.png`` (and with ``svg`` ``.svg``) for every pool of a
    single-day run."""
    from peakend.output.plot_process import draw_plots

    return _write_drawn(out, draw_plots(_interval_jobs(result), svg))


def _interval_jobs(result: RunResult) -> list[PlotJob]:
    from peakend.output.plots import IntervalDisplay

    frame = result.intervals_frame()
    if frame is None:
        return []
    run = result.scenario.run
    # Distinct pools get distinct files, even "a/b" and "a_b" (both "a_b" as file names).
    files = unique_file_names(result.scenario.pools)
    return [
        (
            f"intervals_{files[pool]}.png",
            IntervalDisplay.from_frame(
                frame,
                pool,
                target=run.service_level_target,
                threshold_minutes=run.service_level_threshold_minutes,
                interval_minutes=result.scenario.arrivals.interval_minutes,
                opens_at=run.opens_at,
                scenario=result.scenario.name,
            ),
        )
        for pool in result.scenario.pools
    ]


def _period_jobs(result: RunResult, periods: pd.DataFrame, cohorts: pd.DataFrame) -> list[PlotJob]:
    from peakend.output.plots import PeriodMetricPlot, RetentionCurvePlot

    name, scenario = result.scenario.retention.period_name, result.scenario.name
    return [
        ("retention_curve.png", RetentionCurvePlot.from_cohorts(cohorts, name, scenario)),
        ("profit.png", PeriodMetricPlot.from_periods(periods, "profit", name, scenario)),
        ("visits.png", PeriodMetricPlot.from_periods(periods, "visits", name, scenario)),
    ]


def _write_drawn(out: Path, plots: list[DrawnPlot]) -> list[Path]:
    """Write drawn plots into ``out``, each file atomically (PNG first, then SVG)."""
    from peakend.output.plots import write_figure_files

    return [
        path
        for name, files in plots
        for path in write_figure_files(files, out / name, atomic_write)
    ]
