"""Durations in scenario files: minutes as a number, or a string with a unit.

Every duration of the schema is in minutes. A file may write one as a bare
number (minutes, as before) or as a string with a unit, which reads better
for short and long ones: ``"20s"``, ``"4min"``, ``"1.5h"``. :data:`Minutes`
is the annotation of such a field; :data:`MinutesDistribution` lets the
parameters of a distribution of durations (``mean``, ``value``, ``low``,
``high``, ``values``) be written the same way.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

from peakend.base.distributions import Distribution

__all__ = [
    "DURATION_PATTERN",
    "UNITS",
    "Minutes",
    "MinutesDistribution",
    "DURATION_PARAMETERS",
    "is_duration",
    "parse_minutes",
]

UNITS = {"s": 1 / 60, "min": 1.0, "h": 60.0}
"""Units a duration string may carry, and the minutes in one of each."""

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]+)\s*$")

DURATION_PARAMETERS = ("mean", "value", "low", "high", "scale", "tail_mean")
"""The parameters of a distribution that are durations (all but ``cv``, ``shape``, ``weights``,
``survival`` and the lists ``values`` and ``minutes``, whose items are durations too)."""


def parse_minutes(value: Any) -> Any:
    """Minutes from a duration string (``"20s"`` is 1/3); anything else unchanged.

    Raises
    ------
    ValueError
        For a string that is not a non-negative number followed by ``s``, ``min`` or ``h``.
    """
    if not isinstance(value, str):
        return value
    match = _DURATION.match(value)
    if match is None or match.group(2) not in UNITS:
        raise ValueError(
            "expected minutes as a number, or a duration with a unit "
            f'({", ".join(UNITS)}), e.g. "20s", "4min", "1.5h"'
        )
    minutes = float(match.group(1)) * UNITS[match.group(2)]
    if not math.isfinite(minutes):
        raise ValueError("a duration must be finite")
    return minutes


def is_duration(text: str) -> bool:
    """Whether ``text`` is a duration string with a unit (``"20s"``), not a bare number."""
    try:
        parse_minutes(text)
    except ValueError:
        return False
    return True


def _distribution_minutes(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = dict(value)
    for key in DURATION_PARAMETERS:
        if key in converted:
            converted[key] = parse_minutes(converted[key])
    for key in ("values", "minutes"):
        if isinstance(converted.get(key), (list, tuple)):
            converted[key] = [parse_minutes(item) for item in converted[key]]
    if isinstance(converted.get("components"), (list, tuple)):
        converted["components"] = [_distribution_minutes(item) for item in converted["components"]]
    return converted


DURATION_PATTERN = r"^\s*[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*(s|min|h)\s*$"
"""A duration string, as a JSON Schema ``pattern`` (what :func:`parse_minutes` reads)."""

# In the JSON Schema a duration is a number or a string with a unit.
_NUMBER_OR_DURATION = float | Annotated[str, StringConstraints(pattern=DURATION_PATTERN)]

Minutes = Annotated[
    float, BeforeValidator(parse_minutes, json_schema_input_type=_NUMBER_OR_DURATION)
]
"""A duration in minutes: a number, or a string such as ``"20s"``, ``"4min"``, ``"1.5h"``."""

MinutesDistribution = Annotated[Distribution, BeforeValidator(_distribution_minutes)]
"""A distribution of durations whose parameters may be written as duration strings."""
