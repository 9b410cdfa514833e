"""The baseline a calibration must beat: a plain Erlang A fit.

One exponential patience for every contact (its censored maximum-likelihood mean:
total time waited over abandonments), one mean service time (of every served
contact), Poisson arrivals at the interval's observed count, and as agents those
seen serving in the interval (the naive count of :func:`peakend.calibration.rosters.
naive_counts`, which overstates presence). Each interval is then the stationary
M/M/c+M queue of :class:`peakend.analysis.erlang.ErlangA`. Its predictions have no
simulation noise; their 95 % band for a share is the binomial one of the interval's
offered contacts around the predicted share (none for the mean wait).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from peakend.calibration.backtest import ALL_TYPES, MEASURES, error_table, interval_measures
from peakend.calibration.logs import ContactLog
from peakend.calibration.rosters import naive_counts

__all__ = ["ErlangAFit", "erlang_a_backtest", "noise_floor"]


class ErlangAFit:
    """The two numbers of a plain Erlang A fit of a log (minutes)."""

    def __init__(self, log: ContactLog) -> None:
        queued = log.frame[log.frame["outcome"] != "ivr_only"]
        abandoned = int((queued["outcome"] == "abandoned").sum())
        self.mean_patience = float(queued["wait"].sum()) / max(abandoned, 1)
        served = queued[queued["outcome"] == "served"]
        self.mean_service = float(served["service_minutes"].mean())


def erlang_a_backtest(
    fit: ErlangAFit, log: ContactLog, days: list[pd.Timestamp], interval: float, threshold: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-interval predictions of the all-types measures on ``days`` and their error
    table, in the layout of :func:`peakend.calibration.backtest.backtest`."""
    from peakend.analysis.erlang import ErlangA

    frame = log.frame[log.frame["outcome"] != "ivr_only"]
    rows = []
    for day in days:
        day_rows = frame[frame["date"] == day]
        opens = math.floor(day_rows["queue_entry"].min() / interval) * interval
        intervals = int((day_rows["queue_entry"].max() - opens) // interval) + 1
        observed = interval_measures(
            day_rows.assign(
                abandoned=day_rows["outcome"] == "abandoned",
                answered=day_rows["outcome"] == "served",
            ),
            opens,
            interval,
            threshold,
        ).xs(ALL_TYPES, level="type")
        seen, _ = naive_counts(
            day_rows[day_rows["outcome"] == "served"], opens, intervals, interval
        )
        for index, row in observed.iterrows():
            n = int(row["offered"])
            model = ErlangA(
                n / interval, fit.mean_service, max(int(seen[index]), 1), fit.mean_patience
            )
            predicted = {
                "offered": float(n),
                "abandonment_rate": model.prob_abandon,
                "mean_wait_minutes": model.mean_wait_minutes,
                "service_level": model.service_level(threshold),
            }
            record = {"date": f"{day:%Y-%m-%d}", "interval": index, "type": ALL_TYPES, "offered": n}
            for measure in MEASURES:
                value = predicted[measure]
                record[f"observed_{measure}"] = row[measure]
                record[f"simulated_{measure}"] = value
                low, high = _band(measure, value, n)
                record[f"simulated_{measure}_low"] = low
                record[f"simulated_{measure}_high"] = high
            rows.append(record)
    table = pd.DataFrame(rows)
    return table, error_table(table)


def _band(measure: str, value: float, n: int) -> tuple[float, float]:
    if measure == "offered":
        return value, value
    if measure == "mean_wait_minutes":
        return math.nan, math.nan
    p = min(max(value, 0.0), 1.0)
    return (float(stats.binom.ppf(0.025, n, p)) / n, float(stats.binom.ppf(0.975, n, p)) / n)


def noise_floor(intervals: pd.DataFrame, measure: str = "abandonment_rate") -> float:
    """The mean absolute error a perfect model would still make on a share: the mean
    over intervals of ``E|p_hat - p| ~ sqrt(2 p (1 - p) / (pi n))``, with ``p`` the
    simulated share and ``n`` the offered contacts."""
    rows = intervals[intervals["type"] == ALL_TYPES]
    p = rows[f"simulated_{measure}"].clip(0, 1).to_numpy(float)
    n = rows["offered"].to_numpy(float)
    return float(np.mean(np.sqrt(2 * p * (1 - p) / (math.pi * n))))
