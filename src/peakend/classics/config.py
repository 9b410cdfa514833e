"""Classic-experiment files: which experiment, its parameters, assumptions and memory model.

A file in ``experiments/classics/`` names one of the classic experiments of
MODEL.md section 6 and sets its parameters::

    experiment = "cold_pressor"
    seed = 1993
    n_subjects = 10000
    memory = { model = "peak_end" }

    [assumptions]          # the experiment's documented *Assumptions fields
    relief_mean = 1.0

Unknown keys, unknown experiments and invalid values are :class:`ConfigError`
messages naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from peakend import classics
from peakend.config.loading import ConfigError, load_toml
from peakend.experience.memory import memory_model_from_spec

__all__ = ["CLASSICS", "load_classic", "run_classic"]

CLASSICS: dict[str, tuple[Callable[..., Any], type | None]] = {
    "patients": (classics.patients_a_and_b, None),
    "cold_pressor": (classics.cold_pressor, classics.ColdPressorAssumptions),
    "colonoscopy": (classics.colonoscopy_trial, classics.ColonoscopyAssumptions),
    "recovery_paradox": (classics.recovery_paradox, classics.RecoveryAssumptions),
}
"""Experiment name → (function, assumptions class)."""


def _keyword_parameters(function: Callable[..., Any]) -> set[str]:
    return {
        name
        for name, p in inspect.signature(function).parameters.items()
        if name not in ("memory", "assumptions", "rng")
    }


def load_classic(path: str | Path) -> Callable[[], Any]:
    """Read a classic-experiment file; returns a no-argument callable that runs it."""
    data = load_toml(path)
    return classic_from_dict(data, str(path))


def classic_from_dict(data: Mapping[str, Any], source: str) -> Callable[[], Any]:
    """Validate a classic-experiment mapping into a ready-to-run callable."""
    params = dict(data)
    name = params.pop("experiment", None)
    if name not in CLASSICS:
        raise ConfigError(
            f"{source}: experiment: unknown or missing experiment {name!r}; "
            f"allowed: {', '.join(CLASSICS)}"
        )
    function, assumptions_class = CLASSICS[name]
    kwargs: dict[str, Any] = {}
    if "memory" in params:
        try:
            kwargs["memory"] = memory_model_from_spec(params.pop("memory"))
        except ValueError as error:
            raise ConfigError(f"{source}: memory: {error}") from None
    if "assumptions" in params:
        kwargs["assumptions"] = _assumptions(assumptions_class, params.pop("assumptions"), source)
    allowed = _keyword_parameters(function)
    for key, value in params.items():
        if key not in allowed:
            options = sorted(
                allowed
                | {"experiment", "memory"}
                | ({"assumptions"} if assumptions_class else set())
            )
            raise ConfigError(f"{source}: {key}: unknown key; allowed keys: {', '.join(options)}")
        kwargs[key] = value

    def run() -> Any:
        try:
            return function(**kwargs)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{source}: {error}") from None

    return run


def _assumptions(cls: type | None, table: Any, source: str) -> Any:
    if cls is None:
        raise ConfigError(f"{source}: assumptions: this experiment has no assumptions to set")
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: assumptions: expected a table")
    fields = {field.name for field in dataclasses.fields(cls)}
    for key in table:
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            raise ConfigError(f"{source}: assumptions.{key}: unknown key; allowed keys: {allowed}")
    try:
        return cls(**table)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: assumptions: {error}") from None


def run_classic(name_or_path: str, seed: int | None = None) -> list[Any]:
    """Run a classic by file path or by name (``all`` runs every one with its defaults)."""
    if name_or_path == "all":
        return classics.run_all(seed if seed is not None else 0)
    if name_or_path in CLASSICS:
        data: dict[str, Any] = {"experiment": name_or_path}
        if seed is not None and name_or_path != "patients":
            data["seed"] = seed
        return [classic_from_dict(data, name_or_path)()]
    data = load_toml(name_or_path)
    if seed is not None:
        data["seed"] = seed
    return [classic_from_dict(data, name_or_path)()]
