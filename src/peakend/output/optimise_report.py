"""The report page of an optimisation folder: the chosen plan against today's.

:func:`peakend.output.report.render_report` builds the page of a folder whose
manifest kind is ``optimise`` (``peakend optimise --out DIR`` writes it as
``report.html``; ``peakend report DIR`` renders it again) from this module's
sections and the report's own parts: the header, the scenario in words (today's
plan, ``today.toml``), the assumptions with their sources, the data dictionary
and the provenance with the command that runs the optimisation again.

It builds on :mod:`peakend.output.report_parts` (reading, sections, tables, escaping,
figures, paired differences, splits), as the report of a comparison does. The sections,
in the order a planner reads them:

- **Bottom line**: the chosen plan, whether it meets the constraints, what it
  changes against today's plan (cost, service level, retention, profit; paired
  differences with 95 % intervals, recomputed from the stored replications of
  both plans, as a comparison's bottom line is), and its probability of being
  the best of the finalists;
- **Where the profit difference comes from**: the split of
  :attr:`peakend.experiments.results.PROFIT_PARTS` (``compare.csv``), rounded so
  the parts add up to the total as shown; a single-day base, which has no
  profit, gets the split of the cost difference instead;
- **The constraints**: each bound, both plans' means with their intervals, and
  how often each plan misses it on a single day (a multi-period base: its worst
  period) and on a bad-absence day (the worst tenth of the day-level absence
  shocks);
- **The roster**: agents per interval of each decided pool, today's, the chosen
  plan's (on shift, on a break, and as the search chose it before it became
  shifts), the Erlang A warm start, the policy choices, the shifts;
- **The plans evaluated**: the frontier plot, every plan with its intervals
  (``frontier.csv``) and every evaluation of the search (``evaluations.csv``).

Everything comes from the folder's files (``optimise.json``, ``frontier.csv``,
``evaluations.csv``, ``compare.csv``, ``roster_*.csv``, ``frontier.png``, the
stored replications), read under the report's rules (regular files inside the
folder, listed in its ledger, size-limited, no link followed); a value that is
not laid out as peakend writes it is one :class:`~peakend.output.report.ReportError`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from peakend.analysis.registry import format_value, metric_info
from peakend.analysis.stats import Estimate
from peakend.output.report_parts import (
    _COST_PARTS,
    _KEY,
    _PROFIT_SPLIT_NOTE,
    _SPLIT_PARTS,
    _SPLIT_ROUNDING_NOTE,
    ReportError,
    _clock,
    _differences,
    _differences_table,
    _e,
    _figure,
    _get,
    _interval,
    _nan,
    _read_csv,
    _read_json,
    _section,
    _span,
    _split_table,
    _stored_metrics,
    _table,
    _with_ci,
)

__all__ = ["bottom_line", "description", "sections"]

SUMMARY_NAME = "optimise.json"

_LABELS = {"chosen": "optimised", "chosen_before_shifts": "chosen_before_shifts"}
"""The names the chosen plan (and, with shifts, the plan before it became shifts) go by in
``compare.csv`` and on the page."""

_FORMAT_AS = {
    "interval_service_level": "service_level",
    "interval_abandonment_rate": "abandonment_rate",
    "total_cost": "staff_cost",
}
"""The metric whose format an optimiser's own metric takes."""

_CONSTRAINT = re.compile(r"^(?P<metric>\S+) (?P<op>>=|<=) (?P<bound>\S+)$")
"""A constraint's label in ``optimise.json``: ``service_level >= 0.8``."""

_ROSTER_FILE = re.compile(r"^roster_[^/\\]+\.csv$")


# ------------------------------------------------------------------------- reading


