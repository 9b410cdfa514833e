"""The calibrated scenario: TOML that runs as it is, each fitted value with its CI.

:func:`scenario_toml` writes a :class:`~peakend.calibration.calibrate.Calibration`
as a peakend scenario, commented: beside each fitted value its 95 % confidence
interval (delta method or Wilson, :mod:`peakend.calibration.fitting`) and the
number of contacts behind it; every key no data supports is marked ``assumption``.

Choices, documented in ``docs/calibration/statistics.md``:

- the day spans the earliest to the latest queue arrival of the log, in intervals
  of ``interval_minutes``; ``rate_per_hour`` is the mean count of *fresh* arrivals
  (not redials) per interval over the log's days, as the engine adds its own
  retries; a type's ``share`` is its share of fresh arrivals;
- patience: the parametric family of lowest AIC, if its survival stays within
  three Greenwood standard errors of the Kaplan-Meier curve at every event time
  with at least 30 contacts at risk; otherwise the Kaplan-Meier curve itself (``distribution =
  "survival"``) with its exponential tail;
- service: per pool, the family of lowest AIC over the contacts its agents served,
  and, where the engine holds it (``service_time_by_segment``), per type;
- staffing: the mean over the log's days of the agents present (the spell
  estimator, :mod:`peakend.calibration.rosters`), rounded; where the engine holds
  rosters by day (``staffing_by_day``), each calendar day's own roster;
- the IVR (where the engine holds it): each type's time before the queue
  (lognormal) and the share of its calls that end there, read as self-service (an
  assumption); the arrival rate is then of calls entering the IVR (fresh queue
  arrivals over the share going on), and the retry probability is divided by that
  share too, as every redial passes the IVR again;
- redials: ``retry_probability`` and ``retry_delay``; repeat contacts: every
  unresolved customer calls again (``recontact_probability = 1``, an assumption) so
  that ``first_contact_resolution`` is one minus the repeat share;
- absenteeism 0: the roster is of agents seen present;
- memory: a blend fitted to survey scores (:mod:`peakend.calibration.memory_fit`), or
  peakend's default peak-end rule, an assumption; the return model's intercept and
  slopes fitted to returning customers (:mod:`peakend.calibration.returns_fit`), or
  peakend's defaults, an assumption.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from peakend.base.names import printable
from peakend.calibration.calibrate import Calibration, TypeFit
from peakend.calibration.fitting import Fit
from peakend.calibration.rosters import staffing_from_presence
from peakend.calibration.survival import KaplanMeier, km_distance

__all__ = ["engine_has", "patience_spec", "scenario_toml"]

SURVIVAL_POINTS = 2_000
"""Most points of a Kaplan-Meier curve written to a scenario (the engine takes 10,000)."""


def engine_has(model: str, key: str) -> bool:
    """Whether the installed scenario schema has ``key`` on ``model`` (``pool``,
    ``segment``, ``run``): the writer uses a key only where the engine holds it."""
    from peakend.config import schema

    models: dict[str, type[BaseModel]] = {
        "pool": schema.PoolConfig,
        "segment": schema.SegmentConfig,
        "run": schema.RunConfig,
    }
    return key in models[model].model_fields


def _number(value: float, digits: int = 4) -> str:
    """A TOML float, rounded to ``digits`` significant digits (never an integer literal)."""
    if not math.isfinite(value):
        return "inf"
    text = f"{value:.{digits}g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _key(name: str) -> str:
    """A quoted TOML key (JSON escapes are valid TOML basic-string escapes)."""
    return json.dumps(name, ensure_ascii=False)


def _ci(fit: Fit, what: str) -> str:
    low, high = fit.ci(what)
    return f"{_number(low, 3)}-{_number(high, 3)}" if math.isfinite(low) else "n/a"


def distribution_spec(fit: Fit) -> str:
    """The inline TOML table of a fitted family."""
    p = fit.parameters
    if fit.family == "exponential":
        return f'{{ distribution = "exponential", mean = {_number(fit.mean)} }}'
    if fit.family in ("lognormal", "gamma"):
        return (
            f'{{ distribution = "{fit.family}", mean = {_number(fit.mean)}, '
            f"cv = {_number(fit.cv)} }}"
        )
    if fit.family == "weibull":
        return (
            f'{{ distribution = "weibull", shape = {_number(p["shape"])}, '
            f"scale = {_number(p['scale'])} }}"
        )
    short = round(p["weight_short"], 4)
    return (
        f'{{ distribution = "mixture", weights = [{_number(short)}, {_number(1 - short)}], '
        f'components = [{{ distribution = "exponential", mean = {_number(p["mean_short"])} }}, '
        f'{{ distribution = "exponential", mean = {_number(p["mean_long"])} }}] }}'
    )


def _fit_comment(fit: Fit, what: str = "") -> str:
    cv = "" if fit.family == "exponential" else f", cv {_number(fit.cv, 3)} ({_ci(fit, 'cv')})"
    return (
        f"{what}{fit.family} by AIC: mean {_number(fit.mean, 3)} min "
        f"(95 % CI {_ci(fit, 'mean')}){cv}, {fit.observed:,} observed"
        + (f", {fit.censored:,} censored" if fit.censored else "")
    )


BAND_STANDARD_ERRORS = 3.0
"""A fitted patience replaces the Kaplan-Meier curve only if it stays within this many
Greenwood standard errors of it (an approximate simultaneous band)."""


def _survival_within_band(fit: Fit, curve: KaplanMeier, resolution: float) -> bool:
    distance = km_distance(curve, np.asarray(fit.distribution.sf(curve.times + resolution)))
    return not math.isfinite(distance) or distance <= BAND_STANDARD_ERRORS


def patience_spec(kind: TypeFit, resolution: float) -> tuple[str, str]:
    """The patience of a type as an inline TOML table, and a comment saying why."""
    fit, curve = kind.patience, kind.patience_km
    if fit is None or curve is None:
        return '{ distribution = "fixed", value = inf }', "no abandonment: assumption"
    if _survival_within_band(fit, curve, resolution):
        return distribution_spec(fit), _fit_comment(fit, "patience ")
    return _survival_table(curve), (
        f"Kaplan-Meier curve ({curve.events:,} abandonments, {curve.censored:,} censored): "
        f"the best family ({fit.family}) leaves its 95 % band"
    )


def _survival_table(curve: KaplanMeier) -> str:
    keep = np.unique(np.linspace(0, curve.times.size - 1, SURVIVAL_POINTS).astype(int))
    # Rounded to a thousandth of a second (distinct: the log's waits are whole steps).
    times = np.round(curve.times[keep], 5)
    times, last = np.unique(times[::-1], return_index=True)
    survival = np.round(curve.survival[keep][::-1][last], 6)
    minutes = ", ".join(repr(float(t)) for t in times)
    survival_text = ", ".join(repr(float(s)) for s in survival)
    tail = 1 / curve.tail_rate
    return (
        f'{{ distribution = "survival", minutes = [{minutes}], survival = [{survival_text}], '
        f'interpolation = "step", tail = "exponential", tail_mean = {_number(tail)} }}'
    )


def _clock(minutes: float) -> str:
    minutes = int(round(minutes)) % 1_440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _list(values: Sequence[float] | np.ndarray, integer: bool = False) -> str:
    if integer:
        return "[" + ", ".join(str(int(v)) for v in values) + "]"
    return "[" + ", ".join(_number(float(v), 4) for v in values) + "]"


def scenario_toml(calibration: Calibration, name: str = "calibrated", seed: int = 1) -> str:
    """The calibrated scenario as commented TOML (loads with :func:`peakend.load_scenario`)."""
    c = calibration
    ivr = _ivr_shares(c)
    fresh = c.arrivals.type_shares(fresh=True)
    # Every contact passes the IVR before the queue: the stream entering the IVR is the
    # fresh queue arrivals divided by the share that goes on to the queue.
    entering = {kind: share / (1 - ivr.get(kind, 0.0)) for kind, share in fresh.items()}
    total = sum(entering.values())
    shares = _shares_summing_to_one({kind: value / total for kind, value in entering.items()})
    lines = _header(c, name, seed)
    lines += _arrivals(c, total)
    for kind in c.types.values():
        lines += _segment(c, kind, shares.get(kind.name, 0.0), ivr.get(kind.name, 0.0))
    for pool in c.pools:
        lines += _pool(c, pool.name)
    lines += _experience(c)
    lines += _retention(c)
    lines.append("")
    return "\n".join(lines)


def _experience(c: Calibration) -> list[str]:
    """The memory model: fitted to survey scores, or peakend's default, an assumption."""
    from peakend.calibration.memory_fit import MEMORY_TERMS

    lines = ["", "[experience]"]
    m = c.memory
    if m is None:
        why = dict(c.assumptions).get("memory model", "no survey scores")
        return [
            *lines,
            f"# assumption ({why}): the memory model keeps peakend's default",
            'memory = { model = "peak_end" }',
        ]
    lines.append(
        f"# memory weights: least squares of {m.scores:,} survey scores on the features of "
        f"each journey's trace rebuilt from the log (residual sd {_number(m.residual_sd, 3)}, "
        f"R^2 {m.r_squared:.3f}); 95 % CIs:"
    )
    for term in (*MEMORY_TERMS, "intercept"):
        low, high = m.ci(term)
        lines.append(
            f"#   {term} {_number(getattr(m.model, term), 4)} "
            f"({_number(low, 3)} to {_number(high, 3)})"
        )
    weights = ", ".join(
        f"{term} = {_number(getattr(m.model, term), 6)}" for term in (*MEMORY_TERMS, "intercept")
    )
    lines.append(f'memory = {{ model = "blend", {weights} }}')
    return lines


