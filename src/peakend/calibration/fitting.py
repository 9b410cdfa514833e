"""Maximum-likelihood fits of positive distributions, with or without censoring.

One routine fits every family calibration uses (:data:`FAMILIES`: exponential,
lognormal, gamma, Weibull, and a two-phase exponential mixture), to complete
data (service times) or to censored data (patience: an abandoning contact shows
its patience, a served one only that its patience exceeded its wait):

- an *observed* value ``x`` contributes ``log f(x)``, or, with a time resolution
  ``delta`` (a log rounds to whole seconds), ``log(F(x + delta) - F(x))``: the
  value lies in that step. This keeps an abandonment after 0 seconds, which the
  Anonymous Bank log has many of, a finite likelihood for every family;
- a *right-censored* value ``c`` contributes ``log S(c)``.

The parameters are optimised on an unconstrained scale (logarithms, a logit for
the mixture's weight) with BFGS from moment-based starting values. Standard
errors come from the inverse of the observed information (a central-difference
Hessian of the negative log-likelihood at the optimum), and the standard error
of a derived quantity (the mean, the coefficient of variation) from the delta
method. The likelihood is the one of :class:`scipy.stats.CensoredData` with
``right`` and ``interval`` censoring; ``tests/calibration/test_calibration_fitting.py``
checks the point estimates against SciPy's own censored fit. Models are
compared by AIC (Akaike 1974); with two parameters each, lognormal, gamma and
Weibull are compared by likelihood alone.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

__all__ = ["FAMILIES", "Fit", "Family", "fit_family", "fit_best"]

FloatArray = np.ndarray


@dataclass(frozen=True)
class Family:
    """A positive distribution on an unconstrained parameter vector ``theta``."""

    name: str
    parameters: tuple[str, ...]
    frozen: Callable[[FloatArray], stats.rv_continuous | _Mixture]
    start: Callable[[FloatArray], FloatArray]
    """Starting ``theta`` from the observed values."""
    natural: Callable[[FloatArray], dict[str, float]]
    """The parameters in their natural units (minutes, shapes)."""
    log_sf: Callable[[FloatArray, FloatArray], FloatArray]
    """``log S(x)`` at ``theta``: closed forms, as freezing a SciPy distribution at
    every step of the optimisation costs more than the likelihood itself."""
    log_pdf: Callable[[FloatArray, FloatArray], FloatArray]

    def mean_cv(self, theta: FloatArray) -> tuple[float, float]:
        """The mean (minutes) and coefficient of variation at ``theta`` (closed forms)."""
        return _MEAN_CV[self.name](np.asarray(theta, dtype=float))


class _Mixture:
    """A two-phase exponential mixture (hyperexponential): with probability ``p`` a
    short patience of mean ``m1``, else a long one of mean ``m2`` (``m1 <= m2``)."""

    def __init__(self, p: float, m1: float, m2: float) -> None:
        self.p, self.m1, self.m2 = p, m1, m2

    def logsf(self, x: FloatArray) -> FloatArray:
        return np.logaddexp(math.log(self.p) - x / self.m1, math.log1p(-self.p) - x / self.m2)

    def logpdf(self, x: FloatArray) -> FloatArray:
        return np.logaddexp(
            math.log(self.p / self.m1) - x / self.m1, math.log((1 - self.p) / self.m2) - x / self.m2
        )

    def sf(self, x: FloatArray) -> FloatArray:
        return np.exp(self.logsf(np.asarray(x, dtype=float)))

    def cdf(self, x: FloatArray) -> FloatArray:
        return 1.0 - self.sf(x)

    def mean(self) -> float:
        return self.p * self.m1 + (1 - self.p) * self.m2

    def std(self) -> float:
        second = 2 * (self.p * self.m1**2 + (1 - self.p) * self.m2**2)
        return math.sqrt(max(second - self.mean() ** 2, 0.0))

    def ppf(self, q: FloatArray) -> FloatArray:
        q = np.asarray(q, dtype=float)
        low, high = np.zeros_like(q), np.full_like(q, 60 * self.m2 + 1.0)
        for _ in range(80):  # bisection: the mixture has no closed-form quantile
            mid = (low + high) / 2
            below = self.cdf(mid) < q
            low, high = np.where(below, mid, low), np.where(below, high, mid)
        return (low + high) / 2


def _log_moments(x: FloatArray) -> tuple[float, float]:
    positive = np.log(np.maximum(x, 1e-3))
    return float(np.mean(positive)), max(float(np.std(positive)), 0.1)


def _mean(x: FloatArray) -> float:
    return max(float(np.mean(x)), 1e-3)


def _mixture(theta: FloatArray) -> _Mixture:
    p = float(special.expit(theta[0]))
    m1 = math.exp(min(theta[1], 50.0))
    return _Mixture(min(max(p, 1e-9), 1 - 1e-9), m1, m1 + math.exp(min(theta[2], 50.0)))


def _lognormal_z(t: FloatArray, x: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore"):
        return (np.log(x) - t[0]) / math.exp(t[1])


def _gamma_log_sf(t: FloatArray, x: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore"):
        return np.log(special.gammaincc(math.exp(t[0]), x / math.exp(t[1])))


def _gamma_log_pdf(t: FloatArray, x: FloatArray) -> FloatArray:
    a, scale = math.exp(t[0]), math.exp(t[1])
    with np.errstate(divide="ignore"):
        return (a - 1) * np.log(x) - x / scale - special.gammaln(a) - a * t[1]


def _weibull_log_pdf(t: FloatArray, x: FloatArray) -> FloatArray:
    k, scale = math.exp(t[0]), math.exp(t[1])
    with np.errstate(divide="ignore"):
        return t[0] - t[1] + (k - 1) * np.log(x / scale) - (x / scale) ** k


def _lognormal_mean_cv(t: FloatArray) -> tuple[float, float]:
    sigma2 = math.exp(2 * t[1])
    return math.exp(t[0] + sigma2 / 2), math.sqrt(math.expm1(sigma2))


def _weibull_mean_cv(t: FloatArray) -> tuple[float, float]:
    k, scale = math.exp(t[0]), math.exp(t[1])
    log_g1, log_g2 = special.gammaln(1 + 1 / k), special.gammaln(1 + 2 / k)
    return scale * math.exp(log_g1), math.sqrt(math.expm1(log_g2 - 2 * log_g1))


def _mixture_mean_cv(t: FloatArray) -> tuple[float, float]:
    mixture = _mixture(t)
    return mixture.mean(), mixture.std() / mixture.mean()


_MEAN_CV: dict[str, Callable[[FloatArray], tuple[float, float]]] = {
    "exponential": lambda t: (math.exp(t[0]), 1.0),
    "lognormal": _lognormal_mean_cv,
    "gamma": lambda t: (math.exp(t[0] + t[1]), math.exp(-t[0] / 2)),
    "weibull": _weibull_mean_cv,
    "mixture": _mixture_mean_cv,
}
"""Mean and coefficient of variation of each family in closed form (the profile
likelihood evaluates them thousands of times)."""


FAMILIES: dict[str, Family] = {
    "exponential": Family(
        "exponential",
        ("mean",),
        lambda t: stats.expon(scale=math.exp(t[0])),
        lambda x: np.array([math.log(_mean(x))]),
        lambda t: {"mean": math.exp(t[0])},
        lambda t, x: -x / math.exp(t[0]),
        lambda t, x: -t[0] - x / math.exp(t[0]),
    ),
    "lognormal": Family(
        "lognormal",
        ("mu", "sigma"),
        lambda t: stats.lognorm(s=math.exp(t[1]), scale=math.exp(t[0])),
        lambda x: np.array([_log_moments(x)[0], math.log(_log_moments(x)[1])]),
        lambda t: {"mu": float(t[0]), "sigma": math.exp(t[1])},
        lambda t, x: special.log_ndtr(-_lognormal_z(t, x)),
        lambda t, x: (
            -(_lognormal_z(t, x) ** 2) / 2 - np.log(x) - t[1] - 0.5 * math.log(2 * math.pi)
        ),
    ),
    "gamma": Family(
        "gamma",
        ("shape", "scale"),
        lambda t: stats.gamma(a=math.exp(t[0]), scale=math.exp(t[1])),
        lambda x: np.array([0.0, math.log(_mean(x))]),
        lambda t: {"shape": math.exp(t[0]), "scale": math.exp(t[1])},
        _gamma_log_sf,
        _gamma_log_pdf,
    ),
    "weibull": Family(
        "weibull",
        ("shape", "scale"),
        lambda t: stats.weibull_min(c=math.exp(t[0]), scale=math.exp(t[1])),
        lambda x: np.array([0.0, math.log(_mean(x))]),
        lambda t: {"shape": math.exp(t[0]), "scale": math.exp(t[1])},
        lambda t, x: -((x / math.exp(t[1])) ** math.exp(t[0])),
        _weibull_log_pdf,
    ),
    "mixture": Family(
        "mixture",
        ("weight_short", "mean_short", "mean_long"),
        _mixture,
        lambda x: np.array([0.0, math.log(_mean(x) / 10), math.log(_mean(x) * 1.5)]),
        lambda t: {
            "weight_short": _mixture(t).p,
            "mean_short": _mixture(t).m1,
            "mean_long": _mixture(t).m2,
        },
        lambda t, x: _mixture(t).logsf(x),
        lambda t, x: _mixture(t).logpdf(x),
    ),
}
"""The families calibration fits, by name."""


@dataclass(frozen=True)
class Fit:
    """A fitted family: parameters, their covariance, and the mean and CV with SEs."""

    family: str
    theta: FloatArray
    covariance: FloatArray
    log_likelihood: float
    observed: int
    censored: int
    parameters: dict[str, float] = field(default_factory=dict)
    mean: float = math.nan
    mean_se: float = math.nan
    cv: float = math.nan
    cv_se: float = math.nan
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Profile-likelihood 95 % intervals of ``mean`` and ``cv`` (censored fits only)."""

    @property
    def aic(self) -> float:
        return 2 * len(self.theta) - 2 * self.log_likelihood

    @property
    def distribution(self) -> stats.rv_continuous | _Mixture:
        return FAMILIES[self.family].frozen(self.theta)

    def ci(self, what: str) -> tuple[float, float]:
        """The 95 % CI of ``mean`` or ``cv``: the profile-likelihood interval of a censored
        fit (:func:`profile_interval`), else the normal approximation (delta method)."""
        if what in self.intervals:
            return self.intervals[what]
        value, se = (self.mean, self.mean_se) if what == "mean" else (self.cv, self.cv_se)
        return value - 1.96 * se, value + 1.96 * se


