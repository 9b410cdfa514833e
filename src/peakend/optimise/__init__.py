"""Optimising staffing and policies by simulation: ``peakend optimise`` as a Python API.

:func:`load_optimisation` reads an optimisation file (:mod:`peakend.optimise.schema`),
:func:`optimise` searches it (:mod:`peakend.optimise.search`) and
:func:`write_outputs` writes ``best.toml``, ``frontier.csv``, ``evaluations.csv``,
the frontier plot and the comparison with today's plan
(:mod:`peakend.optimise.outputs`). :func:`roster_shifts` covers interval
requirements with shifts by integer programming (:mod:`peakend.optimise.shifts`).
"""

from peakend.optimise.outputs import write_outputs
from peakend.optimise.plans import Plan
from peakend.optimise.problem import Optimisation, load_optimisation
from peakend.optimise.search import OptimisationResult, optimise
from peakend.optimise.shifts import Roster, ShiftType, roster_shifts, shift_types
from peakend.optimise.warmstart import interval_requirement

__all__ = [
    "Optimisation",
    "OptimisationResult",
    "Plan",
    "Roster",
    "ShiftType",
    "interval_requirement",
    "load_optimisation",
    "optimise",
    "roster_shifts",
    "shift_types",
    "write_outputs",
]
