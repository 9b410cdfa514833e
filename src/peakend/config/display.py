"""A scenario at a glance: the one-line text and the HTML table of a notebook.

:class:`~peakend.config.schema.Scenario` shows itself through these functions
(``repr(scenario)`` and Jupyter's ``_repr_html_``): what a reader checks before
running it (the day, the expected arrivals, each pool's agents, the segments,
the memory model, the periods, the seed and the replications) rather than every
field (``peakend show`` prints the whole resolved scenario as TOML). Names are
escaped (:mod:`peakend.base.names`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peakend.base.names import html_text, printable

if TYPE_CHECKING:
    from peakend.config.schema import Scenario

__all__ = ["scenario_facts", "scenario_html", "scenario_text"]


def scenario_facts(scenario: Scenario) -> list[tuple[str, str]]:
    """``(what, value)`` rows: the day, arrivals, pools, segments, memory, periods, run."""
    arrivals = scenario.arrivals
    day = (
        f"{scenario.intervals} intervals of {arrivals.interval_minutes:g} min from "
        f"{scenario.run.opens_at} ({scenario.horizon_minutes / 60:g} h)"
    )
    expected = (
        f"{len(arrivals.times):,} replayed"
        if arrivals.times
        else f"about {sum(arrivals.rate_per_hour) * arrivals.interval_minutes / 60:,.0f} a day"
    )
    pools = ", ".join(
        f"{name} ({min(pool.staffing)}-{max(pool.staffing)} agents)"
        for name, pool in scenario.pools.items()
    )
    segments = ", ".join(
        f"{name} ({segment.share:.0%})" for name, segment in scenario.segments.items()
    )
    memory = scenario.experience.memory.get("model", "?") if scenario.experience.enabled else "off"
    retention = scenario.retention
    periods = (
        "one day"
        if retention.periods == 1
        else f"{retention.periods} {retention.period_name}s of {retention.days_per_period} days"
    )
    run = f"seed {scenario.run.seed}, {scenario.run.replications} replications"
    rows = [("day", day), ("arrivals", expected), ("pools", pools), ("segments", segments)]
    return rows + [("memory model", str(memory)), ("horizon", periods), ("run", run)]


def scenario_text(scenario: Scenario) -> str:
    """``Scenario('name': day; arrivals; pools; ...)``, on one line."""
    facts = "; ".join(f"{what} {value}" for what, value in scenario_facts(scenario))
    return f"Scenario({printable(scenario.name)!r}: {printable(facts)})"


def scenario_html(scenario: Scenario) -> str:
    """The name, the description and :func:`scenario_facts` as an HTML table."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html_text(what)}</th><td>{html_text(value)}</td></tr>"
        for what, value in scenario_facts(scenario)
    )
    about = f"<p>{html_text(scenario.description)}</p>" if scenario.description else ""
    return (
        f"<div class='peakend-scenario'><p><strong>Scenario {html_text(scenario.name)}</strong>"
        f"</p>{about}<table>{rows}</table></div>"
    )
