"""Journeys beyond one queue: stages, priorities, transfers, virtual hold, balking, breaks."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from peakend import scenario_from_dict, simulate
from peakend.engine.facts import ContactKind, Outcome
from peakend.experience.trace import EpisodeKind
from peakend.simulation.replication import Replication

from conftest import busy_day_data


def _data(**changes: object) -> dict:
    data = busy_day_data(seed=9)
    data["segments"]["a"]["retry_probability"] = 0.0
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split("__")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return data


KITCHEN = {"staffing": [3, 3, 3, 3], "first_contact_resolution": 1.0}


def test_a_journey_of_stages_visits_each_pool_in_order():
    data = _data(
        segments__a__stages=["kitchen", "bill"],
        pools__kitchen=KITCHEN,
        pools__bill={"staffing": [2, 2, 2, 2], "first_contact_resolution": 1.0},
        pools__agents__first_contact_resolution=1.0,
        service={"farewell": True},
    )
    out = simulate(scenario_from_dict(data))
    contacts, customers = out.contacts, out.customers
    staged = customers["segment"] == 0
    resolved = np.flatnonzero(staged & (customers["outcome"] == Outcome.RESOLVED))
    assert len(resolved) > 20  # enough journeys to check (the seed's agents resolve 26)
    for customer in resolved[:50]:
        mine = contacts["customer"] == customer
        assert contacts["pool"][mine].tolist() == [0, 1, 2]
        assert contacts["kind"][mine].tolist() == [
            ContactKind.FIRST,
            ContactKind.STAGE,
            ContactKind.STAGE,
        ]
    # The farewell comes once, at the end of the last stage.
    farewells = out.traces.owner[out.traces.kind == EpisodeKind.FAREWELL]
    counts = np.bincount(farewells, minlength=len(customers))
    assert np.all(counts[resolved] == 1)
    # One-stage customers of segment b are unchanged: one contact at the entry pool.
    plain = (customers["segment"] == 1) & (customers["outcome"] == Outcome.RESOLVED)
    assert np.all(customers["contacts"][plain] == 1)


def test_a_higher_priority_segment_waits_less_than_before():
    base = _data(pools__agents__staffing=[2, 4, 4, 2])
    first = copy.deepcopy(base)
    first["segments"]["b"]["priority"] = 0
    first["segments"]["a"]["priority"] = 1
    waits = []
    for data in (base, first):
        contacts = simulate(scenario_from_dict(data)).contacts
        b = contacts["segment"] == 1
        waits.append((contacts["wait_minutes"][b].mean(), contacts["wait_minutes"][~b].mean()))
    (b_before, a_before), (b_after, a_after) = waits
    assert b_after < b_before and a_after > a_before


def test_transfers_pass_contacts_on_and_add_effort():
    data = _data(
        pools__kitchen=KITCHEN,
        pools__agents__transfer_probability=0.3,
        pools__agents__transfer_to="kitchen",
    )
    out = simulate(scenario_from_dict(data))
    contacts, customers = out.contacts, out.customers
    moved = contacts["kind"] == ContactKind.TRANSFER
    assert moved.sum() > 10  # enough transfers to check (the seed gives 19)
    assert np.all(contacts["pool"][moved] == 1)
    assert customers["transfers"].sum() >= moved.sum()
    assert np.all(customers["effort"] >= customers["transfers"])
    traces = out.traces
    assert (traces.kind == EpisodeKind.TRANSFER).sum() == customers["transfers"].sum()


def test_virtual_hold_keeps_the_place_at_home_and_cuts_abandonment():
    hold = {"enabled": True, "threshold_minutes": 0.5, "acceptance": 1.0}
    queueing = _data(pools__agents__staffing=[2, 3, 3, 2])
    held = copy.deepcopy(queueing)
    held["channels"] = {"phone": {"share": 1.0, "virtual_hold": hold}}
    a, b = simulate(scenario_from_dict(queueing)), simulate(scenario_from_dict(held))
    at_home = b.contacts["at_home"]
    assert at_home.sum() > 20
    assert not b.contacts["abandoned"][at_home].any()  # nobody gives up at home
    assert b.contacts["abandoned"].mean() < a.contacts["abandoned"].mean()
    # Waiting at home is not felt: no wait pieces for customers held from the start.
    held_first = b.contacts["customer"][at_home & (b.contacts["contact"] == 1)]
    wait_owners = b.traces.owner[b.traces.kind == EpisodeKind.WAIT]
    assert not np.isin(held_first, wait_owners).all()


def test_balking_on_announced_waits():
    """Customers told the expected wait leave at once; more so when they mind it more."""

    def balked_share(scale: float) -> float:
        data = _data(pools__agents__staffing=[1, 2, 2, 1])
        balking = {"enabled": True, "scale_minutes": scale}
        data["channels"] = {"phone": {"share": 1.0, "balking": balking}}
        contacts = simulate(scenario_from_dict(data)).contacts
        return float((contacts["abandoned"] & (contacts["wait_minutes"] == 0)).mean())

    patient, impatient = balked_share(20.0), balked_share(2.0)
    assert 0 < patient < impatient


def test_breaks_take_agents_off_the_floor():
    data = _data(pools__agents__absenteeism=0.0, pools__agents__breaks=[0, 2, 1, 0])
    scenario = scenario_from_dict(data)
    replication = Replication(scenario)
    out = replication.run()
    counts = [count for _, count in out.capacity_log["agents"]]
    assert counts == [2, 5 - 2, 3 - 1, 1]


TWO_TEAMS = {
    "pools__agents__staffing": [2, 3, 3, 2],
    # The same kind of agents as the first team, so that only the routing differs.
    "pools__chat_team": {
        "staffing": [2, 2, 2, 2],
        "absenteeism": 0.2,
        "service_time": {"distribution": "gamma", "mean": 2.5, "cv": 0.8},
        "first_contact_resolution": 0.7,
        "skill_effect": 0.5,
    },
    "segments__b__entry_pool": "chat_team",
}


def _overflow(after_agents: float, after_chat: float) -> dict:
    data = _data(**TWO_TEAMS)
    data["pools"]["agents"]["overflow_to"] = "chat_team"
    data["pools"]["agents"]["overflow_after_minutes"] = after_agents
    data["pools"]["chat_team"]["overflow_to"] = "agents"
    data["pools"]["chat_team"]["overflow_after_minutes"] = after_chat
    return data


def test_overflow_that_never_comes_is_two_separate_queues():
    separate = simulate(scenario_from_dict(_data(**TWO_TEAMS)))
    never = simulate(scenario_from_dict(_overflow(float("inf"), float("inf"))))
    for name in separate.contacts.columns:
        assert np.array_equal(separate.contacts[name], never.contacts[name], equal_nan=True)


def test_overflow_lets_the_other_team_answer_and_conserves_customers():
    out = simulate(scenario_from_dict(_overflow(0.5, 0.5)))
    c = out.contacts
    answered = c["answered"]
    crossed = answered & (c["served_pool"] != c["pool"])
    assert crossed.sum() > 10
    assert np.all(c["served_pool"][~answered] == -1)
    # No agent of either team serves two customers at once.
    for pool in (0, 1):
        mine = answered & (c["served_pool"] == pool)
        order = np.lexsort((c["service_start_minutes"][mine], c["agent"][mine]))
        agent = c["agent"][mine][order]
        start = c["service_start_minutes"][mine][order]
        end = c["service_end_minutes"][mine][order]
        same = agent[1:] == agent[:-1]
        assert np.all(start[1:][same] >= end[:-1][same] - 1e-9)
    # Every customer ends once: answered, gave up, or still in the system.
    assert np.bincount(out.customers["outcome"], minlength=4).sum() == len(out.customers)


def test_overflow_at_once_both_ways_behaves_like_one_shared_pool():
    """The limit: overflow after 0 minutes in both directions is one pool of both teams.

    Not identical event by event (two FCFS lines, not one), so the mean wait of 20
    replications is compared: the two must lie within 3 standard errors of the
    difference (a 99.7 % band)."""
    shared = _data(pools__agents__staffing=[4, 5, 5, 4])
    both = _overflow(0.0, 0.0)
    for data in (shared, both):
        data["pools"]["agents"]["absenteeism"] = 0.0
        data["pools"].get("chat_team", {})["absenteeism"] = 0.0
        data["segments"]["a"]["patience"] = {"distribution": "fixed", "value": float("inf")}
        data["segments"]["b"]["patience"] = {"distribution": "fixed", "value": float("inf")}
    shared["segments"]["b"].pop("entry_pool", None)
    waits = {"shared": [], "both": []}
    for name, data in (("shared", shared), ("both", both)):
        scenario = scenario_from_dict(data)
        for replication in range(20):
            waits[name].append(simulate(scenario, replication).contacts["wait_minutes"].mean())
    a, b = np.array(waits["shared"]), np.array(waits["both"])
    difference = a.mean() - b.mean()
    standard_error = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert abs(difference) < 3 * standard_error


BACK_OFFICE = {
    "staffing": [1, 1, 1, 1],
    "service_time": {"distribution": "gamma", "mean": 2.5, "cv": 0.8},
}


def _routing(*rules: tuple[str, float]) -> dict:
    data = _data(**TWO_TEAMS, pools__back_office=BACK_OFFICE)
    data["pools"]["agents"]["overflow"] = [
        {"pool": pool, "after_minutes": after} for pool, after in rules
    ]
    return data


def test_a_routing_list_of_one_rule_is_the_overflow_to_shorthand():
    shorthand = _data(**TWO_TEAMS, pools__back_office=BACK_OFFICE)
    shorthand["pools"]["agents"].update(overflow_to="chat_team", overflow_after_minutes=0.7)
    one_rule = simulate(scenario_from_dict(_routing(("chat_team", 0.7))))
    expected = simulate(scenario_from_dict(shorthand))
    for name in expected.contacts.columns:
        assert np.array_equal(expected.contacts[name], one_rule.contacts[name], equal_nan=True)


def test_routing_in_order_each_pool_only_after_its_wait():
    """The chat team after 0.5 minutes, the back office after 2: a contact answered by
    the back office had waited at least 2 minutes, by the chat team at least 0.5."""
    scenario = scenario_from_dict(_routing(("chat_team", 0.5), ("back_office", 2.0)))
    waited = {1: [], 2: []}
    for replication in range(3):
        c = simulate(scenario, replication).contacts
        home = c["answered"] & (c["pool"] == 0)
        for pool in waited:
            waited[pool].extend(c["wait_minutes"][home & (c["served_pool"] == pool)])
    assert len(waited[1]) > 10 and len(waited[2]) > 3
    assert min(waited[1]) >= 0.5 - 1e-9
    assert min(waited[2]) >= 2.0 - 1e-9


def test_a_second_routing_rule_shortens_the_first_teams_waits():
    """Paired over 20 replications (common random numbers): adding the back office after
    2 minutes to the chat team after 0.5 lowers the mean wait of the first team's
    contacts; the paired differences' mean must be more than 3 standard errors below 0."""
    one = scenario_from_dict(_routing(("chat_team", 0.5)))
    two = scenario_from_dict(_routing(("chat_team", 0.5), ("back_office", 2.0)))
    differences = []
    for replication in range(20):
        a, b = simulate(one, replication).contacts, simulate(two, replication).contacts
        differences.append(
            b["wait_minutes"][b["pool"] == 0].mean() - a["wait_minutes"][a["pool"] == 0].mean()
        )
    d = np.asarray(differences)
    assert d.mean() + 3 * d.std(ddof=1) / np.sqrt(len(d)) < 0


