"""Act 1, waiting for an agent (:mod:`peakend.engine.acts.waiting`), played on its own.

Each story puts one contact in a scripted world (:class:`stories.Scene`: one-agent
pools, fixed times, given draws), plays :func:`~peakend.engine.acts.waiting.wait`
from a given time and asserts the exact facts it reports and the value it
returns: the answer, the retry, or the end. The desk's agent is kept busy by
someone else from 0.5 to 10.5 where the story needs a wait; its mean service
time is 10 minutes, so a newcomer is told (0 ahead + 1) x 10 / 1 = 10 minutes.
Both engines play every story.
"""

from __future__ import annotations

import pytest
from stories import INF, Scene, fixed, named, pool, world

from peakend.engine.acts.contact import Answer, Contact
from peakend.engine.acts.waiting import wait
from peakend.engine.facts import (
    Balked,
    ContactKind,
    Finished,
    GaveUp,
    HoldOffered,
    Outcome,
    Queued,
)

FIRST, RETRY = ContactKind.FIRST, ContactKind.RETRY
DESK = {"desk": pool(10.0)}


@pytest.fixture(params=["fast", "reference"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def busy_desk(data: dict, engine: str, draws: dict | None = None) -> Scene:
    scene = Scene(data, draws, engine)
    scene.occupy("desk", 0.5, 10.0)
    return scene


def test_an_idle_agent_answers_at_once(engine):
    scene = Scene(world([1.0], DESK, patience=3.0), engine=engine)
    answer = scene.play(wait, scene.contact(), at=1.0)
    assert isinstance(answer, Answer)
    assert (answer.number, answer.start, answer.agent.pool.name) == (0, 1.0, "desk")
    assert scene.told() == named([Queued(0, 0, 0, FIRST, 1.0, 4.0, True)])


def test_a_busy_agent_answers_when_free(engine):
    scene = busy_desk(world([1.0], DESK), engine)
    answer = scene.play(wait, scene.contact(), at=2.0)
    assert (answer.number, answer.start) == (0, 10.5)
    assert scene.told() == named([Queued(0, 0, 0, FIRST, 2.0, INF, True)])


def test_retry_a_customer_who_gives_up_comes_back_after_the_retry_delay(engine):
    # Patience 3: queued at 2, gives up at 5; the retry (delay 4) is the next contact,
    # at 9, with the customer's own patience and work for contact 1.
    data = world(
        [1.0],
        DESK,
        patience=3.0,
        segment={"retry_probability": 1.0, "retry_delay": fixed(4.0)},
    )
    scene = busy_desk(data, engine)
    retry = scene.play(wait, scene.contact(), at=2.0)
    assert isinstance(retry, Contact)
    assert (retry.kind, retry.attempt, retry.pool.name, retry.felt) == (RETRY, 1, "desk", True)
    assert (retry.patience, retry.work) == (3.0, 10.0)
    assert scene.ended_at == 9.0
    assert scene.told() == named([Queued(0, 0, 0, FIRST, 2.0, 5.0, True), GaveUp(0, 5.0)])


def test_a_customer_who_gives_up_without_retrying_is_finished_abandoned(engine):
    scene = busy_desk(world([1.0], DESK, patience=3.0), engine)
    assert scene.play(wait, scene.contact(), at=2.0) is None
    assert scene.told() == named(
        [
            Queued(0, 0, 0, FIRST, 2.0, 5.0, True),
            GaveUp(0, 5.0),
            Finished(0, 5.0, Outcome.ABANDONED),
        ]
    )


def test_a_retry_after_the_end_of_the_day_is_not_made(engine):
    data = world(
        [1.0],
        DESK,
        patience=3.0,
        segment={"retry_probability": 1.0, "retry_delay": fixed(60.0)},
    )
    scene = busy_desk(data, engine)
    assert scene.play(wait, scene.contact(), at=2.0) is None
    assert scene.told()[-1] == named([Finished(0, 5.0, Outcome.ABANDONED)])[0]


def test_no_retry_once_the_customer_has_made_max_contacts(engine):
    data = world(
        [1.0],
        DESK,
        patience=3.0,
        segment={"retry_probability": 1.0, "retry_delay": fixed(4.0), "max_contacts": 2},
    )
    scene = busy_desk(data, engine)
    assert scene.play(wait, scene.contact(attempt=1), at=2.0) is None
    assert scene.told()[-1] == named([Finished(0, 5.0, Outcome.ABANDONED)])[0]


BALKING = {"balking": {"enabled": True, "scale_minutes": 5.0}}


def test_balking_told_a_long_wait_the_customer_leaves_at_once(engine):
    # The draw 0.5 is below 1 - exp(-10 / 5) = 0.86: the customer leaves.
    scene = busy_desk(world([1.0], DESK, channel=BALKING), engine, {("balk", 0): [0.5]})
    assert scene.play(wait, scene.contact(), at=2.0) is None
    assert scene.told() == named(
        [
            Balked(0, 0, 2.0, 10.0),
            Queued(0, 0, 0, FIRST, 2.0, 2.0, True),
            GaveUp(0, 2.0),
            Finished(0, 2.0, Outcome.ABANDONED),
        ]
    )


def test_balking_a_customer_whose_draw_is_above_the_odds_queues(engine):
    scene = busy_desk(world([1.0], DESK, channel=BALKING), engine, {("balk", 0): [0.9]})
    assert scene.play(wait, scene.contact(), at=2.0).start == 10.5
    assert scene.told() == named([Queued(0, 0, 0, FIRST, 2.0, INF, True)])


def test_balking_no_announcement_when_an_agent_is_free(engine):
    scene = Scene(world([1.0], DESK, channel=BALKING), {("balk", 0): [0.0]}, engine)
    assert scene.play(wait, scene.contact(), at=2.0).start == 2.0
    assert scene.told() == named([Queued(0, 0, 0, FIRST, 2.0, INF, True)])


def test_virtual_hold_the_contact_keeps_its_place_unfelt_and_without_patience(engine):
    # Told 10 minutes (over the 5-minute threshold) the customer takes the hold: promised
    # by 12, it waits at home past its patience of 3 and is answered at 10.5.
    hold = {"virtual_hold": {"enabled": True, "threshold_minutes": 5.0, "acceptance": 1.0}}
    scene = busy_desk(world([1.0], DESK, patience=3.0, channel=hold), engine)
    answer = scene.play(wait, scene.contact(), at=2.0)
    assert answer.start == 10.5
    assert scene.told() == named(
        [HoldOffered(0, 0, 2.0, 12.0), Queued(0, 0, 0, FIRST, 2.0, INF, False)]
    )


def test_virtual_hold_declined_the_customer_waits_on_the_line(engine):
    hold = {"virtual_hold": {"enabled": True, "threshold_minutes": 5.0, "acceptance": 0.5}}
    data = world([1.0], DESK, patience=30.0, channel=hold)
    scene = busy_desk(data, engine, {("virtual-hold", 0): [0.7]})
    scene.play(wait, scene.contact(), at=2.0)
    assert scene.told() == named([Queued(0, 0, 0, FIRST, 2.0, 32.0, True)])


def test_overflow_the_second_pool_takes_the_contact_after_its_wait(engine):
    # Waiting at the desk since 2, the contact may go to the back office from 4, whose
    # idle agent takes it then; it stays the desk's contact (pool 0 in Queued).
    pools = {
        "desk": pool(10.0, overflow_to="back", overflow_after_minutes=2.0),
        "back": pool(3.0),
    }
    scene = busy_desk(world([1.0], pools), engine)
    answer = scene.play(wait, scene.contact(), at=2.0)
    assert (answer.start, answer.agent.pool.name) == (4.0, "back")
    assert scene.told() == named([Queued(0, 0, 0, FIRST, 2.0, INF, True)])


def test_overflow_not_before_its_wait(engine):
    pools = {
        "desk": pool(10.0, overflow_to="back", overflow_after_minutes=12.0),
        "back": pool(3.0),
    }
    scene = busy_desk(world([1.0], pools), engine)
    answer = scene.play(wait, scene.contact(), at=2.0)
    assert (answer.start, answer.agent.pool.name) == (10.5, "desk")
