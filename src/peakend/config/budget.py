"""Bounded resources: what a run will take, estimated from the scenario before it runs.

A scenario file can ask for anything: a 10^9-minute day, a million customers an
hour, a 27,000-point sweep. Rather than let the kernel kill the process hours
later, :func:`estimate_scenario` and :func:`estimate_experiment` compute the work
(customers, contacts, CPU time) and the peak memory from the scenario alone, and
:func:`check_budget` refuses, with the estimate in the message, anything above
a memory budget (:data:`DEFAULT_MEMORY_BUDGET_BYTES`, 4 GiB, which fits a laptop;
the caller raises it with ``memory_budget_bytes``).

The byte counts are measured, not guessed: the peak resident set of a fresh process
(``VmHWM``) that runs one replication as ``peakend run`` does, by
``benchmarks/bench_memory.py``, on the M/M/32+M benchmark scenario from 10^5 to 10^7
customers and on the contact centres of ``configs/contact_centre.toml`` (scaled up
100 times, understaffed: long queues, retries, recontacts, apologies) and
``benchmarks/contact_centre_year_1000.toml``. Each constant is chosen so that the
estimate falls within 30 % of every one of those peaks (``docs/benchmarks.md`` lists
them, estimate beside measurement).

A single-day replication (:func:`peakend.runs.runner.replicate`) holds, for every
customer of the day, its arrival and drawn decisions while it runs and its typed
facts until its records are made; the records, experience traces and memories are
made a block of customers at a time
(:data:`peakend.engine.recorder.CUSTOMER_BLOCK`, 65,536), so they cost the memory
of one block whatever the day's size, unless the record frames are kept. A day of
a multi-period run is made whole (its visits feed the next day), as the old
constants below say:

=================================  ====================================================
the interpreter and libraries      150 MiB per process (measured 134 to 140 MiB,
                                   and about 45 MiB more with pyarrow's writers)
while a single day runs            60 B per customer + 90 B per (estimated) contact
                                   (the arrival plan and draws, the typed facts: the
                                   slope from 10^6 to 10^7 customers is 133 B);
                                   plus one block: 900 B per customer of the block
                                   with the experience model on, 600 B off; 1 kB per
                                   agent; 1 kB per interval and pool
a day of a multi-period run        100 B per customer + 700 B per (estimated)
                                   contact; 100 B + 400 B per contact without the
                                   experience model
kept per replication               210 B per customer + 85 B per contact (its record
                                   frames, measured at 205 and 81 B), in the process
                                   that makes them and in the one that keeps them
a replay (``arrivals.times``)       250 B per replayed arrival in every process that
                                   holds the scenario (read from its file, validated,
                                   hashed and written out as the resolved config:
                                   measured up to 180 B with a million arrivals);
                                   250 B more for each of ``times_customer`` and
                                   ``times_date`` (72 B a column measured at load
                                   and hash with 200,000 arrivals, scaled as the
                                   times' own 68 B to 180 B)
multi-period runs                  the busiest day's peak, plus 100 B per identified
                                   customer, plus one day's record frames (streamed)
                                   or every visit's (held: 240 B per visit + 100 B
                                   per contact, with period, day, person, belief and
                                   return probability)
=================================  ====================================================

A multi-period replication either streams its records (``run_periods(..., emit=)``
hands each day's frames over as soon as they are final, and keeps none) or holds
every visit's until it ends; ``keep_records`` says which (False: streamed, True:
held and kept until the run ends). Held, a replication's records are counted twice,
as kept records are: at its end the days' frames are concatenated into one table,
when its last day is gone (so that day is not counted on top).
Streamed, the estimate is within +3 % to +14 % of the measured peak of the year
config at every length from 3 to 53 simulated weeks (1.5 GiB for the whole year).

The estimated contacts are an upper bound (:func:`contacts_per_customer`), so a
scenario whose customers come back less than it allows is over-estimated, never
under-estimated, on that account.

The expected customers of a day are the integral of the arrival profile (a
replay's: its replayed arrivals, whatever profile the scenario gives); each
makes at most about ``(1 - q^m) / (1 - q)`` contacts (see
:func:`contacts_per_customer`).
A multi-period run simulates ``days_per_period`` days a period, day ``d`` with
the profile's load times ``day_load[d]``; its later periods carry the load of the
population, grown by acquisition (an estimate; word of mouth can grow it further).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from peakend.base.errors import ConfigError
from peakend.config.schema import Scenario

__all__ = [
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "GRID_WARNING_SCENARIOS",
    "MAX_GRID_SCENARIOS",
    "BudgetError",
    "LargeGridWarning",
    "Workload",
    "check_budget",
    "check_grid_size",
    "contacts_per_customer",
    "estimate_experiment",
    "estimate_record_bytes",
    "estimate_scenario",
    "expected_customers",
    "format_bytes",
    "parse_size",
]

DEFAULT_MEMORY_BUDGET_BYTES = 4 * 2**30
"""Memory a run may take by default: 4 GiB, what a laptop can spare."""
GRID_WARNING_SCENARIOS = 1_000
"""An experiment (sweep points, or variants and base) with more scenarios than this gets
a :class:`LargeGridWarning`."""
MAX_GRID_SCENARIOS = 10_000
"""An experiment with more scenarios than this is refused unless the caller raises the cap."""

# Measured bytes (see the module docstring and docs/benchmarks.md).
_RUN_BYTES_PER_CUSTOMER = 100  # a whole day made at once (a multi-period run's)
_RUN_BYTES_PER_CONTACT = 700
_RUN_BYTES_PER_CUSTOMER_NO_EXPERIENCE = 100
_RUN_BYTES_PER_CONTACT_NO_EXPERIENCE = 400
_DAY_BYTES_PER_CUSTOMER = 60  # a single day, its records made by blocks
_DAY_BYTES_PER_CONTACT = 90
_BLOCK_BYTES_PER_CUSTOMER = 900
_BLOCK_BYTES_PER_CUSTOMER_NO_EXPERIENCE = 600
_CUSTOMER_BLOCK = 1 << 16  # peakend.engine.recorder.CUSTOMER_BLOCK (tested equal)
_KEPT_BYTES_PER_CUSTOMER = 210
_KEPT_BYTES_PER_CONTACT = 85
_BYTES_PER_AGENT = 1_000
_BYTES_PER_INTERVAL_AND_POOL = 1_000
# Each identified customer of a multi-period run: its arrays (72 B, Population) and
# the day's draws over every customer (the contact, arrival time and return numbers).
_BYTES_PER_POPULATION_MEMBER = 100
_BYTES_PER_REPLAYED_ARRIVAL = 250
_BYTES_PER_REPLAY_TEXT_COLUMN = 250  # times_customer, times_date
# A multi-period run's record frames (with period, day, person, belief and return
# probability), measured at about 221 and 96 B a row.
_PERIOD_BYTES_PER_VISIT = 240
_PERIOD_BYTES_PER_CONTACT = 100
_BYTES_PER_SCENARIO = 50_000  # a resolved scenario, its spec and its metric rows
_BYTES_PER_METRIC_ROW = 2_000
_BASE_BYTES = 150 * 2**20  # the interpreter with numpy, pandas, pydantic and SimPy loaded
# Measured CPU time, rounded up: 15 microseconds per contact, 5 per interval and pool.
_SECONDS_PER_CONTACT = 15e-6
_SECONDS_PER_INTERVAL_AND_POOL = 5e-6
# A multi-period run's population bookkeeping, per customer and day: the year config took
# 30 CPU minutes for 28 million visits and about 10 million customers on average
# (estimated 29; 25 at 150 ns).
_SECONDS_PER_MEMBER_AND_PERIOD = 200e-9


class BudgetError(ConfigError):
    """A run that would need more memory than the budget allows (refused before it starts)."""


class LargeGridWarning(UserWarning):
    """A sweep with more than :data:`GRID_WARNING_SCENARIOS` scenarios."""


@dataclass(frozen=True)
class Workload:
    """What a run will take, estimated from its scenarios before anything runs."""

    customers: float
    """Expected customers (multi-period: visits over all periods) of one replication,
    summed over the scenarios."""
    contacts: float
    """Upper estimate of their contacts (first contacts, retries, repeat contacts)."""
    replications: int
    """Replications of each scenario."""
    scenarios: int
    peak_bytes: float
    """Estimated peak memory of the whole run (all worker processes included)."""
    cpu_seconds: float
    """Estimated CPU time of all replications."""

    def describe(self) -> str:
        """One line: ``~1.2e+09 customers per replication x 10 replications, ~3.1 TiB ...``."""
        scenarios = f" x {self.scenarios:,} scenarios" if self.scenarios > 1 else ""
        return (
            f"~{_count(self.customers / self.scenarios)} customers per replication x "
            f"{self.replications:,} replications{scenarios}: estimated peak memory "
            f"{format_bytes(self.peak_bytes)}, CPU time {_duration(self.cpu_seconds)}"
        )


def _replay_bytes(scenario: Scenario) -> int:
    """What a scenario's replayed arrivals cost every process that holds it."""
    arrivals = scenario.arrivals
    texts = bool(arrivals.times_customer) + bool(arrivals.times_date)
    per_arrival = _BYTES_PER_REPLAYED_ARRIVAL + texts * _BYTES_PER_REPLAY_TEXT_COLUMN
    return len(arrivals.times) * per_arrival


