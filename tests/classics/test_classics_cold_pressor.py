"""Tests for peakend.classics.cold_pressor: the published direction, with fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest

from peakend.classics import ColdPressorAssumptions, cold_pressor


def test_cold_pressor_majority_but_not_all_choose_the_long_trial() -> None:
    result = cold_pressor(10_000, seed=1)
    # reproduced: 0.5 < share < 0.95 with the 95% Wilson interval above 0.5
    assert result.reproduced
    assert (
        0.5 < result.share_long.ci_low <= result.share_long.mean <= result.share_long.ci_high < 0.95
    )
    assert result.remembered_pain_long.ci_high < result.remembered_pain_short.ci_low
    assert result.total_pain_long.ci_low > result.total_pain_short.ci_high


def test_cold_pressor_without_noise_is_unanimous() -> None:
    # everybody feels relief and chooses almost deterministically: the noiseless rule
    noiseless = ColdPressorAssumptions(relief_mean=1.0, relief_sd=1e-3, choice_noise=1e-3)
    result = cold_pressor(2_000, assumptions=noiseless, seed=2)
    assert result.share_long.mean == 1.0
    assert not result.reproduced


def test_cold_pressor_is_reproducible_and_takes_seed_or_rng() -> None:
    assert cold_pressor(500, seed=3) == cold_pressor(500, rng=np.random.default_rng(3))
    with pytest.raises(ValueError, match="seed or rng, not both"):
        cold_pressor(500, seed=3, rng=np.random.default_rng(3))
    with pytest.raises(ValueError, match="n_subjects must be an integer >= 2"):
        cold_pressor(1)
    with pytest.raises(ValueError, match="choice_noise must be > 0"):
        ColdPressorAssumptions(choice_noise=0.0)
