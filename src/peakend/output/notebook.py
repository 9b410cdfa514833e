"""How results look in a Jupyter notebook: a short text and an HTML view with the key plot.

Jupyter shows an object by its ``_repr_html_`` when it has one and by its
``__repr__`` otherwise (and in a terminal). :class:`~peakend.runs.runner.RunResult`
and :class:`~peakend.experiments.results.ExperimentResult` delegate both here:

- the text is one or two lines (what ran, how many replications, the seed, and a
  few key estimates), never the records (printing a result used to print 13 to
  33 KB of tables);
- the HTML is a heading, the warnings, the summary table (each metric's mean and
  95 % CI, or each variant's paired difference from the base) formatted as the
  terminal's tables are (:mod:`peakend.analysis.registry`), and the key plot as
  an inline PNG: service level and staffing by interval for a single day, the
  retention curve for a multi-period run, the first plotted metric for a
  comparison or a sweep.

Names are data: they are escaped (:func:`~peakend.base.names.html_text`). The
figures are closed once rendered, so Jupyter's inline backend does not show them
a second time. A plot that cannot be drawn (nothing finished) is left out.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from typing import Any

from peakend.analysis.registry import format_value, metric_info
from peakend.base import views
from peakend.base.names import html_text, printable
from peakend.output.tables import format_estimate

__all__ = [
    "KEY_METRICS",
    "experiment_result_html",
    "experiment_result_text",
    "figure_png",
    "run_result_html",
    "run_result_text",
]

KEY_METRICS = (
    "profit",
    "retention_rate",
    "service_level",
    "mean_wait_minutes",
    "mean_remembered_utility",
)
"""The metrics a result's one-line text names (those it has, at most three)."""

PLOT_DPI = 80
"""Resolution of the inline plots: sharp on a screen, about 50 KB a plot."""


def run_result_text(result: Any) -> str:
    """``RunResult('name': 20 of 20 replications, seed 7, finished; service_level 64.1 % ...)``."""
    scenario = result.scenario
    done = f"{len(result.replications)} of {result.requested} replications"
    estimates = _key_estimates(result.summary, result.summary.keys())
    return (
        f"RunResult({printable(scenario.name)!r}: {done}, seed {scenario.run.seed}, "
        f"{result.status}{'; ' + estimates if estimates else ''})"
    )


def _key_estimates(summary: Any, names: Iterable[str]) -> str:
    available = set(names)
    chosen = [name for name in KEY_METRICS if name in available][:3]
    return "; ".join(
        f"{name} {format_value(name, summary[name].mean)}" for name in chosen if summary.get(name)
    )


def run_result_html(result: Any) -> str:
    """A run's summary table with 95 % CIs, its warnings and its key plot, as HTML."""
    scenario = result.scenario
    heading = (
        f"{len(result.replications)} of {result.requested} replications, seed "
        f"{scenario.run.seed}, {result.status}"
    )
    rows = [
        (metric_info(name).label, name, *_interval_cells(name, est), str(est.n))
        for name, est in result.summary.items()
    ]
    table = _table(("metric", "name", "mean", "95% CI", "n"), rows, numeric_from=2)
    return _page(scenario.name, heading, result.warnings, table, _run_plot(result))


def _interval_cells(name: str, est: Any) -> tuple[str, str]:
    if est.ci_low != est.ci_low:  # NaN: a single replication
        return format_value(name, est.mean), "–"
    low, high = format_value(name, est.ci_low), format_value(name, est.ci_high)
    return format_value(name, est.mean), f"[{low}, {high}]"


def _run_plot(result: Any) -> str:
    if not result.replications:
        return ""
    from peakend.output.plots import IntervalDisplay, RetentionCurvePlot

    cohorts = result.cohorts_frame()
    if cohorts is not None:
        period = result.scenario.retention.period_name
        display: Any = RetentionCurvePlot.from_cohorts(cohorts, period, result.scenario.name)
    else:
        display = IntervalDisplay.from_result(result)
    return _image(display)


