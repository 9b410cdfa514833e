"""Run, comparison and sweep directories written by the command line, made once per session.

A plugin of the suite (``pytest_plugins`` in tests/conftest.py): any test may ask for the
fixtures ``run_dir``, ``periods_dir``, ``compare_dir`` and ``sweep_dir``, and every test
of a session (of an xdist worker) shares the one folder each. Do not import them into a
test module: an imported fixture is built again for that module. Never change a folder:
copy it first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from peakend.cli.main import main

from conftest import ROOT

# Multi-period runs cut to two one-day periods: the same files, in a second or two.
SHORT = [
    "retention.periods=2",
    "retention.days_per_period=1",
    "retention.day_load=[1.0]",
    'retention.period_name="day"',
]


def _sets(overrides: list[str]) -> list[str]:
    return [arg for value in overrides for arg in ("--set", value)]


def invoke(*args: str | Path) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session", name="run_dir")
def run_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "day"
    invoke(
        "run",
        ROOT / "configs" / "contact_centre.toml",
        "-r",
        "2",
        "--executor",
        "serial",
        "--out",
        out,
        "-q",
    )
    return out


@pytest.fixture(scope="session", name="periods_dir")
def periods_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "periods"
    config = ROOT / "configs" / "contact_centre_12_weeks.toml"
    invoke("run", config, "-r", "2", "--executor", "serial", "--out", out, "-q", *_sets(SHORT))
    return out


@pytest.fixture(scope="session", name="compare_dir")
def compare_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "quickstart"
    experiment = ROOT / "experiments" / "quickstart.toml"
    invoke(
        "compare", experiment, "-r", "2", "--executor", "serial", "--out", out, "-q", *_sets(SHORT)
    )
    return out


@pytest.fixture(scope="session", name="sweep_dir")
def sweep_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "agents"
    experiment = ROOT / "experiments" / "agents_sweep.toml"
    invoke(
        "sweep", experiment, "-r", "2", "--executor", "serial", "--out", out, "-q", *_sets(SHORT)
    )
    return out
