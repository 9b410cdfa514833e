"""The manifest of an experiment's run directory: what ran, with what, and how it went.

``manifest.json`` lists every scenario (label, key, config hash, seed,
overrides, factor levels), the peakend, Python, NumPy and SimPy versions, and
one entry per session (status, start, seconds, executor, versions,
replications run, reused and failed), so that a resumed run keeps the history
of the interrupted ones.

A run directory written under another peakend, NumPy or SimPy version is not
resumed silently (:func:`check_versions`): NumPy's generators and SimPy's event
order decide every draw, so the stored replications may not be the ones this
installation would compute, and a summary mixing both would be reproducible by
neither. It is refused unless the caller allows it (``allow_version_change``,
``--allow-version-change``), and then a :class:`VersionChangeWarning` says what
changed. (A new peakend version also changes every scenario key, so its stored
replications are not reused anyway; the folder would hold two runs.)
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peakend._version import __version__, software_versions
from peakend.config.loading import config_hash, scenario_to_toml
from peakend.experiments.design import Experiment, ScenarioSpec, resolved_experiment_toml
from peakend.experiments.results import CONFIDENCE_LEVEL
from peakend.experiments.schema import ReplicationPlan
from peakend.experiments.session import Session
from peakend.store.replications import ResultStore
from peakend.store.rerun import RESOLVED_BASE, RESOLVED_EXPERIMENT
from peakend.store.rundir import OutputError, RunIdentity

__all__ = [
    "VERSION_KEYS",
    "add_stage",
    "RunManifest",
    "VersionChangeWarning",
    "VersionMismatchError",
    "check_versions",
    "version_changes",
]

VERSION_KEYS = {"peakend_version": "peakend", "numpy": "NumPy", "simpy": "SimPy"}
"""The manifest's version fields that a result depends on, and their names in messages."""


class VersionChangeWarning(UserWarning):
    """A run directory written under other versions is resumed (allowed by the caller)."""


class VersionMismatchError(OutputError):
    """A run directory written under other peakend, NumPy or SimPy versions, not resumed.

    ``changes`` lists them, e.g. ``["NumPy 1.26.4 (now 2.4.6)"]``.
    """

    def __init__(self, path: str | Path, changes: list[str]) -> None:
        super().__init__(
            path,
            f"was written under {', '.join(changes)}: the numbers may differ, so its stored "
            "replications are not mixed with new ones; resume anyway with "
            "allow_version_change=True",
            overwritable=True,
        )
        self.changes = changes


def version_changes(previous: dict[str, Any]) -> list[str]:
    """The versions a manifest records that differ from this installation's.

    A manifest without a version field (not written by peakend) counts as no change.
    """
    current = software_versions()
    return [
        f"{name} {previous[key]} (now {current[key]})"
        for key, name in VERSION_KEYS.items()
        if isinstance(previous.get(key), str) and previous[key] != current[key]
    ]


def check_versions(path: str | Path, previous: dict[str, Any], allow: bool = False) -> None:
    """Refuse to resume a run directory whose manifest records other versions.

    Raises
    ------
    VersionMismatchError
        (an ``OutputError``, so a ``ConfigError``) naming the folder and each change,
        unless ``allow``; then a :class:`VersionChangeWarning` is issued instead.
    """
    changes = version_changes(previous)
    if not changes:
        return
    if not allow:
        raise VersionMismatchError(path, changes)
    warnings.warn(
        f"{path}: resuming a run written under {', '.join(changes)}: its stored replications "
        "may differ from what this installation computes",
        VersionChangeWarning,
        stacklevel=3,
    )


