"""Calibrate on the first half of a synthetic month, backtest the second half, and print
the error table beside that of a plain Erlang A fit (issue 19).

The month is simulated by peakend with known parameters
(``peakend.calibration.synthetic``: three contact types, two pools with overflow,
lognormal service, lognormal and Weibull patience, redials, calls ending in the IVR),
in the Anonymous Bank format. The calibration is ``peakend calibrate`` on days 1-15;
the backtest replays days 16-30 with their inferred rosters. The Erlang A baseline
(``peakend.calibration.erlang_baseline``) uses one exponential patience, one mean
service time and the agents seen serving in each interval. Also printed: the bias
of three estimators of the agents present against the known roster.

    .venv/bin/python experiments/calibration_month.py [--days 30] [--replications 20]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from peakend.calibration.api import calibrate_log
from peakend.calibration.backtest import backtest
from peakend.calibration.erlang_baseline import ErlangAFit, erlang_a_backtest, noise_floor
from peakend.calibration.logformat import PRESETS
from peakend.calibration.logs import read_log
from peakend.calibration.rosters import naive_counts
from peakend.calibration.synthetic import synthetic_log
from peakend.config.loading import load_scenario


def _side_by_side(peakend: pd.DataFrame, erlang: pd.DataFrame) -> str:
    left = peakend[peakend["type"] == "all"].set_index("measure")[["mae", "bias", "in_band"]]
    right = erlang.set_index("measure")[["mae", "bias", "in_band"]]
    table = pd.concat([left.add_suffix(" peakend"), right.add_suffix(" Erlang A")], axis=1)
    return table.to_string(float_format=lambda v: f"{v:.4f}")


def _roster_bias(calibration: object, log: object, truth: object) -> str:
    c, t = calibration, truth
    true = np.array(t.staffing["general"]) + np.array(t.staffing["internet"])  # type: ignore[attr-defined]
    spell = sum(np.array(list(days.values())) for days in c.rosters.values())  # type: ignore[attr-defined]
    served = log.frame[log.frame["outcome"] == "served"]  # type: ignore[attr-defined]
    seen, busy = [], []
    for day in log.days():  # type: ignore[attr-defined]
        s, b = naive_counts(served[served["date"] == day], c.opens, c.intervals, 30.0)  # type: ignore[attr-defined]
        seen.append(s)
        busy.append(b)
    return (
        f"agents present, mean bias against the known roster (mean {true.mean():.2f}):\n"
        f"  spell estimator (peakend)   {float((spell - true).mean()):+.2f}\n"
        f"  seen serving in the interval {float((np.array(seen) - true).mean()):+.2f}\n"
        f"  busy time / interval length  {float((np.array(busy) - true).mean()):+.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2005)
    args = parser.parse_args()
    half = args.days // 2
    with tempfile.TemporaryDirectory() as folder:
        frame, truth = synthetic_log(args.days, seed=args.seed)
        days = sorted(frame["date"].unique())
        frame.to_csv(Path(folder) / "month.csv", index=False)
        frame[frame["date"].isin(days[:half])].to_csv(Path(folder) / "first.csv", index=False)
        result = calibrate_log(Path(folder) / "first.csv", Path(folder) / "calibrated")
        scenario = load_scenario(result.scenario)
        month = read_log(Path(folder) / "month.csv", PRESETS["anonymous_bank"])
        held = [pd.Timestamp(d) for d in month.days()[half:]]
        tested = backtest(scenario, month, held, replications=args.replications)
        first = month.only_days([pd.Timestamp(d) for d in month.days()[:half]])
        threshold = scenario.run.service_level_threshold_minutes
        _, erlang = erlang_a_backtest(ErlangAFit(first), month, held, 30.0, threshold)
    print(
        f"calibrated on days 1-{half}, backtested on days {half + 1}-{args.days} "
        f"({len(tested.intervals[tested.intervals['type'] == 'all'])} half-hours), "
        f"{args.replications} replications"
    )
    print(_side_by_side(tested.errors, erlang))
    print(
        f"binomial noise floor of the half-hourly abandonment share: "
        f"{noise_floor(tested.intervals):.4f}"
    )
    print(_roster_bias(result.calibration, first, truth))


if __name__ == "__main__":
    main()
