"""The identified customers of the retention loop and what the service taught them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from peakend.config.schema import Scenario
from peakend.experience.moments import References
from peakend.retention.returns import Loyalty, ReliabilityBelief

__all__ = ["FROM_THE_START", "Population"]

FROM_THE_START = np.iinfo(np.int32).min // 2
"""``joins`` of a customer who is a customer before the run starts (no first contact)."""

_COUNT = np.int32
"""Periods, days of the run, visits and streaks of a customer: 32 bits hold them exactly
(a run has at most a few thousand periods), and a run may hold millions of customers."""


def _index_dtype(size: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed integer type that indexes ``size`` categories."""
    return np.int8 if size <= np.iinfo(np.int8).max else np.int32


def _pick(shares: list[float], uniforms: np.ndarray) -> np.ndarray:
    """Category index of each uniform number, with the given shares."""
    cumulative = np.cumsum(shares)
    picks = np.searchsorted(cumulative / cumulative[-1], uniforms, side="right")
    return np.minimum(picks, len(shares) - 1)


@dataclass
class Population:
    """Identified customers, arrays by customer (a customer's id is its index).

    About 72 bytes a customer: segment and channel codes in the narrowest integer
    type, periods, days and counts as 32-bit integers, the rest float64.

    ``acquired`` is the period a customer joined, ``joins`` the day of the run
    (``period * days_per_period + day``) of a newcomer's first contact
    (:data:`FROM_THE_START` for the customers there from the start, who make no
    first contact); ``left`` is the period
    a customer left (-1 while active); ``belief`` is each customer's belief that
    a contact works (:class:`~peakend.retention.returns.ReliabilityBelief`).
    """

    segment: np.ndarray
    channel: np.ndarray
    acquired: np.ndarray
    joins: np.ndarray
    expected_wait: np.ndarray
    expected_quality: np.ndarray
    active: np.ndarray
    left: np.ndarray
    loyalty: np.ndarray
    streak: np.ndarray
    visits: np.ndarray
    value: np.ndarray
    belief: ReliabilityBelief
    expected_extras: np.ndarray
    """How much each customer has come to expect an extra (delight), on [0, 1]."""

    @classmethod
    def new(
        cls,
        scenario: Scenario,
        size: int,
        period: int,
        rng: np.random.Generator,
        joins: np.ndarray | None = None,
    ) -> Population:
        """``size`` new customers joining in ``period``, with their segment's expectations.

        ``joins`` is each one's day of first contact (default: customers from the
        start). Customer ``i``'s segment and channel come from the ``i``-th pair of
        numbers of ``rng``, so they do not depend on how many join.
        """
        pairs = rng.random((size, 2))
        shares = [s.share for s in scenario.segments.values()]
        segment = _pick(shares, pairs[:, 0]).astype(_index_dtype(len(shares)))
        shares = [c.share for c in scenario.channels.values()]
        channel = _pick(shares, pairs[:, 1]).astype(_index_dtype(len(shares)))
        del pairs
        references = References.of(scenario, channel, segment)
        return cls(
            segment=segment,
            channel=channel,
            acquired=np.full(size, period, dtype=_COUNT),
            joins=np.full(size, FROM_THE_START, dtype=_COUNT)
            if joins is None
            else np.asarray(joins, dtype=_COUNT),
            expected_wait=references.expected_wait_minutes.astype(float),
            expected_quality=references.expected_quality.astype(float),
            active=np.ones(size, dtype=bool),
            left=np.full(size, -1, dtype=_COUNT),
            loyalty=np.full(size, Loyalty.NEW, dtype=np.int8),
            streak=np.zeros(size, dtype=_COUNT),
            visits=np.zeros(size, dtype=_COUNT),
            value=np.zeros(size),
            belief=ReliabilityBelief.prior(scenario.retention.reliability_prior, size),
            expected_extras=np.zeros(size),
        )

    def __len__(self) -> int:
        return len(self.segment)

    def extend(self, other: Population) -> None:
        """Append the customers of ``other`` (their ids follow the existing ones)."""
        for field in fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            if isinstance(mine, ReliabilityBelief):
                mine.extend(theirs)
            else:
                setattr(self, field.name, np.concatenate([mine, theirs]))

    def settle(self) -> None:
        """Keep the active customers only, renumbered, as customers from the start of a run.

        What they learnt stays (memories' traces in loyalty, beliefs, expectations);
        their counts restart: no visits, no value, no period of joining or leaving.
        In place, one array at a time, so that the customers are never held twice
        (a copy of a population of millions would be a multi-period run's peak).
        """
        keep = self.active
        size = int(keep.sum())
        restarted = {
            "acquired": np.zeros(size, dtype=_COUNT),
            "joins": np.full(size, FROM_THE_START, dtype=_COUNT),
            "left": np.full(size, -1, dtype=_COUNT),
            "visits": np.zeros(size, dtype=_COUNT),
            "value": np.zeros(size),
        }
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in restarted:
                setattr(self, field.name, restarted.pop(field.name))
            elif isinstance(value, ReliabilityBelief):
                value.worked, value.failed = value.worked[keep], value.failed[keep]
            else:
                setattr(self, field.name, value[keep])
            del value

    def joined_by(self, day: int) -> np.ndarray:
        """Customers who are customers on ``day`` of the run (active or not)."""
        return self.joins <= day
