"""Helpers the classic experiments share: randomness, validation, pain and returns.

Private to :mod:`peakend.classics`; the names carry no underscore because the
experiment modules import them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import special

from peakend.experience.memory import MemoryModel, PeakEnd
from peakend.experience.trace import FloatArray, Traces

BoolArray = npt.NDArray[np.bool_]
Seed = int | np.random.SeedSequence | None

#: The memory model every classic uses unless told otherwise (one shared instance).
DEFAULT_MEMORY = PeakEnd()


def generator_from(seed: Seed, rng: np.random.Generator | None) -> np.random.Generator:
    """The generator to draw from: ``rng``, or a new one seeded with ``seed``.

    Raises
    ------
    ValueError
        If both are given.
    """
    if seed is not None and rng is not None:
        raise ValueError("pass seed or rng, not both")
    return rng if rng is not None else np.random.default_rng(seed)


# ---------------------------------------------------------------------- validation


def require(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition`` holds."""
    if not condition:
        raise ValueError(message)


def check_count(name: str, value: int, minimum: int) -> None:
    """Require an integer (not a bool) of at least ``minimum``."""
    require(
        isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= minimum,
        f"{name} must be an integer >= {minimum}, got {value!r}",
    )


def require_positive(owner: object, *names: str) -> None:
    """Require the fields ``names`` of ``owner`` (an assumptions object) to be > 0."""
    for name in names:
        require(getattr(owner, name) > 0, f"{type(owner).__name__}.{name} must be > 0")


def require_non_negative(owner: object, *names: str) -> None:
    """Require the fields ``names`` of ``owner`` (an assumptions object) to be >= 0."""
    for name in names:
        require(getattr(owner, name) >= 0, f"{type(owner).__name__}.{name} must be >= 0")


def require_probability(owner: object, name: str) -> None:
    """Require the field ``name`` of ``owner`` to be a probability strictly in (0, 1)."""
    require(0 < getattr(owner, name) < 1, f"{type(owner).__name__}.{name} must be in (0, 1)")


# ---------------------------------------------------------------------- pain and returns


def minute_pain_traces(pain_by_minute: Sequence[npt.ArrayLike]) -> Traces:
    """Traces of pain rated every minute (0-10), one per person; utility = -pain."""
    return Traces.from_samples(
        [-np.asarray(pain, dtype=np.float64) for pain in pain_by_minute], step_minutes=1.0
    )


def remembered_pain(traces: Traces, memory: MemoryModel) -> FloatArray:
    """Remembered pain: minus the remembered utility (pain is negative utility)."""
    return -np.asarray(memory.remember(traces), dtype=np.float64)


def draw_returns(
    generator: np.random.Generator,
    remembered: FloatArray,
    *,
    anchor_utility: float,
    anchor_probability: float,
    slope: float,
    effort: FloatArray | float = 0.0,
    effort_penalty: float = 0.0,
) -> BoolArray:
    """Whether each person comes back: logistic in remembered utility and effort.

    P = expit(logit(anchor_probability) + slope * (R - anchor_utility)
    - effort_penalty * effort): a customer who remembers ``anchor_utility`` and
    spent no extra effort returns with ``anchor_probability``. One uniform draw
    per person from ``generator`` decides. A local, minimal rule for the
    classics; the engine's retention module has the general one.
    """
    logit = special.logit(anchor_probability) + slope * (remembered - anchor_utility)
    p_return = np.asarray(special.expit(logit - effort_penalty * np.asarray(effort)), np.float64)
    return generator.random(remembered.size) < p_return
