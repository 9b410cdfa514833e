"""Peak memory of one replication against the customers it simulates, and the estimate.

Each size runs in a fresh child process, which reports its own peak resident set
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the kernel's high-water mark, so
nothing is missed between samples) after one replication as ``peakend run`` makes
it (:func:`peakend.runs.runner.replicate`: simulation, experience and memory
model, metrics and record frames). The scenario is the M/M/c+M of
``bench_engine.py`` (32 agents, 10 arrivals a minute) with the horizon stretched
to the number of customers asked for. Beside each measurement stands the memory
budget's estimate (:func:`peakend.config.budget.estimate_scenario`) and its error.

    .venv/bin/python benchmarks/bench_memory.py [--sizes 1e5 1e6 1e7] [--experience off]
    .venv/bin/python benchmarks/bench_memory.py --config benchmarks/contact_centre_year_1000.toml \
        [--set retention.periods=2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import ARRIVAL_RATE, peakend_scenario  # noqa: E402


def scenario_of(customers: float, experience: bool):  # type: ignore[no-untyped-def]
    """The benchmark scenario with about ``customers`` arrivals in one replication."""
    return peakend_scenario(customers / ARRIVAL_RATE, 0, experience)


def child(args: argparse.Namespace) -> None:
    """Run one replication and print what it took, as one JSON line."""
    from peakend import load_scenario
    from peakend.config.budget import estimate_scenario
    from peakend.runs.runner import replicate

    if args.config:
        scenario = load_scenario(args.config, args.set)
    else:
        scenario = scenario_of(args.customers, args.experience == "on")
    estimate = estimate_scenario(scenario, 1, keep_records=False)
    started = time.perf_counter()
    result = replicate(scenario, 0, memory_budget_bytes=2**50)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    customers = len(result.customers)
    print(
        json.dumps(
            {
                "customers": customers,
                "contacts": len(result.contacts),
                "peak_bytes": peak,
                "estimated_bytes": estimate.peak_bytes,
                "seconds": seconds,
            }
        )
    )


def measure(extra: list[str]) -> dict[str, float]:
    """One child's report (a fresh interpreter: nothing of an earlier size is counted)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(name: str, found: dict[str, float]) -> None:
    peak, estimate = found["peak_bytes"], found["estimated_bytes"]
    print(
        f"{name:>12s} {found['customers']:>12,.0f} {peak / 2**20:>10,.0f} "
        f"{peak / found['customers']:>10,.0f} {estimate / 2**20:>10,.0f} "
        f"{estimate / peak - 1:>+8.0%} {found['seconds']:>8,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e5, 1e6])
    parser.add_argument("--experience", choices=["on", "off"], default="on")
    parser.add_argument("--config", help="measure one replication of this scenario file instead")
    parser.add_argument(
        "--set", action="append", default=[], help="an override of --config, as peakend run --set"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--customers", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(
        f"{'run':>12s} {'customers':>12s} {'peak MiB':>10s} {'B/customer':>10s} "
        f"{'est. MiB':>10s} {'est./peak':>8s} {'seconds':>8s}"
    )
    if args.config:
        overrides = [item for value in args.set for item in ("--set", value)]
        report(Path(args.config).stem[:12], measure(["--config", args.config, *overrides]))
        return
    for size in args.sizes:
        found = measure(["--customers", str(size), "--experience", args.experience])
        report(f"{size:.0e}", found)


if __name__ == "__main__":
    main()
