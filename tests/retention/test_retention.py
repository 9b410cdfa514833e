"""The retention loop: return model, loyalty, word of mouth, demand feedback, economics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peakend import scenario_from_dict
from peakend.analysis.stats import estimate
from peakend.config.loading import scale_staffing
from peakend.config.schema import ExperienceConfig, RetentionConfig
from peakend.experience.memory import PeakEnd
from peakend.experience.moments import (
    EPISODE_DTYPE,
    References,
    episodes_to_traces,
    service_points,
)
from peakend.experience.trace import EpisodeKind
from peakend.retention.multiperiod import contact_probability, run_periods, staff_cost
from peakend.retention.returns import LogisticReturn, Loyalty, next_loyalty, word_of_mouth


def small(periods=6, staffing=(4, 6, 7, 5), seed=3, population=3000, **retention):
    return scenario_from_dict(
        {
            "run": {"seed": seed, "replications": 1},
            "arrivals": {"interval_minutes": 60, "rate_per_hour": [40, 70, 90, 60]},
            "segments": {
                "c": {
                    "share": 1.0,
                    "patience": {"distribution": "exponential", "mean": 3.0},
                    "value_per_visit": 30.0,
                    "recontact_probability": 0.6,
                }
            },
            "pools": {
                "agents": {
                    "staffing": list(staffing),
                    "service_time": {"distribution": "exponential", "mean": 4.0},
                    "first_contact_resolution": 0.8,
                }
            },
            "retention": {"periods": periods, "population": population, **retention},
        }
    )


def test_return_model_is_anchored():
    model = LogisticReturn(baseline_utility=-1.0, baseline_retention=0.7)
    p = model.probability(np.array([-1.0]), np.array([0]), np.array([Loyalty.NEW]))
    assert p[0] == pytest.approx(0.7)
    # Better memories, less effort and loyalty all raise the probability.
    r = model.probability(
        np.array([-3.0, -1.0, 2.0, -1.0, -1.0]),
        np.array([0, 0, 0, 2, 0]),
        np.array([Loyalty.NEW] * 4 + [Loyalty.LOYAL]),
    )
    assert r[0] < r[1] < r[2] and r[3] < r[1] < r[4]
    assert model.probability(np.array([np.nan]), np.array([0]), np.array([0]))[0] == pytest.approx(
        0.7
    )


def test_return_model_rejects_bad_anchor():
    with pytest.raises(ValueError, match="baseline_retention"):
        LogisticReturn(baseline_retention=1.0)


def test_loyalty_states_follow_history():
    config = RetentionConfig(loyal_after=2, advocate_after=3)
    state = np.array([Loyalty.NEW] * 3, dtype=np.int8)
    streak = np.zeros(3, dtype=np.int64)
    for memory in ([2.0, 2.0, -5.0], [2.0, 2.0, 2.0], [2.0, -5.0, 2.0]):
        state, streak = next_loyalty(state, streak, np.array(memory), 1.0, -2.0, config)
    assert state.tolist() == [Loyalty.ADVOCATE, Loyalty.AT_RISK, Loyalty.LOYAL]


def test_word_of_mouth_by_satisfaction():
    config = RetentionConfig(referral_conversion=1.0, deterrence_rate=1.0)
    rng = np.random.default_rng(0)
    loyalty = np.zeros(1000, dtype=np.int8)
    happy = word_of_mouth(np.full(1000, 3.0), loyalty, 1.0, -2.0, config, rng)
    angry = word_of_mouth(np.full(1000, -5.0), loyalty, 1.0, -2.0, config, rng)
    assert happy.deterred == 0 and angry.referrals == 0
    # Poisson totals: 1000 x mean, +-5 standard deviations.
    good, bad = 1000 * config.satisfied_tell_mean, 1000 * config.dissatisfied_tell_mean
    assert abs(happy.told_good - good) < 5 * math.sqrt(good)
    assert abs(angry.told_bad - bad) < 5 * math.sqrt(bad)
    assert config.satisfied_tell_mean < config.dissatisfied_tell_mean  # the folklore's order


def test_contact_probability_calibrates_period_zero():
    scenario = small()
    assert contact_probability(scenario) == pytest.approx(260 / 3000)
    assert staff_cost(scenario) == pytest.approx(22 * 30.0)


def test_same_seed_same_periods_and_different_seed_differs():
    a = run_periods(small(periods=3), 0).periods
    b = run_periods(small(periods=3), 0).periods
    c = run_periods(small(periods=3), 1).periods
    assert a.equals(b)
    assert not a.equals(c)


def test_half_the_agents_means_fewer_returning_customers_and_less_load_later():
    """Demand feedback, paired over 6 replications (common random numbers)."""
    full = small(periods=8, population=800)
    half = scale_staffing(full, 0.5)
    retention, late_visits, returning = [], [], []
    for r in range(6):
        a, b = run_periods(full, r), run_periods(half, r)
        retention.append(b.metrics["retention_rate"] - a.metrics["retention_rate"])
        late_visits.append(b.periods["visits"].iloc[4:].sum() - a.periods["visits"].iloc[4:].sum())
        returning.append(
            b.periods["returning_visits"].iloc[1:].sum()
            - a.periods["returning_visits"].iloc[1:].sum()
        )
        # Period 0 sees the same customers in both runs: the drop comes later.
        assert a.periods["visits"].iloc[0] == b.periods["visits"].iloc[0]
    for name, diffs in (
        ("retention", retention),
        ("late load", late_visits),
        ("returning", returning),
    ):
        est = estimate(diffs)
        assert est.ci_high < 0, (name, est)


def _three_arms(n: int, rng: np.random.Generator):
    """No failure; a failure with a generous recovery; a double deviation (engine pieces)."""
    warmth = rng.uniform(0.5, 0.9, n)
    config = ExperienceConfig()
    ones = np.ones(n)

    def service(resolved: bool, wait: float) -> np.ndarray:
        points, _ = service_points(
            ones > 0 if resolved else ones < 0, warmth, wait * ones, 2 * ones, 0.6 * ones, config
        )
        return points

    good, failed = service(True, 1.0), service(False, 1.0)
    rows = []
    for arm in range(3):
        for i in range(n):
            c = arm * n + i
            rows.append((c, 1, 0, EpisodeKind.WAIT, 0.0, 1.0, 0.0))
            if arm == 0:
                rows.append((c, 1, 1, EpisodeKind.SERVICE, 1.0, 5.0, good[i]))
                continue
            rows.append((c, 1, 1, EpisodeKind.SERVICE, 1.0, 5.0, failed[i]))
            rows.append((c, 1, 2, EpisodeKind.FAILURE, 6.0, 0.0, -4.0))
            rows.append((c, 1, 3, EpisodeKind.RECOVERY, 6.0, 1.0, 8.0))
            rows.append((c, 2, 1, EpisodeKind.SERVICE, 30.0, 4.0, service(True, 0.0)[i]))
            if arm == 2:
                rows.append((c, 2, 2, EpisodeKind.FAILURE, 34.0, 0.0, -(4.0 * 1.5 + 8.0)))
    episodes = np.array(rows, dtype=EPISODE_DTYPE)
    total = 3 * n
    references = References(
        np.full(total, 2.0), np.full(total, 1.33), np.full(total, 0.6), np.full(total, 4.0)
    )
    traces = episodes_to_traces(episodes, references, ExperienceConfig())
    return PeakEnd().remember(traces).reshape(3, n)


def test_double_deviation_lowers_retention_and_recovery_does_not_raise_it():
    rng = np.random.default_rng(2002)
    n = 3000
    remembered = _three_arms(n, rng)
    model = LogisticReturn()
    effort = np.array([0, 1, 2])
    returned = [
        rng.random(n) < model.probability(remembered[arm], np.full(n, effort[arm]), np.zeros(n))
        for arm in range(3)
    ]
    share = [r.mean() for r in returned]

    def diff_ci(a, b):
        d = share[a] - share[b]
        se = math.sqrt(share[a] * (1 - share[a]) / n + share[b] * (1 - share[b]) / n)
        return d - 1.96 * se, d + 1.96 * se

    low, high = diff_ci(2, 0)
    assert high < 0  # double deviation: clearly below no failure
    low, _ = diff_ci(1, 0)
    assert low < 0  # recovered failure: not significantly above no failure


def test_rising_expectations():
    out = run_periods(small(periods=2, expectation_learning_rate=0.5, staffing=(10, 12, 14, 10)), 0)
    pop = out.population
    visited = pop.visits > 0
    # Good, fast service: expected quality rises and expected wait falls for visitors.
    assert pop.expected_quality[visited].mean() > 0.6
    assert pop.expected_wait[visited].mean() < 1.0
    assert np.all(pop.expected_quality[~visited] == 0.6)
    # The same service, judged against the raised bar, is remembered worse.
    config = ExperienceConfig()
    one = np.ones(1)

    def remembered_service(expected_quality: float) -> float:
        points, _ = service_points(one > 0, 0.7 * one, 0 * one, one, expected_quality * one, config)
        service = np.array(
            [(0, 1, 1, EpisodeKind.SERVICE, 0.0, 4.0, points[0])], dtype=EPISODE_DTYPE
        )
        references = References(one, one, expected_quality * one, 4 * one)
        return PeakEnd().remember(episodes_to_traces(service, references, config))[0]

    assert remembered_service(0.75) < remembered_service(0.6)


def test_economics_add_up():
    out = run_periods(small(periods=3), 0)
    p = out.periods
    assert np.allclose(
        p["profit"], p["revenue"] - p["staff_cost"] - p["recovery_cost"] - p["extras_cost"]
    )
    assert out.metrics["profit"] == pytest.approx(p["profit"].sum())
    initial = out.population.acquired == 0
    assert out.metrics["clv"] == pytest.approx(out.population.value[initial].mean())
    assert out.metrics["clv"] <= 30.0 * 3


def test_custom_return_model_from_config():
    from dataclasses import dataclass

    from peakend.retention.returns import register_return_model, return_model_from_config

    @register_return_model("always_back")
    @dataclass(frozen=True)
    class AlwaysBack(LogisticReturn):
        def probability(self, remembered, effort, loyalty, reliability_change=None):
            return np.ones(len(remembered))

    scenario = small(periods=2, returns={"model": "always_back"})
    assert isinstance(return_model_from_config(scenario.retention.returns), AlwaysBack)
    assert run_periods(scenario, 0).metrics["retention_rate"] == 1.0


def test_unknown_return_model_is_a_config_error():
    from peakend import ConfigError

    with pytest.raises(ConfigError, match="retention.returns.model.*registered: .*logistic"):
        small(returns={"model": "logistc"})
