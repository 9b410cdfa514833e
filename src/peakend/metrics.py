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
"""

from __future__ import annotations

import math

import numpy as np

from .journey import Outcome
from .simulation import ReplicationOutput

__all__ = ["QUEUE_METRICS", "replication_metrics"]

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
)


def replication_metrics(
    output: ReplicationOutput, warmup_minutes: float, horizon_minutes: float, threshold: float
) -> dict[str, float]:
    """The queue metrics of one replication (see the module docstring)."""
    contacts = output.contacts
    in_window = (contacts["arrival_minutes"] >= warmup_minutes) & (
        contacts["arrival_minutes"] < horizon_minutes
    )
    wait = contacts["wait_minutes"][in_window]
    answered = contacts["answered"][in_window]
    abandoned = contacts["abandoned"][in_window]
    customers = output.customers
    counted = (customers["arrival_minutes"] >= warmup_minutes) & (
        customers["arrival_minutes"] < horizon_minutes
    )
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
        "first_contact_resolution": _share(
            customers["first_contact_resolved"][first_answered]
        ),
        "resolution_rate": _share(customers["outcome"][counted] == Outcome.RESOLVED),
    }


def _share(flags: np.ndarray) -> float:
    return float(flags.mean()) if len(flags) else math.nan


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan
