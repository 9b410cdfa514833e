"""Rosters by weekday or date (``staffing_by_day``) and the calendar (``run.start_date``)."""

from __future__ import annotations

import copy

import pytest

from peakend import scenario_from_dict
from peakend.analysis.intervals import replication_intervals
from peakend.analysis.metrics import staffing_metrics
from peakend.config.loading import ConfigError, scale_staffing
from peakend.retention.calendar import staff_cost
from peakend.simulation.replication import Replication, simulate

from conftest import busy_day_data

WEEKEND = {"sat": [1, 1, 1, 1], "sun": [0, 2, 2, 0], "2026-03-14": [9, 9, 9, 9]}


def _data(start: str | None = "2026-03-02", **pool: object) -> dict:
    data = busy_day_data(seed=5)
    data["pools"]["agents"].update({"absenteeism": 0.0, "staffing_by_day": WEEKEND, **pool})
    if start is not None:
        data["run"]["start_date"] = start
    return data


@pytest.mark.parametrize(
    ("start", "day", "roster"),
    [
        ("2026-03-02", 0, (2, 5, 3, 1)),  # a Monday: no roster of its own
        ("2026-03-02", 5, (1, 1, 1, 1)),  # Saturday 7 March
        ("2026-03-02", 6, (0, 2, 2, 0)),  # Sunday
        ("2026-03-02", 12, (9, 9, 9, 9)),  # Saturday 14 March: the date beats the weekday
        ("2026-03-07", 0, (1, 1, 1, 1)),
        ("2026-03-07", -1, (2, 5, 3, 1)),  # a warm-up day: Friday 6 March
    ],
)
def test_the_roster_of_a_day_is_its_dates_else_its_weekdays_else_staffing(start, day, roster):
    assert scenario_from_dict(_data(start)).roster("agents", day) == roster


def test_the_simulated_day_puts_its_own_roster_on_shift():
    saturday = scenario_from_dict(_data("2026-03-07"))
    capacity = Replication(saturday).run().capacity_log["agents"]
    assert [agents for _, agents in capacity] == [1, 1, 1, 1]


def test_staff_cost_and_agent_hours_follow_the_days_roster():
    monday, saturday = scenario_from_dict(_data()), scenario_from_dict(_data("2026-03-07"))
    hours = 0.5  # 30-minute intervals
    assert staffing_metrics(monday)["agent_hours"] == 11 * hours
    assert staffing_metrics(saturday)["agent_hours"] == 4 * hours
    assert staffing_metrics(saturday)["staff_cost"] == 4 * hours * 30.0
    # A week from Monday: five weekdays of 11, a Saturday of 4 and a Sunday of 4 agent-slots.
    assert staff_cost(monday, range(7)) == (5 * 11 + 4 + 4) * hours * 30.0
    table = replication_intervals(simulate(saturday), saturday, 0)
    assert table["agents_scheduled"].tolist() == [1, 1, 1, 1]


def test_a_multi_period_run_pays_each_days_roster():
    data = _data()
    data["retention"] = {"periods": 2, "days_per_period": 7, "population": 400}
    data["run"]["replications"] = 1
    from peakend.retention.multiperiod import run_periods

    periods = run_periods(scenario_from_dict(data)).periods
    hours = 0.5
    week = (5 * 11 + 4 + 4) * hours * 30.0
    # Week 2 holds Saturday 14 March, whose date roster (36 agent-slots) beats Saturday's.
    assert periods["staff_cost"].tolist() == [week, week + (36 - 4) * hours * 30.0]


def test_more_agents_on_a_day_means_fewer_abandonments_that_day_paired():
    base = _data("2026-03-07")
    more = copy.deepcopy(base)
    more["pools"]["agents"]["staffing_by_day"]["sat"] = [3, 3, 3, 3]
    for replication in range(3):
        rates = [
            simulate(scenario_from_dict(data), replication).contacts["abandoned"].mean()
            for data in (base, more)
        ]
        assert rates[1] < rates[0]


def test_scale_staffing_scales_every_roster():
    scaled = scale_staffing(scenario_from_dict(_data()), 2.0)
    assert scaled.pools["agents"].staffing_by_day["sun"] == (0, 4, 4, 0)
    assert scaled.pools["agents"].staffing == (4, 10, 6, 2)


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        (_data(None), "pools.agents.staffing_by_day", "needs run.start_date"),
        (_data(staffing_by_day={"monday": [1, 1, 1, 1]}), "staffing_by_day", "a weekday (mon"),
        (_data(staffing_by_day={"2026-02-30": [1, 1, 1, 1]}), "staffing_by_day", "no such date"),
        (_data(staffing_by_day={"sat": [1, 1]}), "staffing_by_day.sat", "expected 4 values"),
        (_data(staffing_by_day={"sat": [1, -1, 1, 1]}), "staffing_by_day", "between 0 and"),
        (_data(breaks=[0, 2, 0, 0]), "pools.agents.breaks.1", "staffing_by_day"),
        ({**_data(), "run": {"start_date": "2026-3-2"}}, "run.start_date", "YYYY-MM-DD"),
    ],
)
def test_bad_rosters_are_one_line_errors_naming_the_key(data, key, message):
    with pytest.raises(ConfigError) as error:
        scenario_from_dict(data, "s.toml")
    text = str(error.value)
    assert "\n" not in text and key in text and message in text


def test_a_days_roster_is_changed_with_its_own_key():
    overrides = ['pools.agents.staffing_by_day."2026-03-14"*=0.5', "pools.agents.staffing*=2"]
    scenario = scenario_from_dict(_data(), "s.toml", overrides)
    assert scenario.roster("agents", 12) == (4, 4, 4, 4)  # the date's, halved
    assert scenario.roster("agents", 5) == (1, 1, 1, 1)  # Saturday's: untouched
    assert scenario.roster("agents", 0) == (4, 10, 6, 2)  # staffing, doubled
