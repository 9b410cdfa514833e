"""Shared fixtures: small scenarios built in code, and paths to the shipped configs."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from peakend import Scenario, scenario_from_dict

pytest_plugins = ["rundirs"]
"""Session fixtures of finished run folders (tests/rundirs.py), shared by every test."""

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))
EXAMPLE_FOLDERS = ("configs", "experiments")
"""The shipped inputs that documented commands and examples name by relative path."""


def example_workspace(folder: Path) -> Path:
    """``folder`` as a working directory for documented commands: the shipped ``configs/``
    and ``experiments/`` linked in (read only), so that their relative paths resolve while
    whatever they write (``results/`` and the like) lands in ``folder``, never in the
    repository (the suite runs in parallel, and twice in a row)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_FOLDERS:
        (folder / name).symlink_to(ROOT / name)
    return folder


UNIT_FOLDERS = ("engine", "experience", "config", "analysis", "retention", "classics")
"""Unit and story tests: they run first, so that a broken unit shows before the end-to-end
tests that it breaks too."""
END_TO_END_FOLDERS = ("hostile",)
"""The corpora that run the real command line, many in child processes: they run last."""


def _tier(item: pytest.Item) -> int:
    """0 for unit and story tests, 1 for the rest, 2 for end-to-end corpora and the
    repository-level checks (README, docs, the stored quickstart)."""
    parts = Path(str(item.path)).relative_to(ROOT / "tests").parts
    if len(parts) == 1 or parts[0] in END_TO_END_FOLDERS:
        return 2
    return 0 if parts[0] in UNIT_FOLDERS else 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the run: unit and story tests first, end-to-end tests last (a stable sort:
    within a tier, the files' own order). Under xdist (``-n``), the tests marked ``slow``
    go first instead, so that the longest start while the other worker takes the rest
    and both finish together; every worker computes the same order, as xdist requires."""
    in_xdist_worker = hasattr(config, "workerinput")
    items.sort(
        key=lambda item: (
            not (in_xdist_worker and item.get_closest_marker("slow") is not None),
            _tier(item),
        )
    )


MODULE_FIXTURE = re.compile(r"^@pytest\.fixture\(scope=\"module\"", flags=re.M)


def modules_sharing_a_fixture() -> frozenset[str]:
    """The test modules (paths as in node ids) that define a module-scoped fixture: a
    run, a calibration, a Dask cluster that several of their tests share."""
    return frozenset(
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("test_*.py")
        if MODULE_FIXTURE.search(path.read_text(encoding="utf-8"))
    )


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, called with -n
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``-n`` and the default ``--dist load``: schedule test by test as ``load``
    does, in the order above (the slow tests first), except that the tests of a module
    that defines a module-scoped fixture go to one worker together, which builds that
    fixture once instead of once per worker that gets one of them (xdist's own
    ``--dist loadgroup`` would do this with marks, but under pytest 9 it no longer
    renames the node ids it groups by). Any other ``--dist`` is left to xdist."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    grouped = modules_sharing_a_fixture()

    class ModuleFixturesOnce(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in grouped else nodeid

    config.option.loadscopereorder = False  # keep the order: the slow tests start first
    return ModuleFixturesOnce(config, log)


def mmc_data(
    arrival_rate: float = 2.0,
    mean_service: float = 1.0,
    agents: int = 3,
    mean_patience: float | None = None,
    horizon: float = 2000.0,
    warmup: float = 100.0,
    seed: int = 1,
    replications: int = 1,
) -> dict[str, Any]:
    """Scenario data of an M/M/c (or M/M/c+M with ``mean_patience``) system."""
    patience = (
        {"distribution": "fixed", "value": float("inf")}
        if mean_patience is None
        else {"distribution": "exponential", "mean": mean_patience}
    )
    return {
        "name": "mmc",
        "run": {"seed": seed, "replications": replications, "warmup_minutes": warmup},
        "arrivals": {"interval_minutes": horizon, "rate_per_hour": [arrival_rate * 60]},
        "segments": {"all": {"share": 1.0, "patience": patience}},
        "pools": {
            "agents": {
                "staffing": [agents],
                "service_time": {"distribution": "exponential", "mean": mean_service},
            }
        },
    }


def mmc(**kwargs: Any) -> Scenario:
    return scenario_from_dict(mmc_data(**kwargs))


def busy_day_data(seed: int = 3) -> dict[str, Any]:
    """A small day with shifts, absenteeism, two segments, retries and repeat contacts."""
    return {
        "name": "busy_day",
        "run": {"seed": seed, "replications": 2},
        "arrivals": {"interval_minutes": 30, "rate_per_hour": [40, 90, 120, 60]},
        "segments": {
            "a": {
                "share": 0.6,
                "patience": {"distribution": "exponential", "mean": 3.0},
                "retry_probability": 0.5,
                "retry_delay": {"distribution": "exponential", "mean": 5.0},
                "recontact_probability": 0.7,
                "recontact_delay": {"distribution": "fixed", "value": 10.0},
            },
            "b": {
                "share": 0.4,
                "patience": {"distribution": "lognormal", "mean": 4.0, "cv": 1.0},
            },
        },
        "pools": {
            "agents": {
                "staffing": [2, 5, 3, 1],
                "absenteeism": 0.2,
                "service_time": {"distribution": "gamma", "mean": 2.5, "cv": 0.8},
                "first_contact_resolution": 0.7,
                "skill_effect": 0.5,
            }
        },
    }


@pytest.fixture
def busy_day() -> Scenario:
    return scenario_from_dict(busy_day_data())


WHATIF = """
name = "whatif"
base = "base.toml"
replications = 2
metrics = ["service_level", "abandonment_rate"]

[variants.more]
set = ["pools.agents.staffing+=1"]
"""

GRID = """
name = "grid"
base = "base.toml"
replications = 1

[sweep.factors]
"pools.agents.staffing*" = [0.5, 1.0]
"""


@pytest.fixture(scope="session")
def finished_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace of input files and three finished run folders, built once per session
    and shared by the hostile corpora (tests/hostile/), which copy it before each case.

    Inputs: ``base.toml`` (:func:`busy_day_data`, 2 replications), ``other.toml`` (seed
    11), ``whatif.toml`` (a compare of one variant), ``grid.toml`` (a sweep of two levels),
    ``notes.txt`` (not a config) and ``foreign/thesis.tex`` (a user's folder). Folders:
    ``run_dir``, ``compare_dir`` (each with its ``report.html``) and ``sweep_dir``, written
    by the real command line in process, serially; built once per session, whatever
    the number of xdist workers (``rundirs.built_once``). Never modify it: copy it.
    """
    from rundirs import built_once

    return built_once(tmp_path_factory, "finished_runs", _build_finished_runs)


def _build_finished_runs(root: Path) -> None:
    from peakend.cli.main import main

    (root / "base.toml").write_text(tomli_w.dumps(busy_day_data(3)))
    (root / "other.toml").write_text(tomli_w.dumps(busy_day_data(11)))
    (root / "whatif.toml").write_text(WHATIF)
    (root / "grid.toml").write_text(GRID)
    (root / "notes.txt").write_text("not a config\n")
    (root / "foreign").mkdir()
    (root / "foreign" / "thesis.tex").write_text("\\documentclass{article}\n")
    previous = Path.cwd()
    os.chdir(root)
    try:
        for args in (
            ("run", "base.toml", "--out", "run_dir", "--executor", "serial", "-q"),
            ("compare", "whatif.toml", "--out", "compare_dir", "--executor", "serial", "-q"),
            ("sweep", "grid.toml", "--out", "sweep_dir", "--executor", "serial", "-q"),
            ("report", "run_dir"),
            ("report", "compare_dir"),
        ):
            result = CliRunner().invoke(main, list(args))
            assert result.exit_code == 0, result.output
    finally:
        os.chdir(previous)
