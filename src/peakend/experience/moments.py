"""Experience: from what happened in a journey to moment-utility traces.

The engine reports facts (:mod:`peakend.engine.facts`) and builds records; this
module turns them, for all customers of a replication at once (vectorised),
into *episodes* and then into piecewise-linear moment-utility traces, which the
memory models compress into remembered utility. Every utility point of the
model is computed here, none in the queueing code, and the reference points
(expected wait, how a wait is perceived, expected quality, the size of a
failure) are looked up per customer from :class:`References`.

Moment utility is in *points* on a bipolar scale (negative = pain), passed
through the prospect-theory value function ``v`` (Tversky & Kahneman 1992)
against the customer's reference points. Each episode has a ``points`` value
``x`` (a gain or a loss before ``v``), except waits, whose loss grows along the
wait:

WAIT (a contact's time in queue, unless the customer waited at home)
    Perceived elapsed wait is ``f * s`` (unoccupied waits feel about a third
    longer, Larson 1987; announced or occupied waits shorter, Maister 1985).
    Within expectation the customer feels a mild ``-wait_discomfort``; beyond it
    the excess is a loss: ``u(s) = -wait_discomfort + v(-wait_loss_per_minute *
    (f s - E))``, so the worst moment of a wait is its last. The loss curve is
    represented by ``wait_curve_pieces`` linear pieces, exact at their knots. A
    customer who gives up at once feels the discomfort for a moment.
IVR (self-service menus before the queue, ``segments.*.ivr``)
    Felt as a wait of its own, perceived and judged against the expected wait like
    a queue's (an *assumption*: the customer has not reached anyone yet); a stay
    that ends in self-service is followed by a neutral moment (``x = 0``: the
    problem solved at the quality expected, an *assumption*); one that ends with
    the customer hanging up is the wait alone, as an abandoned queue's.
BALK (told the expected wait ``w``, the customer leaves at once)
    One moment that combines the two losses against what the customer expected:
    the wait they were told of, felt as its last moment would have been, and the
    problem they leave with: ``u = -wait_discomfort + v(-wait_loss_per_minute *
    max(f w - E, 0) - balk_unresolved_share * severity)`` (an *assumption*,
    documented in ``docs/model/moment-utility.md``).
SERVICE (from answer to the end of the work)
    ``x = service_scale * (q - q_ref)``, where the quality ``q``
    (:func:`service_quality`) combines result, warmth and timeliness so that
    neither warmth nor a correct result fully makes up for the other. A failure
    the agent sees is felt during the service; an unseen one (or a service cut
    by the end of the run) looks fine for now.
FAILURE (when the customer notices it, at once or later)
    ``x = -severity``; after a recovery a further failure is a double deviation
    (Maxham & Netemeyer 2002): ``severity * (1 + double_deviation_penalty)``
    plus the goodwill the recoveries since the last failure had built.
TRANSFER
    ``x = -transfer_penalty``.
RECOVERY (an apology over its minutes; a coupon; a callback)
    apology ``x = apology_gain``; coupon :func:`compensation_points`; callback
    :func:`urgency_points` of the time from the failure to the call.
FAREWELL, DELIGHT, FOLLOW-UP
    On top of the moment they follow: ``x = farewell_gain * warmth`` over the
    farewell's minutes; ``x = delight_gain``, less the share of extras the customer has
    come to expect; ``x = follow_up_gain`` (:mod:`peakend.engine.follow_up`).

Each kind of fact declares its rule and its place beside its fields
(:class:`~peakend.engine.facts.Felt`); this module iterates over the declared kinds.
Episodes of a customer are ordered by contact and, within a contact, by the declared
place (wait, held call, bad news first, service, failure, apology, coupon, alternative,
farewell, delight, follow-up, then what happens between contacts: a failure found
later, a callback, a transfer), which is also their order in time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from peakend.config.schema import ExperienceConfig, Scenario
from peakend.engine.facts import (
    Balked,
    FailureNoticed,
    HoldOffered,
    InIvr,
    IvrEnding,
    Kind,
    ServiceResult,
    fact_kinds,
)
from peakend.engine.recorder import FactLog
from peakend.engine.records import ContactTable
from peakend.experience.prospect import ValueFunction
from peakend.experience.trace import EpisodeKind, Traces, running_sums

__all__ = [
    "EPISODE_DTYPE",
    "Experience",
    "References",
    "compensation_points",
    "episodes_of",
    "episodes_to_traces",
    "experience_of",
    "phase_codes",
    "service_points",
    "service_quality",
    "urgency_points",
]


def phase_codes() -> dict[str, int]:
    """Each phase's code: its rank among the places the kinds of fact declare
    (:class:`~peakend.engine.facts.Felt`), so that a kind added between two others
    renumbers nothing by hand. Episodes of one contact sort by this code."""
    places = [place for kind in fact_kinds() if kind.felt for place in kind.felt.places]
    return {name: code for code, (name, _) in enumerate(sorted(places, key=lambda p: p[1]))}


EPISODE_DTYPE = np.dtype(
    [
        ("customer", np.int64),
        ("contact", np.int64),
        ("phase", np.int8),
        ("kind", np.int8),
        ("start", np.float64),
        ("duration", np.float64),
        ("points", np.float64),
    ]
)
"""One episode: whose, which contact (1, 2, ...), its phase and trace kind, when, how
long (minutes) and its gain or loss ``points`` before the value function; for a wait,
``points`` is the wait announced to a customer who left on hearing it (a balk, of
zero duration), 0 otherwise."""


@dataclass(frozen=True)
class References:
    """Each customer's reference points, arrays of shape (n,)."""

    expected_wait_minutes: np.ndarray
    wait_perception: np.ndarray
    """Factor on elapsed wait: > 1 for idle waits, < 1 for announced ones."""
    expected_quality: np.ndarray
    failure_severity: np.ndarray
    """Size of an unresolved problem to this customer, points."""
    expected_extras: np.ndarray | None = None
    """How much the customer has come to expect extras, on [0, 1] (None: not at all)."""

    def slice(self, first: int, stop: int) -> References:
        """The reference points of customers ``first`` to ``stop - 1``."""
        expected = None if self.expected_extras is None else self.expected_extras[first:stop]
        return References(
            self.expected_wait_minutes[first:stop],
            self.wait_perception[first:stop],
            self.expected_quality[first:stop],
            self.failure_severity[first:stop],
            expected,
        )

    def extras_expected(self) -> np.ndarray:
        """:attr:`expected_extras`, zeros if unset."""
        if self.expected_extras is None:
            return np.zeros(len(self.expected_quality))
        return self.expected_extras

    @classmethod
    def of(cls, scenario: Scenario, channel: np.ndarray, segment: np.ndarray) -> References:
        """The scenario's reference points for customers of these channels and segments.

        The expected wait is the channel's if it sets one, else the segment's; the
        perception factor follows whether the channel announces waits.
        """
        segments = list(scenario.segments.values())
        channels = list(scenario.channels.values())
        exp = scenario.experience
        expected = np.array(
            [
                [
                    c.expected_wait_minutes
                    if c.expected_wait_minutes is not None
                    else s.expected_wait_minutes
                    for s in segments
                ]
                for c in channels
            ]
        )
        perception = np.array(
            [
                exp.announced_wait_factor if c.announces_wait else exp.idle_wait_factor
                for c in channels
            ]
        )
        quality = np.array([s.expected_quality for s in segments])
        severity = np.array([s.failure_severity for s in segments])
        return cls(
            expected[channel, segment], perception[channel], quality[segment], severity[segment]
        )