def _retention(c: Calibration) -> list[str]:
    """The return model's intercept and slopes, where the log shows customers return."""
    r = c.returns
    if r is None:
        why = dict(c.assumptions).get("return model", "no returns")
        return [
            "",
            f"# return model: assumption ({why}); [retention.returns] keeps peakend's defaults",
        ]
    lines = [
        "",
        "[retention.returns]",
        f"# fitted: {r.returned:,} of {r.journeys:,} identified journeys were followed by "
        f"another within {r.return_days} days; logistic regression on remembered utility "
        f"({r.memory}) and extra contacts, Wald 95 % CIs. A return here is a contact within "
        f"the window: use it with retention.days_per_period = {r.return_days}",
        'model = "logistic"',
        "baseline_utility = 0.0   # the anchor: remembered utility 0, no extra contact",
    ]
    low, high = r.ci("baseline_retention")
    lines.append(
        f"baseline_retention = {_number(r.baseline_retention, 6)}   "
        f"# 95 % CI {_number(low, 3)}-{_number(high, 3)}"
    )
    for name in ("utility_slope", "effort_slope"):
        value = float(getattr(r, name))
        low, high = r.ci(name)
        note = f"# 95 % CI {_number(low, 3)} to {_number(high, 3)}"
        if value < 0:
            # The schema's slopes are >= 0 (worse memory, more effort: fewer returns).
            note += f"; fitted {_number(value, 3)}, below the model's range: 0"
        lines.append(f"{name} = {_number(max(value, 0.0), 6)}   {note}")
    lines.append(
        "# loyalty_bonus and reliability_slope: assumptions (a log shows neither loyalty "
        "states nor beliefs)"
    )
    return lines