def expected_customers(scenario: Scenario) -> float:
    """Expected first arrivals of one day: the integral of the arrival-rate profile,
    or the number of replayed arrivals of a replay (``arrivals.times``; of the day
    ``run.start_date`` in a replay of several days)."""
    if scenario.arrivals.times:
        return float(len(scenario.replayed_rows()))
    minutes = scenario.arrivals.interval_minutes
    return math.fsum(scenario.arrivals.rate_per_hour) * minutes / 60.0


def contacts_per_customer(scenario: Scenario) -> float:
    """An upper estimate of contacts per customer, weighted over the segments.

    After a contact another follows if the customer abandoned and retries, or was
    not helped and contacts again: with probability at most
    ``q = max(retry_probability, (1 - r) * recontact_probability)``, where ``r``
    is the lowest first-contact resolution of any pool's agents (an agent three
    standard deviations of skill below the mean). With at most ``m = max_contacts``
    that is ``(1 - q^m) / (1 - q)`` contacts (``m`` when ``q = 1``).
    """
    resolution = min(
        float(pool.resolve_probability(max(pool.skill.mean - 3 * pool.skill.sd, 0.0)))
        for pool in scenario.pools.values()
    )
    unresolved = min(1.0, max(0.0, 1.0 - resolution))
    total = 0.0
    for segment in scenario.segments.values():
        q = max(segment.retry_probability, unresolved * segment.recontact_probability)
        m = segment.max_contacts
        total += segment.share * (m if q >= 1 else (1 - q**m) / (1 - q))
    return total


