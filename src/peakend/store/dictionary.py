"""The data dictionary: every column of every table peakend writes, with its unit and meaning.

:func:`data_dictionary` lists the columns of the files a run, a comparison or a
sweep writes (``customers``, ``contacts``, ``traces``, ``replications.csv``,
``periods.csv``, ``cohorts.csv``, ``intervals.csv``, ``compare.csv``,
``cost_effectiveness.csv``, ``sweep_summary.csv``, ``sweep_tidy.parquet``) and
an optimisation adds (``frontier.csv``, ``evaluations.csv``, ``profit_split.csv``,
``roster_POOL.csv``);
:func:`folder_dictionary` describes the tables actually present in a run
directory, column by column, and is what ``data_dictionary.csv`` holds. Metric
columns take their label, unit and meaning from :mod:`peakend.analysis.registry`;
the record columns follow the row types of :mod:`peakend.engine.records`.

Units: minutes for times and durations since the day opened, the scenario's
currency for money, utility points for moment and remembered utilities, shares
in [0, 1].
"""

from __future__ import annotations

import re
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

_OPTIMISE_FRONTIER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("plan", "", "the plan's name: plan- and 8 hex digits of its overrides"),
    ("policy", "", "the plan's levels of the policy choices (key=value; ...)"),
    ("replications", "count", "replications of the plan, all used here"),
    ("role", "", "today, chosen, chosen_before_shifts, finalist or evaluated"),
    ("feasible", "true/false", "every constraint met in the mean"),
    ("objective", "the metric's", "mean of the objective's metric"),
    ("staffing", "", "agents per interval of each decided pool"),
    ("key", "", "store key of the plan's scenario (replications/KEY/, scenarios/KEY.toml)"),
    ("frontier_service_level", "true/false", "no other plan costs less and serves as well"),
    ("frontier_retention", "true/false", "no other plan costs less and keeps as many"),
)
"""The fixed columns of an optimisation's ``frontier.csv``; each metric adds its mean and
95 % CI bounds (``METRIC``, ``METRIC_ci_low``, ``METRIC_ci_high``)."""

_OPTIMISE_EVALUATION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("stage", "", "today, start, search, select or roster"),
    ("round", "count", "round of the marginal analysis (0 outside the search)"),
    ("plan", "", "the plan's name: plan- and 8 hex digits of its overrides"),
    ("policy", "", "the plan's levels of the policy choices (key=value; ...)"),
    ("move", "", "what the evaluation tried (pool[interval]+1, a warm start, a finalist)"),
    ("replications", "count", "replications judged"),
    ("objective", "the metric's", "mean of the objective's metric"),
    ("objective_ci_low", "the metric's", "lower bound of its 95 % CI"),
    ("objective_ci_high", "the metric's", "upper bound of its 95 % CI"),
    ("feasible", "true/false", "every constraint met in the mean"),
    ("shortfall", "bound units", "total shortfall from the constraints (0: feasible)"),
    ("gain", "the gain's", "paired gain of the move (per unit of its cost while infeasible)"),
    ("gain_ci_low", "the gain's", "lower bound of its 95 % CI"),
    ("gain_ci_high", "the gain's", "upper bound of its 95 % CI"),
    ("accepted", "true/false", "the move was taken (its paired CI said so)"),
    ("staffing", "", "agents per interval of each decided pool"),
)
"""The fixed columns of an optimisation's ``evaluations.csv``; each constraint adds one
(``METRIC >= BOUND``: the plan's mean, the worst interval's for an interval constraint)."""

_OPTIMISE_SPLIT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("variant", "", "optimised (the plan handed back) or chosen_before_shifts"),
    ("part", "", "customers_kept, visits_served, staff_cost, paid_out, or total"),
    ("metric", "", "the part's row in compare.csv (profit_customers_kept, ..., profit)"),
    ("diff", "currency", "plan − today's, paired; the parts' diff add up to the total's"),
    ("diff_ci_low", "currency", "lower bound of its 95 % CI (Student t)"),
    ("diff_ci_high", "currency", "upper bound of its 95 % CI"),
    ("significant", "true/false", "the CI excludes 0"),
    ("n", "count", "replications paired"),
)

_ROSTER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("start_interval", "interval", "the shift's first interval (from 0)"),
    ("length_intervals", "intervals", "the shift's length"),
    ("breaks", "intervals", "break intervals, counted from the shift's start"),
    ("description", "", "the shift in words"),
    ("agents", "count", "agents on this shift"),
    ("cost_per_shift", "currency", "what one agent's shift costs"),
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
    "frontier.csv": _OPTIMISE_FRONTIER_COLUMNS,
    "evaluations.csv": _OPTIMISE_EVALUATION_COLUMNS,
    "profit_split.csv": _OPTIMISE_SPLIT_COLUMNS,
    "roster_POOL.csv": _ROSTER_COLUMNS,
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
    return _optimiser_column(file, column)


_BOUND_COLUMN = re.compile(r"^(?P<metric>\S+) (>=|<=) \S+$")
_ESTIMATE_SUFFIXES = {
    "": "mean over the plan's replications",
    "_ci_low": "lower bound of its 95 % CI",
    "_ci_high": "upper bound of its 95 % CI",
}


def _optimiser_column(file: str, column: str) -> dict[str, str] | None:
    """The per-metric columns of ``frontier.csv`` and the per-constraint ones of
    ``evaluations.csv`` (their names come from the metrics and the constraints)."""
    if file == "evaluations.csv" and (found := _BOUND_COLUMN.match(column)):
        info = metric_info(found["metric"])
        return {
            "file": file,
            "column": column,
            "unit": _UNITS[info.format],
            "description": f"the constraint's metric, {info.label.lower()}: the plan's mean "
            "(the worst interval's for an interval constraint)",
        }
    if file == "frontier.csv":
        for suffix, words in sorted(_ESTIMATE_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
            metric = column.removesuffix(suffix) if suffix else column
            if (not suffix or column.endswith(suffix)) and metric in _FRONTIER_METRICS:
                info = metric_info(metric)
                unit = "currency" if metric == "total_cost" else _UNITS[info.format]
                label = "total cost" if metric == "total_cost" else info.label.lower()
                return {
                    "file": file,
                    "column": column,
                    "unit": unit,
                    "description": f"{label}: {words}",
                }
    return None


_FRONTIER_METRICS = frozenset(
    {
        "staff_cost",
        "total_cost",
        "service_level",
        "abandonment_rate",
        "retention_rate",
        "profit",
        "mean_remembered_utility",
    }
)


def _stem(file: str) -> str:
    """``customers.parquet`` and ``customers.csv`` are both the ``customers`` table."""
    for base in ("customers", "contacts", "traces"):
        if file in (base, f"{base}.parquet", f"{base}.csv"):
            return base
    if file.startswith("roster_") and file.endswith(".csv"):
        return "roster_POOL.csv"  # an optimisation's roster of one pool
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