def _negative_log_likelihood(
    family: Family, observed: FloatArray, censored: FloatArray, delta: float
) -> Callable[[FloatArray], float]:
    # A log rounds to seconds: many values repeat, and each distinct value is
    # evaluated once, weighted by how often it occurs (the same likelihood, faster).
    observed, observed_count = np.unique(observed, return_counts=True)
    censored, censored_count = np.unique(censored, return_counts=True)

    def nll(theta: FloatArray) -> float:
        if not np.all(np.abs(theta) < 50):
            return math.inf  # parameters of e^50: far outside any log's range
        with np.errstate(all="ignore"):
            if delta > 0:
                low = family.log_sf(theta, observed)
                high = family.log_sf(theta, observed + delta)
                terms = low + np.log(-np.expm1(high - low))
            else:
                terms = family.log_pdf(theta, observed)
            total = float(terms @ observed_count)
            total += float(family.log_sf(theta, censored) @ censored_count)
        return -total if math.isfinite(total) else math.inf

    return nll


def _hessian(function: Callable[[FloatArray], float], theta: FloatArray) -> FloatArray:
    """Central-difference Hessian (steps scaled to each parameter)."""
    k = len(theta)
    steps = 1e-4 * np.maximum(np.abs(theta), 1.0)
    hessian = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            total = 0.0
            for si, sj, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                shifted = theta.copy()
                shifted[i] += si * steps[i]
                shifted[j] += sj * steps[j]
                total += sign * function(shifted)
            hessian[i, j] = hessian[j, i] = total / (4 * steps[i] * steps[j])
    return hessian


