"""The retention loop: many periods of identified customers whose memories feed back.

Each period is one simulated day of the scenario (the arrival profile's shape,
the staffing schedule, the policies). Between periods:

1. every active customer contacts with probability ``p = (expected arrivals of
   the profile) / population``, so period 0 carries the profile's load and
   later periods carry the load of whoever is still a customer (demand
   feedback); new customers (acquisition + referrals − deterred prospects)
   contact in the period they arrive;
2. after a visit, the customer remembers it (memory model) and comes back or
   not (return model, from remembered utility, effort and loyalty);
3. reference points move towards what was experienced (rising expectations):
   expected wait towards the wait per contact, expected quality towards the
   perceived quality, at ``expectation_learning_rate``;
4. loyalty states and word of mouth follow from the memory;
5. revenue (value per served visit), staff cost (the schedule at the pools'
   cost per hour), recovery and extras costs give the profit of the period;
   each customer's discounted revenue gives the customer lifetime value.

Randomness: the day of period ``t`` uses streams prefixed ``"period t/"``, the
population draws streams prefixed ``"population t/"``, all children of the
replication's SeedSequence: reproducible and independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from peakend.analysis.metrics import experience_metrics, replication_metrics
from peakend.config.schema import Scenario
from peakend.engine.arrivals import ArrivalPlan
from peakend.engine.facts import Outcome
from peakend.engine.replication import Replication, ReplicationOutput, choose
from peakend.engine.streams import RandomStreams
from peakend.experience.moments import References
from peakend.retention.returns import Loyalty, next_loyalty, return_model_from_config, word_of_mouth

__all__ = ["MultiPeriodOutput", "Population", "contact_probability", "run_periods", "staff_cost"]


def contact_probability(scenario: Scenario) -> float:
    """Per-period probability that an active customer contacts (calibrated to period 0)."""
    arrivals = scenario.arrivals
    expected = sum(arrivals.rate_per_hour) * arrivals.interval_minutes / 60
    return min(1.0, expected / scenario.retention.population)


def staff_cost(scenario: Scenario) -> float:
    """Cost of one day's schedule: rostered agent-hours times each pool's cost per hour."""
    hours = scenario.arrivals.interval_minutes / 60
    return sum(
        sum(pool.staffing) * hours * pool.agent_cost_per_hour for pool in scenario.pools.values()
    )


@dataclass
class Population:
    """Identified customers and what the service has taught them (arrays by customer)."""

    segment: np.ndarray
    channel: np.ndarray
    acquired: np.ndarray
    expected_wait: np.ndarray
    expected_quality: np.ndarray
    active: np.ndarray
    left: np.ndarray
    loyalty: np.ndarray
    streak: np.ndarray
    visits: np.ndarray
    value: np.ndarray

    @classmethod
    def new(
        cls, scenario: Scenario, size: int, period: int, rng: np.random.Generator
    ) -> Population:
        """``size`` new customers joining in ``period``, with their segment's expectations."""
        segment = choose([s.share for s in scenario.segments.values()], rng, size)
        channel = choose([c.share for c in scenario.channels.values()], rng, size)
        references = References.of(scenario, channel, segment)
        return cls(
            segment=segment,
            channel=channel,
            acquired=np.full(size, period),
            expected_wait=references.expected_wait_minutes.astype(float),
            expected_quality=references.expected_quality.astype(float),
            active=np.ones(size, dtype=bool),
            left=np.full(size, -1),
            loyalty=np.full(size, Loyalty.NEW, dtype=np.int8),
            streak=np.zeros(size, dtype=np.int64),
            visits=np.zeros(size, dtype=np.int64),
            value=np.zeros(size),
        )

    def __len__(self) -> int:
        return len(self.segment)

    def extend(self, other: Population) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))


@dataclass
class MultiPeriodOutput:
    """Per-period table, cohort curves, visits and summary metrics of one replication."""

    periods: pd.DataFrame
    cohorts: pd.DataFrame
    visits: pd.DataFrame
    contacts: pd.DataFrame
    population: Population
    metrics: dict[str, float] = field(default_factory=dict)


