"""The scenario schema: one typed, frozen description of a service system.

Every default lives here. Scenario files (TOML) load into :class:`Scenario`
through :mod:`peakend.config`, which turns validation failures into messages
that name the file and the key path. Units: minutes for every duration, money
in one currency of the user's choice, probabilities in [0, 1].
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .distributions import Distribution, Exponential, Fixed

__all__ = [
    "ArrivalsConfig",
    "AttributeConfig",
    "PoolConfig",
    "RunConfig",
    "Scenario",
    "SegmentConfig",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RunConfig(_Model):
    """How one scenario is run: horizon handling, replications, seed, statistics window."""

    replications: int = Field(10, ge=1, le=100_000, description="independent replications")
    seed: int = Field(0, ge=0, description="root seed of the numpy SeedSequence")
    warmup_minutes: float = Field(
        0.0, ge=0, description="customers arriving before this are not counted"
    )
    drain: bool = Field(
        True,
        description="after the last interval, keep the last shift on until the queue is empty "
        "(no new arrivals, retries or repeat contacts); false cuts the run at the horizon",
    )
    service_level_threshold_minutes: float = Field(
        1 / 3, gt=0, description="answered within this wait counts towards the service level"
    )


class ArrivalsConfig(_Model):
    """Poisson arrivals with a piecewise-constant time-of-day rate profile."""

    interval_minutes: float = Field(30.0, gt=0, allow_inf_nan=False)
    rate_per_hour: tuple[float, ...] = Field(
        min_length=1, description="arrival rate in each interval, customers per hour"
    )

    @field_validator("rate_per_hour")
    @classmethod
    def _rates_non_negative(cls, rates: tuple[float, ...]) -> tuple[float, ...]:
        for i, rate in enumerate(rates):
            if not (rate >= 0 and math.isfinite(rate)):
                raise ValueError(f"rate of interval {i} must be a finite number >= 0, got {rate}")
        return rates


class AttributeConfig(_Model):
    """A per-agent attribute on [0, 1], drawn as a normal clipped to [0, 1]."""

    mean: float = Field(0.7, ge=0, le=1)
    sd: float = Field(0.1, ge=0, allow_inf_nan=False)


class SegmentConfig(_Model):
    """A customer segment: its share of arrivals and how its customers behave."""

    share: float = Field(gt=0, le=1, description="share of arrivals; shares must sum to 1")
    patience: Distribution = Field(
        default_factory=lambda: Fixed(value=math.inf),
        description="time a customer is willing to wait in a queue before abandoning",
    )
    expected_wait_minutes: float = Field(1.0, ge=0, allow_inf_nan=False)
    value_per_visit: float = Field(0.0, ge=0, allow_inf_nan=False)
    retry_probability: float = Field(0.0, ge=0, le=1)
    retry_delay: Distribution = Field(default_factory=lambda: Exponential(mean=10.0))
    recontact_probability: float = Field(
        0.0, ge=0, le=1, description="an unresolved customer contacts again with this probability"
    )
    recontact_delay: Distribution = Field(default_factory=lambda: Exponential(mean=60.0))
    max_contacts: int = Field(
        5, ge=1, le=100, description="contacts (first, retries, repeats) a customer makes at most"
    )
    entry_pool: str | None = Field(
        None, description="pool that takes this segment's contacts; default: the first pool"
    )


class PoolConfig(_Model):
    """A staff pool: its schedule, absenteeism, service times and agent attributes."""

    staffing: tuple[int, ...] = Field(
        min_length=1, description="agents scheduled in each arrival interval"
    )
    service_time: Distribution = Field(default_factory=lambda: Exponential(mean=5.0))
    absenteeism: float = Field(
        0.0, ge=0, lt=1, description="probability that a rostered agent is absent all day"
    )
    first_contact_resolution: float = Field(
        1.0, ge=0, le=1, description="probability that a service resolves the problem"
    )
    skill_effect: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="resolution probability moves by this much per unit of agent skill "
        "above the pool's mean skill",
    )
    warmth: AttributeConfig = Field(default_factory=AttributeConfig)
    skill: AttributeConfig = Field(default_factory=AttributeConfig)

    @field_validator("staffing")
    @classmethod
    def _staff_non_negative(cls, staffing: tuple[int, ...]) -> tuple[int, ...]:
        for i, agents in enumerate(staffing):
            if agents < 0:
                raise ValueError(f"agents in interval {i} must be >= 0, got {agents}")
        return staffing


class Scenario(_Model):
    """A complete, validated description of one service system."""

    name: str = "scenario"
    description: str = ""
    run: RunConfig = Field(default_factory=RunConfig)
    arrivals: ArrivalsConfig
    segments: dict[str, SegmentConfig] = Field(
        default_factory=lambda: {"customers": SegmentConfig(share=1.0)}, min_length=1
    )
    pools: dict[str, PoolConfig] = Field(min_length=1)

    @property
    def intervals(self) -> int:
        """Number of arrival/staffing intervals."""
        return len(self.arrivals.rate_per_hour)

    @property
    def horizon_minutes(self) -> float:
        """Length of the simulated day: intervals times interval length."""
        return self.intervals * self.arrivals.interval_minutes

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        n = self.intervals
        for name, pool in self.pools.items():
            if len(pool.staffing) != n:
                raise _located(
                    ("pools", name, "staffing"),
                    f"expected {n} values (one per {self.arrivals.interval_minutes:g}-minute "
                    f"interval of arrivals.rate_per_hour), got {len(pool.staffing)}",
                )
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise _located(("segments",), f"segment shares must sum to 1, got {total:.6g}")
        for name, segment in self.segments.items():
            if segment.entry_pool is not None and segment.entry_pool not in self.pools:
                raise _located(
                    ("segments", name, "entry_pool"),
                    f"unknown pool {segment.entry_pool!r}; allowed: {', '.join(self.pools)}",
                )
        if self.run.warmup_minutes >= self.horizon_minutes:
            raise _located(
                ("run", "warmup_minutes"),
                f"must be shorter than the horizon ({self.horizon_minutes:g} minutes), "
                f"got {self.run.warmup_minutes:g}",
            )
        return self

    def entry_pool(self, segment: str) -> str:
        """Name of the pool that takes a segment's contacts."""
        return self.segments[segment].entry_pool or next(iter(self.pools))


class LocatedError(ValueError):
    """A cross-field validation error that knows which key it is about."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _located(loc: tuple[str, ...], message: str) -> LocatedError:
    return LocatedError(loc, message)


def schema_defaults() -> dict[str, Any]:
    """Field names and defaults of each section, for documentation and ``peakend schema``."""
    return {
        section.__name__: {
            name: (None if info.is_required() else info.get_default(call_default_factory=True))
            for name, info in section.model_fields.items()
        }
        for section in (RunConfig, ArrivalsConfig, SegmentConfig, PoolConfig, AttributeConfig)
    }
