"""Agents present and the pools they form, inferred from who served what and when.

A log shows agents only while they serve. The *spell* estimator used here: an
agent is present from the start of a service to the end of the last service of a
spell, a spell being a run of services whose gaps (end of one to the start of the
next) are at most ``break_minutes``; a longer gap is a break or the end of a shift.
Each spell is widened at both ends by the agent's mean idle gap between services
that day (an agent waits about that long for a shift's first contact and after its
last). The agents present in an interval are the time-average of the number present
(the minutes of spells inside it over its length), rounded to whole agents where a
staffing list needs integers, and at least one where anyone was present.

Its bias, by construction: an agent idle longer than ``break_minutes`` between
services, or longer than the mean gap before a shift's first service or after its
last, is counted absent, so the estimator *understates* presence, most when the
load is light (long idle gaps); edges widened by a mean gap may overstate by a few
minutes where a shift starts or ends with a busy stretch. Agents seen serving in
the interval (the naive count) overstate presence (an agent seen at 10:05 for one
call counts for the whole half-hour); busy time over the interval's length
understates it by the idle time.
:func:`naive_counts` gives both for comparison; ``tests/calibration`` and the
experiment ``experiments/calibration_month.py`` measure all three on simulated logs
whose roster is known.

Pools: an agent's *skills* are the contact types making at least ``skill_share`` of
the agent's services. Agents with the same skills form a pool (so a bank's
internet team and its general agents become two pools); a type's entry pool is the
pool that served most of it, and another pool that served at least
``overflow_share`` of it becomes an overflow rule of the entry pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Pool",
    "staffing_from_presence",
    "assign_pools",
    "naive_counts",
    "present_agents",
    "spells",
]


def spells(served: pd.DataFrame, break_minutes: float) -> pd.DataFrame:
    """Presence spells ``(date, agent, start, end)`` (minutes since the date's midnight)
    from served contacts (``service_start``, ``service_minutes``, ``agent``, ``date``).

    Each spell is widened at both ends by its agent's mean idle gap between services
    inside spells that day (at most ``break_minutes``): an agent waits about that long
    for the first contact of a shift, and after the last one before leaving. Without
    it, the estimator misses those minutes at every shift's edge."""
    frame = served[["date", "agent", "service_start", "service_minutes"]].copy()
    frame["end"] = frame["service_start"] + frame["service_minutes"]
    frame = frame.sort_values(["date", "agent", "service_start"], kind="stable")
    same = (frame["agent"].to_numpy()[1:] == frame["agent"].to_numpy()[:-1]) & (
        frame["date"].to_numpy()[1:] == frame["date"].to_numpy()[:-1]
    )
    running_end = frame.groupby(["date", "agent"])["end"].cummax().to_numpy()
    gap = frame["service_start"].to_numpy()[1:] - running_end[:-1]
    new_spell = np.concatenate(([True], ~same | (gap > break_minutes)))
    frame["spell"] = np.cumsum(new_spell)
    idle = np.concatenate(([np.nan], np.where(new_spell[1:], np.nan, np.maximum(gap, 0.0))))
    frame["idle"] = idle
    edge = frame.groupby(["date", "agent"])["idle"].transform("mean").fillna(0.0)
    frame["edge"] = np.minimum(edge, break_minutes)
    grouped = frame.groupby("spell")
    return pd.DataFrame(
        {
            "date": grouped["date"].first(),
            "agent": grouped["agent"].first(),
            "start": grouped["service_start"].min() - grouped["edge"].first(),
            "end": grouped["end"].max() + grouped["edge"].first(),
        }
    ).reset_index(drop=True)


def staffing_from_presence(present: np.ndarray) -> list[int]:
    """Whole agents from the time-average present: rounded, and at least one wherever
    an agent was seen present at all (a contact served needs an agent)."""
    rounded = np.round(present).astype(int)
    return np.where(present > 0, np.maximum(rounded, 1), 0).tolist()


def present_agents(
    spell_table: pd.DataFrame, opens: float, intervals: int, interval_minutes: float
) -> np.ndarray:
    """Time-average agents present in each of ``intervals`` intervals from ``opens``
    (minutes since midnight), from spells of one day."""
    edges = opens + interval_minutes * np.arange(intervals + 1)
    starts = spell_table["start"].to_numpy(dtype=float)[:, None]
    ends = spell_table["end"].to_numpy(dtype=float)[:, None]
    overlap = np.clip(np.minimum(ends, edges[1:]) - np.maximum(starts, edges[:-1]), 0.0, None)
    return overlap.sum(axis=0) / interval_minutes


def naive_counts(
    served: pd.DataFrame, opens: float, intervals: int, interval_minutes: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per interval of one day: agents seen serving in it, and busy minutes over its length."""
    edges = opens + interval_minutes * np.arange(intervals + 1)
    start = served["service_start"].to_numpy(dtype=float)[:, None]
    end = start + served["service_minutes"].to_numpy(dtype=float)[:, None]
    overlap = np.clip(np.minimum(end, edges[1:]) - np.maximum(start, edges[:-1]), 0.0, None)
    busy = overlap.sum(axis=0) / interval_minutes
    touching = (end >= edges[:-1]) & (start < edges[1:])
    agents = served["agent"].to_numpy()
    seen = np.array([len(set(agents[touching[:, i]])) for i in range(intervals)], dtype=float)
    return seen, busy


@dataclass(frozen=True)
class Pool:
    """A pool inferred from the log: its agents, the types it answers first, and the
    other pools' types it also serves (overflow)."""

    name: str
    skills: tuple[str, ...]
    agents: tuple[str, ...]


def agent_skills(served: pd.DataFrame, skill_share: float) -> dict[str, tuple[str, ...]]:
    """Each agent's skills: the types making at least ``skill_share`` of its services."""
    counts = served.groupby(["agent", "type"]).size()
    shares = counts / counts.groupby(level=0).transform("sum")
    skills: dict[str, tuple[str, ...]] = {}
    for (agent, kind), share in shares.items():
        if share >= skill_share:
            skills.setdefault(str(agent), ())
            skills[str(agent)] = tuple(sorted((*skills[str(agent)], str(kind))))
    return skills


def assign_pools(served: pd.DataFrame, skill_share: float = 0.05) -> list[Pool]:
    """The pools: agents grouped by their skills, largest pool first (ties by name).

    A pool is named after its skills (``agents_PS_PE``); over 40 characters, by its
    rank (``pool_2``)."""
    skills = agent_skills(served, skill_share)
    groups: dict[tuple[str, ...], list[str]] = {}
    for agent, kinds in sorted(skills.items()):
        groups.setdefault(kinds, []).append(agent)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    pools: list[Pool] = []
    for rank, (kinds, agents) in enumerate(ordered, start=1):
        name = "agents_" + "_".join(_slug(kind) for kind in kinds)
        if len(name) > 40 or any(pool.name == name for pool in pools):
            name = f"pool_{rank}"
        pools.append(Pool(name, kinds, tuple(agents)))
    return pools


def _slug(kind: str) -> str:
    cleaned = "".join(char if char.isalnum() else "_" for char in kind)
    return cleaned or "type"
