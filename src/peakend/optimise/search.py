"""The search: warm start, marginal analysis with common random numbers, ranking and selection.

:func:`optimise` runs three stages, every plan's replications paired with every
other's (common random numbers, :mod:`peakend.optimise.evaluate`):

1. **Warm start** (``search.start = "erlang_a"``): per interval, the Erlang A
   agents for the service-level target (:mod:`peakend.optimise.warmstart`),
   within the bounds; or today's plan (``"base"``). When the simulated start misses
   a service-level constraint, its target is raised by the shortfall (at least
   :data:`TARGET_STEP`) and the warm start computed again, until the simulation
   says it meets the constraints (the stationary model's correction for a day
   that is not stationary: busier days, absences, retries). Each combination of
   the policy choices is searched from its own start.
2. **Marginal analysis**, in rounds, on ``search.replications`` replications per
   plan. A round screens ``search.candidates`` moves of one agent in one
   interval, ranked by stationary Erlang A (the contacts answered within the
   threshold one agent adds or loses, per unit of cost) and, for an interval
   constraint, the intervals that miss it first; it simulates them and moves to
   the best one **whose paired confidence interval says so**:

   - while the plan misses a constraint, additions are tried (and removals
     too when it misses an upper bound, a budget), and one is
     accepted when the paired difference of the missed constraints' metrics
     (each in units of its bound) has a lower confidence bound above 0; the
     accepted one has the largest mean gain per unit of cost;
   - once the plan meets every constraint, removals (and, when the objective is
     not a cost alone, additions) are tried; a move is accepted when the new plan
     meets every constraint in the mean and the paired difference of the
     objective has a lower confidence bound above 0 (a removal's saving in staff
     cost is exact, so its interval is a point); ties go to the plan with the
     most slack.

   A round in which no move is accepted doubles the replications of the
   incumbent and the candidates (up to ``search.final_replications``) and judges
   again: a move too small to show on a few replications may show on more. The
   search stops when no move is accepted on the most replications or the budget
   (``search.max_evaluations`` plans, ``search.max_minutes``) is spent.
3. **Ranking and selection**: the ``search.finalists`` best plans seen (feasible
   ones by their objective, then the least infeasible) are run to
   ``search.final_replications``; the chosen plan is the best feasible one on
   those, and :func:`~peakend.optimise.judge.probability_best` gives how often it
   is the best under a paired bootstrap of the replications: the probability
   that it is the best of those compared.

Same seed, same plan: every decision depends only on replication results, which
depend only on the scenario and the seed, never on which worker ran what or in
which order. The evaluation budget is deterministic; the time budget is a safety
stop that, when it binds, makes the plan depend on the machine's speed (the
result says so in ``stopped``).

With ``[shifts.POOL]``, the chosen plan's agents per interval become the
requirement of a roster of shifts (:mod:`peakend.optimise.shifts`); the roster is
scored in the engine with the same replications, and it is the plan handed back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from peakend.analysis.stats import Estimate, estimate
from peakend.engine.streams import RandomStreams
from peakend.optimise.evaluate import Evaluator, optimise_replicate
from peakend.optimise.judge import (
    Assessment,
    assess,
    constraint_terms,
    focus_score,
    miss_rates,
    paired,
    probability_best,
    term_label,
    violated,
)
from peakend.optimise.plans import Plan
from peakend.optimise.problem import Optimisation
from peakend.optimise.schema import INTERVAL_METRICS
from peakend.optimise.shifts import Roster, roster_shifts, shift_types
from peakend.optimise.warmstart import marginal_gains, pilot_rates, warm_start
from peakend.runs.executors import Executor, ProgressBar
from peakend.store.replications import ResultStore

__all__ = ["OptimisationResult", "optimise"]

MAX_TARGET = 0.995
"""The highest service level the warm start is raised to."""
TARGET_STEP = 0.02
"""The least the warm start's target is raised by when the simulated plan falls short."""

COST_METRICS = frozenset({"staff_cost", "total_cost", "agent_hours"})
"""Objectives that are a cost alone: a feasible plan only gets cheaper by removing agents."""


@dataclass
class _Budget:
    max_evaluations: int
    deadline: float
    evaluated: set[str] = field(default_factory=set)
    stopped: str = ""

    def spent(self) -> bool:
        if len(self.evaluated) >= self.max_evaluations:
            self.stopped = self.stopped or "evaluation budget"
        elif time.perf_counter() >= self.deadline:
            self.stopped = self.stopped or "time budget"
        return bool(self.stopped)


