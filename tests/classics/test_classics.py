"""Tests for the peakend.classics package: its public names and run_all.

Each experiment has its own file, tests/test_classics_<module>.py.
"""

from __future__ import annotations

import inspect

import peakend.classics as classics
from peakend.classics import run_all


def test_public_names_are_the_experiments_not_their_modules() -> None:
    # cold_pressor and recovery_paradox are also module names inside the package
    assert all(hasattr(classics, name) for name in classics.__all__)
    for name in ("patients_a_and_b", "cold_pressor", "colonoscopy_trial", "recovery_paradox"):
        assert inspect.isfunction(getattr(classics, name)), name


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
