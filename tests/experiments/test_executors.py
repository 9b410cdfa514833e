"""Executors: map-like interface, failure isolation, identical results on processes.

The one Dask local-cluster run of the suite is in test_compare_sweep_cli.py
(serial, processes and --dask local give byte-identical results).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from peakend import scenario_from_dict
from peakend.cli.experiments import make_mapper
from peakend.config.loading import ConfigError
from peakend.runs.executors import (
    DaskExecutor,
    Failure,
    ProcessExecutor,
    SerialExecutor,
    TaskError,
    make_executor,
)
from peakend.runs.runner import run_scenario

from conftest import busy_day_data


def square_but_not_two(x: int) -> int:
    if x == 2:
        raise ValueError(f"no twos here: {x}")
    return x * x


def test_serial_as_completed_records_a_failure_and_keeps_the_others():
    with SerialExecutor() as executor:
        outcomes = list(executor.as_completed(square_but_not_two, range(5)))
    assert [o.value for o in outcomes] == [0, 1, None, 9, 16]
    failed = outcomes[2]
    assert not failed.ok and failed.item == 2
    assert failed.failure == Failure(
        failed.failure.error_type, "no twos here: 2", failed.failure.traceback
    )
    assert failed.failure.error_type == "ValueError"
    assert "square_but_not_two" in failed.failure.traceback


def test_map_keeps_input_order_and_raises_task_error_on_failure():
    with SerialExecutor() as executor:
        assert list(executor.map(square_but_not_two, [3, 1, 0])) == [9, 1, 0]
        with pytest.raises(TaskError, match="no twos here") as caught:
            list(executor.map(square_but_not_two, [1, 2, 3]))
    assert caught.value.item == 2


def test_process_pool_isolates_failures_and_matches_serial():
    scenario = scenario_from_dict(busy_day_data())
    serial = run_scenario(scenario, 4)
    with ProcessExecutor(workers=2) as executor:
        parallel = run_scenario(scenario, 4, mapper=executor.map)
        outcomes = sorted(
            executor.as_completed(square_but_not_two, range(4)), key=lambda o: o.index
        )
    assert parallel.metrics_frame().equals(serial.metrics_frame())
    assert parallel.customers_frame().equals(serial.customers_frame())
    assert [o.value for o in outcomes] == [0, 1, None, 9]
    assert outcomes[2].failure.error_type == "ValueError"
    assert "square_but_not_two" in outcomes[2].failure.traceback  # the worker's traceback


def test_make_mapper_runs_a_scenario_like_map():
    scenario = scenario_from_dict(busy_day_data())
    with make_mapper("serial", progress=True) as mapper:
        result = run_scenario(scenario, 3, mapper=mapper)
    assert result.metrics_frame().equals(run_scenario(scenario, 3).metrics_frame())


def test_make_executor_choices_and_errors():
    assert isinstance(make_executor("serial"), SerialExecutor)
    assert make_executor("processes", workers=1).workers == 1
    assert isinstance(make_executor("serial", dask_address="tcp://127.0.0.1:8786"), DaskExecutor)
    with pytest.raises(ConfigError, match="executor 'threads': unknown") as kind:
        make_executor("threads")
    with pytest.raises(ConfigError, match="Dask address 'somewhere'") as address:
        make_executor(dask_address="somewhere")
    with pytest.raises(ConfigError, match="workers 0: must be at least 1") as workers:
        make_executor(workers=0)
    # the library names its parameters, never the command line's flags
    assert [e.value.parameter for e in (kind, address, workers)] == ["kind", "address", "workers"]
    assert not any("--" in str(e.value) for e in (kind, address, workers))


def test_local_workers_are_capped_at_the_usable_cores():
    from peakend.runs.executors import available_cores

    cores = available_cores()
    assert make_executor("processes", workers=cores).workers == cores
    for options in ({"kind": "processes"}, {"dask_address": "local"}):
        with pytest.raises(ConfigError, match=f"more than the {cores} usable cores") as caught:
            make_executor(workers=cores + 1, **options)  # type: ignore[arg-type]
        assert caught.value.parameter == "workers"
    forced = make_executor("processes", workers=cores + 1, force_workers=True)
    assert forced.workers == cores + 1
    assert isinstance(make_executor("serial", workers=cores + 1), SerialExecutor)
    remote = make_executor(workers=cores + 1, dask_address="tcp://127.0.0.1:8786")
    assert isinstance(remote, DaskExecutor)  # other machines' cores: not capped here


# The parent's two workers each take one task and wait at a barrier until both have
# one, so both are known to run (no sleep); the parent prints their PIDs and then
# blocks on its stdin until the test kills it.
WORKER_PARENT = """
import functools, multiprocessing, os, sys
from peakend.runs.executors import ProcessExecutor

