"""The results store: resume after an interruption, failed replications, atomic files."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from peakend import scenario_from_dict
from peakend.experiments.api import Experiment, run_experiment
from peakend.runs.errors import ReplicationError
from peakend.runs.runner import replicate
from peakend.store.replications import ReplicationRecord, ResultStore, scenario_key
from peakend.store.rundir import OutputError

from conftest import busy_day_data

VARIANTS = {"plus_one": ["pools.agents.staffing+=1"]}  # busy day: [2, 5, 3, 1] -> [3, 6, 4, 2]


def experiment(**kwargs) -> Experiment:
    return Experiment.from_scenario(scenario_from_dict(busy_day_data()), VARIANTS, **kwargs)


def interrupted_at_replication_3(scenario, replication):
    if replication == 3:
        raise KeyboardInterrupt  # like Ctrl-C: not caught as a task failure
    return replicate(scenario, replication)


def variant_fails_at_replication_1(scenario, replication):
    if replication == 1 and scenario.pools["agents"].staffing[0] == 3:
        raise RuntimeError("disk on fire")
    return replicate(scenario, replication)


def stored_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_resume_after_an_interruption_runs_only_the_missing_replications(tmp_path):
    exp = experiment(replications=5)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(exp, out=tmp_path, replicate_fn=interrupted_at_replication_3)
    store = ResultStore(tmp_path)
    base_key, variant_key = (spec.key for spec in exp.specs("compare"))
    assert store.completed(base_key) == {0, 1, 2}  # scenarios run in order
    assert store.completed(variant_key) == set()
    manifest = store.read_manifest()
    assert manifest["sessions"][-1]["status"] == "interrupted"
    assert not (tmp_path / "compare.csv").exists()

    resumed = run_experiment(exp, out=tmp_path)
    assert (resumed.skipped, resumed.ran) == (3, 7)
    fresh = run_experiment(exp)  # in memory, from scratch
    pd.testing.assert_frame_equal(resumed.tidy_frame(), fresh.tidy_frame())
    pd.testing.assert_frame_equal(resumed.compare_frame(), fresh.compare_frame())
    manifest = store.read_manifest()
    assert [s["status"] for s in manifest["sessions"]] == ["interrupted", "finished"]
    assert [s["ran"] for s in manifest["sessions"]] == [3, 7]
    assert (tmp_path / "compare.csv").exists() and (tmp_path / "summary.json").exists()

    again = run_experiment(exp, out=tmp_path)
    assert (again.skipped, again.ran) == (10, 0)
    more = run_experiment(exp, out=tmp_path, replications=7)
    assert (more.skipped, more.ran) == (10, 4)
    assert not [name for name in stored_files(tmp_path) if "/." in name or name.startswith(".")]


def test_a_failing_replication_is_recorded_and_loses_nothing_else(tmp_path):
    exp = experiment(replications=4)
    with pytest.raises(ReplicationError, match="1 of 8 replications failed") as caught:
        run_experiment(exp, out=tmp_path, replicate_fn=variant_fails_at_replication_1)
    result = caught.value.result
    assert caught.value.failures == tuple(result.failures)
    (failure,) = result.failures
    assert (failure.label, failure.replication) == ("plus_one", 1)
    assert failure.failure.error_type == "RuntimeError"
    assert failure.failure.message == "disk on fire"
    store = ResultStore(tmp_path)
    base_key, variant_key = (spec.key for spec in exp.specs("compare"))
    assert store.completed(base_key) == {0, 1, 2, 3}
    assert store.completed(variant_key) == {0, 2, 3}
    recorded = json.loads((tmp_path / "failures" / variant_key / "1.json").read_text())
    assert recorded["error_type"] == "RuntimeError"
    assert "variant_fails_at_replication_1" in recorded["traceback"]
    manifest = store.read_manifest()
    assert manifest["failures"][0]["scenario"] == "plus_one"
    table = result.compare_frame().set_index(["metric", "variant"])
    assert table.loc[("service_level", "plus_one"), "n"] == 3
    assert table.loc[("service_level", "base"), "n"] == 4
    assert json.loads((tmp_path / "summary.json").read_text())["failed_replications"] == 1
    assert "disk on fire" in (tmp_path / "errors.log").read_text()

    retried = run_experiment(exp, out=tmp_path)
    assert (retried.ran, retried.skipped, retried.failures) == (1, 7, [])
    assert store.failures(variant_key) == {}
    assert store.completed(variant_key) == {0, 1, 2, 3}
    assert not (tmp_path / "errors.log").exists()


def test_scenario_key_ignores_the_replication_count_only():
    base = scenario_from_dict(busy_day_data())
    more = scenario_from_dict(busy_day_data(), overrides=["run.replications=50"])
    other_seed = scenario_from_dict(busy_day_data(), overrides=["run.seed=4"])
    assert scenario_key(base) == scenario_key(more)
    assert scenario_key(base) != scenario_key(other_seed)


def test_records_are_kept_on_request(tmp_path):
    exp = dataclasses.replace(experiment(replications=2), keep_records=True)
    run_experiment(exp, out=tmp_path)
    store = ResultStore(tmp_path)
    key = exp.specs("compare")[1].key
    customers = store.table(key, "customers")
    assert set(customers["replication"]) == {0, 1}
    direct = replicate(exp.specs("compare")[1].scenario, 1).customers
    # Streamed into the store by the replication itself: the same table, row for row.
    pd.testing.assert_frame_equal(
        customers[customers["replication"] == 1].reset_index(drop=True), direct
    )
    assert store.load(key, 1).metrics["customers"] == pytest.approx(float(len(direct)))
    left = [path.name for path in tmp_path.rglob(".*") if path.is_file()]
    assert left == []  # no temporary record file stays behind


@dataclasses.dataclass(frozen=True)
class _FutureResult:
    replication: int
    metrics: dict
    periods: pd.DataFrame
    notes: str = "not a table"


def test_record_keeps_any_table_field_of_a_result():
    result = _FutureResult(3, {"profit": 1.5}, pd.DataFrame({"period": [0, 1]}))
    record = ReplicationRecord.from_result("k", result, keep_tables=True)
    assert record.metrics == {"profit": 1.5} and list(record.tables) == ["periods"]
    assert ReplicationRecord.from_result("k", result).tables == {}
    with pytest.raises(ValueError, match="clash"):
        ReplicationRecord.from_result("k", _FutureResult(0, {"seconds": 1.0}, pd.DataFrame()))


def test_store_round_trips_a_record_exactly(tmp_path):
    store = ResultStore(tmp_path)
    record = ReplicationRecord("abc", 7, {"a": 0.1 + 0.2, "b": float("nan")}, 1.25)
    store.save(record)
    loaded = store.load("abc", 7)
    assert loaded.metrics["a"] == record.metrics["a"]
    assert loaded.metrics["b"] != loaded.metrics["b"]  # NaN survives
    assert store.completed("abc") == {7} and store.completed("other") == set()


def test_a_stored_file_of_millions_of_rows_is_refused_from_its_footer(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    folder = tmp_path / "replications" / "k"
    folder.mkdir(parents=True)
    rows = 5_000_000
    pd.DataFrame({"replication": [0] * rows, "seconds": [0.0] * rows}).to_parquet(
        folder / "0.parquet", index=False
    )

    def never(*args, **kwargs):
        raise AssertionError("the data was read")

    monkeypatch.setattr(pd, "read_parquet", never)
    with pytest.raises(OutputError, match="holds 5,000,000 rows and 2 columns"):
        store.load("k", 0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"0" * (2**20 + 1)), "above the 1,048,576"),
        (lambda p: p.symlink_to("/dev/zero"), "not a regular file"),
        (lambda p: __import__("os").mkfifo(p), "not a regular file"),
        (lambda p: p.write_bytes(b"PAR1 not parquet PAR1"), "cannot be read"),
    ],
)
def test_a_stored_file_that_is_not_one_row_of_metrics_is_refused(tmp_path, make, message):
    folder = tmp_path / "replications" / "k"
    folder.mkdir(parents=True)
    make(folder / "0.parquet")
    with pytest.raises(OutputError, match=message):
        ResultStore(tmp_path).load("k", 0)


def test_a_failed_replication_leaves_no_record_file_behind(tmp_path, monkeypatch):
    import peakend.runs.simulate as simulation

    real = simulation.simulate_blocks

    def simulate_blocks(scenario, replication):  # type: ignore[no-untyped-def]
        if replication == 1:
            raise RuntimeError("the simulated disk caught fire")
        return real(scenario, replication)

    monkeypatch.setattr(simulation, "simulate_blocks", simulate_blocks)
    exp = dataclasses.replace(experiment(replications=2), keep_records=True)
    with pytest.raises(ReplicationError):
        run_experiment(exp, out=tmp_path)
    key = exp.specs("compare")[1].key
    assert set(ResultStore(tmp_path).table(key, "customers")["replication"]) == {0}
    left = [path.name for path in tmp_path.rglob(".*") if path.is_file()]
    assert left == []
