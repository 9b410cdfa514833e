"""Loading scenario files: TOML in, a validated :class:`~peakend.config.schema.Scenario` out.

Every failure becomes a :class:`ConfigError` whose message names the file, the
key path and what is allowed, so that the CLI can print one clear line and exit
with status 2 instead of a traceback.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import tomli_w
from pydantic import BaseModel, ValidationError

from peakend.base.errors import ConfigError, did_you_mean, listing
from peakend.base.names import printable, toml_text
from peakend.config.durations import is_duration
from peakend.config.overrides import apply_overrides, parse_override, set_dotted
from peakend.config.schema import LocatedError, Scenario

__all__ = [
    "ConfigError",
    "apply_overrides",
    "config_hash",
    "load_scenario",
    "load_toml",
    "parse_override",
    "read_arrival_files",
    "scenario_from_dict",
    "scenario_to_dict",
    "scenario_to_toml",
    "scale_staffing",
    "set_dotted",
    "validate_model",
]

M = TypeVar("M", bound=BaseModel)


MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""Largest config file read (4 MiB): real scenarios are a few kilobytes."""


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning I/O, encoding and syntax errors into :class:`ConfigError`.

    Raises
    ------
    ConfigError
        One line naming the file: missing, a directory, a pipe or device, unreadable, larger than
        :data:`MAX_CONFIG_BYTES`, not UTF-8 text (a binary file), not TOML, or
        without a single setting (no config is valid empty).
    """
    path = Path(path)
    try:
        # Opening a named pipe would wait for a writer forever: look before opening.
        if path.exists() and not path.is_file() and not path.is_dir():
            raise ConfigError(f"{path}: not a regular file (a device, pipe or socket)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB; "
            "a config file is a few kilobytes of TOML"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a UTF-8 text file (byte {exc.start}: {raw[exc.start]:#04x}); "
            "expected a TOML file"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {_one_line(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: TOML syntax error: nested too deeply") from None
    if not data:
        raise ConfigError(f"{path}: no settings (an empty file); expected a TOML config")
    return data


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def load_scenario(
    path: str | Path,
    overrides: Iterable[str] = (),
    *,
    data_dirs: Iterable[str | Path] | None = None,
) -> Scenario:
    """Load and validate a scenario file, applying overrides in order.

    ``overrides`` are ``dotted.key=value``, ``key*=x``, ``key+=x`` or
    ``key[a:b]+=x`` strings (see :mod:`peakend.config.overrides`), as ``peakend run --set``.
    ``data_dirs``: folders besides the scenario's own from which its arrival files
    may be read (default: those named in the ``PEAKEND_DATA_DIRS`` environment
    variable; see :mod:`peakend.config.arrival_files` for the rules).

    Raises
    ------
    ConfigError
        For a missing file, a TOML syntax error, an override naming a key that does
        not exist or whose arithmetic does not fit the value, an arrival file that
        breaks the rules, or any schema violation; the message names the file and
        key path (or the arrival file, line and column).
    """
    data = load_toml(path)
    data = read_arrival_files(data, Path(path), data_dirs)
    return scenario_from_dict(data, source=str(path), overrides=overrides)


def read_arrival_files(
    data: dict[str, Any], path: Path, data_dirs: Iterable[str | Path] | None = None
) -> dict[str, Any]:
    """Put the contents of ``arrivals.counts_file`` / ``times_file`` (paths relative to
    the scenario file at ``path``) into the arrivals section (see
    :mod:`peakend.config.arrival_files`); ``data`` is returned as it is without them.

    Raises
    ------
    ConfigError
        For a path that is not a string or breaks the path rule, or a file that
        breaks a rule of :mod:`peakend.config.arrival_files`.
    """
    arrivals = data.get("arrivals")
    if not isinstance(arrivals, dict) or not {"counts_file", "times_file"} & set(arrivals):
        return data
    from peakend.config.arrival_files import ArrivalFileError, allowed_folders

    arrivals = dict(arrivals)
    interval = _interval_minutes(arrivals.get("interval_minutes", 30.0))
    if interval is None:
        raise ConfigError(
            f"{path}: arrivals.interval_minutes: expected minutes > 0 (a finite number or a "
            'duration such as "30min"), needed to read the arrival files'
        )
    folders = allowed_folders(path, data_dirs)
    segments = data.get("segments", {"customers": None})  # the schema's default segment
    names = [str(name) for name in segments] if isinstance(segments, dict) else None
    try:
        for key in ("counts_file", "times_file"):
            value = arrivals.pop(key, None)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ConfigError(f"{path}: arrivals.{key}: expected a file path (a string)")
            _read_one(arrivals, path, key, value, folders, interval, names)
    except ArrivalFileError as error:
        raise ConfigError(str(error)) from None
    return {**data, "arrivals": arrivals}


def _interval_minutes(value: Any) -> float | None:
    """The interval length in minutes as the schema reads it; None if it is not valid."""
    from peakend.config.durations import parse_minutes

    try:
        minutes = parse_minutes(value)
    except ValueError:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)):
        return None
    return float(minutes) if math.isfinite(minutes) and minutes > 0 else None


def _read_one(
    arrivals: dict[str, Any],
    path: Path,
    key: str,
    value: str,
    folders: list[Path],
    interval: float,
    segments: list[str] | None,
) -> None:
    from peakend.config.arrival_files import (
        rates_from_times,
        read_counts,
        read_replay,
        resolve_arrival_file,
    )
    from peakend.config.schema import MAX_INTERVALS

    shown, real = resolve_arrival_file(path, key, value, folders)
    if key == "counts_file":
        arrivals["rate_per_hour"] = read_counts(shown, real, interval)
        return
    rates = arrivals.get("rate_per_hour")
    if isinstance(rates, list) and 0 < len(rates) <= MAX_INTERVALS:
        end, reason = len(rates) * interval, "the end of the day"
    else:
        end = MAX_INTERVALS * interval
        reason = f"the end of the longest day ({MAX_INTERVALS:,} intervals)"
    replay = read_replay(shown, real, end, segments, reason)
    arrivals["times"] = replay.times
    for key, column in (
        ("times_segment", replay.segment),
        ("times_customer", replay.customer),
        ("times_date", replay.date),
    ):
        if column is not None:
            arrivals[key] = column
    days = len(set(replay.date)) if replay.date is not None else 1
    arrivals.setdefault("rate_per_hour", rates_from_times(replay.times, interval, days))


def scenario_from_dict(
    data: Mapping[str, Any], source: str = "<scenario>", overrides: Iterable[str] = ()
) -> Scenario:
    """Validate a plain mapping (as read from TOML) into a :class:`Scenario`.

    ``overrides`` apply to ``data`` as in :func:`load_scenario`; their keys are
    checked against the validated scenario with every default filled in.
    """
    scenario = validate_model(Scenario, data, source)
    overrides = list(overrides)
    if not overrides:
        return scenario
    patched = apply_overrides(data, overrides, scenario_to_dict(scenario, keep_unset=True), source)
    return validate_model(Scenario, patched, source)


def validate_model(model: type[M], data: Mapping[str, Any], source: str) -> M:
    """Validate ``data`` against a pydantic model, raising :class:`ConfigError`.

    Types are strict: a boolean where the model expects a number (which pydantic
    would read as 1), a number or string where it expects true or false, and a
    string where it expects a number are errors naming the key path.
    """
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(*format_validation_error(exc, model, source).split("\n")) from None
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply") from None
    problem = _loose_type(data, validated)
    if problem:
        raise ConfigError(f"{source}: {problem}")
    return validated


def _loose_type(raw: Any, validated: Any, path: tuple[str, ...] = ()) -> str:
    """The first key path where validation changed a value's kind, and what is wrong.

    pydantic reads ``true`` as 1, ``1`` or ``"yes"`` as true and ``"60"`` as 60; a
    config that means a number writes a number (or, for minutes, a duration with a
    unit such as ``"20s"``), and one that means true writes true.
    """
    key = ".".join(path) or "(top level)"
    if isinstance(raw, bool) and not isinstance(validated, bool):
        return f"{key}: expected a number, got a boolean ({str(raw).lower()})"
    if isinstance(validated, bool) and not isinstance(raw, bool):
        return f"{key}: expected true or false, got {_short(raw)}"
    if isinstance(raw, str) and isinstance(validated, (int, float)) and not is_duration(raw):
        return f"{key}: expected a number, got a string ({_short(raw)})"
    if isinstance(raw, Mapping):
        for name, value in raw.items():
            found = _child(validated, name)
            if found is not _MISSING:
                problem = _loose_type(value, found, (*path, str(name)))
                if problem:
                    return problem
    elif isinstance(raw, (list, tuple)) and isinstance(validated, (list, tuple)):
        if _same_plain_kind(raw, validated):
            return ""  # a long list of numbers or names (a replay): nothing changed kind
        for index, (value, found) in enumerate(zip(raw, validated, strict=False)):
            problem = _loose_type(value, found, (*path, str(index)))
            if problem:
                return problem
    return ""


_MISSING = object()


def _same_plain_kind(raw: Sequence[Any], validated: Sequence[Any]) -> bool:
    """Whether every item of both is a float, or every item a string: then no item
    changed kind, and a million-item list needs no walk item by item."""
    kinds = {type(item) for item in raw}
    return len(kinds) == 1 and kinds <= {float, str} and {type(v) for v in validated} == kinds


def _child(validated: Any, key: Any) -> Any:
    """The validated value under a raw key (a field name or alias, or a mapping key)."""
    if isinstance(validated, BaseModel):
        for name, info in type(validated).model_fields.items():
            if key in (name, info.alias):
                return getattr(validated, name)
        return _MISSING
    if isinstance(validated, Mapping):
        return validated.get(key, _MISSING)
    return _MISSING


MAX_ERROR_LINES = 10
"""Problems reported at once; a file with thousands of bad values gets a short report."""


def format_validation_error(exc: ValidationError, model: type[BaseModel], source: str) -> str:
    """One line per problem (at most :data:`MAX_ERROR_LINES`, then how many more):
    ``file: key.path: what is wrong; allowed: ...``. Names in a key path (a pool
    called ``"a\nb"``) are shown escaped (:func:`~peakend.base.names.printable`), so
    each problem stays one line."""
    errors = exc.errors()
    lines = []
    if len(errors) > MAX_ERROR_LINES:
        more = len(errors) - MAX_ERROR_LINES + 1
        errors = errors[: MAX_ERROR_LINES - 1]
    else:
        more = 0
    for error in errors:
        original = (error.get("ctx") or {}).get("error")
        if isinstance(original, LocatedError):
            where = ".".join(_key_part(part) for part in original.loc)
            lines.append(f"{source}: {where}: {original.message}")
            continue
        loc = _clean_loc(error["loc"])
        key = ".".join(_key_part(part) for part in loc) or "(top level)"
        lines.append(f"{source}: {key}: {_describe(error, model, loc, error['loc'])}")
    if more:
        lines.append(f"{source}: and {more:,} more problems")
    return "\n".join(printable(line) for line in lines)


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    # pydantic inserts the tag of a discriminated union (e.g. 'lognormal') into the
    # location, and '[key]' after a mapping key it refuses; users never typed them.
    from peakend.base.distributions import DISTRIBUTION_NAMES
    from peakend.config.schema import STAGE_TAGS

    tags = (*DISTRIBUTION_NAMES, *STAGE_TAGS)
    cleaned = [part for i, part in enumerate(loc) if not (part in tags and 0 < i < len(loc) - 1)]
    if cleaned and cleaned[-1] == _KEY:  # a refused mapping key (a name) ends in '[key]'
        cleaned.pop()
    return tuple(cleaned)


_KEY = "[key]"
_KEY_PART_LENGTH = 60


def _key_part(part: int | str) -> str:
    """One part of a key path, a name cut to 60 characters: a message stays a readable line."""
    text = str(part)
    if not text:
        return '""'
    return text if len(text) <= _KEY_PART_LENGTH else f"{text[: _KEY_PART_LENGTH - 3]}..."


def _describe(
    error: Any, model: type[BaseModel], loc: tuple[int | str, ...], raw_loc: tuple[int | str, ...]
) -> str:
    kind = error["type"]
    if raw_loc and raw_loc[-1] == _KEY and kind in ("string_too_long", "string_too_short"):
        from peakend.base.names import MAX_NAME_LENGTH

        size = len(str(error.get("input", "")))
        return f"a name has 1 to {MAX_NAME_LENGTH} characters, this one {size}"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        if not allowed:
            return "unknown key"
        return f"unknown key; {did_you_mean(loc[-1], allowed)}allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        from peakend.base.distributions import DISTRIBUTION_NAMES

        return f"unknown distribution; allowed: {', '.join(DISTRIBUTION_NAMES)}"
    if kind == "union_tag_not_found":
        return "a distribution needs a 'distribution' key (e.g. distribution = \"exponential\")"
    if isinstance(error.get("input"), bool) and kind in _NUMBER_CHECKS:
        return f"expected a number, got a boolean ({str(error['input']).lower()})"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if "input" in error and kind not in ("model_type", "dict_type"):
        message += f" (got {_short(error['input'])})"
    return message


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


# Errors of a number's range: a boolean reaching them was read as 0 or 1.
_NUMBER_CHECKS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}
)


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the sub-model at ``loc``, or [] where it cannot be resolved."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _step(annotation: Any, part: int | str) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        if field is None:
            by_alias = {info.alias: info for info in annotation.model_fields.values()}
            field = by_alias.get(str(part))
        return None if field is None else _unwrap(field.annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return _unwrap(args[1])
    if origin in (tuple, list) and args:
        return _unwrap(args[0])
    return None


def _unwrap(annotation: Any) -> Any:
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def scenario_to_dict(scenario: BaseModel, *, keep_unset: bool = False) -> dict[str, Any]:
    """The fully resolved config as plain data (TOML/JSON-ready, keys as in files).

    Optional keys left unset (None: no ``transfer_to``, a phone pool's
    ``concurrency``) are left out, as TOML has no null; ``keep_unset=True`` keeps
    them as None, so that overrides may set them (not TOML-ready).
    """
    return _plain(scenario.model_dump(mode="python", by_alias=True), keep_unset)


def _plain(value: Any, keep_unset: bool = False) -> Any:
    if isinstance(value, dict):
        return {
            str(k): _plain(v, keep_unset) for k, v in value.items() if v is not None or keep_unset
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v, keep_unset) for v in value]
    return value


def scenario_to_toml(scenario: BaseModel, header: str = "") -> str:
    """Serialise a resolved scenario as TOML that loads back into an equal scenario.

    Names are written escaped where TOML would leave a control character, a line
    separator or a bidirectional override raw (:func:`~peakend.base.names.toml_text`),
    so that printing the text (``peakend show``) shows each name on its line.
    """
    comment = "".join(f"# {printable(line)}\n" for line in header.splitlines())
    return comment + toml_text(tomli_w.dumps(scenario_to_dict(scenario)))


def scale_staffing(
    scenario: Scenario, factor: float, pools: Iterable[str] | None = None
) -> Scenario:
    """A copy of ``scenario`` with every (or the named) pool's staffing times ``factor``, rounded.

    Never mutates ``scenario``. Raises ``ValueError`` for a negative factor or an
    unknown pool.
    """
    if not factor >= 0:
        raise ValueError(f"factor must be >= 0, got {factor}")
    names = list(scenario.pools) if pools is None else list(pools)
    unknown = [name for name in names if name not in scenario.pools]
    if unknown:
        raise ValueError(f"unknown pool {unknown[0]!r}; allowed: {listing(scenario.pools)}")
    data = scenario_to_dict(scenario)
    for name in names:
        pool = scenario.pools[name]
        data["pools"][name]["staffing"] = [round(n * factor) for n in pool.staffing]
        if pool.staffing_by_day:  # every roster of the pool, on every day
            data["pools"][name]["staffing_by_day"] = {
                day: [round(n * factor) for n in roster]
                for day, roster in pool.staffing_by_day.items()
            }
    return validate_model(Scenario, data, "<scaled staffing>")


def config_hash(scenario: BaseModel) -> str:
    """A short, stable hash of a resolved config (for manifests and caching)."""
    text = json.dumps(scenario_to_dict(scenario), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
