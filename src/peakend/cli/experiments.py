"""The ``peakend compare`` and ``peakend sweep`` commands, and executor options.

A thin layer over :mod:`peakend.experiments.api`: load the experiment, run it on the
chosen executor with a progress bar, print the tables, write the run directory
and its plots. :func:`executor_options` and :func:`make_mapper` give any command
(``peakend run`` too) the same ``--executor/--workers/--dask`` options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from peakend.base.errors import ConfigError
from peakend.base.names import printable, rich_text
from peakend.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, fail, friendly_errors
from peakend.cli.json_output import echo_json, json_option
from peakend.runs.executors import (
    DEFAULT_DASK_TIMEOUT_SECONDS,
    EXECUTOR_KINDS,
    Executor,
    ProgressBar,
    TaskError,
    make_executor,
)
from peakend.store.rundir import safe_name

__all__ = [
    "budget_options",
    "compare",
    "executor_options",
    "make_mapper",
    "open_executor",
    "overwrite_option",
    "print_warnings",
    "svg_option",
    "sweep",
]

F = TypeVar("F", bound=Callable[..., Any])


def svg_option(command: F) -> F:
    """Add ``--svg`` (passed as ``svg``): every plot also as SVG beside its PNG."""
    return click.option(
        "--svg",
        is_flag=True,
        help="Also write every plot as SVG (vector, for print) beside its PNG.",
    )(command)


def overwrite_option(command: F) -> F:
    """Add ``--overwrite`` (passed as ``overwrite``)."""
    return click.option(
        "--overwrite",
        is_flag=True,
        help="Replace another peakend run in --out (its files are removed first).",
    )(command)


def executor_of_options(
    kind: str,
    workers: int | None,
    dask: str | None,
    force_workers: bool = False,
    *,
    workload: Any = None,
    dask_timeout: float | None = None,
) -> Executor:
    """The executor of the options, made (and so checked) before anything runs, not
    yet started.

    ``workload`` (a :class:`~peakend.config.budget.Workload`) lets ``--executor auto``
    run serially when the work is too small for a process pool.
    """
    return make_executor(
        kind,
        workers,
        dask,
        force_workers=force_workers,
        cpu_seconds=None if workload is None else workload.cpu_seconds,
        tasks=None if workload is None else workload.replications * workload.scenarios,
        dask_timeout_seconds=DEFAULT_DASK_TIMEOUT_SECONDS if dask_timeout is None else dask_timeout,
    )


@contextmanager
def open_executor(
    kind: str,
    workers: int | None,
    dask: str | None,
    force_workers: bool = False,
    *,
    workload: Any = None,
    dask_timeout: float | None = None,
) -> Iterator[Executor]:
    """:func:`executor_of_options`, open."""
    made = executor_of_options(
        kind, workers, dask, force_workers, workload=workload, dask_timeout=dask_timeout
    )
    with made as pool:
        yield pool


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    from peakend.config.budget import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def budget_options(command: F) -> F:
    """Add ``--memory-budget`` (passed as ``memory_budget``, bytes or None)."""
    return click.option(
        "--memory-budget",
        "memory_budget",
        metavar="SIZE",
        callback=_size,
        help="Refuse runs estimated to need more memory than this, e.g. 16GiB "
        "(default 4GiB; checked before anything runs).",
    )(command)


def print_warnings(console: Any, warnings: Sequence[str]) -> None:
    """Print a result's warnings under its table (part of the report, not errors)."""
    for warning in warnings:
        console.print(rich_text("warning:", "bold") + " " + rich_text(warning))


def executor_options(command: F) -> F:
    """Add ``--executor``, ``--workers``, ``--force-workers``, ``--dask`` and
    ``--dask-timeout`` (passed as ``executor``, ``workers``, ``force_workers``, ``dask``
    and ``dask_timeout``); hand them to :func:`open_executor` or :func:`make_mapper`."""
    command = click.option(
        "--dask-timeout",
        "dask_timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_DASK_TIMEOUT_SECONDS,
        show_default=True,
        metavar="SECONDS",
        help="With --dask: stop with a message when the scheduler cannot be reached, or "
        "no worker is connected, for this long.",
    )(command)
    command = click.option(
        "--dask",
        metavar="local|tcp://HOST:PORT",
        help="Run on Dask: 'local' starts a local cluster, an address uses a running "
        "scheduler. Overrides --executor.",
    )(command)
    command = click.option(
        "--force-workers",
        is_flag=True,
        help="Allow more --workers than usable cores.",
    )(command)
    command = click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Worker processes (default: every core; at most the usable cores).",
    )(command)
    command = click.option(
        "--executor",
        type=click.Choice(EXECUTOR_KINDS),
        default="auto",
        show_default=True,
        help="Run replications in this process (serial) or on local worker processes; "
        "auto: processes unless the work is too small to gain from them.",
    )(command)
    return command


Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]


