"""Plots as display objects: compute once, draw on a given axes, return the figure.

The library never calls ``plt.show()``; the CLI saves PNGs (Agg backend). Each
display takes plain tables (the run's ``traces`` and ``customers`` frames), so
analysts can draw the same pictures from saved results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PeriodMetricPlot",
    "RememberedVsExperiencedPlot",
    "RetentionCurvePlot",
    "TracePlot",
    "figure_axes",
    "save_figure",
]

KIND_COLOURS = {
    "wait": "#d95f02",
    "service": "#1b9e77",
    "failure": "#e7298a",
    "transfer": "#7570b3",
    "recovery": "#66a61e",
    "farewell": "#1f78b4",
    "delight": "#e6ab02",
    "other": "#666666",
}


def figure_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new figure and axes of ``figsize`` inches."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new_ax


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save ``fig`` as PNG and close it (frees memory in long CLI runs)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)
    return path


@dataclass(frozen=True)
class TracePlot:
    """One customer's moment utility over (clock) time, worst moment and end marked."""

    pieces: pd.DataFrame
    """Trace pieces of one customer: start_minutes, duration_minutes, u_start, u_end, kind."""
    remembered: float | None = None
    title: str = ""

    @classmethod
    def from_traces(
        cls,
        traces: pd.DataFrame,
        customer: int,
        replication: int = 0,
        remembered: float | None = None,
    ) -> TracePlot:
        """Select one customer's pieces from a run's ``traces`` table."""
        mask = (traces["customer"] == customer) & (traces["replication"] == replication)
        if not mask.any():
            raise ValueError(f"no trace for customer {customer} in replication {replication}")
        return cls(
            traces[mask].reset_index(drop=True),
            remembered,
            f"customer {customer} (replication {replication})",
        )

    def plot(self, ax: Axes | None = None) -> Figure:
        fig, ax = figure_axes(ax, (8, 3.5))
        p = self.pieces
        for row in p.itertuples():
            t0, t1 = row.start_minutes, row.start_minutes + row.duration_minutes
            colour = KIND_COLOURS.get(str(row.kind), "#666666")
            if row.duration_minutes > 0:
                ax.plot([t0, t1], [row.u_start, row.u_end], color=colour, lw=2.5)
            else:
                ax.plot([t0], [row.u_start], "o", color=colour, ms=6)
        u = np.concatenate([p["u_start"], p["u_end"]])
        t = np.concatenate([p["start_minutes"], p["start_minutes"] + p["duration_minutes"]])
        worst = int(np.argmin(u))
        ax.plot(t[worst], u[worst], "v", color="black", ms=11, label=f"worst {u[worst]:.2f}")
        end_t = t[len(p) * 2 - 1]
        end_u = p["u_end"].iloc[-1]
        ax.plot(
            end_t, end_u, "s", mfc="none", mec="black", ms=11, mew=1.5, label=f"end {end_u:.2f}"
        )
        if self.remembered is not None:
            ax.axhline(
                self.remembered, ls="--", color="grey", label=f"remembered {self.remembered:.2f}"
            )
        ax.axhline(0, color="black", lw=0.6)
        for kind in dict.fromkeys(p["kind"].astype(str)):
            ax.plot([], [], color=KIND_COLOURS.get(kind, "#666666"), lw=2.5, label=kind)
        ax.set_xlabel("time of day (minutes since opening)")
        ax.set_ylabel("moment utility (points)")
        ax.set_title(self.title or "customer journey")
        ax.legend(loc="best", fontsize=8, ncol=2)
        return fig


@dataclass(frozen=True)
class RememberedVsExperiencedPlot:
    """Remembered against experienced (mean) utility, one dot per customer."""

    customers: pd.DataFrame
    """Needs ``experienced_utility`` and ``remembered_utility`` columns."""
    max_points: int = 5000

    def plot(self, ax: Axes | None = None) -> Figure:
        fig, ax = figure_axes(ax, (5.5, 5))
        data = self.customers.dropna(subset=["experienced_utility", "remembered_utility"])
        if len(data) > self.max_points:
            data = data.iloc[np.linspace(0, len(data) - 1, self.max_points).astype(int)]
        x, y = data["experienced_utility"], data["remembered_utility"]
        colour: Any = data["effort"] if "effort" in data else None
        points = ax.scatter(x, y, s=6, alpha=0.5, c=colour, cmap="viridis")
        if colour is not None:
            fig.colorbar(points, ax=ax, label="effort (extra contacts + transfers)")
        if len(x):
            lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
            ax.plot(
                [lo, hi], [lo, hi], color="grey", lw=0.8, ls="--", label="remembered = experienced"
            )
            ax.legend(loc="upper left", fontsize=8)
        ax.set_xlabel("experienced utility (time average)")
        ax.set_ylabel("remembered utility (memory model)")
        ax.set_title("What customers remember vs what they lived through")
        return fig


def _band(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Mean and 95 % t-interval of ``y`` over replications, for each ``x``."""
    from peakend.analysis.stats import estimate

    rows = []
    for key, group in frame.groupby(x, sort=True):
        est = estimate(group[y].to_numpy())
        rows.append({x: key, "mean": est.mean, "low": est.ci_low, "high": est.ci_high})
    return pd.DataFrame(rows)


def _plot_band(ax: Axes, band: pd.DataFrame, x: str, colour: str, label: str) -> None:
    ax.plot(band[x], band["mean"], marker="o", color=colour, label=label)
    ax.fill_between(
        band[x],
        band["low"],
        band["high"],
        alpha=0.25,
        color=colour,
        label="95% CI over replications",
    )


@dataclass(frozen=True)
class RetentionCurvePlot:
    """Share of the initial customers still active after each period, with a 95 % CI band."""

    cohorts: pd.DataFrame
    """A run's cohort table: replication, cohort, <period>, active_share."""
    period_name: str = "period"

    def plot(self, ax: Axes | None = None) -> Figure:
        fig, ax = figure_axes(ax, (7, 4))
        initial = self.cohorts[self.cohorts["cohort"] == 0]
        band = _band(initial, self.period_name, "active_share")
        _plot_band(ax, band, self.period_name, "#1b9e77", "initial customers")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(self.period_name)
        ax.set_ylabel("share still a customer")
        ax.set_title("Retention curve")
        ax.legend(loc="lower left", fontsize=8)
        return fig


@dataclass(frozen=True)
class PeriodMetricPlot:
    """A per-period quantity (profit, visits, ...) with a 95 % CI band over replications."""

    periods: pd.DataFrame
    metric: str = "profit"
    period_name: str = "period"

    def plot(self, ax: Axes | None = None) -> Figure:
        fig, ax = figure_axes(ax, (7, 4))
        band = _band(self.periods, self.period_name, self.metric)
        label = self.metric.replace("_", " ")
        _plot_band(ax, band, self.period_name, "#7570b3", label)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel(self.period_name)
        ax.set_ylabel(label)
        ax.set_title(f"{label.capitalize()} per {self.period_name}")
        ax.legend(loc="best", fontsize=8)
        return fig
