"""The scenario schema: one typed, frozen description of a service system.

Every default lives here. Scenario files (TOML) load into :class:`Scenario`
through :mod:`peakend.config.loading`, which turns validation failures into messages
that name the file and the key path. Units: minutes for every duration, money
in one currency of the user's choice, probabilities in [0, 1]. A duration may
also be written with a unit, ``"20s"``, ``"4min"``, ``"1.5h"``
(:mod:`peakend.config.durations`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from peakend.base import plugins
from peakend.base.distributions import Exponential, Fixed
from peakend.base.errors import listing
from peakend.base.names import MAX_NAME_LENGTH
from peakend.config.clock import parse_clock
from peakend.config.days import check_date, check_day_key, roster_of_day
from peakend.config.durations import Minutes, MinutesDistribution

__all__ = [
    "MAX_AGENTS_PER_INTERVAL",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_INTERVALS",
    "MAX_SEED",
    "ArrivalsConfig",
    "AttributeConfig",
    "ChannelConfig",
    "ExperienceConfig",
    "IvrConfig",
    "RecoveryConfig",
    "RetentionConfig",
    "ReturnModelConfig",
    "ServicePolicyConfig",
    "PoolConfig",
    "RunConfig",
    "Scenario",
    "SegmentConfig",
    "day_agent_hours",
    "day_staff_cost",
]


MAX_SEED = 2**63 - 1
"""Largest root seed: TOML integers (and the int64 columns seeds are stored in) are
signed 64-bit, so a resolved config with a larger seed could not be read back."""

MAX_INTERVALS = 100_000
"""Most arrival/staffing intervals (a year of 5-minute intervals)."""

MAX_AGENTS_PER_INTERVAL = 100_000
MAX_CONCURRENCY = 20
"""Most contacts one agent of a chat pool handles at once."""
DEFAULT_CHAT_SLOWDOWN = 0.25
"""Share by which each extra open chat slows every chat of an agent, unless a config says."""
DEFAULT_SKILL_EFFECT = 3.0
"""Log-odds of resolution per unit of agent skill (an assumption, ``docs/parameters.md``)."""
"""Most agents one pool schedules in an interval (the largest contact centres have a few
thousand); every agent slot is simulated, so this bounds the engine's memory."""

MAX_NAMED_ENTRIES = 1_000
"""Most segments, channels or pools."""

MAX_DESCRIPTION_LENGTH = 10_000
"""Longest description of a scenario, an experiment or a variant (characters)."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH)]
"""A name of a segment, pool or channel: any characters, 1 to 128 of them (names are data:
:mod:`peakend.base.names` shows them escaped wherever they are printed or drawn)."""


def day_agent_hours(staffing: Sequence[int], interval_minutes: float) -> float:
    """Agent-hours of a day's schedule: agents scheduled per interval times its length."""
    return sum(staffing) * (interval_minutes / 60)


def day_staff_cost(staffing: Sequence[int], interval_minutes: float, cost_per_hour: float) -> float:
    """Staff cost of a day's schedule, the one place it is computed: its agent-hours
    (:func:`day_agent_hours`) at ``cost_per_hour`` (money)."""
    return day_agent_hours(staffing, interval_minutes) * cost_per_hour


class _Model(BaseModel):
    # defer_build: each model's validator is built when it first validates, not when
    # the module is imported (a command that loads one scenario builds only what it
    # reaches, about 60 ms less start-up: docs/benchmarks.md, "Fixed costs").
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class RunConfig(_Model):
    """How one scenario is run: horizon handling, replications, seed, statistics window."""

    replications: int = Field(
        10,
        ge=1,
        le=100_000,
        description="independent replications; intervals are over these",
        json_schema_extra={"source": "setting"},
    )
    seed: int = Field(
        0,
        ge=0,
        le=MAX_SEED,
        description="root seed of the numpy SeedSequence, 0 to 2**63 - 1",
        json_schema_extra={"source": "setting"},
    )
    warmup_minutes: Minutes = Field(
        0.0,
        ge=0,
        description="customers arriving before this are not counted",
        json_schema_extra={"source": "setting"},
    )
    drain: bool = Field(
        True,
        description="after the last interval, keep the last shift on until the queue is empty "
        "(no new arrivals, retries or repeat contacts); false cuts the run at the horizon",
        json_schema_extra={"source": "setting"},
    )
    service_level_threshold_minutes: Minutes = Field(
        1 / 3,
        gt=0,
        description="answered within this wait counts towards the service level",
        json_schema_extra={
            "source": "setting (the industry's common 80/20 target)",
            "shown": "1/3 (20 s)",
        },
    )
    service_level_target: float = Field(
        0.8,
        gt=0,
        lt=1,
        description="share to answer within the threshold: the Erlang C and Erlang A agents "
        "required per interval (intervals.csv) are sized for it",
        json_schema_extra={"source": "setting"},
    )
    opens_at: str = Field(
        "00:00",
        description="clock time 'HH:MM' at which the day (minute 0) starts; tables and plots "
        "show clock times",
        json_schema_extra={"source": "setting"},
    )

    start_date: str | None = Field(
        None,
        description="calendar date 'YYYY-MM-DD' of day 0: the day a single-day run simulates, "
        "the first day of period 0 of a multi-period run; it picks each day's roster from "
        "pools.*.staffing_by_day and a replayed day from arrivals.times_date; unset: no calendar",
        json_schema_extra={"source": "setting"},
    )

    @field_validator("opens_at")
    @classmethod
    def _clock_time(cls, text: str) -> str:
        parse_clock(text)
        return text

    @field_validator("start_date")
    @classmethod
    def _iso_date(cls, text: str | None) -> str | None:
        if text is not None:
            check_date(text)
        return text


class ArrivalsConfig(_Model):
    """Poisson arrivals with a piecewise-constant time-of-day rate profile."""

    interval_minutes: Minutes = Field(
        30.0,
        gt=0,
        allow_inf_nan=False,
        description="length of an arrival and staffing interval",
        json_schema_extra={"source": "setting"},
    )
    rate_per_hour: tuple[float, ...] = Field(
        min_length=1,
        max_length=MAX_INTERVALS,
        description="arrival rate in each interval, customers per hour",
        json_schema_extra={"source": "setting"},
    )

    times: tuple[float, ...] = Field(
        (),
        description=(
            "replayed arrival times, minutes since opening (read from "
            "`arrivals.times_file`, a CSV with a `minutes` column); the customers "
            "arrive exactly then"
        ),
        json_schema_extra={"source": "setting (data)"},
    )
    times_segment: tuple[str, ...] = Field(
        (),
        description=(
            "the segment of each replayed arrival (a `segment` column); else drawn by the shares"
        ),
        json_schema_extra={"source": "setting (data)"},
    )
    times_customer: tuple[Name, ...] = Field(
        (),
        description="the customer id of each replayed arrival (a times file's customer "
        "column): arrivals with the same id are one customer, a later one a redial (a retry "
        "after an abandoned contact, else a repeat contact), with one memory of them all; "
        "empty: every arrival is a customer of its own",
        json_schema_extra={"source": "setting (data)"},
    )
    times_date: tuple[str, ...] = Field(
        (),
        description="the date 'YYYY-MM-DD' of each replayed arrival (a times file's date "
        "column), a replay of several days: the run simulates the arrivals of run.start_date; "
        "empty: the times are one day's",
        json_schema_extra={"source": "setting (data)"},
    )

    @field_validator("times_date")
    @classmethod
    def _dates(cls, dates: tuple[str, ...]) -> tuple[str, ...]:
        for text in dict.fromkeys(dates):  # each date once, in order
            try:
                check_date(text)
            except ValueError as error:
                raise ValueError(f"arrival {dates.index(text)}: {error}") from None
        return dates

    @field_validator("rate_per_hour")
    @classmethod
    def _rates_non_negative(cls, rates: tuple[float, ...]) -> tuple[float, ...]:
        for i, rate in enumerate(rates):
            if not (rate >= 0 and math.isfinite(rate)):
                raise ValueError(f"rate of interval {i} must be a finite number >= 0, got {rate}")
        return rates


class AttributeConfig(_Model):
    """A per-agent attribute on [0, 1], drawn as a normal clipped to [0, 1]."""

    mean: float = Field(0.7, ge=0, le=1)
    sd: float = Field(0.1, ge=0, allow_inf_nan=False)


class StageConfig(_Model):
    """A stage that only some customers visit: a route taken with a probability."""

    pool: str = Field(description="the pool of the stage")
    probability: float = Field(
        1.0, ge=0, le=1, description="share of the segment's customers who visit it"
    )


