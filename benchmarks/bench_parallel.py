"""Parallel speed-up: one 20-replication run serially, on a process pool and on Dask local.

    .venv/bin/python benchmarks/bench_parallel.py [-r 20] [--workers 2] [--scale 40] [--repeat 1]

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from peakend.config.loading import load_toml, scenario_from_dict
from peakend.config.schema import Scenario
from peakend.experiments.api import resolve_overrides
from peakend.runs.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from peakend.runs.runner import RunResult, run_scenario

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
    # 'spawn', not the default fork server: starting that here would hide its start-up
    # cost from the process-pool run measured afterwards.
    with ProcessExecutor(workers, start_method="spawn") as executor:
        list(executor.map(_noop, range(workers)))
        (alone,) = executor.map(_spin, [iterations])
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


@dataclass(frozen=True)
class Timing:
    """One timed run: total seconds (with start-up), start-up seconds, mean replication seconds."""

    total: float
    startup: float
    replication: float

    @property
    def work(self) -> float:
        return self.total - self.startup


def timed_run(
    executor: Executor, scenario: Scenario, replications: int
) -> tuple[RunResult, Timing]:
    """Run inside a fresh ``executor``, timing its start-up separately."""
    started = time.perf_counter()
    with executor:
        list(executor.map(_noop, range(executor.workers)))  # start every worker
        ready = time.perf_counter()
        result = run_scenario(scenario, replications, mapper=executor.map)
        finished = time.perf_counter()
    mean = sum(rep.seconds for rep in result.replications) / len(result.replications)
    return result, Timing(finished - started, ready - started, mean)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", "-r", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=40.0)
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds; the best time of each executor is kept"
    )
    args = parser.parse_args()

    scenario = scaled_scenario(args.scale)
    makers: dict[str, Callable[[], Executor]] = {
        "serial": SerialExecutor,
        "processes": lambda: ProcessExecutor(args.workers),
        "dask local": lambda: DaskExecutor("local", args.workers),
    }
    print(
        f"{args.replications} replications of contact_centre × {args.scale:g} "
        f"(~{scenario_customers(scenario):,.0f} customers a day), {args.workers} workers"
    )
    capacity = parallel_capacity(args.workers)
    print(f"CPU available to {args.workers} busy processes: {capacity:.2f} cores")
    timings: dict[str, list[Timing]] = {name: [] for name in makers}
    metrics: dict[str, pd.DataFrame] = {}
    for round_number in range(1, args.repeat + 1):
        parts = []
        for name, make in makers.items():
            result, timing = timed_run(make(), scenario, args.replications)
            timings[name].append(timing)
            metrics.setdefault(name, result.metrics_frame())
            parts.append(f"{name} {timing.total:.2f} s (start-up {timing.startup:.2f} s)")
        print(f"round {round_number}: " + "; ".join(parts), flush=True)
    capacity_after = parallel_capacity(args.workers)
    print(f"CPU available to {args.workers} busy processes afterwards: {capacity_after:.2f} cores")

    best = {name: min(runs, key=lambda t: t.total) for name, runs in timings.items()}
    serial, processes, dask = best["serial"], best["processes"], best["dask local"]
    label = "best of " + str(args.repeat) if args.repeat > 1 else "times"
    print(f"{label} (one replication takes {serial.replication:.2f} s serially):")
    for name, timing in best.items():
        print(
            f"  {name:<11} {timing.total:6.2f} s  start-up {timing.startup:4.2f} s  "
            f"{timing.replication:.2f} s per replication  "
            f"speed-up {serial.total / timing.total:.2f}x "
            f"({serial.total / timing.work:.2f}x without start-up)"
        )
    print(
        f"dask local vs processes: {dask.total - processes.total:+.2f} s "
        f"({dask.total / processes.total:.2f}x the time)"
    )
    if min(capacity, capacity_after) < 0.95 * args.workers:
        print("  (other load on the machine: speed-ups are bounded by the CPU available)")
    reference = metrics["serial"]
    identical = all(frame.equals(reference) for frame in metrics.values())
    print(f"identical metrics across the three executors: {identical}")
    if not identical:
        raise SystemExit(1)


def scenario_customers(scenario: Scenario) -> float:
    hours = scenario.arrivals.interval_minutes / 60
    return sum(rate * hours for rate in scenario.arrivals.rate_per_hour)


if __name__ == "__main__":
    main()