def estimate_scenario(
    scenario: Scenario,
    replications: int | None = None,
    *,
    workers: int = 1,
    keep_records: bool = True,
) -> Workload:
    """The work and peak memory of running ``scenario`` (as :func:`run_scenario` does).

    Parameters
    ----------
    replications
        Replications (default: the scenario's ``run.replications``).
    workers
        Replications running at once (worker processes); each holds one in memory.
    keep_records
        Whether every replication's record tables are kept until the end (as
        :func:`peakend.runs.runner.run_scenario` does). A multi-period replication
        without them streams its records (a day's frames at a time, see
        :func:`peakend.retention.multiperiod.run_periods`'s ``emit``); with them it
        holds every visit's while it runs.
    """
    count = scenario.run.replications if replications is None else replications
    return _workload([scenario], count, workers, keep_records)


def estimate_experiment(
    scenarios: Sequence[Scenario],
    replications: int,
    *,
    workers: int = 1,
    keep_records: bool = False,
) -> Workload:
    """The work and peak memory of running ``replications`` of each of ``scenarios``.

    ``keep_records``: whether the record tables of every replication are kept (an
    experiment's ``keep_records``); otherwise only one row of metrics each.
    """
    return _workload(list(scenarios), replications, workers, keep_records)


def estimate_record_bytes(scenario: Scenario) -> float:
    """Bytes of one replication's record frames (customers or visits, and contacts) in
    memory: what a multi-period replication that streams its records does not hold."""
    return _cost(scenario).record_bytes


