"""Point estimates with 95% confidence intervals, as the classics report them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from peakend.experience.trace import FloatArray

__all__ = ["Estimate"]

_Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% confidence interval ``[low, high]``."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"

    def percent(self) -> str:
        """The estimate of a share as percentages, e.g. ``68.9% [68.0, 69.8]``."""
        return f"{100 * self.value:.1f}% [{100 * self.low:.1f}, {100 * self.high:.1f}]"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the interval."""
        return self.low <= x <= self.high

    @classmethod
    def mean_of(cls, values: npt.ArrayLike) -> Estimate:
        """Sample mean with a Student-t interval."""
        sample = np.asarray(values, dtype=np.float64)
        mean = float(sample.mean())
        half = float(stats.t.ppf(0.975, sample.size - 1)) * _standard_error(sample)
        return cls(mean, mean - half, mean + half)

    @classmethod
    def share_of(cls, outcomes: npt.ArrayLike) -> Estimate:
        """Share of true outcomes with a Wilson score interval (good near 0 and 1)."""
        sample = np.asarray(outcomes, dtype=bool)
        n, share = sample.size, float(sample.mean())
        centre = (share + _Z95**2 / (2 * n)) / (1 + _Z95**2 / n)
        half = _Z95 * math.sqrt(share * (1 - share) / n + _Z95**2 / (4 * n**2)) / (1 + _Z95**2 / n)
        return cls(share, centre - half, centre + half)

    @classmethod
    def difference_of_means(cls, a: npt.ArrayLike, b: npt.ArrayLike) -> Estimate:
        """mean(a) - mean(b) with a large-sample (Welch, normal) interval."""
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        difference = float(x.mean() - y.mean())
        half = _Z95 * math.hypot(_standard_error(x), _standard_error(y))
        return cls(difference, difference - half, difference + half)

    @classmethod
    def difference_of_shares(cls, a: npt.ArrayLike, b: npt.ArrayLike) -> Estimate:
        """share(a) - share(b) of two independent samples with a Wald interval."""
        return cls.difference_of_means(np.asarray(a, dtype=bool), np.asarray(b, dtype=bool))

    @classmethod
    def correlation_of(cls, x: npt.ArrayLike, y: npt.ArrayLike) -> Estimate:
        """Pearson correlation with a Fisher-z interval (NaN if a sample is constant)."""
        first, second = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if first.std() == 0 or second.std() == 0:
            return cls(math.nan, math.nan, math.nan)
        r = float(np.corrcoef(first, second)[0, 1])
        half = _Z95 / math.sqrt(first.size - 3)
        centre = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12))
        return cls(r, math.tanh(centre - half), math.tanh(centre + half))


def _standard_error(sample: FloatArray) -> float:
    return float(sample.std(ddof=1) / math.sqrt(sample.size))
