"""Peak memory of one replication against the customers it simulates, and the estimate.

Each size runs in a fresh child process, which reports its own peak resident set
(``VmHWM``, the kernel's high-water mark since the process started, so nothing is
missed between samples). The scenario is the M/M/c+M of ``bench_engine.py`` (32
agents, 10 arrivals a minute) with the horizon stretched to the number of customers
asked for. A single day is measured as ``peakend run --out`` makes it: its records
kept (``run_scenario``, then each record table as one frame, as ``write_run`` makes
them; the estimate with ``keep_records=True``) or, with ``--stream``, as a big run's
(``replicate(..., records={table: file})``: each block of customers written as a row
group of Parquet files in a temporary folder, deleted afterwards; the estimate with
``keep_records=False``). Beside each measurement stands the memory budget's estimate
(:func:`peakend.config.budget.estimate_scenario`) and its error.

A multi-period scenario (``--config`` with ``retention.periods`` > 1) is measured
as ``replicate`` makes it, every visit's records held (the estimate with
``keep_records=True``), or with ``--stream`` as a replication whose records are
streamed: :func:`peakend.retention.multiperiod.run_periods` with an ``emit`` that
writes each day's visit and contact frames as Parquet row groups
(``pyarrow.parquet.ParquetWriter``) into a temporary folder, deleted afterwards
(the estimate with ``keep_records=False``). A streamed run also reports the peak
so far at the end of each counted period, beside the estimate for a run of that
many periods (the first ``k`` periods of a run are exactly a ``k``-period run:
each period draws from its own streams), so one run shows how the peak grows
with the length.

    .venv/bin/python benchmarks/bench_memory.py [--sizes 1e5 1e6 1e7] [--experience off]
    .venv/bin/python benchmarks/bench_memory.py --config benchmarks/contact_centre_year_1000.toml \
        [--set retention.periods=2] [--stream]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import ARRIVAL_RATE, peakend_scenario  # noqa: E402


def scenario_of(customers: float, experience: bool):  # type: ignore[no-untyped-def]
    """The benchmark scenario with about ``customers`` arrivals in one replication."""
    return peakend_scenario(customers / ARRIVAL_RATE, 0, experience)


def peak_bytes() -> int:
    """This process's peak resident set so far (the kernel's high-water mark: VmHWM,
    which starts afresh at exec, where ``ru_maxrss`` would carry the parent's)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds() -> float:
    """This process's CPU time so far (user and system): what the machine's load does
    not stretch, unlike the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(args: argparse.Namespace) -> None:
    """Run one replication and print what it took, as one JSON line."""
    from peakend import load_scenario
    from peakend.config.budget import estimate_scenario
    from peakend.runs.runner import replicate, run_scenario

    if args.config:
        scenario = load_scenario(args.config, args.set)
    else:
        scenario = scenario_of(args.customers, args.experience == "on")
    multi_period = scenario.retention.periods > 1
    if args.stream and multi_period:
        print(json.dumps(streamed(args, scenario)))
        return
    if args.stream:  # a single day's records streamed as peakend run --out streams them
        print(json.dumps(streamed_day(scenario)))
        return
    # Kept, as peakend run --out keeps a run whose records fit in memory: the result of
    # run_scenario, then each record table as one frame, the way write_run makes them.
    estimate = estimate_scenario(scenario, 1, keep_records=True)
    started = time.perf_counter()
    if multi_period:
        result = replicate(scenario, 0, memory_budget_bytes=2**50)
        rows = {"customers": len(result.customers), "contacts": len(result.contacts)}
    else:
        run = run_scenario(scenario, 1, memory_budget_bytes=2**50)
        rows = {"customers": len(run.customers_frame())}
        rows["contacts"] = len(run.contacts_frame())
    seconds = time.perf_counter() - started
    print(json.dumps(measured(rows, estimate, seconds)))


class ParquetSink:
    """An ``emit`` for :func:`run_periods`: each frame one row group of its kind's file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[str, Any] = {}
        self.rows: dict[str, int] = {"customers": 0, "contacts": 0}
        self.periods: list[dict[str, float]] = []
        """The peak so far and the time at the end of each counted period."""
        self.period = 0
        self.started = time.perf_counter()

    def __call__(self, name: str, frame: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        period = int(frame["period"].iat[0])
        if period != self.period:
            self.period_done()
            self.period = period
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema)
        self.writers[name].write_table(table)
        self.rows[name] += len(frame)

    def period_done(self) -> None:
        """Note the peak so far at the end of a period (the next one's first frame), and
        say it on stderr (a long run shows its progress)."""
        row = {
            "periods": self.period + 1,
            "customers": self.rows["customers"],
            "peak_bytes": peak_bytes(),
            "seconds": time.perf_counter() - self.started,
        }
        self.periods.append(row)
        print(
            f"  after {row['periods']} periods: {row['customers']:,} visits, peak "
            f"{row['peak_bytes'] / 2**20:,.0f} MiB, {row['seconds']:,.0f} s",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> int:
        """Close the files; their bytes on disk."""
        for writer in self.writers.values():
            writer.close()
        return sum(path.stat().st_size for path in self.folder.iterdir())


def streamed_day(scenario: Any) -> dict[str, Any]:
    """One single-day replication whose records are written, a block of customers at a
    time, into Parquet files (``replicate(..., records={table: file})``, as ``peakend
    run --out`` does for a big run) in a temporary folder, deleted afterwards."""
    import pyarrow.parquet as pq

    from peakend.config.budget import estimate_scenario
    from peakend.runs.runner import replicate

    estimate = estimate_scenario(scenario, 1, keep_records=False)
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as folder:
        files = {table: f"{folder}/{table}.parquet" for table in ("customers", "contacts")}
        started = time.perf_counter()
        replicate(scenario, 0, memory_budget_bytes=2**50, records=files)
        seconds = time.perf_counter() - started
        rows = {table: pq.ParquetFile(file).metadata.num_rows for table, file in files.items()}
        disk = sum(Path(file).stat().st_size for file in files.values())
    return measured(rows, estimate, seconds, parquet_bytes=disk)


def measured(rows: dict[str, int], estimate: Any, seconds: float, **more: Any) -> dict[str, Any]:
    """What a child reports: rows made, its peak and CPU so far, and the estimate."""
    return {
        "customers": rows["customers"],
        "contacts": rows["contacts"],
        "peak_bytes": peak_bytes(),
        "estimated_bytes": estimate.peak_bytes,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds(),
        "estimated_cpu_seconds": estimate.cpu_seconds,
        **more,
    }


def streamed(args: argparse.Namespace, scenario: Any) -> dict[str, Any]:
    """One replication of a multi-period ``scenario`` with its records streamed to Parquet."""
    from peakend import load_scenario
    from peakend.config.budget import estimate_scenario
    from peakend.retention.multiperiod import run_periods

    with tempfile.TemporaryDirectory(prefix="bench_memory_") as folder:
        sink = ParquetSink(Path(folder))
        out = run_periods(scenario, 0, emit=sink)
        sink.period_done()
        seconds = time.perf_counter() - sink.started
        disk = sink.close()
    estimate = estimate_scenario(scenario, 1, keep_records=False)
    for row in sink.periods:  # the estimate of a run of that many periods (> 1: one is a day)
        shorter = load_scenario(args.config, [*args.set, f"retention.periods={row['periods']}"])
        if shorter.retention.periods > 1:
            row["estimated_bytes"] = estimate_scenario(shorter, 1, keep_records=False).peak_bytes
    return measured(
        sink.rows,
        estimate,
        seconds,
        parquet_bytes=disk,
        kept_rows=len(out.visits) + len(out.contacts),
        by_period=sink.periods,
    )


def measure(extra: list[str]) -> dict[str, float]:
    """One child's report (a fresh interpreter: nothing of an earlier size is counted)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *extra],
        stdout=subprocess.PIPE,  # the child's stderr (progress, errors) passes through
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(name: str, found: dict[str, Any]) -> None:
    peak, estimate = found["peak_bytes"], found.get("estimated_bytes")
    against = (
        f"{estimate / 2**20:>10,.0f} {estimate / peak - 1:>+8.0%}"
        if estimate
        else f"{'-':>10s} {'-':>8s}"
    )
    print(
        f"{name:>12s} {found['customers']:>12,.0f} {peak / 2**20:>10,.0f} "
        f"{peak / found['customers']:>10,.0f} {against} {found['seconds']:>8,.0f}"
    )
    if "cpu_seconds" in found:
        print(
            f"{'':>12s} CPU {found['cpu_seconds']:,.0f} s, estimated "
            f"{found['estimated_cpu_seconds']:,.0f} s"
        )
    if "by_period" in found:
        print(
            f"records streamed: {found['parquet_bytes'] / 2**20:,.0f} MiB of Parquet, "
            f"{found['kept_rows']} rows kept; the peak so far at the end of each period:"
        )
        for row in found["by_period"]:
            report(f"{row['periods']:.0f} periods", row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e5, 1e6])
    parser.add_argument("--experience", choices=["on", "off"], default="on")
    parser.add_argument("--config", help="measure one replication of this scenario file instead")
    parser.add_argument(
        "--set", action="append", default=[], help="an override of --config, as peakend run --set"
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="stream the records to Parquet in a temporary folder instead of holding them, "
        "as peakend run --out does for a big run (a single day: a block of customers at a "
        "time; a multi-period --config: a day at a time, with the peak at the end of each "
        "period)",
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
        streaming = ["--stream"] if args.stream else []
        report(
            Path(args.config).stem[:12], measure(["--config", args.config, *overrides, *streaming])
        )
        return
    for size in args.sizes:
        streaming = ["--stream"] if args.stream else []
        found = measure(["--customers", str(size), "--experience", args.experience, *streaming])
        report(f"{size:.0e}", found)


if __name__ == "__main__":
    main()