@dataclass
class RunManifest:
    """``manifest.json`` of one run directory, open for one session."""

    store: ResultStore
    content: dict[str, Any]
    started: float
    """Wall-clock start of the session (seconds since the epoch)."""
    clock: float
    """``time.perf_counter()`` at the start of the session."""

    @classmethod
    def open(
        cls,
        store: ResultStore,
        experiment: Experiment,
        kind: str,
        specs: list[ScenarioSpec],
        plan: ReplicationPlan,
        identity: RunIdentity,
    ) -> RunManifest:
        """Start a session: keep earlier sessions, save the scenarios and the experiment file.

        The manifest is written at once (the session marked ``running``), so the
        folder is recognisable as this experiment's even if the process is killed.
        """
        started, clock = time.time(), time.perf_counter()
        previous = store.read_manifest()
        content = {
            **identity.manifest_fields(),
            **_content(experiment, kind, specs, plan, previous.get("sessions", [])),
        }
        store.write_manifest({**content, "status": "running"})
        for spec in specs:
            store.save_scenario(spec.key, spec.scenario)
        if experiment.text is not None:
            store.write_text("experiment.toml", experiment.text)
        _write_resolved(store, experiment, kind, specs, plan)
        return cls(store, content, started, clock)

    def close(self, session: Session, status: str, count: int) -> None:
        """Record the session (``finished`` or ``interrupted``) and its failures; write."""
        self.content["replications"] = count
        self.content["status"] = status
        self.content["sessions"].append(self._session_entry(session, status))
        self.content["failures"] = [
            {k: v for k, v in f.as_dict().items() if k != "traceback"}
            for f in session.failures.values()
        ]
        self.store.write_manifest(self.content)

    def _session_entry(self, session: Session, status: str) -> dict[str, Any]:
        return {
            "status": status,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "seconds": round(time.perf_counter() - self.clock, 3),
            "replication_seconds": round(session.replication_seconds, 3),
            "stages": {
                "replications": round(time.perf_counter() - self.clock, 3),
                "store": round(session.store_seconds, 3),
            },
            "executor": session.executor.describe(),
            "versions": {key: software_versions()[key] for key in VERSION_KEYS},
            "ran": session.ran,
            "skipped": session.skipped,
            "failed": len(session.failures),
        }


def add_stage(folder: str | Path, name: str, seconds: float) -> None:
    """Add ``seconds`` to stage ``name`` of the last session in ``folder``'s manifest
    (the stages that run after the session closed: ``tables``, ``plots``).

    Call it while the folder is claimed (:class:`~peakend.store.rundir.RunDirectory`);
    a folder without a session is left alone.
    """
    store = ResultStore(folder)
    content = store.read_manifest()
    sessions = content.get("sessions") or []
    if not sessions:
        return
    stages = sessions[-1].setdefault("stages", {})
    stages[name] = round(float(stages.get(name, 0.0)) + seconds, 3)
    store.write_manifest(content)


def _write_resolved(
    store: ResultStore,
    experiment: Experiment,
    kind: str,
    specs: list[ScenarioSpec],
    plan: ReplicationPlan,
) -> None:
    """The folder's own resolved base and experiment: what its "run it again" command
    (:func:`~peakend.store.rerun.rerun_command`) runs, from a copy anywhere."""
    header = f"Resolved base of experiment {experiment.name!r}, written by peakend {__version__}."
    store.write_text(RESOLVED_BASE, scenario_to_toml(experiment.base, header))
    about = (
        f"Experiment {experiment.name!r} as it ran (from {experiment.source}), written by "
        f"peakend {__version__}.\nIts base, {RESOLVED_BASE}, has the experiment's and the "
        "command line's overrides applied."
    )
    text = resolved_experiment_toml(experiment, plan, kind, len(specs), about)
    store.write_text(RESOLVED_EXPERIMENT, text)


def _content(
    experiment: Experiment,
    kind: str,
    specs: list[ScenarioSpec],
    plan: ReplicationPlan,
    sessions: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "experiment": experiment.name,
        "description": experiment.description,
        "source": experiment.source,
        "kind": kind,
        **software_versions(),
        "confidence_level": CONFIDENCE_LEVEL,
        "replication_plan": plan.model_dump(exclude_none=True),
        "seed": specs[0].scenario.run.seed,
        "scenarios": [_scenario_entry(spec) for spec in specs],
        "sessions": list(sessions),
    }


def _scenario_entry(spec: ScenarioSpec) -> dict[str, Any]:
    return {
        "label": spec.label,
        "key": spec.key,
        "config_hash": config_hash(spec.scenario),
        "seed": spec.scenario.run.seed,
        "requested": list(spec.requested),
        "overrides": list(spec.overrides),
        "factors": spec.levels,
    }
