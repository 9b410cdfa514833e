"""Per-replication performance metrics.

Definitions (all over contacts or customers that *arrive* inside the statistics
window ``[warmup, horizon)``; waits in minutes):

- ``customers``: customers whose first contact arrives in the window.
- ``contacts``: contacts (first contacts, retries, repeat contacts) in the window.
- ``abandonment_rate``: share of contacts that gave up waiting.
- ``prob_wait``: share of contacts that had to queue at all (wait > 0).
- ``mean_wait_minutes``: mean time in queue over all contacts, abandoned ones
  counted until they gave up (the Erlang A convention).
- ``p90_wait_minutes``: 90th percentile of the same waits.
- ``service_level``: share of contacts answered within the configured threshold
  (abandoned contacts count against it; the convention "answered within t /
  offered").
- ``occupancy``: busy agent-minutes / (busy + idle on-shift agent-minutes) in
  the window; time an agent serves after the end of its shift counts as busy.
- ``first_contact_resolution``: share of customers whose first answered contact
  resolved their problem, among customers who were answered at all.
- ``resolution_rate``: share of customers whose journey ended resolved.
- ``agent_hours``: rostered agent-hours of the day, every pool: the agents
  scheduled in each interval (absent ones included: they are paid or replaced)
  times the interval length.
- ``staff_cost``: the same agent-hours at each pool's ``agent_cost_per_hour``.

With the experience model on, over customers with an experience trace:

- ``mean_remembered_utility``: mean remembered utility under the configured
  memory model (points; negative = a bad memory).
- ``mean_experienced_utility``: mean of each customer's duration-weighted
  average moment utility (Kahneman's experienced utility).
- ``share_bad_memory``: share of customers whose remembered utility is below
  ``experience.bad_memory_threshold``.
- ``mean_worst_utility``, ``mean_end_utility``: the mean worst and final moments.
- ``mean_effort``: extra contacts (retries, repeat contacts) plus transfers per
  customer.
- ``recovery_cost``, ``recovery_minutes``, ``extras_cost``, ``extras_minutes``: the
  customer columns of the same names summed over the window per replication: money
  paid out (coupons; delight extras, follow-up messages) and agent-minutes the roster
  gave (apologies, offered alternatives, callback and escalated services; farewells).
  Agent time is not money here: the roster is paid in ``staff_cost``. Which kinds of
  fact add to each column is declared with the kinds (``peakend.engine.facts.Tally``)
  and said in the column's description (``peakend.engine.records``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from peakend.engine.facts import Outcome
from peakend.engine.records import Table
from peakend.simulation.replication import ReplicationOutput

if TYPE_CHECKING:
    from peakend.config.schema import Scenario

__all__ = [
    "EXPERIENCE_METRICS",
    "QUEUE_METRICS",
    "SHARE_METRICS",
    "experience_metrics",
    "replication_metrics",
    "staffing_metrics",
]

SHARE_METRICS = frozenset(
    {
        "abandonment_rate",
        "prob_wait",
        "service_level",
        "occupancy",
        "first_contact_resolution",
        "resolution_rate",
        "share_bad_memory",
        # multi-period runs (peakend.retention.multiperiod)
        "retention_rate",
        "churn_rate",
        "initial_cohort_active_end",
    }
)
"""Metrics that are shares in [0, 1]: their intervals are logit intervals
(``peakend.analysis.stats.estimate(..., share=True)``), which stay inside (0, 1)."""

QUEUE_METRICS = (
    "customers",
    "contacts",
    "abandonment_rate",
    "prob_wait",
    "mean_wait_minutes",
    "p90_wait_minutes",
    "service_level",
    "occupancy",
    "first_contact_resolution",
    "resolution_rate",
    "agent_hours",
    "staff_cost",
)


EXPERIENCE_METRICS = (
    "mean_remembered_utility",
    "mean_experienced_utility",
    "share_bad_memory",
    "mean_worst_utility",
    "mean_end_utility",
    "mean_effort",
    "recovery_cost",
    "recovery_minutes",
    "extras_cost",
    "extras_minutes",
)


def experience_metrics(
    output: ReplicationOutput, warmup_minutes: float, horizon_minutes: float, bad_below: float
) -> dict[str, float]:
    """Memory, effort, recovery and extras metrics of one replication."""
    customers = output.customers
    counted = _arrived_between(customers, warmup_minutes, horizon_minutes)
    remembered = customers["remembered_utility"][counted]
    has_trace = ~np.isnan(remembered)
    return {
        "mean_remembered_utility": _mean(remembered[has_trace]),
        "mean_experienced_utility": _nanmean(customers["experienced_utility"][counted]),
        "share_bad_memory": _share(remembered[has_trace] < bad_below),
        "mean_worst_utility": _nanmean(customers["worst_utility"][counted]),
        "mean_end_utility": _nanmean(customers["end_utility"][counted]),
        "mean_effort": _mean(customers["effort"][counted].astype(float)),
        "recovery_cost": float(customers["recovery_cost"][counted].sum()),
        "recovery_minutes": float(customers["recovery_minutes"][counted].sum()),
        "extras_cost": float(customers["extras_cost"][counted].sum()),
        "extras_minutes": float(customers["extras_minutes"][counted].sum()),
    }


def _arrived_between(table: Table, start: float, end: float) -> np.ndarray:
    """Rows whose arrival lies in the statistics window ``[start, end)``."""
    arrival = table["arrival_minutes"]
    return (arrival >= start) & (arrival < end)


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else math.nan


def replication_metrics(
    output: ReplicationOutput, warmup_minutes: float, horizon_minutes: float, threshold: float
) -> dict[str, float]:
    """The queue metrics of one replication (see the module docstring)."""
    contacts = output.contacts
    in_window = _arrived_between(contacts, warmup_minutes, horizon_minutes)
    wait = contacts["wait_minutes"][in_window]
    answered = contacts["answered"][in_window]
    abandoned = contacts["abandoned"][in_window]
    customers = output.customers
    counted = _arrived_between(customers, warmup_minutes, horizon_minutes)
    first_answered = counted & ~np.isnan(customers["service_start_minutes"])
    return {
        "customers": float(counted.sum()),
        "contacts": float(in_window.sum()),
        "abandonment_rate": _share(abandoned),
        "prob_wait": _share(wait > 0),
        "mean_wait_minutes": _mean(wait),
        "p90_wait_minutes": float(np.percentile(wait, 90)) if len(wait) else math.nan,
        "service_level": _share(answered & (wait <= threshold)),
        "occupancy": (
            output.busy_minutes / output.available_minutes if output.available_minutes else math.nan
        ),
        "first_contact_resolution": _share(customers["first_contact_resolved"][first_answered]),
        "resolution_rate": _share(customers["outcome"][counted] == Outcome.RESOLVED),
    }


def staffing_metrics(scenario: Scenario) -> dict[str, float]:
    """``agent_hours`` and ``staff_cost`` of the simulated day's schedule (see the module
    docstring): its roster (``staffing_by_day`` on the day of ``run.start_date``, else
    ``staffing``).

    They follow from the schedule alone, so every replication of a scenario has the same.
    """
    return {
        "agent_hours": float(scenario.agent_hours()),
        "staff_cost": float(scenario.staff_cost()),
    }


def _share(flags: np.ndarray) -> float:
    return float(flags.mean()) if len(flags) else math.nan


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan
