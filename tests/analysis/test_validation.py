"""The engine against Erlang C and Erlang A, with tolerances from confidence intervals.

Each check passes when the closed-form value lies in the simulation's 99.9 %
Student-t interval over replications (see peakend.checks.validate for why 99.9 %).
Seeds are fixed, so the outcome is reproducible.
"""

from __future__ import annotations

import pytest

from peakend.checks.validate import QueueCase, queue_cases, run_queue_case

CASES = {case.name: case for case in queue_cases()}


@pytest.mark.parametrize(
    "name",
    [
        "Erlang C, A=10, 14 agents (reference case)",
        "Erlang A, rho=1.0, 10 agents",
        "Erlang A, rho=1.3 (overload), 10 agents",
    ],
)
def test_engine_agrees_with_closed_form(name):
    rows = run_queue_case(CASES[name], replications=8, horizon=2000.0, warmup=200.0, seed=11)
    failures = [row for row in rows if not row.passed]
    assert not failures, failures
    assert {row.metric for row in rows} >= {"prob_wait", "mean_wait_minutes", "service_level"}


def test_check_detects_a_wrong_engine():
    """The check can fail: claim 13 agents' figures for a 14-agent system."""
    wrong = QueueCase("mislabelled", 100 / 30, 3.0, 14)
    rows = run_queue_case(wrong, replications=8, horizon=2000.0, warmup=200.0, seed=11)
    truth_13 = QueueCase("13 agents", 100 / 30, 3.0, 13).analytic()
    mislabelled = [
        row.ci_low <= truth_13[row.metric] <= row.ci_high
        for row in rows
        if row.metric != "occupancy"
    ]
    assert not all(mislabelled)


def test_mm1_sanity():
    rows = run_queue_case(
        QueueCase("M/M/1", 0.8, 1.0, 1, threshold_minutes=1.0), 8, 8000.0, 800.0, 5
    )
    by_metric = {row.metric: row for row in rows}
    assert by_metric["prob_wait"].analytic == pytest.approx(0.8)
    assert by_metric["mean_wait_minutes"].analytic == pytest.approx(4.0)
    assert all(row.passed for row in rows), rows


def test_quick_leaves_the_levers_suite_to_the_full_run(monkeypatch):
    """``validate --quick`` is a smoke check in seconds; the full run adds the levers suite
    (each part stubbed here: the parts are tested on their own)."""
    from peakend.checks import validate

    section = validate.Section("levers", ("lever",), [("more agents",)], True)
    for name in ("priority_checks", "tandem_checks", "chat_checks", "_classics"):
        monkeypatch.setattr(validate, name, lambda *args: [])
    monkeypatch.setattr(validate, "queue_cases", lambda: [])
    monkeypatch.setattr(validate, "_optimiser", lambda quick, seed: [])
    monkeypatch.setattr(validate, "_levers", lambda: [section])
    assert section not in validate.run_validation(quick=True).sections
    assert section in validate.run_validation(quick=False).sections