def _summary(folder: Path) -> dict[str, Any]:
    """``optimise.json``, checked to have the layout peakend writes where the page reads it."""
    path = folder / SUMMARY_NAME
    if not os.path.lexists(path):
        raise ReportError(f"{folder}: an optimisation folder without {SUMMARY_NAME}")
    data = _read_json(path)
    layout: tuple[tuple[str, type], ...] = (
        ("chosen", dict),
        ("today", dict),
        ("finalists", list),
        ("replications", dict),
        ("objective", dict),
        ("constraints", dict),
    )
    for key, kind in layout:
        if not isinstance(data.get(key), kind):
            raise ReportError(f"{path}: key {key!r} is not laid out as peakend writes it")
    # Keys an older peakend did not write: what the page shows without them is less.
    data.setdefault("decide", {"pools": list(data["chosen"].get("staffing") or {})})
    data.setdefault("rosters", {})
    for key in ("decide", "rosters"):
        if not isinstance(data[key], dict):
            raise ReportError(f"{path}: key {key!r} is not laid out as peakend writes it")
    for side in ("chosen", "today"):
        for key in ("staffing", "constraints", "policy", "objective"):
            if not isinstance(data[side].setdefault(key, {}), dict):
                raise ReportError(
                    f"{path}: key '{side}.{key}' is not laid out as peakend writes it"
                )
        if not isinstance(data[side].get("misses", []), list):
            raise ReportError(f"{path}: key '{side}.misses' is not a list")
    return data


def description(folder: Path) -> str:
    """The optimisation's description (from its file), or ``""``."""
    return str(_summary(folder).get("description") or "")


def _frontier(folder: Path) -> pd.DataFrame:
    columns = ["plan", "role", "key", "replications", "feasible", "staff_cost"]
    return _read_csv(folder / "frontier.csv", columns, dtype={"key": str, "plan": str})


def _keys(frontier: pd.DataFrame) -> dict[str, str]:
    """Store key by role (``today``, ``chosen``, ``chosen_before_shifts``); a key that is not
    one peakend writes is refused (it names a folder of the store)."""
    keys = {}
    for row in frontier.to_dict("records"):
        if row["role"] in ("today", *_LABELS):
            key = str(row["key"])
            if not _KEY.fullmatch(key):
                raise ReportError("frontier.csv: a plan's key is not a store key peakend writes")
            keys[str(row["role"])] = key
    return keys


# ------------------------------------------------------------------------- bottom line


def bottom_line(folder: Path, scenario: Mapping[str, Any], currency: str) -> str:
    """The answer first: the chosen plan, what it changes against today's, how sure."""
    data = _summary(folder)
    n = int(data["replications"]["selection"])
    keys = _keys(_frontier(folder))
    span = _span(scenario)
    diffs: dict[str, dict[str, Estimate]] = {}
    if "today" in keys:
        base = _stored_metrics(folder, keys["today"], n)
        for role, label in _LABELS.items():
            if role in keys and base:
                diffs[label] = _differences(_stored_metrics(folder, keys[role], n), base)
    parts = [f"<p><b>{_e(_headline(data, diffs.get('optimised', {}), span, currency))}</b></p>"]
    parts += [f'<div class="warning"><b>Warning:</b> {_e(w)}</div>' for w in _warnings(data)]
    if diffs:
        parts.append(_differences_table(diffs, n, span, currency, base="today's plan"))
    else:
        parts.append("<p>The stored replications of today's plan were not found in the folder.</p>")
    parts.append(_finalists(data))
    return "\n".join(parts)


def _objective_words(data: Mapping[str, Any]) -> tuple[str, str]:
    """(metric, ``the lowest staff cost``) of the objective."""
    metric = str(data["objective"]["metric"])
    lowest = data["objective"].get("sense") == "minimise"
    return metric, f"the {'lowest' if lowest else 'highest'} {metric_info(metric).label.lower()}"


def _headline(
    data: Mapping[str, Any], found: Mapping[str, Estimate], span: str, currency: str
) -> str:
    chosen, today = data["chosen"], data["today"]
    metric, best = _objective_words(data)
    policy = _policy_words(data, chosen)
    if chosen.get("feasible"):
        lead = (
            f"The chosen plan, {chosen['plan']}{policy}, is the one with {best} found that "
            "meets every constraint in the mean"
        )
    else:
        lead = (
            f"No plan evaluated meets every constraint in the mean; the chosen plan, "
            f"{chosen['plan']}{policy}, comes closest"
        )
    objective = chosen["objective"]
    lead += f" ({metric.replace('_', ' ')} {_value(metric, objective.get('mean'), currency)})."
    changes = [
        f"{words} {_with_ci(shown, found[key], currency)}"
        for key, shown, words in (
            ("staff_cost", "staff_cost", "staff cost"),
            ("paid_out", "recovery_cost", "recovery and extras paid out"),
            ("service_level", "service_level", "service level"),
            ("retention_rate", "retention_rate", "retention"),
            ("profit", "profit", "profit"),
        )
        if key in found
    ]
    if changes:
        lead += f" Against today's plan {span}: " + ", ".join(changes) + "."
    finalists = data["finalists"]
    probability = float(chosen.get("probability_best", math.nan))
    if len(finalists) > 1:
        lead += (
            f" It is the best of the {len(finalists)} finalists with probability "
            f"{probability:.2f} on {data['replications']['selection']} paired replications."
        )
    else:
        lead += " It was the only finalist."
    missed = [label for label, est in today["constraints"].items() if _misses(label, est)]
    if missed:
        lead += f" Today's plan misses {', '.join(missed)} in the mean."
    elif today["constraints"]:
        lead += " Today's plan meets them too."
    return lead


