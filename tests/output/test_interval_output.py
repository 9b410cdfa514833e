"""intervals.csv and the interval plot of a run directory."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from peakend import scenario_from_dict
from peakend.config.loading import load_scenario
from peakend.output.files import write_run
from peakend.output.plots import IntervalDisplay
from peakend.runs.runner import run_scenario

from conftest import ROOT, busy_day_data


@pytest.fixture(scope="module")
def contact_centre():
    return run_scenario(load_scenario(ROOT / "configs" / "contact_centre.toml"), 3)


def test_a_run_writes_intervals_csv_and_a_plot_per_pool(contact_centre, tmp_path) -> None:
    out = write_run(contact_centre, tmp_path / "run")
    table = pd.read_csv(out / "intervals.csv")
    scenario = contact_centre.scenario
    assert len(table) == scenario.intervals * len(scenario.pools)
    agents = table[table["pool"] == "agents"]
    assert agents["start"].iloc[[0, 8, -1]].tolist() == ["08:00", "12:00", "19:30"]
    parts = agents["answered"] + agents["abandoned"] + agents["still_waiting"]
    assert agents["offered"].to_numpy() == pytest.approx(parts.to_numpy())  # means of thirds
    assert agents["agents_scheduled"].tolist() == list(scenario.pools["agents"].staffing)
    assert (agents["agents_present"] <= agents["agents_scheduled"]).all()
    assert agents["service_level"].between(0, 1).all()
    for pool in ("agents", "seniors"):
        for suffix in ("png", "svg"):
            assert (out / f"intervals_{pool}.{suffix}").stat().st_size > 0


def test_the_interval_display_keeps_what_it_drew(contact_centre) -> None:
    display = IntervalDisplay.from_result(contact_centre)
    assert display.pool == "agents"  # the first pool by default
    assert display.plot() is display
    ax = display.ax_
    assert ax is not None and display.figure_ is ax.figure
    title = ax.get_title()
    assert "contact_centre" in title and "n = 3" in title
    labels = [tick.get_text() for tick in ax.get_xticklabels()]
    assert "08:00" in labels and "12:00" in labels
    target = [line for line in ax.get_lines() if list(line.get_ydata()) == [0.8, 0.8]]
    assert target, "the service-level target is drawn as a line"
    plt.close(display.figure_)


def test_the_display_draws_on_a_given_axes(contact_centre) -> None:
    fig, ax = plt.subplots()
    display = IntervalDisplay.from_result(contact_centre, "seniors").plot(ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    plt.close(fig)


def test_the_display_refuses_what_it_cannot_draw(contact_centre) -> None:
    with pytest.raises(ValueError, match="no intervals of pool 'nobody'"):
        IntervalDisplay.from_result(contact_centre, "nobody")
    data = busy_day_data()
    data["retention"] = {"periods": 2, "population": 100}
    periods = run_scenario(scenario_from_dict(data), 1)
    with pytest.raises(ValueError, match="no per-interval results"):
        IntervalDisplay.from_result(periods)