def run_periods(scenario: Scenario, replication: int = 0) -> MultiPeriodOutput:
    """Run all periods of one replication of a multi-period scenario."""
    config = scenario.retention
    root = RandomStreams(scenario.run.seed, replication)
    population = Population.new(
        scenario, config.population, 0, root.generator("population/initial")
    )
    p_contact = contact_probability(scenario)
    returns = return_model_from_config(config.returns)
    cost_of_staff = staff_cost(scenario)
    rows: list[dict[str, Any]] = []
    visits: list[pd.DataFrame] = []
    contact_frames: list[pd.DataFrame] = []
    cohort_rows: list[dict[str, Any]] = []
    referrals = deterred = 0
    for period in range(config.periods):
        draws = RandomStreams(scenario.run.seed, replication, f"population {period}/")
        joining = max(
            0,
            int(draws.generator("acquisition").poisson(config.acquisition_per_period))
            + referrals
            - deterred,
        )
        if period > 0 and joining:
            population.extend(
                Population.new(scenario, joining, period, draws.generator("newcomers"))
            )
        active_start = int(population.active.sum())
        contacts = population.active & (
            (draws.generator("contact").random(len(population)) < p_contact)
            | (population.acquired == period) & (period > 0)
        )
        ids, plan = _arrivals(
            scenario, population, np.flatnonzero(contacts), draws.generator("times")
        )
        scenario_references = References.of(
            scenario, population.channel[ids], population.segment[ids]
        )
        references = References(
            population.expected_wait[ids],
            scenario_references.wait_perception,
            population.expected_quality[ids],
            scenario_references.failure_severity,
        )
        day = Replication(
            scenario,
            replication,
            stream_prefix=f"period {period}/",
            arrivals=plan,
            references=references,
        ).run()
        outcome = _after_visits(scenario, population, ids, day, period, returns, draws)
        referrals, deterred = outcome["referrals"], outcome["deterred"]
        leaving = (
            population.active
            & ~contacts
            & (draws.generator("background").random(len(population)) < config.background_churn)
        )
        population.active[leaving] = False
        population.left[leaving] = period
        metrics = _day_metrics(scenario, day)
        revenue = outcome["revenue"]
        costs = cost_of_staff + metrics["recovery_cost"] + metrics["extras_cost"]
        rows.append(
            {
                config.period_name: period,
                "active_start": active_start,
                "visits": len(ids),
                "returning_visits": int((population.acquired[ids] < period).sum()),
                "new_customers": joining if period > 0 else 0,
                "referrals": referrals,
                "deterred": deterred,
                "churned": outcome["churned"] + int(leaving.sum()),
                "active_end": int(population.active.sum()),
                "revenue": revenue,
                "staff_cost": cost_of_staff,
                "recovery_cost": metrics["recovery_cost"],
                "extras_cost": metrics["extras_cost"],
                "profit": revenue - costs,
                "retention_rate": outcome["stayed"] / len(ids) if len(ids) else math.nan,
                **{k: v for k, v in metrics.items() if k not in _TOTALS},
            }
        )
        visits.append(_visit_frame(day.customers, ids, period))
        contact_frames.append(_visit_frame(day.contacts, ids, period))
        cohort_rows.extend(_cohorts(population, period, config.period_name))
    periods = pd.DataFrame(rows)
    return MultiPeriodOutput(
        periods=periods,
        cohorts=pd.DataFrame(cohort_rows),
        visits=pd.concat(visits, ignore_index=True),
        contacts=pd.concat(contact_frames, ignore_index=True),
        population=population,
        metrics=_summary(periods, population, config.discount_rate),
    )


_TOTALS = ("customers", "recovery_cost", "extras_cost")
"""Day metrics that the period table carries under other names or as money totals."""


def _arrivals(
    scenario: Scenario, population: Population, ids: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, ArrivalPlan]:
    """Arrival times for the contacting customers, from the time-of-day profile's shape."""
    arrivals = scenario.arrivals
    rates = np.asarray(arrivals.rate_per_hour, dtype=float)
    weights = rates / rates.sum() if rates.sum() > 0 else np.full(len(rates), 1 / len(rates))
    interval = rng.choice(len(rates), size=len(ids), p=weights)
    times = (interval + rng.random(len(ids))) * arrivals.interval_minutes
    order = np.argsort(times, kind="stable")
    ids = ids[order]
    return ids, ArrivalPlan(
        times=times[order], segment=population.segment[ids], channel=population.channel[ids]
    )


