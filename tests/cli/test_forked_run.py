"""A small ``peakend run`` simulated in a process forked before the heavy imports
(:mod:`peakend.runs.forked`): the files of a serial run, failures and Ctrl-C handled as
in a serial run, nothing left running.

The command forks only in a process without threads (a test runner's worker has some),
so these tests run the command as a user does, in a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from rundirs import RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES, ctrl_c_once_a_replication_is_back

from peakend.config.loading import scenario_from_dict
from peakend.runs import forked
from peakend.runs.executors import available_cores, make_executor
from peakend.runs.forked import ForkedExecutor, ForkedWork, forked_executor

from conftest import mmc_data

FORKS = sys.platform == "linux" and available_cores() >= 2
needs_fork = pytest.mark.skipif(
    not FORKS, reason="peakend forks a small run only on Linux with two usable cores"
)

# ``peakend run`` with replication 1 made to fail in the way the first argument names
# (raise: a RuntimeError; die: the process exits at once, as killed; hang: it waits
# until it is stopped), wherever the replication runs.
FAILING = (
    """
import os, sys, threading
import peakend.runs.simulate as simulation

how = sys.argv.pop(1)
real = simulation.simulate_blocks

def simulate_blocks(scenario, replication):
    if replication == 1:
        if how == "raise":
            raise RuntimeError("the simulated disk caught fire")
        if how == "die":
            os._exit(9)
        threading.Event().wait()
    return real(scenario, replication)

simulation.simulate_blocks = simulate_blocks
"""
    + RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES
)


def _config(tmp_path: Path, replications: int = 3) -> Path:
    config = tmp_path / "day.toml"
    data = mmc_data(arrival_rate=3.0, agents=4, mean_patience=2.0, horizon=600.0)
    data["run"]["replications"] = replications
    data["experience"] = {"enabled": True}
    config.write_text(tomli_w.dumps(data), encoding="utf-8")
    return config


def _peakend(*args: str | Path, script: str | None = None) -> subprocess.CompletedProcess[str]:
    head = ["-c", script] if script is not None else ["-m", "peakend"]
    return subprocess.run(
        [sys.executable, *head, *map(str, args)], capture_output=True, text=True, timeout=300
    )


def _executor(out: Path) -> dict[str, Any]:
    executor: dict[str, Any] = json.loads((out / "manifest.json").read_text())["executor"]
    return executor


@needs_fork
def test_a_small_run_is_forked_and_writes_the_files_of_a_serial_run(tmp_path: Path) -> None:
    config = _config(tmp_path)
    done = _peakend("run", config, "--out", tmp_path / "forked", "-q")
    assert done.returncode == 0, done.stderr
    done = _peakend("run", config, "--executor", "serial", "--out", tmp_path / "serial", "-q")
    assert done.returncode == 0, done.stderr
    executor = _executor(tmp_path / "forked")
    assert executor["kind"] == "forked" and executor["chosen"].startswith("auto: ")
    assert _executor(tmp_path / "serial")["kind"] == "serial"
    names = sorted(p.name for p in (tmp_path / "serial").iterdir() if p.is_file())
    assert "customers.parquet" in names and "trace.png" in names
    assert sorted(p.name for p in (tmp_path / "forked").iterdir() if p.is_file()) == names
    for name in names:
        if name != "manifest.json":  # it says what ran and how long each stage took
            forked_bytes = (tmp_path / "forked" / name).read_bytes()
            assert forked_bytes == (tmp_path / "serial" / name).read_bytes(), name


@needs_fork
def test_a_replication_that_raises_in_the_forked_process_fails_as_in_a_serial_run(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    runs = {
        how: _peakend("raise", "run", config, *extra, "--out", tmp_path / how, "-q", script=FAILING)
        for how, extra in (("forked", ()), ("serial", ("--executor", "serial")))
    }
    assert _executor(tmp_path / "forked")["kind"] == "forked"
    assert runs["forked"].returncode == runs["serial"].returncode != 0
    assert runs["forked"].stderr.replace("forked", "serial") == runs["serial"].stderr
    assert "RuntimeError: the simulated disk caught fire" in runs["forked"].stderr
    for name in ("summary.json", "replications.csv", "customers.parquet"):
        assert (tmp_path / "forked" / name).read_bytes() == (
            tmp_path / "serial" / name
        ).read_bytes()
    assert "the simulated disk caught fire" in (tmp_path / "forked" / "errors.log").read_text()


@needs_fork
def test_a_replication_process_that_dies_fails_what_it_did_not_send(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _peakend("die", "run", _config(tmp_path), "--out", out, "-q", script=FAILING)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(
        "peakend: error: 2 of 3 replications failed; first: replication 1 of mmc: "
        "ChildProcessError: the replication process ended (exit status 9)"
    ), line
    log = (out / "errors.log").read_text()
    assert "the replication process ended (exit status 9)" in log
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 1  # replication 0 came back before the child died


@needs_fork
def test_ctrl_c_on_a_forked_run_keeps_what_came_back_and_stops_the_child(tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT to the process group) once replication 0 is back and while
    the child waits inside replication 1: it ignores the signal, the command keeps
    replication 0, exits 130 and stops it."""
    out = tmp_path / "out"
    command = [sys.executable, "-c", FAILING, "hang", "run", str(_config(tmp_path)),
               "--out", str(out), "-q"]  # fmt: skip
    returncode, stderr, children = ctrl_c_once_a_replication_is_back(command)
    assert returncode == 130, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("peakend: interrupted; the 1 finished replications are in"), line
    assert children  # the replication process (and the plot process, where one runs)
    for child in children:
        with pytest.raises(ProcessLookupError):  # stopped with the run
            os.kill(int(child), 0)
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["replications"], summary["status"]) == (1, "interrupted")
    assert _executor(out)["kind"] == "forked"


