"""Customer journeys as SimPy generator functions.

A journey reads like the story it tells: the customer contacts the entry pool,
waits (or gives up and perhaps tries again later), is served, and either has the
problem resolved or contacts again. Bookkeeping stays out of the way: the
journey reports what happened to the replication's recorder, and (when the
experience model is on) emits episodes for it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simpy.events import Event

if TYPE_CHECKING:
    from .simulation import Replication
    from .staffing import Pool

__all__ = ["Customer", "Outcome", "journey"]


class Outcome:
    """How a journey ended (stored as small integers in the records)."""

    RESOLVED = 0
    UNRESOLVED = 1
    ABANDONED = 2
    IN_SYSTEM = 3
    NAMES = ("resolved", "unresolved", "abandoned", "in_system")


class Customer:
    """One customer's journey state. Plain slots: this is on the hot path."""

    __slots__ = (
        "agent",
        "arrival",
        "contact_arrival",
        "contacts",
        "deadline",
        "first_resolved",
        "id",
        "outcome",
        "pool",
        "queued",
        "retries",
        "segment",
        "service_end",
        "service_start",
        "wait_minutes",
        "wake",
    )

    def __init__(self, customer_id: int, segment: int, arrival: float) -> None:
        self.id = customer_id
        self.segment = segment
        self.arrival = arrival
        self.contacts = 0
        self.retries = 0
        self.wait_minutes = 0.0
        self.outcome = Outcome.IN_SYSTEM
        self.first_resolved = False
        self.pool: Pool | None = None
        self.contact_arrival = arrival
        self.agent = -1
        self.service_start = float("nan")
        self.service_end = float("nan")
        self.deadline = float("inf")
        self.queued = False
        self.wake: Event | None = None


def journey(
    rep: Replication, customer: Customer, patience: float, work: float
) -> Generator[Event, Any, None]:
    """The life of one customer in the service system (a SimPy process).

    ``patience`` and ``work`` (service time at the entry pool) of the first contact
    are drawn up front per customer, so that they are common to all scenarios
    compared with the same seed.
    """
    env = rep.env
    segment = rep.segments[customer.segment]
    pool = rep.entry_pool[customer.segment]
    horizon = rep.horizon
    while True:
        customer.contacts += 1
        customer.pool = pool
        customer.contact_arrival = arrived = env.now
        agent = pool.idle_agent()
        if agent is None:
            # The retry decision is needed before the wait: a customer who will
            # retry must give up on an exact timer, one who won't can do so lazily.
            will_retry = (
                customer.contacts < segment.max_contacts
                and segment.retry_draw() < segment.retry_probability
            )
            agent = yield pool.join_queue(customer, arrived + patience, exact=will_retry)
            if agent is None:
                gave_up = arrived + patience
                rep.record_contact(customer, pool, arrived, gave_up - arrived, None, gave_up)
                retry_at = gave_up + segment.retry_delay() if will_retry else horizon
                if retry_at < horizon:
                    customer.retries += 1
                    yield env.timeout(retry_at - env.now)
                    patience, work = segment.patience_draw(), pool.work_draw()
                    continue
                customer.outcome = Outcome.ABANDONED
                break
        start = env.now
        yield env.timeout(work)
        pool.release(agent)
        resolved = rep.resolution_draw() < agent.resolve_probability
        rep.record_contact(customer, pool, arrived, start - arrived, agent, start, resolved)
        if resolved:
            customer.outcome = Outcome.RESOLVED
            break
        recontact_at = (
            env.now + segment.recontact_delay()
            if customer.contacts < segment.max_contacts
            and segment.recontact_draw() < segment.recontact_probability
            else horizon
        )
        if recontact_at >= horizon:
            customer.outcome = Outcome.UNRESOLVED
            break
        yield env.timeout(recontact_at - env.now)
        patience, work = segment.patience_draw(), pool.work_draw()
    rep.record_customer(customer)
