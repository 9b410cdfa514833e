"""One replication of a scenario: build the SimPy world, run it, collect records.

:func:`simulate` is a pure function of (scenario, replication number): it owns
its random streams, so replications can run in any order, in any process, and
give the same numbers byte for byte.

A replication wires the parts together: pools (:mod:`peakend.engine.staffing`),
the customers' draws (:class:`~peakend.engine.streams.CustomerDraws`), the
journeys (:mod:`peakend.engine.journey`) reading a
:class:`~peakend.engine.context.JourneyContext` and reporting facts to a
:class:`~peakend.engine.recorder.Recorder`, and, with the experience model on,
the memory of it all (:mod:`peakend.experience`). ``engine="reference"`` runs
the same journeys on plain :class:`simpy.Process` and the
:class:`~peakend.engine.reference.ReferencePool`: slower, only SimPy's public
API, and required by the tests to give identical records.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import simpy
from simpy.events import NORMAL, Event, Timeout

from peakend.config.schema import Scenario
from peakend.engine import recorder
from peakend.engine.acts.after import steps_of
from peakend.engine.acts.routing import wire_overflow
from peakend.engine.arrivals import ArrivalPlan, plan_arrivals
from peakend.engine.chat import ChatPool
from peakend.engine.context import (
    JourneyContext,
    announcements_of,
    decisions_of,
    policies_of,
    routes_of,
    world_of,
)
from peakend.engine.driver import process_starter, start_journey
from peakend.engine.express import express
from peakend.engine.facts import price_keys
from peakend.engine.journey import journey
from peakend.engine.persons import persons_of
from peakend.engine.recorder import Customers, FactLog, Recorder
from peakend.engine.records import ContactTable, CustomerTable
from peakend.engine.reference import ChatReferencePool, ReferencePool
from peakend.engine.staffing import AgentStreams, Pool, PoolBase
from peakend.engine.streams import CustomerDraws, RandomStreams
from peakend.experience.memory import memory_model_from_spec, summarize
from peakend.experience.moments import References, experience_of
from peakend.experience.trace import Traces

__all__ = [
    "BlockRun",
    "ContactTable",
    "CustomerTable",
    "Engine",
    "RecordBlock",
    "Replication",
    "ReplicationOutput",
    "simulate",
]
# ContactTable and CustomerTable (peakend.engine.records) are the tables a replication
# makes, named here for the layers above the engine (peakend.runs.simulate).

Engine = Literal["fast", "reference"]


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication produced: flat per-contact and per-customer tables."""

    replication: int
    contacts: ContactTable
    customers: CustomerTable
    traces: Traces | None
    """Moment-utility traces of all customers (None with the experience model off)."""
    facts: FactLog
    busy_minutes: float
    available_minutes: float
    capacity_log: dict[str, list[tuple[float, int]]]
    end_time: float


