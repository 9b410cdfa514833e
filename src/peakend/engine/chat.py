"""Chat pools: agents who handle several contacts at once, each of them slower.

A pool with ``concurrency = k`` is a chat pool. Each agent has ``k`` slots and
takes a new chat while one is free. The agent's speed is shared among its open
chats: with ``n`` open, each chat's work progresses at

    speed(n) = 1 / (1 + slowdown * (n - 1))

of full speed (``slowdown`` is ``concurrency_slowdown``), so an agent with ``n``
chats does ``n * speed(n)`` minutes of work per minute. That is a limited
processor-sharing station: a chat's service time is its
work (drawn as on the phone, in minutes at full speed) stretched by however
many chats shared the agent while it lasted. Whenever a chat opens or closes on
an agent, the work left on each of the agent's other chats is brought up to
date and their ends are moved.

Decisions (also in ``docs/model/journeys.md``):

- A chat is *open* from the moment the agent takes it until the agent lets it go,
  closing words and apologies included; those take their fixed minutes (typed
  once) and are not slowed, but the chat holds its slot and counts in ``n``.
- A new chat goes to the agent with the fewest chats open, and among those to
  the one that reached that number first (longest idle, when ``k = 1``).
- A contact that overflows in from a phone pool (multi-skill routing: chat agents
  who take calls) needs an agent with no chat open, and holds all ``k`` slots
  at full speed until it ends; a chat that overflows to a phone pool is served
  there as a call.
- Busy time is slot time: an agent with ``n`` of ``k`` slots in use is
  ``n / k`` busy, so occupancy is the share of chat slots in use, and an agent's
  recent load (for ``stress``) is that share, exponentially weighted.
- With ``k = 1`` a chat pool is the phone model, contact for contact (tested).

Two implementations share these books (:class:`ChatBooks`): :class:`ChatPool`,
the fast one (the FCFS tickets of :class:`~peakend.engine.staffing.Pool` and a
timer per chat, made stale when the agent's speed changes), and the reference
pool of :mod:`peakend.engine.reference` (the same one as for phone pools: idle
agents in a :class:`simpy.FilterStore`, each chat's work a
:class:`simpy.Process` that an interrupt tells about a change of speed: only
SimPy's public API). The tests require both to give identical records.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from simpy.events import Event

from peakend.engine.staffing import Agent, Pool, PoolBase, Ticket, _overlap

__all__ = ["ChatBooks", "ChatPool", "chat_speed"]


def chat_speed(open_chats: int, slowdown: float) -> float:
    """Share of full speed at which each of ``open_chats`` chats progresses."""
    return 1.0 / (1.0 + slowdown * (open_chats - 1))


class ChatBooks(PoolBase):
    """Slots, speed and slot-time accounting of a chat pool's agents."""

    def _init_chat(self) -> None:
        config = self.config
        self.slots: int = config.chats
        self.speeds = [1.0] + [chat_speed(n, config.slowdown) for n in range(1, self.slots + 1)]
        """``speeds[n]``: the speed of each chat with ``n`` slots in use."""
        self._sequence = itertools.count()
        for agent in self.agents:
            agent.open_contacts = {}
            agent.working = {}

    # -- what a journey asks ----------------------------------------------------

    def expected_wait(self, priority: int = 0) -> float:
        """Customers ahead, plus one, times the mean time per chat when every slot is in
        use, shared by the slots of the agents on shift (0 if a slot is free)."""
        if self.has_idle():
            return 0.0
        agents = max(1, self.on_shift_count())
        mean = self.config.service_time.mean * self.config.full_load_stretch
        return (self.waiting_ahead(priority) + 1) * mean / (agents * self.slots)

    def warmth_of(self, agent: Agent, now: float) -> float:
        if not self.stressed:
            return agent.warmth
        stress = self.config.stress
        decay = math.exp(-(now - agent.load_at) / stress.window_minutes)
        load = agent.load * decay + agent.open / self.slots * (1 - decay)
        excess = max(0.0, load - stress.threshold) / (1 - stress.threshold)
        return agent.warmth * (1 - stress.sensitivity * excess)

    def in_service(self) -> list[tuple[int, float, int, int, float]]:
        return [
            (contact, since, self.index, agent.index, agent.warmth)
            for agent in self.agents
            for contact, since in agent.open_contacts.items()
        ]

    # -- slots --------------------------------------------------------------------

    def _fits(self, agent: Agent, exclusive: bool) -> bool:
        return agent.open == 0 if exclusive else agent.open < self.slots

    def _occupy(self, agent: Agent, now: float, exclusive: bool) -> None:
        """``agent`` takes a contact at ``now``: one slot, or all of them."""
        self._account(agent, now)
        agent.open += self.slots if exclusive else 1
        agent.exclusive = exclusive
        agent.sequence = next(self._sequence)
        self._speed_changed(agent, now)

    def release(self, agent: Agent, now: float, contact: int = -1) -> None:
        self._vacate(agent, now, contact)
        if agent.on_shift:
            self._make_available(agent, now)

    def _vacate(self, agent: Agent, now: float, contact: int) -> None:
        """``agent`` lets ``contact`` go at ``now``."""
        self._account(agent, now)
        agent.open -= self.slots if agent.exclusive else 1
        agent.exclusive = False
        del agent.open_contacts[contact]
        agent.served += 1
        agent.sequence = next(self._sequence)
        self._speed_changed(agent, now)

    def _has_room(self, agent: Agent) -> bool:
        return agent.open < self.slots

    def _became_idle(self, agent: Agent, now: float) -> None:
        """Nothing to do: slot time is booked at every change (:meth:`_account`)."""

    def _rank(self, agent: Agent) -> tuple[int, int]:
        """Order of agents for a new chat: fewest open first, then who got there first."""
        return agent.open, agent.sequence

    def _speed(self, agent: Agent) -> float:
        return 1.0 if agent.exclusive else self.speeds[agent.open]

    def _speed_changed(self, agent: Agent, now: float) -> None:
        raise NotImplementedError

    # -- shifts and accounting ------------------------------------------------------

    def _set_shifts(self, scheduled: int, on_break: int = 0) -> None:
        now = self.env.now
        working = self.working(scheduled, on_break)
        for agent in self.agents:
            should_work = agent.index in working
            if should_work == agent.on_shift:
                continue
            self._account(agent, now)
            agent.on_shift = should_work
            if should_work:
                agent.sequence = next(self._sequence)
                if agent.open < self.slots:
                    self._make_available(agent, now)
            elif agent.open < self.slots:
                self._withdraw_idle(agent)
        self.capacity_log.append((now, self.on_shift_count()))

    def _account(self, agent: Agent, now: float) -> None:
        """Book the slot time from the agent's last change to ``now`` (its state was
        constant in between) and fold it into the agent's recent load."""
        since = agent.changed_at
        share = agent.open / self.slots
        inside = _overlap(since, now, self.window_start, self.window_end)
        if agent.open:
            agent.busy_minutes += inside * share
        if agent.on_shift:
            self.idle_minutes += inside * (1 - share)
        if self.stressed:
            decay = math.exp(-(now - since) / self.config.stress.window_minutes)
            agent.load = agent.load * decay + share * (1 - decay)
            agent.load_at = now
        agent.changed_at = now

    def close(self, now: float) -> None:
        for agent in self.agents:
            self._account(agent, now)


