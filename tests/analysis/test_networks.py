"""Journeys beyond one queue against theory: non-preemptive priorities (Cobham), tandems."""

from __future__ import annotations

import pytest

from peakend.analysis.erlang import (
    ErlangC,
    chat_agent_means,
    priority_mean_waits,
    tandem_mean_sojourn,
)
from peakend.checks.validate import chat_checks, priority_checks, tandem_checks


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


def test_a_route_weights_a_station_by_its_visits_at_its_thinned_rate():
    stable = [(1.5, 2), (2.5, 3)]
    assert tandem_mean_sojourn(1.0, stable, [1.0, 1.0]) == tandem_mean_sojourn(1.0, stable)
    stations = [(1.5, 2), (2.5, 2)]  # the second is stable only at the thinned rate
    one = ErlangC(1.0, 1.5, 2).mean_wait_minutes + 1.5
    two = ErlangC(0.6, 2.5, 2).mean_wait_minutes + 2.5
    assert tandem_mean_sojourn(1.0, stations, [1.0, 0.6]) == pytest.approx(one + 0.6 * two)
    assert tandem_mean_sojourn(1.0, stations, [1.0, 0.0]) == pytest.approx(one)
    with pytest.raises(ValueError, match="visit probabilities"):
        tandem_mean_sojourn(1.0, stations, [1.0])


def test_the_engine_reproduces_cobham_class_by_class():
    """99.9 % intervals (validate.CHECK_LEVEL) over 40 replications of 6,000 minutes, as
    `peakend validate` runs it: about +-10 % of the second class's wait."""
    rows = priority_checks(40)
    assert all(row.passed for row in rows), [row.cells() for row in rows]
    first, second = rows
    assert first.simulated < second.simulated


def test_the_engine_reproduces_a_tandem_of_two_stations_with_and_without_a_route():
    """16 replications of 6,000 minutes, 99.9 % intervals (validate.CHECK_LEVEL): the
    check of `peakend validate` (which runs 40) on a smaller sample. Its intervals are
    about +-8 % of the Burke tandem's time in system and +-5 % of the routed one's (at 40:
    +-4.4 % and +-3.2 %), narrow enough to reject the wrong models nearest the truth: a
    second station that never queues (Burke), and a route whose second station is left
    out of the time in system or counted for every customer instead of 60 % (Jackson)."""
    rows = tandem_checks(16)
    assert len(rows) == 2
    assert all(row.passed for row in rows), [row.cells() for row in rows]
    burke, jackson = rows
    first = ErlangC(1.0, 1.5, 2).mean_wait_minutes + 1.5
    second_routed = tandem_mean_sojourn(0.6, [(2.5, 2)])
    for row, wrong in (
        (burke, first + 2.5),  # no queue at the second station
        (jackson, first),  # the routed station left out
        (jackson, first + second_routed),  # the routed station counted for everyone
    ):
        assert not row.ci_low <= wrong <= row.ci_high, (row.cells(), wrong)


def test_one_chat_slot_is_m_m_1_and_no_slowdown_is_m_m_c():
    assert chat_agent_means(0.2, 4.0, 1, 0.3)[0] == pytest.approx(
        ErlangC(0.2, 4.0, 1).mean_wait_minutes, rel=1e-12
    )
    wait, in_system = chat_agent_means(0.35, 4.0, 3, 0.0)
    assert wait == pytest.approx(ErlangC(0.35, 4.0, 3).mean_wait_minutes, rel=1e-12)
    assert in_system == pytest.approx(wait + 4.0, rel=1e-12)
    with pytest.raises(ValueError, match="capacity"):
        chat_agent_means(0.5, 4.0, 3, 0.25)  # 3 chats at 1/1.5 speed finish 0.5 a minute


def test_the_engine_reproduces_a_limited_processor_sharing_chat_agent():
    """12 replications of 24,000 minutes, 99.9 % intervals (validate.CHECK_LEVEL); the
    interval is narrow enough to reject the same agent without the slowdown."""
    rows = chat_checks(12, 24000.0)
    assert all(row.passed for row in rows), [row.cells() for row in rows]
    wait = rows[0]
    no_slowdown = chat_agent_means(0.35, 4.0, 3, 0.0)[0]
    assert not wait.ci_low <= no_slowdown <= wait.ci_high
