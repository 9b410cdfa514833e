"""The scenarios of an experiment as plain overrides of its base scenario.

:func:`resolve_overrides` turns a variant's arithmetic overrides
(``pools.agents.staffing*=0.8``, see :mod:`peakend.config.overrides`) into the plain
``key=value`` strings that are recorded with its results; :func:`expand` turns
a sweep's factors into one ``(label, overrides)`` per point of the factorial
grid. Both are pure functions of plain data.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from peakend.config.loading import ConfigError, scenario_from_dict, scenario_to_dict
from peakend.config.overrides import is_number, parse, plain_overrides, toml_value

__all__ = [
    "FIXED_KEYS",
    "check_fixed_keys",
    "expand",
    "factor_levels",
    "factor_names",
    "grid_size",
    "resolve_overrides",
]

# Keys that must be equal in every scenario: the seed pairs replications (common
# random numbers); the experiment, not a variant, decides the replications.
FIXED_KEYS = ("run.seed", "run.replications")


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
    texts = tuple(overrides)
    if all(parse(text, source).plain for text in texts):
        return texts
    resolved = scenario_to_dict(scenario_from_dict(base_data, source), keep_unset=True)
    return plain_overrides(resolved, texts, source)


def check_fixed_keys(overrides: Iterable[str], source: str) -> None:
    """Refuse overrides of ``run.seed`` and ``run.replications`` (see ``FIXED_KEYS``).

    Raises
    ------
    ConfigError
        Naming ``source`` and the key.
    """
    for text in overrides:
        key = parse(text, source).key
        if key in FIXED_KEYS:
            raise ConfigError(
                f"{source}: {key}: cannot differ between the scenarios of an experiment "
                "(replication r of every scenario shares its seed: common random numbers); "
                "set the experiment's `seed` or `replications` instead"
            )


def factor_levels(factors: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The factorial grid: one ``{factor name: level}`` per point, in :func:`expand`'s order.

    A level is the factor's value when it is a number, a boolean or a string, and
    its label otherwise (the name of a named level, or the value's TOML text);
    these are the factor columns of a sweep's tables, named by :func:`factor_names`.
    """
    grid = _grid(factors)
    names = factor_names(list(factors))
    by_value = {key: _plain_levels(levels) for key, levels in factors.items()}
    return [
        {names[key]: value if by_value[key] else name for key, name, value in point}
        for point in grid
    ]


RESERVED_COLUMNS = frozenset(
    {"scenario", "replication", "seconds", "metric", "mean", "ci_low", "ci_high", "half_width", "n"}
)
"""Columns of a sweep's tables that a factor may not be named after."""

_OPERATOR_WORDS = {"*": "scale", "+": "added"}


