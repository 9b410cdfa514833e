"""One replication of a scenario: build the SimPy world, run it, collect records.

:func:`simulate` is a pure function of (scenario, replication number): it owns
its random streams, so replications can run in any order, in any process, and
give the same numbers byte for byte.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from simpy.events import Event

from peakend.config.schema import ExperienceConfig, Scenario, SegmentConfig
from peakend.engine.arrivals import ArrivalPlan, plan_arrivals
from peakend.engine.driver import start_journey
from peakend.engine.journey import Customer, Outcome, journey
from peakend.engine.records import ContactTable, CustomerTable
from peakend.engine.staffing import Agent, Pool
from peakend.engine.streams import RandomStreams
from peakend.experience.memory import memory_model_from_spec, summarize
from peakend.experience.moments import (
    EPISODE_DTYPE,
    References,
    episodes_to_traces,
    service_quality_of,
)
from peakend.experience.trace import EpisodeKind, Traces

__all__ = ["Replication", "ReplicationOutput", "simulate"]


@dataclass(frozen=True)
class SegmentRuntime:
    """A segment's parameters plus its block random streams, for the hot path."""

    name: str
    config: SegmentConfig
    retry_probability: float
    recontact_probability: float
    max_contacts: int
    retry_draw: Callable[[], float]
    retry_delay: Callable[[], float]
    recontact_draw: Callable[[], float]
    recontact_delay: Callable[[], float]
    patience_draw: Callable[[], float]


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication produced: flat per-contact and per-customer tables."""

    replication: int
    contacts: ContactTable
    customers: CustomerTable
    traces: Traces | None
    """Moment-utility traces of all customers (None with the experience model off)."""
    busy_minutes: float
    available_minutes: float
    capacity_log: dict[str, list[tuple[float, int]]]
    end_time: float


class Replication:
    """The SimPy world of one replication (environment, pools, streams, recorder)."""

    def __init__(
        self,
        scenario: Scenario,
        replication: int = 0,
        *,
        stream_prefix: str = "",
        arrivals: ArrivalPlan | None = None,
        references: References | None = None,
    ) -> None:
        """``arrivals`` and ``references`` replace the drawn arrivals and the segment/channel
        reference points (a multi-period run brings its own identified customers)."""
        self.scenario = scenario
        self.replication = replication
        self.streams = RandomStreams(scenario.run.seed, replication, stream_prefix)
        self.given_arrivals = arrivals
        self.given_references = references
        self.env = simpy.Environment()
        self.horizon = scenario.horizon_minutes
        self.window = (scenario.run.warmup_minutes, self.horizon)
        self.pools = self._build_pools()
        self.pool_by_name = {pool.name: pool for pool in self.pools}
        self.segments = [
            self._segment_runtime(name, cfg) for name, cfg in scenario.segments.items()
        ]
        self.channels = list(scenario.channels.values())
        self.entry_pool = [
            [
                self.pool_by_name[scenario.entry_pool(segment, channel)]
                for segment in scenario.segments
            ]
            for channel in scenario.channels
        ]
        self.experience = scenario.experience
        streams = self.streams
        self.resolution_draw = streams.uniforms("resolution")
        self.late_notice_draw = streams.uniforms("late-notice")
        self.delight_draw = streams.uniforms("delight")
        self.callback_delay = streams.block(
            "callback-delay", scenario.recovery.callback_delay.sample
        )
        self.contacts = ContactTable.builder()
        self.customers = CustomerTable.builder()
        self.episodes: list[tuple[int, int, float, float, float, float]] = []
        self.emit = self.episodes.append if self.experience.enabled else None
        self.closing = scenario.service.farewell or scenario.service.delight_probability > 0
        self.active: dict[int, Customer] = {}

    def _build_pools(self) -> list[Pool]:
        pools: list[Pool] = []
        for name, cfg in self.scenario.pools.items():
            pool = Pool(
                self.env,
                len(pools),
                name,
                cfg,
                self.scenario.arrivals.interval_minutes,
                self.streams.generator(f"agents:{name}"),
                self.window,
            )
            pool.work_draw = self.streams.block(f"service-extra:{name}", cfg.service_time.sample)
            pools.append(pool)
        return pools

    def _segment_runtime(self, name: str, cfg: SegmentConfig) -> SegmentRuntime:
        s = self.streams
        return SegmentRuntime(
            name=name,
            config=cfg,
            retry_probability=cfg.retry_probability,
            recontact_probability=cfg.recontact_probability,
            max_contacts=cfg.max_contacts,
            retry_draw=s.uniforms(f"retry:{name}"),
            retry_delay=s.block(f"retry-delay:{name}", cfg.retry_delay.sample),
            recontact_draw=s.uniforms(f"recontact:{name}"),
            recontact_delay=s.block(f"recontact-delay:{name}", cfg.recontact_delay.sample),
            patience_draw=s.block(f"patience-extra:{name}", cfg.patience.sample),
        )

    # -- customers ------------------------------------------------------------

    def plan(self) -> tuple[ArrivalPlan, np.ndarray, np.ndarray, np.ndarray]:
        """Arrivals plus each customer's channel, first-contact patience and work content."""
        sc = self.scenario
        plan = self.given_arrivals or plan_arrivals(
            sc.arrivals.rate_per_hour,
            sc.arrivals.interval_minutes,
            [seg.share for seg in sc.segments.values()],
            self.streams.generator("arrivals"),
            self.streams.generator("segments"),
        )
        n = len(plan)
        channel = (
            plan.channel
            if plan.channel is not None
            else choose(
                [c.share for c in sc.channels.values()], self.streams.generator("channels"), n
            )
        )
        patience = np.empty(n)
        work = np.empty(n)
        # Each segment/pool draws for every customer index, so a customer's numbers
        # do not depend on the segments of the customers before it.
        for k, seg in enumerate(self.segments):
            mask = plan.segment == k
            draws = seg.config.patience.sample(self.streams.generator(f"patience:{seg.name}"), n)
            patience[mask] = draws[mask]
        patience *= np.array([c.patience_factor for c in self.channels])[channel]
        entry = np.array([[pool.index for pool in row] for row in self.entry_pool])
        entry_index = entry[channel, plan.segment]
        for pool in self.pools:
            mask = entry_index == pool.index
            draws = pool.config.service_time.sample(
                self.streams.generator(f"service:{pool.name}"), n
            )
            work[mask] = draws[mask]
        return plan, channel, patience, work

    def admit(
        self, plan: ArrivalPlan, channel: np.ndarray, patience: np.ndarray, work: np.ndarray
    ) -> None:
        """Schedule the arrivals: each arrival's event starts its journey and books the next.

        Chaining keeps one pending arrival event at a time, so the event heap stays
        small, and costs one event per customer.
        """
        env = self.env
        arrivals = iter(
            enumerate(
                zip(
                    plan.times.tolist(),
                    plan.segment.tolist(),
                    channel.tolist(),
                    patience.tolist(),
                    work.tolist(),
                    strict=True,
                )
            )
        )

        pending = next(arrivals, None)

        def arrive(_event: Event | None = None) -> None:
            nonlocal pending
            while pending is not None:
                i, (t, seg, chan, p, w) = pending
                if t > env.now:
                    env.timeout(t - env.now).callbacks.append(arrive)
                    return
                customer = Customer(i, seg, chan, t)
                self.active[i] = customer
                start_journey(journey(self, customer, p, w))
                pending = next(arrivals, None)

        arrive()

    # -- records --------------------------------------------------------------

    def record_contact(
        self,
        customer: Customer,
        pool: Pool,
        arrived: float,
        wait: float,
        agent: Agent | None,
        start: float,
        resolved: bool = False,
    ) -> None:
        """Called by the journey at the end of each contact (served or abandoned)."""
        customer.wait_minutes += wait
        answered = agent is not None
        if agent is not None:
            if not customer.answered_once:
                customer.answered_once = True
                customer.first_resolved = resolved
            customer.agent = agent.index
            customer.service_start = start
            customer.service_end = self.env.now
        self.contacts.append(
            (
                customer.id,
                customer.segment,
                pool.index,
                customer.contacts,
                arrived,
                wait,
                not answered,
                answered,
                start if answered else math.nan,
                self.env.now if answered else math.nan,
                customer.agent if answered else -1,
                resolved,
            )
        )

    def record_customer(self, customer: Customer) -> None:
        """Called once at the end of each journey."""
        del self.active[customer.id]
        self.customers.append(
            (
                customer.id,
                customer.segment,
                customer.channel,
                customer.arrival,
                customer.wait_minutes,
                customer.contacts,
                customer.retries,
                customer.effort,
                customer.transfers,
                customer.failures,
                customer.recoveries,
                customer.recovery_cost,
                customer.extras_cost,
                customer.outcome,
                customer.first_resolved,
                customer.pool.index if customer.pool is not None else -1,
                customer.agent,
                customer.service_start,
                customer.service_end,
            )
        )

    # -- running --------------------------------------------------------------

    def run(self) -> ReplicationOutput:
        """Run the replication to the horizon (and drain, if configured).

        Python's cyclic garbage collector is paused while the replication runs: the
        run allocates hundreds of thousands of small record tuples that live until
        its end, and the collector would scan them again and again (about a third of
        the run time) without ever finding garbage among them. The previous state is
        restored afterwards, also on error.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()

    def _run(self) -> ReplicationOutput:
        plan, channel, patience, work = self.plan()
        env = self.env
        for pool in self.pools:
            env.process(pool.schedule(self.scenario.intervals))
        self.admit(plan, channel, patience, work)
        if self.scenario.run.drain:
            env.run()
        else:
            env.run(until=self.horizon)
        end = env.now
        self._finish_open_journeys(end)
        for pool in self.pools:
            pool.close(end)
        busy = sum(pool.busy_minutes for pool in self.pools)
        idle = sum(pool.idle_minutes for pool in self.pools)
        customers = self.customers.build()
        contacts = self.contacts.build()
        traces = None
        if self.experience.enabled:
            customers, traces = remember(
                customers, self.episodes, self.scenario, self.given_references
            )
        # Drop the row tuples now, while the collector is paused: freed by reference
        # counting, they never reach the cyclic collector.
        self.customers.rows.clear()
        self.contacts.rows.clear()
        self.episodes.clear()
        return ReplicationOutput(
            replication=self.replication,
            contacts=contacts,
            customers=customers,
            traces=traces,
            busy_minutes=busy,
            available_minutes=busy + idle,
            capacity_log={pool.name: pool.capacity_log for pool in self.pools},
            end_time=end,
        )

    def _finish_open_journeys(self, end: float) -> None:
        """Close the journeys of customers still waiting or in service at the end.

        In a drained run nobody is left in service, and a customer still queued has
        no agent coming (the last shift is empty): it abandons when its patience
        runs out, even if that is after the last event.
        """
        give_up_by = float("inf") if self.scenario.run.drain else end
        for customer in list(self.active.values()):
            if customer.queued and customer.pool is not None:
                customer.queued = False
                arrived = customer.contact_arrival
                if math.isfinite(customer.deadline) and customer.deadline <= give_up_by:
                    wait = customer.deadline - arrived
                    self.record_contact(customer, customer.pool, arrived, wait, None, end)
                    customer.outcome = Outcome.ABANDONED
                else:
                    customer.wait_minutes += end - arrived
            self.record_customer(customer)


def choose(shares: list[float], rng: np.random.Generator, n: int) -> np.ndarray:
    """Category index of ``n`` draws with the given shares."""
    cumulative = np.cumsum(shares)
    picks = np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")
    return np.minimum(picks, len(shares) - 1)


def remember(
    customers: CustomerTable,
    episodes: list[tuple[Any, ...]],
    scenario: Scenario,
    references: References | None = None,
) -> tuple[CustomerTable, Traces]:
    """Turn the episodes into traces and add each customer's memory of them to the table."""
    config = scenario.experience
    records = np.array(episodes, dtype=EPISODE_DTYPE)
    references = references or References.of(scenario, customers["channel"], customers["segment"])
    traces = episodes_to_traces(records, references, config)
    summary = summarize(traces)
    remembered = memory_model_from_spec(config.memory).remember(traces)
    table = customers.with_columns(
        remembered_utility=np.asarray(remembered, dtype=float),
        experienced_utility=summary["mean"],
        worst_utility=summary["worst"],
        best_utility=summary["best"],
        end_utility=summary["end"],
        total_utility=summary["total"],
        experienced_minutes=summary["duration"],
        service_quality=mean_service_quality(records, references, config, len(customers)),
    )
    return table, traces  # type: ignore[return-value]


def mean_service_quality(
    records: np.ndarray, references: References, config: ExperienceConfig, n: int
) -> np.ndarray:
    """Each customer's mean perceived service quality (NaN if never served)."""
    services = records[records["kind"] == EpisodeKind.SERVICE]
    quality = service_quality_of(services, references, config)
    total = np.bincount(services["customer"], weights=quality, minlength=n)
    count = np.bincount(services["customer"], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def simulate(scenario: Scenario, replication: int = 0) -> ReplicationOutput:
    """Run replication ``replication`` of ``scenario`` and return its records."""
    return Replication(scenario, replication).run()
