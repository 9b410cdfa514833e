"""Act 3, after the service (:mod:`peakend.engine.acts.after`) and its lever families.

Each story plays one whole contact (wait, be served, after the service) in a
scripted world (:class:`stories.Scene`) and asserts the exact facts and what
comes next: the next :class:`~peakend.engine.acts.contact.Contact` (its kind,
pool, stage, whether the wait is felt, its patience) or None, the end. The
steps on the line come from :mod:`~peakend.engine.acts.closing` (farewell,
delight, bad news, alternative) and :mod:`~peakend.engine.acts.recovery`
(apology, coupon); what comes next from :mod:`~peakend.engine.acts.routing`
(stages, transfer, escalation) and :func:`peakend.engine.acts.recovery.after_failure`
(callback, hidden defect, repeat contact). Both engines play every story.
"""

from __future__ import annotations

import pytest
from stories import INF, WARMTH, Scene, fixed, named, pool, world

from peakend import scenario_from_dict
from peakend.engine.acts import after, closing, recovery
from peakend.engine.acts.contact import Step
from peakend.engine.acts.service import be_served
from peakend.engine.acts.waiting import wait
from peakend.engine.facts import (
    AlternativeOffered,
    Apologised,
    CallbackPromised,
    CalledBack,
    Compensated,
    ContactKind,
    Delighted,
    FailureNoticed,
    Farewell,
    Finished,
    Outcome,
    Queued,
    Served,
    ServiceResult,
    Transferred,
)

W = WARMTH
FIRST = ContactKind.FIRST
RESOLVED, FAILED_SEEN, FAILED_UNSEEN = (
    ServiceResult.RESOLVED,
    ServiceResult.FAILED_SEEN,
    ServiceResult.FAILED_UNSEEN,
)
NEVER = pool(4.0, first_contact_resolution=0.0)
"""A desk whose agent resolves nothing: 4 minutes a service, the failure seen."""


@pytest.fixture(params=["fast", "reference"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def one_contact(ctx, contact):
    """The three acts of one contact: its next contact, or None."""
    answer = yield from wait(ctx, contact)
    service = yield from be_served(ctx, contact, answer)
    return (yield from after.after_service(ctx, contact, service))


def play(data: dict, engine: str, draws: dict | None = None, **fields) -> tuple[Scene, object]:
    scene = Scene(data, draws, engine)
    return scene, scene.play(one_contact, scene.contact(**fields), at=1.0)


def summary(contact) -> tuple[object, ...]:
    """What a next contact is: kind, attempt, pool, stage, felt, patience."""
    return (
        contact.kind,
        contact.attempt,
        contact.pool.name,
        contact.stage,
        contact.felt,
        contact.patience,
    )


# -- closing and extras -------------------------------------------------------------


def test_farewell_and_delight_close_a_resolved_last_stage_and_hold_the_agent(engine):
    data = world(
        [1.0],
        {"desk": pool(4.0)},
        service={"farewell": True, "farewell_minutes": 0.5, "delight_probability": 0.5},
    )
    scene, following = play(data, engine, {("delight", 0): [0.1]})
    assert following is None  # resolved: no Finished, the last Served says so
    assert scene.told() == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, INF, True),
            Served(0, 1.0, 5.0, 0, 0, W, RESOLVED),
            Farewell(0, 0, 5.0, 0.5, W),
            Delighted(0, 0, 5.5),
        ]
    )
    assert scene.pool("desk").agents[0].busy_minutes == 4.5  # the farewell is agent time


def test_no_delight_when_the_customer_draw_is_above_its_probability(engine):
    data = world([1.0], {"desk": pool(4.0)}, service={"delight_probability": 0.5})
    scene, _ = play(data, engine, {("delight", 0): [0.6]})
    assert [kind for kind, _ in scene.told()] == ["Queued", "Served"]


def test_on_the_line_after_a_failure_bad_news_apology_coupon_alternative_in_order(engine):
    data = world(
        [1.0],
        {"desk": NEVER},
        recovery={"policy": "apology", "apology_minutes": 0.5, "compensation": 5.0},
        service={"offer_alternative": True, "alternative_minutes": 1.0},
    )
    scene, following = play(data, engine)
    assert following is None
    assert scene.told() == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, INF, True),
            Served(0, 1.0, 5.0, 0, 0, W, FAILED_SEEN),
            FailureNoticed(0, 0, 5.0, False, False),
            Apologised(0, 0, 5.0, 0.5, W),
            Compensated(0, 0, 5.5, 5.0),
            AlternativeOffered(0, 0, 5.5, 1.0, W),
            Finished(0, 6.5, Outcome.UNRESOLVED),
        ]
    )


