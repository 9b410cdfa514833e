"""Tests for peakend.analysis.stats: one Estimate, t, logit and Wilson intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from peakend.analysis.stats import Estimate, estimate
from peakend.classics import Estimate as ClassicsEstimate


def test_one_estimate_class_for_replications_and_classics() -> None:
    assert ClassicsEstimate is Estimate


def test_wilson_interval_matches_scipy() -> None:
    outcomes = np.array([True] * 22 + [False] * 10)  # Kahneman et al. 1993: 22 of 32
    share = Estimate.share_of(outcomes)
    reference = stats.binomtest(22, 32).proportion_ci(method="wilson")
    assert (share.ci_low, share.ci_high) == pytest.approx((reference.low, reference.high))
    assert share.percent() == "68.8% [51.4, 82.0]"
    assert share.n == 32


def test_t_interval_matches_scipy() -> None:
    values = [0.2, 0.5, 0.4, 0.9, 0.3]
    low, high = stats.t.interval(0.95, 4, loc=np.mean(values), scale=stats.sem(values))
    assert (estimate(values).ci_low, estimate(values).ci_high) == pytest.approx((low, high))


def test_share_interval_stays_inside_zero_one_where_the_t_interval_does_not() -> None:
    service_level = [0.999, 0.93, 0.998, 1.0, 0.985]  # near 1, as in the issue
    plain = estimate(service_level)
    assert plain.ci_high > 1
    share = estimate(service_level, share=True)
    assert f"{plain:.3f}" == "0.982 [0.945, 1.020]"  # the README's example
    assert f"{share:.3f}" == "0.982 [0.867, 0.998]"
    assert 0 < share.ci_low < share.mean < share.ci_high < 1
    assert share.mean == plain.mean  # same point estimate
    abandonment = [0.001, 0.14, 0.07, 0.0]
    assert estimate(abandonment).ci_low < 0
    assert 0 < estimate(abandonment, share=True).ci_low


def test_share_interval_agrees_with_t_in_the_middle() -> None:
    rng = np.random.default_rng(1)
    values = 0.5 + rng.normal(0, 0.01, size=30)
    plain, share = estimate(values), estimate(values, share=True)
    assert share.ci_low == pytest.approx(plain.ci_low, abs=1e-4)
    assert share.ci_high == pytest.approx(plain.ci_high, abs=1e-4)


def test_share_interval_edge_cases() -> None:
    assert estimate([0.0, 0.0, 0.0], share=True) == Estimate(0.0, 0.0, 0.0, 3)
    assert math.isnan(estimate([0.4], share=True).ci_low)
    assert estimate([0.2, 1.5], share=True).ci_high == estimate([0.2, 1.5]).ci_high  # not a share


@given(st.lists(st.floats(0, 1), min_size=2, max_size=12))
def test_share_interval_always_in_zero_one_and_contains_the_mean(values: list[float]) -> None:
    share = estimate(values, share=True)
    assert 0 <= share.ci_low <= share.mean <= share.ci_high <= 1


def test_format_and_str_agree() -> None:
    est = Estimate(1.23456, 1.0, 1.5, 3)
    assert str(est) == format(est) == "1.235 [1, 1.5]"
    assert f"{est:.2f}" == "1.23 [1.00, 1.50]"
    assert str(Estimate(2.0, math.nan, math.nan, 1)) == "2"


def test_the_t_table_holds_scipys_own_quantiles_bit_for_bit() -> None:
    from peakend.analysis.quantiles import _T_975, TABLE_DEGREES, Z_975, t_quantile

    assert len(_T_975) == TABLE_DEGREES
    for degrees in range(1, TABLE_DEGREES + 1):
        assert t_quantile(0.975, degrees) == float(stats.t.ppf(0.975, degrees)), degrees
    assert Z_975 == float(stats.norm.ppf(0.975))
    # beyond the table, and other levels: SciPy itself
    assert t_quantile(0.975, TABLE_DEGREES + 1) == float(stats.t.ppf(0.975, TABLE_DEGREES + 1))
    assert t_quantile(0.95, 4) == float(stats.t.ppf(0.95, 4))
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_quantile(0.975, 0)


def test_intervals_from_the_table_equal_scipys_at_95_and_90_percent() -> None:
    values = np.random.default_rng(3).normal(10.0, 2.0, 12)
    se = values.std(ddof=1) / math.sqrt(values.size)
    for level in (0.95, 0.90):
        half = float(stats.t.ppf(0.5 + level / 2, values.size - 1)) * se
        found = estimate(values, level)
        assert (found.ci_low, found.ci_high) == (values.mean() - half, values.mean() + half)
