"""What remembered experience does next: return, loyalty states, word of mouth.

All functions are vectorised over customers and take their randomness from a
generator passed in.

Return model
    :class:`LogisticReturn` (``docs/model/retention.md``): the probability of coming back
    falls with worse remembered utility, more effort and a lower belief in the
    company's reliability, anchored so that a customer who remembers
    ``baseline_utility`` with no extra effort and the prior belief returns with
    ``baseline_retention``. Satisfaction (remembered utility) is not return: a
    well-recovered failure can be remembered better than no failure and still
    not bring the customer back more often, because the failure taught them
    that the company fails. Like the memory models, return models are small
    value objects; :func:`register_return_model` adds one that a config can
    name, and :func:`return_models_by_segment` gives each segment its own.
Reliability belief
    :class:`ReliabilityBelief`: each customer's Beta-Bernoulli belief that a
    contact works, from a prior ``Beta(a, b)`` (``retention.reliability_prior``,
    an assumption) updated after each visit with its contacts: a contact in
    which a failure was noticed counts as a failure, every other contact
    (resolved, abandoned, retried) as one that worked.
Loyalty states
    A customer's history of visits: AT_RISK after a bad visit, SATISFIED after a
    good one, LOYAL after ``loyal_after`` good visits in a row, ADVOCATE after
    ``advocate_after``. Merely satisfied customers are "free agents"; loyal ones
    get a bonus in the return model.
Word of mouth
    Satisfied customers tell a few people, advocates more, dissatisfied ones many
    (survey folklore: 9-10); a share of those told good things become customers,
    a share of those told bad things are lost as prospects. All rates are
    assumptions (parameters).
Feedback off
    ``retention.experience_feedback = false`` holds every return model at its
    anchor (:class:`AnchoredReturn`) and silences word of mouth: what customers
    live through no longer decides who stays, so two plans compared with common
    random numbers keep exactly the same customers.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np

from peakend.base import plugins
from peakend.base.registry import Registry

if TYPE_CHECKING:
    from peakend.config.schema import RetentionConfig, ReturnModelConfig, Scenario

__all__ = [
    "AnchoredReturn",
    "BaseReturnModel",
    "Loyalty",
    "LogisticReturn",
    "ReliabilityBelief",
    "ReturnModel",
    "next_loyalty",
    "available_return_models",
    "register_return_model",
    "return_model_class",
    "return_model_from_config",
    "return_models_by_segment",
    "return_probability",
    "word_of_mouth",
]


class Loyalty(IntEnum):
    """Loyalty state of a customer, from the history of visits."""

    NEW = 0
    AT_RISK = 1
    SATISFIED = 2
    LOYAL = 3
    ADVOCATE = 4


class ReturnModel(Protocol):
    """Anything that gives each customer's probability of coming back."""

    def probability(
        self,
        remembered: np.ndarray,
        effort: np.ndarray,
        loyalty: np.ndarray,
        reliability_change: np.ndarray | None = None,
    ) -> np.ndarray: ...


class BaseReturnModel(ABC):
    """Base class of every registered return model.

    Subclass it with a frozen dataclass. A return model is built with the
    parameters of ``[retention.returns]`` (:class:`~peakend.config.schema.ReturnModelConfig`),
    so it declares those fields (subclassing :class:`LogisticReturn` is the easy way).
    """

    __slots__ = ()

    @abstractmethod
    def probability(
        self,
        remembered: np.ndarray,
        effort: np.ndarray,
        loyalty: np.ndarray,
        reliability_change: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probability that each customer comes back, in [0, 1].

        ``reliability_change`` is each customer's reliability belief minus the
        prior's mean (None: no change); the retention loop always passes it.
        """


@dataclass(frozen=True)
class LogisticReturn(BaseReturnModel):
    """``logit P = logit(p0) + b_u (R - R0) - b_e effort + bonus * loyal + b_r dB``.

    ``dB`` is the reliability belief's change from the prior mean (see the module
    doc and :class:`~peakend.config.schema.ReturnModelConfig` for the defaults'
    rationale).
    """

    baseline_utility: float = 0.0
    baseline_retention: float = 0.85
    utility_slope: float = 0.35
    effort_slope: float = 0.4
    loyalty_bonus: float = 0.5
    reliability_slope: float = 5.0

    def __post_init__(self) -> None:
        if not 0 < self.baseline_retention < 1:
            raise ValueError(f"baseline_retention must be in (0, 1), got {self.baseline_retention}")
        for name in ("utility_slope", "effort_slope", "loyalty_bonus", "reliability_slope"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    def probability(
        self,
        remembered: np.ndarray,
        effort: np.ndarray,
        loyalty: np.ndarray,
        reliability_change: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return probability of each customer. NaN memories count as the baseline."""
        p0 = self.baseline_retention
        memory = np.where(np.isnan(remembered), self.baseline_utility, remembered)
        change = 0.0 if reliability_change is None else np.asarray(reliability_change, float)
        logit = (
            math.log(p0 / (1 - p0))
            + self.utility_slope * (memory - self.baseline_utility)
            - self.effort_slope * np.asarray(effort, dtype=float)
            + self.loyalty_bonus * (np.asarray(loyalty) >= Loyalty.LOYAL)
            + self.reliability_slope * change
        )
        return 1.0 / (1.0 + np.exp(-logit))