def check_budget(
    workload: Workload, memory_budget_bytes: float | None = None, source: str = ""
) -> None:
    """Refuse a run whose estimated peak memory exceeds the budget.

    ``source`` (a file name) starts the message when given.

    Raises
    ------
    BudgetError
        (a :class:`ConfigError`) with the estimate and the budget in one line.
    ValueError
        If ``memory_budget_bytes`` is not a positive number.
    """
    budget = DEFAULT_MEMORY_BUDGET_BYTES if memory_budget_bytes is None else memory_budget_bytes
    if isinstance(budget, bool) or not budget > 0:
        raise ValueError(f"memory_budget_bytes must be a positive number, got {budget!r}")
    if workload.peak_bytes > budget:
        where = f"{source}: " if source else ""
        raise BudgetError(
            f"{where}too big to run: {workload.describe()}, above the memory budget of "
            f"{format_bytes(budget)} (memory_budget_bytes); make the scenario smaller "
            "(fewer intervals, lower rates, fewer replications or workers) or raise the budget"
        )


def check_grid_size(scenarios: int, max_scenarios: int | None = None, what: str = "sweep") -> None:
    """Warn about an experiment with many scenarios and refuse one above ``max_scenarios``.

    ``what`` names the experiment in messages (``sweep``, ``comparison``).

    Raises
    ------
    BudgetError
        Above ``max_scenarios`` (default :data:`MAX_GRID_SCENARIOS`).
    """
    cap = MAX_GRID_SCENARIOS if max_scenarios is None else max_scenarios
    if scenarios > cap:
        raise BudgetError(
            f"the {what} has {scenarios:,} scenarios, more than the limit of {cap:,} "
            "(max_scenarios); use fewer factors, levels or variants, or raise the limit"
        )
    if scenarios > GRID_WARNING_SCENARIOS:
        warnings.warn(
            f"the {what} has {scenarios:,} scenarios (more than {GRID_WARNING_SCENARIOS:,})",
            LargeGridWarning,
            stacklevel=2,
        )


def format_bytes(count: float) -> str:
    """``3.2 GiB``: a byte count in binary units."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(text: str) -> int:
    """Bytes from ``"8GiB"``, ``"8G"``, ``"500MB"``, ``"2.5 GiB"`` or ``"1000000"``.

    ``K``, ``M``, ``G`` and ``T`` with ``i`` (``GiB``) are powers of 1024, without
    (``GB``, ``G``) powers of 1000.

    Raises
    ------
    ValueError
        For anything else, or a size that is not positive.
    """
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([kKmMgGtT]?)(i?)[bB]?\s*", text)
    if match is None:
        raise ValueError(f"expected a size such as 8GiB, 500MB or 1000000, got {text!r}")
    number, prefix, binary = match.groups()
    power = "kmgt".find(prefix.lower()) + 1 if prefix else 0
    size = float(number) * (1024**power if binary else _UNITS[prefix.lower()])
    if not size >= 1:
        raise ValueError(f"a size must be at least 1 byte, got {text!r}")
    return int(size)


# ------------------------------------------------------------------ internals


@dataclass(frozen=True)
class _Cost:
    """What one replication of one scenario takes."""

    visits: float
    contacts: float
    run_bytes: float
    """Peak bytes while it runs, but for a single day's block of records."""
    record_bytes: float
    """Bytes of its record tables once it has run."""
    seconds: float
    held_bytes: float = 0.0
    """Bytes of record frames a worker holds at the end of the replication when its
    records are kept and not already in ``run_bytes`` (a multi-period replication's,
    twice: the days' frames and their concatenation)."""
    day_bytes: float = 0.0
    """A multi-period replication's busiest day (in ``run_bytes``): gone by the end,
    when held records are concatenated."""
    block_bytes: float = 0.0
    """Bytes of the block of customers whose records a single day is making (a
    multi-period day's are in ``run_bytes``), freed before the replication ends."""

    def running_bytes(self, keep_records: bool) -> float:
        """Peak bytes while it runs, besides its kept records: a held multi-period
        replication's records peak (twice, counted as kept) at its end, when its last
        day is gone, so the day and the records' second copy do not add up."""
        if keep_records:
            return self.run_bytes - min(self.day_bytes, self.record_bytes)
        return self.run_bytes


