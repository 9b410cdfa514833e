"""Optimiser speed: a 24-interval day with two pools, optimised on two cores.

    .venv/bin/python benchmarks/bench_optimise.py [--workers 2] [--executor processes|dask]

The day is ``configs/contact_centre.toml`` (24 half-hour intervals, the agents and
the seniors who take escalations, recovery by escalation so that both pools
queue), with a day-level absence shock shared by both pools (5 % absent on an
average day, correlation 0.1 between two agents' absences). Both pools' agents
per interval are decided (48 decisions), the staff cost is minimised subject to
80 % answered within 20 seconds over the day and at least 60 % in every interval
of both pools; the search uses 8 replications per plan, then 30 for each of 4
finalists. The target of issue 20 is under 10 minutes on 2 cores. Prints the
wall-clock time, the replications' time summed over the workers and the parent's
CPU time, the plans and replications, why the search stopped (its own rule, not
the budget, for the timing to mean anything), the chosen plan with its
probability of being the best of the finalists, and how often it misses each
constraint (on the worst tenth of absence days too).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import tomli_w

from peakend.optimise import load_optimisation, optimise
from peakend.runs.executors import make_executor

ROOT = Path(__file__).resolve().parent.parent

PROBLEM = {
    "name": "bench_two_pools",
    "base": str(ROOT / "configs" / "contact_centre.toml"),
    "set": [
        'recovery.policy="escalation"',
        # a day-level absence shock shared by the site's two pools (an assumption: rho 0.1)
        "pools.seniors.absenteeism=0.05",
        "pools.agents.absence_correlation=0.1",
        "pools.seniors.absence_correlation=0.1",
        'pools.agents.absence_group="site"',
        'pools.seniors.absence_group="site"',
    ],
    "decide": {"pools": {"agents": {"min": 2, "max": 30}, "seniors": {"min": 1, "max": 8}}},
    "objective": {"minimise": "staff_cost"},
    "constraints": {
        "service_level": {"min": 0.8},
        "interval_service_level": {"min": 0.6},
    },
    "search": {
        "replications": 8,
        "final_replications": 30,
        "finalists": 4,
        "candidates": 4,
        "max_evaluations": 400,
        "max_minutes": 30.0,
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executor", choices=["processes", "dask", "serial"], default="processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.toml"
        path.write_text(tomli_w.dumps(PROBLEM))
        problem = load_optimisation(path)
    dask = "local" if args.executor == "dask" else None
    kind = "processes" if args.executor == "dask" else args.executor
    started = time.perf_counter()
    with make_executor(kind, args.workers, dask) as executor:
        ready = time.perf_counter()
        result = optimise(problem, executor=executor)
    finished = time.perf_counter()
    cpu = _cpu_seconds()
    chosen = result.assessment(result.chosen)
    today = result.assessment(result.today)
    plans = result.evaluations["plan"].nunique()
    print(f"executor: {args.executor}, {args.workers} workers (start-up {ready - started:.1f} s)")
    print(f"wall clock: {finished - started:.0f} s ({(finished - started) / 60:.1f} min)")
    busy = result.evaluator.replication_seconds
    print(
        f"replications: {busy:.0f} s summed over the workers; the parent's CPU {cpu:.0f} s; "
        f"on {args.workers} cores of their own about {(busy / args.workers + cpu) / 60:.1f} min"
    )
    print(f"plans evaluated: {plans}; replications run: {result.evaluator.ran}")
    print(f"stopped: {result.stopped}")
    print(
        f"today:  staff cost {today.objective.mean:,.0f}, feasible {today.feasible}, "
        + ", ".join(f"{k} {v.mean:.3f}" for k, v in today.constraints.items())
    )
    print(
        f"chosen: staff cost {chosen.objective.mean:,.0f}, feasible {chosen.feasible}, "
        + ", ".join(f"{k} {v.mean:.3f}" for k, v in chosen.constraints.items())
        + f"; P(best of {len(result.finalists)}) = {result.chosen_probability:.2f}"
    )
    for pool, agents in result.chosen.staffing:
        print(f"  {pool}: {list(agents)}")
    for label, misses in (("chosen", result.misses), ("today", result.today_misses)):
        for miss in misses:
            print(
                f"{label}: {miss['constraint']} missed on {miss['miss_share']:.0%} of days, "
                f"{miss.get('miss_share_bad_days', float('nan')):.0%} of the worst-absence "
                f"tenth ({miss.get('bad_days', 0):.0f} days)"
            )


def _cpu_seconds() -> float:
    """User and system CPU of this process (the search's own work; the workers' is the
    replications' time, measured inside them)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


if __name__ == "__main__":
    main()