def _policy_words(data: Mapping[str, Any], side: Mapping[str, Any]) -> str:
    decided = list(data["decide"].get("choices") or {})
    levels = [f"{key} = {side['policy'][key]}" for key in decided if key in side["policy"]]
    return f" ({', '.join(levels)})" if levels else ""


def _value(metric: str, value: Any, currency: str) -> str:
    return format_value(_FORMAT_AS.get(metric, metric), _number(value), currency)


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _misses(label: str, est: Mapping[str, Any]) -> bool:
    """Whether an estimate's mean misses the constraint ``label`` (``metric >= bound``)."""
    match = _CONSTRAINT.match(label)
    mean = _number(est.get("mean"))
    if match is None or math.isnan(mean):
        return False
    bound = float(match["bound"])
    return mean < bound if match["op"] == ">=" else mean > bound


def _warnings(data: Mapping[str, Any]) -> list[str]:
    warnings = []
    if data.get("stopped") == "time budget":
        warnings.append(
            "the search stopped on its time budget (max_minutes): the plan depends on the "
            "machine's speed, and a larger budget may find a better one"
        )
    if not data["chosen"].get("feasible"):
        warnings.append(
            "the chosen plan misses a constraint in the mean: widen the bounds in [decide], "
            "raise the budget in [search], or relax the constraint"
        )
    return warnings


def _finalists(data: Mapping[str, Any]) -> str:
    chosen = data["chosen"]
    before = (chosen.get("before_shifts") or {}).get("plan")
    picked = before or chosen["plan"]
    rows = []
    for item in data["finalists"]:
        plan = str(item["plan"])
        role = "chosen" if plan == picked else ""
        rows.append([_e(plan), _e(role), _e(f"{float(item['probability_best']):.3f}")])
    note = (
        "<p>The probability that each finalist is the best of those compared: the share of "
        "2,000 paired bootstrap resamples of the replications in which it is the feasible "
        "plan with the best objective (docs: Optimising a plan). Plans of equal objective "
        "tie; the tie goes to the plan the search reached first.</p>"
    )
    if before:
        note += (
            f"<p>The finalists are plans per interval; the chosen one, {_e(before)}, then "
            f"became a roster of shifts, {_e(chosen['plan'])}, the plan handed back "
            "(<code>best.toml</code>).</p>"
        )
    return _table(["finalist", "", "P(best)"], rows) + note


# ------------------------------------------------------------------------- sections


def sections(folder: Path, scenario: Mapping[str, Any], currency: str) -> list[str]:
    """The sections after the bottom line (see the module docstring)."""
    data = _summary(folder)
    frontier = _frontier(folder)
    return [
        _split_section(folder, currency),
        _constraints_section(data, currency),
        _roster_section(folder, data, scenario, currency),
        _plans_section(folder, data, frontier, currency),
    ]