BILL = {"staffing": [2, 2, 2, 2], "first_contact_resolution": 1.0}


def _routed(*stages: object, **changes: object) -> dict:
    """Segment a's journey: the entry pool, then ``stages`` (the kitchen and the bill)."""
    return _data(
        segments__a__stages=list(stages),
        pools__kitchen=KITCHEN,
        pools__bill=BILL,
        pools__agents__first_contact_resolution=1.0,
        pools__agents__skill_effect=0.0,
        service={"farewell": True},
        **changes,
    )


def _visits(out, pool: int) -> set[int]:
    c = out.contacts
    return set(c["customer"][c["pool"] == pool].tolist())


def test_a_stage_with_a_probability_is_visited_by_that_share_of_customers():
    """Over 12 replications (about 350 customers past the entry pool), the share who visit
    the kitchen lies within 4 binomial standard errors of 0.4; everyone else goes straight
    to the bill, and the farewell still comes once, at the end of the last stage visited."""
    scenario = scenario_from_dict(_routed({"pool": "kitchen", "probability": 0.4}, "bill"))
    visited = passed = 0
    for replication in range(12):
        out = simulate(scenario, replication)
        c, customers = out.contacts, out.customers
        resolved = np.flatnonzero((customers["segment"] == 0) & (customers["outcome"] == 0))
        for customer in resolved:
            pools = c["pool"][c["customer"] == customer].tolist()
            assert pools in ([0, 1, 2], [0, 2])
        visited += int(np.isin(resolved, list(_visits(out, 1))).sum())
        passed += len(resolved)
        farewells = out.traces.owner[out.traces.kind == EpisodeKind.FAREWELL]
        assert np.all(np.bincount(farewells, minlength=len(customers))[resolved] == 1)
    share = visited / passed
    assert passed > 300
    assert abs(share - 0.4) < 4 * np.sqrt(0.4 * 0.6 / passed)