_RETURN_MODELS = Registry[BaseReturnModel]("return model", BaseReturnModel, "peakend.return_models")
# The schema checks configs' return models against this registry (peakend.base.plugins).
plugins.provide(plugins.RETURN_MODELS, _RETURN_MODELS)
_ModelClass = TypeVar("_ModelClass", bound=type)


def register_return_model(
    name: str, *, replace: bool = False
) -> Callable[[_ModelClass], _ModelClass]:
    """Class decorator: make a return model available to configs under ``name``.

    Installed packages can instead declare it as an entry point in the group
    ``peakend.return_models`` (see :mod:`peakend.base.registry`).

    Raises
    ------
    ValueError
        If ``name`` is not snake_case or is taken (and ``replace`` is false).
    TypeError
        If the class is not a dataclass subclassing :class:`BaseReturnModel`.
    """
    return _RETURN_MODELS.register(name, replace=replace)


def available_return_models() -> dict[str, type]:
    """Registered return models by name, sorted (a copy)."""
    return dict(_RETURN_MODELS.available())


def return_model_class(name: str) -> type[BaseReturnModel]:
    """The return model registered as ``name`` (never an import path).

    Raises
    ------
    ValueError
        For a name that is not registered, listing the registered ones.
    """
    return _RETURN_MODELS.get(name)


def return_model_from_config(config: ReturnModelConfig) -> BaseReturnModel:
    """Build the configured return model with the config's parameters.

    Raises
    ------
    ValueError
        For an unknown model, or a parameter the model does not declare or rejects.
    """
    return _RETURN_MODELS.from_spec(config.model_dump())


register_return_model("logistic")(LogisticReturn)


def return_models_by_segment(scenario: Scenario) -> list[BaseReturnModel]:
    """Each segment's return model, in segment order: its own, else ``retention.returns``.

    With ``retention.experience_feedback = false`` each is replaced by an
    :class:`AnchoredReturn` of it: a probability that no experience moves.
    """
    default = return_model_from_config(scenario.retention.returns)
    models = [
        default if segment.returns is None else return_model_from_config(segment.returns)
        for segment in scenario.segments.values()
    ]
    if scenario.retention.experience_feedback:
        return models
    return [AnchoredReturn(model) for model in models]


@dataclass(frozen=True)
class AnchoredReturn(BaseReturnModel):
    """A return model held at its anchor: the memory->return loop switched off.

    Every customer gets the probability ``model`` gives a customer who remembers
    the model's ``baseline_utility`` (0 for a model without one), made no extra
    effort, is not loyal and still believes the reliability prior; for the
    logistic model that is ``baseline_retention``. Nothing a customer lived
    through moves it (``retention.experience_feedback = false``).
    """

    model: BaseReturnModel

    def probability(
        self,
        remembered: np.ndarray,
        effort: np.ndarray,
        loyalty: np.ndarray,
        reliability_change: np.ndarray | None = None,
    ) -> np.ndarray:
        """The anchor's probability for every customer (one per row of ``remembered``)."""
        size = len(remembered)
        anchor = float(getattr(self.model, "baseline_utility", 0.0))
        return self.model.probability(
            np.full(size, anchor), np.zeros(size), np.full(size, Loyalty.NEW), np.zeros(size)
        )


