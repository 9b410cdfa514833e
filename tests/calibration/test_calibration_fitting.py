"""Censored maximum likelihood and Kaplan-Meier against SciPy and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from peakend.calibration.fitting import fit_best, fit_family
from peakend.calibration.survival import kaplan_meier, km_quantiles


def _censored_sample(seed: int, n: int = 3_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    patience = stats.weibull_min(c=0.7, scale=4.0).rvs(n, random_state=rng)
    wait = rng.exponential(3.0, n)
    return patience[patience < wait], wait[patience >= wait]


def test_censored_fit_agrees_with_scipy_censored_data() -> None:
    """The likelihood is SciPy's CensoredData likelihood (exact values, right censoring):
    both optimisers reach the same maximum (to 1e-3 relative)."""
    events, censored = _censored_sample(1)
    ours = fit_family("weibull", events, censored)
    data = stats.CensoredData(uncensored=events, right=censored)
    shape, _, scale = stats.weibull_min.fit(data, floc=0)
    assert ours.parameters["shape"] == pytest.approx(shape, rel=1e-3)
    assert ours.parameters["scale"] == pytest.approx(scale, rel=1e-3)


def test_exponential_censored_fit_is_the_closed_form() -> None:
    """For an exponential, the censored MLE of the mean is total time / events, with
    standard error mean / sqrt(events)."""
    events, censored = _censored_sample(2)
    fit = fit_family("exponential", events, censored)
    mle = (events.sum() + censored.sum()) / events.size
    assert fit.mean == pytest.approx(mle, rel=1e-5)
    assert fit.mean_se == pytest.approx(mle / math.sqrt(events.size), rel=1e-3)


def test_weibull_chosen_and_its_interval_covers_the_truth() -> None:
    events, censored = _censored_sample(3)
    best, fits = fit_best(("exponential", "lognormal", "weibull"), events, censored)
    assert best.family == "weibull"
    true_mean = 4.0 * math.gamma(1 + 1 / 0.7)
    low, high = best.ci("mean")
    assert low <= true_mean <= high
    assert fits["exponential"].aic > best.aic


def test_zero_waits_with_a_resolution_keep_a_finite_likelihood() -> None:
    """Abandonments logged at 0 s lie in [0, 1 s): every family fits them."""
    events = np.array([0.0] * 20 + [0.5, 1.0, 2.0, 3.0] * 10)
    censored = np.array([0.0, 0.2, 1.5] * 10)
    for family in ("exponential", "lognormal", "weibull", "mixture"):
        fit = fit_family(family, events, censored, resolution=1 / 60)
        assert math.isfinite(fit.log_likelihood)


def test_kaplan_meier_by_hand() -> None:
    """Events at 1, 2, 2 and 4; censored at 2 and 3 (tied censoring counts at risk):
    S = 5/6, then 5/6 * 3/5 (five at risk at 2), then * 0/1."""
    curve = kaplan_meier(np.array([1.0, 2.0, 2.0, 4.0]), np.array([2.0, 3.0]))
    assert curve.times.tolist() == [1.0, 2.0, 4.0]
    assert curve.survival == pytest.approx([5 / 6, 1 / 2, 0.0])
    assert curve.at_risk.tolist() == [6, 5, 1]
    assert curve.at(np.array([0.5, 1.5, 3.0])) == pytest.approx([1.0, 5 / 6, 1 / 2])


def test_km_quantiles_sample_the_curve_and_its_tail() -> None:
    """Without censoring, the quantiles are the sample's; with a plateau, the tail is an
    exponential that reaches beyond the last event."""
    rng = np.random.default_rng(4)
    sample = rng.exponential(2.0, 2_000)
    values = km_quantiles(kaplan_meier(sample, np.array([])), 100)
    assert np.quantile(sample, 0.5) == pytest.approx(np.median(values), rel=0.05)
    events, censored = sample[sample < 3.0], np.full(int((sample >= 3.0).sum()), 3.0)
    curve = kaplan_meier(events, censored)
    tail = km_quantiles(curve, 1_000)
    assert tail.max() > 3.0
    assert np.mean(tail) == pytest.approx(2.0, rel=0.1)


def test_profile_interval_of_an_exponential_is_the_likelihood_ratio_interval() -> None:
    """With one parameter the profile is the likelihood itself: the bounds solve
    ``d log(m_hat / m) + d - T / m = -chi2_1(0.95) / 2`` (d events, T total time), to the
    bisection's precision (a bracket of at most 0.32 on the log scale shrunk 512-fold:
    under 1e-3 relative)."""
    from scipy import optimize

    from peakend.calibration.fitting import profile_interval

    events, censored = _censored_sample(5, n=400)
    fit = fit_family("exponential", events, censored, profile=True)
    d, total = events.size, events.sum() + censored.sum()
    best = -d * math.log(total / d) - d

    def gap(m: float) -> float:
        return (-d * math.log(m) - total / m) - best + stats.chi2.ppf(0.95, 1) / 2

    low = optimize.brentq(gap, fit.mean / 3, fit.mean)
    high = optimize.brentq(gap, fit.mean, fit.mean * 3)
    assert fit.ci("mean") == pytest.approx((low, high), rel=1e-3)
    assert profile_interval("exponential", events, censored, 0.0, fit.theta, "cv") == (1.0, 1.0)


def test_profile_interval_follows_a_skewed_likelihood() -> None:
    """Patience seen only at its start (waits under 2 minutes, true mean 5): the profile
    interval of the mean reaches further above the estimate than below it, unlike the
    symmetric Wald interval, and holds the estimate."""
    rng = np.random.default_rng(6)
    patience = stats.lognorm(s=math.sqrt(math.log(2)), scale=5 / math.sqrt(2)).rvs(
        2_000, random_state=rng
    )
    wait = rng.exponential(0.7, patience.size)
    events, censored = patience[patience < wait], wait[patience >= wait]
    fit = fit_family("lognormal", events, censored, profile=True)
    low, high = fit.ci("mean")
    assert low < fit.mean < high
    assert high - fit.mean > 1.2 * (fit.mean - low)
