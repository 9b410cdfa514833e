"""peakend: customer journeys that are remembered, not averaged.

A SimPy model of service journeys (arrivals, queues, abandonment, service,
failures, recovery) in which every customer remembers the journey through a
memory model (peak-end and others) and decides from that memory whether to
come back. The public API is listed in ``__all__``; everything the ``peakend``
command does, a script can do with these names. The subpackages hold the rest:
``peakend.engine`` (the queueing engine), ``peakend.experience`` (utility and
memory models), ``peakend.retention``, ``peakend.experiments``,
``peakend.analysis`` (Erlang formulas, statistics, validation),
``peakend.classics``, ``peakend.output``, ``peakend.config`` and ``peakend.cli``.
"""

from peakend._version import __version__
from peakend.analysis.erlang import ErlangA, ErlangC
from peakend.config.loading import ConfigError, load_scenario, scale_staffing, scenario_from_dict
from peakend.config.schema import Scenario
from peakend.engine.facts import Outcome
from peakend.engine.replication import simulate
from peakend.experience.memory import (
    MemoryModel,
    PeakEnd,
    available_memory_models,
    memory_model_from_spec,
    register_memory_model,
)
from peakend.experience.trace import TraceBuilder, Traces
from peakend.experiments.api import compare, load_experiment, run, run_experiment, sweep
from peakend.experiments.executors import make_executor
from peakend.experiments.runner import RunResult, run_scenario
from peakend.retention.multiperiod import run_periods
from peakend.retention.returns import register_return_model

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
