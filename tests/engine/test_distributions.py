import math

import numpy as np
import pytest
from pydantic import ValidationError

from peakend.base.distributions import Empirical, Exponential, Fixed, Gamma, Lognormal, Uniform


@pytest.mark.parametrize(
    "dist",
    [
        Exponential(mean=4.0),
        Lognormal(mean=5.0, cv=0.6),
        Gamma(mean=5.0, cv=0.5),
        Uniform(low=1.0, high=3.0),
        Empirical(values=(1.0, 2.0, 6.0)),
        Fixed(value=2.5),
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
