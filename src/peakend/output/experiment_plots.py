"""Plots of experiments as display objects: compute once, draw on a given axes.

:class:`SweepPlot` draws a metric against a swept factor with its 95 % confidence
band; :class:`ComparisonPlot` draws each variant's mean with its interval next to
the paired difference from the base. Both take the plain tables that
:mod:`peakend.experiments.api` returns and writes (``sweep_summary.csv``,
``compare.csv``), so saved results can be drawn again. ``plot(ax=None)`` returns
the figure; the library never calls ``plt.show()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from peakend.output.plots import figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ComparisonPlot", "SweepCurve", "SweepPlot", "factor_columns", "save_png"]

_SUMMARY_COLUMNS = ("scenario", "metric", "mean", "ci_low", "ci_high", "half_width", "n")
_SIGNIFICANT = "#d95f02"
_NEUTRAL = "#7570b3"


def factor_columns(summary: pd.DataFrame) -> list[str]:
    """The factor columns of a sweep summary (everything that is not a statistic)."""
    return [c for c in summary.columns if c not in _SUMMARY_COLUMNS]


@dataclass(frozen=True)
class SweepCurve:
    """One line of a sweep plot: a level of the other factors, and the points along x."""

    label: str
    x: np.ndarray
    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


@dataclass(frozen=True)
class SweepPlot:
    """A metric against a swept factor, with the 95 % CI as a band around each line.

    Build it with :meth:`from_summary` from a sweep's aggregated table; there is
    one line per combination of the other factors' levels.
    """

    metric: str
    x_name: str
    curves: tuple[SweepCurve, ...]
    x_ticks: tuple[str, ...] | None = None
    """Tick labels when the factor's levels are not numbers (then x is 0, 1, ...)."""

    @classmethod
    def from_summary(cls, summary: pd.DataFrame, metric: str, x: str | None = None) -> SweepPlot:
        """Compute the curves of ``metric`` from a sweep summary (one row per scenario × metric)."""
        factors = factor_columns(summary)
        if not factors:
            raise ValueError("the summary has no factor columns; is it a sweep summary?")
        x = x or factors[0]
        if x not in factors:
            raise ValueError(f"x must be a factor column, one of {factors}; got {x!r}")
        rows = summary[summary["metric"] == metric]
        if rows.empty:
            known = ", ".join(dict.fromkeys(summary["metric"]))
            raise ValueError(f"no metric {metric!r} in the summary; it has {known}")
        levels = list(dict.fromkeys(rows[x]))
        numeric = all(isinstance(v, (int, float, np.number)) for v in levels)
        position = {v: (float(v) if numeric else float(i)) for i, v in enumerate(levels)}
        others = [f for f in factors if f != x]
        groups = rows.groupby(others, sort=False, dropna=False) if others else [((), rows)]
        curves = []
        for key, group in groups:
            group = group.assign(_x=group[x].map(position)).sort_values("_x")
            values = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{name}={value}" for name, value in zip(others, values, strict=True))
            curves.append(
                SweepCurve(
                    label,
                    group["_x"].to_numpy(float),
                    group["mean"].to_numpy(float),
                    group["ci_low"].to_numpy(float),
                    group["ci_high"].to_numpy(float),
                )
            )
        ticks = None if numeric else tuple(str(v) for v in levels)
        return cls(metric, x, tuple(curves), ticks)

    @classmethod
    def from_result(cls, result: Any, metric: str, x: str | None = None) -> SweepPlot:
        """From an :class:`~peakend.experiments.api.ExperimentResult` of a sweep."""
        return cls.from_summary(result.summary_frame(), metric, x or result.experiment.x)

    def plot(self, ax: Axes | None = None) -> Figure:
        """Draw the lines and bands on ``ax`` (a new figure when None); return the figure."""
        fig, ax = figure_axes(ax, (6.4, 4.2))
        for curve in self.curves:
            (line,) = ax.plot(curve.x, curve.mean, marker="o", label=curve.label or None)
            ax.fill_between(
                curve.x, curve.ci_low, curve.ci_high, color=line.get_color(), alpha=0.2, lw=0
            )
        if self.x_ticks is not None:
            ax.set_xticks(range(len(self.x_ticks)), self.x_ticks, rotation=20, ha="right")
        ax.set_xlabel(_axis_label(self.x_name))
        ax.set_ylabel(self.metric)
        ax.set_title(f"{self.metric} (mean, 95% CI band)")
        if any(curve.label for curve in self.curves):
            ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
        return fig


