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
    "MetricTally",
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
    tally = MetricTally(warmup_minutes, horizon_minutes, bad_below=bad_below)
    tally.add_customers(output.customers)
    return tally.experience_metrics()


def replication_metrics(
    output: ReplicationOutput, warmup_minutes: float, horizon_minutes: float, threshold: float
) -> dict[str, float]:
    """The queue metrics of one replication (see the module docstring)."""
    tally = MetricTally(warmup_minutes, horizon_minutes, threshold)
    tally.add_contacts(output.contacts)
    tally.add_customers(output.customers)
    return tally.queue_metrics(output.busy_minutes, output.available_minutes)


class MetricTally:
    """A replication's metrics added up from its records a block of rows at a time.

    Counts are exact whatever the blocks. A mean is the sum of each block's sum (numpy's,
    over the block's rows in order) over the count: with one block, exactly the mean
    of the whole column; with several, the same number up to the last bits, and the
    blocks are fixed by the scenario (:data:`peakend.engine.recorder.CUSTOMER_BLOCK`
    customers each), never by where the records go. ``p90_wait_minutes`` keeps the
    waits of the window's contacts (8 bytes each): a quantile needs them all.
    """

    def __init__(
        self,
        warmup_minutes: float,
        horizon_minutes: float,
        threshold: float = math.nan,
        *,
        bad_below: float = math.nan,
    ) -> None:
        self.window = (warmup_minutes, horizon_minutes)
        self.threshold = threshold
        self.bad_below = bad_below
        self.counts: dict[str, int] = {}
        self.sums: dict[str, float] = {}
        self.waits: list[np.ndarray] = []

    def _count(self, name: str, flags: np.ndarray) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(np.count_nonzero(flags))

    def _sum(self, name: str, values: np.ndarray) -> None:
        if len(values):
            total = values.sum()
            self.sums[name] = float(total) if name not in self.sums else self.sums[name] + total

    def add_contacts(self, contacts: Table) -> None:
        """Add a block of contact records."""
        in_window = _arrived_between(contacts, *self.window)
        wait = contacts["wait_minutes"][in_window]
        self._count("contacts", in_window)
        self._count("abandoned", contacts["abandoned"][in_window])
        self._count("waited", wait > 0)
        self._count("in_threshold", contacts["answered"][in_window] & (wait <= self.threshold))
        self._sum("wait", wait)
        self.waits.append(wait)

    def add_customers(self, customers: Table) -> None:
        """Add a block of customer records."""
        counted = _arrived_between(customers, *self.window)
        first_answered = counted & ~np.isnan(customers["service_start_minutes"])
        self._count("customers", counted)
        self._count("first_answered", first_answered)
        self._count("first_resolved", customers["first_contact_resolved"][first_answered])
        self._count("resolved", customers["outcome"][counted] == Outcome.RESOLVED)
        remembered = customers["remembered_utility"][counted]
        has_trace = ~np.isnan(remembered)
        self._count("traced", has_trace)
        self._count("bad_memory", remembered[has_trace] < self.bad_below)
        self._sum("remembered_utility", remembered[has_trace])
        for name in ("experienced_utility", "worst_utility", "end_utility"):
            values = customers[name][counted]
            finite = values[~np.isnan(values)]
            self._count(f"finite_{name}", np.ones(len(finite), dtype=bool))
            self._sum(name, finite)
        self._sum("effort", customers["effort"][counted].astype(float))
        for name in _SUMMED:
            self._sum(name, customers[name][counted])

    def _mean(self, name: str, count: str) -> float:
        n = self.counts.get(count, 0)
        return self.sums.get(name, 0.0) / n if n else math.nan

    def _share(self, name: str, count: str) -> float:
        n = self.counts.get(count, 0)
        return self.counts.get(name, 0) / n if n else math.nan

    def queue_metrics(self, busy_minutes: float, available_minutes: float) -> dict[str, float]:
        """The queue metrics (the module docstring) of everything added."""
        waits = np.concatenate(self.waits) if len(self.waits) != 1 else self.waits[0]
        return {
            "customers": float(self.counts.get("customers", 0)),
            "contacts": float(self.counts.get("contacts", 0)),
            "abandonment_rate": self._share("abandoned", "contacts"),
            "prob_wait": self._share("waited", "contacts"),
            "mean_wait_minutes": self._mean("wait", "contacts"),
            "p90_wait_minutes": float(np.percentile(waits, 90)) if len(waits) else math.nan,
            "service_level": self._share("in_threshold", "contacts"),
            "occupancy": busy_minutes / available_minutes if available_minutes else math.nan,
            "first_contact_resolution": self._share("first_resolved", "first_answered"),
            "resolution_rate": self._share("resolved", "customers"),
        }

    def experience_metrics(self) -> dict[str, float]:
        """The memory, effort, recovery and extras metrics of every customer added."""
        return {
            "mean_remembered_utility": self._mean("remembered_utility", "traced"),
            "mean_experienced_utility": self._mean(
                "experienced_utility", "finite_experienced_utility"
            ),
            "share_bad_memory": self._share("bad_memory", "traced"),
            "mean_worst_utility": self._mean("worst_utility", "finite_worst_utility"),
            "mean_end_utility": self._mean("end_utility", "finite_end_utility"),
            "mean_effort": self._mean("effort", "customers"),
            **{name: self.sums.get(name, 0.0) for name in _SUMMED},
        }


_SUMMED = ("recovery_cost", "recovery_minutes", "extras_cost", "extras_minutes")


def _arrived_between(table: Table, start: float, end: float) -> np.ndarray:
    """Rows whose arrival lies in the statistics window ``[start, end)``."""
    arrival = table["arrival_minutes"]
    return (arrival >= start) & (arrival < end)


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
