"""Lever family "closing and extras": farewell, delight, alternative, bad news first or last.

What the agent says and does at the end of a service, while still on the line
(``[service]`` of the scenario; ``docs/model/journeys.md``):

- after a resolved service at the last stage of the route, a **farewell**
  (``farewell``, taking ``farewell_minutes`` of the agent's time) and, with
  ``delight_probability``, an unexpected small **extra** (the customer's own
  ``delight`` draw for the contact);
- after a failure the agent sees, the **bad news**: at the end of the work
  (``bad_news = "last"``, the default) or as soon as the agent answers
  (``"first"``: :func:`tell_bad_news_first`, called by the service act);
- after a failure the agent sees, an **alternative** offered
  (``offer_alternative``, taking ``alternative_minutes``), after any apology and
  coupon (:mod:`~peakend.engine.acts.recovery`).

The steps of the after-service act are :data:`FAREWELL`, :data:`DELIGHT`,
:data:`BAD_NEWS` and :data:`ALTERNATIVE`; their order is
:data:`peakend.engine.acts.after.ON_THE_LINE`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simpy.events import Event

from peakend.engine.acts.contact import Answer, Contact, Service, Step
from peakend.engine.context import JourneyContext
from peakend.engine.facts import (
    AlternativeOffered,
    Delighted,
    FailureNoticed,
    Farewell,
    ServiceResult,
)

__all__ = [
    "ALTERNATIVE",
    "BAD_NEWS",
    "DELIGHT",
    "FAREWELL",
    "alternative",
    "bad_news",
    "delight",
    "farewell",
    "tell_bad_news_first",
]

RESOLVED, FAILED_SEEN = ServiceResult.RESOLVED, ServiceResult.FAILED_SEEN


def tell_bad_news_first(ctx: JourneyContext, contact: Contact, answer: Answer) -> bool:
    """With ``bad_news = "first"``, a failure the agent sees (the service act asks only
    then) is told when the agent answers: reports it and returns True (the
    :func:`bad_news` step then stays silent)."""
    if ctx.policies.service.bad_news != "first":
        return False
    ctx.world.report(FailureNoticed(contact.customer, answer.number, answer.start, False, True))
    return True


def farewell(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, None]:
    """The farewell ritual after a resolved service at the last stage."""
    if not contact.last_stage:
        return
    world = ctx.world
    minutes = ctx.policies.service.farewell_minutes
    start = world.env.now
    if minutes > 0:
        yield world.env.timeout(minutes)
    world.report(Farewell(contact.customer, service.number, start, minutes, service.warmth))


def delight(ctx: JourneyContext, contact: Contact, service: Service) -> Generator[Event, Any, None]:
    """Now and then, after a resolved service at the last stage, an unexpected extra."""
    if not contact.last_stage:
        return
    probability = ctx.policies.service.delight_probability
    if ctx.decisions.chance("delight", contact.customer, contact.attempt) < probability:
        ctx.world.report(Delighted(contact.customer, service.number, ctx.world.env.now))
    return
    yield  # a generator function: the act runs every step with ``yield from``


def bad_news(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, None]:
    """A failure the agent sees and has not told first: told at the end of the work."""
    if not service.told_first:
        ctx.world.report(
            FailureNoticed(contact.customer, service.number, ctx.world.env.now, False, False)
        )
    return
    yield  # a generator function: the act runs every step with ``yield from``


def alternative(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, None]:
    """After a failure the agent sees: an alternative offered, taking the agent's time."""
    world = ctx.world
    minutes = ctx.policies.service.alternative_minutes
    start = world.env.now
    if minutes > 0:
        yield world.env.timeout(minutes)
    warmth = service.warmth
    world.report(AlternativeOffered(contact.customer, service.number, start, minutes, warmth))


RESOLVED_ONLY, SEEN_ONLY = frozenset({RESOLVED}), frozenset({FAILED_SEEN})
FAREWELL = Step("farewell", farewell, lambda scenario: scenario.service.farewell, RESOLVED_ONLY)
DELIGHT = Step(
    "delight", delight, lambda scenario: scenario.service.delight_probability > 0, RESOLVED_ONLY
)
BAD_NEWS = Step("bad news", bad_news, lambda scenario: True, SEEN_ONLY)
"""Every scenario tells a failure the agent sees (first or last)."""
ALTERNATIVE = Step(
    "alternative", alternative, lambda scenario: scenario.service.offer_alternative, SEEN_ONLY
)
