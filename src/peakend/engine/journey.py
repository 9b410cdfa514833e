"""Customer journeys as SimPy generator functions.

A journey reads like the story it tells: the customer contacts a pool, waits
(or gives up and perhaps tries again later), is served, and either has the
problem resolved or not; an unresolved problem is met by the recovery policy
(an apology, a coupon, a callback, an escalation, or nothing, in which case the
customer contacts again). Bookkeeping stays out of the way: the journey tells
the replication what happened (``rep.record_contact``, ``rep.record_customer``)
and emits experience episodes (``rep.emit``) that the experience model turns
into utility after the run.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simpy.events import Event

from peakend.experience.moments import compensation_points, urgency_points
from peakend.experience.trace import EpisodeKind

if TYPE_CHECKING:
    from peakend.engine.replication import Replication
    from peakend.engine.staffing import Agent, Pool

__all__ = ["Customer", "Outcome", "journey"]

WAIT, SERVICE, FAILURE = EpisodeKind.WAIT, EpisodeKind.SERVICE, EpisodeKind.FAILURE
TRANSFER, RECOVERY = EpisodeKind.TRANSFER, EpisodeKind.RECOVERY
FAREWELL, DELIGHT = EpisodeKind.FAREWELL, EpisodeKind.DELIGHT

Journey = Generator[Event, Any, Any]


class Outcome:
    """How a journey ended (stored as small integers in the records)."""

    RESOLVED = 0
    UNRESOLVED = 1
    ABANDONED = 2
    IN_SYSTEM = 3
    NAMES = ("resolved", "unresolved", "abandoned", "in_system")


class Customer:
    """One customer's journey state.

    On the hot path: the constructor sets only who the customer is; every
    counter starts from its class-level default and becomes an instance
    attribute the first time the journey changes it.
    """

    contacts = 0
    retries = 0
    effort = 0
    transfers = 0
    failures = 0
    recoveries = 0
    goodwill = 0.0
    recovery_cost = 0.0
    extras_cost = 0.0
    wait_minutes = 0.0
    outcome = Outcome.IN_SYSTEM
    first_resolved = False
    pool: Pool | None = None
    agent = -1
    service_start = math.nan
    service_end = math.nan
    answered_once = False
    deadline = math.inf
    gave_up_at = math.nan
    queued = False
    will_retry = False
    wake: Event | None = None

    def __init__(self, customer_id: int, segment: int, channel: int, arrival: float) -> None:
        self.id = customer_id
        self.segment = segment
        self.channel = channel
        self.arrival = self.contact_arrival = arrival


def journey(rep: Replication, customer: Customer, patience: float, work: float) -> Journey:
    """The life of one customer in the service system.

    ``patience`` and ``work`` (service time at the entry pool) of the first contact
    are drawn up front per customer, so that they are common to all scenarios
    compared with the same seed (common random numbers).
    """
    env = rep.env
    segment = rep.segments[customer.segment]
    channel = rep.channels[customer.channel]
    pool = rep.entry_pool[customer.channel][customer.segment]
    on_hold = True  # False while the company calls the customer back
    recovering = False  # a callback or an escalated contact: its agent time is recovery cost
    while True:
        customer.contacts += 1
        customer.pool = pool
        customer.contact_arrival = env.now
        agent = pool.idle_agent() or (
            yield from wait_in_queue(rep, customer, pool, patience, on_hold)
        )
        if agent is None:
            retry_at = (
                customer.gave_up_at + segment.retry_delay() if customer.will_retry else math.inf
            )
            if retry_at >= rep.horizon:
                customer.outcome = Outcome.ABANDONED
                break
            customer.retries += 1
            customer.effort += 1
            yield env.timeout(retry_at - env.now)
        else:
            if recovering:
                customer.recovery_cost += work * pool.config.agent_cost_per_hour / 60
            result, agent_minutes = begin_service(rep, customer, pool, agent, work)
            yield env.timeout(agent_minutes)
            pool.release(agent)
            rep.record_contact(
                customer,
                pool,
                customer.contact_arrival,
                customer.service_start - customer.contact_arrival,
                agent,
                customer.service_start,
                result is Served.RESOLVED,
            )
            if result is Served.RESOLVED:
                customer.outcome = Outcome.RESOLVED
                break
            step = yield from after_failure(rep, customer, pool, result is Served.FAILED_SEEN)
            if step is None:
                customer.outcome = Outcome.UNRESOLVED
                break
            pool, on_hold, recovering = step
        patience = segment.patience_draw() * channel.patience_factor if on_hold else math.inf
        work = pool.work_draw()
    rep.record_customer(customer)


class Served:
    """Result of a service: resolved, failed and seen by the agent, failed unnoticed."""

    RESOLVED = "resolved"
    FAILED_SEEN = "failed, seen"
    FAILED_UNSEEN = "failed, noticed later"


def wait_in_queue(
    rep: Replication, customer: Customer, pool: Pool, patience: float, on_hold: bool
) -> Generator[Event, Any, Agent | None]:
    """Queue at ``pool`` until an agent answers (returns it) or patience runs out (None).

    A customer ``on_hold`` experiences the wait; a customer waiting for a callback
    is at home and does not (and has unlimited patience).
    """
    arrived = customer.contact_arrival
    segment = rep.segments[customer.segment]
    # Whether to retry is needed before the wait: a customer who will retry must
    # give up on an exact timer, one who won't can be dropped lazily.
    customer.will_retry = will_retry = (
        on_hold
        and customer.contacts < segment.max_contacts
        and segment.retry_draw() < segment.retry_probability
    )
    agent = yield pool.join_queue(customer, arrived + patience, exact=will_retry)
    if agent is None:
        customer.gave_up_at = gave_up = arrived + patience
        rep.record_contact(customer, pool, arrived, patience, None, gave_up)
        wait = patience
    else:
        wait = rep.env.now - arrived
    if on_hold and rep.emit is not None and wait > 0:
        rep.emit((customer.id, WAIT, arrived, wait, 0.0, 0.0))
    return agent


def begin_service(
    rep: Replication, customer: Customer, pool: Pool, agent: Agent, work: float
) -> tuple[str, float]:
    """Start serving: returns the :class:`Served` result and the agent-minutes it takes.

    Whether the agent resolves the problem is settled by the agent's skill, so it
    is drawn now; the customer learns it at the end of the service. The agent
    stays on for an apology after a failure it sees and for the farewell ritual
    after a success, so these add agent time.
    """
    start = customer.service_start = rep.env.now
    resolved = rep.resolution_draw() < agent.resolve_probability
    seen = resolved or rep.late_notice_draw() >= pool.config.failure_noticed_later_probability
    if rep.emit is not None:
        wait = start - customer.contact_arrival
        # The customer judges the service by what it looks like: an unnoticed
        # defect feels like success, for now. A seen failure is encoded as -wait-1.
        felt_ok = resolved or not seen
        rep.emit((customer.id, SERVICE, start, work, agent.warmth, wait if felt_ok else -wait - 1))
    end = start + work
    if resolved:
        return Served.RESOLVED, work + (
            closing(rep, customer, pool, agent, end) if rep.closing else 0.0
        )
    if seen:
        return Served.FAILED_SEEN, work + acknowledge_failure(rep, customer, pool, end)
    return Served.FAILED_UNSEEN, work


def shock(rep: Replication, customer: Customer, at: float) -> None:
    """The moment a failure hits: worse after a recovery (double deviation)."""
    customer.failures += 1
    severity = rep.segments[customer.segment].config.failure_severity
    if customer.recoveries:
        # Maxham & Netemeyer (2002): a second failure wipes out the recovery's goodwill.
        severity = severity * (1 + rep.experience.double_deviation_penalty) + customer.goodwill
        customer.goodwill = 0.0
    if rep.emit is not None:
        rep.emit((customer.id, FAILURE, at, 0.0, severity, 0.0))


def acknowledge_failure(rep: Replication, customer: Customer, pool: Pool, at: float) -> float:
    """A failure the agent sees at time ``at``: the shock, then apology and coupon if the
    policy says so. Returns the agent-minutes the apology takes."""
    shock(rep, customer, at)
    policy = rep.scenario.recovery
    exp = rep.experience
    gain = 0.0
    minutes = 0.0
    if policy.apology or policy.policy == "apology":
        minutes = policy.apology_minutes
        customer.recovery_cost += minutes * pool.config.agent_cost_per_hour / 60
        gain += exp.apology_gain
    if policy.compensation > 0:
        severity = rep.segments[customer.segment].config.failure_severity
        gain += compensation_points(
            policy.compensation, severity, exp.points_per_currency, exp.overcompensation_slope
        )
        customer.recovery_cost += policy.compensation
    if gain > 0:
        recover(rep, customer, gain, at, minutes)
    return minutes


def recover(rep: Replication, customer: Customer, gain: float, at: float, minutes: float) -> None:
    """A recovery episode worth ``gain`` points, from ``at`` for ``minutes``."""
    customer.recoveries += 1
    customer.goodwill += gain
    if rep.emit is not None:
        rep.emit((customer.id, RECOVERY, at, minutes, gain, 0.0))


def closing(rep: Replication, customer: Customer, pool: Pool, agent: Agent, at: float) -> float:
    """Farewell ritual and, now and then, an unexpected extra; returns agent-minutes."""
    service = rep.scenario.service
    exp = rep.experience
    minutes = 0.0
    if service.farewell:
        minutes = service.farewell_minutes
        customer.extras_cost += minutes * pool.config.agent_cost_per_hour / 60
        if rep.emit is not None:
            rep.emit((customer.id, FAREWELL, at, minutes, exp.farewell_gain * agent.warmth, 0.0))
    if service.delight_probability > 0 and rep.delight_draw() < service.delight_probability:
        customer.extras_cost += service.delight_cost
        if rep.emit is not None:
            rep.emit((customer.id, DELIGHT, at + minutes, 0.0, exp.delight_gain, 0.0))
    return minutes


def after_failure(
    rep: Replication, customer: Customer, pool: Pool, seen: bool
) -> Generator[Event, Any, tuple[Pool, bool, bool] | None]:
    """Where the problem leads: ``(next pool, on hold?, a recovery contact?)``, or None.

    A failure noticed only later hits when the customer finds out, and the
    customer then contacts again at once. A failure the agent saw is met by the
    recovery policy: a callback from the company, an escalation to a senior
    pool, or (none, apology, compensation) the customer contacts again after a
    while, with the segment's repeat-contact probability.
    """
    env = rep.env
    segment = rep.segments[customer.segment]
    policy = rep.scenario.recovery
    if customer.contacts >= segment.max_contacts:
        return None
    if not seen:
        found_out = env.now + segment.recontact_delay()
        if found_out >= rep.horizon:
            return None
        yield env.timeout(found_out - env.now)
        shock(rep, customer, env.now)
        customer.effort += 1
        return rep.entry_pool[customer.channel][customer.segment], True, False
    if policy.policy == "callback":
        delay = rep.callback_delay()
        if env.now + delay >= rep.horizon:
            return None
        yield env.timeout(delay)
        exp = rep.experience
        gain = urgency_points(delay, exp.callback_urgency_gain, exp.callback_urgency_minutes)
        recover(rep, customer, gain, env.now, 0.0)
        callback_pool = rep.pool_by_name[policy.callback_pool] if policy.callback_pool else pool
        return callback_pool, False, True
    if policy.policy == "escalation":
        senior = rep.pool_by_name[policy.escalation_pool]  # type: ignore[index]
        if senior is not pool:
            customer.transfers += 1
            customer.effort += 1
            if rep.emit is not None:
                penalty = rep.experience.transfer_penalty
                rep.emit((customer.id, TRANSFER, env.now, 0.0, penalty, 0.0))
            return senior, True, True
    if segment.recontact_draw() >= segment.recontact_probability:
        return None
    at = env.now + segment.recontact_delay()
    if at >= rep.horizon:
        return None
    yield env.timeout(at - env.now)
    customer.effort += 1
    return rep.entry_pool[customer.channel][customer.segment], True, False
