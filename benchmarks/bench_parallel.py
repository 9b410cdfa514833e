"""Parallel speed-up: one 20-replication run serially, on a process pool and on Dask local.

    .venv/bin/python benchmarks/bench_parallel.py [--replications 20] [--workers 2] [--scale 40]

The scenario is ``configs/contact_centre.toml`` made ``--scale`` times bigger
(arrival rates × scale, agents × 0.9 scale, seniors × scale) so that one
replication takes about a second and the work, not the start-up, dominates.
Every executor runs ``run_scenario(scenario, mapper=executor.map)``, i.e. what
``peakend run`` does, including shipping each replication's customer and contact
tables back to the parent. Times include starting the workers (shown separately);
the metrics of the three runs must be identical. The CPU actually available to
parallel work is measured before and after (a shared or virtual machine may give
two busy processes less than two cores).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from peakend.config import load_toml, scenario_from_dict
from peakend.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from peakend.experiment import resolve_overrides
from peakend.runner import RunResult, run_scenario
from peakend.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


def _noop(x: int) -> int:
    return x


def _spin(iterations: int) -> float:
    started, total = time.perf_counter(), 0
    for i in range(iterations):
        total += i * i
    return time.perf_counter() - started


def parallel_capacity(workers: int, iterations: int = 5_000_000) -> float:
    """Cores' worth of CPU that ``workers`` busy processes get now (``workers`` on an idle
    machine; less when other jobs or the host's neighbours compete for the cores)."""
    with ProcessExecutor(workers) as executor:
        list(executor.map(_noop, range(workers)))
        alone = min(executor.map(_spin, [iterations]))
        started = time.perf_counter()
        list(executor.map(_spin, [iterations] * workers))
        together = time.perf_counter() - started
    return workers * alone / together


def scaled_scenario(scale: float) -> Scenario:
    """The example contact centre with ``scale`` times the customers and about as many agents."""
    path = ROOT / "configs" / "contact_centre.toml"
    data = load_toml(path)
    overrides = [f"arrivals.rate_per_hour*={scale}", f"pools.agents.staffing*={0.9 * scale}"]
    if "seniors" in data.get("pools", {}):
        overrides.append(f"pools.seniors.staffing*={scale}")
    return scenario_from_dict(data, str(path), resolve_overrides(data, overrides, str(path)))


def timed_run(
    executor: Executor, scenario: Scenario, replications: int
) -> tuple[RunResult, float, float]:
    """Run inside ``executor``; return the result, start-up seconds and total seconds."""
    started = time.perf_counter()
    with executor:
        list(executor.map(_noop, range(executor.workers)))  # start every worker
        ready = time.perf_counter()
        result = run_scenario(scenario, replications, mapper=executor.map)
        finished = time.perf_counter()
    return result, ready - started, finished - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", "-r", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=40.0)
    args = parser.parse_args()

    scenario = scaled_scenario(args.scale)
    executors: list[tuple[str, Executor]] = [
        ("serial", SerialExecutor()),
        (f"processes ({args.workers} workers)", ProcessExecutor(args.workers)),
        (f"dask local ({args.workers} workers)", DaskExecutor("local", args.workers)),
    ]
    print(
        f"{args.replications} replications of contact_centre × {args.scale:g} "
        f"(~{scenario_customers(scenario):,.0f} customers a day)"
    )
    capacity = parallel_capacity(args.workers)
    print(f"CPU available to {args.workers} busy processes: {capacity:.2f} cores")
    rows = []
    for name, executor in executors:
        result, startup, total = timed_run(executor, scenario, args.replications)
        rows.append((name, result, startup, total))
        print(f"  {name:<26} {total:7.2f} s  (start-up {startup:5.2f} s)", flush=True)

    serial_total = rows[0][3]
    process_total, dask_total = rows[1][3], rows[2][3]
    per_replication = serial_total / args.replications
    print(f"one replication: {per_replication:.2f} s serially")
    print(f"speed-up, processes vs serial:  {serial_total / process_total:.2f}x")
    print(
        f"speed-up, processes vs serial without start-up: "
        f"{serial_total / (process_total - rows[1][2]):.2f}x"
    )
    print(f"speed-up, dask local vs serial: {serial_total / dask_total:.2f}x")
    print(
        f"dask local overhead vs processes: {dask_total - process_total:+.2f} s "
        f"({dask_total / process_total:.2f}x the time; start-up {rows[2][2]:.2f} s "
        f"vs {rows[1][2]:.2f} s)"
    )
    capacity_after = parallel_capacity(args.workers)
    print(f"CPU available to {args.workers} busy processes afterwards: {capacity_after:.2f} cores")
    if min(capacity, capacity_after) < 0.95 * args.workers:
        print("  (other load on the machine: the speed-ups above are bounded by this)")
    reference = rows[0][1].metrics_frame()
    identical = all(row[1].metrics_frame().equals(reference) for row in rows[1:])
    print(f"identical metrics across the three executors: {identical}")
    if not identical:
        raise SystemExit(1)


def scenario_customers(scenario: Scenario) -> float:
    hours = scenario.arrivals.interval_minutes / 60
    return sum(rate * hours for rate in scenario.arrivals.rate_per_hour)


if __name__ == "__main__":
    main()
