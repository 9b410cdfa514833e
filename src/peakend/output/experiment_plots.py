"""Plots of experiments as display objects, after scikit-learn's Display convention.

:class:`SweepPlot` draws a metric against a swept factor with its 95 % confidence
band; :class:`ComparisonPlot` draws each variant's mean with its interval next to
the paired difference from the base. ``from_*`` class methods compute from the
plain tables that :mod:`peakend.experiments.api` returns and writes
(``sweep_summary.csv``, ``compare.csv``), so saved results can be drawn again;
``plot(ax=None)`` draws, keeps ``ax_`` and ``figure_`` and returns the display.
Labels, units, tick formats and target lines come from the metric registry
(:mod:`peakend.analysis.registry`); every plot names its experiment and its n,
and variants are labelled by their descriptions. The library never calls
``plt.show()``; :func:`save_plot` writes PNG (and SVG on request). Experiment and variant
names, descriptions, factors and levels are drawn as typed
(:func:`~peakend.base.names.plot_text`: never mathtext, controls escaped).
"""

from __future__ import annotations

import textwrap
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from peakend.analysis.registry import metric_info
from peakend.base.names import PLOT_NAME_LENGTH, plot_text
from peakend.output.plots import figure_axes, metric_formatter, n_note, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ComparisonPlot",
    "SweepCurve",
    "SweepPlot",
    "factor_columns",
    "save_plot",
    "variant_descriptions",
]

_SUMMARY_COLUMNS = ("scenario", "metric", "mean", "ci_low", "ci_high", "half_width", "n")
_SIGNIFICANT = "#d95f02"
_NEUTRAL = "#7570b3"
_TARGET = "#1b9e77"
PLOT_LABEL_LENGTH = 40
"""Characters of a legend entry or tick label (longer ones end in ``…``): a long level
name would leave no room for the axes."""


def factor_columns(summary: pd.DataFrame) -> list[str]:
    """The factor columns of a sweep summary (everything that is not a statistic)."""
    return [c for c in summary.columns if c not in _SUMMARY_COLUMNS]


def variant_descriptions(experiment_text: str | None) -> dict[str, str]:
    """``{variant: description}`` from an experiment file's text (``experiment.toml``).

    Variants without a description are left out; a text that is not TOML gives ``{}``.
    """
    if not experiment_text:
        return {}
    try:
        data = tomllib.loads(experiment_text)
    except tomllib.TOMLDecodeError:
        return {}
    variants = data.get("variants", {})
    if not isinstance(variants, dict):
        return {}
    return {
        str(name): str(spec["description"])
        for name, spec in variants.items()
        if isinstance(spec, dict) and spec.get("description")
    }


def _title(name: str, text: str, note: str) -> str:
    return f"{plot_text(name, PLOT_NAME_LENGTH)}: {text}\n{note}" if name else f"{text}\n{note}"


@dataclass(frozen=True)
class SweepCurve:
    """One line of a sweep plot: a level of the other factors, and the points along x."""

    label: str
    x: np.ndarray
    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