def _stage_kind(value: object) -> str | None:
    if isinstance(value, str):
        return "stage-name"
    if isinstance(value, (dict, StageConfig)):
        return "stage-table"
    return None


STAGE_TAGS = ("stage-name", "stage-table")
"""Tags of the two forms of a stage; pydantic puts them into error locations."""

Stage = Annotated[
    Annotated[str, Tag("stage-name")] | Annotated[StageConfig, Tag("stage-table")],
    Discriminator(
        _stage_kind,
        custom_error_type="stage",
        custom_error_message="a stage is a pool name or a table { pool, probability }",
    ),
]


class IvrConfig(_Model):
    """An IVR (self-service menus) that each contact a customer starts goes through first.

    The customer spends ``minutes`` there, then leaves (``leave_probability``),
    finishes in self-service (``self_service_probability``) or queues for an agent.
    """

    minutes: MinutesDistribution = Field(description="time spent in the IVR, whatever the ending")
    leave_probability: float = Field(
        0.0, ge=0, le=1, description="share who hang up in the IVR (abandoned, no retry)"
    )
    self_service_probability: float = Field(
        0.0, ge=0, le=1, description="share who finish in self-service (resolved, no agent)"
    )

    @field_validator("minutes")
    @classmethod
    def _ends(cls, minutes: Any) -> Any:
        _check_finite_mean(minutes, "a stay in the IVR")
        return minutes

    @model_validator(mode="after")
    def _shares(self) -> IvrConfig:
        total = self.leave_probability + self.self_service_probability
        if total > 1 + 1e-12:
            raise ValueError(
                f"leave_probability + self_service_probability must be at most 1, got {total:.6g}"
            )
        return self


class SegmentConfig(_Model):
    """A customer segment: its share of arrivals and how its customers behave."""

    share: float = Field(
        gt=0,
        le=1,
        description="share of arrivals; shares must sum to 1",
        json_schema_extra={
            "source": "setting",
            "shown": "required (one segment `customers` with share 1 by default)",
        },
    )
    patience: MinutesDistribution = Field(
        default_factory=lambda: Fixed(value=math.inf),
        description="time a customer is willing to wait in a queue before abandoning",
        json_schema_extra={"source": "setting (measure it: abandonment data)"},
    )
    expected_wait_minutes: Minutes = Field(
        1.0,
        ge=0,
        allow_inf_nan=False,
        description="the reference point of a wait",
        json_schema_extra={"source": "assumption"},
    )
    value_per_visit: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="money earned per served visit (a purchase: a restaurant bill, a clinic "
        "fee), multi-period runs; 0: a contact earns nothing by itself (a service line)",
        json_schema_extra={
            "source": (
                "setting (shipped: restaurant 90 a party, an assumption; clinic 30, the "
                "French GP consultation fee; see [economics](model/economics.md))"
            )
        },
    )
    value_per_period: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="money earned per customer still active at the end of each period (a "
        "relationship margin: a bank account, a subscription), multi-period runs",
        json_schema_extra={
            "source": (
                "setting (shipped bank and two-skill centre: 2.50 a week regular, 10 "
                "premium, an assumption; see [economics](model/economics.md))"
            )
        },
    )
    retry_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description="after giving up, try again",
        json_schema_extra={"source": "setting"},
    )
    retry_delay: MinutesDistribution = Field(
        default_factory=lambda: Exponential(mean_minutes=10.0),
        description="when",
        json_schema_extra={"source": "setting"},
    )
    recontact_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description=("an unresolved customer contacts again (also after finding a hidden defect)"),
        json_schema_extra={"source": "setting"},
    )
    recontact_delay: MinutesDistribution = Field(
        default_factory=lambda: Exponential(mean_minutes=60.0),
        description="when",
        json_schema_extra={"source": "setting"},
    )
    max_contacts: int = Field(
        5,
        ge=1,
        le=100,
        description="contacts (first, retries, repeats) a customer makes at most",
        json_schema_extra={"source": "setting"},
    )
    entry_pool: str | None = Field(
        None,
        description="pool that takes this segment's contacts; default: the first pool",
        json_schema_extra={"source": "setting", "shown": "the first pool"},
    )
    expected_quality: float = Field(
        0.6,
        ge=0,
        le=1,
        description="service quality (0-1) the customer expects: the reference point",
        json_schema_extra={"source": "assumption"},
    )
    failure_severity: float = Field(
        4.0,
        ge=0,
        allow_inf_nan=False,
        description="size of an unresolved problem, utility points",
        json_schema_extra={"source": "assumption"},
    )
    returns: ReturnModelConfig | None = Field(
        None,
        description="this segment's return model, replacing retention.returns for its customers; "
        "a complete model: keys not given take the schema defaults, not retention.returns's",
        json_schema_extra={"source": "setting", "shown": "none (use `retention.returns`)"},
    )
    priority: int = Field(
        0,
        ge=0,
        le=100,
        description="queue priority, 0 first: a waiting customer of a lower number is answered "
        "before one of a higher number (non-preemptive: a service under way is never cut)",
        json_schema_extra={"source": "setting"},
    )
    ivr: IvrConfig | None = Field(
        None,
        description="an IVR / self-service stage before the queue, for every contact the "
        "customer starts (first, retry, repeat contact; not callbacks, transfers or stages): "
        "{ minutes = <distribution>, leave_probability, self_service_probability } (both 0 "
        "by default, their sum at most 1): the customer hangs up (abandoned, no retry), serves "
        "itself (resolved, no agent) or queues; the IVR's time is felt as a wait of its own "
        "and a self-service ends on a neutral moment (assumptions, docs/model/moment-utility.md); "
        "unset: none",
        json_schema_extra={"source": "setting (measure it: the IVR's log)"},
    )
    stages: tuple[Stage, ...] = Field(
        (),
        max_length=50,
        description="pools the customer visits after the entry pool, in order, each with its "
        "own queue and service (a restaurant: seat, order, food, bill); empty: one contact. "
        "A stage is a pool name, or { pool, probability } for a stage only some customers "
        "visit (the others go on to the next)",
        json_schema_extra={"source": "setting"},
    )

    @property
    def stage_rules(self) -> tuple[tuple[str, float], ...]:
        """``(pool, probability)`` of each stage after the entry pool."""
        return tuple(
            (stage, 1.0) if isinstance(stage, str) else (stage.pool, stage.probability)
            for stage in self.stages
        )


class VirtualHoldConfig(_Model):
    """Virtual hold: a callback that keeps the customer's place in the queue."""

    enabled: bool = Field(
        False,
        description=(
            "told an expected wait above the threshold, callers may take a callback "
            "that keeps their place"
        ),
        json_schema_extra={"source": "setting"},
    )
    threshold_minutes: Minutes = Field(
        5.0,
        ge=0,
        allow_inf_nan=False,
        description="expected wait above which the callback is offered",
        json_schema_extra={"source": "setting"},
    )
    acceptance: float = Field(
        0.6,
        ge=0,
        le=1,
        description="share of customers offered a callback who take it",
        json_schema_extra={"source": "assumption (measure it)"},
    )


class BalkingConfig(_Model):
    """Announced waits that make some customers leave at once."""

    enabled: bool = Field(
        False,
        description="told the expected wait, some customers leave at once",
        json_schema_extra={"source": "setting"},
    )
    scale_minutes: Minutes = Field(
        10.0,
        gt=0,
        allow_inf_nan=False,
        description="a customer told of an expected wait w leaves at once with probability "
        "1 - exp(-w / scale_minutes)",
        json_schema_extra={"source": "assumption"},
    )


class ChannelConfig(_Model):
    """A contact channel (phone, chat, e-mail, social) with its own expectations."""

    share: float = Field(
        gt=0,
        le=1,
        description="share of contacts; shares must sum to 1",
        json_schema_extra={
            "source": "setting",
            "shown": "required (one channel `phone` with share 1 by default)",
        },
    )
    expected_wait_minutes: Minutes | None = Field(
        None,
        ge=0,
        allow_inf_nan=False,
        description=(
            "expected wait on this channel (on social media many customers expect an "
            "answer within 30–60 minutes, on the phone within a few)"
        ),
        json_schema_extra={"source": "setting", "shown": "the segment's"},
    )
    entry_pool: str | None = Field(
        None,
        description="pool that answers this channel",
        json_schema_extra={"source": "setting", "shown": "the segment's"},
    )
    announces_wait: bool = Field(
        False,
        description="position or expected-wait messages: the wait feels occupied",
        json_schema_extra={"source": "setting"},
    )
    patience_factor: float = Field(
        1.0,
        gt=0,
        allow_inf_nan=False,
        description="patience on this channel, times the segment's",
        json_schema_extra={"source": "setting"},
    )
    virtual_hold: VirtualHoldConfig = Field(default_factory=VirtualHoldConfig)
    balking: BalkingConfig = Field(default_factory=BalkingConfig)


