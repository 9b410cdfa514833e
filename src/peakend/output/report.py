"""One self-contained HTML report of a run, a comparison or a sweep directory.

:func:`render_report` reads what ``peakend run/compare/sweep --out`` wrote
(``manifest.json``, ``summary.json``, ``compare.csv``, ``cost_effectiveness.csv``,
``sweep_summary.csv``, ``resolved_config.toml`` or ``scenarios/*.toml``,
``data_dictionary.csv`` and the PNG plots) and returns one HTML page: the
scenario in words, the results with their 95 % confidence intervals (for a
comparison, each variant's paired difference from the base, judged by the
metric's better direction), the plots inline (base64 PNG), the assumptions
with their sources, n and every warning. The page needs nothing else: no
network, no script, no file beside it, so it can be mailed or archived.
:func:`write_report` writes it atomically (``report.html`` in the folder by
default).

Labels and formats come from the metric registry (:mod:`peakend.analysis.registry`).
"""

from __future__ import annotations

import base64
import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from peakend.analysis.registry import METRICS, format_difference, format_value, metric_info
from peakend.config.loading import ConfigError
from peakend.config.names import html_text

__all__ = ["ASSUMPTIONS", "ReportError", "render_report", "scenario_in_words", "write_report"]

REPORT_NAME = "report.html"


class ReportError(ConfigError):
    """A folder that is not a finished peakend run, comparison or sweep directory."""


