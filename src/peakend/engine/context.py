"""What a journey may read and what it may call: the narrow journey context.

A journey reads the pools (to queue and be served), its segment's rules, the
recovery and service policies, and its own customer's decision draws; it may
call exactly one thing, ``report(fact)``. Nothing else of the replication is in
reach, so a journey cannot write counters, records or utilities anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from peakend.config.schema import (
    BalkingConfig,
    IvrConfig,
    RecoveryConfig,
    Scenario,
    ServicePolicyConfig,
    VirtualHoldConfig,
)
from peakend.engine.staffing import PoolBase
from peakend.engine.streams import CustomerDraws, Sampler

__all__ = ["JourneyContext", "SegmentRules"]


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """How a segment's customers behave when things go wrong."""

    retry_probability: float
    recontact_probability: float
    max_contacts: int
    priority: int
    ivr: IvrConfig | None = None
    """The segment's IVR before the queue (None: none)."""
    name: str = ""
    """The segment's name (names the streams of its own draws)."""


@dataclass(frozen=True, slots=True)
class JourneyContext:
    """Everything a journey may use (read-only), plus ``report`` for its facts."""

    env: simpy.Environment
    horizon: float
    """End of the arrival window, minutes: nothing is scheduled at or after it."""
    pools: Sequence[PoolBase]
    entry_pools: Sequence[Sequence[PoolBase]]
    """``entry_pools[channel][segment]``: the pool that takes a first contact."""
    stages: Sequence[Sequence[Sequence[PoolBase]]]
    """``stages[channel][segment]``: the entry pool and then the segment's stages."""
    stage_odds: Sequence[Sequence[float]]
    """Per segment: the probability of visiting each stage after the entry pool (empty:
    every customer visits every stage)."""
    announces: Sequence[bool]
    """Per channel: whether the expected wait is announced (for balking or virtual hold)."""
    holds: Sequence[VirtualHoldConfig]
    balking: Sequence[BalkingConfig]
    pool_by_name: dict[str, PoolBase]
    segments: Sequence[SegmentRules]
    recovery: RecoveryConfig
    service: ServicePolicyConfig
    draws: CustomerDraws
    report: Callable[[tuple[object, ...]], None]
    """Hands a fact (:mod:`peakend.engine.facts`) to the recorder."""
    next_contact: Callable[[], int]
    """Number of the next contact of the replication (0, 1, 2, ...)."""
    patience_samplers: Sequence[tuple[str, Sampler]]
    """``(segment name, sampler)`` per segment, for patience on later contacts."""
    retry_delay_samplers: Sequence[tuple[str, Sampler]]
    recontact_delay_samplers: Sequence[tuple[str, Sampler]]
    patience_scale: np.ndarray
    """Per customer: its channel's patience factor."""
    closing: bool
    """Whether a resolved service ends with a farewell or a chance of delight."""
    service_by_segment: Sequence[Sequence[tuple[str, Sampler] | None] | None] = ()
    """Per pool: per segment, its own ``(segment name, sampler)`` of service time
    (``service_time_by_segment``) or None; None for a pool without any (empty: none)."""

    def patience(self, customer: int, contact: int) -> float:
        """Patience of ``customer`` on its contact number ``contact`` (0 = first)."""
        return self.draws.by_group(
            "patience", contact, "segment", self.patience_samplers, self.patience_scale
        )[customer]

    def work(self, pool: PoolBase, customer: int, contact: int) -> float:
        """Minutes of work of ``customer``'s contact ``contact`` at ``pool`` (before the
        pool's ``service_time_factor``, which applies when the service starts)."""
        return self.work_column(pool, contact)[customer]

    def work_column(self, pool: PoolBase, contact: int) -> list[float]:
        """Work of every customer's contact ``contact`` at ``pool``: the service time of the
        customer's segment at the pool (``service_time_by_segment``), else the pool's."""
        name, sampler = f"service:{pool.name}", pool.config.service_time.sample
        overrides = self.service_by_segment[pool.index] if self.service_by_segment else None
        if overrides is None:
            return self.draws.column(name, contact, sampler)
        return self.draws.with_group_overrides(name, contact, "segment", sampler, overrides)

    def retry_delay(self, customer: int, contact: int) -> float:
        return self.draws.by_group("retry-delay", contact, "segment", self.retry_delay_samplers)[
            customer
        ]

    def recontact_delay(self, customer: int, contact: int) -> float:
        return self.draws.by_group(
            "recontact-delay", contact, "segment", self.recontact_delay_samplers
        )[customer]

    def callback_delay(self, customer: int, contact: int) -> float:
        return self.draws.column("callback-delay", contact, self.recovery.callback_delay.sample)[
            customer
        ]

    def route(
        self, customer: int, stages: Sequence[PoolBase], odds: Sequence[float]
    ) -> tuple[PoolBase, ...]:
        """The stages ``customer`` visits: the entry pool, then each stage ``i`` with its
        probability, decided by the customer's own draw for stage ``i``."""
        uniform = self.draws.uniform
        return (
            stages[0],
            *(
                pool
                for i, (pool, odd) in enumerate(zip(stages[1:], odds, strict=True))
                if odd >= 1 or uniform("stage", i)[customer] < odd
            ),
        )

    def chance(self, decision: str, customer: int, contact: int) -> float:
        """The uniform draw of ``decision`` ("resolution", "retry", ...) for this contact."""
        return self.draws.uniform(decision, contact)[customer]


def segment_rules(scenario: Scenario) -> list[SegmentRules]:
    """The rules of each segment, in the scenario's segment order."""
    return [
        SegmentRules(
            s.retry_probability, s.recontact_probability, s.max_contacts, s.priority, s.ivr, name
        )
        for name, s in scenario.segments.items()
    ]
