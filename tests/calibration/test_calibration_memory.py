"""Journeys and the traces rebuilt from a log, by hand (fast checks of memory_fit and
returns_fit; the round trips are in test_calibration_behaviour.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from peakend.calibration.memory_fit import (
    EXPECTED_QUALITY,
    EXPECTED_WAIT,
    WARMTH,
    journey_traces,
    journeys,
    scored_features,
)
from peakend.calibration.returns_fit import fit_returns, return_table
from peakend.config.schema import ExperienceConfig
from peakend.experience.memory import Blend
from peakend.experience.moments import service_points
from peakend.experience.prospect import ValueFunction


def _frame() -> pd.DataFrame:
    """Customer A abandons after 3 min, redials and is served at once (4 min service);
    an anonymous caller is served after 0.5 min; customer A calls again 2 days later."""
    day = pd.Timestamp("2024-03-04")
    rows = [
        # line, customer, date, arrival, queue_entry, wait, outcome, service, score
        (1, "A", day, 599.5, 600.0, 3.0, "abandoned", np.nan, np.nan),
        (2, "", day, 605.0, 605.0, 0.5, "served", 2.0, np.nan),
        (3, "A", day, 610.0, 610.0, 0.0, "served", 4.0, 1.5),
        (4, "A", day + pd.Timedelta(days=2), 700.0, 700.0, 0.0, "served", 1.0, np.nan),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "line",
            "customer",
            "date",
            "arrival",
            "queue_entry",
            "wait",
            "outcome",
            "service_minutes",
            "score",
        ],
    )
    frame["type"] = "T"
    return frame


def test_journeys_group_one_customer_one_day() -> None:
    grouped = journeys(_frame())
    assert grouped.n == 3  # A on day 1, the anonymous caller, A on day 3
    rows = grouped.rows
    first = rows[rows["line"] == 1]["journey"].item()
    assert rows[rows["line"] == 3]["journey"].item() == first
    assert rows[rows["line"] == 3]["number"].item() == 2
    assert rows[rows["line"] == 4]["journey"].item() != first


def test_a_rebuilt_trace_follows_the_engine_rules() -> None:
    """Customer A's first day: a 0.5 min IVR stay and a 3 min wait (felt as waits), then
    a service at once. The worst moment is the end of the 3-minute wait,
    ``-discomfort + v(-loss * (f * 3 - E))``; the end is the service's points through v."""
    config = ExperienceConfig()
    grouped = journeys(_frame())
    traces = journey_traces(grouped.rows, grouped.n, config)
    features = Blend.features(traces)
    first = grouped.rows[grouped.rows["line"] == 1]["journey"].item()
    value = ValueFunction(config.alpha, config.beta, config.loss_aversion)
    excess = config.idle_wait_factor * 3.0 - EXPECTED_WAIT
    worst = -config.wait_discomfort + float(value(-config.wait_loss_per_minute * excess))
    points, _ = service_points(
        np.array([True]),
        np.array([WARMTH]),
        np.array([0.0]),
        np.array([EXPECTED_WAIT]),
        np.array([EXPECTED_QUALITY]),
        config,
    )
    assert features["worst"][first] == pytest.approx(worst)
    assert features["end"][first] == pytest.approx(float(value(points[0])))
    assert features["duration"][first] == pytest.approx(0.5 + 3.0 + 4.0)


def test_a_score_rates_the_journey_up_to_its_contact() -> None:
    table = scored_features(_frame())
    assert len(table) == 1 and table["score"].item() == 1.5
    assert table["duration"].item() == pytest.approx(7.5)


def test_returns_are_censored_at_the_window() -> None:
    """A's day-1 journey returns within 2 days; with a 1-day window it does not; the
    last day's journeys cannot show a return and are left out; too few journeys to fit
    is one clear error."""
    frame = _frame()
    two = return_table(frame, 2)
    assert two["returned"].tolist() == [True]
    one = return_table(frame, 1)
    assert one["returned"].tolist() == [False]
    with pytest.raises(ValueError, match="at least 100"):
        fit_returns(two, 2)
    assert math.isfinite(two["remembered"].item())
