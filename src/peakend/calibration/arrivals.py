"""Arrivals per interval and weekday, and their over-dispersion against Poisson.

Counts are of contacts that reached the queue, by the interval of their queue entry.
*Fresh* arrivals leave out redials (:mod:`peakend.calibration.contacts`): in a
scenario, the engine adds its own retries to the fresh stream.

Over-dispersion: if counts were Poisson with the mean of their weekday and
interval, the dispersion statistic ``D = sum (x - mean)^2 / mean`` over the days of
each (weekday, interval) cell, divided by its degrees of freedom (days per cell
minus one, summed), would be near 1; ``D`` well above 1 shows the day-to-day
busyness of real centres (Jongbloed and Koole 2001; Avramidis, Deslauriers and
L'Ecuyer 2004). The p-value is that of the chi-square test of Poisson. The
*busyness* coefficient of variation is that of a gamma-Poisson day factor,
``c^2 = (var - mean) / mean^2`` pooled over cells by the method of moments
(0 when the counts are not over-dispersed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ArrivalFit", "fit_arrivals", "WEEKDAYS"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ArrivalFit:
    """Counts per day, interval and type, their means by weekday, and the dispersion."""

    counts: pd.DataFrame
    """Columns ``date, weekday, interval, type, offered, fresh``."""
    days: int
    dispersion: float
    dispersion_p_value: float
    busyness_cv: float

    def profile(self, fresh: bool = True, weekday: str | None = None) -> np.ndarray:
        """Mean arrivals per interval (all types), over all days or one weekday's."""
        column = "fresh" if fresh else "offered"
        frame = self.counts if weekday is None else self.counts[self.counts.weekday == weekday]
        per_day = frame.groupby(["date", "interval"])[column].sum().unstack(fill_value=0)
        return per_day.mean(axis=0).to_numpy(dtype=float) if len(per_day) else np.zeros(0)

    def type_shares(self, fresh: bool = True) -> dict[str, float]:
        column = "fresh" if fresh else "offered"
        totals = self.counts.groupby("type")[column].sum()
        return {str(k): float(v) / float(totals.sum()) for k, v in totals.items()}


def fit_arrivals(
    marked: pd.DataFrame, opens: float, intervals: int, interval_minutes: float
) -> ArrivalFit:
    """The arrival counts of ``marked`` (queued contacts with ``is_redial``) per day,
    interval (from ``opens``) and type, with zeros where nothing arrived."""
    index = np.floor((marked["queue_entry"].to_numpy() - opens) / interval_minutes)
    index = np.clip(index, 0, intervals - 1).astype(int)
    frame = pd.DataFrame(
        {
            "date": marked["date"].to_numpy(),
            "interval": index,
            "type": marked["type"].to_numpy(),
            "offered": 1,
            "fresh": (~marked["is_redial"].to_numpy(dtype=bool)).astype(int),
        }
    )
    days = sorted(frame["date"].unique())
    kinds = sorted(frame["type"].unique())
    full = pd.MultiIndex.from_product(
        [days, range(intervals), kinds], names=["date", "interval", "type"]
    )
    counts = frame.groupby(["date", "interval", "type"])[["offered", "fresh"]].sum()
    counts = counts.reindex(full, fill_value=0).reset_index()
    counts.insert(1, "weekday", [WEEKDAYS[pd.Timestamp(d).weekday()] for d in counts["date"]])
    dispersion, p_value, busyness = _dispersion(counts)
    return ArrivalFit(counts, len(days), dispersion, p_value, busyness)


def _dispersion(counts: pd.DataFrame) -> tuple[float, float, float]:
    """D, its chi-square p-value, and the busyness CV, over (weekday, interval) cells of
    all-type counts with at least two days and a positive mean."""
    per_day = counts.groupby(["date", "weekday", "interval"])["offered"].sum().reset_index()
    cells = per_day.groupby(["weekday", "interval"])["offered"]
    mean, n = cells.transform("mean"), cells.transform("size")
    usable = (n >= 2) & (mean > 0)
    if not usable.any():
        return math.nan, math.nan, math.nan
    statistic = float((((per_day["offered"] - mean) ** 2) / mean)[usable].sum())
    freedom = float(cells.size()[cells.size() >= 2].sum() - (cells.size() >= 2).sum())
    summary = pd.DataFrame({"mean": cells.mean(), "var": cells.var()}).dropna()
    summary = summary[summary["mean"] > 0]
    excess = float((summary["var"] - summary["mean"]).sum())
    squares = float((summary["mean"] ** 2).sum())
    busyness = math.sqrt(max(excess / squares, 0.0)) if squares > 0 else math.nan
    if freedom <= 0:
        return math.nan, math.nan, busyness
    return statistic / freedom, float(stats.chi2.sf(statistic, freedom)), busyness
