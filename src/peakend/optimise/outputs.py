"""What an optimisation hands back: the plan, the frontier, every evaluation, the comparison.

:func:`write_outputs` writes into the run directory (beside the stored
replications of every plan, ``replications/<key>/<r>.parquet``, and the
scenario behind each key, ``scenarios/<key>.toml``):

- ``best.toml``: the plan as a scenario, every default resolved (``peakend run
  best.toml``); with shifts, the roster's agents and breaks;
- ``today.toml`` and ``compare.toml``: today's scenario and an experiment that
  compares the plan with it (``peakend compare compare.toml --out DIR`` runs the
  full comparison and its report page);
- ``compare.csv``, ``cost_effectiveness.csv``, ``profit_split.csv`` (multi-period
  bases): the plan against today's on the selection's replications, paired;
- ``evaluations.csv``: every evaluation (stage, round, move, replications,
  objective with its CI, each constraint, the paired gain and whether the move
  was accepted);
- ``frontier.csv`` and ``frontier.png``: every plan evaluated, on all of
  its replications: cost, service level and (multi-period) retention with CIs,
  and whether it is on the cost-retention or cost-service-level frontier;
- ``roster_POOL.csv`` (the pool's name made file-safe): the shifts of each pool
  with ``[shifts.POOL]``;
- ``optimise.json``: the chosen plan (and, with shifts, the plan before it
  became shifts), its probability of being the best of the finalists, the
  budget used, how often the plan and today's miss each constraint (on bad
  absence days too) and the seed. It holds only what the optimisation file and
  the seed decide, so that running it again gives the same bytes; what one
  session took (seconds, replications run or read back) is in ``manifest.json``'s
  ``sessions``;
- ``resolved_optimisation.toml``: the optimisation as it ran, every setting
  resolved, its base ``today.toml`` beside it, so that
  ``peakend optimise resolved_optimisation.toml --out rerun`` runs it again from
  the folder, or a copy of it anywhere
  (:func:`peakend.store.rerun.rerun_command`).

``report.html`` (:mod:`peakend.output.optimise_report`) is written after these,
by :func:`peakend.optimise.run.run_optimisation`, from the folder's files only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from peakend._version import __version__
from peakend.analysis.metrics import SHARE_METRICS
from peakend.analysis.stats import Estimate, estimate
from peakend.config.loading import scenario_to_toml
from peakend.experiments.design import Experiment, ScenarioSpec
from peakend.experiments.results import ExperimentResult
from peakend.optimise.plans import Plan
from peakend.optimise.problem import Optimisation
from peakend.optimise.search import OptimisationResult
from peakend.runs.runner import metric_names
from peakend.store.replications import ReplicationRecord, ResultStore
from peakend.store.rerun import RESOLVED_OPTIMISATION, TODAY_SCENARIO, rerun_command
from peakend.store.rundir import safe_name

__all__ = [
    "FrontierPlot",
    "comparison",
    "frontier_frame",
    "resolved_toml",
    "roster_file",
    "summary_dict",
    "write_outputs",
]

COST_COLUMN = "staff_cost"


def write_outputs(result: OptimisationResult, store: ResultStore) -> list[Path]:
    """Write every file of the module docstring into ``store``'s folder; return their paths."""
    problem = result.problem
    header = (
        f"The plan peakend optimise chose for {problem.name!r} (peakend {__version__}); "
        "every default resolved."
    )
    best = result.evaluator.scenario(result.handed_back)
    paths = [
        store.write_text("best.toml", scenario_to_toml(best, header)),
        store.write_text(TODAY_SCENARIO, scenario_to_toml(problem.base, "Today's plan: the base.")),
        store.write_text(RESOLVED_OPTIMISATION, resolved_toml(problem)),
        store.write_text("compare.toml", compare_toml(result)),
        store.write_table("evaluations.csv", result.evaluations),
    ]
    frontier = frontier_frame(result)
    paths.append(store.write_table("frontier.csv", frontier))
    compared = comparison(result)
    split = compared.profit_split_frame()
    if len(split):
        paths.append(store.write_table("profit_split.csv", split))
    for pool in result.rosters:
        paths.append(store.write_table(roster_file(pool), roster_frame(result, pool)))
    # After every other table: its data dictionary lists the tables the folder holds, the
    # same in a fresh run and in a resumed one.
    compared.write(store)
    paths.append(store.root / "compare.csv")
    paths.append(store.write_json("optimise.json", summary_dict(result)))
    display = FrontierPlot.from_frame(frontier, problem.name, _retention(frontier))
    fig = display.plot().figure
    from peakend.output.plots import save_figure
    from peakend.store.files import atomic_write

    paths.extend(save_figure(fig, store.root / "frontier.png", atomic_write))
    return paths


