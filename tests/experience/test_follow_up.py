"""``service.follow_up``: a message some time after a journey ends resolved.

Paired with common random numbers (the same scenario and seed, the lever off and on), the
follow-up moves what ``docs/adding-a-lever.md`` says it moves and nothing else: every
queue and service is the same (it draws no random number and takes no agent time); each
customer whose journey ended resolved early enough gets one message, costs
``follow_up_cost`` more in ``extras_cost`` and remembers the journey better, so comes back
more often; every other customer is untouched. A hand-written fact log checks the rule of
the moment itself.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from by_hand import experience, v

from peakend import scenario_from_dict, simulate
from peakend.engine.facts import ContactKind, Delighted, Queued, Served, ServiceResult
from peakend.engine.follow_up import FollowedUp
from peakend.engine.records import CustomerTable
from peakend.experience.trace import EpisodeKind
from peakend.retention.returns import (
    Loyalty,
    ReliabilityBelief,
    return_models_by_segment,
    return_probability,
)
from peakend.simulation.replication import ReplicationOutput

from conftest import busy_day_data

DELAY, COST, GAIN = 30.0, 0.25, 0.5


def run(on: bool, **service: Any) -> tuple[ReplicationOutput, Any]:
    data = busy_day_data(seed=11)
    data["service"] = {
        "follow_up": on,
        "follow_up_delay_minutes": DELAY,
        "follow_up_cost": COST,
        **service,
    }
    data["experience"] = {"follow_up_gain": GAIN}
    scenario = scenario_from_dict(data)
    return simulate(scenario, 0), scenario


def returns(scenario: Any, customers: CustomerTable) -> np.ndarray:
    """Each customer's probability of coming back after this visit (the return model)."""
    n = len(customers)
    belief = ReliabilityBelief.prior(scenario.retention.reliability_prior, n)
    prior = belief.mean()
    belief.learn(np.arange(n), customers["contacts"], customers["failures"])
    return return_probability(
        return_models_by_segment(scenario),
        customers["segment"],
        np.nan_to_num(customers["remembered_utility"]),
        customers["effort"].astype(float),
        np.full(n, Loyalty.NEW),
        belief.mean() - prior,
    )


@pytest.fixture(scope="module")
def pair() -> tuple[ReplicationOutput, ReplicationOutput, Any]:
    off, _ = run(False)
    on, scenario = run(True)
    return off, on, scenario


def test_the_follow_up_changes_no_queue_no_service_and_no_agent_time(pair):
    off, on, _ = pair
    for name, values in off.contacts.columns.items():
        assert np.array_equal(values, on.contacts[name], equal_nan=True), name
    for name in ("contacts", "failures", "recoveries", "recovery_minutes", "extras_minutes"):
        assert np.array_equal(off.customers[name], on.customers[name]), name
    assert off.busy_minutes == on.busy_minutes


def test_each_journey_ended_resolved_before_the_horizon_less_the_delay_gets_one(pair):
    off, on, scenario = pair
    customers = on.customers
    ended = customers["service_end_minutes"]
    expected = (customers["outcome"] == 0) & (ended + DELAY < scenario.horizon_minutes)
    sent = on.facts[FollowedUp]
    assert len(off.facts[FollowedUp]) == 0
    assert expected.sum() > 20  # the day has enough of them to mean something
    assert sorted(sent["customer"]) == sorted(np.flatnonzero(expected))
    assert np.allclose(sent["at"], ended[sent["customer"]] + DELAY)


def test_it_costs_follow_up_cost_per_message_and_nothing_else(pair):
    off, on, _ = pair
    sent = np.zeros(len(on.customers), dtype=bool)
    sent[on.facts[FollowedUp]["customer"]] = True
    extra = on.customers["extras_cost"] - off.customers["extras_cost"]
    assert np.allclose(extra[sent], COST)
    assert np.array_equal(extra[~sent], np.zeros((~sent).sum()))


def test_those_who_get_one_remember_better_and_return_more_the_rest_the_same(pair):
    """The documented direction: up, for every customer who gets a message (their last
    moment is lifted by the gain, and peak-end weighs the end); exactly equal for the
    others. No statistical tolerance is needed: the pair differs only by the message."""
    off, on, scenario = pair
    sent = np.zeros(len(on.customers), dtype=bool)
    sent[on.facts[FollowedUp]["customer"]] = True
    before, after = off.customers["remembered_utility"], on.customers["remembered_utility"]
    assert np.all(after[sent] > before[sent])
    assert np.array_equal(after[~sent], before[~sent], equal_nan=True)
    assert np.all(on.customers["end_utility"][sent] > off.customers["end_utility"][sent])
    back_off, back_on = returns(scenario, off.customers), returns(scenario, on.customers)
    assert np.all(back_on[sent] > back_off[sent])
    assert np.array_equal(back_on[~sent], back_off[~sent])


def test_a_message_due_after_the_horizon_is_not_sent():
    on, scenario = run(True, follow_up_delay_minutes=scenario_horizon() + 1)
    assert len(on.facts[FollowedUp]) == 0
    assert on.customers["extras_cost"].sum() == 0


def scenario_horizon() -> float:
    return float(scenario_from_dict(busy_day_data()).horizon_minutes)


def test_the_message_is_felt_on_top_of_how_the_contact_ended():
    """By hand: a resolved contact with a delight, then the message 30 minutes later. Its
    moment is the delight's points plus ``follow_up_gain``, at the time it arrives, and it
    is the journey's last moment."""
    lived = experience(
        [
            Queued(0, 0, 0, ContactKind.FIRST, 1.0, math.inf, True),
            Served(0, 1.0, 5.0, 0, 0, 0.5, ServiceResult.RESOLVED),
            Delighted(0, 0, 5.0),
            FollowedUp(0, 0, 35.0),
        ],
        [1.0],
        follow_up_gain=GAIN,
    )
    pieces = lived.pieces()
    delight = next(p for p in pieces if p[0] == EpisodeKind.DELIGHT)
    kind, start, duration, u = pieces[-1]
    assert (kind, start, duration) == (EpisodeKind.OTHER, 35.0, 0.0)
    assert u > delight[3]
    points = delight[3] ** (1 / 0.88)  # the delight's points, back through v
    assert math.isclose(u, v(points + GAIN), rel_tol=1e-9)
    assert lived.customers["extras_cost"][0] == 0.0  # no price given: a hand log pays 0
