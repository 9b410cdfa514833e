"""The IVR before the queue: its stories, its facts, its levers and what it does to memory."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from stories import fixed, pool, told, world

from peakend import scenario_from_dict
from peakend.config.loading import ConfigError
from peakend.engine.facts import ContactKind, InIvr, IvrEnding, Outcome
from peakend.simulation.replication import simulate

from conftest import busy_day_data

IVR = {"minutes": fixed(2.0), "leave_probability": 0.2, "self_service_probability": 0.3}
"""Two minutes of menus; a draw below 0.2 leaves, below 0.5 serves itself, else queues."""
QUEUED, LEFT, SELF = IvrEnding.QUEUED, IvrEnding.LEFT, IvrEnding.SELF_SERVED


def _story(draws: list[float], **segment: object) -> list:
    data = world([1.0], {"desk": pool(4.0)}, segment={"ivr": IVR, **segment})
    return told(data, {("ivr", k): [draw] for k, draw in enumerate(draws)})


def test_a_caller_who_goes_on_queues_when_the_menus_end():
    assert _story([0.7]) == [
        ("InIvr", (0, 1, 1.0, 2.0, QUEUED)),
        ("Queued", (0, 0, 0, ContactKind.FIRST, 3.0, math.inf, True)),
        ("Served", (0, 3.0, 7.0, 0, 0, 0.5, 0)),
    ]


def test_a_caller_who_hangs_up_in_the_ivr_never_reaches_the_queue():
    assert _story([0.1]) == [
        ("InIvr", (0, 1, 1.0, 2.0, LEFT)),
        ("Finished", (0, 3.0, Outcome.ABANDONED)),
    ]


def test_a_caller_who_serves_itself_is_resolved_with_no_agent():
    assert _story([0.4]) == [
        ("InIvr", (0, 1, 1.0, 2.0, SELF)),
        ("Finished", (0, 3.0, Outcome.RESOLVED)),
    ]


def test_a_retry_goes_through_the_ivr_again():
    # The desk has no agent. Ann (patience 1) leaves the menus at 3, gives up in the queue
    # at 4, retries 5 minutes later (9) and hangs up in the IVR at 11.
    data = world(
        [1.0],
        {"desk": pool(4.0, staffing=[0])},
        patience=1.0,
        segment={"ivr": IVR, "retry_probability": 1.0, "retry_delay": fixed(5.0)},
    )
    facts = told(data, {("ivr", 0): [0.9], ("ivr", 1): [0.1]})
    assert facts == [
        ("InIvr", (0, 1, 1.0, 2.0, QUEUED)),
        ("Queued", (0, 0, 0, ContactKind.FIRST, 3.0, 4.0, True)),
        ("GaveUp", (0, 4.0)),
        ("InIvr", (0, 2, 9.0, 2.0, LEFT)),
        ("Finished", (0, 11.0, Outcome.ABANDONED)),
    ]


def _day(leave: float = 0.1, self_service: float = 0.2, seed: int = 4) -> dict:
    data = busy_day_data(seed=seed)
    for segment in data["segments"].values():
        segment["ivr"] = {
            "minutes": {"distribution": "lognormal", "mean": 1.0, "cv": 0.6},
            "leave_probability": leave,
            "self_service_probability": self_service,
        }
    return data


def test_the_records_count_ivr_only_customers_with_no_contact():
    out = simulate(scenario_from_dict(_day()))
    customers = out.customers.to_frame()
    stays = out.facts[InIvr]
    only = customers["contacts"] == 0
    first = stays["number"] == 1  # retries and repeat contacts go through the IVR too
    left = first & (stays["ending"] == LEFT)
    served = first & (stays["ending"] == SELF)
    assert only.sum() == left.sum() + served.sum() > 0
    assert set(customers.loc[only, "outcome"]) <= {"abandoned", "resolved"}
    assert (customers.loc[only, "outcome"] == "resolved").sum() == served.sum()
    assert (customers.loc[only, "outcome"] == "abandoned").sum() == left.sum()
    # Everyone has a memory, also those who never reached an agent.
    assert not customers["remembered_utility"].isna().any()


def test_more_callers_leaving_the_ivr_means_fewer_contacts_offered_to_agents_paired():
    for replication in range(3):
        offered = [
            len(simulate(scenario_from_dict(_day(leave=leave)), replication).contacts)
            for leave in (0.05, 0.3)
        ]
        assert offered[1] < offered[0]


def test_more_self_service_means_fewer_contacts_and_shorter_waits_paired():
    for replication in range(3):
        outs = [
            simulate(scenario_from_dict(_day(self_service=share)), replication)
            for share in (0.0, 0.4)
        ]
        assert len(outs[1].contacts) < len(outs[0].contacts)
        assert outs[1].contacts["wait_minutes"].mean() < outs[0].contacts["wait_minutes"].mean()


def test_self_service_is_remembered_better_than_hanging_up():
    # Same stays, same draws: a caller who serves itself ends on a neutral moment, one
    # who hangs up on the wait's discomfort.
    left = simulate(scenario_from_dict(_day(leave=1.0, self_service=0.0)))
    served = simulate(scenario_from_dict(_day(leave=0.0, self_service=1.0)))
    assert len(left.contacts) == len(served.contacts) == 0
    assert np.all(served.customers["remembered_utility"] > left.customers["remembered_utility"])


def test_an_ivr_in_the_retention_loop_keeps_self_served_customers():
    data = _day(leave=0.0, self_service=1.0)
    data["run"]["replications"] = 1
    data["retention"] = {"periods": 2, "population": 300}
    from peakend.retention.multiperiod import run_periods

    out = run_periods(scenario_from_dict(data))
    # A visit resolved in self-service is a good enough memory to come back (the
    # baseline return of 0.85 at a neutral memory): most visitors stay.
    assert out.periods["retention_rate"].iloc[0] > 0.5


@pytest.mark.parametrize(
    ("ivr", "message"),
    [
        (
            {"minutes": fixed(1.0), "leave_probability": 0.6, "self_service_probability": 0.5},
            "at most 1",
        ),
        ({"leave_probability": 0.1}, "minutes: required key is missing"),
        ({"minutes": fixed(1.0), "leave_probability": 1.5}, "less than or equal to 1"),
    ],
)
def test_a_bad_ivr_is_a_one_line_error_naming_the_key(ivr, message):
    data = copy.deepcopy(_day())
    data["segments"]["a"]["ivr"] = ivr
    with pytest.raises(ConfigError) as error:
        scenario_from_dict(data, "s.toml")
    text = str(error.value)
    assert "\n" not in text and "segments.a.ivr" in text and message in text