def roster_file(pool: str) -> str:
    """The name of ``pool``'s roster table in the run directory (the name made file-safe)."""
    return f"roster_{safe_name(pool)}.csv"


def resolved_toml(problem: Optimisation) -> str:
    """The optimisation as it ran, every setting resolved, its base ``today.toml``.

    Loaded again (beside ``today.toml``, which holds the base with its ``set``
    overrides and seed applied), it is the same problem: the same plans, the same
    scenarios, the same seeds.
    """
    import tomli_w

    pools = {}
    for pool, bounds in problem.bounds.items():
        entry: dict[str, Any] = {"min": list(bounds.low), "max": list(bounds.high)}
        if bounds.movable != tuple(range(len(bounds.low))):
            entry["intervals"] = list(bounds.movable)
        pools[pool] = entry
    data: dict[str, Any] = {
        "name": problem.name,
        "description": problem.description,
        "base": TODAY_SCENARIO,
        "decide": {"pools": pools},
        "objective": problem.objective.model_dump(exclude_none=True),
        "constraints": {
            name: bound.model_dump(exclude_none=True) for name, bound in problem.constraints.items()
        },
        "search": problem.search.model_dump(),
    }
    if problem.choices:
        data["decide"]["choices"] = {key: list(levels) for key, levels in problem.choices.items()}
    if problem.shifts:
        data["shifts"] = {
            pool: {
                key: list(value) if isinstance(value, tuple) else value
                for key, value in spec.model_dump(exclude_none=True).items()
            }
            for pool, spec in problem.shifts.items()
        }
    lines = [
        f"# The optimisation {problem.name!r} as it ran (peakend {__version__}), every setting",
        f"# resolved; its base is {TODAY_SCENARIO} beside it. Run it again, in this folder or a",
        "# copy of it anywhere (the same plan, the same optimise.json):",
        f"#   {rerun_command('optimise')}",
    ]
    return "\n".join(lines) + "\n" + tomli_w.dumps(data)


def _retention(frontier: pd.DataFrame) -> bool:
    return "retention_rate" in frontier and bool(frontier["retention_rate"].notna().any())


def compare_toml(result: OptimisationResult) -> str:
    """An experiment file comparing the handed-back plan with today's (``base = "today.toml"``)."""
    import tomli_w

    data = {
        "name": f"{result.problem.name}_vs_today",
        "description": "the plan peakend optimise chose, against today's plan",
        "base": "today.toml",
        "replications": result.replications,
        "variants": {"optimised": {"set": list(result.handed_back.overrides())}},
    }
    lines = [
        "# The optimised plan against today's, paired replication by replication:",
        "#   peakend compare compare.toml --out compare",
    ]
    return "\n".join(lines) + "\n" + tomli_w.dumps(data)


def comparison(result: OptimisationResult) -> ExperimentResult:
    """The handed-back plan against today's, as an experiment comparison on the
    selection's replications (``compare.csv``, the profit split)."""
    problem, evaluator = result.problem, result.evaluator
    n = result.replications
    labelled = {"base": result.today, "optimised": result.handed_back}
    if result.handed_back != result.chosen:
        labelled["chosen_before_shifts"] = result.chosen
    specs, records = [], {}
    for label, plan in labelled.items():
        key = evaluator.key(plan)
        overrides = () if label == "base" else plan.overrides()
        specs.append(ScenarioSpec(label, overrides, evaluator.scenario(plan), key))
        records[key] = {r: ReplicationRecord(key, r, evaluator.records[key][r]) for r in range(n)}
    metrics = [*metric_names(problem.base), "total_cost"]
    experiment = Experiment.from_scenario(
        problem.base,
        variants={label: plan.overrides() for label, plan in labelled.items() if label != "base"},
        replications=n,
        metrics=metrics,
        name=f"{problem.name}_vs_today",
    )
    return ExperimentResult(experiment, "compare", specs, n, records, [], 0, 0, 0.0)