def _delta_se(
    function: Callable[[FloatArray], float], theta: FloatArray, covariance: FloatArray
) -> float:
    steps = 1e-5 * np.maximum(np.abs(theta), 1.0)
    gradient = np.empty(len(theta))
    for i in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[i] += steps[i]
        down[i] -= steps[i]
        gradient[i] = (function(up) - function(down)) / (2 * steps[i])
    variance = float(gradient @ covariance @ gradient)
    return math.sqrt(variance) if variance >= 0 else math.nan


def fit_family(
    name: str,
    observed: FloatArray,
    censored: FloatArray | None = None,
    resolution: float = 0.0,
    profile: bool = False,
) -> Fit:
    """Fit the family ``name`` by maximum likelihood.

    ``observed``: values seen exactly (minutes, >= 0; > 0 unless ``resolution`` > 0);
    ``censored``: right-censored values (the true value is larger); ``resolution``:
    the time step of the observed values (minutes; 0: exact values); ``profile``:
    give the mean and CV profile-likelihood intervals (:func:`profile_interval`) when
    there are censored values (about half a second each fit: :func:`fit_best` asks
    for them for the chosen family only).

    Raises
    ------
    ValueError
        With fewer than 2 observed values, or when the optimisation finds no finite
        likelihood.
    """
    family = FAMILIES[name]
    observed = np.asarray(observed, dtype=float)
    censored = np.asarray([] if censored is None else censored, dtype=float)
    if observed.size < 2:
        raise ValueError(f"{name}: at least 2 observed values are needed, got {observed.size}")
    nll = _negative_log_likelihood(family, observed, censored, resolution)
    start = family.start(np.concatenate([observed + resolution / 2, censored]))
    with warnings.catch_warnings():
        # BFGS probes steps where the likelihood is infinite; those steps are rejected.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = optimize.minimize(nll, start, method="BFGS")
    if not math.isfinite(result.fun):
        raise ValueError(f"{name}: no finite likelihood")
    theta = np.asarray(result.x, dtype=float)
    try:
        covariance = np.linalg.inv(_hessian(nll, theta))
    except np.linalg.LinAlgError:
        covariance = np.full((len(theta), len(theta)), np.nan)
    mean, cv = family.mean_cv(theta)
    intervals = {}
    if profile and censored.size:
        intervals = {
            what: profile_interval(name, observed, censored, resolution, theta, what)
            for what in ("mean", "cv")
        }
    return Fit(
        family=name,
        theta=theta,
        covariance=covariance,
        log_likelihood=-float(result.fun),
        observed=int(observed.size),
        censored=int(censored.size),
        parameters=family.natural(theta),
        mean=mean,
        mean_se=_delta_se(lambda t: family.mean_cv(t)[0], theta, covariance),
        cv=cv,
        cv_se=_delta_se(lambda t: family.mean_cv(t)[1], theta, covariance),
        intervals=intervals,
    )


