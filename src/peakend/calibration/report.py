"""The calibration report: one self-contained HTML page.

Fitted against observed for each fit (survival curves from Kaplan-Meier against
the parametric fits, service-time quantiles, arrival profiles by weekday, agents
present), the rows read, used and dropped by reason, and the assumptions that no
data in the log supports. Every string from the log (type and agent names, the
path) goes through :func:`peakend.base.names.html_text`; plots are embedded as
PNG.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Sequence

import numpy as np

from peakend.base.names import html_text, plot_text
from peakend.calibration.arrivals import WEEKDAYS
from peakend.calibration.calibrate import Calibration, TypeFit
from peakend.calibration.fitting import Fit

__all__ = ["ASSUMPTIONS", "render_report"]

ASSUMPTIONS = (
    (
        "experience (value function, wait discomfort, expected quality, agents' warmth)",
        "a log records no feelings: peakend's documented defaults, with their sources; "
        "survey scores fit only the memory model's weights on top of them",
    ),
    (
        "retention (loyalty bonus, reliability, word of mouth)",
        "a log shows neither loyalty states nor beliefs nor referrals: peakend's defaults",
    ),
    ("segments.*.expected_wait_minutes", "what callers expect: no data in a call log"),
    ("run.service_level_threshold_minutes", "the centre's target wait (20 s by default)"),
    (
        "recontact_probability = 1",
        "every unresolved customer calls again, so first-contact resolution is "
        "1 - the repeat share",
    ),
    (
        "arrivals within an interval",
        "Poisson with the interval's mean (the day-to-day "
        "busyness the report measures is not simulated)",
    ),
    (
        "shares of the types",
        "constant through the day (the engine draws each arrival's type with the same shares)",
    ),
    ("absenteeism = 0", "the roster counts agents seen present, so no one is absent"),
    (
        "priorities",
        "callers are answered first come, first served (a log's priority column is not read)",
    ),
)
"""What a calibrated scenario keeps as an assumption, and why."""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.7rem; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
figure img { max-width: 100%; } figcaption { color: #555; font-size: 0.9rem; }
"""