class Replication:
    """The SimPy world of one replication (environment, pools, draws, recorder)."""

    def __init__(
        self,
        scenario: Scenario,
        replication: int = 0,
        *,
        stream_prefix: str = "",
        team_prefix: str | None = None,
        arrivals: ArrivalPlan | None = None,
        references: References | None = None,
        engine: Engine = "fast",
        day: int = 0,
    ) -> None:
        """``arrivals`` and ``references`` replace the drawn arrivals and the segment/channel
        reference points (a multi-period run brings its own identified customers).
        ``team_prefix`` prefixes the streams of the agents' lasting traits (default:
        ``stream_prefix``); a multi-period run gives every day the same one, so the
        same people work every day. ``day`` is the day of the run (0, 1, ...; a
        multi-period run's ``period * days_per_period + day``): it picks each pool's
        roster (``staffing_by_day``, :meth:`Scenario.roster`)."""
        if engine not in ("fast", "reference"):
            raise ValueError(f"engine must be 'fast' or 'reference', got {engine!r}")
        self.scenario = scenario
        self.replication = replication
        self.engine = engine
        self.day = day
        self.streams = RandomStreams(scenario.run.seed, replication, stream_prefix)
        team = stream_prefix if team_prefix is None else team_prefix
        self.agent_streams = AgentStreams(
            RandomStreams(scenario.run.seed, replication, team), self.streams
        )
        self.given_arrivals = arrivals
        self.given_references = references
        self.env = simpy.Environment()
        self.horizon = scenario.horizon_minutes
        self.pools = self._build_pools()
        wire_overflow(scenario, self.pools)
        self.routes = routes_of(scenario, self.pools)
        self.recorder = Recorder()

    def _build_pools(self) -> list[PoolBase]:
        fast = self.engine == "fast"
        window = (self.scenario.run.warmup_minutes, self.horizon)
        # One reference implementation for phone and chat pools, over each kind's books.
        kinds: dict[bool, type[PoolBase]] = {
            False: Pool if fast else ReferencePool,
            True: ChatPool if fast else ChatReferencePool,
        }
        return [
            kinds[cfg.concurrency is not None](
                self.env,
                index,
                name,
                cfg,
                self.scenario.arrivals.interval_minutes,
                self.agent_streams,
                window,
                self.scenario.roster(name, self.day),
            )
            for index, (name, cfg) in enumerate(self.scenario.pools.items())
        ]

    # -- customers ------------------------------------------------------------

    def plan(self) -> tuple[ArrivalPlan, np.ndarray, np.ndarray, np.ndarray]:
        """Arrivals plus each customer's channel, first-contact patience and work content."""
        decisions = self.context().decisions
        plan = self.arrivals
        entry = np.array(
            [
                [self.routes.entry(channel, segment).index for segment in range(len(row))]
                for channel, row in enumerate(self.routes.stages)
            ]
        )
        entry_index = entry[self.channel, plan.segment]
        work = np.zeros(len(plan))
        for pool in self.pools:
            mask = entry_index == pool.index
            if mask.any():
                work[mask] = np.asarray(decisions.work_column(pool, 0))[mask]
        patience = np.asarray(
            decisions.draws.by_group(
                "patience", 0, "segment", decisions.patience_samplers, decisions.patience_scale
            )
        )
        return plan, self.channel, patience, work

    @property
    def arrivals(self) -> ArrivalPlan:
        plan = getattr(self, "_arrivals", None)
        if plan is None:
            sc = self.scenario
            if self.given_arrivals is not None:
                plan = self.given_arrivals
            elif sc.arrivals.times:
                plan = replayed_arrivals(sc, self.streams)
            else:
                plan = plan_arrivals(
                    sc.arrivals.rate_per_hour,
                    sc.arrivals.interval_minutes,
                    [seg.share for seg in sc.segments.values()],
                    self.streams.generator("arrivals"),
                    self.streams.generator("segments"),
                )
            self._arrivals = plan
        return plan

    @property
    def channel(self) -> np.ndarray:
        plan = self.arrivals
        if plan.channel is not None:
            return plan.channel
        channel = getattr(self, "_channel", None)
        if channel is None:
            shares = [c.share for c in self.scenario.channels.values()]
            channel = self._channel = choose(shares, self.streams.generator("channels"), len(plan))
        return channel

    def context(self) -> JourneyContext:
        """The journeys' view of this replication (built once, from its small parts)."""
        existing = getattr(self, "_context", None)
        if existing is not None:
            return existing
        sc = self.scenario
        plan = self.arrivals
        draws = CustomerDraws(self.streams, len(plan), {"segment": plan.segment})
        context = self._context = JourneyContext(
            world=world_of(self.env, self.horizon, self.recorder.report),
            routes=self.routes,
            decisions=decisions_of(sc, draws, self.channel),
            announcements=announcements_of(sc),
            policies=policies_of(sc),
            steps=steps_of(sc),
        )
        return context

    def admit(
        self, plan: ArrivalPlan, channel: np.ndarray, patience: np.ndarray, work: np.ndarray
    ) -> None:
        """Schedule the arrivals: each arrival's event starts its journey and books the next.

        Chaining keeps one pending arrival event at a time, so the event heap stays
        small, and costs one pass through the event queue per customer: one event
        (a timeout, already processed when the next arrival is booked) is scheduled
        again for each arrival rather than a new one built, with
        :meth:`simpy.Environment.schedule` as a timeout would be. The arrivals' values
        become Python objects a block at a time (:func:`arrival_rows`), and every
        ``_SPILL_EVERY + 1`` arrivals the recorder files its facts into typed chunks
        (:meth:`~peakend.engine.recorder.Recorder.spill`): the run's Python objects
        grow with the customers in the system, not with all customers of the day.
        """
        env = self.env
        context = self.context()
        fast = self.engine == "fast"
        start = start_journey if fast else process_starter(env)
        lane = express(context) if fast else functools.partial(journey, context)
        arrivals = enumerate(arrival_rows(plan.times, plan.segment, channel, patience, work))
        pending = next(arrivals, None)
        spill = self.recorder.spill
        clock: Timeout | None = None
        """The arrivals' one event, scheduled again for each next arrival once processed."""

        def arrive(_event: Event | None = None) -> None:
            nonlocal pending, clock
            now = env.now
            while pending is not None:
                i, (t, seg, chan, p, w) = pending
                if t > now:
                    if clock is None:
                        clock = env.timeout(t - now)
                    else:  # processed (its callbacks gone): as good as a new timeout
                        env.schedule(clock, NORMAL, t - now)
                    clock.callbacks = [arrive]
                    return
                start(lane(i, seg, chan, p, w))
                if not i & _SPILL_EVERY:  # facts into typed chunks as the run goes
                    spill()
                pending = next(arrivals, None)

        arrive()

    # -- running --------------------------------------------------------------

    def run(self) -> ReplicationOutput:
        """Run the replication to the horizon (and drain, if configured).

        Python's cyclic garbage collector is paused while the replication runs: the
        run allocates many small fact tuples (up to
        :data:`~peakend.engine.recorder.SPILL_FACTS` at once before they are filed)
        and journeys, and the collector would scan them again and again without ever
        finding garbage among them. The previous state is
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
        ended = self._simulate()
        log, contacts, customers = self.recorder.close(*ended.closing)
        traces = None
        if self.scenario.experience.enabled:
            customers, traces = remember(
                customers, contacts, log, self.scenario, ended.references()
            )
        return ReplicationOutput(
            replication=self.replication,
            contacts=contacts,
            customers=customers,
            traces=traces,
            facts=log,
            busy_minutes=ended.busy,
            available_minutes=ended.available,
            capacity_log=ended.capacity_log,
            end_time=log.end,
        )

    def run_blocks(self, block: int | None = None) -> BlockRun:
        """Run the replication as :meth:`run` does, and make its records a block of
        ``block`` customers at a time (:meth:`BlockRun.blocks`; default
        :data:`~peakend.engine.recorder.CUSTOMER_BLOCK`).

        The blocks laid end to end hold :meth:`run`'s records, traces and memories
        bit for bit (each customer's depend on that customer's facts alone); no more
        than one block's tables and traces are held at once.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            ended = self._simulate()
        finally:
            if collecting:
                gc.enable()
        return BlockRun(self, ended, block)

    def _simulate(self) -> _Ended:
        plan, channel, patience, work = self.plan()
        if len(plan) > recorder.CUSTOMER_BLOCK:
            return_freed_memory()
        env = self.env
        scenario = self.scenario
        for pool in self.pools:
            env.process(pool.schedule(scenario.intervals))
        self.admit(plan, channel, patience, work)
        del patience, work
        if scenario.run.drain:
            env.run()
        else:
            env.run(until=self.horizon)
        # The journeys still open at the end never resume: their draws can go.
        self.context().decisions.draws.release()
        in_service = [row for pool in self.pools for row in pool.in_service()]
        for pool in self.pools:
            pool.close(max(env.now, self.horizon))
        busy = sum(pool.busy_minutes for pool in self.pools)
        idle = sum(pool.idle_minutes for pool in self.pools)
        closing = (
            Customers(plan.times, plan.segment, channel, plan.persons),
            self.horizon,
            scenario.run.drain,
            prices(scenario),
            {
                "segment": list(scenario.segments),
                "channel": list(scenario.channels),
                "pool": list(scenario.pools),
            },
            in_service,
        )
        return _Ended(
            scenario,
            self.given_references,
            plan,
            channel,
            closing,
            busy,
            busy + idle,
            {pool.name: pool.capacity_log for pool in self.pools},
        )


