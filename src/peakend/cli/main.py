"""The ``peakend`` command line: a thin layer over the Python API.

Every failure a user can cause prints one line on stderr and exits with a
documented status (:mod:`peakend.cli.errors`): 2 for bad input (a missing file,
a TOML error, an unknown key, a bad option, an output folder that may not be
used), checked before anything is simulated or written; 1 for a failed
replication (its traceback in the run directory's ``errors.log``); 130 for
Ctrl-C, which keeps the replications that finished.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from peakend._version import __version__
from peakend.base.names import printable, rich_text
from peakend.cli.calibration import backtest, calibrate
from peakend.cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    OneLineErrorGroup,
    fail,
    friendly_errors,
    save_traceback,
)
from peakend.cli.experiments import (
    budget_options,
    compare,
    executor_of_options,
    executor_options,
    make_mapper,
    overwrite_option,
    print_warnings,
    svg_option,
    sweep,
)
from peakend.cli.export import export
from peakend.cli.json_output import echo_json, json_option
from peakend.cli.optimise import optimise
from peakend.cli.reports import dictionary, report

if TYPE_CHECKING:
    from rich.console import Console

# Commands import the library inside their bodies: `peakend --help` and a bad option
# must answer without loading SciPy, pandas or the engine.

__all__ = ["EXIT_BAD_INPUT", "EXIT_VALIDATION_FAILED", "main"]

EXIT_VALIDATION_FAILED = EXIT_FAILED


def _console(quiet: bool = False) -> Console:
    from peakend.cli.console import make_console

    return make_console(quiet)


def _overrides(seed: int | None, replications: int | None, sets: Sequence[str]) -> list[str]:
    extra = []
    if seed is not None:
        extra.append(f"run.seed={seed}")
    if replications is not None:
        extra.append(f"run.replications={replications}")
    return [*sets, *extra]


@click.group(cls=OneLineErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="peakend")
def main() -> None:
    """peakend: customer journeys that are remembered, not averaged.

    Simulate a service system (arrivals, queues, abandonment, service, failures,
    recovery) in which every customer remembers the journey by its peak and its
    end, and decides from that memory whether to come back.
    """
    warnings.showwarning = _one_line_warning


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """The library's warnings (a large sweep) as one ``peakend: warning:`` line each."""
    click.echo(f"peakend: warning: {printable(str(message))}", err=True)


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), help="Root seed (overrides run.seed).")
@click.option(
    "--replications", "-r", type=click.IntRange(min=1), help="Overrides run.replications."
)
@click.option(
    "--out", "-o", type=click.Path(path_type=Path), help="Write results to this directory."
)
@overwrite_option
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config key, e.g. --set pools.agents.absenteeism=0.1 or "
    "'pools.agents.staffing[8:12]+=3' (repeatable).",
)
@click.option(
    "--format",
    "table_format",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="File format of the per-customer and per-contact records.",
)
@click.option(
    "--scale-staffing",
    type=click.FloatRange(min=0),
    help="Multiply every pool's staffing by this factor (rounded), e.g. 0.5 or 1.2.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@svg_option
@json_option
@executor_options
@budget_options
@friendly_errors
def run(
    config: Path,
    seed: int | None,
    replications: int | None,
    out: Path | None,
    overwrite: bool,
    sets: tuple[str, ...],
    table_format: str,
    scale_staffing: float | None,
    quiet: bool,
    json_output: bool,
    executor: str,
    workers: int | None,
    force_workers: bool,
    dask: str | None,
    dask_timeout: float,
    memory_budget: int | None,
    svg: bool,
) -> None:
    """Run the scenario in CONFIG and print a summary with 95 % confidence intervals.

    --out must be a new folder or hold a run of the same scenario; --overwrite
    replaces another run. Ctrl-C writes the replications finished so far.
    --json prints summary.json's content (and "out") instead of the table.
    """
    from peakend.config.budget import check_budget, estimate_scenario
    from peakend.config.loading import load_scenario
    from peakend.config.loading import scale_staffing as scaled
    from peakend.runs.executors import planned_workers
    from peakend.runs.stages import Stages

    stages = Stages()
    with stages("load"):
        scenario = load_scenario(config, _overrides(seed, replications, sets))
    if scale_staffing is not None:
        scenario = scaled(scenario, scale_staffing)
    # Imported once the scenario has loaded: a scenario or arrival file that is refused
    # is refused without paying for the engine's import.
    from peakend.runs.forked import ForkedWork, forked_executor
    from peakend.runs.simulate import streams_records

    # Records are kept only to be written (--out), and a run whose records would take
    # too much memory streams them to files in the folder as they are made.
    stream = out is not None and streams_records(scenario)
    # Before an executor starts or --out is touched: a run too big is refused at once.
    in_flight = planned_workers(executor, workers, dask)
    workload = estimate_scenario(
        scenario, workers=in_flight, keep_records=out is not None and not stream
    )
    check_budget(workload, memory_budget, str(config))
    with ExitStack() as stack:
        # The executor of the options (so they are checked) and, where it runs a small
        # run serially, a process forked now to simulate it before the imports below
        # (pandas, pyarrow, SciPy, rich: about a second), which are made meanwhile on
        # the other core (peakend.runs.forked).
        made = executor_of_options(
            executor, workers, dask, force_workers, workload=workload, dask_timeout=dask_timeout
        )
        work = None if stream else ForkedWork(scenario, out is not None, memory_budget)
        forked = forked_executor(made, work, scenario.run.replications)
        pool = stack.enter_context(forked if forked is not None else made)
        import pyarrow.parquet  # noqa: F401  (imported now, while the replications run)

        from peakend.output.files import run_identity
        from peakend.output.plot_process import PlotProcess, plot_process_pays
        from peakend.runs.errors import ReplicationError, RunInterrupted
        from peakend.runs.executors import ProgressBar
        from peakend.runs.runner import run_scenario
        from peakend.store.rundir import RunDirectory

        console = _console(quiet or json_output)
        folder = plotter = None
        parts = None
        if out is not None:
            folder = stack.enter_context(RunDirectory(out, run_identity(scenario), overwrite))
            if stream:
                parts = _record_parts(folder, scenario.run.replications)
                stack.callback(_remove_parts, folder, parts)
            # Imports matplotlib while the engine runs, then draws the plots while the
            # tables are written (peakend.output.plot_process). Started once this
            # process's own imports are made: with a forked replication process (one more
            # core in use), the two imports then take turns on the second core instead of
            # slowing the simulation down on the first.
            if plot_process_pays(workload.cpu_seconds, running=1 + (forked is not None)):
                plotter = stack.enter_context(PlotProcess())
        written = (folder, table_format, svg, stages, plotter)
        try:
            with ProgressBar(not quiet, scenario.name) as bar:
                result = run_scenario(
                    scenario,
                    executor=pool,
                    progress=bar,
                    memory_budget_bytes=memory_budget,
                    record_parts=parts,
                    keep_records=out is not None,
                )
        except RunInterrupted as exc:
            _interrupted(console, exc.result, *written)
        except ReplicationError as exc:
            _failed(console, exc, *written)
        drawn = _submit_plots(result, plotter, svg, stages)  # drawn while the summary prints
        _print_summary(console, result)
        if folder is not None:
            _write(result, folder, table_format, svg, stages, drawn)
            console.print(rich_text(f"results written to {folder.path}/"))
    if json_output:
        where = str(folder.path) if folder is not None else None
        echo_json({**result.summary_dict(), "seconds": result.seconds, "out": where})


def _record_parts(folder: Any, replications: int) -> dict[int, dict[str, str]]:
    """A journalled temporary file in ``folder`` for each replication's streamed records."""
    from peakend.runs.records import RECORD_TABLES

    return {
        r: {table: str(folder.temporary_file(f"{table}.{r}.parquet")) for table in RECORD_TABLES}
        for r in range(replications)
    }


def _remove_parts(folder: Any, parts: dict[int, dict[str, str]]) -> None:
    for files in parts.values():
        for path in files.values():
            folder.remove_temporary(Path(path))


def _print_summary(console: Console, result: Any) -> None:
    from peakend.output.tables import estimate_table

    scenario = result.scenario
    title = (
        f"{scenario.name}: {len(result.replications)} replications, seed {scenario.run.seed} "
        f"({result.seconds:.1f} s)"
    )
    if result.replications:
        console.print(estimate_table(title, result.summary))
    print_warnings(console, result.warnings)


def _submit_plots(result: Any, plotter: Any, svg: bool, stages: Any) -> Any:
    """The run's plots handed to the plot process (None without one)."""
    if plotter is None:
        return None
    from peakend.output.files import plot_jobs

    with stages("plots"):
        return plotter.submit(plot_jobs(result), svg)


def _write(
    result: Any, folder: Any, table_format: str, svg: bool, stages: Any, drawn: Any = None
) -> None:
    from peakend.output.files import write_run

    write_run(result, folder, table_format, svg=svg, stages=stages, drawn=drawn)


def _interrupted(
    console: Console,
    result: Any,
    folder: Any,
    table_format: str,
    svg: bool,
    stages: Any,
    plotter: Any = None,
) -> None:
    kept = ""
    if result is not None and result.replications:
        drawn = _submit_plots(result, plotter if folder is not None else None, svg, stages)
        _print_summary(console, result)
        if folder is not None:
            _write(result, folder, table_format, svg, stages, drawn)
            kept = f"; the {len(result.replications)} finished replications are in {folder.path}/"
    click.echo(f"peakend: interrupted{printable(kept)}", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _failed(
    console: Console,
    exc: Any,
    folder: Any,
    table_format: str,
    svg: bool,
    stages: Any,
    plotter: Any = None,
) -> None:
    from peakend.runs.errors import error_log

    result = exc.result
    drawn = None
    if folder is not None and result is not None:
        drawn = _submit_plots(result, plotter, svg, stages)
    if result is not None:
        _print_summary(console, result)
    if folder is not None and result is not None:
        _write(result, folder, table_format, svg, stages, drawn)
        log = folder.path / "errors.log"
    else:
        log = save_traceback(error_log(exc.failures))
    fail(f"{exc}; tracebacks in {log}", EXIT_FAILED)


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a key.")
@friendly_errors
def show(config: Path, sets: tuple[str, ...]) -> None:
    """Print the scenario in CONFIG as it will run: every default filled in (TOML)."""
    from peakend.config.loading import load_scenario, scenario_to_toml

    click.echo(scenario_to_toml(load_scenario(config, list(sets))), nl=False)


@main.command()
@click.argument("template", required=False)
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--list", "list_templates", is_flag=True, help="List the templates and exit.")
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@friendly_errors
def init(template: str | None, path: Path | None, list_templates: bool, force: bool) -> None:
    """Write a commented starting scenario: TEMPLATE (default contact_centre) to PATH
    (default TEMPLATE.toml here; a folder gets TEMPLATE.toml inside).

    The templates are the example configs that ship with peakend (--list).
    An existing file is kept unless --force is given.
    """
    from peakend.config.templates import DEFAULT_TEMPLATE, available_templates, write_template

    if list_templates:
        for name, description in available_templates().items():
            click.echo(f"{name:<28} {description}")
        return
    name = template or DEFAULT_TEMPLATE
    try:
        written = write_template(name, path or Path(f"{name}.toml"), overwrite=force)
    except FileExistsError as exc:
        fail(f"{exc.args[0]} already exists; pass --force to replace it", EXIT_BAD_INPUT)
    shown = printable(str(written))
    click.echo(f"wrote {shown}; run it with: peakend run {shown}")


@main.command()
@friendly_errors
def schema() -> None:
    """Print the JSON Schema of a scenario file (for editors; also peakend/schema.json)."""
    from peakend.config.json_schema import schema_text

    click.echo(schema_text(), nl=False)


@main.command()
@click.argument("experiment")
@click.option("--seed", type=click.IntRange(min=0), help="Overrides the file's seed.")
@friendly_errors
def classic(experiment: str, seed: int | None) -> None:
    """Run a classic memory experiment and print it beside the published finding.

    EXPERIMENT is a file such as experiments/classics/cold_pressor.toml, or one of
    the names patients, cold_pressor, colonoscopy, recovery_paradox, all (defaults).
    Exits 1 if the model does not reproduce the published direction.
    """
    from peakend.classics.config import run_classic
    from peakend.output.tables import rows_table

    console = _console()
    reproduced = True
    for result in run_classic(experiment, seed):
        verdict = "reproduced" if result.reproduced else "NOT REPRODUCED"
        console.print(
            rows_table(
                f"{result.title}: {verdict}", ("quantity", "model", "published"), result.rows()
            )
        )
        console.print(f"published: {result.published}\n")
        reproduced &= bool(result.reproduced)
    if not reproduced:
        sys.exit(EXIT_VALIDATION_FAILED)


@main.command()
@click.option(
    "--quick", is_flag=True, help="Fewer, shorter replications, no levers suite (a smoke check)."
)
@click.option("--seed", type=click.IntRange(min=0), default=2026, show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict.")
@json_option
@executor_options
@friendly_errors
def validate(
    quick: bool,
    seed: int,
    quiet: bool,
    json_output: bool,
    executor: str,
    workers: int | None,
    force_workers: bool,
    dask: str | None,
    dask_timeout: float,
) -> None:
    """Check the engine against Erlang C and Erlang A, and the memory models
    against the classic experiments; exit 1 if any check fails."""
    from peakend.checks.validate import run_validation
    from peakend.output.tables import rows_table

    console = _console(quiet)
    with make_mapper(executor, workers, dask, False, force_workers, dask_timeout) as mapper:
        report = run_validation(quick=quick, seed=seed, mapper=mapper)
    passed = report.passed
    if json_output:
        echo_json(_validation_json(report, seed, quick))
    else:
        for section in report.sections:
            console.print(rows_table(section.title, section.header, section.rows))
        verdict = "all checks passed" if passed else "SOME CHECKS FAILED"
        click.echo(f"peakend validate: {verdict}")
    if not passed:
        sys.exit(EXIT_VALIDATION_FAILED)


def _validation_json(report: Any, seed: int, quick: bool) -> dict[str, Any]:
    """The validation report as data: each section's rows as records keyed by its header."""
    return {
        "passed": report.passed,
        "seed": seed,
        "quick": quick,
        "sections": [
            {
                "title": section.title,
                "passed": section.passed,
                "rows": [dict(zip(section.header, row, strict=False)) for row in section.rows],
            }
            for section in report.sections
        ],
    }


main.add_command(compare)
main.add_command(sweep)
main.add_command(report)
main.add_command(dictionary)
main.add_command(calibrate)
main.add_command(backtest)
main.add_command(optimise)
main.add_command(export)

if __name__ == "__main__":  # pragma: no cover
    main()
