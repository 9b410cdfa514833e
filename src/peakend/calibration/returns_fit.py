"""Returns to the return model: the logistic chance that a customer comes back, fitted to
the customer ids of a log that spans several days.

A customer *returns* after a journey (:func:`peakend.calibration.memory_fit.journeys`:
one identified customer, one date) when the same customer id has another journey on
one of the next ``return_days`` days. Journeys fewer than ``return_days`` days before
the log's last day cannot show their return: they are left out (censored), not
counted as "did not return". Contacts without a customer id cannot show a return and
are left out.

The model is peakend's :class:`~peakend.retention.returns.LogisticReturn` without its
loyalty and reliability terms (a log shows neither):
``logit P = logit(baseline_retention) + utility_slope * R - effort_slope * effort``,
anchored at remembered utility ``R = 0`` and no extra contact. ``R`` is the journey's
remembered utility under the memory model (the one fitted to survey scores where the
log has them, else peakend's default peak-end rule) on the trace rebuilt from the log;
``effort`` is the journey's contacts beyond the first (retries and repeats; a log
shows no transfers). The coefficients are fitted by maximum likelihood (Newton's
method, iteratively reweighted least squares) with Wald 95 % intervals from the
inverse Fisher information (e.g. Agresti 2013, *Categorical Data Analysis*, ch. 5).

What the fit measures is the chance of *contacting again* within the window: a
customer who stays but needs nothing does not show. The slopes are what a log
identifies (a worse memory, less coming back); the level (``baseline_retention``)
mixes loyalty with how often customers need the centre, and is written as the
window's return chance, with ``days_per_period`` set to the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peakend.calibration.memory_fit import journey_traces, journeys
from peakend.experience.memory import BaseMemoryModel, PeakEnd

__all__ = ["MIN_RETURN_JOURNEYS", "ReturnFit", "fit_returns", "return_table"]

MIN_RETURN_JOURNEYS = 100
"""Fewest identified journeys with a whole window after them for a fit."""


@dataclass(frozen=True)
class ReturnFit:
    """The fitted return model: coefficients on the logit scale with standard errors."""

    intercept: float
    utility_slope: float
    effort_slope: float
    covariance: np.ndarray
    """Of (intercept, utility_slope, effort_slope)."""
    journeys: int
    returned: int
    return_days: int
    memory: str
    """The memory model that gave ``R``."""

    @property
    def baseline_retention(self) -> float:
        return 1 / (1 + math.exp(-self.intercept))

    def se(self, name: str) -> float:
        index = ("intercept", "utility_slope", "effort_slope").index(name)
        return math.sqrt(max(float(self.covariance[index, index]), 0.0))

    def ci(self, name: str) -> tuple[float, float]:
        """Wald 95 % interval of ``intercept``, ``utility_slope``, ``effort_slope`` or
        ``baseline_retention`` (the intercept's interval through the logistic)."""
        if name == "baseline_retention":
            low, high = self.ci("intercept")
            return 1 / (1 + math.exp(-low)), 1 / (1 + math.exp(-high))
        value = float(getattr(self, name))
        return value - 1.96 * self.se(name), value + 1.96 * self.se(name)


def return_table(
    frame: pd.DataFrame, return_days: int, memory: BaseMemoryModel | None = None
) -> pd.DataFrame:
    """One row per identified journey with a whole window after it: ``returned``
    (bool), ``remembered`` (R) and ``effort`` (contacts beyond the first)."""
    grouped = journeys(frame)
    if grouped.n == 0:
        return pd.DataFrame(columns=["returned", "remembered", "effort"])
    traces = journey_traces(grouped.rows, grouped.n)
    remembered = (memory or PeakEnd()).remember(traces)
    contacts = np.bincount(grouped.rows["journey"].to_numpy(dtype=np.int64), minlength=grouped.n)
    table = pd.DataFrame(
        {
            "customer": grouped.customer,
            "day": pd.to_datetime(grouped.date).to_numpy(dtype="datetime64[D]").astype(np.int64),
            "remembered": remembered,
            "effort": contacts - 1,
        }
    )
    table = table[table["customer"] != ""]
    last_day = int(table["day"].max()) if len(table) else 0
    table = table.sort_values(["customer", "day"], kind="stable")
    same = table["customer"].to_numpy()[1:] == table["customer"].to_numpy()[:-1]
    gap = np.diff(table["day"].to_numpy())
    next_gap = np.append(np.where(same, gap, np.iinfo(np.int64).max), np.iinfo(np.int64).max)
    table["returned"] = next_gap <= return_days
    seen = table["day"] + return_days <= last_day
    return table.loc[seen, ["returned", "remembered", "effort"]].reset_index(drop=True)


def fit_returns(table: pd.DataFrame, return_days: int, memory: str = "peak_end") -> ReturnFit:
    """Logistic regression of ``returned`` on ``remembered`` and ``effort`` (``table``
    as from :func:`return_table`).

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_RETURN_JOURNEYS` journeys, no return or no journey
        without one, or a fit that does not converge (separated data).
    """
    usable = table[np.isfinite(table["remembered"].to_numpy(dtype=float))]
    y = usable["returned"].to_numpy(dtype=float)
    if len(y) < MIN_RETURN_JOURNEYS:
        raise ValueError(
            f"{len(y)} identified journeys with {return_days} days after them: at least "
            f"{MIN_RETURN_JOURNEYS} are needed to fit returns"
        )
    if y.max() == 0:
        raise ValueError(f"no identified customer had another journey within {return_days} days")
    if y.min() == 1:
        raise ValueError(
            f"every identified journey was followed by another within {return_days} days: "
            "no slope to fit"
        )
    design = np.column_stack(
        [
            np.ones(len(y)),
            usable["remembered"].to_numpy(dtype=float),
            -usable["effort"].to_numpy(dtype=float),
        ]
    )
    beta, covariance = _logistic(design, y)
    return ReturnFit(
        intercept=float(beta[0]),
        utility_slope=float(beta[1]),
        effort_slope=float(beta[2]),
        covariance=covariance,
        journeys=len(y),
        returned=int(y.sum()),
        return_days=return_days,
        memory=memory,
    )


def _logistic(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson for the logistic likelihood; the covariance is the inverse Fisher
    information at the optimum (a singular one, as when effort never varies, leaves
    that coefficient's variance NaN)."""
    beta = np.zeros(design.shape[1])
    beta[0] = math.log(y.mean() / (1 - y.mean()))
    for _ in range(50):
        p = 1 / (1 + np.exp(-(design @ beta)))
        information = design.T @ (design * (p * (1 - p))[:, None])
        step = np.linalg.lstsq(information, design.T @ (y - p), rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        raise ValueError("the return model did not converge (the returns are separated)")
    p = 1 / (1 + np.exp(-(design @ beta)))
    information = design.T @ (design * (p * (1 - p))[:, None])
    try:
        covariance = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        covariance = np.full(information.shape, np.nan)
    return beta, covariance
