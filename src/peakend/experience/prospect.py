"""Prospect-theory value function: how gains and losses against a reference point feel."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from peakend.experience.trace import FloatArray

__all__ = ["ValueFunction"]


@dataclass(frozen=True)
class ValueFunction:
    """Tversky & Kahneman (1992) value function of an outcome relative to the reference point.

    v(x) = x^alpha for x >= 0 and v(x) = -loss_aversion * (-x)^beta for x < 0:
    concave for gains, convex and steeper for losses. Check values with the
    defaults: v(100) = 57.544, v(-100) = -129.474.

    Parameters
    ----------
    alpha : float
        Curvature for gains, 0 < alpha <= 1 (1: linear). Default 0.88 (Tversky &
        Kahneman 1992).
    beta : float
        Curvature for losses, 0 < beta <= 1. Default 0.88.
    loss_aversion : float
        lambda > 0, how much more a loss weighs than an equal gain. Default 2.25
        (Tversky & Kahneman 1992); later meta-analyses put it lower, about
        1.7-2.0, so treat it as a parameter to sweep rather than a constant.

    Raises
    ------
    ValueError
        If a parameter is not a finite real number in its range.
    """

    alpha: float = 0.88
    beta: float = 0.88
    loss_aversion: float = 2.25

    def __post_init__(self) -> None:
        for name in ("alpha", "beta"):
            value = self._checked(name)
            if not 0 < value <= 1:
                raise ValueError(f"ValueFunction.{name} must be in (0, 1], got {value}")
        if self._checked("loss_aversion") <= 0:
            raise ValueError(f"ValueFunction.loss_aversion must be > 0, got {self.loss_aversion}")

    def _checked(self, name: str) -> float:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"ValueFunction.{name} must be a real number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"ValueFunction.{name} must be finite, got {value!r}")
        object.__setattr__(self, name, float(value))
        return float(value)

    @overload
    def __call__(self, x: float) -> float: ...

    @overload
    def __call__(self, x: npt.ArrayLike) -> FloatArray | float: ...

    def __call__(self, x: npt.ArrayLike) -> FloatArray | float:
        """Value of gain/loss ``x`` (same units as ``x``; NaN stays NaN).

        Scalars give a float, arrays an array of the same shape.
        """
        outcome = np.asarray(x, dtype=np.float64)
        magnitude = np.abs(outcome)
        value = np.where(
            outcome >= 0,
            magnitude**self.alpha,
            -self.loss_aversion * magnitude**self.beta,
        )
        value = np.where(np.isnan(outcome), np.nan, value)
        return float(value) if value.ndim == 0 else value

    def relative(self, outcome: npt.ArrayLike, reference: npt.ArrayLike) -> FloatArray | float:
        """Value of ``outcome`` judged against ``reference``: v(outcome - reference)."""
        return self(np.subtract(outcome, reference))
