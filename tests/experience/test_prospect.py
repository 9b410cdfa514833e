"""Tests for peakend.experience.prospect: Tversky & Kahneman (1992) check values and validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from peakend.experience.prospect import ValueFunction


def test_check_values() -> None:
    # docs/model/moment-utility.md: v(100) = 57.544, v(-100) = -129.474 with 0.88, 0.88, 2.25
    v = ValueFunction()
    assert v(100.0) == pytest.approx(57.544, abs=1e-3)
    assert v(-100.0) == pytest.approx(-129.474, abs=1e-3)
    assert v(0.0) == 0.0
    assert isinstance(v(1.0), float)


def test_vectorised_and_shape_preserving() -> None:
    v = ValueFunction(alpha=0.5, beta=1.0, loss_aversion=2.0)
    values = v(np.array([[4.0, -3.0], [0.0, np.nan]]))
    assert values.shape == (2, 2)
    np.testing.assert_allclose(values, [[2.0, -6.0], [0.0, np.nan]])
    assert v.relative(outcome=5.0, reference=9.0) == -8.0


@given(x=st.floats(0.01, 1e4))
def test_losses_loom_larger_than_gains(x: float) -> None:
    v = ValueFunction()  # alpha == beta: |v(-x)| = lambda * v(x)
    assert -v(-x) == pytest.approx(2.25 * v(x), rel=1e-12)
    assert v(x) <= x or x < 1  # concave with alpha < 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alpha": 0.0}, r"alpha must be in \(0, 1\]"),
        ({"alpha": 1.2}, r"alpha must be in \(0, 1\]"),
        ({"beta": -0.1}, r"beta must be in \(0, 1\]"),
        ({"loss_aversion": 0.0}, "loss_aversion must be > 0"),
        ({"loss_aversion": math.inf}, "loss_aversion must be finite"),
        ({"alpha": "0.88"}, "alpha must be a real number"),
    ],
)
def test_invalid_parameters(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ValueFunction(**params)


def test_readable_repr() -> None:
    assert repr(ValueFunction(loss_aversion=2)) == (
        "ValueFunction(alpha=0.88, beta=0.88, loss_aversion=2.0)"
    )