def experiment_result_text(result: Any) -> str:
    """``ExperimentResult('name': compare of 3 scenarios × 6 replications, seed 7, ...)``."""
    failed = f", {len(result.failures)} failed" if result.failures else ""
    return (
        f"ExperimentResult({printable(result.experiment.name)!r}: {result.kind} of "
        f"{len(result.specs)} scenarios × {result.replications} replications, seed "
        f"{result.specs[0].scenario.run.seed}{failed}; metrics: "
        f"{', '.join(result.plot_metrics) or 'none'})"
    )


def experiment_result_html(result: Any) -> str:
    """A comparison's paired differences, or a sweep's summary, and the key plot, as HTML."""
    heading = (
        f"{result.kind} of {len(result.specs)} scenarios × {result.replications} "
        f"replications, seed {result.specs[0].scenario.run.seed}"
    )
    table = _comparison_table(result) if result.kind == "compare" else _sweep_table(result)
    return _page(result.experiment.name, heading, result.warnings, table, _experiment_plot(result))


def _comparison_table(result: Any) -> str:
    rows = []
    for row in result.compare_frame().to_dict("records"):
        metric = row["metric"]
        mean = format_estimate(metric, row["mean"], row["ci_low"], row["ci_high"])
        is_base = row["diff"] != row["diff"]
        diff = (
            ""
            if is_base
            else format_estimate(
                metric, row["diff"], row["diff_ci_low"], row["diff_ci_high"], difference=True
            )
        )
        mark = "*" if row["significant"] and not is_base else ""
        rows.append((metric_info(metric).label, str(row["variant"]), mean, diff, mark))
    header = ("metric", "variant", "mean [95% CI]", "difference from base [95% CI]", "")
    note = "* the 95% CI of the paired difference (common random numbers) excludes 0"
    return _table(header, rows, numeric_from=2) + f"<p><small>{html_text(note)}</small></p>"


def _sweep_table(result: Any) -> str:
    summary = result.summary_frame()
    metrics = result.plot_metrics
    rows = []
    for label in dict.fromkeys(summary["scenario"]):
        cells = [str(label)]
        for metric in metrics:
            row = summary[(summary["scenario"] == label) & (summary["metric"] == metric)]
            first = row.iloc[0] if len(row) else None
            cells.append(
                ""
                if first is None
                else format_estimate(metric, first["mean"], first["ci_low"], first["ci_high"])
            )
        rows.append(tuple(cells))
    header = ("scenario", *(f"{metric_info(m).label} [95% CI]" for m in metrics))
    return _table(header, rows, numeric_from=1)


def _experiment_plot(result: Any) -> str:
    if not result.plot_metrics or not any(result.records.values()):
        return ""
    from peakend.output.experiment_plots import ComparisonPlot, SweepPlot

    metric = result.plot_metrics[0]
    if result.kind == "compare":
        return _image(ComparisonPlot.from_result(result, metric))
    return _image(SweepPlot.from_result(result, metric))


def _image(display: Any) -> str:
    """The display drawn, as an inline PNG ``<img>``."""
    drawn = display.plot()
    encoded = base64.b64encode(figure_png(drawn.figure_)).decode("ascii")
    return f'<img alt="key plot" src="data:image/png;base64,{encoded}"/>'


def figure_png(figure: Any, dpi: int = PLOT_DPI) -> bytes:
    """``figure`` as PNG bytes; the figure is closed (Jupyter shows it only once)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _page(name: str, heading: str, warnings: Sequence[str], table: str, image: str) -> str:
    notes = "".join(f"<p><em>warning:</em> {html_text(w)}</p>" for w in warnings)
    return (
        f'<div class="peakend-result"><p><strong>{html_text(name)}</strong>: '
        f"{html_text(heading)}</p>" + notes + table + image + "</div>"
    )


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int) -> str:
    """An HTML table; columns from ``numeric_from`` on are right-aligned numbers."""

    def cell(tag: str, index: int, text: str) -> str:
        align = ' style="text-align:right;white-space:nowrap"' if index >= numeric_from else ""
        return f"<{tag}{align}>{html_text(text)}</{tag}>"

    head = "".join(cell("th", i, text) for i, text in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, text) for i, text in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


for _view in (run_result_text, run_result_html, experiment_result_text, experiment_result_html):
    views.provide(_view.__name__, _view)
