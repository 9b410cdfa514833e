"""Optimisation files are untrusted data: every bad key or value is one line naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner
from tiny_problems import tiny_day, write_problem

from peakend.base.errors import ConfigError
from peakend.cli.main import main
from peakend.optimise import Plan, load_optimisation

GOOD: dict[str, Any] = {
    "decide": {"pools": {"agents": {"min": 1, "max": 6}}},
    "objective": {"minimise": "staff_cost"},
    "constraints": {"service_level": {"min": 0.8}},
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def test_a_good_file_loads(tmp_path: Path) -> None:
    problem = load_optimisation(write_problem(tmp_path, GOOD))
    assert problem.bounds["agents"].low == (1, 1)
    assert problem.today() == Plan.of({"agents": (3, 4)}, {})
    assert problem.scenario(problem.today().moved("agents", 1, 2)).pools["agents"].staffing == (
        3,
        6,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with(extra=1), "extra"),
        (_with(decide={"pools": {"nobody": {"max": 3}}}), "decide.pools.nobody: no such pool"),
        (_with(decide={"pools": {"agents": {"min": 5, "max": 3}}}), "max 3 is below min 5"),
        (_with(decide={"pools": {"agents": {"max": [3, 4, 5]}}}), "expected 2 values"),
        (_with(decide={"pools": {"agents": {"max": 4, "intervals": [7]}}}), "outside the day"),
        (_with(objective={"minimise": "happiness"}), "objective: unknown metric 'happiness'"),
        (_with(objective={"minimise": "staff_cost", "maximise": "profit"}), "exactly one"),
        (_with(constraints={"retention_rate": {"min": 0.9}}), "constraints.retention_rate"),
        (_with(constraints={"service_level": {}}), "give min or max"),
        (
            _with(
                decide={"pools": {"agents": {"max": 4}}, "choices": {"recovery.policy": ["hug"]}}
            ),
            "recovery.policy",
        ),
        (_with(search={"replications": 10, "final_replications": 5}), "final_replications"),
        (_with(shifts={"nobody": {"starts": [0], "lengths": [1]}}), "shifts.nobody"),
        (_with(shifts={"agents": {"starts": [5], "lengths": [1]}}), "outside the day"),
    ],
)
def test_bad_files_are_one_line_naming_the_key(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    path = write_problem(tmp_path, data)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_optimisation(path)
    result = CliRunner().invoke(main, ["optimise", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and str(path) in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_interval_constraints_need_a_single_day(tmp_path: Path) -> None:
    base = tiny_day()
    base["retention"] = {"periods": 2}
    path = write_problem(
        tmp_path, _with(constraints={"interval_service_level": {"min": 0.5}}), base
    )
    with pytest.raises(ConfigError, match="single-day"):
        load_optimisation(path)


def test_a_missing_base_is_named(tmp_path: Path) -> None:
    path = tmp_path / "o.toml"
    path.write_text(tomli_w.dumps({"base": "nowhere.toml", **GOOD}))
    with pytest.raises(ConfigError, match="base: scenario file .*nowhere.toml not found"):
        load_optimisation(path)


def test_the_cli_writes_the_plan_and_its_files(tmp_path: Path) -> None:
    path = write_problem(
        tmp_path,
        _with(
            search={"replications": 3, "final_replications": 4, "max_evaluations": 3},
            shifts={"agents": {"starts": [0, 1], "lengths": [1, 2]}},
        ),
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["optimise", str(path), "--out", str(out), "--executor", "serial"]
    )
    assert result.exit_code == 0, result.output
    for name in (
        "best.toml",
        "today.toml",
        "compare.toml",
        "frontier.csv",
        "evaluations.csv",
        "optimise.json",
        "roster_agents.csv",
        "compare.csv",
    ):
        assert (out / name).is_file(), name
    rerun = CliRunner().invoke(main, ["run", str(out / "best.toml"), "-r", "2", "-q"])
    assert rerun.exit_code == 0, rerun.output
    compared = CliRunner().invoke(
        main,
        [
            "compare",
            str(out / "compare.toml"),
            "-r",
            "2",
            "-q",
            "--executor",
            "serial",
            "--out",
            str(tmp_path / "compare"),
        ],
    )
    assert compared.exit_code == 0, compared.output


def _broken(scenario: object, replication: int) -> object:
    raise RuntimeError("the engine broke")


def test_a_failed_replication_is_one_line_and_its_traceback_is_kept(tmp_path: Path) -> None:
    from peakend.optimise.evaluate import EvaluationFailed
    from peakend.optimise.run import run_optimisation

    problem = load_optimisation(write_problem(tmp_path, GOOD))
    with pytest.raises(EvaluationFailed, match="the engine broke"):
        run_optimisation(problem, tmp_path / "out", replicate_fn=_broken)
    assert list((tmp_path / "out" / "failures").rglob("*.json"))
