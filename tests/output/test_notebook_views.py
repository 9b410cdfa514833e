"""How scenarios and results show in a notebook: a short text, an HTML view with the key plot."""

from __future__ import annotations

import pytest

from peakend import run_scenario, scenario_from_dict
from peakend.experiments.api import load_experiment, run_experiment
from peakend.runs.executors import NotebookProgress, ProgressBar

from conftest import ROOT, mmc_data


def small(name: str = "small"):
    data = mmc_data(arrival_rate=2.0, agents=3, mean_patience=2.0, horizon=60.0, warmup=0.0)
    data["name"] = name
    data["arrivals"]["rate_per_hour"] = [100.0, 140.0]
    data["arrivals"]["interval_minutes"] = 30.0
    data["pools"]["agents"]["staffing"] = [3, 4]
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def result():
    return run_scenario(small(), 3, seed=5)


def test_a_run_result_is_one_short_line(result):
    text = repr(result)
    assert text.startswith("RunResult('small': 3 of 3 replications, seed 5, finished")
    assert "service_level" in text and "\n" not in text
    assert len(text) < 300  # the dataclass repr printed every record: tens of KB
    assert repr(result) == str(result)


def test_a_run_results_html_has_the_summary_and_the_key_plot(result):
    html = result._repr_html_()
    assert html.count("<tr>") == len(result.summary) + 1  # a row per metric and the header
    assert "95% CI" in html and "Service level" in html
    assert html.count('src="data:image/png;base64,') == 1
    assert "only 3 replications" not in html  # three replications raise no warning


def test_names_are_escaped_in_the_html_and_the_text():
    named = run_scenario(small("<script>alert(1)</script>\x1b[31m"), 1)
    html = named._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "\x1b" not in repr(named) and "\\x1b" in repr(named)
    assert "only 1 replication" in html  # warnings are shown


def test_a_scenario_shows_what_to_check_before_running_it():
    scenario = small()
    text = repr(scenario)
    assert text.startswith("Scenario('small': day 2 intervals of 30 min")
    assert "about 120 a day" in text and "agents (3-4 agents)" in text
    assert "seed 1, 1 replications" in text
    html = scenario._repr_html_()
    assert "<table>" in html and "memory model" in html


def test_an_experiment_result_shows_its_comparison_and_plot():
    experiment = load_experiment(ROOT / "experiments" / "staffing_whatif.toml")
    compared = run_experiment(experiment, "compare", replications=2)
    text = repr(compared)
    assert text.startswith("ExperimentResult('staffing_whatif': compare of 3 scenarios")
    assert len(text) < 400
    html = compared._repr_html_()
    assert "difference from base [95% CI]" in html and "lunch_plus_3" in html
    assert html.count("data:image/png;base64,") == 1


def test_a_sweep_result_shows_one_row_per_point():
    from peakend.experiments.design import Experiment

    experiment = Experiment.from_scenario(small(), factors={"pools.agents.staffing+": [0, 1]})
    swept = run_experiment(experiment, "sweep", replications=2)
    html = swept._repr_html_()
    assert "staffing_added=0" in html and "staffing_added=1" in html
    assert html.count("data:image/png;base64,") == 1


def test_the_notebook_bar_counts_and_estimates():
    bar = NotebookProgress("a <b>")
    bar.total, bar.done = 10, 0
    assert '<progress value="0" max="10"' in bar.html() and "a &lt;b&gt;" in bar.html()
    bar.done = 5
    assert "5/10 replications" in bar.html() and "left" in bar.html()


def test_the_progress_bar_draws_in_a_jupyter_kernel(monkeypatch):
    display = pytest.importorskip("IPython.display", reason="IPython (peakend[notebooks])")
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj.data)

    def fake_display(obj, display_id=False):
        shown.append(obj.data)
        return Handle()

    monkeypatch.setattr(display, "display", fake_display)
    monkeypatch.setattr("rich.console._is_jupyter", lambda: True)
    bar = ProgressBar(True, "day")
    assert bar.shown
    with bar:
        bar.add(2)
        bar.advance()
        bar.advance()
    assert shown[0].startswith("<progress") and "2/2 replications" in shown[-1]
    assert not ProgressBar(False, "day").shown
