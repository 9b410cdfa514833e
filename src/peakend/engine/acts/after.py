"""Act 3, after the service: last words on the line, the agent lets go, the story goes on.

The act runs in four parts:

1. **on the line** (:data:`ON_THE_LINE`): steps while the agent is still with
   the customer after the work, in this order: farewell and delight after a
   resolved last stage, the bad news (if not told first), apology, coupon and
   alternative after a failure the agent sees. Their minutes hold the agent;
2. the agent **lets go** (``release``): next customer, idle, or home;
3. **afterwards** (:data:`AFTERWARDS`): steps in the customer's own time, after
   the agent has gone and before the story goes on; none is built in;
4. **onward** (:func:`onward`): a resolved service goes to the next stage or
   ends the journey (:mod:`~peakend.engine.acts.routing`), a transfer queues the
   customer at the next pool, and a failure is met by the recovery policy
   (:mod:`~peakend.engine.acts.recovery`).

Extension points: a lever that acts after a service declares a
:class:`~peakend.engine.acts.contact.Step` in its own module (its journey code
and whether a scenario uses it) and is listed once here, in
:data:`ON_THE_LINE` if it takes the agent's time, else in :data:`AFTERWARDS`
(a message sent after a resolved contact, say). A step reads the contact and
its :class:`~peakend.engine.acts.contact.Service` (``result``, ``warmth``,
``number``), checks whether it applies, reports its facts and may yield SimPy
events (a timeout for its minutes). :func:`steps_of` keeps, once per
replication, the steps the scenario uses, so an unused lever costs nothing per
contact.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from simpy.events import Event

from peakend.config.schema import Scenario
from peakend.engine.acts import closing, recovery, routing
from peakend.engine.acts.contact import Contact, Run, Service, Step
from peakend.engine.context import JourneyContext
from peakend.engine.facts import Finished, Outcome, ServiceResult

__all__ = ["AFTERWARDS", "ON_THE_LINE", "Steps", "after_service", "onward", "steps_of"]

ON_THE_LINE: tuple[Step, ...] = (
    closing.FAREWELL,
    closing.DELIGHT,
    closing.BAD_NEWS,
    recovery.APOLOGY,
    recovery.COUPON,
    closing.ALTERNATIVE,
)
"""The steps while the agent is on the line after the work, in the order they happen."""

AFTERWARDS: tuple[Step, ...] = ()
"""The steps after the agent has let go, before the story goes on, in order."""


@dataclass(frozen=True, slots=True)
class Steps:
    """The after-service steps one scenario uses (:func:`steps_of`)."""

    on_the_line: tuple[Run, ...]
    afterwards: tuple[Run, ...]


def steps_of(scenario: Scenario) -> Steps:
    """The steps of :data:`ON_THE_LINE` and :data:`AFTERWARDS` that ``scenario`` uses."""
    return Steps(
        on_the_line=tuple(step.run for step in ON_THE_LINE if step.used(scenario)),
        afterwards=tuple(step.run for step in AFTERWARDS if step.used(scenario)),
    )


def after_service(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, Contact | None]:
    """The steps on the line, the agent lets go, the steps afterwards, and what comes next:
    the next contact, or None (the journey is over)."""
    steps = ctx.steps
    for run in steps.on_the_line:
        yield from run(ctx, contact, service)
    agent = service.agent
    agent.pool.release(agent, ctx.world.env.now, service.number)
    for run in steps.afterwards:
        yield from run(ctx, contact, service)
    return (yield from onward(ctx, contact, service))


def onward(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, Contact | None]:
    """The next contact after ``service`` by its result, or None when the journey ends
    (an unresolved end is reported here as ``Finished``; a resolved one is not)."""
    result = service.result
    if result == ServiceResult.RESOLVED:
        return routing.next_stage(ctx, contact)
    if result == ServiceResult.TRANSFERRED:
        return routing.transfer(ctx, contact, service)
    following = yield from recovery.after_failure(ctx, contact, service)
    if following is None:
        world = ctx.world
        world.report(Finished(contact.customer, world.env.now, Outcome.UNRESOLVED))
    return following
