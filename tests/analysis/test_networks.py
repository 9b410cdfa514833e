"""Journeys beyond one queue against theory: non-preemptive priorities (Cobham), tandems."""

from __future__ import annotations

import pytest

from peakend.analysis.erlang import ErlangC, priority_mean_waits, tandem_mean_sojourn
from peakend.analysis.validate import priority_checks, tandem_checks


def test_cobham_waits_average_to_the_erlang_c_wait():
    rates, service, agents = [0.3, 0.5, 0.4], 2.0, 3
    waits = priority_mean_waits(rates, service, agents)
    total = ErlangC(sum(rates), service, agents)
    weighted = sum(r * w for r, w in zip(rates, waits, strict=True)) / sum(rates)
    assert weighted == pytest.approx(total.mean_wait_minutes, rel=1e-12)
    assert waits == sorted(waits)  # a higher priority never waits longer


def test_one_class_is_erlang_c_and_overload_is_refused():
    assert priority_mean_waits([0.8], 2.0, 2)[0] == pytest.approx(
        ErlangC(0.8, 2.0, 2).mean_wait_minutes
    )
    with pytest.raises(ValueError, match="below"):
        priority_mean_waits([0.6, 0.6], 2.0, 2)


def test_tandem_sojourn_is_the_sum_of_the_stations():
    one = ErlangC(1.0, 1.5, 2)
    two = ErlangC(1.0, 2.5, 3)
    expected = one.mean_wait_minutes + 1.5 + two.mean_wait_minutes + 2.5
    assert tandem_mean_sojourn(1.0, [(1.5, 2), (2.5, 3)]) == pytest.approx(expected)


def test_the_engine_reproduces_cobham_class_by_class():
    """99.9 % intervals over 10 replications of 6,000 minutes (validate.CHECK_LEVEL)."""
    rows = priority_checks()
    assert all(row.passed for row in rows), [row.cells() for row in rows]
    first, second = rows
    assert first.simulated < second.simulated


def test_the_engine_reproduces_a_tandem_of_two_stations():
    rows = tandem_checks()
    assert all(row.passed for row in rows), [row.cells() for row in rows]