def _plans(result: OptimisationResult) -> dict[str, Plan]:
    """Every plan evaluated, by store key."""
    return {result.evaluator.key(plan): plan for plan in result.evaluator._scenarios}


def frontier_frame(result: OptimisationResult) -> pd.DataFrame:
    """One row per plan evaluated, on all of its replications (see the module docstring)."""
    evaluator = result.evaluator
    rows = []
    for key, plan in _plans(result).items():
        n = evaluator.count(plan)
        if n == 0:
            continue
        judged = result.assessment(plan)
        row: dict[str, Any] = {
            "plan": plan.label,
            "policy": plan.describe_choices(),
            "replications": n,
            "role": _role(result, plan),
            "feasible": judged.feasible,
            "objective": judged.objective.mean,
        }
        for metric in (
            "staff_cost",
            "total_cost",
            "service_level",
            "abandonment_rate",
            "retention_rate",
            "profit",
            "mean_remembered_utility",
        ):
            values = evaluator.values(plan, metric, n)
            if np.isnan(values).all():
                continue
            est = estimate(values, share=metric in SHARE_METRICS)
            row.update(_columns(metric, est))
        row["staffing"] = "; ".join(f"{p}={list(a)}" for p, a in plan.staffing)
        row["key"] = key
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["frontier_service_level"] = _pareto(frame, "service_level")
    frame["frontier_retention"] = (
        _pareto(frame, "retention_rate") if "retention_rate" in frame else False
    )
    return frame.sort_values(["staff_cost", "plan"], ignore_index=True)


def _columns(metric: str, est: Estimate) -> dict[str, float]:
    return {metric: est.mean, f"{metric}_ci_low": est.ci_low, f"{metric}_ci_high": est.ci_high}


def _role(result: OptimisationResult, plan: Plan) -> str:
    if plan == result.handed_back:
        return "chosen"
    if plan == result.chosen:
        return "chosen_before_shifts"
    if plan == result.today:
        return "today"
    if plan in result.finalists:
        return "finalist"
    return "evaluated"


def _pareto(frame: pd.DataFrame, metric: str) -> list[bool]:
    """Whether each plan is on the frontier: no other costs less and does at least as well."""
    cost = frame[COST_COLUMN].to_numpy()
    value = frame[metric].to_numpy()
    flags = []
    for c, v in zip(cost, value, strict=True):
        better = (cost <= c) & (value >= v) & ((cost < c) | (value > v))
        flags.append(bool(not better.any()) and not math.isnan(v))
    return flags


def roster_frame(result: OptimisationResult, pool: str) -> pd.DataFrame:
    """The shifts of ``pool``'s roster: type, agents, cost each."""
    roster = result.rosters[pool]
    minutes = result.problem.base.arrivals.interval_minutes
    return pd.DataFrame(
        [
            {
                "start_interval": shift.start,
                "length_intervals": shift.length,
                "breaks": " ".join(str(b) for b in shift.breaks),
                "description": shift.describe(minutes),
                "agents": count,
                "cost_per_shift": shift.cost,
            }
            for shift, count in roster.shifts
        ]
    )


