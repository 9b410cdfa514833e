"""The data dictionary: every column of every table peakend writes, with its unit and meaning.

:func:`data_dictionary` lists the columns of the files a run, a comparison or a
sweep writes (``customers``, ``contacts``, ``traces``, ``replications.csv``,
``periods.csv``, ``cohorts.csv``, ``intervals.csv``, ``compare.csv``,
``cost_effectiveness.csv``, ``sweep_summary.csv``, ``sweep_tidy.parquet``);
:func:`folder_dictionary` describes the tables actually present in a run
directory, column by column, and is what ``data_dictionary.csv`` holds. Metric
columns take their label, unit and meaning from :mod:`peakend.analysis.registry`;
the record columns follow the row types of :mod:`peakend.engine.records`.

Units: minutes for times and durations since the day opened, the scenario's
currency for money, utility points for moment and remembered utilities, shares
in [0, 1].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from peakend.analysis.registry import METRICS, MetricInfo, metric_info, record_columns

__all__ = [
    "DICTIONARY_COLUMNS",
    "TABLE_FILES",
    "data_dictionary",
    "describe_column",
    "folder_dictionary",
    "read_columns",
]

DICTIONARY_COLUMNS = ("file", "column", "unit", "description")
PERIOD = "<period>"
"""Stands for the scenario's ``retention.period_name`` (``week``, ``period``...)."""

_SHARE_UNIT = "share (0-1)"
_UNITS = {
    "percent": _SHARE_UNIT,
    "currency": "currency",
    "count": "count",
    "hours": "hours",
    "points": "utility points",
    "minutes": "minutes",
    "number": "",
    "ratio": "ratio",
}

_REPLICATION = ("replication", "", "replication number (0, 1, ...); same seed stream per number")
_MULTI_PERIOD = (
    ("period", "", "period of a multi-period run (0, 1, ...)"),
    ("day", "", "simulated day within the period (0, 1, ...)"),
    ("person", "", "identity of the customer in the population over all periods"),
)
_CODES = {
    "segment": "customer segment (a [segments] name of the scenario)",
    "channel": "channel of the first contact (a [channels] name)",
    "pool": "agent pool (a [pools] name)",
}

_CONTACT_COLUMNS: tuple[tuple[str, str, str], ...] = record_columns("contacts")
"""The contact table's columns: their units and meanings sit on the row type's fields."""

_CUSTOMER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    *record_columns("customers"),
    (
        "reliability_belief",
        "0-1",
        "multi-period runs: the customer's belief that a contact works (Beta mean)",
    ),
    ("return_probability", "0-1", "multi-period runs: probability of coming back"),
)
"""The customer table's columns: the row type's, and two that multi-period runs add."""

_TRACE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("customer", "", "customer number within the day"),
    ("kind", "label", "episode: wait, service, failure, transfer, recovery, farewell, ..."),
    ("start_minutes", "minutes", "start of the piece, since opening"),
    ("duration_minutes", "minutes", "length of the piece (0: an instant)"),
    ("u_start", "utility points", "moment utility at the start of the piece"),
    ("u_end", "utility points", "moment utility at the end of the piece (linear between)"),
)

_PERIOD_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("days", "count", "simulated days in the period"),
    ("active_start", "count", "active customers at the start of the period"),
    ("visits", "count", "customers who contacted in the period"),
    ("returning_visits", "count", "visits by customers who had visited before"),
    ("new_customers", "count", "customers acquired (marketing and referrals)"),
    ("referrals", "count", "customers won by word of mouth"),
    ("deterred", "count", "prospects deterred by bad word of mouth"),
    ("churned", "count", "customers who left"),
    ("active_end", "count", "active customers at the end of the period"),
    (
        "relationship_revenue",
        "currency",
        "value_per_period of every customer active at the end of the period",
    ),
    ("visit_revenue", "currency", "value_per_visit of every served visit of the period"),
    ("revenue", "currency", "relationship revenue plus visit revenue"),
    ("staff_cost", "currency", "agent-hours of the period at each pool's cost per hour"),
    ("recovery_cost", "currency", METRICS["recovery_cost"].description),
    ("extras_cost", "currency", METRICS["extras_cost"].description),
    (
        "profit",
        "currency",
        "relationship revenue + visit revenue − staff cost − recovery cost − extras cost",
    ),
    ("recovery_minutes", "agent-minutes", METRICS["recovery_minutes"].description),
    ("extras_minutes", "agent-minutes", METRICS["extras_minutes"].description),
    ("mean_reliability_belief", "0-1", "mean belief that a contact works, over visitors"),
    ("mean_return_probability", "0-1", "mean probability of coming back, over visitors"),
)

_COHORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("cohort", "", "period in which the customers were acquired (0: the initial customers)"),
    ("size", "count", "customers in the cohort"),
    ("active_share", _SHARE_UNIT, "share of the cohort still active after the period"),
)

_INTERVAL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("interval", "", "arrival/staffing interval of the day (0, 1, ...)"),
    ("start", "clock time", "interval start, HH:MM (run.opens_at plus start_minutes)"),
    ("start_minutes", "minutes", "interval start, since opening"),
    ("pool", "label", _CODES["pool"]),
    ("offered", "count", "contacts that joined the pool's queue (mean over replications)"),
    ("answered", "count", "of them answered"),
    ("abandoned", "count", "of them abandoned"),
    ("still_waiting", "count", "of them waiting when the run ended"),
    ("service_level", _SHARE_UNIT, "answered within the threshold / offered"),
    ("abandonment_rate", _SHARE_UNIT, "abandoned / offered"),
    ("occupancy", _SHARE_UNIT, "busy / available agent-minutes"),
    ("asa_minutes", "minutes", "average speed of answer: mean wait of the answered contacts"),
    ("agents_scheduled", "count", "the pool's staffing of the interval"),
    ("agents_present", "count", "scheduled agents not absent (mean over replications)"),
    (
        "erlang_c_agents",
        "count",
        "fewest agents meeting run.service_level_target (Erlang C); "
        "empty: more than 100,000 (the search stops there)",
    ),
    ("erlang_a_agents", "count", "the same with abandonment (Erlang A); empty likewise"),
    ("replications", "count", "replications averaged"),
) + tuple(
    (f"{share}_{bound}", _SHARE_UNIT, f"{bound.replace('_', ' ')} bound of the 95 % CI of {share}")
    for share in ("service_level", "abandonment_rate", "occupancy")
    for bound in ("ci_low", "ci_high")
)

_ESTIMATE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("metric", "", "metric name (see the metric rows of replications.csv)"),
    ("mean", "the metric's", "mean over replications"),
    ("ci_low", "the metric's", "lower bound of the 95 % CI (logit interval for shares)"),
    ("ci_high", "the metric's", "upper bound of the 95 % CI"),
    ("half_width", "the metric's", "half-width of the 95 % CI"),
    ("n", "count", "replications"),
)

_COMPARE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("variant", "", "base, or the name of a variant of the experiment"),
    (
        "metric",
        "",
        "metric name (see the metric rows of replications.csv); profit is followed by its "
        "parts profit_customers_kept, profit_visits_served, profit_staff_cost and "
        "profit_paid_out, whose diff add up to profit's diff",
    ),
    *_ESTIMATE_COLUMNS[1:],
    ("diff", "the metric's", "variant − base, paired over replications (common random numbers)"),
    ("diff_ci_low", "the metric's", "lower bound of the 95 % CI of the difference (Student t)"),
    ("diff_ci_high", "the metric's", "upper bound of the 95 % CI of the difference"),
    ("significant", "true/false", "the CI of the difference excludes 0"),
)

_COST_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("variant", "", "a variant of the experiment (the base has no row)"),
    ("gain_metric", "", "the metric whose gain is costed"),
    ("gain_unit", "", "unit of the gain: percentage points for shares, else the metric's"),
    ("gain_diff", "gain_unit", "variant − base of the gain metric, paired"),
    ("gain_diff_ci_low", "gain_unit", "lower bound of its 95 % CI"),
    ("gain_diff_ci_high", "gain_unit", "upper bound of its 95 % CI"),
    ("gain_significant", "true/false", "the CI of the gain excludes 0"),
    ("staff_cost_diff", "currency", "variant − base staff cost"),
    ("staff_cost_diff_ci_low", "currency", "lower bound of its 95 % CI"),
    ("staff_cost_diff_ci_high", "currency", "upper bound of its 95 % CI"),
    ("agent_hours_diff", "hours", "variant − base rostered agent-hours"),
    ("other_cost_diff", "currency", "variant − base money paid out for recovery and extras"),
    ("total_cost_diff", "currency", "staff_cost_diff + other_cost_diff"),
    (
        "total_cost_per_point",
        "currency per gain unit",
        "total_cost_diff / gain_diff; noise unless gain_significant",
    ),
    ("n", "count", "replications paired"),
    (
        "cost_per_point",
        "currency per gain unit",
        "staff_cost_diff / gain_diff; noise unless gain_significant",
    ),
)

