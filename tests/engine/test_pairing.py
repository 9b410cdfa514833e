"""Pairing across plans: agent ``k`` and customer ``i`` are the same whatever a variant changes.

Common random numbers only pair two plans if every draw is keyed by who it
belongs to. These tests change the roster (the commonest what-if) and check that
nobody the change cannot reach sees anything different.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from peakend import load_scenario, simulate
from peakend.base.distributions import Empirical, Exponential, Fixed, Gamma, Lognormal, Uniform
from peakend.engine.streams import RandomStreams
from peakend.simulation.replication import Replication

ROOT = Path(__file__).resolve().parents[2]
CONTACT_CENTRE = ROOT / "configs" / "contact_centre.toml"
LUNCH = "pools.agents.staffing[8:12]+=3"
"""The quickstart's lever: three more agents 12:00-14:00, the peak roster 18 -> 20."""


def _agents(scenario, pool: str) -> list[tuple[float, float, bool]]:
    found = next(p for p in Replication(scenario, 2).pools if p.name == pool)
    return [(a.warmth, a.skill, bool(found.absent[a.index])) for a in found.agents]


@pytest.mark.parametrize(
    "change", [LUNCH, "pools.agents.staffing[4]=40", "pools.agents.staffing*=0.5"]
)
def test_an_agent_is_the_same_person_whatever_the_roster(change):
    base = _agents(load_scenario(CONTACT_CENTRE), "agents")
    other = _agents(load_scenario(CONTACT_CENTRE, [change]), "agents")
    shared = min(len(base), len(other))
    assert len(base) != len(other)  # the change does change the roster's length
    assert base[:shared] == other[:shared]


@pytest.mark.parametrize(
    "distribution",
    [
        Exponential(mean=3.0),
        Lognormal(mean=4.5, cv=0.7),
        Gamma(mean=4.0, cv=0.5),
        Fixed(value=2.0),
        Uniform(low=1.0, high=5.0),
        Empirical(values=[1.0, 2.0, 7.5]),
    ],
    ids=lambda d: d.distribution,
)
def test_a_draw_keyed_by_index_does_not_depend_on_how_many_are_drawn(distribution):
    """What agent and customer draws rely on: value k of a stream is the same for any length."""
    streams = RandomStreams(5, 1)
    short = distribution.sample(streams.generator("x"), 50)
    long = distribution.sample(streams.generator("x"), 5000)
    assert np.array_equal(short, long[:50])


def _ended_before(contacts: pd.DataFrame, minute: float) -> pd.Series:
    """Per customer: whether every contact was over (served, or given up) by ``minute``."""
    end = contacts["service_end_minutes"].where(
        contacts["answered"], contacts["arrival_minutes"] + contacts["wait_minutes"]
    )
    return (end < minute).groupby(contacts["customer"]).all()


def _untouched_share(base, variant, change_minute: float) -> tuple[float, int]:
    """Share of the customers who arrive before ``change_minute`` and are done before it
    whose customer row (memory included) and contact rows are identical in both runs."""
    customers_a, customers_b = base.customers.to_frame(), variant.customers.to_frame()
    contacts_a, contacts_b = base.contacts.to_frame(), variant.contacts.to_frame()
    done = _ended_before(contacts_a, change_minute)
    ids = done.index[done.to_numpy()]
    ids = ids[customers_a.loc[ids, "arrival_minutes"] < change_minute]
    same = [
        customers_a.loc[[i]].equals(customers_b.loc[[i]])
        and contacts_a[contacts_a["customer"] == i]
        .reset_index(drop=True)
        .equals(contacts_b[contacts_b["customer"] == i].reset_index(drop=True))
        for i in ids
    ]
    return float(np.mean(same)), len(ids)


