"""The ``peakend optimise`` command: a thin layer over :mod:`peakend.optimise`.

Load the optimisation file, search it on the chosen executor with a progress
bar, print the chosen plan against today's and write the run directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from peakend.base.names import printable, rich_text
from peakend.cli.errors import EXIT_FAILED, fail, friendly_errors
from peakend.cli.experiments import executor_options, open_executor, overwrite_option
from peakend.store.rundir import safe_name

__all__ = ["optimise"]


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Run directory (default: results/NAME-optimise). Re-running resumes.",
)
@overwrite_option
@click.option("--seed", type=click.IntRange(min=0), help="Root seed (overrides run.seed).")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key of the base scenario (repeatable).",
)
@executor_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no tables.")
@friendly_errors
def optimise(file: Path, **options: Any) -> None:
    """Find the cheapest (or most profitable) plan that meets the constraints.

    FILE is an optimisation file: a base scenario, [decide] (agents per interval
    within bounds, policy choices), [objective], [constraints] and [search]
    (docs/optimise.md). Writes best.toml, frontier.csv, evaluations.csv, the
    frontier plot, the comparison with today's plan and its report page
    (report.html) into --out.
    """
    from peakend.optimise.evaluate import EvaluationFailed
    from peakend.optimise.problem import load_optimisation
    from peakend.optimise.run import run_optimisation

    overrides = list(options["sets"])
    if options["seed"] is not None:
        overrides.append(f"run.seed={options['seed']}")
    problem = load_optimisation(file, overrides)
    out = options["out"] or Path("results") / f"{safe_name(problem.name)}-optimise"
    quiet = options["quiet"]
    opened = open_executor(
        options["executor"], options["workers"], options["dask"], options["force_workers"]
    )
    try:
        with opened as executor:
            result = run_optimisation(
                problem, out, executor=executor, overwrite=options["overwrite"], progress=not quiet
            )
    except EvaluationFailed as exc:
        fail(f"{exc} (traceback in {printable(str(out))}/failures/)", EXIT_FAILED)
    if not quiet:
        _print(result)
    click.echo(f"results written to {printable(str(out))}/")


def _print(result: Any) -> None:
    from rich.console import Console

    from peakend.output.tables import rows_table

    console = Console(width=max(100, Console().width), emoji=False)
    chosen = result.assessment(result.handed_back)
    today = result.assessment(result.today)
    rows = []
    for label, judged in (("today", today), ("chosen", chosen)):
        constraints = ", ".join(
            f"{name}: {est.mean:.4g}" for name, est in judged.constraints.items()
        )
        rows.append(
            [
                label,
                f"{judged.objective.mean:,.4g} [{judged.objective.ci_low:,.4g}, "
                f"{judged.objective.ci_high:,.4g}]",
                constraints or "-",
                "yes" if judged.feasible else "no",
            ]
        )
    metric = result.problem.objective.metric
    console.print(rows_table("plan", ["plan", metric, "constraints (mean)", "meets them"], rows))
    console.print(
        rich_text(
            f"chosen {result.handed_back.label}: best of {len(result.finalists)} finalists with "
            f"probability {result.chosen_probability:.2f} ({result.replications} paired "
            f"replications); stopped: {result.stopped}; {result.evaluator.ran} replications run, "
            f"{result.evaluator.read} read from the store, {result.seconds:.0f} s"
        )
    )
    for miss in result.misses:
        text = f"{miss['constraint']}: missed on {miss['miss_share']:.0%} of days"
        if "miss_share_bad_days" in miss:
            text += f", {miss['miss_share_bad_days']:.0%} of the worst-absence tenth"
        console.print(rich_text(text))
