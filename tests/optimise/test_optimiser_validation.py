"""The optimiser's sections of ``peakend validate`` pass (the quick variant)."""

from __future__ import annotations

from peakend.optimise.validation import enumerated_day_rows, stationary_rows


def test_stationary_rows_are_exact() -> None:
    rows, passed = stationary_rows()
    assert passed
    # The Erlang C reference example (docs/validation.md): 14 agents for 80 % in 20 s.
    assert rows[0][2] == 14


def test_enumerated_day_quick() -> None:
    rows, passed = enumerated_day_rows(quick=True, seed=2026)
    assert passed, rows
