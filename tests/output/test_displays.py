"""Plots follow scikit-learn's Display convention and read labels and formats from the
metric registry: every plot names its scenario and n; PNG and SVG are written."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from peakend.output.experiment_plots import (  # noqa: E402
    ComparisonPlot,
    SweepPlot,
    save_plot,
    variant_descriptions,
)
from peakend.output.plots import (  # noqa: E402
    PeriodMetricPlot,
    RememberedVsExperiencedPlot,
    RetentionCurvePlot,
    TracePlot,
)


def _comparison() -> pd.DataFrame:
    rows = []
    for metric, base, shift in (("service_level", 0.64, 0.06), ("profit", 1.4e6, 19_000.0)):
        for variant, diff in (("base", np.nan), ("lunch_plus_3", shift), ("callback", -shift)):
            mean = base + (0 if variant == "base" else diff)
            rows.append(
                {
                    "variant": variant,
                    "metric": metric,
                    "mean": mean,
                    "ci_low": mean * 0.98,
                    "ci_high": mean * 1.02,
                    "half_width": mean * 0.02,
                    "n": 8,
                    "diff": diff,
                    "diff_ci_low": diff - abs(diff) / 10,
                    "diff_ci_high": diff + abs(diff) / 10,
                    "significant": variant != "base",
                }
            )
    return pd.DataFrame(rows)


def _periods() -> pd.DataFrame:
    rows = [
        {"replication": r, "week": w, "profit": 1000.0 * (w + 1) + r, "retention_rate": 0.8}
        for r in range(3)
        for w in range(4)
    ]
    return pd.DataFrame(rows)


def _cohorts() -> pd.DataFrame:
    rows = [
        {"replication": r, "cohort": 0, "week": w, "size": 9, "active_share": 0.9 - w / 20 - r / 99}
        for r in range(3)
        for w in range(4)
    ]
    return pd.DataFrame(rows)


def _displays() -> list:
    traces = pd.DataFrame(
        {
            "replication": [0, 0, 0],
            "customer": [4, 4, 4],
            "kind": ["wait", "service", "farewell"],
            "start_minutes": [10.0, 12.0, 16.0],
            "duration_minutes": [2.0, 4.0, 0.0],
            "u_start": [-0.2, -1.0, 0.5],
            "u_end": [-1.0, 0.2, 0.5],
        }
    )
    customers = pd.DataFrame(
        {
            "replication": np.repeat([0, 1], 50),
            "experienced_utility": np.linspace(-2, 2, 100),
            "remembered_utility": np.linspace(-3, 2, 100),
            "effort": np.arange(100) % 3,
        }
    )
    summary = pd.DataFrame(
        {
            "scenario": ["a", "b", "c"],
            "pools.agents.staffing*": [0.8, 1.0, 1.2],
            "metric": "service_level",
            "mean": [0.5, 0.7, 0.85],
            "ci_low": [0.45, 0.65, 0.8],
            "ci_high": [0.55, 0.75, 0.9],
            "half_width": 0.05,
            "n": 5,
        }
    )
    return [
        TracePlot.from_traces(traces, 4, scenario="day"),
        RememberedVsExperiencedPlot.from_customers(customers, max_points=30, scenario="day"),
        RetentionCurvePlot.from_cohorts(_cohorts(), "week", scenario="weeks"),
        PeriodMetricPlot.from_periods(_periods(), "profit", "week", scenario="weeks"),
        SweepPlot.from_summary(summary, "service_level", experiment="sweep"),
        ComparisonPlot.from_comparison(_comparison(), "service_level", experiment="qs"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_plot_draws_on_the_given_axes_and_returns_itself(index) -> None:
    display = _displays()[index]
    fig, ax = plt.subplots()
    try:
        assert display.plot(ax=ax) is display
        assert display.ax_ is ax and display.figure_ is fig
    finally:
        plt.close(fig)


@pytest.mark.parametrize("index", range(6))
def test_plot_without_axes_makes_a_figure_titled_with_scenario_and_n(index) -> None:
    display = _displays()[index].plot()
    try:
        titles = " ".join(
            [display.figure_.get_suptitle()] + [a.get_title() for a in display.figure_.axes]
        )
        assert any(name in titles for name in ("day", "weeks", "sweep", "qs"))
        assert "n = " in titles or "one of 1 sampled" in titles
    finally:
        plt.close(display.figure_)


def test_shares_are_percentages_with_the_target_line() -> None:
    display = SweepPlot.from_summary(_sweep(), "service_level")
    display.plot()
    try:
        assert display.ax_.get_ylabel() == "Service level (%)"
        assert display.ax_.yaxis.get_major_formatter()(0.8, 0) == "80.0 %"
        targets = [line for line in display.ax_.get_lines() if list(line.get_ydata()) == [0.8, 0.8]]
        assert len(targets) == 1
        assert "staffing of pool agents (× today's plan)" == display.ax_.get_xlabel()
    finally:
        plt.close(display.figure_)


def _sweep() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": ["a", "b"],
            "pools.agents.staffing*": [0.8, 1.2],
            "metric": "service_level",
            "mean": [0.5, 0.85],
            "ci_low": [0.45, 0.8],
            "ci_high": [0.55, 0.9],
            "half_width": 0.05,
            "n": 5,
        }
    )


def test_comparison_labels_variants_by_description_and_money_as_currency() -> None:
    descriptions = variant_descriptions(
        '[variants.lunch_plus_3]\ndescription = "three more agents over lunch"\n'
        "[variants.callback]\nset = []\n"
    )
    assert descriptions == {"lunch_plus_3": "three more agents over lunch"}
    display = ComparisonPlot.from_comparison(_comparison(), "profit", descriptions).plot()
    try:
        ticks = [t.get_text() for t in display.ax_.get_xticklabels()]
        assert ticks[1].replace("\n", " ") == "lunch_plus_3: three more agents over lunch"
        assert ticks[2] == "callback"
        assert display.ax_.yaxis.get_major_formatter()(1_400_000, 0) == "€1,400,000"
        assert display.ax_diff_.yaxis.get_major_formatter()(-19_000, 0) == "−€19,000"
        assert "n = 8 replications per variant" in display.figure_.get_suptitle()
    finally:
        plt.close(display.figure_)


def test_save_plot_writes_png_and_svg_on_request(tmp_path) -> None:
    (png,) = save_plot(_displays()[3].plot(), tmp_path / "plain" / "profit.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in png.parent.iterdir()) == ["profit.png"]  # one format
    png, svg = save_plot(_displays()[3].plot(), tmp_path / "plots" / "profit.png", svg=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert svg.suffix == ".svg" and svg.parent == png.parent


def test_a_missing_column_or_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="no column 'visits'"):
        PeriodMetricPlot.from_periods(_periods(), "visits", "week")
    with pytest.raises(ValueError, match="no metric 'profit'"):
        SweepPlot.from_summary(_sweep(), "profit")
