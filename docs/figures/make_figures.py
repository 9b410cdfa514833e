"""Draw the figures of the README and the docs from the shipped examples.

Run by hand from the checkout after a change that moves them (the PNGs are checked in, so
that the README shows them on any forge and the docs build needs no simulation)::

    python docs/figures/make_figures.py          # writes docs/figures/intervals.png, retention.png

- ``intervals.png``: one day of ``configs/contact_centre.toml`` (its 10 replications and
  seed): service level per interval with its 95 % band against the target, and the
  agents present against the agents Erlang C asks for
  (:class:`peakend.output.plots.IntervalDisplay`).
- ``retention.png``: twelve weeks of ``configs/contact_centre_12_weeks.toml`` (3
  replications, the config's seed): the share of the initial customers still active week by
  week with today's plan and with three more agents from 12:00 to 14:00, paired by common
  random numbers (the bands of :class:`peakend.output.plots.RetentionCurvePlot`).

Same seeds, same figures: matplotlib's Agg backend and fixed sizes and resolution.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no window, no display needed

import matplotlib.pyplot as plt  # noqa: E402

import peakend  # noqa: E402
from peakend.output.plots import IntervalDisplay, RetentionCurvePlot  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DPI = 80  # small files: the README shows them at page width, not for print
LUNCH_PLUS_3 = "pools.agents.staffing[8:12]+=3"  # half-hours 12:00 to 14:00 (opens 08:00)


def intervals_figure(path: Path) -> None:
    """One day of the contact centre: service level and agents per half hour."""
    scenario = peakend.load_scenario(ROOT / "configs/contact_centre.toml")
    display = IntervalDisplay.from_result(peakend.run_scenario(scenario), "agents").plot()
    assert display.figure_ is not None
    display.figure_.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(display.figure_)


def retention_figure(path: Path) -> None:
    """Twelve weeks: initial customers still active, today's plan against lunch + 3."""
    base = peakend.load_scenario(
        ROOT / "configs/contact_centre_12_weeks.toml", ["run.replications=3"]
    )
    plans = {
        "today's plan": base,
        "3 more agents 12:00-14:00": peakend.load_scenario(
            ROOT / "configs/contact_centre_12_weeks.toml", ["run.replications=3", LUNCH_PLUS_3]
        ),
    }
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for (label, scenario), colour in zip(plans.items(), ("#d95f02", "#1b9e77"), strict=True):
        result = peakend.run_scenario(scenario)
        period = scenario.retention.period_name
        curve = RetentionCurvePlot.from_cohorts(result.cohorts_frame(), period, scenario.name)
        band = curve.band
        ax.fill_between(band[period], band["low"], band["high"], color=colour, alpha=0.25)
        ax.plot(band[period], band["mean"], color=colour, marker="o", ms=3, label=label)
    ax.set_xlabel(period)
    ax.set_ylabel("initial customers still active")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_title(f"{base.name}: retention curve (95 % CI band, 3 paired replications)", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    intervals_figure(HERE / "intervals.png")
    retention_figure(HERE / "retention.png")


if __name__ == "__main__":
    main()