@dataclass(frozen=True)
class _Ended:
    """A replication whose simulation is over and whose records are still to be made."""

    scenario: Scenario
    given_references: References | None
    plan: ArrivalPlan
    channel: np.ndarray
    closing: tuple[Any, ...]
    """The arguments of :meth:`Recorder.close` and :meth:`Recorder.close_blocks`."""
    busy: float
    available: float
    capacity_log: dict[str, list[tuple[float, int]]]

    def references(self) -> References:
        """Each customer's reference points (the scenario's, or those given)."""
        if self.given_references is not None:
            return self.given_references
        plan = self.plan
        first = slice(None) if plan.persons is None else plan.persons.first_arrival
        return References.of(self.scenario, self.channel[first], plan.segment[first])


@dataclass(frozen=True)
class RecordBlock:
    """The records of one block of customers, numbered as in the whole run."""

    first: int
    """The run's number of the block's first customer."""
    contacts: ContactTable
    customers: CustomerTable
    traces: Traces | None
    """The block's customers' traces, owners numbered from 0 within the block."""


class BlockRun:
    """A finished simulation whose records are made a block of customers at a time."""

    def __init__(self, replication: Replication, ended: _Ended, block: int | None) -> None:
        self.replication = replication.replication
        self.busy_minutes = ended.busy
        self.available_minutes = ended.available
        self.capacity_log = ended.capacity_log
        self.customer_count = _customer_count(ended.plan)
        """Customers of the run (persons, in a replay with customer ids)."""
        self._recorder = replication.recorder
        self._scenario = replication.scenario
        self._ended: _Ended | None = ended
        self._block = block
        self.end_time = math.nan
        """When the run ended, minutes (known once the first block is made)."""

    def blocks(self) -> Iterator[RecordBlock]:
        """The records, a block of customers at a time, in customer order (once only)."""
        ended, self._ended = self._ended, None
        if ended is None:
            raise RuntimeError("a replication's blocks can be made once only")
        references = ended.references() if self._scenario.experience.enabled else None
        for block in self._recorder.close_blocks(*ended.closing, block=self._block):
            self.end_time = block.log.end
            customers, traces = block.customers, None
            if references is not None:
                stop = block.first + len(customers)
                customers, traces = remember(
                    customers,
                    block.contacts,
                    block.log,
                    self._scenario,
                    references.slice(block.first, stop),
                )
            made = RecordBlock(
                block.first, block.numbered(block.contacts), block.numbered(customers), traces
            )
            # Nothing of this block held here while the next one is made.
            del block, customers, traces
            yield made
            del made


