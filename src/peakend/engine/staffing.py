"""Staff pools: agents, shifts, absenteeism and the FCFS queue in front of them.

A pool has a roster of agent slots. Slot ``k`` works in interval ``i`` when
``k < staffing[i]`` and the agent is not absent that day (each rostered agent is
absent all day with probability ``absenteeism``, or with the day's rate of a
day-level absence shock, :func:`day_absence_rate`). At every interval boundary the
pool puts agents on or off shift; an agent whose shift ends while serving
finishes the current customer first.

Slot ``k`` is one person whatever the roster: each attribute (absence, warmth,
skill) has its own named stream whose ``k``-th number is agent ``k``'s
(:class:`AgentStreams`), so a plan with more agents adds people at the end of the
roster and changes no one else. Warmth and skill are lasting traits; absence is
drawn per day.

The pools share that roster logic and one interface (:class:`QueueingPool`): a
journey asks ``take_idle()`` for an agent who is free now, else waits on the
event ``queue_up(deadline, exact)`` (its value: the agent, or None when patience
ran out), and hands the agent back with ``release(agent)``.

- :class:`Pool`, the fast path: its own FCFS queue of :class:`Ticket` events.
  It abandons lazily: a ticket whose patience has run out is dropped when an
  agent next looks at the queue, and its journey then reports the abandonment at
  the ticket's deadline. For a first-come-first-served pool this is exact,
  because nothing else depends on when the abandonment is noticed. A customer
  who must act at the moment it gives up (it will retry) asks for an exact timer
  (``exact=True``). Each contact has its own ticket, so a timer can only ever
  end the contact it was set for. An agent whose customer's journey ends with the
  service (:meth:`Pool.release_last`) hands its next ticket over directly, the
  waiting journey resumed at once instead of through the event queue, when nothing
  else is due at that instant, so that the order of everything stays the queue's
  (:meth:`Ticket.hand_over` sets the ticket's outcome as ``succeed`` does: the one
  place the fast pool sets an event's own fields).
- :class:`~peakend.engine.reference.ReferencePool`, the reference: idle agents
  in a :class:`simpy.FilterStore`, a wait as ``get | timeout``, only SimPy's
  public API; one implementation for phone and chat pools. The tests require it
  to give the same records as the fast pools on the same seeds.

Pools never touch a customer: they hand out agents and keep their own books
(busy and idle agent-minutes inside the statistics window).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import simpy
from simpy.events import Event

from peakend.engine.streams import RandomStreams

if TYPE_CHECKING:
    from peakend.config.schema import PoolConfig

__all__ = [
    "Agent",
    "AgentStreams",
    "Pool",
    "PoolBase",
    "QueueingPool",
    "Ticket",
    "day_absence_rate",
    "present_agents",
]


class Agent:
    """One member of staff with attributes drawn once per replication."""

    __slots__ = (
        "busy_minutes",
        "busy_since",
        "changed_at",
        "contact",
        "exclusive",
        "load",
        "load_at",
        "idle_since",
        "index",
        "on_shift",
        "open",
        "open_contacts",
        "pool",
        "rate",
        "resolve_probability",
        "sequence",
        "served",
        "skill",
        "version",
        "warmth",
        "working",
    )

    def __init__(
        self, pool: PoolBase, index: int, warmth: float, skill: float, resolve_probability: float
    ) -> None:
        self.pool = pool
        self.index = index
        self.warmth = warmth
        self.skill = skill
        self.resolve_probability = resolve_probability
        self.on_shift = False
        self.busy_since: float | None = None
        self.idle_since: float | None = None
        self.busy_minutes = 0.0
        self.served = 0
        self.load = 0.0
        """Recent occupancy (busy share, exponentially weighted), as of ``load_at``."""
        self.load_at = 0.0
        self.contact = -1
        """The contact being served (or last served), by its number in the replication."""
        # The books of an agent of a chat pool (peakend.engine.chat); unused on the phone.
        self.open = 0
        """Chat slots in use (a contact from a phone pool holds them all)."""
        self.exclusive = False
        """Whether the open contact is one from a phone pool, which holds every slot."""
        self.open_contacts: dict[int, float] = {}
        """Open contacts and the time each one's service began."""
        self.working: dict[int, Any] = {}
        """Contacts whose work is under way, with what the pool tracks of each."""
        self.changed_at = 0.0
        self.sequence = 0
        self.rate = 1.0
        self.version = 0

    def __repr__(self) -> str:
        return (
            f"Agent({self.pool.name}#{self.index}, "
            f"warmth={self.warmth:.2f}, skill={self.skill:.2f})"
        )


