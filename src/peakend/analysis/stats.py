"""Point estimates with confidence intervals: one :class:`Estimate` for the whole package.

Replications are independent and identically distributed, so a metric's mean
over R replications has a Student-t confidence interval with R − 1 degrees of
freedom (:func:`estimate`). With a single replication no interval can be given:
the bounds are NaN (``null`` in JSON), never a made-up zero width.

**Shares** (service level, abandonment rate, resolution rates, retention, ...)
live in [0, 1], and a symmetric t interval near 0 or 1 reaches outside it
(``service_level 0.986 [0.93, 1.04]``). ``estimate(values, share=True)`` uses a
*logit interval* instead: the mean share ``m`` of the per-replication shares,
its standard error ``se`` carried to the logit scale by the delta method
(``se / (m (1 − m))``), the same t quantile, and the bounds mapped back with the
logistic function. The interval always contains ``m``, stays strictly inside
(0, 1), is asymmetric near the bounds (longer towards 0.5) and agrees with the
t interval in the middle. When every replication gives the same share (all 0,
say) the interval is that single value, as the t interval is.

The classic experiments (:mod:`peakend.classics`) use the other constructors:
:meth:`Estimate.mean_of` (t), :meth:`Estimate.share_of` (Wilson score interval
of individual yes/no outcomes), differences and correlations.

SciPy is not imported here: the t quantiles of 95 % intervals come from a table of
SciPy's own values (:mod:`peakend.analysis.quantiles`), the same numbers bit for
bit; another level, or more than 201 replications, imports ``scipy.stats`` then.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from peakend.analysis.quantiles import Z_975, t_quantile

__all__ = ["MIN_REPLICATIONS_FOR_INTERVALS", "Estimate", "estimate", "paired_difference"]

MIN_REPLICATIONS_FOR_INTERVALS = 3
"""Below this many replications an interval is shown with a warning: with 2 the t
quantile is 12.7 and the spread is estimated from one degree of freedom."""

_Z95 = Z_975


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval ``[ci_low, ci_high]``.

    ``n`` is the number of observations (replications, subjects) behind it; the
    bounds are NaN when no interval can be computed (a single replication).
    """

    mean: float
    ci_low: float
    ci_high: float
    n: int = 0

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

    def percent(self) -> str:
        """The estimate of a share as percentages, e.g. ``68.9% [68.0, 69.8]``."""
        return f"{100 * self.mean:.1f}% [{100 * self.ci_low:.1f}, {100 * self.ci_high:.1f}]"

    def __format__(self, spec: str) -> str:
        spec = spec or ".4g"
        if math.isnan(self.ci_low):
            return format(self.mean, spec)
        return f"{self.mean:{spec}} [{self.ci_low:{spec}}, {self.ci_high:{spec}}]"

    def __str__(self) -> str:
        return format(self)

    # ----------------------------------------------------------- constructors

    @classmethod
    def mean_of(cls, values: npt.ArrayLike, level: float = 0.95) -> Estimate:
        """Sample mean with a Student-t interval (as :func:`estimate`)."""
        return estimate(np.asarray(values, dtype=np.float64), level)

    @classmethod
    def share_of(cls, outcomes: npt.ArrayLike) -> Estimate:
        """Share of true outcomes with a 95 % Wilson score interval (good near 0 and 1)."""
        sample = np.asarray(outcomes, dtype=bool)
        n, share = sample.size, float(sample.mean())
        z2 = _Z95**2
        centre = (share + z2 / (2 * n)) / (1 + z2 / n)
        half = _Z95 * math.sqrt(share * (1 - share) / n + z2 / (4 * n**2)) / (1 + z2 / n)
        return cls(share, centre - half, centre + half, n)

    @classmethod
    def difference_of_means(cls, a: npt.ArrayLike, b: npt.ArrayLike) -> Estimate:
        """mean(a) − mean(b) of two independent samples, large-sample (Welch, normal) 95 %."""
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        difference = float(x.mean() - y.mean())
        half = _Z95 * math.hypot(_standard_error(x), _standard_error(y))
        return cls(difference, difference - half, difference + half, x.size + y.size)

    @classmethod
    def difference_of_shares(cls, a: npt.ArrayLike, b: npt.ArrayLike) -> Estimate:
        """share(a) − share(b) of two independent samples with a Wald 95 % interval."""
        return cls.difference_of_means(np.asarray(a, dtype=bool), np.asarray(b, dtype=bool))

    @classmethod
    def correlation_of(cls, x: npt.ArrayLike, y: npt.ArrayLike) -> Estimate:
        """Pearson correlation with a Fisher-z 95 % interval (NaN if a sample is constant)."""
        first, second = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if first.std() == 0 or second.std() == 0:
            return cls(math.nan, math.nan, math.nan, first.size)
        r = float(np.corrcoef(first, second)[0, 1])
        half = _Z95 / math.sqrt(first.size - 3)
        centre = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12))
        return cls(r, math.tanh(centre - half), math.tanh(centre + half), first.size)


def _finite_or_none(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def _standard_error(sample: np.ndarray) -> float:
    return float(sample.std(ddof=1) / math.sqrt(sample.size))


def estimate(
    values: Sequence[float] | np.ndarray, level: float = 0.95, share: bool = False
) -> Estimate:
    """Mean and confidence interval of i.i.d. replication values.

    A Student-t interval; with ``share``, the values are shares in [0, 1] and the
    interval is the logit interval of the module docstring (inside (0, 1)).
    NaN values (a metric undefined in a replication, e.g. a wait percentile with
    no customers) are left out.

    Values outside [0, 1] are not shares: they get the t interval even with ``share``.

    Raises
    ------
    ValueError
        For a level outside (0, 1).
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
    quantile = t_quantile(0.5 + level / 2, n - 1)
    standard_error = float(data.std(ddof=1)) / math.sqrt(n)
    if share:
        return _logit_interval(data, mean, quantile * standard_error)
    half = quantile * standard_error
    return Estimate(mean, mean - half, mean + half, n)


def _logit_interval(data: np.ndarray, mean: float, half: float) -> Estimate:
    if data.min() < 0 or data.max() > 1:  # not a share after all: no transformation
        return Estimate(mean, mean - half, mean + half, len(data))
    if half == 0 or mean in (0.0, 1.0):  # every replication gave the same share
        return Estimate(mean, mean, mean, len(data))
    centre = math.log(mean / (1 - mean))
    spread = half / (mean * (1 - mean))
    low, high = _logistic(centre - spread), _logistic(centre + spread)
    # min/max: the round trip through logit and logistic may move a bound by an ulp
    return Estimate(mean, min(low, mean), max(high, mean), len(data))


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


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