def factor_names(keys: Sequence[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """A readable column name for each sweep factor key, unique among them.

    The last part of the key, then what the key does to it: ``pools.agents.staffing*``
    (scales the plan) is ``staffing_scale``, ``pools.agents.staffing[8:12]+`` (adds to
    part of it) is ``staffing_8_12_added``, ``segments.regular.retry_probability`` is
    ``retry_probability``. When two factors would share a name, or a name is one of
    :data:`RESERVED_COLUMNS` or ``reserved`` (the metrics), the parts before it are
    added (``agents_staffing_scale``) until the names differ; keys that still clash
    keep their own text. A pure function of the keys: the same keys always get the
    same names, in every table and file of a sweep.
    """
    taken = RESERVED_COLUMNS | set(reserved)
    parts = {key: _name_parts(key) for key in keys}
    depth = dict.fromkeys(keys, 1)
    while True:
        names = {key: _joined(*parts[key], depth[key]) for key in keys}
        counts = Counter(names.values())
        clashing = [key for key in keys if counts[names[key]] > 1 or names[key] in taken]
        growing = [key for key in clashing if depth[key] < len(parts[key][0])]
        if not growing:
            for key in clashing:  # nothing left to add: the key as written
                names[key] = key if key not in taken else f"factor {key}"
            return names
        for key in growing:
            depth[key] += 1


def _name_parts(key: str) -> tuple[tuple[str, ...], list[str]]:
    """A factor key's path, and the words for its index and operator."""
    bare = key.strip()
    operator = bare[-1] if bare[-1:] in _OPERATOR_WORDS else ""
    bare = bare.rstrip("*+").rstrip()
    tail = []
    indexed = re.search(r"\[([^\]\[]*)\]$", bare)
    if indexed:
        tail += [piece for piece in re.split(r"[^0-9A-Za-z-]+", indexed.group(1)) if piece]
        bare = bare[: indexed.start()]
    if operator:
        tail.append(_OPERATOR_WORDS[operator])
    try:
        path = parse(f"{bare}=0").path
    except ConfigError:  # reported with its source when the factor is applied
        path = (bare,)
    return tuple(str(part) for part in path), tail


def _joined(path: tuple[str, ...], tail: list[str], depth: int) -> str:
    return "_".join([*path[-depth:], *tail])


def _plain_levels(levels: Any) -> bool:
    """Whether a factor's levels can be table columns as they are (numbers, or strings)."""
    if isinstance(levels, Mapping):
        return False
    if all(is_number(v) for v in levels):
        return True
    return all(isinstance(v, str) for v in levels) or all(isinstance(v, bool) for v in levels)


def expand(
    base_data: Mapping[str, Any], factors: Mapping[str, Any], source: str = "<sweep>"
) -> list[tuple[str, tuple[str, ...]]]:
    """Expand a base scenario and factors into ``(label, overrides)``, one per grid point.

    ``factors`` maps a dotted key (optionally ending in ``*`` or ``+``, or with an
    index, see :func:`resolve_overrides`) to a list of values or a table of named
    values. The first factor varies slowest. The overrides are plain ``key=value``
    strings for :func:`peakend.config.loading.scenario_from_dict` (``base_data``, with
    arithmetic already applied). A pure function: neither argument is modified.

    Raises
    ------
    ConfigError
        For a factor without levels, an override that does not apply to
        ``base_data``, or a factor on ``run.seed`` or ``run.replications``.
    """
    short = factor_names(list(factors))
    points = []
    for point in _grid(factors):
        label = ", ".join(f"{short[key]}={name}" for key, name, _ in point)
        overrides = [f"{key}={toml_value(value)}" for key, _, value in point]
        check_fixed_keys(overrides, source)
        points.append((label, resolve_overrides(base_data, overrides, source)))
    return points


def grid_size(factors: Mapping[str, Any]) -> int:
    """Points of the factorial grid (the product of the factors' level counts), without
    building it."""
    sizes = [len(v) if isinstance(v, (list, tuple, Mapping)) else 1 for v in factors.values()]
    return math.prod(sizes)


def _grid(factors: Mapping[str, Any]) -> list[list[tuple[str, str, Any]]]:
    axes = [_axis(key, levels) for key, levels in factors.items()]
    return [list(point) for point in itertools.product(*axes)]


def _axis(key: str, levels: Any) -> list[tuple[str, str, Any]]:
    """``(key, level name, value)`` for each level of one factor."""
    if isinstance(levels, Mapping):
        named = [(str(name), value) for name, value in levels.items()]
    elif isinstance(levels, (list, tuple)):
        named = [(_level_name(i, value), value) for i, value in enumerate(levels)]
    else:
        raise ConfigError(f"factor {key!r}: levels must be a list or a table, got {levels!r}")
    if not named:
        raise ConfigError(f"factor {key!r} has no levels")
    return [(key, name, value) for name, value in named]


def _level_name(index: int, value: Any) -> str:
    if isinstance(value, str):
        return value
    text = toml_value(value)
    return text if len(text) <= 24 else f"#{index}"