def test_the_route_is_the_customers_own_draw_whatever_the_staffing():
    """Common random numbers: with twice the entry staff, the customers who reach the
    kitchen stage decide as before, so everyone who visits it in both runs is among those
    whose draw sends them there."""
    route = {"pool": "kitchen", "probability": 0.5}
    few = simulate(scenario_from_dict(_routed(route, "bill")))
    many = simulate(
        scenario_from_dict(_routed(route, "bill", pools__agents__staffing=[4, 10, 6, 2]))
    )
    reached = lambda out: set(  # noqa: E731  (customers who got past the entry pool)
        out.contacts["customer"][(out.contacts["pool"] == 0) & out.contacts["resolved"]].tolist()
    )
    both = reached(few) & reached(many)
    assert len(both) > 50
    assert _visits(few, 1) & both == _visits(many, 1) & both


def test_stage_probability_one_and_zero_are_the_plain_stage_and_no_stage():
    plain = simulate(scenario_from_dict(_routed("kitchen", "bill")))
    always = simulate(scenario_from_dict(_routed({"pool": "kitchen", "probability": 1.0}, "bill")))
    never = simulate(scenario_from_dict(_routed({"pool": "kitchen", "probability": 0.0}, "bill")))
    skipped = simulate(scenario_from_dict(_routed("bill")))
    for a, b in ((plain, always), (skipped, never)):
        for name in a.contacts.columns:
            assert np.array_equal(a.contacts[name], b.contacts[name], equal_nan=True), name


