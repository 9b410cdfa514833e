"""Customer journeys as SimPy generator functions: a short loop over acts.

A journey reads like the story it tells: the customer contacts a pool (through
the segment's IVR first, if it has one, :mod:`peakend.engine.ivr`) and waits
(or gives up and perhaps tries again later), is served, and then, after the
agent's last words, goes on to the next stage, is passed on, is met by the
recovery policy, or is done. Each act is a generator function of its own
module in :mod:`peakend.engine.acts` over one small immutable value, the
current :class:`~peakend.engine.acts.contact.Contact`; an act that leads to a
next contact returns it. A journey counts nothing and feels nothing: it reports
what happened, when it happens, as facts (:mod:`peakend.engine.facts`) through
its :class:`~peakend.engine.context.JourneyContext`. Every random decision
comes from the customer's own draws for that contact.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simpy.events import Event

from peakend.engine.acts.after import after_service
from peakend.engine.acts.contact import Answer, Contact, first_contact
from peakend.engine.acts.service import be_served
from peakend.engine.acts.waiting import wait
from peakend.engine.context import JourneyContext
from peakend.engine.ivr import through_ivr

__all__ = ["Journey", "go_on", "journey"]

Journey = Generator[Event, Any, None]


def journey(
    ctx: JourneyContext, customer: int, segment: int, channel: int, patience: float, work: float
) -> Journey:
    """The life of one customer in the service system.

    ``patience`` and ``work`` of the first contact are passed in (drawn up front
    with everyone else's); later contacts take theirs from the customer's draws.
    """
    yield from go_on(ctx, first_contact(ctx, customer, segment, channel, patience, work))


def go_on(ctx: JourneyContext, contact: Contact | None) -> Journey:
    """The journey from ``contact`` on (None: it is over), act after act: the loop of
    :func:`journey`, which the express lane (:mod:`peakend.engine.express`) also joins
    once a customer needs a lever."""
    while contact is not None:
        if (yield from through_ivr(ctx, contact)):  # left, or served itself, in the IVR
            return
        answer = yield from wait(ctx, contact)  # act 1: an agent answers, or a retry, or gone
        if not isinstance(answer, Answer):
            contact = answer
            continue
        service = yield from be_served(ctx, contact, answer)  # act 2
        contact = yield from after_service(ctx, contact, service)  # act 3
