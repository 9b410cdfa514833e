"""The warm start: agents per interval by Erlang A, from the offered load of a pilot day.

Per interval, the fewest agents whose stationary Erlang A service level (M/M/c+M;
Garnett, Mandelbaum and Reiman 2002) meets the target within the scenario's
threshold (:func:`interval_requirement`; infinite patience is Erlang C), for the
interval's offered contacts per minute. That is the stationary independent
period approach: each interval staffed as if its load lasted (Green, Kolesar
and Soares 2001 show when it falls short: long services and fast-changing loads;
the simulation then corrects it). The offered load comes from a pilot of today's
plan (:func:`pilot_rates`): first contacts, retries, repeat contacts, callbacks
and escalations as they reach each pool, the ``offered`` column of
``intervals.csv``; a multi-period base is piloted on one day of its profile.
Agents present are rostered ones not absent, so the roster is the requirement
divided by ``1 - absenteeism``, rounded up.

The same Erlang A model ranks the moves the search tries
(:func:`marginal_gains`): the expected contacts answered within the threshold
that one more agent adds in each interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from peakend.analysis.erlang import ErlangA, ErlangC, StaffingBeyondLimit
from peakend.analysis.intervals import erlang_a_agents, mean_patience_minutes
from peakend.config.loading import scenario_from_dict, scenario_to_dict
from peakend.config.schema import Scenario
from peakend.runs.runner import replicate

__all__ = [
    "interval_requirement",
    "marginal_gains",
    "pilot_rates",
    "pilot_scenario",
    "service_level",
    "warm_start",
]


def interval_requirement(
    rate_per_minute: float,
    mean_service_minutes: float,
    threshold_minutes: float,
    target: float,
    mean_patience_minutes: float = math.inf,
) -> int:
    """Fewest agents whose stationary service level meets ``target`` (0 for no load).

    Erlang A with exponential patience of mean ``mean_patience_minutes``; Erlang C
    when it is infinite. The search and its limits are those of
    :func:`peakend.analysis.intervals.erlang_a_agents`.

    Raises
    ------
    StaffingBeyondLimit
        When the target needs more than 100,000 agents.
    """
    return erlang_a_agents(
        rate_per_minute, mean_service_minutes, threshold_minutes, target, mean_patience_minutes
    )


def service_level(
    rate_per_minute: float,
    mean_service_minutes: float,
    agents: int,
    threshold_minutes: float,
    mean_patience_minutes: float = math.inf,
) -> float:
    """Stationary share answered within the threshold with ``agents`` (1 for no load;
    0 when Erlang C is unstable or the queue cannot be computed)."""
    if rate_per_minute <= 0:
        return 1.0
    if agents <= 0:
        return 0.0
    try:
        if math.isinf(mean_patience_minutes):
            if rate_per_minute * mean_service_minutes >= agents:
                return 0.0
            queue = ErlangC(rate_per_minute, mean_service_minutes, agents)
            return float(queue.service_level(threshold_minutes))
        a = ErlangA(rate_per_minute, mean_service_minutes, agents, mean_patience_minutes)
        return float(a.service_level(threshold_minutes))
    except ValueError:
        return 0.0


def pilot_scenario(base: Scenario) -> Scenario:
    """One day of ``base``: a multi-period base without its retention loop."""
    if base.retention.periods <= 1:
        return base
    data = scenario_to_dict(base)
    data.pop("retention", None)
    for segment in data.get("segments", {}).values():
        segment.pop("returns", None)
    return scenario_from_dict(data, f"{base.name}: pilot day")


def pilot_rates(base: Scenario, replications: int) -> dict[str, np.ndarray]:
    """Offered contacts per minute in each interval of each pool, over a pilot of today's plan."""
    scenario = pilot_scenario(base)
    totals = {pool: np.zeros(scenario.intervals) for pool in scenario.pools}
    for r in range(replications):
        frame = replicate(scenario, r).intervals
        assert frame is not None  # a single day always reports its intervals
        for pool, rows in frame.groupby("pool", sort=False):
            totals[str(pool)] += rows["offered"].to_numpy(dtype=float)
    length = scenario.arrivals.interval_minutes
    return {pool: total / replications / length for pool, total in totals.items()}


def _pool_queue(scenario: Scenario, pool: str) -> tuple[float, float, float]:
    """``(mean service, threshold, patience)`` of a pool, as Erlang A sees it."""
    config = scenario.pools[pool]
    service = config.service_time.mean * config.full_load_stretch
    return service, scenario.run.service_level_threshold_minutes, mean_patience_minutes(scenario)


def warm_start(
    scenario: Scenario, rates: Mapping[str, np.ndarray], target: float
) -> dict[str, list[int]]:
    """Rostered agents per interval of each pool in ``rates`` (see the module docstring)."""
    plan = {}
    for pool, pool_rates in rates.items():
        config = scenario.pools[pool]
        service, threshold, patience = _pool_queue(scenario, pool)
        agents = []
        for rate in pool_rates:
            try:
                servers = interval_requirement(rate, service, threshold, target, patience)
            except StaffingBeyondLimit:
                servers = max(config.staffing)
            present = -(-servers // config.chats)
            agents.append(math.ceil(present / (1.0 - config.absenteeism) - 1e-9))
        plan[pool] = agents
    return plan


def marginal_gains(
    scenario: Scenario, pool: str, rates: np.ndarray, agents: tuple[int, ...], delta: int
) -> np.ndarray:
    """Per interval, the contacts answered within the threshold gained by ``delta`` (+1 or
    -1) agents, by stationary Erlang A at the pool's mean presence (negative for a loss)."""
    config = scenario.pools[pool]
    service, threshold, patience = _pool_queue(scenario, pool)
    present = 1.0 - config.absenteeism
    gains = np.zeros(len(agents))
    length = scenario.arrivals.interval_minutes
    for i, (rate, n) in enumerate(zip(rates, agents, strict=True)):
        now = round(n * present) * config.chats
        then = round(max(n + delta, 0) * present) * config.chats
        if then == now:  # rounding: the change is one agent present
            then = max(now + delta * config.chats, 0)
        before = service_level(rate, service, now, threshold, patience)
        after = service_level(rate, service, then, threshold, patience)
        gains[i] = (after - before) * rate * length
    return gains
