"""Overrides: change keys of plain config data (as read from TOML) by their dotted path.

One override is one string::

    pools.agents.absenteeism=0.1          set (the value is read as TOML)
    pools.agents.staffing*=0.8            multiply (each element of a list)
    pools.agents.staffing+=2              add; a list value adds element-wise: +=[0, 0, 1, 1]
    pools.agents.staffing[8:12]+=3        only elements 8 to 11 (0-based, end excluded)
    pools.agents.staffing[0]=9            one element; [i] and [a:b] work with every operator
    pools."x.y [/]".staffing=[2]          a name with dots, brackets, = or quotes: quoted,
                                          as a TOML key ("..." or '...')

Values are read as TOML values (``3``, ``0.5``, ``true``, ``[1, 2]``,
``{ distribution = "fixed", value = 3 }``) and never evaluated as code; what is
not valid TOML is taken as a plain string. Arithmetic works on numbers and lists
of numbers; a result whose old value is an integer (agents) is rounded to the
nearest integer, halves to even, as :func:`peakend.config.loading.scale_staffing` does.

Every key must exist in the resolved data (all defaults filled in), so a typo is
an error rather than a silent no-op. Errors are :class:`peakend.base.errors.ConfigError`
whose message names the source (a file, or a file and the table the override
came from) and the key. Nothing here knows the scenario schema: the functions
work on plain mappings and never modify their arguments.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from peakend.base.errors import ConfigError, did_you_mean, listing

__all__ = [
    "Override",
    "apply_overrides",
    "dotted_key",
    "is_number",
    "lookup",
    "new_value",
    "parse",
    "parse_override",
    "plain_overrides",
    "set_dotted",
    "toml_value",
]

Operator = Literal["=", "+=", "*="]
_BARE_PART = re.compile(r"[^.\"'\[\]=\x00-\x1f\x7f]+")
"""A key part written without quotes (anything else is written as a TOML string)."""
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _cut(text: str, limit: int = 80) -> str:
    """``text``, cut to ``limit`` characters: what a user typed is echoed, not dumped."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _error(source: str, message: str) -> ConfigError:
    """A :class:`ConfigError` whose message starts with ``source`` (when there is one)."""
    return ConfigError(f"{source}: {message}" if source else message)


# -------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Override:
    """One parsed override: ``path[index] op value``."""

    text: str
    """The override as written."""
    path: tuple[str, ...]
    op: Operator
    index: slice | int | None
    value: Any

    @property
    def plain(self) -> bool:
        """Whether this is a plain ``key=value`` (no arithmetic, no index)."""
        return self.op == "=" and self.index is None

    @property
    def key(self) -> str:
        """The dotted key, without operator or index; a part that holds ``.``, quotes,
        brackets, ``=`` or control characters is quoted (``pools."x.y".staffing``)."""
        return dotted_key(self.path)


def dotted_key(path: Sequence[str]) -> str:
    """``path`` as a dotted key that :func:`parse` reads back (parts quoted where needed)."""
    return ".".join(_key_text(part) for part in path)


def _key_text(part: str) -> str:
    if _BARE_PART.fullmatch(part) and part == part.strip() and part[-1] not in "*+":
        return part
    return _toml_string(part)


