"""``peakend optimise FILE --out DIR`` as one call: the run directory, the search, the files,
the report page.

The run directory is claimed as every peakend run's is
(:class:`~peakend.store.rundir.RunDirectory`: new, or a resume of the same
optimisation, or replaced with ``overwrite``; locked while in use; every file
peakend writes recorded in the manifest's ledger). It is recognised by the
optimisation's name and base scenario, so a resume may change the budget or the
constraints: every plan's replications are stored by the scenario they ran
(:mod:`peakend.optimise.evaluate`), and a search that goes over the same plans
reads them back instead of running them.
"""

from __future__ import annotations

import hashlib
import platform
import time
from pathlib import Path
from typing import Any

from peakend._version import __version__
from peakend.optimise.evaluate import optimise_replicate
from peakend.optimise.outputs import write_outputs
from peakend.optimise.problem import Optimisation
from peakend.optimise.search import OptimisationResult, optimise
from peakend.output.report import REPORT_NAME, render_report
from peakend.runs.executors import Executor
from peakend.store.replications import ResultStore, scenario_key
from peakend.store.rundir import RunDirectory, RunIdentity

__all__ = ["optimisation_identity", "run_optimisation"]


def optimisation_identity(problem: Optimisation) -> RunIdentity:
    """What an optimisation's run directory holds: its name and base scenario."""
    text = f"optimise\n{problem.name}\n{scenario_key(problem.base)}"
    return RunIdentity("optimise", problem.name, hashlib.sha256(text.encode()).hexdigest()[:16])


def run_optimisation(
    problem: Optimisation,
    out: str | Path | None = None,
    *,
    executor: Executor | None = None,
    overwrite: bool = False,
    progress: bool = False,
    replicate_fn: Any = optimise_replicate,
) -> OptimisationResult:
    """Optimise ``problem``; with ``out``, store every replication there and write the files
    of :mod:`peakend.optimise.outputs` and the report page (``report.html``, the chosen plan
    against today's; :mod:`peakend.output.optimise_report`).

    Raises
    ------
    OutputError
        (a ``ConfigError``) for a run directory that may not be used, before anything runs.
    EvaluationFailed
        When a replication raised.
    """
    if out is None:
        return optimise(problem, executor=executor, progress=progress, replicate_fn=replicate_fn)
    with RunDirectory(out, optimisation_identity(problem), overwrite) as folder:
        if folder.status == "overwrite":
            folder.clear()
        store = ResultStore(folder.path)
        manifest = _manifest(store, problem, folder.identity, executor)
        started = time.time()
        result = optimise(
            problem, executor=executor, store=store, progress=progress, replicate_fn=replicate_fn
        )
        write_outputs(result, store)
        manifest["sessions"].append(
            {
                "started": started,
                "seconds": result.seconds,
                "replications_run": result.evaluator.ran,
                "replications_read": result.evaluator.read,
                "stopped": result.stopped,
                "status": "finished",
            }
        )
        manifest["status"] = "finished"
        store.write_manifest(manifest)
        # Last, from the folder's files only (what `peakend report DIR` renders again),
        # while the folder is still claimed, so that the ledger lists the page too.
        store.write_text(REPORT_NAME, render_report(folder.path))
    return result


def _manifest(
    store: ResultStore,
    problem: Optimisation,
    identity: RunIdentity,
    executor: Executor | None,
) -> dict[str, Any]:
    """The manifest (written at once, so an interrupted run is recognised and resumed)."""
    manifest = store.read_manifest() or {}
    manifest.update(identity.manifest_fields())
    manifest.update(
        {
            "peakend_version": __version__,
            "source": problem.source,
            "seed": problem.base.run.seed,
            "executor": executor.describe() if executor is not None else {"kind": "serial"},
            "python": platform.python_version(),
            "status": "running",
        }
    )
    manifest.setdefault("sessions", [])
    store.write_manifest(manifest)
    return manifest