class StressConfig(_Model):
    """Agents grow colder under sustained load (emotional labour; an assumption).

    An agent's recent occupancy is its busy share, exponentially weighted over
    ``window_minutes``. Above ``threshold`` the warmth it shows falls linearly:
    ``warmth * (1 - sensitivity * (occupancy - threshold) / (1 - threshold))``.
    """

    enabled: bool = Field(
        False,
        description="agents grow colder under sustained load",
        json_schema_extra={
            "source": "direction published (emotional labour and burnout); off by default"
        },
    )
    threshold: float = Field(
        0.75,
        ge=0,
        lt=1,
        description="recent occupancy up to which warmth holds",
        json_schema_extra={"source": "assumption"},
    )
    sensitivity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of warmth lost at full occupancy",
        json_schema_extra={"source": "assumption"},
    )
    window_minutes: Minutes = Field(
        60.0,
        gt=0,
        allow_inf_nan=False,
        description="memory of the recent load",
        json_schema_extra={"source": "assumption"},
    )


class OverflowRule(_Model):
    """One routing rule: after a wait, another pool's agents may take the contact too."""

    pool: str = Field(description="the pool whose agents may take the contact")
    after_minutes: Minutes = Field(
        ge=0, description="how long the contact has waited before they may (0: at once)"
    )


class PoolConfig(_Model):
    """A staff pool: its schedule, absenteeism, service times and agent attributes."""

    staffing: tuple[int, ...] = Field(
        min_length=1,
        max_length=MAX_INTERVALS,
        description="agents scheduled in each arrival interval",
        json_schema_extra={"source": "setting"},
    )
    service_time: MinutesDistribution = Field(
        default_factory=lambda: Exponential(mean_minutes=5.0),
        description="handling time",
        json_schema_extra={"source": "setting"},
    )
    service_time_by_segment: dict[Name, MinutesDistribution] = Field(
        default_factory=dict,
        max_length=MAX_NAMED_ENTRIES,
        description="service time of the contacts of a segment (a contact type) at this pool, "
        'e.g. { vip = { distribution = "lognormal", mean = 4, cv = 1.1 } }; segments not '
        "listed draw from service_time",
        json_schema_extra={"source": "setting (measure it: handling times by type)"},
    )
    service_time_factor: tuple[float, ...] = Field(
        (),
        max_length=MAX_INTERVALS,
        description="multiplier of the service time in each interval (one per interval, > 0), "
        "by the interval in which a service starts (after the horizon: the last one's); "
        "empty: 1 all day",
        json_schema_extra={"source": "setting"},
    )
    staffing_by_day: dict[str, tuple[int, ...]] = Field(
        default_factory=dict,
        max_length=400,
        description="rosters by weekday (mon ... sun) or date ('YYYY-MM-DD'), each one value "
        "per interval like staffing; a date beats a weekday, a day with neither has staffing. "
        "Needs run.start_date. staffing*= overrides scale staffing only",
        json_schema_extra={"source": "setting"},
    )
    absenteeism: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="probability that a rostered agent is absent all day",
        json_schema_extra={"source": "setting"},
    )
    absence_correlation: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="day-level absence shock (a flu wave, a snow day): each day's absence rate "
        "is drawn from a Beta with mean absenteeism and this intra-class correlation between "
        "two agents' absences (the beta-binomial model of over-dispersed counts); 0: each agent "
        "absent independently with probability absenteeism. An assumption to calibrate from "
        "daily absence counts",
        json_schema_extra={
            "source": "assumption (the form: the beta-binomial model of over-dispersed counts, "
            "Skellam 1948; calibrate it from daily absence counts)"
        },
    )
    absence_group: str | None = Field(
        None,
        max_length=MAX_NAME_LENGTH,
        description="pools with the same group (a site) share each day's absence shock (the "
        "same quantile of their Beta); default: the pool's own shock",
        json_schema_extra={"source": "setting"},
    )
    first_contact_resolution: float = Field(
        1.0,
        ge=0,
        le=1,
        description="resolution probability of an agent of reference skill",
        json_schema_extra={"source": "setting (measure it)"},
    )
    skill_effect: float = Field(
        DEFAULT_SKILL_EFFECT,
        ge=0,
        le=50,
        allow_inf_nan=False,
        description="log-odds of resolution gained per unit of agent skill above "
        "skill_reference (a Rasch-type logistic: training the team, a higher skill.mean, "
        f"raises resolution; 0: skill does nothing); default {DEFAULT_SKILL_EFFECT}, an "
        "assumption: at a resolution of 0.8, 0.1 more skill resolves about 4 points more",
        json_schema_extra={"source": "assumption (the form: Rasch 1960)"},
    )
    skill_reference: float = Field(
        0.7,
        ge=0,
        le=1,
        description="the skill at which an agent resolves with first_contact_resolution: a "
        "fixed point of the skill scale, not the pool's own mean",
        json_schema_extra={"source": "assumption"},
    )
    warmth: AttributeConfig = Field(
        default_factory=AttributeConfig,
        description="agents' warmth, normal clipped to [0, 1]",
        json_schema_extra={"source": "assumption"},
    )
    skill: AttributeConfig = Field(
        default_factory=AttributeConfig,
        description="agents' skill, normal clipped to [0, 1]",
        json_schema_extra={"source": "assumption"},
    )
    failure_noticed_later_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description="an unresolved problem is noticed only later (the wrong ticket found at the "
        "gate): the service feels fine and the shock comes when the customer finds out",
        json_schema_extra={"source": "setting"},
    )
    agent_cost_per_hour: float = Field(
        30.0,
        ge=0,
        allow_inf_nan=False,
        description="cost of a rostered agent-hour",
        json_schema_extra={
            "source": "setting (shipped: each pool's hourly pay and on-costs, an assumption; "
            "see [economics](model/economics.md))"
        },
    )
    stress: StressConfig = Field(default_factory=lambda: StressConfig())
    breaks: tuple[int, ...] = Field(
        (),
        description="agents on a break, lunch or meeting in each interval (intraday shrinkage, "
        "taken from those present); empty: none",
        json_schema_extra={"source": "setting"},
    )
    transfer_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description="a contact the agent passes on to transfer_to after hearing the problem "
        "(the runaround): queued again, explained again",
        json_schema_extra={"source": "setting (measure it)"},
    )
    transfer_to: str | None = Field(
        None,
        description="the pool that takes transferred contacts",
        json_schema_extra={"source": "setting"},
    )
    overflow_to: str | None = Field(
        None,
        description="a second pool whose agents also take this pool's contacts once they have "
        "waited overflow_after_minutes (multi-skill routing: chat agents who take calls)",
        json_schema_extra={"source": "setting"},
    )
    overflow_after_minutes: Minutes = Field(
        math.inf,
        ge=0,
        description="wait before a contact overflows (0: at once; inf: never)",
        json_schema_extra={"source": "setting", "shown": "inf (never)"},
    )
    overflow: tuple[OverflowRule, ...] = Field(
        (),
        max_length=50,
        description="routing in order: after each rule's wait, its pool's agents may also take "
        "this pool's contacts (e.g. the chat team after 0.5 minutes, the back office after "
        "3); the first to answer serves. The one-pool shorthand is overflow_to",
        json_schema_extra={"source": "setting"},
    )
    concurrency: int | None = Field(
        None,
        ge=1,
        le=MAX_CONCURRENCY,
        description="a chat pool: each agent handles up to this many contacts at once "
        "(unset: one contact at a time, as on the phone; 1: a chat pool that behaves exactly "
        "like the phone)",
        json_schema_extra={"source": "setting", "shown": "none (one contact at a time)"},
    )
    concurrency_slowdown: float | None = Field(
        None,
        ge=0,
        le=10,
        allow_inf_nan=False,
        description="with concurrency: every chat an agent has open slows each of its chats "
        "by this share (n open chats each progress at 1 / (1 + slowdown (n - 1)) of full "
        f"speed); unset: {DEFAULT_CHAT_SLOWDOWN}, an assumption, not a published value",
        json_schema_extra={
            "source": (
                "assumption (the direction is the finding of chat-centre studies, e.g. "
                "Tezcan & Zhang 2014; measure your own handle times at 1, 2 and 3 chats)"
            ),
            "shown": "0.25 (chat pools only)",
        },
    )

    @model_validator(mode="after")
    def _slowdown_needs_chats(self) -> PoolConfig:
        if self.concurrency is None and self.concurrency_slowdown is not None:
            raise ValueError(
                "concurrency_slowdown applies to a chat pool only: set concurrency "
                "(the contacts an agent handles at once) as well"
            )
        return self

    @property
    def overflow_rules(self) -> tuple[tuple[str, float], ...]:
        """``(pool, after_minutes)`` of each routing rule: ``overflow``, or ``overflow_to``."""
        if self.overflow:
            return tuple((rule.pool, rule.after_minutes) for rule in self.overflow)
        if self.overflow_to is not None:
            return ((self.overflow_to, self.overflow_after_minutes),)
        return ()

    def resolve_probability(self, skill: npt.ArrayLike) -> np.ndarray:
        """Probability that an agent of each ``skill`` (on [0, 1]) resolves a problem.

        ``logit P = logit(first_contact_resolution) + skill_effect * (skill -
        skill_reference)``: skill moves the log-odds of success, as ability does in
        the Rasch model (Rasch 1960), so an agent of the reference skill resolves
        with ``first_contact_resolution``, a pool that always (never) resolves stays
        so whatever its skill, and P stays inside [0, 1] without clipping.
        """
        base = self.first_contact_resolution
        skill = np.asarray(skill, dtype=float)
        if base in (0.0, 1.0):
            return np.full(skill.shape, base)
        logit = math.log(base / (1 - base)) + self.skill_effect * (skill - self.skill_reference)
        return 1.0 / (1.0 + np.exp(-logit))

    def agent_hours(self, interval_minutes: float) -> float:
        """Rostered agent-hours of a day with the default roster (``staffing``; a day of
        ``staffing_by_day``: :meth:`Scenario.agent_hours`): the agents scheduled in each interval of
        ``interval_minutes`` (absent ones included: they are paid or replaced)."""
        return day_agent_hours(self.staffing, interval_minutes)

    def staff_cost(self, interval_minutes: float) -> float:
        """Cost of a day with the default roster: :meth:`agent_hours` at
        ``agent_cost_per_hour`` (a day of ``staffing_by_day``: :meth:`Scenario.staff_cost`)."""
        return day_staff_cost(self.staffing, interval_minutes, self.agent_cost_per_hour)

    @property
    def chats(self) -> int:
        """Contacts an agent handles at once: ``concurrency``, or 1 on a phone pool."""
        return self.concurrency or 1

    @property
    def full_load_stretch(self) -> float:
        """How much longer a chat takes with every slot in use: ``1 + slowdown (k - 1)``
        (1 on a phone pool)."""
        return 1.0 + self.slowdown * (self.chats - 1)

    @property
    def slowdown(self) -> float:
        """``concurrency_slowdown``, or its default."""
        if self.concurrency_slowdown is None:
            return DEFAULT_CHAT_SLOWDOWN
        return self.concurrency_slowdown

    @field_validator("staffing")
    @classmethod
    def _staff_non_negative(cls, staffing: tuple[int, ...]) -> tuple[int, ...]:
        _check_roster(staffing, "")
        return staffing

    @field_validator("staffing_by_day")
    @classmethod
    def _days(cls, by_day: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
        for key, roster in by_day.items():
            check_day_key(key)
            if not roster or len(roster) > MAX_INTERVALS:
                raise ValueError(
                    f"{key}: expected 1 to {MAX_INTERVALS:,} values, got {len(roster)}"
                )
            _check_roster(roster, f"{key}: ")
        return by_day

    @field_validator("service_time_by_segment")
    @classmethod
    def _services_end(cls, by_segment: dict[str, Any]) -> dict[str, Any]:
        for name, distribution in by_segment.items():
            _check_finite_mean(distribution, f"{name}: a service")
        return by_segment

    @field_validator("service_time_factor")
    @classmethod
    def _factors(cls, factors: tuple[float, ...]) -> tuple[float, ...]:
        for i, factor in enumerate(factors):
            if not (factor > 0 and math.isfinite(factor)):
                raise ValueError(
                    f"factor of interval {i} must be a finite number > 0, got {factor}"
                )
        return factors

    def rosters(self) -> list[tuple[int, ...]]:
        """``staffing`` and every roster of ``staffing_by_day``."""
        return [self.staffing, *self.staffing_by_day.values()]


def _check_finite_mean(distribution: Any, what: str) -> None:
    """Refuse a distribution of durations that may never end (an infinite mean)."""
    if not math.isfinite(distribution.mean):
        raise ValueError(
            f"{what} must end: this {distribution.distribution} distribution has an infinite "
            "mean (a tail that never ends, or a component of inf)"
        )


def _check_roster(staffing: tuple[int, ...], where: str) -> None:
    for i, agents in enumerate(staffing):
        if not 0 <= agents <= MAX_AGENTS_PER_INTERVAL:
            raise ValueError(
                f"{where}agents in interval {i} must be between 0 and "
                f"{MAX_AGENTS_PER_INTERVAL:,}, got {agents}"
            )


class RecoveryConfig(_Model):
    """What happens after a service fails to resolve the problem."""

    policy: Literal["none", "apology", "compensation", "callback", "escalation"] = Field(
        "none",
        description="none: the customer contacts again later; apology: the agent apologises, "
        "the customer contacts again; compensation: a coupon, then contacts again; callback: "
        "the company calls back after a delay; escalation: transfer to a senior pool",
        json_schema_extra={"source": "setting"},
    )
    apology: bool = Field(
        False,
        description="apologise in addition to the policy's remedy",
        json_schema_extra={"source": "setting"},
    )
    apology_minutes: Minutes = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="agent time of an apology",
        json_schema_extra={"source": "setting"},
    )
    compensation: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="coupon value: money paid out (`recovery_cost`)",
        json_schema_extra={"source": "setting"},
    )
    callback_delay: MinutesDistribution = Field(
        default_factory=lambda: Exponential(mean_minutes=15.0),
        description="time from the failure to the callback",
        json_schema_extra={"source": "setting"},
    )
    callback_promise_minutes: Minutes = Field(
        math.inf,
        gt=0,
        description="the callback the customer is promised, minutes after the failure; a call "
        "later than promised is a loss against the promise (inf, the default: no promise)",
        json_schema_extra={"source": "setting", "shown": "infinite (no promise)"},
    )
    callback_pool: str | None = Field(
        None,
        description="default: the pool that failed",
        json_schema_extra={"source": "setting", "shown": "the pool that failed"},
    )
    escalation_pool: str | None = Field(
        None, description="the senior pool of `escalation`", json_schema_extra={"source": "setting"}
    )


