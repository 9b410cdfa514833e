"""What if we add agents over lunch? A paired what-if comparison from Python.

    .venv/bin/python experiments/whatif_lunch.py [-r 20] [--out results/whatif_lunch]

Compares today's plan with one, two and three more agents over lunch
(12:00-14:00), on every core, prints the key metrics with their paired
differences and saves a comparison plot. ``main()`` returns the comparison table
(one row per variant and metric) for use in notebooks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import pandas as pd

from peakend import load_scenario
from peakend.experiments.api import compare
from peakend.output.experiment_plots import ComparisonPlot, save_plot
from peakend.runs.executors import ProcessExecutor

ROOT = Path(__file__).resolve().parent.parent
KEY_METRICS = ["service_level", "abandonment_rate", "mean_wait_minutes"]


def main(
    replications: int = 20, out: str | Path = "results/whatif_lunch", workers: int | None = None
) -> pd.DataFrame:
    """Run the comparison; write ``compare.csv`` and a plot into ``out``; return the table."""
    base = load_scenario(ROOT / "configs" / "contact_centre.toml")
    variants = {
        f"lunch_plus_{extra}": [f"pools.agents.staffing[8:12]+={extra}"] for extra in (1, 2, 3)
    }
    with ProcessExecutor(workers) as executor:
        table = compare(base, variants, replications=replications, executor=executor, out=out)
    columns = ["metric", "variant", "mean", "diff", "diff_ci_low", "diff_ci_high", "significant"]
    shown = table.loc[table["metric"].isin(KEY_METRICS), columns]
    print(shown.to_string(index=False, float_format="{:.4g}".format))
    matplotlib.use("Agg")
    display = ComparisonPlot.from_comparison(table, "service_level", experiment="whatif_lunch")
    (png,) = save_plot(display.plot(), Path(out) / "whatif_lunch.png")  # PNG only by default
    print("plot:", png)
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Add agents over lunch: a paired what-if.")
    parser.add_argument("-r", "--replications", type=int, default=20)
    parser.add_argument("--out", default="results/whatif_lunch")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    main(args.replications, args.out, args.workers)
