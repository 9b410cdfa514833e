"""Writing and showing a backtest: ``intervals.csv``, ``errors.csv`` and the plot of
observed against simulated per interval (``backtest.png``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from peakend.base.errors import ConfigError
from peakend.calibration.backtest import ALL_TYPES, BacktestResult

__all__ = ["BACKTEST_FILES", "backtest_figure", "parse_days", "write_backtest"]

BACKTEST_FILES = ("intervals.csv", "errors.csv", "backtest.png")


def parse_days(text: str | None, available: Sequence[pd.Timestamp]) -> list[pd.Timestamp]:
    """The days of ``--days``: ISO dates and ranges ``FROM..TO`` separated by commas
    (None: every day of the log), each a day the log holds.

    Raises
    ------
    ConfigError
        For a date that is not ``YYYY-MM-DD``, a range that runs backwards, or a range
        with no day of the log in it.
    """
    if text is None:
        return list(available)
    days: list[pd.Timestamp] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        first, _, last = part.partition("..")
        low, high = _date(first), _date(last or first)
        if high < low:
            raise ConfigError(f"--days: {part!r} runs backwards; write FROM..TO")
        inside = [d for d in available if low <= d <= high]
        if not inside:
            raise ConfigError(f"--days: the log has no contact in {part!r}")
        days += [d for d in inside if d not in days]
    if not days:
        raise ConfigError("--days: no day given; write dates YYYY-MM-DD or ranges FROM..TO")
    return sorted(days)


def _date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(pd.to_datetime(text.strip(), format="%Y-%m-%d"))
    except (ValueError, TypeError):
        raise ConfigError(f"--days: {text!r} is not a date YYYY-MM-DD") from None


def check_backtest_folder(out: Path) -> None:
    """Refuse an output folder holding files other than a previous backtest's."""
    if not os.path.lexists(out):
        return
    if out.is_symlink() or not out.is_dir():
        raise ConfigError(f"{out}: not a folder; --out names a folder for the backtest")
    extra = {entry.name for entry in out.iterdir()} - set(BACKTEST_FILES)
    if extra:
        raise ConfigError(
            f"{out}: holds files peakend backtest did not write; choose a new or empty folder"
        )


def backtest_figure(intervals: pd.DataFrame, measure: str = "abandonment_rate") -> object:
    """Observed against simulated ``measure`` over all types, interval by interval
    (with the simulated 95 % band), and as a scatter. Returns the figure."""
    import matplotlib.pyplot as plt

    rows = intervals[intervals["type"] == ALL_TYPES].reset_index(drop=True)
    figure, (line, scatter) = plt.subplots(
        1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [3, 1]}
    )
    x = np.arange(len(rows))
    line.fill_between(
        x,
        rows[f"simulated_{measure}_low"],
        rows[f"simulated_{measure}_high"],
        color="tab:blue",
        alpha=0.25,
        label="simulated 95 % band",
    )
    line.plot(x, rows[f"simulated_{measure}"], color="tab:blue", label="simulated mean")
    line.plot(x, rows[f"observed_{measure}"], ".", color="black", ms=3, label="observed")
    starts = np.flatnonzero(rows["date"].ne(rows["date"].shift()))
    line.set_xticks(starts, rows["date"].iloc[starts], rotation=45, fontsize=7)
    line.set(ylabel=measure.replace("_", " "), title="Observed against simulated, by interval")
    line.legend(fontsize=8)
    scatter.plot(rows[f"observed_{measure}"], rows[f"simulated_{measure}"], ".", ms=3)
    top = float(np.nanmax(rows[[f"observed_{measure}", f"simulated_{measure}"]].to_numpy()))
    scatter.plot([0, top], [0, top], color="grey", lw=1)
    scatter.set(xlabel="observed", ylabel="simulated")
    figure.tight_layout()
    return figure


def write_backtest(result: BacktestResult, out: Path) -> list[Path]:
    """Write ``intervals.csv``, ``errors.csv`` and ``backtest.png`` to ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from peakend.store.files import atomic_write, write_table

    check_backtest_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "intervals.csv", result.intervals)
    write_table(out / "errors.csv", result.errors)
    figure = backtest_figure(result.intervals)
    atomic_write(out / "backtest.png", lambda tmp: figure.savefig(tmp, format="png", dpi=100))  # type: ignore[attr-defined]
    plt.close(figure)  # type: ignore[arg-type]
    return [out / name for name in BACKTEST_FILES]
