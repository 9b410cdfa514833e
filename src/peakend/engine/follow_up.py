"""The follow-up lever: a message some time after a resolved contact.

A lever in one module: the kind of fact it reports (:class:`FollowedUp`, with what it
adds to a customer's record and how it is felt, declared beside its fields), and its
journey step (:func:`follow_up`, declared as the after-service step :data:`FOLLOW_UP`,
listed in :data:`peakend.engine.acts.after.AFTERWARDS`: it runs after the agent has let
go, in the customer's own time). Its settings are ``service.follow_up``,
``service.follow_up_delay_minutes``, ``service.follow_up_cost`` and
``experience.follow_up_gain`` (:mod:`peakend.config.schema`); ``docs/adding-a-lever.md``
walks through how it was added.

What it models: ``follow_up_delay_minutes`` after a journey ends resolved, the company
sends a message (a thank-you that recalls what was solved, with a way back in should
the problem return). It takes no agent time (it is sent by the system) and costs
``follow_up_cost`` in money per message (``extras_cost``). The customer feels it as a
moment on top of how the contact ended (its service, farewell or delight) by
``experience.follow_up_gain`` points: it becomes the journey's last moment, so under
an end-weighted memory (peak-end) the journey is remembered better. The size of the
gain is an assumption (``docs/parameters.md``); the direction follows from the
end-weighting of memory (Kahneman et al. 1993; ``docs/model/memory.md``).

A message due at or after the horizon is not sent (like a callback: nothing is
scheduled after the day), and it draws no random number, so a run with the lever on
keeps every other draw, queue and record of the same run with it off (common random
numbers).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, NamedTuple

from simpy.events import Event

from peakend.engine.acts.contact import Contact, Service, Step
from peakend.engine.context import JourneyContext
from peakend.engine.facts import Felt, ServiceResult, Tally, fact

__all__ = ["FOLLOW_UP", "FollowedUp", "follow_up"]


@fact(
    Tally(
        money="extras_cost",
        price="service.follow_up_cost",
        what="follow-up messages at service.follow_up_cost",
    ),
    # After the delight (9) and before a failure found out later (10).
    Felt((("follow_up", 9.5),), "other", gain="follow_up_gain", on_top=True),
)
class FollowedUp(NamedTuple):
    """A follow-up message about the resolved ``contact`` reaches the customer at ``at``."""

    customer: int
    contact: int
    at: float


def follow_up(
    ctx: JourneyContext, contact: Contact, service: Service
) -> Generator[Event, Any, None]:
    """After the last stage of a journey is resolved: wait the delay, send the message.

    Does nothing after an earlier stage, or when the message would be due at or after
    the horizon.
    """
    if not contact.last_stage:
        return
    world = ctx.world
    env = world.env
    at = env.now + ctx.policies.service.follow_up_delay_minutes
    if at >= world.horizon:
        return
    if at > env.now:
        yield env.timeout(at - env.now)
    world.report(FollowedUp(contact.customer, service.number, env.now))


FOLLOW_UP = Step(
    "follow-up",
    follow_up,
    lambda scenario: scenario.service.follow_up,
    frozenset({ServiceResult.RESOLVED}),
)
"""The step of the after-service act (in the customer's own time, after the agent)."""
