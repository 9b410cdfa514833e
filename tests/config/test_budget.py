"""Bounded resources: work and memory estimated from the scenario, refused above a budget."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
import warnings
from typing import Any

import pytest

from peakend import ConfigError, scenario_from_dict
from peakend.config import budget
from peakend.config.budget import (
    DEFAULT_MEMORY_BUDGET_BYTES,
    BudgetError,
    LargeGridWarning,
    check_budget,
    check_grid_size,
    contacts_per_customer,
    estimate_experiment,
    estimate_scenario,
    expected_customers,
    format_bytes,
    parse_size,
)
from peakend.experiments.api import compare, run, sweep
from peakend.experiments.design import Experiment
from peakend.runs.runner import replicate, run_scenario

from conftest import ROOT, busy_day_data, mmc, mmc_data

CONFIG = ROOT / "configs" / "contact_centre.toml"


def test_expected_customers_is_the_integral_of_the_profile() -> None:
    scenario = scenario_from_dict(busy_day_data())  # 30-minute intervals
    assert expected_customers(scenario) == pytest.approx((40 + 90 + 120 + 60) / 2)


def test_contacts_per_customer_bounds() -> None:
    assert contacts_per_customer(mmc()) == 1.0  # nobody retries or contacts again
    data = mmc_data()
    data["segments"]["all"].update(retry_probability=1.0, max_contacts=7)
    assert contacts_per_customer(scenario_from_dict(data)) == 7.0
    data["segments"]["all"].update(retry_probability=0.5, max_contacts=3)
    assert contacts_per_customer(scenario_from_dict(data)) == pytest.approx(1 + 0.5 + 0.25)


def test_the_estimate_bounds_what_a_replication_really_allocates() -> None:
    """The estimate errs on the safe side: above the peak of what a replication allocates
    (traced by tracemalloc, numpy's arrays included), but not absurdly far above."""
    from peakend import load_scenario, scale_staffing

    big = scale_staffing(load_scenario(CONFIG, ["arrivals.rate_per_hour*=20"]), 20)
    workload = estimate_scenario(big, 1, keep_records=False)
    tracemalloc.start()
    try:
        result = replicate(big, 0, records=False)
        traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert workload.customers == pytest.approx(result.metrics["customers"], rel=0.05)
    estimated = workload.peak_bytes - budget._BASE_BYTES  # without the interpreter and libraries
    assert traced_peak < estimated < 4 * traced_peak, (traced_peak, estimated)


def _traced_peak(run: Any) -> tuple[Any, int]:
    """What ``run()`` returns and the peak of what it allocated (numpy's arrays included)."""
    tracemalloc.start()
    try:
        out = run()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_multi_period_estimate_bounds_what_it_allocates_streamed_and_held() -> None:
    """A multi-period replication that streams its records (``emit``) is estimated
    without them (``keep_records=False``), one that holds them with them, counted twice
    (the days' frames and their concatenation): each estimate lies above what the run
    allocates and within 4 times it, and the held estimate exceeds the streamed one by
    between once and twice the records' estimate (twice, less the last day, gone when
    they are concatenated), where the held run allocates at least the records'
    estimate more than the streamed one."""
    from peakend import load_scenario
    from peakend.config.budget import estimate_record_bytes
    from peakend.retention.multiperiod import run_periods

    twelve_weeks = ROOT / "configs" / "contact_centre_12_weeks.toml"
    # three of its weeks (a warm-up week and two counted): tracing 84 days takes long
    scenario = load_scenario(twelve_weeks, ["retention.periods=2"])
    held, held_peak = _traced_peak(lambda: run_periods(scenario, 0))
    _, streamed_peak = _traced_peak(lambda: run_periods(scenario, 0, emit=lambda *_: None))
    records = estimate_record_bytes(scenario)
    base = budget._BASE_BYTES  # the interpreter and libraries
    for keep, traced in ((False, streamed_peak), (True, held_peak)):
        workload = estimate_scenario(scenario, 1, keep_records=keep)
        assert len(held.visits) < workload.customers < 1.5 * len(held.visits)
        estimated = workload.peak_bytes - base
        assert traced < estimated < 4 * traced, (keep, traced, estimated)
    difference = (
        estimate_scenario(scenario, 1, keep_records=True).peak_bytes
        - estimate_scenario(scenario, 1, keep_records=False).peak_bytes
    )
    assert records < difference < 2 * records
    assert held_peak - streamed_peak > records, (held_peak, streamed_peak, records)


def test_a_streamed_year_is_bounded_by_its_customers_not_its_visits() -> None:
    """Streamed, a year of the 1,000-agent centre is estimated at its identified
    customers' memory, not at its visits' records: 52 weeks cost hardly more than 8,
    and the held year about 20 GiB more (docs/benchmarks.md measures both)."""
    from peakend import load_scenario

    year = ROOT / "benchmarks" / "contact_centre_year_1000.toml"
    streamed = {
        weeks: estimate_scenario(
            load_scenario(year, [f"retention.periods={weeks}"]), 1, keep_records=False
        ).peak_bytes
        for weeks in (8, 52)
    }
    held = estimate_scenario(load_scenario(year), 1, keep_records=True).peak_bytes
    assert streamed[52] < 1.5 * streamed[8]
    assert held > streamed[52] + 20 * 2**30


def test_budget_refuses_with_the_estimate_in_one_line() -> None:
    scenario = scenario_from_dict(busy_day_data(), overrides=("arrivals.rate_per_hour*=1e6",))
    workload = estimate_scenario(scenario)
    with pytest.raises(BudgetError) as caught:
        check_budget(workload)
    message = str(caught.value)
    assert isinstance(caught.value, ConfigError) and "\n" not in message
    assert "customers per replication" in message and "estimated peak memory" in message
    assert "above the memory budget of 4.0 GiB (memory_budget_bytes)" in message
    check_budget(workload, memory_budget_bytes=workload.peak_bytes + 1)  # raised: fine


def test_budget_parameter_is_checked() -> None:
    workload = estimate_scenario(mmc())
    for bad in (0, -1, True, float("nan")):
        with pytest.raises(ValueError, match="memory_budget_bytes must be a positive number"):
            check_budget(workload, bad)


def test_more_workers_and_replications_need_more_memory() -> None:
    scenario = scenario_from_dict(busy_day_data())
    one = estimate_scenario(scenario, 10)
    assert estimate_scenario(scenario, 10, workers=4).peak_bytes > one.peak_bytes
    assert estimate_scenario(scenario, 1000).peak_bytes > one.peak_bytes
    assert estimate_experiment([scenario] * 3, 10).scenarios == 3


def hundred_million_agents() -> dict[str, Any]:
    """1,000 pools of 100,000 agents: each within the schema's limits, 10^8 together."""
    data = busy_day_data()
    data["pools"] = {f"pool{i}": {"staffing": [100_000] * 4} for i in range(1000)}
    return data


@pytest.mark.parametrize(
    ("data", "overrides"),
    [
        (busy_day_data(), ("arrivals.interval_minutes=1e9",)),
        (busy_day_data(), ("arrivals.rate_per_hour*=1e8",)),
        (hundred_million_agents(), ()),
    ],
    ids=["horizon_1e9_minutes", "rate_1e8_per_hour", "agents_1e8"],
)
def test_api_refuses_before_simulating(
    data: dict[str, Any], overrides: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = scenario_from_dict(data, overrides=overrides)
    _never_simulate(monkeypatch)
    for call in (
        lambda: run_scenario(scenario),
        lambda: replicate(scenario, 0),
        lambda: run(scenario),
        lambda: compare(scenario, {"v": ["run.warmup_minutes=1"]}),
        lambda: sweep(scenario, {"run.warmup_minutes": [0, 1]}),
    ):
        with pytest.raises(BudgetError, match="above the memory budget"):
            call()


def _never_simulate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any simulation fail the test: a refusal must come before the first one
    (shown by what runs, not by a wall-clock bound that a busy machine could break)."""
    import peakend.runs.simulate as simulation

    def simulate(scenario: Any, replication: int) -> Any:
        raise AssertionError("a replication was simulated before the refusal")

    monkeypatch.setattr(simulation, "simulate_blocks", simulate)


def _never_call(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Make ``module.name`` fail the test if called (e.g. building a refused grid)."""

    def called(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} was called before the refusal")

    monkeypatch.setattr(module, name, called)


def test_a_raised_budget_lets_a_run_through() -> None:
    scenario = mmc(horizon=200.0, warmup=10.0)
    with pytest.raises(BudgetError):
        run_scenario(scenario, 1, memory_budget_bytes=1000)
    result = run_scenario(scenario, 1, memory_budget_bytes=10 * DEFAULT_MEMORY_BUDGET_BYTES)
    assert len(result.replications) == 1
    frame = compare(scenario, {"v": ["run.warmup_minutes=20"]}, replications=2,
                    memory_budget_bytes=10 * DEFAULT_MEMORY_BUDGET_BYTES)  # fmt: skip
    assert set(frame["variant"]) == {"base", "v"}


def test_grid_size_warns_then_refuses_before_building_the_grid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import peakend.experiments.design as design

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_grid_size(1000)
    with pytest.warns(LargeGridWarning, match="1,001 scenarios"):
        check_grid_size(1001)
    with pytest.raises(BudgetError, match="27,000 scenarios, more than the limit of 10,000"):
        check_grid_size(27_000)
    with pytest.warns(LargeGridWarning):
        check_grid_size(27_000, max_scenarios=30_000)  # raised: allowed, with the warning
    factors = {
        "pools.agents.absenteeism": [i / 100 for i in range(30)],
        "run.warmup_minutes": list(range(30)),
        "pools.agents.first_contact_resolution": [i / 30 for i in range(30)],
    }
    experiment = Experiment.from_scenario(mmc(), factors=factors)
    _never_call(monkeypatch, design, "expand")  # the grid is never built
    with pytest.raises(BudgetError, match=r"sweep\.factors: the sweep has 27,000 scenarios"):
        experiment.specs("sweep")
    with pytest.raises(BudgetError, match="27,000 scenarios"):
        sweep(experiment)


def test_sizes_and_bytes() -> None:
    assert parse_size("8GiB") == 8 * 2**30
    assert parse_size("500MB") == 500 * 10**6
    assert parse_size("1000") == 1000
    with pytest.raises(ValueError, match="expected a size"):
        parse_size("lots")
    assert format_bytes(4 * 2**30) == "4.0 GiB"
    assert format_bytes(12) == "12 B"


# ------------------------------------------------------------------ the command line

# Runs the command in a child and reports the child's exit status and peak RSS:
# RUSAGE_CHILDREN of this small parent sees only that child (and its children). The
# timeout is only a safety bound for a child that hangs.
MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.stderr.write(done.stderr)
"""


@pytest.mark.parametrize(
    "override",
    ["arrivals.interval_minutes=1e9", "arrivals.rate_per_hour*=1e8"],
    ids=["horizon_1e9_minutes", "rate_1e8_per_hour"],
)
def test_cli_refuses_huge_runs_small(override: str, tmp_path) -> None:
    command = [sys.executable, "-m", "peakend.cli.main", "run", str(CONFIG), "--set", override]
    command += ["--out", str(tmp_path / "out")]
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    status, peak_rss = measured.stdout.split()
    assert int(status) == 2, measured.stderr
    lines = measured.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in measured.stderr, measured.stderr
    assert "customers per replication" in lines[0] and "estimated peak memory" in lines[0]
    assert "above the memory budget of 4.0 GiB (--memory-budget)" in lines[0]
    # Refused before anything runs: the run itself would take hours and tens of GB.
    # (That nothing is simulated is shown in-process by the next test; no wall-clock
    # bound here, which a busy machine could break.)
    assert int(peak_rss) < 300 * 2**20
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "override",
    ["arrivals.interval_minutes=1e9", "arrivals.rate_per_hour*=1e8"],
    ids=["horizon_1e9_minutes", "rate_1e8_per_hour"],
)
def test_the_cli_refuses_before_simulating(
    override: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from peakend.cli.main import main

    _never_simulate(monkeypatch)  # the run itself would take hours
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", str(CONFIG), "--set", override, "--out", "o"])
    assert result.exit_code == 2 and "estimated peak memory" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_memory_budget_and_workers_options(tmp_path) -> None:
    from click.testing import CliRunner

    from peakend.cli.main import main
    from peakend.runs.executors import available_cores

    runner = CliRunner()
    args = ["run", str(CONFIG), "-r", "2", "--executor", "serial"]
    small = runner.invoke(main, [*args, "--memory-budget", "10MB"])
    assert small.exit_code == 2 and "memory budget of 9.5 MiB (--memory-budget)" in small.output
    bad = runner.invoke(main, [*args, "--memory-budget", "lots"])
    assert bad.exit_code == 2 and "--memory-budget" in bad.output
    many = str(available_cores() + 1)
    refused = runner.invoke(main, ["run", str(CONFIG), "--workers", many])
    assert refused.exit_code == 2
    assert f"--workers {many}: more than the {available_cores()} usable cores" in refused.output
    assert "--force-workers allows it" in refused.output


def test_a_comparison_with_too_many_variants_is_refused_before_resolving_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import peakend.experiments.design as design

    variants = {f"v{i}": [f"run.warmup_minutes={i % 50}"] for i in range(10_001)}
    experiment = Experiment.from_scenario(mmc(), variants=variants)
    _never_call(monkeypatch, design, "resolve_overrides")
    with pytest.raises(BudgetError, match="variants: the comparison has 10,002 scenarios"):
        experiment.specs("compare")


def test_the_cli_prints_a_large_grid_warning_as_one_line(tmp_path) -> None:
    from click.testing import CliRunner

    from peakend.cli.main import main

    levels = ", ".join(str(i / 10) for i in range(1001))
    (tmp_path / "big.toml").write_text(
        f'name = "big"\nbase = "{CONFIG}"\nreplications = 1\n'
        f'[sweep.factors]\n"run.warmup_minutes" = [{levels}]\n'
    )
    args = ["sweep", str(tmp_path / "big.toml"), "--executor", "serial", "--memory-budget", "1MB"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "peakend: warning: the sweep has 1,001 scenarios (more than 1,000)"
    assert len(lines) == 2 and "too big to run" in lines[1]
    assert not (tmp_path / "out").exists()


def test_replayed_arrivals_are_the_customers_and_cost_memory_in_every_process() -> None:
    # A replay of 100,000 arrivals whose scenario claims a tiny profile: the estimate
    # counts the replayed customers, as a Poisson day of 100,000 customers, plus
    # 250 B an arrival in every process that holds the scenario.
    data = busy_day_data()
    times = [i * 0.0002 for i in range(100_000)]  # all in the first interval
    replay = scenario_from_dict({**data, "arrivals": {**data["arrivals"], "times": times}})
    poisson = scenario_from_dict(
        {**data, "arrivals": {**data["arrivals"], "rate_per_hour": [200_000, 0, 0, 0]}}
    )
    assert expected_customers(replay) == expected_customers(poisson) == 100_000
    for workers, processes in ((1, 1), (2, 3)):  # the caller, and each worker
        with_replay = estimate_scenario(replay, 2, workers=workers)
        without = estimate_scenario(poisson, 2, workers=workers)
        assert with_replay.customers == without.customers
        extra = with_replay.peak_bytes - without.peak_bytes
        assert extra == pytest.approx(processes * 100_000 * 250)
    with pytest.raises(BudgetError, match="~100,000 customers per replication"):
        check_budget(estimate_scenario(replay), 256 * 2**20)


# One replication in a fresh child, as benchmarks/bench_memory.py measures it: its own
# peak resident set (the kernel's high-water mark) beside the estimate.
REPLICATE = """
import json, sys
from peakend import scenario_from_dict
from peakend.config.budget import estimate_scenario
from peakend.runs.runner import replicate
scenario = scenario_from_dict(json.loads(sys.argv[1]))
keep = sys.argv[2] == "kept"
estimate = estimate_scenario(scenario, 1, keep_records=keep).peak_bytes
if keep:  # as peakend run --out keeps them: the result, then each table as written out
    from peakend.runs.runner import run_scenario
    result = run_scenario(scenario, 1)
    len(result.customers_frame()), len(result.contacts_frame())
    customers = result.summary["customers"].mean
else:
    customers = replicate(scenario, 0, records=False).metrics["customers"]
# The kernel's high-water mark of this process since it started (ru_maxrss would carry
# the peak of the pytest worker that started it through exec).
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
peak = int(status["VmHWM"].split()[0]) * 1024
print(customers, peak, estimate)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("experience", "records"),
    [(True, "dropped"), (False, "dropped"), (True, "kept")],
    ids=["experience", "queueing_only", "records_kept"],
)
def test_the_estimate_is_within_30_percent_of_the_measured_peak(
    experience: bool, records: str
) -> None:
    """The budget's constants tell the truth (issue 21): on the benchmark's M/M/32+M
    with 100,000 customers, the estimate is within 30 % of the peak resident set of the
    process that runs the replication, its records made and dropped (an experiment's,
    a streamed run's) or kept (the tolerance the constants were fitted to, from 10^5 to
    10^7 customers; docs/benchmarks.md)."""
    import json

    data = mmc_data(10.0, 3.0, 32, 5.0, horizon=10_000.0, warmup=0.0)
    data["experience"] = {"enabled": experience}
    done = subprocess.run(
        [sys.executable, "-c", REPLICATE, json.dumps(data), records],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    customers, peak, estimate = (float(value) for value in done.stdout.split())
    assert customers > 90_000
    assert 0.7 * peak <= estimate <= 1.3 * peak, (peak / 2**20, estimate / 2**20)


def test_the_estimate_makes_records_in_the_engines_blocks() -> None:
    """The budget (a lower layer) repeats the engine's block size: they must agree."""
    from peakend.config import budget
    from peakend.engine.recorder import CUSTOMER_BLOCK

    assert budget._CUSTOMER_BLOCK == CUSTOMER_BLOCK
