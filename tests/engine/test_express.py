"""The express lane and the direct hand-over: fewer events and layers, the same story.

The fast engine runs a first contact that needs no lever in one generator
(:mod:`peakend.engine.express`) and hands the acts the journey at the first branch
that needs them; a releasing agent whose journey ends there takes the next ticket
without a pass through the event queue when nothing else is due at that instant
(:meth:`~peakend.engine.staffing.Pool.release_last`). Each test checks which way the
engine went (the acts called or not, the hand-over made or not) and that the story
is the one the reference engine, which runs every journey on the acts, tells.
"""

from __future__ import annotations

import numpy as np
import pytest
from stories import INF, WARMTH, fixed, named, pool, told, world

from peakend import scenario_from_dict
from peakend.engine import express
from peakend.engine.facts import ContactKind, Farewell, Outcome, Queued, Served
from peakend.engine.facts import ServiceResult as Result
from peakend.engine.staffing import Pool, Ticket
from peakend.simulation.replication import simulate

FIRST = ContactKind.FIRST


@pytest.fixture
def acts_taking_over(monkeypatch):
    """Counts of the acts the express lane hands the journey to, by act."""
    calls = {"after_service": 0, "be_served": 0, "give_up": 0, "journey": 0}
    for name in calls:
        act = getattr(express, name)

        def counted(*args, _act=act, _name=name):
            calls[_name] += 1
            return _act(*args)

        monkeypatch.setattr(express, name, counted)
    return calls


@pytest.fixture
def hand_overs(monkeypatch):
    """When answers went straight to the waiting journey (not through the event queue)."""
    made = []
    direct = Ticket.hand_over

    def counted(self, agent):
        made.append(self.env.now)
        direct(self, agent)

    monkeypatch.setattr(Ticket, "hand_over", counted)
    return made


def test_a_resolved_contact_that_needs_no_lever_never_reaches_the_acts(acts_taking_over):
    # Ann is served 1-5; Bob waits from 2 and takes the agent Ann's journey lets go.
    data = world([1.0, 2.0], {"desk": pool(4.0)})
    assert told(data) == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, INF, True),
            Queued(1, 1, 0, FIRST, 2.0, INF, True),
            Served(0, 1.0, 5.0, 0, 0, WARMTH, Result.RESOLVED),
            Served(1, 5.0, 9.0, 0, 0, WARMTH, Result.RESOLVED),
        ]
    )
    assert acts_taking_over == {"after_service": 0, "be_served": 0, "give_up": 0, "journey": 0}


def test_a_lever_after_the_service_hands_the_journey_to_the_after_service_act(
    acts_taking_over,
):
    data = world([1.0], {"desk": pool(4.0)}, service={"farewell": True, "farewell_minutes": 0.5})
    assert told(data) == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, INF, True),
            Served(0, 1.0, 5.0, 0, 0, WARMTH, Result.RESOLVED),
            Farewell(0, 0, 5.0, 0.5, WARMTH),
        ]
    )
    # Once on the fast engine (told runs both; the reference never takes the lane).
    assert acts_taking_over["after_service"] == 1
    assert acts_taking_over["journey"] == 0


def test_a_failed_service_and_a_customer_who_gives_up_go_on_in_the_acts(acts_taking_over):
    # Ann's problem is not resolved (no recovery: the journey ends unresolved); Bob
    # (patience 2) gives up at 4 while Ann is served.
    data = world([1.0, 2.0], {"desk": pool(4.0, first_contact_resolution=0.0)}, patience=2.0)
    facts = told(data)
    assert ("Finished", (0, 5.0, Outcome.UNRESOLVED)) in facts
    assert ("Finished", (1, 4.0, Outcome.ABANDONED)) in facts
    assert acts_taking_over["after_service"] == 1
    assert acts_taking_over["give_up"] == 1