@dataclass(frozen=True)
class ComparisonPlot:
    """Each variant's mean with its 95 % CI, and the paired difference from the base.

    Differences whose interval excludes zero are highlighted.
    """

    metric: str
    table: pd.DataFrame
    """Rows of one metric from ``compare_frame()`` / ``compare.csv``."""

    @classmethod
    def from_comparison(cls, comparison: pd.DataFrame, metric: str) -> ComparisonPlot:
        rows = comparison[comparison["metric"] == metric].reset_index(drop=True)
        if rows.empty:
            known = ", ".join(dict.fromkeys(comparison["metric"]))
            raise ValueError(f"no metric {metric!r} in the comparison; it has {known}")
        return cls(metric, rows)

    @classmethod
    def from_result(cls, result: Any, metric: str) -> ComparisonPlot:
        """From an :class:`~peakend.experiments.api.ExperimentResult` of a comparison."""
        return cls.from_comparison(result.compare_frame(), metric)

    def plot(self, ax: Axes | tuple[Axes, Axes] | None = None) -> Figure:
        """Draw on ``ax``: one axes (means only) or two (means, differences); None: a new figure."""
        if ax is None:
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
            means_ax, diff_ax = axes
        elif isinstance(ax, (tuple, list, np.ndarray)):
            means_ax, diff_ax = ax
            fig = means_ax.figure  # type: ignore[assignment]
        else:
            means_ax, diff_ax, fig = ax, None, ax.figure  # type: ignore[assignment]
        self._means(means_ax)
        if diff_ax is not None:
            self._differences(diff_ax)
        return fig  # type: ignore[return-value]

    def _means(self, ax: Axes) -> None:
        t = self.table
        positions = np.arange(len(t))
        errors = _errors(t["mean"], t["ci_low"], t["ci_high"])
        ax.bar(positions, t["mean"], yerr=errors, capsize=4, color=_NEUTRAL, alpha=0.8)
        ax.set_xticks(positions, t["variant"], rotation=20, ha="right")
        ax.set_ylabel(self.metric)
        ax.set_title(f"{self.metric}: mean and 95% CI")
        ax.grid(axis="y", alpha=0.3)

    def _differences(self, ax: Axes) -> None:
        t = self.table[self.table["diff"].notna()]
        positions = np.arange(len(t))
        errors = _errors(t["diff"], t["diff_ci_low"], t["diff_ci_high"])
        colours = [_SIGNIFICANT if s else _NEUTRAL for s in t["significant"].astype(bool)]
        ax.bar(positions, t["diff"], yerr=errors, capsize=4, color=colours, alpha=0.8)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(positions, t["variant"], rotation=20, ha="right")
        ax.set_ylabel(f"{self.metric}: variant − base")
        ax.set_title("variant − base (paired), 95% CI\norange: the CI excludes 0")
        ax.grid(axis="y", alpha=0.3)


def _axis_label(factor: str) -> str:
    # "pools.agents.staffing*" scales the base value: say so on the axis.
    if factor.endswith("*"):
        return f"{factor[:-1]} (× base)"
    if factor.endswith("+"):
        return f"{factor[:-1]} (+ base)"
    return factor


def _errors(mean: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    # NaN bounds (a single replication) draw no error bar rather than failing.
    below = np.nan_to_num((mean - low).to_numpy(float), nan=0.0)
    above = np.nan_to_num((high - mean).to_numpy(float), nan=0.0)
    return np.vstack([below, above])


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` as PNG, atomically, and close it (frees memory)."""
    import matplotlib.pyplot as plt

    from peakend.output.files import atomic_write

    path = Path(path)
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    finally:
        plt.close(fig)
    return path
