"""Shifts: cover interval requirements with a cheapest roster of shifts (integer programming).

A shift type starts at an allowed interval, lasts an allowed number of
intervals and leaves its agent on a break in the intervals ``breaks`` after its
start; it covers the other intervals it spans (those inside the day). With
``x_j`` agents on shift type ``j`` at cost ``c_j`` each, the cheapest roster that
puts at least ``r_i`` agents in every interval ``i`` is the set-covering integer
program of Dantzig (1954)::

    minimise   sum_j c_j x_j
    subject to sum_j a_ij x_j >= r_i   for every interval i
               x_j >= 0, integer

with ``a_ij = 1`` when shift type ``j`` works interval ``i``. It is solved by
:func:`scipy.optimize.milp` (the HiGHS branch and bound), to proven optimality
within HiGHS's default relative gap (1e-4 of the cost). A roster covers
some intervals with more agents than required (shifts are longer than peaks);
the engine then values what that buys (:mod:`peakend.optimise.search`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Roster", "ShiftType", "roster_shifts", "shift_types"]


@dataclass(frozen=True)
class ShiftType:
    """One kind of shift: start interval, length in intervals, break offsets, cost."""

    start: int
    length: int
    breaks: tuple[int, ...]
    cost: float

    def covers(self, intervals: int) -> np.ndarray:
        """0/1 per interval of the day: whether an agent on this shift works it."""
        row = np.zeros(intervals, dtype=int)
        for offset in range(self.length):
            i = self.start + offset
            if i < intervals and offset not in self.breaks:
                row[i] = 1
        return row

    def spans(self, intervals: int) -> np.ndarray:
        """0/1 per interval: whether the shift is paid then (working or on a break)."""
        row = np.zeros(intervals, dtype=int)
        row[self.start : min(self.start + self.length, intervals)] = 1
        return row

    def describe(self, interval_minutes: float) -> str:
        """``start 0, 8 intervals (4 h), break at +4``."""
        hours = self.length * interval_minutes / 60
        text = f"start {self.start}, {self.length} intervals ({hours:g} h)"
        if self.breaks:
            text += ", breaks at " + ", ".join(f"+{b}" for b in self.breaks)
        return text


@dataclass(frozen=True)
class Roster:
    """The chosen shifts: agents on each type, the agents per interval, the cost."""

    shifts: tuple[tuple[ShiftType, int], ...]
    coverage: tuple[int, ...]
    cost: float
    requirement: tuple[int, ...]

    def on_shift(self) -> tuple[int, ...]:
        """Agents paid in each interval (working or on a break): the pool's ``staffing``."""
        n = len(self.coverage)
        total = sum((t.spans(n) * count for t, count in self.shifts), np.zeros(n, dtype=int))
        return tuple(int(v) for v in total)

    def on_break(self) -> tuple[int, ...]:
        """Agents on a break in each interval: the pool's ``breaks``."""
        return tuple(a - c for a, c in zip(self.on_shift(), self.coverage, strict=True))

    @property
    def over_coverage(self) -> int:
        """Agent-intervals above the requirement (what shifts cost beyond the need)."""
        return int(sum(c - r for c, r in zip(self.coverage, self.requirement, strict=True)))


def shift_types(
    starts: Sequence[int],
    lengths: Sequence[int],
    breaks: Sequence[int],
    cost_per_interval: float,
    cost_per_shift: float | None = None,
) -> list[ShiftType]:
    """Every allowed (start, length) with the breaks; the cost of a shift is
    ``cost_per_shift`` or its paid length (breaks included) times ``cost_per_interval``."""
    return [
        ShiftType(
            start,
            length,
            tuple(b for b in breaks if b < length),
            cost_per_shift if cost_per_shift is not None else length * cost_per_interval,
        )
        for start in sorted(set(starts))
        for length in sorted(set(lengths))
    ]


def roster_shifts(
    requirement: Sequence[int], types: Sequence[ShiftType], time_limit_seconds: float = 60.0
) -> Roster:
    """The cheapest roster of ``types`` covering ``requirement`` in every interval.

    Raises
    ------
    ValueError
        When some interval with a requirement is worked by no shift type (no roster
        can cover it), or HiGHS finds no solution within ``time_limit_seconds``.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    need = np.asarray(requirement, dtype=float)
    cover = np.array([t.covers(len(need)) for t in types]).T  # intervals x types
    uncovered = [i for i in range(len(need)) if need[i] > 0 and not cover[i].any()]
    if uncovered:
        first = uncovered[0]
        raise ValueError(
            f"no allowed shift works interval {first}, which needs {int(need[first])} "
            "agents: allow a start or length that covers it"
        )
    costs = np.array([t.cost for t in types], dtype=float)
    result = milp(
        costs,
        integrality=np.ones(len(types)),
        bounds=Bounds(0, np.inf),
        constraints=LinearConstraint(cover, lb=need, ub=np.inf),
        options={"time_limit": time_limit_seconds},
    )
    if result.x is None:
        raise ValueError(f"the shift roster could not be solved: {result.message}")
    counts = np.round(result.x).astype(int)
    coverage = cover @ counts
    chosen = tuple((t, int(n)) for t, n in zip(types, counts, strict=True) if n > 0)
    return Roster(
        chosen, tuple(int(c) for c in coverage), float(costs @ counts), tuple(int(r) for r in need)
    )
