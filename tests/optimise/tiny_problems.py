"""Tiny optimisation problems built in code (each replication takes milliseconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w


def tiny_day(seed: int = 11, absence_correlation: float = 0.0) -> dict[str, Any]:
    """Two half-hour intervals of a small phone line with impatient callers."""
    return {
        "name": "tiny_day",
        "run": {"seed": seed, "replications": 5, "service_level_threshold_minutes": 0.5},
        "arrivals": {"interval_minutes": 30, "rate_per_hour": [50.0, 90.0]},
        "segments": {
            "all": {"share": 1.0, "patience": {"distribution": "exponential", "mean": 2.0}}
        },
        "pools": {
            "agents": {
                "staffing": [3, 4],
                "absenteeism": 0.1,
                "absence_correlation": absence_correlation,
                "service_time": {"distribution": "exponential", "mean": 3.0},
                "agent_cost_per_hour": 30.0,
            }
        },
    }


def write_problem(
    folder: Path, problem: dict[str, Any], base: dict[str, Any] | None = None
) -> Path:
    """Write ``base`` (default: :func:`tiny_day`) and the optimisation file; return its path."""
    (folder / "day.toml").write_text(tomli_w.dumps(base or tiny_day()))
    path = folder / "optimise.toml"
    path.write_text(tomli_w.dumps({"base": "day.toml", **problem}))
    return path
