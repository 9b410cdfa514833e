"""The reference pool: one plain-SimPy implementation for phone and chat pools.

``simulate(scenario, engine="reference")`` runs every pool on
:class:`ReferencePool`: agents with a free slot wait in a
:class:`simpy.FilterStore`, a contact's wait is a store request raced against
its patience timer (``get | timeout``), an overflow is a second request at the
other pool (first agent wins), and a chat's work is a :class:`simpy.Process`
that an interrupt tells about a change of its agent's speed. It uses only
SimPy's public API, and it is written once: a phone pool is the same queue over
the phone's books (:class:`~peakend.engine.staffing.PoolBase`: one contact per
agent, longest idle first), a chat pool the same queue over the chat books
(:class:`~peakend.engine.chat.ChatBooks`: slots, speeds, fewest open chats
first; :class:`ChatReferencePool` only combines the two). The books are the
very ones of the fast pools (:class:`~peakend.engine.staffing.Pool`,
:class:`~peakend.engine.chat.ChatPool`), so busy and idle minutes are added in
the same order; what the reference checks is the queueing: who is answered,
by whom, when, and who gives up.

Both engines satisfy :class:`~peakend.engine.staffing.QueueingPool`, and
``tests/engine/test_core.py`` requires them to give identical records on
several seeds and scenarios (every queueing feature: priorities, overflow both
ways, phone contacts overflowing to chat agents, shifts, breaks, absenteeism,
stress, cuts at the end of a run).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from simpy.events import Event
from simpy.resources.resource import SortedQueue
from simpy.resources.store import FilterStoreGet

from peakend.engine.chat import ChatBooks
from peakend.engine.staffing import Agent, PoolBase

__all__ = ["ChatReferencePool", "ReferencePool"]


class ReferencePool(PoolBase):
    """The reference pool: free agents in a :class:`simpy.FilterStore`, waits as ``get | timeout``.

    Slower than the fast pools (a store request and a condition per contact, a
    process per chat) and written only with SimPy's public API.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = _AgentStore(self.env)
        """Agents on shift with room for a contact, in the books' order (:meth:`_rank`)."""

    # -- what a journey asks ------------------------------------------------------

    def take_idle(self, exclusive: bool = False) -> Agent | None:
        return None  # every contact asks the store

    def has_idle(self) -> bool:
        return bool(self.store.items)

    def waiting_ahead(self, priority: int) -> int:
        return sum(request.key <= priority for request in self.store.get_queue)

    def queue_up(self, deadline: float, exact: bool, priority: int = 0) -> Event:
        env = self.env
        answer = Event(env)
        requests: list[_PriorityGet] = []

        def ask(pool: ReferencePool) -> None:
            # A contact from a phone pool needs a whole chat agent (no chat open).
            exclusive = pool.concurrent and not self.concurrent
            request = pool._request(priority, exclusive)
            requests.append(request)

            def granted(event: Event) -> None:
                agent: Agent = event.value  # type: ignore[assignment]  # the store holds agents
                if answer.triggered:  # the other pool answered at the same instant
                    pool._make_available(agent, env.now)
                    return
                pool._grant(agent, env.now, exclusive)
                for other in requests:
                    if not other.triggered:
                        other.cancel()
                answer.succeed(agent)

            request.callbacks.append(granted)

        ask(self)
        if deadline != float("inf"):

            def expired(_event: Event) -> None:
                if not answer.triggered and not any(r.triggered for r in requests):
                    for request in requests:
                        request.cancel()
                    answer.succeed(None)

            env.timeout(max(0.0, deadline - env.now)).callbacks.append(expired)
        for other, after in self.overflow:
            if env.now + after >= deadline:
                continue

            def overflow(_event: Event | None = None, to: PoolBase = other) -> None:
                if not answer.triggered and not any(r.triggered for r in requests):
                    ask(to)  # type: ignore[arg-type]  # the reference engine has ReferencePools

            if after == 0:
                overflow()
            else:
                env.timeout(after).callbacks.append(overflow)
        return answer

    def serve(self, agent: Agent, contact: int, work: float) -> Event:
        if not self.concurrent:
            return self.env.timeout(work)  # a phone agent works on one contact, at full speed
        agent.open_contacts[contact] = self.env.now
        return self.env.process(self._work(agent, contact, work))

    def release(self, agent: Agent, now: float, contact: int = -1) -> None:
        self._vacate(agent, now, contact)
        if agent.on_shift:
            self._make_available(agent, now)

    # -- the store --------------------------------------------------------------------

    def _request(self, priority: int, exclusive: bool) -> _PriorityGet:
        """A request for an agent of this pool (``exclusive``: one with no contact open)."""
        if exclusive:
            return _PriorityGet(self.store, priority, lambda agent: agent.open == 0)
        return _PriorityGet(self.store, priority)

    def _grant(self, agent: Agent, now: float, exclusive: bool) -> None:
        """The store gave ``agent`` to a waiting contact, which takes it; an agent with room
        for another contact goes back among the free ones."""
        self._occupy(agent, now, exclusive)
        if self._has_room(agent):
            self._offer(agent)

    def _make_available(self, agent: Agent, now: float) -> None:
        self._became_idle(agent, now)
        self._offer(agent)

    def _offer(self, agent: Agent) -> None:
        """Put ``agent`` (again) among the free agents, in the books' order, so that waiting
        requests see it as it is now (a chat agent's number of open chats)."""
        items = self.store.items
        if agent in items:
            items.remove(agent)
        self.store.put(agent)
        items.sort(key=self._rank)

    def _withdraw_idle(self, agent: Agent) -> None:
        if agent in self.store.items:
            self.store.items.remove(agent)

    # -- a chat's work ------------------------------------------------------------------

    def _work(self, agent: Agent, contact: int, work: float) -> Generator[Event, Any, None]:
        """The process of one chat's work, at its agent's speed; an interrupt says the
        speed changed, and the work left is brought up to date."""
        env = self.env
        agent.working[contact] = env.active_process
        left = work
        while True:
            rate = self._speed(agent)
            since = env.now
            try:
                yield env.timeout(max(0.0, left) / rate)
                break
            except simpy.Interrupt:
                left -= (env.now - since) * rate
        del agent.working[contact]

    def _speed_changed(self, agent: Agent, now: float) -> None:
        active = self.env.active_process
        for process in agent.working.values():
            if process is not active:
                process.interrupt()


class ChatReferencePool(ReferencePool, ChatBooks):
    """The reference pool over a chat pool's books (slots, speeds, slot time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_chat()


class _AgentStore(simpy.FilterStore):
    """Free agents; requests served by the customer's priority (stable within one)."""

    GetQueue = SortedQueue


class _PriorityGet(FilterStoreGet):
    """A request for an agent that fits the contact, ordered by the customer's priority."""

    def __init__(self, store: simpy.FilterStore, priority: int, *args: Any) -> None:
        self.key = priority  # set first: joining the sorted queue reads it
        super().__init__(store, *args)
