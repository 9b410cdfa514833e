"""How often the patience interval of the internet type (IN) covers its true mean, over
independent fortnights simulated from the synthetic truth (issue 19).

Each fortnight is simulated by the engine from ``peakend.calibration.synthetic``'s truth
(days at the weekday's mean load); the IN contacts' waits are fitted with a censored
lognormal, straight from the engine's records (no log: this isolates the fit from the
log's rounding). Prints each fortnight's estimate with its profile-likelihood and Wald
95 % intervals, then the mean and sd of the estimates and how often each interval
covers the truth (mean 5 minutes, cv 1).

    .venv/bin/python experiments/patience_coverage.py [--fortnights 30] [--days 15]
"""

from __future__ import annotations

import argparse

import numpy as np

from peakend.calibration.fitting import fit_family
from peakend.calibration.synthetic import _day_scenario, truth_scenario
from peakend.simulation.replication import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fortnights", type=int, default=30)
    parser.add_argument("--days", type=int, default=15)
    args = parser.parse_args()
    base, truth = truth_scenario()
    spec = truth.patience["IN"]
    mean, cv = spec["mean"], spec["cv"]
    rows = []
    for block in range(args.fortnights):
        waits, gave_up = [], []
        for day in range(args.days):
            contacts = simulate(_day_scenario(base, 1.0, 50_000 + block * 100 + day))
            frame = contacts.contacts.to_frame()
            kind = frame[frame["segment"].astype(str) == "IN"]
            waits.append(kind["wait_minutes"].to_numpy())
            gave_up.append(kind["abandoned"].to_numpy(bool))
        w, a = np.concatenate(waits), np.concatenate(gave_up)
        fit = fit_family("lognormal", w[a], w[~a], profile=True)
        low, high = fit.intervals["mean"]
        wald = (fit.mean - 1.96 * fit.mean_se, fit.mean + 1.96 * fit.mean_se)
        cv_low, cv_high = fit.intervals["cv"]
        rows.append(
            (fit.mean, low <= mean <= high, wald[0] <= mean <= wald[1], cv_low <= cv <= cv_high)
        )
        print(
            f"fortnight {block:2d}: {int(a.sum())} abandoned, mean {fit.mean:.3f} "
            f"profile {low:.3f}-{high:.3f} Wald {wald[0]:.3f}-{wald[1]:.3f} cv {fit.cv:.3f}",
            flush=True,
        )
    table = np.array(rows, dtype=float)
    n = len(rows)
    covered = [int(table[:, column].sum()) for column in (1, 2, 3)]
    print(
        f"estimate of the mean: average {table[:, 0].mean():.3f}, sd {table[:, 0].std():.3f} "
        f"(truth {mean}); covered by the profile interval {covered[0]}/{n}, "
        f"Wald {covered[1]}/{n}; cv covered {covered[2]}/{n}"
    )


if __name__ == "__main__":
    main()
