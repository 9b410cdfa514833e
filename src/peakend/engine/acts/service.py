"""Act 2, being served: the agent works on the problem and the result is settled.

The agent who answered takes the contact (in its own books: whom it serves),
meets the customer with its warmth (cooled by recent load where the pool's
``stress`` is on), and does the contact's work: ``work`` minutes on a phone
pool, stretched by the agent's other open chats on a chat pool
(:mod:`peakend.engine.chat`). What the service did is settled by the agent's
skill and the customer's own draws for this contact (:func:`service_result`),
and the customer learns it at the end of the work (:class:`~peakend.engine.facts.Served`),
unless the agent tells the bad news first (:mod:`~peakend.engine.acts.closing`).

The act's value is the :class:`~peakend.engine.acts.contact.Service`; the agent
is still on the line (the after-service act lets it go).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simpy.events import Event

from peakend.engine.acts import closing, routing
from peakend.engine.acts.contact import Answer, Contact, Service, service_of
from peakend.engine.context import JourneyContext
from peakend.engine.facts import ServiceResult, served
from peakend.engine.staffing import Agent, QueueingPool

__all__ = ["be_served", "service_result"]

RESOLVED, FAILED_SEEN, FAILED_UNSEEN, TRANSFERRED = (
    ServiceResult.RESOLVED,
    ServiceResult.FAILED_SEEN,
    ServiceResult.FAILED_UNSEEN,
    ServiceResult.TRANSFERRED,
)


def be_served(
    ctx: JourneyContext, contact: Contact, answer: Answer
) -> Generator[Event, Any, Service]:
    """The agent of ``answer`` serves ``contact``; reports ``Served`` when the work ends."""
    number, agent, start = answer
    pool = agent.pool  # the overflow pool's agent may have taken the contact
    agent.contact = number  # the agent's own books: whom it is serving
    warmth = pool.warmth_of(agent, start) if pool.stressed else agent.warmth
    result = service_result(ctx, contact, pool, agent)
    told_first = result == FAILED_SEEN and closing.tell_bad_news_first(ctx, contact, answer)
    world = ctx.world
    work = contact.work
    if contact.pool.service_factors:  # service_time_factor of the queue's pool, by the hour
        work *= contact.pool.service_factor(start)
    if pool.concurrent:  # a chat pool shares the agent's speed among its chats
        yield pool.serve(agent, number, work)
    else:
        yield world.env.timeout(work)
    world.report(served((number, start, world.env.now, pool.index, agent.index, warmth, result)))
    return service_of((number, agent, start, warmth, result, told_first))


def service_result(ctx: JourneyContext, contact: Contact, pool: QueueingPool, agent: Agent) -> int:
    """What the service did (:class:`~peakend.engine.facts.ServiceResult`), from the
    customer's draws for this contact: passed on (:func:`routing.passes_on`), else
    resolved with the agent's resolution probability, else failed, seen at once or
    (with the pool's ``failure_noticed_later_probability``) only later."""
    if pool.transfers and routing.passes_on(ctx, contact, pool):
        return TRANSFERRED
    uniform = ctx.decisions.draws.uniform
    customer, attempt = contact.customer, contact.attempt
    if uniform("resolution", attempt)[customer] < agent.resolve_probability:
        return RESOLVED
    if uniform("late-notice", attempt)[customer] < pool.config.failure_noticed_later_probability:
        return FAILED_UNSEEN
    return FAILED_SEEN
