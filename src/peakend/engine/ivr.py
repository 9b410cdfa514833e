"""The IVR: self-service menus that a contact goes through before it queues for an agent.

A segment's ``ivr`` (:class:`~peakend.config.schema.IvrConfig`) sends every
contact the customer starts (a first contact, a retry, a repeat contact) through
it; a callback, a transfer or a later stage does not. The customer spends the
drawn ``minutes`` there and then, decided by one uniform draw of its own, leaves
(``leave_probability``), finishes in self-service (``self_service_probability``)
or goes on to the queue. The step reports an :class:`~peakend.engine.facts.InIvr`
fact and, when the journey ends there, a :class:`~peakend.engine.facts.Finished`
(abandoned, or resolved by self-service). It is called from one place in
:func:`peakend.engine.journey.journey` (:func:`through_ivr`), before the waiting act.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simpy.events import Event

from peakend.config.schema import IvrConfig
from peakend.engine.acts.contact import Contact
from peakend.engine.context import JourneyContext
from peakend.engine.facts import ContactKind, Finished, InIvr, IvrEnding, Outcome

__all__ = ["ivr_ending", "ivr_stage", "through_ivr"]

_OUTCOME = {IvrEnding.LEFT: Outcome.ABANDONED, IvrEnding.SELF_SERVED: Outcome.RESOLVED}


def through_ivr(ctx: JourneyContext, contact: Contact) -> Generator[Event, Any, bool]:
    """The IVR before ``contact`` if its segment has one and the customer starts the
    contact (first, retry, repeat); True when the journey ended there."""
    rules = ctx.policies.segments[contact.segment]
    if rules.ivr is None or contact.kind > ContactKind.RECONTACT:
        return False
    ending = yield from ivr_stage(ctx, contact.customer, contact.attempt, rules.name, rules.ivr)
    return ending != IvrEnding.QUEUED


def ivr_stage(
    ctx: JourneyContext, customer: int, k: int, segment: str, ivr: IvrConfig
) -> Generator[Event, Any, int]:
    """The customer's stay in the IVR before contact ``k`` (0 = first); returns its
    :class:`IvrEnding` (QUEUED: the journey goes on to the queue)."""
    world = ctx.world
    env = world.env
    start = env.now
    minutes = ctx.decisions.draws.column(f"ivr-minutes:{segment}", k, ivr.minutes.sample)[customer]
    if minutes > 0:
        yield env.timeout(minutes)
    ending = ivr_ending(ctx.decisions.chance("ivr", customer, k), ivr)
    world.report(InIvr(customer, k + 1, start, minutes, ending))
    if ending != IvrEnding.QUEUED:
        world.report(Finished(customer, env.now, _OUTCOME[IvrEnding(ending)]))
    return ending


def ivr_ending(uniform: float, ivr: IvrConfig) -> int:
    """The ending of a stay decided by ``uniform`` on [0, 1): leave, self-service, queue."""
    if uniform < ivr.leave_probability:
        return IvrEnding.LEFT
    if uniform < ivr.leave_probability + ivr.self_service_probability:
        return IvrEnding.SELF_SERVED
    return IvrEnding.QUEUED