class ServicePolicyConfig(_Model):
    """Closing rituals and small extras at the end of a service."""

    farewell: bool = Field(
        False,
        description="a warm goodbye / 'anything else I can do?'",
        json_schema_extra={"source": "setting"},
    )
    farewell_minutes: Minutes = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="its agent time",
        json_schema_extra={"source": "setting"},
    )
    delight_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description="an unexpected extra after a resolved service",
        json_schema_extra={"source": "setting"},
    )
    delight_cost: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="money paid out per delight (`extras_cost`)",
        json_schema_extra={"source": "setting"},
    )
    bad_news: Literal["first", "last"] = Field(
        "last",
        description=(
            "a seen defect told before (`first`) or after the rest of the service; "
            "`first` is refused where a remedy (apology, coupon, alternative, "
            "callback, escalation) follows the defect, since the contact then ends "
            "on the remedy in either order"
        ),
        json_schema_extra={
            "source": "setting (`first` is preferred: Legg & Sweeny 2014; Chase & Dasu 2001)"
        },
    )
    offer_alternative: bool = Field(
        False,
        description="an unresolved contact ends by offering an alternative (a partial gain)",
        json_schema_extra={"source": "setting"},
    )
    alternative_minutes: Minutes = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="its agent time",
        json_schema_extra={"source": "setting"},
    )
    follow_up: bool = Field(
        False,
        description="a message some time after a journey ends resolved (a thank-you that "
        "recalls what was solved): felt on top of how the contact ended, by "
        "experience.follow_up_gain (peakend.engine.follow_up)",
        json_schema_extra={"source": "setting"},
    )
    follow_up_delay_minutes: Minutes = Field(
        60.0,
        ge=0,
        allow_inf_nan=False,
        description="when the follow-up is sent after the contact ends (one due at or "
        "after the horizon is not sent)",
        json_schema_extra={"source": "setting"},
    )
    follow_up_cost: float = Field(
        0.05,
        ge=0,
        allow_inf_nan=False,
        description="money paid out per follow-up message (extras_cost); 0.05, an "
        "assumption: about the price of one bulk text message",
        json_schema_extra={
            "source": "assumption (about the price of one bulk text message; set your own)"
        },
    )