PROFILE_RANGE = 5.0
"""How far (natural logarithm of the ratio) a profile interval's search goes from the
estimate: a bound beyond ``e^5`` times the estimate (or below ``e^-5`` of it) is
reported as unbounded (``inf`` or 0): the data do not bound it."""


def profile_interval(
    name: str,
    observed: FloatArray,
    censored: FloatArray,
    resolution: float,
    theta: FloatArray,
    what: str,
    level: float = 0.95,
) -> tuple[float, float]:
    """The profile-likelihood interval of ``what`` (``mean`` or ``cv``) of the family
    ``name`` fitted at ``theta`` to the same data as :func:`fit_family`.

    The interval holds the values ``v`` whose profile log-likelihood (the likelihood
    maximised over the parameters with ``what`` held at ``v``) lies within
    ``chi2_1(level) / 2`` of the maximum (Wilks 1938; Venzon & Moolgavkar 1988). Unlike
    the delta method's symmetric interval, it follows the likelihood's shape: with
    heavy censoring a patience's mean is an extrapolation beyond the longest waits, the
    likelihood is flat above the estimate and steep below it, and the interval is
    skewed accordingly. A one-parameter family's ``cv`` is fixed (an exponential's is
    1): its interval is that value.
    """
    family = FAMILIES[name]
    index = 0 if what == "mean" else 1
    estimate = family.mean_cv(theta)[index]
    if what == "cv" and len(theta) == 1:
        return estimate, estimate
    nll = _negative_log_likelihood(
        family, np.asarray(observed, float), np.asarray(censored, float), resolution
    )
    best = nll(theta)
    limit = stats.chi2.ppf(level, 1) / 2

    def log_target(t: FloatArray) -> float:
        try:
            value = family.mean_cv(t)[index]
        except (ArithmeticError, ValueError):  # parameters far outside any log's range
            return math.inf
        return math.log(value) if value > 0 and math.isfinite(value) else math.inf

    centre = log_target(theta)
    warm = {"theta": theta.copy()}

    def excess(log_value: float) -> float:
        """Profile deviance / 2 above the maximum, less the limit, at ``log_value``."""
        if len(theta) == 1:
            # One parameter (the exponential's mean): no other parameter to maximise over.
            return nll(np.array([log_value])) - best - limit
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = optimize.minimize(
                nll,
                warm["theta"],
                method="SLSQP",
                constraints={"type": "eq", "fun": lambda t: log_target(t) - log_value},
                options={"maxiter": 200, "ftol": 1e-9},
            )
        value = float(result.fun)
        reached = log_target(result.x)
        if not (math.isfinite(value) and math.isfinite(reached)) or abs(reached - log_value) > 1e-4:
            return math.inf  # no parameter reaches this value with a finite likelihood
        warm["theta"] = np.asarray(result.x, dtype=float)
        return max(value - best, 0.0) - limit

    return (
        math.exp(_bound(excess, centre, -1.0, warm, theta)),
        math.exp(_bound(excess, centre, 1.0, warm, theta)),
    )


