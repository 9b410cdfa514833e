"""Closed-form queueing formulas: Erlang B, Erlang C and Erlang A.

These are the analytic baselines against which the simulation is checked, and
quick planning tools in their own right.

Units follow the rest of the package: every time is in **minutes** and every
rate is **per minute**. The offered load ``A = arrival_rate * mean_service_minutes``
(``lambda / mu``) is in Erlangs and has no unit.

Models
------
Erlang B (M/M/c/c)
    Blocking probability of a loss system, by the recursion
    ``B_0 = 1``, ``B_k = A B_{k-1} / (k + A B_{k-1})``. The recursion stays in
    ``[0, 1]``, so it never overflows, even for thousands of agents.
Erlang C (M/M/c)
    Infinitely patient callers. ``P(wait) = c B / (c - A (1 - B))``, mean wait
    ``P(wait) / (c mu - lambda)`` and service level
    ``1 - P(wait) exp(-(c mu - lambda) t)``. It is only stable for ``A < c``.
Erlang A (M/M/c+M)
    Callers abandon after an exponential patience with rate
    ``theta = 1 / mean_patience_minutes`` (Garnett, Mandelbaum & Reiman 2002).
    It is stable for any load, including overload. The number in system is
    a birth-death chain with birth rate ``lambda`` and death rate
    ``min(k, c) mu + max(k - c, 0) theta``. :class:`ErlangA` computes its exact
    stationary distribution:

    * the states below ``c`` are summed in closed form from Erlang B, in log
      space;
    * the queue states ``c + j`` have weights
      ``prod_{i=1..j} lambda / (c mu + i theta)``. They are summed in log space
      until a geometric bound puts the rest of the tail below ``1e-17`` of the
      largest state.

    A caller who finds ``n - 1`` others waiting (position ``n``) moves up one
    place at rate ``c mu + (p - 1) theta`` at position ``p``, and abandons
    at rate ``theta``. So the caller is served with probability
    ``c mu / (c mu + n theta)``. Given service, the wait has the distribution
    of a sum of exponentials with rates ``c mu + theta, ..., c mu + n theta``,
    and ``exp(-theta W)`` is then ``Beta(c mu / theta + 1, n)``. The service
    level uses the regularized incomplete beta function, which is exact.

References
----------
.. [1] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with
   impatient customers", Manufacturing & Service Operations Management 4(3),
   208-227, 2002.
.. [2] A. Mandelbaum and S. Zeltyn, "The M/M/n+G queue: summary of performance
   measures", technical note, Technion, 2009.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from numbers import Integral, Real

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "MAX_STAFFING",
    "ErlangA",
    "ErlangC",
    "StaffingBeyondLimit",
    "agents_for_service_level",
    "chat_agent_means",
    "erlang_b",
    "erlang_c",
    "priority_mean_waits",
    "tandem_mean_sojourn",
]

FloatArray = npt.NDArray[np.float64]

#: Queue states are truncated once the rest of the tail is below e^-39 (about
#: 1.2e-17) of the largest stationary weight.
_LOG_TAIL = 39.0
#: Hard limit on the number of queue states kept for Erlang A.
_MAX_QUEUE_STATES = 1 << 21
#: Below this ``theta / (c mu)`` Erlang A's waits are Erlang C's to double precision.
_PATIENT = 1e-15
#: From this many agents on, ``log(1 / B)`` is summed vectorised instead of by the
#: recursion (a Python loop over the agents).
_VECTOR_AGENTS = 4_096

MAX_STAFFING = 100_000
"""Where staffing searches stop: the most agents one pool may schedule in an interval
(``MAX_AGENTS_PER_INTERVAL`` of the scenario schema). A target that needs more is
answered with :class:`StaffingBeyondLimit`, after at most about this many cheap steps,
instead of a search that grows with the load (a mean service time of 10^7 minutes
offers millions of Erlangs)."""


class StaffingBeyondLimit(ValueError):
    """A service-level target that needs more agents than the search's limit."""

    def __init__(self, limit: int, offered_load: float) -> None:
        super().__init__(
            f"meeting the target needs more than {limit:,} agents "
            f"(offered load {offered_load:.3g} Erlangs)"
        )
        self.limit = limit
        self.offered_load = offered_load