class ChatPool(ChatBooks, Pool):
    """The fast chat pool: FCFS tickets, and a timer for the end of each chat's work."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_chat()
        self.available: list[Agent] = []
        """Agents on shift with a free slot."""

    def has_idle(self) -> bool:
        return bool(self.available)

    def take_idle(self, exclusive: bool = False) -> Agent | None:
        best: Agent | None = None
        for agent in self.available:
            if (not exclusive or agent.open == 0) and (
                best is None or self._rank(agent) < self._rank(best)
            ):
                best = agent
        if best is not None:
            self._take(best, self.env.now, exclusive)
        return best

    def _take(self, agent: Agent, now: float, exclusive: bool) -> None:
        self._occupy(agent, now, exclusive)
        if agent.open >= self.slots:
            self.available.remove(agent)

    def serve(self, agent: Agent, contact: int, work: float) -> Event:
        now = self.env.now
        agent.open_contacts[contact] = now
        done = Event(self.env)
        chat = [work, now, done]  # work left, as of when, and the event of its end
        agent.working[contact] = chat
        self._time(agent, contact, chat)
        return done

    def _time(self, agent: Agent, contact: int, chat: list[Any]) -> None:
        """Schedule the end of ``chat``'s work at the agent's present speed."""
        version = agent.version
        end = self.env.timeout(max(0.0, chat[0]) / agent.rate)
        end.callbacks.append(lambda _event: self._finish(agent, contact, version))

    def _finish(self, agent: Agent, contact: int, version: int) -> None:
        if version != agent.version:
            return  # the agent's speed changed since this timer was set
        chat = agent.working.pop(contact)
        chat[2].succeed()

    def _speed_changed(self, agent: Agent, now: float) -> None:
        rate = agent.rate
        for chat in agent.working.values():
            chat[0] -= (now - chat[1]) * rate
            chat[1] = now
        agent.rate = self._speed(agent)
        agent.version += 1
        for contact, chat in agent.working.items():
            self._time(agent, contact, chat)

    def _make_available(self, agent: Agent, now: float) -> None:
        """``agent`` has a free slot: waiting contacts that fit take it, in queue order."""
        while self.queued:
            ticket = self._next_fitting(agent, now)
            if ticket is None:
                break
            exclusive = ticket.exclusive
            self._occupy(agent, now, exclusive)
            ticket.succeed(agent)
            if agent.open >= self.slots:
                break
        listed = agent in self.available
        if agent.open < self.slots and not listed:
            self.available.append(agent)
        elif agent.open >= self.slots and listed:
            self.available.remove(agent)

    def _withdraw_idle(self, agent: Agent) -> None:
        if agent in self.available:
            self.available.remove(agent)

    def _next_fitting(self, agent: Agent, now: float) -> Ticket | None:
        """The first waiting contact, by priority then arrival, that ``agent`` can take;
        contacts that ran out of patience are dropped on the way (as in ``Pool``)."""
        for level in self.levels:
            queue = self.queues[level]
            i = 0
            while i < len(queue):
                ticket = queue[i]
                if not ticket.waiting:
                    del queue[i]
                    self.queued -= 1
                    continue
                if ticket.deadline < now:
                    ticket.waiting = False
                    ticket.succeed(None)
                    del queue[i]
                    self.queued -= 1
                    continue
                if self._fits(agent, ticket.exclusive):
                    ticket.waiting = False
                    del queue[i]
                    self.queued -= 1
                    return ticket
                i += 1
        return None