@dataclass(frozen=True)
class _Move:
    plan: Plan
    description: str
    cost: float
    """Change of the plan's cost per day (money; negative for a removal)."""


@dataclass(frozen=True, eq=False)
class OptimisationResult:
    """What :func:`optimise` found; tables and files in :mod:`peakend.optimise.outputs`."""

    problem: Optimisation
    evaluator: Evaluator
    today: Plan
    chosen: Plan
    """The best plan of the selection stage (agents per interval, policy)."""
    handed_back: Plan
    """The plan of ``best.toml``: the chosen one, or its roster of shifts."""
    finalists: tuple[Plan, ...]
    probability_best: tuple[float, ...]
    replications: int
    """Replications of every finalist, of today's plan and of the roster."""
    evaluations: pd.DataFrame
    rosters: dict[str, Roster]
    misses: list[dict[str, Any]]
    today_misses: list[dict[str, Any]]
    stopped: str
    seconds: float
    start: dict[str, list[int]] = field(default_factory=dict)

    @property
    def chosen_probability(self) -> float:
        return self.probability_best[self.finalists.index(self.chosen)]

    def assessment(self, plan: Plan) -> Assessment:
        """``plan`` judged on all of its replications so far."""
        return assess(self.evaluator, plan, self.evaluator.count(plan))


