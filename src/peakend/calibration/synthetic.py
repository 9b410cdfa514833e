"""Synthetic contact logs in the Anonymous Bank format, simulated by peakend itself
with known parameters: the ground truth that calibration must recover.

:func:`synthetic_log` simulates one peakend day per calendar day (a replication of
:func:`truth_scenario`, its arrival rates scaled by the weekday's factor and a
gamma day factor, the busyness of real centres) and writes each contact as an
Anonymous Bank row: several contact types, patience censored by service, redials
by the same customer id, lognormal service, non-exponential patience (lognormal and
Weibull), two pools with overflow, services that run past midnight. It adds what
the engine does not simulate but a real log holds: the time in the IVR before the
queue (lognormal), calls that end in the IVR, unidentified callers (customer id 0)
and a few PHANTOM rows.

Everything is drawn from ``numpy.random.default_rng(seed)`` and the engine's own
seeded streams: the same arguments give the same log, byte for byte.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from peakend.config.loading import scenario_from_dict
from peakend.config.schema import Scenario

__all__ = ["AB_COLUMNS", "Truth", "truth_scenario", "synthetic_log"]

AB_COLUMNS = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)

OPENS_AT = 7 * 60  # 07:00, as the Anonymous Bank on weekdays; the day ends at 24:00
INTERVALS = 34
WEEKDAY_LOAD = (1.0, 1.0, 1.05, 1.0, 0.9, 0.6, 0.8)  # Monday ... Sunday

# Fresh arrivals per hour of the whole centre, 07:00-24:00 in half-hours.
_RATE = (
    20,
    40,
    70,
    95,
    105,
    110,
    110,
    105,
    95,
    100,
    110,
    110,
    105,
    100,
    95,
    90,
    85,
    80,
    75,
    70,
    65,
    60,
    60,
    55,
    55,
    50,
    45,
    40,
    35,
    30,
    25,
    20,
    15,
    10,
)
_GENERAL = (
    2,
    3,
    5,
    7,
    7,
    7,
    7,
    7,
    6,
    6,
    7,
    7,
    7,
    6,
    6,
    6,
    6,
    5,
    5,
    5,
    5,
    4,
    4,
    4,
    4,
    4,
    3,
    3,
    3,
    3,
    2,
    2,
    2,
    2,
)
_INTERNET = (
    1,
    1,
    1,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
)


@dataclass(frozen=True)
class Truth:
    """The parameters a synthetic log was simulated with (minutes, shares)."""

    shares: dict[str, float]
    service: dict[str, tuple[str, float, float]]
    """Per type: (family, mean, cv) of the service time."""
    patience: dict[str, dict[str, Any]]
    """Per type: the patience distribution's spec (as in a scenario)."""
    retry_probability: float
    retry_delay_mean: float
    staffing: dict[str, tuple[int, ...]]
    rate_per_hour: tuple[float, ...]
    weekday_load: tuple[float, ...]
    day_cv: float
    ivr_only_share: float
    ivr_mean_minutes: float
    anonymous_share: float
    memory: dict[str, float] | None = None
    """With ``behaviour=True``: the :class:`~peakend.experience.memory.Blend` weights
    (and intercept) that make each journey's remembered utility, the mean of its score."""
    score_sd: float = 0.0
    """Standard deviation of a survey score around the remembered utility."""
    response_share: float = 0.0
    """Share of identified journeys that answer the survey (on their last contact)."""
    returns: dict[str, float] | None = None
    """With ``behaviour=True``: ``baseline_retention``, ``utility_slope`` and
    ``effort_slope`` of the logistic chance that a customer has another journey within
    ``return_days`` days (anchored at remembered utility 0 and no extra contact)."""
    return_days: int = 7