def pid(barrier, _):
    barrier.wait()
    return os.getpid()

if __name__ == "__main__":
    with ProcessExecutor(workers=2) as executor:
        with multiprocessing.Manager() as manager:  # shut down before the parent is killed
            barrier = manager.Barrier(2, timeout=120)  # the timeout is only a safety bound
            pids = sorted(set(executor.map(functools.partial(pid, barrier), range(2))))
        print(*pids, flush=True)
        sys.stdin.read()
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\nState:\tZ" not in status.read()  # a zombie has exited
    except FileNotFoundError:
        return False


def _wait_for_exit(pid: int, timeout: float) -> None:
    """Return when process ``pid`` has exited: its pidfd becomes readable (an event from
    the kernel); ``timeout`` seconds is only a safety bound."""
    import select

    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    try:
        select.select([handle], [], [], timeout)
    finally:
        os.close(handle)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds and /proc")
def test_workers_exit_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(WORKER_PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_running(pid) for pid in workers)
    finally:
        parent.kill()  # SIGKILL: no clean-up code runs in the parent
        parent.wait()  # reaped: a zombie parent would still look alive to its workers
        parent.stdin.close()
        parent.stdout.close()
    for pid in workers:
        _wait_for_exit(pid, timeout=60)
    assert not any(_running(pid) for pid in workers)


def test_auto_runs_serially_when_a_process_pool_would_not_pay():
    from peakend.runs.executors import POOL_BREAK_EVEN_SECONDS, choose_kind

    assert choose_kind(100.0, 1, 2)[0] == "serial"  # one task
    assert choose_kind(100.0, 10, 1)[0] == "serial"  # one worker
    # 2 workers save half the work: processes only when that half beats the pool's price
    at_break_even = 2 * POOL_BREAK_EVEN_SECONDS
    assert choose_kind(at_break_even, 10, 2)[0] == "serial"
    assert choose_kind(at_break_even * 1.01, 10, 2)[0] == "processes"
    small = make_executor("auto", workers=2, cpu_seconds=0.5, tasks=6)
    assert isinstance(small, SerialExecutor)
    assert small.describe()["chosen"].startswith("auto: ~0.5 s of work")
    big = make_executor("auto", workers=2, cpu_seconds=60.0, tasks=6)
    assert isinstance(big, ProcessExecutor) and big.workers == 2
    assert big.describe()["chosen"] == "auto: ~60 s of work on 2 processes"
    assert isinstance(make_executor("auto", workers=2), ProcessExecutor)  # nothing estimated
    assert "chosen" not in make_executor("processes", workers=2).describe()  # asked by name


def test_the_command_line_default_runs_a_tiny_run_serially(tmp_path):
    import json

    import tomli_w
    from click.testing import CliRunner

    from peakend.cli.main import main

    config = tmp_path / "day.toml"
    config.write_bytes(tomli_w.dumps(busy_day_data()).encode())
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["run", str(config), "-r", "3", "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # Serial: in this process, or (where the command forks a small run: a process
    # without threads, tests/cli/test_forked_run.py) in one forked process.
    assert manifest["executor"]["kind"] in ("serial", "forked")
    assert manifest["executor"]["chosen"].startswith("auto:")
    assert {"load", "simulate", "tables", "store", "plots"} <= set(manifest["stages"])
