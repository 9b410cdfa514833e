"""The values the acts pass along (the contact about to be made, its answer, its
service), the factories of contacts, and the declaration of an after-service step.

Each is an immutable :class:`~typing.NamedTuple`, built once per contact and
never changed: an act that changes something returns a new value. They are
NamedTuples rather than frozen dataclasses for the same reason as the facts
(:mod:`peakend.engine.facts`): the hot path builds three per contact, and a
NamedTuple of eleven fields is about four times cheaper to build (0.4 against
1.5 microseconds, measured) while just as immutable and typed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple

from simpy.events import Event

from peakend.engine.facts import ContactKind
from peakend.engine.staffing import Agent, QueueingPool

if TYPE_CHECKING:
    from peakend.config.schema import Scenario
    from peakend.engine.context import JourneyContext

__all__ = [
    "Answer",
    "Contact",
    "Run",
    "Service",
    "Step",
    "answer_of",
    "contact_of",
    "first_contact",
    "follow_on",
    "service_of",
]


class Contact(NamedTuple):
    """A contact a customer is about to make: where it queues, why, and what it brings."""

    customer: int
    segment: int
    channel: int
    route: tuple[QueueingPool, ...]
    """The pools of the customer's journey: the entry pool, then the stages it visits."""
    stage: int
    """Where the customer is on ``route`` (a transfer or escalation keeps the stage)."""
    pool: QueueingPool
    """The pool whose queue the contact joins."""
    kind: int
    """:class:`~peakend.engine.facts.ContactKind`."""
    attempt: int
    """The customer's contact number: 0 for the first, 1 for the next, ..."""
    felt: bool
    """Whether the customer experiences the wait (False: at home, waiting for a callback)."""
    patience: float
    """Minutes the customer will wait in the queue (inf: unlimited)."""
    work: float
    """Minutes of work the contact brings, at full speed."""

    @property
    def last_stage(self) -> bool:
        """Whether the contact is at the last stage of the customer's route."""
        return self.stage == len(self.route) - 1

    @property
    def home(self) -> QueueingPool:
        """The stage's own pool: where the customer contacts again about its problem."""
        return self.route[self.stage]


class Answer(NamedTuple):
    """An agent took the contact: the contact's number in the replication, who, when."""

    number: int
    agent: Agent
    start: float


class Service(NamedTuple):
    """What the service was: answered by ``agent`` at ``start``, with ``result``."""

    number: int
    """The contact's number in the replication (the ``contact`` field of its facts)."""
    agent: Agent
    start: float
    warmth: float
    """The agent's warmth as the customer met it, on [0, 1]."""
    result: int
    """:class:`~peakend.engine.facts.ServiceResult`."""
    told_first: bool
    """Whether the agent told the bad news before the work (``service.bad_news = "first"``)."""

    @property
    def pool(self) -> QueueingPool:
        """The pool of the agent (the queue's, or the pool it overflowed to)."""
        return self.agent.pool


contact_of: Callable[[tuple[Any, ...]], Contact] = functools.partial(tuple.__new__, Contact)  # type: ignore[assignment]
"""``contact_of((customer, segment, ...))``: a :class:`Contact` from its fields in order,
built in C (a NamedTuple's own constructor is a Python function; see
:func:`peakend.engine.facts.fast`): the hot path builds one per contact."""
answer_of: Callable[[tuple[Any, ...]], Answer] = functools.partial(tuple.__new__, Answer)  # type: ignore[assignment]
"""``answer_of((number, agent, start))``: an :class:`Answer`, built in C."""
service_of: Callable[[tuple[Any, ...]], Service] = functools.partial(tuple.__new__, Service)  # type: ignore[assignment]
"""``service_of((number, agent, start, warmth, result, told_first))``: a :class:`Service`."""

Run = Callable[["JourneyContext", Contact, Service], Generator[Event, Any, None]]
"""A step's journey code: a SimPy generator function of the context, the contact and its
service; it reports its facts itself and yields the events it waits for."""


class Step(NamedTuple):
    """A step of the after-service act, declared by its lever module.

    ``run`` is the step; ``used`` says whether a scenario needs it at all (a
    scenario without a farewell never runs the farewell step) and ``results``
    after which service results (:class:`~peakend.engine.facts.ServiceResult`) it
    may act, so the steps a replication runs after each result are chosen once
    (:func:`peakend.engine.acts.after.steps_of`): a lever costs nothing on a
    contact it cannot act on, and ``run`` is called only after those results.
    """

    name: str
    run: Run
    used: Callable[[Scenario], bool]
    results: frozenset[int]


def first_contact(
    ctx: JourneyContext, customer: int, segment: int, channel: int, patience: float, work: float
) -> Contact:
    """A customer's first contact, at the entry pool of its route (drawn for it here)."""
    route = ctx.routes.route(ctx.decisions.draws, customer, segment, channel)
    return contact_of(
        (customer, segment, channel, route, 0, route[0], ContactKind.FIRST, 0, True, patience, work)
    )


def follow_on(
    ctx: JourneyContext,
    contact: Contact,
    pool: QueueingPool,
    kind: int,
    *,
    felt: bool = True,
    stage: int | None = None,
) -> Contact:
    """The customer's next contact after ``contact``: at ``pool``, for ``kind``.

    Its patience (unless the customer waits at home, ``felt=False``: then
    unlimited) and its work at ``pool`` are the customer's draws for the next
    contact number; ``stage`` moves the customer along its route (default: stays).
    """
    customer = contact.customer
    attempt = contact.attempt + 1
    decisions = ctx.decisions
    patience = decisions.patience(customer, attempt) if felt else math.inf
    work = decisions.work(pool, customer, attempt)
    return contact_of(
        (
            customer,
            contact.segment,
            contact.channel,
            contact.route,
            contact.stage if stage is None else stage,
            pool,
            kind,
            attempt,
            felt,
            patience,
            work,
        )
    )
