"""Tests for peakend.classics.patients: patients A and B of Kahneman (2011)."""

from __future__ import annotations

from peakend.classics import PATIENT_A_PAIN, PATIENT_B_PAIN, patients_a_and_b
from peakend.experience.memory import Total


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
