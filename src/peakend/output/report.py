"""One self-contained HTML report of a run, a comparison or a sweep directory.

:func:`render_report` reads what ``peakend run/compare/sweep --out`` wrote
(``manifest.json``, ``summary.json``, ``compare.csv``, ``cost_effectiveness.csv``,
``sweep_summary.csv``, the stored replications, ``resolved_config.toml`` or
``scenarios/*.toml``, ``data_dictionary.csv`` and the PNG plots; every path
inside the folder) and returns one HTML page. It opens with the bottom line
(for a comparison: which variant pays, what it buys in customers kept and profit,
at what cost, each with its 95 % confidence interval; for a run, the headline
figures; for a sweep, its best point), then the scenario in words, the results
(for a comparison, each variant's paired difference from the base, judged by
the metric's better direction), what each gain costs, the plots inline (base64
PNG), the assumptions with their sources, and the provenance: versions, the seed
and the command that runs the folder's own resolved config again
(:func:`peakend.store.rerun.rerun_command`). The page needs nothing else: no
network, no script, no file beside it, so it can be mailed or archived.
:func:`write_report` writes it atomically (``report.html`` in the folder by
default).

Labels and formats come from the metric registry (:mod:`peakend.analysis.registry`).

What the report reads, it reads as untrusted data (the rules of
:func:`peakend.store.ledger.read_inside`): only regular files inside the
folder, never through a symbolic link, never a FIFO or a device, each at most
:data:`READ_LIMITS` bytes, and, when the manifest lists the files peakend
wrote, only listed files whose size and SHA-256 match. The manifest and the
summary must have the layout peakend writes. Anything else is one
:class:`ReportError` (or ``OutputError``) naming the file. The report is
written only where it overwrites nothing but an earlier report (see
:func:`write_report`).
"""

from __future__ import annotations

import base64
import contextvars
import io
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from peakend.analysis.registry import METRICS, format_difference, format_value, metric_info
from peakend.analysis.stats import Estimate, paired_difference
from peakend.base.names import html_text
from peakend.config.loading import ConfigError
from peakend.config.parameters import parameter
from peakend.config.schema import day_agent_hours, day_staff_cost
from peakend.store import ledger
from peakend.store.rerun import (
    RERUN_FOLDER,
    RESOLVED_BASE,
    RESOLVED_CONFIG,
    RESOLVED_EXPERIMENT,
    rerun_command,
)

__all__ = [
    "ASSUMPTIONS",
    "ReportError",
    "cost_per_unit_of_gain",
    "render_report",
    "scenario_in_words",
    "write_report",
]

REPORT_NAME = "report.html"


class ReportError(ConfigError):
    """A folder that is not a finished peakend run, comparison or sweep directory."""


@dataclass(frozen=True)
class Assumption:
    """A parameter the results rest on, and where its value comes from."""

    key: str
    """Dotted key of the scenario."""
    what: str
    source: str


def _from_schema(key: str) -> Assumption:
    """A key's assumption as its schema field describes it (``peakend.config.parameters``)."""
    row = parameter(key)
    return Assumption(key, row.description, row.source)


ASSUMPTIONS: tuple[Assumption, ...] = (
    *(
        _from_schema(key)
        for key in (
            "experience.memory",
            "experience.loss_aversion",
            "experience.alpha",
            "experience.idle_wait_factor",
            "experience.announced_wait_factor",
            "run.service_level_threshold_minutes",
        )
    ),
    Assumption(
        "retention.returns",
        "whether a customer comes back: a logistic model of remembered utility, effort, "
        "loyalty and the belief that the company works, anchored at a baseline retention",
        "an assumption of this model, to be calibrated with the company's own data",
    ),
    *(
        _from_schema(key)
        for key in (
            "retention.reliability_prior",
            "retention.satisfied_tell_mean",
            "retention.advocate_tell_mean",
            "retention.dissatisfied_tell_mean",
            "retention.day_load",
        )
    ),
    Assumption(
        "pools",
        "queues, abandonment and service follow the Erlang C / Erlang A model",
        "checked against the closed forms by `peakend validate`",
    ),
)
"""The parameters the report lists with their sources: a key's description and source
are its schema field's (one text, also in ``docs/parameters.md``); the return model as a
whole and the queueing model have no one field."""


