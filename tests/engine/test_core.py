"""The engine core: fast path against the plain-SimPy reference, correct corners, CRN."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from peakend import load_scenario, scenario_from_dict
from peakend.engine.facts import ContactKind, Outcome
from peakend.engine.reference import ReferencePool
from peakend.simulation.replication import Replication, simulate

from conftest import ROOT, busy_day_data


def _variant(**changes: object) -> dict:
    data = busy_day_data(seed=3)
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split("__")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return data


SENIORS = {"staffing": [1, 2, 2, 1], "first_contact_resolution": 0.9}
REFERENCE_CASES = {
    "retries and repeat contacts": _variant(),
    "shift ends and absenteeism": _variant(
        pools__agents__absenteeism=0.3, pools__agents__staffing=[6, 2, 7, 1]
    ),
    "callbacks": _variant(
        recovery={
            "policy": "callback",
            "callback_delay": {"distribution": "exponential", "mean": 8.0},
        }
    ),
    "escalation": _variant(
        recovery={"policy": "escalation", "escalation_pool": "seniors", "apology": True},
        pools__seniors=SENIORS,
    ),
    "stages, transfers, priorities, breaks": _variant(
        segments__b__priority=1,
        segments__a__stages=[{"pool": "seniors", "probability": 0.7}],
        pools__seniors={"staffing": [2, 3, 3, 2], "first_contact_resolution": 0.9},
        pools__agents__transfer_probability=0.15,
        pools__agents__transfer_to="seniors",
        pools__agents__breaks=[0, 1, 1, 0],
    ),
    "overflow both ways": _variant(
        pools__agents__overflow_to="chat_team",
        pools__agents__overflow_after_minutes=0.5,
        pools__chat_team={
            "staffing": [1, 2, 2, 1],
            "overflow_to": "agents",
            "overflow_after_minutes": 1.0,
        },
        segments__b__entry_pool="chat_team",
    ),
    "virtual hold and balking": _variant(
        channels={
            "phone": {
                "share": 0.6,
                "virtual_hold": {"enabled": True, "threshold_minutes": 1.0, "acceptance": 0.7},
            },
            "chat": {"share": 0.4, "balking": {"enabled": True, "scale_minutes": 4.0}},
        },
        pools__agents__staffing=[2, 3, 3, 2],
    ),
    "routing in order to two teams": _variant(
        pools__agents__overflow=[
            {"pool": "chat_team", "after_minutes": 0.4},
            {"pool": "seniors", "after_minutes": 1.5},
        ],
        pools__chat_team={"staffing": [1, 2, 2, 1], "concurrency": 2},
        pools__seniors=SENIORS,
    ),
    "chat concurrency, calls overflowing to chat agents, stress, cut at the end": _variant(
        pools__agents__overflow_to="chat_team",
        pools__agents__overflow_after_minutes=0.3,
        pools__chat_team={
            "staffing": [1, 2, 2, 1],
            "concurrency": 3,
            "concurrency_slowdown": 0.4,
            "stress": {"enabled": True},
            "first_contact_resolution": 0.8,
            "overflow_to": "agents",
            "overflow_after_minutes": 1.5,
        },
        segments__b__entry_pool="chat_team",
        recovery={"policy": "apology", "apology_minutes": 0.4},
        service={"farewell": True},
        run__drain=False,
    ),
    "stress on the phone across shift changes, breaks and absenteeism": _variant(
        pools__agents__stress={"enabled": True, "threshold": 0.3, "sensitivity": 0.8},
        pools__agents__staffing=[3, 5, 2, 4],
        pools__agents__breaks=[0, 1, 0, 1],
        pools__agents__absenteeism=0.2,
    ),
    "issue 19 keys: service by segment and hour, roster by date, IVR, new patience": _variant(
        run__start_date="2026-03-07",
        pools__agents__staffing_by_day={"sat": [3, 4, 4, 2], "2026-03-07": [2, 6, 4, 1]},
        pools__agents__service_time_by_segment={
            "b": {"distribution": "weibull", "shape": 1.5, "scale": 3.0}
        },
        pools__agents__service_time_factor=[1.2, 1.0, 0.9, 1.1],
        segments__a__ivr={
            "minutes": {"distribution": "exponential", "mean": 0.5},
            "leave_probability": 0.1,
            "self_service_probability": 0.15,
        },
        segments__a__patience={
            "distribution": "mixture",
            "weights": [0.2, 0.8],
            "components": [
                {"distribution": "fixed", "value": 0.1},
                {"distribution": "weibull", "shape": 0.7, "scale": 4.0},
            ],
        },
        segments__b__patience={
            "distribution": "survival",
            "minutes": [0.2, 1.0, 3.0, 6.0],
            "survival": [0.9, 0.7, 0.5, 0.4],
            "interpolation": "linear",
        },
    ),
    "hidden defects, farewell, delight, coupons, drained": _variant(
        pools__agents__failure_noticed_later_probability=0.4,
        service={"farewell": True, "delight_probability": 0.3},
        recovery={"policy": "compensation", "compensation": 10.0},
        run__drain=True,
    ),
}


def _assert_same_tables(a, b) -> None:
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        assert np.array_equal(a[name], b[name], equal_nan=True), name


@pytest.mark.slow  # the differential test: 30 pairs of simulated days, both engines
@pytest.mark.parametrize("case", list(REFERENCE_CASES))
@pytest.mark.parametrize("seed", [0, 7, 42])
def test_fast_path_and_plain_simpy_reference_give_identical_records(case, seed):
    data = copy.deepcopy(REFERENCE_CASES[case])
    data["run"]["seed"] = seed
    scenario = scenario_from_dict(data)
    fast = simulate(scenario, 1, engine="fast")
    reference = simulate(scenario, 1, engine="reference")
    assert len(fast.contacts) > 20  # the case exercises the engine
    _assert_same_tables(fast.contacts, reference.contacts)
    _assert_same_tables(fast.customers, reference.customers)
    assert fast.busy_minutes == pytest.approx(reference.busy_minutes, rel=1e-12)
    assert fast.available_minutes == pytest.approx(reference.available_minutes, rel=1e-12)


def test_the_differential_test_sees_a_reference_pool_that_answers_in_another_order(monkeypatch):
    # The reference is only worth its keep if it can disagree: one whose free agents
    # answer newest-first instead of longest idle first must give other records.
    scenario = scenario_from_dict(copy.deepcopy(REFERENCE_CASES["shift ends and absenteeism"]))
    fast = simulate(scenario, 1, engine="fast")
    monkeypatch.setattr(ReferencePool, "_rank", lambda self, agent: (-(agent.idle_since or 0), 0))
    reference = simulate(scenario, 1, engine="reference")
    assert not np.array_equal(fast.contacts["agent"], reference.contacts["agent"])


def test_the_reference_cases_exercise_every_kind_of_contact():
    kinds = set()
    for data in REFERENCE_CASES.values():
        kinds |= set(simulate(scenario_from_dict(data)).contacts["kind"].tolist())
    assert kinds == {kind.value for kind in ContactKind}


def _callback_scenario(**changes: object):
    data = _variant(
        recovery={
            "policy": "callback",
            "callback_delay": {"distribution": "exponential", "mean": 10.0},
        },
        pools__agents__first_contact_resolution=0.5,
        **changes,
    )
    return scenario_from_dict(data)


def test_a_callback_contact_is_never_recorded_as_abandoned():
    """The abandonment timer of an earlier queue visit must not end the callback."""
    for seed in range(4):
        out = simulate(_callback_scenario(run__seed=seed))
        contacts = out.contacts
        callbacks = contacts["kind"] == ContactKind.CALLBACK
        assert callbacks.sum() > 5
        assert not contacts["abandoned"][callbacks].any()
        assert np.all(np.isfinite(contacts["wait_minutes"]))
        assert np.all(np.isfinite(out.customers["wait_minutes"]))
        assert np.all(contacts["at_home"] == callbacks)


def test_callbacks_on_the_shipped_contact_centre_have_finite_waits():
    scenario = load_scenario(
        ROOT / "configs" / "contact_centre.toml", ['recovery.policy="callback"']
    )
    out = simulate(scenario)
    assert (out.contacts["kind"] == ContactKind.CALLBACK).any()
    assert np.all(np.isfinite(out.contacts["wait_minutes"]))


def test_a_twelve_week_callback_run_completes_every_replication():
    from peakend.runs.runner import run_scenario

    scenario = load_scenario(
        ROOT / "configs" / "contact_centre_12_weeks.toml",
        ['recovery.policy="callback"', "retention.periods=3", "run.replications=3"],
    )
    result = run_scenario(scenario)
    assert len(result.replications) == 3
    assert np.isfinite(result.summary["mean_wait_minutes"].mean)


def test_nothing_is_remembered_after_the_end_of_a_run_without_drain():
    data = _variant(
        run__drain=False,
        pools__agents__staffing=[4, 4, 4, 3],
        # Busy at the end whatever the draws: 60 an hour at 5 minutes on 3 agents or fewer.
        pools__agents__service_time={"distribution": "fixed", "value": 5.0},
        service={"farewell": True, "farewell_minutes": 2.0},
        recovery={"apology": True, "apology_minutes": 3.0},
    )
    scenario = scenario_from_dict(data)
    out = simulate(scenario)
    end = scenario.horizon_minutes
    traces = out.traces
    assert traces is not None
    assert np.all(traces.start <= end + 1e-9)
    assert np.all(traces.start + traces.duration <= end + 1e-9)
    # Some services really were cut by the end (the case tests something).
    contacts = out.contacts
    assert np.any(contacts["answered"] & (contacts["service_end_minutes"] == end))


def test_every_customer_who_arrived_has_a_memory_whatever_the_ending():
    # Nobody works in the last two intervals: whoever waits then, waits in vain.
    closed = _variant(run__drain=False, pools__agents__staffing=[5, 5, 0, 0])
    nobody = _variant(run__drain=False, pools__agents__staffing=[0, 0, 0, 0])
    for data in (closed, nobody):
        out = simulate(scenario_from_dict(data))
        customers = out.customers
        assert len(customers) > 50
        assert not np.isnan(customers["remembered_utility"]).any()
        assert not np.isnan(customers["end_utility"]).any()
    outcomes = simulate(scenario_from_dict(nobody)).customers["outcome"]
    assert set(outcomes.tolist()) <= {Outcome.ABANDONED, Outcome.IN_SYSTEM}


def test_what_happened_never_depends_on_an_experience_setting():
    base = _variant(recovery={"policy": "apology", "compensation": 5.0})
    no_gain = copy.deepcopy(base)
    no_gain["experience"] = {"apology_gain": 0.0, "points_per_currency": 0.0}
    off = copy.deepcopy(base)
    off["experience"] = {"enabled": False}
    reference = simulate(scenario_from_dict(base))
    assert reference.customers["recoveries"].sum() > 0
    for other in (no_gain, off):
        out = simulate(scenario_from_dict(other))
        _assert_same_tables(out.contacts, reference.contacts)
        for name in ("contacts", "retries", "effort", "failures", "recoveries", "recovery_minutes"):
            assert np.array_equal(out.customers[name], reference.customers[name]), name


def _decision_draws(replication: Replication, contacts: int) -> dict[str, np.ndarray]:
    context = replication.context().decisions
    n = len(replication.arrivals)
    draws: dict[str, np.ndarray] = {}
    for k in range(contacts):
        for decision in ("resolution", "late-notice", "retry", "recontact", "delight"):
            draws[f"{decision}#{k}"] = np.asarray(context.draws.uniform(decision, k))
        customers = range(n)
        draws[f"patience#{k}"] = np.array([context.patience(i, k) for i in customers])
        draws[f"retry-delay#{k}"] = np.array([context.retry_delay(i, k) for i in customers])
        draws[f"recontact-delay#{k}"] = np.array([context.recontact_delay(i, k) for i in customers])
        draws[f"callback-delay#{k}"] = np.array([context.callback_delay(i, k) for i in customers])
        for pool in replication.context().routes.pools:
            draws[f"work:{pool.name}#{k}"] = np.array([context.work(pool, i, k) for i in customers])
    return draws


def test_every_decision_draw_is_common_to_two_staffing_plans():
    """Common random numbers for every decision of every contact, not only the first."""
    lean = scenario_from_dict(_variant(pools__agents__staffing=[2, 3, 3, 2]))
    rich = scenario_from_dict(_variant(pools__agents__staffing=[8, 9, 9, 8]))
    a, b = Replication(lean, 2), Replication(rich, 2)
    a.run()
    b.run()  # the runs consume whatever they need; the draws must not move
    draws_a, draws_b = _decision_draws(a, 5), _decision_draws(b, 5)
    assert draws_a.keys() == draws_b.keys()
    for name in draws_a:
        assert np.array_equal(draws_a[name], draws_b[name]), name
    # ... and they are real draws, not constants.
    assert np.std(draws_a["resolution#3"]) > 0.2


def test_first_contact_resolution_of_a_customer_agrees_across_staffing_plans():
    """The same customer meets the same luck: with equal agents (skill effect off) the
    first-contact result depends only on the customer's own draw."""
    data = _variant(pools__agents__skill_effect=0.0)
    lean = copy.deepcopy(data)
    lean["pools"]["agents"]["staffing"] = [3, 3, 3, 3]
    rich = copy.deepcopy(data)
    rich["pools"]["agents"]["staffing"] = [9, 9, 9, 9]
    a = simulate(scenario_from_dict(lean)).contacts
    b = simulate(scenario_from_dict(rich)).contacts
    first_a = a["answered"] & (a["contact"] == 1)
    first_b = b["answered"] & (b["contact"] == 1)
    both = np.intersect1d(a["customer"][first_a], b["customer"][first_b])
    assert len(both) > 50
    resolved_a = dict(zip(a["customer"][first_a], a["resolved"][first_a], strict=True))
    resolved_b = dict(zip(b["customer"][first_b], b["resolved"][first_b], strict=True))
    assert all(resolved_a[c] == resolved_b[c] for c in both)


def test_records_leave_the_package_with_labels():
    out = simulate(scenario_from_dict(_variant()))
    customers = out.customers.to_frame()
    contacts = out.contacts.to_frame()
    assert set(customers["outcome"].cat.categories) == {o.name.lower() for o in Outcome}
    assert list(customers["segment"].cat.categories) == ["a", "b"]
    assert list(contacts["pool"].cat.categories) == ["agents"]
    assert "first" in set(contacts["kind"])
    row = out.customers.row(0)
    assert isinstance(row.outcome, Outcome)


def test_a_given_empty_arrival_plan_means_nobody_comes():
    """An empty plan is a plan (a day on which no identified customer contacts)."""
    from peakend.engine.arrivals import ArrivalPlan

    scenario = scenario_from_dict(_variant())
    empty = ArrivalPlan(
        times=np.empty(0), segment=np.empty(0, dtype=np.int64), channel=np.empty(0, dtype=np.int64)
    )
    out = Replication(scenario, 0, arrivals=empty).run()
    assert len(out.customers) == 0 and len(out.contacts) == 0
