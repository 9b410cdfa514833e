"""What an experiment file may contain: one typed, frozen schema (pydantic).

:func:`peakend.experiments.api.load_experiment` validates a file against
:class:`ExperimentFile`; an unknown key, a wrong type or an incomplete
replication plan is an error naming the file and the key path (see
:mod:`peakend.experiments.api` for the file format).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from peakend.base.names import MAX_NAME_LENGTH
from peakend.config.schema import MAX_DESCRIPTION_LENGTH, MAX_SEED, LocatedError
from peakend.experiments.grid import factor_names

__all__ = [
    "BASE_LABEL",
    "ExperimentFile",
    "ReplicationPlan",
    "SweepSpec",
    "VariantSpec",
    "check_variant_names",
]

BASE_LABEL = "base"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ReplicationPlan(_Model):
    """A fixed number of replications, or a sequential rule (min, max, target half-width)."""

    count: int | None = Field(default=None, ge=1, le=100_000)
    min: int | None = Field(default=None, ge=2, le=100_000)
    max: int | None = Field(default=None, ge=2, le=100_000)
    target_half_width: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    metric: str = "service_level"

    @model_validator(mode="after")
    def _complete(self) -> ReplicationPlan:
        sequential = (self.min, self.max, self.target_half_width)
        if self.count is not None:
            if any(v is not None for v in sequential):
                raise LocatedError(
                    ("replications",),
                    "give either a number of replications or min, max and target_half_width",
                )
            return self
        for name, value in zip(("min", "max", "target_half_width"), sequential, strict=True):
            if value is None:
                raise LocatedError(
                    ("replications", name),
                    "required for sequential replications (min, max, target_half_width)",
                )
        if self.max < self.min:  # type: ignore[operator]
            raise LocatedError(
                ("replications", "max"), f"must be >= min ({self.min}), got {self.max}"
            )
        return self

    @property
    def sequential(self) -> bool:
        """Whether replications are added in batches until a target precision."""
        return self.count is None

    @property
    def first(self) -> int:
        """Replications of the first batch."""
        return self.count if self.count is not None else self.min  # type: ignore[return-value]

    def describe(self) -> str:
        """The plan in words, e.g. ``10 replications``."""
        if self.count is not None:
            return f"{self.count} replications"
        return (
            f"{self.min} to {self.max} replications, until the 95% CI half-width of "
            f"{self.metric} is below {self.target_half_width:g}"
        )


class VariantSpec(_Model):
    """A named variant: overrides of the base scenario."""

    overrides: tuple[str, ...] = Field(default=(), alias="set")
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)


class SweepSpec(_Model):
    """A factorial sweep: every combination of the factors' levels."""

    factors: dict[str, Any] = Field(min_length=1)
    plot: tuple[str, ...] = ()
    x: str | None = None

    @field_validator("factors")
    @classmethod
    def _levels(cls, factors: dict[str, Any]) -> dict[str, Any]:
        for key, levels in factors.items():
            if not isinstance(levels, (list, dict)):
                raise LocatedError(
                    ("sweep", "factors", key),
                    f"levels must be a list of values or a table of named values, got {levels!r}",
                )
            if len(levels) == 0:
                raise LocatedError(("sweep", "factors", key), "a factor needs at least one level")
            for name in levels if isinstance(levels, dict) else ():
                if not 1 <= len(name) <= MAX_NAME_LENGTH:
                    raise LocatedError(
                        ("sweep", "factors", key, name[:60]),
                        f"a level's name has 1 to {MAX_NAME_LENGTH} characters, "
                        f"this one {len(name)}",
                    )
        return factors

    @model_validator(mode="after")
    def _x_is_a_factor(self) -> SweepSpec:
        names = factor_names(list(self.factors))
        if self.x is not None and self.x not in self.factors and self.x not in names.values():
            raise LocatedError(
                ("sweep", "x"),
                f"not a factor: {self.x!r}; allowed: {', '.join([*self.factors, *names.values()])}",
            )
        return self


class ExperimentFile(_Model):
    """What an experiment file may contain (see :mod:`peakend.experiments.api`)."""

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME_LENGTH)
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    base: str
    overrides: tuple[str, ...] = Field(default=(), alias="set")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    warmup_minutes: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    replications: ReplicationPlan | None = None
    metrics: tuple[str, ...] | None = Field(default=None, min_length=1)
    variants: dict[str, VariantSpec] = Field(default_factory=dict)
    sweep: SweepSpec | None = None
    keep_records: bool = False

    @field_validator("replications", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"count": value}
        if value is not None and not isinstance(value, (dict, ReplicationPlan)):
            raise ValueError(
                "a number of replications, or a table with min, max, target_half_width and metric"
            )
        return value

    @field_validator("variants")
    @classmethod
    def _names(cls, variants: dict[str, VariantSpec]) -> dict[str, VariantSpec]:
        check_variant_names(variants)
        return variants

    @model_validator(mode="after")
    def _something_to_do(self) -> ExperimentFile:
        if not self.variants and self.sweep is None:
            raise LocatedError(
                ("variants",), "an experiment needs [variants.NAME] tables or a [sweep] table"
            )
        return self


def check_variant_names(names: Iterable[str]) -> None:
    """Check that no variant is called ``base`` and names are file-name safe.

    Raises
    ------
    LocatedError
        (a ``ValueError``) naming ``variants.NAME``.
    """
    for name in names:
        if name == BASE_LABEL:
            raise LocatedError(
                ("variants", name), f"{BASE_LABEL!r} names the base scenario; choose another name"
            )
        if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
            raise LocatedError(
                ("variants", name), "a variant name uses letters, digits and _ . + - only"
            )
        if len(name) > MAX_NAME_LENGTH:
            raise LocatedError(
                ("variants", name[:60]),
                f"a variant name has at most {MAX_NAME_LENGTH} characters, this one {len(name)}",
            )