class AgentStreams:
    """The streams of a replication's agents: one per pool and attribute, value ``k`` agent ``k``'s.

    Every numpy sampler used here draws its values one after the other, so the
    first ``n`` values of a stream do not depend on how many are drawn: agent
    ``k``'s absence, warmth and skill are the same whatever the roster's length
    (tested in ``tests/engine/test_replication.py``). ``team`` holds the lasting
    traits (warmth, skill): a multi-period run passes the replication's root
    streams, so the same people work every day; ``day`` the day's draws (absence).
    """

    __slots__ = ("day", "team")

    def __init__(self, team: RandomStreams, day: RandomStreams) -> None:
        self.team = team
        self.day = day

    def absent(
        self,
        pool: str,
        roster: int,
        absenteeism: float,
        correlation: float = 0.0,
        group: str | None = None,
    ) -> np.ndarray:
        """Whether each of the first ``roster`` agents of ``pool`` is absent today.

        With ``correlation`` > 0 the day's absence rate is first drawn by
        :func:`day_absence_rate` from the stream of ``group`` (default: the pool),
        so pools of one group share the day's shock; with 0 no shock is drawn and
        the draws are those of independent absence.
        """
        rate = absenteeism
        if correlation > 0 and absenteeism > 0:
            shock = self.day.generator(f"absence-shock:{group or pool}").random()
            rate = day_absence_rate(shock, absenteeism, correlation)
        return self.day.generator(f"agents:{pool}:absence").random(roster) < rate

    def trait(self, pool: str, trait: str, mean: float, sd: float, roster: int) -> np.ndarray:
        """``trait`` (warmth, skill) of the first ``roster`` agents: normal, clipped to [0, 1]."""
        rng = self.team.generator(f"agents:{pool}:{trait}")
        return np.clip(rng.normal(mean, sd, roster), 0, 1)


def day_absence_rate(quantile: float, mean: float, correlation: float) -> float:
    """The day's absence rate: the ``quantile`` of a Beta with this mean and correlation.

    Agents absent independently given a Beta(a, b) day rate have beta-binomial
    counts, and the correlation between two agents' absences on one day (the
    intra-class correlation) is ``1 / (a + b + 1)``; so ``a + b = 1 / correlation
    - 1`` and ``a = mean (a + b)``. The mean absence stays ``mean``; the variance
    of the day's count of ``n`` agents grows by ``1 + (n - 1) correlation``. Pools
    of one group use the same quantile: the same bad day, each at its own mean.
    """
    from scipy.special import betaincinv

    size = 1.0 / correlation - 1.0
    return float(betaincinv(mean * size, (1.0 - mean) * size, quantile))


def present_agents(staffing: Sequence[int], absent: np.ndarray) -> np.ndarray:
    """Agents actually working in each interval, given each roster slot's absence."""
    return np.array([np.count_nonzero(~absent[:scheduled]) for scheduled in staffing], dtype=int)


class QueueingPool(Protocol):
    """What a journey may ask of a pool: the one protocol of the fast and the reference pools.

    The journey's acts (:mod:`peakend.engine.acts`) are written against it; the
    fast :class:`Pool` and :class:`~peakend.engine.chat.ChatPool` and the
    reference pool (:mod:`peakend.engine.reference`) all satisfy it: mypy checks
    it where the replication hands its pools (:class:`PoolBase` subclasses, whose
    overrides mypy checks in turn) to the journeys.
    """

    index: int
    name: str
    config: PoolConfig
    stressed: bool
    """Whether an agent's recent load cools its warmth (``stress.enabled``)."""
    transfers: bool
    """Whether an agent may pass a contact on (``transfer_probability > 0``)."""
    concurrent: bool
    """A chat pool: the journey asks it to :meth:`serve` (else it times the work itself)."""
    service_factors: tuple[float, ...]
    """``service_time_factor``: the work's multiplier by the interval it starts in (empty: 1)."""

    def service_factor(self, now: float) -> float: ...
    def take_idle(self, exclusive: bool = False) -> Agent | None: ...
    def queue_up(self, deadline: float, exact: bool, priority: int = 0) -> Event: ...
    def has_idle(self) -> bool: ...
    def expected_wait(self, priority: int = 0) -> float: ...
    def serve(self, agent: Agent, contact: int, work: float) -> Event: ...
    def warmth_of(self, agent: Agent, now: float) -> float: ...
    def release(self, agent: Agent, now: float, contact: int = -1) -> None: ...


