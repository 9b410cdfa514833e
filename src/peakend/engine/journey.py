"""Customer journeys as SimPy generator functions.

A journey reads like the story it tells: the customer contacts a pool, waits
(or gives up and perhaps tries again later), is served, and either has the
problem resolved or not; an unresolved problem is met by the recovery policy
(an apology, a coupon, a callback, an escalation, or nothing, in which case the
customer contacts again). It counts nothing and feels nothing: it reports what
happened, when it happens, as facts (:mod:`peakend.engine.facts`) through its
:class:`~peakend.engine.context.JourneyContext`. Every random decision comes
from the customer's own draws for that contact.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

from simpy.events import Event

from peakend.engine.context import JourneyContext, SegmentRules
from peakend.engine.facts import (
    AlternativeOffered,
    Apologised,
    Balked,
    CallbackPromised,
    CalledBack,
    Compensated,
    ContactKind,
    Delighted,
    FailureNoticed,
    Farewell,
    Finished,
    GaveUp,
    HoldOffered,
    Outcome,
    Queued,
    ServiceResult,
    Transferred,
    queued,
    served,
)
from peakend.engine.follow_up import follow_up
from peakend.engine.staffing import Agent, PoolBase

__all__ = ["journey"]

Journey = Generator[Event, Any, None]
NextContact = tuple[PoolBase, int, bool]
"""Where the story goes after a failure: (pool, :class:`ContactKind`, felt?)."""

FIRST, RETRY, RECONTACT = ContactKind.FIRST, ContactKind.RETRY, ContactKind.RECONTACT
RESOLVED, FAILED_SEEN, FAILED_UNSEEN, TRANSFERRED = (
    ServiceResult.RESOLVED,
    ServiceResult.FAILED_SEEN,
    ServiceResult.FAILED_UNSEEN,
    ServiceResult.TRANSFERRED,
)


def journey(
    ctx: JourneyContext, customer: int, segment: int, channel: int, patience: float, work: float
) -> Journey:
    """The life of one customer in the service system.

    ``patience`` and ``work`` of the first contact are passed in (drawn up front
    with everyone else's); later contacts take theirs from the customer's draws.
    """
    env = ctx.env
    report = ctx.report
    rules = ctx.segments[segment]
    stages = ctx.stages[channel][segment]
    odds = ctx.stage_odds[segment]
    if odds:  # some stages are visited by some customers only
        stages = ctx.route(customer, stages, odds)
    last = len(stages) - 1
    stage = 0  # where the customer is in a journey of several stages
    pool = stages[0]
    announced = ctx.announces[channel]
    kind: int = FIRST
    felt = True  # False while the customer waits at home for a callback
    k = 0  # this customer's contact number, 0 for the first
    while True:
        contact = ctx.next_contact()
        now = env.now
        if announced and felt and not pool.has_idle():
            # Told the expected wait, some leave at once; others take a virtual hold.
            choice = announced_wait_choice(ctx, customer, contact, k, channel, pool, rules)
            if choice == BALKED:
                report(Queued(contact, customer, pool.index, kind, now, now, felt))
                report(GaveUp(contact, now))
                report(Finished(customer, now, Outcome.ABANDONED))
                return
            if choice == HELD:
                felt, patience = False, math.inf
        deadline = now + patience
        report(queued((contact, customer, pool.index, kind, now, deadline, felt)))
        agent = pool.take_idle()
        start = now
        if agent is None:
            will_retry = (
                felt
                and k + 1 < rules.max_contacts
                and ctx.chance("retry", customer, k) < rules.retry_probability
            )
            agent = yield pool.queue_up(deadline, will_retry, rules.priority)
            start = env.now
            if agent is None:
                report(GaveUp(contact, deadline))
                retry_at = deadline + ctx.retry_delay(customer, k) if will_retry else math.inf
                if retry_at >= ctx.horizon:
                    report(Finished(customer, deadline, Outcome.ABANDONED))
                    return
                yield env.timeout(retry_at - env.now)
                kind, k = RETRY, k + 1
                patience, work = ctx.patience(customer, k), ctx.work(pool, customer, k)
                continue
        # The service: answered, the work, its result, closing words or an apology.
        pool = agent.pool  # the overflow pool's agent may have taken the contact
        agent.contact = contact  # the agent's own books: whom it is serving
        warmth = pool.warmth_of(agent, start) if pool.stressed else agent.warmth
        result = service_result(ctx, customer, k, pool, agent)
        told_first = result == FAILED_SEEN and ctx.service.bad_news == "first"
        if told_first:
            report(FailureNoticed(customer, contact, start, False, True))
        if pool.concurrent:  # a chat pool shares the agent's speed among its chats
            yield pool.serve(agent, contact, work)
        else:
            yield env.timeout(work)
        end = env.now
        report(served((contact, start, end, pool.index, agent.index, warmth, result)))
        last_stage = stage == last
        if result == RESOLVED:
            if ctx.closing and last_stage:
                yield from closing(ctx, customer, contact, k, warmth)
                end = env.now
        elif result == FAILED_SEEN:
            yield from acknowledge_failure(ctx, customer, contact, warmth, told_first)
            end = env.now
        pool.release(agent, end, contact)
        if result == RESOLVED:
            if last_stage:
                yield from follow_up(ctx, customer, contact)
                return  # resolved: the last Served says so (see facts.Finished)
            stage += 1
            pool, kind, felt = stages[stage], ContactKind.STAGE, True
        elif result == TRANSFERRED:
            to = ctx.pool_by_name[pool.config.transfer_to]  # type: ignore[index]
            report(Transferred(customer, contact, env.now, pool.index, to.index))
            pool, kind, felt = to, ContactKind.TRANSFER, True
        else:
            step = yield from after_failure(
                ctx, customer, contact, k, segment, stages[stage], pool, result
            )
            if step is None:
                report(Finished(customer, env.now, Outcome.UNRESOLVED))
                return
            pool, kind, felt = step
        if kind == ContactKind.TRANSFER and k + 1 >= rules.max_contacts:
            # The runaround ends when the customer has made max_contacts contacts.
            report(Finished(customer, env.now, Outcome.UNRESOLVED))
            return
        k += 1
        patience = ctx.patience(customer, k) if felt else math.inf
        work = ctx.work(pool, customer, k)


def service_result(ctx: JourneyContext, customer: int, k: int, pool: PoolBase, agent: Agent) -> int:
    """What the service did: settled by the agent's skill and the customer's own draws.

    The customer learns it at the end of the work. The agent then stays on for
    the farewell after a success (:func:`closing`) or the apology after a
    failure it sees (:func:`acknowledge_failure`): these take agent time.
    """
    uniform = ctx.draws.uniform
    if pool.transfers and uniform("transfer", k)[customer] < pool.config.transfer_probability:
        return TRANSFERRED
    if uniform("resolution", k)[customer] < agent.resolve_probability:
        return RESOLVED
    if uniform("late-notice", k)[customer] < pool.config.failure_noticed_later_probability:
        return FAILED_UNSEEN
    return FAILED_SEEN


def closing(
    ctx: JourneyContext, customer: int, contact: int, k: int, warmth: float
) -> Generator[Event, Any, None]:
    """The farewell ritual and, now and then, an unexpected extra."""
    service = ctx.service
    env = ctx.env
    if service.farewell:
        start = env.now
        if service.farewell_minutes > 0:
            yield env.timeout(service.farewell_minutes)
        ctx.report(Farewell(customer, contact, start, service.farewell_minutes, warmth))
    if service.delight_probability > 0 and (
        ctx.chance("delight", customer, k) < service.delight_probability
    ):
        ctx.report(Delighted(customer, contact, env.now))


def acknowledge_failure(
    ctx: JourneyContext, customer: int, contact: int, warmth: float, told: bool
) -> Generator[Event, Any, None]:
    """A failure the agent sees: the bad news (unless told first), then apology, coupon and
    an alternative if the policies say so. ``warmth``: the agent's, as the customer met it."""
    env = ctx.env
    policy = ctx.recovery
    if not told:
        ctx.report(FailureNoticed(customer, contact, env.now, False, False))
    if policy.apology or policy.policy == "apology":
        start = env.now
        if policy.apology_minutes > 0:
            yield env.timeout(policy.apology_minutes)
        ctx.report(Apologised(customer, contact, start, policy.apology_minutes, warmth))
    if policy.compensation > 0:
        ctx.report(Compensated(customer, contact, env.now, policy.compensation))
    service = ctx.service
    if service.offer_alternative:
        start = env.now
        if service.alternative_minutes > 0:
            yield env.timeout(service.alternative_minutes)
        minutes = service.alternative_minutes
        ctx.report(AlternativeOffered(customer, contact, start, minutes, warmth))


def announced_wait_choice(
    ctx: JourneyContext,
    customer: int,
    contact: int,
    k: int,
    channel: int,
    pool: PoolBase,
    rules: SegmentRules,
) -> int:
    """Told the expected wait, the customer stays (QUEUES), leaves at once (BALKED), or
    takes a virtual hold (HELD): a callback that keeps its place, promised by the
    expected wait; the promise, or the wait the customer left on, is reported here."""
    announced = pool.expected_wait(rules.priority)
    balking = ctx.balking[channel]
    if balking.enabled and ctx.chance("balk", customer, k) < 1 - math.exp(
        -announced / balking.scale_minutes
    ):
        ctx.report(Balked(customer, contact, ctx.env.now, announced))
        return BALKED
    hold = ctx.holds[channel]
    if (
        hold.enabled
        and announced > hold.threshold_minutes
        and ctx.chance("virtual-hold", customer, k) < hold.acceptance
    ):
        now = ctx.env.now
        ctx.report(HoldOffered(customer, contact, now, now + announced))
        return HELD
    return QUEUES


QUEUES, BALKED, HELD = 0, 1, 2


def after_failure(
    ctx: JourneyContext,
    customer: int,
    contact: int,
    k: int,
    segment: int,
    home: PoolBase,
    pool: PoolBase,
    result: int,
) -> Generator[Event, Any, NextContact | None]:
    """Where an unresolved problem leads: the next contact, or None (the journey ends).

    A failure noticed only later hits when the customer finds out, and the
    customer then contacts again at once with the segment's recontact probability, or
    leaves without a word. A failure the agent saw is met by the
    recovery policy: a callback from the company, an escalation to a senior
    pool, or (none, apology, compensation) the customer contacts again after a
    while, with the segment's repeat-contact probability.
    """
    env = ctx.env
    rules = ctx.segments[segment]
    policy = ctx.recovery
    entry = home  # a customer contacts again where the problem is: this stage's pool
    if k + 1 >= rules.max_contacts:
        return None
    if result == FAILED_UNSEEN:
        found_out = env.now + ctx.recontact_delay(customer, k)
        if found_out >= ctx.horizon:
            return None
        yield env.timeout(found_out - env.now)
        ctx.report(FailureNoticed(customer, contact, env.now, True, False))
        # Finding out, the customer complains with the segment's recontact behaviour,
        # or leaves without a word: a hidden defect costs a contact or a customer.
        if ctx.chance("recontact", customer, k) >= rules.recontact_probability:
            return None
        return entry, RECONTACT, True
    if policy.policy == "callback":
        promised_at = env.now
        call_at = promised_at + ctx.callback_delay(customer, k)
        if call_at >= ctx.horizon:
            return None
        due = promised_at + policy.callback_promise_minutes
        ctx.report(CallbackPromised(customer, contact, promised_at, due))
        yield env.timeout(call_at - env.now)
        ctx.report(CalledBack(customer, contact, env.now, promised_at, due))
        callback_pool = ctx.pool_by_name[policy.callback_pool] if policy.callback_pool else pool
        return callback_pool, ContactKind.CALLBACK, False
    if policy.policy == "escalation":
        senior = ctx.pool_by_name[policy.escalation_pool]  # type: ignore[index]
        if senior is not pool:
            ctx.report(Transferred(customer, contact, env.now, pool.index, senior.index))
            return senior, ContactKind.ESCALATION, True
    if ctx.chance("recontact", customer, k) >= rules.recontact_probability:
        return None
    at = env.now + ctx.recontact_delay(customer, k)
    if at >= ctx.horizon:
        return None
    yield env.timeout(at - env.now)
    return entry, RECONTACT, True
