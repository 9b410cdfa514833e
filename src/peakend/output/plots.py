"""Plots as display objects, after scikit-learn's Display convention.

A ``from_*`` class method computes what to draw from plain tables (a run's
``traces``, ``customers``, ``cohorts`` and ``periods`` frames, saved or fresh);
``plot(ax=None)`` draws on ``ax`` (a new figure when None), keeps ``ax_`` and
``figure_`` and returns the display. Labels, units and tick formats come from
the metric registry (:mod:`peakend.analysis.registry`); every plot names its
scenario and its n. The library never calls ``plt.show()``;
:func:`save_figure` writes PNG (and SVG on request); :func:`figure_files` gives
their bytes.

``plot()`` reads its tables column by column, as arrays: a display's tables may be
DataFrames or plain tables (a dict of equal-length arrays, :func:`plain_table`), so
that a process without pandas can draw them (:mod:`peakend.output.plot_process`).
This module imports pandas only where a ``from_*`` method builds a table.

Names (the scenario's, a pool's, the period's) are drawn as they are typed,
through :func:`~peakend.base.names.plot_text`: a ``$`` is a dollar sign, never
mathtext, and control characters are shown escaped. Characters the font lacks
(emoji, most scripts outside Latin, Greek and Cyrillic) are drawn as empty boxes,
without a warning.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from peakend.analysis.registry import format_value, metric_info
from peakend.base.names import PLOT_NAME_LENGTH, plot_text

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PNG_DPI",
    "IntervalDisplay",
    "PeriodMetricPlot",
    "RememberedVsExperiencedPlot",
    "RetentionCurvePlot",
    "TracePlot",
    "clock_axis",
    "column",
    "figure_axes",
    "figure_files",
    "metric_formatter",
    "n_note",
    "plain_table",
    "row_count",
    "save_figure",
    "write_figure_files",
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


def column(table: Any, name: str, dtype: Any = None) -> np.ndarray:
    """Column ``name`` of a DataFrame or of a plain table (a dict of arrays) as an array
    (a DataFrame's nullable integers as floats with NaN, given ``dtype=float``)."""
    values = table[name]
    if hasattr(values, "to_numpy"):
        return values.to_numpy(dtype=dtype)  # type: ignore[no-any-return]
    return np.asarray(values, dtype=dtype)


def row_count(table: Any) -> int:
    """Rows of a DataFrame or of a plain table (a dict of arrays)."""
    if isinstance(table, dict):
        return len(next(iter(table.values()))) if table else 0
    return len(table)


def plain_table(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """``frame`` as a dict of NumPy arrays, one per column, that unpickles without
    pandas: numbers as their NumPy dtype (nullable ones as float with NaN), anything
    else (text, categories) as objects (a missing one as None)."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    table = {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, np.dtype):
            table[str(name)] = series.to_numpy()
        elif is_numeric_dtype(series.dtype) and not is_bool_dtype(series.dtype):
            table[str(name)] = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            table[str(name)] = series.to_numpy(dtype=object, na_value=None)
    return table


def figure_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new figure and axes of ``figsize`` inches."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new_ax


def clock_axis(ax: Axes, opens_at: str, span_minutes: float) -> None:
    """Label ``ax``'s x axis (minutes since opening) with clock times, about hourly."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    from peakend.config.clock import clock

    step = 60.0
    while span_minutes / step > 12:
        step *= 2
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock(x, opens_at)))
    ax.set_xlabel(f"time of day (opens {opens_at})")


PNG_DPI = 120
"""Dots per inch of every PNG peakend writes."""

SVG_SALT = "peakend"
"""Salt of the ids matplotlib gives an SVG's clip paths (``svg.hashsalt``): fixed, so that
equal figures give equal SVG files (matplotlib's default salt is random)."""


