"""The metric registry: what every reported metric is called, measured in and aims for.

One :class:`MetricInfo` per metric name that a run, a comparison or a sweep
reports (:func:`peakend.runs.runner.metric_names`): its human label
("Service level"), its unit, how to format a value (percent, currency, count
with thousands separators, points, minutes), which direction is better and an
optional target. Tables, plots, reports and the data dictionary read labels
and formats from here, so a metric is described once.

Money is in the scenario's currency; :func:`format_value` writes it with the
``currency`` symbol it is given (euro by default, as in the example configs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "METRICS",
    "Better",
    "MetricFormat",
    "MetricInfo",
    "format_bounds",
    "format_difference",
    "format_value",
    "metric_info",
    "record_columns",
]

MetricFormat = Literal[
    "percent", "currency", "count", "hours", "points", "minutes", "number", "ratio"
]
Better = Literal["higher", "lower", "none"]

_UNITS: dict[MetricFormat, str] = {
    "percent": "%",
    "currency": "currency",
    "count": "count",
    "hours": "hours",
    "points": "utility points",
    "minutes": "minutes",
    "number": "",
    "ratio": "× first period",
}


@dataclass(frozen=True)
class MetricInfo:
    """How one metric is named, formatted and judged."""

    name: str
    label: str
    format: MetricFormat
    better: Better
    text: str
    """What the metric is, in words (see :attr:`description`)."""
    target: float | None = None
    """A goal a plot marks with a line (service level 0.8), in the metric's own units."""
    column: str = ""
    """The customer column the metric sums (``recovery_cost``): its description is that
    column's, which sits on the row type (:class:`peakend.engine.records.CustomerRecord`)
    and names the kinds of fact that add to it."""

    @property
    def description(self) -> str:
        """What the metric is: :attr:`text`, or the description of :attr:`column`."""
        if not self.column:
            return self.text
        return dict((n, d) for n, _, d in record_columns("customers"))[self.column]

    @property
    def unit(self) -> str:
        """The unit in words: ``%``, ``minutes``, ``utility points``, ``currency``..."""
        return _UNITS[self.format]

    def axis_label(self) -> str:
        """The label with its unit, for an axis: ``Mean wait (minutes)``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def _m(
    name: str,
    label: str,
    fmt: MetricFormat,
    better: Better,
    description: str,
    target: float | None = None,
) -> MetricInfo:
    return MetricInfo(name, label, fmt, better, description, target)


def _summed(name: str, label: str, fmt: MetricFormat, better: Better) -> MetricInfo:
    """A metric that sums customer column ``name`` over the customers of the window."""
    return MetricInfo(name, label, fmt, better, "", column=name)


METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        # queue metrics (peakend.analysis.metrics)
        _m("customers", "Customers", "count", "none", "customers whose first contact arrived"),
        _m("contacts", "Contacts", "count", "none", "first contacts, retries and repeat contacts"),
        _m("abandonment_rate", "Abandonment", "percent", "lower", "contacts that gave up waiting"),
        _m("prob_wait", "Had to wait", "percent", "lower", "contacts that queued at all"),
        _m(
            "mean_wait_minutes",
            "Mean wait",
            "minutes",
            "lower",
            "time in queue per contact; abandoned ones until they gave up",
        ),
        _m(
            "p90_wait_minutes",
            "Wait, 90th percentile",
            "minutes",
            "lower",
            "90th percentile of the same waits",
        ),
        _m(
            "service_level",
            "Service level",
            "percent",
            "higher",
            "contacts answered within the threshold, of all contacts offered",
            target=0.8,
        ),
        _m("occupancy", "Occupancy", "percent", "none", "busy share of on-shift agent time"),
        _m(
            "first_contact_resolution",
            "First-contact resolution",
            "percent",
            "higher",
            "answered customers whose first answered contact resolved the problem",
        ),
        _m("resolution_rate", "Resolved", "percent", "higher", "journeys that ended resolved"),
        # experience metrics
        _m(
            "mean_remembered_utility",
            "Remembered utility",
            "points",
            "higher",
            "mean remembered utility under the memory model (negative: a bad memory)",
        ),
        _m(
            "mean_experienced_utility",
            "Experienced utility",
            "points",
            "higher",
            "mean duration-weighted moment utility",
        ),
        _m(
            "share_bad_memory",
            "Bad memories",
            "percent",
            "lower",
            "customers remembering below the bad-memory threshold",
        ),
        _m("mean_worst_utility", "Worst moment", "points", "higher", "mean worst moment"),
        _m("mean_end_utility", "End moment", "points", "higher", "mean final moment"),
        _m(
            "mean_effort",
            "Effort",
            "number",
            "lower",
            "extra contacts plus transfers per customer",
        ),
        _summed("recovery_cost", "Recovery paid out", "currency", "lower"),
        _summed("recovery_minutes", "Recovery agent time", "minutes", "none"),
        _summed("extras_cost", "Extras paid out", "currency", "lower"),
        _summed("extras_minutes", "Farewell agent time", "minutes", "none"),
        # costs of the staffing plan
        _m("staff_cost", "Staff cost", "currency", "lower", "agent-hours times cost per hour"),
        _m("agent_hours", "Agent-hours", "hours", "none", "rostered agent time of the day"),
        # multi-period metrics (peakend.retention.multiperiod)
        _m("visits", "Visits", "count", "none", "customers' visits over all periods"),
        _m(
            "retention_rate",
            "Retention",
            "percent",
            "higher",
            "visitors who came back, pooled over periods",
        ),
        _m("churn_rate", "Churn per period", "percent", "lower", "active customers who left"),
        _m(
            "profit",
            "Profit",
            "currency",
            "higher",
            "relationship and visit revenue minus staff cost and money paid out "
            "(recovery and extras)",
        ),
        _m(
            "revenue",
            "Revenue",
            "currency",
            "higher",
            "relationship revenue plus visit revenue",
        ),
        _m(
            "relationship_revenue",
            "Relationship revenue",
            "currency",
            "higher",
            "value_per_period of every customer active at the end of each period",
        ),
        _m(
            "visit_revenue",
            "Visit revenue",
            "currency",
            "higher",
            "value_per_visit of every served visit",
        ),
        # the parts of a profit difference (peakend.experiments.results, comparisons)
        _m(
            "profit_customers_kept",
            "Profit: customers kept",
            "currency",
            "higher",
            "relationship revenue: a difference is the margin of the extra active customers",
        ),
        _m(
            "profit_visits_served",
            "Profit: visits served",
            "currency",
            "higher",
            "visit revenue: a difference is the value of the extra served visits",
        ),
        _m(
            "profit_staff_cost",
            "Profit: staff cost",
            "currency",
            "higher",
            "minus the staff cost: a difference is minus the extra staff cost",
        ),
        _m(
            "profit_paid_out",
            "Profit: money paid out",
            "currency",
            "higher",
            "minus the recovery and extras paid out (recovery_cost, extras_cost)",
        ),
        _m(
            "clv",
            "Customer lifetime value",
            "currency",
            "higher",
            "discounted value per initial customer",
        ),
        _m(
            "active_customers_end",
            "Active customers at the end",
            "count",
            "higher",
            "customers still active after the last period",
        ),
        _m(
            "load_change",
            "Load change",
            "ratio",
            "none",
            "visits in the last period over those in the first",
        ),
        _m(
            "initial_cohort_active_end",
            "Initial customers still active",
            "percent",
            "higher",
            "share of the initial customers active after the last period",
        ),
    )
}


def record_columns(table: Literal["contacts", "customers"]) -> tuple[tuple[str, str, str], ...]:
    """``(name, unit, description)`` of each column of the contact or customer records, as
    their row types declare them (:func:`peakend.engine.records.columns_of`).

    The journey is imported first: it imports every lever module, so a description that
    lists the kinds of fact adding to a column lists them all, whatever was imported
    before.
    """
    import peakend.engine.journey  # noqa: F401  (declares every lever's kinds of fact)
    from peakend.engine.records import ContactRecord, CustomerRecord, columns_of

    return columns_of(ContactRecord if table == "contacts" else CustomerRecord)


def metric_info(name: str) -> MetricInfo:
    """The registry entry of ``name``; an unregistered name gets a plain entry from its name.

    A plugin or a newer result file may report a metric this version does not
    know; it is shown under its own name rather than refused.
    """
    known = METRICS.get(name)
    if known is not None:
        return known
    return MetricInfo(name, name.replace("_", " ").capitalize(), "number", "none", "")


def format_value(name: str, value: float, currency: str = "€") -> str:
    """``value`` of metric ``name`` for a reader: ``80.3 %``, ``€1,445,533``, ``1.25 min``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return _format(metric_info(name).format, float(value), currency, signed=False)