def service_quality(
    resolved: np.ndarray | bool,
    warmth: np.ndarray | float,
    timeliness: np.ndarray | float,
    weakest_link_weight: float,
) -> np.ndarray | float:
    """Quality of a service on [0, 1] from its result, the agent's warmth and timeliness.

    ``q = w * min(r, warmth, t) + (1 - w) * (r + warmth + t) / 3`` with ``r`` = 1 for
    a resolved problem. The weakest-link term means a defect cannot be made good
    by warmth, nor coldness by a correct result (``docs/model/moment-utility.md``: an
    *assumption*, with ``w = weakest_link_weight``).
    """
    result = np.asarray(resolved, dtype=float)
    weakest = np.minimum(np.minimum(result, warmth), timeliness)
    quality = (
        weakest_link_weight * weakest
        + (1 - weakest_link_weight) * (result + warmth + timeliness) / 3
    )
    return float(quality) if quality.ndim == 0 else quality


def timeliness(
    wait_minutes: np.ndarray | float, expected_wait_minutes: np.ndarray | float
) -> np.ndarray | float:
    """1 when the wait was within expectation, decaying as it runs over (scale: the
    expectation, at least one minute)."""
    excess = np.maximum(np.asarray(wait_minutes) - expected_wait_minutes, 0.0)
    value = np.exp(-excess / np.maximum(expected_wait_minutes, 1.0))
    return float(value) if value.ndim == 0 else value