def test_a_segment_with_an_ivr_runs_on_the_acts_from_the_start(acts_taking_over):
    ivr = {"minutes": fixed(1.0), "leave_probability": 0.0, "self_service_probability": 0.0}
    data = world([1.0], {"desk": pool(4.0)}, segment={"ivr": ivr})
    told(data)
    assert acts_taking_over["journey"] == 1


def test_the_agent_goes_straight_to_the_next_ticket_when_nothing_else_is_due(hand_overs):
    # Ann is served 1-5; Bob waits from 2. At 5 nothing else is due: Bob's answer is
    # handed over at once, one event fewer, the same story.
    data = world([1.0, 2.0], {"desk": pool(4.0)})
    assert told(data)[-1] == ("Served", (1, 5.0, 9.0, 0, 0, WARMTH, Result.RESOLVED))
    assert hand_overs == [5.0]


def test_the_answer_goes_through_the_event_queue_when_another_event_is_due_then(hand_overs):
    # Carl arrives at 5, the very instant Ann's service ends and Bob's answer is due:
    # the answer waits its turn in the event queue, as the reference engine's does. At
    # 9, when Bob's service ends and Carl is next, nothing else is due: handed over.
    data = world([1.0, 2.0, 5.0], {"desk": pool(4.0)})
    facts = told(data)
    assert ("Served", (1, 5.0, 9.0, 0, 0, WARMTH, Result.RESOLVED)) in facts
    assert ("Served", (2, 9.0, 13.0, 0, 0, WARMTH, Result.RESOLVED)) in facts
    assert hand_overs == [9.0]


def test_no_exact_abandonment_timer_for_a_patience_that_outlasts_the_arrival_window(
    monkeypatch,
):
    # Customers who would retry need an exact timer, unless their deadline comes at or
    # after the end of the arrival window, when no retry can come.
    asked = []
    queue_up = Pool.queue_up

    def recorded(self, deadline, exact, priority=0):
        asked.append((deadline, exact))
        return queue_up(self, deadline, exact, priority)

    monkeypatch.setattr(Pool, "queue_up", recorded)
    # Bob (arriving at 2) tries twice at most; the day's arrivals end at 60.
    segment = {"retry_probability": 1.0, "retry_delay": fixed(1.0), "max_contacts": 2}
    for patience in (3.0, 100.0):
        data = world([1.0, 2.0], {"desk": pool(50.0)}, patience=patience, segment=segment)
        simulate(scenario_from_dict(data), engine="fast")
    # Patience 3: gives up at 5 (may retry: exact), retries at 6 (its last: lazy).
    # Patience 100: its deadline, 102, is past the window: lazy, then answered at 51.
    assert asked == [(5.0, True), (9.0, False), (102.0, False)]


def test_the_lane_and_the_acts_finish_every_customer_alike_on_a_busy_day():
    # A queue long enough for every branch of the lane: answered at once, answered from
    # the queue, gave up; the two engines' records are compared column by column.
    data = world(
        [0.5 * k + 0.25 for k in range(100)],
        {"desk": pool(1.5, first_contact_resolution=0.8)},
        patience=2.0,
        segment={"retry_probability": 0.5, "retry_delay": fixed(3.0)},
    )
    data["segments"]["all"]["patience"] = {"distribution": "exponential", "mean": 2.0}
    data["pools"]["desk"]["service_time"] = {"distribution": "exponential", "mean": 1.5}
    data["pools"]["desk"]["staffing"] = [3]
    scenario = scenario_from_dict(data)
    fast, reference = simulate(scenario, engine="fast"), simulate(scenario, engine="reference")
    outcomes = set(fast.customers["outcome"].tolist())
    assert {Outcome.RESOLVED, Outcome.ABANDONED} <= outcomes
    assert (fast.contacts["kind"] == ContactKind.RETRY).any()
    for table in ("contacts", "customers"):
        a, b = getattr(fast, table), getattr(reference, table)
        for name in a.columns:
            assert np.array_equal(a[name], b[name], equal_nan=True), (table, name)