def _changed_and_reached(base, variant, change_minute: float) -> tuple[set[int], set[int]]:
    """Among the customers who arrive before ``change_minute``: those whose customer row
    (memory included) or contact rows differ between the runs, and those with a contact
    that arrives, or is still waiting or in service, at or after ``change_minute``."""
    customers_a, customers_b = base.customers.to_frame(), variant.customers.to_frame()
    contacts_a, contacts_b = base.contacts.to_frame(), variant.contacts.to_frame()
    early = customers_a.index[customers_a["arrival_minutes"] < change_minute]
    end = contacts_a["service_end_minutes"].where(
        contacts_a["answered"], contacts_a["arrival_minutes"] + contacts_a["wait_minutes"]
    )
    late = (contacts_a["arrival_minutes"] >= change_minute) | (end >= change_minute)
    reached = set(contacts_a.loc[late, "customer"]) & set(early)
    mine_a, mine_b = (
        dict(tuple(contacts_a.groupby("customer"))),
        dict(tuple(contacts_b.groupby("customer"))),
    )
    changed = {
        int(i)
        for i in early
        if not (
            customers_a.loc[[i]].equals(customers_b.loc[[i]])
            and mine_a[i].reset_index(drop=True).equals(mine_b[i].reset_index(drop=True))
        )
    }
    return changed, {int(i) for i in reached}


@pytest.mark.parametrize("replication", [0, 1])
def test_more_agents_over_lunch_leave_the_morning_customers_identical(replication):
    """The issue's must-show: at least 99 % of the customers the change cannot reach keep
    identical records and memories (before agents were keyed by identity: about 1 %)."""
    base = simulate(load_scenario(CONTACT_CENTRE), replication)
    lunch = simulate(load_scenario(CONTACT_CENTRE, [LUNCH]), replication)
    share, n = _untouched_share(base, lunch, change_minute=8 * 30.0)
    assert n > 300
    assert share >= 0.99
    # Stricter, over everyone who arrives before the change: a customer whose records or
    # memory differ is one whose journey reaches 12:00 (a contact then or later).
    changed, reached = _changed_and_reached(base, lunch, change_minute=8 * 30.0)
    assert changed <= reached
    assert 0 < len(changed)  # the change does reach some morning customers' later contacts
    # ... and the change does act: lunch is answered faster.
    assert lunch.contacts["wait_minutes"].sum() < base.contacts["wait_minutes"].sum()


@pytest.mark.parametrize(
    ("config", "change", "interval"),
    [
        ("clinic.toml", "pools.doctors.staffing[4:6]+=3", 4),
        ("two_skill_centre.toml", "pools.chat.staffing[10:14]+=3", 10),
        ("restaurant.toml", "pools.kitchen.staffing[6:9]+=3", 6),
    ],
)
def test_a_later_roster_change_leaves_earlier_customers_identical_on_every_shipped_day(
    config, change, interval
):
    """Breaks (the clinic), chat agents and overflow (two skills), stages (the restaurant)."""
    scenario = load_scenario(ROOT / "configs" / config)
    variant = load_scenario(ROOT / "configs" / config, [change])
    share, n = _untouched_share(
        simulate(scenario, 0), simulate(variant, 0), interval * scenario.arrivals.interval_minutes
    )
    assert n > 20
    assert share >= 0.99


def test_more_agents_over_lunch_leave_the_morning_identical_on_a_day_of_the_12_weeks():
    """The same on the first day of the 12-week centre: customers from the population."""
    from peakend.retention.multiperiod import run_periods

    one_day = [
        "retention.periods=1",
        "retention.days_per_period=1",
        'retention.period_name="day"',
        "retention.day_load=[1.0]",
        "retention.warmup_periods=0",
        "retention.acquisition_per_period=0",
    ]
    config = ROOT / "configs" / "contact_centre_12_weeks.toml"
    runs = [run_periods(load_scenario(config, one_day + extra), 0) for extra in ([], [LUNCH])]
    tables = [(run.visits.set_index("customer"), run.contacts) for run in runs]
    (visits_a, contacts_a), (visits_b, contacts_b) = tables
    done = _ended_before(contacts_a, 240.0)
    ids = [i for i in done.index[done.to_numpy()] if visits_a.loc[i, "arrival_minutes"] < 240]
    assert len(ids) > 300
    same = [
        visits_a.loc[[i]].equals(visits_b.loc[[i]])
        and contacts_a[contacts_a["customer"] == i]
        .reset_index(drop=True)
        .equals(contacts_b[contacts_b["customer"] == i].reset_index(drop=True))
        for i in ids
    ]
    assert np.mean(same) >= 0.99