def _header(c: Calibration, name: str, seed: int) -> list[str]:
    days = c.log.days()
    lines = [
        f"# Calibrated by peakend from {printable(c.log.source)} ({c.log.format_name} format):",
        f"# {c.log.rows_read:,} rows read, {c.log.rows_used:,} used, "
        f"{sum(c.log.dropped.values()):,} dropped; {len(days)} days from "
        f"{days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}.",
        "# Beside each fitted value: its 95 % confidence interval and the contacts behind it.",
        f"name = {_key(name)}",
        f'description = "Calibrated to {len(days)} days of a contact log"',
        "",
        "[run]",
        "replications = 10",
        f"seed = {int(seed)}",
        f'opens_at = "{_clock(c.opens)}"   # the earliest queue arrival of the log',
        "service_level_threshold_minutes = "
        f"{_number(c.settings.service_level_threshold_minutes, 6)}"
        "   # assumption: the centre's target wait",
    ]
    if engine_has("run", "start_date"):
        lines.append(f'start_date = "{days[0]:%Y-%m-%d}"   # the log\'s first day')
    return lines


def _shares_summing_to_one(shares: dict[str, float]) -> dict[str, float]:
    """Shares rounded to 8 decimals, the largest taking the rounding residue, so that
    they sum to 1 within the schema's tolerance."""
    rounded = {kind: round(share, 8) for kind, share in shares.items()}
    largest = max(rounded, key=lambda kind: rounded[kind])
    rounded[largest] = round(1.0 - sum(v for k, v in rounded.items() if k != largest), 8)
    return rounded


