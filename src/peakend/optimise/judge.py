"""Judging plans under noise: the objective, the constraints, paired moves and the best of a few.

A constraint holds when its metric's **mean** over the replications meets the
bound (the plan meets it in expectation; how often a single day misses is
reported apart, :func:`miss_rates`). ``interval_service_level`` and
``interval_abandonment_rate`` hold when every interval of every decided pool
meets the bound in the mean (intervals where nobody queued are left out).

Moves between plans are judged on paired differences (common random numbers):
:func:`paired` gives the mean difference of per-replication values with its
Student-t interval. :func:`probability_best` estimates, by a paired bootstrap over
replications (the same resampled replications for every plan, which keeps the
common random numbers' correlation), how often each plan is the best feasible
one.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from peakend.analysis.metrics import SHARE_METRICS
from peakend.analysis.stats import Estimate, estimate
from peakend.optimise.evaluate import Evaluator
from peakend.optimise.plans import Plan
from peakend.optimise.problem import Optimisation
from peakend.optimise.schema import INTERVAL_METRICS, Bound

__all__ = [
    "Assessment",
    "Term",
    "assess",
    "constraint_terms",
    "miss_rates",
    "paired",
    "probability_best",
    "term_label",
]


@dataclass(frozen=True)
class Term:
    """One constraint: its name, the metric columns it reads and its bound.

    A scalar constraint reads one column; an interval constraint one column per
    interval and decided pool, and holds when the worst column's mean does.
    """

    name: str
    columns: tuple[str, ...]
    bound: Bound

    @property
    def sense(self) -> float:
        """+1 when larger values are better (a ``min`` bound), -1 otherwise."""
        return 1.0 if self.bound.min is not None else -1.0

    @property
    def target(self) -> float:
        return self.bound.min if self.bound.min is not None else self.bound.max  # type: ignore[return-value]

    @property
    def scale(self) -> float:
        """The unit a shortfall is measured in: the bound itself (1 for a share or 0)."""
        share = self.name in SHARE_METRICS or self.name in INTERVAL_METRICS
        return 1.0 if share or self.target == 0 else abs(self.target)

    def shortfalls(self, means: np.ndarray) -> np.ndarray:
        """How far each column's mean misses the bound, in units of :attr:`scale` (0: met)."""
        gap = self.sense * (self.target - means) / self.scale
        return np.where(np.isnan(means), 0.0, np.maximum(gap, 0.0))


def constraint_terms(problem: Optimisation) -> list[Term]:
    """The problem's constraints as :class:`Term` objects (two for a min-and-max bound)."""
    terms = []
    for name, bound in problem.constraints.items():
        columns: tuple[str, ...] = (name,)
        if name in INTERVAL_METRICS:
            columns = tuple(
                f"{name}:{pool}:{i}"
                for pool in problem.bounds
                for i in range(problem.base.intervals)
            )
        for part in _one_sided(bound):
            terms.append(Term(name, columns, part))
    return terms


def _one_sided(bound: Bound) -> list[Bound]:
    if bound.min is not None and bound.max is not None:
        return [Bound(min=bound.min), Bound(max=bound.max)]
    return [bound]


@dataclass(frozen=True)
class Assessment:
    """A plan judged on ``n`` replications: objective, each constraint, feasibility."""

    plan: Plan
    n: int
    objective: Estimate
    constraints: dict[str, Estimate]
    feasible: bool
    violation: float
    """Total shortfall over the constraints (0 when feasible)."""

    @property
    def score(self) -> float:
        return self.objective.mean


def assess(evaluator: Evaluator, plan: Plan, n: int) -> Assessment:
    """Judge ``plan`` on its first ``n`` replications (which must be available)."""
    problem = evaluator.problem
    metric = problem.objective.metric
    objective = estimate(evaluator.values(plan, metric, n), share=metric in SHARE_METRICS)
    constraints: dict[str, Estimate] = {}
    violation = 0.0
    for term in constraint_terms(problem):
        matrix = _matrix(evaluator, plan, term, n)
        means = _column_means(matrix)
        violation += float(term.shortfalls(means).sum())
        constraints[term_label(term)] = _worst_estimate(term, matrix, means)
    return Assessment(plan, n, objective, constraints, violation == 0.0, violation)


def term_label(term: Term) -> str:
    return f"{term.name} {'>=' if term.sense > 0 else '<='} {term.target:g}"


def _matrix(evaluator: Evaluator, plan: Plan, term: Term, n: int) -> np.ndarray:
    """``n x columns`` per-replication values of a constraint's columns."""
    return np.column_stack([evaluator.values(plan, column, n) for column in term.columns])