def return_probability(
    models: list[BaseReturnModel],
    segment: np.ndarray,
    remembered: np.ndarray,
    effort: np.ndarray,
    loyalty: np.ndarray,
    reliability_change: np.ndarray,
) -> np.ndarray:
    """Each customer's return probability under their segment's model (``models[segment]``)."""
    probability = np.empty(len(segment))
    for code, model in enumerate(models):
        mine = segment == code
        if mine.any():
            probability[mine] = model.probability(
                remembered[mine], effort[mine], loyalty[mine], reliability_change[mine]
            )
    return probability


@dataclass
class ReliabilityBelief:
    """Beta-Bernoulli beliefs that a contact works, one per customer (pseudo-counts).

    ``worked`` and ``failed`` start at the prior ``(a, b)`` and grow by each
    visit's contacts: a visit with ``contacts`` contacts and ``failures`` noticed
    failures adds ``contacts - failures`` (at least 0) to ``worked`` and
    ``failures`` to ``failed``. The belief is the posterior mean
    ``worked / (worked + failed)``.
    """

    worked: np.ndarray
    failed: np.ndarray

    @classmethod
    def prior(cls, prior: tuple[float, float], size: int) -> ReliabilityBelief:
        """``size`` customers who believe the prior ``Beta(a, b)``."""
        return cls(np.full(size, float(prior[0])), np.full(size, float(prior[1])))

    def mean(self, ids: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Posterior mean of the chosen customers: the probability a contact works."""
        return self.worked[ids] / (self.worked[ids] + self.failed[ids])

    def learn(self, ids: np.ndarray, contacts: np.ndarray, failures: np.ndarray) -> None:
        """Update the customers ``ids`` (distinct) with one visit each."""
        failures = np.asarray(failures, dtype=float)
        self.worked[ids] += np.maximum(np.asarray(contacts, dtype=float) - failures, 0.0)
        self.failed[ids] += failures

    def extend(self, other: ReliabilityBelief) -> None:
        """Append the customers of ``other``."""
        self.worked = np.concatenate([self.worked, other.worked])
        self.failed = np.concatenate([self.failed, other.failed])


def next_loyalty(
    loyalty: np.ndarray,
    streak: np.ndarray,
    remembered: np.ndarray,
    good_threshold: float,
    bad_threshold: float,
    config: RetentionConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """New loyalty states and good-visit streaks after one visit each."""
    good = remembered >= good_threshold
    bad = remembered < bad_threshold
    streak = np.where(good, streak + 1, 0)
    state = np.where(bad, Loyalty.AT_RISK, np.where(good, Loyalty.SATISFIED, loyalty))
    state = np.where(streak >= config.loyal_after, Loyalty.LOYAL, state)
    state = np.where(streak >= config.advocate_after, Loyalty.ADVOCATE, state)
    # A neutral visit keeps a loyal customer loyal but does not build the streak.
    state = np.where(~good & ~bad & (loyalty >= Loyalty.LOYAL), loyalty, state)
    return state.astype(np.int8), streak


@dataclass(frozen=True)
class WordOfMouth:
    """People told good and bad things this period, and what came of it."""

    told_good: int
    told_bad: int
    referrals: int
    deterred: int


def word_of_mouth(
    remembered: np.ndarray,
    loyalty: np.ndarray,
    good_threshold: float,
    bad_threshold: float,
    config: RetentionConfig,
    rng: np.random.Generator,
) -> WordOfMouth:
    """Draw how many people each visitor tells, and the referrals and lost prospects.

    With ``config.experience_feedback`` off nobody tells anyone (and ``rng`` is not used).
    """
    if not config.experience_feedback:
        return WordOfMouth(told_good=0, told_bad=0, referrals=0, deterred=0)
    good = remembered >= good_threshold
    bad = remembered < bad_threshold
    advocate = loyalty >= Loyalty.ADVOCATE
    tell_mean = np.where(
        bad,
        config.dissatisfied_tell_mean,
        np.where(
            good & advocate,
            config.advocate_tell_mean,
            np.where(good, config.satisfied_tell_mean, 0.0),
        ),
    )
    told = rng.poisson(tell_mean)
    told_good = int(told[good].sum())
    told_bad = int(told[bad].sum())
    return WordOfMouth(
        told_good=told_good,
        told_bad=told_bad,
        referrals=int(rng.binomial(told_good, config.referral_conversion)),
        deterred=int(rng.binomial(told_bad, config.deterrence_rate)),
    )
