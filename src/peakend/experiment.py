"""Experiments: what-if comparisons and factorial sweeps over a base scenario.

An experiment file (TOML) names a base scenario and what to vary::

    name = "staffing_whatif"
    base = "../configs/contact_centre.toml"   # relative to this file
    set = ["run.warmup_minutes=30"]           # optional overrides of the base
    seed = 7                                  # optional; the same for every scenario
    warmup_minutes = 30                       # optional, shorthand for run.warmup_minutes
    replications = 20                         # or the [replications] table below
    metrics = ["service_level", "abandonment_rate"]   # reported; default: all

    [replications]                            # sequential: batches until the 95 % CI
    min = 10                                  # half-width of `metric` is below the
    max = 200                                 # target in every scenario, or `max`
    target_half_width = 0.01
    metric = "service_level"

    [variants.lunch_plus_3]                   # named variants: overrides of the base
    set = ["pools.agents.staffing[8:12]+=3"]

    [sweep]                                   # factorial over dotted keys
    plot = ["service_level"]                  # metrics to plot (default: a few key ones)
    x = "pools.agents.staffing*"              # factor on the x axis (default: the first)
    [sweep.factors]
    "pools.agents.staffing*" = [0.8, 1.0, 1.2]
    "segments.regular.retry_probability" = [0.2, 0.4]

Overrides are ``key=value`` with the value read as TOML, as for ``peakend run
--set``, plus arithmetic on numbers and lists of numbers: ``key*=0.8``
multiplies, ``key+=3`` adds (a list value adds or multiplies element-wise), and
``key[8:12]`` restricts either (or a plain ``=``) to elements 8 to 11 (0-based,
end excluded, as in Python). Results for integer values, such as agents per
interval, are rounded to the nearest integer (halves to even, like Python's
``round`` and :func:`peakend.config.scale_staffing`). A sweep factor whose key
ends in ``*`` or ``+`` applies each of its values that way, so
``"pools.agents.staffing*" = [0.8, 1.2]`` scales the whole staffing plan. A
factor's levels are a list of values or a table ``{ label = value, ... }`` of
named values.

Every scenario of an experiment uses the same seed, so replication ``r`` of each
sees the same customers (common random numbers) and differences are paired.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import platform
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import __version__
from .config import (
    ConfigError,
    config_hash,
    load_scenario,
    load_toml,
    parse_override,
    scenario_from_dict,
    scenario_to_dict,
    set_dotted,
    validate_model,
)
from .executors import Executor, Failure, ProgressBar, SerialExecutor
from .runner import replicate, run_scenario
from .schema import LocatedError, Scenario
from .stats import Estimate, estimate, paired_difference
from .store import FailureRecord, ReplicationRecord, ResultStore, scenario_key

__all__ = [
    "Experiment",
    "ExperimentResult",
    "ReplicationPlan",
    "ScenarioSpec",
    "compare",
    "expand",
    "factor_levels",
    "load_experiment",
    "resolve_overrides",
    "run",
    "run_experiment",
    "sweep",
]

Kind = Literal["compare", "sweep"]
BASE_LABEL = "base"
CONFIDENCE_LEVEL = 0.95
PLOT_METRIC_PREFERENCE = (
    "retention_rate",
    "profit",
    "mean_remembered_utility",
    "service_level",
    "abandonment_rate",
    "mean_wait_minutes",
)
# Keys that must be equal in every scenario: the seed pairs replications (common
# random numbers); the experiment, not a variant, decides the replications.
_FIXED_KEYS = ("run.seed", "run.replications")


# --------------------------------------------------------------------------- schema


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
        return self.count is None

    @property
    def first(self) -> int:
        """Replications of the first batch."""
        return self.count if self.count is not None else self.min  # type: ignore[return-value]

    def describe(self) -> str:
        if self.count is not None:
            return f"{self.count} replications"
        return (
            f"{self.min} to {self.max} replications, until the 95% CI half-width of "
            f"{self.metric} is below {self.target_half_width:g}"
        )


class VariantSpec(_Model):
    """A named variant: overrides of the base scenario."""

    overrides: tuple[str, ...] = Field(default=(), alias="set")
    description: str = ""


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
        return factors

    @model_validator(mode="after")
    def _x_is_a_factor(self) -> SweepSpec:
        if self.x is not None and self.x not in self.factors:
            raise LocatedError(
                ("sweep", "x"),
                f"not a factor: {self.x!r}; allowed: {', '.join(self.factors)}",
            )
        return self


class ExperimentFile(_Model):
    """What an experiment file may contain (see the module docstring)."""

    name: str | None = None
    description: str = ""
    base: str
    overrides: tuple[str, ...] = Field(default=(), alias="set")
    seed: int | None = Field(default=None, ge=0)
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
        _check_variant_names(variants)
        return variants

    @model_validator(mode="after")
    def _something_to_do(self) -> ExperimentFile:
        if not self.variants and self.sweep is None:
            raise LocatedError(
                ("variants",), "an experiment needs [variants.NAME] tables or a [sweep] table"
            )
        return self


def _check_variant_names(names: Iterable[str]) -> None:
    for name in names:
        if name == BASE_LABEL:
            raise LocatedError(
                ("variants", name), f"{BASE_LABEL!r} names the base scenario; choose another name"
            )
        if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
            raise LocatedError(
                ("variants", name), "a variant name uses letters, digits and _ . + - only"
            )


# ------------------------------------------------------------------------ overrides


@dataclass(frozen=True)
class _Override:
    text: str
    path: list[str]
    op: str  # "=", "+=" or "*="
    index: slice | int | None
    value: Any

    @property
    def plain(self) -> bool:
        return self.op == "=" and self.index is None

    @property
    def key(self) -> str:
        return ".".join(self.path)


_INDEXED = re.compile(r"^(?P<key>[^\[\]]+)\[(?P<index>[^\]]*)\]$")


def _parse(text: str, source: str) -> _Override:
    if "=" not in text:
        raise ConfigError(f"{source}: {text!r}: expected dotted.key=value")
    left, right = text.split("=", 1)
    left = left.strip()
    op = "="
    if left.endswith(("*", "+")):
        op, left = left[-1] + "=", left[:-1].rstrip()
    index: slice | int | None = None
    indexed = _INDEXED.match(left)
    if indexed:
        left = indexed["key"].strip()
        index = _parse_index(indexed["index"], text, source)
    try:
        path, value = parse_override(f"{left}={right}")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return _Override(text, path, op, index, value)


def _parse_index(text: str, override: str, source: str) -> slice | int:
    try:
        if ":" not in text:
            return int(text)
        start, stop = (part.strip() for part in text.split(":", 1))
        return slice(int(start) if start else None, int(stop) if stop else None)
    except ValueError:
        raise ConfigError(
            f"{source}: {override!r}: index [{text}] must be [i] or [start:stop] (integers)"
        ) from None


def resolve_overrides(
    base_data: Mapping[str, Any], overrides: Iterable[str], source: str = "<overrides>"
) -> tuple[str, ...]:
    """Turn arithmetic overrides (``k*=x``, ``k+=x``, ``k[a:b]=x``) into plain ``k=value``.

    Each is computed from the value in ``base_data`` (with defaults filled in),
    after the overrides before it; plain overrides pass through unchanged. A pure
    function: ``base_data`` is not modified.

    Raises
    ------
    ConfigError
        For an unknown key, arithmetic on something that is not a number or a list
        of numbers, a list of the wrong length or a bad index; names ``source``.
    """
    parsed = [_parse(text, source) for text in overrides]
    if all(item.plain for item in parsed):
        return tuple(item.text for item in parsed)
    working = scenario_to_dict(scenario_from_dict(base_data, source))
    resolved = []
    for item in parsed:
        if item.plain:
            set_dotted(working, item.path, item.value)
            resolved.append(item.text)
            continue
        new = _apply(item, _lookup(working, item.path, source), f"{source}: {item.key}")
        set_dotted(working, item.path, new)
        resolved.append(f"{item.key}={_toml_value(new)}")
    return tuple(resolved)


def _lookup(data: Mapping[str, Any], path: list[str], source: str) -> Any:
    node: Any = data
    for depth, part in enumerate(path):
        if not isinstance(node, Mapping) or part not in node:
            where = ".".join(path[:depth]) or "the top level"
            allowed = ", ".join(node) if isinstance(node, Mapping) else "none (not a table)"
            raise ConfigError(
                f"{source}: {'.'.join(path)}: unknown key {part!r} in {where}; allowed: {allowed}"
            )
        node = node[part]
    return node


def _apply(item: _Override, current: Any, where: str) -> Any:
    if item.index is None:
        return _combine(item.op, current, item.value, where)
    if not isinstance(current, list):
        raise ConfigError(f"{where}: an index needs a list, the value is {current!r}")
    result = list(current)
    if isinstance(item.index, int):
        if not -len(current) <= item.index < len(current):
            raise ConfigError(f"{where}: index {item.index} out of range (length {len(current)})")
        result[item.index] = _combine(item.op, current[item.index], item.value, where)
        return result
    part = current[item.index]
    if not part:
        raise ConfigError(f"{where}: the slice selects no element (length {len(current)})")
    if item.op == "=" and not isinstance(item.value, list):
        new_part = [item.value] * len(part)
    else:
        new_part = _combine(item.op, part, item.value, where)
    if not isinstance(new_part, list) or len(new_part) != len(part):
        raise ConfigError(f"{where}: expected {len(part)} values for the slice")
    result[item.index] = new_part
    return result


def _combine(op: str, current: Any, value: Any, where: str) -> Any:
    if op == "=":
        return value
    if isinstance(current, list):
        values = value if isinstance(value, list) else [value] * len(current)
        if len(values) != len(current):
            raise ConfigError(
                f"{where}: {op} needs one number or {len(current)} of them, got {len(values)}"
            )
        return [_arithmetic(op, c, v, where) for c, v in zip(current, values, strict=True)]
    return _arithmetic(op, current, value, where)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _arithmetic(op: str, current: Any, value: Any, where: str) -> Any:
    if not (_is_number(current) and _is_number(value)):
        raise ConfigError(
            f"{where}: {op} works on numbers and lists of numbers, got {current!r} {op} {value!r}"
        )
    result = current + value if op == "+=" else current * value
    if isinstance(current, int):
        return round(result)  # integers (agents): as peakend.config.scale_staffing rounds
    return float(result)


def _toml_value(value: Any) -> str:
    """``value`` as a TOML value (inline), the inverse of ``parse_override``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"cannot write {value!r} as a TOML value")


