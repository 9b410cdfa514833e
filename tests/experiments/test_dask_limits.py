"""Dask for big runs: memory per replication against the workers, and a time limit when no
worker is left.

The clusters here run in this process (``processes=False``: a scheduler and, where
needed, one thread worker), so the tests start in about a second and depend on no
timing: a scheduler with no worker never gets one, and an unreachable address is
never reached, so a tiny time limit always expires.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from peakend import scenario_from_dict
from peakend.cli.main import main
from peakend.runs.executors import (
    MEMORY_RESOURCE,
    DaskExecutor,
    ExecutorError,
    NoWorkersError,
    make_executor,
)
from peakend.runs.runner import replication_memory_bytes, run_scenario

from conftest import busy_day_data

distributed = pytest.importorskip("distributed")

TINY = 0.2  # seconds: the time limit of runs that can never get a worker


def double(x: int) -> int:
    return 2 * x


@pytest.fixture(scope="module")
def empty_scheduler():
    """A scheduler without workers (none will ever join)."""
    with distributed.LocalCluster(
        n_workers=0, processes=False, dashboard_address=None, silence_logs=50
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def small_worker():
    """A scheduler with one in-process worker: 2 GB memory limit, MEMORY resource 1 GB."""
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=50,
        memory_limit=2e9,
        resources={MEMORY_RESOURCE: 1e9},
        worker_dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def test_no_worker_stops_the_run_after_the_time_limit_with_one_line(empty_scheduler) -> None:
    executor = DaskExecutor(empty_scheduler, timeout_seconds=TINY)
    executor.poll_seconds = 0.05
    with executor, pytest.raises(NoWorkersError) as caught:
        list(executor.as_completed(double, range(3)))
    message = str(caught.value)
    assert "\n" not in message
    assert f"no worker connected for {TINY:g} s, 3 task(s) unfinished" in message
    assert f"dask worker {empty_scheduler}" in message
    assert caught.value.parameter == "address" and caught.value.unfinished == 3


def test_the_command_line_names_the_option_and_exits_1(empty_scheduler, tmp_path) -> None:
    import tomli_w

    config = tmp_path / "day.toml"
    config.write_bytes(tomli_w.dumps(busy_day_data()).encode())
    result = CliRunner().invoke(
        main,
        ["run", str(config), "-r", "2", "--dask", empty_scheduler, "--dask-timeout", str(TINY)],
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("peakend: error:")]
    assert lines == [
        f"peakend: error: --dask {empty_scheduler!r}: no worker connected for {TINY:g} s, "
        f"2 task(s) unfinished; start workers (dask worker {empty_scheduler}) or raise the "
        "time limit (--dask-timeout)"
    ]


def test_an_unreachable_scheduler_is_refused_within_the_time_limit() -> None:
    executor = make_executor(dask_address="tcp://127.0.0.1:9", dask_timeout_seconds=TINY)
    with pytest.raises(ExecutorError, match=r"cannot reach the scheduler within 0.2 s") as caught:
        executor.start()
    assert caught.value.parameter == "address"
    with pytest.raises(ExecutorError, match="must be a positive number") as bad:
        DaskExecutor("tcp://127.0.0.1:9", timeout_seconds=0)
    assert bad.value.parameter == "timeout_seconds"


def test_a_replication_no_worker_can_hold_is_refused_before_it_runs(small_worker) -> None:
    with DaskExecutor(small_worker) as executor:
        with pytest.raises(ExecutorError, match="more than any worker's memory limit") as caught:
            list(executor.as_completed(double, range(2), memory_bytes=3e9))
        assert "start workers with --memory-limit 3.5 GiB or more" in str(caught.value)
        described = executor.describe()
    assert described["memory_per_task"] == 3e9
    assert described["worker_memory_limits"] == [2e9]


def test_memory_is_a_resource_when_workers_declare_it_and_results_are_identical(
    small_worker,
) -> None:
    scenario = scenario_from_dict(busy_day_data())
    memory = replication_memory_bytes(scenario)
    assert 0 < memory < 1e9  # fits the worker's MEMORY resource
    with DaskExecutor(small_worker) as executor:
        assert executor._placement(memory) == {MEMORY_RESOURCE: memory}
        assert executor._placement(1.5e9) is None  # fits the limit, not the resource: no pin
        on_dask = run_scenario(scenario, 3, executor=executor)
    serial = run_scenario(scenario, 3)
    assert on_dask.executor["memory_per_task"] == memory
    assert on_dask.metrics_frame().equals(serial.metrics_frame())
    assert on_dask.customers_frame().equals(serial.customers_frame())
