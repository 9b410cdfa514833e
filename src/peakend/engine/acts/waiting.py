"""Act 1, waiting for an agent: announced waits (balking, virtual hold), the queue, retries.

The contact gets its number in the replication and joins its pool's queue
(:class:`~peakend.engine.facts.Queued`). Where the channel announces the
expected wait and no agent is free, the customer hears it first and may leave
at once (balking: with probability ``1 - exp(-announced / scale_minutes)``) or,
over the hold's threshold, take a virtual hold (with probability
``acceptance``): a callback that keeps its place in the queue, waited for at
home without a deadline. An idle agent answers at once; otherwise the contact
waits until an agent answers or its patience runs out. A customer who gives up
tries again after the segment's retry delay with the segment's retry
probability, while contacts are left (``max_contacts``) and before the end of
the arrival window; the retry is the next contact.

The act's value is the :class:`~peakend.engine.acts.contact.Answer` (who
answered, when), the retry's :class:`~peakend.engine.acts.contact.Contact`, or
None when the customer left (balked, or gave up for good: ``Finished``
abandoned).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

from simpy.events import Event

from peakend.engine.acts.contact import Answer, Contact, answer_of, follow_on
from peakend.engine.context import JourneyContext
from peakend.engine.facts import (
    Balked,
    ContactKind,
    Finished,
    GaveUp,
    HoldOffered,
    Outcome,
    Queued,
    queued,
)

__all__ = ["BALKED", "HELD", "QUEUES", "announced_wait_choice", "give_up", "wait"]

QUEUES, BALKED, HELD = 0, 1, 2
"""What a customer told the expected wait does: queues, leaves at once, or takes a hold."""


def wait(ctx: JourneyContext, contact: Contact) -> Generator[Event, Any, Answer | Contact | None]:
    """The contact queues at ``contact.pool`` until an agent answers or patience runs out."""
    world = ctx.world
    env = world.env
    report = world.report
    number = world.next_contact()
    now = env.now
    pool = contact.pool
    customer = contact.customer
    felt, patience = contact.felt, contact.patience
    if ctx.announcements.announces[contact.channel] and felt and not pool.has_idle():
        # Told the expected wait, some leave at once; others take a virtual hold.
        choice = announced_wait_choice(ctx, contact, number)
        if choice == BALKED:
            report(Queued(number, customer, pool.index, contact.kind, now, now, felt))
            report(GaveUp(number, now))
            report(Finished(customer, now, Outcome.ABANDONED))
            return None
        if choice == HELD:
            felt, patience = False, math.inf
    deadline = now + patience
    report(queued((number, customer, pool.index, contact.kind, now, deadline, felt)))
    agent = pool.take_idle()
    if agent is not None:
        return answer_of((number, agent, now))
    rules = ctx.policies.segments[contact.segment]
    attempt = contact.attempt
    will_retry = (
        felt
        and attempt + 1 < rules.max_contacts
        and ctx.decisions.chance("retry", customer, attempt) < rules.retry_probability
    )
    # Only a customer who may retry must act when it gives up (an exact timer); one whose
    # patience outlasts the arrival window cannot retry, and the pool may notice it late.
    exact = will_retry and deadline < world.horizon
    agent = yield pool.queue_up(deadline, exact, rules.priority)
    if agent is not None:
        return answer_of((number, agent, env.now))
    report(GaveUp(number, deadline))
    return (yield from give_up(ctx, contact, deadline, will_retry))


def give_up(
    ctx: JourneyContext, contact: Contact, deadline: float, will_retry: bool
) -> Generator[Event, Any, Contact | None]:
    """After giving up at ``deadline``: the retry after the customer's retry delay, or the end
    (``Finished`` abandoned) when it would not retry or the retry would come too late."""
    world = ctx.world
    customer = contact.customer
    retry_at = (
        deadline + ctx.decisions.retry_delay(customer, contact.attempt) if will_retry else math.inf
    )
    if retry_at >= world.horizon:
        world.report(Finished(customer, deadline, Outcome.ABANDONED))
        return None
    yield world.env.timeout(retry_at - world.env.now)
    return follow_on(ctx, contact, contact.pool, ContactKind.RETRY, felt=contact.felt)


def announced_wait_choice(ctx: JourneyContext, contact: Contact, number: int) -> int:
    """Told the expected wait, the customer stays (QUEUES), leaves at once (BALKED), or
    takes a virtual hold (HELD): a callback that keeps its place, promised by the
    expected wait; the promise, or the wait the customer left on, is reported here."""
    channel, customer, attempt = contact.channel, contact.customer, contact.attempt
    rules = ctx.policies.segments[contact.segment]
    announced = contact.pool.expected_wait(rules.priority)
    announcements = ctx.announcements
    world = ctx.world
    chance = ctx.decisions.chance
    balking = announcements.balking[channel]
    if balking.enabled and chance("balk", customer, attempt) < 1 - math.exp(
        -announced / balking.scale_minutes
    ):
        world.report(Balked(customer, number, world.env.now, announced))
        return BALKED
    hold = announcements.holds[channel]
    if (
        hold.enabled
        and announced > hold.threshold_minutes
        and chance("virtual-hold", customer, attempt) < hold.acceptance
    ):
        now = world.env.now
        world.report(HoldOffered(customer, number, now, now + announced))
        return HELD
    return QUEUES