def test_bad_news_first_is_not_told_again_at_the_end(engine):
    data = world([1.0], {"desk": NEVER}, service={"bad_news": "first"})
    scene, _ = play(data, engine)
    assert [fact for kind, fact in scene.told() if kind == "FailureNoticed"] == [
        (0, 0, 1.0, False, True)
    ]


def test_alternative_offered_after_the_bad_news_takes_the_agent_time(engine):
    data = world([1.0], {"desk": NEVER}, service={"offer_alternative": True})
    scene, _ = play(data, engine)
    minutes = scenario_from_dict(data).service.alternative_minutes
    assert scene.told()[-2:] == named(
        [
            AlternativeOffered(0, 0, 5.0, minutes, W),
            Finished(0, 5.0 + minutes, Outcome.UNRESOLVED),
        ]
    )


# -- recovery ----------------------------------------------------------------------------

CALLBACK = {"policy": "callback", "callback_delay": fixed(5.0), "callback_promise_minutes": 10.0}


def test_callback_the_company_promises_a_call_and_the_customer_waits_at_home(engine):
    scene, following = play(world([1.0], {"desk": NEVER}, recovery=CALLBACK), engine)
    assert summary(following) == (ContactKind.CALLBACK, 1, "desk", 0, False, INF)
    assert scene.ended_at == 10.0
    assert scene.told()[2:] == named(
        [
            FailureNoticed(0, 0, 5.0, False, False),
            CallbackPromised(0, 0, 5.0, 15.0),
            CalledBack(0, 0, 10.0, 5.0, 15.0),
        ]
    )


def test_callback_from_the_callback_pool(engine):
    data = world(
        [1.0],
        {"desk": NEVER, "outbound": pool(3.0)},
        recovery={**CALLBACK, "callback_pool": "outbound"},
    )
    _, following = play(data, engine)
    assert following.pool.name == "outbound"


def test_callback_that_would_come_after_the_day_is_not_made(engine):
    recovery_ = {**CALLBACK, "callback_delay": fixed(60.0)}
    scene, following = play(world([1.0], {"desk": NEVER}, recovery=recovery_), engine)
    assert following is None
    assert scene.told()[-1] == named([Finished(0, 5.0, Outcome.UNRESOLVED)])[0]


HIDDEN = pool(4.0, first_contact_resolution=0.0, failure_noticed_later_probability=1.0)


def test_hidden_defect_found_later_and_the_customer_contacts_again(engine):
    data = world(
        [1.0],
        {"desk": HIDDEN},
        patience=8.0,
        segment={"recontact_probability": 1.0, "recontact_delay": fixed(20.0)},
    )
    scene, following = play(data, engine)
    assert summary(following) == (ContactKind.RECONTACT, 1, "desk", 0, True, 8.0)
    assert scene.ended_at == 25.0
    assert scene.told() == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, 9.0, True),
            Served(0, 1.0, 5.0, 0, 0, W, FAILED_UNSEEN),
            FailureNoticed(0, 0, 25.0, True, False),
        ]
    )


def test_hidden_defect_found_by_a_customer_who_does_not_complain_ends_unresolved(engine):
    data = world([1.0], {"desk": HIDDEN}, segment={"recontact_delay": fixed(20.0)})
    scene, following = play(data, engine)
    assert following is None
    assert scene.told()[-2:] == named(
        [FailureNoticed(0, 0, 25.0, True, False), Finished(0, 25.0, Outcome.UNRESOLVED)]
    )


def test_repeat_contact_after_the_recontact_delay(engine):
    data = world(
        [1.0],
        {"desk": NEVER},
        recovery={"policy": "none"},
        segment={"recontact_probability": 1.0, "recontact_delay": fixed(7.0)},
    )
    scene, following = play(data, engine)
    assert summary(following)[:3] == (ContactKind.RECONTACT, 1, "desk")
    assert scene.ended_at == 12.0


def test_no_follow_up_once_the_customer_has_made_max_contacts(engine):
    data = world(
        [1.0],
        {"desk": NEVER},
        recovery=CALLBACK,
        segment={"max_contacts": 2},
    )
    scene, following = play(data, engine, attempt=1)
    assert following is None
    assert scene.told()[-2:] == named(
        [FailureNoticed(0, 0, 5.0, False, False), Finished(0, 5.0, Outcome.UNRESOLVED)]
    )


# -- routing -------------------------------------------------------------------------------


