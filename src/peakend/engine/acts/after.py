"""Act 3, after the service: last words on the line, the agent lets go, the story goes on.

The act runs in four parts:

1. **on the line** (:data:`ON_THE_LINE`): steps while the agent is still with
   the customer after the work, in this order: farewell and delight after a
   resolved last stage, the bad news (if not told first), apology, coupon and
   alternative after a failure the agent sees. Their minutes hold the agent;
2. the agent **lets go** (``release``): next customer, idle, or home;
3. **afterwards** (:data:`AFTERWARDS`): steps in the customer's own time, after
   the agent has gone and before the story goes on: the follow-up message
   (:mod:`peakend.engine.follow_up`);
4. **onward**: a resolved service goes to the next stage or
   ends the journey (:mod:`~peakend.engine.acts.routing`), a transfer queues the
   customer at the next pool, and a failure is met by the recovery policy
   (:mod:`~peakend.engine.acts.recovery`).

Extension points: a lever that acts after a service declares a
:class:`~peakend.engine.acts.contact.Step` in its own module (its journey code
and whether a scenario uses it) and is listed once here, in
:data:`ON_THE_LINE` if it takes the agent's time, else in :data:`AFTERWARDS`
(a message sent after a resolved contact, say). The step names the service
results after which it may act; it reads the contact and its
:class:`~peakend.engine.acts.contact.Service` (``result``, ``warmth``,
``number``), reports its facts and may yield SimPy events (a timeout for its
minutes). :func:`steps_of` keeps, once per replication, the steps the scenario
uses by service result, so a lever costs nothing on a contact it cannot act on.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from simpy.events import Event

from peakend.config.schema import Scenario
from peakend.engine import follow_up
from peakend.engine.acts import closing, recovery, routing
from peakend.engine.acts.contact import Contact, Run, Service, Step
from peakend.engine.context import JourneyContext
from peakend.engine.facts import ServiceResult

__all__ = ["AFTERWARDS", "ON_THE_LINE", "Steps", "after_service", "steps_of"]

RESOLVED, TRANSFERRED = ServiceResult.RESOLVED, ServiceResult.TRANSFERRED

ON_THE_LINE: tuple[Step, ...] = (
    closing.FAREWELL,
    closing.DELIGHT,
    closing.BAD_NEWS,
    recovery.APOLOGY,
    recovery.COUPON,
    closing.ALTERNATIVE,
)
"""The steps while the agent is on the line after the work, in the order they happen."""

AFTERWARDS: tuple[Step, ...] = (follow_up.FOLLOW_UP,)
"""The steps after the agent has let go, before the story goes on, in order."""


@dataclass(frozen=True, slots=True)
class Steps:
    """The after-service steps one scenario uses (:func:`steps_of`), by service result:
    ``on_the_line[result]`` and ``afterwards[result]`` are the steps that may act after
    a service with that :class:`~peakend.engine.facts.ServiceResult`, in order."""

    on_the_line: tuple[tuple[Run, ...], ...]
    afterwards: tuple[tuple[Run, ...], ...]


def steps_of(scenario: Scenario) -> Steps:
    """The steps of :data:`ON_THE_LINE` and :data:`AFTERWARDS` that ``scenario`` uses."""
    return Steps(_by_result(ON_THE_LINE, scenario), _by_result(AFTERWARDS, scenario))


def _by_result(steps: tuple[Step, ...], scenario: Scenario) -> tuple[tuple[Run, ...], ...]:
    used = [step for step in steps if step.used(scenario)]
    return tuple(
        tuple(step.run for step in used if result in step.results) for result in ServiceResult
    )


def after_service(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, Contact | None]:
    """The steps on the line, the agent lets go, the steps afterwards, and what comes next
    by the service's result: the next contact, or None (the journey is over; an
    unresolved end is reported as ``Finished``, a resolved one is not)."""
    steps = ctx.steps
    result = service.result
    for run in steps.on_the_line[result]:
        yield from run(ctx, contact, service)
    agent = service.agent
    agent.pool.release(agent, ctx.world.env.now, service.number)
    for run in steps.afterwards[result]:
        yield from run(ctx, contact, service)
    if result == RESOLVED:
        return routing.next_stage(ctx, contact)
    if result == TRANSFERRED:
        return routing.transfer(ctx, contact, service)
    return (yield from recovery.after_failure(ctx, contact, service))
