"""Confidence intervals over replications.

Replications are independent and identically distributed, so a metric's mean
over R replications has a Student-t confidence interval with R − 1 degrees of
freedom. With a single replication no interval can be given: the bounds are NaN
(``null`` in JSON), never a made-up zero width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _stats

__all__ = ["Estimate", "estimate", "paired_difference"]


@dataclass(frozen=True)
class Estimate:
    """A mean with its confidence interval (NaN bounds when it cannot be computed)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside the interval (inclusive)."""
        return self.ci_low <= value <= self.ci_high

    def excludes_zero(self) -> bool:
        return not math.isnan(self.ci_low) and (self.ci_low > 0 or self.ci_high < 0)

    def as_dict(self) -> dict[str, float | None]:
        return {
            "mean": _finite_or_none(self.mean),
            "ci_low": _finite_or_none(self.ci_low),
            "ci_high": _finite_or_none(self.ci_high),
            "n": self.n,
        }

    def __format__(self, spec: str) -> str:
        spec = spec or ".4g"
        if math.isnan(self.ci_low):
            return format(self.mean, spec)
        return f"{self.mean:{spec}} [{self.ci_low:{spec}}, {self.ci_high:{spec}}]"


def _finite_or_none(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def estimate(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Estimate:
    """Mean and Student-t confidence interval of i.i.d. replication values.

    NaN values (a metric undefined in a replication, e.g. a wait percentile with
    no customers) are left out.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = len(data)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1)
    sd = float(data.std(ddof=1))
    half = float(_stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


def paired_difference(
    variant: Sequence[float] | np.ndarray, base: Sequence[float] | np.ndarray, level: float = 0.95
) -> Estimate:
    """Mean difference variant − base over paired replications, with its t interval.

    Replication ``r`` of both runs shares its random numbers (common random
    numbers), so the differences vary less than the runs themselves.
    """
    a = np.asarray(variant, dtype=float)
    b = np.asarray(base, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples need equal lengths, got {a.shape} and {b.shape}")
    return estimate(a - b, level)