def compensation_points(
    amount: np.ndarray | float,
    severity: np.ndarray | float,
    points_per_currency: float,
    overcompensation_slope: float,
) -> np.ndarray:
    """Value of a coupon: one for one up to the size of the loss, then flat-ish.

    Smith, Bolton & Wagner (1999): compensation helps up to about the size of the
    loss and then flattens. Beyond ``severity`` points each further point is
    worth ``overcompensation_slope``.
    """
    points = np.asarray(amount, dtype=float) * points_per_currency
    return np.minimum(points, severity) + overcompensation_slope * np.maximum(
        0.0, points - severity
    )


def urgency_points(
    delay_minutes: np.ndarray | float, gain: float, scale_minutes: float
) -> np.ndarray:
    """Goodwill of a fast callback, ``gain * exp(-delay / scale)``: speed matters."""
    return gain * np.exp(-np.asarray(delay_minutes, dtype=float) / scale_minutes)


@dataclass(frozen=True)
class Experience:
    """What a replication's customers went through, as utility."""

    traces: Traces
    service_quality: np.ndarray
    """Each customer's mean perceived service quality on [0, 1] (NaN if never served)."""


CUSTOMER_CHUNK = 1 << 17
"""Customers whose experience is worked out at a time (:func:`experience_of`): the
pass's temporaries (episodes, their keys and sorts, about 200 bytes a customer) are
bounded by a chunk, not by the run."""


def experience_of(
    contacts: ContactTable,
    log: FactLog,
    references: References,
    config: ExperienceConfig,
    chunk: int = CUSTOMER_CHUNK,
) -> Experience:
    """Traces and perceived service quality of every customer, from records and facts.

    Customers are taken ``chunk`` at a time, in order (their contacts are contiguous
    rows of ``contacts``, their facts those naming them): a customer's episodes,
    pieces and quality depend on that customer's records and reference points alone
    (sums run per customer, :func:`~peakend.experience.trace.running_sums`), so the
    chunks laid end to end give the whole pass's traces and quality bit for bit.

    Raises ValueError for a chunk of fewer than one customer.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1 customer, got {chunk}")
    n = len(references.expected_quality)
    value = ValueFunction(config.alpha, config.beta, config.loss_aversion)
    parts: dict[str, list[np.ndarray]] = {name: [] for name, _ in _TRACE_COLUMNS}
    qualities = []
    owners = contacts["customer"]
    for first in range(0, max(n, 1), chunk):
        lo, hi = np.searchsorted(owners, [first, first + chunk])
        rows = type(contacts)(
            {name: values[lo:hi] for name, values in contacts.columns.items()}, contacts.labels
        )
        episodes, quality = episodes_of(
            rows, _facts_of(log, first, first + chunk), references, config
        )
        qualities.append(quality)
        for start in range(0, len(episodes), EPISODE_CHUNK):
            pieces = _pieces_of(episodes[start : start + EPISODE_CHUNK], references, config, value)
            for name, _ in _TRACE_COLUMNS:
                parts[name].append(pieces.pop(name))
        del episodes
    traces = _joined(parts, n)
    quality = np.concatenate(qualities)
    served = contacts["answered"]
    who = contacts["customer"][served]
    total = np.bincount(who, weights=quality, minlength=n)
    count = np.bincount(who, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_quality = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return Experience(traces, mean_quality)


def _facts_of(log: FactLog, first: int, stop: int) -> FactLog:
    """The facts of customers ``first`` to ``stop - 1`` (each kind's in reported order;
    a kind that names no customer whole: it is read through the contact records)."""
    arrays = {}
    for kind, facts in log.arrays.items():
        if "customer" in (facts.dtype.names or ()):
            who = facts["customer"]
            facts = facts[(who >= first) & (who < stop)]
        arrays[kind] = facts
    return FactLog(arrays, log.contact_number, log.end)


@dataclass(frozen=True)
class _Pass:
    """What every utility rule may read: the records, the facts, the reference points,
    the settings, each contact's number within its journey and the phase codes."""

    contacts: ContactTable
    log: FactLog
    references: References
    config: ExperienceConfig
    phases: dict[str, int]

    @property
    def number(self) -> np.ndarray:
        return self.log.contact_number


