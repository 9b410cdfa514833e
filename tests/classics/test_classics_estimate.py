"""Tests for peakend.classics.estimate: confidence intervals against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from peakend.classics import Estimate


def test_wilson_interval_matches_scipy() -> None:
    outcomes = np.array([True] * 22 + [False] * 10)  # Kahneman et al. 1993: 22 of 32
    estimate = Estimate.share_of(outcomes)
    reference = stats.binomtest(22, 32).proportion_ci(method="wilson")
    assert (estimate.low, estimate.high) == pytest.approx((reference.low, reference.high))
    assert estimate.percent() == "68.8% [51.4, 82.0]"
