"""Calibration: every fit of a contact log, in one :class:`Calibration`.

:func:`calibrate` takes a :class:`~peakend.calibration.logs.ContactLog` and fits,
per contact type (a type becomes a segment of the scenario):

- arrivals per interval and weekday (:mod:`peakend.calibration.arrivals`);
- service times: lognormal, gamma and exponential, the best by AIC, with a
  Kolmogorov-Smirnov distance as goodness of fit;
- patience from censored waits: Kaplan-Meier and exponential, lognormal, Weibull
  and a two-phase mixture with censoring (:mod:`peakend.calibration.fitting`);
- redials and repeat contacts (:mod:`peakend.calibration.contacts`);
- the pools (agents grouped by the types they serve) and the agents present per
  interval and day (:mod:`peakend.calibration.rosters`);
- the IVR: time spent there and the share who end there;
- where the log has survey scores: the memory model's weights
  (:mod:`peakend.calibration.memory_fit`); where customer ids recur over more days than
  the return window: the return model's intercept and slopes
  (:mod:`peakend.calibration.returns_fit`). Without the data these stay assumptions,
  listed in :attr:`Calibration.assumptions`.

A type with too few contacts for a fit (fewer than :data:`MIN_FIT` abandonments, or
served contacts) takes the fit of all types together, and the report says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from peakend.calibration.arrivals import ArrivalFit, fit_arrivals
from peakend.calibration.contacts import FollowUps, follow_ups, mark_follow_ups
from peakend.calibration.fitting import Fit, fit_best, fit_family
from peakend.calibration.logs import ContactLog
from peakend.calibration.memory_fit import MemoryFit, fit_memory_weights, scored_features
from peakend.calibration.returns_fit import ReturnFit, fit_returns, return_table
from peakend.calibration.rosters import Pool, assign_pools, present_agents, spells
from peakend.calibration.survival import KaplanMeier, kaplan_meier

__all__ = ["MIN_FIT", "Calibration", "Settings", "TypeFit", "calibrate"]

MIN_FIT = 20
"""Fewest observations a type needs for a fit of its own."""

PATIENCE_FAMILIES = ("exponential", "lognormal", "weibull", "mixture")
SERVICE_FAMILIES = ("lognormal", "gamma", "exponential")


@dataclass(frozen=True)
class Settings:
    """The choices of a calibration (minutes unless named otherwise)."""

    interval_minutes: float = 30.0
    redial_window: float = 120.0
    repeat_window: float = 1_440.0
    break_minutes: float = 30.0
    skill_share: float = 0.05
    overflow_share: float = 0.05
    service_level_threshold_minutes: float = 20 / 60
    resolution_minutes: float = 1 / 60
    return_days: int = 7
    """Days after a journey within which the customer's next journey counts as a return."""


@dataclass(frozen=True)
class Proportion:
    """A share with its Wilson 95 % interval."""

    successes: int
    trials: int

    @property
    def value(self) -> float:
        return self.successes / self.trials if self.trials else math.nan

    def ci(self) -> tuple[float, float]:
        n, p, z = self.trials, self.value, 1.96
        if not n:
            return math.nan, math.nan
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(centre - half, 0.0), min(centre + half, 1.0)


@dataclass
class TypeFit:
    """All fits of one contact type."""

    name: str
    queued: int
    served: int
    abandoned: int
    ivr_only: int
    service: Fit | None = None
    service_fits: dict[str, Fit] = field(default_factory=dict)
    service_ks: float = math.nan
    service_pooled: bool = False
    patience: Fit | None = None
    patience_fits: dict[str, Fit] = field(default_factory=dict)
    patience_km: KaplanMeier | None = None
    patience_pooled: bool = False
    follow: FollowUps | None = None
    redial_delay: Fit | None = None
    repeat_delay: Fit | None = None
    ivr_minutes: Fit | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def abandonment(self) -> Proportion:
        return Proportion(self.abandoned, self.queued)

    @property
    def ivr_share(self) -> Proportion:
        return Proportion(self.ivr_only, self.ivr_only + self.queued)


