"""The result of an experiment: per-replication metrics of every scenario, and their tables.

:class:`ExperimentResult` keeps one flat record of metrics per scenario and
replication, and computes from them the tables that
:func:`peakend.experiments.api.run_experiment` writes: the tidy table (one row per
scenario and replication), the summary (mean and confidence interval per
scenario and metric), the comparison (paired differences from the base, common
random numbers), the cost-effectiveness of each variant and ``summary.json``.
Intervals of shares are logit intervals (inside (0, 1),
:mod:`peakend.analysis.stats`); paired differences use the t interval.

A profit difference is explained: when a comparison reports ``profit`` (a
multi-period run), :meth:`ExperimentResult.profit_split_frame` splits each
variant's profit difference into :data:`PROFIT_PARTS`, customers kept
(relationship revenue), visits served (visit revenue), staff cost and money paid
out (recovery and extras), and ``compare.csv`` carries the parts as rows
``profit_customers_kept`` ... right after ``profit``. Profit is defined as the
sum of these parts in every replication
(:func:`peakend.retention.multiperiod.profit_of`), so the paired differences add
up replication by replication, and so do their means (to floating-point
rounding; exactly when the amounts are whole euros, as in the shipped
scenarios). Each part's interval is the Student-t interval of its own paired
differences; intervals do not add up (the parts are correlated).

Costs stand beside every gain: every replication reports ``staff_cost`` and
``agent_hours``, and :meth:`ExperimentResult.cost_effectiveness_frame`
(``cost_effectiveness.csv`` of a comparison) sets each variant's staff-cost
difference against its gain in every :data:`GAIN_METRICS` metric, whichever
``metrics`` the experiment reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from peakend.analysis.metrics import SHARE_METRICS
from peakend.analysis.stats import Estimate, estimate, paired_difference
from peakend.base import views
from peakend.config.loading import ConfigError
from peakend.experiments.design import Experiment, ScenarioSpec
from peakend.experiments.schema import BASE_LABEL
from peakend.runs.errors import FailureRecord, error_log
from peakend.runs.runner import drifting_base_warning, few_replications_warning
from peakend.store.dictionary import folder_dictionary, read_columns
from peakend.store.replications import ReplicationRecord, ResultStore

__all__ = [
    "CONFIDENCE_LEVEL",
    "GAIN_METRICS",
    "OTHER_COST_METRICS",
    "PLOT_METRIC_PREFERENCE",
    "PROFIT_PARTS",
    "ExperimentResult",
]

CONFIDENCE_LEVEL = 0.95
PLOT_METRIC_PREFERENCE = (
    "retention_rate",
    "profit",
    "mean_remembered_utility",
    "service_level",
    "abandonment_rate",
    "mean_wait_minutes",
)
_NO_DIFFERENCE = Estimate(math.nan, math.nan, math.nan, 0)

GAIN_METRICS = {
    "retention_rate": ("percentage points", 100.0),
    "service_level": ("percentage points", 100.0),
    "mean_remembered_utility": ("points", 1.0),
}
"""Gains that a cost is set against: the unit of one point, and the factor from the
metric's own scale to it (shares are counted in percentage points)."""

OTHER_COST_METRICS = ("recovery_cost", "extras_cost")
"""Money paid out besides the staff schedule (coupons, extras); agent time is not
money here (``recovery_minutes``, ``extras_minutes``)."""

