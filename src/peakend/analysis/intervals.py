"""Results per interval and pool: what a staffing planner reads first.

:func:`replication_intervals` counts one replication's contacts and agent time in
each arrival/staffing interval of each pool (one row per interval and pool);
:func:`summarize_intervals` averages those rows over replications and adds what
queueing theory says the interval needs. That summary is ``intervals.csv`` of a
run directory.

Definitions, per interval ``[i L, (i + 1) L)`` (``L`` =
``arrivals.interval_minutes``) and pool, over contacts that *joined the pool's
queue* in the interval (first contacts, retries, repeat contacts, callbacks,
escalations); the warm-up is not left out (every interval of the day has a row):

- ``offered`` = ``answered`` + ``abandoned`` + ``still_waiting`` (contacts the
  run ended on before either happened; only without ``run.drain``).
- ``service_level``: answered within ``run.service_level_threshold_minutes`` /
  offered (abandoned contacts count against it, as in the run's metric).
- ``abandonment_rate``: abandoned / offered.
- ``asa_minutes``: average speed of answer, the mean wait of the answered contacts.
- ``occupancy``: busy / available agent-minutes in the interval. Busy is the
  service work of the pool's agents (each contact they answered, from service
  start to service end, clipped to the interval; closing words and apologies
  after the service are not in the contact records and are left out; a contact
  that overflowed counts for the pool whose agent served it). Available is the
  agents present times ``L`` plus service an agent did after its shift ended, so
  that it stays in [0, 1], as the run's ``occupancy``. On a chat pool with
  ``concurrency = k`` a chat is one of an agent's ``k`` slots, so it counts
  ``1 / k`` of its minutes (a call that overflowed in holds the agent, all of
  them): occupancy is the share of chat slots in use.
- ``agents_scheduled``: the pool's ``staffing`` of the interval;
  ``agents_present``: those not absent that day (from the pool's capacity log).
- ``erlang_c_agents``, ``erlang_a_agents``: the fewest agents that meet
  ``run.service_level_target`` within the threshold for the interval's mean
  offered contacts (over replications, retries included) and the pool's mean
  service time; Erlang A with the mean patience of :func:`mean_patience_minutes`.
  For a chat pool, the usual planning approximation: each agent is ``k``
  servers, each as slow as a chat among ``k`` open ones (mean service times
  ``1 + slowdown (k - 1)``), and the agents are those servers divided by ``k``,
  rounded up. Empty (a missing value) where the target needs more than
  :data:`~peakend.analysis.erlang.MAX_STAFFING` (100,000) agents or servers:
  the searches stop there, so an extreme load (a mean service time of 10^7
  minutes) costs milliseconds, not hours. More agents than a pool can schedule
  is the answer, not a staffing to copy.

Counts and ``agents_present`` are means over replications; the shares
(``service_level``, ``abandonment_rate``, ``occupancy``) are the mean of the
per-replication shares with a 95 % logit interval (``*_ci_low``, ``*_ci_high``;
NaN with a single replication), as every share in peakend.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from peakend.analysis.erlang import (
    MAX_STAFFING,
    ErlangA,
    StaffingBeyondLimit,
    agents_for_service_level,
)
from peakend.analysis.interval_counts import IntervalTally
from peakend.analysis.stats import estimate
from peakend.config.clock import clock
from peakend.config.schema import Scenario
from peakend.simulation.replication import ReplicationOutput

__all__ = [
    "COUNT_COLUMNS",
    "IntervalTally",
    "SHARE_COLUMNS",
    "erlang_a_agents",
    "mean_patience_minutes",
    "replication_intervals",
    "summarize_intervals",
]

COUNT_COLUMNS = ("offered", "answered", "abandoned", "still_waiting")
"""Contact counts per interval and pool, averaged over replications in the summary."""

SHARE_COLUMNS = ("service_level", "abandonment_rate", "occupancy")
"""Shares per interval and pool that get a confidence interval in the summary."""


def replication_intervals(
    output: ReplicationOutput, scenario: Scenario, replication: int = 0
) -> pd.DataFrame:
    """One replication's counts and agent-minutes per interval and pool.

    Columns: ``replication, interval, pool, start_minutes`` (minutes since
    opening), the :data:`COUNT_COLUMNS`, ``answered_in_threshold``,
    ``answered_wait_minutes`` (summed waits of the answered contacts),
    ``busy_minutes``, ``available_minutes``, ``agents_scheduled`` and
    ``agents_present``.
    """
    tally = IntervalTally(scenario)
    tally.add(output.contacts, output.end_time)
    return tally.frame(output.capacity_log, replication)


def mean_patience_minutes(scenario: Scenario) -> float:
    """Mean patience of a first contact: segments' patience means weighted by share,
    times the channels' ``patience_factor`` weighted by share (segment and channel
    are drawn independently). ``inf`` when some customers never abandon."""
    segments = sum(seg.share * seg.patience.mean for seg in scenario.segments.values())
    channels = sum(ch.share * ch.patience_factor for ch in scenario.channels.values())
    return float(segments * channels)


def erlang_a_agents(
    arrival_rate: float,
    mean_service_minutes: float,
    threshold_minutes: float,
    target: float,
    mean_patience_minutes: float,
    max_agents: int = MAX_STAFFING,
) -> int:
    """Fewest agents whose Erlang A service level (answered within ``t`` / offered)
    meets ``target``; 0 for no arrivals.

    The service level grows with the agents, so the answer is bracketed by
    doubling and then found by bisection. The search starts where it can first
    succeed: ``c`` agents answer at most ``c`` mu a minute, so the share
    answered is at most ``c / A`` and ``c`` must be at least ``target * A``.
    It stops at ``max_agents`` (default
    :data:`~peakend.analysis.erlang.MAX_STAFFING`), so it evaluates Erlang A
    about ``2 log2(max_agents)`` times whatever the load. Infinite patience is
    Erlang C (:func:`~peakend.analysis.erlang.agents_for_service_level`).

    Raises
    ------
    StaffingBeyondLimit
        (a ``ValueError``) If the target needs more than ``max_agents`` agents; at
        once when ``target * A`` alone is more.
    ValueError
        For arguments outside the ranges of :class:`~peakend.analysis.erlang.ErlangA`
        or a target outside (0, 1).
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be strictly between 0 and 1, got {target!r}")
    if arrival_rate == 0:
        return 0
    if math.isinf(mean_patience_minutes):
        return agents_for_service_level(
            arrival_rate, mean_service_minutes, threshold_minutes, target, max_agents
        )
    load = arrival_rate * mean_service_minutes
    fewest = target * load  # below it the service level is below the target
    if not fewest <= max_agents:
        raise StaffingBeyondLimit(max_agents, load)

    def meets(agents: int) -> bool:
        queue = ErlangA(arrival_rate, mean_service_minutes, agents, mean_patience_minutes)
        try:
            return queue.service_level(threshold_minutes) >= target
        except ValueError:  # a queue too long to compute: far too few agents
            return False

    low = max(math.ceil(fewest) - 1, 0)  # known to fall short (0 agents answer nobody)
    high = low + 1
    while not meets(high):
        if high >= max_agents:
            raise StaffingBeyondLimit(max_agents, load)
        low, high = high, min(2 * high, max_agents)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if meets(middle) else (middle, high)
    return high


