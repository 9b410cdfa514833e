"""(d) The MILP roster covers every requirement at minimum cost (cases solved by hand)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from peakend.optimise.shifts import ShiftType, roster_shifts, shift_types


def test_three_overlapping_shifts_solved_by_hand() -> None:
    # Need [1, 2, 2, 1]; two-interval shifts at 0, 1, 2 (cost 1 each). Interval 0 needs
    # x0 >= 1, interval 3 needs x2 >= 1, interval 1 then needs x1 >= 1: (1, 1, 1), cost 3.
    types = shift_types([0, 1, 2], [2], [], cost_per_interval=0.5)
    roster = roster_shifts([1, 2, 2, 1], types)
    assert roster.cost == pytest.approx(3.0)
    assert [(t.start, n) for t, n in roster.shifts] == [(0, 1), (1, 1), (2, 1)]
    assert roster.coverage == (1, 2, 2, 1)
    assert roster.over_coverage == 0


def test_a_long_shift_beats_two_short_ones_when_cheaper() -> None:
    # Need 2 all day (4 intervals). A full-day shift costs 3.5, a half-day one 2:
    # two full-day shifts (7) beat four half-day ones (8).
    types = [ShiftType(0, 4, (), 3.5), ShiftType(0, 2, (), 2.0), ShiftType(2, 2, (), 2.0)]
    roster = roster_shifts([2, 2, 2, 2], types)
    assert roster.cost == pytest.approx(7.0)
    assert roster.shifts == ((types[0], 2),)


def test_breaks_are_not_worked_but_paid() -> None:
    # An 4-interval shift with a break in its third interval, and a 1-interval cover shift.
    types = [ShiftType(0, 4, (2,), 4.0), ShiftType(2, 1, (), 1.5)]
    roster = roster_shifts([1, 1, 1, 1], types)
    assert roster.cost == pytest.approx(5.5)
    assert roster.coverage == (1, 1, 1, 1)
    assert roster.on_shift() == (1, 1, 2, 1)  # paid: the break counts
    assert roster.on_break() == (0, 0, 1, 0)


def test_roster_is_the_cheapest_by_enumeration() -> None:
    need = [2, 3, 4, 4, 3, 1]
    types = shift_types([0, 2, 3], [3, 4], [], cost_per_interval=1.0)
    roster = roster_shifts(need, types)
    cover = np.array([t.covers(len(need)) for t in types]).T
    costs = np.array([t.cost for t in types])
    # No type is needed more than 4 times (the largest requirement): 4^6 rosters.
    best = min(
        costs @ x
        for x in itertools.product(range(5), repeat=len(types))
        if (cover @ np.array(x) >= need).all()
    )
    assert roster.cost == pytest.approx(best)
    assert (np.array(roster.coverage) >= need).all()


def test_an_interval_no_shift_covers_is_an_error() -> None:
    with pytest.raises(ValueError, match="no allowed shift works interval 3"):
        roster_shifts([1, 1, 1, 1], shift_types([0], [3], [], 1.0))
