"""peakend: customer journeys that are remembered, not averaged.

A SimPy model of service journeys (arrivals, queues, abandonment, service,
failures, recovery) in which every customer remembers the journey through a
memory model (peak-end and others) and decides from that memory whether to
come back. The public API is listed in ``__all__``; everything the ``peakend``
command does, a script can do with these names.
"""

from peakend._version import __version__
from peakend.analysis.erlang import ErlangA, ErlangC, agents_for_service_level, erlang_b, erlang_c
from peakend.classics import cold_pressor, colonoscopy_trial, patients_a_and_b, recovery_paradox
from peakend.config.loading import ConfigError, load_scenario, scale_staffing, scenario_from_dict
from peakend.config.schema import Scenario
from peakend.engine.replication import simulate
from peakend.experience.memory import (
    Blend,
    End,
    First,
    LastEpisode,
    Mean,
    PeakEnd,
    RecencyWeighted,
    Total,
    Trend,
    WorstBestEnd,
    available_memory_models,
    memory_model_from_spec,
    register_memory_model,
)
from peakend.experience.prospect import ValueFunction
from peakend.experience.trace import EpisodeKind, TraceBuilder, Traces
from peakend.experiments.api import Experiment, compare, load_experiment, run, run_experiment, sweep
from peakend.experiments.executors import (
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
)
from peakend.experiments.runner import RunResult, replicate, run_scenario
from peakend.retention.multiperiod import run_periods
from peakend.retention.returns import LogisticReturn, Loyalty, register_return_model

__all__ = [
    "Blend",
    "ConfigError",
    "DaskExecutor",
    "Experiment",
    "ProcessExecutor",
    "SerialExecutor",
    "compare",
    "load_experiment",
    "make_executor",
    "run",
    "run_experiment",
    "sweep",
    "End",
    "EpisodeKind",
    "ErlangA",
    "ErlangC",
    "First",
    "LastEpisode",
    "LogisticReturn",
    "Loyalty",
    "Mean",
    "PeakEnd",
    "RecencyWeighted",
    "RunResult",
    "Scenario",
    "Total",
    "TraceBuilder",
    "Traces",
    "Trend",
    "ValueFunction",
    "WorstBestEnd",
    "__version__",
    "agents_for_service_level",
    "available_memory_models",
    "cold_pressor",
    "colonoscopy_trial",
    "erlang_b",
    "erlang_c",
    "load_scenario",
    "memory_model_from_spec",
    "patients_a_and_b",
    "recovery_paradox",
    "register_memory_model",
    "register_return_model",
    "replicate",
    "run_periods",
    "run_scenario",
    "scale_staffing",
    "scenario_from_dict",
    "simulate",
]