@dataclass
class Calibration:
    """What :func:`calibrate` found: fits per type, pools, rosters, and what was used."""

    log: ContactLog
    settings: Settings
    opens: float
    """Minutes after midnight of the simulated day's start."""
    intervals: int
    types: dict[str, TypeFit]
    pooled: TypeFit
    arrivals: ArrivalFit
    pools: list[Pool]
    entry_pool: dict[str, str]
    overflow: dict[str, list[tuple[str, float]]]
    pool_service: dict[str, Fit]
    rosters: dict[str, dict[pd.Timestamp, np.ndarray]]
    """Agents present (time-average) per pool, day and interval."""
    used: dict[str, int]
    assumptions: list[tuple[str, str]]
    """(what, why) of each behaviour the log could not fit and the scenario assumes."""
    memory: MemoryFit | None = None
    """Memory weights fitted to survey scores (None: no scores, or too few)."""
    returns: ReturnFit | None = None
    """The return model fitted to customers coming back (None: not enough days or ids)."""

    @property
    def close(self) -> float:
        return self.opens + self.intervals * self.settings.interval_minutes

    def mean_roster(self, pool: str) -> np.ndarray:
        days = list(self.rosters[pool].values())
        return np.mean(days, axis=0) if days else np.zeros(self.intervals)


def day_window(queued: pd.DataFrame, interval_minutes: float) -> tuple[float, int]:
    """The simulated day: its start (minutes after midnight, on an interval boundary)
    and its number of intervals, spanning every queue arrival of every day."""
    first = float(queued["queue_entry"].min())
    last = float(queued["queue_entry"].max())
    opens = math.floor(first / interval_minutes) * interval_minutes
    intervals = max(int(math.floor((last - opens) / interval_minutes)) + 1, 1)
    return opens, intervals


def calibrate(log: ContactLog, settings: Settings | None = None) -> Calibration:
    """Fit everything :mod:`peakend.calibration` fits to ``log``.

    Raises
    ------
    ValueError
        For a log without a contact that reached the queue, or without a served one.
    """
    settings = settings or Settings()
    frame = log.frame
    queued = frame[frame["outcome"] != "ivr_only"]
    if queued.empty:
        raise ValueError(f"{log.source}: no contact reached the queue; nothing to calibrate")
    if not (queued["outcome"] == "served").any():
        raise ValueError(f"{log.source}: no contact was served; service cannot be calibrated")
    opens, intervals = day_window(queued, settings.interval_minutes)
    marked = mark_follow_ups(queued, settings.redial_window, settings.repeat_window)
    pooled = _fit_type("all types", frame, marked, settings, None)
    types = {
        str(name): _fit_type(
            str(name),
            frame[frame["type"] == name],
            marked[marked["type"] == name],
            settings,
            pooled,
        )
        for name in sorted(queued["type"].unique())
    }
    served = queued[queued["outcome"] == "served"]
    pools = assign_pools(served, settings.skill_share)
    entry_pool, overflow = _routing(served, pools, settings.overflow_share, marked)
    calibration = Calibration(
        log=log,
        settings=settings,
        opens=opens,
        intervals=intervals,
        types=types,
        pooled=pooled,
        arrivals=fit_arrivals(marked, opens, intervals, settings.interval_minutes),
        pools=pools,
        entry_pool=entry_pool,
        overflow=overflow,
        pool_service=_pool_service(served, pools),
        rosters=_rosters(served, pools, opens, intervals, settings),
        used=_used(frame, marked),
        assumptions=[],
    )
    _fit_behaviour(calibration)
    return calibration


