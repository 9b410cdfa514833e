import math
import re

import numpy as np
import pytest
from pydantic import ValidationError

from peakend.base.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Mixture,
    Survival,
    Uniform,
    Weibull,
)


@pytest.mark.parametrize(
    "dist",
    [
        Exponential(mean=4.0),
        Lognormal(mean=5.0, cv=0.6),
        Gamma(mean=5.0, cv=0.5),
        Uniform(low=1.0, high=3.0),
        Empirical(values=(1.0, 2.0, 6.0)),
        Fixed(value=2.5),
        Weibull(shape=0.6, scale=3.0),
        Weibull(shape=2.0, scale=5.0),
        Mixture(
            weights=(0.3, 0.7),
            components=(Exponential(mean=0.2), Lognormal(mean=5.0, cv=1.0)),
        ),
        Survival(minutes=(0.5, 1.0, 2.0, 5.0), survival=(0.8, 0.6, 0.45, 0.3)),
        Survival(
            minutes=(0.5, 1.0, 2.0, 5.0), survival=(0.8, 0.6, 0.45, 0.3), interpolation="linear"
        ),
        Survival(minutes=(0.0, 1.0, 2.0), survival=(0.9, 0.5, 0.2), tail_mean=3.0),
        Survival(minutes=(1.0, 2.0), survival=(0.5, 0.0)),
    ],
)
def test_sample_mean_and_variance_match_analytic(dist):
    x = dist.sample(np.random.default_rng(7), 200_000)
    # Standard error of the mean of 200k draws: sd/447; 5 standard errors.
    assert abs(x.mean() - dist.mean) <= 5 * math.sqrt(dist.variance / len(x)) + 1e-12
    assert x.var() == pytest.approx(dist.variance, rel=0.05, abs=1e-12)
    assert np.all(x >= 0)


def test_repr_is_readable():
    assert repr(Exponential(mean=4.0)) == "Exponential(mean=4.0)"
    assert repr(Lognormal(mean=5, cv=0.6)) == "Lognormal(mean=5.0, cv=0.6)"


@pytest.mark.parametrize(
    "factory",
    [
        lambda: Exponential(mean=-1),
        lambda: Lognormal(mean=1, cv=0),
        lambda: Fixed(value=-1),
        lambda: Uniform(low=3, high=1),
        lambda: Empirical(values=()),
        lambda: Empirical(values=(1.0, -2.0)),
    ],
)
def test_invalid_parameters_are_rejected(factory):
    with pytest.raises(ValidationError):
        factory()


def test_infinite_patience():
    assert np.all(np.isinf(Fixed(value=math.inf).sample(np.random.default_rng(0), 3)))


def test_a_step_survival_curve_draws_its_points_with_the_kaplan_meier_masses():
    curve = Survival(minutes=(0.5, 1.0, 2.0), survival=(0.8, 0.5, 0.0))
    x = curve.sample(np.random.default_rng(3), 100_000)
    assert set(np.unique(x)) == {0.5, 1.0, 2.0}
    # Binomial shares of 100k draws: standard error <= 0.0016; 5 standard errors.
    for point, mass in ((0.5, 0.2), (1.0, 0.3), (2.0, 0.5)):
        assert (x == point).mean() == pytest.approx(mass, abs=0.008)


def test_the_exponential_tail_has_the_hazard_of_the_last_stretch():
    # S falls from 0.5 to 0.25 over the last 2 minutes: hazard ln 2 / 2, mean 2 / ln 2.
    curve = Survival(minutes=(1.0, 3.0), survival=(0.5, 0.25))
    assert curve.tail_mean_minutes == pytest.approx(2 / math.log(2))
    x = curve.sample(np.random.default_rng(5), 200_000)
    beyond = x[x > 3.0] - 3.0
    # The share beyond the last point is S(3) = 0.25 (se 0.001); the excess is exponential.
    assert (x > 3.0).mean() == pytest.approx(0.25, abs=0.005)
    se = beyond.std() / math.sqrt(len(beyond))
    assert abs(beyond.mean() - 2 / math.log(2)) < 5 * se


def test_a_never_tail_leaves_the_rest_patient_forever():
    curve = Survival(minutes=(1.0, 2.0), survival=(0.6, 0.4), tail="never")
    x = curve.sample(np.random.default_rng(1), 50_000)
    assert np.isinf(x).mean() == pytest.approx(0.4, abs=0.012)  # 5 se of a binomial share
    assert math.isinf(curve.mean)
    assert set(np.unique(x[np.isfinite(x)])) == {1.0, 2.0}


def test_a_mixture_with_a_never_component_keeps_that_share_patient():
    mix = Mixture(weights=(0.25, 0.75), components=(Fixed(value=math.inf), Exponential(mean=2)))
    x = mix.sample(np.random.default_rng(2), 40_000)
    assert np.isinf(x).mean() == pytest.approx(0.25, abs=0.011)  # 5 se
    assert math.isinf(mix.mean)


def test_a_weibull_of_shape_one_is_the_exponential():
    assert Weibull(shape=1.0, scale=4.0).mean == pytest.approx(4.0)
    assert Weibull(shape=1.0, scale=4.0).variance == pytest.approx(16.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"minutes": (1.0, 1.0), "survival": (0.5, 0.4)}, "increase strictly"),
        ({"minutes": (1.0, 2.0), "survival": (0.5, 0.6)}, "must not increase"),
        ({"minutes": (1.0, 2.0), "survival": (0.5,)}, "one survival value per point"),
        ({"minutes": (1.0, 2.0), "survival": (0.5, 1.5)}, "probability in [0, 1]"),
        ({"minutes": (1.0, 2.0), "survival": (0.5, 0.5)}, "flat over its last stretch"),
        ({"minutes": (-1.0,), "survival": (0.5,)}, ">= 0"),
    ],
)
def test_a_bad_survival_curve_is_refused_with_the_reason(data, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Survival(**data)


def test_a_flat_last_stretch_is_fine_with_a_stated_tail():
    curve = Survival(minutes=(1.0, 2.0), survival=(0.5, 0.5), tail_mean=4.0)
    assert curve.mean == pytest.approx(0.5 * 1 + 0.5 * (2 + 4))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weights": (0.5, 0.6), "components": (Fixed(value=1), Fixed(value=2))}, "sum to 1"),
        (
            {"weights": (0.5, 0.3, 0.2), "components": (Fixed(value=1), Fixed(value=2))},
            "one weight per component",
        ),
    ],
)
def test_a_bad_mixture_is_refused_with_the_reason(data, message):
    with pytest.raises(ValidationError, match=message):
        Mixture(**data)


def test_a_mixture_cannot_hold_a_mixture():
    inner = {"distribution": "mixture", "weights": [0.5, 0.5], "components": [{}, {}]}
    with pytest.raises(ValidationError):
        Mixture(weights=(0.5, 0.5), components=(Fixed(value=1), inner))  # type: ignore[arg-type]
