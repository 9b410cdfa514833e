"""The identified customers of the retention loop and what the service taught them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from peakend.config.schema import Scenario
from peakend.experience.moments import References
from peakend.retention.returns import Loyalty, ReliabilityBelief

__all__ = ["FROM_THE_START", "Population"]

FROM_THE_START = np.iinfo(np.int64).min // 2
"""``joins`` of a customer who is a customer before the run starts (no first contact)."""


def _pick(shares: list[float], uniforms: np.ndarray) -> np.ndarray:
    """Category index of each uniform number, with the given shares."""
    cumulative = np.cumsum(shares)
    picks = np.searchsorted(cumulative / cumulative[-1], uniforms, side="right")
    return np.minimum(picks, len(shares) - 1)


@dataclass
class Population:
    """Identified customers, arrays by customer (a customer's id is its index).

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
        segment = _pick([s.share for s in scenario.segments.values()], pairs[:, 0])
        channel = _pick([c.share for c in scenario.channels.values()], pairs[:, 1])
        references = References.of(scenario, channel, segment)
        return cls(
            segment=segment,
            channel=channel,
            acquired=np.full(size, period),
            joins=np.full(size, FROM_THE_START) if joins is None else np.asarray(joins),
            expected_wait=references.expected_wait_minutes.astype(float),
            expected_quality=references.expected_quality.astype(float),
            active=np.ones(size, dtype=bool),
            left=np.full(size, -1),
            loyalty=np.full(size, Loyalty.NEW, dtype=np.int8),
            streak=np.zeros(size, dtype=np.int64),
            visits=np.zeros(size, dtype=np.int64),
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

    def settled(self) -> Population:
        """The active customers, renumbered, as customers from the start of a run.

        What they learnt stays (memories' traces in loyalty, beliefs, expectations);
        their counts restart: no visits, no value, no period of joining or leaving.
        """
        keep = self.active
        kept: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, ReliabilityBelief):
                kept[field.name] = ReliabilityBelief(value.worked[keep], value.failed[keep])
            else:
                kept[field.name] = value[keep]
        size = int(keep.sum())
        kept.update(
            acquired=np.zeros(size, dtype=np.int64),
            joins=np.full(size, FROM_THE_START),
            left=np.full(size, -1),
            visits=np.zeros(size, dtype=np.int64),
            value=np.zeros(size),
        )
        return Population(**kept)

    def joined_by(self, day: int) -> np.ndarray:
        """Customers who are customers on ``day`` of the run (active or not)."""
        return self.joins <= day
