"""The identified customers of the retention loop and what the service taught them."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from peakend.config.schema import Scenario
from peakend.engine.replication import choose
from peakend.experience.moments import References
from peakend.retention.returns import Loyalty, ReliabilityBelief

__all__ = ["Population"]


@dataclass
class Population:
    """Identified customers, arrays by customer (a customer's id is its index).

    ``acquired`` is the period a customer joined, ``joins`` the day of the run
    (``period * days_per_period + day``) of a newcomer's first contact (0 for the
    initial customers, who are customers from the start); ``left`` is the period
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

        ``joins`` is each one's day of first contact (default: day 0 of the run).
        """
        segment = choose([s.share for s in scenario.segments.values()], rng, size)
        channel = choose([c.share for c in scenario.channels.values()], rng, size)
        references = References.of(scenario, channel, segment)
        return cls(
            segment=segment,
            channel=channel,
            acquired=np.full(size, period),
            joins=np.zeros(size, dtype=np.int64) if joins is None else np.asarray(joins),
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

    def joined_by(self, day: int) -> np.ndarray:
        """Customers who are customers on ``day`` of the run (active or not)."""
        return self.joins <= day