@dataclass
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
    replications: int = 0
    """Replications per point (the smallest, when they differ)."""
    experiment: str = ""
    currency: str = "€"
    ax_: Axes | None = field(default=None, repr=False)
    figure_: Figure | None = field(default=None, repr=False)

    @classmethod
    def from_summary(
        cls, summary: pd.DataFrame, metric: str, x: str | None = None, experiment: str = ""
    ) -> SweepPlot:
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
            label = ", ".join(
                f"{_axis_label(name)} = {value}" for name, value in zip(others, values, strict=True)
            )
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
        n = int(rows["n"].min()) if "n" in rows else 0
        return cls(metric, x, tuple(curves), ticks, n, experiment)

    @classmethod
    def from_result(cls, result: Any, metric: str, x: str | None = None) -> SweepPlot:
        """From an :class:`~peakend.experiments.api.ExperimentResult` of a sweep."""
        return cls.from_summary(
            result.summary_frame(), metric, _factor_column(result, x), result.experiment.name
        )

    def plot(self, ax: Axes | None = None) -> SweepPlot:
        """Draw the lines and bands on ``ax`` (a new figure when None); return self."""
        fig, ax = figure_axes(ax, (6.4, 4.4))
        info = metric_info(self.metric)
        for curve in self.curves:
            label = plot_text(curve.label, PLOT_LABEL_LENGTH) or None
            (line,) = ax.plot(curve.x, curve.mean, marker="o", label=label)
            ax.fill_between(
                curve.x, curve.ci_low, curve.ci_high, color=line.get_color(), alpha=0.2, lw=0
            )
        if info.target is not None:
            ax.axhline(info.target, color=_TARGET, ls="--", lw=1, label=f"target {info.target:.0%}")
        if self.x_ticks is not None:
            ticks = [plot_text(tick, PLOT_LABEL_LENGTH) for tick in self.x_ticks]
            ax.set_xticks(range(len(ticks)), ticks, rotation=20, ha="right")
        ax.yaxis.set_major_formatter(metric_formatter(self.metric, self.currency))
        ax.set_xlabel(plot_text(_axis_label(self.x_name), 2 * PLOT_LABEL_LENGTH))
        ax.set_ylabel(info.axis_label())
        note = f"mean and 95% CI band; {n_note(self.replications, 'replications per point')}"
        ax.set_title(_title(self.experiment, info.label, note), fontsize=10)
        if any(curve.label for curve in self.curves) or info.target is not None:
            ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
        self.ax_, self.figure_ = ax, fig
        return self


@dataclass
class ComparisonPlot:
    """Each variant's mean with its 95 % CI, and the paired difference from the base.

    Differences whose interval excludes zero are highlighted; variants are
    labelled by their descriptions when given.
    """

    metric: str
    table: pd.DataFrame
    """Rows of one metric from ``compare_frame()`` / ``compare.csv``."""
    descriptions: Mapping[str, str] = field(default_factory=dict)
    experiment: str = ""
    currency: str = "€"
    ax_: Axes | None = field(default=None, repr=False)
    ax_diff_: Axes | None = field(default=None, repr=False)
    figure_: Figure | None = field(default=None, repr=False)

    @classmethod
    def from_comparison(
        cls,
        comparison: pd.DataFrame,
        metric: str,
        descriptions: Mapping[str, str] | None = None,
        experiment: str = "",
    ) -> ComparisonPlot:
        """One metric's rows of a comparison table; ``descriptions`` label the variants."""
        rows = comparison[comparison["metric"] == metric].reset_index(drop=True)
        if rows.empty:
            known = ", ".join(dict.fromkeys(comparison["metric"]))
            raise ValueError(f"no metric {metric!r} in the comparison; it has {known}")
        return cls(metric, rows, dict(descriptions or {}), experiment)

    @classmethod
    def from_result(cls, result: Any, metric: str) -> ComparisonPlot:
        """From an :class:`~peakend.experiments.api.ExperimentResult` of a comparison."""
        experiment = result.experiment
        return cls.from_comparison(
            result.compare_frame(), metric, variant_descriptions(experiment.text), experiment.name
        )

    def labels(self, variants: pd.Series) -> list[str]:
        """Tick labels: ``name`` and its description, wrapped."""
        out = []
        for name in variants.astype(str):
            text = self.descriptions.get(name)
            full = f"{name}: {text}" if text else name
            out.append(textwrap.fill(plot_text(full), 28, max_lines=3, placeholder=" …"))
        return out

    def plot(self, ax: Axes | tuple[Axes, Axes] | None = None) -> ComparisonPlot:
        """Draw on ``ax``: one axes (means only) or two (means, differences); None: a new
        figure with both. Keeps ``ax_``, ``ax_diff_`` (None with one axes), ``figure_``."""
        if ax is None:
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
            means_ax, diff_ax = axes
        elif isinstance(ax, (tuple, list, np.ndarray)):
            means_ax, diff_ax = ax
            fig = means_ax.figure  # type: ignore[assignment]
        else:
            means_ax, diff_ax, fig = ax, None, ax.figure  # type: ignore[assignment]
        self._means(means_ax)
        if diff_ax is not None:
            self._differences(diff_ax)
        n = int(self.table["n"].min()) if "n" in self.table else 0
        info = metric_info(self.metric)
        note = f"{n_note(n, 'replications per variant')}, paired (common random numbers)"
        fig.suptitle(_title(self.experiment, info.label, note), fontsize=10)
        self.ax_, self.ax_diff_, self.figure_ = means_ax, diff_ax, fig  # type: ignore[assignment]
        return self

    def _means(self, ax: Axes) -> None:
        t = self.table
        info = metric_info(self.metric)
        positions = np.arange(len(t))
        errors = _errors(t["mean"], t["ci_low"], t["ci_high"])
        ax.bar(positions, t["mean"], yerr=errors, capsize=4, color=_NEUTRAL, alpha=0.8)
        if info.target is not None:
            ax.axhline(info.target, color=_TARGET, ls="--", lw=1, label=f"target {info.target:.0%}")
            ax.legend(fontsize="small", loc="lower right")
        ax.set_xticks(positions, self.labels(t["variant"]), fontsize=8)
        ax.yaxis.set_major_formatter(metric_formatter(self.metric, self.currency))
        ax.set_ylabel(info.axis_label())
        ax.set_title("mean and 95% CI", fontsize=9)
        ax.grid(axis="y", alpha=0.3)

    def _differences(self, ax: Axes) -> None:
        from matplotlib.ticker import FuncFormatter

        from peakend.analysis.registry import format_difference

        t = self.table[self.table["diff"].notna()]
        info = metric_info(self.metric)
        positions = np.arange(len(t))
        errors = _errors(t["diff"], t["diff_ci_low"], t["diff_ci_high"])
        colours = [_SIGNIFICANT if s else _NEUTRAL for s in t["significant"].astype(bool)]
        ax.bar(positions, t["diff"], yerr=errors, capsize=4, color=colours, alpha=0.8)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(positions, self.labels(t["variant"]), fontsize=8)
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: format_difference(self.metric, v, self.currency))
        )
        better = {"higher": " (higher is better)", "lower": " (lower is better)"}
        ax.set_ylabel(f"{info.label}: variant − base{better.get(info.better, '')}")
        ax.set_title("variant − base, 95% CI; orange: the CI excludes 0", fontsize=9)
        ax.grid(axis="y", alpha=0.3)


