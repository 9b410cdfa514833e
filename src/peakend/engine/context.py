"""What a journey may read and what it may call: the narrow journey context, in parts.

A journey reads the pools (to queue and be served), its segment's rules, the
recovery and service policies, and its own customer's decision draws; it may
call exactly one thing, ``world.report(fact)``. Nothing else of the replication
is in reach, so a journey cannot write counters, records or utilities anywhere.

The context is a handful of small immutable parts, each built by a small
factory from the scenario (and the replication's pools and draws):

- :class:`World` (:func:`world_of`): the clock, the end of the arrival window,
  where facts go and the numbering of contacts;
- :class:`Routes` (:func:`routes_of`): the pools, and each segment's route
  through them by channel;
- :class:`Decisions` (:func:`decisions_of`): every customer's draws for every
  contact (patience, work, delays, uniform chances);
- :class:`Announcements` (:func:`announcements_of`): per channel, whether the
  expected wait is announced and what customers do with it (balking, virtual
  hold);
- :class:`Policies` (:func:`policies_of`): the segments' rules and the recovery
  and service policies;
- :class:`~peakend.engine.acts.after.Steps`: the after-service act's steps this
  scenario uses (built by :func:`peakend.engine.acts.after.steps_of`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
from peakend.engine.staffing import QueueingPool
from peakend.engine.streams import Column, CustomerDraws, Sampler

if TYPE_CHECKING:
    from peakend.engine.acts.after import Steps

__all__ = [
    "Announcements",
    "Decisions",
    "JourneyContext",
    "Policies",
    "Routes",
    "SegmentRules",
    "World",
    "announcements_of",
    "decisions_of",
    "policies_of",
    "routes_of",
    "segment_rules",
    "world_of",
]


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
class World:
    """The simulation a journey runs in, and the one thing it may call."""

    env: simpy.Environment
    horizon: float
    """End of the arrival window, minutes: nothing is scheduled at or after it."""
    report: Callable[[tuple[object, ...]], None]
    """Hands a fact (:mod:`peakend.engine.facts`) to the recorder."""
    next_contact: Callable[[], int]
    """Number of the next contact of the replication (0, 1, 2, ...)."""


@dataclass(frozen=True, slots=True)
class Routes:
    """Where contacts go: the pools, and each segment's route through them by channel."""

    pools: Sequence[QueueingPool]
    by_name: Mapping[str, QueueingPool]
    stages: Sequence[Sequence[tuple[QueueingPool, ...]]]
    """``stages[channel][segment]``: the entry pool and then the segment's stages."""
    stage_odds: Sequence[Sequence[float]]
    """Per segment: the probability of visiting each stage after the entry pool (empty:
    every customer visits every stage)."""

    def entry(self, channel: int, segment: int) -> QueueingPool:
        """The pool that takes a first contact of ``segment`` on ``channel``."""
        return self.stages[channel][segment][0]

    def route(
        self, draws: CustomerDraws, customer: int, segment: int, channel: int
    ) -> tuple[QueueingPool, ...]:
        """The stages ``customer`` visits: the entry pool, then each stage ``i`` with its
        probability, decided by the customer's own draw for stage ``i``."""
        stages = self.stages[channel][segment]
        odds = self.stage_odds[segment]
        if not odds:  # every customer visits every stage
            return stages
        uniform = draws.uniform
        return (
            stages[0],
            *(
                pool
                for i, (pool, odd) in enumerate(zip(stages[1:], odds, strict=True))
                if odd >= 1 or uniform("stage", i)[customer] < odd
            ),
        )


@dataclass(frozen=True, slots=True)
class Decisions:
    """Every customer's draws, by decision and contact number (0 = first)."""

    draws: CustomerDraws
    patience_samplers: Sequence[tuple[str, Sampler]]
    """``(segment name, sampler)`` per segment, for patience on later contacts."""
    retry_delay_samplers: Sequence[tuple[str, Sampler]]
    recontact_delay_samplers: Sequence[tuple[str, Sampler]]
    callback_delay_sampler: Sampler
    patience_scale: np.ndarray
    """Per customer: its channel's patience factor."""
    service_by_segment: Sequence[Sequence[tuple[str, Sampler] | None] | None] = ()
    """Per pool: per segment, its own ``(segment name, sampler)`` of service time
    (``service_time_by_segment``) or None; None for a pool without any (empty: none)."""

    def patience(self, customer: int, contact: int) -> float:
        """Patience of ``customer`` on its contact number ``contact``, minutes."""
        return self.draws.by_group(
            "patience", contact, "segment", self.patience_samplers, self.patience_scale
        )[customer]

    def work(self, pool: QueueingPool, customer: int, contact: int) -> float:
        """Minutes of work of ``customer``'s contact ``contact`` at ``pool`` (before the
        pool's ``service_time_factor``, which applies when the service starts)."""
        return self.work_column(pool, contact)[customer]

    def work_column(self, pool: QueueingPool, contact: int) -> Column:
        """Work of every customer's contact ``contact`` at ``pool``: the service time of the
        customer's segment at the pool (``service_time_by_segment``), else the pool's."""
        name, sampler = f"service:{pool.name}", pool.config.service_time.sample
        overrides = self.service_by_segment[pool.index] if self.service_by_segment else None
        if overrides is None:
            return self.draws.column(name, contact, sampler)
        return self.draws.with_group_overrides(name, contact, "segment", sampler, overrides)

    def retry_delay(self, customer: int, contact: int) -> float:
        """Minutes from giving up on contact ``contact`` to the retry."""
        return self.draws.by_group("retry-delay", contact, "segment", self.retry_delay_samplers)[
            customer
        ]

    def recontact_delay(self, customer: int, contact: int) -> float:
        """Minutes from contact ``contact`` to finding a hidden defect, or to contacting again."""
        return self.draws.by_group(
            "recontact-delay", contact, "segment", self.recontact_delay_samplers
        )[customer]

    def callback_delay(self, customer: int, contact: int) -> float:
        """Minutes from the promise of a callback after contact ``contact`` to the call."""
        return self.draws.column("callback-delay", contact, self.callback_delay_sampler)[customer]

    def chance(self, decision: str, customer: int, contact: int) -> float:
        """The uniform draw of ``decision`` ("resolution", "retry", ...) for this contact."""
        return self.draws.uniform(decision, contact)[customer]