MEMORY_TRUTH = {"worst": 0.4, "end": 0.5, "mean": 0.3, "duration": -0.02, "intercept": 0.5}
"""Memory weights of the synthetic truth with ``behaviour=True`` (a blend; the end
counts most, as in phone surveys where the last moment dominates)."""
RETURN_TRUTH = {"baseline_retention": 0.3, "utility_slope": 0.3, "effort_slope": 0.4}
"""Return model of the synthetic truth with ``behaviour=True``: 30 % of customers who
remember 0 with one contact call again within ``return_days``."""


def truth_scenario(scale: float = 1.0, behaviour: bool = False) -> tuple[Scenario, Truth]:
    """The scenario synthetic logs are simulated from, and its parameters.

    ``scale`` multiplies the arrival rates and the staffing (2.0: a centre twice as
    large). ``behaviour``: customers experience their journeys (the experience model on,
    a blend memory :data:`MEMORY_TRUTH`, agents all of the default mean warmth, as
    :mod:`peakend.calibration.memory_fit` assumes), answer surveys and come back
    (:data:`RETURN_TRUTH`)."""
    patience: dict[str, dict[str, Any]] = {
        "PS": {"distribution": "lognormal", "mean": 3.0, "cv": 1.3},
        "NE": {"distribution": "weibull", "shape": 0.7, "scale": 4.0},
        "IN": {"distribution": "lognormal", "mean": 5.0, "cv": 1.0},
    }
    shares = {"PS": 0.65, "NE": 0.15, "IN": 0.2}
    general = {"distribution": "lognormal", "mean": 3.5, "cv": 1.0}
    internet = {"distribution": "lognormal", "mean": 6.0, "cv": 0.8}
    staffing = {
        "general": tuple(max(int(round(a * scale)), 1) for a in _GENERAL),
        "internet": tuple(max(int(round(a * scale)), 1) for a in _INTERNET),
    }
    segment = {
        "retry_probability": 0.5,
        "retry_delay": {"distribution": "exponential", "mean": 8.0},
        "max_contacts": 20,
    }
    data: dict[str, Any] = {
        "name": "synthetic_bank",
        "description": "The known truth of peakend's synthetic Anonymous Bank logs",
        "run": {"replications": 1, "seed": 1, "drain": True, "opens_at": "07:00"},
        "arrivals": {
            "interval_minutes": 30.0,
            "rate_per_hour": [r * scale for r in _RATE],
        },
        "segments": {
            name: {
                "share": shares[name],
                "patience": patience[name],
                "entry_pool": "internet" if name == "IN" else "general",
                **segment,
            }
            for name in shares
        },
        "pools": {
            "general": {
                "staffing": list(staffing["general"]),
                "absenteeism": 0.0,
                "service_time": general,
                "first_contact_resolution": 1.0,
            },
            "internet": {
                "staffing": list(staffing["internet"]),
                "absenteeism": 0.0,
                "service_time": internet,
                "first_contact_resolution": 1.0,
                "overflow": [{"pool": "general", "after_minutes": 1.0}],
            },
        },
        "experience": {"enabled": False},
    }
    if behaviour:
        data["experience"] = {"enabled": True, "memory": {"model": "blend", **MEMORY_TRUTH}}
        for pool in ("general", "internet"):
            data["pools"][pool]["warmth"] = {"mean": 0.7, "sd": 0.0}
    scenario = scenario_from_dict(data, "synthetic truth")
    truth = Truth(
        shares=shares,
        service={
            "PS": ("lognormal", 3.5, 1.0),
            "NE": ("lognormal", 3.5, 1.0),
            "IN": ("lognormal", 6.0, 0.8),
        },
        patience=patience,
        retry_probability=0.5,
        retry_delay_mean=8.0,
        staffing=staffing,
        rate_per_hour=tuple(r * scale for r in _RATE),
        weekday_load=WEEKDAY_LOAD,
        day_cv=0.1,
        ivr_only_share=0.15,
        ivr_mean_minutes=0.5,
        anonymous_share=0.05,
        memory=dict(MEMORY_TRUTH) if behaviour else None,
        score_sd=0.5 if behaviour else 0.0,
        response_share=0.3 if behaviour else 0.0,
        returns=dict(RETURN_TRUTH) if behaviour else None,
    )
    return scenario, truth