def _cost(scenario: Scenario) -> _Cost:
    visits, busiest_day = _visits(scenario)
    per_contact = contacts_per_customer(scenario)
    contacts = visits * per_contact
    records = visits * _KEPT_BYTES_PER_CUSTOMER + contacts * _KEPT_BYTES_PER_CONTACT
    day = _run_bytes(scenario, busiest_day)
    held = records  # a worker holds a single day's frames to send them
    if scenario.retention.periods > 1:
        # The records of a multi-period replication, held or not, are counted as kept
        # (_workload); while it runs it holds at least the busiest day's frames.
        frame_bytes = _PERIOD_BYTES_PER_VISIT + per_contact * _PERIOD_BYTES_PER_CONTACT
        records = visits * frame_bytes
        day += busiest_day * frame_bytes
        held = 2 * records
    run_bytes = day + _population_bytes(scenario)
    days = scenario.retention.periods * scenario.retention.days_per_period
    seconds = (
        contacts * _SECONDS_PER_CONTACT
        + scenario.intervals * len(scenario.pools) * days * _SECONDS_PER_INTERVAL_AND_POOL
        + _population(scenario) * days * _SECONDS_PER_MEMBER_AND_PERIOD
    )
    block = _block_bytes(scenario, busiest_day)
    if scenario.retention.periods == 1:
        return _Cost(visits, contacts, run_bytes, records, seconds, held, block_bytes=block)
    return _Cost(visits, contacts, run_bytes, records, seconds, held, day)


def _workload(
    scenarios: list[Scenario], replications: int, workers: int, keep_records: bool
) -> Workload:
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if not scenarios:
        raise ValueError("nothing to estimate: no scenarios")
    costs = [_cost(scenario) for scenario in scenarios]
    kept = replications * sum(
        cost.record_bytes if keep_records else _BYTES_PER_METRIC_ROW for cost in costs
    )
    in_flight = min(workers, replications * len(scenarios))
    processes = 1 + (in_flight if in_flight > 1 else 0)  # the caller and its workers
    # Every process holds the replayed arrivals of the scenarios it runs.
    replays = [_replay_bytes(scenario) for scenario in scenarios]
    workers_in_flight = in_flight if in_flight > 1 else 0
    # A worker holding its replication's records until it sends them (a multi-period
    # replication's twice; the caller's own replication is in ``kept``).
    held = max(cost.held_bytes for cost in costs) if keep_records else 0.0
    block = max(cost.block_bytes for cost in costs)
    # Kept records are concatenated into one table at the end (twice their bytes), but
    # for a single day's one replication, whose frames are the table; in a single
    # process that happens after its last block of records is made and freed.
    one_table = replications * len(scenarios) == 1 and scenarios[0].retention.periods == 1
    kept_at_end = kept if one_table else 2 * kept
    made_and_kept = max(block, kept_at_end) if in_flight == 1 else in_flight * block + kept_at_end
    peak = (
        processes * _BASE_BYTES
        + sum(replays)
        + workers_in_flight * (max(replays) + held)
        + in_flight * max(cost.running_bytes(keep_records) for cost in costs)
        + made_and_kept
        + len(scenarios) * _BYTES_PER_SCENARIO
    )
    return Workload(
        customers=sum(cost.visits for cost in costs),
        contacts=sum(cost.contacts for cost in costs),
        replications=replications,
        scenarios=len(scenarios),
        peak_bytes=peak,
        cpu_seconds=replications * sum(cost.seconds for cost in costs),
    )