def _customer_count(plan: ArrivalPlan) -> int:
    return len(plan.times) if plan.persons is None else len(plan.persons.first_arrival)


_MMAP_THRESHOLD = 128 * 1024
"""glibc's own initial threshold above which an allocation gets pages of its own."""
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
_allocator_tuned = False


def return_freed_memory() -> None:
    """Fix glibc's mmap threshold at 128 KiB for this process (once; elsewhere nothing).

    glibc raises the threshold to the size of each large block freed (up to 32 MiB),
    so after a replication frees its first chunks of facts, later arrays of up to that
    size come from the heap, whose freed holes the process keeps: the peak resident set
    grows by what the run freed rather than what it holds. A fixed threshold turns
    that adjustment off and every array above 128 KiB goes back to the system when
    freed (measured with ``MALLOC_MMAP_THRESHOLD_``, its environment form, on 3 million
    customers: a peak of 766 MB down to 597 MB). Called for replications of more than
    one block of customers, where it matters; small ones leave the allocator alone.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return
    _allocator_tuned = True
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        return


_SPILL_EVERY = 1023  # a power of two less one: ``i & _SPILL_EVERY`` is 0 every 1024 arrivals
_ROW_BLOCK = 1 << 14


def arrival_rows(*columns: np.ndarray) -> Iterator[tuple[Any, ...]]:
    """The rows of equally long columns as tuples of Python numbers, made a block of
    :data:`_ROW_BLOCK` rows at a time (the same numbers as ``zip(*(c.tolist() ...))``
    without holding every row as Python objects at once)."""
    size = len(columns[0])
    if any(len(column) != size for column in columns):
        raise ValueError("arrival columns differ in length")
    for start in range(0, size, _ROW_BLOCK):
        yield from zip(
            *(column[start : start + _ROW_BLOCK].tolist() for column in columns), strict=True
        )


def choose(shares: list[float], rng: np.random.Generator, n: int) -> np.ndarray:
    """Category index of ``n`` draws with the given shares."""
    cumulative = np.cumsum(shares)
    picks = np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")
    return np.minimum(picks, len(shares) - 1)


def replayed_arrivals(scenario: Scenario, streams: RandomStreams) -> ArrivalPlan:
    """The arrivals of a replay: exactly the given times (of ``run.start_date``'s day, in a
    replay of several days); segments as given, else drawn.

    With customer ids (``times_customer``) the arrivals of one id are one person
    (:mod:`peakend.engine.persons`); a person's segment, when drawn, and channel are
    drawn once, for its first arrival, and hold for all of its arrivals.
    """
    arrivals = scenario.arrivals
    rows = scenario.replayed_rows()
    times = np.asarray(arrivals.times[rows.start : rows.stop], dtype=float)
    persons = None
    if arrivals.times_customer:
        persons = persons_of(arrivals.times_customer[rows.start : rows.stop])
    if arrivals.times_segment:
        index = {name: i for i, name in enumerate(scenario.segments)}
        segment = np.array([index[name] for name in arrivals.times_segment[rows.start : rows.stop]])
    else:
        shares = [s.share for s in scenario.segments.values()]
        drawn = choose(
            shares, streams.generator("segments"), len(times) if persons is None else len(persons)
        )
        segment = drawn if persons is None else drawn[persons.of_arrival]
    channel = None
    if persons is not None:
        shares = [c.share for c in scenario.channels.values()]
        channel = choose(shares, streams.generator("channels"), len(persons))[persons.of_arrival]
    return ArrivalPlan(times=times, segment=segment, channel=channel, persons=persons)


def remember(
    customers: CustomerTable,
    contacts: ContactTable,
    log: FactLog,
    scenario: Scenario,
    references: References,
) -> tuple[CustomerTable, Traces]:
    """Each customer's experience of the journey, and the memory of it, added to the table."""
    config = scenario.experience
    experience = experience_of(contacts, log, references, config)
    traces = experience.traces
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
        service_quality=experience.service_quality,
    )
    return table, traces


def prices(scenario: Scenario) -> dict[str, float]:
    """The money of each scenario key that prices a kind of fact
    (:func:`~peakend.engine.facts.price_keys`), read from ``scenario``."""
    found = {}
    for key in price_keys():
        value: object = scenario
        for part in key.split("."):
            value = getattr(value, part)
        found[key] = float(value)  # type: ignore[arg-type]
    return found


def simulate(
    scenario: Scenario, replication: int = 0, engine: Engine = "fast"
) -> ReplicationOutput:
    """Run replication ``replication`` of ``scenario`` and return its records."""
    return Replication(scenario, replication, engine=engine).run()