_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 80rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2.2rem; }
.meta { color: #555; } .warning { background: #fff4e5; border-left: 4px solid #d95f02;
        padding: 0.5rem 1rem; margin: 0.5rem 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
.wide { overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.7rem; text-align: right;
         white-space: nowrap; }
td.text, span.text { white-space: normal; }
th { background: #f4f4f4; } td:first-child, th:first-child, td.text { text-align: left; }
tr.first td { border-top: 2px solid #999; }
.better { color: #1a7f37; font-weight: 600; } .worse { color: #b42318; font-weight: 600; }
.unclear { color: #666; } figure { margin: 1.2rem 0; } figure img { max-width: 100%; }
figcaption { color: #555; font-size: 0.9rem; } code { background: #f4f4f4; padding: 0 0.2rem; }
details { margin: 0.8rem 0; }
"""


def _e(value: object) -> str:
    # Every string on the page goes through here: names shown as typed, never as markup.
    return html_text(value)


READ_LIMITS = {".png": 16 * 2**20, "": 64 * 2**20}
"""Largest file the report reads, in bytes: a PNG plot 16 MiB, any other file 64 MiB
(the summary of a 10,000-point sweep is well under it). A larger file is refused."""

# The folder being rendered and its ledger (None: a folder written before peakend
# kept one), so that every read below follows the same rules without new parameters.
_READING: contextvars.ContextVar[tuple[Path, dict[str, ledger.Entry] | None]] = (
    contextvars.ContextVar("_READING")
)


def _read_file(path: Path) -> bytes:
    """The bytes of ``path``, a file of the folder being rendered, under the reading rules."""
    folder, entries = _READING.get()
    relative = Path(os.path.relpath(path, folder)).as_posix()
    limit = READ_LIMITS.get(path.suffix, READ_LIMITS[""])
    return ledger.read_inside(folder, relative, limit, entries)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_read_file(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ReportError(f"{path}: cannot read it ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a JSON object")
    return data


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read_file(path).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return {}


def _read_csv(path: Path, columns: Sequence[str], **options: Any) -> pd.DataFrame:
    """A table the run wrote, with at least ``columns``."""
    try:
        frame = pd.read_csv(io.BytesIO(_read_file(path)), **options)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ReportError(f"{path}: not a table peakend writes ({type(exc).__name__})") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ReportError(f"{path}: not a table peakend writes (no column {missing[0]!r})")
    return frame


def _check_summary(path: Path, summary: Mapping[str, Any]) -> None:
    """Refuse a ``summary.json`` whose layout is not peakend's (a changed or foreign file)."""
    metrics = summary.get("metrics", {})
    if not isinstance(metrics, Mapping) or not all(
        isinstance(est, Mapping) for est in metrics.values()
    ):
        raise ReportError(f"{path}: key 'metrics' is not peakend's (metric name -> estimate)")
    warnings = summary.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise ReportError(f"{path}: key 'warnings' is not a list of text")
    for key in ("replications", "seed"):
        if key in summary and not isinstance(summary[key], (int, str)):
            raise ReportError(f"{path}: key {key!r} is not a number")


def _built(files: str, build: Any, *args: Any) -> Any:
    """``build(*args)``; a file whose values are not peakend's is refused, naming ``files``."""
    try:
        return build(*args)
    except ConfigError:  # already one line naming its file
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise ReportError(
            f"{files}: values are not laid out as peakend writes them "
            f"({type(exc).__name__}); the file was changed, or it is not peakend's"
        ) from None


def render_report(folder: str | Path, currency: str = "€") -> str:
    """The HTML report of the run, comparison or sweep in ``folder``.

    Raises
    ------
    ReportError
        When ``folder`` has no readable ``manifest.json`` and ``summary.json`` of
        peakend, or holds something other than a run, a comparison or a sweep.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder")
    for name in ("manifest.json", "summary.json"):
        if not os.path.lexists(folder / name):
            raise ReportError(f"{folder}: no {name}; is it a peakend run directory?")
    token = _READING.set((folder, None))
    try:
        manifest = ledger.check_manifest(
            _read_json(folder / "manifest.json"), folder / "manifest.json"
        )
        _READING.set((folder, ledger.recorded(folder, manifest)))
        return _render(folder, manifest, currency)
    finally:
        _READING.reset(token)


def _render(folder: Path, manifest: dict[str, Any], currency: str) -> str:
    summary = _read_json(folder / "summary.json")
    _check_summary(folder / "summary.json", summary)
    kind = str(manifest.get("kind") or ("run" if "scenario" in summary else ""))
    builders = {"run": _run_sections, "compare": _compare_sections, "sweep": _sweep_sections}
    if kind not in builders:
        raise ReportError(f"{folder}: manifest kind {kind!r} is not a run, compare or sweep")
    scenario = _base_scenario(folder, manifest, kind)
    title = str(manifest.get("name") or summary.get("scenario") or folder.name)
    sections = [
        _header(title, kind, manifest, summary, scenario),
        _built(
            _TABLES[kind](folder), _bottom_line, folder, manifest, summary, kind, scenario, currency
        ),
        _section(
            "The scenario in words",
            _paragraphs([*_which_scenario(manifest, kind), *scenario_in_words(scenario)]),
        ),
        *_built(_TABLES[kind](folder), builders[kind], folder, manifest, summary, currency),
        _plots(folder),
        _assumptions(scenario),
        _dictionary(folder),
        _provenance(folder, manifest, summary, kind),
    ]
    body = "\n".join(part for part in sections if part)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}: peakend report</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


_TABLES = {
    "run": lambda folder: str(folder / "summary.json"),
    "compare": lambda folder: f"{folder / 'compare.csv'} or {folder / 'cost_effectiveness.csv'}",
    "sweep": lambda folder: str(folder / "sweep_summary.csv"),
}


def write_report(folder: str | Path, out: str | Path | None = None, currency: str = "€") -> Path:
    """Write :func:`render_report` of ``folder`` to ``out`` (default ``folder/report.html``)
    atomically; return the path.

    Inside the folder, ``out`` must be a new ``.html`` file or a report written
    there before (listed in the manifest with its SHA-256); the report joins the
    manifest's list of files peakend wrote. Elsewhere, ``out`` must be a new file
    or an earlier peakend report (a regular file that starts as one does).

    Raises
    ------
    OutputError
        For an ``out`` that would overwrite a file of the run, or a file that is
        not a peakend report.
    """
    from peakend.store.files import write_text
    from peakend.store.rundir import OutputError, add_to_run

    root = Path(folder)
    path = Path(out) if out is not None else root / REPORT_NAME
    text = render_report(folder, currency)
    inside = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if not inside.startswith(".."):
        return add_to_run(root, Path(inside).as_posix(), text)
    if os.path.lexists(path) and not _is_report(path):
        raise OutputError(
            path,
            "exists and is not a peakend report; refusing to overwrite it: write the report "
            "elsewhere",
        )
    write_text(path, text)
    return path


def _is_report(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a link) that starts as a peakend report."""
    import stat

    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return False
        head = os.read(handle, 65536)
    finally:
        os.close(handle)
    return head.startswith(b"<!DOCTYPE html>") and b": peakend report</title>" in head


# ------------------------------------------------------------------------- header


def _section(title: str, content: str) -> str:
    return f"<section>\n<h2>{_e(title)}</h2>\n{content}\n</section>" if content else ""


def _paragraphs(lines: Iterable[str]) -> str:
    return "\n".join(f"<p>{_e(line)}</p>" for line in lines)


def _header(
    title: str,
    kind: str,
    manifest: Mapping[str, Any],
    summary: Mapping[str, Any],
    scenario: Mapping[str, Any],
) -> str:
    what = {"run": "Run", "compare": "Comparison", "sweep": "Sweep"}[kind]
    description = manifest.get("description") or scenario.get("description") or ""
    replications = summary.get("replications", manifest.get("replications", "?"))
    per = "" if kind == "run" else " per scenario"
    seed = _seed(manifest, summary)
    meta = (
        f"{what} · n = {replications} replications{per} · seed {seed}"
        f" · peakend {manifest.get('peakend_version', '?')}"
    )
    if manifest.get("written_at"):
        meta += f" · written {manifest['written_at']}"
    parts = [f"<h1>{_e(title)}</h1>", f'<p class="meta">{_e(meta)}</p>']
    if description:
        parts.append(f"<p>{_e(description)}</p>")
    warnings = list(summary.get("warnings") or [])
    status = manifest.get("status")
    if status not in (None, "finished"):
        warnings.insert(0, f"the run's status is {status!r}: results are incomplete")
    parts += [f'<div class="warning"><b>Warning:</b> {_e(w)}</div>' for w in warnings]
    return "<header>\n" + "\n".join(parts) + "\n</header>"


def _seed(manifest: Mapping[str, Any], summary: Mapping[str, Any]) -> Any:
    """The root seed: the manifest's, the summary's, or the first scenario's."""
    for source in (manifest, summary):
        if source.get("seed") is not None:
            return source["seed"]
    specs = _specs(manifest)
    return specs[0].get("seed", "?") if specs else "?"


_KEY = re.compile(r"[0-9a-f]{16}")


def _specs(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The manifest's scenarios whose store key is a key peakend writes (16 hex digits).

    A key names files (``scenarios/<key>.toml``, ``replications/<key>/``): anything
    else (``../..``, an absolute path) would lead the report out of the folder.
    """
    specs = manifest.get("scenarios")
    if not isinstance(specs, list):
        return []
    return [
        spec
        for spec in specs
        if isinstance(spec, Mapping) and _KEY.fullmatch(str(spec.get("key", "")))
    ]


def _base_scenario(folder: Path, manifest: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The resolved scenario of a run, or of an experiment's base (first) scenario."""
    path = folder / RESOLVED_CONFIG
    if kind != "run":
        found = [folder / "scenarios" / f"{spec['key']}.toml" for spec in _specs(manifest)]
        path = next((p for p in found if os.path.lexists(p)), folder / "scenarios" / "-")
    if not os.path.lexists(path):
        return {}
    scenario = _read_toml(path)
    _built(str(path), lambda: (scenario_in_words(scenario), _assumptions(scenario)))
    return scenario


# ----------------------------------------------------------------------- bottom line

_RUN_HEADLINE = (
    "service_level",
    "abandonment_rate",
    "mean_wait_minutes",
    "mean_remembered_utility",
    "share_bad_memory",
    "retention_rate",
    "active_customers_end",
    "profit",
    "staff_cost",
)
"""A run's headline figures, in the story's order (those the run has)."""

_JUDGED_BY = ("profit", "mean_remembered_utility", "service_level")
"""What ranks a comparison's variants or a sweep's points: the first the run has."""

_SWEEP_JUDGED_BY = ("profit", "retention_rate", "mean_remembered_utility", "service_level")

_PAID_OUT = ("recovery_cost", "extras_cost")
"""Money spent besides the roster, summed per replication."""

_AGENT_MINUTES = ("recovery_minutes", "extras_minutes")
"""Agent time given to recovery and extras, where the records report it, summed."""


def _bottom_line(
    folder: Path,
    manifest: Mapping[str, Any],
    summary: Mapping[str, Any],
    kind: str,
    scenario: Mapping[str, Any],
    currency: str,
) -> str:
    """The answer first: which variant, what it buys and costs (CIs); or the headline
    figures of a run; or a sweep's best point."""
    if kind == "run":
        content = _run_bottom_line(summary, scenario, currency)
    elif kind == "compare":
        content = _compare_bottom_line(folder, manifest, summary, scenario, currency)
    else:
        content = _sweep_bottom_line(folder, currency)
    return _section("Bottom line", content)


def _span(scenario: Mapping[str, Any]) -> str:
    """What a total (profit, costs) covers: the run's periods, or its simulated day."""
    periods = int(_get(scenario, "retention.periods") or 1)
    if periods > 1:
        name = _get(scenario, "retention.period_name") or "period"
        return f"over the run's {periods} {name}s"
    return "over the simulated day"


def _with_ci(metric: str, est: Estimate, currency: str) -> str:
    """``+€5,376`` or ``+€76 [+€25, +€127]``: the interval only where it has width."""
    text = format_difference(metric, est.mean, currency)
    if _nan(est.ci_low) or est.ci_low == est.ci_high:
        return text
    return f"{text} {_interval(metric, est.ci_low, est.ci_high, currency, True)}"


def _run_bottom_line(summary: Mapping[str, Any], scenario: Mapping[str, Any], currency: str) -> str:
    metrics: Mapping[str, Any] = summary.get("metrics") or {}
    rows = []
    for name in _RUN_HEADLINE:
        est = metrics.get(name)
        if isinstance(est, Mapping):
            rows.append(
                [
                    _e(metric_info(name).label),
                    _e(format_value(name, est.get("mean", math.nan), currency)),
                    _e(_interval(name, est.get("ci_low"), est.get("ci_high"), currency)),
                ]
            )
    if not rows:
        return ""
    lead = (
        f"The headline figures {_span(scenario)}: the mean of "
        f"{summary.get('replications', '?')} replications and its 95 % confidence interval."
    )
    return f"<p>{_e(lead)}</p>" + _table(["", "mean", "95% CI"], rows)


def _stored_metrics(folder: Path, key: str, count: int) -> dict[int, dict[str, float]]:
    """``replication -> metrics`` of the first ``count`` replications stored for ``key``
    (those the folder's tables summarise; failed ones are missing)."""
    from peakend.store.replications import ResultStore

    store = ResultStore(folder)
    done = sorted(r for r in store.completed(key) if r < count)
    return {r: store.load(key, r).metrics for r in done}


def _paired(
    variant: Mapping[int, Mapping[str, float]],
    base: Mapping[int, Mapping[str, float]],
    metrics: Sequence[str],
) -> Estimate | None:
    """The paired difference of ``sum(metrics)`` (variant − base) over the replications
    both have; None when a metric is missing."""
    common = sorted(set(variant) & set(base))
    if not common or any(m not in base[common[0]] for m in metrics):
        return None

    def total(values: Mapping[int, Mapping[str, float]], r: int) -> float:
        return sum(values[r][m] for m in metrics)

    return paired_difference([total(variant, r) for r in common], [total(base, r) for r in common])


def _compare_bottom_line(
    folder: Path,
    manifest: Mapping[str, Any],
    summary: Mapping[str, Any],
    scenario: Mapping[str, Any],
    currency: str,
) -> str:
    specs = _specs(manifest)
    count = int(summary.get("replications") or 0)
    if len(specs) < 2 or count < 1:
        return ""
    stored = {str(spec["key"]): _stored_metrics(folder, str(spec["key"]), count) for spec in specs}
    base = stored[str(specs[0]["key"])]
    if not base:
        return "<p>The stored replications of the base were not found in the folder.</p>"
    diffs = {
        str(spec.get("label")): _differences(stored[str(spec["key"])], base) for spec in specs[1:]
    }
    judged = next((m for m in _JUDGED_BY if all(m in d for d in diffs.values())), None)
    if judged is None:
        return ""
    span = _span(scenario)
    lead = _headline(diffs, judged, span, currency)
    columns = [
        (m, label)
        for m, label in (
            ("active_customers_end", "customers kept (active at the end)"),
            ("retention_rate", "retention"),
            ("mean_remembered_utility", "remembered utility"),
            ("service_level", "service level"),
            ("profit", "profit"),
            ("staff_cost", "staff cost"),
            ("paid_out", "recovery and extras cost"),
            ("agent_hours", "agent-hours"),
            ("agent_minutes", "recovery and extras agent-minutes"),
        )
        if all(m in d for d in diffs.values())
    ]
    rows = []
    for variant, found in diffs.items():
        cells = [_e(variant)]
        for metric, _label in columns:
            est = found[metric]
            shown = _SHOWN_AS.get(metric, metric)
            css, _words = _verdict(shown, {"significant": est.excludes_zero(), "diff": est.mean})
            cells.append(f'<span class="{css}">{_e(_with_ci(shown, est, currency))}</span>')
        rows.append(cells)
    note = (
        f"Each figure is the variant's difference from the base {span} (variant − base), "
        f"paired replication by replication over {count} replications (common random "
        "numbers), with its 95 % confidence interval; green is better, red worse, grey not "
        "clear (the interval includes zero). Customers kept are those active at the end; "
        "staff cost is the roster's pay; recovery and extras cost is the recovery_cost and "
        "extras_cost metrics together (see the data dictionary)."
    )
    return (
        f"<p><b>{_e(lead)}</b></p>"
        + _table(["variant", *(label for _m, label in columns)], rows)
        + f"<p>{_e(note)}</p>"
    )


_SHOWN_AS = {"paid_out": "recovery_cost", "agent_minutes": "recovery_minutes"}
"""The metric whose format and better direction a summed column takes."""


def _differences(
    variant: Mapping[int, Mapping[str, float]], base: Mapping[int, Mapping[str, float]]
) -> dict[str, Estimate]:
    """The bottom line's paired differences of one variant (the metrics the run has)."""
    wanted: dict[str, Sequence[str]] = {
        name: (name,)
        for name in (
            "profit",
            "active_customers_end",
            "retention_rate",
            "mean_remembered_utility",
            "service_level",
            "staff_cost",
            "agent_hours",
        )
    }
    first = next(iter(base.values()))
    for name, parts in (("paid_out", _PAID_OUT), ("agent_minutes", _AGENT_MINUTES)):
        present = tuple(m for m in parts if m in first)
        if present:
            wanted[name] = present
    found = {name: _paired(variant, base, metrics) for name, metrics in wanted.items()}
    return {name: est for name, est in found.items() if est is not None}


def _headline(
    diffs: Mapping[str, Mapping[str, Estimate]], judged: str, span: str, currency: str
) -> str:
    """One sentence: the variant that does best on ``judged``, what it buys, what it costs."""
    label = metric_info(judged).label.lower()
    ranked = sorted(diffs.items(), key=lambda item: -item[1][judged].mean)
    best, found = ranked[0]
    est = found[judged]
    if not (est.excludes_zero() and est.mean > 0):
        if est.excludes_zero():
            return (
                f"Every variant lowers {label} {span}; the smallest loss is {best}'s: "
                f"{_with_ci(judged, est, currency)}."
            )
        return (
            f"No variant clearly raises {label} {span}: the largest difference, {best}'s, is "
            f"{_with_ci(judged, est, currency)}, an interval that includes zero."
        )
    buys = [f"{_with_ci(judged, est, currency)} {span} against the base"]
    if "active_customers_end" in found:
        kept = found["active_customers_end"]
        buys.append(f"with {_with_ci('active_customers_end', kept, currency)} customers kept")
    elif "retention_rate" in found and judged != "retention_rate":
        buys.append(f"retention {_with_ci('retention_rate', found['retention_rate'], currency)}")
    costs = [
        f"{_with_ci(metric, found[key], currency)} {words}"
        for key, metric, words in (
            ("staff_cost", "staff_cost", "staff cost"),
            ("paid_out", "recovery_cost", "recovery and extras cost"),
        )
        if key in found
    ]
    also = [
        name
        for name, other in ranked[1:]
        if other[judged].excludes_zero() and other[judged].mean > 0
    ]
    sentence = f"{best} does best on {label}: " + ", ".join(buys)
    if costs:
        sentence += ", at " + " and ".join(costs)
    if "agent_minutes" in found:  # the roster's time, paid in staff cost already
        minutes = _with_ci("recovery_minutes", found["agent_minutes"], currency)
        sentence += f" ({minutes} agent-minutes on recovery and extras)"
    sentence += "."
    if also:
        sentence += f" Also clearly better on {label}: {', '.join(also)}."
    return sentence


def _sweep_bottom_line(folder: Path, currency: str) -> str:
    from peakend.output.experiment_plots import factor_columns

    path = folder / "sweep_summary.csv"
    if not os.path.lexists(path):
        return ""
    frame = _read_csv(path, ["metric", "scenario", "mean", "ci_low", "ci_high"])
    present = set(frame["metric"]) if "metric" in frame else set()
    metric = next((m for m in _SWEEP_JUDGED_BY if m in present), None)
    if metric is None:
        return ""
    rows = frame[frame["metric"] == metric].reset_index(drop=True)
    info = metric_info(metric)
    best = rows.loc[rows["mean"].idxmin() if info.better == "lower" else rows["mean"].idxmax()]
    levels = ", ".join(f"{f} = {best[f]}" for f in factor_columns(frame))
    overlap = rows[
        (rows["scenario"] != best["scenario"])
        & (rows["ci_high"] >= best["ci_low"])
        & (rows["ci_low"] <= best["ci_high"])
    ]
    text = (
        f"Best on {info.label.lower()}: {best['scenario']} ({levels}), "
        f"{format_value(metric, float(best['mean']), currency)} "
        f"{_interval(metric, best['ci_low'], best['ci_high'], currency)} (mean and 95 % "
        f"confidence interval of {best.get('n', '?')} replications)."
    )
    if len(overlap):
        text += (
            f" The intervals of {len(overlap)} of the other {len(rows) - 1} points overlap "
            f"it, so they are not clearly worse: {', '.join(map(str, overlap['scenario']))}."
        )
    else:
        text += f" Its interval overlaps none of the other {len(rows) - 1} points'."
    return f"<p><b>{_e(text)}</b></p>"


# ----------------------------------------------------------------- scenario in words


def _which_scenario(manifest: Mapping[str, Any], kind: str) -> list[str]:
    """Which scenario the words describe, for an experiment."""
    specs = _specs(manifest)
    if kind == "compare" and specs:
        return ["The base scenario (each variant changes it as listed below):"]
    if kind == "sweep" and specs:
        levels: dict[str, list[str]] = {}
        for spec in specs:
            for factor, level in (spec.get("factors") or {}).items():
                levels.setdefault(factor, []).append(str(level))
        varied = "; ".join(
            f"{factor} = {', '.join(dict.fromkeys(values))}" for factor, values in levels.items()
        )
        return [
            f"The first sweep point, {specs[0].get('label', '?')}, is described; the sweep "
            f"varies {varied or 'its factors'}."
        ]
    return []


def _get(data: Mapping[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _clock(minutes: float, opens_at: str) -> str:
    hours, _, mins = opens_at.partition(":")
    total = int(hours or 0) * 60 + int(mins or 0) + round(minutes)
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def scenario_in_words(scenario: Mapping[str, Any]) -> list[str]:
    """A few plain sentences about a resolved scenario (its TOML as a dict)."""
    if not scenario:
        return ["The resolved scenario was not found in the folder."]
    lines = []
    arrivals = scenario.get("arrivals", {})
    rates = list(arrivals.get("rate_per_hour") or [])
    interval = float(arrivals.get("interval_minutes") or 0)
    opens = str(_get(scenario, "run.opens_at") or "00:00")
    if rates and interval:
        per_day = sum(rates) * interval / 60
        closes = _clock(len(rates) * interval, opens)
        lines.append(
            f"The day runs from {opens} to {closes} in {len(rates)} intervals of "
            f"{interval:g} minutes; about {per_day:,.0f} customers arrive a day "
            f"(peak {max(rates):,.0f} an hour)."
        )
    segments = scenario.get("segments") or {}
    if segments:
        shares = ", ".join(f"{name} {float(s.get('share', 0)):.0%}" for name, s in segments.items())
        lines.append(f"Customers come in {len(segments)} segments: {shares}.")
    for name, pool in (scenario.get("pools") or {}).items():
        staffing = list(pool.get("staffing") or [])
        if not staffing:
            continue
        hours = day_agent_hours(staffing, interval)
        cost = float(pool.get("agent_cost_per_hour") or 0)
        service = _get(pool, "service_time.mean")
        text = (
            f"Pool {name}: {min(staffing)} to {max(staffing)} agents, {hours:,.0f} agent-hours "
            f"a day"
        )
        if cost:
            text += f" at {cost:g} an hour ({day_staff_cost(staffing, interval, cost):,.0f} a day)"
        if pool.get("staffing_by_day"):
            days = len(pool["staffing_by_day"])
            text += f" on days without a roster of their own ({days} in staffing_by_day)"
        if service is not None:
            text += f"; a service takes {float(service):g} minutes on average"
        fcr = pool.get("first_contact_resolution")
        if fcr is not None:
            text += f" and resolves the problem {float(fcr):.0%} of the time"
        lines.append(text + ".")
    threshold = _get(scenario, "run.service_level_threshold_minutes")
    target = _get(scenario, "run.service_level_target")
    if threshold is not None:
        goal = f" (target {float(target):.0%})" if target is not None else ""
        lines.append(
            f"Service level counts contacts answered within {float(threshold) * 60:.0f} seconds"
            f"{goal}."
        )
    policy = _get(scenario, "recovery.policy")
    if policy:
        lines.append(f"When a service fails, the recovery policy is: {policy}.")
    memory = _get(scenario, "experience.memory")
    if isinstance(memory, Mapping) and _get(scenario, "experience.enabled") is not False:
        params = ", ".join(f"{k} {v}" for k, v in memory.items() if k != "model")
        lines.append(
            f"Customers remember each journey with the {memory.get('model', '?')} memory model"
            f"{f' ({params})' if params else ''}."
        )
    periods = int(_get(scenario, "retention.periods") or 1)
    if periods > 1:
        name = _get(scenario, "retention.period_name") or "period"
        days = _get(scenario, "retention.days_per_period") or 1
        population = _get(scenario, "retention.population")
        text = f"The run covers {periods} {name}s of {days} simulated days"
        if population:
            text += f", starting with {int(population):,} customers"
        lines.append(
            text + "; who comes back depends on what they remember, and next "
            f"{name}'s load follows the customers who are left."
        )
    return lines


# ----------------------------------------------------------------------- results


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], classes: Sequence[str] = ()
) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        body.append(f"<tr{css}>" + "".join(_cell(cell) for cell in row) + "</tr>")
    return (
        f'<div class="wide"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></div>"
    )


def _cell(content: str) -> str:
    # Words read left-aligned, numbers right-aligned.
    left = content.startswith('<span class="text">')
    return f'<td class="text">{content}</td>' if left else f"<td>{content}</td>"


def _interval(metric: str, low: Any, high: Any, currency: str, difference: bool = False) -> str:
    if low is None or high is None or _nan(low) or _nan(high):
        return "–"
    fmt = format_difference if difference else format_value
    return f"[{fmt(metric, float(low), currency)}, {fmt(metric, float(high), currency)}]"


def _nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def _run_sections(
    folder: Path, manifest: Mapping[str, Any], summary: Mapping[str, Any], currency: str
) -> list[str]:
    metrics: Mapping[str, Any] = summary.get("metrics") or {}
    story = {name: i for i, name in enumerate(METRICS)}  # summary.json sorts its keys
    rows = []
    for name, est in sorted(metrics.items(), key=lambda item: story.get(item[0], len(story))):
        info = metric_info(name)
        rows.append(
            [
                f'<span title="{_e(name)}">{_e(info.label)}</span>',
                _e(format_value(name, est.get("mean"), currency)),
                _e(_interval(name, est.get("ci_low"), est.get("ci_high"), currency)),
                _e(est.get("n", "")),
                f'<span class="text">{_e(info.description)}</span>',
            ]
        )
    table = _table(["metric", "mean", "95% CI", "n", "what it is"], rows)
    note = f"<p>{_e(summary.get('intervals', ''))}.</p>" if summary.get("intervals") else ""
    return [_section("Results", table + note)]


def _verdict(metric: str, row: Mapping[str, Any]) -> tuple[str, str]:
    """(css class, words) for a variant's difference from the base."""
    if not bool(row.get("significant")):
        return "unclear", "no clear difference"
    better = metric_info(metric).better
    diff = float(row["diff"])
    if better == "none":
        return "unclear", "higher" if diff > 0 else "lower"
    good = (diff > 0) == (better == "higher")
    return ("better", "better") if good else ("worse", "worse")


def _descriptions(folder: Path) -> dict[str, str]:
    from peakend.output.experiment_plots import variant_descriptions

    path = folder / "experiment.toml"
    text = _read_file(path).decode("utf-8", "replace") if os.path.lexists(path) else None
    return _built(str(path), variant_descriptions, text)


def _compare_sections(
    folder: Path, manifest: Mapping[str, Any], summary: Mapping[str, Any], currency: str
) -> list[str]:
    path = folder / "compare.csv"
    if not os.path.lexists(path):
        raise ReportError(f"{folder}: a comparison without compare.csv")
    frame = _read_csv(path, ["variant", "metric", "mean", "ci_low", "ci_high", "diff"])
    descriptions = _descriptions(folder)
    variants = list(dict.fromkeys(frame["variant"]))
    listing = "".join(
        f"<li><b>{_e(v)}</b>{': ' + _e(descriptions[v]) if v in descriptions else ''}</li>"
        for v in variants
    )
    intro = (
        f"<ul>{listing}</ul><p>Every variant sees the same customers as the base, replication "
        "by replication (common random numbers), so each difference is paired; it is "
        '<span class="better">better</span> or <span class="worse">worse</span> only when '
        "its 95 % interval excludes zero.</p>"
    )
    rows, classes = [], []
    for metric in dict.fromkeys(frame["metric"]):
        info = metric_info(metric)
        group = frame[frame["metric"] == metric].to_dict("records")
        for i, row in enumerate(group):
            is_base = _nan(row.get("diff"))
            css, words = ("", "") if is_base else _verdict(metric, row)
            diff = "" if is_base else format_difference(metric, float(row["diff"]), currency)
            rows.append(
                [
                    _e(info.label) if i == 0 else "",
                    _e(row["variant"]),
                    _e(format_value(metric, row["mean"], currency)),
                    _e(_interval(metric, row["ci_low"], row["ci_high"], currency)),
                    _e(diff),
                    f'<span class="{css}">{_e(words)}</span>' if words else "",
                    ""
                    if is_base
                    else _e(
                        _interval(metric, row["diff_ci_low"], row["diff_ci_high"], currency, True)
                    ),
                ]
            )
            classes.append("first" if i == 0 else "")
    header = ["metric", "variant", "mean", "95% CI", "difference from base", "", "95% CI"]
    sections = [_section("Each variant against the base", intro + _table(header, rows, classes))]
    sections.append(_profit_split_section(frame, currency))
    costs = folder / "cost_effectiveness.csv"
    if os.path.lexists(costs):
        sections.append(_costs_section(_read_csv(costs, ["variant"]), currency))
    return sections


_SPLIT_PARTS = {
    "profit_customers_kept": "customers kept",
    "profit_visits_served": "visits served",
    "profit_staff_cost": "staff cost",
    "profit_paid_out": "money paid out",
    "profit": "= profit",
}
"""The rows of the profit split in compare.csv, in the order the report shows them."""


def _profit_split_section(frame: pd.DataFrame, currency: str) -> str:
    """Each variant's profit difference split into its parts (compare.csv's profit rows)."""
    if not set(_SPLIT_PARTS) <= set(frame["metric"]):
        return ""
    rows, classes = [], []
    parts = frame[frame["metric"].isin(list(_SPLIT_PARTS)) & ~frame["diff"].isna()]
    for variant in dict.fromkeys(parts["variant"]):
        mine = parts[parts["variant"] == variant].set_index("metric")
        for i, (metric, words) in enumerate(_SPLIT_PARTS.items()):
            row = mine.loc[metric]
            diff = _e(format_difference("profit", float(row["diff"]), currency))
            rows.append(
                [
                    _e(variant) if i == 0 else "",
                    f'<span class="text">{_e(words)}</span>',
                    f"<b>{diff}</b>" if metric == "profit" else diff,
                    _e(
                        _interval("profit", row["diff_ci_low"], row["diff_ci_high"], currency, True)
                    ),
                ]
            )
            classes.append("first" if i == 0 else "")
    note = (
        "<p>Customers kept: the relationship margin (<code>value_per_period</code>) of the "
        "extra customers still active at each period's end, referrals included; visits "
        "served: <code>value_per_visit</code> of the extra served visits; staff cost: minus "
        "the extra roster cost (which pays all agent time, recovery and farewells included); "
        "money paid out: minus the extra coupons and delight extras. Profit is the sum of "
        "these parts in every replication, so the paired differences add up replication by "
        "replication and their means add up to the profit difference (rounded here). Each "
        "95 % interval is the Student-t interval of that part's own paired differences; "
        "intervals do not add up.</p>"
    )
    header = ["variant", "part", "difference from base", "95% CI"]
    return _section("Where each profit difference comes from", _table(header, rows, classes) + note)


def _costs_section(frame: pd.DataFrame, currency: str) -> str:
    if frame.empty:
        return ""
    # All costs (staff, recovery and extras) when the comparison has them; the unit
    # cost divides the same difference the caption names, nothing else.
    total = "total_cost_diff" in frame
    cost = "total_cost_diff" if total else "staff_cost_diff"
    rows = []
    for row in frame.to_dict("records"):
        gain = f"{row['gain_diff']:+.3g} {row.get('gain_unit', '')}"
        low, high = row.get("gain_diff_ci_low"), row.get("gain_diff_ci_high")
        interval = "–" if _nan(low) else f"[{float(low):+.3g}, {float(high):+.3g}]"
        cells = [
            _e(row["variant"]),
            _e(metric_info(str(row["gain_metric"])).label),
            _e(gain),
            _e(interval),
            "yes" if bool(row.get("gain_significant")) else "no",
            _e(format_difference("staff_cost", row["staff_cost_diff"], currency)),
            _e(format_difference("agent_hours", row["agent_hours_diff"])),
        ]
        if total:
            cells += [
                _e(format_difference("staff_cost", row["other_cost_diff"], currency)),
                _e(format_difference("staff_cost", row["total_cost_diff"], currency)),
            ]
        cells.append(_e(cost_per_unit_of_gain(row, cost, currency)))
        rows.append(cells)
    header = ["variant", "gain in", "gain", "95% CI", "clear?", "staff cost", "agent-hours"]
    if total:
        header += ["recovery and extras", "all costs"]
    header.append("cost per unit of gain")
    what = "all costs (staff, recovery and extras)" if total else "staff cost"
    note = (
        f"Cost per unit of gain is the difference in {what} divided by the gain (recovery "
        "and extras count as money paid out), shown "
        "only where the gain is clear (its 95 % interval excludes zero): a price per "
        "point gained, or a saving per point given up; a variant both better and cheaper "
        "“gains and saves”, one both worse and dearer “loses and costs more”."
    )
    return _section("What each gain costs", _table(header, rows) + f"<p>{_e(note)}</p>")


_GAIN_UNITS = {"percentage points": "pp", "points": "point"}


def cost_per_unit_of_gain(row: Mapping[str, Any], cost: str, currency: str = "€") -> str:
    """The cost column ``cost`` of a cost-effectiveness row per unit of its gain, in words.

    ``–`` unless the gain is clear; ``€958 per pp gained``; ``saves €40 per pp given
    up``; ``gains and saves``, ``gains at no extra cost``, ``loses and costs more``,
    ``loses and saves nothing``.
    """
    gain, spent = float(row["gain_diff"]), float(row[cost])
    if not bool(row.get("gain_significant")) or math.isnan(gain) or gain == 0:
        return "– (no clear gain)"
    unit = _GAIN_UNITS.get(str(row.get("gain_unit")), str(row.get("gain_unit") or "unit"))
    per = format_value("staff_cost", abs(spent / gain), currency)
    if gain > 0:
        if spent > 0:
            return f"{per} per {unit} gained"
        return "gains and saves" if spent < 0 else "gains at no extra cost"
    if spent < 0:
        return f"saves {per} per {unit} given up"
    return "loses and costs more" if spent > 0 else "loses and saves nothing"


def _sweep_sections(
    folder: Path, manifest: Mapping[str, Any], summary: Mapping[str, Any], currency: str
) -> list[str]:
    from peakend.output.experiment_plots import factor_columns

    path = folder / "sweep_summary.csv"
    if not os.path.lexists(path):
        raise ReportError(f"{folder}: a sweep without sweep_summary.csv")
    frame = _read_csv(path, ["scenario", "metric", "mean", "ci_low", "ci_high"])
    factors = factor_columns(frame)
    story = {name: i for i, name in enumerate(METRICS)}
    metrics = sorted(dict.fromkeys(frame["metric"]), key=lambda m: story.get(m, len(story)))
    plotted = {p.stem.removeprefix("sweep_") for p in (folder / "plots").glob("sweep_*.png")}
    shown: list[str] = []
    others: list[str] = []
    for metric in metrics:
        group = frame[frame["metric"] == metric].to_dict("records")
        rows = [
            [
                _e(row["scenario"]),
                *(_e(row[f]) for f in factors),
                _e(format_value(metric, row["mean"], currency)),
                _e(_interval(metric, row["ci_low"], row["ci_high"], currency)),
                _e(row.get("n", "")),
            ]
            for row in group
        ]
        header = ["scenario", *factors, "mean", "95% CI", "n"]
        table = f"<h3>{_e(metric_info(metric).label)}</h3>" + _table(header, rows)
        (shown if metric in plotted or not plotted else others).append(table)
    if others:
        shown.append(
            f"<details><summary>the other {len(others)} metrics</summary>"
            + "\n".join(others)
            + "</details>"
        )
    parts = shown
    return [_section("Results by sweep point", "\n".join(parts))]


# ------------------------------------------------------------------ plots and more


def _plots(folder: Path) -> str:
    # The experiment's plots in the story's order: service, memory, retention, profit.
    story = {name: i for i, name in enumerate(METRICS)}
    plots = sorted(
        (folder / "plots").glob("*.png"),
        key=lambda p: (story.get(p.stem.partition("_")[2], len(story)), p.name),
    )
    images = sorted(folder.glob("*.png")) + plots
    figures = []
    for path in images:
        data = base64.b64encode(_read_file(path)).decode("ascii")
        caption = _caption(path.stem)
        svg = "; an SVG lies beside it" if path.with_suffix(".svg").is_file() else ""
        figures.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)} (<code>{_e(path.relative_to(folder))}</code>"
            f"{svg})</figcaption></figure>"
        )
    return _section("Plots", "\n".join(figures))


_CAPTIONS = {
    "trace": "One sampled customer's journey, moment by moment: worst moment and end marked",
    "remembered_vs_experienced": "What customers remember against what they lived through",
    "retention_curve": "Initial customers still active after each period",
    "profit": "Profit per period",
    "visits": "Visits per period (the load that comes back)",
}


def _caption(stem: str) -> str:
    """A plot's caption from its file name (``compare_profit``: "Profit: ...")."""
    for prefix, text in (
        ("compare_", "each variant and its paired difference from the base"),
        ("sweep_", "against the swept factor, 95 % CI band"),
    ):
        if stem.startswith(prefix):
            return f"{metric_info(stem.removeprefix(prefix)).label}: {text}"
    if stem.startswith("intervals_"):
        return f"Service level and staffing by interval, pool {stem.removeprefix('intervals_')}"
    return _CAPTIONS.get(stem, stem.replace("_", " "))


def _assumptions(scenario: Mapping[str, Any]) -> str:
    rows = []
    for item in ASSUMPTIONS:
        value = _get(scenario, item.key)
        if value is None:
            continue
        shown = "" if isinstance(value, Mapping) and item.key == "pools" else _short(value)
        rows.append(
            [
                f"<code>{_e(item.key)}</code>",
                f'<span class="text">{_e(shown)}</span>',
                f'<span class="text">{_e(item.what)}</span>',
                f'<span class="text">{_e(item.source)}</span>',
            ]
        )
    if not rows:
        return ""
    intro = (
        "<p>The results rest on these parameters; the values are this scenario's, the "
        "sources where the defaults come from.</p>"
    )
    return _section(
        "Assumptions and their sources", intro + _table(["key", "value", "what", "source"], rows)
    )


def _short(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _dictionary(folder: Path) -> str:
    path = folder / "data_dictionary.csv"
    if not os.path.lexists(path):
        return ""
    columns = ["file", "column", "unit", "description"]
    frame = _read_csv(path, columns, keep_default_na=False)
    rows = [
        [
            f"<code>{_e(r['file'])}</code>",
            f"<code>{_e(r['column'])}</code>",
            _e(r["unit"]),
            f'<span class="text">{_e(r["description"])}</span>',
        ]
        for r in frame.to_dict("records")
    ]
    table = _table(["file", "column", "unit", "meaning"], rows)
    return _section(
        "Data dictionary",
        f"<details><summary>every column of the tables in this folder ({len(rows)})</summary>"
        f"{table}</details>",
    )


def _provenance(
    folder: Path, manifest: Mapping[str, Any], summary: Mapping[str, Any], kind: str
) -> str:
    versions = ", ".join(
        f"{name} {manifest[key]}"
        for name, key in (
            ("peakend", "peakend_version"),
            ("Python", "python"),
            ("NumPy", "numpy"),
            ("SimPy", "simpy"),
        )
        if manifest.get(key)
    )
    seed = _seed(manifest, summary)
    files = ", ".join(
        f"<code>{_e(p.name)}</code>" for p in sorted(folder.iterdir()) if not p.name.startswith(".")
    )
    return _section(
        "Provenance",
        f"<p>{_e(versions)}; seed {_e(seed)}.</p>{_run_it_again(folder, manifest, kind, seed)}"
        f"<p>Files: {files}.</p>",
    )


def _run_it_again(folder: Path, manifest: Mapping[str, Any], kind: str, seed: Any) -> str:
    """The command that reruns the folder's own resolved config, when the folder has it."""
    needed = [RESOLVED_CONFIG] if kind == "run" else [RESOLVED_EXPERIMENT, RESOLVED_BASE]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        return (
            f"<p>This folder has no <code>{_e(missing[0])}</code> (written by an older "
            "peakend): run the original scenario or experiment file again with seed "
            f"{_e(seed)} to reproduce it.</p>"
        )
    command = rerun_command(kind, len(_specs(manifest)))
    what = (
        "the resolved scenario"
        if kind == "run"
        else f"the experiment as it ran, whose base is <code>{RESOLVED_BASE}</code>"
    )
    return (
        f'<p>Run it again: in this folder, or a copy of it anywhere, <code class="rerun">'
        f"{_e(command)}</code> runs <code>{_e(needed[0])}</code> ({what}, seed {_e(seed)}) "
        f"into <code>{RERUN_FOLDER}/</code>, whose <code>summary.json</code> equals this "
        "folder's byte for byte (the executor and the number of workers do not change the "
        "numbers).</p>"
    )
