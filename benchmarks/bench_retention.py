"""Throughput of the retention loop beside a single-period run, in one process.

Runs one replication of ``configs/contact_centre.toml`` (a single day) and one of
``configs/contact_centre_12_weeks.toml`` (the same day profile, twelve weeks of seven days of
identified customers with memory, return, word of mouth and economics), each
best of N, and prints customer visits per second and their ratio: the cost of
the population bookkeeping between days.

    .venv/bin/python benchmarks/bench_retention.py [--repeats N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from peakend import load_scenario
from peakend.runs.runner import replicate

ROOT = Path(__file__).resolve().parent.parent


def visits_per_second(config: Path, repeats: int) -> tuple[float, int]:
    scenario = load_scenario(config)
    best, visits = 0.0, 0
    for r in range(repeats):
        started = time.perf_counter()
        result = replicate(scenario, r)
        elapsed = time.perf_counter() - started
        visits = len(result.customers)
        best = max(best, visits / elapsed)
    return best, visits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    single, n1 = visits_per_second(ROOT / "configs" / "contact_centre.toml", args.repeats)
    weeks, n12 = visits_per_second(ROOT / "configs" / "contact_centre_12_weeks.toml", args.repeats)
    print(f"best of {args.repeats}, one replication each")
    print(f"single day  ({n1:6d} customer visits) {single:10,.0f} visits/s   1.00x")
    print(
        f"12 weeks    ({n12:6d} customer visits) {weeks:10,.0f} visits/s   {weeks / single:4.2f}x"
    )


if __name__ == "__main__":
    main()
