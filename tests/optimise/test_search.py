"""(b) On a small day where every plan can be enumerated, the optimiser's plan is within the
CI of the enumerated best; (c) the same seed gives the same plan; a run resumes from its store."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from tiny_problems import write_problem

from peakend.analysis.stats import estimate
from peakend.optimise import Plan, load_optimisation, optimise
from peakend.optimise.evaluate import Evaluator
from peakend.optimise.judge import assess
from peakend.optimise.run import run_optimisation
from peakend.runs.executors import ProcessExecutor

BUDGET = 8 * 15.0  # eight agent-intervals at 30 an hour, half an hour each


def _problem(tmp_path: Path, **search: object) -> Path:
    settings = {"replications": 10, "final_replications": 20, "finalists": 3, "candidates": 3}
    return write_problem(
        tmp_path,
        {
            "decide": {"pools": {"agents": {"min": 2, "max": 5}}},
            "objective": {"maximise": "service_level"},
            "constraints": {"staff_cost": {"max": BUDGET}},
            "search": {**settings, **search},
        },
    )


@pytest.mark.slow
def test_plan_is_within_the_ci_of_the_enumerated_best(tmp_path: Path) -> None:
    problem = load_optimisation(_problem(tmp_path))
    result = optimise(problem)
    n = result.replications
    # Every plan within the bounds, on the optimiser's own replications (common random numbers).
    evaluator: Evaluator = result.evaluator
    plans = [Plan.of({"agents": agents}, {}) for agents in itertools.product(range(2, 6), repeat=2)]
    evaluator.ensure(plans, n)
    judged = [assess(evaluator, plan, n) for plan in plans]
    feasible = [a for a in judged if a.feasible]
    best = max(feasible, key=lambda a: a.objective.mean)
    chosen = assess(evaluator, result.chosen, n)
    assert chosen.feasible
    # Tolerance: the enumerated best's own 95 % CI over the same n replications.
    assert chosen.objective.mean >= best.objective.ci_low
    # ... and the paired difference from the enumerated best is not significantly negative.
    diff = estimate(
        evaluator.values(result.chosen, "service_level", n)
        - evaluator.values(best.plan, "service_level", n)
    )
    assert diff.ci_high >= 0
    assert 0 < result.chosen_probability <= 1
    assert sum(result.probability_best) == pytest.approx(1.0)


@pytest.mark.slow
def test_same_seed_same_plan_on_any_executor_and_resume_reads_the_store(tmp_path: Path) -> None:
    path = _problem(tmp_path, max_evaluations=5, replications=3, final_replications=6)
    problem = load_optimisation(path)
    first = run_optimisation(problem, tmp_path / "out")
    with ProcessExecutor(2) as executor:  # whatever runs the replications, in any order
        second = optimise(load_optimisation(path), executor=executor)
    assert first.chosen == second.chosen
    assert first.probability_best == second.probability_best
    columns = ["stage", "plan", "move", "objective", "accepted"]
    assert first.evaluations[columns].equals(second.evaluations[columns])
    resumed = run_optimisation(load_optimisation(path), tmp_path / "out")
    assert resumed.chosen == first.chosen
    assert resumed.evaluator.ran == 0  # every replication read back from the store
    assert resumed.evaluator.read == first.evaluator.ran
    for name in ("best.toml", "frontier.csv", "evaluations.csv", "frontier.png", "compare.csv"):
        assert (tmp_path / "out" / name).is_file()


def test_moves_are_accepted_only_when_the_paired_ci_says_so(tmp_path: Path) -> None:
    problem = load_optimisation(
        _problem(tmp_path, max_evaluations=6, replications=4, final_replications=4)
    )
    result = optimise(problem)
    searched = result.evaluations[result.evaluations["stage"] == "search"]
    accepted = searched[searched["accepted"]]
    assert (accepted["gain_ci_low"] > 0).all()
    assert np.isfinite(searched["gain"]).any()
