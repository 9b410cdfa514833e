"""Validation against the outside world: queueing theory and classic experiments.

``peakend validate`` runs the engine on M/M/c (Erlang C) and M/M/c+M (Erlang A)
systems, including overload, and compares each simulated metric with its closed
form. A check passes when the analytic value lies inside the simulation's
confidence interval over replications. Because a run makes dozens of checks,
each interval is a 99.9 % Student-t interval (a Bonferroni-style correction: at
30 checks the chance that a correct engine fails any of them is about 3 %), and
the seed is fixed, so the verdict is reproducible.

It also runs the classic memory experiments (patients A and B, the cold-pressor
choice, the colonoscopy trial, the service-recovery paradox) and reports each
model result beside the published finding, and the levers suite
(:mod:`peakend.analysis.levers`): every lever of the model pulled in the engine
on the shipped contact centre, its direction checked with a paired interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from peakend.analysis.erlang import ErlangA, ErlangC
from peakend.analysis.stats import estimate
from peakend.config.loading import scenario_from_dict
from peakend.experiments.runner import run_scenario
from peakend.output.tables import rows_table

__all__ = ["CheckRow", "QueueCase", "queue_cases", "run_queue_case", "run_validation"]

CHECK_LEVEL = 0.999
LEVERS_SCENARIO = Path(__file__).resolve().parents[3] / "configs" / "contact_centre.toml"
"""The shipped scenario the levers suite pulls its levers on."""
LEVERS_REPLICATIONS = 20


@dataclass(frozen=True)
class QueueCase:
    """An M/M/c or M/M/c+M system with its analytic performance measures."""

    name: str
    arrival_rate: float
    mean_service_minutes: float
    agents: int
    mean_patience_minutes: float | None = None
    threshold_minutes: float = 1 / 3

    def analytic(self) -> dict[str, float]:
        """Closed-form values of the metrics the engine reports."""
        if self.mean_patience_minutes is None:
            c = ErlangC(self.arrival_rate, self.mean_service_minutes, self.agents)
            return {
                "prob_wait": c.prob_wait,
                "mean_wait_minutes": c.mean_wait_minutes,
                "service_level": c.service_level(self.threshold_minutes),
                "occupancy": c.occupancy,
            }
        a = ErlangA(
            self.arrival_rate, self.mean_service_minutes, self.agents, self.mean_patience_minutes
        )
        return {
            "prob_wait": a.prob_wait,
            "abandonment_rate": a.prob_abandon,
            "mean_wait_minutes": a.mean_wait_minutes,
            "service_level": a.service_level(self.threshold_minutes),
            "occupancy": a.occupancy,
        }

    def scenario_data(
        self, horizon: float, warmup: float, replications: int, seed: int
    ) -> dict[str, Any]:
        patience: dict[str, Any] = (
            {"distribution": "fixed", "value": float("inf")}
            if self.mean_patience_minutes is None
            else {"distribution": "exponential", "mean": self.mean_patience_minutes}
        )
        return {
            "name": self.name,
            "run": {
                "seed": seed,
                "replications": replications,
                "warmup_minutes": warmup,
                "service_level_threshold_minutes": self.threshold_minutes,
                # Cut at the horizon: a drained tail would not be stationary.
                "drain": False,
            },
            "arrivals": {"interval_minutes": horizon, "rate_per_hour": [self.arrival_rate * 60]},
            "segments": {"all": {"share": 1.0, "patience": patience}},
            "pools": {
                "agents": {
                    "staffing": [self.agents],
                    "service_time": {
                        "distribution": "exponential",
                        "mean": self.mean_service_minutes,
                    },
                }
            },
        }


def queue_cases() -> list[QueueCase]:
    """The validation set: the Erlang C reference example, M/M/1, and Erlang A loads
    (``docs/validation.md``)."""
    calls = 100 / 30  # 100 calls per 30 minutes
    return [
        QueueCase("Erlang C, A=10, 14 agents (reference case)", calls, 3.0, 14),
        QueueCase("Erlang C, A=10, 13 agents (reference case)", calls, 3.0, 13),
        QueueCase("Erlang C, A=10, 12 agents (reference case)", calls, 3.0, 12),
        QueueCase("M/M/1, rho=0.8", 0.8, 1.0, 1, threshold_minutes=1.0),
        QueueCase("Erlang A, rho=0.8, 20 agents", 16 / 3, 3.0, 20, 2.0),
        QueueCase("Erlang A, rho=1.0, 10 agents", 10 / 3, 3.0, 10, 1.0),
        QueueCase("Erlang A, rho=1.3 (overload), 10 agents", 13 / 3, 3.0, 10, 2.0),
        QueueCase("Erlang A, rho=2.0 (overload), 50 agents", 100 / 3, 3.0, 50, 0.5),
    ]


@dataclass(frozen=True)
class CheckRow:
    """One simulated metric against its reference value."""

    case: str
    metric: str
    analytic: float
    simulated: float
    ci_low: float
    ci_high: float

    @property
    def passed(self) -> bool:
        return self.ci_low <= self.analytic <= self.ci_high

    def cells(self) -> tuple[Any, ...]:
        return (
            self.case,
            self.metric,
            self.analytic,
            self.simulated,
            f"[{self.ci_low:.4g}, {self.ci_high:.4g}]",
            "ok" if self.passed else "FAIL",
        )


def run_queue_case(
    case: QueueCase,
    replications: int = 10,
    horizon: float = 3000.0,
    warmup: float = 300.0,
    seed: int = 2026,
    mapper: Callable[..., Any] | None = None,
) -> list[CheckRow]:
    """Simulate ``case`` and compare every metric with its closed form."""
    scenario = scenario_from_dict(case.scenario_data(horizon, warmup, replications, seed))
    result = run_scenario(scenario, mapper=mapper)
    frame = result.metrics_frame()
    rows = []
    for metric, value in case.analytic().items():
        est = estimate(frame[metric], CHECK_LEVEL)
        rows.append(CheckRow(case.name, metric, value, est.mean, est.ci_low, est.ci_high))
    return rows


def run_validation(
    console: Console,
    quick: bool = False,
    seed: int = 2026,
    mapper: Callable[..., Any] | None = None,
) -> bool:
    """Run all queueing and memory checks, print tables, return whether all passed."""
    replications, horizon = (6, 1500.0) if quick else (12, 6000.0)
    rows: list[CheckRow] = []
    for case in queue_cases():
        # M/M/1 at rho = 0.8 mixes slowly: give it a longer day.
        length = horizon * (4 if case.agents == 1 else 1)
        rows.extend(run_queue_case(case, replications, length, length / 10, seed, mapper))
    console.print(
        rows_table(
            f"Engine against queueing theory ({replications} replications, "
            f"{CHECK_LEVEL:.1%} CI, seed {seed})",
            ("case", "metric", "analytic", "simulated", "CI", "check"),
            (row.cells() for row in rows),
        )
    )
    queue_ok = all(row.passed for row in rows)
    classics_ok = _run_classics(console, seed)
    return _run_levers(console) and classics_ok and queue_ok


def _run_levers(console: Console) -> bool:
    from peakend.analysis.levers import LEVEL, run_levers

    report = run_levers(LEVERS_SCENARIO, LEVERS_REPLICATIONS)
    console.print(
        rows_table(
            f"Levers in the engine on {LEVERS_SCENARIO.name} ({LEVERS_REPLICATIONS} paired "
            f"replications, common random numbers, {LEVEL:.0%} CI)",
            ("lever", "metric", "expected", "without", "with", "difference", "CI", "check"),
            (
                (
                    row["lever"],
                    row["metric"],
                    row["expected"],
                    f"{row['without']:.4g}",
                    f"{row['with']:.4g}",
                    f"{row['difference']:+.4g}",
                    f"[{row['ci_low']:+.4g}, {row['ci_high']:+.4g}]",
                    "ok" if row["ok"] else "FAIL",
                )
                for row in report.rows()
            ),
        )
    )
    return report.passed


def _run_classics(console: Console, seed: int) -> bool:
    from peakend.classics import run_all

    passed = True
    for result in run_all(seed):
        console.print(
            rows_table(
                f"{result.title}: {'reproduced' if result.reproduced else 'NOT REPRODUCED'}",
                ("quantity", "model", "published"),
                result.rows(),
            )
        )
        passed &= bool(result.reproduced)
    return passed