_SWEEP_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("scenario", "", "label of the sweep point"),
    ("<factor>", "the factor's", "one column per swept key: its level in this scenario"),
)

TABLE_FILES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "customers": (_REPLICATION, *_MULTI_PERIOD, *_CUSTOMER_COLUMNS),
    "contacts": (_REPLICATION, *_MULTI_PERIOD, *_CONTACT_COLUMNS),
    "traces": (_REPLICATION, *_TRACE_COLUMNS),
    "replications.csv": (_REPLICATION,),
    "periods.csv": (_REPLICATION, (PERIOD, "", "period number (0, 1, ...)"), *_PERIOD_COLUMNS),
    "cohorts.csv": (_REPLICATION, (PERIOD, "", "period number (0, 1, ...)"), *_COHORT_COLUMNS),
    "intervals.csv": _INTERVAL_COLUMNS,
    "compare.csv": _COMPARE_COLUMNS,
    "cost_effectiveness.csv": _COST_COLUMNS,
    "sweep_summary.csv": (*_SWEEP_COLUMNS, *_ESTIMATE_COLUMNS),
    "sweep_tidy.parquet": (*_SWEEP_COLUMNS, _REPLICATION),
}
"""The documented columns of each file (``customers`` and the others: Parquet or CSV).

Files whose rows carry metrics (``replications.csv``, ``periods.csv``,
``sweep_tidy.parquet``) have one more column per metric, described by the registry.
"""

_METRIC_FILES = frozenset({"replications.csv", "periods.csv", "sweep_tidy.parquet"})


def _metric_row(file: str, name: str) -> dict[str, str]:
    info = metric_info(name)
    unit = _UNITS[info.format]
    return {"file": file, "column": name, "unit": unit, "description": _sentence(info)}


def _sentence(info: MetricInfo) -> str:
    return f"{info.label}: {info.description}" if info.description else info.label


def describe_column(file: str, column: str, period_name: str = "period") -> dict[str, str] | None:
    """The dictionary row of ``column`` of ``file``, or None when it is not documented."""
    for name, unit, description in TABLE_FILES.get(_stem(file), ()):
        if name == column or (name == PERIOD and column == period_name):
            return {"file": file, "column": column, "unit": unit, "description": description}
    if _stem(file) in _METRIC_FILES and column in METRICS:
        return _metric_row(file, column)
    return None


def _stem(file: str) -> str:
    """``customers.parquet`` and ``customers.csv`` are both the ``customers`` table."""
    for base in ("customers", "contacts", "traces"):
        if file in (base, f"{base}.parquet", f"{base}.csv"):
            return base
    return file


def data_dictionary(period_name: str = PERIOD) -> pd.DataFrame:
    """Every documented column of every file, and every registered metric as a column."""
    rows = [
        {
            "file": file,
            "column": name if name != PERIOD else period_name,
            "unit": u,
            "description": d,
        }
        for file, columns in TABLE_FILES.items()
        for name, u, d in columns
    ]
    rows += [_metric_row("replications.csv", name) for name in METRICS]
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))


def folder_dictionary(
    tables: Mapping[str, Iterable[str]], period_name: str = "period", factors: Iterable[str] = ()
) -> pd.DataFrame:
    """The dictionary of the tables of one run directory: ``{file name: its columns}``.

    A sweep's factor columns (``factors``) are described as factors. A column
    this version does not document is listed with an empty description rather
    than dropped, so the dictionary always covers the whole folder.
    """
    factor_names = set(factors)
    rows = []
    for file, columns in tables.items():
        for column in columns:
            row = describe_column(file, column, period_name)
            if row is None and column in factor_names:
                row = {"file": file, "column": column, "unit": "", "description": "swept factor"}
            rows.append(row or {"file": file, "column": column, "unit": "", "description": ""})
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))


def read_columns(folder: str | Path) -> dict[str, list[str]]:
    """The column names of every table file in ``folder`` (Parquet schema only, no data)."""
    folder = Path(folder)
    found: dict[str, list[str]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == "data_dictionary.csv":
            continue
        if path.is_symlink() or not path.is_file():  # no link followed, no FIFO opened
            continue
        if path.suffix == ".csv":
            found[path.name] = list(pd.read_csv(path, nrows=0).columns)
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            found[path.name] = list(pq.read_schema(path).names)
    return found
