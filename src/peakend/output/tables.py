"""Readable tables for the terminal (rich): built here, printed by the command line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.table import Table

from peakend.analysis.stats import Estimate

__all__ = ["estimate_table", "format_interval", "format_number", "rows_table"]


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


def estimate_table(title: str, estimates: Mapping[str, Estimate]) -> Table:
    """A metric / mean / 95 % CI table."""
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    for name, est in estimates.items():
        table.add_row(name, format_number(est.mean), format_interval(est.ci_low, est.ci_high))
    return table


def rows_table(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A plain table from rows; floats are formatted compactly."""
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(format_number(v) if isinstance(v, float) else str(v) for v in row))
    return table
