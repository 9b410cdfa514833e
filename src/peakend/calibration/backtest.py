"""The backtest: replay held-out days of a log through a calibrated scenario and
compare, per interval and type, what the engine predicts with what the log shows.

For each held-out day, :func:`day_scenario` builds a one-day scenario from the
calibrated one: its behaviour (patience, service times, routing) as calibrated,
the day's own arrivals replayed exactly (each contact's queue entry and type,
redials included, so the engine's own retries and repeat contacts are switched
off and so is the IVR, whose time lies before the queue entry), each marked with
its customer (``arrivals.times_customer``: the log's customer id, coded ``c1``,
``c2``, ... in order of first arrival; a contact without an id is a customer of its
own), so that the engine files a customer's contacts of the day as one person and
counts a contact after an abandonment as a retry, after a service as a repeat
contact (:mod:`peakend.engine.persons`), and the day's own
roster inferred from agent activity (the spell estimator of
:mod:`peakend.calibration.rosters`, each agent in the pool that answers the types
it served most). Each day is simulated ``replications`` times.

A replayed day is a one-day run: the engine cannot carry a customer from one replayed
day to the next (a replay is a single-day run, and the multi-day retention loop
draws its own contacts, ``Scenario._check_replay_days``). A customer who calls on
two held-out days is two persons, one per day; what links them (a return) is fitted
by :mod:`peakend.calibration.returns_fit`, not replayed. Marking the customers does
not change the queue: each replayed arrival keeps its own time and draws, so the
measures below are the same with or without the ids.

Measures per (day, interval of queue entry, type) and over all types:
``offered`` (contacts that reached the queue), ``abandonment_rate`` (abandoned /
offered), ``mean_wait_minutes`` (over all offered contacts, served or not) and
``service_level`` (answered within the scenario's threshold / offered, as
:class:`peakend.analysis.erlang.ErlangA` defines it). The simulated value is the
mean over replications; its 95 % band the 2.5 % and 97.5 % quantiles of the
replications' values, so it holds the interval's binomial noise.

The error table (:func:`error_table`) gives per measure and type: the mean absolute
error and the bias (simulated minus observed) over the intervals with at least
one contact offered, and the share of intervals whose observed value lies inside
the simulated 95 % band (near 0.95 for a calibration that is right).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from peakend.base.errors import ConfigError
from peakend.calibration.logs import ContactLog
from peakend.calibration.rosters import present_agents, spells, staffing_from_presence
from peakend.config.schema import Scenario

__all__ = [
    "MEASURES",
    "BacktestResult",
    "backtest",
    "customer_codes",
    "day_scenario",
    "error_table",
    "interval_measures",
]

MEASURES = ("offered", "abandonment_rate", "mean_wait_minutes", "service_level")
ALL_TYPES = "all"


@dataclass(frozen=True)
class BacktestResult:
    """The per-interval comparison and its error table."""

    intervals: pd.DataFrame
    errors: pd.DataFrame
    skipped: dict[str, int]
    """Held-out contacts left out of the replay, by reason."""


def _clock(minutes: float) -> str:
    minutes = int(round(minutes)) % 1_440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def pool_segments(scenario: Scenario) -> dict[str, set[str]]:
    """The segments each pool answers: those entering it, and those of the pools whose
    overflow rules name it."""
    first_pool = next(iter(scenario.pools))
    served: dict[str, set[str]] = {name: set() for name in scenario.pools}
    for segment, config in scenario.segments.items():
        home = config.entry_pool or first_pool
        served[home].add(segment)
        for rule in scenario.pools[home].overflow:
            served[rule.pool].add(segment)
        overflow_to = scenario.pools[home].overflow_to
        if overflow_to is not None:
            served[overflow_to].add(segment)
    return served


def agent_pools(served: pd.DataFrame, scenario: Scenario) -> dict[str, str]:
    """Each agent's pool: the one whose own segments (entering it) cover most of the
    agent's services, then the one whose answered segments (with overflow) do; ties:
    the first pool of the scenario."""
    answered = pool_segments(scenario)
    first_pool = next(iter(scenario.pools))
    own: dict[str, set[str]] = {name: set() for name in scenario.pools}
    for segment, config in scenario.segments.items():
        own[config.entry_pool or first_pool].add(segment)
    counts = served.groupby(["agent", "type"]).size()
    result: dict[str, str] = {}
    for agent, per_type in counts.groupby(level=0):
        kinds = {str(k[1]): int(v) for k, v in per_type.items()}

        def score(pool: str, kinds: dict[str, int] = kinds) -> tuple[int, int]:
            return (
                sum(kinds.get(s, 0) for s in own[pool]),
                sum(kinds.get(s, 0) for s in answered[pool]),
            )

        result[str(agent)] = max(scenario.pools, key=score)
    return result


def customer_codes(customers: np.ndarray) -> list[str]:
    """Short ids for the engine (``c1``, ``c2``, ... in order of first appearance): the
    same log id, the same code; an empty id (no customer), a code of its own."""
    codes: dict[str, str] = {}
    out = []
    for customer in customers:
        key = str(customer)
        if not key:
            out.append(f"c{len(codes) + 1}")
            codes[f"\0{len(codes)}"] = out[-1]  # an entry no log id can equal
            continue
        if key not in codes:
            codes[key] = f"c{len(codes) + 1}"
        out.append(codes[key])
    return out


def day_scenario(
    scenario: Scenario,
    day_rows: pd.DataFrame,
    pool_of: dict[str, str],
    break_minutes: float,
    replications: int,
) -> tuple[Scenario, float]:
    """The one-day replay scenario of ``day_rows`` (queued contacts of one day, types all
    segments of ``scenario``) and its opening time (minutes after midnight)."""
    from peakend.config.loading import scenario_from_dict, scenario_to_dict

    interval = scenario.arrivals.interval_minutes
    entry = day_rows["queue_entry"].to_numpy(dtype=float)
    opens = math.floor(entry.min() / interval) * interval
    intervals = int(math.floor((entry.max() - opens) / interval)) + 1
    order = np.argsort(entry, kind="stable")
    data: dict[str, Any] = scenario_to_dict(scenario)
    data["run"].update(replications=replications, drain=True, opens_at=_clock(opens))
    data["run"].pop("start_date", None)
    counts = np.bincount(((entry - opens) // interval).astype(int), minlength=intervals)
    data["arrivals"] = {
        "interval_minutes": interval,
        "rate_per_hour": (counts * 60 / interval).tolist(),
        "times": (entry[order] - opens).tolist(),
        "times_segment": day_rows["type"].to_numpy()[order].tolist(),
        "times_customer": customer_codes(day_rows["customer"].to_numpy()[order]),
    }
    for segment in data["segments"].values():
        segment.update(retry_probability=0.0, recontact_probability=0.0)
        segment.pop("ivr", None)
    table = spells(day_rows[day_rows["outcome"] == "served"], break_minutes)
    table = table[table["agent"].map(pool_of).notna()]
    for name, pool in data["pools"].items():
        mine = table[table["agent"].map(pool_of) == name]
        present = present_agents(mine, opens, intervals, interval)
        pool["staffing"] = staffing_from_presence(present)
        for key in ("staffing_by_day", "breaks", "service_time_factor"):
            pool.pop(key, None)
        pool["absenteeism"] = 0.0
    data["experience"] = {**data.get("experience", {}), "enabled": False}
    return scenario_from_dict(data, "backtest day"), opens


def interval_measures(
    frame: pd.DataFrame, opens: float, interval: float, threshold: float
) -> pd.DataFrame:
    """Measures per (interval, type) and over all types of contacts with columns
    ``queue_entry`` (minutes after midnight), ``type``, ``wait``, ``abandoned``,
    ``answered``."""
    data = pd.DataFrame(
        {
            "interval": ((frame["queue_entry"].to_numpy() - opens) // interval).astype(int),
            "type": frame["type"].astype(str).to_numpy(),
            "wait": frame["wait"].to_numpy(dtype=float),
            "abandoned": frame["abandoned"].to_numpy(dtype=float),
            "within": (
                frame["answered"].to_numpy(dtype=bool)
                & (frame["wait"].to_numpy() <= threshold + 1e-9)
            ).astype(float),
        }
    )
    both = pd.concat([data, data.assign(type=ALL_TYPES)], ignore_index=True)
    grouped = both.groupby(["interval", "type"])
    return pd.DataFrame(
        {
            "offered": grouped.size(),
            "abandonment_rate": grouped["abandoned"].mean(),
            "mean_wait_minutes": grouped["wait"].mean(),
            "service_level": grouped["within"].mean(),
        }
    )


def _simulated(scenario: Scenario, opens: float, threshold: float) -> pd.DataFrame:
    from peakend.simulation.replication import simulate

    interval = scenario.arrivals.interval_minutes
    frames = []
    for replication in range(scenario.run.replications):
        contacts = simulate(scenario, replication).contacts.to_frame()
        frame = pd.DataFrame(
            {
                "queue_entry": contacts["arrival_minutes"].to_numpy() + opens,
                "type": contacts["segment"].astype(str).to_numpy(),
                "wait": contacts["wait_minutes"].to_numpy(),
                "abandoned": contacts["abandoned"].to_numpy(),
                "answered": contacts["answered"].to_numpy(),
            }
        )
        frames.append(
            interval_measures(frame, opens, interval, threshold).assign(replication=replication)
        )
    return pd.concat(frames)


def _observed(
    day_rows: pd.DataFrame, opens: float, interval: float, threshold: float
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "queue_entry": day_rows["queue_entry"].to_numpy(),
            "type": day_rows["type"].to_numpy(),
            "wait": day_rows["wait"].to_numpy(),
            "abandoned": (day_rows["outcome"] == "abandoned").to_numpy(),
            "answered": (day_rows["outcome"] == "served").to_numpy(),
        }
    )
    return interval_measures(frame, opens, interval, threshold)


def backtest(
    scenario: Scenario,
    log: ContactLog,
    days: Sequence[pd.Timestamp] | None = None,
    replications: int = 20,
    break_minutes: float = 30.0,
) -> BacktestResult:
    """Replay ``days`` of ``log`` (default: all) through ``scenario`` and compare.

    Raises
    ------
    ConfigError
        For a day the log does not hold, or no held-out contact of a scenario segment.
    """
    frame = log.frame
    queued = frame[frame["outcome"] != "ivr_only"]
    chosen = sorted(queued["date"].unique()) if days is None else list(days)
    missing = [d for d in chosen if not (queued["date"] == d).any()]
    if missing:
        raise ConfigError(f"{log.source}: no contact on {pd.Timestamp(missing[0]):%Y-%m-%d}")
    held = queued[queued["date"].isin(chosen)]
    known = held["type"].isin(list(scenario.segments))
    skipped = {"type not in the scenario": int((~known).sum())} if (~known).any() else {}
    held = held[known]
    if held.empty:
        raise ConfigError(f"{log.source}: no held-out contact of a segment of the scenario")
    pool_of = agent_pools(held[held["outcome"] == "served"], scenario)
    threshold = scenario.run.service_level_threshold_minutes
    interval = scenario.arrivals.interval_minutes
    rows = []
    for day in chosen:
        day_rows = held[held["date"] == day]
        if day_rows.empty:
            continue
        replay, opens = day_scenario(scenario, day_rows, pool_of, break_minutes, replications)
        rows.append(_compare(day, day_rows, replay, opens, interval, threshold))
    intervals = pd.concat(rows, ignore_index=True)
    return BacktestResult(intervals, error_table(intervals), skipped)


def _compare(
    day: pd.Timestamp,
    day_rows: pd.DataFrame,
    replay: Scenario,
    opens: float,
    interval: float,
    threshold: float,
) -> pd.DataFrame:
    observed = _observed(day_rows, opens, interval, threshold)
    simulated = _simulated(replay, opens, threshold)
    grouped = simulated.groupby(level=["interval", "type"])
    table = pd.DataFrame({"offered": observed["offered"]})
    for measure in MEASURES:
        table[f"observed_{measure}"] = observed[measure]
        table[f"simulated_{measure}"] = grouped[measure].mean()
        table[f"simulated_{measure}_low"] = grouped[measure].quantile(0.025)
        table[f"simulated_{measure}_high"] = grouped[measure].quantile(0.975)
    table = table.reset_index()
    table.insert(0, "date", f"{pd.Timestamp(day):%Y-%m-%d}")
    table.insert(2, "starts", [_clock(opens + i * interval) for i in table["interval"]])
    return table.drop(columns=["observed_offered"]).rename(
        columns={"simulated_offered": "simulated_offered"}
    )


def error_table(intervals: pd.DataFrame) -> pd.DataFrame:
    """MAE, bias (simulated - observed) and the share of intervals whose observed value
    lies in the simulated 95 % band, per measure and type."""
    rows = []
    for kind, group in intervals.groupby("type", sort=True):
        for measure in MEASURES:
            observed = group["offered"] if measure == "offered" else group[f"observed_{measure}"]
            simulated = group[f"simulated_{measure}"]
            usable = observed.notna() & simulated.notna()
            o, s = observed[usable].to_numpy(float), simulated[usable].to_numpy(float)
            low = group.loc[usable, f"simulated_{measure}_low"].to_numpy(float)
            high = group.loc[usable, f"simulated_{measure}_high"].to_numpy(float)
            rows.append(
                {
                    "type": kind,
                    "measure": measure,
                    "intervals": int(usable.sum()),
                    "mae": float(np.mean(np.abs(s - o))) if o.size else math.nan,
                    "bias": float(np.mean(s - o)) if o.size else math.nan,
                    "in_band": float(np.mean((o >= low - 1e-12) & (o <= high + 1e-12)))
                    if o.size
                    else math.nan,
                }
            )
    return pd.DataFrame(rows)