@dataclass(frozen=True, slots=True)
class Announcements:
    """Per channel: whether the expected wait is announced, and what customers do with it."""

    announces: Sequence[bool]
    """Whether the expected wait is announced (for balking or a virtual hold)."""
    holds: Sequence[VirtualHoldConfig]
    balking: Sequence[BalkingConfig]


@dataclass(frozen=True, slots=True)
class Policies:
    """How segments behave and what the company does: the rules the acts apply."""

    segments: Sequence[SegmentRules]
    recovery: RecoveryConfig
    service: ServicePolicyConfig


@dataclass(frozen=True, slots=True)
class JourneyContext:
    """Everything a journey may use (read-only), in parts; ``world.report`` for its facts."""

    world: World
    routes: Routes
    decisions: Decisions
    announcements: Announcements
    policies: Policies
    steps: Steps
    """The after-service act's steps for this scenario."""


def world_of(
    env: simpy.Environment, horizon: float, report: Callable[[tuple[object, ...]], None]
) -> World:
    """The journeys' world: contacts numbered from 0 in the order they queue."""
    return World(env, horizon, report, itertools.count().__next__)


def routes_of(scenario: Scenario, pools: Sequence[QueueingPool]) -> Routes:
    """Each segment's route by channel: its entry pool for the channel, then its stages."""
    by_name = {pool.name: pool for pool in pools}
    stages = tuple(
        tuple(
            (
                by_name[scenario.entry_pool(segment, channel)],
                *(by_name[name] for name, _ in config.stage_rules),
            )
            for segment, config in scenario.segments.items()
        )
        for channel in scenario.channels
    )
    odds = tuple(
        tuple(p for _, p in config.stage_rules) if any(p < 1 for _, p in config.stage_rules) else ()
        for config in scenario.segments.values()
    )
    return Routes(tuple(pools), by_name, stages, odds)


def decisions_of(scenario: Scenario, draws: CustomerDraws, channel: np.ndarray) -> Decisions:
    """The customers' decisions; ``channel`` is each customer's channel index."""
    segments = scenario.segments.values()
    names = list(scenario.segments)
    factors = np.array([c.patience_factor for c in scenario.channels.values()])
    return Decisions(
        draws=draws,
        patience_samplers=tuple(zip(names, (s.patience.sample for s in segments), strict=True)),
        retry_delay_samplers=tuple(
            zip(names, (s.retry_delay.sample for s in segments), strict=True)
        ),
        recontact_delay_samplers=tuple(
            zip(names, (s.recontact_delay.sample for s in segments), strict=True)
        ),
        callback_delay_sampler=scenario.recovery.callback_delay.sample,
        patience_scale=factors[channel],
        service_by_segment=tuple(
            tuple(
                (name, pool.service_time_by_segment[name].sample)
                if name in pool.service_time_by_segment
                else None
                for name in scenario.segments
            )
            if pool.service_time_by_segment
            else None
            for pool in scenario.pools.values()
        ),
    )


def announcements_of(scenario: Scenario) -> Announcements:
    """What each channel announces, and the balking and virtual-hold rules that use it."""
    channels = scenario.channels.values()
    return Announcements(
        announces=tuple(c.virtual_hold.enabled or c.balking.enabled for c in channels),
        holds=tuple(c.virtual_hold for c in channels),
        balking=tuple(c.balking for c in channels),
    )


def policies_of(scenario: Scenario) -> Policies:
    """The segments' rules, in the scenario's segment order, and the company's policies."""
    return Policies(tuple(segment_rules(scenario)), scenario.recovery, scenario.service)


def segment_rules(scenario: Scenario) -> list[SegmentRules]:
    """The rules of each segment, in the scenario's segment order."""
    return [
        SegmentRules(
            s.retry_probability, s.recontact_probability, s.max_contacts, s.priority, s.ivr, name
        )
        for name, s in scenario.segments.items()
    ]
