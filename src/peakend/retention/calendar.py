"""The calendar of the retention loop: days in a period, their load, period totals.

A period is ``retention.days_per_period`` simulated days. Day ``d`` of a period
carries the arrival profile's load times ``retention.day_load[d]`` (default 1.0
every day): each active customer contacts that day with probability
``expected arrivals of the profile * day_load[d] / population`` (calibrated on
the initial population, so later days carry the load of whoever is still a
customer). Each day has its roster (``staffing``, or ``staffing_by_day`` by the
day's date from ``run.start_date``), so a period's staff cost is the sum of its
days' rosters at each pool's cost per hour.

The period table sums the days' counts and money and averages the days' rates,
each weighted by its own denominator, so that a period's rate is the rate over
all of its contacts or customers (as if the days were one long day):

============================================  ====================================
rate                                          weight of a day
============================================  ====================================
abandonment, prob_wait, mean/p90 wait,        contacts in the statistics window
service level
occupancy                                     available on-shift agent-minutes
first_contact_resolution                      customers answered at least once
resolution_rate, mean_effort                  customers in the window
memories (remembered, experienced, worst,     customers with a memory (a trace)
end utility, share_bad_memory)
any other day metric                          customers in the window
============================================  ====================================

These pooled values are exact for every mean and share; ``p90_wait_minutes`` is
the contact-weighted mean of the days' 90th percentiles, not the 90th
percentile of the period's pooled waits.
"""

from __future__ import annotations

import math

import numpy as np

from peakend.analysis.metrics import experience_metrics, replication_metrics
from peakend.config.schema import Scenario
from peakend.simulation.replication import ReplicationOutput

__all__ = [
    "DayTotals",
    "contact_probabilities",
    "contact_probability",
    "day_metrics",
    "staff_cost",
]


def _expected_arrivals(scenario: Scenario) -> float:
    arrivals = scenario.arrivals
    return sum(arrivals.rate_per_hour) * arrivals.interval_minutes / 60


def contact_probability(scenario: Scenario) -> float:
    """Probability that an active customer contacts on a day of load 1.0."""
    return min(1.0, _expected_arrivals(scenario) / scenario.retention.population)


def contact_probabilities(scenario: Scenario) -> np.ndarray:
    """Contact probability of an active customer on each day of a period (``day_load``)."""
    loads = np.asarray(scenario.retention.day_loads, dtype=float)
    return np.minimum(1.0, _expected_arrivals(scenario) * loads / scenario.retention.population)


def staff_cost(scenario: Scenario, days: range = range(1)) -> float:
    """Cost of the schedules of ``days`` (days of the run, default day 0): rostered
    agent-hours times each pool's cost per hour, each day with its own roster
    (:meth:`~peakend.config.schema.Scenario.staff_cost`)."""
    return scenario.staff_cost(days)


SUMMED = (
    "customers",
    "contacts",
    "recovery_cost",
    "recovery_minutes",
    "extras_cost",
    "extras_minutes",
)
"""Day metrics that are counts, money or agent-minutes: a period carries their sum."""

_WEIGHT_OF = {
    "abandonment_rate": "contacts",
    "prob_wait": "contacts",
    "mean_wait_minutes": "contacts",
    "p90_wait_minutes": "contacts",
    "service_level": "contacts",
    "occupancy": "available_minutes",
    "first_contact_resolution": "answered",
    "resolution_rate": "customers",
    "mean_effort": "customers",
    "mean_remembered_utility": "remembered",
    "mean_experienced_utility": "remembered",
    "share_bad_memory": "remembered",
    "mean_worst_utility": "remembered",
    "mean_end_utility": "remembered",
}
"""The denominator each day rate is weighted by (see the module doc); others: customers."""


def day_metrics(
    scenario: Scenario, day: ReplicationOutput
) -> tuple[dict[str, float], dict[str, float]]:
    """The day's metrics and the denominators that weigh them in a period."""
    start, end = scenario.run.warmup_minutes, scenario.horizon_minutes
    metrics = replication_metrics(day, start, end, scenario.run.service_level_threshold_minutes)
    metrics.update(experience_metrics(day, start, end, scenario.experience.bad_memory_threshold))
    customers = day.customers
    arrival = customers["arrival_minutes"]
    counted = (arrival >= start) & (arrival < end)
    weights = {
        "contacts": metrics["contacts"],
        "customers": metrics["customers"],
        "available_minutes": day.available_minutes,
        "answered": float((counted & ~np.isnan(customers["service_start_minutes"])).sum()),
        "remembered": float((counted & ~np.isnan(customers["remembered_utility"])).sum()),
    }
    return metrics, weights


class DayTotals:
    """Accumulates days into sums (counts, money) and weighted means (rates)."""

    def __init__(self) -> None:
        self.days = 0
        self._sums: dict[str, float] = {}
        self._weighted: dict[str, float] = {}
        self._weights: dict[str, float] = {}

    def add(self, metrics: dict[str, float], weights: dict[str, float]) -> None:
        """Add one day's metrics with the denominators from :func:`day_metrics`."""
        self.days += 1
        for name, value in metrics.items():
            if name in SUMMED:
                self._sums[name] = self._sums.get(name, 0.0) + value
                continue
            weight = weights[_WEIGHT_OF.get(name, "customers")]
            self._weighted.setdefault(name, 0.0)
            self._weights.setdefault(name, 0.0)
            if weight > 0 and math.isfinite(value):
                self._weighted[name] += weight * value
                self._weights[name] += weight

    def add_idle_day(self) -> None:
        """Add a day on which nobody contacted: it counts, and weighs no rate."""
        self.days += 1

    def merge(self, other: DayTotals) -> None:
        """Add all the days of ``other`` (a period's days into a run's)."""
        self.days += other.days
        for name, value in other._sums.items():
            self._sums[name] = self._sums.get(name, 0.0) + value
        for name in other._weighted:
            self._weighted[name] = self._weighted.get(name, 0.0) + other._weighted[name]
            self._weights[name] = self._weights.get(name, 0.0) + other._weights[name]

    def sums(self) -> dict[str, float]:
        """The summed metrics (0 for a stretch of idle days)."""
        return {name: self._sums.get(name, 0.0) for name in SUMMED}

    def rates(self) -> dict[str, float]:
        """The weighted mean of each rate over the days (NaN where no day had a weight)."""
        return {
            name: self._weighted[name] / self._weights[name] if self._weights[name] else math.nan
            for name in self._weighted
        }
