"""An experiment: a base scenario and what to vary, and how to load one from a file.

:class:`Experiment` holds the base scenario, the named variants (override lists)
and the sweep factors; :meth:`Experiment.specs` builds the scenarios to run
(:class:`ScenarioSpec`: label, plain overrides, resolved scenario and store
key). :func:`load_experiment` reads an experiment file (see
:mod:`peakend.experiments.api` for the format, :mod:`peakend.experiments.schema` for
its schema).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from peakend.config.budget import BudgetError, check_grid_size
from peakend.config.loading import (
    ConfigError,
    load_scenario,
    load_toml,
    read_arrival_files,
    scenario_from_dict,
    scenario_to_dict,
    validate_model,
)
from peakend.config.schema import Scenario
from peakend.experiments.grid import (
    check_fixed_keys,
    expand,
    factor_levels,
    grid_size,
    resolve_overrides,
)
from peakend.experiments.schema import (
    BASE_LABEL,
    ExperimentFile,
    ReplicationPlan,
    check_variant_names,
)
from peakend.store.replications import scenario_key
from peakend.store.rerun import RESOLVED_BASE, rerun_command

__all__ = [
    "Experiment",
    "Kind",
    "ScenarioSpec",
    "is_experiment_data",
    "load_experiment",
    "load_experiment_or_scenario",
    "resolved_experiment_toml",
]

Kind = Literal["compare", "sweep"]


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario of an experiment: its label, overrides of the base, and key."""

    label: str
    overrides: tuple[str, ...]
    """Plain ``key=value`` overrides of the base (arithmetic already applied)."""
    scenario: Scenario
    key: str
    """:func:`peakend.store.replications.scenario_key`: what the scenario's results depend on."""
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
    max_scenarios: int | None = None
    """Most scenarios: sweep points, or variants and the base (default
    :data:`peakend.config.budget.MAX_GRID_SCENARIOS`)."""

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
        named = _named_variants(variants)
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
        extra = _named_variants(variants)
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
        if overrides and self.base.retention.warmup_periods:
            # A plan acts from the first counted period on the customers that today's
            # plan left after the warm-up: every scenario warms up under the base.
            _check_warmup_keys(overrides, source)
            scenario = scenario.with_warmup_base(self.base)
        key = scenario_key(scenario)
        return ScenarioSpec(label, overrides, scenario, key, levels or {}, requested)

    def _compare_specs(self) -> list[ScenarioSpec]:
        if not self.variants:
            raise ConfigError(
                f"{self.source}: nothing to compare: add [variants.NAME] tables "
                "(or variants given with the base scenario)"
            )
        try:  # before any variant is resolved
            check_grid_size(len(self.variants) + 1, self.max_scenarios, "comparison")
        except BudgetError as exc:
            raise BudgetError(f"{self.source}: variants: {exc}") from None
        specs = [self._spec(BASE_LABEL, (), self.source)]
        base_data = scenario_to_dict(self.base)
        for name, overrides in self.variants.items():
            source = f"{self.source}: variants.{name}.set"
            check_fixed_keys(overrides, source)
            resolved = resolve_overrides(base_data, overrides, source)
            specs.append(self._spec(name, resolved, source, requested=tuple(overrides)))
        return specs

    def _sweep_specs(self) -> list[ScenarioSpec]:
        if not self.factors:
            raise ConfigError(f"{self.source}: nothing to sweep: add a [sweep] table with factors")
        source = f"{self.source}: sweep.factors"
        try:  # before the grid is built: a 27,000-point grid is refused at once
            check_grid_size(grid_size(self.factors), self.max_scenarios)
        except BudgetError as exc:
            raise BudgetError(f"{source}: {exc}") from None
        points = expand(scenario_to_dict(self.base), self.factors, source)
        levels = factor_levels(self.factors)
        return [
            self._spec(label, overrides, source, level)
            for (label, overrides), level in zip(points, levels, strict=True)
        ]


