"""Arrival streams: Poisson with a piecewise-constant time-of-day rate.

Arrival times for the whole horizon are drawn up front, vectorised: in each
interval the count is Poisson(rate x length) and the times are uniform order
statistics, which is exactly a non-homogeneous Poisson process with a
piecewise-constant rate. Drawing them before the simulation starts is also what
makes common random numbers work: the arrivals do not depend on staffing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from peakend.engine.persons import Persons

__all__ = ["ArrivalPlan", "poisson_arrival_times", "plan_arrivals"]


def poisson_arrival_times(
    rate_per_hour: Sequence[float], interval_minutes: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times (minutes) of a piecewise-constant Poisson process.

    Raises
    ------
    ValueError
        If a rate is negative or the interval length is not positive.
    """
    if interval_minutes <= 0:
        raise ValueError(f"interval_minutes must be > 0, got {interval_minutes}")
    rates = np.asarray(rate_per_hour, dtype=float)
    if np.any(rates < 0):
        raise ValueError(f"arrival rates must be >= 0, got {rates.min()}")
    counts = rng.poisson(rates / 60.0 * interval_minutes)
    starts = np.repeat(np.arange(len(rates)) * interval_minutes, counts)
    times = starts + rng.random(int(counts.sum())) * interval_minutes
    # Sorting within intervals suffices; intervals are already in order.
    times.sort()
    return times


@dataclass(frozen=True)
class ArrivalPlan:
    """The customers of one replication: when they arrive and who they are."""

    times: np.ndarray
    """Arrival time of each customer, minutes, non-decreasing."""
    segment: np.ndarray
    """Index of each customer's segment (into the scenario's segment order)."""
    channel: np.ndarray | None = None
    """Index of each customer's channel; None: drawn by the replication."""
    persons: Persons | None = None
    """Who each arrival is, when a replay's arrivals name their customers (several
    arrivals of one person: redials); None: each arrival is a customer of its own."""

    def __len__(self) -> int:
        return len(self.times)


def plan_arrivals(
    rate_per_hour: Sequence[float],
    interval_minutes: float,
    shares: Sequence[float],
    arrival_rng: np.random.Generator,
    segment_rng: np.random.Generator,
) -> ArrivalPlan:
    """Draw arrival times and segment membership from two independent streams."""
    times = poisson_arrival_times(rate_per_hour, interval_minutes, arrival_rng)
    cumulative = np.cumsum(np.asarray(shares, dtype=float))
    cumulative /= cumulative[-1]
    segment = np.searchsorted(cumulative, segment_rng.random(len(times)), side="right")
    return ArrivalPlan(times=times, segment=np.minimum(segment, len(shares) - 1))