def figure_files(fig: Figure, svg: bool = False) -> dict[str, bytes]:
    """A drawn figure's files as bytes, by suffix: ``.png`` (:data:`PNG_DPI` dots per
    inch) and, with ``svg``, ``.svg``. The figure is left open.

    Equal figures give equal bytes (the PNG carries no date, the SVG no date and
    fixed clip-path ids), in this process or another one with the same matplotlib
    settings (:mod:`peakend.output.plot_process` relies on it).
    """
    import matplotlib as mpl

    with warnings.catch_warnings():
        # A name's emoji or script the font lacks is drawn as a box: not worth a warning.
        warnings.filterwarnings("ignore", "Glyph .* missing from", UserWarning)
        files = {".png": _png_bytes(fig)}
        if svg:
            buffer = io.BytesIO()
            with mpl.rc_context({"svg.hashsalt": SVG_SALT}):
                fig.savefig(buffer, format="svg", metadata={"Date": None})
            files[".svg"] = buffer.getvalue()
    return files


def _png_bytes(fig: Figure) -> bytes:
    """The figure as PNG, drawn once.

    ``savefig`` lays out and draws a figure with a layout engine twice (once without
    output, so that the layout is known, then for the file); drawing an Agg canvas
    at the file's resolution lays it out and draws it once and gives the same bytes
    (``tests/output/test_plot_process.py``) in about a tenth less time. Any other
    canvas, or savefig settings of a matplotlibrc that this path would ignore, go
    through ``savefig``.
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    rc = mpl.rcParams
    plain = (
        rc["savefig.facecolor"] == "auto"
        and rc["savefig.edgecolor"] == "auto"
        and not rc["savefig.transparent"]
        and rc["savefig.bbox"] is None
    )
    if type(fig.canvas) is FigureCanvasAgg and plain:
        fig.set_dpi(PNG_DPI)
        fig.canvas.draw()
        mpl.image.imsave(
            buffer, fig.canvas.buffer_rgba(), format="png", origin="upper", dpi=PNG_DPI
        )
    else:
        fig.savefig(buffer, dpi=PNG_DPI, format="png")
    return buffer.getvalue()


def write_figure_files(
    files: dict[str, bytes],
    path: str | Path,
    write: Callable[[Path, Callable[[Path], object]], None] | None = None,
) -> list[Path]:
    """Write :func:`figure_files`' bytes beside ``path`` (its stem, each file's suffix);
    ``write(target, save)`` writes one file (default: in place). Returns the paths,
    in the order of ``files``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    targets = []
    for suffix, data in files.items():
        target = path.with_suffix(suffix)
        if write is None:
            target.write_bytes(data)
        else:
            write(target, lambda tmp, data=data: tmp.write_bytes(data))  # type: ignore[misc]
        targets.append(target)
    return targets


def save_figure(
    fig: Figure,
    path: str | Path,
    write: Callable[[Path, Callable[[Path], object]], None] | None = None,
    *,
    svg: bool = False,
) -> list[Path]:
    """Save ``fig`` as PNG at ``path`` and, with ``svg``, as SVG beside it (same stem);
    then close it.

    ``write(target, save)`` writes one file (e.g. :func:`peakend.store.files.atomic_write`:
    to a temporary name, then renamed); by default the files are written in place.
    Returns the paths written, the PNG first. One format by default: drawing the SVG
    as well took about as long as the PNG, for a file few readers open (the HTML
    report embeds the PNG); ``--svg`` on the command line asks for it. Neither file
    carries a date, and the SVG's clip-path ids are fixed (:data:`SVG_SALT`), so equal
    figures give equal files.
    """
    import matplotlib.pyplot as plt

    try:
        files = figure_files(fig, svg)
    finally:
        plt.close(fig)
    return write_figure_files(files, path, write)