def synthetic_log(
    days: int,
    seed: int = 2005,
    start: str = "1999-03-01",
    scale: float = 1.0,
    behaviour: bool = False,
) -> tuple[pd.DataFrame, Truth]:
    """An Anonymous Bank log of ``days`` calendar days from ``start``, and its truth.

    About 1,300 contacts reach the queue on a weekday at ``scale = 1`` (a month:
    about 40,000). Rows are sorted by date and IVR entry; columns :data:`AB_COLUMNS`.

    With ``behaviour`` (:func:`truth_scenario`), the log also has a ``survey`` column
    (a score on the last contact of a share of identified journeys: the journey's
    remembered utility under :data:`MEMORY_TRUTH`, computed by the engine's own rules
    with the IVR stay written in the log, plus normal noise; empty elsewhere), and
    customers come back on later days under the same customer id with the chance of
    :data:`RETURN_TRUTH` (a returning customer takes the place of one of that day's
    identified callers, on a day drawn uniformly from the next ``return_days``). The
    log without ``behaviour`` is unchanged, byte for byte.
    """
    from peakend.simulation.replication import simulate

    base, truth = truth_scenario(scale, behaviour)
    rng = np.random.default_rng(seed)
    behaviour_rng = np.random.default_rng([seed, 19])
    due: dict[int, list[str]] = {}
    frames = []
    for day in range(days):
        date = pd.Timestamp(start) + pd.Timedelta(days=day)
        load = truth.weekday_load[date.weekday()] * rng.gamma(1 / truth.day_cv**2, truth.day_cv**2)
        scenario = _day_scenario(base, load, seed * 1_000 + day)
        output = simulate(scenario)
        contacts = output.contacts.to_frame()
        rows = _rows(contacts, date, day, truth, rng, list(base.pools))
        if behaviour:
            rows = _behave(rows, output, scenario, truth, day, behaviour_rng, due)
        frames.append(rows)
    log = pd.concat(frames, ignore_index=True)
    log.insert(1, "call_id", np.arange(10_000, 10_000 + len(log)))
    columns = list(AB_COLUMNS) + (["survey"] if behaviour else [])
    return log[columns], truth


def _behave(
    rows: pd.DataFrame,
    output: Any,
    scenario: Scenario,
    truth: Truth,
    day: int,
    rng: np.random.Generator,
    due: dict[int, list[str]],
) -> pd.DataFrame:
    """Survey scores and returning customers of one day's rows (see :func:`synthetic_log`)."""
    from peakend.experience.memory import Blend
    from peakend.experience.moments import References, episodes_of, episodes_to_traces

    assert truth.memory is not None and truth.returns is not None
    contacts, customers = output.contacts, output.customers
    references = References.of(scenario, customers["channel"], customers["segment"])
    episodes, _ = episodes_of(contacts, output.facts, references, scenario.experience)
    queued = rows[rows["_contact"] >= 0]
    stays = _ivr_episodes(queued, contacts)
    both = np.concatenate([stays, episodes])
    first = np.concatenate([np.zeros(len(stays)), np.ones(len(episodes))])
    # The IVR comes before the rest of its contact's first phase, as in the engine.
    order = np.lexsort((first, both["phase"], both["contact"], both["customer"]))
    traces = episodes_to_traces(both[order], references, scenario.experience)
    remembered = Blend(**truth.memory).remember(traces)
    n = len(remembered)
    score = remembered + rng.normal(0.0, truth.score_sd, n)
    answers = rng.random(n) < truth.response_share
    comes_back = rng.random(n) < _return_chance(truth.returns, remembered, customers["effort"])
    back_on = day + rng.integers(1, truth.return_days + 1, n)
    return _assign_customers(rows, score, answers, comes_back, back_on, day, rng, due)


