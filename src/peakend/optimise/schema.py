"""What an optimisation file may contain: one typed, frozen schema (pydantic).

An optimisation file sits beside the experiment files and names a base scenario,
the decisions, the objective, the constraints and the search budget::

    name = "cheapest_roster"
    base = "../configs/contact_centre.toml"     # relative to this file
    set = ["run.seed=7"]                         # optional overrides of the base
    seed = 7                                     # optional, shorthand for run.seed

    [decide.pools.agents]                        # agents per interval of this pool
    min = 4                                      # bounds: a number for every interval,
    max = 30                                     # or a list, one per interval
    # intervals = [8, 9, 10, 11]                 # optional: only these intervals move

    [decide.choices]                             # optional policy choices (the levels
    "recovery.policy" = ["apology", "callback"]  # of a scenario key; every combination
    "service.farewell" = [true, false]           # is searched)

    [objective]
    minimise = "staff_cost"                      # or "total_cost", or maximise = "profit"

    [constraints]                                # a metric's mean over replications
    service_level = { min = 0.8 }                # (the day; a multi-period run: its days)
    abandonment_rate = { max = 0.05 }
    retention_rate = { min = 0.9 }               # multi-period runs only
    staff_cost = { max = 7000 }                  # a budget
    interval_service_level = { min = 0.6 }       # in every interval (single-day runs)

    [search]                                     # every key optional
    start = "erlang_a"                           # or "base" (today's plan)
    replications = 10                            # per plan while searching
    final_replications = 40                      # per finalist (ranking and selection)
    finalists = 4
    candidates = 4                               # moves screened per round and direction
    max_evaluations = 300                        # plans evaluated, at most
    max_minutes = 10.0                           # wall-clock budget of the search
    confidence = 0.95

    [shifts.agents]                              # optional: a roster of shifts by MILP
    starts = [0, 2, 4, 8]                        # allowed start intervals
    lengths = [16]                               # shift lengths in intervals
    breaks = [8]                                 # break intervals after the start
    cost_per_shift = 256.0                       # default: length x agent_cost_per_hour

Every key is checked here; a wrong one is an error naming the file and the key
path (see :func:`peakend.optimise.problem.load_optimisation`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from peakend.base.names import MAX_NAME_LENGTH
from peakend.config.schema import MAX_DESCRIPTION_LENGTH, MAX_SEED, LocatedError

__all__ = [
    "DERIVED_METRICS",
    "INTERVAL_METRICS",
    "Bound",
    "DecidePools",
    "Decisions",
    "Objective",
    "OptimisationFile",
    "SearchSettings",
    "ShiftSpec",
]

DERIVED_METRICS = ("total_cost",)
"""Metrics the optimiser computes from a replication's own: ``total_cost`` is
``staff_cost + recovery_cost + extras_cost`` (the money a plan costs)."""

INTERVAL_METRICS = ("interval_service_level", "interval_abandonment_rate")
"""Constraints that hold in every interval of every decided pool (single-day runs)."""

MAX_CHOICES = 64
"""Most policy combinations searched (the product of the choices' levels)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DecidePools(_Model):
    """Bounds on the agents of one pool in each interval, and which intervals move."""

    min: int | tuple[int, ...] = 0
    max: int | tuple[int, ...]
    intervals: tuple[int, ...] | None = Field(None, min_length=1)

    @field_validator("min", "max")
    @classmethod
    def _non_negative(cls, value: int | tuple[int, ...]) -> int | tuple[int, ...]:
        values = value if isinstance(value, tuple) else (value,)
        if any(v < 0 or v > 100_000 for v in values):
            raise ValueError("agents must be between 0 and 100,000")
        return value

    def bounds(self, intervals: int, loc: tuple[str, ...]) -> tuple[list[int], list[int]]:
        """``(low, high)`` per interval, checked against the scenario's intervals.

        Raises
        ------
        LocatedError
            For a list of the wrong length, min above max, or an interval outside the day.
        """
        low = _per_interval(self.min, intervals, (*loc, "min"))
        high = _per_interval(self.max, intervals, (*loc, "max"))
        for i, (lo, hi) in enumerate(zip(low, high, strict=True)):
            if lo > hi:
                raise LocatedError((*loc, "max"), f"interval {i}: max {hi} is below min {lo}")
        for i in self.intervals or ():
            if not 0 <= i < intervals:
                raise LocatedError(
                    (*loc, "intervals"), f"interval {i} is outside the day (0 to {intervals - 1})"
                )
        return low, high


def _per_interval(value: int | tuple[int, ...], intervals: int, loc: tuple[str, ...]) -> list[int]:
    if isinstance(value, int):
        return [value] * intervals
    if len(value) != intervals:
        raise LocatedError(loc, f"expected {intervals} values (one per interval), got {len(value)}")
    return list(value)


class Decisions(_Model):
    """What the optimiser may change: agents per interval, and policy choices."""

    pools: dict[str, DecidePools] = Field(min_length=1)
    choices: dict[str, tuple[Any, ...]] = Field(default_factory=dict)

    @field_validator("choices")
    @classmethod
    def _levels(cls, choices: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
        combinations = 1
        for key, levels in choices.items():
            if not levels:
                raise LocatedError(("decide", "choices", key), "give at least one value")
            for value in levels:
                if isinstance(value, (dict, list)):
                    raise LocatedError(
                        ("decide", "choices", key), "a choice is a number, a string or a boolean"
                    )
            combinations *= len(levels)
        if combinations > MAX_CHOICES:
            raise LocatedError(
                ("decide", "choices"),
                f"{combinations} policy combinations; at most {MAX_CHOICES} are searched",
            )
        return choices


class Objective(_Model):
    """``minimise`` or ``maximise`` one metric (see :data:`DERIVED_METRICS`)."""

    minimise: str | None = None
    maximise: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Objective:
        if (self.minimise is None) == (self.maximise is None):
            raise LocatedError(("objective",), "give exactly one of minimise or maximise")
        return self

    @property
    def metric(self) -> str:
        return self.minimise if self.minimise is not None else self.maximise  # type: ignore[return-value]

    @property
    def sense(self) -> float:
        """+1 to maximise, -1 to minimise: plans are ranked by ``sense * metric``."""
        return 1.0 if self.maximise is not None else -1.0


class Bound(_Model):
    """A constraint on a metric's mean: at least ``min``, at most ``max``."""

    min: float | None = Field(None, allow_inf_nan=False)
    max: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _some(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give min or max (or both)")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self


class SearchSettings(_Model):
    """The search's budget and statistics (see :mod:`peakend.optimise.search`)."""

    start: Literal["erlang_a", "base"] = "erlang_a"
    replications: int = Field(10, ge=3, le=10_000)
    final_replications: int = Field(40, ge=3, le=100_000)
    finalists: int = Field(4, ge=1, le=20)
    candidates: int = Field(4, ge=1, le=50)
    max_evaluations: int = Field(300, ge=1, le=100_000)
    max_minutes: float = Field(10.0, gt=0, le=7 * 24 * 60, allow_inf_nan=False)
    confidence: float = Field(0.95, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _final_not_fewer(self) -> SearchSettings:
        if self.final_replications < self.replications:
            raise LocatedError(
                ("search", "final_replications"),
                f"must be at least replications ({self.replications}), "
                f"got {self.final_replications}",
            )
        return self


class ShiftSpec(_Model):
    """The shifts allowed for one pool (see :mod:`peakend.optimise.shifts`)."""

    starts: tuple[int, ...] = Field(min_length=1, max_length=1000)
    lengths: tuple[int, ...] = Field(min_length=1, max_length=100)
    breaks: tuple[int, ...] = ()
    cost_per_shift: float | None = Field(None, ge=0, allow_inf_nan=False)

    @field_validator("starts", "lengths", "breaks")
    @classmethod
    def _non_negative(cls, values: tuple[int, ...]) -> tuple[int, ...]:
        if any(v < 0 for v in values):
            raise ValueError("intervals are counted from 0")
        return values

    @field_validator("lengths")
    @classmethod
    def _positive(cls, values: tuple[int, ...]) -> tuple[int, ...]:
        if any(v < 1 for v in values):
            raise ValueError("a shift lasts at least one interval")
        return values


class OptimisationFile(_Model):
    """What an optimisation file may contain (see the module docstring)."""

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME_LENGTH)
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    base: str
    overrides: tuple[str, ...] = Field(default=(), alias="set")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    decide: Decisions
    objective: Objective
    constraints: dict[str, Bound] = Field(default_factory=dict)
    search: SearchSettings = Field(default_factory=SearchSettings)
    shifts: dict[str, ShiftSpec] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _shift_pools_decided(self) -> OptimisationFile:
        for pool in self.shifts:
            if pool not in self.decide.pools:
                raise LocatedError(
                    ("shifts", pool),
                    f"not a decided pool; allowed: {', '.join(self.decide.pools)}",
                )
        return self
