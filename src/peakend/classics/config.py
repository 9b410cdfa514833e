"""Classic-experiment files: which experiment, its parameters, assumptions and memory model.

A file in ``experiments/classics/`` names one of the classic experiments (``docs/classics.md``)
and sets its parameters::

    experiment = "cold_pressor"
    seed = 1993
    n_subjects = 10000
    memory = { model = "peak_end" }

    [assumptions]          # the experiment's documented *Assumptions fields
    relief_mean = 1.0

Unknown keys, unknown experiments and invalid values are :class:`ConfigError`
messages naming the file and the key. Values are typed by the experiment's
defaults: an integer parameter takes an integer, a real one a finite number (a
boolean is neither). Sizes are bounded so that a file cannot exhaust memory: at
most :data:`MAX_SUBJECTS` subjects per arm, integer durations of at most
:data:`MAX_MINUTES` minutes, and at most :data:`MAX_PAIN_MINUTES` minute-by-minute
pain ratings per arm of the colonoscopy trial (about 0.5 GB).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import peakend.classics as classics
from peakend.config.loading import ConfigError, load_toml
from peakend.config.schema import MAX_SEED
from peakend.experience.memory import memory_model_from_spec

__all__ = [
    "CLASSICS",
    "MAX_MINUTES",
    "MAX_PAIN_MINUTES",
    "MAX_SUBJECTS",
    "load_classic",
    "run_classic",
]

MAX_SUBJECTS = 100_000
"""Most subjects (per arm) of a classic experiment: far beyond what a tight estimate needs."""
MAX_MINUTES = 240
"""Longest integer duration (minutes) of a classic's procedure."""
MAX_PAIN_MINUTES = 5_000_000
"""Most minute-by-minute pain ratings per arm (subjects times the longest procedure)."""

CLASSICS: dict[str, tuple[Callable[..., Any], type | None]] = {
    "patients": (classics.patients_a_and_b, None),
    "cold_pressor": (classics.cold_pressor, classics.ColdPressorAssumptions),
    "colonoscopy": (classics.colonoscopy_trial, classics.ColonoscopyAssumptions),
    "recovery_paradox": (classics.recovery_paradox, classics.RecoveryAssumptions),
}
"""Experiment name → (function, assumptions class)."""


def _keyword_parameters(function: Callable[..., Any]) -> dict[str, Any]:
    """The parameters a file may set, with their defaults (which give their types)."""
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if name not in ("memory", "assumptions", "rng")
    }


def _typed(key: str, value: Any, default: Any, source: str) -> Any:
    """``value`` checked against the type of ``default`` and the size limits."""
    if key == "seed":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            raise ConfigError(
                f"{source}: seed: expected an integer from 0 to 2**63 - 1, got {value!r}"
            )
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {key}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {key}: expected an integer, got {value!r}")
        limit = (
            MAX_SUBJECTS
            if key.startswith("n_")
            else MAX_MINUTES
            if key.endswith("_minutes")
            else None
        )
        if limit is not None and value > limit:
            raise ConfigError(f"{source}: {key}: at most {limit:,}, got {value:,}")
        return value
    if isinstance(default, float):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{source}: {key}: expected a finite number, got {value!r}")
        return float(value)
    return value


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
                set(allowed)
                | {"experiment", "memory"}
                | ({"assumptions"} if assumptions_class else set())
            )
            raise ConfigError(f"{source}: {key}: unknown key; allowed keys: {', '.join(options)}")
        kwargs[key] = _typed(key, value, allowed[key], source)
    if function is classics.colonoscopy_trial:
        _check_pain_minutes(kwargs, source)

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
    fields = {field.name: field.default for field in dataclasses.fields(cls)}
    for key in table:
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            raise ConfigError(f"{source}: assumptions.{key}: unknown key; allowed keys: {allowed}")
    typed = {
        key: _typed(f"assumptions.{key}", value, fields[key], source)
        for key, value in table.items()
    }
    try:
        return cls(**typed)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: assumptions: {error}") from None


def _check_pain_minutes(kwargs: Mapping[str, Any], source: str) -> None:
    """Bound the colonoscopy trial's minute-by-minute ratings (its memory)."""
    defaults = _keyword_parameters(classics.colonoscopy_trial)
    assumptions = kwargs.get("assumptions") or classics.ColonoscopyAssumptions()
    per_subject = assumptions.duration_max_minutes + kwargs.get(
        "extension_minutes", defaults["extension_minutes"]
    )
    minutes = kwargs.get("n_per_arm", defaults["n_per_arm"]) * per_subject
    if minutes > MAX_PAIN_MINUTES:
        raise ConfigError(
            f"{source}: n_per_arm: {minutes:,} pain ratings per arm (n_per_arm times the "
            f"longest procedure plus the extension, in minutes) exceed the limit of "
            f"{MAX_PAIN_MINUTES:,}"
        )


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