def _visits(scenario: Scenario) -> tuple[float, float]:
    """Expected customers of the whole replication, and of its busiest day."""
    day = expected_customers(scenario)
    periods = scenario.retention.periods
    if periods == 1:
        return day, day
    retention = scenario.retention
    if retention.steady:
        # Newcomers replace the leavers, and their first contacts are part of the profile.
        steady = [day * load for load in retention.day_loads]
        return periods * math.fsum(steady), max(steady)
    grown = retention.population + periods * _acquisition(scenario, day)
    days = [min(day * load * grown / retention.population, grown) for load in retention.day_loads]
    per_period = math.fsum(days)
    # Newcomers make a first contact in the period they join: the acquired ones, and
    # at most what every visit's word of mouth converts.
    tell = max(retention.satisfied_tell_mean, retention.advocate_tell_mean)
    referrals = per_period * tell * retention.referral_conversion
    newcomers = (periods - 1) * (_acquisition(scenario, day) + referrals)
    return periods * per_period + newcomers, max(days)


def _acquisition(scenario: Scenario, day: float) -> float:
    """Newcomers per period. A steady base replaces what it loses: the visitors who do
    not come back, estimated at the return models' anchor (``baseline_retention``, the
    lowest of the segments'), and the quiet customers who leave (``background_churn``).
    Measured on ``benchmarks/contact_centre_year_1000.toml``: about 96,000 newcomers a
    week, estimated at 99,000."""
    retention = scenario.retention
    if retention.acquisition_per_period == "steady":
        period = day * math.fsum(retention.day_loads)
        kept = min(
            (segment.returns or retention.returns).baseline_retention
            for segment in scenario.segments.values()
        )
        return period * (1 - kept) + retention.background_churn * retention.population
    return float(retention.acquisition_per_period)


def _run_bytes(scenario: Scenario, customers: float) -> float:
    """Peak bytes of one simulated day with ``customers`` customers."""
    contacts = customers * contacts_per_customer(scenario)
    if scenario.retention.periods == 1:  # records made a block of customers at a time
        per = customers * _DAY_BYTES_PER_CUSTOMER + contacts * _DAY_BYTES_PER_CONTACT
    elif scenario.experience.enabled:
        per = customers * _RUN_BYTES_PER_CUSTOMER + contacts * _RUN_BYTES_PER_CONTACT
    else:
        per = (
            customers * _RUN_BYTES_PER_CUSTOMER_NO_EXPERIENCE
            + contacts * _RUN_BYTES_PER_CONTACT_NO_EXPERIENCE
        )
    agents = sum(max(max(roster) for roster in pool.rosters()) for pool in scenario.pools.values())
    intervals = scenario.intervals * len(scenario.pools)
    return per + agents * _BYTES_PER_AGENT + intervals * _BYTES_PER_INTERVAL_AND_POOL


def _block_bytes(scenario: Scenario, customers: float) -> float:
    """Peak bytes of making one block of a single day's records (0 for a multi-period
    day, made whole: :func:`_run_bytes`)."""
    if scenario.retention.periods > 1:
        return 0.0
    block = _BLOCK_BYTES_PER_CUSTOMER
    if not scenario.experience.enabled:
        block = _BLOCK_BYTES_PER_CUSTOMER_NO_EXPERIENCE
    return min(customers, _CUSTOMER_BLOCK) * block


def _population(scenario: Scenario) -> float:
    """Identified customers of a multi-period run, grown by acquisition (0 for one day)."""
    retention = scenario.retention
    if retention.periods == 1:
        return 0.0
    periods = retention.periods + retention.warmup_periods
    return retention.population + periods * _acquisition(scenario, expected_customers(scenario))


def _population_bytes(scenario: Scenario) -> float:
    return _population(scenario) * _BYTES_PER_POPULATION_MEMBER


def _count(value: float) -> str:
    return f"{value:,.0f}" if value < 1e6 else f"{value:.2g}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:,.0f} days"