class ExperienceConfig(_Model):
    """Moment utility of each episode and the memory model (utility in points)."""

    enabled: bool = Field(
        True,
        description="compute moment utility and memories",
        json_schema_extra={"source": "setting"},
    )
    alpha: float = Field(
        0.88,
        gt=0,
        le=1,
        description="value-function curvature for gains and losses",
        json_schema_extra={"source": "published (Tversky & Kahneman 1992)"},
    )
    beta: float = Field(
        0.88,
        gt=0,
        le=1,
        description="value-function curvature for gains and losses",
        json_schema_extra={"source": "published (Tversky & Kahneman 1992)"},
    )
    loss_aversion: float = Field(
        2.25,
        gt=0,
        allow_inf_nan=False,
        description="λ, losses weigh more than gains",
        json_schema_extra={
            "source": ("published (Tversky & Kahneman 1992); later meta-analyses 1.7–2.0: sweep it")
        },
    )
    wait_discomfort: float = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="mild displeasure of waiting within expectation",
        json_schema_extra={"source": "assumption"},
    )
    wait_loss_per_minute: float = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="loss per perceived minute beyond expectation",
        json_schema_extra={
            "source": "assumption (non-linearity from the value function: Larson 1987)"
        },
    )
    idle_wait_factor: float = Field(
        1.33,
        gt=0,
        allow_inf_nan=False,
        description="unoccupied waits feel longer (Larson 1987)",
        json_schema_extra={
            "source": "published (Larson 1987: idle waits overestimated by roughly a third)"
        },
    )
    announced_wait_factor: float = Field(
        0.9,
        gt=0,
        allow_inf_nan=False,
        description="explained waits feel shorter (Maister 1985)",
        json_schema_extra={"source": "direction published (Maister 1985)"},
    )
    wait_curve_pieces: int = Field(
        4,
        ge=1,
        le=64,
        description="linear pieces of a wait's loss curve",
        json_schema_extra={"source": "numerical setting"},
    )
    service_scale: float = Field(
        5.0,
        ge=0,
        allow_inf_nan=False,
        description="points per unit of quality above or below expectation",
        json_schema_extra={"source": "assumption"},
    )
    weakest_link_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="weight of the worst of result/warmth/timeliness in quality",
        json_schema_extra={"source": "assumption (neither compensates fully for the others)"},
    )
    transfer_penalty: float = Field(
        1.0,
        ge=0,
        allow_inf_nan=False,
        description="points of a transfer",
        json_schema_extra={"source": "assumption"},
    )
    apology_gain: float = Field(
        1.5,
        ge=0,
        allow_inf_nan=False,
        description="points of an apology from a perfectly warm agent (interactional justice: "
        "scaled by the warmth of the agent who apologises)",
        json_schema_extra={
            "source": "assumption (interactional justice: Tax, Brown & Chandrashekaran 1998)"
        },
    )
    points_per_currency: float = Field(
        0.2,
        ge=0,
        allow_inf_nan=False,
        description="utility points per unit of compensation",
        json_schema_extra={"source": "assumption"},
    )
    overcompensation_slope: float = Field(
        0.1,
        ge=0,
        le=1,
        description="value of compensation beyond the loss, per point",
        json_schema_extra={
            "source": (
                "direction published (flattens beyond the loss: Smith, Bolton & Wagner 1999)"
            )
        },
    )
    callback_urgency_gain: float = Field(
        1.5,
        ge=0,
        allow_inf_nan=False,
        description="procedural justice: points of an instant call",
        json_schema_extra={"source": "assumption (procedural justice)"},
    )
    callback_urgency_minutes: Minutes = Field(
        30.0,
        gt=0,
        allow_inf_nan=False,
        description="time scale of a callback's lost goodwill",
        json_schema_extra={"source": "assumption"},
    )
    broken_promise_per_minute: float = Field(
        0.1,
        ge=0,
        allow_inf_nan=False,
        description="loss per minute a callback comes later than promised",
        json_schema_extra={"source": "assumption (the promise as reference point)"},
    )
    recovery_reframing: float = Field(
        1.0,
        ge=0,
        le=1,
        description="how far a recovery that fits the loss softens the remembered failure "
        "(0: the recovery is just another episode; an assumption)",
        json_schema_extra={"source": "assumption"},
    )
    farewell_gain: float = Field(
        1.0,
        ge=0,
        allow_inf_nan=False,
        description="points a farewell adds on top of the moment it follows, times warmth",
        json_schema_extra={"source": "assumption"},
    )
    delight_gain: float = Field(
        2.0,
        ge=0,
        allow_inf_nan=False,
        description="points of an unexpected extra, on top",
        json_schema_extra={"source": "assumption"},
    )
    alternative_gain: float = Field(
        1.5,
        ge=0,
        allow_inf_nan=False,
        description="points of an alternative offered when the answer is no, times warmth",
        json_schema_extra={"source": "assumption"},
    )
    follow_up_gain: float = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="points a follow-up message adds on top of the moment the contact ended "
        "on (an assumption)",
        json_schema_extra={
            "source": (
                "assumption (the direction, a better remembered end, follows from the "
                "end-weighting of memory: Kahneman et al. 1993)"
            )
        },
    )
    double_deviation_penalty: float = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="extra share of severity for a failure after a recovery",
        json_schema_extra={"source": "direction published (Maxham & Netemeyer 2002)"},
    )
    balk_unresolved_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="a customer who leaves on hearing the expected wait feels this share of "
        "the segment's failure_severity (the problem left unresolved) with the announced "
        "wait's excess, in one moment (an assumption; 0: the announced wait only)",
        json_schema_extra={"source": "assumption"},
    )
    memory: dict[str, Any] = Field(
        default_factory=lambda: {"model": "peak_end"},
        description="how a journey is remembered: the memory model and its parameters, e.g. "
        '{ model = "end", window_minutes = 3 }; the default, peak-end, remembers a journey by '
        "its most intense moment and its end, not by its length",
        json_schema_extra={
            "source": "published rule (the peak-end rule: Kahneman, Fredrickson, Schreiber & "
            "Redelmeier 1993; Redelmeier & Kahneman 1996; Kahneman 2011; see `peakend classic "
            "all`); weights 0.5 and 0.5",
            "shown": '`{ model = "peak_end" }`',
        },
    )
    bad_memory_threshold: float = Field(
        -2.0,
        allow_inf_nan=False,
        description="below it a memory is bad (at risk, tells many)",
        json_schema_extra={"source": "assumption"},
    )
    trace_sample: int = Field(
        25,
        ge=0,
        le=10_000,
        description="customers per replication whose traces are written",
        json_schema_extra={"source": "setting"},
    )

    @field_validator("memory")
    @classmethod
    def _known_memory_model(cls, spec: dict[str, Any]) -> dict[str, Any]:
        # The memory models live above the schema (peakend.experience.memory), which
        # hands its registry to peakend.base.plugins.
        plugins.registry(plugins.MEMORY_MODELS).from_spec(spec)  # ValueError naming the problem
        return spec


