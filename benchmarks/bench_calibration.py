"""Time ``peakend calibrate`` on a month and ``peakend backtest`` on a fortnight.

Simulates a synthetic Anonymous Bank log (``peakend.calibration.synthetic``) of
``--days`` days (30 at ``--scale 1.2``: about 40,000 contacts reaching the queue,
plus the calls that end in the IVR), writes it as CSV, then times, in this process:
reading the log and calibrating (``calibrate_log``: fits, scenario, report) on the
whole month, and the backtest of its last ``--held-out`` days (14) with
``--replications`` (20) each. The issue's targets: under 30 s and under 2 minutes
on 2 cores.

    .venv/bin/python benchmarks/bench_calibration.py [--days 30] [--held-out 14]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from peakend.calibration.api import calibrate_log
from peakend.calibration.backtest import backtest
from peakend.calibration.logformat import PRESETS
from peakend.calibration.logs import read_log
from peakend.calibration.synthetic import synthetic_log
from peakend.config.loading import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--held-out", type=int, default=14)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "month.csv"
        frame, _ = synthetic_log(args.days, seed=2026, scale=args.scale)
        frame.to_csv(path, index=False)
        queued = int((frame["q_start"] != "0:00:00").sum())
        print(f"log: {len(frame):,} rows, {queued:,} reached the queue, {args.days} days")
        started = time.perf_counter()
        result = calibrate_log(path, Path(folder) / "calibrated")
        calibrated = time.perf_counter() - started
        print(f"calibrate (read, fit, scenario, report): {calibrated:6.1f} s   (target 30 s)")
        scenario = load_scenario(result.scenario)
        log = read_log(path, PRESETS["anonymous_bank"])
        days = [pd.Timestamp(d) for d in log.days()[-args.held_out :]]
        started = time.perf_counter()
        backtest(scenario, log, days, replications=args.replications)
        elapsed = time.perf_counter() - started
        print(
            f"backtest ({len(days)} days x {args.replications} replications): "
            f"{elapsed:6.1f} s   (target 120 s)"
        )


if __name__ == "__main__":
    main()