def format_difference(name: str, value: float, currency: str = "€") -> str:
    """A difference of metric ``name``, signed: ``+6.2 pp`` (percentage points), ``−€53,995``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    fmt = metric_info(name).format
    text = _format(fmt, float(value), currency, signed=True)
    return text.replace(" %", " pp") if fmt == "percent" else text


def _format(fmt: MetricFormat, value: float, currency: str, signed: bool) -> str:
    sign = (
        ("+" if value > 0 else "−" if value < 0 else "±") if signed else ("−" if value < 0 else "")
    )
    return f"{sign}{_magnitude(fmt, abs(value), currency)}"


def _magnitude(fmt: MetricFormat, magnitude: float, currency: str) -> str:
    if fmt == "percent":
        return f"{_significant(100 * magnitude)} %"
    if fmt == "currency":
        cents = 0 < magnitude < 100  # whole money above 100, and for nothing at all
        return f"{currency}{magnitude:,.2f}" if cents else f"{currency}{magnitude:,.0f}"
    if fmt == "count":
        return f"{magnitude:,.0f}" if magnitude >= 100 else f"{magnitude:.3g}"
    if fmt == "minutes":
        return f"{_significant(magnitude)} min"
    if fmt == "hours":
        return f"{_significant(magnitude)} h"
    if fmt == "ratio":
        return f"{magnitude:.3f}×"
    return _significant(magnitude)


def format_bounds(
    name: str, low: float, high: float, difference: bool = False, currency: str = "€"
) -> str:
    """An interval without repeating the unit its mean carries: ``[62.0, 65.9]`` beside
    ``63.9 %``, ``[1,433,619, 1,456,021]`` beside ``€1,444,820``; ``–`` when undefined."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "–"
    fmt = metric_info(name).format
    texts = []
    for value in (low, high):
        text = _format(fmt, float(value), "", signed=difference)
        for unit in (" %", " min", " h", "×"):
            text = text.removesuffix(unit)
        texts.append(text)
    return f"[{texts[0]}, {texts[1]}]"


def _significant(magnitude: float) -> str:
    """About three significant digits, thousands separated, no exponent."""
    if magnitude >= 1000:
        return f"{magnitude:,.0f}"
    if magnitude >= 100:
        return f"{magnitude:.0f}"
    if magnitude >= 10:
        return f"{magnitude:.1f}"
    if magnitude >= 0.01 or magnitude == 0:
        return f"{magnitude:.3g}" if magnitude < 1 else f"{magnitude:.2f}"
    return f"{magnitude:.2g}"
