"""Survey scores to memory weights: each journey's experience trace rebuilt from the log,
and the weights of a :class:`~peakend.experience.memory.Blend` fitted to the scores.

A *journey* is what peakend simulates for one customer in one day: the contacts of
one identified customer (the same customer id) on one date, in arrival order. A
contact without a customer id is a journey of its own. A survey score on a row rates
the journey up to and including that contact (a post-contact survey).

The trace of a journey is rebuilt with the engine's own rules
(:func:`peakend.experience.moments.episodes_to_traces`), from what the log shows of
each contact that reached the queue:

- the time from arrival to the queue (the IVR), felt as a wait of its own, as the
  engine feels a stay in ``segments.*.ivr``;
- the wait in the queue (also one given up at once), judged against the expected wait;
- the service, ``service_scale * (q - expected_quality)`` with the quality ``q`` of
  a service that looks resolved, at the agent's warmth and the timeliness of the wait.

What a log does not record is an assumption, the same the calibrated scenario makes:
the experience settings, the expected wait (``expected_wait_minutes = 1``) and the
expected quality are the schema's defaults; every agent shows the mean warmth of
peakend's default pool (0.7; a log names the agent, not how warm they were); every
service looks resolved (a log does not say whether the problem was solved; a repeat
contact shows as the journey's next contact); calls that ended in the IVR are left out
(the log keeps no time of leaving the IVR that calibration reads).

:func:`fit_memory_weights` regresses the scores on the trace's features by ordinary
least squares (the estimator of :meth:`Blend.fit`) and gives each weight its
classical standard error ``s^2 (X'X)^-1`` and a 95 % t interval. The terms are the
worst moment (the peak of a painful episode), the end, the duration-weighted mean and
the duration (:data:`MEMORY_TERMS`): the best moment of a call journey is nearly
always its end, so it is left out (the two are collinear).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import stats

from peakend.calibration.contacts import absolute_minutes
from peakend.config.schema import AttributeConfig, ExperienceConfig, SegmentConfig
from peakend.experience.memory import Blend
from peakend.experience.moments import (
    References,
    episode_rows,
    episodes_to_traces,
    phase_codes,
    service_points,
)
from peakend.experience.trace import EpisodeKind, Traces

__all__ = [
    "MEMORY_TERMS",
    "MIN_SCORES",
    "MemoryFit",
    "Journeys",
    "fit_memory_weights",
    "journeys",
    "journey_traces",
]

MEMORY_TERMS: tuple[str, ...] = ("worst", "end", "mean", "duration")
"""The :class:`Blend` terms fitted to survey scores (the best moment is left out: on a
call journey it is nearly always the end)."""

MIN_SCORES = 30
"""Fewest scored journeys for a fit: fewer leave the weights unidentified in practice."""


def _default(model: type[BaseModel], name: str) -> float:
    return float(model.model_fields[name].default)


EXPECTED_WAIT = _default(SegmentConfig, "expected_wait_minutes")
EXPECTED_QUALITY = _default(SegmentConfig, "expected_quality")
FAILURE_SEVERITY = _default(SegmentConfig, "failure_severity")
WARMTH = _default(AttributeConfig, "mean")
"""The default pool's mean warmth (``pools.*.warmth`` defaults to ``AttributeConfig()``)."""


@dataclass(frozen=True)
class Journeys:
    """The contacts that reached the queue, grouped into journeys."""

    rows: pd.DataFrame
    """The log's queued rows with ``journey`` (0..n-1), ``number`` (1, 2, ... within
    the journey) and ``_arrival`` (minutes since the log's epoch), by journey and time."""
    n: int
    customer: np.ndarray
    """Each journey's customer id ("" for a contact without one)."""
    date: np.ndarray
    """Each journey's date."""


