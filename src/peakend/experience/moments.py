"""Experience: from the episodes a journey emits to moment-utility traces.

A journey only *emits* episodes, cheap tuples ``(customer, kind, start,
duration, a, b)`` whose two parameters mean different things per kind. At the
end of a replication, :func:`episodes_to_traces` turns all of them at once
(vectorised) into piecewise-linear moment-utility traces, which the memory
models compress into remembered utility. The queueing logic never computes a
utility, and the reference points (expected wait, how a wait is perceived,
expected quality) are looked up per customer at that point, from
:class:`References`.

Moment utility is in *points* on a bipolar scale (negative = pain), passed
through the prospect-theory value function ``v`` (Tversky & Kahneman 1992)
against the customer's reference points:

WAIT (no parameters; the customer's expected wait E and perception factor f)
    Perceived elapsed wait is ``f * s`` (unoccupied waits feel about a third
    longer, Larson 1987; announced or occupied waits shorter, Maister 1985).
    Within expectation the customer feels a mild ``-wait_discomfort``; beyond it
    the excess is a loss: ``u(s) = -wait_discomfort + v(-wait_loss_per_minute *
    (f s - E))``, so the worst moment of a wait is its last. The loss curve is
    represented by ``wait_curve_pieces`` linear pieces, exact at their knots.
SERVICE (a = agent warmth, b = this contact's wait in minutes, sign: see below)
    ``u = v(service_scale * (q - q_ref))`` for the length of the service, where
    the quality ``q`` (:func:`service_quality`) combines result, warmth and
    timeliness so that neither warmth nor a correct result fully makes up for
    the other. A negative ``b`` (stored as ``-wait - 1``) marks a service whose
    result the customer sees as a failure.
FAILURE, TRANSFER (a = loss in points)
    A momentary shock ``u = v(-a)``.
RECOVERY, FAREWELL, DELIGHT (a = gain in points)
    ``u = v(a)`` over the episode (an apology takes agent time; a coupon is a
    moment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from peakend.config.schema import ExperienceConfig, Scenario
from peakend.experience.prospect import ValueFunction
from peakend.experience.trace import EpisodeKind, Traces

__all__ = [
    "EPISODE_DTYPE",
    "References",
    "service_quality_of",
    "compensation_points",
    "episodes_to_traces",
    "service_quality",
    "urgency_points",
]

EPISODE_DTYPE = np.dtype(
    [
        ("customer", np.int64),
        ("kind", np.int8),
        ("start", np.float64),
        ("duration", np.float64),
        ("a", np.float64),
        ("b", np.float64),
    ]
)
"""Columns of an episode record (see the module docstring for ``a`` and ``b``)."""


@dataclass(frozen=True)
class References:
    """Each customer's reference points, arrays of shape (n,)."""

    expected_wait_minutes: np.ndarray
    wait_perception: np.ndarray
    """Factor on elapsed wait: > 1 for idle waits, < 1 for announced ones."""
    expected_quality: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario, channel: np.ndarray, segment: np.ndarray) -> References:
        """The scenario's reference points for customers of these channels and segments.

        The expected wait is the channel's if it sets one, else the segment's; the
        perception factor follows whether the channel announces waits.
        """
        segments = list(scenario.segments.values())
        channels = list(scenario.channels.values())
        exp = scenario.experience
        expected = np.array(
            [
                [
                    c.expected_wait_minutes
                    if c.expected_wait_minutes is not None
                    else s.expected_wait_minutes
                    for s in segments
                ]
                for c in channels
            ]
        )
        perception = np.array(
            [
                exp.announced_wait_factor if c.announces_wait else exp.idle_wait_factor
                for c in channels
            ]
        )
        quality = np.array([s.expected_quality for s in segments])
        return cls(expected[channel, segment], perception[channel], quality[segment])


def service_quality(
    resolved: np.ndarray | bool,
    warmth: np.ndarray | float,
    timeliness: np.ndarray | float,
    weakest_link_weight: float,
) -> np.ndarray | float:
    """Quality of a service on [0, 1] from its result, the agent's warmth and timeliness.

    ``q = w * min(r, warmth, t) + (1 - w) * (r + warmth + t) / 3`` with ``r`` = 1 for
    a resolved problem. The weakest-link term means a defect cannot be made good
    by warmth, nor coldness by a correct result (MODEL.md section 3: an
    *assumption*, with ``w = weakest_link_weight``).
    """
    result = np.asarray(resolved, dtype=float)
    weakest = np.minimum(np.minimum(result, warmth), timeliness)
    quality = (
        weakest_link_weight * weakest
        + (1 - weakest_link_weight) * (result + warmth + timeliness) / 3
    )
    return float(quality) if quality.ndim == 0 else quality


def timeliness(
    wait_minutes: np.ndarray | float, expected_wait_minutes: np.ndarray | float
) -> np.ndarray | float:
    """1 when the wait was within expectation, decaying as it runs over (scale: the
    expectation, at least one minute)."""
    excess = np.maximum(np.asarray(wait_minutes) - expected_wait_minutes, 0.0)
    value = np.exp(-excess / np.maximum(expected_wait_minutes, 1.0))
    return float(value) if value.ndim == 0 else value


def compensation_points(
    amount: float, severity: float, points_per_currency: float, overcompensation_slope: float
) -> float:
    """Value of a coupon: one for one up to the size of the loss, then flat-ish.

    Smith, Bolton & Wagner (1999): compensation helps up to about the size of the
    loss and then flattens. Beyond ``severity`` points each further point is
    worth ``overcompensation_slope``.
    """
    points = amount * points_per_currency
    return min(points, severity) + overcompensation_slope * max(0.0, points - severity)