def episodes_of(
    contacts: ContactTable, log: FactLog, references: References, config: ExperienceConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Every episode (``EPISODE_DTYPE``), and the quality of each answered contact.

    The kinds of fact are iterated as declared (:class:`~peakend.engine.facts.Felt`):
    first the kinds felt on their own (a named rule or ``±gain * times``), then the
    kinds felt on top of the moment they follow, in place order, then the failures,
    whose size depends on the recoveries before them.
    """
    run = _Pass(contacts, log, references, config, phase_codes())
    felt = sorted(
        (kind for kind in fact_kinds() if kind.felt is not None),
        key=lambda kind: kind.felt.places[0][1],  # type: ignore[union-attr]
    )
    made: dict[type, np.ndarray] = {}
    quality = np.zeros(0)
    for kind in felt:
        rule = kind.felt.rule  # type: ignore[union-attr]
        if rule == "service":
            made[kind.type], quality = _service_episodes(contacts, references, config, run.phases)
        elif rule in _EPISODE_RULES:
            made[kind.type] = _EPISODE_RULES[rule](run)
        elif not (kind.felt.on_top or rule == "failure"):  # type: ignore[union-attr]
            made[kind.type] = _felt(kind, run, _points(kind, run))
    lifted = [made[kind.type] for kind in felt if kind.felt.rule == "service"]  # type: ignore[union-attr]
    for kind in felt:
        if kind.felt.on_top:  # type: ignore[union-attr]
            made[kind.type] = _on_top(kind, run, lifted)
            lifted.append(made[kind.type])
    recoveries = [made[kind.type] for kind in felt if kind.felt.recovery]  # type: ignore[union-attr]
    for kind in felt:
        if kind.felt.rule == "failure":  # type: ignore[union-attr]
            made[kind.type] = _failure_shocks(
                _failures(run), recoveries, references.failure_severity, config, run.phases
            )
    episodes = np.concatenate([made[kind.type] for kind in felt])
    order = np.argsort(_episode_key(episodes, len(run.phases)), kind="stable")
    return episodes[order], quality


def _felt(kind: Kind, run: _Pass, points: np.ndarray) -> np.ndarray:
    """The episodes of a kind of fact: at each fact's time, over its ``minutes`` if it has
    them, in the kind's (first) phase."""
    facts = run.log[kind.type]
    duration = facts["minutes"] if "minutes" in (facts.dtype.names or ()) else 0.0
    felt = kind.felt
    assert felt is not None
    return episode_rows(
        facts["customer"],
        run.number[facts["contact"]],
        run.phases[felt.places[0][0]],
        EpisodeKind[felt.trace.upper()],
        facts["at"],
        duration,
        points,
    )


def _points(kind: Kind, run: _Pass) -> np.ndarray:
    """Points of each fact of a kind: its named rule, or ``±gain * times``."""
    felt = kind.felt
    assert felt is not None
    facts = run.log[kind.type]
    if felt.rule:
        return _POINT_RULES[felt.rule](facts, run)
    gain = float(getattr(run.config, felt.gain))
    scale = facts[felt.times] if felt.times else np.ones(len(facts))
    if felt.adapted:
        scale = scale * np.clip(1 - run.references.extras_expected()[facts["customer"]], 0, 1)
    return (-gain if felt.loss else gain) * scale


def _on_top(kind: Kind, run: _Pass, lifted: list[np.ndarray]) -> np.ndarray:
    """Episodes felt on top of the moment they follow: the latest of ``lifted`` (the
    service, then earlier on-top episodes, in place order) the contact has, else 0.

    Gains are never negative, so none can end a contact lower than its service.
    """
    facts = run.log[kind.type]
    customer, contact = facts["customer"], run.number[facts["contact"]]
    before = np.zeros(len(facts))
    for episodes in lifted:
        before = np.where(
            _has_contact(episodes, customer, contact),
            _points_of_contact(episodes, customer, contact),
            before,
        )
    return _felt(kind, run, before + _points(kind, run))


def _compensation(coupons: np.ndarray, run: _Pass) -> np.ndarray:
    config = run.config
    return compensation_points(
        coupons["amount"],
        run.references.failure_severity[coupons["customer"]],
        config.points_per_currency,
        config.overcompensation_slope,
    )


def _callback(callbacks: np.ndarray, run: _Pass) -> np.ndarray:
    """Procedural justice: speed counts, and a call later than promised is a loss."""
    config = run.config
    late = np.maximum(callbacks["at"] - callbacks["due"], 0.0)
    return (
        urgency_points(
            callbacks["at"] - callbacks["promised_at"],
            config.callback_urgency_gain,
            config.callback_urgency_minutes,
        )
        - config.broken_promise_per_minute * late
    )


def _failures(run: _Pass) -> np.ndarray:
    """Failure shocks of zero points yet (sized by :func:`_failure_shocks`): at once, told
    first (bad news first), or found out later."""
    failures = run.log[FailureNoticed]
    phases = run.phases
    phase = np.where(
        failures["later"],
        phases["found_out"],
        np.where(failures["first"], phases["bad_news_first"], phases["failure"]),
    )
    return episode_rows(
        failures["customer"],
        run.number[failures["contact"]],
        phase,
        EpisodeKind.FAILURE,
        failures["at"],
        0.0,
        np.zeros(len(failures)),
    )


_POINT_RULES: dict[str, Callable[[np.ndarray, _Pass], np.ndarray]] = {
    "compensation": _compensation,
    "callback": _callback,
}
"""Named rules that give each fact's points (:attr:`peakend.engine.facts.Felt.rule`)."""


def _episode_key(episodes: np.ndarray, phases: int) -> np.ndarray:
    """One integer ordering episodes by customer, contact and phase (a single-key sort is
    about twice as fast as a three-key lexsort)."""
    return _contact_key(episodes) * phases + episodes["phase"]


_CONTACTS_PER_CUSTOMER = 1024  # above the schema's max_contacts: keys stay unique


def _held_calls(run: _Pass) -> np.ndarray:
    """A virtual hold's promise: a call later than promised is a loss against it.

    The customer waits at home (no waiting pain); if the agent calls after the
    promised time ``due``, the call is a moment of ``-broken_promise_per_minute``
    per minute late, just before the service. A customer still waiting for the call
    when the run ends has felt nothing yet but the promise: a moment of 0 points at
    the end (or the loss of the minutes it is already late), so that no one ends a
    run without a memory.
    """
    contacts, config, number = run.contacts, run.config, run.number
    holds = run.log[HoldOffered]
    contact_number = number[holds["contact"]]
    rows = np.searchsorted(
        contacts["customer"] * _CONTACTS_PER_CUSTOMER + contacts["contact"],
        holds["customer"] * _CONTACTS_PER_CUSTOMER + contact_number,
    )
    answered = contacts["answered"][rows]
    came = np.where(
        answered,
        contacts["service_start_minutes"][rows],
        contacts["arrival_minutes"][rows] + contacts["wait_minutes"][rows],
    )
    late = np.maximum(came - holds["due"], 0.0)
    broken = (late > 0) | ~answered
    return episode_rows(
        holds["customer"][broken],
        contact_number[broken],
        run.phases["held_call"],
        EpisodeKind.OTHER,
        came[broken],
        0.0,
        -config.broken_promise_per_minute * late[broken],
    )


def _contact_key(episodes: np.ndarray) -> np.ndarray:
    """One integer per (customer, contact number), for matching episodes of one contact."""
    return episodes["customer"] * _CONTACTS_PER_CUSTOMER + episodes["contact"]


def _find(episodes: np.ndarray, customer: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """Row of ``episodes`` (one per contact) of each (customer, contact), or -1."""
    keys = _contact_key(episodes)
    order = np.argsort(keys, kind="stable")
    wanted = customer * _CONTACTS_PER_CUSTOMER + contact
    if not len(keys):
        return np.full(len(wanted), -1)
    at = np.clip(np.searchsorted(keys[order], wanted), 0, len(keys) - 1)
    return np.where(keys[order][at] == wanted, order[at], -1)


def _has_contact(episodes: np.ndarray, customer: np.ndarray, contact: np.ndarray) -> np.ndarray:
    return _find(episodes, customer, contact) >= 0


def _points_of_contact(
    episodes: np.ndarray, customer: np.ndarray, contact: np.ndarray
) -> np.ndarray:
    """Points of the episode of each (customer, contact) in ``episodes``, 0 where none."""
    row = _find(episodes, customer, contact)
    return (
        np.where(row >= 0, episodes["points"][np.maximum(row, 0)], 0.0)
        if len(episodes)
        else np.zeros(len(row))
    )


def episode_rows(
    customer: np.ndarray,
    contact: np.ndarray,
    phase: np.ndarray | int,
    kind: int,
    start: np.ndarray,
    duration: np.ndarray | float,
    points: np.ndarray,
) -> np.ndarray:
    """Episode rows (``EPISODE_DTYPE``) from columns: one per customer entry, the scalar
    arguments broadcast."""
    episodes = np.empty(len(customer), dtype=EPISODE_DTYPE)
    episodes["customer"] = customer
    episodes["contact"] = contact
    episodes["phase"] = phase
    episodes["kind"] = kind
    episodes["start"] = start
    episodes["duration"] = duration
    episodes["points"] = points
    return episodes


def _ivr_episodes(run: _Pass) -> np.ndarray:
    """Stays in the IVR, felt as waits, and the neutral moment that ends a self-service.

    They take the phases of the contact they come before (its wait's, its service's):
    the IVR's kind is declared first in place order (``ivr``), so its episodes come
    first among those of the same contact and phase, before the queue's wait."""
    stays = run.log[InIvr]
    waits = episode_rows(
        stays["customer"],
        stays["number"],
        run.phases["wait"],
        EpisodeKind.WAIT,
        stays["at"],
        stays["minutes"],
        np.zeros(len(stays)),
    )
    served = stays[stays["ending"] == IvrEnding.SELF_SERVED]
    self_service = episode_rows(
        served["customer"],
        served["number"],
        run.phases["service"],
        EpisodeKind.SERVICE,
        served["at"] + served["minutes"],
        0.0,
        np.zeros(len(served)),
    )
    return np.concatenate([waits, self_service])


def _wait_episodes(run: _Pass) -> np.ndarray:
    """Waits on the line; one given up at once is still felt for a moment, and a balk
    carries the wait the customer was told of (its ``points``, minutes)."""
    contacts, log, number = run.contacts, run.log, run.number
    wait = contacts["wait_minutes"]
    felt = ~contacts["at_home"] & ((wait > 0) | contacts["abandoned"])
    waits = episode_rows(
        contacts["customer"][felt],
        contacts["contact"][felt],
        run.phases["wait"],
        EpisodeKind.WAIT,
        contacts["arrival_minutes"][felt],
        wait[felt],
        np.zeros(int(felt.sum())),
    )
    balks = log[Balked]
    row = _find(waits, balks["customer"], number[balks["contact"]])
    waits["points"][row[row >= 0]] = balks["announced"][row >= 0]
    return waits


_EPISODE_RULES: dict[str, Callable[[_Pass], np.ndarray]] = {
    "ivr": _ivr_episodes,
    "wait": _wait_episodes,
    "held_call": _held_calls,
}
"""Named rules that make a kind's episodes from the records (``service`` and
``failure`` are run apart: the service also gives the quality, and a failure's size
depends on the recoveries)."""


def _service_episodes(
    contacts: ContactTable,
    references: References,
    config: ExperienceConfig,
    phases: dict[str, int],
) -> tuple[np.ndarray, np.ndarray]:
    served = contacts["answered"]
    customer = contacts["customer"][served]
    points, quality = service_points(
        ~np.isin(
            contacts["service_result"][served],
            (ServiceResult.FAILED_SEEN, ServiceResult.TRANSFERRED),
        ),
        contacts["agent_warmth"][served],
        # Waiting at home (a callback, a virtual hold) is judged by its promise, not
        # as lateness of the service.
        np.where(contacts["at_home"][served], 0.0, contacts["wait_minutes"][served]),
        references.expected_wait_minutes[customer],
        references.expected_quality[customer],
        config,
    )
    start = contacts["service_start_minutes"][served]
    episodes = episode_rows(
        customer,
        contacts["contact"][served],
        phases["service"],
        EpisodeKind.SERVICE,
        start,
        contacts["service_end_minutes"][served] - start,
        points,
    )
    return episodes, quality


def service_points(
    looks_resolved: np.ndarray,
    warmth: np.ndarray,
    wait_minutes: np.ndarray,
    expected_wait_minutes: np.ndarray,
    expected_quality: np.ndarray,
    config: ExperienceConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Points ``service_scale * (q - q_ref)`` and quality ``q`` of services.

    ``looks_resolved`` is what the customer sees at the end of the service: true
    for a resolution, a hidden defect, or a service cut by the end of the run.
    """
    on_time = timeliness(wait_minutes, expected_wait_minutes)
    quality = np.asarray(
        service_quality(looks_resolved, warmth, on_time, config.weakest_link_weight), dtype=float
    )
    return config.service_scale * (quality - expected_quality), quality


def _failure_shocks(
    shocks: np.ndarray,
    recoveries: list[np.ndarray],
    severity: np.ndarray,
    config: ExperienceConfig,
    phases: dict[str, int],
) -> np.ndarray:
    """Failure shocks: sized by severity, made worse by a double deviation, softened by a
    recovery that fits the loss.

    - After any recovery, a further failure weighs ``severity * (1 +
      double_deviation_penalty)`` plus the goodwill (recovery points) gained
      since the customer's previous failure (Maxham & Netemeyer 2002).
    - The recovery of a failure (apology, coupon, alternative, callback of the
      same contact) has a *fit* ``min(1, points / size)``; the failure is
      remembered as a problem that was solved, its shock scaled by ``1 -
      recovery_reframing * fit`` (0: the recovery is just another episode).
    """
    gains = np.concatenate(recoveries)
    rows = np.concatenate([shocks, gains])
    is_shock = np.zeros(len(rows), dtype=bool)
    is_shock[: len(shocks)] = True
    order = np.argsort(_episode_key(rows, len(phases)), kind="stable")
    rows, is_shock = rows[order], is_shock[order]
    customer = rows["customer"]
    gain = np.where(is_shock, 0.0, rows["points"])
    new_customer = np.ones(len(rows), dtype=bool)
    new_customer[1:] = customer[1:] != customer[:-1]
    group_start = np.maximum.accumulate(np.where(new_customer, np.arange(len(rows)), 0))
    gained = _grouped_cumsum_before(gain, group_start)
    recovered = _grouped_cumsum_before((~is_shock).astype(float), group_start)
    shock_rows = np.flatnonzero(is_shock)
    before = gained[shock_rows]
    previous = np.zeros(len(shock_rows))
    same = customer[shock_rows[1:]] == customer[shock_rows[:-1]]
    previous[1:][same] = before[:-1][same]
    base = severity[customer[shock_rows]]
    penalty = config.double_deviation_penalty
    size = np.where(recovered[shock_rows] > 0, base * (1 + penalty) + (before - previous), base)
    # The fit of the recovery of each failure: its contact's recovery points against the loss.
    _, contact_of_row = np.unique(_contact_key(rows), return_inverse=True)
    remedy = np.bincount(contact_of_row, weights=np.maximum(gain, 0.0))[contact_of_row]
    fit = np.minimum(1.0, remedy[shock_rows] / np.maximum(size, 1e-12))
    fit = np.where(rows["phase"][shock_rows] == phases["found_out"], 0.0, fit)
    shocks_out = rows[shock_rows].copy()
    shocks_out["points"] = -size * (1 - config.recovery_reframing * fit)
    return shocks_out


def _grouped_cumsum_before(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over the earlier rows of the same group (each group on its own)."""
    rank = np.arange(len(values)) - group_start
    inclusive = running_sums(values, rank)
    before = np.zeros(len(values))
    later = rank > 0
    before[later] = inclusive[np.flatnonzero(later) - 1]
    return before


EPISODE_CHUNK = 1 << 18
"""Episodes turned into trace pieces at a time (:func:`episodes_to_traces`): the pass's
temporaries, about 200 bytes a piece, are bounded by a chunk, not by the run."""

_TRACE_COLUMNS = (
    ("owner", np.int64),
    ("start", np.float64),
    ("duration", np.float64),
    ("u_start", np.float64),
    ("u_end", np.float64),
    ("kind", np.int8),
)


def episodes_to_traces(
    episodes: np.ndarray,
    references: References,
    config: ExperienceConfig,
    chunk: int = EPISODE_CHUNK,
) -> Traces:
    """Vectorised: episodes (``EPISODE_DTYPE``, ordered per customer) → :class:`Traces`.

    The episodes are taken ``chunk`` at a time, in order: an episode's pieces depend on
    that episode and its customer's reference points alone, and come in the episodes'
    order, so the chunks' pieces laid end to end are the pieces of the whole, bit for
    bit, while the temporaries of the pass are bounded by a chunk.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1 episode, got {chunk}")
    value = ValueFunction(config.alpha, config.beta, config.loss_aversion)
    parts: dict[str, list[np.ndarray]] = {name: [] for name, _ in _TRACE_COLUMNS}
    for first in range(0, max(len(episodes), 1), chunk):
        pieces = _pieces_of(episodes[first : first + chunk], references, config, value)
        for name, _ in _TRACE_COLUMNS:
            parts[name].append(pieces.pop(name))
    return _joined(parts, len(references.expected_quality))


def _joined(parts: dict[str, list[np.ndarray]], n: int) -> Traces:
    """Traces of ``n`` customers from chunks of pieces in order, one column at a time,
    each column's chunks freed as it is joined (the peak holds the traces and one
    column, not two copies of everything)."""
    joined: dict[str, Any] = {}
    for name, dtype in _TRACE_COLUMNS:
        chunks = parts.pop(name)
        joined[name] = (
            np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.zeros(0, dtype)
        )
        del chunks
    return Traces._from_engine(**joined, n=n)


def _pieces_of(
    episodes: np.ndarray, references: References, config: ExperienceConfig, value: ValueFunction
) -> dict[str, np.ndarray]:
    """The trace pieces of some episodes, in their order (columns of :data:`_TRACE_COLUMNS`)."""
    wait = episodes["kind"] == EpisodeKind.WAIT
    waits = _wait_pieces(episodes[wait], references, config, value)
    moments = episodes[~wait]
    u = np.asarray(value(moments["points"]), dtype=float)
    pieces = {
        "owner": np.concatenate([waits["owner"], moments["customer"]]),
        "start": np.concatenate([waits["start"], moments["start"]]),
        "duration": np.concatenate([waits["duration"], moments["duration"]]),
        "u_start": np.concatenate([waits["u_start"], u]),
        "u_end": np.concatenate([waits["u_end"], u]),
        "kind": np.concatenate([waits["kind"], moments["kind"]]),
    }
    # Per customer, pieces keep their episode's order; a wait's pieces in their own order.
    position = np.concatenate([np.flatnonzero(wait)[waits["episode"]], np.flatnonzero(~wait)])
    within = np.concatenate([waits["order"], np.zeros(len(moments), dtype=np.int64)])
    order = np.argsort(position * (config.wait_curve_pieces + 2) + within, kind="stable")
    return {name: pieces[name][order].astype(dtype, copy=False) for name, dtype in _TRACE_COLUMNS}


def _wait_pieces(
    episodes: np.ndarray, references: References, config: ExperienceConfig, value: ValueFunction
) -> dict[str, np.ndarray]:
    """A wait: a flat stretch within expectation, then K pieces of the loss curve; a wait
    of zero minutes (given up at once, or a balk) is one moment."""
    k = config.wait_curve_pieces
    d = episodes["duration"]
    expected = references.expected_wait_minutes[episodes["customer"]]
    factor = references.wait_perception[episodes["customer"]]
    knee = np.minimum(expected / factor, d)  # clock time when perceived wait hits E
    has_flat = knee > 0
    has_loss = d > knee
    instant = d == 0
    # Piece j of episode i: j = 0 is the flat part (or the one moment), j = 1..k the loss.
    count = (has_flat | instant).astype(np.int64) + k * has_loss
    episode = np.repeat(np.arange(len(episodes)), count)
    first = np.cumsum(count) - count
    slot = np.arange(len(episode)) - first[episode]
    j = slot + (~(has_flat | instant)[episode])  # 0 = flat piece or moment, 1..k = loss
    t0 = np.where(j == 0, 0.0, knee[episode] + (d - knee)[episode] * (j - 1) / k)
    t1 = np.where(j == 0, knee[episode], knee[episode] + (d - knee)[episode] * j / k)

    def moment(t: np.ndarray) -> np.ndarray:
        excess = np.maximum(factor[episode] * t - expected[episode], 0.0)
        loss = np.asarray(value(-config.wait_loss_per_minute * excess), dtype=float)
        return -config.wait_discomfort + loss

    # A balk (the only wait of zero minutes with an announced wait, which is > 0 whenever
    # anyone balks) is the announced wait's last moment and the problem left unresolved.
    announced = episodes["points"][episode]
    unresolved = np.where(
        instant[episode] & (announced > 0),
        config.balk_unresolved_share * references.failure_severity[episodes["customer"][episode]],
        0.0,
    )
    excess = np.maximum(factor[episode] * announced - expected[episode], 0.0)
    balk = -config.wait_discomfort + np.asarray(
        value(-config.wait_loss_per_minute * excess - unresolved), dtype=float
    )
    told = np.where(instant[episode], balk, -config.wait_discomfort)
    return {
        "episode": episode,
        "order": j,
        "owner": episodes["customer"][episode],
        "start": episodes["start"][episode] + t0,
        "duration": t1 - t0,
        "u_start": np.where(j == 0, told, moment(t0)),
        "u_end": np.where(j == 0, told, moment(t1)),
        "kind": np.full(len(episode), EpisodeKind.WAIT, dtype=np.int8),
    }
