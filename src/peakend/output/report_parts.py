"""The report's building blocks, shared by every page (:mod:`peakend.output.report` for a
run, a comparison or a sweep; :mod:`peakend.output.optimise_report` for an optimisation).

- **Reading a folder** under the report's rules (:func:`_read_file` and the readers of
  JSON and CSV built on it): only regular files inside the folder, never through a
  symbolic link, never a FIFO or a device, each at most :data:`READ_LIMITS` bytes and,
  when the folder has a ledger, listed in it with the same size and SHA-256 (the rules
  of :func:`peakend.store.ledger.read_inside`); the folder being rendered is set by
  :func:`peakend.output.report.render_report`. Anything else is one :class:`ReportError`.
- **Markup**: sections, tables whose cells are escaped text (:func:`_e`: a name is shown
  as typed, never as markup), inline PNG figures with their captions.
- **Numbers**: values, intervals and differences formatted by the metric registry; the
  paired differences of two scenarios' stored replications (:func:`_differences`) and
  their judged table (:func:`_differences_table`); the split of a difference into parts
  that add up to the total as shown (:func:`_split_table`).
"""

from __future__ import annotations

import base64
import contextvars
import io
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from peakend.analysis.registry import format_difference, format_value, metric_info
from peakend.analysis.stats import Estimate, paired_difference
from peakend.base.names import html_text
from peakend.config.loading import ConfigError
from peakend.store import ledger

__all__ = ["READ_LIMITS", "ReportError"]


class ReportError(ConfigError):
    """A folder that is not a finished peakend run, comparison, sweep or optimisation."""


def _e(value: object) -> str:
    # Every string on the page goes through here: names shown as typed, never as markup.
    return html_text(value)


READ_LIMITS = {".png": 16 * 2**20, "": 64 * 2**20}
"""Largest file the report reads, in bytes: a PNG plot 16 MiB, any other file 64 MiB
(the summary of a 10,000-point sweep is well under it). A larger file is refused."""


# The folder being rendered and its ledger (None: a folder written before peakend
# kept one), so that every read below follows the same rules without new parameters.
PLOTS_LIMIT = 32 * 2**20
"""Most bytes of PNG plots one report embeds, all together (32 MiB): a sweep's few dozen
plots take a few MB. A folder holding more is refused before any is read."""

_READING: contextvars.ContextVar[tuple[Path, dict[str, ledger.Entry] | None]] = (
    contextvars.ContextVar("_READING")
)


