"""Lever family "routing": stages, transfer, escalation and overflow.

Where a contact goes (``[pools]`` and the segments' ``stages``;
``docs/model/service-system.md``):

- **stages**: a resolved service moves the customer to the next stage of its
  route (seat, order, food, bill) as a new contact; after the last stage the
  journey ends resolved (:func:`next_stage`);
- **transfer**: an agent of a pool with ``transfer_probability`` hears the
  problem and passes the contact on to ``transfer_to`` (:func:`passes_on`,
  decided by the customer's ``transfer`` draw, and :func:`transfer`); the
  runaround ends, unresolved, once the customer has made ``max_contacts``
  contacts;
- **escalation**: under ``recovery.policy = "escalation"`` a failure the agent
  saw is passed to the senior pool (:func:`escalate`, called by
  :func:`peakend.engine.acts.recovery.after_failure`);
- **overflow**: a contact still waiting after a pool's overflow wait may also be
  taken by the next pool of its ``overflow`` rules; the pools do it themselves
  while the contact waits (:meth:`~peakend.engine.staffing.QueueingPool.queue_up`),
  once :func:`wire_overflow` has told each pool its rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from peakend.config.schema import Scenario
from peakend.engine.acts.contact import Contact, Service, follow_on
from peakend.engine.context import JourneyContext
from peakend.engine.facts import ContactKind, Finished, Outcome, Transferred
from peakend.engine.staffing import PoolBase, QueueingPool

__all__ = ["escalate", "next_stage", "passes_on", "transfer", "wire_overflow"]


def passes_on(ctx: JourneyContext, contact: Contact, pool: QueueingPool) -> bool:
    """Whether the agent of ``pool`` passes the contact on (the customer's ``transfer`` draw
    against the pool's ``transfer_probability``)."""
    draw = ctx.decisions.draws.uniform("transfer", contact.attempt)[contact.customer]
    return draw < pool.config.transfer_probability


def next_stage(ctx: JourneyContext, contact: Contact) -> Contact | None:
    """After a resolved service: the next stage of the route, or None (resolved: the
    journey's last ``Served`` says so, see :class:`~peakend.engine.facts.Finished`)."""
    if contact.last_stage:
        return None
    stage = contact.stage + 1
    return follow_on(ctx, contact, contact.route[stage], ContactKind.STAGE, stage=stage)


def transfer(ctx: JourneyContext, contact: Contact, service: Service) -> Contact | None:
    """The agent passes the contact on: the customer queues again at ``transfer_to``, unless
    it has made ``max_contacts`` contacts (then the journey ends unresolved)."""
    world = ctx.world
    source = service.pool
    to = ctx.routes.by_name[source.config.transfer_to]  # type: ignore[index]  # set with a probability
    now = world.env.now
    world.report(Transferred(contact.customer, service.number, now, source.index, to.index))
    if contact.attempt + 1 >= ctx.policies.segments[contact.segment].max_contacts:
        # The runaround ends when the customer has made max_contacts contacts.
        world.report(Finished(contact.customer, now, Outcome.UNRESOLVED))
        return None
    return follow_on(ctx, contact, to, ContactKind.TRANSFER)


def escalate(ctx: JourneyContext, contact: Contact, service: Service) -> Contact | None:
    """A failure the agent saw goes to the senior pool, or None when the agent is already
    one of the seniors (the ordinary repeat contact then follows)."""
    senior = ctx.routes.by_name[ctx.policies.recovery.escalation_pool]  # type: ignore[index]
    source = service.pool
    if senior is source:
        return None
    world = ctx.world
    world.report(
        Transferred(contact.customer, service.number, world.env.now, source.index, senior.index)
    )
    return follow_on(ctx, contact, senior, ContactKind.ESCALATION)


def wire_overflow(scenario: Scenario, pools: Sequence[PoolBase]) -> None:
    """Tell each pool the pools that also take its contacts after a wait, in order."""
    by_name = {pool.name: pool for pool in pools}
    for pool in pools:
        pool.overflow = [(by_name[name], after) for name, after in pool.config.overflow_rules]
