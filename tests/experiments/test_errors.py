"""The API's typed errors, run directories and the library/CLI boundary."""

from __future__ import annotations

import ast
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peakend import scenario_from_dict
from peakend.experiments.api import compare, sweep
from peakend.output.files import run_identity, write_run
from peakend.runs.errors import ReplicationError, RunInterrupted
from peakend.runs.runner import metric_names, replicate, run_scenario
from peakend.store.rundir import LOCK_NAME, OutputError, RunDirectory, safe_name

from conftest import ROOT, busy_day_data


def _fail_at(monkeypatch: pytest.MonkeyPatch, at: int, error: BaseException) -> None:
    import peakend.runs.simulate as simulation

    real = simulation.simulate_blocks

    def simulate(scenario: Any, replication: int) -> Any:
        if replication == at:
            raise error
        return real(scenario, replication)

    monkeypatch.setattr(simulation, "simulate_blocks", simulate)


@pytest.fixture
def day() -> Any:
    return scenario_from_dict(busy_day_data())


def test_run_scenario_raises_with_the_failures_and_the_finished_replications(
    day: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_at(monkeypatch, 1, ValueError("bad draw"))
    with pytest.raises(ReplicationError, match="1 of 3 replications failed") as caught:
        run_scenario(day, 3)
    (failure,) = caught.value.failures
    assert (failure.replication, failure.failure.error_type) == (1, "ValueError")
    assert "bad draw" in failure.failure.traceback
    partial = caught.value.result
    assert [rep.replication for rep in partial.replications] == [0, 2]
    assert partial.status == "failed" and partial.summary["customers"].n == 2


def test_ctrl_c_carries_the_finished_replications(
    day: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_at(monkeypatch, 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt) as caught:
        run_scenario(day, 4)
    assert isinstance(caught.value, RunInterrupted)
    assert [rep.replication for rep in caught.value.result.replications] == [0, 1]
    assert caught.value.result.status == "interrupted"


def test_compare_and_sweep_raise_instead_of_returning_holes(
    day: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_at(monkeypatch, 0, RuntimeError("boom"))
    with pytest.raises(ReplicationError, match="2 of 4 replications failed") as caught:
        compare(day, {"more": ["pools.agents.staffing+=1"]}, replications=2)
    assert {f.label for f in caught.value.failures} == {"base", "more"}
    with pytest.raises(ReplicationError, match="boom"):
        sweep(day, {"pools.agents.absenteeism": [0.0, 0.1]}, replications=1)


@pytest.mark.parametrize(
    "overrides",
    [[], ["experience.enabled=false"], ["retention.periods=2", "retention.population=300"]],
    ids=["day", "no-experience", "periods"],
)
def test_metric_names_are_known_before_running(overrides: list[str]) -> None:
    scenario = scenario_from_dict(busy_day_data(), overrides=overrides)
    assert set(metric_names(scenario)) == set(replicate(scenario, 0).metrics)


def test_unknown_metrics_are_refused_before_anything_runs(
    day: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fail_at(monkeypatch, 0, AssertionError("must not simulate"))
    with pytest.raises(Exception, match="metrics: unknown metric 'happiness'"):
        compare(
            day, {"more": ["pools.agents.staffing+=1"]}, metrics=["happiness"], out=tmp_path / "o"
        )
    assert not (tmp_path / "o").exists()


def test_write_run_refuses_another_runs_folder_unless_told(day: Any, tmp_path: Path) -> None:
    first = run_scenario(day, 1)
    write_run(first, tmp_path / "out")
    other = run_scenario(scenario_from_dict(busy_day_data(seed=5)), 1)
    with pytest.raises(OutputError, match="holds another run") as caught:
        write_run(other, tmp_path / "out")
    assert caught.value.overwritable and "overwrite=True" in str(caught.value)
    assert "--" not in str(caught.value)  # the library does not know the CLI's flags
    write_run(other, tmp_path / "out", overwrite=True)
    identity = run_identity(other.scenario)
    assert identity.key in (tmp_path / "out" / "manifest.json").read_text()


def test_a_live_lock_refuses_and_a_dead_one_is_removed(day: Any, tmp_path: Path) -> None:
    identity = run_identity(day)
    with RunDirectory(tmp_path / "out", identity):
        with pytest.raises(OutputError, match=f"PID {os.getpid()}"):
            RunDirectory(tmp_path / "out", identity).__enter__()
    assert not (tmp_path / "out" / LOCK_NAME).exists()
    (tmp_path / "out" / LOCK_NAME).write_text(f"{2**22 + 12345} {socket.gethostname()}\n")
    with RunDirectory(tmp_path / "out", identity) as folder:
        assert folder.status == "new"


@pytest.mark.parametrize(
    ("name", "safe"),
    [("../../x", "x"), ("/etc/passwd", "etc_passwd"), ("..", "unnamed"), ("", "unnamed"),
     (".hidden", "hidden"), ("staffing_whatif", "staffing_whatif"), ("a b/c", "a_b_c")],
)  # fmt: skip
def test_safe_name_examples(name: str, safe: str) -> None:
    assert safe_name(name) == safe


@given(st.text(max_size=40))
def test_safe_name_is_always_one_harmless_component(name: str) -> None:
    safe = safe_name(name)
    assert safe and "/" not in safe and "\\" not in safe and ".." not in safe
    assert not safe.startswith(".") and Path(safe).name == safe and not Path(safe).is_absolute()


FLAGS = ("--dask", "--workers", "--executor", "--out", "--overwrite", "--metric", "--variant")


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("package", ["experiments", "output", "analysis"])
def test_library_messages_never_name_command_line_flags(package: str) -> None:
    for path in sorted((ROOT / "src" / "peakend" / package).rglob("*.py")):
        for text in _string_constants(path):
            assert not any(flag in text for flag in FLAGS), f"{path.name}: {text!r}"