def summarize_intervals(frames: list[pd.DataFrame], scenario: Scenario) -> pd.DataFrame:
    """Per interval and pool, the replications' means and the agents theory requires.

    ``frames`` are :func:`replication_intervals` tables of one scenario's
    replications. Columns: ``interval, start`` (clock time ``HH:MM``, from
    ``run.opens_at``), ``start_minutes, pool``, the :data:`COUNT_COLUMNS`, each
    share of :data:`SHARE_COLUMNS` with ``_ci_low`` and ``_ci_high``,
    ``asa_minutes``, ``agents_scheduled``, ``agents_present``,
    ``erlang_c_agents``, ``erlang_a_agents`` and ``replications``. See the
    module docstring for the definitions.

    Raises
    ------
    ValueError
        For no frames.
    """
    if not frames:
        raise ValueError("no replications to summarize")
    data = pd.concat(frames, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        data = data.assign(
            service_level=data["answered_in_threshold"] / data["offered"],
            abandonment_rate=data["abandoned"] / data["offered"],
            occupancy=data["busy_minutes"] / data["available_minutes"],
            asa_minutes=data["answered_wait_minutes"] / data["answered"],
        )
    data = data.replace([np.inf, -np.inf], np.nan)
    patience = mean_patience_minutes(scenario)
    rows = [
        _summary_row(group, scenario, patience)
        for _, group in data.groupby(["interval", "pool"], sort=False)
    ]
    # Integers, empty where the search stopped at its limit (nullable: not floats).
    return pd.DataFrame(rows).astype({"erlang_c_agents": "Int64", "erlang_a_agents": "Int64"})


def _staffing(search: Callable[..., int], rate: float, *args: float) -> int | None:
    """The servers a staffing search finds, 0 for no arrivals, None beyond its limit."""
    if rate <= 0:
        return 0
    try:
        return search(rate, *args)
    except StaffingBeyondLimit:
        return None


def _summary_row(group: pd.DataFrame, scenario: Scenario, patience: float) -> dict[str, object]:
    first = group.iloc[0]
    run = scenario.run
    pool = scenario.pools[str(first["pool"])]
    row: dict[str, object] = {
        "interval": int(first["interval"]),
        "start": clock(float(first["start_minutes"]), run.opens_at),
        "start_minutes": float(first["start_minutes"]),
        "pool": str(first["pool"]),
    }
    row.update({name: float(group[name].mean()) for name in COUNT_COLUMNS})
    for name in SHARE_COLUMNS:
        est = estimate(group[name].to_numpy(), share=True)
        row.update({name: est.mean, f"{name}_ci_low": est.ci_low, f"{name}_ci_high": est.ci_high})
    asa = group["asa_minutes"].dropna()
    rate = float(group["offered"].mean()) / scenario.arrivals.interval_minutes
    slots = pool.chats
    service = pool.service_time.mean * pool.full_load_stretch
    threshold, target = run.service_level_threshold_minutes, run.service_level_target
    erlang_c = _staffing(agents_for_service_level, rate, service, threshold, target)
    erlang_a = _staffing(erlang_a_agents, rate, service, threshold, target, patience)
    row.update(
        {
            "asa_minutes": float(asa.mean()) if len(asa) else math.nan,
            "agents_scheduled": int(first["agents_scheduled"]),
            "agents_present": float(group["agents_present"].mean()),
            "erlang_c_agents": pd.NA if erlang_c is None else -(-erlang_c // slots),
            "erlang_a_agents": pd.NA if erlang_a is None else -(-erlang_a // slots),
            "replications": len(group),
        }
    )
    return row
