"""The Python API behind ``peakend calibrate`` and ``peakend backtest``:
:func:`calibrate_log` and :func:`backtest_log`.

It writes into ``out``: ``scenario.toml`` (runs as it is), ``report.html`` (the
calibration report), ``fits.csv`` (every fitted family of every type: family,
AIC, mean and CV with 95 % CIs), ``behaviour.csv`` (memory weights fitted to
survey scores and the return model's coefficients, with 95 % CIs; empty when the log
supports neither), ``rosters.csv`` (agents present per pool, day
and interval) and ``dropped.csv`` (rows dropped by reason). ``out`` must be a new
or empty folder, or one that ``peakend calibrate`` wrote before (it holds
``scenario.toml`` and ``report.html`` whose first line says so); nothing else is
overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from peakend.base.errors import ConfigError
from peakend.calibration.calibrate import Calibration, Settings, calibrate
from peakend.calibration.logformat import LogFormat, load_format
from peakend.calibration.logs import read_log
from peakend.calibration.report import render_report
from peakend.calibration.scenario_writer import scenario_toml

if TYPE_CHECKING:
    from peakend.calibration.backtest import BacktestResult

__all__ = ["OUTPUT_FILES", "CalibrationResult", "backtest_log", "calibrate_log"]

OUTPUT_FILES = (
    "scenario.toml",
    "report.html",
    "fits.csv",
    "behaviour.csv",
    "rosters.csv",
    "dropped.csv",
)
_MARK = "# Calibrated by peakend"


@dataclass(frozen=True)
class CalibrationResult:
    """The calibration and the files written."""

    calibration: Calibration
    scenario: Path
    report: Path
    folder: Path


def check_out_folder(out: Path) -> None:
    """Refuse an output folder holding anything but a previous calibration's files.

    Raises
    ------
    ConfigError
        For a path that is a file, or a folder with other files.
    """
    if not os.path.lexists(out):
        return
    if out.is_symlink() or not out.is_dir():
        raise ConfigError(f"{out}: not a folder; --out names a folder for the calibration")
    entries = {entry.name for entry in out.iterdir()}
    if not entries:
        return
    scenario = out / "scenario.toml"
    ours = scenario.is_file() and not scenario.is_symlink() and _starts_with_mark(scenario)
    if not ours or entries - set(OUTPUT_FILES):
        raise ConfigError(
            f"{out}: holds files peakend calibrate did not write; choose a new or empty folder"
        )


def _starts_with_mark(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(_MARK)).decode("utf-8", "replace") == _MARK


def calibrate_log(
    log: str | Path,
    out: str | Path,
    log_format: LogFormat | str = "anonymous_bank",
    settings: Settings | None = None,
    name: str = "calibrated",
    seed: int = 1,
    score_column: str | None = None,
) -> CalibrationResult:
    """Read ``log``, calibrate, and write the scenario, the report and the tables to ``out``.

    ``score_column`` names the log's survey-score column when the format does not map
    one (the Anonymous Bank preset has none).

    Raises
    ------
    ConfigError
        For a log that cannot be read (:class:`~peakend.calibration.logs.LogError`, one
        line naming file, line and column), a format that cannot be loaded, an output
        folder that may not be used, or a log with nothing to calibrate.
    """
    from peakend.store.files import write_table, write_text

    out = Path(out)
    check_out_folder(out)
    fmt = load_format(log_format) if isinstance(log_format, (str, Path)) else log_format
    if score_column is not None:
        fmt = fmt.model_copy(update={"columns": {**fmt.columns, "score": score_column}})
    contact_log = read_log(log, fmt)
    try:
        calibration = calibrate(contact_log, settings)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "scenario.toml", scenario_toml(calibration, name, seed))
    write_text(out / "report.html", render_report(calibration))
    write_table(out / "fits.csv", fits_frame(calibration))
    write_table(out / "behaviour.csv", behaviour_frame(calibration))
    write_table(out / "rosters.csv", rosters_frame(calibration))
    dropped = pd.DataFrame(sorted(contact_log.dropped.items()), columns=["reason", "rows"])
    write_table(out / "dropped.csv", dropped)
    return CalibrationResult(calibration, out / "scenario.toml", out / "report.html", out)


def fits_frame(calibration: Calibration) -> pd.DataFrame:
    """One row per type, quantity (service, patience) and family fitted."""
    rows = []
    for kind in calibration.types.values():
        for quantity, fits, pooled in (
            ("service", kind.service_fits, kind.service_pooled),
            ("patience", kind.patience_fits, kind.patience_pooled),
        ):
            best = min(fits.values(), key=lambda f: f.aic) if fits else None
            for fit in fits.values():
                rows.append(
                    {
                        "type": kind.name,
                        "quantity": quantity,
                        "family": fit.family,
                        "best": fit is best,
                        "pooled": pooled,
                        "aic": fit.aic,
                        "observed": fit.observed,
                        "censored": fit.censored,
                        "mean_minutes": fit.mean,
                        "mean_low": fit.ci("mean")[0],
                        "mean_high": fit.ci("mean")[1],
                        "cv": fit.cv,
                        "cv_low": fit.ci("cv")[0],
                        "cv_high": fit.ci("cv")[1],
                    }
                )
    return pd.DataFrame(rows)


def behaviour_frame(calibration: Calibration) -> pd.DataFrame:
    """One row per memory weight and return coefficient fitted: model, term, estimate,
    95 % CI, and the journeys behind it."""
    from peakend.calibration.memory_fit import MEMORY_TERMS

    rows = []
    m, r = calibration.memory, calibration.returns
    if m is not None:
        for term in (*MEMORY_TERMS, "intercept"):
            low, high = m.ci(term)
            rows.append(("memory", term, float(getattr(m.model, term)), low, high, m.scores))
    if r is not None:
        for term, value in (
            ("baseline_retention", r.baseline_retention),
            ("utility_slope", r.utility_slope),
            ("effort_slope", r.effort_slope),
        ):
            low, high = r.ci(term)
            rows.append(("returns", term, value, low, high, r.journeys))
    return pd.DataFrame(rows, columns=["model", "term", "estimate", "low", "high", "journeys"])


def rosters_frame(calibration: Calibration) -> pd.DataFrame:
    """Agents present (time-average) per pool, date and interval."""
    rows = []
    for pool, days in calibration.rosters.items():
        for day, present in days.items():
            for interval, agents in enumerate(present):
                rows.append(
                    {
                        "pool": pool,
                        "date": f"{day:%Y-%m-%d}",
                        "interval": interval,
                        "agents_present": round(float(agents), 4),
                    }
                )
    return pd.DataFrame(rows)


def backtest_log(
    scenario: str | Path,
    log: str | Path,
    days: Sequence[str] | None = None,
    log_format: LogFormat | str = "anonymous_bank",
    replications: int = 20,
    break_minutes: float = 30.0,
) -> BacktestResult:
    """Replay ``days`` (ISO dates; None: every day) of ``log`` through the calibrated
    ``scenario`` file and compare per interval and type (:mod:`peakend.calibration.backtest`).

    Raises
    ------
    ConfigError
        For a scenario or log that cannot be read, or a day the log does not hold.
    """
    from peakend.calibration.backtest import backtest
    from peakend.calibration.backtest_output import parse_days
    from peakend.config.loading import load_scenario

    fmt = load_format(log_format) if isinstance(log_format, (str, Path)) else log_format
    contact_log = read_log(log, fmt)
    chosen = parse_days(None if days is None else ",".join(days), contact_log.days())
    return backtest(load_scenario(scenario), contact_log, chosen, replications, break_minutes)