def _split_section(folder: Path, currency: str) -> str:
    path = folder / "compare.csv"
    if not os.path.lexists(path):
        raise ReportError(f"{folder}: an optimisation folder without compare.csv")
    frame = _read_csv(path, ["variant", "metric", "mean", "diff", "diff_ci_low", "diff_ci_high"])
    rounding = f"{_e(_SPLIT_ROUNDING_NOTE)}"
    table = _split_table(frame, _SPLIT_PARTS, currency)
    if table:
        intro = (
            "<p>The chosen plan's profit difference from today's plan (<code>optimised</code>: "
            "the plan handed back; <code>chosen_before_shifts</code>: the plan per interval "
            "before it became shifts), paired replication by replication, split into what "
            "it comes from (<code>compare.csv</code>, <code>profit_split.csv</code>).</p>"
        )
        note = f"<p>{_PROFIT_SPLIT_NOTE}{rounding}</p>"
        return _section("Where the profit difference comes from", intro + table + note)
    table = _split_table(frame, _COST_PARTS, currency)
    if not table:
        return ""
    intro = (
        "<p>This base is a single day: profit needs customers who come back "
        "(<code>retention.periods</code> above 1), so the difference shown is the cost's, "
        "split into the staff roster and the money paid out (<code>compare.csv</code>).</p>"
    )
    note = f"<p>All costs are the sum of these parts in every replication.{rounding}</p>"
    return _section("Where the cost difference comes from", intro + table + note)


def _estimate_text(metric: str, est: Mapping[str, Any], currency: str) -> str:
    value = _value(metric, est.get("mean"), currency)
    low, high = est.get("ci_low"), est.get("ci_high")
    if low is None or high is None or _nan(low) or low == high:
        return value
    shown = _FORMAT_AS.get(metric, metric)
    return f"{value} {_interval(shown, low, high, currency)}"


def _share(value: Any) -> str:
    number = _number(value)
    return "–" if math.isnan(number) else f"{number:.0%}"


def _constraints_section(data: Mapping[str, Any], currency: str) -> str:
    chosen, today = data["chosen"], data["today"]
    misses = {side: _by_constraint(data[side].get("misses") or []) for side in ("chosen", "today")}
    bad_days = any("miss_share_bad_days" in m for side in misses.values() for m in side.values())
    rows = []
    for label, est in chosen["constraints"].items():
        match = _CONSTRAINT.match(str(label))
        metric = match["metric"] if match else str(label)
        before = today["constraints"].get(label, {})
        cells = [
            f"<code>{_e(label)}</code>",
            _e(_estimate_text(metric, before, currency)),
            _met(label, before),
            _e(_estimate_text(metric, est, currency)),
            _met(label, est),
        ]
        mine, theirs = misses["chosen"].get(label, {}), misses["today"].get(label, {})
        cells += [
            _words(mine.get("judged_on", "–")),
            _e(_share(theirs.get("miss_share"))),
            _e(_share(mine.get("miss_share"))),
        ]
        if bad_days:
            cells += [
                _e(_share(theirs.get("miss_share_bad_days"))),
                _e(_share(mine.get("miss_share_bad_days"))),
            ]
        rows.append(cells)
    if not rows:
        return _section("The constraints", "<p>The optimisation has no constraints.</p>")
    header = ["constraint", "today: mean", "", "chosen: mean", "", "judged on"]
    header += ["today misses", "chosen misses"]
    if bad_days:
        header += ["today, bad days", "chosen, bad days"]
    n = data["replications"]["selection"]
    note = (
        f"A constraint holds when the metric's mean over the {_e(n)} paired replications "
        "meets it (with its 95 % interval; an interval constraint shows its worst "
        "interval). How often a single replication misses it is counted apart: a "
        "single-day base on its day, a multi-period base on its worst period."
    )
    if bad_days:
        count = next(
            (m.get("bad_days") for side in misses.values() for m in side.values() if m),
            None,
        )
        note += (
            " Bad days are the replications whose day-level absence shock is in the worst "
            f"tenth ({_e(_count(count))} of {_e(n)}): the days a flu wave takes several agents "
            "at once (<code>absence_correlation</code>)."
        )
    else:
        note += (
            " This base has no day-level absence shock on a single day "
            "(<code>pools.NAME.absence_correlation</code>), so bad-absence days are not "
            "told apart."
        )
    return _section("The constraints", _table(header, rows) + f"<p>{note}</p>")


def _met(label: str, est: Mapping[str, Any]) -> str:
    if _misses(label, est):
        return '<span class="worse">misses</span>'
    return '<span class="better">meets</span>'


def _by_constraint(misses: Sequence[Any]) -> dict[str, Mapping[str, Any]]:
    return {str(m["constraint"]): m for m in misses if isinstance(m, Mapping)}


def _count(value: Any) -> str:
    number = _number(value)
    return "?" if math.isnan(number) else f"{number:.0f}"


