"""Act 2, being served (:mod:`peakend.engine.acts.service`), played on its own.

Each story answers one contact at an idle one-agent pool
(:func:`~peakend.engine.acts.waiting.wait`), plays
:func:`~peakend.engine.acts.service.be_served` and asserts the exact facts and
the :class:`~peakend.engine.acts.contact.Service` it returns. The agent is
still on the line at the end of the act: only the after-service act lets it go.
"""

from __future__ import annotations

import pytest
from stories import INF, WARMTH, Scene, named, pool, world

from peakend.engine.acts.contact import Service
from peakend.engine.acts.service import be_served
from peakend.engine.acts.waiting import wait
from peakend.engine.facts import ContactKind, FailureNoticed, Queued, Served, ServiceResult

W = WARMTH
FIRST = ContactKind.FIRST
RESOLVED, FAILED_SEEN, FAILED_UNSEEN, TRANSFERRED = (
    ServiceResult.RESOLVED,
    ServiceResult.FAILED_SEEN,
    ServiceResult.FAILED_UNSEEN,
    ServiceResult.TRANSFERRED,
)


@pytest.fixture(params=["fast", "reference"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def answered_and_served(ctx, contact):
    answer = yield from wait(ctx, contact)
    return (yield from be_served(ctx, contact, answer))


def serve(data: dict, engine: str, draws: dict | None = None) -> tuple[Scene, Service]:
    scene = Scene(data, draws, engine)
    service = scene.play(answered_and_served, scene.contact(), at=1.0)
    return scene, service


def test_a_resolved_service_is_told_at_the_end_of_the_work_and_holds_the_agent(engine):
    scene, service = serve(world([1.0], {"desk": pool(4.0)}), engine)
    assert service[:1] + service[2:] == (0, 1.0, W, RESOLVED, False)
    assert scene.ended_at == 5.0
    assert not scene.pool("desk").has_idle()  # still on the line
    assert scene.told() == named(
        [Queued(0, 0, 0, FIRST, 1.0, INF, True), Served(0, 1.0, 5.0, 0, 0, W, RESOLVED)]
    )


@pytest.mark.parametrize(("draw", "result"), [(0.1, RESOLVED), (0.9, FAILED_SEEN)])
def test_the_result_is_the_customer_draw_against_the_agent_resolution(engine, draw, result):
    data = world([1.0], {"desk": pool(4.0, first_contact_resolution=0.5)})
    _, service = serve(data, engine, {("resolution", 0): [draw]})
    assert service.result == result


def test_bad_news_last_the_failure_is_not_told_during_the_service(engine):
    data = world([1.0], {"desk": pool(4.0, first_contact_resolution=0.0)})
    scene, service = serve(data, engine)
    assert (service.result, service.told_first) == (FAILED_SEEN, False)
    assert scene.told()[-1] == named([Served(0, 1.0, 5.0, 0, 0, W, FAILED_SEEN)])[0]


def test_bad_news_first_the_failure_is_told_when_the_agent_answers(engine):
    data = world(
        [1.0], {"desk": pool(4.0, first_contact_resolution=0.0)}, service={"bad_news": "first"}
    )
    scene, service = serve(data, engine)
    assert service.told_first
    assert scene.told() == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, INF, True),
            FailureNoticed(0, 0, 1.0, False, True),
            Served(0, 1.0, 5.0, 0, 0, W, FAILED_SEEN),
        ]
    )


def test_bad_news_first_says_nothing_of_a_resolved_service(engine):
    data = world([1.0], {"desk": pool(4.0)}, service={"bad_news": "first"})
    scene, service = serve(data, engine)
    assert not service.told_first
    assert [kind for kind, _ in scene.told()] == ["Queued", "Served"]


def test_hidden_defect_the_failure_looks_like_success(engine):
    desk = pool(4.0, first_contact_resolution=0.0, failure_noticed_later_probability=1.0)
    scene, service = serve(world([1.0], {"desk": desk}), engine)
    assert service.result == FAILED_UNSEEN
    assert [kind for kind, _ in scene.told()] == ["Queued", "Served"]


def test_transfer_the_agent_passes_the_contact_on_before_any_resolution(engine):
    pools = {"front": pool(4.0, transfer_probability=1.0, transfer_to="back"), "back": pool(6.0)}
    scene, service = serve(world([1.0], pools), engine)
    assert service.result == TRANSFERRED
    assert scene.told()[-1] == named([Served(0, 1.0, 5.0, 0, 0, W, TRANSFERRED)])[0]


def test_a_chat_agent_serves_at_full_speed_alone(engine):
    chat = pool(4.0, concurrency=2, concurrency_slowdown=0.5)
    scene, _ = serve(world([1.0], {"chat": chat}), engine)
    assert scene.told()[-1] == named([Served(0, 1.0, 5.0, 0, 0, W, RESOLVED)])[0]


def test_a_chat_agent_with_a_second_chat_open_works_slower(engine):
    # Another chat holds the second slot from 0.5 to 10.5: at speed 1 / (1 + 0.5) the
    # 4 minutes of work take 6.
    chat = pool(4.0, concurrency=2, concurrency_slowdown=0.5)
    scene = Scene(world([1.0], {"chat": chat}), engine=engine)
    scene.occupy("chat", 0.5, 10.0)
    scene.play(answered_and_served, scene.contact(), at=1.0)
    assert scene.told()[-1] == named([Served(0, 1.0, 7.0, 0, 0, W, RESOLVED)])[0]