def _fit_behaviour(c: Calibration) -> None:
    """Memory weights from survey scores and the return model from returning customers,
    where the log holds the data; otherwise the reason, in ``c.assumptions``."""
    frame = c.log.frame
    scores = int(np.isfinite(frame["score"].to_numpy(dtype=float)).sum())
    if scores:
        try:
            c.memory = fit_memory_weights(scored_features(frame))
        except ValueError as error:
            c.assumptions.append(("memory model", f"survey scores not usable: {error}"))
    else:
        c.assumptions.append(("memory model", "the log has no survey scores"))
    days = len(c.log.days())
    if days <= c.settings.return_days:
        c.assumptions.append(
            (
                "return model",
                f"the log spans {days} days, not more than the return window "
                f"({c.settings.return_days} days)",
            )
        )
        return
    memory = c.memory.model if c.memory is not None else None
    try:
        c.returns = fit_returns(
            return_table(frame, c.settings.return_days, memory),
            c.settings.return_days,
            "blend fitted to the survey scores" if memory is not None else "peak_end (default)",
        )
    except ValueError as error:
        c.assumptions.append(("return model", f"returns not usable: {error}"))


def _fit_type(
    name: str,
    rows: pd.DataFrame,
    marked: pd.DataFrame,
    settings: Settings,
    pooled: TypeFit | None,
) -> TypeFit:
    outcome = marked["outcome"]
    fit = TypeFit(
        name=name,
        queued=len(marked),
        served=int((outcome == "served").sum()),
        abandoned=int((outcome == "abandoned").sum()),
        ivr_only=int((rows["outcome"] == "ivr_only").sum()),
    )
    _fit_service(fit, marked, pooled)
    _fit_patience(fit, marked, settings, pooled)
    _fit_follow_ups(fit, marked, settings, pooled)
    fit.ivr_minutes = _ivr_time(rows)
    return fit


def _fit_service(fit: TypeFit, marked: pd.DataFrame, pooled: TypeFit | None) -> None:
    minutes = marked.loc[marked["outcome"] == "served", "service_minutes"].to_numpy(dtype=float)
    minutes = minutes[minutes > 0]
    if minutes.size < MIN_FIT and pooled is not None:
        fit.service, fit.service_fits = pooled.service, pooled.service_fits
        fit.service_ks, fit.service_pooled = pooled.service_ks, True
        fit.notes.append(f"{minutes.size} service times: the service fit of all types is used")
        return
    if minutes.size < 2:
        return
    fit.service, fit.service_fits = fit_best(SERVICE_FAMILIES, minutes)
    fit.service_ks = float(stats.kstest(minutes, fit.service.distribution.cdf).statistic)


def _fit_patience(
    fit: TypeFit, marked: pd.DataFrame, settings: Settings, pooled: TypeFit | None
) -> None:
    waits = marked["wait"].to_numpy(dtype=float)
    gave_up = (marked["outcome"] == "abandoned").to_numpy()
    events, censored = waits[gave_up], waits[~gave_up]
    if events.size < MIN_FIT and pooled is not None:
        fit.patience, fit.patience_fits = pooled.patience, pooled.patience_fits
        fit.patience_km, fit.patience_pooled = pooled.patience_km, True
        fit.notes.append(f"{events.size} abandonments: the patience fit of all types is used")
        return
    if events.size < 2:
        return
    fit.patience_km = kaplan_meier(events, censored)
    fit.patience, fit.patience_fits = fit_best(
        PATIENCE_FAMILIES, events, censored, settings.resolution_minutes
    )


def _fit_follow_ups(
    fit: TypeFit, marked: pd.DataFrame, settings: Settings, pooled: TypeFit | None
) -> None:
    fit.follow = follow_ups(marked, settings.redial_window, settings.repeat_window)
    delays = fit.follow.redial_delays
    if delays[delays > 0].size >= MIN_FIT:
        fit.redial_delay = _delay_fit(delays[delays > 0])
    elif pooled is not None:
        fit.redial_delay = pooled.redial_delay
    delays = fit.follow.repeat_delays
    if delays[delays > 0].size >= MIN_FIT:
        fit.repeat_delay = _delay_fit(delays[delays > 0])
    elif pooled is not None:
        fit.repeat_delay = pooled.repeat_delay


