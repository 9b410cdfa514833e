"""Fixed costs of a whole run, as a user types it: ``peakend run --out`` against the bare
SimPy script, and ``peakend compare`` on 2 workers against serial.

    .venv/bin/python benchmarks/bench_fixed_costs.py [--repeats 5] [--workers 2]

Every figure is the wall-clock time of a fresh process (``subprocess``), so start-up,
imports, the executor, the tables, the plots and the files count as a user sees them;
part 1 also gives the CPU time of the whole process tree (``RUSAGE_CHILDREN``: the
command and its helper processes, such as the plot process of
:mod:`peakend.output.plot_process`), the figure to compare on a busy machine, where
wall-clock time mostly measures the other users. Runs are interleaved (one of each
per round) and the best of ``--repeats`` is kept (a busy machine only ever adds
time); the figures that matter are the ratios within a round, which do not depend on
the machine's speed.

1. **run vs bare SimPy.** The scenario is ``benchmarks/bench_engine.py``'s M/M/32+M
   (arrivals 10 a minute, service 3 minutes, patience 5 minutes, 10,000 minutes:
   about 100,000 customers) with the experience and memory model on; the baseline is
   the bare SimPy model of that file run as a script (``python bare.py``: NumPy and
   SimPy imported, the model run); peakend is ``peakend run bench.toml --out DIR``
   (default executor, one replication, every table, plot and file).
2. **compare on workers vs serial.** ``peakend compare`` of the benchmark scenario with
   one variant (two more agents), 6 replications each, once with ``--workers W`` (the
   default executor) and once with ``--executor serial``; at ``--scale 0.1`` (10,000
   customers a replication: ``auto`` runs it serially) and at ``--scale 1``.
3. **the pool's price.** A process pool's start-up in a fresh process (the fork
   server importing the engine) and the cost of pickling one replication's records
   back: where :data:`peakend.runs.executors.POOL_BREAK_EVEN_SECONDS` comes from.

The load average of the shared machine is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_engine import AGENTS, ARRIVAL_RATE, MEAN_PATIENCE, MEAN_SERVICE

ROOT = Path(__file__).resolve().parent.parent

BARE = f"""
import numpy as np
import simpy

ARRIVAL_RATE, MEAN_SERVICE = {ARRIVAL_RATE}, {MEAN_SERVICE}
AGENTS, MEAN_PATIENCE = {AGENTS}, {MEAN_PATIENCE}


def blocks(rng, mean, size=1024):
    while True:
        yield from rng.exponential(mean, size).tolist()


def bare_simpy(horizon, seed):
    rng = np.random.default_rng(seed)
    patience = blocks(rng, MEAN_PATIENCE)
    service = blocks(rng, MEAN_SERVICE)
    gaps = blocks(rng, 1 / ARRIVAL_RATE)
    env = simpy.Environment()
    agents = simpy.Resource(env, AGENTS)
    done = [0]

    def customer(env):
        with agents.request() as request:
            result = yield request | env.timeout(next(patience))
            if request in result:
                yield env.timeout(next(service))
        done[0] += 1

    def source(env):
        while True:
            yield env.timeout(next(gaps))
            env.process(customer(env))

    env.process(source(env))
    env.run(until=horizon)
    return done[0]


print(bare_simpy(HORIZON, 0), "customers")
"""


FORCED = """
import sys
import peakend.output.plot_process as plot_process

forced = sys.argv.pop(1) == "on"
plot_process.plot_process_pays = lambda seconds, **_: forced
from peakend.cli.main import main

main(sys.argv[1:], prog_name="peakend")
"""
"""``peakend`` with the plot process forced on or off (the first argument)."""


def scenario_toml(horizon: float, name: str = "bench") -> str:
    """The benchmark scenario of bench_engine.py as a scenario file."""
    return f"""name = "{name}"

[run]
seed = 0
replications = 1

[arrivals]
interval_minutes = {horizon}
rate_per_hour = [{ARRIVAL_RATE * 60}]

[segments.all]
share = 1.0
patience = {{ distribution = "exponential", mean = {MEAN_PATIENCE} }}

[pools.agents]
staffing = [{AGENTS}]
service_time = {{ distribution = "exponential", mean = {MEAN_SERVICE} }}

