"""peakend: customer journeys that are remembered, not averaged.

A SimPy model of service journeys (arrivals, queues, abandonment, service,
failures, recovery) in which every customer remembers the journey through a
memory model (peak-end and others) and decides from that memory whether to
come back. The public API is listed in ``__all__``; everything the ``peakend``
command does, a script can do with these names. The subpackages hold the rest:
in layers, each importing only those below it (``docs/architecture.md``):
``peakend.base``, ``peakend.config``, ``peakend.engine`` (the queueing engine),
``peakend.experience`` (utility and memory models), ``peakend.simulation`` (one day),
``peakend.analysis`` (metrics, statistics, Erlang formulas), ``peakend.retention``,
``peakend.runs``, ``peakend.store``, ``peakend.experiments``, ``peakend.classics``,
``peakend.checks`` (validation, levers), ``peakend.output`` and ``peakend.cli``.

The names are resolved on first use (PEP 562), so ``import peakend`` and the
``peakend`` command start without loading SciPy, pandas or the engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from peakend._version import __version__
from peakend.base import plugins as _plugins
from peakend.base import views as _views

# The schema (peakend.config.schema) checks memory and return models through these slots;
# the modules that define the models are above it and provide their registries when
# imported. Declared here, at the top, which runs before any peakend module: the first
# check imports the provider, so a registration is never missed (tests/config/test_plugins.py).
_plugins.declare(_plugins.MEMORY_MODELS, "peakend.experience.memory")
_plugins.declare(_plugins.RETURN_MODELS, "peakend.retention.returns")
# Results show themselves (repr, Jupyter) with the presentation layer's views.
_views.declare("peakend.output.notebook")

if TYPE_CHECKING:
    from peakend.analysis.erlang import ErlangA, ErlangC
    from peakend.calibration.api import backtest_log, calibrate_log
    from peakend.config.loading import (
        ConfigError,
        load_scenario,
        scale_staffing,
        scenario_from_dict,
    )
    from peakend.config.schema import Scenario
    from peakend.engine.facts import Outcome
    from peakend.experience.memory import (
        MemoryModel,
        PeakEnd,
        available_memory_models,
        memory_model_from_spec,
        register_memory_model,
    )
    from peakend.experience.trace import TraceBuilder, Traces
    from peakend.experiments.api import compare, load_experiment, run, run_experiment, sweep
    from peakend.retention.multiperiod import run_periods
    from peakend.retention.returns import register_return_model
    from peakend.runs.executors import make_executor
    from peakend.runs.runner import RunResult, run_scenario
    from peakend.simulation.replication import simulate

# Each public name (but the version) and the module that defines it.
_SOURCES = {
    "ConfigError": "peakend.config.loading",
    "ErlangA": "peakend.analysis.erlang",
    "ErlangC": "peakend.analysis.erlang",
    "MemoryModel": "peakend.experience.memory",
    "Outcome": "peakend.engine.facts",
    "PeakEnd": "peakend.experience.memory",
    "RunResult": "peakend.runs.runner",
    "Scenario": "peakend.config.schema",
    "TraceBuilder": "peakend.experience.trace",
    "Traces": "peakend.experience.trace",
    "available_memory_models": "peakend.experience.memory",
    "backtest_log": "peakend.calibration.api",
    "calibrate_log": "peakend.calibration.api",
    "compare": "peakend.experiments.api",
    "load_experiment": "peakend.experiments.api",
    "load_scenario": "peakend.config.loading",
    "make_executor": "peakend.runs.executors",
    "memory_model_from_spec": "peakend.experience.memory",
    "register_memory_model": "peakend.experience.memory",
    "register_return_model": "peakend.retention.returns",
    "run": "peakend.experiments.api",
    "run_experiment": "peakend.experiments.api",
    "run_periods": "peakend.retention.multiperiod",
    "run_scenario": "peakend.runs.runner",
    "scale_staffing": "peakend.config.loading",
    "scenario_from_dict": "peakend.config.loading",
    "simulate": "peakend.simulation.replication",
    "sweep": "peakend.experiments.api",
}

__all__ = [
    "ConfigError",
    "ErlangA",
    "ErlangC",
    "MemoryModel",
    "Outcome",
    "PeakEnd",
    "RunResult",
    "Scenario",
    "TraceBuilder",
    "Traces",
    "__version__",
    "available_memory_models",
    "backtest_log",
    "calibrate_log",
    "compare",
    "load_experiment",
    "load_scenario",
    "make_executor",
    "memory_model_from_spec",
    "register_memory_model",
    "register_return_model",
    "run",
    "run_experiment",
    "run_periods",
    "run_scenario",
    "scale_staffing",
    "scenario_from_dict",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """Import the module behind a public name on first use, and keep the name."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module 'peakend' has no attribute {name!r}")
    value = getattr(import_module(source), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