def _ivr_episodes(queued: pd.DataFrame, contacts: Any) -> np.ndarray:
    from peakend.experience.moments import EPISODE_DTYPE, phase_codes
    from peakend.experience.trace import EpisodeKind

    index = queued["_contact"].to_numpy(dtype=np.int64)
    minutes = queued["vru_time"].to_numpy(dtype=float) / 60
    episodes = np.empty(len(index), dtype=EPISODE_DTYPE)
    episodes["customer"] = contacts["customer"][index]
    episodes["contact"] = contacts["contact"][index]
    episodes["phase"] = phase_codes()["wait"]
    episodes["kind"] = EpisodeKind.WAIT
    episodes["start"] = contacts["arrival_minutes"][index] - minutes
    episodes["duration"] = minutes
    episodes["points"] = 0.0
    return episodes


def _return_chance(model: dict[str, float], remembered: np.ndarray, effort: Any) -> np.ndarray:
    p0 = model["baseline_retention"]
    logit = (
        math.log(p0 / (1 - p0))
        + model["utility_slope"] * np.nan_to_num(remembered)
        - model["effort_slope"] * np.asarray(effort, dtype=float)
    )
    return 1 / (1 + np.exp(-logit))


def _assign_customers(
    rows: pd.DataFrame,
    score: np.ndarray,
    answers: np.ndarray,
    comes_back: np.ndarray,
    back_on: np.ndarray,
    day: int,
    rng: np.random.Generator,
    due: dict[int, list[str]],
) -> pd.DataFrame:
    """Customer ids (returning customers first, in the places of identified callers) and
    survey scores on each answering journey's last contact."""
    rows = rows.copy()
    identified = rows["customer_id"] != "0"
    engine_ids = rows.loc[identified, "_customer"].unique()
    returning = due.pop(day, [])
    places = rng.permutation(engine_ids)[: len(returning)]
    if len(returning) > len(places):
        raise ValueError(f"day {day}: more returning customers than identified callers")
    mapping = dict(zip(places.tolist(), returning, strict=True))
    ids = rows["_customer"].map(mapping)
    rows.loc[identified & ids.notna(), "customer_id"] = ids[identified & ids.notna()]
    last = rows[identified].groupby("_customer").tail(1)
    who = last["_customer"].to_numpy(dtype=np.int64)
    rows["survey"] = np.nan
    answering = last.index[answers[who]]
    rows.loc[answering, "survey"] = np.round(score[rows.loc[answering, "_customer"]], 4)
    for engine_id, customer_id in zip(who, last["customer_id"], strict=True):
        if comes_back[engine_id]:
            due.setdefault(int(back_on[engine_id]), []).append(str(customer_id))
    return rows


def _day_scenario(base: Scenario, load: float, seed: int) -> Scenario:
    from peakend.config.loading import scenario_to_dict

    data = scenario_to_dict(base)
    data["arrivals"]["rate_per_hour"] = [r * load for r in data["arrivals"]["rate_per_hour"]]
    data["run"]["seed"] = seed
    return scenario_from_dict(data, "synthetic day")