@contextmanager
def make_mapper(
    executor: str = "processes",
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = False,
    force_workers: bool = False,
    dask_timeout: float | None = None,
) -> Iterator[Mapper]:
    """A ``map``-like callable on the chosen executor, open for the ``with`` block.

    For ``run_scenario(scenario, mapper=mapper)``: results come back in input
    order; with ``progress``, a bar with an ETA is shown on stderr when it is a
    terminal. A task that raises raises :class:`~peakend.runs.executors.TaskError`.
    """
    opened = open_executor(executor, workers, dask, force_workers, dask_timeout=dask_timeout)
    with opened as pool, ProgressBar(progress) as bar:

        def mapper(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
            items = list(items)
            bar.add(len(items))
            finished: dict[int, Any] = {}
            following = 0
            for outcome in pool.as_completed(fn, items):
                bar.advance()
                if outcome.failure is not None:
                    raise TaskError(outcome.item, outcome.failure)
                finished[outcome.index] = outcome.value
                while following in finished:
                    yield finished.pop(following)
                    following += 1

        yield mapper


def _common_options(command: F) -> F:
    decorators = [
        click.option(
            "--out",
            "-o",
            type=click.Path(path_type=Path),
            help="Run directory (default: results/NAME-compare or -sweep). Re-running resumes.",
        ),
        overwrite_option,
        click.option(
            "--replications",
            "-r",
            type=click.IntRange(min=1),
            help="Replications per scenario (replaces the experiment's plan).",
        ),
        click.option("--seed", type=click.IntRange(min=0), help="Root seed of every scenario."),
        click.option(
            "--set",
            "sets",
            multiple=True,
            metavar="KEY=VALUE",
            help="Override a key of the base scenario (repeatable); also KEY*=X, KEY+=X, "
            "KEY[A:B]+=X.",
        ),
        click.option(
            "--metric",
            "metrics",
            multiple=True,
            help="Report only this metric (repeatable; default: the experiment's, or all).",
        ),
        click.option(
            "--keep-records",
            is_flag=True,
            help="Also store each replication's customers and contacts tables.",
        ),
        executor_options,
        budget_options,
        click.option(
            "--max-scenarios",
            type=click.IntRange(min=1),
            help="Refuse sweeps with more scenarios than this (default 10,000).",
        ),
        click.option(
            "--allow-version-change",
            is_flag=True,
            help="Resume --out although it was written under another peakend, NumPy or "
            "SimPy version (refused by default: its numbers may differ).",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar and no tables."),
        svg_option,
        json_option,
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@click.command()
@click.argument("experiment", type=click.Path(path_type=Path))
@click.option(
    "--variant",
    "variants",
    multiple=True,
    metavar="NAME:KEY=VALUE[,KEY=VALUE]",
    help="A variant of the base: overrides separated by commas (repeatable).",
)
@_common_options
@friendly_errors
def compare(experiment: Path, variants: tuple[str, ...], **options: Any) -> None:
    """Compare variants with a base: each metric's mean and 95 % CI, and the paired
    difference from the base with its CI (common random numbers).

    EXPERIMENT is an experiment file with [variants.NAME] tables, or a scenario
    file used as the base of the --variant options.
    """
    extra = _parse_variants(variants)
    _run_command(experiment, "compare", options, variants=extra)


@click.command()
@click.argument("experiment", type=click.Path(path_type=Path))
@click.option(
    "--factor",
    "factors",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="A sweep factor and its levels, e.g. 'pools.agents.staffing*=0.8,1,1.2' (repeatable).",
)
@_common_options
@friendly_errors
def sweep(experiment: Path, factors: tuple[str, ...], **options: Any) -> None:
    """Run a factorial sweep; write the tidy table (one row per scenario and
    replication), the aggregated one (mean and 95 % CI per scenario and metric) and
    plots of key metrics against the first factor with CI bands.

    EXPERIMENT is an experiment file with a [sweep] table, or a scenario file with
    --factor options.
    """
    _run_command(experiment, "sweep", options, factors=_parse_factors(factors))


def _run_command(
    path: Path,
    kind: str,
    options: dict[str, Any],
    variants: dict[str, list[str]] | None = None,
    factors: dict[str, list[Any]] | None = None,
) -> None:
    from peakend.experiments.api import (
        load_experiment_or_scenario,
        planned_workload,
        run_experiment,
    )
    from peakend.runs.errors import ReplicationError

    overrides = list(options["sets"])
    if options["seed"] is not None:
        overrides.append(f"run.seed={options['seed']}")
    experiment = load_experiment_or_scenario(path, overrides).with_changes(
        variants=variants, factors=factors, metrics=options["metrics"] or None
    )
    if options["keep_records"]:
        experiment = _replace(experiment, keep_records=True)
    out = options["out"] or Path("results") / f"{safe_name(experiment.name)}-{kind}"
    quiet = options["quiet"]
    console = _console(quiet or options["json_output"])
    failed: ReplicationError | None = None
    try:
        opened = open_executor(
            options["executor"],
            options["workers"],
            options["dask"],
            options["force_workers"],
            workload=planned_workload(experiment, kind, options["replications"])  # type: ignore[arg-type]
            if options["executor"] == "auto"
            else None,
            dask_timeout=options["dask_timeout"],
        )
        with opened as executor:
            try:
                result = run_experiment(
                    experiment,
                    kind,  # type: ignore[arg-type]
                    replications=options["replications"],
                    executor=executor,
                    out=out,
                    overwrite=options["overwrite"],
                    progress=not quiet,
                    memory_budget_bytes=options["memory_budget"],
                    max_scenarios=options["max_scenarios"],
                    allow_version_change=options["allow_version_change"],
                )
            except ReplicationError as exc:
                failed, result = exc, exc.result
            described = executor.describe()
    except KeyboardInterrupt:
        click.echo(
            f"peakend: interrupted; finished replications are kept in {printable(str(out))}/. "
            "Run the same command again to resume.",
            err=True,
        )
        raise SystemExit(EXIT_INTERRUPTED) from None
    _print_header(console, result, described, out)
    if kind == "compare":
        _print_comparison(console, result)
        _print_profit_split(console, result)
        _print_costs(console, result)
    else:
        _print_sweep(console, result)
    print_warnings(console, result.warnings)
    plots = _write_plots_into(result, out, options["svg"])
    written = f"results written to {out}/, plots: {', '.join(p.name for p in plots)}"
    console.print(rich_text(written))
    if options["json_output"]:
        extra = {"out": str(out), "plots": [str(p) for p in plots], "ran": result.ran}
        echo_json({**result.summary_dict(), **extra, "reused": result.skipped})
    if failed is not None:
        fail(
            f"{failed}; tracebacks in {out / 'errors.log'}; the summaries leave them out; "
            "run the same command again to retry them",
            EXIT_FAILED,
        )


def _replace(experiment: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(experiment, **changes)


def _console(quiet: bool) -> Any:
    from peakend.cli.console import make_console

    return make_console(quiet)


# ------------------------------------------------------------------------- parsing


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on ``separator`` outside brackets, braces and quotes (TOML values contain commas)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _parse_variants(texts: Sequence[str]) -> dict[str, list[str]]:
    variants: dict[str, list[str]] = {}
    for text in texts:
        name, separator, rest = text.partition(":")
        name = name.strip()
        overrides = split_top_level(rest)
        if not separator or not name or "=" in name or not overrides:
            raise ConfigError(f"--variant {text!r}: expected NAME:KEY=VALUE[,KEY=VALUE...]")
        variants.setdefault(name, []).extend(overrides)
    return variants


def _parse_factors(texts: Sequence[str]) -> dict[str, list[Any]]:
    import tomllib

    factors: dict[str, list[Any]] = {}
    for text in texts:
        key, separator, rest = text.partition("=")
        key = key.strip()
        if not separator or not key or not rest.strip():
            raise ConfigError(f"--factor {text!r}: expected KEY=VALUE1,VALUE2,...")
        try:
            levels = tomllib.loads(f"v = [{rest}]")["v"]
        except tomllib.TOMLDecodeError:
            levels = split_top_level(rest)
        factors[key] = levels
    return factors


# ------------------------------------------------------------------------ printing


def _print_header(console: Any, result: Any, executor: dict[str, Any], out: Path) -> None:
    spec = result.specs[0]
    where = executor["kind"] + (f" ×{executor['workers']}" if executor.get("workers") else "")
    reused = f", {result.skipped} reused from {out}/" if result.skipped else ""
    console.print(
        rich_text(result.experiment.name, "bold")
        + rich_text(
            f": {len(result.specs)} scenarios × {result.replications} replications, seed "
            f"{spec.scenario.run.seed}; ran {result.ran} on {where} in {result.seconds:.1f} s"
            f"{reused}"
        )
    )


def _estimate(mean: float, low: float, high: float) -> str:
    from peakend.output.tables import format_interval, format_number

    if low != low:  # NaN: no interval
        return format_number(mean)
    return f"{format_number(mean)} {format_interval(low, high)}"


def _print_comparison(console: Any, result: Any) -> None:
    from peakend.output.experiment_plots import variant_descriptions
    from peakend.output.tables import comparison_table

    descriptions = variant_descriptions(result.experiment.text)
    console.print(comparison_table(result.compare_frame(), descriptions))


def _print_profit_split(console: Any, result: Any) -> None:
    """Each variant's profit difference split into its parts (multi-period runs only)."""
    from peakend.output.tables import profit_split_table

    frame = result.profit_split_frame()
    if not frame.empty:
        console.print(profit_split_table(frame))


_GAIN_LABELS = {
    "retention_rate": "retention (pp)",
    "service_level": "service level (pp)",
    "mean_remembered_utility": "remembered (points)",
}


def _print_costs(console: Any, result: Any) -> None:
    """Each variant's extra staff cost, agent-hours and other costs beside what it gains."""
    from rich import box
    from rich.table import Table

    from peakend.output.tables import format_number

    frame = result.cost_effectiveness_frame()
    if frame.empty:
        return
    title = "what each gain costs (variant − base)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("variant", no_wrap=True)
    table.add_column("gain", no_wrap=True)
    columns = ("gain [95% CI]", "agent-h", "staff cost", "per pt", "all costs", "per pt")
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for variant in dict.fromkeys(frame["variant"]):
        rows = frame[frame["variant"] == variant].to_dict("records")
        for i, row in enumerate(rows):
            gain = _estimate(row["gain_diff"], row["gain_diff_ci_low"], row["gain_diff_ci_high"])
            table.add_row(
                rich_text(variant) if i == 0 else "",
                _GAIN_LABELS.get(row["gain_metric"], row["gain_metric"]),
                gain + (" *" if row["gain_significant"] else "  "),
                format_number(row["agent_hours_diff"]) if i == 0 else "",
                format_number(row["staff_cost_diff"]) if i == 0 else "",
                format_number(row["cost_per_point"]),
                format_number(row["total_cost_diff"]) if i == 0 else "",
                format_number(row["total_cost_per_point"]),
                end_section=i == len(rows) - 1,
            )
    console.print(table)
    console.print(
        "per pt = cost difference / gain (pp: percentage points); all costs = staff + money "
        "paid out for recovery and extras; * the gain's 95% CI excludes 0, otherwise the "
        "ratios are noise; in cost_effectiveness.csv"
    )


def _print_sweep(console: Any, result: Any) -> None:
    from peakend.output.tables import sweep_table

    summary = result.summary_frame()
    for metric in result.plot_metrics:
        console.print(sweep_table(summary, metric))
    others = len(result.reported_metrics) - len(result.plot_metrics)
    if others > 0:
        console.print(f"(and {others} more metrics in sweep_summary.csv)")


def _write_plots_into(result: Any, out: Path, svg: bool = False) -> list[Path]:
    """The plots, written with the folder claimed again, so that they join its ledger;
    their time joins the manifest's last session (``stages.plots``)."""
    import time

    from peakend.experiments.api import experiment_identity
    from peakend.experiments.manifest import add_stage
    from peakend.store.rundir import RunDirectory

    with RunDirectory(out, experiment_identity(result.experiment, result.kind)):
        started = time.perf_counter()
        plots = _write_plots(result, out, svg)
        add_stage(out, "plots", time.perf_counter() - started)
        return plots


def _write_plots(result: Any, out: Path, svg: bool = False) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    from peakend.output.experiment_plots import ComparisonPlot, SweepPlot, save_plot

    paths = []
    for metric in result.plot_metrics:
        if result.kind == "compare":
            display: Any = ComparisonPlot.from_result(result, metric)
        else:
            display = SweepPlot.from_result(result, metric)
        target = out / "plots" / f"{result.kind}_{safe_name(metric)}.png"
        paths.append(save_plot(display.plot(), target, svg=svg)[0])  # the PNG (SVG beside)
    return paths
