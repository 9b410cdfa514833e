"""The retention loop: many periods of identified customers whose memories feed back.

Each period is ``retention.days_per_period`` simulated days of the scenario
(the arrival profile's shape, the staffing schedule, the policies); see
:mod:`peakend.retention.calendar` for the days' load and how a period adds
them up. On each day:

1. every active customer contacts with the day's probability (the profile's
   load times ``day_load[d]``, calibrated on the initial population), so later
   days carry the load of whoever is still a customer (demand feedback); a new
   customer (acquisition + referrals − deterred prospects of the last period)
   makes a first contact on a day of the period it joins, drawn in proportion to
   ``day_load``, and is an ordinary active customer afterwards;
2. after a visit, the customer remembers it (memory model), updates the belief
   that a contact works with the visit's contacts and failures
   (:class:`~peakend.retention.returns.ReliabilityBelief`) and comes back or not
   (the segment's return model, from remembered utility, effort, loyalty and
   the belief's change from the prior): a customer who does not come back makes
   no more contacts;
3. reference points move towards what was experienced (rising expectations):
   expected wait towards the wait per contact, expected quality towards the
   perceived quality, at ``expectation_learning_rate``;
4. loyalty states and word of mouth follow from the memory; referrals join in
   the next period.

At the end of a period, customers who made no contact in it leave with
probability ``background_churn``.

Money (``docs/model/retention.md``, "Economics"). A period earns two kinds of
revenue, each segment's own:

- ``relationship_revenue``: ``value_per_period`` for every customer still
  active at the end of the period (a relationship margin: a bank account);
  the end-of-period convention of Gupta, Lehmann & Stuart (2004), so that a
  customer retained with probability r per period is worth m·r/(1 + d − r);
- ``visit_revenue``: ``value_per_visit`` for every visit that was served
  (answered at least once: resolved or not) (a purchase: a bill, a fee).

A contact earns nothing by itself. Costs are the staff cost (one day's schedule
at the pools' cost per hour, times the days: it pays every agent-minute,
recovery and farewells included) and the money paid out, ``recovery_cost``
(coupons) and ``extras_cost`` (delight extras, follow-up messages). The agent time of recovery and
farewells is reported as agent-minutes (``recovery_minutes``,
``extras_minutes``), never charged again. By definition

    profit = relationship_revenue + visit_revenue − staff_cost − recovery_cost − extras_cost

per period and per run (the run's parts are the sums of the periods'), which
is what lets a comparison split a profit difference exactly into customers
kept, visits served, staff cost and money paid out
(:mod:`peakend.experiments.results`). Each customer's revenue, discounted per
period (margin of period t by (1 + d)^(t+1), visits of period t by (1 + d)^t),
gives the customer lifetime value.

Randomness: day ``d`` of period ``t`` is simulated with streams prefixed
``"period t/day d/"`` and its contacts and decisions are drawn from streams
prefixed ``"population t/day d/"``; acquisition, newcomers and background churn
of period ``t`` use ``"population t/"``. All are children of the replication's
SeedSequence: reproducible and independent. Warm-up periods
(``retention.warmup_periods``, :func:`warm_up`) run first, numbered ``-1``,
``-2``, ... (so their streams are their own), under the experiment's base plan,
and are not counted; the agents' lasting traits come from the replication's
root streams, so the same people work every day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from peakend.config.schema import Scenario
from peakend.engine.arrivals import ArrivalPlan
from peakend.engine.facts import Delighted, Outcome
from peakend.engine.streams import RandomStreams
from peakend.experience.moments import References
from peakend.retention.calendar import (
    DayTotals,
    contact_probabilities,
    contact_probability,
    day_metrics,
    staff_cost,
)
from peakend.retention.population import Population
from peakend.retention.returns import (
    BaseReturnModel,
    next_loyalty,
    return_models_by_segment,
    return_probability,
    word_of_mouth,
)
from peakend.simulation.replication import Replication, ReplicationOutput

__all__ = [
    "Emit",
    "MultiPeriodOutput",
    "Population",
    "Start",
    "contact_probability",
    "profit_of",
    "run_periods",
    "staff_cost",
    "warm_up",
]


Emit = Callable[[str, pd.DataFrame], None]
"""Receives a day's record frame as soon as it is final: ``emit("customers", visits)``,
then ``emit("contacts", contacts)`` (see :func:`run_periods`)."""


@dataclass
class MultiPeriodOutput:
    """Per-period table, cohort curves, visits and summary metrics of one replication.

    ``visits`` and ``contacts`` carry each row's ``period``, ``day`` (of the
    period) and ``person`` (population id); ``visits`` also each visitor's
    ``reliability_belief`` after the visit and the ``return_probability`` that
    decided whether they came back. When the run handed its records over
    (``run_periods(..., emit=...)``), both are empty frames with the columns and
    dtypes the handed-over frames have.
    """

    periods: pd.DataFrame
    cohorts: pd.DataFrame
    visits: pd.DataFrame
    contacts: pd.DataFrame
    population: Population
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class _Period:
    """What the days of one period added up to."""

    totals: DayTotals = field(default_factory=DayTotals)
    visits: int = 0
    returning_visits: int = 0
    stayed: int = 0
    churned: int = 0
    referrals: int = 0
    deterred: int = 0
    revenue: float = 0.0
    visit_frames: list[pd.DataFrame] = field(default_factory=list)
    """The days' visit frames (only the columns the period's means need when the
    frames are handed over)."""
    contact_frames: list[pd.DataFrame] = field(default_factory=list)


@dataclass
class Start:
    """Where the counted periods start: the base's customers and the balance that holds them.

    ``acquisition`` is the Poisson mean of newcomers per period; ``contact_scale``
    multiplies every day's contact probability (1 unless the base is steady, when
    the newcomers' first contacts are part of the profile's load); ``referrals``
    and ``deterred`` come from the last warm-up period and join in period 0.
    """

    population: Population
    acquisition: float
    contact_scale: float = 1.0
    referrals: int = 0
    deterred: int = 0


def run_periods(
    scenario: Scenario,
    replication: int = 0,
    *,
    base: Scenario | None = None,
    emit: Emit | None = None,
) -> MultiPeriodOutput:
    """Run all periods of one replication of a multi-period scenario.

    The warm-up periods (``retention.warmup_periods``) run first, under ``base``'s
    plan (default: :attr:`Scenario.warmup_base`, the experiment's base for a
    variant, else the scenario itself), and are left out of every table; the
    counted periods then run under ``scenario``'s plan from where the warm-up left
    the customers (:func:`warm_up`).

    ``emit``: where the records go, a day at a time, so that a replication holds
    the records of one day rather than of every visit. Without it, every counted
    day's visits and contacts are kept and returned as ``visits`` and
    ``contacts``. With it, as soon as a counted day is simulated and its visitors
    have decided, its visit frame is handed over as ``emit("customers", frame)``
    and then its contact frame as ``emit("contacts", frame)``, days in order
    (period by period), and none is kept: the returned ``visits`` and ``contacts``
    are empty frames with the same columns and dtypes (``pd.DataFrame()`` if no
    frame of that kind was handed over). Each frame has the columns, dtypes
    (categoricals with the scenario's categories) and row order of the kept
    frames and its own ``RangeIndex``; a day without rows of a kind (nobody
    called, or no contact) hands over nothing of it, so
    ``pd.concat(frames, ignore_index=True)`` of what was handed over is exactly
    the ``visits`` (``contacts``) a run without ``emit`` returns. A handed-over
    frame belongs to the receiver: the run does not read it afterwards. Every
    other table and metric is the same with or without ``emit``.
    """
    config = scenario.retention
    start = warm_up(base if base is not None else scenario.warmup_base, replication)
    records = _Records(emit)
    population = start.population
    returns = return_models_by_segment(scenario)
    rows: list[dict[str, Any]] = []
    visits: list[pd.DataFrame] = []
    contact_frames: list[pd.DataFrame] = []
    cohort_rows: list[dict[str, Any]] = []
    run_totals = DayTotals()
    referrals, deterred = start.referrals, start.deterred
    acquisition = start.acquisition if config.steady else float(config.acquisition_per_period)
    for period in range(config.periods):
        active_start = int(population.active.sum())
        days, joining, quiet = _period(
            scenario,
            replication,
            population,
            period,
            (acquisition, referrals - deterred, start.contact_scale),
            returns,
            records,
        )
        referrals, deterred = days.referrals, days.deterred
        margin = _relationship_revenue(scenario, population, period)
        run_totals.merge(days.totals)
        sums, rates = days.totals.sums(), days.totals.rates()
        visited = _concat(days.visit_frames)
        rows.append(
            {
                config.period_name: period,
                "days": days.totals.days,
                "active_start": active_start,
                "visits": days.visits,
                "returning_visits": days.returning_visits,
                "new_customers": joining,
                "referrals": referrals,
                "deterred": deterred,
                "churned": days.churned + quiet,
                "active_end": int(population.active.sum()),
                **_money(margin, days.revenue, _period_staff_cost(scenario, period), sums),
                "mean_reliability_belief": _mean(visited, "reliability_belief"),
                "mean_return_probability": _mean(visited, "return_probability"),
                "retention_rate": days.stayed / days.visits if days.visits else math.nan,
                "contacts": sums["contacts"],
                **rates,
            }
        )
        if emit is None:
            visits.append(visited)
            contact_frames.append(_concat(days.contact_frames))
        del visited, days
        cohort_rows.extend(_cohorts(population, period, config.period_name))
    periods = pd.DataFrame(rows)
    return MultiPeriodOutput(
        periods=periods,
        cohorts=pd.DataFrame(cohort_rows),
        visits=_concat(visits) if emit is None else records.empty("customers"),
        contacts=_concat(contact_frames) if emit is None else records.empty("contacts"),
        population=population,
        metrics=_summary(periods, run_totals, population),
    )


def _period_staff_cost(scenario: Scenario, period: int) -> float:
    """Staff cost of the days of ``period``, each day's roster (``staffing_by_day``)."""
    days = scenario.retention.days_per_period
    return staff_cost(scenario, range(period * days, (period + 1) * days))


def _relationship_revenue(scenario: Scenario, population: Population, period: int) -> float:
    """``value_per_period`` of every customer active at the end of ``period``; each one's
    margin, discounted by (1 + d)^(period + 1), is added to their lifetime value."""
    margins = np.array([s.value_per_period for s in scenario.segments.values()])
    earned = np.where(population.active, margins[population.segment], 0.0)
    discount = (1 + scenario.retention.discount_rate) ** (period + 1)
    population.value += earned / discount
    return float(earned.sum())


def _money(
    relationship: float, visits: float, staff: float, sums: dict[str, float]
) -> dict[str, float]:
    """A period's money columns; profit is the sum of its parts (module doc)."""
    return {
        "relationship_revenue": relationship,
        "visit_revenue": visits,
        "revenue": relationship + visits,
        "staff_cost": staff,
        "recovery_cost": sums["recovery_cost"],
        "extras_cost": sums["extras_cost"],
        "profit": profit_of(
            relationship, visits, staff, sums["recovery_cost"], sums["extras_cost"]
        ),
        "recovery_minutes": sums["recovery_minutes"],
        "extras_minutes": sums["extras_minutes"],
    }


def profit_of(
    relationship_revenue: float,
    visit_revenue: float,
    staff_cost: float,
    recovery_cost: float,
    extras_cost: float,
) -> float:
    """Profit from its parts, always added in this order (money of one period or a run)."""
    return relationship_revenue + visit_revenue - staff_cost - recovery_cost - extras_cost


def warm_up(scenario: Scenario, replication: int = 0) -> Start:
    """The customers at the start of the first counted period, and the balance of the base.

    ``retention.population`` customers are drawn; the warm-up periods (numbered
    ``-warmup_periods`` to ``-1``, their own streams) run under ``scenario``'s plan.
    With ``acquisition_per_period = "steady"`` each warm-up period measures what
    the plan loses and sets the next period's newcomers and contact scale
    (:func:`_balance`); the first runs without newcomers, at the profile's load.
    Afterwards the customers who left are dropped and the others' counts reset:
    they are the base's customers, with the memories, beliefs, expectations and
    loyalty the warm-up gave them (see ``docs/model/retention.md``).
    """
    config = scenario.retention
    root = RandomStreams(scenario.run.seed, replication)
    population = Population.new(
        scenario, config.population, 0, root.generator("population/initial")
    )
    start = Start(population, 0.0 if config.steady else float(config.acquisition_per_period))
    returns = return_models_by_segment(scenario)
    for period in range(-config.warmup_periods, 0):
        active = int(population.active.sum())
        balance = (start.acquisition, start.referrals - start.deterred, start.contact_scale)
        days, _, quiet = _period(
            scenario, replication, population, period, balance, returns, _Records(keep=False)
        )
        start.referrals, start.deterred = days.referrals, days.deterred
        if config.steady:
            rates = (days.churned + quiet) / active, (days.referrals - days.deterred) / active
            held = int(population.active.sum())
            start.acquisition, start.contact_scale = _balance(scenario, *rates, held)
    if config.warmup_periods:
        population.settle()
    return start


def _balance(
    scenario: Scenario, outflow_rate: float, referral_rate: float, active: int
) -> tuple[float, float]:
    """Newcomers per period and the contact scale that hold ``active`` customers at the
    profile's load.

    ``outflow_rate`` is a period's leavers (visitors who did not come back and
    customers who left without a visit) per active customer, ``referral_rate`` its
    net referrals per active customer. The inflow that holds the population is its
    outflow (N* = a / (1 - r) solved for a); acquisition is that inflow less the
    net referrals, never below 0. Each newcomer makes a first contact: those
    contacts are part of the profile's load, so the others contact that much less.
    """
    outflow, net_referrals = outflow_rate * active, referral_rate * active
    inflow = max(outflow, net_referrals)
    # Visits of a period at the profile's load, and what ``active`` customers make unscaled.
    load = float(np.sum(contact_probabilities(scenario))) * scenario.retention.population
    regular = float(np.sum(contact_probabilities(scenario))) * active
    scale = max(0.0, load - inflow) / regular if regular else 1.0
    return max(0.0, outflow - net_referrals), scale


def _period(
    scenario: Scenario,
    replication: int,
    population: Population,
    period: int,
    balance: tuple[float, int, float],
    returns: list[BaseReturnModel],
    records: _Records,
) -> tuple[_Period, int, int]:
    """One period: newcomers join, the days run, quiet customers may leave at its end.

    ``balance`` is (newcomers' Poisson mean, net referrals, contact scale);
    ``records`` says where the days' record frames go.
    Returns the days, the newcomers and the customers who left without a visit.
    """
    config = scenario.retention
    acquisition, net_referrals, scale = balance
    draws = RandomStreams(scenario.run.seed, replication, f"population {period}/")
    joining = _join(scenario, population, period, acquisition, net_referrals, draws)
    contacted = np.zeros(len(population), dtype=bool)
    days = _run_days(scenario, replication, population, period, returns, contacted, scale, records)
    leaving = (
        population.active
        & ~contacted
        & (draws.generator("background").random(len(population)) < config.background_churn)
    )
    population.active[leaving] = False
    population.left[leaving] = period
    return days, joining, int(leaving.sum())


def _join(
    scenario: Scenario,
    population: Population,
    period: int,
    acquisition: float,
    net_referrals: int,
    draws: RandomStreams,
) -> int:
    """Add the period's newcomers (acquisition + net referrals), each with a first-contact day."""
    config = scenario.retention
    acquired = int(draws.generator("acquisition").poisson(acquisition))
    joining = max(0, acquired + net_referrals)
    if joining:
        loads = np.asarray(config.day_loads, dtype=float)
        weights = loads / loads.sum() if loads.sum() > 0 else np.full(len(loads), 1 / len(loads))
        day = draws.generator("joining days").choice(len(loads), size=joining, p=weights)
        population.extend(
            Population.new(
                scenario,
                joining,
                period,
                draws.generator("newcomers"),
                joins=period * config.days_per_period + day,
            )
        )
    return joining


@dataclass
class _Records:
    """Where the days' record frames go: kept in the period (``keep``, no ``emit``),
    handed to ``emit``, or not made at all (a warm-up period, whose records nobody reads).
    """

    emit: Emit | None = None
    keep: bool = True
    heads: dict[str, pd.DataFrame] = field(default_factory=dict)
    """An empty copy of the first frame of each kind handed over (columns and dtypes)."""

    def hand_over(self, name: str, frame: pd.DataFrame) -> None:
        """Give a non-empty ``frame`` to ``emit`` (empty ones are left out, as a
        concatenation of kept frames leaves them out)."""
        if self.emit is None or not len(frame):
            return
        if name not in self.heads:
            # A copy: a slice of no rows would hold the whole frame's arrays.
            self.heads[name] = frame.iloc[:0].copy()
        self.emit(name, frame)

    def empty(self, name: str) -> pd.DataFrame:
        """An empty frame with the columns and dtypes of the frames handed over as ``name``."""
        return self.heads.get(name, pd.DataFrame())


_PERIOD_MEANS = ("reliability_belief", "return_probability")
"""The visit columns a period's row averages (kept for the period when frames are handed over)."""


def _run_days(
    scenario: Scenario,
    replication: int,
    population: Population,
    period: int,
    returns: list[BaseReturnModel],
    contacted: np.ndarray,
    contact_scale: float,
    records: _Records,
) -> _Period:
    """Simulate the days of ``period``; mark in ``contacted`` who made a contact.

    ``records`` says where each day's record frames go.
    """
    config = scenario.retention
    p_contact = contact_probabilities(scenario) * contact_scale
    out = _Period()
    for day in range(config.days_per_period):
        today = period * config.days_per_period + day
        draws = RandomStreams(scenario.run.seed, replication, f"population {period}/day {day}/")
        first = population.joins == today
        contacts = population.active & (
            population.joined_by(today)
            & (draws.generator("contact").random(len(population)) < p_contact[day])
            | first
        )
        contacted |= contacts
        if not contacts.any():
            # Nobody calls (a day of load 0, or no customers left): the staff wait all day.
            out.totals.add_idle_day()
            continue
        ids, plan = _arrivals(scenario, population, np.flatnonzero(contacts), draws)
        del first, contacts
        visitors = (ids, plan)
        _day(
            scenario, replication, population, (period, day), visitors, returns, draws, out, records
        )
    return out


def _day(
    scenario: Scenario,
    replication: int,
    population: Population,
    when: tuple[int, int],
    visitors: tuple[np.ndarray, ArrivalPlan],
    returns: list[BaseReturnModel],
    draws: RandomStreams,
    out: _Period,
    records: _Records,
) -> None:
    """Simulate day ``when = (period, day)`` for ``visitors`` (their ids and arrivals)
    and add it to ``out``; its record frames go where ``records`` says (:func:`_keep`).

    The day's simulation output is let go on return, before the next day runs.
    """
    period, day = when
    ids, plan = visitors
    config = scenario.retention
    result = Replication(
        scenario,
        replication,
        stream_prefix=f"period {period}/day {day}/",
        team_prefix="",  # the same people work every day of the run
        arrivals=plan,
        references=_references(scenario, population, ids),
        day=period * config.days_per_period + day,
    ).run()
    decided = _after_visits(scenario, population, ids, result, period, returns, draws)
    out.totals.add(*day_metrics(scenario, result))
    out.visits += len(ids)
    out.returning_visits += int((population.acquired[ids] < period).sum())
    out.stayed += decided["stayed"]
    out.churned += decided["churned"]
    out.referrals += decided["referrals"]
    out.deterred += decided["deterred"]
    out.revenue += decided["revenue"]
    if records.keep:
        _keep(result, (ids, period, day), decided, out, records)


def _keep(
    result: ReplicationOutput,
    where: tuple[np.ndarray, int, int],
    decided: dict[str, Any],
    out: _Period,
    records: _Records,
) -> None:
    """A day's visit and contact frames, kept in ``out`` or handed to ``records.emit``.

    ``where`` is (the visitors' ids, period, day). Handed over, a day leaves in
    ``out`` only its visits' :data:`_PERIOD_MEANS` columns (a new frame: the
    period's row averages them as it averages the kept frames' columns).
    """
    ids, period, day = where
    frame = _visit_frame(result.customers, ids, period, day)
    frame["reliability_belief"] = decided["reliability_belief"]
    frame["return_probability"] = decided["return_probability"]
    if records.emit is None:
        out.visit_frames.append(frame)
        out.contact_frames.append(_visit_frame(result.contacts, ids, period, day))
        return
    out.visit_frames.append(pd.DataFrame({name: decided[name].copy() for name in _PERIOD_MEANS}))
    records.hand_over("customers", frame)
    del frame
    records.hand_over("contacts", _visit_frame(result.contacts, ids, period, day))


def _references(scenario: Scenario, population: Population, ids: np.ndarray) -> References:
    """The visitors' own reference points (what the service has taught them)."""
    of_scenario = References.of(scenario, population.channel[ids], population.segment[ids])
    return References(
        population.expected_wait[ids],
        of_scenario.wait_perception,
        population.expected_quality[ids],
        of_scenario.failure_severity,
        population.expected_extras[ids],
    )


def _arrivals(
    scenario: Scenario, population: Population, ids: np.ndarray, draws: RandomStreams
) -> tuple[np.ndarray, ArrivalPlan]:
    """Arrival times for the contacting customers, from the time-of-day profile's shape.

    Customer ``i``'s time comes from value ``i`` of two streams (interval, place in
    it), so it does not depend on who else calls that day (common random numbers
    when two plans have kept different customers).
    """
    arrivals = scenario.arrivals
    rates = np.asarray(arrivals.rate_per_hour, dtype=float)
    weights = rates / rates.sum() if rates.sum() > 0 else np.full(len(rates), 1 / len(rates))
    everyone = len(population)
    interval = draws.generator("times").choice(len(rates), size=everyone, p=weights)[ids]
    offset = draws.generator("times:offset").random(everyone)[ids]
    times = (interval + offset) * arrivals.interval_minutes
    order = np.argsort(times, kind="stable")
    ids = ids[order]
    return ids, ArrivalPlan(
        times=times[order],
        segment=population.segment[ids].astype(np.int64),
        channel=population.channel[ids].astype(np.int64),
    )


def _after_visits(
    scenario: Scenario,
    population: Population,
    ids: np.ndarray,
    day: ReplicationOutput,
    period: int,
    returns: list[BaseReturnModel],
    draws: RandomStreams,
) -> dict[str, Any]:
    """Beliefs, return decisions, expectations, loyalty, word of mouth and revenue."""
    config = scenario.retention
    customers = day.customers
    remembered = customers["remembered_utility"]
    bad = scenario.experience.bad_memory_threshold
    good = config.good_memory_threshold
    # The visit's failures teach the customer before they decide whether to come back.
    population.belief.learn(ids, customers["contacts"], customers["failures"])
    prior_a, prior_b = config.reliability_prior
    belief = population.belief.mean(ids)
    p_return = return_probability(
        returns,
        customers["segment"],
        remembered,
        customers["effort"],
        population.loyalty[ids],
        belief - prior_a / (prior_a + prior_b),
    )
    stays = draws.generator("returns").random(len(population))[ids] < p_return
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
    _adapt_to_extras(population, ids, day, config.extras_adaptation_rate)
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
        "reliability_belief": belief,
        "return_probability": p_return,
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


def _adapt_to_extras(
    population: Population, ids: np.ndarray, day: ReplicationOutput, rate: float
) -> None:
    """Hedonic adaptation: a delight raises the expectation of extras, a visit without
    one lowers it, each by ``rate`` of the way (so frequent delight wears off)."""
    delighted = np.zeros(len(ids))
    delighted[np.unique(day.facts[Delighted]["customer"])] = 1.0
    expected = population.expected_extras[ids]
    population.expected_extras[ids] = expected + rate * (delighted - expected)


def _visit_frame(table: Any, ids: np.ndarray, period: int, day: int) -> pd.DataFrame:
    """A day's table with its period, day and each row's population id (``person``)."""
    frame = table.to_frame()
    frame.insert(0, "period", period)
    frame.insert(1, "day", day)
    frame.insert(2, "person", ids[frame["customer"].to_numpy()])
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


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [frame for frame in frames if len(frame)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _mean(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].mean()) if len(frame) else math.nan


def _run_money(periods: pd.DataFrame) -> dict[str, float]:
    """The run's money: each part summed over periods, profit the sum of the run's parts."""
    names = (
        "relationship_revenue",
        "visit_revenue",
        "staff_cost",
        "recovery_cost",
        "extras_cost",
        "recovery_minutes",
        "extras_minutes",
    )
    run = {name: float(periods[name].sum()) for name in names}
    parts = [run[name] for name in names[:5]]
    return {
        "profit": profit_of(*parts),
        "revenue": run["relationship_revenue"] + run["visit_revenue"],
        **run,
    }


def _summary(periods: pd.DataFrame, days: DayTotals, population: Population) -> dict[str, float]:
    """Replication metrics of a multi-period run (docs/scenarios.md, the retention loop)."""
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
        **_run_money(periods),
        "clv": float(population.value[initial].mean()),
        "active_customers_end": float(periods["active_end"].iloc[-1]),
        "load_change": float(last / first) if first else math.nan,
        "initial_cohort_active_end": float(population.active[initial].mean()),
        # contacts per period; the rates over every simulated day of the run
        "contacts": float(periods["contacts"].mean()),
    }
    for name, value in days.rates().items():
        summary.setdefault(name, value)
    return summary
