"""Satisfaction is not return: the reliability belief and return models per segment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peakend import ConfigError, scenario_from_dict
from peakend.analysis.stats import estimate
from peakend.retention.multiperiod import run_periods
from peakend.retention.returns import (
    LogisticReturn,
    Loyalty,
    ReliabilityBelief,
    return_models_by_segment,
)


def shop(fcr=0.8, periods=3, population=1500, seed=11, segments=None, **retention):
    """A small two-interval day whose customers call often (about a third a day)."""
    return scenario_from_dict(
        {
            "run": {"seed": seed, "replications": 1},
            "arrivals": {"interval_minutes": 120, "rate_per_hour": [120, 120]},
            "segments": segments
            or {
                "c": {
                    "share": 1.0,
                    "patience": {"distribution": "exponential", "mean": 5.0},
                    "recontact_probability": 0.7,
                }
            },
            "pools": {
                "agents": {
                    "staffing": [12, 12],
                    "service_time": {"distribution": "exponential", "mean": 4.0},
                    "first_contact_resolution": fcr,
                }
            },
            "retention": {"periods": periods, "population": population, **retention},
        }
    )


def test_belief_update_by_hand():
    belief = ReliabilityBelief.prior((8.0, 2.0), 4)
    assert belief.mean() == pytest.approx([0.8] * 4)
    # contacts, failures: (2, 1) one failure then a fix; (1, 0) fine; (3, 2) two failures;
    # (1, 1) a defect noticed with no further contact (failures never make worked < 0).
    belief.learn(np.array([0, 1, 2, 3]), np.array([2, 1, 3, 1]), np.array([1, 0, 2, 1]))
    assert belief.worked.tolist() == [9.0, 9.0, 9.0, 8.0]
    assert belief.failed.tolist() == [3.0, 2.0, 4.0, 3.0]
    assert belief.mean() == pytest.approx([9 / 12, 9 / 11, 9 / 13, 8 / 11])
    belief.learn(np.array([0]), np.array([1]), np.array([0]))  # a second, good visit
    assert belief.mean(np.array([0]))[0] == pytest.approx(10 / 13)


def test_reliability_term_of_the_logit():
    model = LogisticReturn(baseline_retention=0.8, reliability_slope=5.0)
    one = np.ones(1)
    assert model.probability(0 * one, 0 * one, 0 * one, 0 * one)[0] == pytest.approx(0.8)
    assert model.probability(0 * one, 0 * one, 0 * one)[0] == pytest.approx(0.8)
    p = model.probability(0 * one, 0 * one, 0 * one, -0.1 * one)[0]
    assert math.log(p / (1 - p)) == pytest.approx(math.log(4) - 0.5)
    with pytest.raises(ValueError, match="reliability_slope"):
        LogisticReturn(reliability_slope=-1.0)


def test_a_recovery_paradox_in_satisfaction_does_not_raise_return_and_a_second_failure_lowers_it():
    """docs/model/retention.md with the default return model and prior, customers told apart
    only by their visit: no failure (1 contact, remembered 0.5); a failure recovered so
    well that it is remembered one point better (1.5), fixed by a callback (2 contacts,
    no customer effort) or by calling again (effort 1); and a second failure after the
    recovery (3 contacts, 2 failures, effort 2, remembered -2)."""
    model = LogisticReturn()
    visits = {  # remembered, contacts, failures, effort
        "none": (0.5, 1, 0, 0),
        "recovered_by_callback": (1.5, 2, 1, 0),
        "recovered_by_calling_again": (1.5, 2, 1, 1),
        "double_deviation": (-2.0, 3, 2, 2),
    }
    belief = ReliabilityBelief.prior((8.0, 2.0), len(visits))
    remembered, contacts, failures, effort = (
        np.array(c) for c in zip(*visits.values(), strict=True)
    )
    belief.learn(np.arange(len(visits)), contacts, failures)
    p = dict(
        zip(
            visits,
            model.probability(
                remembered.astype(float), effort, np.zeros(len(visits)), belief.mean() - 0.8
            ),
            strict=True,
        )
    )
    # Satisfaction higher, return not: within 1 point of probability, or lower.
    assert p["recovered_by_callback"] == pytest.approx(p["none"], abs=0.01)
    assert p["recovered_by_calling_again"] < p["none"]
    # Without the reliability term the paradox would carry over to return.
    plain = LogisticReturn(reliability_slope=0.0).probability(
        np.array([0.5, 1.5]), np.zeros(2), np.zeros(2)
    )
    assert plain[1] - plain[0] > 0.025
    assert p["double_deviation"] < min(p["none"], p["recovered_by_calling_again"]) - 0.1


def test_more_failures_lower_belief_and_return_at_equal_memory_in_the_engine():
    """Paired over 4 replications (same seeds: the same customers call on the same days)."""
    reliable, failing = shop(fcr=0.9), shop(fcr=0.5)
    model = LogisticReturn()
    beliefs, returns, failures = [], [], []
    for r in range(4):
        a, b = run_periods(reliable, r), run_periods(failing, r)
        failures.append(b.visits["failures"].mean() - a.visits["failures"].mean())
        mean_belief = []
        at_equal_memory = []
        for out in (a, b):
            visited = out.population.visits > 0
            belief = out.population.belief.mean(np.flatnonzero(visited))
            mean_belief.append(belief.mean())
            n = len(belief)
            at_equal_memory.append(
                model.probability(
                    np.zeros(n), np.zeros(n), np.full(n, Loyalty.NEW), belief - 0.8
                ).mean()
            )
        beliefs.append(mean_belief[1] - mean_belief[0])
        returns.append(at_equal_memory[1] - at_equal_memory[0])
        # The visits record the belief and the return probability that decided.
        assert b.visits["reliability_belief"].mean() < a.visits["reliability_belief"].mean()
    for name, diffs in (("failures", failures), ("belief", beliefs), ("return", returns)):
        est = estimate(diffs)
        expected_sign = 1 if name == "failures" else -1
        assert (est.ci_low > 0) if expected_sign > 0 else (est.ci_high < 0), (name, est)


def segments_with_own_returns():
    flat = {"utility_slope": 0.0, "effort_slope": 0.0, "loyalty_bonus": 0.0}
    return {
        "faithful": {
            "share": 0.3,
            "returns": {"baseline_retention": 0.99, **flat, "reliability_slope": 0.0},
        },
        "fickle": {
            "share": 0.3,
            "returns": {"baseline_retention": 0.3, **flat, "reliability_slope": 0.0},
        },
        "ordinary": {"share": 0.4},
    }


def test_each_segment_decides_with_its_own_return_model():
    flat = {"utility_slope": 0.0, "effort_slope": 0.0, "loyalty_bonus": 0.0}
    scenario = shop(
        periods=2,
        segments=segments_with_own_returns(),
        returns={"baseline_retention": 0.6, **flat, "reliability_slope": 0.0},
    )
    models = return_models_by_segment(scenario)
    assert [m.baseline_retention for m in models] == [0.99, 0.3, 0.6]
    visits = run_periods(scenario, 0).visits
    by_segment = visits.groupby("segment", observed=True)["return_probability"]
    assert by_segment.min().to_dict() == pytest.approx(
        {"faithful": 0.99, "fickle": 0.3, "ordinary": 0.6}
    )
    assert by_segment.max().to_dict() == by_segment.min().to_dict()


def test_a_segment_return_model_takes_schema_defaults_not_the_retention_one():
    scenario = shop(
        segments={"a": {"share": 0.5, "returns": {"baseline_retention": 0.7}}, "b": {"share": 0.5}},
        returns={"utility_slope": 1.0},
    )
    own, shared = return_models_by_segment(scenario)
    assert (own.baseline_retention, own.utility_slope) == (0.7, 0.35)
    assert (shared.baseline_retention, shared.utility_slope) == (0.85, 1.0)


@pytest.mark.parametrize(
    ("returns", "message"),
    [
        ({"baseline_retention": 1.5}, r"segments\.a\.returns\.baseline_retention"),
        ({"reliability_slope": -1}, r"segments\.a\.returns\.reliability_slope"),
        ({"slope": 1}, r"segments\.a\.returns\.slope: unknown key"),
        ({"model": "logistc"}, r"segments\.a\.returns\.model: .*registered: .*logistic"),
    ],
)
def test_segment_return_models_are_validated(returns, message):
    with pytest.raises(ConfigError, match=message):
        shop(segments={"a": {"share": 1.0, "returns": returns}})


def test_satisfaction_and_return_are_both_in_the_summary():
    metrics = run_periods(shop(periods=2), 0).metrics
    assert {"mean_remembered_utility", "retention_rate"} <= set(metrics)
    assert 0 < metrics["retention_rate"] < 1


def test_a_value_a_custom_return_model_rejects_is_located_under_its_segment():
    from dataclasses import dataclass

    from peakend.retention.returns import register_return_model

    @register_return_model("gentle_only", replace=True)
    @dataclass(frozen=True)
    class GentleOnly(LogisticReturn):
        def __post_init__(self):
            if self.utility_slope > 1:
                raise ValueError("utility_slope above 1")

    returns = {"model": "gentle_only", "utility_slope": 2.0}
    with pytest.raises(ConfigError, match=r"segments\.a\.returns: .*utility_slope above 1"):
        shop(segments={"a": {"share": 1.0, "returns": returns}})
    with pytest.raises(ConfigError, match=r"retention\.returns: .*utility_slope above 1"):
        shop(returns=returns)