def _clock(minutes: np.ndarray) -> list[str]:
    seconds = np.round(np.asarray(minutes) * 60).astype(np.int64) % 86_400
    return [f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" for s in seconds]


def _rows(
    contacts: pd.DataFrame,
    date: pd.Timestamp,
    day: int,
    truth: Truth,
    rng: np.random.Generator,
    pools: list[str],
) -> pd.DataFrame:
    """Anonymous Bank rows of one simulated day (queued contacts, IVR-only calls and
    phantoms), times rounded to seconds."""
    n = len(contacts)
    q_start = OPENS_AT + contacts["arrival_minutes"].to_numpy()
    sigma2 = math.log1p(0.6**2)
    mu = math.log(truth.ivr_mean_minutes) - sigma2 / 2
    ivr = rng.lognormal(mu, math.sqrt(sigma2), n)
    q_start_s = np.round(q_start * 60)
    ivr_s = np.maximum(np.round(ivr * 60), 1)
    wait_s = np.round(contacts["wait_minutes"].to_numpy() * 60)
    answered = contacts["answered"].to_numpy(dtype=bool)
    start_s = np.where(answered, np.round((OPENS_AT + contacts["service_start_minutes"]) * 60), 0)
    end_s = np.where(answered, np.round((OPENS_AT + contacts["service_end_minutes"]) * 60), 0)
    start_s = np.where(answered, np.maximum(start_s, q_start_s + wait_s), 0)
    end_s = np.maximum(end_s, start_s)
    customer = contacts["customer"].to_numpy()
    anonymous = rng.random(customer.max() + 1 if n else 1) < truth.anonymous_share
    ids = np.where(anonymous[customer], "0", [f"{day + 1}{c:07d}" for c in customer])
    served_pool = contacts["served_pool"].astype(str).to_numpy()
    agent = contacts["agent"].to_numpy()
    server = [
        f"{'GEN' if p == pools[0] else 'WEB'}_{a:02d}" if ok else "NO_SERVER"
        for p, a, ok in zip(served_pool, agent, answered, strict=True)
    ]
    rows = pd.DataFrame(
        {
            "vru+line": "AA0101",
            "customer_id": ids,
            "priority": 1,
            "type": contacts["segment"].astype(str).to_numpy(),
            "date": date.strftime("%y%m%d"),
            "vru_entry": _clock((q_start_s - ivr_s) / 60),
            "vru_exit": _clock(q_start_s / 60),
            "vru_time": ivr_s.astype(int),
            "q_start": _clock(q_start_s / 60),
            "q_exit": _clock((q_start_s + wait_s) / 60),
            "q_time": wait_s.astype(int),
            "outcome": np.where(answered, "AGENT", "HANG"),
            "ser_start": np.where(answered, _clock(start_s / 60), "0:00:00"),
            "ser_exit": np.where(answered, _clock(end_s / 60), "0:00:00"),
            "ser_time": (end_s - start_s).astype(int),
            "server": server,
            "_order": q_start_s - ivr_s,
            "_contact": np.arange(n),
            "_customer": customer,
        }
    )
    extra = _ivr_only_and_phantoms(rows, truth, rng)
    rows = pd.concat([rows, extra], ignore_index=True).sort_values("_order", kind="stable")
    return rows.drop(columns="_order").reset_index(drop=True)  # _contact, _customer: engine rows


def _ivr_only_and_phantoms(
    rows: pd.DataFrame, truth: Truth, rng: np.random.Generator
) -> pd.DataFrame:
    """Calls that end in the IVR (a share of all calls) and a few phantom rows, at the
    times of randomly chosen queued calls (so they follow the day's profile)."""
    n_ivr = rng.binomial(len(rows), truth.ivr_only_share / (1 - truth.ivr_only_share))
    n_phantom = rng.binomial(len(rows), 0.002)
    picks = rows.iloc[rng.integers(0, len(rows), n_ivr + n_phantom)].copy()
    phantom = np.arange(len(picks)) >= n_ivr
    picks["outcome"] = np.where(phantom, "PHANTOM", "HANG")
    entry = picks["_order"].to_numpy()
    leave = entry + np.maximum(np.round(rng.exponential(40, len(picks))), 1)
    picks["vru_exit"] = _clock(leave / 60)
    picks["vru_time"] = (leave - entry).astype(int)
    for column in ("q_start", "q_exit", "ser_start", "ser_exit"):
        picks[column] = "0:00:00"
    picks["q_time"] = 0
    picks["ser_time"] = 0
    picks["server"] = "NO_SERVER"
    picks["customer_id"] = "0"
    picks["_contact"] = -1
    picks["_customer"] = -1
    return picks
