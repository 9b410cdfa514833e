"""Probability distributions for patience, service times and delays.

Each distribution is a small, validated, immutable value object with a readable
``repr`` (``Exponential(mean=4.0)``), analytic ``mean`` and ``variance`` and a
vectorised ``sample(rng, size)``. They are pydantic models so that a scenario
file can name them inline, for example
``service_time = { distribution = "lognormal", mean = 5.0, cv = 0.6 }``.

All times are in minutes. Sampling always goes through a
:class:`numpy.random.Generator` passed in by the caller: there is no global
random state.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Uniform",
    "DISTRIBUTION_NAMES",
]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{info.alias or name}={getattr(self, name)!r}"
            for name, info in type(self).model_fields.items()
            if name != "distribution"
        )
        return f"{type(self).__name__}({fields})"

    __str__ = __repr__

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class Exponential(_Base):
    """Exponential distribution with the given mean (rate = 1 / mean)."""

    distribution: Literal["exponential"] = "exponential"
    mean_minutes: float = Field(alias="mean", gt=0, allow_inf_nan=True)

    @property
    def mean(self) -> float:
        return self.mean_minutes

    @property
    def variance(self) -> float:
        return self.mean_minutes**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if math.isinf(self.mean_minutes):
            return np.full(size, math.inf)
        return rng.exponential(self.mean_minutes, size)


class _MeanCV(_Base):
    """A positive distribution given by its mean and coefficient of variation."""

    mean_minutes: float = Field(alias="mean", gt=0, allow_inf_nan=False)
    cv: float = Field(gt=0, allow_inf_nan=False)

    @property
    def mean(self) -> float:
        return self.mean_minutes

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_minutes) ** 2


class Lognormal(_MeanCV):
    """Lognormal distribution parameterised by its mean and coefficient of variation."""

    distribution: Literal["lognormal"] = "lognormal"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_minutes) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)


class Gamma(_MeanCV):
    """Gamma distribution parameterised by its mean and coefficient of variation."""

    distribution: Literal["gamma"] = "gamma"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_minutes / shape, size)


class Fixed(_Base):
    """A deterministic value (``inf`` allowed, e.g. for customers who never abandon)."""

    distribution: Literal["fixed"] = "fixed"
    value: float = Field(ge=0, allow_inf_nan=True)

    @field_validator("value")
    @classmethod
    def _not_nan(cls, value: float) -> float:
        if math.isnan(value):
            raise ValueError("value must be a number >= 0 (inf allowed), got nan")
        return value

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


class Uniform(_Base):
    """Continuous uniform distribution on [low, high]."""

    distribution: Literal["uniform"] = "uniform"
    low: float = Field(ge=0, allow_inf_nan=False)
    high: float = Field(ge=0, allow_inf_nan=False)

    @field_validator("high")
    @classmethod
    def _ordered(cls, high: float, info) -> float:  # type: ignore[no-untyped-def]
        low = info.data.get("low")
        if low is not None and high < low:
            raise ValueError(f"high must be >= low ({low}), got {high}")
        return high

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Empirical(_Base):
    """Resamples observed values (e.g. handling times from a log) with equal weight."""

    distribution: Literal["empirical"] = "empirical"
    values: tuple[float, ...] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _non_negative(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        bad = [v for v in values if not (v >= 0 and math.isfinite(v))]
        if bad:
            raise ValueError(f"values must be finite and >= 0, got {bad[0]}")
        return values

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:
        return float(np.var(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size)


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Fixed | Uniform | Empirical,
    Field(discriminator="distribution"),
]
"""Any of the distributions above, chosen in a config by its ``distribution`` key."""

DISTRIBUTION_NAMES = ("exponential", "lognormal", "gamma", "fixed", "uniform", "empirical")