def journeys(frame: pd.DataFrame) -> Journeys:
    """Group the rows of ``frame`` (a :class:`~peakend.calibration.logs.ContactLog`
    frame) that reached the queue into journeys: one customer, one date."""
    queued = frame[frame["outcome"] != "ivr_only"].copy()
    queued["_arrival"] = absolute_minutes(queued, "queue_entry")
    anonymous = (queued["customer"] == "").to_numpy()
    key = np.where(
        anonymous,
        "#" + queued["line"].astype(str).to_numpy(),
        queued["customer"].astype(str).to_numpy()
        + "@"
        + queued["date"].dt.strftime("%Y-%m-%d").to_numpy(),
    )
    queued["_key"] = key
    queued = queued.sort_values(["_key", "_arrival"], kind="stable")
    codes, first = np.unique(queued["_key"].to_numpy(), return_index=True)
    index = np.searchsorted(codes, queued["_key"].to_numpy())
    # Journeys numbered in order of their first contact, so that the numbering does not
    # depend on how ids sort.
    first_arrival = queued["_arrival"].to_numpy()[first]
    order = np.argsort(first_arrival, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(order.size)
    queued["journey"] = renumber[index]
    queued = queued.sort_values(["journey", "_arrival"], kind="stable")
    queued["number"] = queued.groupby("journey").cumcount() + 1
    by_journey = queued.groupby("journey", sort=True)
    return Journeys(
        rows=queued.drop(columns="_key").reset_index(drop=True),
        n=int(codes.size),
        customer=by_journey["customer"].first().to_numpy(dtype=object),
        date=by_journey["date"].first().to_numpy(),
    )


def _references(n: int, config: ExperienceConfig) -> References:
    return References(
        expected_wait_minutes=np.full(n, EXPECTED_WAIT),
        wait_perception=np.full(n, config.idle_wait_factor),
        expected_quality=np.full(n, EXPECTED_QUALITY),
        failure_severity=np.full(n, FAILURE_SEVERITY),
    )


def journey_traces(rows: pd.DataFrame, n: int, config: ExperienceConfig | None = None) -> Traces:
    """The experience traces of ``n`` journeys from their ``rows`` (as in
    :attr:`Journeys.rows`; a subset of them rebuilds part of each journey), by the
    engine's rules under the assumptions of this module."""
    config = config or ExperienceConfig()
    references = _references(n, config)
    phases = phase_codes()
    journey = rows["journey"].to_numpy(dtype=np.int64)
    number = rows["number"].to_numpy(dtype=np.int64)
    arrival = rows["_arrival"].to_numpy(dtype=float)
    wait = rows["wait"].to_numpy(dtype=float)
    served = (rows["outcome"] == "served").to_numpy()
    abandoned = (rows["outcome"] == "abandoned").to_numpy()
    ivr = (rows["queue_entry"] - rows["arrival"]).to_numpy(dtype=float)
    ivr = np.where(np.isfinite(ivr) & (ivr > 0), ivr, 0.0)
    parts = []
    stay = ivr > 0
    parts.append(
        _episodes(
            journey[stay],
            number[stay],
            phases["wait"],
            0,
            arrival[stay] - ivr[stay],
            ivr[stay],
            np.zeros(int(stay.sum())),
            EpisodeKind.WAIT,
        )
    )
    felt = (wait > 0) | abandoned
    parts.append(
        _episodes(
            journey[felt],
            number[felt],
            phases["wait"],
            1,
            arrival[felt],
            wait[felt],
            np.zeros(int(felt.sum())),
            EpisodeKind.WAIT,
        )
    )
    points, _ = service_points(
        np.ones(int(served.sum()), dtype=bool),
        np.full(int(served.sum()), WARMTH),
        wait[served],
        references.expected_wait_minutes[journey[served]],
        references.expected_quality[journey[served]],
        config,
    )
    service = rows["service_minutes"].to_numpy(dtype=float)[served]
    parts.append(
        _episodes(
            journey[served],
            number[served],
            phases["service"],
            2,
            arrival[served] + wait[served],
            service,
            points,
            EpisodeKind.SERVICE,
        )
    )
    episodes = np.concatenate([part[0] for part in parts])
    rank = np.concatenate([part[1] for part in parts])
    order = np.lexsort((rank, episodes["contact"], episodes["customer"]))
    return episodes_to_traces(episodes[order], references, config)


def _episodes(
    journey: np.ndarray,
    number: np.ndarray,
    phase: int,
    rank: int,
    start: np.ndarray,
    duration: np.ndarray,
    points: np.ndarray,
    kind: EpisodeKind,
) -> tuple[np.ndarray, np.ndarray]:
    """Episodes and their rank within a contact (IVR 0, wait 1, service 2)."""
    episodes = episode_rows(journey, number, phase, kind, start, duration, points)
    return episodes, np.full(len(journey), rank)


@dataclass(frozen=True)
class MemoryFit:
    """Memory weights fitted to survey scores: a :class:`Blend` with standard errors."""

    model: Blend
    standard_errors: dict[str, float]
    """Per term and ``intercept``."""
    scores: int
    """Scored journeys used."""
    residual_sd: float
    r_squared: float

    def ci(self, term: str) -> tuple[float, float]:
        """The 95 % t interval of ``term``'s weight (or of ``intercept``)."""
        value = float(getattr(self.model, term))
        half = stats.t.ppf(0.975, max(self.scores - len(self.standard_errors), 1))
        half *= self.standard_errors[term]
        return value - half, value + half


def scored_features(frame: pd.DataFrame, config: ExperienceConfig | None = None) -> pd.DataFrame:
    """One row per scored contact: the score and the :data:`MEMORY_TERMS` features of
    its journey up to and including it (rows without a finite score are left out)."""
    grouped = journeys(frame)
    rows = grouped.rows
    scored = rows[np.isfinite(rows["score"].to_numpy(dtype=float))]
    if scored.empty:
        return pd.DataFrame(columns=["score", *MEMORY_TERMS])
    # Each scored contact: the journey's rows up to it, as a journey of its own.
    upto = rows.merge(
        scored[["journey", "number"]].reset_index(drop=True).reset_index(names="scored"),
        on="journey",
        suffixes=("", "_scored"),
    )
    upto = upto[upto["number"] <= upto["number_scored"]].copy()
    upto["journey"] = upto["scored"]
    upto = upto.sort_values(["journey", "number"], kind="stable")
    traces = journey_traces(upto, len(scored), config)
    features = Blend.features(traces)
    table = pd.DataFrame({term: features[term] for term in MEMORY_TERMS})
    table.insert(0, "score", scored["score"].to_numpy(dtype=float))
    return table


def fit_memory_weights(table: pd.DataFrame) -> MemoryFit:
    """OLS of ``score`` on :data:`MEMORY_TERMS` and an intercept (``table`` as from
    :func:`scored_features`), with classical standard errors.

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_SCORES` usable scores, or collinear features.
    """
    usable = table[np.isfinite(table.to_numpy(dtype=float)).all(axis=1)]
    if len(usable) < MIN_SCORES:
        raise ValueError(
            f"{len(usable)} scored journeys: at least {MIN_SCORES} are needed to fit memory weights"
        )
    design = np.column_stack(
        [usable[term].to_numpy(dtype=float) for term in MEMORY_TERMS] + [np.ones(len(usable))]
    )
    y = usable["score"].to_numpy(dtype=float)
    solution, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < design.shape[1]:
        raise ValueError(
            "the features " + ", ".join(MEMORY_TERMS) + " are collinear on these journeys; "
            "memory weights are not identifiable"
        )
    residual = y - design @ solution
    dof = max(len(y) - design.shape[1], 1)
    variance = float(residual @ residual) / dof
    covariance = variance * np.linalg.inv(design.T @ design)
    names = [*MEMORY_TERMS, "intercept"]
    weights = dict(zip(names, (float(w) for w in solution), strict=True))
    total = float(np.sum((y - y.mean()) ** 2))
    return MemoryFit(
        model=Blend(**weights),
        standard_errors={
            name: math.sqrt(max(float(covariance[i, i]), 0.0)) for i, name in enumerate(names)
        },
        scores=len(y),
        residual_sd=math.sqrt(variance),
        r_squared=1 - float(residual @ residual) / total if total > 0 else math.nan,
    )
