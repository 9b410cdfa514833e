"""Every default the documentation quotes is the schema's (``peakend.config.schema``).

The pages say defaults in a few fixed forms, and each is checked against the pydantic
schema's default (``Field(default)`` or ``default_factory``):

- the tables of ``docs/parameters.md`` (``| key | default | meaning | source |``), every
  row: a number, ``true``/``false``, a quoted string, an inline TOML value, a list, a
  distribution (``exponential, mean 10``), ``required``, or ``none`` / ``the segment's``
  / ``the first pool`` for a key whose default is to inherit or to have nothing;
- any other Markdown table with a ``default`` column (the keys in its row; "A, else B"
  names the fallback B, whose default it is);
- prose in ``docs/**/*.md`` (the scenario keys: ``docs/scenarios.md``) and ``README.md``:
  ```key` (4)``, ```key` (1 point)``,
  ```key` (0.7 by default)``, ```key` ... (default 1)``, ```key = value` (the default)``;
- a TOML block's line whose comment says ``(default X)``, and every key of a TOML table
  whose header comment says it lists the defaults (``defaults are ...``).

The built-in memory models' parameters count as keys too
(``experience.memory.MODEL.param``, their dataclass defaults). A bare key
(``satisfied_tell_mean``) names every key it ends; the quote must match one of them (a
bare name is usually unique; ``window_minutes`` is a stress window and an end model's). A
few schema defaults are ``None`` meaning "the documented value": :data:`EFFECTIVE` names
them with the value the code uses.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from peakend.config.schema import DEFAULT_CHAT_SLOWDOWN, Scenario
from peakend.experience.memory import available_memory_models, memory_model_from_spec

from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
NAMED = {"segments": "segments.NAME", "pools": "pools.NAME", "channels": "channels.NAME"}
REQUIRED = object()
NOTHING = object()  # "none", "the segment's": inherit, or nothing at all

EFFECTIVE: dict[str, Any] = {
    "pools.NAME.concurrency_slowdown": DEFAULT_CHAT_SLOWDOWN,  # PoolConfig.slowdown
    "retention.day_load": 1.0,  # None: every day at the profile's load (RetentionConfig)
}
"""Schema defaults of ``None`` that stand for a value: the value the code uses."""


def schema_defaults() -> dict[str, Any]:
    """``{dotted key: default}`` for every key a scenario file can set (``NAME`` for names)."""
    found: dict[str, Any] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            nested = field.annotation
            if prefix == "" and name in NAMED:
                walk(Scenario.model_fields[name].annotation.__args__[1], NAMED[name] + ".")
            elif isinstance(nested, type) and issubclass(nested, BaseModel):
                walk(nested, f"{prefix}{name}.")
            else:
                default = field.default
                if default is PydanticUndefined:
                    factory = field.default_factory
                    default = factory() if factory is not None else REQUIRED  # type: ignore[call-arg]
                found[f"{prefix}{name}"] = EFFECTIVE.get(f"{prefix}{name}", default)

    walk(Scenario, "")
    for model, kind in available_memory_models().items():
        for field in dataclasses.fields(kind):
            if field.default is not dataclasses.MISSING:
                found[f"experience.memory.{model}.{field.name}"] = field.default
    return found


DEFAULTS = schema_defaults()


def resolve(key: str) -> list[str]:
    """The schema keys a documented key may name: a dotted key (a segment's, pool's or
    channel's own name becomes ``NAME``), or every key a bare name ends."""
    parts = key.split(".")
    if parts[0] in NAMED and len(parts) > 2:
        parts[1] = "NAME"
    dotted = ".".join(parts)
    if dotted in DEFAULTS:
        return [dotted]
    if "." in key:
        return []
    return [k for k in DEFAULTS if k.rsplit(".", 1)[-1] == key]


# ------------------------------------------------------------------------ values

NUMBER = r"[−-]?(?:\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?|inf|infinite)"


def number(text: str) -> float:
    text = text.replace("−", "-").replace(",", "")
    return math.inf if text.lstrip("-") in ("inf", "infinite") else float(text)


def documented_value(cell: str) -> Any:
    """A default as a page writes it, as a Python value (see the module docstring)."""
    text = cell.strip()
    lower = text.lower()
    if lower.startswith("required"):
        return REQUIRED
    if lower.startswith(("none", "the ")) or lower == "empty":
        return "" if lower == "empty" else NOTHING
    if lower in ("true", "false"):
        return lower == "true"
    code = re.fullmatch(r"`([^`]+)`", text)
    if code:
        return tomllib.loads(f"v = {code.group(1)}")["v"]
    if text.startswith("["):
        return tomllib.loads(f"v = {text}")["v"]
    shape = re.fullmatch(rf"(exponential|fixed), (?:mean )?({NUMBER})", lower)
    if shape:
        return (shape.group(1), number(shape.group(2)))
    fraction = re.match(r"(\d+)/(\d+)\b", text)
    if fraction:
        return int(fraction.group(1)) / int(fraction.group(2))
    leading = re.match(NUMBER, lower)
    if leading:
        return number(leading.group(0))
    raise AssertionError(f"cannot read the default {cell!r}")


def same(documented: Any, default: Any) -> bool:
    """Whether a documented default is the schema's (numbers to 3 significant digits when
    the page rounds, e.g. 1/3 written 0.3333)."""
    if documented is REQUIRED or default is REQUIRED:
        return documented is default
    if documented is NOTHING:
        return default is None or default == ()
    if isinstance(documented, tuple):  # a distribution: (kind, mean or value)
        kind, value = documented
        if type(default).__name__.lower() != kind:
            return False
        attribute = "mean" if kind == "exponential" else "value"
        return math.isclose(getattr(default, attribute), value)
    if isinstance(documented, bool) or isinstance(default, bool):
        return documented is default
    if isinstance(documented, (int, float)) and isinstance(default, (int, float)):
        return math.isclose(documented, default, rel_tol=1e-3) or documented == default
    if isinstance(documented, dict) and "model" in documented:  # a memory model spec
        return bool(memory_model_from_spec(documented) == memory_model_from_spec(default))
    if isinstance(default, BaseModel):
        default = default.model_dump(exclude_defaults=True)
    if isinstance(default, tuple):
        default = list(default)
    return bool(documented == default)


# ------------------------------------------------------------------ what the pages say


def table_rows(page: Path) -> Iterator[tuple[str, list[str], str]]:
    """``(where, keys, default cell)`` of every Markdown table with a ``default`` column."""
    header: list[str] | None = None
    for number_, line in enumerate(page.read_text().splitlines(), 1):
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if "default" not in header or set(line) <= set("|- "):
            continue
        at = header.index("default")
        keyed = next((c for c in cells[:at] if re.search(r"`\w[\w.]*`", c)), "")
        keys = re.findall(r"`(\w[\w.]*)`", keyed)
        for tail in re.findall(r"`\.(\w+)`", keyed):  # "`pools.NAME.warmth.mean`, `.sd`"
            keys.append(f"{keys[0].rsplit('.', 1)[0]}.{tail}")
        if " else " in keyed:  # "A if ..., else B": the default is the fallback's
            keys = keys[-1:]
        where = f"{page.relative_to(ROOT)}:{number_}"
        if len(keys) > 1:
            for key, value in zip(keys, cells[at].split(", "), strict=True):
                yield where, [key], value
        elif keys:
            yield where, keys, cells[at]


PROSE = [
    # `key` (4), `key` (1 point), `key` (0.7 by default), `key` (default 0.8)
    re.compile(rf"`(\w[\w.]*)` \((?:default )?({NUMBER})(?: \w+)?(?: by default)?\)"),
    # `key` simulated days (default 1; ...), `key` linear pieces (4 by default), ...
    re.compile(rf"`(\w[\w.]*)`[^`()\n]{{1,40}}\((?:default ({NUMBER})|({NUMBER}) by default)\b"),
]
SET_TO_DEFAULT = re.compile(r"`(\w[\w.]*) = ([^`]+)` \(the default\)")


def prose_quotes(page: Path) -> Iterator[tuple[str, str, Any]]:
    """``(where, key, value)`` of every default quoted in running text."""
    text = page.read_text()
    for pattern in PROSE:
        for match in pattern.finditer(text):
            value = next(g for g in match.groups()[1:] if g)
            yield _where(page, text, match.start()), match.group(1), number(value)
    for match in SET_TO_DEFAULT.finditer(text):
        value = tomllib.loads(f"v = {match.group(2)}")["v"]
        yield _where(page, text, match.start()), match.group(1), value


def toml_quotes(page: Path) -> Iterator[tuple[str, str, Any]]:
    """``(where, key, value)`` from TOML blocks: lines commented ``(default X)`` and the
    keys of a table whose header comment says it lists the defaults."""
    text = page.read_text()
    for block in re.finditer(r"^```toml\n(.*?)^```", text, flags=re.S | re.M):
        table, all_defaults = "", False
        for offset, line in enumerate(block.group(1).splitlines(), 1):
            where = f"{page.relative_to(ROOT)}:{text[: block.start()].count(chr(10)) + 1 + offset}"
            code, _, comment = line.partition("#")
            header = re.fullmatch(r"\s*\[([\w.\"]+)\]\s*", code)
            if header:
                table = header.group(1).replace('"', "")
                all_defaults = "defaults are" in comment
                continue
            pair = re.fullmatch(r"\s*([\w]+)\s*=\s*(.+?)\s*", code)
            if not pair:
                continue
            key = f"{table}.{pair.group(1)}" if table else pair.group(1)
            said = re.search(rf"\(default ({NUMBER})\b", comment)
            if said:
                yield where, key, number(said.group(1))
            elif all_defaults:
                yield where, key, tomllib.loads(f"v = {pair.group(2)}")["v"]


def _where(page: Path, text: str, at: int) -> str:
    return f"{page.relative_to(ROOT)}:{text[:at].count(chr(10)) + 1}"


def quotes() -> list[tuple[str, str, Any]]:
    """Every default the pages quote, as ``(where, key as written, documented value)``."""
    found = []
    for page in PAGES:
        for where, keys, cell in table_rows(page):
            for key in keys:
                assert resolve(key), f"{where}: {key!r} is not a key of the schema"
                found.append((where, key, documented_value(cell)))
        for where, key, value in [*prose_quotes(page), *toml_quotes(page)]:
            if resolve(key):  # else a metric or a column, not a scenario key
                found.append((where, key, value))
    return found


QUOTES = quotes()


def test_the_pages_quote_many_defaults() -> None:
    """The forms above are the ones the pages use: a reader finds most defaults here."""
    pages = {where.split(":")[0] for where, _, _ in QUOTES}
    assert {"docs/parameters.md", "docs/model/retention.md", "docs/scenarios.md"} <= pages
    assert len({key for _, key, _ in QUOTES}) >= 100


@pytest.mark.parametrize(
    ("where", "key", "documented"), QUOTES, ids=[f"{w}:{k}" for w, k, _ in QUOTES]
)
def test_a_quoted_default_is_the_schema_s(where: str, key: str, documented: Any) -> None:
    defaults = {name: DEFAULTS[name] for name in resolve(key)}
    assert any(same(documented, default) for default in defaults.values()), (
        f"{where}: {key} is quoted as {documented!r}; the schema says {defaults}"
    )


def test_the_reader_sees_drift() -> None:
    """The checks can fail: the drift the issue found (2 and 5 people told) is caught."""
    assert not same(documented_value("2"), DEFAULTS["retention.satisfied_tell_mean"])
    assert not same(documented_value("5"), DEFAULTS["retention.advocate_tell_mean"])
    assert not same(documented_value("exponential, mean 20"), DEFAULTS["recovery.callback_delay"])
    assert not same(documented_value("required"), DEFAULTS["run.seed"])
    assert same(documented_value("1/3 (20 s)"), DEFAULTS["run.service_level_threshold_minutes"])
    assert same(documented_value("5,000"), DEFAULTS["retention.population"])
    assert same(documented_value("−2"), DEFAULTS["experience.bad_memory_threshold"])
    said = {key: value for where, key, value in QUOTES if where.startswith("docs/model/retention")}
    assert said["dissatisfied_tell_mean"] == 9
