"""Invariants of the engine, checked on random small scenarios (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peakend import scenario_from_dict, simulate
from peakend.engine.facts import Outcome
from peakend.engine.staffing import present_agents
from peakend.simulation.replication import Replication

from conftest import busy_day_data


@st.composite
def scenarios(draw):
    intervals = draw(st.integers(1, 4))
    data = busy_day_data(seed=draw(st.integers(0, 10_000)))
    data["arrivals"]["rate_per_hour"] = draw(
        st.lists(st.floats(0, 200), min_size=intervals, max_size=intervals)
    )
    data["arrivals"]["interval_minutes"] = draw(st.sampled_from([10.0, 30.0]))
    data["pools"]["agents"]["staffing"] = draw(
        st.lists(st.integers(0, 6), min_size=intervals, max_size=intervals)
    )
    data["pools"]["agents"]["absenteeism"] = draw(st.sampled_from([0.0, 0.3]))
    data["run"]["drain"] = draw(st.booleans())
    return scenario_from_dict(data)


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenarios())
def test_customers_are_conserved(scenario):
    rep = Replication(scenario)
    out = rep.run()
    customers = out.customers
    assert np.array_equal(customers["customer"], np.arange(len(customers)))
    outcomes = np.bincount(customers["outcome"], minlength=4)
    assert outcomes.sum() == len(customers)
    if scenario.run.drain:
        # Everyone has finite patience here, so a drained run leaves nobody behind.
        assert outcomes[Outcome.IN_SYSTEM] == 0
    contacts = out.contacts
    # A contact was answered, gave up, or was still waiting when a run without drain ended.
    still_waiting = ~contacts["answered"] & ~contacts["abandoned"]
    assert not np.any(contacts["answered"] & contacts["abandoned"])
    if scenario.run.drain:
        assert not still_waiting.any()
    waiting_customers = np.unique(contacts["customer"][still_waiting])
    assert np.all(customers["outcome"][waiting_customers] == Outcome.IN_SYSTEM)
    # Every customer who was answered or abandoned has at least one recorded contact.
    finished = customers["outcome"] != Outcome.IN_SYSTEM
    per_customer = np.bincount(contacts["customer"], minlength=len(customers))
    assert np.all(per_customer[finished] >= 1)
    assert np.all(per_customer <= customers["contacts"])


@FAST
@given(scenarios())
def test_waits_are_non_negative_and_services_ordered(scenario):
    out = simulate(scenario)
    c = out.contacts
    assert np.all(c["wait_minutes"] >= 0)
    answered = c["answered"]
    start, end = c["service_start_minutes"][answered], c["service_end_minutes"][answered]
    assert np.allclose(start, c["arrival_minutes"][answered] + c["wait_minutes"][answered])
    assert np.all(end >= start)
    assert np.all(np.isnan(c["service_start_minutes"][~answered]))


@FAST
@given(scenarios())
def test_no_agent_serves_two_customers_at_once(scenario):
    c = simulate(scenario).contacts
    answered = c["answered"]
    agent = c["agent"][answered]
    start = c["service_start_minutes"][answered]
    end = c["service_end_minutes"][answered]
    order = np.lexsort((start, agent))
    agent, start, end = agent[order], start[order], end[order]
    same_agent = agent[1:] == agent[:-1]
    assert np.all(start[1:][same_agent] >= end[:-1][same_agent] - 1e-9)


@FAST
@given(scenarios())
def test_capacity_follows_the_schedule(scenario):
    rep = Replication(scenario)
    out = rep.run()
    pool = rep.pools[0]
    config = scenario.pools["agents"]
    expected = present_agents(config.staffing, pool.absent)
    log = out.capacity_log["agents"]
    assert [count for _, count in log] == expected.tolist()
    assert [t for t, _ in log] == [i * scenario.arrivals.interval_minutes for i in range(len(log))]
    # Each service starts with an agent who is rostered, present and on shift.
    c = out.contacts
    starts = c["service_start_minutes"][c["answered"]]
    agents = c["agent"][c["answered"]]
    interval = np.minimum(
        (starts // scenario.arrivals.interval_minutes).astype(int), scenario.intervals - 1
    )
    staffing = np.asarray(config.staffing)
    boundary = np.isclose(starts % scenario.arrivals.interval_minutes, 0)
    ok = (agents < staffing[interval]) & ~pool.absent[agents]
    # At an exact boundary the agent may still belong to the previous interval's shift.
    assert np.all(ok | boundary)


def test_same_seed_same_numbers_different_seed_different(busy_day):
    a, b = simulate(busy_day, 1), simulate(busy_day, 1)
    for name in a.contacts.columns:
        assert np.array_equal(a.contacts[name], b.contacts[name], equal_nan=True)
    c = simulate(busy_day, 2)
    assert not np.array_equal(a.customers["arrival_minutes"], c.customers["arrival_minutes"])


def test_common_random_numbers_across_staffing():
    """Changing staffing leaves the same customers with the same first patience."""
    base = busy_day_data()
    more = busy_day_data()
    more["pools"]["agents"]["staffing"] = [6, 8, 8, 4]
    a, b = simulate(scenario_from_dict(base)), simulate(scenario_from_dict(more))
    assert np.array_equal(a.customers["arrival_minutes"], b.customers["arrival_minutes"])
    assert np.array_equal(a.customers["segment"], b.customers["segment"])
    # More staff: fewer waits, so the paired difference is visible customer by customer.
    assert b.contacts["wait_minutes"].mean() < a.contacts["wait_minutes"].mean()


def test_patience_is_common_across_scenarios():
    base = Replication(scenario_from_dict(busy_day_data()))
    more = busy_day_data()
    more["pools"]["agents"]["staffing"] = [9, 9, 9, 9]
    other = Replication(scenario_from_dict(more))
    _, _, patience_a, work_a = base.plan()
    _, _, patience_b, work_b = other.plan()
    assert np.array_equal(patience_a, patience_b)
    assert np.array_equal(work_a, work_b)


def test_agent_finishes_current_customer_after_shift_ends():
    data = busy_day_data()
    data["arrivals"]["rate_per_hour"] = [120, 0]
    data["pools"]["agents"]["staffing"] = [3, 0]
    data["pools"]["agents"]["absenteeism"] = 0.0
    data["pools"]["agents"]["service_time"] = {"distribution": "fixed", "value": 7.0}
    out = simulate(scenario_from_dict(data))
    c = out.contacts
    # Services started before the end of the shift (t=30) run to completion after it.
    late = c["answered"] & (c["service_end_minutes"] > 30)
    assert late.any()
    assert np.all(c["service_start_minutes"][late] <= 30)
    assert np.allclose(c["service_end_minutes"][late] - c["service_start_minutes"][late], 7.0)


def test_cut_at_horizon_leaves_customers_in_system():
    data = busy_day_data()
    data["run"]["drain"] = False
    data["pools"]["agents"]["staffing"] = [1, 1, 1, 1]
    out = simulate(scenario_from_dict(data))
    assert (out.customers["outcome"] == Outcome.IN_SYSTEM).any()
    assert out.end_time == 120