def _e(value: object) -> str:
    return html_text(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _section(title: str, content: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{content}</section>"


def _figure(figure: object, caption: str) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(figure)  # type: ignore[arg-type]
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _ci_text(fit: Fit, what: str) -> str:
    value = fit.mean if what == "mean" else fit.cv
    low, high = fit.ci(what)
    if not math.isfinite(low):
        return f"{value:.3g}"
    return f"{value:.3g} ({low:.3g} to {high:.3g})"


def render_report(calibration: Calibration) -> str:
    """The report of ``calibration`` as one HTML page."""
    import matplotlib

    matplotlib.use("Agg")
    c = calibration
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        "<title>Calibration: peakend calibration report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Calibration report</h1>",
        f"<p>Log <code>{_e(c.log.source)}</code>, format {_e(c.log.format_name)}: "
        f"{c.log.rows_read:,} rows read, {c.log.rows_used:,} used, "
        f"{sum(c.log.dropped.values()):,} dropped; {len(c.log.days())} days.</p>",
        _rows_section(c),
        _types_section(c),
        *(_type_section(c, kind) for kind in c.types.values()),
        _arrivals_section(c),
        _pools_section(c),
        _behaviour_section(c),
        _section(
            "Assumptions left",
            _table(("What", "Why it is an assumption"), [*c.assumptions, *ASSUMPTIONS]),
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def _rows_section(c: Calibration) -> str:
    dropped = sorted(c.log.dropped.items(), key=lambda item: -item[1])
    notes = [
        note for kind in c.types.values() for note in (f"{kind.name}: {n}" for n in kind.notes)
    ]
    return _section(
        "Rows read, used and dropped",
        _table(("Dropped: reason", "Rows"), dropped or [("none", 0)])
        + _table(("Used by the fit of", "Rows"), c.used.items())
        + "".join(f"<p>{_e(note)}</p>" for note in notes),
    )


def _types_section(c: Calibration) -> str:
    rows = []
    for kind in c.types.values():
        low, high = kind.abandonment.ci()
        rows.append(
            (
                kind.name,
                f"{kind.queued:,}",
                f"{kind.abandonment.value:.1%} ({low:.1%} to {high:.1%})",
                f"{kind.ivr_only:,}",
                kind.service.family if kind.service else "-",
                _ci_text(kind.service, "mean") if kind.service else "-",
                f"{kind.service_ks:.3f}",
                kind.patience.family if kind.patience else "-",
                _ci_text(kind.patience, "mean") if kind.patience else "-",
                f"{kind.follow.redial_share:.3f}" if kind.follow else "-",
                f"{kind.follow.repeat_share:.3f}" if kind.follow else "-",
            )
        )
    return _section(
        "Contact types (segments)",
        _table(
            (
                "Type",
                "Queued",
                "Abandoned (95 % CI)",
                "Ended in IVR",
                "Service family",
                "Mean service, min (95 % CI)",
                "KS distance",
                "Patience family (AIC)",
                "Mean patience, min (95 % CI)",
                "Redial share",
                "Repeat share",
            ),
            rows,
        ),
    )


def _fits_table(fits: dict[str, Fit]) -> str:
    best = min(fits.values(), key=lambda f: f.aic)
    rows = [
        (
            f.family + (" (best)" if f is best else ""),
            f"{f.aic:,.1f}",
            _ci_text(f, "mean"),
            _ci_text(f, "cv"),
            ", ".join(f"{k} {v:.4g}" for k, v in f.parameters.items()),
        )
        for f in fits.values()
    ]
    return _table(("Family", "AIC", "Mean, min (95 % CI)", "CV (95 % CI)", "Parameters"), rows)


def _type_section(c: Calibration, kind: TypeFit) -> str:
    content = []
    if kind.service_fits and not kind.service_pooled:
        content.append("<h3>Service time</h3>" + _fits_table(kind.service_fits))
        content.append(_quantiles(c, kind))
    if kind.patience_fits and not kind.patience_pooled:
        content.append("<h3>Patience (censored by service)</h3>" + _fits_table(kind.patience_fits))
        content.append(_survival_plot(kind, c.settings.resolution_minutes))
    if kind.follow is not None:
        f = kind.follow
        content.append(
            _table(
                ("Follow-ups", "Seen", "Followed", "Share", "Mean delay, min"),
                [
                    (
                        "redial after abandoning",
                        f.abandoned_seen,
                        f.redialled,
                        f"{f.redial_share:.3f}",
                        f"{np.mean(f.redial_delays):.2f}" if f.redial_delays.size else "-",
                    ),
                    (
                        "repeat after service",
                        f.served_seen,
                        f.repeated,
                        f"{f.repeat_share:.3f}",
                        f"{np.mean(f.repeat_delays):.1f}" if f.repeat_delays.size else "-",
                    ),
                ],
            )
        )
    for note in kind.notes:
        content.append(f"<p>{_e(note)}</p>")
    return _section(f"Type {kind.name}", "".join(content))


def _quantiles(c: Calibration, kind: TypeFit) -> str:
    frame = c.log.frame
    minutes = frame.loc[
        (frame["type"] == kind.name) & (frame["outcome"] == "served"), "service_minutes"
    ].to_numpy(dtype=float)
    minutes = minutes[minutes > 0]
    levels = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
    observed = np.quantile(minutes, levels)
    rows = [("observed", *(f"{q:.2f}" for q in observed))]
    for fit in kind.service_fits.values():
        rows.append((fit.family, *(f"{q:.2f}" for q in fit.distribution.ppf(np.array(levels)))))
    return _table(("Service-time quantiles, min", *(f"{p:.0%}" for p in levels)), rows)


def _survival_plot(kind: TypeFit, resolution: float) -> str:
    import matplotlib.pyplot as plt

    curve = kind.patience_km
    if curve is None:
        return ""
    figure, axes = plt.subplots(figsize=(7, 3.6))
    axes.step(curve.times, curve.survival, where="post", color="black", label="Kaplan-Meier")
    grid = np.linspace(0, float(np.quantile(curve.times, 0.98)) + resolution, 200)
    for fit in kind.patience_fits.values():
        axes.plot(grid, fit.distribution.sf(grid + resolution), label=fit.family, alpha=0.8)
    axes.set(
        xlabel="minutes waited",
        ylabel="P(patience > t)",
        title=plot_text(f"Patience of {kind.name}", 60),
    )
    axes.legend(fontsize=8)
    return _figure(figure, f"Patience of {kind.name}: Kaplan-Meier against the fits")


def _arrivals_section(c: Calibration) -> str:
    import matplotlib.pyplot as plt

    a = c.arrivals
    figure, axes = plt.subplots(figsize=(8, 3.6))
    hours = (c.opens + c.settings.interval_minutes * np.arange(c.intervals)) / 60
    for day in WEEKDAYS:
        profile = a.profile(fresh=False, weekday=day)
        if profile.size:
            axes.plot(hours, profile, label=day, alpha=0.7)
    axes.plot(hours, a.profile(fresh=True), color="black", lw=2, label="scenario (fresh)")
    axes.set(xlabel="hour of day", ylabel="arrivals per interval", title="Arrivals by weekday")
    axes.legend(fontsize=8, ncol=4)
    text = (
        f"<p>Dispersion against Poisson: {a.dispersion:.2f} (1 = Poisson; chi-square p = "
        f"{a.dispersion_p_value:.3g}); day-to-day busyness coefficient of variation "
        f"{a.busyness_cv:.2f}.</p>"
        if math.isfinite(a.dispersion)
        else "<p>Dispersion not estimated: no weekday is seen twice.</p>"
    )
    return _section("Arrivals", text + _figure(figure, "Mean arrivals per interval by weekday"))


def _pools_section(c: Calibration) -> str:
    import matplotlib.pyplot as plt

    rows = []
    for pool in c.pools:
        fit = c.pool_service.get(pool.name)
        rules = ", ".join(f"{p} after {a:.2f} min" for p, a in c.overflow.get(pool.name, []))
        rows.append(
            (
                pool.name,
                ", ".join(pool.skills),
                len(pool.agents),
                _ci_text(fit, "mean") if fit else "-",
                rules or "-",
            )
        )
    figure, axes = plt.subplots(figsize=(8, 3.2))
    hours = (c.opens + c.settings.interval_minutes * np.arange(c.intervals)) / 60
    for pool in c.pools:
        axes.plot(hours, c.mean_roster(pool.name), label=plot_text(pool.name, 40))
    axes.set(xlabel="hour of day", ylabel="agents present (mean over days)")
    axes.legend(fontsize=8)
    return _section(
        "Pools and agents present",
        _table(("Pool", "Skills", "Agents", "Mean service, min (95 % CI)", "Overflow"), rows)
        + _figure(figure, "Agents present (spell estimator), mean over the log's days"),
    )


def _behaviour_section(c: Calibration) -> str:
    """Memory weights fitted to survey scores and the return model fitted to returns."""
    from peakend.calibration.memory_fit import MEMORY_TERMS

    parts = []
    if c.memory is not None:
        m = c.memory
        rows = [
            (
                term,
                f"{getattr(m.model, term):.4g}",
                *(f"{v:.4g}" for v in m.ci(term)),
                f"{m.standard_errors[term]:.3g}",
            )
            for term in (*MEMORY_TERMS, "intercept")
        ]
        parts.append(
            f"<p>Survey scores of {m.scores:,} journeys regressed on the features of each "
            f"journey's experience trace rebuilt from the log (least squares; residual sd "
            f"{m.residual_sd:.3g}, R<sup>2</sup> {m.r_squared:.3f}).</p>"
            + _table(("Weight", "Estimate", "95 % low", "95 % high", "SE"), rows)
        )
    if c.returns is not None:
        r = c.returns
        rows = [
            (name, f"{value:.4g}", *(f"{v:.4g}" for v in r.ci(name)))
            for name, value in (
                ("baseline_retention", r.baseline_retention),
                ("utility_slope", r.utility_slope),
                ("effort_slope", r.effort_slope),
            )
        ]
        parts.append(
            f"<p>{r.returned:,} of {r.journeys:,} identified journeys were followed by "
            f"another within {r.return_days} days; logistic regression on remembered "
            f"utility ({_e(r.memory)}) and extra contacts (Wald intervals).</p>"
            + _table(("Coefficient", "Estimate", "95 % low", "95 % high"), rows)
        )
    if not parts:
        parts.append(
            "<p>Neither survey scores nor returns could be fitted: see the assumptions below.</p>"
        )
    return _section("Memory and return", "".join(parts))