def _delay_fit(delays: np.ndarray) -> Fit:
    return fit_best(("exponential", "lognormal"), delays)[0]


def _ivr_time(rows: pd.DataFrame) -> Fit | None:
    """Minutes from arrival to the queue (or to leaving the IVR): the IVR stage."""
    before_queue = (rows["queue_entry"] - rows["arrival"]).to_numpy(dtype=float)
    before_queue = before_queue[np.isfinite(before_queue) & (before_queue > 0)]
    if before_queue.size < MIN_FIT:
        return None
    return fit_family("lognormal", before_queue)


def _routing(
    served: pd.DataFrame, pools: list[Pool], overflow_share: float, marked: pd.DataFrame
) -> tuple[dict[str, str], dict[str, list[tuple[str, float]]]]:
    """Each type's entry pool, and each pool's overflow rules (other pool, after minutes)."""
    pool_of = {agent: pool.name for pool in pools for agent in pool.agents}
    by_pool = served.assign(pool=served["agent"].map(pool_of)).dropna(subset=["pool"])
    counts = by_pool.groupby(["type", "pool"]).size()
    entry: dict[str, str] = {}
    overflow: dict[str, list[tuple[str, float]]] = {pool.name: [] for pool in pools}
    for kind in sorted(marked["type"].unique()):
        if kind not in counts.index.get_level_values(0):
            entry[str(kind)] = pools[0].name
            continue
        row = counts.loc[kind].sort_values(ascending=False, kind="stable")
        entry[str(kind)] = str(row.index[0])
    for kind, home in entry.items():
        if kind not in counts.index.get_level_values(0):
            continue
        row = counts.loc[kind]
        for other, count in row.items():
            if other == home or count < overflow_share * row.sum():
                continue
            waits = by_pool[(by_pool["type"] == kind) & (by_pool["pool"] == other)]["wait"]
            after = round(float(np.quantile(waits, 0.05)), 4)
            if all(rule[0] != other for rule in overflow[home]):
                overflow[home].append((str(other), after))
    return entry, overflow


def _pool_service(served: pd.DataFrame, pools: list[Pool]) -> dict[str, Fit]:
    result = {}
    for pool in pools:
        minutes = served.loc[served["agent"].isin(pool.agents), "service_minutes"]
        minutes = minutes.to_numpy(dtype=float)
        minutes = minutes[minutes > 0]
        if minutes.size >= 2:
            result[pool.name] = fit_best(SERVICE_FAMILIES, minutes)[0]
    return result


def _rosters(
    served: pd.DataFrame, pools: list[Pool], opens: float, intervals: int, settings: Settings
) -> dict[str, dict[pd.Timestamp, np.ndarray]]:
    table = spells(served, settings.break_minutes)
    days = sorted(served["date"].unique())
    rosters: dict[str, dict[pd.Timestamp, np.ndarray]] = {}
    for pool in pools:
        mine = table[table["agent"].isin(pool.agents)]
        rosters[pool.name] = {
            pd.Timestamp(day): present_agents(
                mine[mine["date"] == day], opens, intervals, settings.interval_minutes
            )
            for day in days
        }
    return rosters


def _used(frame: pd.DataFrame, marked: pd.DataFrame) -> dict[str, int]:
    """Rows used by each fit."""
    served = marked["outcome"] == "served"
    return {
        "arrivals (contacts that reached the queue)": len(marked),
        "service times (served, longer than 0 s)": int(
            (served & (marked["service_minutes"] > 0)).sum()
        ),
        "patience (abandoned: observed; served: censored)": len(marked),
        "redials and repeats (with a customer id)": int((marked["customer"] != "").sum()),
        "IVR (left in the IVR)": int((frame["outcome"] == "ivr_only").sum()),
        "agents present (served, with an agent)": int(served.sum()),
    }
