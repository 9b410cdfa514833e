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
        assert (out / f"intervals_{pool}.png").stat().st_size > 0
    assert not list(out.glob("*.svg"))  # one plot format by default


def test_svg_on_request_and_every_stage_timed_in_the_manifest(contact_centre, tmp_path) -> None:
    import json

    out = write_run(contact_centre, tmp_path / "run", svg=True)
    pngs = sorted(path.stem for path in out.glob("*.png"))
    assert pngs and sorted(path.stem for path in out.glob("*.svg")) == pngs
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["stages"]) == {"simulate", "tables", "store", "plots", "dictionary"}
    assert all(seconds >= 0 for seconds in manifest["stages"].values())
    assert manifest["stages"]["simulate"] == round(contact_centre.seconds, 3)
    assert set(manifest["replication_stages"]) == {"simulate", "metrics", "records"}
    assert manifest["executor"] == {"kind": "serial", "workers": 1}
    assert set(manifest["files"]) >= {f"{stem}.svg" for stem in pngs}  # in the ledger


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
