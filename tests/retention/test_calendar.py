"""The calendar of the retention loop: periods of days, day loads, period totals."""

from __future__ import annotations

import numpy as np
import pytest

from peakend import ConfigError, load_scenario, scenario_from_dict
from peakend.retention.calendar import contact_probabilities, staff_cost
from peakend.retention.multiperiod import run_periods

from conftest import ROOT


def calendar(periods=2, days=1, day_load=None, population=3000, seed=5, **retention):
    """A small two-segment day profile (value 30 and 60 a visit) over ``periods`` periods."""
    data = {
        "run": {"seed": seed, "replications": 1},
        "arrivals": {"interval_minutes": 60, "rate_per_hour": [40, 70, 90, 60]},
        "segments": {
            "c": {
                "share": 0.7,
                "patience": {"distribution": "exponential", "mean": 3.0},
                "value_per_visit": 30.0,
                "recontact_probability": 0.6,
            },
            "d": {"share": 0.3, "value_per_visit": 60.0, "retry_probability": 0.5},
        },
        "pools": {
            "agents": {
                "staffing": [4, 6, 7, 5],
                "service_time": {"distribution": "exponential", "mean": 4.0},
                "first_contact_resolution": 0.8,
                "agent_cost_per_hour": 30.0,
            }
        },
        "recovery": {"policy": "compensation", "compensation": 5.0},
        "retention": {
            "periods": periods,
            "days_per_period": days,
            "population": population,
            "acquisition_per_period": 20,
            **retention,
        },
    }
    if day_load is not None:
        data["retention"]["day_load"] = day_load
    return scenario_from_dict(data)


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        ({"days_per_period": 7, "day_load": [1.0] * 6}, r"retention\.day_load: expected 7 values"),
        ({"days_per_period": 2, "day_load": [1.0, -0.5]}, r"retention\.day_load: load of day 1"),
        ({"days_per_period": 0}, r"retention\.days_per_period"),
        ({"period_name": "week"}, r"retention\.period_name: a 'week' needs days_per_period = 7"),
        (
            {"period_name": "day", "days_per_period": 7},
            r"retention\.period_name: a 'day' needs days_per_period = 1, got 7",
        ),
        ({"reliability_prior": [0.0, 2.0]}, r"retention\.reliability_prior"),
    ],
)
def test_calendar_keys_are_validated_with_their_key_named(retention, message):
    with pytest.raises(ConfigError, match=message):
        scenario_from_dict(
            {
                "arrivals": {"rate_per_hour": [10]},
                "pools": {"a": {"staffing": [2]}},
                "retention": retention,
            }
        )


def test_calendar_defaults_and_names_that_fit():
    scenario = calendar(days=7, period_name="week")
    assert scenario.retention.day_loads == (1.0,) * 7
    assert calendar(days=14, period_name="fortnight").retention.days_per_period == 14
    assert calendar(days=5, period_name="working week").retention.days_per_period == 5
    assert calendar(days=1, period_name="Days").retention.period_name == "Days"


def test_every_day_of_every_period_is_simulated():
    out = run_periods(calendar(periods=3, days=4, period_name="period"), 0)
    assert out.visits.groupby(["period", "day"]).ngroups == 3 * 4
    assert out.contacts.groupby(["period", "day"]).ngroups == 3 * 4
    assert out.periods["days"].tolist() == [4, 4, 4]
    assert out.periods["visits"].tolist() == out.visits.groupby("period").size().tolist()


def test_profit_of_a_period_is_revenue_minus_the_costs_of_all_its_days():
    scenario = calendar(periods=3, days=3)
    out = run_periods(scenario, 0)
    visits, periods = out.visits, out.periods.set_index("period")
    value = visits["segment"].map({"c": 30.0, "d": 60.0}).astype(float)
    served = visits["outcome"].isin(["resolved", "unresolved"])
    revenue = (value * served).groupby(visits["period"]).sum()
    recovery = visits.groupby("period")["recovery_cost"].sum()
    extras = visits.groupby("period")["extras_cost"].sum()
    day_staff = staff_cost(scenario)
    assert day_staff == pytest.approx(22 * 30.0)
    assert np.allclose(periods["revenue"], revenue)
    assert np.allclose(periods["staff_cost"], 3 * day_staff)
    assert np.allclose(periods["recovery_cost"], recovery) and recovery.sum() > 0
    assert np.allclose(periods["profit"], revenue - 3 * day_staff - recovery - extras)
    assert out.metrics["profit"] == pytest.approx(periods["profit"].sum())


