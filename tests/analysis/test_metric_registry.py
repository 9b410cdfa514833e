"""The metric registry: every reported metric is described, and values read well."""

from __future__ import annotations

import math

import pytest

from peakend.analysis.registry import (
    METRICS,
    format_bounds,
    format_difference,
    format_value,
    metric_info,
)
from peakend.config.loading import load_scenario
from peakend.runs.runner import metric_names

from conftest import ROOT

SCENARIOS = [
    (ROOT / "configs" / "contact_centre.toml", []),
    (ROOT / "configs" / "contact_centre.toml", ["experience.enabled=false"]),
    (ROOT / "configs" / "contact_centre_12_weeks.toml", []),
]


@pytest.mark.parametrize(("path", "overrides"), SCENARIOS)
def test_every_reported_metric_is_registered(path, overrides) -> None:
    names = metric_names(load_scenario(path, overrides))
    assert names
    missing = [name for name in names if name not in METRICS]
    assert missing == []


def test_multi_period_runs_report_their_own_metrics() -> None:
    names = metric_names(load_scenario(ROOT / "configs" / "contact_centre_12_weeks.toml"))
    assert {"retention_rate", "profit", "clv"} <= set(names)


def test_entries_are_complete() -> None:
    for name, info in METRICS.items():
        assert info.name == name
        assert info.label and info.label[0].isupper()
        assert info.better in ("higher", "lower", "none")
        assert info.description


def test_service_level_has_its_target() -> None:
    info = metric_info("service_level")
    assert (info.label, info.format, info.better, info.target) == (
        "Service level",
        "percent",
        "higher",
        0.8,
    )
    assert info.axis_label() == "Service level (%)"


def test_values_are_formatted_by_kind() -> None:
    assert format_value("service_level", 0.6408) == "64.1 %"
    assert format_value("profit", 1445533.4) == "€1,445,533"
    assert format_value("profit", -53995.2, currency="$") == "−$53,995"
    assert format_value("active_customers_end", 135784.2) == "135,784"
    assert format_value("mean_wait_minutes", 0.4308) == "0.431 min"
    assert format_value("mean_remembered_utility", -0.9031) == "−0.903"
    assert format_value("service_level", math.nan) == "–"


def test_differences_are_signed_and_shares_in_points() -> None:
    assert format_difference("service_level", 0.06204) == "+6.20 pp"
    assert format_difference("profit", -53995.2) == "−€53,995"
    assert format_difference("mean_wait_minutes", 0.0) == "±0 min"


def test_an_unknown_metric_is_shown_under_its_own_name() -> None:
    info = metric_info("plugin_score")
    assert info.label == "Plugin score"
    assert format_value("plugin_score", 1.5) == "1.50"


def test_bounds_leave_the_unit_to_the_mean() -> None:
    assert format_bounds("service_level", 0.62, 0.659) == "[62.0, 65.9]"
    assert format_bounds("profit", 1433619.2, 1456021.0) == "[1,433,619, 1,456,021]"
    assert format_bounds("service_level", 0.0561, 0.0703, difference=True) == "[+5.61, +7.03]"
    assert format_bounds("mean_wait_minutes", math.nan, 1.0) == "–"