PROFIT_PARTS: dict[str, tuple[float, tuple[str, ...]]] = {
    "profit_customers_kept": (1.0, ("relationship_revenue",)),
    "profit_visits_served": (1.0, ("visit_revenue",)),
    "profit_staff_cost": (-1.0, ("staff_cost",)),
    "profit_paid_out": (-1.0, ("recovery_cost", "extras_cost")),
}
"""The parts of profit, each a sign times a sum of replication metrics; they add up to
``profit``.

A part's paired difference is what it adds to the profit difference: customers
kept (the margin of the extra active customers, referrals included), visits
served (the value of the extra served visits), minus the extra staff cost, minus
the extra money paid out."""


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """Per-replication metrics of every scenario of an experiment, and their summaries."""

    experiment: Experiment
    kind: str
    specs: list[ScenarioSpec]
    replications: int
    records: Mapping[str, Mapping[int, ReplicationRecord]]
    failures: list[FailureRecord]
    ran: int
    skipped: int
    seconds: float

    def __repr__(self) -> str:
        """One line: the experiment, its kind, scenarios, replications and seed."""
        return views.show("experiment_result_text", self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the comparison or sweep table with CIs and the key plot."""
        return views.show("experiment_result_html", self)

    @property
    def metric_names(self) -> list[str]:
        """Every metric the replications produced, in their order."""
        for records in self.records.values():
            for record in records.values():
                return list(record.metrics)
        return []

    @property
    def reported_metrics(self) -> list[str]:
        """The experiment's ``metrics`` (checked), or every metric."""
        if self.experiment.metrics is None:
            return self.metric_names
        return self._checked(self.experiment.metrics, "metrics")

    @property
    def plot_metrics(self) -> list[str]:
        """Metrics worth a plot: the experiment's choice, or a few key ones that exist."""
        if self.experiment.plot_metrics:
            return self._checked(self.experiment.plot_metrics, "sweep.plot")
        chosen = [m for m in PLOT_METRIC_PREFERENCE if m in self.reported_metrics]
        return chosen[:4] or self.reported_metrics[:1]

    def _checked(self, metrics: tuple[str, ...], key: str) -> list[str]:
        """``metrics`` as a list, if the replications produced them (or produced nothing)."""
        names = self.metric_names
        unknown = [m for m in metrics if m not in names]
        if unknown and names:
            raise ConfigError(
                f"{self.experiment.source}: {key}: unknown metric {unknown[0]!r}; "
                f"allowed: {', '.join(names)}"
            )
        return list(metrics)

    def _has(self, spec: ScenarioSpec, metric: str = "load_change") -> bool:
        records = self.records.get(spec.key, {})
        return any(metric in record.metrics for record in records.values())

    def values(self, spec: ScenarioSpec, metric: str) -> dict[int, float]:
        """``replication -> value`` of one metric of one scenario (failed ones left out).

        A part of profit (:data:`PROFIT_PARTS`) is computed from its metrics.
        """
        records = self.records.get(spec.key, {})
        if metric in PROFIT_PARTS:
            return {r: _part(records[r].metrics, PROFIT_PARTS[metric]) for r in sorted(records)}
        return {r: records[r].metrics[metric] for r in sorted(records)}

    @property
    def has_profit_split(self) -> bool:
        """True when the replications report profit and all of its parts."""
        names = set(self.metric_names)
        needed = {name for _, names in PROFIT_PARTS.values() for name in names}
        return "profit" in names and needed <= names

    @property
    def compared_metrics(self) -> list[str]:
        """The reported metrics, with the parts of profit right after ``profit`` (if split)."""
        metrics = []
        for metric in self.reported_metrics:
            metrics.append(metric)
            if metric == "profit" and self.has_profit_split:
                metrics.extend(part for part in PROFIT_PARTS if part not in self.reported_metrics)
        return metrics

    def profit_split_frame(self, level: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
        """One row per variant and part of its profit difference from the base, and the total.

        ``part`` is ``customers_kept``, ``visits_served``, ``staff_cost``,
        ``paid_out`` or ``total`` (the profit difference itself); ``diff`` its mean
        paired difference with a Student-t interval over the replications both
        finished. The parts' ``diff`` add up to the total's (see the module doc). Empty when the
        replications report no profit (single-day runs) or there is no variant.
        """
        columns = ["variant", "part", "metric", "diff", "diff_ci_low", "diff_ci_high"]
        columns += ["significant", "n"]
        if not self.has_profit_split:
            return pd.DataFrame(columns=columns)
        base = self.specs[0]
        rows = []
        for spec in self.specs[1:]:
            total = _paired(self.values(spec, "profit"), self.values(base, "profit"), level)
            for metric in (*PROFIT_PARTS, "profit"):
                diff = (
                    total
                    if metric == "profit"
                    else _paired(self.values(spec, metric), self.values(base, metric), level)
                )
                rows.append(
                    {
                        "variant": spec.label,
                        "part": metric.removeprefix("profit_") if metric != "profit" else "total",
                        "metric": metric,
                        "diff": diff.mean,
                        "diff_ci_low": diff.ci_low,
                        "diff_ci_high": diff.ci_high,
                        "significant": diff.excludes_zero(),
                        "n": diff.n,
                    }
                )
        return pd.DataFrame(rows, columns=columns)

    def tidy_frame(self) -> pd.DataFrame:
        """One row per scenario and replication: labels, factor levels and every metric."""
        rows = []
        for spec in self.specs:
            for r, record in sorted(self.records.get(spec.key, {}).items()):
                rows.append(
                    {"scenario": spec.label, **spec.levels, "replication": r, **record.metrics}
                )
        return pd.DataFrame(rows)

    def summary_frame(self, level: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
        """One row per scenario and metric: mean, confidence interval, half-width, n."""
        rows = []
        for spec in self.specs:
            for metric in self.reported_metrics:
                est = _estimate(list(self.values(spec, metric).values()), metric, level)
                rows.append(
                    {"scenario": spec.label, **spec.levels, "metric": metric, **_columns(est)}
                )
        return pd.DataFrame(rows)

    def compare_frame(self, level: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
        """One row per metric and variant: mean and CI, and the paired difference from the base.

        ``diff`` is variant − base over the replications both finished (common
        random numbers); ``significant`` when its interval excludes zero. The
        base's own row has NaN differences. When ``profit`` is reported, the parts
        of profit (:data:`PROFIT_PARTS`) follow it: their ``diff`` add up to profit's.
        """
        rows = [
            self._compare_row(spec, metric, level)
            for metric in self.compared_metrics
            for spec in self.specs
        ]
        return pd.DataFrame(rows)

    def _compare_row(self, spec: ScenarioSpec, metric: str, level: float) -> dict[str, Any]:
        base = self.specs[0]
        values = self.values(spec, metric)
        diff = _NO_DIFFERENCE
        if spec is not base:
            diff = _paired(values, self.values(base, metric), level)
        return {
            "variant": spec.label,
            "metric": metric,
            **_columns(_estimate(list(values.values()), metric, level)),
            "diff": diff.mean,
            "diff_ci_low": diff.ci_low,
            "diff_ci_high": diff.ci_high,
            "significant": diff.excludes_zero(),
        }

    def cost_effectiveness_frame(self, level: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
        """One row per variant and gain metric: what the gain costs.

        ``gain_diff`` is the paired difference from the base in points
        (:data:`GAIN_METRICS`: percentage points for shares), with its CI and
        whether it excludes 0; ``staff_cost_diff`` and ``agent_hours_diff`` are the
        differences in staff cost and rostered agent-hours; ``other_cost_diff`` is
        the difference in money paid out for recovery and extras (coupons, delight
        extras; agent time is paid in staff cost), ``total_cost_diff`` the sum of both.
        ``cost_per_point`` is ``staff_cost_diff / gain_diff`` and
        ``total_cost_per_point`` is ``total_cost_diff / gain_diff``: positive when the
        variant pays for a gain or saves by giving one up, negative when it gains and
        saves (or loses and costs more); NaN for no gain. Read them only beside
        ``gain_significant``: a gain whose interval includes 0 makes the ratio noise.
        Empty without a variant or without ``staff_cost``.
        """
        names = self.metric_names
        if "staff_cost" not in names:
            return pd.DataFrame(columns=list(_COST_EFFECTIVENESS_COLUMNS))
        base = self.specs[0]
        rows = []
        for spec in self.specs[1:]:
            cost = _paired(self.values(spec, "staff_cost"), self.values(base, "staff_cost"), level)
            hours = _paired(
                self.values(spec, "agent_hours"), self.values(base, "agent_hours"), level
            )
            other = sum(
                _paired(self.values(spec, name), self.values(base, name), level).mean
                for name in OTHER_COST_METRICS
                if name in names
            )
            for metric, (unit, scale) in GAIN_METRICS.items():
                if metric in names:
                    gain = _paired(self.values(spec, metric), self.values(base, metric), level)
                    row = _cost_row(spec.label, metric, unit, scale, gain, cost, hours)
                    rows.append(_with_other_costs(row, float(other)))
        return pd.DataFrame(rows, columns=list(_COST_EFFECTIVENESS_COLUMNS))

    @property
    def warnings(self) -> list[str]:
        """What a reader of the tables must know: too few replications, failures."""
        notes = []
        finished = min((len(self.records.get(spec.key, {})) for spec in self.specs), default=0)
        few = few_replications_warning(finished)
        if few is not None:
            notes.append(few)
        base = self.specs[0]
        drift = (
            drifting_base_warning(list(self.values(base, "load_change").values()), "the base")
            if self.kind == "compare" and self._has(base)
            else None
        )
        if drift is not None:
            notes.append(drift)
        if self.failures:
            notes.append(
                f"{len(self.failures)} replications failed and are left out of the summaries"
            )
        return notes

    def summary_dict(self) -> dict[str, Any]:
        """The ``summary.json`` content (no timings: equal runs give equal files)."""
        compared = self.kind == "compare"
        frame = self.compare_frame() if compared else self.summary_frame()
        labels = frame["variant" if compared else "scenario"]
        scenarios = {
            spec.label: self._scenario_summary(spec, frame[labels == spec.label])
            for spec in self.specs
        }
        extra: dict[str, Any] = {}
        if compared:
            costs = self.cost_effectiveness_frame()
            extra["cost_effectiveness"] = costs.to_dict("records")
            split = self.profit_split_frame()
            if not split.empty:
                extra["profit_split"] = split.to_dict("records")
        return {
            "experiment": self.experiment.name,
            "kind": self.kind,
            "replications": self.replications,
            "seed": self.specs[0].scenario.run.seed,
            "confidence_level": CONFIDENCE_LEVEL,
            "intervals": "logit interval for shares, Student-t otherwise and for differences",
            "failed_replications": len(self.failures),
            "warnings": self.warnings,
            "scenarios": scenarios,
            **extra,
        }

    def _scenario_summary(self, spec: ScenarioSpec, rows: pd.DataFrame) -> dict[str, Any]:
        with_difference = self.kind == "compare" and spec.label != BASE_LABEL
        metrics = {
            row["metric"]: _summary_entry(row, with_difference) for row in rows.to_dict("records")
        }
        return {
            "key": spec.key,
            "overrides": list(spec.overrides),
            "factors": spec.levels,
            "metrics": metrics,
        }

    def write(self, store: ResultStore) -> None:
        """Write the aggregated tables and ``summary.json`` into the run directory."""
        if self.kind == "compare":
            store.write_table("compare.csv", self.compare_frame())
            store.write_table("cost_effectiveness.csv", self.cost_effectiveness_frame())
        else:
            store.write_table("sweep_tidy.parquet", self.tidy_frame())
            store.write_table("sweep_summary.csv", self.summary_frame())
        store.write_json("summary.json", self.summary_dict())
        factors = [name for spec in self.specs for name in spec.levels]
        tables = read_columns(store.root)
        store.write_table("data_dictionary.csv", folder_dictionary(tables, factors=factors))
        log = store.root / "errors.log"
        if self.failures:
            store.write_text("errors.log", error_log(self.failures))
        else:
            log.unlink(missing_ok=True)  # from an earlier session whose failures were retried


def _part(metrics: Mapping[str, float], part: tuple[float, tuple[str, ...]]) -> float:
    """A part of profit: its sign times the sum of its metrics."""
    sign, names = part
    return sign * sum(metrics[name] for name in names)


def _estimate(values: list[float], metric: str, level: float) -> Estimate:
    return estimate(values, level, share=metric in SHARE_METRICS)


def _paired(values: dict[int, float], base_values: dict[int, float], level: float) -> Estimate:
    """The paired difference ``values - base_values`` over the replications both have."""
    common = sorted(set(values) & set(base_values))
    return paired_difference([values[r] for r in common], [base_values[r] for r in common], level)


_COST_EFFECTIVENESS_COLUMNS = (
    "variant",
    "gain_metric",
    "gain_unit",
    "gain_diff",
    "gain_diff_ci_low",
    "gain_diff_ci_high",
    "gain_significant",
    "staff_cost_diff",
    "staff_cost_diff_ci_low",
    "staff_cost_diff_ci_high",
    "agent_hours_diff",
    "other_cost_diff",
    "total_cost_diff",
    "cost_per_point",
    "total_cost_per_point",
    "n",
)


def _cost_row(
    variant: str,
    metric: str,
    unit: str,
    scale: float,
    gain: Estimate,
    cost: Estimate,
    hours: Estimate,
) -> dict[str, Any]:
    points = gain.mean * scale
    per_point = _per_point(cost.mean, points)
    return {
        "variant": variant,
        "gain_metric": metric,
        "gain_unit": unit,
        "gain_diff": points,
        "gain_diff_ci_low": gain.ci_low * scale,
        "gain_diff_ci_high": gain.ci_high * scale,
        "gain_significant": gain.excludes_zero(),
        "staff_cost_diff": cost.mean,
        "staff_cost_diff_ci_low": cost.ci_low,
        "staff_cost_diff_ci_high": cost.ci_high,
        "agent_hours_diff": hours.mean,
        "cost_per_point": per_point,
        "n": gain.n,
    }


def _per_point(cost: float, points: float) -> float:
    """``cost / points``, NaN without a gain (``+ 0.0``: no ``-0`` for a free variant)."""
    return cost / points + 0.0 if points and not math.isnan(points) else math.nan


def _with_other_costs(row: dict[str, Any], other: float) -> dict[str, Any]:
    """``row`` with the recovery and extras cost difference, the total and its ratio."""
    total = row["staff_cost_diff"] + other
    return {
        **row,
        "other_cost_diff": other,
        "total_cost_diff": total,
        "total_cost_per_point": _per_point(total, row["gain_diff"]),
    }


def _columns(est: Estimate) -> dict[str, Any]:
    return {
        "mean": est.mean,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "half_width": est.half_width,
        "n": est.n,
    }


def _summary_entry(row: Mapping[str, Any], with_difference: bool) -> dict[str, Any]:
    entry = {k: row[k] for k in ("mean", "ci_low", "ci_high", "n")}
    if with_difference:
        entry["difference"] = {
            "mean": row["diff"],
            "ci_low": row["diff_ci_low"],
            "ci_high": row["diff_ci_high"],
            "significant": bool(row["significant"]),
        }
    return entry