def _factor_column(result: Any, x: str | None) -> str | None:
    """The column of factor ``x`` (its key or its column name; default the experiment's x)."""
    from peakend.experiments.grid import factor_names

    x = x or result.experiment.x
    return factor_names(list(result.experiment.factors)).get(x, x) if x else None


def _axis_label(factor: str) -> str:
    # "staffing_scale" (pools.agents.staffing*) scales the base value: say so on the axis.
    # Run directories of earlier versions name the column by its key.
    if factor.endswith(("*", "_scale")):
        return f"{_key_words(factor.removesuffix('*').removesuffix('_scale'))} (× today's plan)"
    if factor.endswith(("+", "_added")):
        return f"{_key_words(factor.removesuffix('+').removesuffix('_added'))} (+ today's plan)"
    return _key_words(factor)


def _key_words(key: str) -> str:
    """A dotted config key in words: ``pools.agents.staffing`` -> ``staffing of pool agents``."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] in ("pools", "segments", "channels"):
        kind = parts[0].rstrip("s")
        return f"{parts[2].replace('_', ' ')} of {kind} {parts[1]}"
    return " ".join(part.replace("_", " ") for part in parts)


def _errors(mean: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    # NaN bounds (a single replication) draw no error bar rather than failing.
    below = np.nan_to_num((mean - low).to_numpy(float), nan=0.0)
    above = np.nan_to_num((high - mean).to_numpy(float), nan=0.0)
    return np.vstack([below, above])


def save_plot(display: Any, path: str | Path, *, svg: bool = False) -> list[Path]:
    """Write a drawn display's figure to ``path`` (PNG) and, with ``svg``, beside it as
    SVG, atomically; close it (frees memory). Returns the paths, the PNG first."""
    from peakend.store.files import atomic_write

    return save_figure(display.figure_, path, atomic_write, svg=svg)