def _unquoted(text: str) -> Iterator[tuple[int, str]]:
    """``(index, char)`` of each character of ``text`` outside ``"..."`` and ``'...'``."""
    quote = ""
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quote:
            escaped = quote == '"' and char == "\\"
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        else:
            yield index, char


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split a plain ``a.b.c=value`` into a key path and a TOML-parsed value.

    Parameters
    ----------
    text
        ``dotted.key=value``; the value is read as a TOML value, or taken as a
        plain string when it is not valid TOML. It is never evaluated as code.

    Returns
    -------
    tuple
        The key path (``["a", "b", "c"]``) and the value.

    Raises
    ------
    ConfigError
        Without ``=``, or with an empty key or key part.
    """
    left, raw = _split(text, "")
    return list(_key_path(left, text, "")), _toml(raw, text, "")


def parse(text: str, source: str = "") -> Override:
    """Parse one override of the full grammar (see the module docstring).

    Raises
    ------
    ConfigError
        For a missing ``=``, an empty key or a malformed index; the message starts
        with ``source``.
    """
    left, raw = _split(text, source)
    key, op = _split_operator(left.strip())
    key, index = _split_index(key, text, source)
    return Override(text, _key_path(key, text, source), op, index, _toml(raw, text, source))


def _split(text: str, source: str) -> tuple[str, str]:
    """``key`` and ``value`` of ``key=value`` (the value may contain ``=``)."""
    equals = next((i for i, char in _unquoted(text) if char == "="), None)
    if equals is None:
        raise _error(source, f"--set {_cut(repr(text))}: expected dotted.key=value")
    return text[:equals], text[equals + 1 :]


def _key_path(key: str, text: str, source: str) -> tuple[str, ...]:
    dots = [i for i, char in _unquoted(key) if char == "."]
    bounds = zip([-1, *dots], [*dots, len(key)], strict=True)
    return tuple(_key_part(key[start + 1 : end].strip(), text, source) for start, end in bounds)


def _key_part(part: str, text: str, source: str) -> str:
    if not part:
        raise _error(source, f"--set {_cut(repr(text))}: empty key")
    if part[0] not in "\"'":
        return part
    try:
        value = tomllib.loads(f"k = {part}")["k"]
    except tomllib.TOMLDecodeError:
        value = None
    if not isinstance(value, str):
        raise _error(source, f"--set {_cut(repr(text))}: a quoted key part is one TOML string")
    return value


def _toml(raw: str, text: str, source: str) -> Any:
    # Not valid TOML (e.g. a bare word): the text itself, never evaluated.
    try:
        return tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()
    except RecursionError:
        raise _error(source, f"--set {text[:40]!r}...: value nested too deeply") from None


def _split_operator(left: str) -> tuple[str, Operator]:
    if left.endswith("*"):
        return left[:-1].rstrip(), "*="
    if left.endswith("+"):
        return left[:-1].rstrip(), "+="
    return left, "="


def _split_index(key: str, text: str, source: str) -> tuple[str, slice | int | None]:
    opening = [i for i, char in _unquoted(key) if char == "["]
    if not key.endswith("]") or not opening or opening[-1] == 0:
        return key, None
    start = opening[-1]
    return key[:start].strip(), _parse_index(key[start + 1 : -1], text, source)


def _parse_index(index: str, text: str, source: str) -> slice | int:
    try:
        if ":" not in index:
            return int(index)
        start, stop = (part.strip() for part in index.split(":", 1))
        return slice(int(start) if start else None, int(stop) if stop else None)
    except ValueError:
        raise _error(
            source,
            f"{_cut(repr(text))}: index [{_cut(index)}] must be [i] or [start:stop] (integers)",
        ) from None


# ------------------------------------------------------------------------- applying


def apply_overrides(
    data: Mapping[str, Any],
    overrides: Iterable[str],
    resolved: Mapping[str, Any],
    source: str,
) -> dict[str, Any]:
    """Return a copy of ``data`` with ``overrides`` applied, in order.

    Parameters
    ----------
    data
        Plain config data as read from a file; not modified.
    overrides
        Override strings (see the module docstring).
    resolved
        The same config with every default filled in: keys must exist in it, and
        arithmetic starts from its values (after the overrides before it).
    source
        Where the overrides come from, for error messages (e.g. the file name).

    Raises
    ------
    ConfigError
        Naming ``source`` and the key: an unknown key, a malformed override, or
        arithmetic that does not fit the value (see :func:`new_value`).
    """
    patched = copy.deepcopy(dict(data))
    current = copy.deepcopy(dict(resolved))
    for item in [parse(text, source) for text in overrides]:
        value = new_value(current, item, source)
        set_dotted(patched, item.path, value)
        set_dotted(current, item.path, value)
    return patched


def plain_overrides(
    resolved: Mapping[str, Any], overrides: Iterable[str], source: str
) -> tuple[str, ...]:
    """Rewrite overrides as plain ``key=value`` strings, arithmetic computed.

    Each arithmetic override is computed from ``resolved`` after the overrides
    before it; plain ones are returned as written. Applying the result to the
    same data gives what applying ``overrides`` gives. Errors as for
    :func:`apply_overrides`.
    """
    current = copy.deepcopy(dict(resolved))
    plain = []
    for item in [parse(text, source) for text in overrides]:
        value = new_value(current, item, source)
        set_dotted(current, item.path, value)
        plain.append(item.text if item.plain else f"{item.key}={toml_value(value)}")
    return tuple(plain)


def new_value(data: Mapping[str, Any], item: Override, source: str) -> Any:
    """The value ``item`` gives its key in ``data``.

    Raises
    ------
    ConfigError
        For an unknown key; for arithmetic on something that is not a number or a
        list of numbers, a list of the wrong length, an index on a value that is
        not a list, an index out of range or an empty slice.
    """
    current = lookup(data, item.path, source)
    if item.plain:
        return item.value
    return _apply(item, current, f"{source}: {item.key}" if source else item.key)


def lookup(data: Mapping[str, Any], path: Sequence[str], source: str) -> Any:
    """``data[a][b][c]`` for ``path = [a, b, c]``; a missing key is a :class:`ConfigError`."""
    node: Any = data
    for depth, part in enumerate(path):
        if not isinstance(node, Mapping) or part not in node:
            where = dotted_key(path[:depth]) or "the top level"
            allowed = listing(node) if isinstance(node, Mapping) else "none (not a table)"
            hint = did_you_mean(part, node) if isinstance(node, Mapping) else ""
            raise _error(
                source,
                f"--set {_cut(dotted_key(path))}: unknown key {_cut(repr(part))} in {_cut(where)}; "
                f"{hint}allowed: {allowed}",
            )
        node = node[part]
    return node


def set_dotted(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``path = [a, b, c]``, creating tables as needed."""
    node = data
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


