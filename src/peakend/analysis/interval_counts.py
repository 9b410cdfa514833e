"""Counts and agent-minutes per interval and pool, added up a block of contacts at a time.

The counting half of :mod:`peakend.analysis.intervals` (the definitions of every
column are there): NumPy only, so that a replication process forked before pandas
and SciPy are imported (:mod:`peakend.runs.forked`) counts its intervals without
them. pandas is imported by :meth:`IntervalTally.frame`, which makes the rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from peakend.config.schema import PoolConfig, Scenario
from peakend.engine.records import Table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IntervalTally"]


class IntervalTally:
    """:func:`replication_intervals` added up from a replication's contact records a
    block at a time (counts exact; sums of minutes are sums of the blocks' sums, so with
    one block exactly those of the whole table)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.sums: list[dict[str, np.ndarray] | None] = [None] * len(scenario.pools)

    def add(self, contacts: Table, end_time: float) -> None:
        """Add a block of contact records of a run that ended at ``end_time``."""
        for index, config in enumerate(self.scenario.pools.values()):
            block = _pool_sums(contacts, end_time, self.scenario, index, config)
            held = self.sums[index]
            self.sums[index] = (
                block if held is None else {name: held[name] + block[name] for name in held}
            )

    def frame(
        self, capacity_log: dict[str, list[tuple[float, int]]], replication: int = 0
    ) -> pd.DataFrame:
        """The replication's rows (see
        :func:`~peakend.analysis.intervals.replication_intervals`)."""
        import pandas as pd

        scenario = self.scenario
        empty = _pool_sums(None, 0.0, scenario, 0, next(iter(scenario.pools.values())))
        frames = [
            _pool_frame(self.sums[index] or empty, capacity_log, scenario, name)
            for index, name in enumerate(scenario.pools)
        ]
        frame = pd.concat(frames, ignore_index=True)
        frame.insert(0, "replication", replication)
        return frame.sort_values(["interval", "pool"], kind="stable", ignore_index=True)


