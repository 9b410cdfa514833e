"""An optimisation problem: the base scenario, the decisions, the objective and constraints.

:func:`load_optimisation` reads an optimisation file (format in
:mod:`peakend.optimise.schema`), checks it against the base scenario and returns
an :class:`Optimisation`; :meth:`Optimisation.scenario` turns a
:class:`~peakend.optimise.plans.Plan` into the scenario it runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peakend.base.errors import ConfigError, listing
from peakend.config.loading import (
    load_toml,
    read_arrival_files,
    scenario_from_dict,
    scenario_to_dict,
    validate_model,
)
from peakend.config.schema import LocatedError, Scenario
from peakend.optimise.plans import Plan
from peakend.optimise.schema import (
    DERIVED_METRICS,
    INTERVAL_METRICS,
    Bound,
    DecidePools,
    Objective,
    OptimisationFile,
    SearchSettings,
    ShiftSpec,
)
from peakend.runs.runner import metric_names

__all__ = ["Bounds", "Optimisation", "load_optimisation", "optimisation_from_dict"]


@dataclass(frozen=True)
class Bounds:
    """The agents a pool may have in each interval, and the intervals that may move."""

    low: tuple[int, ...]
    high: tuple[int, ...]
    movable: tuple[int, ...]

    def clamp(self, agents: Iterable[int]) -> tuple[int, ...]:
        """``agents`` within the bounds (intervals that may not move are kept as given)."""
        return tuple(
            min(max(n, lo), hi) if i in self.movable else n
            for i, (n, lo, hi) in enumerate(zip(agents, self.low, self.high, strict=True))
        )


@dataclass(frozen=True, eq=False)
class Optimisation:
    """What to decide, what to optimise, what must hold, and the search's budget."""

    name: str
    base: Scenario
    bounds: Mapping[str, Bounds]
    choices: Mapping[str, tuple[Any, ...]]
    objective: Objective
    constraints: Mapping[str, Bound]
    search: SearchSettings = field(default_factory=SearchSettings)
    shifts: Mapping[str, ShiftSpec] = field(default_factory=dict)
    source: str = "<optimisation>"
    description: str = ""

    @property
    def multi_period(self) -> bool:
        return self.base.retention.periods > 1

    def policies(self) -> list[dict[str, Any]]:
        """Every combination of the choices' levels (one empty one without choices)."""
        keys = list(self.choices)
        return [dict(zip(keys, levels, strict=True)) for levels in self._levels()]

    def _levels(self) -> Iterable[tuple[Any, ...]]:
        return itertools.product(*(self.choices[key] for key in self.choices))

    def today(self) -> Plan:
        """The base scenario's own plan: its staffing and its levels of the choices."""
        data = scenario_to_dict(self.base)
        choices = {key: _dotted(data, key) for key in self.choices}
        staffing = {pool: self.base.pools[pool].staffing for pool in self.bounds}
        return Plan.of(staffing, choices)

    def scenario(self, plan: Plan) -> Scenario:
        """The base scenario with ``plan`` applied.

        With warm-up periods every plan warms up under the base's plan, as an
        experiment's variants do: a plan acts on the customers today's plan left.

        Raises
        ------
        ConfigError
            When the plan's overrides make an invalid scenario (naming the problem).
        """
        scenario = scenario_from_dict(
            scenario_to_dict(self.base), f"{self.source}: plan", plan.overrides()
        )
        if self.base.retention.warmup_periods:
            scenario = scenario.with_warmup_base(self.base)
        return scenario

    def cost_per_agent_interval(self, pool: str) -> float:
        """What one more agent in one interval of ``pool`` costs (money)."""
        hours = self.base.arrivals.interval_minutes / 60
        days = self.base.retention.periods * self.base.retention.days_per_period
        return self.base.pools[pool].agent_cost_per_hour * hours * (days if days > 1 else 1)


