"""The express lane: a customer's first contact in one generator, while it needs no lever.

Most customers of most scenarios make one contact that needs none of the acts'
branches: no IVR, no announced wait, an agent answers (at once or from the
queue), the work is done on the phone, the problem is resolved at the last (only)
stage, and nothing follows on the line or afterwards. Run through the acts
(:func:`peakend.engine.journey.journey`), such a contact costs four generators
and three small values (the contact, its answer, its service); the express lane
runs the same three acts inline in one generator, in the same order, with the
same draws and the same facts, built once per replication over the scenario
(:func:`express`).

The lane hands over to the acts at the first moment the customer needs one of
their branches, with the values the acts would have built by then, and the
acts carry the journey on (:func:`peakend.engine.journey.go_on`):

- a segment with an IVR, or a channel that announces the wait: the whole journey
  runs on the acts;
- the customer gives up in the queue (:func:`~peakend.engine.acts.waiting.give_up`:
  the end, or a retry);
- a chat agent answers (an overflow to a chat pool): the service act;
- the agent passes the contact on (``transfer_probability``), the service fails,
  the route has later stages, or the scenario has a step after a resolved
  service (farewell, delight, follow-up): the after-service act.

The express lane is the fast engine's (``engine="fast"``); the reference engine
runs every journey on the acts, so the differential tests (``tests/engine/``)
compare the lane with the acts on every case and every shipped config.

When the lane ends the journey (resolved, nothing after), its agent is handed
straight to the next waiting contact (:meth:`peakend.engine.staffing.Pool.release_last`),
without a pass through the event queue.
"""

from __future__ import annotations

from collections.abc import Callable

from peakend.engine.acts.after import after_service
from peakend.engine.acts.closing import tell_bad_news_first
from peakend.engine.acts.contact import (
    Contact,
    answer_of,
    contact_of,
    service_of,
)
from peakend.engine.acts.service import be_served, service_result
from peakend.engine.acts.waiting import give_up
from peakend.engine.context import JourneyContext
from peakend.engine.facts import ContactKind, GaveUp, ServiceResult, queued, served
from peakend.engine.journey import Journey, go_on, journey
from peakend.engine.staffing import Agent, Pool, QueueingPool

__all__ = ["Lane", "express"]

Lane = Callable[[int, int, int, float, float], Journey]
"""``lane(customer, segment, channel, patience, work)``: a customer's journey generator,
with the arguments of :func:`peakend.engine.journey.journey` after the context."""

FIRST = ContactKind.FIRST
RESOLVED: int = ServiceResult.RESOLVED
FAILED_SEEN: int = ServiceResult.FAILED_SEEN


def express(ctx: JourneyContext) -> Lane:
    """The fast engine's journeys over ``ctx``: the express lane where a customer may take
    it, the acts (:func:`~peakend.engine.journey.journey`) otherwise.

    Build it when the run starts (after any scripted draws are fixed): it reads the
    scenario's parts once. The journeys it gives report exactly the facts of
    :func:`~peakend.engine.journey.journey`, at the same simulated times.
    """
    world = ctx.world
    env = world.env
    report = world.report
    next_contact = world.next_contact
    timeout = env.timeout
    horizon = world.horizon
    stages = ctx.routes.stages
    stage_odds = ctx.routes.stage_odds
    route_of = ctx.routes.route
    draws = ctx.decisions.draws
    uniform = draws.uniform
    segments = ctx.policies.segments
    announces = ctx.announcements.announces
    on_the_line, afterwards = ctx.steps.on_the_line[RESOLVED], ctx.steps.afterwards[RESOLVED]
    quiet_end = not on_the_line and not afterwards
    """Nothing follows a resolved last stage: the journey ends when the agent lets go."""
    resolution = uniform("resolution", 0)
    """Every customer's resolution draw for its first contact (the service act's)."""
    acts_only = [rules.ivr is not None for rules in segments]
    """Per segment: its contacts start in the IVR, which the lane leaves to the acts."""
    hands_over = [isinstance(pool, Pool) and not pool.concurrent for pool in ctx.routes.pools]
    """Per pool: a fast phone pool, which hands a free agent straight to the next ticket
    (:meth:`~peakend.engine.staffing.Pool.release_last`)."""

    def lane(customer: int, segment: int, channel: int, patience: float, work: float) -> Journey:
        if announces[channel] or acts_only[segment]:
            yield from journey(ctx, customer, segment, channel, patience, work)
            return
        route = stages[channel][segment]
        if stage_odds[segment]:
            route = route_of(draws, customer, segment, channel)
        pool = route[0]
        # Act 1, waiting (peakend.engine.acts.waiting.wait, without an announcement).
        number = next_contact()
        start = env.now
        deadline = start + patience
        report(queued((number, customer, pool.index, FIRST, start, deadline, True)))
        agent: Agent | None = pool.take_idle()
        if agent is None:
            rules = segments[segment]
            will_retry = (
                1 < rules.max_contacts and uniform("retry", 0)[customer] < rules.retry_probability
            )
            agent = yield pool.queue_up(deadline, will_retry and deadline < horizon, rules.priority)
            if agent is None:
                report(GaveUp(number, deadline))
                here = _first(customer, segment, channel, route, patience, work)
                yield from go_on(ctx, (yield from give_up(ctx, here, deadline, will_retry)))
                return
            start = env.now
        # Act 2, being served (peakend.engine.acts.service.be_served, on the phone).
        serving: QueueingPool = agent.pool  # the overflow pool's agent may have taken it
        if serving.concurrent:  # a chat agent shares its speed: the service act
            here = _first(customer, segment, channel, route, patience, work)
            service = yield from be_served(ctx, here, answer_of((number, agent, start)))
            yield from go_on(ctx, (yield from after_service(ctx, here, service)))
            return
        agent.contact = number
        warmth = serving.warmth_of(agent, start) if serving.stressed else agent.warmth
        if not serving.transfers and resolution[customer] < agent.resolve_probability:
            result = RESOLVED
        else:  # passed on, or failed: the service act's own rule, again from the top
            here = _first(customer, segment, channel, route, patience, work)
            result = service_result(ctx, here, serving, agent)
        told_first = result == FAILED_SEEN and tell_bad_news_first(
            ctx,
            _first(customer, segment, channel, route, patience, work),
            answer_of((number, agent, start)),
        )
        minutes = work
        if pool.service_factors:  # service_time_factor of the queue's pool, by the hour
            minutes *= pool.service_factor(start)
        yield timeout(minutes)
        end = start + minutes  # the clock now: the timeout's time, computed as SimPy does
        report(served((number, start, end, serving.index, agent.index, warmth, result)))
        # Act 3, after the service (peakend.engine.acts.after.after_service).
        if result == RESOLVED and quiet_end and len(route) == 1:
            if hands_over[serving.index]:
                serving.release_last(agent, end, number)  # type: ignore[attr-defined]  # a Pool
            else:
                serving.release(agent, end, number)
            return
        here = _first(customer, segment, channel, route, patience, work)
        service = service_of((number, agent, start, warmth, result, told_first))
        yield from go_on(ctx, (yield from after_service(ctx, here, service)))

    return lane


def _first(
    customer: int,
    segment: int,
    channel: int,
    route: tuple[QueueingPool, ...],
    patience: float,
    work: float,
) -> Contact:
    """The acts' value of a customer's first contact (as
    :func:`~peakend.engine.acts.contact.first_contact` builds it), when they take over."""
    return contact_of(
        (customer, segment, channel, route, 0, route[0], FIRST, 0, True, patience, work)
    )
