"""Run, comparison, sweep and optimisation directories written by the command line, made once
per session.

A plugin of the suite (``pytest_plugins`` in tests/conftest.py): any test may ask for the
fixtures ``run_dir``, ``periods_dir``, ``compare_dir``, ``sweep_dir`` and ``optimise_dir``,
and every test
of a session shares the one folder each: under xdist (``-n 2``) the first worker to ask
builds it and the others wait for it and read the same folder (:func:`built_once`), so a
folder is written once per session, not once per worker. Do not import them into a
test module: an imported fixture is built again for that module. Never change a folder:
copy it first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from peakend.cli.main import main

from conftest import ROOT

# Multi-period runs cut to two one-day periods: the same files, in a second or two.
SHORT = [
    "retention.periods=2",
    "retention.days_per_period=1",
    "retention.day_load=[1.0]",
    'retention.period_name="day"',
]


def _sets(overrides: list[str]) -> list[str]:
    return [arg for value in overrides for arg in ("--set", value)]


def invoke(*args: str | Path) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``build(folder)`` once per test session.

    Without xdist this is a folder of the session's temporary directory. Under xdist
    every worker has its own ``popen-gwN`` directory inside the session's one; the folder
    goes beside them, and a lock file (``fcntl.flock``) makes the first worker that asks
    build it while the others wait, then read it: the same bytes each worker would have
    built itself (same command, same seed), at the cost of one build. A build that failed
    leaves no ``.done`` mark, so the next worker to ask builds again (and fails the same
    way, in its own test).
    """
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's directory, shared by its workers only
    root = base / "built-once"
    root.mkdir(exist_ok=True)
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session", name="run_dir")
def run_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "run", _build_run_dir) / "day"


def _build_run_dir(folder: Path) -> None:
    out = folder / "day"
    invoke(
        "run",
        ROOT / "configs" / "contact_centre.toml",
        "-r",
        "2",
        "--executor",
        "serial",
        "--out",
        out,
        "-q",
    )


@pytest.fixture(scope="session", name="periods_dir")
def periods_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "periods", _build_periods_dir) / "periods"


def _build_periods_dir(folder: Path) -> None:
    out = folder / "periods"
    config = ROOT / "configs" / "contact_centre_12_weeks.toml"
    invoke("run", config, "-r", "2", "--executor", "serial", "--out", out, "-q", *_sets(SHORT))


@pytest.fixture(scope="session", name="compare_dir")
def compare_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "compare", _build_compare_dir) / "quickstart"


def _build_compare_dir(folder: Path) -> None:
    out = folder / "quickstart"
    experiment = ROOT / "experiments" / "quickstart.toml"
    invoke(
        "compare", experiment, "-r", "2", "--executor", "serial", "--out", out, "-q", *_sets(SHORT)
    )


@pytest.fixture(scope="session", name="sweep_dir")
def sweep_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "sweep", _build_sweep_dir) / "agents"


def _build_sweep_dir(folder: Path) -> None:
    out = folder / "agents"
    experiment = ROOT / "experiments" / "agents_sweep.toml"
    invoke(
        "sweep", experiment, "-r", "2", "--executor", "serial", "--out", out, "-q", *_sets(SHORT)
    )


OPTIMISE_NAME = "tiny <b>roster</b> & co"
"""The optimisation's name: markup in it must show as typed on the report page."""


def optimise_problem() -> tuple[dict[str, Any], dict[str, Any]]:
    """``(base, optimisation)`` of the smallest optimisation that writes every part of the
    report: two half-hour intervals over two one-day periods (so profit and its split), a
    recovery policy to choose, and shifts of two intervals (so a roster that over-covers
    the plan, which then differs from the plan the search chose)."""
    base = {
        "name": "tiny_day",
        "run": {"seed": 11, "replications": 5, "service_level_threshold_minutes": 0.5},
        "arrivals": {"interval_minutes": 30, "rate_per_hour": [50.0, 90.0]},
        "segments": {
            "all": {
                "share": 1.0,
                "patience": {"distribution": "exponential", "mean": 2.0},
                "value_per_period": 2.5,
                "value_per_visit": 1.25,
            }
        },
        "pools": {
            "agents": {
                "staffing": [3, 4],
                "absenteeism": 0.1,
                "service_time": {"distribution": "exponential", "mean": 3.0},
                "agent_cost_per_hour": 30.0,
            }
        },
        "recovery": {"compensation": 3.75},
        "retention": {"periods": 2, "days_per_period": 1},
    }
    problem = {
        "name": OPTIMISE_NAME,
        "description": "the <script>cheapest</script> plan",
        "base": "day.toml",
        "decide": {
            "pools": {"agents": {"min": 1, "max": 6}},
            "choices": {"recovery.policy": ["apology", "compensation"]},
        },
        "objective": {"minimise": "total_cost"},
        "constraints": {"service_level": {"min": 0.7}, "retention_rate": {"min": 0.5}},
        "search": {
            "replications": 3,
            "final_replications": 4,
            "max_evaluations": 4,
            "finalists": 2,
            "candidates": 2,
        },
        "shifts": {"agents": {"starts": [0], "lengths": [2]}},
    }
    return base, problem


@pytest.fixture(scope="session", name="optimise_dir")
def optimise_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished ``peakend optimise --out`` folder (with its report.html)."""
    return built_once(tmp_path_factory, "optimise", _build_optimise_dir) / "out"


def _build_optimise_dir(work: Path) -> None:
    base, problem = optimise_problem()
    (work / "day.toml").write_text(tomli_w.dumps(base))
    (work / "optimise.toml").write_text(tomli_w.dumps(problem))
    out = work / "out"
    invoke("optimise", work / "optimise.toml", "--executor", "serial", "--out", out, "-q")


def popen_in_own_group(command: list[str]) -> subprocess.Popen[str]:
    """Start ``command`` in a process group of its own, as a terminal's foreground job
    (a Ctrl-C is ``os.killpg(proc.pid, SIGINT)``), SIGINT at its default, pipes for
    its streams."""
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def ctrl_c_once_a_replication_is_back(command: list[str]) -> tuple[int, str, list[str]]:
    """Run ``command`` (a ``peakend run`` that prints "finished" when a replication comes
    back: :data:`RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES`) in its own process group and
    send the group a Ctrl-C (SIGINT) once the first replication is back: an event, not
    a sleep. Returns its exit status, its stderr and the process ids of its children
    just before the Ctrl-C."""
    import os

    proc = popen_in_own_group(command)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "finished"  # one replication is done
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)  # a safety bound, not the mechanism
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, stderr, children


RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES = """
import sys
from peakend.runs.executors import ProgressBar

advance = ProgressBar.advance

def advance_and_say(self, tasks=1):
    advance(self, tasks)
    print("finished", flush=True)

ProgressBar.advance = advance_and_say
from peakend.cli.main import main

main(sys.argv[1:], prog_name="peakend")
"""
"""``peakend run`` (``python -c`` this) printing "finished" on stdout each time a
replication comes back to the parent (its progress bar advances): a test interrupts a
run known to be under way with a replication done, on an event, not after a sleep."""