class PoolBase:
    """Roster, shifts, absenteeism and busy/idle accounting of a staff pool."""

    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        name: str,
        config: PoolConfig,
        interval_minutes: float,
        streams: AgentStreams,
        window: tuple[float, float],
        staffing: tuple[int, ...] | None = None,
    ) -> None:
        """``staffing``: the day's roster (default ``config.staffing``; a scenario's
        ``staffing_by_day`` gives another one on some days)."""
        self.env = env
        self.index = index
        self.name = name
        self.config = config
        self.staffing = config.staffing if staffing is None else staffing
        self.interval_minutes = interval_minutes
        self.window_start, self.window_end = window
        self.service_factors = config.service_time_factor
        """Multiplier of the work of a service by the interval it starts in (empty: none)."""
        roster = max(self.staffing)
        self.absent = streams.absent(
            name, roster, config.absenteeism, config.absence_correlation, config.absence_group
        )
        self.agents = self._draw_agents(config, roster, streams)
        self.idle_minutes = 0.0
        self.capacity_log: list[tuple[float, int]] = []
        self.stressed = config.stress.enabled
        self.transfers = config.transfer_probability > 0
        self.concurrent = config.concurrency is not None
        """A chat pool (:mod:`peakend.engine.chat`): the journey asks it to ``serve``."""
        self.overflow: list[tuple[PoolBase, float]] = []
        """The pools whose agents also take this pool's contacts after a wait (wired by the
        replication from ``config.overflow_rules``), each with its wait, in order."""

    def _draw_agents(self, config: PoolConfig, roster: int, streams: AgentStreams) -> list[Agent]:
        name = self.name
        warmth = streams.trait(name, "warmth", config.warmth.mean, config.warmth.sd, roster)
        skill = streams.trait(name, "skill", config.skill.mean, config.skill.sd, roster)
        # Skill against a fixed reference: training the team raises resolution.
        resolve = config.resolve_probability(skill)
        return [
            Agent(self, k, float(w), float(s), float(r))
            for k, (w, s, r) in enumerate(zip(warmth, skill, resolve, strict=True))
        ]

    # -- the interface journeys use -------------------------------------------

    def take_idle(self, exclusive: bool = False) -> Agent | None:
        """An agent free right now (longest idle first), or None.

        ``exclusive``: the contact needs a whole agent (it comes from a phone pool);
        only a chat pool tells the difference.
        """
        raise NotImplementedError

    def serve(self, agent: Agent, contact: int, work: float) -> Event:
        """The event that ``agent`` has done ``work`` minutes of work on ``contact``.

        On a phone pool that is ``work`` minutes from now; journeys yield the
        timeout themselves there (the fast path). A chat pool shares its agents'
        speed among their open chats.
        """
        return self.env.timeout(work)

    def queue_up(self, deadline: float, exact: bool, priority: int = 0) -> Event:
        """Wait for an agent: the event's value is the agent, or None once ``deadline`` passed.

        ``exact``: the journey must resume at the deadline itself (it will act
        then); otherwise a pool may notice the abandonment later. Waiting
        customers are answered by ``priority`` (0 first), first come first served
        within a priority; a service under way is never cut.
        """
        raise NotImplementedError

    def waiting_ahead(self, priority: int) -> int:
        """Customers waiting now whom a newcomer of ``priority`` would queue behind."""
        raise NotImplementedError

    def expected_wait(self, priority: int = 0) -> float:
        """The wait a newcomer is told to expect, minutes: the customers ahead, plus one,
        times the mean service time, shared by the agents on shift (0 if one is idle)."""
        if self.has_idle():
            return 0.0
        agents = max(1, self.on_shift_count())
        return (self.waiting_ahead(priority) + 1) * self.config.service_time.mean / agents

    def has_idle(self) -> bool:
        """Whether an agent is free right now."""
        raise NotImplementedError

    def release(self, agent: Agent, now: float, contact: int = -1) -> None:
        """The agent has finished with ``contact`` at ``now`` (the current time): next
        customer, idle, or home."""
        raise NotImplementedError

    def service_factor(self, now: float) -> float:
        """``service_time_factor`` of the interval of ``now`` (after the last: the last's)."""
        factors = self.service_factors
        return factors[min(int(now // self.interval_minutes), len(factors) - 1)]

    def warmth_of(self, agent: Agent, now: float) -> float:
        """The warmth ``agent`` shows a customer it answers at ``now`` (see StressConfig)."""
        if not self.stressed:
            return agent.warmth
        stress = self.config.stress
        load = agent.load * math.exp(-(now - agent.load_at) / stress.window_minutes)
        excess = max(0.0, load - stress.threshold) / (1 - stress.threshold)
        return agent.warmth * (1 - stress.sensitivity * excess)

    def _note_busy_spell(self, agent: Agent, since: float, now: float) -> None:
        """Fold a busy spell from ``since`` to ``now`` into the agent's recent load."""
        window = self.config.stress.window_minutes
        idle_decay = math.exp(-(since - agent.load_at) / window)
        busy_decay = math.exp(-(now - since) / window)
        agent.load = agent.load * idle_decay * busy_decay + (1 - busy_decay)
        agent.load_at = now

    # -- the books a queue discipline works with (a chat pool's override these) --

    def _occupy(self, agent: Agent, now: float, exclusive: bool) -> None:
        """``agent`` takes a contact at ``now`` (a phone agent serves one at a time)."""
        self._start_busy(agent, now)

    def _has_room(self, agent: Agent) -> bool:
        """Whether ``agent``, busy now, could take one more contact: never on the phone."""
        return False

    def _vacate(self, agent: Agent, now: float, contact: int) -> None:
        """``agent`` lets ``contact`` go at ``now``."""
        self._end_busy(agent, now)

    def _became_idle(self, agent: Agent, now: float) -> None:
        """``agent`` waits for a contact from ``now``: its idle spell starts."""
        agent.idle_since = now

    def _rank(self, agent: Agent) -> tuple[int, int]:
        """Order of free agents for the next contact, smallest first. On the phone every
        agent ranks the same: a stable sort keeps the order they became free in, so
        the longest idle answers first."""
        return (0, 0)

    def _speed(self, agent: Agent) -> float:
        """Share of full speed at which ``agent`` works on each contact: all of it."""
        return 1.0

    # -- shifts ---------------------------------------------------------------

    def schedule(self, intervals: int) -> Generator[Event, Any, None]:
        """SimPy process: apply the staffing of each interval at its start."""
        breaks = self.config.breaks or (0,) * intervals
        for i in range(intervals):
            self._set_shifts(self.staffing[i], breaks[i])
            if i < intervals - 1:
                yield self.env.timeout(self.interval_minutes)

    def working(self, scheduled: int, on_break: int = 0) -> set[int]:
        """Roster slots working in an interval: scheduled, present, and not on a break
        (the last ``on_break`` of those present take theirs)."""
        present = [k for k in range(scheduled) if not self.absent[k]]
        return set(present[: max(0, len(present) - on_break)])

    def _set_shifts(self, scheduled: int, on_break: int = 0) -> None:
        now = self.env.now
        working = self.working(scheduled, on_break)
        for agent in self.agents:
            should_work = agent.index in working
            if should_work and not agent.on_shift:
                agent.on_shift = True
                if agent.busy_since is None:
                    self._make_available(agent, now)
            elif agent.on_shift and not should_work:
                agent.on_shift = False
                if agent.busy_since is None:
                    self._withdraw_idle(agent)
                    self._close_idle(agent, now)
        self.capacity_log.append((now, self.on_shift_count()))

    def on_shift_count(self) -> int:
        """Agents currently on shift (busy or idle)."""
        return sum(agent.on_shift for agent in self.agents)

    def _make_available(self, agent: Agent, now: float) -> None:
        raise NotImplementedError

    def _withdraw_idle(self, agent: Agent) -> None:
        raise NotImplementedError

    # -- accounting -----------------------------------------------------------

    def _start_busy(self, agent: Agent, now: float) -> None:
        """The agent leaves the idle line for a customer at ``now``."""
        self._close_idle(agent, now)
        agent.busy_since = now

    def _end_busy(self, agent: Agent, now: float) -> None:
        busy_since: float = agent.busy_since  # type: ignore[assignment]  # busy agents have one
        if self.stressed:
            self._note_busy_spell(agent, busy_since, now)
        agent.busy_minutes += max(
            0.0, min(now, self.window_end) - max(busy_since, self.window_start)
        )
        agent.served += 1
        agent.busy_since = None

    def _close_idle(self, agent: Agent, now: float) -> None:
        if agent.idle_since is not None:
            self.idle_minutes += _overlap(agent.idle_since, now, self.window_start, self.window_end)
            agent.idle_since = None

    def in_service(self) -> list[tuple[int, float, int, int, float]]:
        """``(contact, since, pool, agent, warmth)`` of every agent busy with a contact now."""
        return [
            (agent.contact, agent.busy_since, self.index, agent.index, agent.warmth)
            for agent in self.agents
            if agent.busy_since is not None and agent.contact >= 0
        ]

    def close(self, now: float) -> None:
        """Account for busy and idle time still open at the end of the run."""
        for agent in self.agents:
            self._close_idle(agent, now)
            if agent.busy_since is not None:
                agent.busy_minutes += _overlap(
                    agent.busy_since, now, self.window_start, self.window_end
                )
                agent.busy_since = None

    @property
    def busy_minutes(self) -> float:
        """Agent-minutes spent serving inside the statistics window."""
        return sum(agent.busy_minutes for agent in self.agents)


class Ticket(Event):
    """One contact's place in a :class:`Pool` queue; succeeds with the agent or None."""

    exclusive = False
    """Set when the contact overflows from a phone pool into a chat pool: it needs an
    agent with no chat open there."""

    def __init__(self, env: simpy.Environment, deadline: float) -> None:
        super().__init__(env)
        self.deadline = deadline
        self.waiting = True

    def hand_over(self, agent: Agent) -> None:
        """Succeed with ``agent`` and run the waiting journey now: what
        :meth:`~simpy.events.Event.succeed` and then processing the event
        (:meth:`simpy.Environment.step`) do, without the pass through the event queue.

        Only for when this event would be the next one processed
        (:meth:`Pool.release_last`); it sets the event's outcome as ``succeed`` does.
        """
        self._ok = True
        self._value = agent
        callbacks, self.callbacks = self.callbacks, None  # type: ignore[assignment]  # processed
        for callback in callbacks:
            callback(self)


class Pool(PoolBase):
    """The fast pool: an FCFS deque of tickets and a line of idle agents."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queues: dict[int, deque[Ticket]] = {}
        """One FCFS deque per priority; tickets that gave up are dropped lazily."""
        self.levels: list[int] = []
        self.queued = 0
        """Tickets in the deques (including some that gave up and wait to be dropped)."""
        self.idle: deque[Agent] = deque()

    def has_idle(self) -> bool:
        return bool(self.idle)

    def waiting_ahead(self, priority: int) -> int:
        now = self.env.now
        return sum(
            ticket.waiting and ticket.deadline >= now
            for level in self.levels
            if level <= priority
            for ticket in self.queues[level]
        )

    def take_idle(self, exclusive: bool = False) -> Agent | None:
        if not self.idle:
            return None
        agent = self.idle.popleft()
        now = agent.busy_since = self.env.now
        idle_since: float = agent.idle_since  # type: ignore[assignment]  # idle agents have one
        # Close the idle spell inside the statistics window (_overlap, inlined: hot path).
        end, begin = self.window_end, self.window_start
        spell = (now if now < end else end) - (idle_since if idle_since > begin else begin)
        if spell > 0.0:
            self.idle_minutes += spell
        agent.idle_since = None
        return agent

    def queue_up(self, deadline: float, exact: bool, priority: int = 0) -> Ticket:
        ticket = Ticket(self.env, deadline)
        self._enqueue(ticket, priority)
        now = self.env.now
        if exact and deadline != math.inf:
            self.env.timeout(deadline - now).callbacks.append(lambda _event: self._expire(ticket))
        if self.overflow:
            for other, after in self.overflow:
                if now + after >= deadline:
                    continue
                if after == 0:
                    self._overflow(ticket, priority, other)
                else:

                    def later(_event: Event, to: PoolBase = other) -> None:
                        self._overflow(ticket, priority, to)

                    self.env.timeout(after).callbacks.append(later)
        return ticket

    def _enqueue(self, ticket: Ticket, priority: int) -> None:
        queue = self.queues.get(priority)
        if queue is None:
            queue = self.queues[priority] = deque()
            self.levels = sorted(self.queues)
        queue.append(ticket)
        self.queued += 1

    def _overflow(self, ticket: Ticket, priority: int, to: PoolBase) -> None:
        """The contact may now also be taken by pool ``to``: an idle agent there takes
        it at once, else the same ticket queues there too (first agent wins)."""
        if not ticket.waiting:
            return
        other: Pool = to  # type: ignore[assignment]  # the fast engine has only Pools
        exclusive = other.concurrent and not self.concurrent
        agent = other.take_idle(exclusive)
        if agent is not None:
            ticket.waiting = False
            ticket.succeed(agent)
        else:
            if exclusive:
                ticket.exclusive = True
            other._enqueue(ticket, priority)

    @staticmethod
    def _expire(ticket: Ticket) -> None:
        if ticket.waiting:
            ticket.waiting = False
            ticket.succeed(None)

    def release(self, agent: Agent, now: float, contact: int = -1) -> None:
        ticket = self._let_go(agent, now)
        if ticket is not None:
            ticket.succeed(agent)

    def release_last(self, agent: Agent, now: float, contact: int = -1) -> None:
        """:meth:`release`, as the last thing the releasing journey does (it reports and
        schedules nothing more): when no other event is due at ``now`` either, the
        next waiting contact's answer would be the very next event processed, so its
        journey resumes at once (:meth:`Ticket.hand_over`): everything happens in the
        same order as through the event queue, with one event fewer."""
        # _let_go, inlined: this runs once per customer on the express lane.
        busy_since: float = agent.busy_since  # type: ignore[assignment]  # busy agents have one
        end, begin = self.window_end, self.window_start
        spell = (now if now < end else end) - (busy_since if busy_since > begin else begin)
        if spell > 0.0:
            agent.busy_minutes += spell
        agent.served += 1
        if self.stressed:
            self._note_busy_spell(agent, busy_since, now)
        ticket = self._next_ticket(now) if self.queued and agent.on_shift else None
        if ticket is None:
            agent.busy_since = None
            if agent.on_shift:
                agent.idle_since = now
                self.idle.append(agent)
        elif self.env.peek() > now:
            agent.busy_since = now
            ticket.hand_over(agent)
        else:
            agent.busy_since = now
            ticket.succeed(agent)

    def _let_go(self, agent: Agent, now: float) -> Ticket | None:
        """``agent`` lets its contact go at ``now``: home, idle, or the ticket it takes next
        (already taken off the queue; the caller tells its journey)."""
        # PoolBase._end_busy and _make_available, inlined: this runs once per service.
        busy_since: float = agent.busy_since  # type: ignore[assignment]  # busy agents have one
        end, begin = self.window_end, self.window_start
        spell = (now if now < end else end) - (busy_since if busy_since > begin else begin)
        if spell > 0.0:
            agent.busy_minutes += spell
        agent.served += 1
        if self.stressed:
            self._note_busy_spell(agent, busy_since, now)
        if not agent.on_shift:
            agent.busy_since = None
            return None
        ticket = self._next_ticket(now) if self.queued else None
        if ticket is None:
            agent.busy_since = None
            agent.idle_since = now
            self.idle.append(agent)
        else:
            agent.busy_since = now
        return ticket

    def _make_available(self, agent: Agent, now: float) -> None:
        ticket = self._next_ticket(now)
        if ticket is None:
            agent.idle_since = now
            self.idle.append(agent)
        else:
            agent.busy_since = now
            ticket.succeed(agent)

    def _withdraw_idle(self, agent: Agent) -> None:
        self.idle.remove(agent)

    def _next_ticket(self, now: float) -> Ticket | None:
        for level in self.levels:
            queue = self.queues[level]
            while queue:
                ticket = queue.popleft()
                self.queued -= 1
                if not ticket.waiting:
                    continue  # abandoned on an exact timer already
                ticket.waiting = False
                if ticket.deadline < now:
                    ticket.succeed(None)  # ran out of patience while no one looked
                    continue
                return ticket
        return None


def _overlap(start: float, end: float, window_start: float, window_end: float) -> float:
    return max(0.0, min(end, window_end) - max(start, window_start))
