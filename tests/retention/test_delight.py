"""Delight is a gain at first and wears off once expected (hedonic adaptation)."""

from __future__ import annotations

import numpy as np

from peakend.config.loading import scenario_from_dict
from peakend.retention.multiperiod import run_periods


def _scenario(delight: float, adaptation: float = 0.5):
    return scenario_from_dict(
        {
            "run": {"seed": 5, "replications": 1},
            "arrivals": {"interval_minutes": 60, "rate_per_hour": [60, 80, 80, 60]},
            "segments": {"c": {"share": 1.0, "value_per_visit": 30.0}},
            "pools": {
                "agents": {
                    "staffing": [8, 9, 9, 8],
                    "service_time": {"distribution": "exponential", "mean": 4.0},
                }
            },
            "service": {"delight_probability": delight},
            "retention": {
                "periods": 6,
                # a small population that calls often, so that delight becomes expected
                "population": 400,
                "extras_adaptation_rate": adaptation,
            },
        }
    )


def _gain_by_period(adaptation: float) -> np.ndarray:
    """Mean remembered-utility gain of delight per period, paired over 3 replications."""
    gains = []
    for replication in range(3):
        with_delight = run_periods(_scenario(0.8, adaptation), replication).periods
        without = run_periods(_scenario(0.0, adaptation), replication).periods
        gains.append(
            with_delight["mean_remembered_utility"].to_numpy()
            - without["mean_remembered_utility"].to_numpy()
        )
    return np.mean(gains, axis=0)


def test_delight_is_a_gain_at_first_and_smaller_once_expected():
    gain = _gain_by_period(0.5)
    assert gain[0] > 0.2
    assert gain[-1] < 0.6 * gain[0]


def test_without_adaptation_delight_does_not_wear_off():
    """The wearing off comes from the adaptation, not from the rest of the loop."""
    gain = _gain_by_period(0.0)
    assert gain[-1] > 0.8 * gain[0]