def metric_formatter(metric: str, currency: str = "€") -> Any:
    """Tick labels in the metric's format (registry): ``64 %``, ``€1,445,533``, ``0.43 min``."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: format_value(metric, value, currency))


def n_note(replications: int, what: str = "replications") -> str:
    """``n = 8 replications`` (``n = 1 replication: no interval`` when alone)."""
    if replications == 1:
        return f"n = 1 {what.rstrip('s')}: no interval"
    return f"n = {replications} {what}"


def _title(scenario: str, text: str, note: str = "") -> str:
    head = f"{plot_text(scenario, PLOT_NAME_LENGTH)}: {text}" if scenario else text
    return f"{head}\n{note}" if note else head


@dataclass
class TracePlot:
    """One customer's moment utility over (clock) time, worst moment and end marked.

    :meth:`from_traces` picks the customer; :meth:`plot` draws, keeps ``ax_`` and
    ``figure_`` and returns self.
    """

    pieces: pd.DataFrame
    """Trace pieces of one customer: start_minutes, duration_minutes, u_start, u_end, kind."""
    remembered: float | None = None
    title: str = ""
    opens_at: str = "00:00"
    """Clock time of minute 0 (``run.opens_at``): the x axis shows clock times."""
    scenario: str = ""
    ax_: Axes | None = field(default=None, repr=False)
    figure_: Figure | None = field(default=None, repr=False)

    @classmethod
    def from_traces(
        cls,
        traces: pd.DataFrame,
        customer: int,
        replication: int = 0,
        remembered: float | None = None,
        *,
        opens_at: str = "00:00",
        scenario: str = "",
    ) -> TracePlot:
        """Select one customer's pieces from a run's ``traces`` table."""
        mask = (traces["customer"] == customer) & (traces["replication"] == replication)
        if not mask.any():
            raise ValueError(f"no trace for customer {customer} in replication {replication}")
        sampled = int(traces.loc[traces["replication"] == replication, "customer"].nunique())
        return cls(
            traces[mask].reset_index(drop=True),
            remembered,
            f"customer {customer} (replication {replication}; one of {sampled} sampled)",
            opens_at,
            scenario,
        )

    def plot(self, ax: Axes | None = None) -> TracePlot:
        fig, ax = figure_axes(ax, (8, 3.8))
        p = self.pieces
        start, duration = column(p, "start_minutes"), column(p, "duration_minutes")
        u_start, u_end = column(p, "u_start"), column(p, "u_end")
        kinds = [str(kind) for kind in column(p, "kind")]
        for t0, length, kind, u0, u1 in zip(start, duration, kinds, u_start, u_end, strict=True):
            colour = KIND_COLOURS.get(kind, "#666666")
            if length > 0:
                ax.plot([t0, t0 + length], [u0, u1], color=colour, lw=2.5)
            else:
                ax.plot([t0], [u0], "o", color=colour, ms=6)
        u = np.concatenate([u_start, u_end])
        t = np.concatenate([start, start + duration])
        worst = int(np.argmin(u))
        ax.plot(t[worst], u[worst], "v", color="black", ms=11, label=f"worst {u[worst]:.2f}")
        end_t = t[len(start) * 2 - 1]
        end_u = u_end[-1]
        ax.plot(
            end_t, end_u, "s", mfc="none", mec="black", ms=11, mew=1.5, label=f"end {end_u:.2f}"
        )
        if self.remembered is not None:
            ax.axhline(
                self.remembered, ls="--", color="grey", label=f"remembered {self.remembered:.2f}"
            )
        ax.axhline(0, color="black", lw=0.6)
        for kind in dict.fromkeys(kinds):
            ax.plot([], [], color=KIND_COLOURS.get(kind, "#666666"), lw=2.5, label=kind)
        clock_axis(ax, self.opens_at, float(t.max() - t.min()))
        ax.set_ylabel("moment utility (points)")
        ax.set_title(_title(self.scenario, self.title or "customer journey"), fontsize=10)
        ax.legend(loc="best", fontsize=8, ncol=2)
        self.ax_, self.figure_ = ax, fig
        return self


@dataclass
class RememberedVsExperiencedPlot:
    """Remembered against experienced (mean) utility, one dot per customer.

    :meth:`from_customers` thins the customers to at most ``max_points`` evenly
    spread dots; :meth:`plot` draws, keeps ``ax_`` and ``figure_`` and returns self.
    """

    customers: pd.DataFrame
    """Needs ``experienced_utility`` and ``remembered_utility`` (and optionally ``effort``)."""
    customer_count: int = 0
    """Customers with a memory before thinning (the plot's n)."""
    replications: int = 1
    scenario: str = ""
    ax_: Axes | None = field(default=None, repr=False)
    figure_: Figure | None = field(default=None, repr=False)

    @classmethod
    def from_customers(
        cls, customers: pd.DataFrame, max_points: int = 5000, scenario: str = ""
    ) -> RememberedVsExperiencedPlot:
        """Customers with both utilities, at most ``max_points`` of them (only the
        columns drawn: the utilities and ``effort``)."""
        drawn = [
            c for c in ("experienced_utility", "remembered_utility", "effort") if c in customers
        ]
        data = customers[drawn].dropna(subset=["experienced_utility", "remembered_utility"])
        count = len(data)
        if count > max_points:
            data = data.iloc[np.linspace(0, count - 1, max_points).astype(int)]
        replications = int(customers["replication"].nunique()) if "replication" in customers else 1
        return cls(data.reset_index(drop=True), count, replications, scenario)

    def plot(self, ax: Axes | None = None) -> RememberedVsExperiencedPlot:
        fig, ax = figure_axes(ax, (5.5, 5.2))
        data = self.customers
        x, y = column(data, "experienced_utility"), column(data, "remembered_utility")
        colour: Any = column(data, "effort") if "effort" in data else None
        points = ax.scatter(x, y, s=6, alpha=0.5, c=colour, cmap="viridis")
        if colour is not None:
            fig.colorbar(points, ax=ax, label="effort (extra contacts + transfers)")
        if len(x):
            lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
            ax.plot(
                [lo, hi], [lo, hi], color="grey", lw=0.8, ls="--", label="remembered = experienced"
            )
            ax.legend(loc="upper left", fontsize=8)
        ax.set_xlabel("experienced utility (time average, points)")
        ax.set_ylabel("remembered utility (memory model, points)")
        drawn = row_count(data)
        shown = f"; {drawn:,} shown" if drawn < self.customer_count else ""
        note = f"n = {self.customer_count:,} customers over {self.replications} replications{shown}"
        ax.set_title(
            _title(self.scenario, "what customers remember vs what they lived through", note),
            fontsize=10,
        )
        self.ax_, self.figure_ = ax, fig
        return self


def _band(frame: pd.DataFrame, x: str, y: str, share: bool = False) -> pd.DataFrame:
    """Mean and 95 % interval of ``y`` over replications, for each ``x``."""
    import pandas as pd

    from peakend.analysis.stats import estimate

    rows = []
    for key, group in frame.groupby(x, sort=True):
        est = estimate(group[y].to_numpy(), share=share)
        rows.append({x: key, "mean": est.mean, "low": est.ci_low, "high": est.ci_high})
    return pd.DataFrame(rows)


def _plot_band(ax: Axes, band: pd.DataFrame, x: str, colour: str, label: str) -> None:
    ax.plot(column(band, x), column(band, "mean"), marker="o", color=colour, label=label)
    ax.fill_between(
        column(band, x),
        column(band, "low"),
        column(band, "high"),
        alpha=0.25,
        color=colour,
        label="95% CI over replications",
    )


def _replications(frame: pd.DataFrame) -> int:
    return int(frame["replication"].nunique()) if "replication" in frame else 1


@dataclass
class RetentionCurvePlot:
    """Share of the initial customers still active after each period, with a 95 % CI band.

    :meth:`from_cohorts` computes the band; :meth:`plot` draws, keeps ``ax_`` and
    ``figure_`` and returns self.
    """

    band: pd.DataFrame
    """One row per period: the period column, mean, low, high (shares)."""
    period_name: str = "period"
    replications: int = 1
    scenario: str = ""
    ax_: Axes | None = field(default=None, repr=False)
    figure_: Figure | None = field(default=None, repr=False)

    @classmethod
    def from_cohorts(
        cls, cohorts: pd.DataFrame, period_name: str = "period", scenario: str = ""
    ) -> RetentionCurvePlot:
        """From a run's cohort table: replication, cohort, <period>, active_share."""
        initial = cohorts[cohorts["cohort"] == 0]
        band = _band(initial, period_name, "active_share", share=True)
        return cls(band, period_name, _replications(initial), scenario)

    def plot(self, ax: Axes | None = None) -> RetentionCurvePlot:
        fig, ax = figure_axes(ax, (7, 4.2))
        _plot_band(ax, self.band, self.period_name, "#1b9e77", "initial customers")
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(metric_formatter("initial_cohort_active_end"))
        ax.set_xlabel(plot_text(self.period_name))
        ax.set_ylabel("initial customers still active (%)")
        ax.set_title(
            _title(self.scenario, "retention curve", n_note(self.replications)), fontsize=10
        )
        ax.legend(loc="lower left", fontsize=8)
        self.ax_, self.figure_ = ax, fig
        return self


@dataclass
class PeriodMetricPlot:
    """A per-period quantity (profit, visits, ...) with a 95 % CI band over replications.

    :meth:`from_periods` computes the band; :meth:`plot` draws in the metric's
    format (registry: currency, counts, percentages), keeps ``ax_`` and ``figure_``
    and returns self.
    """

    band: pd.DataFrame
    metric: str = "profit"
    period_name: str = "period"
    replications: int = 1
    scenario: str = ""
    currency: str = "€"
    ax_: Axes | None = field(default=None, repr=False)
    figure_: Figure | None = field(default=None, repr=False)

    @classmethod
    def from_periods(
        cls,
        periods: pd.DataFrame,
        metric: str = "profit",
        period_name: str = "period",
        scenario: str = "",
        currency: str = "€",
    ) -> PeriodMetricPlot:
        """From a run's ``periods.csv`` table (one row per period and replication)."""
        if metric not in periods:
            raise ValueError(f"no column {metric!r} in the periods table")
        share = metric_info(metric).format == "percent"
        band = _band(periods, period_name, metric, share=share)
        return cls(band, metric, period_name, _replications(periods), scenario, currency)

    def plot(self, ax: Axes | None = None) -> PeriodMetricPlot:
        fig, ax = figure_axes(ax, (7, 4.2))
        info = metric_info(self.metric)
        _plot_band(ax, self.band, self.period_name, "#7570b3", info.label)
        ax.axhline(0, color="black", lw=0.6)
        if info.target is not None:
            ax.axhline(info.target, color="#d95f02", ls="--", lw=1, label="target")
        ax.yaxis.set_major_formatter(metric_formatter(self.metric, self.currency))
        ax.set_xlabel(plot_text(self.period_name))
        ax.set_ylabel(info.axis_label())
        text = f"{info.label} per {plot_text(self.period_name)}"
        ax.set_title(_title(self.scenario, text, n_note(self.replications)), fontsize=10)
        ax.legend(loc="best", fontsize=8)
        self.ax_, self.figure_ = ax, fig
        return self


@dataclass
class IntervalDisplay:
    """Service level against its target and staffing against what theory requires, by interval.

    :meth:`from_result` computes (the run's ``intervals.csv`` table, one pool);
    :meth:`plot` draws on a given axes (service level, left) and a twin axes
    (agents, right), keeps ``ax_``, ``ax_agents_`` and ``figure_`` and returns self.
    """

    intervals: pd.DataFrame
    """Rows of one pool from :func:`peakend.analysis.intervals.summarize_intervals`."""
    target: float
    threshold_minutes: float
    interval_minutes: float
    opens_at: str = "00:00"
    scenario: str = ""
    pool: str = ""
    ax_: Axes | None = None
    ax_agents_: Axes | None = None
    figure_: Figure | None = None

    @classmethod
    def from_result(cls, result: Any, pool: str | None = None) -> IntervalDisplay:
        """The display of ``pool`` (default: the first pool) of a single-day ``RunResult``.

        Raises
        ------
        ValueError
            For a run without intervals (multi-period, nothing finished) or an unknown pool.
        """
        frame = result.intervals_frame()
        if frame is None:
            raise ValueError("the run has no per-interval results (a multi-period run?)")
        run = result.scenario.run
        return cls.from_frame(
            frame,
            pool or next(iter(result.scenario.pools)),
            target=run.service_level_target,
            threshold_minutes=run.service_level_threshold_minutes,
            interval_minutes=result.scenario.arrivals.interval_minutes,
            opens_at=run.opens_at,
            scenario=result.scenario.name,
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, pool: str, **settings: Any) -> IntervalDisplay:
        """The display of ``pool``'s rows of an ``intervals.csv`` table."""
        rows = frame[frame["pool"] == pool].sort_values("interval").reset_index(drop=True)
        if rows.empty:
            raise ValueError(f"no intervals of pool {pool!r}; pools: {sorted(set(frame['pool']))}")
        return cls(rows, pool=pool, **settings)

    def plot(self, ax: Axes | None = None) -> IntervalDisplay:
        fig, ax = figure_axes(ax, (9, 4.5))
        rows, width = self.intervals, self.interval_minutes
        starts = column(rows, "start_minutes")
        middle = starts + width / 2
        level = column(rows, "service_level")
        ax.plot(middle, level, marker="o", color="#1b9e77", label="service level")
        ax.fill_between(
            middle,
            column(rows, "service_level_ci_low"),
            column(rows, "service_level_ci_high"),
            color="#1b9e77",
            alpha=0.25,
            label="95% CI over replications",
        )
        ax.axhline(self.target, color="#1b9e77", ls="--", lw=1, label=f"target {self.target:.0%}")
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(_percent_formatter())
        seconds = self.threshold_minutes * 60
        ax.set_ylabel(f"answered within {seconds:.0f} s / offered")
        agents = ax.twinx()
        edges = np.append(starts, starts[-1] + width)
        for name, colour, style, label in (
            ("agents_scheduled", "#7570b3", "-", "agents scheduled"),
            ("agents_present", "#7570b3", ":", "agents present (mean)"),
            ("erlang_c_agents", "#d95f02", "-", "required (Erlang C)"),
            ("erlang_a_agents", "#d95f02", ":", "required (Erlang A)"),
        ):
            values = column(rows, name, dtype=float)
            agents.stairs(values, edges, color=colour, ls=style, lw=1.6, label=label)
        agents.set_ylim(0, None)
        agents.set_ylabel("agents")
        clock_axis(ax, self.opens_at, float(edges[-1] - edges[0]))
        ax.set_xlim(edges[0], edges[-1])
        n = int(column(rows, "replications").max())
        scenario = f"{plot_text(self.scenario, PLOT_NAME_LENGTH)}: " if self.scenario else ""
        pool = plot_text(self.pool, PLOT_NAME_LENGTH)
        ax.set_title(f"{scenario}service level and staffing of pool {pool} (n = {n} replications)")
        handles = ax.get_legend_handles_labels()
        more = agents.get_legend_handles_labels()
        ax.legend(handles[0] + more[0], handles[1] + more[1], loc="lower left", fontsize=7, ncol=2)
        self.ax_, self.ax_agents_, self.figure_ = ax, agents, fig
        return self


def _percent_label(value: float, _position: int) -> str:
    return f"{value:.0%}"


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(_percent_label)
