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
model result beside the published finding, the optimiser's checks
(:mod:`peakend.optimise.validation`: exact Erlang staffing of one interval, and
its plan against every plan of a small day), and the levers suite
(:mod:`peakend.checks.levers`): every lever of the model pulled in the engine
on the shipped scenarios, its direction checked with a paired interval (left out of
``--quick``, which checks the engine in seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peakend.analysis.erlang import (
    ErlangA,
    ErlangC,
    chat_agent_means,
    priority_mean_waits,
    tandem_mean_sojourn,
)
from peakend.analysis.stats import estimate
from peakend.config.loading import scenario_from_dict
from peakend.runs.runner import run_scenario
from peakend.simulation.replication import simulate

__all__ = [
    "CheckRow",
    "QueueCase",
    "Section",
    "ValidationReport",
    "queue_cases",
    "run_queue_case",
    "run_validation",
]

CHECK_LEVEL = 0.999
CONFIGS = Path(__file__).resolve().parents[3] / "configs"
"""The shipped scenarios, on which the levers suite pulls its levers."""
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


def _network_data(
    horizon: float, warmup: float, replications: int, seed: int, **parts: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "network",
        "run": {
            "seed": seed,
            "replications": replications,
            "warmup_minutes": warmup,
            "drain": False,
        },
        "arrivals": {"interval_minutes": horizon, "rate_per_hour": [60.0]},
        "experience": {"enabled": False},
    }
    data.update(parts)
    return data


def priority_checks(
    replications: int = 10, horizon: float = 6000.0, seed: int = 2026
) -> list[CheckRow]:
    """Non-preemptive priorities in M/M/c against Cobham's formula, class by class.

    Two segments share one pool of 3 agents (exponential service, mean 2
    minutes, no abandonment): "first" (0.45 arrivals a minute, priority 0) and
    "second" (0.75 a minute, priority 1); total load 2.4 Erlangs.
    """
    rates, service, agents = (0.45, 0.75), 2.0, 3
    total = sum(rates)
    data = _network_data(
        horizon,
        horizon / 10,
        replications,
        seed,
        arrivals={"interval_minutes": horizon, "rate_per_hour": [total * 60]},
        segments={
            "first": {"share": rates[0] / total, "priority": 0, "patience": _FOREVER},
            "second": {"share": rates[1] / total, "priority": 1, "patience": _FOREVER},
        },
        pools={
            "agents": {
                "staffing": [agents],
                "service_time": {"distribution": "exponential", "mean": service},
            }
        },
    )
    scenario = scenario_from_dict(data)
    analytic = priority_mean_waits(list(rates), service, agents)
    waits: list[list[float]] = [[], []]
    for replication in range(replications):
        contacts = simulate(scenario, replication).contacts
        counted = contacts["arrival_minutes"] >= scenario.run.warmup_minutes
        for segment in (0, 1):
            mine = counted & (contacts["segment"] == segment)
            waits[segment].append(float(contacts["wait_minutes"][mine].mean()))
    rows = []
    for segment, name in enumerate(("first", "second")):
        est = estimate(waits[segment], CHECK_LEVEL)
        rows.append(
            CheckRow(
                "priority M/M/3, 2 classes (Cobham)",
                f"mean wait, {name} class",
                analytic[segment],
                est.mean,
                est.ci_low,
                est.ci_high,
            )
        )
    return rows


def tandem_checks(
    replications: int = 10, horizon: float = 6000.0, seed: int = 2026
) -> list[CheckRow]:
    """Two M/M/c stations in series (a journey of two stages) against Burke's theorem:
    the mean time in system is the sum of the stations' M/M/c sojourn times. Then the
    same with a route: only 60 % of the customers visit the second station (a stage with
    a probability), a Jackson network whose second station is an M/M/c at 60 % of the
    rate and counts for 60 % of the customers."""
    rate, first = 1.0, (1.5, 2)
    cases = (
        ("tandem M/M/2 -> M/M/3 (Burke)", (2.5, 3), 1.0),
        ("tandem M/M/2 -> M/M/2 visited by 60 % (Jackson)", (2.5, 2), 0.6),
    )
    rows = []
    for case, second, share in cases:
        stage: Any = "second" if share == 1 else {"pool": "second", "probability": share}
        data = _network_data(
            horizon,
            horizon / 10,
            replications,
            seed,
            segments={"all": {"share": 1.0, "patience": _FOREVER, "stages": [stage]}},
            pools={
                "agents": {
                    "staffing": [first[1]],
                    "service_time": {"distribution": "exponential", "mean": first[0]},
                },
                "second": {
                    "staffing": [second[1]],
                    "service_time": {"distribution": "exponential", "mean": second[0]},
                },
            },
        )
        scenario = scenario_from_dict(data)
        sojourns = []
        for replication in range(replications):
            customers = simulate(scenario, replication).customers
            done = (customers["arrival_minutes"] >= scenario.run.warmup_minutes) & (
                customers["outcome"] == 0
            )
            end = customers["service_end_minutes"][done]
            sojourns.append(float((end - customers["arrival_minutes"][done]).mean()))
        est = estimate(sojourns, CHECK_LEVEL)
        analytic = tandem_mean_sojourn(rate, [first, second], [1.0, share])
        rows.append(
            CheckRow(case, "mean time in system", analytic, est.mean, est.ci_low, est.ci_high)
        )
    return rows


def chat_checks(
    replications: int = 10, horizon: float = 6000.0, seed: int = 2026
) -> list[CheckRow]:
    """One chat agent with 3 slots, each chat slowed by a fourth per extra open chat,
    against the birth-death solution of that limited processor-sharing station
    (:func:`~peakend.analysis.erlang.chat_agent_means`): mean wait and time in system.

    0.35 arrivals a minute, exponential work of mean 4 minutes (full speed), no
    abandonment: at full load the agent finishes 0.5 chats a minute (load 0.7).
    """
    rate, work, slots, slowdown = 0.35, 4.0, 3, 0.25
    data = _network_data(
        horizon,
        horizon / 10,
        replications,
        seed,
        arrivals={"interval_minutes": horizon, "rate_per_hour": [rate * 60]},
        segments={"all": {"share": 1.0, "patience": _FOREVER}},
        pools={
            "chat": {
                "staffing": [1],
                "service_time": {"distribution": "exponential", "mean": work},
                "concurrency": slots,
                "concurrency_slowdown": slowdown,
            }
        },
    )
    scenario = scenario_from_dict(data)
    wait, in_system = chat_agent_means(rate, work, slots, slowdown)
    waits, sojourns = [], []
    for replication in range(replications):
        contacts = simulate(scenario, replication).contacts
        done = (contacts["arrival_minutes"] >= scenario.run.warmup_minutes) & contacts["resolved"]
        waits.append(float(contacts["wait_minutes"][done].mean()))
        sojourns.append(
            float((contacts["service_end_minutes"] - contacts["arrival_minutes"])[done].mean())
        )
    case = f"1 chat agent, {slots} slots, slowdown {slowdown:g} (limited sharing)"
    rows = []
    for metric, analytic, values in (
        ("mean wait", wait, waits),
        ("mean time in system", in_system, sojourns),
    ):
        est = estimate(values, CHECK_LEVEL)
        rows.append(CheckRow(case, metric, analytic, est.mean, est.ci_low, est.ci_high))
    return rows


_FOREVER = {"distribution": "fixed", "value": float("inf")}


@dataclass(frozen=True)
class Section:
    """One table of a validation report: its title, column names, rows and verdict."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    passed: bool


@dataclass(frozen=True)
class ValidationReport:
    """What ``peakend validate`` checked, as tables; the library prints nothing."""

    sections: list[Section]

    @property
    def passed(self) -> bool:
        return all(section.passed for section in self.sections)


_CHECK_HEADER = ("case", "metric", "analytic", "simulated", "CI", "check")


def run_validation(
    quick: bool = False,
    seed: int = 2026,
    mapper: Callable[..., Any] | None = None,
) -> ValidationReport:
    """Run all queueing, network, memory, optimiser and lever checks and report them.

    ``quick`` is a smoke check of the engine in seconds: fewer and shorter replications
    of the queueing checks, the optimiser's small day with fewer replications, and no
    levers suite (about three quarters of the full run's work on its own; the test suite
    runs it, ``tests/analysis/test_levers.py``, and the full run reports it).
    """
    replications, horizon = (6, 1500.0) if quick else (12, 6000.0)
    rows: list[CheckRow] = []
    for case in queue_cases():
        # M/M/1 at rho = 0.8 mixes slowly: give it a longer day.
        length = horizon * (4 if case.agents == 1 else 1)
        rows.extend(run_queue_case(case, replications, length, length / 10, seed, mapper))
    network_rows = [
        # Cheap, and at rho = 0.8 a class's mean wait varies a lot: more replications.
        *priority_checks(replications * 4, horizon, seed),
        *tandem_checks(replications * 4, horizon, seed),
        # One agent mixes slowly, as M/M/1 does: a longer day.
        *chat_checks(replications, horizon * 4, seed),
    ]
    level = f"{replications} replications, {CHECK_LEVEL:.1%} CI, seed {seed}"
    return ValidationReport(
        [
            Section(
                f"Engine against queueing theory ({level})",
                _CHECK_HEADER,
                [row.cells() for row in rows],
                all(row.passed for row in rows),
            ),
            Section(
                f"Journeys beyond one queue against theory (priorities and tandems "
                f"{replications * 4} replications of {horizon:,.0f} minutes, the chat agent "
                f"{replications} of {horizon * 4:,.0f}; {CHECK_LEVEL:.1%} CI, seed {seed})",
                _CHECK_HEADER,
                [row.cells() for row in network_rows],
                all(row.passed for row in network_rows),
            ),
            *_classics(seed),
            *_optimiser(quick, seed),
            *([] if quick else _levers()),
        ]
    )


def _optimiser(quick: bool, seed: int) -> list[Section]:
    """The optimiser's checks (:mod:`peakend.optimise.validation`)."""
    from peakend.optimise.validation import enumerated_day_rows, stationary_rows

    exact, exact_ok = stationary_rows()
    day, day_ok = enumerated_day_rows(quick, seed)
    return [
        Section(
            "Optimiser: one stationary interval staffed exactly (Erlang C, Erlang A)",
            ("case", "model", "agents", "SL with one fewer", "SL", "check"),
            exact,
            exact_ok,
        ),
        Section(
            "Optimiser: its plan against every plan enumerated (the best's 95% CI, paired "
            f"replications, seed {seed})",
            ("day", "optimiser", "its SL", "enumerated best", "best's SL [CI]", "P(best)", "check"),
            day,
            day_ok,
        ),
    ]


def _levers() -> list[Section]:
    from peakend.checks.levers import LEVEL, SUITES, run_levers

    sections = []
    for config, levers in SUITES.items():
        report = run_levers(CONFIGS / config, LEVERS_REPLICATIONS, levers)
        sections.append(
            Section(
                f"Levers in the engine on {config} ({LEVERS_REPLICATIONS} paired "
                f"replications, common random numbers, {LEVEL:.0%} CI)",
                ("lever", "metric", "expected", "without", "with", "difference", "CI", "check"),
                [
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
                ],
                report.passed,
            )
        )
    return sections


def _classics(seed: int) -> list[Section]:
    from peakend.classics import run_all

    return [
        Section(
            f"{result.title}: {'reproduced' if result.reproduced else 'NOT REPRODUCED'}",
            ("quantity", "model", "published"),
            [tuple(row) for row in result.rows()],
            bool(result.reproduced),
        )
        for result in run_all(seed)
    ]