def summary_dict(result: OptimisationResult) -> dict[str, Any]:
    """The ``optimise.json`` content (see the module docstring)."""
    problem = result.problem
    chosen = result.assessment(result.handed_back)
    today = result.assessment(result.today)
    data: dict[str, Any] = {
        "name": problem.name,
        "description": problem.description,
        "peakend": __version__,
        "seed": problem.base.run.seed,
        "decide": {
            "pools": list(problem.bounds),
            "choices": {key: list(levels) for key, levels in problem.choices.items()},
        },
        "objective": {
            "metric": problem.objective.metric,
            "sense": "maximise" if problem.objective.sense > 0 else "minimise",
        },
        "constraints": {
            name: bound.model_dump(exclude_none=True) for name, bound in problem.constraints.items()
        },
        "chosen": {
            "plan": result.handed_back.label,
            "staffing": _staffing(result.handed_back),
            "policy": dict(result.handed_back.choices),
            "objective": chosen.objective.as_dict(),
            "constraints": {k: v.as_dict() for k, v in chosen.constraints.items()},
            "feasible": chosen.feasible,
            "probability_best": result.chosen_probability,
            "misses": result.misses,
        },
        "today": {
            "plan": result.today.label,
            "staffing": _staffing(result.today),
            "policy": dict(result.today.choices),
            "objective": today.objective.as_dict(),
            "constraints": {k: v.as_dict() for k, v in today.constraints.items()},
            "feasible": today.feasible,
            "misses": result.today_misses,
        },
        "finalists": [
            {"plan": plan.label, "probability_best": p}
            for plan, p in zip(result.finalists, result.probability_best, strict=True)
        ],
        "warm_start": result.start,
        "replications": {
            "search": problem.search.replications,
            "selection": result.replications,
        },
        "plans_evaluated": len(_plans(result)),
        "replications_used": sum(result.evaluator.count(plan) for plan in _plans(result).values()),
        "stopped": result.stopped,
        "rosters": {
            pool: {
                "cost": roster.cost,
                "over_coverage_agent_intervals": roster.over_coverage,
                "on_break": list(roster.on_break()),
                "file": roster_file(pool),
            }
            for pool, roster in result.rosters.items()
        },
    }
    if result.handed_back != result.chosen:
        data["chosen"]["before_shifts"] = {
            "plan": result.chosen.label,
            "staffing": _staffing(result.chosen),
        }
    return data


def _staffing(plan: Plan) -> dict[str, list[int]]:
    return {pool: list(agents) for pool, agents in plan.staffing}


class FrontierPlot:
    """Cost against service level (and retention): every plan with its CI, the frontier,
    today's plan and the chosen one. Compute once (:meth:`from_frame`), draw on axes."""

    def __init__(self, frame: pd.DataFrame, name: str, retention: bool) -> None:
        self.frame = frame
        self.name = name
        self.retention = retention
        self.figure: Any = None

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str, retention: bool) -> FrontierPlot:
        return cls(frame, name, retention)

    def plot(self, axes: Any = None) -> FrontierPlot:
        """Draw on ``axes`` (one or two axes; default: a new figure)."""
        import matplotlib.pyplot as plt

        metrics = ["service_level", *(["retention_rate"] if self.retention else [])]
        if axes is None:
            fig, made = plt.subplots(
                1, len(metrics), figsize=(5.5 * len(metrics), 4.2), layout="constrained"
            )
            axes = np.atleast_1d(made)
        else:
            axes = np.atleast_1d(axes)
            fig = axes[0].figure
        for ax, metric in zip(axes, metrics, strict=False):
            self._panel(ax, metric)
        fig.suptitle(
            f"{self.name}: cost against {' and '.join(m.replace('_', ' ') for m in metrics)}"
        )
        self.figure = fig
        return self

    def _panel(self, ax: Any, metric: str) -> None:
        frame = self.frame.dropna(subset=[metric])
        x = frame[COST_COLUMN]
        y = frame[metric]
        err = [y - frame[f"{metric}_ci_low"], frame[f"{metric}_ci_high"] - y]
        ax.errorbar(
            x,
            y,
            yerr=np.nan_to_num(err),
            fmt="o",
            ms=3,
            color="#999999",
            alpha=0.6,
            label="evaluated plans (95% CI)",
        )
        flag = "frontier_service_level" if metric == "service_level" else "frontier_retention"
        edge = frame[frame[flag]].sort_values(COST_COLUMN)
        ax.step(edge[COST_COLUMN], edge[metric], where="post", color="#1f78b4", label="frontier")
        for role, colour, marker in (("today", "#e31a1c", "s"), ("chosen", "#33a02c", "*")):
            rows = frame[frame["role"] == role]
            ax.scatter(
                rows[COST_COLUMN],
                rows[metric],
                s=120,
                color=colour,
                marker=marker,
                zorder=5,
                label=f"{role}'s plan" if role == "today" else "chosen plan",
            )
        ax.set_xlabel("staff cost (money per run)")
        ax.set_ylabel(metric.replace("_", " "))
        ax.legend(fontsize=8)


def dumps(result: OptimisationResult) -> str:
    """``optimise.json`` as text."""
    return json.dumps(summary_dict(result), indent=2, default=str)
