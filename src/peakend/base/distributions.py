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
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Mixture",
    "Survival",
    "Uniform",
    "Weibull",
    "DISTRIBUTION_NAMES",
    "MAX_MIXTURE_COMPONENTS",
    "MAX_SURVIVAL_POINTS",
]

MAX_MIXTURE_COMPONENTS = 20
"""Most components of a mixture."""
MAX_SURVIVAL_POINTS = 10_000
"""Most points of a survival curve (a Kaplan-Meier estimate has one per distinct event time)."""


class _Base(BaseModel):
    # defer_build: each model's validator is built when it first validates, not when
    # the module is imported (a command that loads one scenario builds only what it
    # reaches, about 60 ms less start-up: docs/benchmarks.md, "Fixed costs").
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

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


class Weibull(_Base):
    """Weibull distribution: ``P(T > t) = exp(-(t / scale) ** shape)``.

    A shape below 1 gives a falling hazard (many leave at once, the rest hold on: the
    patience of Brown et al. 2005), above 1 a rising one; 1 is the exponential.
    """

    distribution: Literal["weibull"] = "weibull"
    shape: float = Field(gt=0, allow_inf_nan=False, description="k > 0")
    scale: float = Field(gt=0, allow_inf_nan=False, description="minutes, > 0")

    @property
    def mean(self) -> float:
        return self.scale * _gamma(1 + 1 / self.shape)

    @property
    def variance(self) -> float:
        second = self.scale * self.scale * _gamma(1 + 2 / self.shape)  # x * x: inf, no error
        mean = self.mean
        return math.inf if math.isinf(second) else second - mean * mean

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)


def _gamma(x: float) -> float:
    """Gamma(x), inf where it overflows (a Weibull of a tiny shape has an enormous mean)."""
    try:
        return math.gamma(x)
    except OverflowError:
        return math.inf


