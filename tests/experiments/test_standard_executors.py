"""Standard ``concurrent.futures`` executors and ``seed=`` on every run function."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pandas as pd
import pytest

from peakend import compare, run, run_scenario, sweep
from peakend.runs.executors import FuturesExecutor, SerialExecutor, as_executor

from conftest import mmc

VARIANTS = {"plus_one": ["pools.agents.staffing+=1"]}


def small():
    return mmc(arrival_rate=2.0, agents=3, mean_patience=2.0, horizon=240.0, warmup=0.0, seed=4)


def test_compare_on_a_process_pool_is_byte_identical_to_serial():
    serial = compare(small(), VARIANTS, replications=3)
    with ProcessPoolExecutor(2) as pool:
        pooled = compare(small(), VARIANTS, replications=3, executor=pool)
    # to_csv writes every float with its shortest exact repr: equal text is equal bits
    assert pooled.to_csv() == serial.to_csv()


def test_run_scenario_on_a_thread_pool_matches_serial_and_leaves_the_pool_open():
    with ThreadPoolExecutor(2) as pool:
        pooled = run_scenario(small(), 3, executor=pool)
        assert pool.submit(int, "7").result() == 7  # still usable: peakend did not close it
    serial = run_scenario(small(), 3)
    assert pooled.metrics_frame().to_csv() == serial.metrics_frame().to_csv()


def test_as_executor_wraps_standard_executors_and_refuses_other_objects():
    assert isinstance(as_executor(None), SerialExecutor)
    serial = SerialExecutor()
    assert as_executor(serial) is serial
    with ThreadPoolExecutor(3) as pool:
        wrapped = as_executor(pool)
        assert isinstance(wrapped, FuturesExecutor)
        assert wrapped.workers == 3
        assert wrapped.describe()["class"].endswith("ThreadPoolExecutor")
    with pytest.raises(TypeError, match="not an executor: list"):
        as_executor([])


def test_seed_on_every_run_function_is_the_run_seed_key():
    by_key = run(small(), replications=2, overrides=["run.seed=11"])
    by_argument = run(small(), replications=2, seed=11)
    pd.testing.assert_frame_equal(by_argument, by_key)
    assert not run(small(), replications=2, seed=12).equals(by_argument)
    result = run_scenario(small(), 2, seed=11)
    assert result.scenario.run.seed == 11
    pd.testing.assert_frame_equal(result.metrics_frame(), by_key)
    seeded = compare(small(), VARIANTS, replications=2, seed=11)
    base = seeded[(seeded["variant"] == "base") & (seeded["metric"] == "mean_wait_minutes")]
    assert base["mean"].item() == pytest.approx(by_key["mean_wait_minutes"].mean(), rel=1e-12)
    tidy, _ = sweep(small(), {"pools.agents.staffing+": [0, 1]}, replications=2, seed=11)
    first = tidy[tidy["staffing_added"] == 0].reset_index(drop=True)
    assert first["mean_wait_minutes"].tolist() == by_key["mean_wait_minutes"].tolist()


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, True])
def test_a_bad_seed_is_refused_before_anything_runs(seed):
    with pytest.raises(ValueError, match="seed must be an integer from 0 to"):
        run_scenario(small(), 1, seed=seed)


def test_run_scenario_takes_a_file_and_overrides(tmp_path):
    from peakend.config.loading import scenario_to_toml

    path = tmp_path / "s.toml"
    path.write_text(scenario_to_toml(small()), encoding="utf-8")
    from_file = run_scenario(path, 2, overrides=["pools.agents.staffing=[4]"], seed=3)
    assert list(from_file.scenario.pools["agents"].staffing) == [4]
    assert from_file.scenario.run.seed == 3


@pytest.mark.slow
def test_dasks_client_executor_is_byte_identical_to_serial():
    distributed = pytest.importorskip("distributed", reason="the dask extra (peakend[dask])")
    serial = compare(small(), VARIANTS, replications=2)
    cluster = distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        pooled = compare(small(), VARIANTS, replications=2, executor=client.get_executor())
    assert pooled.to_csv() == serial.to_csv()
