"""Tests for peakend.classics: the published directions, with fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from peakend.classics import (
    PATIENT_A_PAIN,
    PATIENT_B_PAIN,
    ColdPressorAssumptions,
    ColonoscopyAssumptions,
    Estimate,
    RecoveryAssumptions,
    cold_pressor,
    colonoscopy_trial,
    patients_a_and_b,
    recovery_paradox,
    run_all,
)
from peakend.memory import End, Total

# --------------------------------------------------------------------------- patients A and B


def test_patient_profiles_follow_kahneman() -> None:
    assert max(PATIENT_A_PAIN) == max(PATIENT_B_PAIN) == 8
    assert (PATIENT_A_PAIN[-1], len(PATIENT_A_PAIN) - 1) == (7, 8)  # ends at 7 after 8 minutes
    assert (PATIENT_B_PAIN[-1], len(PATIENT_B_PAIN) - 1) == (1, 24)  # ends at 1 after 24 minutes
    assert PATIENT_B_PAIN[: len(PATIENT_A_PAIN)] == PATIENT_A_PAIN  # B first suffers A's pain


def test_patients_a_and_b_under_peak_end() -> None:
    result = patients_a_and_b()
    assert result.remembered_pain_a == 7.5  # (8 + 7) / 2, exactly
    assert result.remembered_pain_b == 4.5  # (8 + 1) / 2, exactly
    assert result.total_pain_b > result.total_pain_a
    assert result.reproduced
    assert all(
        len(row) == 3 and all(isinstance(cell, str) for cell in row) for row in result.rows()
    )


def test_patients_a_and_b_are_not_reproduced_by_total_pain() -> None:
    assert not patients_a_and_b(memory=Total()).reproduced


# --------------------------------------------------------------------------- cold pressor


def test_cold_pressor_majority_but_not_all_choose_the_long_trial() -> None:
    result = cold_pressor(10_000, seed=1)
    # reproduced: 0.5 < share < 0.95 with the 95% Wilson interval above 0.5
    assert result.reproduced
    assert 0.5 < result.share_long.low <= result.share_long.value <= result.share_long.high < 0.95
    assert result.remembered_pain_long.high < result.remembered_pain_short.low
    assert result.total_pain_long.low > result.total_pain_short.high


def test_cold_pressor_without_noise_is_unanimous() -> None:
    # everybody feels relief and chooses almost deterministically: the noiseless rule
    noiseless = ColdPressorAssumptions(relief_mean=1.0, relief_sd=1e-3, choice_noise=1e-3)
    result = cold_pressor(2_000, assumptions=noiseless, seed=2)
    assert result.share_long.value == 1.0
    assert not result.reproduced


def test_cold_pressor_is_reproducible_and_takes_seed_or_rng() -> None:
    assert cold_pressor(500, seed=3) == cold_pressor(500, rng=np.random.default_rng(3))
    with pytest.raises(ValueError, match="seed or rng, not both"):
        cold_pressor(500, seed=3, rng=np.random.default_rng(3))
    with pytest.raises(ValueError, match="n_subjects must be an integer >= 2"):
        cold_pressor(1)
    with pytest.raises(ValueError, match="choice_noise must be > 0"):
        ColdPressorAssumptions(choice_noise=0.0)


# --------------------------------------------------------------------------- colonoscopy


def test_colonoscopy_trial_directions() -> None:
    result = colonoscopy_trial(3_000, seed=4)
    assert result.reproduced
    # extended arm: milder end, lower remembered pain (95% CI below 0), more total pain
    assert result.final_pain_extended.high < result.final_pain_control.low
    assert result.remembered_pain_difference.high < 0
    assert result.total_pain_difference.low > 0
    assert result.return_rate_difference.value > 0
    # memory tracks peak and end (Fisher-z 95% CIs above 0.3), not duration
    assert min(result.correlation_peak.low, result.correlation_end.low) > 0.3
    assert abs(result.correlation_duration.value) < 0.1


def test_colonoscopy_under_total_pain_reverses() -> None:
    result = colonoscopy_trial(1_000, memory=Total(), seed=5)
    assert result.remembered_pain_difference.low > 0
    assert not result.reproduced


def test_colonoscopy_arms_under_an_end_window_memory() -> None:
    # the trial's arm directions need only the end; the 1996 correlation with the
    # peak does not hold under an end-only memory, so `reproduced` is not asserted
    result = colonoscopy_trial(3_000, memory=End(window_minutes=3.0), seed=6)
    assert result.remembered_pain_difference.high < 0
    assert result.total_pain_difference.low > 0
    assert result.return_rate_difference.low > 0


def test_colonoscopy_validation() -> None:
    with pytest.raises(ValueError, match="extension_minutes must be an integer >= 1"):
        colonoscopy_trial(100, extension_minutes=0)
    with pytest.raises(ValueError, match="return_anchor_probability must be in"):
        ColonoscopyAssumptions(return_anchor_probability=1.0)


# --------------------------------------------------------------------------- recovery paradox


def test_recovery_paradox_directions() -> None:
    result = recovery_paradox(2_000, seed=7)
    assert result.reproduced
    assert result.satisfaction_gain_recovered.low > 0  # paradox on satisfaction
    # no clear gain in retention: the 95% CI of the difference covers 0 or it is within 5 points
    gain = result.retention_gain_recovered
    assert gain.contains(0.0) or abs(gain.value) < 0.05
    assert result.satisfaction_gain_double.high < 0  # gone after a double deviation
    assert result.retention_gain_double.high < -0.1


def test_recovery_paradox_needs_a_good_recovery() -> None:
    poor = RecoveryAssumptions(recovery_value_mean=1.0)
    assert recovery_paradox(1_000, assumptions=poor, seed=8).satisfaction_gain_recovered.high < 0


def test_recovery_assumptions_validation() -> None:
    with pytest.raises(ValueError, match="failure_minutes must be >= 0"):
        RecoveryAssumptions(failure_minutes=-1.0)


# --------------------------------------------------------------------------- shared


def test_wilson_interval_matches_scipy() -> None:
    outcomes = np.array([True] * 22 + [False] * 10)  # Kahneman et al. 1993: 22 of 32
    estimate = Estimate.share_of(outcomes)
    reference = stats.binomtest(22, 32).proportion_ci(method="wilson")
    assert (estimate.low, estimate.high) == pytest.approx((reference.low, reference.high))
    assert estimate.percent() == "68.8% [51.4, 82.0]"


def test_run_all_reproduces_every_classic() -> None:
    results = run_all(seed=0)
    assert [result.title for result in results] == [
        "Patients A and B",
        "Cold-pressor experiment",
        "Colonoscopy randomised trial",
        "Service recovery paradox",
    ]
    for result in results:
        assert result.reproduced, result.title
        assert result.published
        assert all(len(row) == 3 for row in result.rows())