def _dotted(data: Mapping[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        value = value[part] if isinstance(value, Mapping) and part in value else None
    return value


def load_optimisation(path: str | Path, overrides: Iterable[str] = ()) -> Optimisation:
    """Load and check an optimisation file; ``overrides`` apply to its base last.

    Raises
    ------
    ConfigError
        One line per problem naming the file and the key: a bad key or value, a
        missing base, a pool or metric the base does not have, a choice whose level
        does not apply.
    """
    path = Path(path)
    return optimisation_from_dict(load_toml(path), path, overrides)


def optimisation_from_dict(
    data: Mapping[str, Any], path: str | Path, overrides: Iterable[str] = ()
) -> Optimisation:
    """An :class:`Optimisation` from an optimisation file's data (``path``: where it lives)."""
    path = Path(path)
    source = str(path)
    spec = validate_model(OptimisationFile, data, source)
    base = _load_base(path, spec, overrides)
    bounds = {name: _bounds(base, name, pools, source) for name, pools in spec.decide.pools.items()}
    _check_choices(base, spec.decide.choices, source)
    _check_metrics(base, spec, source)
    _check_shifts(base, spec.shifts, source)
    return Optimisation(
        name=spec.name or path.stem,
        base=base,
        bounds=bounds,
        choices=dict(spec.decide.choices),
        objective=spec.objective,
        constraints=dict(spec.constraints),
        search=spec.search,
        shifts=dict(spec.shifts),
        source=source,
        description=spec.description,
    )


def _load_base(path: Path, spec: OptimisationFile, overrides: Iterable[str]) -> Scenario:
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ConfigError(f"{path}: base: scenario file {base_path} not found")
    base_data = read_arrival_files(load_toml(base_path), base_path)
    scenario_from_dict(base_data, str(base_path))  # errors in the base name the base file
    extra = list(spec.overrides)
    if spec.seed is not None:
        extra.append(f"run.seed={spec.seed}")
    return scenario_from_dict(base_data, f"{path}: set", [*extra, *overrides])


def _bounds(base: Scenario, pool: str, decide: DecidePools, source: str) -> Bounds:
    if pool not in base.pools:
        raise ConfigError(
            f"{source}: decide.pools.{pool}: no such pool in the base; "
            f"allowed: {listing(base.pools)}"
        )
    try:
        low, high = decide.bounds(base.intervals, ("decide", "pools", pool))
    except LocatedError as exc:
        raise ConfigError(f"{source}: {'.'.join(exc.loc)}: {exc.message}") from None
    movable = tuple(sorted(set(decide.intervals))) if decide.intervals else tuple(range(len(low)))
    return Bounds(tuple(low), tuple(high), movable)


def _check_choices(base: Scenario, choices: Mapping[str, tuple[Any, ...]], source: str) -> None:
    """Apply every level to the base once, so a bad key or level is refused before running."""
    data = scenario_to_dict(base)
    for key, levels in choices.items():
        if key.startswith("pools.") and key.endswith(".staffing"):
            raise ConfigError(
                f"{source}: decide.choices.{key}: staffing is decided in [decide.pools]"
            )
        for level in levels:
            plan = Plan((), ((key, level),))
            scenario_from_dict(data, f"{source}: decide.choices.{key}", plan.overrides())


def _check_metrics(base: Scenario, spec: OptimisationFile, source: str) -> None:
    known = [*metric_names(base), *DERIVED_METRICS]
    objective = spec.objective.metric
    if objective not in known:
        raise ConfigError(
            f"{source}: objective: unknown metric {objective!r} for this base; "
            f"allowed: {listing(known, 60)}"
        )
    for metric in spec.constraints:
        if metric in INTERVAL_METRICS:
            if base.retention.periods > 1:
                raise ConfigError(
                    f"{source}: constraints.{metric}: holds in every interval of a single-day "
                    "run; a multi-period run reports no intervals (use service_level)"
                )
            continue
        if metric not in known:
            raise ConfigError(
                f"{source}: constraints.{metric}: unknown metric for this base; allowed: "
                f"{listing([*known, *INTERVAL_METRICS], 60)}"
            )


def _check_shifts(base: Scenario, shifts: Mapping[str, ShiftSpec], source: str) -> None:
    for pool, spec in shifts.items():
        n = base.intervals
        for start in spec.starts:
            if start >= n:
                raise ConfigError(
                    f"{source}: shifts.{pool}.starts: interval {start} is outside the day "
                    f"(0 to {n - 1})"
                )
        for length in spec.lengths:
            if length > n:
                raise ConfigError(
                    f"{source}: shifts.{pool}.lengths: {length} intervals is longer than the "
                    f"day ({n})"
                )