def _roster_section(
    folder: Path, data: Mapping[str, Any], scenario: Mapping[str, Any], currency: str
) -> str:
    chosen, today = data["chosen"], data["today"]
    before = (chosen.get("before_shifts") or {}).get("staffing") or {}
    warm = data.get("warm_start") or {}
    minutes = float(_get(scenario, "arrivals.interval_minutes") or 0)
    opens = str(_get(scenario, "run.opens_at") or "00:00")
    parts = []
    for pool in data["decide"].get("pools") or []:
        roster = data["rosters"].get(pool) or {}
        columns = {
            "today": today["staffing"].get(pool),
            "chosen": chosen["staffing"].get(pool),
            "chosen before shifts": before.get(pool),
            "of them on a break": roster.get("on_break"),
            "Erlang A warm start": warm.get(pool),
        }
        shown = {name: [int(v) for v in values] for name, values in columns.items() if values}
        if "chosen" not in shown or "today" not in shown:
            continue
        length = len(shown["chosen"])
        if any(len(values) != length for values in shown.values()):
            raise ValueError(f"pool {pool}: the plans have different numbers of intervals")
        rows = []
        for i in range(length):
            clock = _clock(i * minutes, opens) if minutes else ""
            change = shown["chosen"][i] - shown["today"][i]
            rows.append(
                [
                    _e(str(i)),
                    _e(clock),
                    *(_e(str(values[i])) for values in shown.values()),
                    _e(f"{change:+d}" if change else "0"),
                ]
            )
        hours = minutes / 60 if minutes else math.nan
        rows.append(
            [
                "<b>agent-hours</b>",
                "",
                *(_e(_hours(sum(values), hours)) for values in shown.values()),
                _e(_hours(sum(shown["chosen"]) - sum(shown["today"]), hours, signed=True)),
            ]
        )
        header = ["interval", "from", *shown, "chosen − today"]
        parts.append(f"<h3>Pool {_e(pool)}</h3>" + _table(header, rows))
        if roster:
            parts.append(_shifts(folder, pool, roster, currency))
    parts.append(_policy_table(data))
    intro = (
        "<p>Agents per interval of each decided pool: today's plan, the chosen plan (with "
        "shifts: the agents on shift, those on a break among them, and the plan per "
        "interval the search chose before it became shifts), and the stationary Erlang A "
        "requirement the search started from.</p>"
    )
    return _section("The roster", intro + "\n".join(p for p in parts if p))


def _hours(agent_intervals: int, hours: float, signed: bool = False) -> str:
    if math.isnan(hours):
        return f"{agent_intervals:+d}" if signed else str(agent_intervals)
    value = agent_intervals * hours
    return f"{value:+,.1f}" if signed else f"{value:,.1f}"


def _shifts(folder: Path, pool: str, roster: Mapping[str, Any], currency: str) -> str:
    name = str(roster.get("file") or "")
    if not _ROSTER_FILE.match(name):
        raise ValueError(f"pool {pool}: the roster file {name[:80]!r} is not one peakend writes")
    columns = ["description", "agents", "cost_per_shift"]
    frame = _read_csv(folder / name, columns, keep_default_na=False)
    rows = [
        [
            f'<span class="text">{_e(row["description"])}</span>',
            _e(str(int(row["agents"]))),
            _e(format_value("staff_cost", float(row["cost_per_shift"]), currency)),
        ]
        for row in frame.to_dict("records")
    ]
    cost = _number(roster.get("cost"))
    over = roster.get("over_coverage_agent_intervals", "?")
    note = (
        f"<p>The cheapest roster of the allowed shifts that puts at least the chosen plan's "
        f"agents in every interval (integer programming, SciPy's <code>milp</code>): "
        f"{_e(format_value('staff_cost', cost, currency))} a day, over-covering the plan by "
        f"{_e(over)} agent-intervals (<code>{_e(name)}</code>).</p>"
    )
    return _table(["shift", "agents", "cost per shift"], rows) + note


