"""Staff pools: agents, shifts, absenteeism and the FCFS queue in front of them.

A pool has a roster of agent slots. Slot ``k`` works in interval ``i`` when
``k < staffing[i]`` and the agent is not absent that day (each rostered agent is
absent all day with probability ``absenteeism``). At every interval boundary the
pool puts agents on or off shift; an agent whose shift ends while serving
finishes the current customer first.

The queue abandons lazily: a waiting customer whose patience has run out is
removed when an agent next looks at the queue, and is then reported as having
abandoned at its deadline. For a first-come-first-served pool this is exact,
because nothing else depends on when the abandonment is noticed. Customers who
must act at the moment they give up (they will retry) ask for an exact timer
instead (``join_queue(..., exact=True)``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from simpy.events import Event

if TYPE_CHECKING:
    from peakend.config.schema import PoolConfig

__all__ = ["Agent", "Pool", "present_agents"]


class Agent:
    """One member of staff with attributes drawn once per replication."""

    __slots__ = (
        "busy_minutes",
        "busy_since",
        "idle_since",
        "index",
        "on_shift",
        "pool",
        "resolve_probability",
        "served",
        "skill",
        "warmth",
    )

    def __init__(
        self, pool: Pool, index: int, warmth: float, skill: float, resolve_probability: float
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

    def __repr__(self) -> str:
        return (
            f"Agent({self.pool.name}#{self.index}, "
            f"warmth={self.warmth:.2f}, skill={self.skill:.2f})"
        )


def present_agents(staffing: Sequence[int], absent: np.ndarray) -> np.ndarray:
    """Agents actually working in each interval, given each roster slot's absence."""
    return np.array([np.count_nonzero(~absent[:scheduled]) for scheduled in staffing], dtype=int)


class Pool:
    """A pool of agents serving one FCFS queue, with a schedule over intervals."""

    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        name: str,
        config: PoolConfig,
        interval_minutes: float,
        rng: np.random.Generator,
        window: tuple[float, float],
    ) -> None:
        self.env = env
        self.index = index
        self.name = name
        self.config = config
        self.interval_minutes = interval_minutes
        self.window_start, self.window_end = window
        roster = max(config.staffing)
        self.absent = rng.random(roster) < config.absenteeism
        self.agents = self._draw_agents(config, roster, rng)
        self.queue: deque[Any] = deque()
        self.idle: deque[Agent] = deque()
        self.idle_minutes = 0.0
        self.capacity_log: list[tuple[float, int]] = []
        self.work_draw: Callable[[], float] = _no_work_draw

    def _draw_agents(
        self, config: PoolConfig, roster: int, rng: np.random.Generator
    ) -> list[Agent]:
        warmth = np.clip(rng.normal(config.warmth.mean, config.warmth.sd, roster), 0, 1)
        skill = np.clip(rng.normal(config.skill.mean, config.skill.sd, roster), 0, 1)
        resolve = np.clip(
            config.first_contact_resolution + config.skill_effect * (skill - config.skill.mean),
            0,
            1,
        )
        return [
            Agent(self, k, float(w), float(s), float(r))
            for k, (w, s, r) in enumerate(zip(warmth, skill, resolve, strict=True))
        ]

    # -- shifts ---------------------------------------------------------------

    def schedule(self, intervals: int) -> Generator[Event, Any, None]:
        """SimPy process: apply the staffing of each interval at its start."""
        for i in range(intervals):
            self._set_shifts(self.config.staffing[i])
            if i < intervals - 1:
                yield self.env.timeout(self.interval_minutes)

    def _set_shifts(self, scheduled: int) -> None:
        now = self.env.now
        for agent in self.agents:
            should_work = agent.index < scheduled and not self.absent[agent.index]
            if should_work and not agent.on_shift:
                agent.on_shift = True
                if agent.busy_since is None:
                    self._make_available(agent, now)
            elif agent.on_shift and not should_work:
                agent.on_shift = False
                if agent.busy_since is None:
                    self.idle.remove(agent)
                    self._close_idle(agent, now)
        self.capacity_log.append((now, self.on_shift_count()))

    def on_shift_count(self) -> int:
        """Agents currently on shift (busy or idle)."""
        return sum(agent.on_shift for agent in self.agents)

    # -- queue ----------------------------------------------------------------

    def idle_agent(self) -> Agent | None:
        """Take an idle agent (longest idle first) for a newly arrived customer, if any."""
        if not self.idle:
            return None
        agent = self.idle.popleft()
        now = agent.busy_since = self.env.now
        idle_since: float = agent.idle_since  # type: ignore[assignment]  # idle agents have one
        # Close the idle spell inside the statistics window (inlined: hot path).
        self.idle_minutes += max(
            0.0, min(now, self.window_end) - max(idle_since, self.window_start)
        )
        agent.idle_since = None
        return agent

    def join_queue(self, customer: Any, deadline: float, exact: bool) -> Event:
        """Queue ``customer``; the event's value is the serving agent, or None on abandonment.

        ``customer`` needs writable ``deadline``, ``wake`` and ``queued`` attributes.
        """
        wake = Event(self.env)
        customer.deadline = deadline
        customer.wake = wake
        customer.queued = True
        self.queue.append(customer)
        if exact and deadline != float("inf"):
            timer = self.env.timeout(deadline - self.env.now)
            timer.callbacks.append(lambda _event: self._abandon(customer))
        return wake

    def _abandon(self, customer: Any) -> None:
        if customer.queued:
            customer.queued = False
            customer.wake.succeed(None)

    def release(self, agent: Agent) -> None:
        """The agent has finished a service: serve the next customer, go idle or go home."""
        now = self.env.now
        busy_since: float = agent.busy_since  # type: ignore[assignment]  # busy agents have one
        agent.busy_minutes += max(
            0.0, min(now, self.window_end) - max(busy_since, self.window_start)
        )
        agent.served += 1
        if not agent.on_shift:
            agent.busy_since = None
            return
        customer = self._next_customer(now)
        if customer is None:
            agent.busy_since = None
            self._make_available(agent, now)
        else:
            agent.busy_since = now
            customer.wake.succeed(agent)

    def _make_available(self, agent: Agent, now: float) -> None:
        customer = self._next_customer(now)
        if customer is None:
            agent.idle_since = now
            self.idle.append(agent)
        else:
            agent.busy_since = now
            customer.wake.succeed(agent)

    def _next_customer(self, now: float) -> Any:
        queue = self.queue
        while queue:
            customer = queue.popleft()
            if not customer.queued:
                continue  # abandoned on an exact timer already
            customer.queued = False
            if customer.deadline < now:
                customer.wake.succeed(None)  # ran out of patience while no one looked
                continue
            return customer
        return None

    def _close_idle(self, agent: Agent, now: float) -> None:
        if agent.idle_since is not None:
            self.idle_minutes += _overlap(agent.idle_since, now, self.window_start, self.window_end)
            agent.idle_since = None

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


def _overlap(start: float, end: float, window_start: float, window_end: float) -> float:
    return max(0.0, min(end, window_end) - max(start, window_start))


def _no_work_draw() -> float:
    raise RuntimeError("pool.work_draw was not set by the replication")
