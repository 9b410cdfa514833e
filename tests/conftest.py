"""Shared fixtures: small scenarios built in code, and paths to the shipped configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from peakend import Scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))


def mmc_data(
    arrival_rate: float = 2.0,
    mean_service: float = 1.0,
    agents: int = 3,
    mean_patience: float | None = None,
    horizon: float = 2000.0,
    warmup: float = 100.0,
    seed: int = 1,
    replications: int = 1,
) -> dict[str, Any]:
    """Scenario data of an M/M/c (or M/M/c+M with ``mean_patience``) system."""
    patience = (
        {"distribution": "fixed", "value": float("inf")}
        if mean_patience is None
        else {"distribution": "exponential", "mean": mean_patience}
    )
    return {
        "name": "mmc",
        "run": {"seed": seed, "replications": replications, "warmup_minutes": warmup},
        "arrivals": {"interval_minutes": horizon, "rate_per_hour": [arrival_rate * 60]},
        "segments": {"all": {"share": 1.0, "patience": patience}},
        "pools": {
            "agents": {
                "staffing": [agents],
                "service_time": {"distribution": "exponential", "mean": mean_service},
            }
        },
    }


def mmc(**kwargs: Any) -> Scenario:
    return scenario_from_dict(mmc_data(**kwargs))


def busy_day_data(seed: int = 3) -> dict[str, Any]:
    """A small day with shifts, absenteeism, two segments, retries and repeat contacts."""
    return {
        "name": "busy_day",
        "run": {"seed": seed, "replications": 2},
        "arrivals": {"interval_minutes": 30, "rate_per_hour": [40, 90, 120, 60]},
        "segments": {
            "a": {
                "share": 0.6,
                "patience": {"distribution": "exponential", "mean": 3.0},
                "retry_probability": 0.5,
                "retry_delay": {"distribution": "exponential", "mean": 5.0},
                "recontact_probability": 0.7,
                "recontact_delay": {"distribution": "fixed", "value": 10.0},
            },
            "b": {
                "share": 0.4,
                "patience": {"distribution": "lognormal", "mean": 4.0, "cv": 1.0},
            },
        },
        "pools": {
            "agents": {
                "staffing": [2, 5, 3, 1],
                "absenteeism": 0.2,
                "service_time": {"distribution": "gamma", "mean": 2.5, "cv": 0.8},
                "first_contact_resolution": 0.7,
                "skill_effect": 0.5,
            }
        },
    }


@pytest.fixture
def busy_day() -> Scenario:
    return scenario_from_dict(busy_day_data())