class ReturnModelConfig(_Model):
    """Probability that a customer comes back after a visit (logistic, anchored).

    ``logit P = logit(baseline_retention) + utility_slope * (R - baseline_utility)
    - effort_slope * effort + loyalty_bonus * [loyal or advocate]
    + reliability_slope * (belief - prior mean)``: a customer who remembers
    ``baseline_utility`` with no extra effort and still believes what the prior
    ``retention.reliability_prior`` says returns with probability
    ``baseline_retention`` (``docs/model/retention.md``; both anchors are assumptions).
    ``belief`` is the mean of the customer's Beta belief that a contact works.
    """

    model: str = Field(
        "logistic",
        description="a registered return model (built in, peakend.register_return_model, or an "
        "installed package's entry point in group peakend.return_models); never an import "
        "path. It is built with the parameters below",
        json_schema_extra={"source": "setting"},
    )
    baseline_utility: float = Field(
        0.0,
        allow_inf_nan=False,
        description="the anchor's remembered utility",
        json_schema_extra={"source": "assumption"},
    )
    baseline_retention: float = Field(
        0.85,
        gt=0,
        lt=1,
        description="return probability at the anchor",
        json_schema_extra={"source": "assumption (switching surveys give only bounds)"},
    )
    utility_slope: float = Field(
        0.35,
        ge=0,
        allow_inf_nan=False,
        description="logit per point of remembered utility",
        json_schema_extra={"source": "assumption"},
    )
    effort_slope: float = Field(
        0.4,
        ge=0,
        allow_inf_nan=False,
        description="logit lost per extra contact or transfer",
        json_schema_extra={
            "source": (
                "assumption (direction: customer-effort research, Dixon, Freeman & Toman 2010)"
            )
        },
    )
    loyalty_bonus: float = Field(
        0.5,
        ge=0,
        allow_inf_nan=False,
        description="logit gained by loyal customers and advocates",
        json_schema_extra={"source": "assumption (direction: Jones & Sasser 1995)"},
    )
    reliability_slope: float = Field(
        5.0,
        ge=0,
        allow_inf_nan=False,
        description="logit per unit of the reliability belief's mean above its prior mean; an "
        "assumption: with the default prior, one failure in a two-contact visit costs about "
        "as much (-0.34) as one point of remembered utility brings (+0.35), so a recovery "
        "paradox in satisfaction does not carry over to return",
        json_schema_extra={
            "source": (
                "assumption, chosen so that one failure in a two-contact visit costs "
                "about what one point of memory brings (de Matos et al. 2007)"
            )
        },
    )

    @field_validator("model")
    @classmethod
    def _known_model(cls, name: str) -> str:
        # Return models live above the schema (peakend.retention.returns; peakend.base.plugins).
        plugins.registry(plugins.RETURN_MODELS).get(name)  # ValueError listing the registered ones
        return name

    @model_validator(mode="after")
    def _buildable(self) -> ReturnModelConfig:
        try:
            plugins.registry(plugins.RETURN_MODELS).from_spec(self.model_dump())
        except ValueError as error:
            # No absolute location: a return model sits under retention or a segment.
            raise ValueError(f"model {self.model!r}: {error}") from None
        return self


class RetentionConfig(_Model):
    """The multi-period loop: return, expectations, loyalty, word of mouth, acquisition.

    With ``periods = 1`` (default) a run is a single day and none of this applies.
    With more, each period is ``days_per_period`` simulated days of the arrival
    profile; the profile gives the time-of-day shape and, times ``day_load``, the
    expected load of each day of period 0; later periods' load follows the active
    population (demand feedback).
    """

    periods: int = Field(
        1,
        ge=1,
        le=520,
        description="periods; more than 1 turns the loop on",
        json_schema_extra={"source": "setting"},
    )
    days_per_period: int = Field(
        1,
        ge=1,
        le=366,
        description="simulated days in a period, e.g. 7 for weeks",
        json_schema_extra={"source": "setting"},
    )
    day_load: tuple[float, ...] | None = Field(
        None,
        max_length=366,
        description="load factor of each day of a period (one per day, >= 0): day d carries "
        "the arrival profile's load times day_load[d]; default 1.0 every day",
        json_schema_extra={"source": "setting", "shown": "1.0 every day"},
    )
    period_name: str = Field(
        "period",
        min_length=1,
        max_length=64,
        description="label for tables and plots, e.g. 'week'; a calendar unit (day, week, "
        "fortnight) must match days_per_period",
        json_schema_extra={"source": "setting"},
    )
    reliability_prior: tuple[float, float] = Field(
        (8.0, 2.0),
        description="Beta(a, b) prior of a new customer's belief that a contact works (a: "
        "pseudo-contacts that worked, b: that failed); an assumption: mean 0.8, a typical "
        "first-contact resolution, worth ten contacts",
        json_schema_extra={"source": "assumption (a typical first-contact resolution)"},
    )
    population: int = Field(
        5000,
        ge=1,
        le=10_000_000,
        description="identified customers at the start",
        json_schema_extra={"source": "setting"},
    )
    returns: ReturnModelConfig = Field(default_factory=ReturnModelConfig)
    background_churn: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="per period, customers who leave without a visit",
        json_schema_extra={"source": "setting"},
    )
    acquisition_per_period: float | Literal["steady"] = Field(
        0.0,
        description='new customers per period (Poisson mean, 0 to 10,000,000), or "steady": '
        "as many as today's plan loses, net of referrals, measured in the last warm-up period "
        "(needs warmup_periods >= 1), so that the base stays at its population and load",
        json_schema_extra={"source": "setting"},
    )
    warmup_periods: int = Field(
        0,
        ge=0,
        le=104,
        description="periods simulated under the base plan before the first counted one and "
        "left out of every table and metric: customers' memories, beliefs and expectations "
        "and the balance of newcomers and churn settle to today's plan; every variant of an "
        "experiment starts from the same warm-up",
        json_schema_extra={"source": "setting"},
    )
    extras_adaptation_rate: float = Field(
        0.5,
        ge=0,
        le=1,
        description="hedonic adaptation: after each visit the expectation of an extra moves "
        "this share towards whether there was one, and a delight is felt less by that much "
        "(an assumption)",
        json_schema_extra={
            "source": (
                "direction published (an extra that becomes expected stops being a "
                "gain); value an assumption"
            )
        },
    )
    expectation_learning_rate: float = Field(
        0.3,
        ge=0,
        le=1,
        description="reference points move this share towards what was experienced",
        json_schema_extra={"source": "assumption"},
    )
    good_memory_threshold: float = Field(
        1.0,
        allow_inf_nan=False,
        description="remembered utility at or above which a visit was good",
        json_schema_extra={"source": "assumption"},
    )
    loyal_after: int = Field(
        3,
        ge=1,
        description="consecutive good visits to become loyal",
        json_schema_extra={"source": "assumption"},
    )
    advocate_after: int = Field(
        5,
        ge=1,
        description="consecutive good visits to become an advocate",
        json_schema_extra={"source": "assumption"},
    )
    satisfied_tell_mean: float = Field(
        4.0,
        ge=0,
        allow_inf_nan=False,
        description="people a satisfied customer tells (Poisson mean); survey folklore, as "
        "retold in service-management texts: satisfied customers tell fewer people than "
        "dissatisfied ones, about 4 to 5; lifetime self-reports, so a bound to calibrate, not "
        "a per-visit rate (an assumption)",
        json_schema_extra={
            "source": (
                "survey folklore (satisfied customers tell fewer people than "
                "dissatisfied ones, retold as 4–5): a bound, not a measured rate; an "
                "assumption to calibrate"
            )
        },
    )
    advocate_tell_mean: float = Field(
        8.0,
        ge=0,
        allow_inf_nan=False,
        description="people an advocate tells: an assumption between the satisfied and the "
        "dissatisfied figure (loyal customers who recommend actively)",
        json_schema_extra={
            "source": (
                "assumption (between the satisfied and the dissatisfied figure: loyal "
                "customers who recommend actively)"
            )
        },
    )
    dissatisfied_tell_mean: float = Field(
        9.0,
        ge=0,
        allow_inf_nan=False,
        description="people a dissatisfied customer tells; survey folklore: 9 to 10 people, "
        "13 % tell 20 or more (the same lifetime self-reports: a bound)",
        json_schema_extra={
            "source": (
                "survey folklore (9–10 people, 13 % telling 20 or more): a bound, not a "
                "measured rate"
            )
        },
    )
    referral_conversion: float = Field(
        0.05,
        ge=0,
        le=1,
        description="share of people told good things who become customers",
        json_schema_extra={"source": "assumption"},
    )
    deterrence_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="share of people told bad things who are lost as prospects",
        json_schema_extra={"source": "assumption"},
    )
    discount_rate: float = Field(
        0.002,
        ge=0,
        lt=1,
        description="per period, for customer lifetime value",
        json_schema_extra={"source": "setting"},
    )
    experience_feedback: bool = Field(
        True,
        description="false: switch the memory->return loop off: each visitor comes back with "
        "their segment's return model at its anchor (baseline utility, no extra effort, not "
        "loyal, the prior belief), whatever they remember, and word of mouth brings and loses "
        "no one; under common random numbers every plan then keeps the same customers",
        json_schema_extra={
            "source": (
                "setting (a diagnostic switch, see "
                "[economics](model/economics.md#switching-the-memory-return-loop-off))"
            )
        },
    )

    @field_validator("acquisition_per_period")
    @classmethod
    def _acquisition(cls, value: float | str) -> float | str:
        if isinstance(value, str):
            return value
        if not (0 <= value <= 10_000_000):
            raise ValueError(f'must be a number from 0 to 10,000,000 or "steady", got {value}')
        return value

    @model_validator(mode="after")
    def _steady_needs_warm_up(self) -> RetentionConfig:
        if self.acquisition_per_period == "steady" and self.warmup_periods < 1:
            raise _located(
                ("retention", "acquisition_per_period"),
                '"steady" measures the balance of newcomers and churn in a warm-up period: '
                "set retention.warmup_periods >= 1",
            )
        return self

    @property
    def steady(self) -> bool:
        """Whether newcomers balance churn (``acquisition_per_period = "steady"``)."""
        return self.acquisition_per_period == "steady"

    @model_validator(mode="after")
    def _ordered_states(self) -> RetentionConfig:
        if self.advocate_after < self.loyal_after:
            raise _located(
                ("retention", "advocate_after"),
                f"must be >= loyal_after ({self.loyal_after}), got {self.advocate_after}",
            )
        return self

    @field_validator("reliability_prior")
    @classmethod
    def _positive_prior(cls, prior: tuple[float, float]) -> tuple[float, float]:
        if not all(value > 0 and math.isfinite(value) for value in prior):
            raise ValueError(f"both Beta parameters must be finite numbers > 0, got {prior}")
        return prior

    @model_validator(mode="after")
    def _calendar(self) -> RetentionConfig:
        days = self.days_per_period
        if self.day_load is not None:
            if len(self.day_load) != days:
                raise _located(
                    ("retention", "day_load"),
                    f"expected {days} values (one per day of retention.days_per_period), "
                    f"got {len(self.day_load)}",
                )
            for day, load in enumerate(self.day_load):
                if not (load >= 0 and math.isfinite(load)):
                    raise _located(
                        ("retention", "day_load"),
                        f"load of day {day} must be a finite number >= 0, got {load}",
                    )
        unit = self.period_name.strip().lower()
        needed = _CALENDAR_UNITS.get(unit.removesuffix("s"))
        if needed is not None and days not in needed:
            raise _located(
                ("retention", "period_name"),
                f"a {unit!r} needs days_per_period = {' or '.join(map(str, needed))}, got {days}; "
                "name the period after what it is (e.g. 'period')",
            )
        return self

    @property
    def day_loads(self) -> tuple[float, ...]:
        """Load factor of each day of a period (``day_load``, default 1.0 every day)."""
        return self.day_load if self.day_load is not None else (1.0,) * self.days_per_period