def resolved_experiment_toml(
    experiment: Experiment, plan: ReplicationPlan, kind: str, scenarios: int, header: str = ""
) -> str:
    """The experiment as it ran, as an experiment file whose base is :data:`RESOLVED_BASE`.

    The base there is the resolved base scenario (the file's ``set``, ``seed`` and
    ``warmup_minutes`` and the caller's overrides already applied), so this file sets
    none of them; it keeps the variants and factors as written (applied to the same
    base they give the same scenarios), the replication plan that ran (``plan``: a
    command line's ``--replications`` replaces the file's), the reported metrics, the
    sweep's plot settings and ``keep_records``; ``scenarios`` (how many ran) sets the
    command in its header comment (:func:`rerun_command`). Loaded with :func:`load_experiment`
    from a folder that holds both files, it gives the same scenarios, keys and results.
    """
    import tomli_w

    data: dict[str, Any] = {"name": experiment.name}
    if experiment.description:
        data["description"] = experiment.description
    data["base"] = RESOLVED_BASE
    data["replications"] = (
        plan.count if plan.count is not None else plan.model_dump(exclude_none=True)
    )
    if experiment.metrics is not None:
        data["metrics"] = list(experiment.metrics)
    if experiment.keep_records:
        data["keep_records"] = True
    descriptions = _variant_descriptions(experiment.text)
    if experiment.variants:
        data["variants"] = {
            name: {
                **({"description": descriptions[name]} if name in descriptions else {}),
                "set": list(overrides),
            }
            for name, overrides in experiment.variants.items()
        }
    sweep: dict[str, Any] = {}
    if experiment.plot_metrics:
        sweep["plot"] = list(experiment.plot_metrics)
    if experiment.x is not None:
        sweep["x"] = experiment.x
    if sweep:
        data["sweep"] = sweep
    again = rerun_command(kind, scenarios)
    lines = [*header.splitlines(), "Run it again from this folder with:", f"  {again}"]
    text = "".join(f"# {line}\n" for line in lines) + tomli_w.dumps(data)
    if experiment.factors:
        # One line per factor, in order: the order of the factors is the order of the
        # grid (and of its labels); a table of named levels stays inline, where
        # tomli_w would move it after the plain lists.
        text += "\n[sweep.factors]\n" + "".join(
            f"{_toml_inline(str(key))} = {_toml_inline(levels)}\n"
            for key, levels in experiment.factors.items()
        )
    return text


def _variant_descriptions(text: str | None) -> dict[str, str]:
    """``{variant: description}`` of an experiment file's text (descriptions are not
    kept in :class:`Experiment`; they only label the variants)."""
    import tomllib

    try:
        variants = tomllib.loads(text or "").get("variants", {})
    except tomllib.TOMLDecodeError:
        return {}
    return {
        str(name): str(spec["description"])
        for name, spec in variants.items()
        if isinstance(spec, dict) and spec.get("description")
    }


def _toml_inline(value: Any) -> str:
    """``value`` as one inline TOML value (a table as ``{ k = v }``, never a section)."""
    import json

    import tomli_w

    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(str(k))} = {_toml_inline(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_inline(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


WARMUP_KEYS = ("retention.population", "retention.warmup_periods")
"""Keys of the warm-up: with warm-up periods, every scenario of an experiment starts from the
base's warm-up, so a variant may not change them."""


def _check_warmup_keys(overrides: Iterable[str], source: str) -> None:
    """Refuse overrides of :data:`WARMUP_KEYS` (they would be silently ignored).

    Raises
    ------
    ConfigError
        Naming ``source`` and the key.
    """
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        if key in WARMUP_KEYS:
            raise ConfigError(
                f"{source}: {key}: every scenario starts from the base's warm-up "
                "(retention.warmup_periods > 0), so a variant cannot change it; "
                "change the base, or set retention.warmup_periods=0"
            )


def _named_variants(variants: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    """``{name: overrides}`` with checked names (see :func:`check_variant_names`)."""
    named = {str(k): tuple(v) for k, v in (variants or {}).items()}
    try:
        check_variant_names(named)
    except ValueError as exc:
        raise ConfigError(f"variants: {exc}") from None
    return named


def _plan(replications: int | ReplicationPlan | None, base: Scenario) -> ReplicationPlan:
    """``replications`` as a plan; by default the base scenario's ``run.replications``."""
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
    # the caller's (command line) overrides come last, so they win
    base = _load_base(path, spec, [*_base_overrides(spec), *overrides])
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


def _base_overrides(spec: ExperimentFile) -> list[str]:
    """The file's overrides of its base: ``set``, then ``seed`` and ``warmup_minutes``."""
    overrides = list(spec.overrides)
    if spec.seed is not None:
        overrides.append(f"run.seed={spec.seed}")
    if spec.warmup_minutes is not None:
        overrides.append(f"run.warmup_minutes={spec.warmup_minutes!r}")
    return overrides


def _load_base(path: Path, spec: ExperimentFile, overrides: list[str]) -> Scenario:
    """The base scenario named by the experiment file at ``path``, with ``overrides``."""
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ConfigError(f"{path}: base: scenario file {base_path} not found")
    base_data = read_arrival_files(load_toml(base_path), base_path)
    scenario_from_dict(base_data, str(base_path))  # errors in the base name the base file
    return scenario_from_dict(base_data, f"{path}: set", overrides)


def load_experiment_or_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Experiment:
    """An experiment file, or a scenario file as the base of an experiment to be completed."""
    if is_experiment_data(load_toml(path)):
        return load_experiment(path, overrides)
    experiment = Experiment.from_scenario(load_scenario(path, overrides))
    return dataclasses.replace(experiment, source=str(path))