def _pool_sums(
    contacts: Table | None, end_time: float, scenario: Scenario, index: int, config: PoolConfig
) -> dict[str, np.ndarray]:
    """A pool's counts and minutes per interval over ``contacts`` (None: no contact)."""
    length = scenario.arrivals.interval_minutes
    count = scenario.intervals
    if contacts is None:
        zeros = np.zeros(count)
        return {name: zeros for name in _SUMS}
    mine = contacts["pool"] == index
    interval = np.floor(contacts["arrival_minutes"][mine] / length).astype(np.int64)
    inside = (interval >= 0) & (interval < count)
    interval = interval[inside]
    wait = contacts["wait_minutes"][mine][inside]
    answered = contacts["answered"][mine][inside]
    abandoned = contacts["abandoned"][mine][inside]

    def per_interval(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(interval, weights, minlength=count)[:count]

    threshold = scenario.run.service_level_threshold_minutes
    busy, after_shift = _busy_minutes(contacts, end_time, scenario, index, config)
    return {
        "offered": per_interval(),
        "answered": per_interval(answered.astype(float)),
        "abandoned": per_interval(abandoned.astype(float)),
        "answered_in_threshold": per_interval((answered & (wait <= threshold)).astype(float)),
        "answered_wait_minutes": per_interval(np.where(answered, wait, 0.0)),
        "busy_minutes": busy,
        "after_shift": after_shift,
    }


_SUMS = (
    "offered",
    "answered",
    "abandoned",
    "answered_in_threshold",
    "answered_wait_minutes",
    "busy_minutes",
    "after_shift",
)


def _pool_frame(
    sums: dict[str, np.ndarray],
    capacity_log: dict[str, list[tuple[float, int]]],
    scenario: Scenario,
    name: str,
) -> pd.DataFrame:
    length = scenario.arrivals.interval_minutes
    count = scenario.intervals
    offered, answered, abandoned = sums["offered"], sums["answered"], sums["abandoned"]
    present = _present_agents(capacity_log.get(name, []), length, count)
    import pandas as pd

    return pd.DataFrame(
        {
            "interval": np.arange(count),
            "pool": name,
            "start_minutes": np.arange(count) * length,
            "offered": offered.astype(np.int64),
            "answered": answered.astype(np.int64),
            "abandoned": abandoned.astype(np.int64),
            "still_waiting": (offered - answered - abandoned).astype(np.int64),
            "answered_in_threshold": sums["answered_in_threshold"].astype(np.int64),
            "answered_wait_minutes": sums["answered_wait_minutes"],
            "busy_minutes": sums["busy_minutes"],
            "available_minutes": present * length + sums["after_shift"],
            "agents_scheduled": np.asarray(scenario.roster(name), dtype=np.int64),
            "agents_present": present,
        }
    )


def _busy_minutes(
    contacts: Table, end_time: float, scenario: Scenario, index: int, config: PoolConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Service minutes of the pool in each interval, and the part done after a shift ended.

    Each service is split into the intervals it spans, a bounded number of pieces
    at a time (:data:`_MAX_PIECES`). An agent is on shift in
    interval ``i`` when its roster slot is below ``staffing[i]`` (an agent who
    serves is never absent), so service by a higher slot is after its shift.
    """
    length = scenario.arrivals.interval_minutes
    count = scenario.intervals
    horizon = count * length
    served = (contacts["served_pool"] == index) & contacts["answered"]
    start = contacts["service_start_minutes"][served]
    end = contacts["service_end_minutes"][served]
    end = np.where(np.isnan(end), end_time, end)  # cut off by the end of the run
    start, end = np.clip(start, 0, horizon), np.clip(end, 0, horizon)
    agent = contacts["agent"][served]
    weight = _slot_weights(scenario, contacts["pool"][served], config)
    keep = end > start
    start, end, agent, weight = start[keep], end[keep], agent[keep], weight[keep]
    first = np.minimum((start // length).astype(np.int64), count - 1)
    last = np.minimum(np.ceil(end / length).astype(np.int64) - 1, count - 1)
    spans = np.cumsum(last - first + 1)
    staffing = np.asarray(scenario.roster(list(scenario.pools)[index]), dtype=np.int64)
    busy, after = np.zeros(count), np.zeros(count)
    done = 0
    while done < len(start):
        # Services whose pieces fit in _MAX_PIECES (at least one): long services spread
        # over many intervals stay within bounded memory, whatever their number.
        before = int(spans[done - 1]) if done else 0
        stop = max(done + 1, int(np.searchsorted(spans, before + _MAX_PIECES, side="right")))
        part = slice(done, stop)
        pieces = _pieces(start[part], end[part], first[part], last[part], length)
        slot, overlap = pieces[0], pieces[1] * weight[part][pieces[2]]
        off_shift = agent[part][pieces[2]] >= staffing[slot]
        busy += np.bincount(slot, overlap, minlength=count)[:count]
        after += np.bincount(slot, np.where(off_shift, overlap, 0.0), minlength=count)[:count]
        done = stop
    return busy, after


_MAX_PIECES = 1 << 20
"""Service pieces (a service's part in one interval) held at once by :func:`_busy_minutes`."""


def _pieces(
    start: np.ndarray, end: np.ndarray, first: np.ndarray, last: np.ndarray, length: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each service split into the intervals it spans: the interval, the minutes in it
    and the service's index, one entry a piece."""
    spans = last - first + 1
    owner = np.repeat(np.arange(len(start)), spans)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(spans) - spans, spans)
    slot = first[owner] + offset
    overlap = np.minimum(end[owner], (slot + 1) * length) - np.maximum(start[owner], slot * length)
    return slot, np.maximum(overlap, 0.0), owner


def _slot_weights(scenario: Scenario, home: np.ndarray, config: PoolConfig) -> np.ndarray:
    """Share of a serving agent each contact takes: ``1 / k`` for a chat on a chat
    pool of ``k`` slots; 1 on a phone pool and for a call from a phone pool."""
    if config.concurrency is None:
        return np.ones(len(home))
    chat_homes = np.array([pool.concurrency is not None for pool in scenario.pools.values()])
    return np.where(chat_homes[home], 1.0 / config.chats, 1.0)


def _present_agents(log: list[tuple[float, int]], length: float, count: int) -> np.ndarray:
    """Agents on shift at each interval start, from a pool's ``capacity_log``."""
    present = np.zeros(count, dtype=np.int64)
    for time, agents in log:  # in time order: a later entry for an interval wins
        interval = int(round(time / length))
        if 0 <= interval < count:
            present[interval] = agents
    return present
