"""The ``peakend calibrate`` and ``peakend backtest`` commands: a thin layer over
:mod:`peakend.calibration`."""

from __future__ import annotations

from pathlib import Path

import click

from peakend.base.names import printable
from peakend.cli.errors import friendly_errors

__all__ = ["backtest", "calibrate"]

_FORMAT_HELP = (
    "The log's layout: a preset (anonymous_bank, peakend) or a TOML file mapping the "
    "log's columns (see docs/calibration/tutorial.md)."
)


@click.command()
@click.argument("log", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for scenario.toml, report.html and the fit tables (new or empty).",
)
@click.option(
    "--format", "log_format", default="anonymous_bank", show_default=True, help=_FORMAT_HELP
)
@click.option(
    "--interval-minutes",
    type=click.FloatRange(min=1, max=240),
    default=30.0,
    show_default=True,
    help="Length of the scenario's intervals.",
)
@click.option(
    "--redial-window",
    type=click.FloatRange(min=1),
    default=120.0,
    show_default=True,
    help="Minutes within which a contact after an abandonment counts as a redial.",
)
@click.option(
    "--repeat-window",
    type=click.FloatRange(min=1),
    default=1440.0,
    show_default=True,
    help="Minutes within which a contact after a service counts as a repeat contact.",
)
@click.option(
    "--break-minutes",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="An agent's gap between services longer than this ends a spell of presence.",
)
@click.option(
    "--threshold-seconds",
    type=click.FloatRange(min=1),
    default=20.0,
    show_default=True,
    help="Service-level threshold written to the scenario.",
)
@click.option(
    "--score-column",
    default=None,
    help="The log's survey-score column, when the format maps none: fits the memory "
    "model's weights.",
)
@click.option(
    "--return-days",
    type=click.IntRange(min=1, max=365),
    default=7,
    show_default=True,
    help="Days after a journey within which the customer's next one counts as a return.",
)
@click.option("--name", default="calibrated", show_default=True, help="The scenario's name.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="The scenario's run.seed.",
)
@friendly_errors
def calibrate(
    log: Path,
    out: Path,
    log_format: str,
    interval_minutes: float,
    redial_window: float,
    repeat_window: float,
    break_minutes: float,
    threshold_seconds: float,
    score_column: str | None,
    return_days: int,
    name: str,
    seed: int,
) -> None:
    """Fit a scenario to the contact log LOG (CSV or Parquet): arrivals, service times,
    patience from censored waits, redials, repeat contacts, pools and rosters, and, where
    the log holds them, memory weights (survey scores) and the return model. Writes
    OUT/scenario.toml (runs as it is; CIs as comments) and OUT/report.html."""
    from peakend.calibration.api import calibrate_log
    from peakend.calibration.calibrate import Settings

    settings = Settings(
        interval_minutes=interval_minutes,
        redial_window=redial_window,
        repeat_window=repeat_window,
        break_minutes=break_minutes,
        service_level_threshold_minutes=threshold_seconds / 60,
        return_days=return_days,
    )
    result = calibrate_log(log, out, log_format, settings, name, seed, score_column)
    c = result.calibration
    click.echo(
        f"{c.log.rows_read:,} rows read, {c.log.rows_used:,} used, "
        f"{sum(c.log.dropped.values()):,} dropped"
    )
    for reason, rows in sorted(c.log.dropped.items(), key=lambda item: -item[1]):
        click.echo(f"  dropped {rows:,}: {reason}")
    for kind in c.types.values():
        patience = kind.patience.family if kind.patience else "none"
        service = f"{kind.service.family} mean {kind.service.mean:.2f} min" if kind.service else "-"
        click.echo(
            f"  {printable(kind.name)}: {kind.queued:,} queued, "
            f"{kind.abandonment.value:.1%} abandoned; service {service}; patience {patience}"
        )
    if c.memory is not None:
        click.echo(f"  memory weights fitted to {c.memory.scores:,} survey scores")
    if c.returns is not None:
        click.echo(
            f"  return model fitted to {c.returns.journeys:,} journeys "
            f"({c.returns.returned:,} returned within {c.returns.return_days} days)"
        )
    for what, why in c.assumptions:
        click.echo(f"  assumption: {what} ({why})")
    click.echo(f"scenario written to {printable(str(result.scenario))}")
    click.echo(f"report written to {printable(str(result.report))}")


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("log", type=click.Path(path_type=Path))
@click.option(
    "--days",
    help="Days to replay: dates YYYY-MM-DD and ranges FROM..TO, "
    "comma-separated (default: every day of LOG).",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Folder for intervals.csv, errors.csv and backtest.png (new or empty).",
)
@click.option(
    "--format", "log_format", default="anonymous_bank", show_default=True, help=_FORMAT_HELP
)
@click.option(
    "--replications",
    "-r",
    type=click.IntRange(min=2, max=1000),
    default=20,
    show_default=True,
    help="Replications of each replayed day.",
)
@click.option(
    "--break-minutes",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="An agent's gap between services longer than this ends a spell of presence.",
)
@friendly_errors
def backtest(
    scenario: Path,
    log: Path,
    days: str | None,
    out: Path | None,
    log_format: str,
    replications: int,
    break_minutes: float,
) -> None:
    """Replay held-out days of LOG through the calibrated SCENARIO (the log's arrivals,
    the rosters inferred from it) and compare per interval and type: offered,
    abandonment rate, mean wait and service level. Prints the error table."""
    from peakend.calibration.backtest import backtest as run_backtest
    from peakend.calibration.backtest_output import (
        check_backtest_folder,
        parse_days,
        write_backtest,
    )
    from peakend.calibration.logformat import load_format
    from peakend.calibration.logs import read_log
    from peakend.config.loading import load_scenario

    if out is not None:
        check_backtest_folder(out)
    calibrated = load_scenario(scenario)
    contact_log = read_log(log, load_format(log_format))
    chosen = parse_days(days, contact_log.days())
    result = run_backtest(calibrated, contact_log, chosen, replications, break_minutes)
    click.echo(f"{len(chosen)} days replayed, {replications} replications each")
    for reason, count in result.skipped.items():
        click.echo(f"  left out {count:,} contacts: {reason}")
    click.echo(_error_text(result.errors))
    if out is not None:
        write_backtest(result, out)
        click.echo(f"intervals.csv, errors.csv and backtest.png written to {printable(str(out))}")


def _error_text(errors: object) -> str:
    import pandas as pd

    assert isinstance(errors, pd.DataFrame)
    shown = errors.copy()
    shown["type"] = shown["type"].map(printable)
    return shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")