def _ivr_shares(c: Calibration) -> dict[str, float]:
    """The share of each type's calls that end in the IVR, where the IVR is written."""
    if not engine_has("segment", "ivr"):
        return {}
    return {
        name: min(kind.ivr_share.value, 0.99)
        for name, kind in c.types.items()
        if kind.ivr_minutes is not None and math.isfinite(kind.ivr_share.value)
    }


def _arrivals(c: Calibration, ivr_factor: float) -> list[str]:
    a = c.arrivals
    rates = a.profile(fresh=True) * 60 / c.settings.interval_minutes * ivr_factor
    what = (
        "calls entering the IVR (fresh queue arrivals / the share going on to the queue)"
        if ivr_factor > 1
        else "fresh arrivals (redials left out)"
    )
    dispersion = (
        f"dispersion {a.dispersion:.2f} against Poisson (1 = Poisson; "
        f"p = {a.dispersion_p_value:.3g}), day-to-day busyness cv {a.busyness_cv:.2f}"
        if math.isfinite(a.dispersion)
        else "dispersion not estimated (each weekday seen once)"
    )
    return [
        "",
        "[arrivals]",
        f"interval_minutes = {_number(c.settings.interval_minutes)}",
        f"# mean {what} per hour over {a.days} days; {dispersion}",
        f"rate_per_hour = {_list(rates)}",
    ]


def _segment(c: Calibration, kind: TypeFit, share: float, ivr: float) -> list[str]:
    follow = kind.follow
    patience, why = patience_spec(kind, c.settings.resolution_minutes)
    lines = [
        "",
        f"[segments.{_key(kind.name)}]",
        f"# {kind.queued:,} contacts reached the queue, {kind.abandoned:,} abandoned "
        f"({kind.abandonment.value:.1%}), {kind.ivr_only:,} ended in the IVR",
        f"share = {share!r}   # of fresh arrivals" + (" entering the IVR" if ivr else ""),
        f"# {why}" + (" (all types pooled: too few of this type)" if kind.patience_pooled else ""),
        f"patience = {patience}",
        f"entry_pool = {_key(c.entry_pool[kind.name])}",
        "max_contacts = 20",
    ]
    if follow is not None and follow.abandoned_seen:
        low, high = _wilson(follow.redialled, follow.abandoned_seen)
        lines += [
            f"# redials: {follow.redialled:,} of {follow.abandoned_seen:,} abandoned contacts "
            f"with a customer id called again within {c.settings.redial_window:g} min "
            f"(95 % CI {low:.3f}-{high:.3f})",
            f"retry_probability = {_number(min(follow.redial_share / (1 - ivr), 1.0))}"
            + ("   # / the share passing the IVR: every redial passes it" if ivr else ""),
        ]
        if kind.redial_delay is not None:
            lines += [
                f"# {_fit_comment(kind.redial_delay, 'delay: ')}",
                f"retry_delay = {distribution_spec(kind.redial_delay)}",
            ]
    if follow is not None and follow.served_seen:
        low, high = _wilson(follow.repeated, follow.served_seen)
        lines += [
            f"# repeat contacts: {follow.repeated:,} of {follow.served_seen:,} served contacts "
            f"followed within {c.settings.repeat_window:g} min (95 % CI {low:.3f}-{high:.3f}); "
            "assumption: every unresolved customer calls again, so the pool's "
            "first_contact_resolution is 1 - this share",
            "recontact_probability = 1.0",
        ]
        if kind.repeat_delay is not None:
            lines.append(f"recontact_delay = {distribution_spec(kind.repeat_delay)}")
    if ivr and kind.ivr_minutes is not None:
        low, high = kind.ivr_share.ci()
        lines += [
            f"# IVR: {_fit_comment(kind.ivr_minutes, 'time before the queue: ')}; "
            f"{kind.ivr_share.value:.1%} of calls end there (95 % CI {low:.3f}-{high:.3f}); "
            "assumption: they were served there (a log cannot tell self-service from "
            "giving up)",
            f"ivr = {{ minutes = {distribution_spec(kind.ivr_minutes)}, leave_probability = 0.0, "
            f"self_service_probability = {_number(ivr)} }}",
        ]
    lines.append("expected_wait_minutes = 1.0   # assumption: no survey of expectations")
    return lines


