"""Readable tables for the terminal (rich): built here, printed by the command line.

Metric tables take labels and formats from the metric registry
(:mod:`peakend.analysis.registry`): "Service level 64.1 % [62.6 %, 65.5 %]",
money with its currency symbol and thousands separators, differences of shares
in percentage points. The metric's name stays beside its label, because options
such as ``--metric`` take the name.

Titles, captions and cells are plain text (:func:`~peakend.base.names.rich_text`),
never Rich markup: a scenario called ``x[/]y`` or ``\x1b[31m`` is shown as typed,
escaped where it holds control characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from peakend.analysis.registry import (
    format_bounds,
    format_difference,
    format_value,
    metric_info,
)
from peakend.base.names import rich_text

if TYPE_CHECKING:
    import pandas as pd

    from peakend.analysis.stats import Estimate

__all__ = [
    "comparison_table",
    "estimate_table",
    "format_estimate",
    "format_interval",
    "format_number",
    "profit_split_table",
    "rows_table",
    "sweep_table",
]


def format_number(value: float) -> str:
    """A compact number for tables: thousands separated, about four significant digits."""
    if value != value:  # NaN
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    return f"{value:.4g}"


def format_interval(low: float, high: float) -> str:
    """``[low, high]``, or a dash when the interval is undefined (NaN)."""
    return "–" if low != low else f"[{format_number(low)}, {format_number(high)}]"


def format_estimate(
    metric: str,
    mean: float,
    low: float,
    high: float,
    currency: str = "€",
    difference: bool = False,
) -> str:
    """``64.1 % [62.6, 65.5]`` in the metric's format (the bounds in the mean's unit); only
    the mean without an interval. ``difference`` formats a signed difference (shares in
    percentage points)."""
    fmt = format_difference if difference else format_value
    text = fmt(metric, mean, currency)
    if low != low or high != high:  # NaN: a single replication
        return text
    return f"{text} {format_bounds(metric, low, high, difference)}"


def estimate_table(
    title: str, estimates: Mapping[str, Estimate], currency: str = "€", caption: str = ""
) -> Table:
    """A metric / mean / 95 % CI / n table, labelled and formatted by the registry."""
    table = Table(
        title=rich_text(title),
        title_justify="left",
        caption=rich_text(caption) if caption else None,
    )
    # Labels wrap; the name (which --metric takes) and the numbers are never wrapped or
    # cut (the CLI's console widens a table that cannot fit: peakend.cli.console).
    table.add_column("metric")
    table.add_column("name", style="dim", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    for name, est in estimates.items():
        interval = (
            "–"
            if est.ci_low != est.ci_low
            else f"[{format_value(name, est.ci_low, currency)}, "
            f"{format_value(name, est.ci_high, currency)}]"
        )
        table.add_row(
            metric_info(name).label,
            name,
            format_value(name, est.mean, currency),
            interval,
            str(est.n),
        )
    return table


def comparison_table(
    frame: pd.DataFrame, descriptions: Mapping[str, str] | None = None, currency: str = "€"
) -> Table:
    """Each variant's mean [95% CI] and its paired difference from the base [95% CI].

    ``frame`` is a comparison table (``compare.csv``); ``descriptions`` of the
    variants go into the caption. A ``*`` marks a difference whose interval excludes 0.
    """
    title = "each variant against the base: paired over replications (common random numbers)"
    notes = ["* the 95% CI of the difference excludes 0"]
    notes += [f"{name}: {text}" for name, text in (descriptions or {}).items()]
    table = Table(
        title=title,
        title_justify="left",
        caption=Text("\n").join(rich_text(note) for note in notes),
        caption_justify="left",
        box=box.SIMPLE_HEAD,  # no vertical rules: the estimates need the width
    )
    table.add_column("metric", no_wrap=True)
    table.add_column("variant", no_wrap=True)
    table.add_column("mean [95% CI]", justify="right", no_wrap=True)
    table.add_column("difference from base [95% CI]", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for metric in dict.fromkeys(frame["metric"]):
        rows = frame[frame["metric"] == metric].to_dict("records")
        # The label, and under it the name that --metric takes.
        names = [rich_text(metric_info(metric).label), rich_text(metric, style="dim")]
        for i, row in enumerate(rows):
            is_base = row["diff"] != row["diff"]
            difference = (
                ""
                if is_base
                else format_estimate(
                    metric, row["diff"], row["diff_ci_low"], row["diff_ci_high"], currency, True
                )
            )
            table.add_row(
                names[i] if i < len(names) else "",
                rich_text(str(row["variant"])),
                format_estimate(metric, row["mean"], row["ci_low"], row["ci_high"], currency),
                difference,
                "*" if row["significant"] and not is_base else "",
                end_section=i == len(rows) - 1,
            )
    return table


PROFIT_SPLIT_CAPTION = (
    "customers kept: relationship margin of the extra active customers (referrals "
    "included); visits served: value per served visit; staff cost: minus the extra "
    "roster cost; paid out: minus the extra coupons and delight extras. Each part is a "
    "paired difference with its own 95% CI (Student t over replications); the parts add "
    "up to the total in every replication, so their means do too (the CIs do not add)"
)
"""What the profit-split table's columns mean (also the report's caption)."""


def profit_split_table(frame: pd.DataFrame, currency: str = "€") -> Table:
    """Each variant's profit difference from the base, split into its parts.

    ``frame`` is :meth:`peakend.experiments.results.ExperimentResult.profit_split_frame`:
    one row per variant and part; the table has one row per variant and part, with the
    part's difference [95% CI].
    """
    title = "where each profit difference comes from (variant − base, paired)"
    table = Table(
        title=title,
        title_justify="left",
        caption=PROFIT_SPLIT_CAPTION,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        min_width=len(title) + 20,  # the title and caption on few lines
    )
    table.add_column("variant", no_wrap=True)
    table.add_column("part", no_wrap=True)
    table.add_column("difference [95% CI]", justify="right", no_wrap=True)
    for variant in dict.fromkeys(frame["variant"]):
        rows = frame[frame["variant"] == variant].to_dict("records")
        for i, row in enumerate(rows):
            total = row["part"] == "total"
            estimate = format_estimate(
                "profit", row["diff"], row["diff_ci_low"], row["diff_ci_high"], currency, True
            )
            table.add_row(
                str(variant) if i == 0 else "",
                "= profit" if total else str(row["part"]).replace("_", " "),
                f"[bold]{estimate}[/bold]" if total else estimate,
                end_section=i == len(rows) - 1,
            )
    return table


def sweep_table(summary: pd.DataFrame, metric: str, currency: str = "€") -> Table:
    """One metric of a sweep summary: each scenario's mean [95% CI] and n."""
    table = Table(title=rich_text(f"{metric_info(metric).label} ({metric})"), title_justify="left")
    table.add_column("scenario")
    table.add_column("mean [95% CI]", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    for row in summary[summary["metric"] == metric].to_dict("records"):
        estimate = format_estimate(metric, row["mean"], row["ci_low"], row["ci_high"], currency)
        table.add_row(rich_text(str(row["scenario"])), estimate, str(row["n"]))
    return table


def rows_table(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A plain table from rows; floats are formatted compactly."""
    table = Table(title=rich_text(title), title_justify="left")
    for i, name in enumerate(header):
        # the first column names the row (it may wrap); the others hold numbers (never cut)
        table.add_column(rich_text(name), justify="left" if i == 0 else "right", no_wrap=i > 0)
    for row in rows:
        table.add_row(
            *(rich_text(format_number(v) if isinstance(v, float) else str(v)) for v in row)
        )
    return table