def test_next_stage_a_resolved_service_moves_the_customer_on(engine):
    data = world([1.0], {"seat": pool(2.0), "kitchen": pool(5.0)}, segment={"stages": ["kitchen"]})
    scene, following = play(data, engine)
    assert summary(following) == (ContactKind.STAGE, 1, "kitchen", 1, True, INF)
    assert following.work == 5.0  # the customer's work drawn at the kitchen


def test_transfer_queues_the_customer_again_at_the_next_pool(engine):
    pools = {"front": pool(4.0, transfer_probability=1.0, transfer_to="back"), "back": pool(6.0)}
    scene, following = play(world([1.0], pools, patience=3.0), engine)
    assert summary(following) == (ContactKind.TRANSFER, 1, "back", 0, True, 3.0)
    assert scene.told()[-1] == named([Transferred(0, 0, 5.0, 0, 1)])[0]


def test_transfer_the_runaround_ends_at_max_contacts(engine):
    pools = {"front": pool(4.0, transfer_probability=1.0, transfer_to="back"), "back": pool(6.0)}
    data = world([1.0], pools, segment={"max_contacts": 1})
    scene, following = play(data, engine)
    assert following is None
    assert scene.told()[-2:] == named(
        [Transferred(0, 0, 5.0, 0, 1), Finished(0, 5.0, Outcome.UNRESOLVED)]
    )


def test_escalation_passes_a_seen_failure_to_the_senior_pool(engine):
    data = world(
        [1.0],
        {"desk": NEVER, "seniors": pool(6.0)},
        recovery={"policy": "escalation", "escalation_pool": "seniors"},
    )
    scene, following = play(data, engine)
    assert summary(following)[:3] == (ContactKind.ESCALATION, 1, "seniors")
    assert scene.told()[-1] == named([Transferred(0, 0, 5.0, 0, 1)])[0]


def test_escalation_at_the_senior_pool_falls_back_to_the_repeat_contact(engine):
    data = world(
        [1.0],
        {"seniors": NEVER},
        recovery={"policy": "escalation", "escalation_pool": "seniors"},
    )
    scene, following = play(data, engine)
    assert following is None  # recontact probability 0: no repeat contact
    assert "Transferred" not in [kind for kind, _ in scene.told()]


# -- the act's steps -----------------------------------------------------------------------


def test_steps_of_keeps_only_the_steps_a_scenario_uses_by_result_in_their_order():
    plain = after.steps_of(scenario_from_dict(world([1.0], {"desk": pool(4.0)})))
    assert plain.on_the_line[FAILED_SEEN] == (closing.bad_news,)
    assert plain.on_the_line[RESOLVED] == plain.on_the_line[FAILED_UNSEEN] == ()
    full = after.steps_of(
        scenario_from_dict(
            world(
                [1.0],
                {"desk": pool(4.0)},
                recovery={"policy": "apology", "compensation": 5.0},
                service={"farewell": True, "delight_probability": 0.1, "offer_alternative": True},
            )
        )
    )
    assert full.on_the_line[RESOLVED] == (closing.farewell, closing.delight)
    assert full.on_the_line[FAILED_SEEN] == (
        closing.bad_news,
        recovery.apology,
        recovery.coupon,
        closing.alternative,
    )
    assert full.on_the_line[ServiceResult.TRANSFERRED] == ()


def test_a_step_afterwards_runs_once_the_agent_has_let_go(engine, monkeypatch):
    # The extension point: a lever lists its Step in AFTERWARDS; after the results it
    # names, it sees the agent free again and the customer still there, before the
    # story goes on (here to the kitchen, 2 minutes later than without the step).
    seen = []

    def note(ctx, contact, service):
        seen.append((ctx.world.env.now, service.pool.has_idle(), service.result))
        yield ctx.world.env.timeout(2.0)

    step = Step("note", note, lambda scenario: True, frozenset({RESOLVED}))
    monkeypatch.setattr(after, "AFTERWARDS", (step,))
    data = world([1.0], {"seat": pool(2.0), "kitchen": pool(5.0)}, segment={"stages": ["kitchen"]})
    scene = Scene(data, engine=engine)
    following = scene.play(one_contact, scene.contact(), at=1.0)
    assert seen == [(3.0, True, RESOLVED)]
    assert (following.kind, scene.ended_at) == (ContactKind.STAGE, 5.0)


def test_the_declared_steps_are_the_lever_modules_own():
    assert [step.name for step in after.ON_THE_LINE] == [
        "farewell",
        "delight",
        "bad news",
        "apology",
        "coupon",
        "alternative",
    ]
    assert all(isinstance(step, Step) for step in after.ON_THE_LINE + after.AFTERWARDS)