[experience]
enabled = true
"""


def wall(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, of the whole process tree: a helper
    process counts once its parent has waited for it) of one fresh process running
    ``command`` (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def peakend(*arguments: str) -> list[str]:
    """``peakend ARGUMENTS`` as a user types it (the venv's script, else ``-m peakend``)."""
    script = Path(sys.executable).parent / "peakend"
    if script.exists() and "PYTHONPATH" not in os.environ:
        return [str(script), *arguments]
    return [sys.executable, "-m", "peakend", *arguments]


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def best_of(
    commands: dict[str, list[str]], repeats: int, cwd: Path
) -> tuple[dict[str, float], dict[str, float]]:
    """The best wall time and the least CPU time of each command, interleaved over
    ``repeats`` rounds."""
    best = dict.fromkeys(commands, float("inf"))
    cpu = dict.fromkeys(commands, float("inf"))
    for _ in range(repeats):
        for name, command in commands.items():
            seconds, used = wall(command, cwd)
            best[name], cpu[name] = min(best[name], seconds), min(cpu[name], used)
    return best, cpu


def pool_price(workers: int, horizon: float, cwd: Path) -> tuple[float, float, float]:
    """(pool start-up in a fresh process, seconds of one replication in-process, seconds
    to pickle its result back and forth), each the best of 3."""
    code = f"""
import pickle, time
import peakend.runs.runner as runner
from peakend.config.loading import load_scenario
from peakend.runs.executors import ProcessExecutor

def noop(x):
    return x

if __name__ == "__main__":
    started = time.perf_counter()
    with ProcessExecutor({workers}) as pool:
        list(pool.map(noop, range({workers})))
    startup = time.perf_counter() - started
    scenario = load_scenario("bench.toml")
    started = time.perf_counter()
    result = runner.replicate(scenario, 0)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    pickle.loads(pickle.dumps(result, protocol=5))
    print(startup, seconds, time.perf_counter() - started)
"""
    (cwd / "price.py").write_text(code, encoding="utf-8")
    runs = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "price.py"], cwd=cwd, check=True, capture_output=True, text=True
        )
        runs.append([float(x) for x in done.stdout.split()])
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--horizon", type=float, default=10_000.0, help="minutes simulated")
    parser.add_argument("--skip-compare", action="store_true")
    parser.add_argument(
        "--plot-process",
        action="store_true",
        help="also time the run with the plot process forced on and off",
    )
    args = parser.parse_args()
    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="peakend-fixed-") as folder:
        work = Path(folder)
        (work / "bench.toml").write_text(scenario_toml(args.horizon), encoding="utf-8")
        small = scenario_toml(args.horizon / 10, "bench_small")
        (work / "small.toml").write_text(small, encoding="utf-8")
        (work / "bare.py").write_text(BARE.replace("HORIZON", repr(args.horizon)), "utf-8")

        commands = {
            "bare SimPy script": [sys.executable, "bare.py"],
            "peakend run --out": peakend("run", "bench.toml", "--out", "out", "-q"),
        }
        if args.plot_process:
            for forced in ("on", "off"):
                run = ["run", "bench.toml", "--out", f"out_{forced}", "-q"]
                commands[f"  plot process {forced}"] = [sys.executable, "-c", FORCED, forced, *run]
        runs, cpu = best_of(commands, args.repeats, work)
        base, base_cpu = runs["bare SimPy script"], cpu["bare SimPy script"]
        print(f"\n1. one replication, ~{ARRIVAL_RATE * args.horizon:,.0f} customers, best of "
              f"{args.repeats} (interleaved): wall clock, CPU of the process tree")  # fmt: skip
        for name, seconds in runs.items():
            print(
                f"  {name:<20} {seconds:6.2f} s  {seconds / base:5.2f} x the bare script   "
                f"CPU {cpu[name]:6.2f} s  {cpu[name] / base_cpu:5.2f} x"
            )

        if not args.skip_compare:
            print(f"\n2. compare, base and one variant x 6 replications, {args.workers} workers")
            for label, config in (("scale 0.1", "small.toml"), ("scale 1", "bench.toml")):
                common = ["compare", config, "--variant", "more:pools.agents.staffing+=2"]
                common += ["-r", "6", "-q", "--overwrite"]
                times, _ = best_of(
                    {
                        "serial": peakend(*common, "--executor", "serial", "--out", "serial"),
                        "workers": peakend(
                            *common, "--workers", str(args.workers), "--out", "workers"
                        ),
                    },
                    max(1, args.repeats // 2),
                    work,
                )
                print(
                    f"  {label}: serial {times['serial']:6.2f} s, --workers {args.workers} "
                    f"{times['workers']:6.2f} s   {times['workers'] / times['serial']:5.2f} x "
                    "serial"
                )

        startup, replication, pickled = pool_price(args.workers, args.horizon, work)
        print(
            f"\n3. a pool of {args.workers} in a fresh process starts in {startup:.2f} s; one "
            f"replication takes {replication:.2f} s in-process, pickling its result "
            f"{pickled:.3f} s ({pickled / replication:.0%} of it)"
        )
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