def _policy_table(data: Mapping[str, Any]) -> str:
    decided = list(data["decide"].get("choices") or {})
    if not decided:
        return ""
    rows = [
        [
            f"<code>{_e(key)}</code>",
            _e(str(data["today"]["policy"].get(key, "–"))),
            _e(str(data["chosen"]["policy"].get(key, "–"))),
            f'<span class="text">{_e(", ".join(map(str, data["decide"]["choices"][key])))}</span>',
        ]
        for key in decided
    ]
    return "<h3>Policy</h3>" + _table(["choice", "today", "chosen", "levels searched"], rows)


_PLAN_COLUMNS = (
    ("staff_cost", "staff cost"),
    ("total_cost", "all costs"),
    ("service_level", "service level"),
    ("abandonment_rate", "abandonment"),
    ("retention_rate", "retention"),
    ("profit", "profit"),
)


def _plans_section(
    folder: Path, data: Mapping[str, Any], frontier: pd.DataFrame, currency: str
) -> str:
    figure = _figure(folder, folder / "frontier.png") if (folder / "frontier.png").exists() else ""
    present = [(m, words) for m, words in _PLAN_COLUMNS if m in frontier]
    rows, classes = [], []
    for row in frontier.to_dict("records"):
        cells = [_e(row["plan"]), _words(row["role"]), _words(_text(row.get("policy")))]
        cells.append(_e(str(int(row["replications"]))))
        for metric, _label in present:
            est = {k: row.get(f"{metric}{k}") for k in ("", "_ci_low", "_ci_high")}
            cells.append(
                _e(
                    _estimate_text(
                        metric,
                        {"mean": est[""], "ci_low": est["_ci_low"], "ci_high": est["_ci_high"]},
                        currency,
                    )
                )
            )
        cells.append("yes" if _flag(row["feasible"]) else "no")
        edges = [
            words
            for flag, words in (
                ("frontier_service_level", "service level"),
                ("frontier_retention", "retention"),
            )
            if _flag(row.get(flag))
        ]
        cells.append(_e(", ".join(edges)))
        rows.append(cells)
        classes.append("first" if row["role"] in ("today", *_LABELS) else "")
    header = ["plan", "role", "policy", "n", *(words for _m, words in present)]
    header += ["meets the constraints", "on the frontier of"]
    note = (
        f"<p>Every plan evaluated ({_e(data.get('plans_evaluated', len(rows)))}, "
        f"{_e(data.get('replications_used', '?'))} replications in all), on all of its "
        "replications: the mean and 95 % interval of each metric (<code>frontier.csv</code>, "
        "which also lists each plan's agents per interval). A plan is on the frontier of a "
        "metric when no other costs less and does at least as well. The search stopped: "
        f"{_e(data.get('stopped', '?'))}.</p>"
    )
    table = _table(header, rows, classes)
    return _section("The plans evaluated", figure + note + table + _evaluations(folder, currency))


def _words(value: Any) -> str:
    """A cell of words (left-aligned), escaped."""
    return f'<span class="text">{_e(value)}</span>'


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def _evaluations(folder: Path, currency: str) -> str:
    path = folder / "evaluations.csv"
    if not os.path.lexists(path):
        return ""
    columns = ["stage", "round", "plan", "move", "replications", "objective", "accepted"]
    frame = _read_csv(path, columns, keep_default_na=False, dtype=str)
    rows = []
    for row in frame.to_dict("records"):
        gain = row.get("gain", "")
        interval = (
            f"[{_short(row.get('gain_ci_low'))}, {_short(row.get('gain_ci_high'))}]" if gain else ""
        )
        rows.append(
            [
                _e(row["stage"]),
                _e(row["round"]),
                _e(row["plan"]),
                _words(row.get("policy", "")),
                f'<span class="text">{_e(row["move"])}</span>',
                _e(row["replications"]),
                _e(_short(row["objective"])),
                _e(row.get("feasible", "")),
                _e(f"{_short(gain)} {interval}".strip()),
                _e(row["accepted"]),
            ]
        )
    header = ["stage", "round", "plan", "policy", "move", "n", "objective", "feasible"]
    header += ["paired gain [95% CI]", "accepted"]
    return (
        f"<details><summary>every evaluation of the search ({len(rows)}; "
        "<code>evaluations.csv</code>)</summary>" + _table(header, rows) + "</details>"
    )


def _short(value: Any) -> str:
    """A number of evaluations.csv in four significant digits (text as it is)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value or "")
    return "" if math.isnan(number) else f"{number:,.4g}"