def optimise(
    problem: Optimisation,
    *,
    executor: Executor | None = None,
    store: ResultStore | None = None,
    progress: bool = False,
    replicate_fn: Callable[..., Any] = optimise_replicate,
) -> OptimisationResult:
    """Search ``problem`` (see the module docstring); stored replications are read back.

    Raises
    ------
    EvaluationFailed
        When a replication raised (the search cannot judge that plan).
    ValueError
        When a roster of shifts cannot be built (an interval no shift covers).
    """
    started = time.perf_counter()
    settings = problem.search
    n = settings.replications
    budget = _Budget(settings.max_evaluations, started + 60 * settings.max_minutes)
    with ProgressBar(progress, f"{problem.name}: optimise") as bar:
        evaluator = Evaluator(problem, executor, store, bar, replicate_fn)
        search = _Search(problem, evaluator, budget)
        today = problem.today()
        evaluator.ensure([today], n)
        search.log(today, "today", 0, "today's plan", n)
        search.rates = pilot_rates(problem.base, n)
        start = search.start_staffing(_target(problem))
        policies = problem.policies()
        for k, policy in enumerate(policies):
            share = max(1, (budget.max_evaluations - len(budget.evaluated)) // (len(policies) - k))
            search.run(policy, len(budget.evaluated) + share)
        finalists = search.finalists(settings.finalists)
        final = settings.final_replications
        evaluator.ensure([*finalists, today], final)
        for plan in finalists:
            search.log(plan, "select", 0, "finalist", final)
        probabilities = probability_best(evaluator, finalists, final, problem.base.run.seed)
        chosen = _best(evaluator, finalists, final)
        search.log(today, "today", 0, "today's plan", final)
        rosters, handed_back = _roster(problem, evaluator, chosen)
        if handed_back != chosen:
            evaluator.ensure([handed_back], final)
            search.log(handed_back, "roster", 0, "the chosen plan as shifts", final)
        bad = _bad_days(problem, final)
    return OptimisationResult(
        problem=problem,
        evaluator=evaluator,
        today=today,
        chosen=chosen,
        handed_back=handed_back,
        finalists=tuple(finalists),
        probability_best=tuple(float(p) for p in probabilities),
        replications=final,
        evaluations=pd.DataFrame(search.rows),
        rosters=rosters,
        misses=miss_rates(evaluator, handed_back, final, bad),
        today_misses=miss_rates(evaluator, today, final, bad),
        stopped=budget.stopped or "no accepted move",
        seconds=time.perf_counter() - started,
        start={pool: list(agents) for pool, agents in start.items()},
    )


def _target(problem: Optimisation) -> float:
    """The service level the warm start staffs for: the constraint's, else the scenario's."""
    for name in ("service_level", "interval_service_level"):
        bound = problem.constraints.get(name)
        if bound is not None and bound.min is not None and 0 < bound.min < 1:
            return bound.min
    return problem.base.run.service_level_target


def _best(evaluator: Evaluator, plans: Sequence[Plan], n: int) -> Plan:
    """The feasible plan with the best objective mean (else the least infeasible)."""
    sense = evaluator.problem.objective.sense
    judged = [assess(evaluator, plan, n) for plan in plans]
    return min(judged, key=lambda a: _rank(a, sense)).plan


def _rank(judged: Assessment, sense: float) -> tuple[bool, float]:
    """Sort key: feasible before infeasible, then the better objective (or smaller shortfall)."""
    if judged.feasible:
        return (False, -sense * judged.objective.mean)
    return (True, judged.violation)


class _Search:
    """The marginal analysis over one evaluator, logging every evaluation."""

    def __init__(self, problem: Optimisation, evaluator: Evaluator, budget: _Budget) -> None:
        self.problem = problem
        self.evaluator = evaluator
        self.budget = budget
        self.n = problem.search.replications
        self.rows: list[dict[str, Any]] = []
        self.rates: dict[str, np.ndarray] = {}
        self.seen: dict[Plan, Assessment] = {}
        self.sense = problem.objective.sense

    # -- bookkeeping -------------------------------------------------------------

    def log(
        self,
        plan: Plan,
        stage: str,
        round_: int,
        move: str,
        n: int,
        gain: Estimate | None = None,
        accepted: bool = False,
    ) -> Assessment:
        judged = assess(self.evaluator, plan, n)
        if stage in ("start", "search"):
            self.seen[plan] = judged
        self.budget.evaluated.add(self.evaluator.key(plan))
        row: dict[str, Any] = {
            "stage": stage,
            "round": round_,
            "plan": plan.label,
            "policy": plan.describe_choices(),
            "move": move,
            "replications": n,
            "objective": judged.objective.mean,
            "objective_ci_low": judged.objective.ci_low,
            "objective_ci_high": judged.objective.ci_high,
            "feasible": judged.feasible,
            "shortfall": judged.violation,
        }
        for label, value in judged.constraints.items():
            row[label] = value.mean
        row["gain"] = gain.mean if gain is not None else math.nan
        row["gain_ci_low"] = gain.ci_low if gain is not None else math.nan
        row["gain_ci_high"] = gain.ci_high if gain is not None else math.nan
        row["accepted"] = accepted
        row["staffing"] = "; ".join(f"{p}={list(a)}" for p, a in plan.staffing)
        self.rows.append(row)
        return judged

    # -- the search --------------------------------------------------------------

    def start_staffing(self, target: float) -> dict[str, tuple[int, ...]]:
        """Agents per interval of each decided pool to start from, within the bounds."""
        problem = self.problem
        if problem.search.start == "base":
            return {pool: problem.base.pools[pool].staffing for pool in problem.bounds}
        wanted = {pool: self.rates[pool] for pool in problem.bounds}
        erlang = warm_start(problem.base, wanted, target)
        return {pool: bounds.clamp(erlang[pool]) for pool, bounds in problem.bounds.items()}

    def start(self, policy: dict[str, Any]) -> tuple[Plan, Assessment]:
        """The warm start of ``policy``, its target raised while the simulation says it misses
        a service level (the stationary model's correction for a day that is not stationary)."""
        target = _target(self.problem)
        plan = Plan.of(self.start_staffing(target), policy)
        self.evaluator.ensure([plan], self.n)
        judged = self.log(plan, "start", 0, f"warm start for {target:.1%}", self.n)
        while (
            self.problem.search.start == "erlang_a"
            and not judged.feasible
            and target < MAX_TARGET
            and not self.budget.spent()
        ):
            target = min(MAX_TARGET, target + max(TARGET_STEP, self._service_gap(judged)))
            raised = Plan.of(self.start_staffing(target), policy)
            if raised == plan:
                continue
            plan = raised
            self.evaluator.ensure([plan], self.n)
            judged = self.log(plan, "start", 0, f"warm start for {target:.1%}", self.n)
        return plan, judged

    def _service_gap(self, judged: Assessment) -> float:
        """How far the plan's service levels fall short of their bounds (0 if they do not)."""
        gap = 0.0
        for term in constraint_terms(self.problem):
            if term.name in ("service_level", "interval_service_level") and term.sense > 0:
                found = judged.constraints[term_label(term)].mean
                if not math.isnan(found):
                    gap = max(gap, term.target - found)
        return gap

    def run(self, policy: dict[str, Any], evaluation_limit: int) -> None:
        """Marginal analysis from the warm start of ``policy`` until no move is accepted or
        the budget is spent; a round without an accepted move doubles the replications (up
        to ``final_replications``) and judges again before the search gives up."""
        incumbent, judged = self.start(policy)
        round_ = 0
        while not self.budget.spent() and len(self.budget.evaluated) < evaluation_limit:
            round_ += 1
            moves = self._screen(incumbent, judged)
            room = max(evaluation_limit - len(self.budget.evaluated), 1)
            moves = moves[:room]
            if not moves:
                return
            self.evaluator.ensure([m.plan for m in moves], self.n)
            picked = self._choose(incumbent, judged, moves, round_)
            while picked is None and self.n < self.problem.search.final_replications:
                self.n = min(2 * self.n, self.problem.search.final_replications)
                self.evaluator.ensure([incumbent, *(m.plan for m in moves)], self.n)
                judged = self.log(incumbent, "search", round_, "more replications", self.n)
                picked = self._choose(incumbent, judged, moves, round_)
            if picked is None:
                return
            incumbent, judged = picked

    def _screen(self, plan: Plan, judged: Assessment) -> list[_Move]:
        k = self.problem.search.candidates
        if not judged.feasible:
            adds = self._adds(plan, k, self._missed_intervals(plan))
            # A missed upper bound (a budget, an abandonment cap met by fewer agents
            # only in odd cases) may need fewer agents: removals are tried too.
            over = any(term.sense < 0 for term, _ in violated(self.evaluator, plan, self.n))
            return [*adds, *self._removals(plan, k)] if over else adds
        removals = self._removals(plan, k)
        if self.problem.objective.metric in COST_METRICS and self.sense < 0:
            return removals
        return [*removals, *self._adds(plan, k, {})]

    def _missed_intervals(self, plan: Plan) -> dict[str, set[int]]:
        """Per pool, the intervals that miss an interval constraint (tried first)."""
        missed: dict[str, set[int]] = {}
        for term, columns in violated(self.evaluator, plan, self.n):
            if term.name not in INTERVAL_METRICS:
                continue
            for c in columns:
                _, pool, interval = term.columns[c].rsplit(":", 2)
                missed.setdefault(pool, set()).add(int(interval))
        return missed

    def _moves(self, plan: Plan, delta: int) -> list[tuple[float, _Move]]:
        """Every single-agent move of ``delta`` within the bounds, with its Erlang A value
        (contacts answered within the threshold gained, or lost, per unit of cost)."""
        found = []
        for pool, bounds in self.problem.bounds.items():
            agents = plan.agents(pool)
            cost = self.problem.cost_per_agent_interval(pool)
            gains = marginal_gains(self.problem.base, pool, self.rates[pool], agents, delta)
            for i in bounds.movable:
                if not bounds.low[i] <= agents[i] + delta <= bounds.high[i]:
                    continue
                sign = "+" if delta > 0 else "-"
                move = _Move(plan.moved(pool, i, delta), f"{pool}[{i}]{sign}1", delta * cost)
                found.append((gains[i] / max(cost, 1e-9), move))
        return found

    def _adds(self, plan: Plan, k: int, first: dict[str, set[int]]) -> list[_Move]:
        scored = self._moves(plan, +1)
        # Intervals that miss an interval constraint first, then the largest gain per cost.
        scored.sort(key=lambda item: (not _in(item[1], first), -item[0], item[1].description))
        return [move for _, move in scored[:k]]

    def _removals(self, plan: Plan, k: int) -> list[_Move]:
        scored = self._moves(plan, -1)
        scored.sort(key=lambda item: (-item[0], item[1].description))  # the smallest loss first
        return [move for _, move in scored[:k]]

    def _choose(
        self, incumbent: Plan, judged: Assessment, moves: list[_Move], round_: int
    ) -> tuple[Plan, Assessment] | None:
        if not judged.feasible:
            return self._repair(incumbent, moves, round_)
        return self._improve(incumbent, judged, moves, round_)

    def _repair(
        self, incumbent: Plan, moves: list[_Move], round_: int
    ) -> tuple[Plan, Assessment] | None:
        focus = violated(self.evaluator, incumbent, self.n)
        before = focus_score(self.evaluator, incumbent, focus, self.n)
        scored = []
        for move in moves:
            gain = estimate(focus_score(self.evaluator, move.plan, focus, self.n) - before)
            scored.append((move, gain))
        return self._accept(scored, round_, lambda m, g: g.mean / max(abs(m.cost), 1e-9))

    def _improve(
        self, incumbent: Plan, judged: Assessment, moves: list[_Move], round_: int
    ) -> tuple[Plan, Assessment] | None:
        metric = self.problem.objective.metric
        scored = []
        for move in moves:
            diff = paired(self.evaluator, move.plan, incumbent, metric, self.n)
            gain = _scaled(diff, self.sense)
            feasible = assess(self.evaluator, move.plan, self.n).feasible
            scored.append((move, gain if feasible else None))
        return self._accept(scored, round_, lambda m, g: (g.mean, self._slack(m.plan)))

    def _slack(self, plan: Plan) -> float:
        """The smallest margin over the constraints, in units of each bound (ties)."""
        margins = [math.inf]
        for term in constraint_terms(self.problem):
            cols = np.column_stack([self.evaluator.values(plan, c, self.n) for c in term.columns])
            with np.errstate(invalid="ignore"):
                means = np.nanmean(cols, axis=0) if not np.isnan(cols).all() else cols[0]
            finite = means[~np.isnan(means)]
            if len(finite):
                margins.append(float(np.min(term.sense * (finite - term.target) / term.scale)))
        return min(margins)

    def _accept(
        self,
        scored: Sequence[tuple[_Move, Estimate | None]],
        round_: int,
        value: Callable[[_Move, Estimate], Any],
    ) -> tuple[Plan, Assessment] | None:
        eligible = [(m, g) for m, g in scored if g is not None and g.ci_low > 0]
        pick = max(eligible, key=lambda item: value(*item))[0] if eligible else None
        result = None
        for move, gain in scored:
            accepted = move is pick
            judged = self.log(move.plan, "search", round_, move.description, self.n, gain, accepted)
            if accepted:
                result = (move.plan, judged)
        return result

    def finalists(self, k: int) -> list[Plan]:
        """The ``k`` best plans seen: feasible ones by objective, then the least infeasible."""
        ranked = sorted(self.seen.values(), key=lambda a: _rank(a, self.sense))
        return [a.plan for a in ranked[:k]]


def _in(move: _Move, first: dict[str, set[int]]) -> bool:
    pool, rest = move.description.split("[", 1)
    return int(rest.split("]", 1)[0]) in first.get(pool, set())


def _scaled(diff: Estimate, sense: float) -> Estimate:
    """A difference as a gain: multiplied by ``sense`` (+1 to maximise, -1 to minimise)."""
    if sense > 0:
        return diff
    return Estimate(-diff.mean, -diff.ci_high, -diff.ci_low, diff.n)


def _roster(
    problem: Optimisation, evaluator: Evaluator, chosen: Plan
) -> tuple[dict[str, Roster], Plan]:
    """Rosters of shifts for the pools with ``[shifts.POOL]``, and the plan they make."""
    rosters: dict[str, Roster] = {}
    plan = chosen
    for pool, spec in problem.shifts.items():
        config = problem.base.pools[pool]
        per_interval = config.agent_cost_per_hour * problem.base.arrivals.interval_minutes / 60
        types = shift_types(
            spec.starts, spec.lengths, spec.breaks, per_interval, spec.cost_per_shift
        )
        roster = roster_shifts(chosen.agents(pool), types)
        rosters[pool] = roster
        plan = plan.with_staffing(pool, roster.on_shift())
        if any(roster.on_break()):
            plan = plan.with_choice(f"{_pool_prefix(pool)}.breaks", roster.on_break())
    return rosters, plan


def _pool_prefix(pool: str) -> str:
    from peakend.optimise.plans import pool_key

    return pool_key(pool).removesuffix(".staffing")


def _bad_days(problem: Optimisation, n: int) -> np.ndarray | None:
    """Replications whose day-level absence shock is in the worst tenth, or None when the
    base has no shock (or is a multi-period run, whose days each have their own)."""
    if problem.multi_period:
        return None
    pools = [p for p in problem.base.pools.values() if p.absence_correlation > 0]
    if not pools:
        return None
    # The day's rate is a monotone map of this quantile (day_absence_rate): the same order.
    quantiles = []
    pool = pools[0]
    name = next(k for k, v in problem.base.pools.items() if v is pool)
    group = pool.absence_group or name
    for r in range(n):
        streams = RandomStreams(problem.base.run.seed, r)
        quantiles.append(streams.generator(f"absence-shock:{group}").random())
    return np.array(quantiles) >= 0.9