def _column_means(matrix: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"), _quiet():
        return np.nanmean(matrix, axis=0)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's warning for the mean of an all-NaN column (an interval nobody used)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _worst_estimate(term: Term, matrix: np.ndarray, means: np.ndarray) -> Estimate:
    """The estimate of the column whose mean is worst (the only column of a scalar term)."""
    if np.isnan(means).all():
        return Estimate(math.nan, math.nan, math.nan, matrix.shape[0])
    worst = int(np.nanargmin(term.sense * means))
    column = matrix[:, worst]
    share = term.name in SHARE_METRICS or term.name in INTERVAL_METRICS
    return estimate(column[~np.isnan(column)], share=share)


def paired(evaluator: Evaluator, candidate: Plan, incumbent: Plan, metric: str, n: int) -> Estimate:
    """Mean of ``metric(candidate) - metric(incumbent)`` over replications 0..n-1, with its
    t interval (common random numbers make the differences small)."""
    diff = evaluator.values(candidate, metric, n) - evaluator.values(incumbent, metric, n)
    return estimate(diff[~np.isnan(diff)])


def focus_score(
    evaluator: Evaluator, plan: Plan, focus: Sequence[tuple[Term, tuple[int, ...]]], n: int
) -> np.ndarray:
    """Per replication, the sum of the focused constraint columns, each signed so that more
    is better and divided by its term's scale (NaN entries count as 0)."""
    total = np.zeros(n)
    for term, columns in focus:
        matrix = _matrix(evaluator, plan, term, n)[:, list(columns)]
        total += np.nan_to_num(term.sense * matrix / term.scale).sum(axis=1)
    return total


def violated(evaluator: Evaluator, plan: Plan, n: int) -> list[tuple[Term, tuple[int, ...]]]:
    """The constraints (and, for interval ones, the columns) ``plan`` misses in the mean."""
    found = []
    for term in constraint_terms(evaluator.problem):
        means = _column_means(_matrix(evaluator, plan, term, n))
        missing = tuple(int(i) for i in np.flatnonzero(term.shortfalls(means) > 0))
        if missing:
            found.append((term, missing))
    return found


def probability_best(
    evaluator: Evaluator, plans: Sequence[Plan], n: int, seed: int, resamples: int = 2000
) -> np.ndarray:
    """How often each plan is the best feasible one over paired bootstrap resamples.

    Each resample draws ``n`` replication numbers with replacement, the same for
    every plan; the best is the feasible plan with the best objective mean (when
    none is feasible, the one with the least shortfall). The result sums to 1.
    """
    problem = evaluator.problem
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7_919,)))
    index = rng.integers(0, n, size=(resamples, n))
    metric, sense = problem.objective.metric, problem.objective.sense
    scores = np.stack(
        [_resampled(evaluator.values(p, metric, n)[:, None], index)[:, 0] for p in plans]
    )
    shortfall = np.zeros_like(scores)
    for term in constraint_terms(problem):
        for k, plan in enumerate(plans):
            means = _resampled(_matrix(evaluator, plan, term, n), index)
            shortfall[k] += term.shortfalls(means).sum(axis=1)
    feasible = shortfall == 0
    ranked = np.where(feasible, sense * scores, -np.inf)
    best = np.where(feasible.any(axis=0), ranked.argmax(axis=0), shortfall.argmin(axis=0))
    return np.bincount(best, minlength=len(plans)) / resamples


def _resampled(matrix: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``resamples x columns`` means of ``matrix``'s rows picked by ``index``."""
    with np.errstate(invalid="ignore"), _quiet():
        return np.nanmean(matrix[index], axis=1)


def miss_rates(
    evaluator: Evaluator, plan: Plan, n: int, bad: np.ndarray | None = None
) -> list[dict[str, float | str]]:
    """Per constraint, the share of replications (days, or a run's worst period) that miss it.

    A replication misses a scalar constraint when its own value does (for a
    multi-period run, its worst period's, where the replication reports it); an
    interval constraint when any interval of it does. ``bad`` marks the
    replications of a bad day (the worst tenth of absence shocks); the share
    among them is given too.
    """
    rows: list[dict[str, float | str]] = []
    for term in constraint_terms(evaluator.problem):
        columns = term.columns
        worst_period = f"worst_period_{term.name}"
        if evaluator.problem.multi_period and worst_period in evaluator.metric_names(plan):
            columns = (worst_period,)
        matrix = np.column_stack([evaluator.values(plan, c, n) for c in columns])
        misses: np.ndarray = np.asarray((term.shortfalls(matrix) > 0).any(axis=1))
        row: dict[str, float | str] = {
            "constraint": term_label(term),
            "judged_on": "worst period" if columns == (worst_period,) else "day",
            "replications": float(n),
            "miss_share": float(misses.mean()) if n else math.nan,
        }
        if bad is not None:
            row["bad_days"] = float(bad.sum())
            row["miss_share_bad_days"] = float(misses[bad].mean()) if bad.any() else math.nan
        rows.append(row)
    return rows