BISECTIONS = 9
"""Bisection steps of a profile bound where the profile is infinite at the far end of
the bracket (no parameter reaches that value): the bracket (at most the last doubling
step, under 0.4 on the log scale where intervals are quoted) shrinks 512-fold, so the
bound is found to better than 0.1 %. Elsewhere Brent's method finds it to 1e-4."""


def _bound(
    excess: Callable[[float], float],
    centre: float,
    direction: float,
    warm: dict[str, FloatArray],
    theta: FloatArray,
) -> float:
    """The log-value where ``excess`` crosses zero going from ``centre`` in ``direction``
    (steps doubling from 0.02, then Brent's method or bisection), or the end of
    :data:`PROFILE_RANGE` (unbounded)."""
    warm["theta"] = theta.copy()
    inside, step = centre, 0.02
    while step <= PROFILE_RANGE:
        outside = centre + direction * step
        far = excess(outside)
        if far >= 0:
            warm_start = warm["theta"].copy()

            def restarted(value: float, warm_start: FloatArray = warm_start) -> float:
                warm["theta"] = warm_start.copy()
                found = excess(value)
                return found if math.isfinite(found) else 1e6  # unreachable: outside

            low, high = sorted((inside, outside))
            if math.isfinite(far):
                return float(optimize.brentq(restarted, low, high, xtol=1e-4))
            for _ in range(BISECTIONS):
                middle = (inside + outside) / 2
                if restarted(middle) >= 0:
                    outside = middle
                else:
                    inside = middle
            return (inside + outside) / 2
        inside, step = outside, step * 2
    return centre + direction * math.inf


def fit_best(
    names: tuple[str, ...],
    observed: FloatArray,
    censored: FloatArray | None = None,
    resolution: float = 0.0,
) -> tuple[Fit, dict[str, Fit]]:
    """Fit each family of ``names`` and return the one of lowest AIC, and all fits
    (families whose optimisation failed are left out). With censored values the chosen
    fit carries profile-likelihood intervals (:func:`profile_interval`).

    Raises
    ------
    ValueError
        When no family could be fitted.
    """
    fits: dict[str, Fit] = {}
    for name in names:
        try:
            fits[name] = fit_family(name, observed, censored, resolution)
        except ValueError:
            continue
    if not fits:
        raise ValueError("no family could be fitted")
    best = min(fits.values(), key=lambda fit: fit.aic)
    if censored is not None and len(censored):
        # The chosen family's intervals follow its likelihood (the scenario and the
        # report quote them); the others keep the delta method's in fits.csv.
        best = fit_family(best.family, observed, censored, resolution, profile=True)
        fits[best.family] = best
    return best, fits
