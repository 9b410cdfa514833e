"""What a run directory needs to be run again from itself: file names and the command.

What it makes is a command line, but it lives with the store: the library writes
it into the folders it fills (the resolved files' header comments, the report's
provenance), so that a reader can paste it, and every layer that fills a folder
sits above the store.

A run folder keeps ``resolved_config.toml``; a comparison or sweep folder keeps
``resolved_base.toml`` (the base with every override applied) and
``resolved_experiment.toml`` (the experiment as it ran, its base the file beside
it). An optimisation folder keeps ``resolved_optimisation.toml`` (the
optimisation as it ran, its base ``today.toml`` beside it).
:func:`rerun_command` is the command that runs any of them again from inside
the folder, or a copy of it anywhere, into its subfolder ``rerun``; that run's
``summary.json`` (an optimisation's ``optimise.json``) equals the folder's byte
for byte (same config, same seed).
"""

from __future__ import annotations

from peakend.config.budget import MAX_GRID_SCENARIOS

__all__ = [
    "RERUN_FOLDER",
    "RESOLVED_BASE",
    "RESOLVED_CONFIG",
    "RESOLVED_EXPERIMENT",
    "RESOLVED_OPTIMISATION",
    "TODAY_SCENARIO",
    "rerun_command",
]

RESOLVED_CONFIG = "resolved_config.toml"
"""A run's resolved scenario."""
RESOLVED_BASE = "resolved_base.toml"
"""An experiment's resolved base scenario."""
RESOLVED_EXPERIMENT = "resolved_experiment.toml"
"""The experiment as it ran, its base :data:`RESOLVED_BASE` beside it."""
RESOLVED_OPTIMISATION = "resolved_optimisation.toml"
"""An optimisation as it ran, every setting resolved, its base :data:`TODAY_SCENARIO`."""
TODAY_SCENARIO = "today.toml"
"""An optimisation's base scenario (today's plan), every default resolved."""
RERUN_FOLDER = "rerun"
"""Where the "run it again" command writes (a subfolder of the folder it runs in)."""


def rerun_command(kind: str, scenarios: int = 1) -> str:
    """The command that runs a run directory's own resolved config again, from inside it.

    ``kind`` is ``run``, ``compare``, ``sweep`` or ``optimise``; an experiment of more ``scenarios``
    than :data:`~peakend.config.budget.MAX_GRID_SCENARIOS` gets the ``--max-scenarios``
    it needs. The command names files of the folder only, so it works in a copy of
    the folder on any path.
    """
    if kind == "run":
        return f"peakend run {RESOLVED_CONFIG} --out {RERUN_FOLDER}"
    if kind == "optimise":
        return f"peakend optimise {RESOLVED_OPTIMISATION} --out {RERUN_FOLDER}"
    more = f" --max-scenarios {scenarios}" if scenarios > MAX_GRID_SCENARIOS else ""
    return f"peakend {kind} {RESOLVED_EXPERIMENT} --out {RERUN_FOLDER}{more}"