def _work(**changes: Any) -> ForkedWork:
    data = mmc_data(arrival_rate=3.0, agents=4, horizon=600.0)
    data["run"].update(changes.pop("run", {}))
    data.update(changes)
    return ForkedWork(scenario_from_dict(data))


def test_only_a_small_single_day_auto_run_with_its_records_in_memory_is_forked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The choice, made without forking (the executor forks when it is entered). A test
    # runner's worker has threads, where the command never forks: pretend it has none.
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    monkeypatch.setattr(forked, "available_cores", lambda: 2)
    monkeypatch.setattr(forked.sys, "platform", "linux")
    small = _work()
    auto_serial = make_executor("auto", cpu_seconds=0.5, tasks=3)
    assert auto_serial.kind == "serial"
    chosen = forked_executor(auto_serial, small, 3)
    assert isinstance(chosen, ForkedExecutor) and chosen.work == small
    described = chosen.describe()
    assert described["kind"] == "forked"
    assert described["chosen"].startswith(f"{auto_serial.reason}; simulated in a process forked")
    assert forked_executor(make_executor("serial"), small, 3) is None  # asked by name
    assert forked_executor(make_executor("processes", 1), small, 3) is None
    pays = make_executor("auto", 2, force_workers=True, cpu_seconds=60.0, tasks=3)
    assert forked_executor(pays, small, 3) is None  # a pool pays
    assert forked_executor(auto_serial, None, 3) is None  # streamed records
    assert forked_executor(auto_serial, _work(retention={"periods": 2}), 3) is None
    big = _work(arrivals={"interval_minutes": 600.0, "rate_per_hour": [60_000.0]})
    assert forked_executor(auto_serial, big, 1) is None  # records > 64 MiB
    monkeypatch.setattr(forked.threading, "active_count", lambda: 2)
    assert forked_executor(auto_serial, small, 3) is None
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    monkeypatch.setattr(forked, "available_cores", lambda: 1)
    assert forked_executor(auto_serial, small, 3) is None


def test_a_task_the_forked_executor_was_not_started_for_runs_in_this_process() -> None:
    # Nothing is forked: the executor is never started for this task.
    executor = ForkedExecutor(_work(), 2)
    outcomes = list(executor.as_completed(lambda x: x * 10, [4, 5]))
    assert [(o.item, o.value) for o in outcomes] == [(4, 40), (5, 50)]
    with pytest.raises(ValueError, match="replications must be >= 1"):
        ForkedExecutor(_work(), 0)