def _check_fixed_keys(overrides: Iterable[str], source: str) -> None:
    for text in overrides:
        key = ".".join(_parse(text, source).path)
        if key in _FIXED_KEYS:
            raise ConfigError(
                f"{source}: {key}: cannot differ between the scenarios of an experiment "
                "(replication r of every scenario shares its seed: common random numbers); "
                "set the experiment's `seed` or `replications` instead"
            )


# --------------------------------------------------------------------------- sweeps


def factor_levels(factors: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The factorial grid: one ``{factor: level}`` per point, in :func:`expand`'s order.

    A level is the factor's value when it is a number, a boolean or a string, and
    its label otherwise (the name of a named level, or the value's TOML text);
    these are the factor columns of a sweep's tables.
    """
    grid = _grid(factors)
    by_value = {key: _plain_levels(levels) for key, levels in factors.items()}
    return [{key: value if by_value[key] else name for key, name, value in point} for point in grid]


def _plain_levels(levels: Any) -> bool:
    """Whether a factor's levels can be table columns as they are (numbers, or strings)."""
    if isinstance(levels, Mapping):
        return False
    if all(_is_number(v) for v in levels):
        return True
    return all(isinstance(v, str) for v in levels) or all(isinstance(v, bool) for v in levels)


def expand(
    base_data: Mapping[str, Any], factors: Mapping[str, Any], source: str = "<sweep>"
) -> list[tuple[str, tuple[str, ...]]]:
    """Expand a base scenario and factors into ``(label, overrides)``, one per grid point.

    ``factors`` maps a dotted key (optionally ending in ``*`` or ``+``, or with an
    index, see :func:`resolve_overrides`) to a list of values or a table of named
    values. The first factor varies slowest. The overrides are plain ``key=value``
    strings for :func:`peakend.config.scenario_from_dict` (``base_data``, with
    arithmetic already applied). A pure function: neither argument is modified.
    """
    keys = list(factors)
    short = _short_names(keys)
    points = []
    for point in _grid(factors):
        label = ", ".join(f"{short[key]}={name}" for key, name, _ in point)
        overrides = [f"{key}={_toml_value(value)}" for key, _, value in point]
        _check_fixed_keys(overrides, source)
        points.append((label, resolve_overrides(base_data, overrides, source)))
    return points


def _grid(factors: Mapping[str, Any]) -> list[list[tuple[str, str, Any]]]:
    axes = []
    for key, levels in factors.items():
        if isinstance(levels, Mapping):
            named = [(str(name), value) for name, value in levels.items()]
        elif isinstance(levels, (list, tuple)):
            named = [(_level_name(i, value), value) for i, value in enumerate(levels)]
        else:
            raise ConfigError(f"factor {key!r}: levels must be a list or a table, got {levels!r}")
        if not named:
            raise ConfigError(f"factor {key!r} has no levels")
        axes.append([(key, name, value) for name, value in named])
    return [list(point) for point in itertools.product(*axes)]


def _level_name(index: int, value: Any) -> str:
    if isinstance(value, str):
        return value
    text = _toml_value(value)
    return text if len(text) <= 24 else f"#{index}"


def _short_names(keys: Sequence[str]) -> dict[str, str]:
    """``pools.agents.staffing*`` -> ``staffing*``, unless two factors would look alike."""
    short = {}
    for key in keys:
        match = re.match(r"^([^\[*+]+)(.*)$", key)
        path, suffix = (match[1], match[2]) if match else (key, "")
        short[key] = path.split(".")[-1] + suffix
    if len(set(short.values())) < len(keys):
        return {key: key for key in keys}
    return short


# ------------------------------------------------------------------------ experiments


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario of an experiment: its label, overrides of the base, and key."""

    label: str
    overrides: tuple[str, ...]
    """Plain ``key=value`` overrides of the base (arithmetic already applied)."""
    scenario: Scenario
    key: str
    """:func:`peakend.store.scenario_key`: what the scenario's results depend on."""
    levels: dict[str, Any] = field(default_factory=dict)
    """Factor levels of a sweep point (the factor columns of the sweep's tables)."""
    requested: tuple[str, ...] = ()
    """The overrides as written (e.g. ``pools.agents.staffing*=0.8``)."""


@dataclass(frozen=True, eq=False)
class Experiment:
    """A base scenario and what to vary (variants to compare, factors to sweep).

    Build one with :func:`load_experiment` (from a file) or :meth:`from_scenario`.
    """

    name: str
    base: Scenario
    replications: ReplicationPlan
    variants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    factors: Mapping[str, Any] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None
    plot_metrics: tuple[str, ...] = ()
    x: str | None = None
    keep_records: bool = False
    source: str = "<experiment>"
    description: str = ""
    text: str | None = None  # the experiment file, copied into the run directory

    @classmethod
    def from_scenario(
        cls,
        base: Scenario,
        variants: Mapping[str, Sequence[str]] | None = None,
        factors: Mapping[str, Any] | None = None,
        replications: int | ReplicationPlan | None = None,
        metrics: Sequence[str] | None = None,
        name: str | None = None,
    ) -> Experiment:
        """An experiment without a file: ``variants`` maps names to override lists."""
        named = {str(k): tuple(v) for k, v in (variants or {}).items()}
        try:
            _check_variant_names(named)
        except ValueError as exc:
            raise ConfigError(f"variants: {exc}") from None
        return cls(
            name=name or base.name,
            base=base,
            replications=_plan(replications, base),
            variants=named,
            factors=dict(factors or {}),
            metrics=tuple(metrics) if metrics else None,
        )

    def with_changes(
        self,
        variants: Mapping[str, Sequence[str]] | None = None,
        factors: Mapping[str, Any] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> Experiment:
        """A copy with more variants, other factors or other reported metrics."""
        extra = {str(k): tuple(v) for k, v in (variants or {}).items()}
        try:
            _check_variant_names(extra)
        except ValueError as exc:
            raise ConfigError(f"variants: {exc}") from None
        return dataclasses.replace(
            self,
            variants={**self.variants, **extra},
            factors=dict(factors) if factors else self.factors,
            metrics=tuple(metrics) if metrics else self.metrics,
        )

    def specs(self, kind: Kind) -> list[ScenarioSpec]:
        """The scenarios to run: the base and each variant, or every sweep point."""
        if kind == "compare":
            return self._compare_specs()
        if kind == "sweep":
            return self._sweep_specs()
        raise ValueError(f"kind must be 'compare' or 'sweep', got {kind!r}")

    def _spec(
        self,
        label: str,
        overrides: tuple[str, ...],
        source: str,
        levels: dict[str, Any] | None = None,
        requested: tuple[str, ...] = (),
    ) -> ScenarioSpec:
        base_data = scenario_to_dict(self.base)
        scenario = scenario_from_dict(base_data, source, overrides) if overrides else self.base
        key = scenario_key(scenario)
        return ScenarioSpec(label, overrides, scenario, key, levels or {}, requested)

    def _compare_specs(self) -> list[ScenarioSpec]:
        if not self.variants:
            raise ConfigError(
                f"{self.source}: nothing to compare: add [variants.NAME] tables "
                "(or --variant NAME:KEY=VALUE)"
            )
        specs = [self._spec(BASE_LABEL, (), self.source)]
        base_data = scenario_to_dict(self.base)
        for name, overrides in self.variants.items():
            source = f"{self.source}: variants.{name}.set"
            _check_fixed_keys(overrides, source)
            resolved = resolve_overrides(base_data, overrides, source)
            specs.append(self._spec(name, resolved, source, requested=tuple(overrides)))
        return specs

    def _sweep_specs(self) -> list[ScenarioSpec]:
        if not self.factors:
            raise ConfigError(f"{self.source}: nothing to sweep: add a [sweep] table with factors")
        source = f"{self.source}: sweep.factors"
        points = expand(scenario_to_dict(self.base), self.factors, source)
        levels = factor_levels(self.factors)
        return [
            self._spec(label, overrides, source, level)
            for (label, overrides), level in zip(points, levels, strict=True)
        ]


def _plan(replications: int | ReplicationPlan | None, base: Scenario) -> ReplicationPlan:
    if isinstance(replications, ReplicationPlan):
        return replications
    count = base.run.replications if replications is None else replications
    if count < 1:
        raise ConfigError(f"replications must be at least 1, got {count}")
    return ReplicationPlan(count=count)


def is_experiment_data(data: Mapping[str, Any]) -> bool:
    """Whether TOML data is an experiment file (it names a ``base``) rather than a scenario."""
    return "base" in data


def load_experiment(path: str | Path, overrides: Iterable[str] = ()) -> Experiment:
    """Load an experiment file; ``overrides`` apply to its base (after its own ``set``).

    Raises
    ------
    ConfigError
        Naming the file and the key, for a bad experiment file, a missing or invalid
        base scenario, or an override naming a key that does not exist.
    """
    path = Path(path)
    source = str(path)
    spec = validate_model(ExperimentFile, load_toml(path), source)
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ConfigError(f"{source}: base: scenario file {base_path} not found")
    base_data = load_toml(base_path)
    base_set = list(spec.overrides)
    if spec.seed is not None:
        base_set.append(f"run.seed={spec.seed}")
    if spec.warmup_minutes is not None:
        base_set.append(f"run.warmup_minutes={spec.warmup_minutes!r}")
    base_set.extend(overrides)  # the caller's (command line) overrides win
    scenario_from_dict(base_data, str(base_path))  # errors in the base name the base file
    resolved = resolve_overrides(base_data, base_set, f"{source}: set")
    base = scenario_from_dict(base_data, f"{source}: set", resolved)
    sweep = spec.sweep
    return Experiment(
        name=spec.name or path.stem,
        base=base,
        replications=spec.replications or _plan(None, base),
        variants={name: variant.overrides for name, variant in spec.variants.items()},
        factors=dict(sweep.factors) if sweep else {},
        metrics=spec.metrics,
        plot_metrics=sweep.plot if sweep else (),
        x=sweep.x if sweep else None,
        keep_records=spec.keep_records,
        source=source,
        description=spec.description,
        text=path.read_text(encoding="utf-8"),
    )


def load_experiment_or_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Experiment:
    """An experiment file, or a scenario file as the base of an experiment to be completed."""
    if is_experiment_data(load_toml(path)):
        return load_experiment(path, overrides)
    experiment = Experiment.from_scenario(load_scenario(path, overrides))
    return dataclasses.replace(experiment, source=str(path))


# ---------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Job:
    """One replication of one scenario: the unit of work sent to an executor."""

    key: str
    scenario: Scenario
    replication: int


@dataclass(frozen=True)
class ReplicationTask:
    """Picklable ``Job -> ReplicationRecord``: runs ``replicate_fn`` and keeps what is stored."""

    keep_tables: bool = False
    replicate_fn: Any = replicate

    def __call__(self, job: Job) -> ReplicationRecord:
        result = self.replicate_fn(job.scenario, job.replication)
        return ReplicationRecord.from_result(job.key, result, self.keep_tables)


class _Session:
    """One call of :func:`run_experiment`: what is done, what ran, what failed."""

    def __init__(
        self,
        specs: list[ScenarioSpec],
        store: ResultStore | None,
        executor: Executor,
        task: ReplicationTask,
        bar: ProgressBar,
    ) -> None:
        self.scenarios: dict[str, ScenarioSpec] = {}
        for spec in specs:  # equal scenarios (same key) run once, under the first label
            self.scenarios.setdefault(spec.key, spec)
        self.store, self.executor, self.task, self.bar = store, executor, task, bar
        self.records: dict[str, dict[int, ReplicationRecord]] = {k: {} for k in self.scenarios}
        self.failures: dict[tuple[str, int], FailureRecord] = {}
        self.stored = {k: store.completed(k) if store else set() for k in self.scenarios}
        self.ran = self.skipped = 0
        self.replication_seconds = 0.0

    def run_to(self, replications: int) -> int:
        """Make replications 0..n-1 of every scenario available; return new failures."""
        jobs = []
        for key, spec in self.scenarios.items():
            done = self.records[key]
            for r in range(replications):
                if r in done:
                    continue
                if r in self.stored[key] and self.store is not None:
                    done[r] = self.store.load(key, r)
                    self.skipped += 1
                else:
                    jobs.append(Job(key, spec.scenario, r))
        self.bar.add(len(jobs))
        failed = 0
        for outcome in self.executor.as_completed(self.task, jobs):
            failed += not self._keep(outcome.item, outcome.value, outcome.failure)
            self.ran += 1
            self.bar.advance()
        return failed

    def _keep(self, job: Job, record: ReplicationRecord | None, failure: Failure | None) -> bool:
        if failure is not None or record is None:
            label = self.scenarios[job.key].label
            failed = FailureRecord(job.key, label, job.replication, failure or _no_result())
            self.failures[(job.key, job.replication)] = failed
            if self.store is not None:
                self.store.save_failure(failed)
            return False
        if self.store is not None:
            self.store.save(record)
        self.records[job.key][job.replication] = dataclasses.replace(record, tables={})
        self.failures.pop((job.key, job.replication), None)
        self.replication_seconds += record.seconds
        return True

    def worst_half_width(self, metric: str, source: str) -> float:
        widths = []
        for records in self.records.values():
            values = [_metric(rec, metric, source) for rec in records.values()]
            widths.append(estimate(values, CONFIDENCE_LEVEL).half_width)
        return max((math.inf if math.isnan(w) else w) for w in widths)


def _no_result() -> Failure:
    return Failure("RuntimeError", "the task returned no result", "")


def _metric(record: ReplicationRecord, metric: str, source: str) -> float:
    try:
        return record.metrics[metric]
    except KeyError:
        allowed = ", ".join(record.metrics)
        raise ConfigError(
            f"{source}: replications.metric: unknown metric {metric!r}; allowed: {allowed}"
        ) from None


def _next_count(current: int, worst: float, plan: ReplicationPlan) -> int:
    # The half-width shrinks like 1/sqrt(n): aim for the target, but at most
    # double per batch, because early estimates of the spread are noisy.
    target = plan.target_half_width or math.inf
    needed = math.ceil(current * (worst / target) ** 2) if math.isfinite(worst) else 2 * current
    return min(plan.max or current, max(current + 1, min(needed, 2 * current)))


def run_experiment(
    experiment: Experiment,
    kind: Kind = "compare",
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    replicate_fn: Any = replicate,
) -> ExperimentResult:
    """Run every scenario of ``experiment`` (its variants, or its sweep grid).

    ``replications`` replaces the experiment's plan by a fixed number. ``executor``
    runs the replications (default: serially in this process); pass one opened
    with ``with`` and close it yourself. With ``out``, every replication is stored
    in that run directory as it finishes, finished ones found there are not run
    again, failed ones are retried, and the aggregated tables are written at the
    end (``compare.csv`` or ``sweep_tidy.parquet`` and ``sweep_summary.csv``, and
    ``summary.json``). A replication that raises is recorded (in the result's
    ``failures`` and the store) and the others go on. ``replicate_fn(scenario, r)``
    replaces :func:`peakend.runner.replicate` (for tests; it must be picklable).
    """
    specs = experiment.specs(kind)
    plan = ReplicationPlan(count=replications) if replications else experiment.replications
    store = ResultStore(out) if out is not None else None
    executor = executor or SerialExecutor()
    task = ReplicationTask(experiment.keep_records and store is not None, replicate_fn)
    started, clock = time.time(), time.perf_counter()
    manifest = _manifest(experiment, kind, specs, plan, store)
    if store is not None:
        for spec in specs:
            store.save_scenario(spec.key, spec.scenario)
        if experiment.text is not None:
            store.write_text("experiment.toml", experiment.text)
    with ProgressBar(progress, f"{experiment.name}: {kind}") as bar:
        session = _Session(specs, store, executor, task, bar)
        status, count = "interrupted", plan.first
        try:
            count = _run_plan(session, plan, experiment.source)
            status = "finished"
        finally:
            if store is not None:
                _close_manifest(store, manifest, session, executor, started, clock, status, count)
    result = ExperimentResult(
        experiment=experiment,
        kind=kind,
        specs=specs,
        replications=count,
        records=session.records,
        failures=sorted(session.failures.values(), key=lambda f: (f.label, f.replication)),
        ran=session.ran,
        skipped=session.skipped,
        seconds=time.perf_counter() - clock,
    )
    if store is not None:
        result.write(store)
    return result


def _run_plan(session: _Session, plan: ReplicationPlan, source: str) -> int:
    count = plan.first
    while True:
        failed = session.run_to(count)
        if not plan.sequential or failed or count >= (plan.max or count):
            return count
        worst = session.worst_half_width(plan.metric, source)
        if worst <= (plan.target_half_width or 0):
            return count
        count = _next_count(count, worst, plan)


def _manifest(
    experiment: Experiment,
    kind: str,
    specs: list[ScenarioSpec],
    plan: ReplicationPlan,
    store: ResultStore | None,
) -> dict[str, Any]:
    previous = store.read_manifest() if store is not None else {}
    return {
        "experiment": experiment.name,
        "description": experiment.description,
        "source": experiment.source,
        "kind": kind,
        "peakend_version": __version__,
        "python": platform.python_version(),
        "confidence_level": CONFIDENCE_LEVEL,
        "replication_plan": plan.model_dump(exclude_none=True),
        "scenarios": [
            {
                "label": spec.label,
                "key": spec.key,
                "config_hash": config_hash(spec.scenario),
                "seed": spec.scenario.run.seed,
                "requested": list(spec.requested),
                "overrides": list(spec.overrides),
                "factors": spec.levels,
            }
            for spec in specs
        ],
        "sessions": list(previous.get("sessions", [])),
    }


def _close_manifest(
    store: ResultStore,
    manifest: dict[str, Any],
    session: _Session,
    executor: Executor,
    started: float,
    clock: float,
    status: str,
    count: int,
) -> None:
    manifest["replications"] = count
    manifest["sessions"].append(
        {
            "status": status,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.perf_counter() - clock, 3),
            "replication_seconds": round(session.replication_seconds, 3),
            "executor": executor.describe(),
            "ran": session.ran,
            "skipped": session.skipped,
            "failed": len(session.failures),
        }
    )
    manifest["failures"] = [
        {k: v for k, v in f.as_dict().items() if k != "traceback"}
        for f in session.failures.values()
    ]
    store.write_manifest(manifest)


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """Per-replication metrics of every scenario of an experiment, and their summaries."""

    experiment: Experiment
    kind: str
    specs: list[ScenarioSpec]
    replications: int
    records: Mapping[str, Mapping[int, ReplicationRecord]]
    failures: list[FailureRecord]
    ran: int
    skipped: int
    seconds: float

    @property
    def metric_names(self) -> list[str]:
        """Every metric the replications produced, in their order."""
        for records in self.records.values():
            for record in records.values():
                return list(record.metrics)
        return []

    @property
    def reported_metrics(self) -> list[str]:
        """The experiment's ``metrics`` (checked), or every metric."""
        names = self.metric_names
        if self.experiment.metrics is None:
            return names
        unknown = [m for m in self.experiment.metrics if m not in names]
        if unknown and names:
            raise ConfigError(
                f"{self.experiment.source}: metrics: unknown metric {unknown[0]!r}; "
                f"allowed: {', '.join(names)}"
            )
        return list(self.experiment.metrics)

    @property
    def plot_metrics(self) -> list[str]:
        """Metrics worth a plot: the experiment's choice, or a few key ones that exist."""
        names = self.metric_names
        if self.experiment.plot_metrics:
            unknown = [m for m in self.experiment.plot_metrics if m not in names]
            if unknown and names:
                raise ConfigError(
                    f"{self.experiment.source}: sweep.plot: unknown metric {unknown[0]!r}; "
                    f"allowed: {', '.join(names)}"
                )
            return list(self.experiment.plot_metrics)
        chosen = [m for m in PLOT_METRIC_PREFERENCE if m in self.reported_metrics]
        return chosen[:4] or self.reported_metrics[:1]

    def values(self, spec: ScenarioSpec, metric: str) -> dict[int, float]:
        """``replication -> value`` of one metric of one scenario (failed ones left out)."""
        records = self.records.get(spec.key, {})
        return {r: records[r].metrics[metric] for r in sorted(records)}

    def tidy_frame(self) -> pd.DataFrame:
        """One row per scenario and replication: labels, factor levels and every metric."""
        rows = []
        for spec in self.specs:
            for r, record in sorted(self.records.get(spec.key, {}).items()):
                rows.append(
                    {"scenario": spec.label, **spec.levels, "replication": r, **record.metrics}
                )
        return pd.DataFrame(rows)

    def summary_frame(self, level: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
        """One row per scenario and metric: mean, confidence interval, half-width, n."""
        rows = []
        for spec in self.specs:
            for metric in self.reported_metrics:
                est = estimate(list(self.values(spec, metric).values()), level)
                rows.append(
                    {"scenario": spec.label, **spec.levels, "metric": metric, **_columns(est)}
                )
        return pd.DataFrame(rows)

    def compare_frame(self, level: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
        """One row per metric and variant: mean and CI, and the paired difference from the base.

        ``diff`` is variant − base over the replications both finished (common
        random numbers); ``significant`` when its interval excludes zero. The
        base's own row has NaN differences.
        """
        base, rows = self.specs[0], []
        for metric in self.reported_metrics:
            base_values = self.values(base, metric)
            for spec in self.specs:
                values = self.values(spec, metric)
                est = estimate(list(values.values()), level)
                diff = Estimate(math.nan, math.nan, math.nan, 0)
                if spec is not base:
                    common = sorted(set(values) & set(base_values))
                    diff = paired_difference(
                        [values[r] for r in common], [base_values[r] for r in common], level
                    )
                rows.append(
                    {
                        "variant": spec.label,
                        "metric": metric,
                        **_columns(est),
                        "diff": diff.mean,
                        "diff_ci_low": diff.ci_low,
                        "diff_ci_high": diff.ci_high,
                        "significant": diff.excludes_zero(),
                    }
                )
        return pd.DataFrame(rows)

    def summary_dict(self) -> dict[str, Any]:
        """The ``summary.json`` content (no timings: equal runs give equal files)."""
        scenarios: dict[str, Any] = {}
        frame = self.compare_frame() if self.kind == "compare" else self.summary_frame()
        label_column = "variant" if self.kind == "compare" else "scenario"
        for spec in self.specs:
            rows = frame[frame[label_column] == spec.label]
            metrics = {}
            for row in rows.to_dict("records"):
                entry = {k: row[k] for k in ("mean", "ci_low", "ci_high", "n")}
                if self.kind == "compare" and spec.label != BASE_LABEL:
                    entry["difference"] = {
                        "mean": row["diff"],
                        "ci_low": row["diff_ci_low"],
                        "ci_high": row["diff_ci_high"],
                        "significant": bool(row["significant"]),
                    }
                metrics[row["metric"]] = entry
            scenarios[spec.label] = {
                "key": spec.key,
                "overrides": list(spec.overrides),
                "factors": spec.levels,
                "metrics": metrics,
            }
        return {
            "experiment": self.experiment.name,
            "kind": self.kind,
            "replications": self.replications,
            "seed": self.specs[0].scenario.run.seed,
            "confidence_level": CONFIDENCE_LEVEL,
            "failed_replications": len(self.failures),
            "scenarios": scenarios,
        }

    def write(self, store: ResultStore) -> None:
        """Write the aggregated tables and ``summary.json`` into the run directory."""
        if self.kind == "compare":
            store.write_table("compare.csv", self.compare_frame())
        else:
            store.write_table("sweep_tidy.parquet", self.tidy_frame())
            store.write_table("sweep_summary.csv", self.summary_frame())
        store.write_json("summary.json", self.summary_dict())


def _columns(est: Estimate) -> dict[str, Any]:
    return {
        "mean": est.mean,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "half_width": est.half_width,
        "n": est.n,
    }


# -------------------------------------------------------------------------- shortcuts


def _as_experiment(
    base: Experiment | Scenario | str | Path,
    variants: Mapping[str, Sequence[str]] | None = None,
    factors: Mapping[str, Any] | None = None,
    metrics: Sequence[str] | None = None,
) -> Experiment:
    if isinstance(base, Experiment):
        experiment = base
    elif isinstance(base, Scenario):
        experiment = Experiment.from_scenario(base)
    else:
        experiment = load_experiment_or_scenario(base)
    return experiment.with_changes(variants=variants, factors=factors, metrics=metrics)


def compare(
    base: Experiment | Scenario | str | Path,
    variants: Mapping[str, Sequence[str]] | None = None,
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    metrics: Sequence[str] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Compare variants with a base; one row per metric and variant (see
    :meth:`ExperimentResult.compare_frame`).

    ``base`` is a scenario, a scenario or experiment file, or an
    :class:`Experiment`; ``variants`` maps names to override lists (added to an
    experiment's own). Other arguments as for :func:`run_experiment`.
    """
    experiment = _as_experiment(base, variants=variants, metrics=metrics)
    result = run_experiment(
        experiment,
        "compare",
        replications=replications,
        executor=executor,
        out=out,
        progress=progress,
    )
    return result.compare_frame()


def sweep(
    base: Experiment | Scenario | str | Path,
    factors: Mapping[str, Any] | None = None,
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    metrics: Sequence[str] | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a factorial sweep; return the tidy table (one row per scenario and
    replication) and the aggregated one (one row per scenario and metric)."""
    experiment = _as_experiment(base, factors=factors, metrics=metrics)
    result = run_experiment(
        experiment,
        "sweep",
        replications=replications,
        executor=executor,
        out=out,
        progress=progress,
    )
    return result.tidy_frame(), result.summary_frame()


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    overrides: Iterable[str] = (),
) -> pd.DataFrame:
    """Run one scenario; one row per replication, one column per metric."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = scenario_from_dict(scenario_to_dict(scenario), scenario.name, overrides)
    mapper = executor.map if executor is not None else None
    return run_scenario(scenario, replications, mapper=mapper).metrics_frame()
