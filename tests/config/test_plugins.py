"""The schema checks memory and return models through plug-in slots, and never misses one.

``peakend.config`` may not import ``peakend.experience`` or ``peakend.retention``
(tests/architecture/test_layout.py); the model modules hand their registries to
``peakend.base.plugins``, whose providers the package root declares.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

import peakend
from peakend.base import plugins
from peakend.config.loading import ConfigError, load_scenario
from peakend.experience import memory
from peakend.experience.memory import BaseMemoryModel, register_memory_model
from peakend.experience.trace import FloatArray, Traces
from peakend.retention import returns

from conftest import ROOT

CONFIG = ROOT / "configs" / "clinic.toml"

# Runs in a fresh interpreter that imports the configuration and nothing above it.
ONLY_THE_CONFIG = f"""
import json, sys
from peakend.config.loading import ConfigError, load_scenario
before = sorted(m for m in sys.modules if m.startswith(("peakend.experience", "peakend.retention")))
scenario = load_scenario({str(CONFIG)!r}, overrides=['experience.memory = {{model = "end"}}'])
try:
    load_scenario({str(CONFIG)!r}, overrides=['experience.memory.model="no_such_model"'])
except ConfigError as error:
    refused = str(error)
try:
    load_scenario({str(CONFIG)!r}, overrides=['retention.returns.model="no_such_model"'])
except ConfigError as error:
    refused_return = str(error)
print(json.dumps({{"before": before, "memory": scenario.experience.memory,
    "refused": refused, "refused_return": refused_return,
    "after": sorted(m for m in ("peakend.experience.memory", "peakend.retention.returns")
                    if m in sys.modules)}}))
"""


def test_loading_a_scenario_alone_checks_models_against_the_built_in_ones() -> None:
    """No one imported the model modules: the first check imports them (never missed)."""
    done = subprocess.run(
        [sys.executable, "-c", ONLY_THE_CONFIG],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["before"] == []  # loading the configuration imported no model module
    assert seen["memory"] == {"model": "end"}
    assert "unknown memory model 'no_such_model'" in seen["refused"]
    assert "peak_end" in seen["refused"]  # the built-ins were registered when it was checked
    assert "unknown return model 'no_such_model'; registered: logistic" in seen["refused_return"]
    assert seen["after"] == ["peakend.experience.memory", "peakend.retention.returns"]


def test_the_schema_reads_the_registries_the_model_modules_fill() -> None:
    assert plugins.registry(plugins.MEMORY_MODELS) is memory._REGISTRY
    assert plugins.registry(plugins.RETURN_MODELS) is returns._RETURN_MODELS


def test_a_model_registered_at_run_time_is_one_the_schema_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memory._REGISTRY, "_classes", dict(memory._REGISTRY._classes))

    @dataclass(frozen=True)
    class Gloomy(BaseMemoryModel):
        shift: float = -1.0

        def remember(self, traces: Traces) -> FloatArray:
            return memory.summarize(traces)["worst"] + self.shift

    register_memory_model("gloomy_plugin_test", replace=True)(Gloomy)
    scenario = load_scenario(
        CONFIG, overrides=['experience.memory = {model = "gloomy_plugin_test", shift = -2.0}']
    )
    assert scenario.experience.memory == {"model": "gloomy_plugin_test", "shift": -2.0}
    with pytest.raises(
        ConfigError,
        match=r"unknown parameter\(s\) tilt for memory model 'gloomy_plugin_test'; allowed: shift",
    ):
        load_scenario(
            CONFIG, overrides=['experience.memory = {model = "gloomy_plugin_test", tilt = 1}']
        )


def test_the_package_root_declares_a_provider_for_every_kind() -> None:
    assert peakend.__name__ == "peakend"  # the root ran, and with it the declarations
    assert sorted(plugins._providers) == sorted(plugins.KINDS)


def test_a_kind_nobody_provides_is_a_lookup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "_registries", {})
    monkeypatch.setattr(plugins, "_providers", {})
    with pytest.raises(LookupError, match="no registry provides plug-in kind 'memory_models'"):
        plugins.registry(plugins.MEMORY_MODELS)
    # A declared module that does not provide the kind is as wrong.
    plugins.declare(plugins.MEMORY_MODELS, "peakend.base.names")
    with pytest.raises(LookupError, match="memory_models"):
        plugins.registry(plugins.MEMORY_MODELS)


def test_slots_refuse_unknown_kinds_and_a_second_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "_registries", dict(plugins._registries))
    monkeypatch.setattr(plugins, "_providers", dict(plugins._providers))
    with pytest.raises(ValueError, match="unknown plug-in kind 'colours'"):
        plugins.registry("colours")
    with pytest.raises(ValueError, match="already provided by another registry"):
        plugins.provide(plugins.RETURN_MODELS, memory._REGISTRY)
    with pytest.raises(ValueError, match="already provided by peakend.experience.memory"):
        plugins.declare(plugins.MEMORY_MODELS, "elsewhere")
    plugins.provide(plugins.MEMORY_MODELS, memory._REGISTRY)  # the same one again is fine
