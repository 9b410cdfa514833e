"""Money as the business earns it, and a profit difference explained.

A relationship margin per active customer per period, a value per served visit,
recovery and farewell agent time as agent-minutes (never money again), and every
comparison's profit difference split into customers kept, visits served, staff
cost and money paid out, adding up to the total.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from peakend import scenario_from_dict
from peakend.experiments.api import load_experiment, run_experiment
from peakend.experiments.results import PROFIT_PARTS
from peakend.retention.multiperiod import run_periods
from peakend.retention.returns import AnchoredReturn, LogisticReturn, word_of_mouth
from peakend.runs.runner import replicate

from conftest import ROOT

# The quickstart cut to two one-day periods and three replications (seconds, not minutes).
CUT = [
    "retention.periods=2",
    "retention.days_per_period=1",
    "retention.day_load=[1.0]",
    'retention.period_name="period"',
]
QUICKSTART = ROOT / "experiments" / "quickstart.toml"
PARTS = list(PROFIT_PARTS)


def day_data(periods=2, days=1, population=3000) -> dict:
    """A small two-segment day (value 30 and 60 a visit, 5-euro coupons) over periods."""
    return {
        "run": {"seed": 5, "replications": 1},
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
        "service": {"farewell": True},
        "retention": {
            "periods": periods,
            "days_per_period": days,
            "population": population,
            "acquisition_per_period": 20,
        },
    }


def calendar(periods=2, days=1, population=3000, margin=0.0, **retention):
    data = day_data(periods, days, population)
    data["retention"].update(retention)
    for segment in data["segments"].values():
        segment["value_per_period"] = margin
    return scenario_from_dict(data)


def _cut_quickstart(*overrides: str):
    experiment = load_experiment(QUICKSTART, [*CUT, *overrides])
    return run_experiment(experiment, "compare", replications=3)


@pytest.fixture(scope="module")
def quickstart():
    return _cut_quickstart()


@pytest.fixture(scope="module")
def quickstart_without_feedback():
    return _cut_quickstart("retention.experience_feedback=false")


def test_relationship_revenue_is_the_margin_of_every_customer_active_at_a_periods_end():
    out = run_periods(calendar(periods=3, days=2, margin=2.5), 0)
    periods = out.periods
    assert (periods["relationship_revenue"] == 2.5 * periods["active_end"]).all()
    # the visit values of the calendar scenario still come on top
    assert (periods["visit_revenue"] > 0).all()
    assert (periods["revenue"] == periods["relationship_revenue"] + periods["visit_revenue"]).all()


def test_profit_is_the_sum_of_its_parts_in_every_period_and_run():
    out = run_periods(calendar(periods=3, days=2), 0)
    p = out.periods
    parts = (
        p["relationship_revenue"]
        + p["visit_revenue"]
        - p["staff_cost"]
        - p["recovery_cost"]
        - p["extras_cost"]
    )
    assert (p["profit"] == parts).all()
    m = out.metrics
    run = (
        m["relationship_revenue"]
        + m["visit_revenue"]
        - m["staff_cost"]
        - m["recovery_cost"]
        - m["extras_cost"]
    )
    assert m["profit"] == run
    assert m["recovery_cost"] > 0  # the scenario's coupons are money paid out
    assert m["extras_cost"] == 0 < m["extras_minutes"]  # farewells: agent time, no money


def test_a_margin_earns_each_customer_their_discounted_lifetime_value():
    """CLV of the initial cohort = margin x sum over periods of survival / (1 + d)^(t+1).

    With the feedback off and nobody visiting (arrival rate 0), each customer survives
    a period with probability 1 - background_churn exactly, so the mean CLV of 4,000
    customers is the Gupta-Lehmann-Stuart sum within its binomial noise: at most
    2 % relative (about 6 standard errors here).
    """
    data = day_data(periods=6, population=4000)
    data["arrivals"]["rate_per_hour"] = [0.0] * 4
    data["retention"].update(background_churn=0.1, discount_rate=0.01, acquisition_per_period=0.0)
    for segment in data["segments"].values():
        segment["value_per_period"] = 10.0
    out = run_periods(scenario_from_dict(data), 0)
    r, d = 0.9, 0.01
    expected = sum(10.0 * r ** (t + 1) / (1 + d) ** (t + 1) for t in range(6))
    assert out.metrics["clv"] == pytest.approx(expected, rel=0.02)


def test_a_callback_without_coupons_pays_out_nothing_and_reports_its_agent_minutes():
    data = day_data()
    data["recovery"] = {"policy": "callback"}
    result = replicate(scenario_from_dict(data), 0)
    assert result.metrics["recovery_cost"] == 0
    assert result.metrics["recovery_minutes"] > 0
    assert (result.periods["recovery_cost"] == 0).all()
    assert (result.periods["recovery_minutes"] > 0).all()
    assert result.periods["recovery_minutes"].sum() == result.metrics["recovery_minutes"]


def test_the_quickstart_callback_pays_out_nothing_and_spends_agent_minutes(quickstart):
    compared = quickstart.compare_frame().set_index(["metric", "variant"])
    for variant in ("base", "callback"):
        values = quickstart.values(_spec(quickstart, variant), "recovery_cost").values()
        assert set(values) == {0.0}
    minutes = compared.loc[("recovery_minutes", "callback")]
    assert minutes["diff"] > 0 and minutes["diff_ci_low"] > 0  # callbacks take agent time
    assert compared.loc[("profit_paid_out", "callback"), "diff"] == 0


def _spec(result, label):
    return next(spec for spec in result.specs if spec.label == label)


@pytest.mark.parametrize("variant", ["lunch_plus_3", "callback"])
def test_the_profit_split_adds_up_in_every_replication_and_in_the_means(quickstart, variant):
    base, spec = quickstart.specs[0], _spec(quickstart, variant)

    def difference(metric):
        ours, theirs = quickstart.values(spec, metric), quickstart.values(base, metric)
        return np.array([ours[r] - theirs[r] for r in sorted(ours)])

    total = difference("profit")
    parts = sum(difference(part) for part in PARTS)
    # Every amount of the bank is a whole or half euro: the sums are exact in floating point.
    assert np.array_equal(parts, total)
    split = quickstart.profit_split_frame()
    mine = split[split["variant"] == variant].set_index("part")
    assert list(mine.index) == [
        "customers_kept",
        "visits_served",
        "staff_cost",
        "paid_out",
        "total",
    ]
    assert mine.loc["total", "diff"] == pytest.approx(total.mean(), rel=1e-12)
    assert mine.loc[mine.index != "total", "diff"].sum() == pytest.approx(
        mine.loc["total", "diff"], rel=1e-9, abs=1e-9
    )
    # the bank's phone line earns nothing per call
    assert mine.loc["visits_served", "diff"] == 0


def test_three_more_agents_cost_their_agent_hours_in_the_split(quickstart):
    split = quickstart.profit_split_frame().set_index(["variant", "part"])
    # 3 agents x 4 half-hours x 32 per hour x 2 days; the callback's roster is unchanged
    assert split.loc[("lunch_plus_3", "staff_cost"), "diff"] == -3 * 4 * 0.5 * 32 * 2
    assert split.loc[("callback", "staff_cost"), "diff"] == 0


def test_compare_csv_carries_the_parts_right_after_profit(quickstart):
    frame = quickstart.compare_frame()
    metrics = list(dict.fromkeys(frame["metric"]))
    at = metrics.index("profit")
    assert metrics[at + 1 : at + 5] == PARTS
    rows = frame.set_index(["metric", "variant"])
    for variant in ("lunch_plus_3", "callback"):
        parts = sum(rows.loc[(part, variant), "diff"] for part in PARTS)
        assert parts == pytest.approx(rows.loc[("profit", variant), "diff"], rel=1e-9, abs=1e-9)
    summary = quickstart.summary_dict()
    assert {row["part"] for row in summary["profit_split"]} == {
        "customers_kept",
        "visits_served",
        "staff_cost",
        "paid_out",
        "total",
    }


def test_without_the_memory_return_loop_no_customer_is_kept_or_lost(quickstart_without_feedback):
    result = quickstart_without_feedback
    split = result.profit_split_frame().set_index(["variant", "part"])
    for variant in ("lunch_plus_3", "callback"):
        kept = split.loc[(variant, "customers_kept")]
        assert kept["diff"] == 0 and kept["diff_ci_low"] == 0 == kept["diff_ci_high"]
        ours = result.values(_spec(result, variant), "active_customers_end")
        assert ours == result.values(result.specs[0], "active_customers_end")
    # What remains is the roster: lunch_plus_3 costs its staff, the callback nothing.
    assert split.loc[("lunch_plus_3", "total"), "diff"] == -3 * 4 * 0.5 * 32 * 2
    assert split.loc[("callback", "total"), "diff"] == 0
    # the service itself still differs: the loop, not the queue, is switched off
    compared = result.compare_frame().set_index(["metric", "variant"])
    assert compared.loc[("service_level", "lunch_plus_3"), "diff"] > 0


def test_an_anchored_return_model_ignores_everything_a_customer_lived_through():
    model = AnchoredReturn(LogisticReturn(baseline_retention=0.85))
    remembered = np.array([-6.0, 0.0, 4.0, math.nan])
    p = model.probability(remembered, np.array([3, 0, 0, 1]), np.array([1, 4, 0, 2]), np.ones(4))
    assert p == pytest.approx(np.full(4, 0.85), rel=1e-12)


def test_word_of_mouth_is_silent_without_the_loop():
    config = calendar(experience_feedback=False).retention
    rng = np.random.default_rng(0)
    mouth = word_of_mouth(np.array([5.0, -5.0] * 50), np.zeros(100), 1.0, -2.0, config, rng)
    assert (mouth.referrals, mouth.deterred, mouth.told_good, mouth.told_bad) == (0, 0, 0, 0)
    loud = word_of_mouth(
        np.array([5.0, -5.0] * 50), np.zeros(100), 1.0, -2.0, calendar().retention, rng
    )
    assert loud.told_good > 0 and loud.told_bad > 0  # the same visitors do talk with it on


def test_periods_csv_and_the_dictionary_describe_the_money_columns():
    from peakend.store.dictionary import describe_column

    out = run_periods(calendar(periods=2), 0)
    for column in ("relationship_revenue", "visit_revenue", "recovery_minutes", "extras_minutes"):
        assert column in out.periods
        assert describe_column("periods.csv", column) is not None, column
    assert describe_column("customers.parquet", "recovery_minutes")["unit"] == "agent-minutes"
    assert isinstance(out.periods, pd.DataFrame)


def test_peakend_compare_prints_writes_and_reports_the_split(tmp_path):
    from click.testing import CliRunner

    from peakend.cli.main import main
    from peakend.output.report import render_report

    sets = [arg for override in CUT for arg in ("--set", override)]
    args = ["compare", str(QUICKSTART), *sets, "-r", "2", "--out", str(tmp_path), "--quiet"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "compare.csv")
    assert set(PARTS) <= set(frame["metric"])
    rows = frame.set_index(["metric", "variant"])
    parts = sum(rows.loc[(part, "lunch_plus_3"), "diff"] for part in PARTS)
    assert parts == pytest.approx(rows.loc[("profit", "lunch_plus_3"), "diff"], rel=1e-9)
    page = render_report(tmp_path)
    assert "Where each profit difference comes from" in page
    assert "customers kept" in page and "money paid out" in page
    # The money the profit rests on is listed with its source (named an assumption).
    sources = page[page.index("Assumptions and their sources") : page.index("Data dictionary")]
    for key in (
        "segments.regular.value_per_period",
        "segments.premium.value_per_period",
        "pools.agents.agent_cost_per_hour",
        "pools.seniors.agent_cost_per_hour",
    ):
        row = sources[sources.index(f"<code>{key}</code>") :].split("</tr>")[0]
        assert "assumption" in row, key
    assert "value_per_visit" not in sources  # the bank earns nothing per call: not listed
    printed = CliRunner().invoke(main, args[:-1], catch_exceptions=False)  # not quiet
    assert "where each profit difference comes from" in printed.output
    assert "customers kept" in printed.output


def test_a_business_that_earns_per_visit_and_per_customer_shows_both_parts():
    """More agents in a business with both values: more served visits and more kept
    customers, each its own part, and the parts add up to the profit difference."""
    import peakend

    data = day_data(periods=3, days=1)
    for segment in data["segments"].values():
        segment["value_per_period"] = 1.5
        segment["patience"] = {"distribution": "exponential", "mean": 1.0}  # short: waits cost
    data["pools"]["agents"]["staffing"] = [3, 4, 5, 4]  # short-staffed: many abandon
    data["recovery"] = {"policy": "none"}
    table = peakend.compare(
        scenario_from_dict(data),
        {"more_agents": ["pools.agents.staffing+=2"]},
        replications=3,
        metrics=["profit", "visits"],
    )
    rows = table[table["variant"] == "more_agents"].set_index("metric")
    assert rows.loc["profit_visits_served", "diff_ci_low"] > 0  # abandoned visits earn nothing
    assert rows.loc["profit_customers_kept", "diff"] > 0
    assert rows.loc["profit_staff_cost", "diff"] == -2 * 4 * 30.0 * 3  # 2 agents, 4 h, 3 days
    assert rows.loc["profit_paid_out", "diff"] == 0
    parts = rows.loc[PARTS, "diff"].sum()
    assert parts == pytest.approx(rows.loc["profit", "diff"], rel=1e-9, abs=1e-9)


def test_a_single_day_comparison_has_no_profit_to_split():
    import peakend

    data = day_data()
    del data["retention"]
    table = peakend.compare(
        scenario_from_dict(data), {"more": ["pools.agents.staffing+=1"]}, replications=2
    )
    assert "profit" not in set(table["metric"])
    assert not set(PARTS) & set(table["metric"])
    assert {"recovery_cost", "recovery_minutes", "extras_minutes"} <= set(table["metric"])