def _wilson(successes: int, trials: int) -> tuple[float, float]:
    from peakend.calibration.calibrate import Proportion

    return Proportion(successes, trials).ci()


def _pool(c: Calibration, name: str) -> list[str]:
    roster = c.mean_roster(name)
    staffing = staffing_from_presence(roster)
    fit = c.pool_service.get(name)
    members = [kind for kind, pool in c.entry_pool.items() if pool == name]
    lines = [
        "",
        f"[pools.{_key(name)}]",
        f"# agents present: the spell estimator (breaks over {c.settings.break_minutes:g} min end a"
        f" spell), mean over {len(c.rosters[name])} days, rounded",
        f"staffing = {_list(staffing, integer=True)}",
        "absenteeism = 0.0   # the roster counts agents seen present",
    ]
    if engine_has("pool", "staffing_by_day"):
        days = ", ".join(
            f'"{day:%Y-%m-%d}" = {_list(staffing_from_presence(r), integer=True)}'
            for day, r in c.rosters[name].items()
        )
        lines.append(f"staffing_by_day = {{ {days} }}")
    if fit is not None:
        lines += [f"# {_fit_comment(fit, 'service: ')}", f"service_time = {distribution_spec(fit)}"]
    if engine_has("pool", "service_time_by_segment"):
        own = [c.types[kind] for kind in members if c.types[kind].service is not None]
        own = [kind for kind in own if not kind.service_pooled]
        if own:
            for kind in own:
                lines.append(f"# {kind.name}: {_fit_comment(kind.service, 'service: ')}")  # type: ignore[arg-type]
            tables = ", ".join(
                f"{_key(kind.name)} = {distribution_spec(kind.service)}"  # type: ignore[arg-type]
                for kind in own
            )
            lines.append(f"service_time_by_segment = {{ {tables} }}")
    repeat = _repeat_share(c, members)
    if repeat is not None:
        lines.append(
            f"first_contact_resolution = {_number(1 - repeat)}"
            "   # 1 - the repeat share of its types"
        )
    rules = c.overflow.get(name, [])
    if rules:
        listed = ", ".join(
            f"{{ pool = {_key(pool)}, after_minutes = {_number(after)} }}" for pool, after in rules
        )
        lines += [
            "# overflow: other pools served its types; after = 5 % quantile of their waits",
            f"overflow = [{listed}]",
        ]
    return lines


def _repeat_share(c: Calibration, members: list[str]) -> float | None:
    follows = [f for f in (c.types[k].follow for k in members) if f is not None]
    seen = sum(f.served_seen for f in follows)
    repeated = sum(f.repeated for f in follows)
    return repeated / seen if seen else None


def scenario_dict(text: str) -> dict[str, Any]:
    """The TOML text as data (for checks)."""
    import tomllib

    return tomllib.loads(text)
