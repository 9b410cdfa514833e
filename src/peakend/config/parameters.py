"""The parameter tables of ``docs/parameters.md``, generated from the schema's fields.

Each key's description and source sit once, on its field of
:mod:`peakend.config.schema`: ``Field(description=...)`` and
``Field(json_schema_extra={"source": ...})``. The source says where the default comes
from, in one of the words of :data:`SOURCE_KINDS` (a published value, a published
direction, an assumption, a setting of the system you model). A default is shown as the
schema has it (:func:`shown_default`), or as ``json_schema_extra["shown"]`` says where
words say it better (``1/3 (20 s)``, ``the first pool``).

A nested table of settings whose field has a source of its own (``pools.NAME.warmth``)
is one row, its keys and defaults side by side. ``python -m peakend.config.parameters``
rewrites the tables of ``docs/parameters.md`` between their markers
(``<!-- parameters: SECTION -->`` ... ``<!-- end parameters -->``); a test checks that
the page holds what this module generates.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from peakend.config.schema import Scenario

__all__ = [
    "SECTIONS",
    "SOURCE_KINDS",
    "Parameter",
    "parameter",
    "parameters",
    "render_page",
    "section_table",
    "shown_default",
]

SECTIONS: dict[str, tuple[str, ...]] = {
    "run": ("run", "name", "description"),
    "arrivals": ("arrivals", "segments", "channels"),
    "pools": ("pools",),
    "recovery": ("recovery", "service"),
    "experience": ("experience",),
    "retention": ("retention",),
}
"""The page's tables: each lists the keys of these top-level sections of a scenario."""

SOURCE_KINDS = (
    "published",
    "direction published",
    "assumption",
    "setting",
    "numerical setting",
    "survey folklore",
)
"""How a source begins: where the default's value comes from (``docs/parameters.md``)."""

_NAMED = {"segments": "segments.NAME", "pools": "pools.NAME", "channels": "channels.NAME"}
_MARKER = re.compile(r"<!-- parameters: (\w+) -->\n.*?<!-- end parameters -->", flags=re.S)


@dataclass(frozen=True)
class Parameter:
    """One row of the parameter tables."""

    keys: tuple[str, ...]
    """Dotted keys (``NAME`` for a segment's, pool's or channel's name)."""
    default: str
    description: str
    source: str
    section: str
    """The top-level key it belongs to (``pools``)."""


def _extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def shown_default(field: FieldInfo) -> str:
    """A field's default as the page writes it: ``json_schema_extra["shown"]`` if given,
    else from the value (``true``, ``"none"`` in backticks, ``5,000``, ``inf``,
    ``exponential, mean 15``, ``[8, 2]``)."""
    extra = _extra(field)
    if "shown" in extra:
        return str(extra["shown"])
    default = field.default
    if default is PydanticUndefined:
        if field.default_factory is None:
            return "required"
        default = field.default_factory()  # type: ignore[call-arg]
    return _value(default)


def _value(value: Any) -> str:
    if value is None or value == ():
        return "none"
    if value == {}:
        return "`{}`"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    kind = type(value).__name__.lower()
    if kind == "exponential":
        return f"exponential, mean {_number(value.mean)}"
    if kind == "fixed":
        return f"fixed, {'infinite' if math.isinf(value.value) else _number(value.value)}"
    raise ValueError(f"no way to show the default {value!r}: give json_schema_extra['shown']")


def _number(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "−inf"
    text = f"{value:,}" if float(value).is_integer() else f"{value:g}"
    text = text.removesuffix(".0")
    return text.replace("-", "−")


def parameters() -> list[Parameter]:
    """Every key a scenario file can set, with its default, description and source, in the
    schema's order.

    Raises ValueError naming a key whose field has no description or no source.
    """
    found: list[Parameter] = []

    def walk(model: type[BaseModel], prefix: str, section: str) -> None:
        for name, field in model.model_fields.items():
            key = f"{prefix}{name}"
            top = section or name
            nested = field.annotation
            if not prefix and name in _NAMED:
                walk(Scenario.model_fields[name].annotation.__args__[1], _NAMED[name] + ".", top)  # type: ignore[union-attr]
            elif isinstance(nested, type) and issubclass(nested, BaseModel):
                if "source" in _extra(field):
                    found.append(_grouped(key, field, nested, top))
                else:
                    walk(nested, key + ".", top)
            else:
                found.append(_row((key,), shown_default(field), field, top))

    walk(Scenario, "", "")
    return found


def parameter(key: str) -> Parameter:
    """The row of one dotted key. Raises KeyError for a key no row has."""
    for row in parameters():
        if key in row.keys:
            return row
    raise KeyError(key)


def _row(keys: tuple[str, ...], default: str, field: FieldInfo, section: str) -> Parameter:
    source = str(_extra(field).get("source", ""))
    if not field.description or not source:
        raise ValueError(f"{keys[0]}: the schema's field needs a description and a source")
    return Parameter(keys, default, field.description, source, section)


def _grouped(key: str, field: FieldInfo, nested: type[BaseModel], section: str) -> Parameter:
    """One row for a nested table whose field has a source: its keys side by side."""
    names = list(nested.model_fields)
    default = field.get_default(call_default_factory=True)
    values = ", ".join(_value(getattr(default, name)) for name in names)
    return _row(tuple(f"{key}.{name}" for name in names), values, field, section)


def section_table(section: str) -> str:
    """The Markdown table of one of :data:`SECTIONS`."""
    tops = SECTIONS[section]
    lines = ["| key | default | meaning | source |", "| --- | --- | --- | --- |"]
    for row in parameters():
        if row.section in tops:
            first, *more = row.keys
            keys = ", ".join([f"`{first}`", *(f"`.{k.rsplit('.', 1)[1]}`" for k in more)])
            cells = [keys, row.default, row.description, row.source]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def render_page(text: str) -> str:
    """``text`` with the table between each pair of markers generated anew.

    Raises ValueError for a marker that names no section of :data:`SECTIONS`.
    """

    def table(match: re.Match[str]) -> str:
        section = match.group(1)
        if section not in SECTIONS:
            raise ValueError(f"no section {section!r}; the sections are {', '.join(SECTIONS)}")
        return (
            f"<!-- parameters: {section} -->\n\n{section_table(section)}\n<!-- end parameters -->"
        )

    return _MARKER.sub(table, text)


def main(argv: list[str]) -> int:
    """``python -m peakend.config.parameters [PAGE]``: rewrite the page's tables
    (default ``docs/parameters.md``)."""
    page = Path(argv[0] if argv else "docs/parameters.md")
    page.write_text(render_page(page.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
