"""The Kaplan-Meier estimate of patience from censored waits, and a curve the engine
can draw from.

A contact that abandoned after waiting ``w`` shows its patience (an event at
``w``); a served contact shows only that its patience exceeded its wait (censored
at ``w``). Kaplan and Meier (1958) estimate the survival ``S(t) = P(patience > t)``
as the product over event times ``t_i <= t`` of ``1 - d_i / n_i`` (``d_i`` events at
``t_i``, ``n_i`` contacts still waiting just before it; a censored wait tied with an
event counts as still at risk). Greenwood's formula gives its variance.

Beyond the last event the data say nothing. :func:`km_quantiles` continues the curve
with a stated tail: an exponential whose rate is the hazard observed over the upper
half of the event times (events there divided by the time waited there), so that
the curve reaches zero and every drawn patience is finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["KaplanMeier", "kaplan_meier", "km_distance", "km_quantiles"]


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan-Meier curve: ``survival[i]`` is ``S`` just after ``times[i]``."""

    times: np.ndarray
    survival: np.ndarray
    standard_error: np.ndarray
    at_risk: np.ndarray
    """Contacts still waiting just before each event time."""
    events: int
    censored: int
    tail_rate: float
    """Hazard of the exponential tail beyond the last event time, per minute."""

    def at(self, t: np.ndarray | float) -> np.ndarray:
        """``S(t)`` (the tail beyond the last event)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        index = np.searchsorted(self.times, t, side="right") - 1
        inside = np.where(index >= 0, self.survival[np.maximum(index, 0)], 1.0)
        if not self.times.size:
            return np.exp(-self.tail_rate * t)
        last_t, last_s = self.times[-1], self.survival[-1]
        beyond = last_s * np.exp(-self.tail_rate * np.maximum(t - last_t, 0.0))
        return np.where(t > last_t, beyond, inside)


def kaplan_meier(events: np.ndarray, censored: np.ndarray) -> KaplanMeier:
    """The Kaplan-Meier curve of patience from abandonment waits (``events``) and
    served waits (``censored``), both in minutes.

    Raises
    ------
    ValueError
        With no event (no abandonment: patience is not identified).
    """
    events = np.asarray(events, dtype=float)
    censored = np.asarray(censored, dtype=float)
    if events.size == 0:
        raise ValueError("no abandonment: the patience curve cannot be estimated")
    times, deaths = np.unique(events, return_counts=True)
    everything = np.sort(np.concatenate([events, censored]))
    at_risk = everything.size - np.searchsorted(everything, times, side="left")
    factor = 1.0 - deaths / at_risk
    survival = np.cumprod(factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(deaths / (at_risk * (at_risk - deaths)))
    standard_error = survival * np.sqrt(np.where(np.isfinite(greenwood), greenwood, np.nan))
    return KaplanMeier(
        times,
        survival,
        standard_error,
        at_risk,
        int(events.size),
        int(censored.size),
        _tail_rate(events, censored),
    )


def _tail_rate(events: np.ndarray, censored: np.ndarray) -> float:
    """Events per minute waited beyond the median event time."""
    start = float(np.median(events))
    waits = np.concatenate([events, censored])
    exposure = float(np.sum(np.maximum(waits - start, 0.0)))
    late = int(np.sum(events > start))
    if exposure <= 0 or late == 0:
        return 1.0 / max(float(np.mean(events)), 1e-3)
    return late / exposure


def km_quantiles(curve: KaplanMeier, count: int = 500) -> np.ndarray:
    """``count`` patience values at the probabilities ``(i + 0.5) / count`` of the curve
    and its tail (minutes, sorted): drawing one of them at random samples the curve."""
    p = (np.arange(count) + 0.5) / count
    target = 1.0 - p  # the survival each quantile reaches
    index = np.searchsorted(-curve.survival, -target, side="left")
    inside = index < curve.times.size
    values = np.empty(count)
    values[inside] = curve.times[index[inside]]
    last_t, last_s = curve.times[-1], curve.survival[-1]
    rate = curve.tail_rate
    values[~inside] = last_t + np.log(last_s / target[~inside]) / rate
    return np.round(np.maximum(values, 0.0), 6)


MIN_AT_RISK = 30
"""Fewest contacts still waiting for an event time to count in :func:`km_distance`: in
the far tail a handful of long waits make the curve jump to zero."""


def km_distance(curve: KaplanMeier, survival_of: np.ndarray) -> float:
    """Largest gap between the Kaplan-Meier curve and a fitted survival, in Greenwood
    standard errors, over the event times with at least :data:`MIN_AT_RISK` contacts
    at risk. ``survival_of``: the fitted survival at the end of each event's time
    step (an event logged at ``t`` happened in ``[t, t + resolution)``)."""
    keep = curve.at_risk >= MIN_AT_RISK
    if not keep.any():
        return math.nan
    gap = np.abs(curve.survival - survival_of) / np.maximum(curve.standard_error, 1e-9)
    return float(np.max(gap[keep]))
