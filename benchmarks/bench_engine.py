"""Engine speed against an idiomatic bare SimPy M/M/c+M model, in one process.

The bare model is what a careful SimPy user would write by hand: a
``simpy.Resource``, one process per customer, patience as ``request | timeout``,
and random numbers drawn from numpy in blocks (one numpy call per thousand
numbers, not per number). peakend runs the same scenario with everything in
place (segments, shifts, typed facts, records, metrics), with the experience
model off and on (moment utility, traces, peak-end memory). All are timed
best-of-N, interleaved, and the figures that matter are the ratios of customers
per second against the bare model in the same process, which do not depend on
the machine. Times are the process's CPU time by default (``--clock cpu``), which
other jobs sharing the machine disturb far less than elapsed time
(``--clock wall``); the load average is printed with the result.

    .venv/bin/python benchmarks/bench_engine.py [--horizon MINUTES] [--repeats N] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import simpy

from peakend import scenario_from_dict
from peakend.runs.runner import replicate

ARRIVAL_RATE = 10.0  # per minute
MEAN_SERVICE = 3.0  # minutes
AGENTS = 32
MEAN_PATIENCE = 5.0  # minutes


def blocks(rng: np.random.Generator, mean: float, size: int = 1024):  # type: ignore[no-untyped-def]
    """Exponential numbers one at a time, drawn from numpy a block at a time."""
    while True:
        yield from rng.exponential(mean, size).tolist()


def bare_simpy(horizon: float, seed: int) -> int:
    """Idiomatic SimPy M/M/c+M; returns the number of customers that finished."""
    rng = np.random.default_rng(seed)
    patience = blocks(rng, MEAN_PATIENCE)
    service = blocks(rng, MEAN_SERVICE)
    gaps = blocks(rng, 1 / ARRIVAL_RATE)
    env = simpy.Environment()
    agents = simpy.Resource(env, AGENTS)
    done = [0]

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        with agents.request() as request:
            result = yield request | env.timeout(next(patience))
            if request in result:
                yield env.timeout(next(service))
        done[0] += 1

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        while True:
            yield env.timeout(next(gaps))
            env.process(customer(env))

    env.process(source(env))
    env.run(until=horizon)
    return done[0]


def peakend_scenario(horizon: float, seed: int, experience: bool):  # type: ignore[no-untyped-def]
    data = {
        "name": "bench",
        "run": {"seed": seed, "replications": 1},
        "arrivals": {"interval_minutes": horizon, "rate_per_hour": [ARRIVAL_RATE * 60]},
        "segments": {
            "all": {
                "share": 1.0,
                "patience": {"distribution": "exponential", "mean": MEAN_PATIENCE},
            }
        },
        "pools": {
            "agents": {
                "staffing": [AGENTS],
                "service_time": {"distribution": "exponential", "mean": MEAN_SERVICE},
            }
        },
        "experience": {"enabled": experience},
    }
    return scenario_from_dict(data)


def peakend_engine(horizon: float, seed: int, experience: bool = False) -> int:
    result = replicate(peakend_scenario(horizon, seed, experience), 0)
    return len(result.customers)


def peakend_with_memory(horizon: float, seed: int) -> int:
    """Experience traces, prospect-theory utility and the peak-end memory model on."""
    return peakend_engine(horizon, seed, experience=True)


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
"""``cpu``: the process's CPU time (what the code costs, whatever else shares the
machine); ``wall``: elapsed time (the same on an idle machine)."""


def best_rate(run, horizon: float, repeats: int, clock=time.process_time) -> float:  # type: ignore[no-untyped-def]
    best = 0.0
    for repeat in range(repeats):
        started = clock()
        customers = run(horizon, repeat)
        best = max(best, customers / (clock() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=float, default=10_000.0, help="minutes simulated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: the process's CPU time (default; steadier on a shared machine); wall: elapsed",
    )
    args = parser.parse_args()
    runs = {
        "bare SimPy M/M/c+M": bare_simpy,
        "peakend, queueing only": peakend_engine,
        "peakend, experience+memory": peakend_with_memory,
    }
    rates = dict.fromkeys(runs, 0.0)
    for _ in range(args.repeats):  # interleave so that machine noise hits both alike
        for name, run in runs.items():
            rates[name] = max(rates[name], best_rate(run, args.horizon, 1, CLOCKS[args.clock]))
    base = rates["bare SimPy M/M/c+M"]
    print(
        f"scenario: M/M/{AGENTS}+M, arrivals {ARRIVAL_RATE}/min, service {MEAN_SERVICE} min, "
        f"patience {MEAN_PATIENCE} min, horizon {args.horizon:g} min, best of {args.repeats}, "
        f"{args.clock} time, load average {os.getloadavg()[0]:.1f} at the end"
    )
    for name, rate in rates.items():
        print(f"{name:30s} {rate:12,.0f} customers/s   {rate / base:5.2f}x")


if __name__ == "__main__":
    main()
