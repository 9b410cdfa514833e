"""The JSON Schema of a scenario file, for editors' completion and checking.

Generated from :class:`peakend.config.schema.Scenario`; a copy ships in the
package as ``peakend/schema.json`` (a test checks that it is up to date:
regenerate it with ``python -m peakend schema > src/peakend/schema.json``).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

__all__ = ["packaged_schema_text", "scenario_json_schema", "schema_text"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario, as a dict.

    JSON has no infinity: a default of ``inf`` (no limit) is left out and said in
    the field's description instead.
    """
    from peakend.config.schema import Scenario

    schema = Scenario.model_json_schema()
    schema = {"$schema": DIALECT, **_finite(schema)}
    schema["title"] = "peakend scenario"
    for definition in schema.get("$defs", {}).values():
        if "distribution" in definition.get("properties", {}):
            _durations_in_distribution(definition["properties"])
    return schema


def _durations_in_distribution(properties: dict[str, Any]) -> None:
    """A distribution's duration parameters may be duration strings, as in files.

    The schema's distributions are all of durations (a test checks it);
    :data:`~peakend.config.durations.MinutesDistribution` converts their strings
    before the distribution's own model sees them, so pydantic cannot tell.
    """
    from peakend.config.durations import DURATION_PARAMETERS, DURATION_PATTERN

    duration = {"type": "string", "pattern": DURATION_PATTERN}
    for name in DURATION_PARAMETERS:
        if name in properties:
            properties[name] = {"anyOf": [properties[name], duration]}
    for name in ("values", "minutes"):
        if name in properties and "items" in properties[name]:
            properties[name]["items"] = {"anyOf": [properties[name]["items"], duration]}


def schema_text() -> str:
    """The schema as the text of ``schema.json``: indented, keys sorted, one final newline."""
    return json.dumps(scenario_json_schema(), indent=2, sort_keys=True, allow_nan=False) + "\n"


def packaged_schema_text() -> str:
    """The ``schema.json`` that ships in the package."""
    return (resources.files("peakend") / "schema.json").read_text(encoding="utf-8")


def _finite(node: Any) -> Any:
    if isinstance(node, list):
        return [_finite(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _finite(value) for key, value in node.items()}
    default = result.get("default")
    if isinstance(default, float) and not math.isfinite(default):
        del result["default"]
        note = f"default: {'inf' if default > 0 else '-inf'} (no limit)"
        result["description"] = (
            f"{result['description']}; {note}" if "description" in result else note
        )
    return result