# --------------------------------------------------------------------------- validation


def _check_queue(queue: ErlangC | ErlangA) -> None:
    """Validate and normalise the fields shared by the Erlang C and Erlang A models."""
    rate = _check_non_negative("arrival_rate", queue.arrival_rate)
    object.__setattr__(queue, "arrival_rate", rate)
    service = _check_positive("mean_service_minutes", queue.mean_service_minutes)
    object.__setattr__(queue, "mean_service_minutes", service)
    object.__setattr__(queue, "agents", _check_agents(queue.agents))


def _check_agents(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"agents must be a positive integer, got {value!r}")
    return int(value)


def _check_real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    return float(value)


def _check_positive(name: str, value: object) -> float:
    x = _check_real(name, value)
    if not 0.0 < x < math.inf:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return x


def _check_non_negative(name: str, value: object) -> float:
    x = _check_real(name, value)
    if not 0.0 <= x < math.inf:
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return x


def _check_threshold(value: object) -> float:
    x = _check_real("threshold_minutes", value)
    if x < 0.0:
        raise ValueError(f"threshold_minutes must be non-negative, got {value!r}")
    return x


# --------------------------------------------------------------------------- Erlang B / C


def _erlang_b(c: int, a: float) -> float:
    if c >= _VECTOR_AGENTS and a > 0:  # cost independent of c (see _log_inverse_erlang_b)
        return math.exp(-_log_inverse_erlang_b(c, a))
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c(c: int, a: float) -> float:
    if a >= c:
        return 1.0
    b = _erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def erlang_b(agents: int, offered_load: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    Parameters
    ----------
    agents : int
        Number of servers ``c``, at least 1.
    offered_load : float
        Offered load ``A = lambda / mu`` in Erlangs (arrival rate per minute
        times mean service time in minutes), finite and non-negative.

    Returns
    -------
    float
        Probability that an arrival finds every agent busy and is lost,
        in ``[0, 1]``. It can underflow to ``0.0`` when the true value is
        below about ``1e-308``.

    Raises
    ------
    ValueError
        If ``agents`` is not a positive integer or ``offered_load`` is negative,
        infinite or NaN.
    """
    return _erlang_b(_check_agents(agents), _check_non_negative("offered_load", offered_load))


def erlang_c(agents: int, offered_load: float) -> float:
    """Erlang C probability of waiting ``P(W > 0)`` in an M/M/c queue.

    Computed as ``c B / (c - A (1 - B))`` with ``B = erlang_b(c, A)``.

    Parameters
    ----------
    agents : int
        Number of servers ``c``, at least 1.
    offered_load : float
        Offered load ``A = lambda / mu`` in Erlangs, finite and non-negative.

    Returns
    -------
    float
        Probability that an arrival has to wait. When ``A >= c`` the queue is
        unstable and grows without bound, so every arrival eventually waits,
        and the function returns ``1.0``.

    Raises
    ------
    ValueError
        If ``agents`` is not a positive integer or ``offered_load`` is negative,
        infinite or NaN.
    """
    return _erlang_c(_check_agents(agents), _check_non_negative("offered_load", offered_load))


@dataclass(frozen=True)
class ErlangC:
    """M/M/c queue with infinitely patient callers (Erlang C).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate ``lambda``, calls per minute, finite and non-negative.
    mean_service_minutes : float
        Mean handling time ``1 / mu`` in minutes, positive and finite.
    agents : int
        Number of agents ``c``, at least 1.

    Raises
    ------
    ValueError
        On construction, for inputs outside these ranges. The waiting-time
        measures (:attr:`mean_wait_minutes`, :meth:`service_level`) also raise
        it when the system is unstable (``lambda >= c mu``). Erlang A
        (:class:`ErlangA`) handles overload.
    """

    arrival_rate: float
    mean_service_minutes: float
    agents: int

    def __post_init__(self) -> None:
        _check_queue(self)

    @property
    def offered_load(self) -> float:
        """Offered load ``A = lambda / mu`` in Erlangs."""
        return self.arrival_rate * self.mean_service_minutes

    @property
    def is_stable(self) -> bool:
        """Whether ``A < c``, so that the waiting times are finite."""
        return self.offered_load < self.agents

    @cached_property
    def prob_wait(self) -> float:
        """Probability ``P(W > 0)`` that an arrival waits. It is 1.0 when unstable."""
        return _erlang_c(self.agents, self.offered_load)

    @property
    def occupancy(self) -> float:
        """Share of agent time spent busy, ``A / c``, capped at 1.

        When the system is unstable every agent is busy all the time, so the
        value is 1.
        """
        return min(self.offered_load / self.agents, 1.0)

    def _drain_rate(self) -> float:
        """``c mu - lambda`` per minute. Raises if it is not positive."""
        if not self.is_stable:
            raise ValueError(
                f"Erlang C is unstable: offered load {self.offered_load:g} Erlang >= "
                f"{self.agents} agents (arrival_rate >= agents / mean_service_minutes), "
                "so waits grow without bound; use ErlangA, which models abandonment "
                "and handles overload"
            )
        return (self.agents - self.offered_load) / self.mean_service_minutes

    @property
    def mean_wait_minutes(self) -> float:
        """Mean time in queue ``W_q = P(wait) / (c mu - lambda)`` over all callers, in minutes.

        Raises
        ------
        ValueError
            If the system is unstable (``lambda >= c mu``).
        """
        return self.prob_wait / self._drain_rate()

    def service_level(self, threshold_minutes: float) -> float:
        """Share of callers answered within ``t`` minutes: ``1 - P(wait) exp(-(c mu - lambda) t)``.

        Parameters
        ----------
        threshold_minutes : float
            Threshold ``t`` in minutes, at least 0. ``math.inf`` is allowed.

        Returns
        -------
        float
            ``P(W <= t)``, in ``[0, 1]``.

        Raises
        ------
        ValueError
            If ``threshold_minutes`` is negative or NaN, or the system is unstable.
        """
        t = _check_threshold(threshold_minutes)
        return 1.0 - self.prob_wait * math.exp(-self._drain_rate() * t)


def agents_for_service_level(
    arrival_rate: float,
    mean_service_minutes: float,
    threshold_minutes: float,
    target: float,
    max_agents: int = MAX_STAFFING,
) -> int:
    """Smallest number of agents that meets an Erlang C service-level target.

    Parameters
    ----------
    arrival_rate : float
        Arrival rate ``lambda``, calls per minute, finite and non-negative.
    mean_service_minutes : float
        Mean handling time ``1 / mu`` in minutes, positive and finite.
    threshold_minutes : float
        Answer-time threshold ``t`` in minutes, at least 0.
    target : float
        Required share answered within ``t``, strictly between 0 and 1.
    max_agents : int
        Where the search stops (default :data:`MAX_STAFFING`). The work is at
        most about ``max_agents`` steps of the Erlang B recursion, whatever the load.

    Returns
    -------
    int
        The smallest ``c`` with ``c > A`` (a stable queue) and
        ``ErlangC(arrival_rate, mean_service_minutes, c).service_level(t) >= target``.

    Raises
    ------
    StaffingBeyondLimit
        (a ``ValueError``) If that ``c`` is above ``max_agents``; at once when the
        offered load alone needs more.
    ValueError
        If any argument is outside the ranges above.
    """
    lam = _check_non_negative("arrival_rate", arrival_rate)
    service = _check_positive("mean_service_minutes", mean_service_minutes)
    t = _check_threshold(threshold_minutes)
    goal = _check_real("target", target)
    limit = _check_agents(max_agents)
    if not 0.0 < goal < 1.0:
        raise ValueError(f"target must be strictly between 0 and 1, got {target!r}")
    a = lam * service
    if not a < limit:  # a stable queue needs c > a; also catches a load of inf
        raise StaffingBeyondLimit(limit, a)
    c = math.floor(a) + 1
    b = _erlang_b(c, a)
    while c <= limit:
        p_wait = c * b / (c - a * (1.0 - b))
        if 1.0 - p_wait * math.exp(-(c - a) / service * t) >= goal:
            return c
        c += 1
        b = a * b / (c + a * b)
    raise StaffingBeyondLimit(limit, a)


# --------------------------------------------------------------------------- Erlang A


def _log_inverse_erlang_b(c: int, a: float) -> float:
    """``log(1 / B(c, a))`` via ``r_k = 1 + (k / a) r_{k-1}``, in log space (``a > 0``).

    From :data:`_VECTOR_AGENTS` agents on, the same quantity as a vectorised sum,
    ``log sum_{k<=c} a^k / k! - log(a^c / c!)`` (a log-sum-exp), over the terms
    within ``40 sqrt(a) + 50`` of the largest (at ``k = min(c, a)``): the others are
    below ``e^-400`` of it. Its cost grows with ``sqrt(a)``, not with ``c``, so any
    number of agents is cheap (the recursion is a Python loop over them).
    """
    if c >= _VECTOR_AGENTS:
        log_a = math.log(a)
        spread = 40.0 * math.sqrt(a) + 50.0
        ks = np.arange(max(0, int(min(c, a) - spread)), int(min(c, a + spread)) + 1)
        terms = ks * log_a - special.gammaln(ks + 1.0)
        return float(special.logsumexp(terms) - (c * log_a - special.gammaln(c + 1.0)))
    log_a = math.log(a)
    log_r = 0.0
    for k in range(1, c + 1):
        z = math.log(k) - log_a + log_r
        log_r = z + math.log1p(math.exp(-z)) if z > 0.0 else math.log1p(math.exp(z))
    return log_r


def _log_idle_weight(c: int, a: float) -> float:
    """``log sum_{k<c} pi_k / pi_c`` for offered load ``a > 0``.

    Without cancellation this is ``log((1 - B(c, a)) / B(c, a))``.
    """
    return math.log(c) - math.log(a) + _log_inverse_erlang_b(c - 1, a)


def _queue_log_weights(rho: float, eta: float, log_ref: float) -> FloatArray:
    """``log(pi_{c+j} / pi_c)`` for ``j = 0..J``, truncated where the tail is negligible.

    The ratio of weight ``j`` to weight ``j - 1`` is ``rho / (1 + j eta)``, with
    ``rho = lambda / (c mu)`` and ``eta = theta / (c mu)``. Generation stops at
    the first ``j`` past the mode whose geometric tail bound
    ``t_j r / (1 - r)``, with ``r`` the next ratio, is below ``e^-39`` times the
    largest weight (``log_ref`` is the idle states' weight).
    """
    log_rho = math.log(rho)
    pieces: list[FloatArray] = []
    carry, peak, start, size = 0.0, log_ref, 0, 256
    while start < _MAX_QUEUE_STATES:
        j = np.arange(start, start + size, dtype=np.float64)
        steps = log_rho - np.log1p(j * eta)
        if start == 0:
            steps[0] = 0.0
        logs = carry + np.cumsum(steps)
        peak = max(peak, float(logs.max()))
        nxt = log_rho - np.log1p((j + 1.0) * eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = logs + nxt - np.log(-np.expm1(nxt))
        done = np.flatnonzero((nxt < 0.0) & (tail < peak - _LOG_TAIL))
        if done.size:
            pieces.append(logs[: done[0] + 1])
            return np.concatenate(pieces)
        pieces.append(logs)
        carry, start, size = float(logs[-1]), start + size, 2 * size
    raise ValueError(
        f"Erlang A needs more than {_MAX_QUEUE_STATES} queue states here: the patience is "
        "too long for this overload; shorten mean_patience_minutes or simulate instead"
    )


@dataclass(frozen=True)
class _Stationary:
    """Stationary law of the M/M/c+M chain: ``P(N < c)`` and ``P(N = c + j)``, j >= 0."""

    idle: float
    queue: FloatArray

    @property
    def positions(self) -> FloatArray:
        """Queue position ``n = j + 1`` of a caller who arrives to state ``c + j``."""
        return np.arange(1, self.queue.size + 1, dtype=np.float64)


@dataclass(frozen=True)
class ErlangA:
    """M/M/c+M queue (Erlang A): exponential patience, stable under any load.

    This is the exact stationary birth-death chain. It is truncated only where
    the rest of the tail is below ``1e-17`` of the largest state (see the module
    docstring). Callers are answered first come, first served. A waiting caller
    abandons after an exponential patience with mean ``mean_patience_minutes``.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate ``lambda``, calls per minute, finite and non-negative.
    mean_service_minutes : float
        Mean handling time ``1 / mu`` in minutes, positive and finite.
    agents : int
        Number of agents ``c``, at least 1.
    mean_patience_minutes : float
        Mean patience ``1 / theta`` in minutes, positive and finite. For
        infinite patience use :class:`ErlangC`.

    Raises
    ------
    ValueError
        On construction, for inputs outside these ranges. When first evaluated,
        if the chain would need more than about two million queue states. This
        happens only with extreme patience at or above critical load: the
        queue length is about ``(lambda - c mu) * mean_patience_minutes`` plus
        a spread of ``9 sqrt(c mu * mean_patience_minutes)``.
    """

    arrival_rate: float
    mean_service_minutes: float
    agents: int
    mean_patience_minutes: float

    def __post_init__(self) -> None:
        _check_queue(self)
        patience = _check_positive("mean_patience_minutes", self.mean_patience_minutes)
        object.__setattr__(self, "mean_patience_minutes", patience)

    @property
    def offered_load(self) -> float:
        """Offered load ``A = lambda / mu`` in Erlangs."""
        return self.arrival_rate * self.mean_service_minutes

    @property
    def _eta(self) -> float:
        """``theta / (c mu)``: abandonment rate relative to the full service rate."""
        return self.mean_service_minutes / (self.agents * self.mean_patience_minutes)

    @cached_property
    def _stationary(self) -> _Stationary:
        a, c = self.offered_load, self.agents
        if a == 0.0:
            return _Stationary(1.0, np.zeros(0))
        log_idle = _log_idle_weight(c, a)
        log_queue = _queue_log_weights(a / c, self._eta, log_idle)
        top = max(log_idle, float(log_queue.max()))
        idle, queue = math.exp(log_idle - top), np.exp(log_queue - top)
        total = idle + float(queue.sum())
        return _Stationary(idle / total, queue / total)

    @property
    def prob_wait(self) -> float:
        """Probability ``P(W > 0)`` that an arrival finds every agent busy."""
        return float(self._stationary.queue.sum())

    @property
    def prob_abandon(self) -> float:
        """Probability ``P(Ab)`` that an arrival abandons before being answered."""
        st, eta = self._stationary, self._eta
        n = st.positions
        return float(np.sum(st.queue * (n * eta / (1.0 + n * eta))))

    @property
    def mean_wait_minutes(self) -> float:
        """Mean time in queue ``E[W]`` over all arrivals, in minutes.

        Callers who abandon count with their time in queue until they abandon,
        and callers answered at once count as 0. By Little's law this is the
        mean queue length divided by ``lambda``.
        """
        st, eta = self._stationary, self._eta
        n = st.positions
        scale = self.mean_service_minutes / self.agents
        return scale * float(np.sum(st.queue * (n / (1.0 + n * eta))))

    @property
    def mean_wait_served_minutes(self) -> float:
        """Mean time in queue ``E[W | served]`` of the callers who are answered, in minutes."""
        st, eta = self._stationary, self._eta
        n = st.positions
        scale = self.mean_service_minutes / self.agents
        mean_time_to_answer = scale * np.cumsum(1.0 / (1.0 + n * eta))
        served_waiting = float(np.sum(st.queue * mean_time_to_answer / (1.0 + n * eta)))
        return served_waiting / (1.0 - self.prob_abandon)

    def service_level(self, threshold_minutes: float) -> float:
        """Share of all arrivals answered within ``t`` minutes, ``P(served and W <= t)``.

        This is answered-within-threshold divided by offered calls. Abandoned
        calls count against it. It tends to ``1 - prob_abandon`` as ``t -> inf``.

        Parameters
        ----------
        threshold_minutes : float
            Threshold ``t`` in minutes, at least 0. ``math.inf`` is allowed.

        Returns
        -------
        float
            Service level in ``[0, 1]``.

        Raises
        ------
        ValueError
            If ``threshold_minutes`` is negative or NaN.
        """
        t = _check_threshold(threshold_minutes)
        st, eta = self._stationary, self._eta
        n = st.positions
        # W given position n and service: exp(-theta W) ~ Beta(1/eta + 1, n), so
        # P(W <= t) = P(1 - exp(-theta W) <= 1 - exp(-theta t)) = I_v(n, 1/eta + 1).
        if eta < _PATIENT:
            # Patience so long that abandonment is below double precision: the wait of
            # position n is Gamma(n, c mu), as in Erlang C (betainc fails at such b).
            within = special.gammainc(n, t * self.agents / self.mean_service_minutes)
        else:
            v = -math.expm1(-t / self.mean_patience_minutes)
            within = special.betainc(n, 1.0 / eta + 1.0, v)
        answered = within / (1.0 + n * eta)
        return st.idle + float(np.sum(st.queue * answered))

    @property
    def occupancy(self) -> float:
        """Share of agent time spent busy, ``lambda (1 - P(Ab)) / (c mu)``, at most 1."""
        return min(self.offered_load * (1.0 - self.prob_abandon) / self.agents, 1.0)


def priority_mean_waits(
    arrival_rates: Sequence[float], mean_service_minutes: float, agents: int
) -> list[float]:
    """Mean wait in queue of each class of a non-preemptive priority M/M/c (Cobham 1954).

    Classes are in priority order (the first is served first) and share one
    exponential service time. With ``rho_k = lambda_k / (c mu)``, ``sigma_k =
    rho_1 + ... + rho_k`` and ``P_wait`` the Erlang C probability of waiting for
    the total load, ``W_k = P_wait / (c mu (1 - sigma_{k-1}) (1 - sigma_k))``.
    The load-weighted mean of the ``W_k`` is the Erlang C mean wait.

    Raises
    ------
    ValueError
        For a negative rate, no classes, or a total load at or above capacity.
    """
    rates = [_check_non_negative("arrival rate", rate) for rate in arrival_rates]
    if not rates:
        raise ValueError("need at least one class")
    total = ErlangC(sum(rates), mean_service_minutes, agents)
    if not total.is_stable:
        raise ValueError(f"the total load {total.offered_load:g} must be below the {agents} agents")
    capacity = agents / mean_service_minutes  # c mu, per minute
    waits, sigma = [], 0.0
    for rate in rates:
        before = sigma
        sigma += rate / capacity
        waits.append(total.prob_wait / (capacity * (1 - before) * (1 - sigma)))
    return waits


def tandem_mean_sojourn(
    arrival_rate: float,
    stations: Sequence[tuple[float, int]],
    visits: Sequence[float] | None = None,
) -> float:
    """Mean time in system of Poisson arrivals through M/M/c stations in series, minutes.

    ``stations`` are ``(mean_service_minutes, agents)``. By Burke's theorem each
    station's output is Poisson at the arrival rate, so each behaves as an
    independent M/M/c and the mean time in system is the sum of the stations'
    mean waits plus mean services. ``visits`` (default: all 1) routes each
    customer to station ``i`` with probability ``visits[i]``, independently: a
    Bernoulli split of a Poisson stream is Poisson, so station ``i`` is an M/M/c
    at ``visits[i]`` times the rate and contributes ``visits[i]`` times its
    sojourn (a Jackson network in series).
    """
    shares = [1.0] * len(stations) if visits is None else list(visits)
    if len(shares) != len(stations):
        raise ValueError(f"expected {len(stations)} visit probabilities, got {len(shares)}")
    return sum(
        share * (ErlangC(share * arrival_rate, service, agents).mean_wait_minutes + service)
        for share, (service, agents) in zip(shares, stations, strict=True)
        if share > 0
    )


def chat_agent_means(
    arrival_rate: float, mean_work_minutes: float, slots: int, slowdown: float
) -> tuple[float, float]:
    """Mean wait in queue and mean time in system at one chat agent, minutes.

    Poisson arrivals, exponential work (mean ``1 / mu``), infinite patience, and
    one agent who handles up to ``slots`` chats at once, each of ``n`` open chats
    progressing at ``1 / (1 + slowdown (n - 1))`` of full speed (a limited
    processor-sharing station, see :mod:`peakend.engine.chat`). With exponential
    work the number of chats in the system is a birth-death process: arrivals at
    ``lambda``, completions at ``mu_n = mu m s(m)`` with ``m = min(n, slots)`` and
    ``s(m)`` the speed, so ``pi_n`` is proportional to ``prod lambda / mu_i``.
    Beyond ``slots`` the rates are constant and the tail is geometric with
    ratio ``r = lambda / mu_slots``, which gives ``L_q = pi_slots r / (1 - r)^2``;
    Little's law turns ``L_q`` and ``L`` into the mean wait and time in system.
    With ``slots = 1`` this is the M/M/1 queue.

    Raises
    ------
    ValueError
        For a non-positive rate or work, fewer than one slot, a negative slowdown,
        or arrivals at or above the agent's full-load capacity ``mu_slots``.
    """
    rate = _check_positive("arrival rate", arrival_rate)
    mu = 1.0 / _check_positive("mean work", mean_work_minutes)
    slots = _check_agents(slots)
    if slots < 1:
        raise ValueError(f"slots must be at least 1, got {slots}")
    slowdown = _check_non_negative("slowdown", slowdown)
    completion = [mu * m / (1.0 + slowdown * (m - 1)) for m in range(1, slots + 1)]
    ratio = rate / completion[-1]
    if ratio >= 1:
        raise ValueError(
            f"arrivals ({rate:g} a minute) must be below the agent's capacity with every "
            f"slot in use ({completion[-1]:g} a minute)"
        )
    weights = [1.0]  # pi_0 .. pi_slots, unnormalised
    for done in completion:
        weights.append(weights[-1] * rate / done)
    top = weights[-1]
    # The geometric tail beyond `slots`: sum r^j, sum j r^j for j >= 1.
    tail_mass = top * ratio / (1 - ratio)
    tail_queue = top * ratio / (1 - ratio) ** 2
    total = sum(weights) + tail_mass
    in_service = sum(n * w for n, w in enumerate(weights)) + slots * tail_mass
    queue = tail_queue / total
    in_system = in_service / total + queue
    return queue / rate, in_system / rate