# ----------------------------------------------------------------------- arithmetic


def _apply(item: Override, current: Any, where: str) -> Any:
    if item.index is None:
        return _combine(item.op, current, item.value, where)
    if not isinstance(current, list):
        raise _error(where, f"an index needs a list, the value is {current!r}")
    if isinstance(item.index, int):
        return _apply_at(item, current, item.index, where)
    return _apply_slice(item, current, item.index, where)


def _apply_at(item: Override, current: list[Any], index: int, where: str) -> list[Any]:
    if not -len(current) <= index < len(current):
        raise _error(where, f"index {index} out of range (length {len(current)})")
    result = list(current)
    result[index] = _combine(item.op, current[index], item.value, where)
    return result


def _apply_slice(item: Override, current: list[Any], index: slice, where: str) -> list[Any]:
    part = current[index]
    if not part:
        raise _error(where, f"the slice selects no element (length {len(current)})")
    if item.op == "=" and not isinstance(item.value, list):
        new_part = [item.value] * len(part)
    else:
        new_part = _combine(item.op, part, item.value, where)
    if not isinstance(new_part, list) or len(new_part) != len(part):
        raise _error(where, f"expected {len(part)} values for the slice")
    result = list(current)
    result[index] = new_part
    return result


def _combine(op: Operator, current: Any, value: Any, where: str) -> Any:
    if op == "=":
        return value
    if isinstance(current, list):
        values = value if isinstance(value, list) else [value] * len(current)
        if len(values) != len(current):
            raise _error(
                where, f"{op} needs one number or {len(current)} of them, got {len(values)}"
            )
        return [_arithmetic(op, c, v, where) for c, v in zip(current, values, strict=True)]
    return _arithmetic(op, current, value, where)


def is_number(value: Any) -> bool:
    """Whether ``value`` is an int or a float (booleans are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _arithmetic(op: Operator, current: Any, value: Any, where: str) -> Any:
    if not (is_number(current) and is_number(value)):
        raise _error(
            where, f"{op} works on numbers and lists of numbers, got {current!r} {op} {value!r}"
        )
    result = current + value if op == "+=" else current * value
    if isinstance(current, int):
        return round(result)  # integers (agents): as peakend.config.loading.scale_staffing rounds
    return float(result)


# -------------------------------------------------------------------------- writing


def toml_value(value: Any) -> str:
    """``value`` as an inline TOML value: what :func:`parse_override` reads back.

    Raises
    ------
    TypeError
        For a value TOML cannot hold (e.g. ``None``).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _toml_float(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_string(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"cannot write {value!r} as a TOML value")


def _toml_string(text: str) -> str:
    """A TOML basic string in ASCII: what ``json.dumps`` writes, except that characters
    beyond U+FFFF are one ``\\U`` escape (TOML rejects surrogate pairs) and DEL is escaped."""
    return '"' + "".join(_escape(char) for char in text) + '"'


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code > 0xFFFF:
        return f"\\U{code:08x}"
    if code < 0x20 or code >= 0x7F:
        return f"\\u{code:04x}"
    return char


def _toml_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)