def test_a_seven_day_period_carries_seven_times_the_visits_of_a_one_day_period():
    """Paired (same seeds: day 0 is the same day in both), 5 replications.

    A large population keeps the churn within the week small (about 0.1 % of the
    customers a day), so the expected ratio is 6.97; the ratio of the totals has
    a standard deviation of about 2.5 %, and the tolerance is +-10 % (4 sd).
    """
    day, week = calendar(population=30000), calendar(population=30000, days=7)
    one = sum(run_periods(day, r).periods["visits"].iloc[0] for r in range(5))
    seven = sum(run_periods(week, r).periods["visits"].iloc[0] for r in range(5))
    assert 6.3 < seven / one < 7.7, (one, seven)


def test_each_day_carries_the_profile_load_times_its_day_load():
    scenario = calendar(periods=1, days=3, day_load=[2.0, 0.0, 1.0], population=30000)
    assert contact_probabilities(scenario) == pytest.approx(np.array([2, 0, 1]) * 260 / 30000)
    out = run_periods(scenario, 0)
    per_day = out.visits.groupby("day").size().reindex([0, 1, 2], fill_value=0)
    assert per_day[1] == 0 and out.periods["days"].iloc[0] == 3  # a day nobody calls still counts
    # Binomial(30000, p) counts: 520 +- 23 and 260 +- 16; +-4 sd on each.
    assert abs(per_day[0] - 520) < 4 * 23 and abs(per_day[2] - 260) < 4 * 16


def test_newcomers_make_their_first_contact_on_a_day_with_load():
    out = run_periods(calendar(periods=4, days=3, day_load=[1.5, 0.0, 1.5]), 0)
    new = out.visits[out.visits["period"] > 0]
    assert (new["day"] != 1).all()
    pop = out.population
    joined = pop.acquired > 0
    assert np.all(pop.joins[joined] // 3 == pop.acquired[joined])
    assert np.all(pop.joins[joined] % 3 != 1)
    assert (pop.visits[joined] >= 1).all()  # everyone who joined made their first contact


def test_period_rates_pool_the_days_by_their_denominators():
    out = run_periods(calendar(periods=2, days=3), 0)
    contacts, visits = out.contacts, out.visits
    for period, row in out.periods.set_index("period").iterrows():
        mine = contacts[contacts["period"] == period]
        assert row["contacts"] == len(mine)
        assert row["mean_wait_minutes"] == pytest.approx(mine["wait_minutes"].mean())
        assert row["abandonment_rate"] == pytest.approx(mine["abandoned"].mean())
        answered_fast = mine["answered"] & (mine["wait_minutes"] <= 1 / 3)
        assert row["service_level"] == pytest.approx(answered_fast.mean())
        seen = visits[visits["period"] == period]
        assert row["mean_remembered_utility"] == pytest.approx(seen["remembered_utility"].mean())
        assert row["mean_effort"] == pytest.approx(seen["effort"].mean())
    assert out.metrics["mean_wait_minutes"] == pytest.approx(contacts["wait_minutes"].mean())
    assert out.metrics["mean_remembered_utility"] == pytest.approx(
        visits["remembered_utility"].mean()
    )


def test_the_twelve_week_config_simulates_84_days_of_weeks():
    scenario = load_scenario(ROOT / "configs" / "contact_centre_12_weeks.toml")
    config = scenario.retention
    assert (config.periods, config.days_per_period, config.period_name) == (12, 7, "week")
    assert sum(config.day_loads) == pytest.approx(7.0)
    # Two of its weeks (the full twelve take a few seconds a replication).
    short = load_scenario(
        ROOT / "configs" / "contact_centre_12_weeks.toml", ["retention.periods=2"]
    )
    out = run_periods(short, 0)
    assert out.visits.groupby(["period", "day"]).ngroups == 14
    assert list(out.periods.columns[:2]) == ["week", "days"]
    assert np.allclose(out.periods["staff_cost"], 7 * staff_cost(short))
    # A week carries about seven profile days (1,448 first contacts each).
    assert 6 * 1448 < out.periods["visits"].iloc[0] < 8 * 1448
