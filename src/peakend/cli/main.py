"""The ``peakend`` command line: a thin layer over the Python API.

Bad input (a missing file, a TOML error, an unknown key, a value out of range)
prints one message per problem naming the file and the key, and exits with
status 2, without a traceback and before anything is written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from peakend._version import __version__
from peakend.cli.experiments import compare, executor_options, make_mapper, sweep
from peakend.config.loading import ConfigError, load_scenario

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_VALIDATION_FAILED = 1


def _console(quiet: bool = False) -> Console:
    return Console(quiet=quiet, width=max(100, Console().width))


def friendly_errors(command: F) -> F:
    """Turn configuration errors into a clear message and exit status 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            for line in str(exc).splitlines():
                click.echo(f"peakend: error: {line}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


def _overrides(seed: int | None, replications: int | None, sets: Sequence[str]) -> list[str]:
    extra = []
    if seed is not None:
        extra.append(f"run.seed={seed}")
    if replications is not None:
        extra.append(f"run.replications={replications}")
    return [*sets, *extra]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="peakend")
def main() -> None:
    """peakend: customer journeys that are remembered, not averaged.

    Simulate a service system (arrivals, queues, abandonment, service, failures,
    recovery) in which every customer remembers the journey by its peak and its
    end, and decides from that memory whether to come back.
    """


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), help="Root seed (overrides run.seed).")
@click.option(
    "--replications", "-r", type=click.IntRange(min=1), help="Overrides run.replications."
)
@click.option(
    "--out", "-o", type=click.Path(path_type=Path), help="Write results to this directory."
)
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
@executor_options
@friendly_errors
def run(
    config: Path,
    seed: int | None,
    replications: int | None,
    out: Path | None,
    sets: tuple[str, ...],
    table_format: str,
    scale_staffing: float | None,
    quiet: bool,
    executor: str,
    workers: int | None,
    dask: str | None,
) -> None:
    """Run the scenario in CONFIG and print a summary with 95 % confidence intervals."""
    from peakend.config.loading import scale_staffing as scaled
    from peakend.experiments.runner import run_scenario
    from peakend.output.files import write_run
    from peakend.output.tables import estimate_table

    scenario = load_scenario(config, _overrides(seed, replications, sets))
    if scale_staffing is not None:
        scenario = scaled(scenario, scale_staffing)
    console = _console(quiet)
    with make_mapper(executor, workers, dask, progress=not quiet) as mapper:
        result = run_scenario(scenario, mapper=mapper)
    title = (
        f"{scenario.name}: {len(result.replications)} replications, seed {scenario.run.seed} "
        f"({result.seconds:.1f} s)"
    )
    console.print(estimate_table(title, result.summary))
    if out is not None:
        write_run(result, out, table_format)
        console.print(f"results written to {out}/")


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a key.")
@friendly_errors
def show(config: Path, sets: tuple[str, ...]) -> None:
    """Print the scenario in CONFIG as it will run: every default filled in (TOML)."""
    from peakend.config.loading import scenario_to_toml

    click.echo(scenario_to_toml(load_scenario(config, list(sets))), nl=False)


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
@click.option("--quick", is_flag=True, help="Fewer, shorter replications (a smoke check).")
@click.option("--seed", type=click.IntRange(min=0), default=2026, show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict.")
@executor_options
@friendly_errors
def validate(
    quick: bool, seed: int, quiet: bool, executor: str, workers: int | None, dask: str | None
) -> None:
    """Check the engine against Erlang C and Erlang A, and the memory models
    against the classic experiments; exit 1 if any check fails."""
    from peakend.analysis.validate import run_validation

    console = _console(quiet)
    with make_mapper(executor, workers, dask, progress=False) as mapper:
        passed = run_validation(console, quick=quick, seed=seed, mapper=mapper)
    verdict = "all checks passed" if passed else "SOME CHECKS FAILED"
    click.echo(f"peakend validate: {verdict}")
    if not passed:
        sys.exit(EXIT_VALIDATION_FAILED)


main.add_command(compare)
main.add_command(sweep)

if __name__ == "__main__":  # pragma: no cover
    main()