@dataclass(frozen=True)
class Assumption:
    """A parameter the results rest on, and where its value comes from."""

    key: str
    """Dotted key of the scenario."""
    what: str
    source: str


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "experience.memory",
        "a journey is remembered by its worst moment and its end, not by its length",
        "the peak-end rule: Kahneman, Fredrickson, Schreiber and Redelmeier (1993), "
        "Redelmeier and Kahneman (1996); see `peakend classic all`",
    ),
    Assumption(
        "experience.loss_aversion",
        "a shortfall against expectation weighs this many times an equal gain",
        "Tversky and Kahneman (1992), median estimate 2.25",
    ),
    Assumption(
        "experience.alpha",
        "curvature of the value function for gains (beta: for losses)",
        "Tversky and Kahneman (1992), median estimate 0.88",
    ),
    Assumption(
        "experience.idle_wait_factor",
        "an unoccupied wait feels longer than it is",
        "Larson (1987); Maister (1985)",
    ),
    Assumption(
        "experience.announced_wait_factor",
        "an explained wait feels shorter",
        "Maister (1985)",
    ),
    Assumption(
        "run.service_level_threshold_minutes",
        "the service-level threshold (a target share answered within it)",
        "contact-centre convention, e.g. 80 % in 20 seconds",
    ),
    Assumption(
        "retention.returns",
        "whether a customer comes back: a logistic model of remembered utility, effort, "
        "loyalty and the belief that the company works, anchored at a baseline retention",
        "an assumption of this model, to be calibrated with the company's own data",
    ),
    Assumption(
        "retention.reliability_prior",
        "a new customer's belief that a contact works (Beta prior)",
        "an assumption: mean 0.8, a typical first-contact resolution",
    ),
    Assumption(
        "retention.dissatisfied_tell_mean",
        "people a dissatisfied customer tells",
        "survey folklore (the '9 to 10 people' of the TARP studies); an assumption",
    ),
    Assumption(
        "retention.day_load",
        "load of each day of the period against the daily profile",
        "illustrative, an assumption",
    ),
    Assumption(
        "pools",
        "queues, abandonment and service follow the Erlang C / Erlang A model",
        "checked against the closed forms by `peakend validate`",
    ),
)

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 80rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2.2rem; }
.meta { color: #555; } .warning { background: #fff4e5; border-left: 4px solid #d95f02;
        padding: 0.5rem 1rem; margin: 0.5rem 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
.wide { overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.7rem; text-align: right;
         white-space: nowrap; }
td.text, span.text { white-space: normal; }
th { background: #f4f4f4; } td:first-child, th:first-child, td.text { text-align: left; }
tr.first td { border-top: 2px solid #999; }
.better { color: #1a7f37; font-weight: 600; } .worse { color: #b42318; font-weight: 600; }
.unclear { color: #666; } figure { margin: 1.2rem 0; } figure img { max-width: 100%; }
figcaption { color: #555; font-size: 0.9rem; } code { background: #f4f4f4; padding: 0 0.2rem; }
details { margin: 0.8rem 0; }
"""


def _e(value: object) -> str:
    # Every string on the page goes through here: names shown as typed, never as markup.
    return html_text(value)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a JSON object")
    return data


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def render_report(folder: str | Path, currency: str = "€") -> str:
    """The HTML report of the run, comparison or sweep in ``folder``.

    Raises
    ------
    ReportError
        When ``folder`` has no readable ``manifest.json`` and ``summary.json`` of
        peakend, or holds something other than a run, a comparison or a sweep.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder")
    for name in ("manifest.json", "summary.json"):
        if not (folder / name).is_file():
            raise ReportError(f"{folder}: no {name}; is it a peakend run directory?")
    manifest = _read_json(folder / "manifest.json")
    summary = _read_json(folder / "summary.json")
    kind = str(manifest.get("kind") or ("run" if "scenario" in summary else ""))
    builders = {"run": _run_sections, "compare": _compare_sections, "sweep": _sweep_sections}
    if kind not in builders:
        raise ReportError(f"{folder}: manifest kind {kind!r} is not a run, compare or sweep")
    scenario = _base_scenario(folder, manifest, kind)
    title = str(manifest.get("name") or summary.get("scenario") or folder.name)
    sections = [
        _header(title, kind, manifest, summary, scenario),
        _section(
            "The scenario in words",
            _paragraphs([*_which_scenario(manifest, kind), *scenario_in_words(scenario)]),
        ),
        *builders[kind](folder, manifest, summary, currency),
        _plots(folder),
        _assumptions(scenario),
        _dictionary(folder),
        _provenance(folder, manifest, kind),
    ]
    body = "\n".join(part for part in sections if part)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}: peakend report</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def write_report(folder: str | Path, out: str | Path | None = None, currency: str = "€") -> Path:
    """Write :func:`render_report` of ``folder`` to ``out`` (default ``folder/report.html``)
    atomically; return the path."""
    from peakend.output.files import write_text

    path = Path(out) if out is not None else Path(folder) / REPORT_NAME
    write_text(path, render_report(folder, currency))
    return path


# ------------------------------------------------------------------------- header


def _section(title: str, content: str) -> str:
    return f"<section>\n<h2>{_e(title)}</h2>\n{content}\n</section>" if content else ""


def _paragraphs(lines: Iterable[str]) -> str:
    return "\n".join(f"<p>{_e(line)}</p>" for line in lines)


def _header(
    title: str,
    kind: str,
    manifest: Mapping[str, Any],
    summary: Mapping[str, Any],
    scenario: Mapping[str, Any],
) -> str:
    what = {"run": "Run", "compare": "Comparison", "sweep": "Sweep"}[kind]
    description = manifest.get("description") or scenario.get("description") or ""
    replications = summary.get("replications", manifest.get("replications", "?"))
    per = "" if kind == "run" else " per scenario"
    seed = manifest.get("seed", summary.get("seed", "?"))
    meta = (
        f"{what} · n = {replications} replications{per} · seed {seed}"
        f" · peakend {manifest.get('peakend_version', '?')}"
    )
    if manifest.get("written_at"):
        meta += f" · written {manifest['written_at']}"
    parts = [f"<h1>{_e(title)}</h1>", f'<p class="meta">{_e(meta)}</p>']
    if description:
        parts.append(f"<p>{_e(description)}</p>")
    warnings = list(summary.get("warnings") or [])
    status = manifest.get("status")
    if status not in (None, "finished"):
        warnings.insert(0, f"the run's status is {status!r}: results are incomplete")
    parts += [f'<div class="warning"><b>Warning:</b> {_e(w)}</div>' for w in warnings]
    return "<header>\n" + "\n".join(parts) + "\n</header>"


def _base_scenario(folder: Path, manifest: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The resolved scenario of a run, or of an experiment's base (first) scenario."""
    if kind == "run":
        return _read_toml(folder / "resolved_config.toml")
    for spec in manifest.get("scenarios") or []:
        key = spec.get("key")
        if key and (folder / "scenarios" / f"{key}.toml").is_file():
            return _read_toml(folder / "scenarios" / f"{key}.toml")
    return {}


# ----------------------------------------------------------------- scenario in words


def _which_scenario(manifest: Mapping[str, Any], kind: str) -> list[str]:
    """Which scenario the words describe, for an experiment."""
    specs = list(manifest.get("scenarios") or [])
    if kind == "compare" and specs:
        return ["The base scenario (each variant changes it as listed below):"]
    if kind == "sweep" and specs:
        levels: dict[str, list[str]] = {}
        for spec in specs:
            for factor, level in (spec.get("factors") or {}).items():
                levels.setdefault(factor, []).append(str(level))
        varied = "; ".join(
            f"{factor} = {', '.join(dict.fromkeys(values))}" for factor, values in levels.items()
        )
        return [
            f"The first sweep point, {specs[0].get('label', '?')}, is described; the sweep "
            f"varies {varied or 'its factors'}."
        ]
    return []


def _get(data: Mapping[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _clock(minutes: float, opens_at: str) -> str:
    hours, _, mins = opens_at.partition(":")
    total = int(hours or 0) * 60 + int(mins or 0) + round(minutes)
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def scenario_in_words(scenario: Mapping[str, Any]) -> list[str]:
    """A few plain sentences about a resolved scenario (its TOML as a dict)."""
    if not scenario:
        return ["The resolved scenario was not found in the folder."]
    lines = []
    arrivals = scenario.get("arrivals", {})
    rates = list(arrivals.get("rate_per_hour") or [])
    interval = float(arrivals.get("interval_minutes") or 0)
    opens = str(_get(scenario, "run.opens_at") or "00:00")
    if rates and interval:
        per_day = sum(rates) * interval / 60
        closes = _clock(len(rates) * interval, opens)
        lines.append(
            f"The day runs from {opens} to {closes} in {len(rates)} intervals of "
            f"{interval:g} minutes; about {per_day:,.0f} customers arrive a day "
            f"(peak {max(rates):,.0f} an hour)."
        )
    segments = scenario.get("segments") or {}
    if segments:
        shares = ", ".join(f"{name} {float(s.get('share', 0)):.0%}" for name, s in segments.items())
        lines.append(f"Customers come in {len(segments)} segments: {shares}.")
    for name, pool in (scenario.get("pools") or {}).items():
        staffing = list(pool.get("staffing") or [])
        if not staffing:
            continue
        hours = sum(staffing) * interval / 60
        cost = float(pool.get("agent_cost_per_hour") or 0)
        service = _get(pool, "service_time.mean")
        text = (
            f"Pool {name}: {min(staffing)} to {max(staffing)} agents, {hours:,.0f} agent-hours "
            f"a day"
        )
        if cost:
            text += f" at {cost:g} an hour ({hours * cost:,.0f} a day)"
        if service is not None:
            text += f"; a service takes {float(service):g} minutes on average"
        fcr = pool.get("first_contact_resolution")
        if fcr is not None:
            text += f" and resolves the problem {float(fcr):.0%} of the time"
        lines.append(text + ".")
    threshold = _get(scenario, "run.service_level_threshold_minutes")
    target = _get(scenario, "run.service_level_target")
    if threshold is not None:
        goal = f" (target {float(target):.0%})" if target is not None else ""
        lines.append(
            f"Service level counts contacts answered within {float(threshold) * 60:.0f} seconds"
            f"{goal}."
        )
    policy = _get(scenario, "recovery.policy")
    if policy:
        lines.append(f"When a service fails, the recovery policy is: {policy}.")
    memory = _get(scenario, "experience.memory")
    if isinstance(memory, Mapping) and _get(scenario, "experience.enabled") is not False:
        params = ", ".join(f"{k} {v}" for k, v in memory.items() if k != "model")
        lines.append(
            f"Customers remember each journey with the {memory.get('model', '?')} memory model"
            f"{f' ({params})' if params else ''}."
        )
    periods = int(_get(scenario, "retention.periods") or 1)
    if periods > 1:
        name = _get(scenario, "retention.period_name") or "period"
        days = _get(scenario, "retention.days_per_period") or 1
        population = _get(scenario, "retention.population")
        text = f"The run covers {periods} {name}s of {days} simulated days"
        if population:
            text += f", starting with {int(population):,} customers"
        lines.append(
            text + "; who comes back depends on what they remember, and next "
            f"{name}'s load follows the customers who are left."
        )
    return lines


# ----------------------------------------------------------------------- results


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], classes: Sequence[str] = ()
) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        body.append(f"<tr{css}>" + "".join(_cell(cell) for cell in row) + "</tr>")
    return (
        f'<div class="wide"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></div>"
    )


def _cell(content: str) -> str:
    # Words read left-aligned, numbers right-aligned.
    left = content.startswith('<span class="text">')
    return f'<td class="text">{content}</td>' if left else f"<td>{content}</td>"


def _interval(metric: str, low: Any, high: Any, currency: str, difference: bool = False) -> str:
    if low is None or high is None or _nan(low) or _nan(high):
        return "–"
    fmt = format_difference if difference else format_value
    return f"[{fmt(metric, float(low), currency)}, {fmt(metric, float(high), currency)}]"


def _nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def _run_sections(
    folder: Path, manifest: Mapping[str, Any], summary: Mapping[str, Any], currency: str
) -> list[str]:
    metrics: Mapping[str, Any] = summary.get("metrics") or {}
    story = {name: i for i, name in enumerate(METRICS)}  # summary.json sorts its keys
    rows = []
    for name, est in sorted(metrics.items(), key=lambda item: story.get(item[0], len(story))):
        info = metric_info(name)
        rows.append(
            [
                f'<span title="{_e(name)}">{_e(info.label)}</span>',
                _e(format_value(name, est.get("mean"), currency)),
                _e(_interval(name, est.get("ci_low"), est.get("ci_high"), currency)),
                _e(est.get("n", "")),
                f'<span class="text">{_e(info.description)}</span>',
            ]
        )
    table = _table(["metric", "mean", "95% CI", "n", "what it is"], rows)
    note = f"<p>{_e(summary.get('intervals', ''))}.</p>" if summary.get("intervals") else ""
    return [_section("Results", table + note)]


def _verdict(metric: str, row: Mapping[str, Any]) -> tuple[str, str]:
    """(css class, words) for a variant's difference from the base."""
    if not bool(row.get("significant")):
        return "unclear", "no clear difference"
    better = metric_info(metric).better
    diff = float(row["diff"])
    if better == "none":
        return "unclear", "higher" if diff > 0 else "lower"
    good = (diff > 0) == (better == "higher")
    return ("better", "better") if good else ("worse", "worse")


def _descriptions(folder: Path) -> dict[str, str]:
    from peakend.output.experiment_plots import variant_descriptions

    path = folder / "experiment.toml"
    text = path.read_text(encoding="utf-8") if path.is_file() else None
    return variant_descriptions(text)


def _compare_sections(
    folder: Path, manifest: Mapping[str, Any], summary: Mapping[str, Any], currency: str
) -> list[str]:
    path = folder / "compare.csv"
    if not path.is_file():
        raise ReportError(f"{folder}: a comparison without compare.csv")
    frame = pd.read_csv(path)
    descriptions = _descriptions(folder)
    variants = list(dict.fromkeys(frame["variant"]))
    listing = "".join(
        f"<li><b>{_e(v)}</b>{': ' + _e(descriptions[v]) if v in descriptions else ''}</li>"
        for v in variants
    )
    intro = (
        f"<ul>{listing}</ul><p>Every variant sees the same customers as the base, replication "
        "by replication (common random numbers), so each difference is paired; it is "
        '<span class="better">better</span> or <span class="worse">worse</span> only when '
        "its 95 % interval excludes zero.</p>"
    )
    rows, classes = [], []
    for metric in dict.fromkeys(frame["metric"]):
        info = metric_info(metric)
        group = frame[frame["metric"] == metric].to_dict("records")
        for i, row in enumerate(group):
            is_base = _nan(row.get("diff"))
            css, words = ("", "") if is_base else _verdict(metric, row)
            diff = "" if is_base else format_difference(metric, float(row["diff"]), currency)
            rows.append(
                [
                    _e(info.label) if i == 0 else "",
                    _e(row["variant"]),
                    _e(format_value(metric, row["mean"], currency)),
                    _e(_interval(metric, row["ci_low"], row["ci_high"], currency)),
                    _e(diff),
                    f'<span class="{css}">{_e(words)}</span>' if words else "",
                    ""
                    if is_base
                    else _e(
                        _interval(metric, row["diff_ci_low"], row["diff_ci_high"], currency, True)
                    ),
                ]
            )
            classes.append("first" if i == 0 else "")
    header = ["metric", "variant", "mean", "95% CI", "difference from base", "", "95% CI"]
    sections = [_section("Each variant against the base", intro + _table(header, rows, classes))]
    costs = folder / "cost_effectiveness.csv"
    if costs.is_file():
        sections.append(_costs_section(pd.read_csv(costs), currency))
    return sections


def _costs_section(frame: pd.DataFrame, currency: str) -> str:
    if frame.empty:
        return ""
    # Recovery and extras costs beside staff cost, when the comparison has them.
    total = "total_cost_diff" in frame
    rows = []
    for row in frame.to_dict("records"):
        gain = f"{row['gain_diff']:+.3g} {row.get('gain_unit', '')}"
        low, high = row.get("gain_diff_ci_low"), row.get("gain_diff_ci_high")
        interval = "–" if _nan(low) else f"[{float(low):+.3g}, {float(high):+.3g}]"
        cells = [
            _e(row["variant"]),
            _e(metric_info(str(row["gain_metric"])).label),
            _e(gain),
            _e(interval),
            "yes" if bool(row.get("gain_significant")) else "no",
            _e(format_difference("staff_cost", row["staff_cost_diff"], currency)),
            _e(format_difference("agent_hours", row["agent_hours_diff"])),
            _e(format_value("staff_cost", row["cost_per_point"], currency)),
        ]
        if total:
            cells += [
                _e(format_difference("staff_cost", row["total_cost_diff"], currency)),
                _e(format_value("staff_cost", row["total_cost_per_point"], currency)),
            ]
        rows.append(cells)
    header = [
        "variant",
        "gain in",
        "gain",
        "95% CI",
        "clear?",
        "staff cost",
        "agent-hours",
        "staff cost per unit of gain",
    ]
    if total:
        header += ["all costs", "all costs per unit of gain"]
    note = (
        "<p>Cost per unit of gain is the cost difference over the gain (all costs: staff, "
        "recovery and extras); a negative one gains and saves, or loses and costs more. "
        "Read it only where the gain is clear.</p>"
    )
    return _section("What each gain costs", _table(header, rows) + note)


def _sweep_sections(
    folder: Path, manifest: Mapping[str, Any], summary: Mapping[str, Any], currency: str
) -> list[str]:
    from peakend.output.experiment_plots import factor_columns

    path = folder / "sweep_summary.csv"
    if not path.is_file():
        raise ReportError(f"{folder}: a sweep without sweep_summary.csv")
    frame = pd.read_csv(path)
    factors = factor_columns(frame)
    story = {name: i for i, name in enumerate(METRICS)}
    metrics = sorted(dict.fromkeys(frame["metric"]), key=lambda m: story.get(m, len(story)))
    plotted = {p.stem.removeprefix("sweep_") for p in (folder / "plots").glob("sweep_*.png")}
    shown: list[str] = []
    others: list[str] = []
    for metric in metrics:
        group = frame[frame["metric"] == metric].to_dict("records")
        rows = [
            [
                _e(row["scenario"]),
                *(_e(row[f]) for f in factors),
                _e(format_value(metric, row["mean"], currency)),
                _e(_interval(metric, row["ci_low"], row["ci_high"], currency)),
                _e(row.get("n", "")),
            ]
            for row in group
        ]
        header = ["scenario", *factors, "mean", "95% CI", "n"]
        table = f"<h3>{_e(metric_info(metric).label)}</h3>" + _table(header, rows)
        (shown if metric in plotted or not plotted else others).append(table)
    if others:
        shown.append(
            f"<details><summary>the other {len(others)} metrics</summary>"
            + "\n".join(others)
            + "</details>"
        )
    parts = shown
    return [_section("Results by sweep point", "\n".join(parts))]


# ------------------------------------------------------------------ plots and more


def _plots(folder: Path) -> str:
    # The experiment's plots in the story's order: service, memory, retention, profit.
    story = {name: i for i, name in enumerate(METRICS)}
    plots = sorted(
        (folder / "plots").glob("*.png"),
        key=lambda p: (story.get(p.stem.partition("_")[2], len(story)), p.name),
    )
    images = sorted(folder.glob("*.png")) + plots
    figures = []
    for path in images:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        caption = _caption(path.stem)
        figures.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)} (<code>{_e(path.relative_to(folder))}</code>; "
            "an SVG lies beside it)</figcaption></figure>"
        )
    return _section("Plots", "\n".join(figures))


_CAPTIONS = {
    "trace": "One sampled customer's journey, moment by moment: worst moment and end marked",
    "remembered_vs_experienced": "What customers remember against what they lived through",
    "retention_curve": "Initial customers still active after each period",
    "profit": "Profit per period",
    "visits": "Visits per period (the load that comes back)",
}


def _caption(stem: str) -> str:
    """A plot's caption from its file name (``compare_profit``: "Profit: ...")."""
    for prefix, text in (
        ("compare_", "each variant and its paired difference from the base"),
        ("sweep_", "against the swept factor, 95 % CI band"),
    ):
        if stem.startswith(prefix):
            return f"{metric_info(stem.removeprefix(prefix)).label}: {text}"
    if stem.startswith("intervals_"):
        return f"Service level and staffing by interval, pool {stem.removeprefix('intervals_')}"
    return _CAPTIONS.get(stem, stem.replace("_", " "))


def _assumptions(scenario: Mapping[str, Any]) -> str:
    rows = []
    for item in ASSUMPTIONS:
        value = _get(scenario, item.key)
        if value is None:
            continue
        shown = "" if isinstance(value, Mapping) and item.key == "pools" else _short(value)
        rows.append(
            [
                f"<code>{_e(item.key)}</code>",
                f'<span class="text">{_e(shown)}</span>',
                f'<span class="text">{_e(item.what)}</span>',
                f'<span class="text">{_e(item.source)}</span>',
            ]
        )
    if not rows:
        return ""
    intro = (
        "<p>The results rest on these parameters; the values are this scenario's, the "
        "sources where the defaults come from.</p>"
    )
    return _section(
        "Assumptions and their sources", intro + _table(["key", "value", "what", "source"], rows)
    )


def _short(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _dictionary(folder: Path) -> str:
    path = folder / "data_dictionary.csv"
    if not path.is_file():
        return ""
    frame = pd.read_csv(path, keep_default_na=False)
    rows = [
        [
            f"<code>{_e(r['file'])}</code>",
            f"<code>{_e(r['column'])}</code>",
            _e(r["unit"]),
            f'<span class="text">{_e(r["description"])}</span>',
        ]
        for r in frame.to_dict("records")
    ]
    table = _table(["file", "column", "unit", "meaning"], rows)
    return _section(
        "Data dictionary",
        f"<details><summary>every column of the tables in this folder ({len(rows)})</summary>"
        f"{table}</details>",
    )


def _provenance(folder: Path, manifest: Mapping[str, Any], kind: str) -> str:
    versions = ", ".join(
        f"{name} {manifest[key]}"
        for name, key in (
            ("peakend", "peakend_version"),
            ("Python", "python"),
            ("NumPy", "numpy"),
            ("SimPy", "simpy"),
        )
        if manifest.get(key)
    )
    again = {
        "run": "peakend run resolved_config.toml",
        "compare": "peakend compare experiment.toml (from the experiment's own folder)",
        "sweep": "peakend sweep experiment.toml (from the experiment's own folder)",
    }[kind]
    files = ", ".join(
        f"<code>{_e(p.name)}</code>" for p in sorted(folder.iterdir()) if not p.name.startswith(".")
    )
    return _section(
        "Provenance",
        f"<p>{_e(versions)}; seed {_e(manifest.get('seed', '?'))}. Run it again with "
        f"<code>{_e(again)}</code>.</p><p>Files: {files}.</p>",
    )