def test_no_contact_is_served_twice_and_each_service_is_the_work_drawn_for_it():
    """Conservation with overflow both ways, priorities, virtual hold and balking: every
    contact is served at most once (one Served fact), and each first contact's service
    lasts exactly the work drawn for it at its own queue, whoever served it (no closing
    words, so nothing else takes agent time); the agents' busy minutes are their sum
    inside the statistics window (which ends at the horizon)."""
    from peakend.engine.facts import Served

    data = _overflow(0.5, 1.0)
    data["segments"]["b"]["priority"] = 1
    data["channels"] = {
        "phone": {
            "share": 0.7,
            "virtual_hold": {"enabled": True, "threshold_minutes": 1.0, "acceptance": 0.6},
        },
        "chat": {"share": 0.3, "balking": {"enabled": True, "scale_minutes": 4.0}},
    }
    data["run"]["warmup_minutes"] = 0.0
    for pool in data["pools"].values():
        pool["first_contact_resolution"] = 1.0
        pool["skill_effect"] = 0.0
    replication = Replication(scenario_from_dict(data), 0)
    out = replication.run()
    served = out.facts[Served]["contact"]
    assert len(served) == len(np.unique(served))
    c = out.contacts
    assert np.count_nonzero(c["answered"]) == len(served)
    first = np.flatnonzero(c["answered"] & (c["contact"] == 1))
    crossed = first[c["served_pool"][first] != c["pool"][first]]
    assert len(crossed) > 5 and c["at_home"][first].any()
    draws, pools = replication.context().decisions.draws, list(replication.scenario.pools.items())
    for row in first:
        name, config = pools[c["pool"][row]]
        work = draws.column(f"service:{name}", 0, config.service_time.sample)[c["customer"][row]]
        took = c["service_end_minutes"][row] - c["service_start_minutes"][row]
        assert took == pytest.approx(work, rel=1e-12)
    answered, horizon = c["answered"], replication.scenario.horizon_minutes
    end = np.minimum(c["service_end_minutes"][answered], horizon)  # the statistics window
    start = np.minimum(c["service_start_minutes"][answered], horizon)
    assert out.busy_minutes == pytest.approx((end - start).sum(), rel=1e-12)
