"""Lever family "recovery": apology, coupon, callback, escalation, and the repeat contact.

What follows an unresolved problem (``[recovery]`` of the scenario, the
segments' repeat-contact behaviour; ``docs/model/journeys.md``):

- while the agent is still on the line after a failure it sees: an **apology**
  (``apology = true`` or ``policy = "apology"``, taking ``apology_minutes``) and
  a **coupon** (``compensation`` > 0), steps :data:`APOLOGY` and :data:`COUPON`;
- then, once the agent has let go (:func:`after_failure`), unless the customer
  has made ``max_contacts`` contacts:

  - a **hidden defect** (the failure looked like success) hits when the customer
    finds out, after the segment's recontact delay; the customer then contacts
    again at once with the segment's recontact probability, or leaves without a
    word;
  - a failure the agent saw is met by the policy: a **callback** (the company
    promises a call within ``callback_promise_minutes`` and calls after
    ``callback_delay``; the customer waits at home), an **escalation** to a
    senior pool (:func:`peakend.engine.acts.routing.escalate`), or (``none``,
    ``apology``, ``compensation``) a **repeat contact** after the segment's
    recontact delay, with its recontact probability.

A customer contacts again where the problem is: the pool of its current stage.
Nothing is scheduled at or after the end of the arrival window: a follow-up that
would come then does not come, and the journey ends unresolved.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simpy.events import Event

from peakend.engine.acts import routing
from peakend.engine.acts.contact import Contact, Service, Step, follow_on
from peakend.engine.context import JourneyContext
from peakend.engine.facts import (
    Apologised,
    CallbackPromised,
    CalledBack,
    Compensated,
    ContactKind,
    FailureNoticed,
    Finished,
    Outcome,
    ServiceResult,
)

__all__ = [
    "APOLOGY",
    "COUPON",
    "after_failure",
    "apology",
    "callback",
    "coupon",
    "hidden_defect",
    "repeat_contact",
]

FAILED_SEEN, FAILED_UNSEEN = ServiceResult.FAILED_SEEN, ServiceResult.FAILED_UNSEEN
RECONTACT = ContactKind.RECONTACT


def apology(ctx: JourneyContext, contact: Contact, service: Service) -> Generator[Event, Any, None]:
    """After a failure the agent sees: the apology, taking the agent's time."""
    world = ctx.world
    minutes = ctx.policies.recovery.apology_minutes
    start = world.env.now
    if minutes > 0:
        yield world.env.timeout(minutes)
    world.report(Apologised(contact.customer, service.number, start, minutes, service.warmth))


def coupon(ctx: JourneyContext, contact: Contact, service: Service) -> Generator[Event, Any, None]:
    """After a failure the agent sees: a coupon worth ``compensation``."""
    amount = ctx.policies.recovery.compensation
    ctx.world.report(Compensated(contact.customer, service.number, ctx.world.env.now, amount))
    return
    yield  # a generator function: the act runs every step with ``yield from``


SEEN_ONLY = frozenset({FAILED_SEEN})
APOLOGY = Step(
    "apology",
    apology,
    lambda scenario: scenario.recovery.apology or scenario.recovery.policy == "apology",
    SEEN_ONLY,
)
COUPON = Step("coupon", coupon, lambda scenario: scenario.recovery.compensation > 0, SEEN_ONLY)


def after_failure(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, Contact | None]:
    """Where an unresolved problem leads once the agent has let go: the next contact, or
    None when the journey ends there (reported as ``Finished`` unresolved)."""
    following: Contact | None = None
    if contact.attempt + 1 < ctx.policies.segments[contact.segment].max_contacts:
        policy = ctx.policies.recovery.policy
        if service.result == FAILED_UNSEEN:
            following = yield from hidden_defect(ctx, contact, service)
        elif policy == "callback":
            following = yield from callback(ctx, contact, service)
        else:
            if policy == "escalation":
                following = routing.escalate(ctx, contact, service)
            if following is None:
                following = yield from repeat_contact(ctx, contact)
    if following is None:
        world = ctx.world
        world.report(Finished(contact.customer, world.env.now, Outcome.UNRESOLVED))
    return following


def hidden_defect(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, Contact | None]:
    """A failure noticed only later hits when the customer finds out; finding out, the
    customer complains with the segment's recontact behaviour, or leaves without a word:
    a hidden defect costs a contact or a customer."""
    world = ctx.world
    env = world.env
    customer, attempt = contact.customer, contact.attempt
    found_out = env.now + ctx.decisions.recontact_delay(customer, attempt)
    if found_out >= world.horizon:
        return None
    yield env.timeout(found_out - env.now)
    world.report(FailureNoticed(customer, service.number, env.now, True, False))
    rules = ctx.policies.segments[contact.segment]
    if ctx.decisions.chance("recontact", customer, attempt) >= rules.recontact_probability:
        return None
    return follow_on(ctx, contact, contact.home, RECONTACT)


def callback(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, Contact | None]:
    """The company promises a call and makes it; the callback contact waits at home (not
    felt, no patience) at the callback pool, or at the pool of the agent who failed."""
    world = ctx.world
    env = world.env
    policy = ctx.policies.recovery
    customer = contact.customer
    promised_at = env.now
    call_at = promised_at + ctx.decisions.callback_delay(customer, contact.attempt)
    if call_at >= world.horizon:
        return None
    due = promised_at + policy.callback_promise_minutes
    world.report(CallbackPromised(customer, service.number, promised_at, due))
    yield env.timeout(call_at - env.now)
    world.report(CalledBack(customer, service.number, env.now, promised_at, due))
    pool = ctx.routes.by_name[policy.callback_pool] if policy.callback_pool else service.pool
    return follow_on(ctx, contact, pool, ContactKind.CALLBACK, felt=False)


def repeat_contact(ctx: JourneyContext, contact: Contact) -> Generator[Event, Any, Contact | None]:
    """With the segment's recontact probability, the customer contacts again after its
    recontact delay (unless that falls after the end of the arrival window)."""
    world = ctx.world
    env = world.env
    customer, attempt = contact.customer, contact.attempt
    rules = ctx.policies.segments[contact.segment]
    if ctx.decisions.chance("recontact", customer, attempt) >= rules.recontact_probability:
        return None
    at = env.now + ctx.decisions.recontact_delay(customer, attempt)
    if at >= world.horizon:
        return None
    yield env.timeout(at - env.now)
    return follow_on(ctx, contact, contact.home, RECONTACT)
