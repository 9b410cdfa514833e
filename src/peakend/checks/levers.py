"""The levers suite: each lever of the model pulled in the engine, with common random numbers.

``docs/levers.md`` lists what each lever must do *in the engine*: more agents
shorten waits and raise memories and return; a farewell raises the end; a
bigger coupon helps the customers who had a failure, less so beyond the loss;
and so on. :func:`run_levers` pulls each lever on a shipped scenario (the
contact centre by default): for every replication it simulates the scenario
without and with the lever on the same seed, so the two runs see the same
customers with the same draws (common random numbers), computes the lever's
metric in both, and checks the direction of the paired mean difference with a
Student-t confidence interval over replications.

A *check* passes when its interval lies on the documented side of zero
(``"up"``, ``"down"``), when it does not lie on the other side (``"not up"``:
not significantly higher; ``"not down"``), or, for ``"same"``, when the
difference is zero to rounding. Each check uses a 99 % interval; with
about thirty checks on a scenario a correct model fails one by chance about
once in four runs at most, and the seeds are fixed, so the verdict is
reproducible.

Every run of a lever changes only what its overrides say; the settings that
both arms share (e.g. ``recovery.policy = "none"`` for the order of bad news)
are stated in the lever's ``setting``.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from peakend.config.loading import load_scenario
from peakend.config.schema import Scenario
from peakend.engine.facts import ContactKind
from peakend.retention.returns import (
    Loyalty,
    ReliabilityBelief,
    return_models_by_segment,
    return_probability,
)
from peakend.simulation.replication import ReplicationOutput, simulate

__all__ = [
    "CLINIC_LEVERS",
    "CONTACT_CENTRE_LEVERS",
    "EVERYWHERE_LEVERS",
    "Check",
    "JOURNEY_LEVERS",
    "LEVERS",
    "Lever",
    "LeverReport",
    "RESTAURANT_LEVERS",
    "SUITES",
    "run_levers",
]

LEVEL = 0.99

Metric = Callable[[Scenario, ReplicationOutput, ReplicationOutput], float]
"""``(scenario, this arm's output, the other arm's output) -> value``; the other arm lets
a metric look at the same customers in both arms."""


@dataclass(frozen=True)
class Check:
    """One expected direction of one metric."""

    metric: str
    direction: str
    """"up", "down", "same" (to rounding), "not up" or "not down" (not significantly)."""
    measure: Metric


@dataclass(frozen=True)
class Lever:
    """A lever: what changes, on top of which shared setting, and what it must do."""

    name: str
    description: str
    change: tuple[str, ...]
    """Overrides of the arm with the lever pulled."""
    checks: tuple[Check, ...]
    setting: tuple[str, ...] = ()
    """Overrides both arms share."""
    baseline: tuple[str, ...] = ()
    """Overrides of the arm without the lever (when "without" is not the scenario's own)."""


@dataclass(frozen=True)
class CheckResult:
    lever: str
    metric: str
    direction: str
    without: float
    with_lever: float
    difference: float
    ci_low: float
    ci_high: float
    replications: int

    @property
    def passed(self) -> bool:
        verdicts = {
            "up": self.ci_low > 0,
            "down": self.ci_high < 0,
            "not up": self.ci_low <= 0,
            "not down": self.ci_high >= 0,
            "same": abs(self.difference) <= 1e-9 * max(1.0, abs(self.without)),
        }
        return verdicts[self.direction]


@dataclass(frozen=True)
class LeverReport:
    """All checks of a levers run."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    def rows(self) -> list[dict[str, object]]:
        """One row per check, for tables."""
        return [
            {
                "lever": r.lever,
                "metric": r.metric,
                "expected": r.direction,
                "without": r.without,
                "with": r.with_lever,
                "difference": r.difference,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "n": r.replications,
                "ok": r.passed,
            }
            for r in self.results
        ]


# -- metrics ------------------------------------------------------------------


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def remembered(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    return _mean(out.customers["remembered_utility"])


def end_utility(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    return _mean(out.customers["end_utility"])


def effort(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    return _mean(out.customers["effort"].astype(float))


def first_contact_resolution(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    return _mean(out.customers["first_contact_resolved"].astype(float))


def repeat_contacts(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    contacts = out.contacts
    return float((contacts["contact"] > 1).sum()) / len(out.customers)


_AFTER_A_FAILURE = (ContactKind.RECONTACT, ContactKind.CALLBACK, ContactKind.ESCALATION)


def contacts_after_failures(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    """Contacts made again because a problem was not resolved (a repeat contact, a
    callback, an escalation), per customer; a journey's later stages do not count."""
    kinds = out.contacts["kind"]
    return float(np.isin(kinds, _AFTER_A_FAILURE).sum()) / len(out.customers)


def resolution_rate(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    return _mean((out.customers["outcome"] == 0).astype(float))


def return_chance(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
    """Mean probability of coming back after this visit (first-time customers)."""
    return _mean(_return_probabilities(scenario, out))


def _return_probabilities(scenario: Scenario, out: ReplicationOutput) -> np.ndarray:
    customers = out.customers
    n = len(customers)
    belief = ReliabilityBelief.prior(scenario.retention.reliability_prior, n)
    prior_mean = belief.mean()
    belief.learn(np.arange(n), customers["contacts"], customers["failures"])
    remembered_utility = np.nan_to_num(customers["remembered_utility"])
    return return_probability(
        return_models_by_segment(scenario),
        customers["segment"],
        remembered_utility,
        customers["effort"].astype(float),
        np.full(n, Loyalty.NEW),
        belief.mean() - prior_mean,
    )


def return_at_equal_memory(
    scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput
) -> float:
    """Mean return probability if everybody remembered the visit as 0 points: what effort
    and reliability alone do to return."""
    same = out.customers.with_columns(remembered_utility=np.zeros(len(out.customers)))
    return _mean(_return_probabilities(scenario, dataclasses.replace(out, customers=same)))


def _in_intervals(first: int, last: int) -> Callable[[Scenario, ReplicationOutput], np.ndarray]:
    def mask(scenario: Scenario, out: ReplicationOutput) -> np.ndarray:
        length = scenario.arrivals.interval_minutes
        arrival = out.contacts["arrival_minutes"]
        return (arrival >= first * length) & (arrival < (last + 1) * length)

    return mask


def wait_in(first: int, last: int) -> Metric:
    chosen = _in_intervals(first, last)

    def metric(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
        return _mean(out.contacts["wait_minutes"][chosen(scenario, out)])

    return metric


def abandonment_in(first: int, last: int) -> Metric:
    chosen = _in_intervals(first, last)

    def metric(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
        return _mean(out.contacts["abandoned"][chosen(scenario, out)].astype(float))

    return metric


def _customers_in(first: int, last: int, scenario: Scenario, out: ReplicationOutput) -> np.ndarray:
    length = scenario.arrivals.interval_minutes
    arrival = out.customers["arrival_minutes"]
    return (arrival >= first * length) & (arrival < (last + 1) * length)


def remembered_in(first: int, last: int) -> Metric:
    def metric(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
        chosen = _customers_in(first, last, scenario, out)
        return _mean(out.customers["remembered_utility"][chosen])

    return metric


def return_in(first: int, last: int) -> Metric:
    def metric(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
        chosen = _customers_in(first, last, scenario, out)
        return _mean(_return_probabilities(scenario, out)[chosen])

    return metric


def staff_cost(scenario: Scenario, _: ReplicationOutput, __: ReplicationOutput) -> float:
    return scenario.staff_cost()


def failed_anywhere_memory(_: Scenario, out: ReplicationOutput, other: ReplicationOutput) -> float:
    """Mean remembered utility of the customers who had a failure at any contact or stage,
    in both arms (a staged journey fails at its kitchen or its doctor, not its first stage)."""
    both = (out.customers["failures"] > 0) & (other.customers["failures"] > 0)
    return _mean(out.customers["remembered_utility"][both])


def _failed_in_both(out: ReplicationOutput, other: ReplicationOutput) -> np.ndarray:
    """Customers whose first service failed in both arms (the same customers, by CRN)."""

    def failed_first(o: ReplicationOutput) -> np.ndarray:
        c = o.contacts
        first = c["answered"] & (c["contact"] == 1) & ~c["resolved"]
        flags = np.zeros(len(o.customers), dtype=bool)
        flags[c["customer"][first]] = True
        return flags

    return failed_first(out) & failed_first(other)


def failed_customers_memory(_: Scenario, out: ReplicationOutput, other: ReplicationOutput) -> float:
    """Mean remembered utility of the customers who had a failure (in both arms)."""
    return _mean(out.customers["remembered_utility"][_failed_in_both(out, other)])


def failed_customers_return(
    scenario: Scenario, out: ReplicationOutput, other: ReplicationOutput
) -> float:
    return _mean(_return_probabilities(scenario, out)[_failed_in_both(out, other)])


def _once_failed(out: ReplicationOutput, other: ReplicationOutput) -> np.ndarray:
    """Customers with exactly one failure in this arm and none in the other."""
    return (out.customers["failures"] == 1) | (other.customers["failures"] == 1)


def recovered_memory(_: Scenario, out: ReplicationOutput, other: ReplicationOutput) -> float:
    """Remembered utility of the customers who had one failure in either arm."""
    return _mean(out.customers["remembered_utility"][_once_failed(out, other)])


def recovered_return(scenario: Scenario, out: ReplicationOutput, other: ReplicationOutput) -> float:
    return _mean(_return_probabilities(scenario, out)[_once_failed(out, other)])


def _twice_failed(out: ReplicationOutput, other: ReplicationOutput) -> np.ndarray:
    return (out.customers["failures"] >= 2) | (other.customers["failures"] >= 2)


def twice_failed_memory(_: Scenario, out: ReplicationOutput, other: ReplicationOutput) -> float:
    return _mean(out.customers["remembered_utility"][_twice_failed(out, other)])


def twice_failed_return(
    scenario: Scenario, out: ReplicationOutput, other: ReplicationOutput
) -> float:
    return _mean(_return_probabilities(scenario, out)[_twice_failed(out, other)])


def peak_warmth(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
    """Mean warmth customers met in the busiest quarter of the intervals."""
    rates = np.asarray(scenario.arrivals.rate_per_hour)
    busiest = rates >= np.quantile(rates, 0.75)
    c = out.contacts
    served = np.flatnonzero(c["answered"])
    interval = (c["service_start_minutes"][served] // scenario.arrivals.interval_minutes).astype(
        int
    )
    chosen = np.zeros(len(c), dtype=bool)
    chosen[served] = busiest[np.minimum(interval, len(rates) - 1)]
    return _mean(c["agent_warmth"][chosen])


def mean_model_memory(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
    """Remembered utility under the duration-weighted mean model (experienced utility)."""
    return _mean(out.customers["experienced_utility"])


def contacts_or_customers_lost(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    """Repeat contacts plus customers who left unresolved, per customer."""
    unresolved = (out.customers["outcome"] == 1).sum()
    return (float((out.contacts["contact"] > 1).sum()) + float(unresolved)) / len(out.customers)


def lowest_end_gain(_: Scenario, out: ReplicationOutput, other: ReplicationOutput) -> float:
    """The smallest per-customer change of end utility against the other arm."""
    return float(np.min(out.customers["end_utility"] - other.customers["end_utility"]))


# -- the levers ---------------------------------------------------------------


_CONTACT_VALUES: dict[str, Callable[[Any], np.ndarray]] = {
    "wait": lambda c: c["wait_minutes"],
    "wait on the line": lambda c: np.where(c["at_home"], 0.0, c["wait_minutes"]),
    "abandoned": lambda c: c["abandoned"].astype(float),
    "waited over half a minute": lambda c: (c["wait_minutes"] > 0.5).astype(float),
    "handling": lambda c: c["service_end_minutes"] - c["service_start_minutes"],
    "resolved": lambda c: c["resolved"].astype(float),
}
"""Per-contact values a journey lever looks at (a held caller waits at home: 0 on the
line; handling is a service's start to end)."""


def contact_mean(
    value: str,
    *,
    pool: str | None = None,
    segment: str | None = None,
    answered: bool = False,
    own_agents: bool = False,
) -> Metric:
    """Mean of ``value`` (a key of ``_CONTACT_VALUES``) over the contacts that queued at
    ``pool`` (``own_agents``: and were served by its own agents), of ``segment``'s
    customers, and (``answered``) were answered; a service cut off by the end of the
    run has no handling time and is left out."""

    def measure(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
        c = out.contacts
        mine = np.ones(len(c), dtype=bool)
        if pool is not None:
            index = list(scenario.pools).index(pool)
            mine &= c["pool"] == index
            if own_agents:
                mine &= c["served_pool"] == index
        if segment is not None:
            mine &= c["segment"] == list(scenario.segments).index(segment)
        if answered or own_agents:
            mine &= c["answered"]
        values = _CONTACT_VALUES[value](c)[mine]
        return _mean(values[np.isfinite(values)])

    return measure


def remembered_on(channel: str) -> Metric:
    """Mean remembered utility of the customers who came in on ``channel``."""

    def measure(scenario: Scenario, out: ReplicationOutput, _: ReplicationOutput) -> float:
        customers = out.customers
        mine = customers["channel"] == list(scenario.channels).index(channel)
        return _mean(customers["remembered_utility"][mine])

    return measure


def time_in_system(_: Scenario, out: ReplicationOutput, __: ReplicationOutput) -> float:
    """Mean minutes from arrival to the end of the last service, resolved customers."""
    customers = out.customers
    done = customers["outcome"] == 0
    return _mean(customers["service_end_minutes"][done] - customers["arrival_minutes"][done])


def _more_skill(pool: str, low: float = 0.55, high: float = 0.85, *, again: bool = True) -> Lever:
    """The pool's mean skill ``high`` against ``low``, with the default skill effect.

    ``again``: customers contact again after a failure, so fewer do; else (nobody comes
    back about an unresolved problem) more customers leave resolved.
    """
    after = (
        Check("contacts again after a failure, per customer", "down", contacts_after_failures)
        if again
        else Check("customers who leave resolved", "up", resolution_rate)
    )
    return Lever(
        f"a more skilled {pool} team",
        f"the {pool} pool's mean skill {high} against {low} (default skill_effect)",
        (f"pools.{pool}.skill.mean={high}",),
        (
            Check(
                f"services of the {pool} pool that resolve",
                "up",
                contact_mean("resolved", pool=pool, own_agents=True),
            ),
            after,
        ),
        baseline=(f"pools.{pool}.skill.mean={low}",),
    )


_BAD_NEWS_FIRST_CHECKS = (
    Check("end utility", "up", end_utility),
    Check("remembered utility (peak-end)", "up", remembered),
    Check("experienced utility (mean model)", "same", mean_model_memory),
)


def _bad_news_first(*setting: str) -> Lever:
    """A defect told before the rest of the service, against at its end, with no remedy
    after it (where one follows, the scenario refuses the lever: it cannot act)."""
    return Lever(
        "bad news first",
        "a defect told before the rest of the service, against at its end (no remedy "
        "after it in either arm: under an apology the contact ends on it in either order)",
        ('service.bad_news="first"',),
        _BAD_NEWS_FIRST_CHECKS,
        setting=('recovery.policy="none"', *setting),
    )


def _balking(channels: Sequence[str], scale: float, *setting: str) -> Lever:
    """Customers told the expected wait on ``channels`` may leave at once, against all
    staying; a balker remembers the wait they heard and the problem they left with."""
    return Lever(
        "balking on announced waits",
        f"customers told the expected wait ({', '.join(channels)}) may leave at once "
        f"(scale {scale:g} minutes), against all staying",
        tuple(
            change
            for channel in channels
            for change in (
                f"channels.{channel}.balking.enabled=true",
                f"channels.{channel}.balking.scale_minutes={scale:g}",
            )
        ),
        (
            Check("abandonment", "up", contact_mean("abandoned")),
            Check("remembered utility", "down", remembered),
        ),
        setting=setting,
    )


LEVERS: tuple[Lever, ...] = (
    Lever(
        "more agents over lunch",
        "three more agents from 12:00 to 14:00 (intervals 8 to 11)",
        ("pools.agents.staffing[8:12]+=3",),
        (
            Check("mean wait, 12:00-14:00", "down", wait_in(8, 11)),
            Check("abandonment, 12:00-14:00", "down", abandonment_in(8, 11)),
            Check("remembered utility, 12:00-14:00 arrivals", "up", remembered_in(8, 11)),
            Check("return probability, 12:00-14:00 arrivals", "up", return_in(8, 11)),
            Check("staff cost", "up", staff_cost),
        ),
    ),
    Lever(
        "farewell at no agent time",
        "a farewell that takes no agent time, against none",
        ("service.farewell=true", "service.farewell_minutes=0"),
        (
            Check("end utility", "up", end_utility),
            Check("remembered utility", "up", remembered),
        ),
        baseline=("service.farewell=false",),
    ),
    Lever(
        "delight",
        "an unexpected extra for 30 % of resolved customers, against none",
        ("service.delight_probability=0.3",),
        (Check("remembered utility", "up", remembered),),
    ),
    Lever(
        "apology",
        "an apology after a failure the agent sees, against nothing",
        ('recovery.policy="apology"',),
        (Check("memory of customers who had a failure", "up", failed_customers_memory),),
        baseline=('recovery.policy="none"',),
    ),
    Lever(
        "a coupon up to the loss",
        "a 20-euro coupon (the size of the loss) against a 5-euro one",
        ("recovery.compensation=20",),
        (Check("memory of customers who had a failure", "up", failed_customers_memory),),
        setting=('recovery.policy="compensation"',),
        baseline=("recovery.compensation=5",),
    ),
    Lever(
        "a faster callback",
        "a callback after about 5 minutes against one after about 40",
        ("recovery.callback_delay.mean=5",),
        (Check("memory of customers who had a failure", "up", failed_customers_memory),),
        setting=('recovery.policy="callback"',),
        baseline=("recovery.callback_delay.mean=40",),
    ),
    Lever(
        "a broken promise",
        "a callback promised within 5 minutes against within 60 (the call comes after ~20)",
        ("recovery.callback_promise_minutes=5",),
        (Check("memory of customers who had a failure", "down", failed_customers_memory),),
        setting=('recovery.policy="callback"',),
        baseline=("recovery.callback_promise_minutes=60",),
    ),
    Lever(
        "warmer agents",
        "agents' mean warmth 0.9 against 0.6",
        ("pools.agents.warmth.mean=0.9",),
        (Check("remembered utility", "up", remembered),),
        baseline=("pools.agents.warmth.mean=0.6",),
    ),
    Lever(
        "stress on",
        "agents grow colder under sustained load, against not",
        ("pools.agents.stress.enabled=true",),
        (
            Check("warmth met in the busiest intervals", "down", peak_warmth),
            Check("remembered utility", "down", remembered),
        ),
        setting=("pools.agents.staffing*=0.85",),
    ),
    Lever(
        "a more skilled team",
        "the pool's mean skill 0.85 against 0.55",
        ("pools.agents.skill.mean=0.85",),
        (
            Check("first-contact resolution", "up", first_contact_resolution),
            Check("repeat contacts per customer", "down", repeat_contacts),
        ),
        baseline=("pools.agents.skill.mean=0.55",),
    ),
    _bad_news_first(),
    Lever(
        "announced waits",
        "every channel announces the wait (position, expected wait), against idle waits",
        ("channels.phone.announces_wait=true",),
        (Check("remembered utility", "up", remembered),),
    ),
    Lever(
        "escalation (a transfer)",
        "a failure transferred to the senior pool, against an apology and a later contact",
        ('recovery.policy="escalation"',),
        (
            Check("effort", "up", effort),
            Check("return probability at equal memory", "down", return_at_equal_memory),
        ),
    ),
    Lever(
        "retries",
        "customers who give up in the queue try again twice as often",
        ("segments.regular.retry_probability=0.8",),
        (
            Check("effort", "up", effort),
            Check("return probability at equal memory", "down", return_at_equal_memory),
        ),
    ),
    Lever(
        "hidden defects",
        "half the failures noticed only later, against all seen at once",
        ("pools.agents.failure_noticed_later_probability=0.5",),
        (Check("repeat contacts and lost customers", "not down", contacts_or_customers_lost),),
    ),
    Lever(
        "recovered failure against no failure",
        "failures (first-contact resolution 0.8) met by an excellent recovery (a warm "
        "apology, a coupon beyond the loss), against no failures at all",
        ("pools.agents.first_contact_resolution=0.8",),
        (
            Check("memory of customers with one failure", "up", recovered_memory),
            Check("return of customers with one failure", "not up", recovered_return),
            Check("memory of customers with two failures", "down", twice_failed_memory),
            Check("return of customers with two failures", "down", twice_failed_return),
        ),
        setting=(
            'recovery.policy="compensation"',
            "recovery.compensation=30",
            "recovery.apology=true",
            "pools.agents.skill_effect=0",
        ),
        baseline=("pools.agents.first_contact_resolution=1",),
    ),
    _balking(("phone", "chat"), 10.0),
)


def _on_any_scenario(lever: Lever) -> Lever:
    """A lever of the contact centre in a form every shipped scenario can pull: a recovery
    lever looks at the customers who had a failure anywhere in their journey, and a
    callback's delay is set whole (a scenario that never set it has no ``.mean`` to
    change)."""
    recovery = {"apology", "a coupon up to the loss", "a faster callback", "a broken promise"}
    if lever.name not in recovery:
        return lever
    checks = tuple(
        dataclasses.replace(
            check,
            metric=check.metric.replace("had a failure", "had a failure anywhere"),
            measure=failed_anywhere_memory,
        )
        for check in lever.checks
    )
    found = dataclasses.replace(lever, checks=checks)
    if lever.name == "a faster callback":
        delay = 'recovery.callback_delay={{ distribution = "exponential", mean = {} }}'
        found = dataclasses.replace(found, change=(delay.format(5),), baseline=(delay.format(40),))
    return found


_EVERYWHERE = (
    "farewell at no agent time",
    "delight",
    "apology",
    "a coupon up to the loss",
    "a faster callback",
    "a broken promise",
)
"""Levers of the contact centre whose keys (``service.*``, ``recovery.*``) every shipped
scenario has: each suite pulls them too (:func:`_on_any_scenario`)."""

EVERYWHERE_LEVERS: tuple[Lever, ...] = tuple(
    _on_any_scenario(lever) for lever in LEVERS if lever.name in _EVERYWHERE
)
"""The contact centre's farewell, delight and recovery levers, pulled on every other
shipped scenario (recovery judged on the customers who had a failure anywhere)."""

_PREMIUM_FIRST = Lever(
    "premium answered first",
    "premium customers ahead of regular ones in the queue, against one queue for both",
    (),
    (
        Check("mean wait of premium customers", "down", contact_mean("wait", segment="premium")),
        Check(
            "mean wait of regular customers",
            "not down",
            contact_mean("wait", segment="regular"),
        ),
    ),
    baseline=("segments.premium.priority=1",),
)

CONTACT_CENTRE_LEVERS: tuple[Lever, ...] = (*LEVERS, _PREMIUM_FIRST)
""":data:`LEVERS`, and premium priority (the contact centre ranks its premium customers
first too)."""

JOURNEY_LEVERS: tuple[Lever, ...] = (
    _PREMIUM_FIRST,
    Lever(
        "calls overflow to the chat team",
        "a chat agent with no chat open takes a call that has waited half a minute, against never",
        (),
        (
            # The share past the overflow's half minute, not the mean wait: on the few days
            # the phone team is short the overflow saves minutes, and those days' heavy
            # tail makes the mean's interval too wide at 20 replications.
            Check(
                "calls waiting over half a minute",
                "down",
                contact_mean("waited over half a minute", pool="phone"),
            ),
            Check("abandonment of calls", "down", contact_mean("abandoned", pool="phone")),
        ),
        baseline=("pools.phone.overflow=[]",),
    ),
    Lever(
        "virtual hold",
        "callers told to expect over 1.5 minutes may take a callback that keeps their "
        "place, against waiting on the line (a busier day: 15 % fewer phone agents)",
        (),
        (
            Check(
                "mean wait on the line, calls",
                "down",
                contact_mean("wait on the line", pool="phone"),
            ),
            Check("abandonment of calls", "down", contact_mean("abandoned", pool="phone")),
            Check("remembered utility of callers", "up", remembered_on("phone")),
        ),
        setting=("pools.phone.staffing*=0.85",),
        baseline=("channels.phone.virtual_hold.enabled=false",),
    ),
    Lever(
        "two chats at once",
        "chat agents handle two chats at once (each a quarter slower), against one",
        (),
        (
            Check("mean wait of chats", "down", contact_mean("wait", pool="chat")),
            Check("abandonment of chats", "down", contact_mean("abandoned", pool="chat")),
            Check(
                "chat handling time", "up", contact_mean("handling", pool="chat", own_agents=True)
            ),
        ),
        baseline=("pools.chat.concurrency=1",),
    ),
    Lever(
        "a bigger chat slowdown",
        "each open chat slows the others by 60 %, against by 10 %",
        ("pools.chat.concurrency_slowdown=0.6",),
        (
            Check(
                "chat handling time", "up", contact_mean("handling", pool="chat", own_agents=True)
            ),
            Check("mean wait of chats", "up", contact_mean("wait", pool="chat")),
        ),
        baseline=("pools.chat.concurrency_slowdown=0.1",),
    ),
    Lever(
        "balking on announced chat waits",
        "chat customers told a long expected wait may leave at once, against all staying",
        ("channels.chat.balking.enabled=true", "channels.chat.balking.scale_minutes=2"),
        (
            Check("abandonment of chats", "up", contact_mean("abandoned", pool="chat")),
            Check(
                "wait of answered chats", "down", contact_mean("wait", pool="chat", answered=True)
            ),
            Check("remembered utility of chat customers", "down", remembered_on("chat")),
        ),
        setting=("pools.chat.concurrency=1",),
    ),
    _more_skill("phone"),
    _more_skill("chat"),
    _bad_news_first(),
)
"""Levers of journeys beyond one queue, on ``configs/two_skill_centre.toml``."""

RESTAURANT_LEVERS: tuple[Lever, ...] = (
    Lever(
        "a farewell at the bill",
        "a warm goodbye (a minute of the cashier's time) at the end of the evening",
        ("service.farewell=true",),
        (
            Check("end utility", "up", end_utility),
            Check("remembered utility", "up", remembered),
        ),
        baseline=("service.farewell=false",),
    ),
    Lever(
        "one more cook all evening",
        "the kitchen staffed one cook more in every interval",
        ("pools.kitchen.staffing+=1",),
        (
            Check("mean wait for the kitchen", "down", contact_mean("wait", pool="kitchen")),
            Check("mean time from arrival to the bill", "down", time_in_system),
        ),
    ),
    _more_skill("kitchen", low=0.3, high=0.9),
    _bad_news_first(),
    _balking(("walk_in",), 10.0),
)
"""Levers of a staged service journey, on ``configs/restaurant.toml``."""

CLINIC_LEVERS: tuple[Lever, ...] = (
    Lever(
        "doctors' lunch breaks",
        "doctors take staggered lunch breaks, against working through",
        (),
        (Check("mean wait for a doctor", "up", contact_mean("wait", pool="doctors")),),
        baseline=("pools.doctors.breaks*=0",),
    ),
    Lever(
        "every doctor at lunch at noon",
        "the same four doctor-hours of lunch taken by all at 12:00, against staggered",
        ("pools.doctors.breaks=[0, 0, 0, 0, 4, 0, 0, 0, 0]",),
        (
            Check("mean wait for a doctor", "up", contact_mean("wait", pool="doctors")),
            Check("remembered utility", "down", remembered),
        ),
    ),
    Lever(
        "urgent patients first",
        "urgent patients seen before routine ones, against one queue",
        (),
        (
            Check(
                "urgent patients' wait for a doctor",
                "down",
                contact_mean("wait", segment="urgent", pool="doctors"),
            ),
            Check(
                "routine patients' wait for a doctor",
                "not down",
                contact_mean("wait", segment="routine", pool="doctors"),
            ),
        ),
        baseline=("segments.urgent.priority=1",),
    ),
    Lever(
        "prescriptions sent ahead",
        "prescriptions sent to a pharmacy of the patient's choice: a third of the routine "
        "patients who queued at the counter no longer do (47 % instead of 70 %)",
        ('segments.routine.stages[1]={pool="pharmacy", probability=0.47}',),
        (
            Check("mean wait at the pharmacy", "down", contact_mean("wait", pool="pharmacy")),
            Check("mean time from arrival to the end", "down", time_in_system),
        ),
    ),
    Lever(
        "the runaround at reception",
        "reception sends one patient in five to the pharmacy first and back (a transfer: "
        "queued again, explained again), against none",
        ("pools.reception.transfer_probability=0.2", 'pools.reception.transfer_to="pharmacy"'),
        (
            Check("effort", "up", effort),
            Check("remembered utility", "down", remembered),
        ),
    ),
    _more_skill("doctors", again=False),
    _bad_news_first(),
    _balking(("waiting_room",), 10.0),
)
"""Levers of priorities, breaks and transfers, on ``configs/clinic.toml``."""

SUITES: dict[str, tuple[Lever, ...]] = {
    "contact_centre.toml": CONTACT_CENTRE_LEVERS,
    "two_skill_centre.toml": (
        *JOURNEY_LEVERS,
        *EVERYWHERE_LEVERS,
        *(lever for lever in LEVERS if lever.name in ("announced waits", "retries")),
        _balking(("phone", "chat"), 10.0),
    ),
    "restaurant.toml": (*RESTAURANT_LEVERS, *EVERYWHERE_LEVERS),
    "clinic.toml": (*CLINIC_LEVERS, *EVERYWHERE_LEVERS),
}
"""The levers suite: shipped config (in ``configs/``) and the levers pulled on it. Every
lever runs on every shipped scenario whose keys it uses (``tests/analysis/test_levers.py``
checks it); the two-skill centre, a contact centre too, also pulls announced waits,
retries and balking on both channels."""


def _arms(path: Path, lever: Lever, extra: Sequence[str]) -> tuple[Scenario, Scenario]:
    shared = [*extra, *lever.setting]
    without = load_scenario(path, [*shared, *lever.baseline])
    with_lever = load_scenario(path, [*shared, *lever.change])
    return without, with_lever


@dataclass
class _SharedArms:
    """The outputs of one replication's arms, each simulated once and kept only until
    the last lever that uses it has read it."""

    replication: int
    uses: Counter[str]
    outputs: dict[str, ReplicationOutput] = field(default_factory=dict)

    def output(self, key: str, scenario: Scenario) -> ReplicationOutput:
        if key not in self.outputs:
            self.outputs[key] = simulate(scenario, self.replication)
        found = self.outputs[key]
        self.uses[key] -= 1
        if self.uses[key] == 0:
            del self.outputs[key]  # no later lever needs it: free its memory now
        return found


def run_levers(
    config: str | Path,
    replications: int = 8,
    levers: Sequence[Lever] = LEVERS,
    overrides: Sequence[str] = (),
) -> LeverReport:
    """Pull every lever on ``config`` with ``replications`` paired replications each.

    Levers often share an arm (most compare with the scenario as shipped), and a
    replication of a scenario is the same whatever asks for it (same scenario and
    replication, same output), so each distinct arm is simulated once per replication
    and its output shared by the levers that use it, then dropped: the rows are those
    of pulling each lever on its own.

    Raises
    ------
    ValueError
        If ``replications`` is below 2 (a paired interval needs two).
    """
    if replications < 2:
        raise ValueError(f"replications must be >= 2, got {replications}")
    path = Path(config)
    arms = [_arms(path, lever, overrides) for lever in levers]
    keys = [(without.model_dump_json(), pulled.model_dump_json()) for without, pulled in arms]
    values: list[dict[str, tuple[list[float], list[float]]]] = [
        {check.metric: ([], []) for check in lever.checks} for lever in levers
    ]
    for replication in range(replications):
        shared = _SharedArms(replication, Counter(key for pair in keys for key in pair))
        for lever, (without, with_lever), (key_a, key_b), lever_values in zip(
            levers, arms, keys, values, strict=True
        ):
            a, b = shared.output(key_a, without), shared.output(key_b, with_lever)
            for check in lever.checks:
                lever_values[check.metric][0].append(check.measure(without, a, b))
                lever_values[check.metric][1].append(check.measure(with_lever, b, a))
    results: list[CheckResult] = []
    for lever, lever_values in zip(levers, values, strict=True):
        for check in lever.checks:
            base, pulled = (np.asarray(v, dtype=float) for v in lever_values[check.metric])
            results.append(_paired(lever.name, check, base, pulled))
    return LeverReport(results)


def _paired(lever: str, check: Check, base: np.ndarray, pulled: np.ndarray) -> CheckResult:
    difference = pulled - base
    n = len(difference)
    mean = float(difference.mean())
    sd = float(difference.std(ddof=1))
    half = float(stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * sd / math.sqrt(n)
    return CheckResult(
        lever,
        check.metric,
        check.direction,
        float(base.mean()),
        float(pulled.mean()),
        mean,
        mean - half,
        mean + half,
        n,
    )