def _after_visits(
    scenario: Scenario,
    population: Population,
    ids: np.ndarray,
    day: ReplicationOutput,
    period: int,
    returns: Any,
    draws: RandomStreams,
) -> dict[str, Any]:
    """Return decisions, expectations, loyalty, word of mouth and revenue of the visitors."""
    config = scenario.retention
    customers = day.customers
    remembered = customers["remembered_utility"]
    effort = customers["effort"]
    bad = scenario.experience.bad_memory_threshold
    good = config.good_memory_threshold
    p_return = returns.probability(remembered, effort, population.loyalty[ids])
    stays = draws.generator("returns").random(len(ids)) < p_return
    churned = ids[~stays]
    population.active[churned] = False
    population.left[churned] = period
    population.visits[ids] += 1
    known = ~np.isnan(remembered)
    population.loyalty[ids[known]], population.streak[ids[known]] = next_loyalty(
        population.loyalty[ids[known]],
        population.streak[ids[known]],
        remembered[known],
        good,
        bad,
        config,
    )
    _update_expectations(population, ids, customers, config.expectation_learning_rate)
    mouth = word_of_mouth(
        remembered[known],
        population.loyalty[ids[known]],
        good,
        bad,
        config,
        draws.generator("word-of-mouth"),
    )
    served = np.isin(customers["outcome"], (Outcome.RESOLVED, Outcome.UNRESOLVED))
    value = np.array([s.value_per_visit for s in scenario.segments.values()])[customers["segment"]]
    revenue = np.where(served, value, 0.0)
    population.value[ids] += revenue / (1 + config.discount_rate) ** period
    return {
        "stayed": int(stays.sum()),
        "churned": len(churned),
        "referrals": mouth.referrals,
        "deterred": mouth.deterred,
        "revenue": float(revenue.sum()),
    }


def _update_expectations(
    population: Population, ids: np.ndarray, customers: Any, rate: float
) -> None:
    """Rising expectations: reference points move towards what was experienced."""
    contacts = np.maximum(customers["contacts"], 1)
    wait_per_contact = customers["wait_minutes"] / contacts
    population.expected_wait[ids] += rate * (wait_per_contact - population.expected_wait[ids])
    quality = customers["service_quality"]
    seen = ~np.isnan(quality)
    population.expected_quality[ids[seen]] += rate * (
        quality[seen] - population.expected_quality[ids[seen]]
    )


def _day_metrics(scenario: Scenario, day: ReplicationOutput) -> dict[str, float]:
    window = (scenario.run.warmup_minutes, scenario.horizon_minutes)
    metrics = replication_metrics(day, *window, scenario.run.service_level_threshold_minutes)
    metrics.update(experience_metrics(day, *window, scenario.experience.bad_memory_threshold))
    return metrics


def _visit_frame(table: Any, ids: np.ndarray, period: int) -> pd.DataFrame:
    """A day's table with the period and each row's population id (``person``)."""
    frame = table.to_frame()
    frame.insert(0, "period", period)
    frame.insert(1, "person", ids[frame["customer"].to_numpy()])
    return frame


def _cohorts(population: Population, period: int, period_name: str) -> list[dict[str, Any]]:
    """Share of each acquisition cohort still active at the end of ``period``."""
    rows = []
    for cohort in np.unique(population.acquired):
        members = population.acquired == cohort
        rows.append(
            {
                "cohort": int(cohort),
                period_name: period,
                "size": int(members.sum()),
                "active_share": float(population.active[members].mean()),
            }
        )
    return rows


def _summary(
    periods: pd.DataFrame, population: Population, discount_rate: float
) -> dict[str, float]:
    """Replication metrics of a multi-period run (see the README's metric table)."""
    visits = periods["visits"].sum()
    initial = population.acquired == 0
    first, last = periods["visits"].iloc[0], periods["visits"].iloc[-1]
    summary = {
        "customers": float((population.visits > 0).sum()),
        "visits": float(visits),
        "retention_rate": float((periods["retention_rate"] * periods["visits"]).sum() / visits)
        if visits
        else math.nan,
        "churn_rate": float((periods["churned"] / periods["active_start"]).mean()),
        "profit": float(periods["profit"].sum()),
        "revenue": float(periods["revenue"].sum()),
        "clv": float(population.value[initial].mean()),
        "active_customers_end": float(periods["active_end"].iloc[-1]),
        "load_change": float(last / first) if first else math.nan,
        "initial_cohort_active_end": float(population.active[initial].mean()),
    }
    summary["recovery_cost"] = float(periods["recovery_cost"].sum())
    summary["extras_cost"] = float(periods["extras_cost"].sum())
    # Day metrics (service level, waits, memories ...) are averaged over the periods.
    first_day_metric = list(periods.columns).index("retention_rate") + 1
    for name in periods.columns[first_day_metric:]:
        summary.setdefault(name, float(periods[name].mean()))
    return summary