def _read_file(path: Path) -> bytes:
    """The bytes of ``path``, a file of the folder being rendered, under the reading rules."""
    folder, entries = _READING.get()
    relative = Path(os.path.relpath(path, folder)).as_posix()
    limit = READ_LIMITS.get(path.suffix, READ_LIMITS[""])
    return ledger.read_inside(folder, relative, limit, entries)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_read_file(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ReportError(f"{path}: cannot read it ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a JSON object")
    return data


TABLE_ROWS = (100_000, "a table of the report may have")
"""Most rows the report parses from a table that has no tighter bound of its own (an
optimisation's plans and evaluations number in the hundreds)."""


def _read_csv(
    path: Path,
    columns: Sequence[str],
    max_rows: tuple[int, str] = TABLE_ROWS,
    **options: Any,
) -> pd.DataFrame:
    """A table the run wrote, with at least ``columns`` and at most ``max_rows[0]`` rows.

    ``max_rows`` is the most rows the folder can hold in this table and why (for a
    comparison or a sweep, the manifest's scenarios times the metrics peakend knows):
    only that many rows (and one more, to tell) are parsed, so a table of millions
    of rows, listed in a ledger edited with it, is refused in one line before it
    costs memory, as the results store refuses a replication of millions of rows.
    """
    limit, why = max_rows
    try:
        frame = pd.read_csv(io.BytesIO(_read_file(path)), nrows=limit + 1, **options)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ReportError(f"{path}: not a table peakend writes ({type(exc).__name__})") from None
    if len(frame) > limit:
        raise ReportError(
            f"{path}: more than the {limit:,} rows {why}; the file was changed, "
            "or it is not peakend's"
        )
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ReportError(f"{path}: not a table peakend writes (no column {missing[0]!r})")
    return frame


def _section(title: str, content: str) -> str:
    return f"<section>\n<h2>{_e(title)}</h2>\n{content}\n</section>" if content else ""


_KEY = re.compile(r"[0-9a-f]{16}")


_PAID_OUT = ("recovery_cost", "extras_cost")
"""Money spent besides the roster, summed per replication."""


_AGENT_MINUTES = ("recovery_minutes", "extras_minutes")
"""Agent time given to recovery and extras, where the records report it, summed."""


def _span(scenario: Mapping[str, Any]) -> str:
    """What a total (profit, costs) covers: the run's periods, or its simulated day."""
    periods = int(_get(scenario, "retention.periods") or 1)
    if periods > 1:
        name = _get(scenario, "retention.period_name") or "period"
        return f"over the run's {periods} {name}s"
    return "over the simulated day"


def _with_ci(metric: str, est: Estimate, currency: str) -> str:
    """``+€5,376`` or ``+€76 [+€25, +€127]``: the interval only where it has width."""
    text = format_difference(metric, est.mean, currency)
    if _nan(est.ci_low) or est.ci_low == est.ci_high:
        return text
    return f"{text} {_interval(metric, est.ci_low, est.ci_high, currency, True)}"


def _stored_metrics(folder: Path, key: str, count: int) -> dict[int, dict[str, float]]:
    """``replication -> metrics`` of the first ``count`` replications stored for ``key``
    (those the folder's tables summarise; failed ones are missing)."""
    from peakend.store.replications import ResultStore

    store = ResultStore(folder)
    done = sorted(r for r in store.completed(key) if r < count)
    return {r: store.load(key, r).metrics for r in done}


def _paired(
    variant: Mapping[int, Mapping[str, float]],
    base: Mapping[int, Mapping[str, float]],
    metrics: Sequence[str],
) -> Estimate | None:
    """The paired difference of ``sum(metrics)`` (variant − base) over the replications
    both have; None when a metric is missing."""
    common = sorted(set(variant) & set(base))
    if not common or any(m not in base[common[0]] for m in metrics):
        return None

    def total(values: Mapping[int, Mapping[str, float]], r: int) -> float:
        return sum(values[r][m] for m in metrics)

    return paired_difference([total(variant, r) for r in common], [total(base, r) for r in common])


def _differences_table(
    diffs: Mapping[str, Mapping[str, Estimate]],
    count: int,
    span: str,
    currency: str,
    base: str = "the base",
) -> str:
    """Each variant's paired differences from ``base`` (the bottom line's table), judged."""
    columns = [
        (m, label)
        for m, label in (
            ("active_customers_end", "customers kept (active at the end)"),
            ("retention_rate", "retention"),
            ("mean_remembered_utility", "remembered utility"),
            ("service_level", "service level"),
            ("profit", "profit"),
            ("staff_cost", "staff cost"),
            ("paid_out", "recovery and extras cost"),
            ("agent_hours", "agent-hours"),
            ("agent_minutes", "recovery and extras agent-minutes"),
        )
        if all(m in d for d in diffs.values())
    ]
    rows = []
    for variant, found in diffs.items():
        cells = [_e(variant)]
        for metric, _label in columns:
            est = found[metric]
            shown = _SHOWN_AS.get(metric, metric)
            css, _words = _verdict(shown, {"significant": est.excludes_zero(), "diff": est.mean})
            cells.append(f'<span class="{css}">{_e(_with_ci(shown, est, currency))}</span>')
        rows.append(cells)
    note = (
        f"Each figure is the variant's difference from {base} {span} (variant − base), "
        f"paired replication by replication over {count} replications (common random "
        "numbers), with its 95 % confidence interval; green is better, red worse, grey not "
        "clear (the interval includes zero). Customers kept are those active at the end; "
        "staff cost is the roster's pay; recovery and extras cost is the recovery_cost and "
        "extras_cost metrics together (see the data dictionary)."
    )
    return _table(["variant", *(label for _m, label in columns)], rows) + f"<p>{_e(note)}</p>"


_SHOWN_AS = {"paid_out": "recovery_cost", "agent_minutes": "recovery_minutes"}
"""The metric whose format and better direction a summed column takes."""


def _differences(
    variant: Mapping[int, Mapping[str, float]], base: Mapping[int, Mapping[str, float]]
) -> dict[str, Estimate]:
    """The bottom line's paired differences of one variant (the metrics the run has)."""
    wanted: dict[str, Sequence[str]] = {
        name: (name,)
        for name in (
            "profit",
            "active_customers_end",
            "retention_rate",
            "mean_remembered_utility",
            "service_level",
            "staff_cost",
            "agent_hours",
        )
    }
    first = next(iter(base.values()))
    for name, parts in (("paid_out", _PAID_OUT), ("agent_minutes", _AGENT_MINUTES)):
        present = tuple(m for m in parts if m in first)
        if present:
            wanted[name] = present
    found = {name: _paired(variant, base, metrics) for name, metrics in wanted.items()}
    return {name: est for name, est in found.items() if est is not None}


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


_SPLIT_PARTS = {
    "profit_customers_kept": "customers kept",
    "profit_visits_served": "visits served",
    "profit_staff_cost": "staff cost",
    "profit_paid_out": "money paid out",
    "profit": "= profit",
}
"""The rows of the profit split in compare.csv, in the order the report shows them."""


_COST_PARTS = {
    "staff_cost": "staff cost",
    "recovery_cost": "recovery paid out",
    "extras_cost": "extras paid out",
    "total_cost": "= all costs",
}
"""The rows of an optimisation's cost split (single-day bases, which have no profit)."""


_PROFIT_SPLIT_NOTE = (
    "Customers kept: the relationship margin (<code>value_per_period</code>) of the "
    "extra customers still active at each period's end, referrals included; visits "
    "served: <code>value_per_visit</code> of the extra served visits; staff cost: minus "
    "the extra roster cost (which pays all agent time, recovery and farewells included); "
    "money paid out: minus the extra coupons and delight extras. Profit is the sum of "
    "these parts in every replication, so the paired differences add up replication by "
    "replication and their means add up to the profit difference."
)


_SPLIT_ROUNDING_NOTE = (
    " The parts are rounded so that they add up to the total as shown (the largest "
    "remainders are rounded up; each part is then within one unit of its own rounding). "
    "Each 95 % interval is the Student-t interval of that part's own paired differences; "
    "intervals do not add up."
)


def _split_table(frame: pd.DataFrame, parts: Mapping[str, str], currency: str) -> str:
    """Each variant's difference of the last of ``parts`` (the total) split into the others,
    from compare.csv's rows; empty when the table lacks a part.

    Raises
    ------
    ValueError
        When a variant's parts do not add up to its total (a changed table; the
        report refuses it in one line, see :func:`_built`).
    """
    if not set(parts) <= set(frame["metric"]):
        return ""
    *pieces, total = parts
    rows, classes = [], []
    found = frame[frame["metric"].isin(list(parts)) & ~frame["diff"].isna()]
    for variant in dict.fromkeys(found["variant"]):
        mine = found[found["variant"] == variant].drop_duplicates("metric").set_index("metric")
        if not set(parts) <= set(mine.index):
            continue
        values = [float(mine.loc[m, "diff"]) for m in pieces]
        shown = _shown_split(values, float(mine.loc[total, "diff"]))
        for i, (metric, words) in enumerate(parts.items()):
            row = mine.loc[metric]
            diff = _e(_money_difference(shown[i], currency))
            rows.append(
                [
                    _e(variant) if i == 0 else "",
                    f'<span class="text">{_e(words)}</span>',
                    f"<b>{diff}</b>" if metric == total else diff,
                    _e(
                        _interval("profit", row["diff_ci_low"], row["diff_ci_high"], currency, True)
                    ),
                ]
            )
            classes.append("first" if i == 0 else "")
    if not rows:
        return ""
    return _table(["variant", "part", "difference", "95% CI"], rows, classes)


def _shown_split(parts: Sequence[float], total: float) -> list[tuple[int, int]]:
    """``parts`` and ``total`` as ``(units, decimals)``, rounded so the parts add up to the
    total exactly: in cents when the total is under 100 (as
    :func:`~peakend.analysis.registry.format_difference` shows it), else in whole money; the
    total rounded, each part floored and the largest remainders rounded up.

    Raises
    ------
    ValueError
        When the parts do not add up to the total (beyond floating-point rounding).
    """
    scale = max([abs(total), *map(abs, parts)], default=0.0)
    if any(math.isnan(v) for v in [*parts, total]) or abs(sum(parts) - total) > 1e-6 * max(
        1.0, scale
    ):
        raise ValueError("the parts of a split do not add up to its total")
    # Cents where the total shows cents (0 < |total| < 100, as format_difference shows it),
    # so that the total here reads as it does in the bottom line.
    decimals = 2 if 0 < abs(total) < 100 else 0
    unit = 10.0**-decimals
    target = round(total / unit)
    floors = [math.floor(v / unit) for v in parts]
    remainders = sorted(range(len(parts)), key=lambda i: (-(parts[i] / unit - floors[i]), i))
    missing = target - sum(floors)
    if not 0 <= missing <= len(parts):
        raise ValueError("the parts of a split do not add up to its total")
    for i in remainders[:missing]:
        floors[i] += 1
    return [(units, decimals) for units in [*floors, target]]


def _money_difference(shown: tuple[int, int], currency: str) -> str:
    """``+€1,315``, ``−€0.45``, ``±€0`` from ``(units, decimals)``."""
    units, decimals = shown
    sign = "+" if units > 0 else "−" if units < 0 else "±"
    return f"{sign}{currency}{abs(units) / 10**decimals:,.{decimals}f}"


def _figure(folder: Path, path: Path) -> str:
    """The PNG plot ``path`` of the folder inline (base64), with its caption."""
    data = base64.b64encode(_read_file(path)).decode("ascii")
    caption = _caption(path.stem)
    svg = "; an SVG lies beside it" if path.with_suffix(".svg").is_file() else ""
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)} (<code>{_e(path.relative_to(folder))}</code>"
        f"{svg})</figcaption></figure>"
    )


_CAPTIONS = {
    "trace": "One sampled customer's journey, moment by moment: worst moment and end marked",
    "remembered_vs_experienced": "What customers remember against what they lived through",
    "retention_curve": "Initial customers still active after each period",
    "profit": "Profit per period",
    "visits": "Visits per period (the load that comes back)",
    "frontier": (
        "Staff cost against service level (and retention): every plan evaluated with its "
        "95 % CI, the frontier (no other plan costs less and does at least as well), "
        "today's plan and the chosen one"
    ),
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