_CALENDAR_UNITS = {
    "day": (1,),
    "week": (7,),
    "fortnight": (14,),
    "month": (28, 29, 30, 31),
    "year": (365, 366),
}
"""Period names that are calendar units, and the days_per_period they need."""


class Scenario(_Model):
    """A complete, validated description of one service system."""

    name: str = Field(
        "scenario",
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="labels of the scenario",
        json_schema_extra={"source": "setting"},
    )
    description: str = Field(
        "",
        max_length=MAX_DESCRIPTION_LENGTH,
        description="labels of the scenario",
        json_schema_extra={"source": "setting", "shown": "empty"},
    )
    run: RunConfig = Field(default_factory=RunConfig)
    arrivals: ArrivalsConfig
    segments: dict[Name, SegmentConfig] = Field(
        default_factory=lambda: {"customers": SegmentConfig(share=1.0)},
        min_length=1,
        max_length=MAX_NAMED_ENTRIES,
    )
    pools: dict[Name, PoolConfig] = Field(min_length=1, max_length=MAX_NAMED_ENTRIES)
    channels: dict[Name, ChannelConfig] = Field(
        default_factory=lambda: {"phone": ChannelConfig(share=1.0)},
        min_length=1,
        max_length=MAX_NAMED_ENTRIES,
    )
    recovery: RecoveryConfig = Field(default_factory=RecoveryConfig)
    service: ServicePolicyConfig = Field(default_factory=ServicePolicyConfig)
    experience: ExperienceConfig = Field(default_factory=ExperienceConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    _warmup_base: Scenario | None = PrivateAttr(default=None)

    def __repr__(self) -> str:
        """One line: the day, arrivals, pools, segments, memory, horizon, seed
        (:mod:`peakend.config.display`; ``peakend show`` prints every field)."""
        from peakend.config.display import scenario_text

        return scenario_text(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the same facts as a table."""
        from peakend.config.display import scenario_html

        return scenario_html(self)

    @property
    def warmup_base(self) -> Scenario:
        """The scenario whose plan a multi-period run's warm-up periods run under: an
        experiment's base for its variants (:meth:`with_warmup_base`), else this one."""
        return self._warmup_base if self._warmup_base is not None else self

    def with_warmup_base(self, base: Scenario) -> Scenario:
        """This scenario, its warm-up run under ``base``'s plan (an experiment's variants)."""
        copy = self.model_copy()
        copy._warmup_base = base
        return copy

    def agent_hours(self, days: range = range(1)) -> float:
        """Rostered agent-hours of ``days`` of the run (default day 0), every pool, each
        day with its own roster (:meth:`roster`, :func:`day_agent_hours`)."""
        interval = self.arrivals.interval_minutes
        if not self._rosters_by_day():
            # The same roster every day: one day's hours times the days, as always.
            return len(days) * sum(pool.agent_hours(interval) for pool in self.pools.values())
        # Agents added up over days and pools first (integers: exact), then in hours.
        return day_agent_hours(
            [agents for day in days for name in self.pools for agents in self.roster(name, day)],
            interval,
        )

    def staff_cost(self, days: range = range(1)) -> float:
        """Staff cost of ``days`` of the run (default day 0), every pool, money: each day's
        roster at its pool's ``agent_cost_per_hour`` (:func:`day_staff_cost`)."""
        interval = self.arrivals.interval_minutes
        if not self._rosters_by_day():
            # The same roster every day: one day's cost times the days, as always.
            return len(days) * sum(pool.staff_cost(interval) for pool in self.pools.values())
        return sum(
            day_staff_cost(self.roster(name, day), interval, pool.agent_cost_per_hour)
            for day in days
            for name, pool in self.pools.items()
        )

    def _rosters_by_day(self) -> bool:
        return any(pool.staffing_by_day for pool in self.pools.values())

    @property
    def intervals(self) -> int:
        """Number of arrival/staffing intervals."""
        return len(self.arrivals.rate_per_hour)

    @property
    def horizon_minutes(self) -> float:
        """Length of the simulated day: intervals times interval length."""
        return self.intervals * self.arrivals.interval_minutes

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        n = self.intervals
        for name, pool in self.pools.items():
            if len(pool.staffing) != n:
                raise _located(
                    ("pools", name, "staffing"),
                    f"expected {n} values (one per {self.arrivals.interval_minutes:g}-minute "
                    f"interval of arrivals.rate_per_hour), got {len(pool.staffing)}",
                )
            self._check_pool_by_day_and_segment(name, pool)
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise _located(("segments",), f"segment shares must sum to 1, got {total:.6g}")
        total = sum(c.share for c in self.channels.values())
        if abs(total - 1.0) > 1e-6:
            raise _located(("channels",), f"channel shares must sum to 1, got {total:.6g}")
        for section, entries in (("segments", self.segments), ("channels", self.channels)):
            for name, entry in entries.items():
                self._check_pool((section, name, "entry_pool"), entry.entry_pool)
        self._check_replay()
        for name, segment in self.segments.items():
            for i, (stage, _) in enumerate(segment.stage_rules):
                self._check_pool(("segments", name, "stages", str(i)), stage)
        for name, pool in self.pools.items():
            self._check_breaks_and_transfers(name, pool)
        self._check_pool(("recovery", "callback_pool"), self.recovery.callback_pool)
        self._check_pool(("recovery", "escalation_pool"), self.recovery.escalation_pool)
        if self.recovery.policy == "escalation" and self.recovery.escalation_pool is None:
            raise _located(
                ("recovery", "escalation_pool"),
                f"policy 'escalation' needs an escalation_pool; allowed: {listing(self.pools)}",
            )
        if self.recovery.policy == "compensation" and self.recovery.compensation <= 0:
            raise _located(
                ("recovery", "compensation"), "policy 'compensation' needs a compensation > 0"
            )
        self._check_bad_news()
        if self.retention.periods > 1 and not self.experience.enabled:
            raise _located(
                ("retention", "periods"),
                "the retention loop needs remembered utility: set experience.enabled = true",
            )
        if self.run.warmup_minutes >= self.horizon_minutes:
            raise _located(
                ("run", "warmup_minutes"),
                f"must be shorter than the horizon ({self.horizon_minutes:g} minutes), "
                f"got {self.run.warmup_minutes:g}",
            )
        return self

    def _check_bad_news(self) -> None:
        """Refuse ``bad_news = "first"`` where it cannot change what is remembered.

        Bad news first only reorders the defect and the service of a contact (Chase &
        Dasu 2001: get the bad part over early, finish strong), so it acts through the
        contact's end. When a remedy follows a defect (an apology, a coupon, an
        alternative, a callback or an escalation, whose moment closes the contact), the
        contact ends on the remedy in either order: the end, the worst moment and the
        mean are the same (``docs/model/moment-utility.md``).
        """
        if self.service.bad_news != "first":
            return
        recovery = self.recovery
        remedies = [
            text
            for text, given in (
                ('an apology (recovery.policy = "apology")', recovery.policy == "apology"),
                ('a callback (recovery.policy = "callback")', recovery.policy == "callback"),
                ('a transfer (recovery.policy = "escalation")', recovery.policy == "escalation"),
                ("an apology (recovery.apology = true)", recovery.apology),
                ("a coupon (recovery.compensation > 0)", recovery.compensation > 0),
                ("an alternative (service.offer_alternative)", self.service.offer_alternative),
            )
            if given
        ]
        if remedies:
            raise _located(
                ("service", "bad_news"),
                f'"first" cannot change what customers remember here: {remedies[0]} follows '
                "a defect in either order, so the end, the worst moment and the mean are the "
                "same; it acts when nothing follows the bad news: recovery.policy "
                '= "none" without an apology, coupon or alternative',
            )

    def _check_pool_by_day_and_segment(self, name: str, pool: PoolConfig) -> None:
        """``service_time_by_segment``, ``service_time_factor`` and ``staffing_by_day``."""
        n = self.intervals
        for segment in pool.service_time_by_segment:
            if segment not in self.segments:
                raise _located(
                    ("pools", name, "service_time_by_segment", segment),
                    f"unknown segment {segment!r}; allowed: {listing(self.segments)}",
                )
        if pool.service_time_factor and len(pool.service_time_factor) != n:
            raise _located(
                ("pools", name, "service_time_factor"),
                f"expected {n} values (one per interval, as staffing), "
                f"got {len(pool.service_time_factor)}",
            )
        if pool.staffing_by_day and self.run.start_date is None:
            raise _located(
                ("pools", name, "staffing_by_day"),
                'needs run.start_date, the date of day 0 (e.g. run.start_date = "2026-03-02")',
            )
        for day, roster in pool.staffing_by_day.items():
            if len(roster) != n:
                raise _located(
                    ("pools", name, "staffing_by_day", day),
                    f"expected {n} values (one per interval, as staffing), got {len(roster)}",
                )

    def roster(self, pool: str, day: int = 0) -> tuple[int, ...]:
        """Agents scheduled in each interval of day ``day`` of the run at ``pool``
        (``staffing_by_day`` by the date, else ``staffing``; :mod:`peakend.config.days`)."""
        config = self.pools[pool]
        return roster_of_day(config.staffing, config.staffing_by_day, self.run.start_date, day)

    def replayed_rows(self) -> range:
        """The replayed arrivals of the simulated day: every one, or with ``times_date``
        those of ``run.start_date`` (consecutive rows: the file is sorted by date)."""
        arrivals = self.arrivals
        dates = arrivals.times_date
        if not dates:
            return range(len(arrivals.times))
        day = self.run.start_date
        first = dates.index(day)  # type: ignore[arg-type]  # checked: a date of the replay
        last = len(dates) - dates[::-1].index(day)  # type: ignore[arg-type]
        return range(first, last)

    def _check_replay(self) -> None:
        arrivals = self.arrivals
        times = arrivals.times
        late = next((i for i, t in enumerate(times) if t >= self.horizon_minutes), None)
        if late is not None:
            raise _located(
                ("arrivals", "times"),
                f"the arrival {late} ({times[late]:g}) must come before the end of the "
                f"day ({self.horizon_minutes:g} minutes)",
            )
        for name in ("times_customer", "times_date"):
            given = getattr(arrivals, name)
            if given and len(given) != len(times):
                raise _located(
                    ("arrivals", name),
                    f"expected one value per arrival ({len(times)}), got {len(given)}",
                )
        self._check_replay_days()
        days = arrivals.times_date or ("",) * len(times)
        for i in range(1, len(times)):
            if days[i] < days[i - 1]:
                raise _located(
                    ("arrivals", "times_date"),
                    f"arrival {i}: dates must not decrease (rows sorted by date, then time)",
                )
            if days[i] == days[i - 1] and times[i] < times[i - 1]:
                raise _located(("arrivals", "times"), "arrival times must not decrease")
        if arrivals.times_segment:
            if len(arrivals.times_segment) != len(arrivals.times):
                raise _located(
                    ("arrivals", "times_segment"),
                    f"expected one segment per arrival ({len(arrivals.times)}), "
                    f"got {len(arrivals.times_segment)}",
                )
            for i, name in enumerate(arrivals.times_segment):
                if name not in self.segments:
                    raise _located(
                        ("arrivals", "times_segment", str(i)),
                        f"unknown segment {name!r}; allowed: {listing(self.segments)}",
                    )

    def _check_replay_days(self) -> None:
        arrivals, retention = self.arrivals, self.retention
        for name in ("times_customer", "times_date"):
            if getattr(arrivals, name) and retention.periods > 1:
                raise _located(
                    ("arrivals", name),
                    "a replay is a single-day run; the retention loop (retention.periods > 1) "
                    "draws its own contacts: replay the days one by one (run.start_date)",
                )
        dates = arrivals.times_date
        if not dates:
            return
        day = self.run.start_date
        if day is None or day not in dates:
            given = "not set" if day is None else f"{day!r} has no arrivals"
            raise _located(
                ("run", "start_date"),
                f"picks the replayed day of arrivals.times_date ({given}); "
                f"the replay holds {dates[0]} to {dates[-1]}",
            )

    def _check_breaks_and_transfers(self, name: str, pool: PoolConfig) -> None:
        n = self.intervals
        if pool.breaks and len(pool.breaks) != n:
            raise _located(
                ("pools", name, "breaks"),
                f"expected {n} values (one per interval, as staffing), got {len(pool.breaks)}",
            )
        for roster in pool.rosters():
            for i, (on_break, staffed) in enumerate(zip(pool.breaks, roster, strict=False)):
                if not 0 <= on_break <= staffed:
                    which = "" if roster is pool.staffing else " (of a roster of staffing_by_day)"
                    raise _located(
                        ("pools", name, "breaks", str(i)),
                        f"must be between 0 and the interval's staffing {staffed}{which}, "
                        f"got {on_break}",
                    )
        self._check_pool(("pools", name, "transfer_to"), pool.transfer_to)
        self._check_pool(("pools", name, "overflow_to"), pool.overflow_to)
        if pool.overflow_to == name:
            raise _located(("pools", name, "overflow_to"), "a pool cannot overflow to itself")
        if pool.overflow and pool.overflow_to is not None:
            raise _located(
                ("pools", name, "overflow"),
                "give the routing as overflow (a list of rules) or as overflow_to, not both",
            )
        seen: set[str] = set()
        for i, rule in enumerate(pool.overflow):
            where = ("pools", name, "overflow", str(i), "pool")
            self._check_pool(where, rule.pool)
            if rule.pool == name:
                raise _located(where, "a pool cannot overflow to itself")
            if rule.pool in seen:
                raise _located(where, f"{rule.pool!r} is already in this pool's overflow")
            seen.add(rule.pool)
        if pool.transfer_probability > 0 and pool.transfer_to is None:
            raise _located(
                ("pools", name, "transfer_to"),
                "transfer_probability > 0 needs a transfer_to pool; "
                f"allowed: {listing(self.pools)}",
            )

    def _check_pool(self, loc: tuple[str, ...], pool: str | None) -> None:
        if pool is not None and pool not in self.pools:
            raise _located(loc, f"unknown pool {pool!r}; allowed: {listing(self.pools)}")

    def entry_pool(self, segment: str, channel: str | None = None) -> str:
        """Pool that takes a contact: the channel's, else the segment's, else the first pool."""
        by_channel = self.channels[channel].entry_pool if channel is not None else None
        return by_channel or self.segments[segment].entry_pool or next(iter(self.pools))


class LocatedError(ValueError):
    """A cross-field validation error that knows which key it is about."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _located(loc: tuple[str, ...], message: str) -> LocatedError:
    return LocatedError(loc, message)