class Survival(_Base):
    """A survival curve ``S(t) = P(T > t)`` given at points, sampled by inverse transform.

    Made for a Kaplan-Meier estimate from censored waits (patience observed only
    for those who abandoned). ``S(0) = 1`` is implied. ``interpolation = "step"``
    keeps the Kaplan-Meier step function: a draw takes one of the listed minutes,
    ``t_i`` with probability ``S(t_{i-1}) - S(t_i)``; ``"linear"`` joins the points
    (uniform within each stretch). Beyond the last point, with probability
    ``S(t_n)``, ``tail = "exponential"`` adds an exponential time to ``t_n``, of mean
    ``tail_mean`` if given, else of the hazard of the last stretch
    ``ln(S(t_{n-1}) / S(t_n)) / (t_n - t_{n-1})``; ``tail = "never"`` gives ``inf``
    (a share who never abandon).
    """

    distribution: Literal["survival"] = "survival"
    minutes: tuple[float, ...] = Field(
        min_length=1, max_length=MAX_SURVIVAL_POINTS, description="strictly increasing, >= 0"
    )
    survival: tuple[float, ...] = Field(
        min_length=1, max_length=MAX_SURVIVAL_POINTS, description="S at each of minutes"
    )
    interpolation: Literal["step", "linear"] = Field(
        "step",
        description="step: the Kaplan-Meier step function (draws take the listed minutes); "
        "linear: S joined linearly between the points",
    )
    tail: Literal["exponential", "never"] = Field(
        "exponential",
        description="beyond the last point: exponential (the hazard of the last stretch, or "
        "mean tail_mean) or never (those customers never give up: inf)",
    )
    tail_mean: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="mean of the exponential tail beyond the last point, minutes; unset: "
        "1 / the hazard of the last stretch",
    )

    @field_validator("minutes")
    @classmethod
    def _increasing(cls, minutes: tuple[float, ...]) -> tuple[float, ...]:
        for i, value in enumerate(minutes):
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"minutes[{i}] must be a finite number >= 0, got {value}")
            if i and value <= minutes[i - 1]:
                raise ValueError(
                    f"minutes must increase strictly; minutes[{i}] = {value} follows "
                    f"{minutes[i - 1]}"
                )
        return minutes

    @field_validator("survival")
    @classmethod
    def _non_increasing(cls, survival: tuple[float, ...]) -> tuple[float, ...]:
        for i, value in enumerate(survival):
            if not 0 <= value <= 1:
                raise ValueError(f"survival[{i}] must be a probability in [0, 1], got {value}")
            if i and value > survival[i - 1]:
                raise ValueError(
                    f"survival must not increase; survival[{i}] = {value} follows {survival[i - 1]}"
                )
        return survival

    @model_validator(mode="after")
    def _consistent(self) -> Survival:
        if len(self.survival) != len(self.minutes):
            raise ValueError(
                f"expected one survival value per point of minutes ({len(self.minutes)}), "
                f"got {len(self.survival)}"
            )
        if self._needs_tail_hazard and self._last_hazard() == 0:
            raise ValueError(
                "the curve is flat over its last stretch, so it gives no hazard for the "
                'exponential tail: set tail_mean (minutes) or tail = "never"'
            )
        return self

    @property
    def _needs_tail_hazard(self) -> bool:
        return self.tail == "exponential" and self.tail_mean is None and self.survival[-1] > 0

    def _points(self) -> tuple[np.ndarray, np.ndarray]:
        """The points with ``(0, 1)`` in front."""
        return (
            np.concatenate(([0.0], np.asarray(self.minutes, dtype=float))),
            np.concatenate(([1.0], np.asarray(self.survival, dtype=float))),
        )

    def _last_hazard(self) -> float:
        t, s = self._points()
        if t[-1] == t[-2]:  # a single point at minute 0
            return math.inf
        return math.log(s[-2] / s[-1]) / (t[-1] - t[-2])

    @property
    def tail_mean_minutes(self) -> float:
        """Mean of the time beyond the last point (inf: never; 0: no tail)."""
        if self.survival[-1] == 0:
            return 0.0
        if self.tail == "never":
            return math.inf
        if self.tail_mean is not None:
            return self.tail_mean
        with np.errstate(over="ignore", divide="ignore"):  # a tiny hazard: an endless tail
            return float(1 / np.float64(self._last_hazard()))

    def _moments(self) -> tuple[float, float]:
        with np.errstate(over="ignore", invalid="ignore"):  # enormous minutes: inf
            return self._moments_of_points()

    def _moments_of_points(self) -> tuple[float, float]:
        t, s = self._points()
        mass = s[:-1] - s[1:]
        a, b = t[:-1], t[1:]
        if self.interpolation == "step":
            first, second = float(np.sum(mass * b)), float(np.sum(mass * b**2))
        else:
            first = float(np.sum(mass * (a + b) / 2))
            second = float(np.sum(mass * (a * a + a * b + b * b) / 3))
        rest, end, m = s[-1], t[-1], self.tail_mean_minutes
        if rest > 0:
            if math.isinf(m):
                return math.inf, math.inf
            first += rest * (end + m)
            second += rest * (end**2 + 2 * end * m + 2 * m**2)
        return first, second

    @property
    def mean(self) -> float:
        return self._moments()[0]

    @property
    def variance(self) -> float:
        first, second = self._moments()
        return math.inf if math.isinf(first) else max(0.0, second - first**2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        t, s = self._points()
        # v in (0, 1]: the draw is the time at which S falls to v.
        v = 1.0 - rng.random(size)
        i = np.searchsorted(-s, -v, side="right")  # first point with S < v
        beyond = i == len(s)
        j = np.minimum(i, len(s) - 1)
        if self.interpolation == "step":
            draws = t[j]
        else:
            drop = np.where(beyond, 1.0, s[j - 1] - s[j])
            draws = t[j - 1] + (s[j - 1] - v) / drop * (t[j] - t[j - 1])
        if beyond.any():
            m = self.tail_mean_minutes
            with np.errstate(divide="ignore", over="ignore"):
                extra = m * np.log(s[-1] / v[beyond]) if math.isfinite(m) else math.inf
            draws = np.where(beyond, 0.0, draws)
            with np.errstate(over="ignore"):
                draws[beyond] = t[-1] + extra
        return draws


_Component = Annotated[
    Exponential | Lognormal | Gamma | Fixed | Uniform | Empirical | Weibull | Survival,
    Field(discriminator="distribution"),
]


class Mixture(_Base):
    """A mixture: each draw comes from component ``i`` with probability ``weights[i]``.

    For example the many callers who hang up within seconds and the others
    (Brown et al. 2005). Components may be any distribution but a mixture; a
    ``fixed`` component of value ``inf`` is a share who never abandon. Each
    component is sampled for every draw from the same generator and the chosen
    one kept, so a draw depends only on the generator's state, not on the others.
    """

    distribution: Literal["mixture"] = "mixture"
    weights: tuple[float, ...] = Field(
        min_length=2,
        max_length=MAX_MIXTURE_COMPONENTS,
        description="probability of each component, summing to 1",
    )
    components: tuple[_Component, ...] = Field(
        min_length=2,
        max_length=MAX_MIXTURE_COMPONENTS,
        description="the distributions mixed (any but a mixture)",
    )

    @field_validator("weights")
    @classmethod
    def _probabilities(cls, weights: tuple[float, ...]) -> tuple[float, ...]:
        for i, weight in enumerate(weights):
            if not 0 <= weight <= 1:
                raise ValueError(f"weights[{i}] must be a probability in [0, 1], got {weight}")
        if abs(sum(weights) - 1) > 1e-6:
            raise ValueError(f"weights must sum to 1, got {sum(weights):.6g}")
        return weights

    @model_validator(mode="after")
    def _one_weight_each(self) -> Mixture:
        if len(self.weights) != len(self.components):
            raise ValueError(
                f"expected one weight per component ({len(self.components)}), "
                f"got {len(self.weights)}"
            )
        return self

    @property
    def mean(self) -> float:
        return sum(w * c.mean for w, c in zip(self.weights, self.components, strict=True) if w)

    @property
    def variance(self) -> float:
        mean = self.mean
        if math.isinf(mean):
            return math.inf
        second = sum(
            w * (c.variance + c.mean**2)
            for w, c in zip(self.weights, self.components, strict=True)
            if w
        )
        return max(0.0, second - mean**2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        cumulative = np.cumsum(self.weights)
        pick = np.searchsorted(cumulative / cumulative[-1], rng.random(size), side="right")
        pick = np.minimum(pick, len(self.weights) - 1)
        draws = np.zeros(size)
        for i, component in enumerate(self.components):
            values = component.sample(rng, size)
            draws[pick == i] = values[pick == i]
        return draws


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Fixed | Uniform | Empirical | Weibull | Mixture | Survival,
    Field(discriminator="distribution"),
]
"""Any of the distributions above, chosen in a config by its ``distribution`` key."""

DISTRIBUTION_NAMES = (
    "exponential",
    "lognormal",
    "gamma",
    "fixed",
    "uniform",
    "empirical",
    "weibull",
    "mixture",
    "survival",
)
