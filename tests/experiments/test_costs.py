"""Costs beside every gain: staff cost and agent-hours, and what each variant's gain costs."""

from __future__ import annotations

import math

import pytest

from peakend import scenario_from_dict
from peakend.analysis.stats import Estimate
from peakend.experiments.api import load_experiment, run_experiment
from peakend.experiments.results import _cost_row, _with_other_costs
from peakend.retention.calendar import staff_cost
from peakend.runs.runner import metric_names, replicate
from peakend.store.replications import ResultStore

from conftest import ROOT, busy_day_data

COST_COLUMNS = [
    "variant", "gain_metric", "gain_unit", "gain_diff", "gain_diff_ci_low", "gain_diff_ci_high",
    "gain_significant", "staff_cost_diff", "staff_cost_diff_ci_low", "staff_cost_diff_ci_high",
    "agent_hours_diff", "other_cost_diff", "total_cost_diff", "cost_per_point",
    "total_cost_per_point", "n",
]  # fmt: skip


def two_pools() -> dict:
    data = busy_day_data()
    data["pools"]["agents"]["agent_cost_per_hour"] = 30.0
    data["pools"]["seniors"] = {
        "staffing": [1, 1, 2, 0],
        "service_time": {"distribution": "exponential", "mean": 5.0},
        "agent_cost_per_hour": 50.0,
    }
    return data


def test_staff_cost_is_rostered_agent_hours_times_the_cost_per_hour() -> None:
    scenario = scenario_from_dict(two_pools())
    metrics = replicate(scenario, 0).metrics
    # agents [2, 5, 3, 1] and seniors [1, 1, 2, 0], half-hour intervals
    assert metrics["agent_hours"] == pytest.approx(11 * 0.5 + 4 * 0.5)
    assert metrics["staff_cost"] == pytest.approx(11 * 0.5 * 30 + 4 * 0.5 * 50)
    assert metrics["staff_cost"] == pytest.approx(staff_cost(scenario))
    assert {"agent_hours", "staff_cost"} <= set(metric_names(scenario))


def test_a_multi_period_run_costs_every_simulated_day() -> None:
    data = busy_day_data()
    data["retention"] = {"periods": 3, "days_per_period": 2, "population": 200}
    scenario = scenario_from_dict(data)
    result = replicate(scenario, 0)
    assert result.metrics["agent_hours"] == pytest.approx(11 * 0.5 * 6)
    assert result.metrics["staff_cost"] == pytest.approx(result.periods["staff_cost"].sum())
    assert result.metrics["staff_cost"] == pytest.approx(staff_cost(scenario) * 6)


@pytest.fixture(scope="module")
def lunch_whatif():
    experiment = load_experiment(ROOT / "experiments" / "staffing_whatif.toml")
    return run_experiment(experiment, "compare", replications=3)


def test_the_lunch_what_if_shows_its_six_extra_agent_hours(lunch_whatif) -> None:
    costs = lunch_whatif.cost_effectiveness_frame()
    assert list(costs.columns) == COST_COLUMNS
    lunch = costs[costs["variant"] == "lunch_plus_3"]
    assert (lunch["agent_hours_diff"] == 6.0).all()  # 3 agents x 4 half-hours
    assert (lunch["staff_cost_diff"] == 6.0 * 32.0).all()  # at the agents' 32 per hour
    compared = lunch_whatif.compare_frame().set_index(["metric", "variant"])
    assert compared.loc[("agent_hours", "lunch_plus_3"), "diff"] == 6.0
    assert compared.loc[("staff_cost", "lunch_plus_3"), "diff"] == 192.0


def test_cost_effectiveness_rows_divide_the_cost_by_the_gain_in_points(lunch_whatif) -> None:
    costs = lunch_whatif.cost_effectiveness_frame()
    compared = lunch_whatif.compare_frame().set_index(["metric", "variant"])
    assert set(costs["variant"]) == {"lunch_plus_3", "minus_20pct"}  # not the base
    assert set(costs["gain_metric"]) == {"service_level", "mean_remembered_utility"}
    for row in costs.to_dict("records"):
        diff = compared.loc[(row["gain_metric"], row["variant"])]
        scale = 100 if row["gain_metric"] == "service_level" else 1
        assert row["gain_unit"] == ("percentage points" if scale == 100 else "points")
        assert row["gain_diff"] == pytest.approx(diff["diff"] * scale)
        assert row["gain_diff_ci_low"] == pytest.approx(diff["diff_ci_low"] * scale)
        assert row["gain_significant"] == diff["significant"]
        assert row["cost_per_point"] == pytest.approx(row["staff_cost_diff"] / row["gain_diff"])
        keys = [(name, row["variant"]) for name in ("recovery_cost", "extras_cost")]
        other = sum(compared.loc[key, "diff"] for key in keys)
        assert row["other_cost_diff"] == pytest.approx(other)
        assert row["total_cost_diff"] == pytest.approx(row["staff_cost_diff"] + other)
        total_per_point = row["total_cost_diff"] / row["gain_diff"]
        assert row["total_cost_per_point"] == pytest.approx(total_per_point)
        assert row["n"] == 3
    fewer = costs[costs["variant"] == "minus_20pct"].iloc[0]
    assert fewer["staff_cost_diff"] < 0 and fewer["gain_diff"] < 0  # saves, and loses service


def test_cost_effectiveness_is_written_and_summarised(lunch_whatif, tmp_path) -> None:
    rows = lunch_whatif.summary_dict()["cost_effectiveness"]
    assert [row["variant"] for row in rows] == ["lunch_plus_3"] * 2 + ["minus_20pct"] * 2
    assert rows[0]["agent_hours_diff"] == 6.0
    lunch_whatif.write(ResultStore(tmp_path))
    written = (tmp_path / "cost_effectiveness.csv").read_text().splitlines()
    assert written[0].split(",") == COST_COLUMNS
    assert len(written) == 1 + 4


def test_a_gain_of_exactly_nothing_has_no_cost_per_point() -> None:
    zero, cost = Estimate(0.0, 0.0, 0.0, 2), Estimate(10.0, 10.0, 10.0, 2)
    row = _cost_row("same", "service_level", "percentage points", 100.0, zero, cost, zero)
    assert math.isnan(row["cost_per_point"]) and row["staff_cost_diff"] == 10.0
    gain = Estimate(-0.02, -0.03, -0.01, 2)  # two percentage points lost, spending 10 more
    row = _cost_row("less", "service_level", "percentage points", 100.0, gain, cost, zero)
    assert row["gain_diff"] == pytest.approx(-2.0) and row["cost_per_point"] == pytest.approx(-5.0)


def test_a_free_variant_costs_zero_per_point_not_minus_zero() -> None:
    gain, free = Estimate(-0.02, -0.03, -0.01, 2), Estimate(0.0, 0.0, 0.0, 2)
    row = _cost_row("callback", "service_level", "percentage points", 100.0, gain, free, free)
    assert str(row["cost_per_point"]) == "0.0"
    row = _with_other_costs(row, 30.0)  # its callbacks cost 30 of agent time
    assert row["total_cost_diff"] == 30.0
    assert row["total_cost_per_point"] == pytest.approx(-15.0)