def urgency_points(delay_minutes: float, gain: float, scale_minutes: float) -> float:
    """Goodwill of a fast callback, ``gain * exp(-delay / scale)``: speed matters."""
    return gain * math.exp(-delay_minutes / scale_minutes)


def episodes_to_traces(
    episodes: np.ndarray, references: References, config: ExperienceConfig
) -> Traces:
    """Vectorised: episode records (``EPISODE_DTYPE``) → :class:`Traces` of all customers.

    Episodes of one customer must be in time order; customers may interleave.
    """
    value = ValueFunction(config.alpha, config.beta, config.loss_aversion)
    episodes = episodes[np.argsort(episodes["customer"], kind="stable")]
    kind = episodes["kind"]
    wait = kind == EpisodeKind.WAIT
    waits = _wait_pieces(episodes[wait], references, config, value)
    other = _moment_pieces(episodes[~wait], references, config, value)
    # Merge: per customer, pieces must stay in episode order.
    order_key = np.concatenate([waits["order"], other["order"]])
    pieces = {
        name: np.concatenate([waits[name], other[name]])
        for name in ("owner", "start", "duration", "u_start", "u_end", "kind")
    }
    index_in_episodes = np.concatenate(
        [np.flatnonzero(wait)[waits["episode"]], np.flatnonzero(~wait)[other["episode"]]]
    )
    order = np.lexsort((order_key, index_in_episodes))
    return Traces(
        owner=pieces["owner"][order],
        start=pieces["start"][order],
        duration=pieces["duration"][order],
        u_start=pieces["u_start"][order],
        u_end=pieces["u_end"][order],
        kind=pieces["kind"][order].astype(np.int8),
        n=len(references.expected_quality),
    )


def _moment_pieces(
    episodes: np.ndarray, references: References, config: ExperienceConfig, value: ValueFunction
) -> dict[str, np.ndarray]:
    kind = episodes["kind"]
    a = episodes["a"]
    x = np.where(
        kind == EpisodeKind.SERVICE,
        config.service_scale * _quality_gap(episodes, references, config),
        np.where((kind == EpisodeKind.FAILURE) | (kind == EpisodeKind.TRANSFER), -a, a),
    )
    u = np.asarray(value(x), dtype=float)
    return {
        "episode": np.arange(len(episodes)),
        "order": np.zeros(len(episodes), dtype=np.int64),
        "owner": episodes["customer"],
        "start": episodes["start"],
        "duration": episodes["duration"],
        "u_start": u,
        "u_end": u,
        "kind": kind,
    }


def service_quality_of(
    episodes: np.ndarray, references: References, config: ExperienceConfig
) -> np.ndarray:
    """Perceived quality of SERVICE episode records (see the module docstring)."""
    customer = episodes["customer"]
    encoded_wait = episodes["b"]
    seen_failure = encoded_wait < 0
    wait = np.where(seen_failure, -encoded_wait - 1, encoded_wait)
    on_time = timeliness(wait, references.expected_wait_minutes[customer])
    quality = service_quality(~seen_failure, episodes["a"], on_time, config.weakest_link_weight)
    return np.asarray(quality, dtype=float)


def _quality_gap(
    episodes: np.ndarray, references: References, config: ExperienceConfig
) -> np.ndarray:
    """Service quality minus the expected quality (meaningful for SERVICE rows only)."""
    quality = service_quality_of(episodes, references, config)
    return quality - references.expected_quality[episodes["customer"]]


def _wait_pieces(
    episodes: np.ndarray, references: References, config: ExperienceConfig, value: ValueFunction
) -> dict[str, np.ndarray]:
    """A wait: a flat stretch within expectation, then K pieces of the loss curve."""
    k = config.wait_curve_pieces
    d = episodes["duration"]
    expected = references.expected_wait_minutes[episodes["customer"]]
    factor = references.wait_perception[episodes["customer"]]
    knee = np.minimum(expected / factor, d)  # clock time when perceived wait hits E
    has_flat = knee > 0
    has_loss = d > knee
    # Piece j of episode i: j = 0 is the flat part, j = 1..k the loss curve.
    count = has_flat.astype(np.int64) + k * has_loss
    episode = np.repeat(np.arange(len(episodes)), count)
    first = np.cumsum(count) - count
    slot = np.arange(len(episode)) - first[episode]
    j = slot + (~has_flat[episode])  # 0 = flat piece, 1..k = loss pieces
    t0 = np.where(j == 0, 0.0, knee[episode] + (d - knee)[episode] * (j - 1) / k)
    t1 = np.where(j == 0, knee[episode], knee[episode] + (d - knee)[episode] * j / k)

    def moment(t: np.ndarray) -> np.ndarray:
        excess = np.maximum(factor[episode] * t - expected[episode], 0.0)
        loss = np.asarray(value(-config.wait_loss_per_minute * excess), dtype=float)
        return -config.wait_discomfort + loss

    return {
        "episode": episode,
        "order": j,
        "owner": episodes["customer"][episode],
        "start": episodes["start"][episode] + t0,
        "duration": t1 - t0,
        "u_start": np.where(j == 0, -config.wait_discomfort, moment(t0)),
        "u_end": np.where(j == 0, -config.wait_discomfort, moment(t1)),
        "kind": np.full(len(episode), EpisodeKind.WAIT, dtype=np.int8),
    }
