"""The optimiser's checks for ``peakend validate``: exact requirements and an enumerated day.

(a) One stationary interval with a service-level target: the warm start's agents
are the Erlang C (infinite patience) and Erlang A minimum exactly, checked
against the closed forms (the fewest agents that meet the target: ``c`` meets
it, ``c - 1`` does not).

(b) A small day whose every plan can be enumerated (two half-hour intervals, 2 to
5 agents in each, a budget of eight agent-intervals, the service level to
maximise): the optimiser's plan must be within the 95 % confidence interval of
the enumerated best's service level, on the same replications.

The checks return plain rows; :mod:`peakend.checks.validate` prints them.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from peakend.analysis.erlang import ErlangA, ErlangC
from peakend.config.loading import scenario_from_dict
from peakend.optimise.evaluate import Evaluator
from peakend.optimise.judge import assess
from peakend.optimise.plans import Plan
from peakend.optimise.problem import Bounds, Optimisation
from peakend.optimise.schema import Bound, Objective, SearchSettings
from peakend.optimise.search import optimise
from peakend.optimise.warmstart import warm_start

__all__ = ["enumerated_day_rows", "stationary_rows"]

THRESHOLD = 1 / 3  # 20 seconds
SERVICE = 3.0  # minutes


def _one_interval(rate_per_minute: float, patience: float) -> Any:
    spec: dict[str, Any] = (
        {"distribution": "fixed", "value": math.inf}
        if math.isinf(patience)
        else {"distribution": "exponential", "mean": patience}
    )
    return scenario_from_dict(
        {
            "name": "stationary",
            "run": {"service_level_threshold_minutes": THRESHOLD},
            "arrivals": {"interval_minutes": 60, "rate_per_hour": [rate_per_minute * 60]},
            "segments": {"all": {"share": 1.0, "patience": spec}},
            "pools": {
                "agents": {
                    "staffing": [1],
                    "service_time": {"distribution": "exponential", "mean": SERVICE},
                }
            },
        },
        "<stationary interval>",
    )


def _level(rate: float, agents: int, patience: float) -> float:
    if agents <= 0:
        return 0.0
    if math.isinf(patience):
        queue = ErlangC(rate, SERVICE, agents)
        return queue.service_level(THRESHOLD) if queue.is_stable else 0.0
    return ErlangA(rate, SERVICE, agents, patience).service_level(THRESHOLD)


def stationary_rows() -> tuple[list[tuple[Any, ...]], bool]:
    """(a): per case, the warm start's agents and the service level at ``c - 1`` and ``c``."""
    rows, passed = [], True
    cases = [
        (100 / 30, math.inf, 0.8),
        (100 / 30, 2.0, 0.8),
        (12.0, math.inf, 0.9),
        (12.0, 3.0, 0.9),
        (0.8, math.inf, 0.95),
        (20.0, 1.0, 0.6),
    ]
    for rate, patience, target in cases:
        agents = warm_start(_one_interval(rate, patience), {"agents": np.array([rate])}, target)
        c = agents["agents"][0]
        below, at = _level(rate, c - 1, patience), _level(rate, c, patience)
        ok = below < target <= at
        passed &= ok
        model = "Erlang C" if math.isinf(patience) else f"Erlang A (patience {patience:g} min)"
        rows.append(
            (
                f"{rate * 60:g}/h, {SERVICE:g} min, {target:.0%} in 20 s",
                model,
                c,
                f"{below:.4f}",
                f"{at:.4f}",
                "ok" if ok else "FAIL",
            )
        )
    return rows, passed


def _small_day(seed: int) -> Any:
    return scenario_from_dict(
        {
            "name": "enumerated_day",
            "run": {"seed": seed, "service_level_threshold_minutes": 0.5},
            "arrivals": {"interval_minutes": 30, "rate_per_hour": [50.0, 90.0]},
            "segments": {
                "all": {"share": 1.0, "patience": {"distribution": "exponential", "mean": 2.0}}
            },
            "pools": {
                "agents": {
                    "staffing": [3, 4],
                    "absenteeism": 0.1,
                    "service_time": {"distribution": "exponential", "mean": SERVICE},
                    "agent_cost_per_hour": 30.0,
                }
            },
        },
        "<enumerated day>",
    )


def enumerated_day_rows(
    quick: bool = False, seed: int = 2026
) -> tuple[list[tuple[Any, ...]], bool]:
    """(b): the optimiser's plan against the enumerated best, on the same replications."""
    search = SearchSettings(
        replications=5 if quick else 10,
        final_replications=10 if quick else 20,
        finalists=3,
        candidates=3,
    )
    problem = Optimisation(
        name="enumerated_day",
        base=_small_day(seed),
        bounds={"agents": Bounds((2, 2), (5, 5), (0, 1))},
        choices={},
        objective=Objective(maximise="service_level"),
        constraints={"staff_cost": Bound(max=8 * 15.0)},
        search=search,
    )
    result = optimise(problem)
    evaluator: Evaluator = result.evaluator
    n = result.replications
    plans = [Plan.of({"agents": a}, {}) for a in itertools.product(range(2, 6), repeat=2)]
    evaluator.ensure(plans, n)
    feasible = [j for j in (assess(evaluator, p, n) for p in plans) if j.feasible]
    best = max(feasible, key=lambda j: j.objective.mean)
    chosen = assess(evaluator, result.chosen, n)
    ok = chosen.feasible and chosen.objective.mean >= best.objective.ci_low
    row = (
        f"2 intervals, 2-5 agents each, budget 8 agent-intervals ({len(plans)} plans, "
        f"{n} replications)",
        str(list(result.chosen.agents("agents"))),
        f"{chosen.objective.mean:.4f}",
        str(list(best.plan.agents("agents"))),
        f"{best.objective.mean:.4f} [{best.objective.ci_low:.4f}, {best.objective.ci_high:.4f}]",
        f"{result.chosen_probability:.2f}",
        "ok" if ok else "FAIL",
    )
    return [row], bool(ok)
