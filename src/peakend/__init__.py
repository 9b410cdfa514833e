"""peakend: customer journeys that are remembered, not averaged."""

__version__ = "0.1.0"

from .config import ConfigError, load_scenario, scenario_from_dict
from .runner import RunResult, run_scenario
from .schema import Scenario
from .simulation import simulate

__all__ = [
    "ConfigError",
    "RunResult",
    "Scenario",
    "__version__",
    "load_scenario",
    "run_scenario",
    "scenario_from_dict",
    "simulate",
]
