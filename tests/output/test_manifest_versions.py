"""Every manifest records the versions a result depends on: peakend, Python, NumPy, SimPy."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy
import simpy
import tomli_w
from click.testing import CliRunner

from peakend._version import __version__, software_versions
from peakend.cli.experiments import compare
from peakend.cli.main import main

from conftest import busy_day_data

EXPECTED = {
    "peakend_version": __version__,
    "python": platform.python_version(),
    "numpy": numpy.__version__,
    "simpy": simpy.__version__,
}


def test_software_versions_are_the_running_ones() -> None:
    assert software_versions() == EXPECTED


def _manifest(folder: Path) -> dict[str, object]:
    return dict(json.loads((folder / "manifest.json").read_text()))


def test_a_run_and_a_comparison_record_numpy_and_simpy(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text(tomli_w.dumps(busy_day_data()))
    (tmp_path / "whatif.toml").write_text(
        'name = "whatif"\nbase = "base.toml"\nreplications = 2\n'
        '[variants.more]\nset = ["pools.agents.staffing+=1"]\n'
    )
    serial = ["--executor", "serial", "-q"]
    ran = CliRunner().invoke(
        main, ["run", str(base), "-r", "1", "-o", str(tmp_path / "r"), *serial]
    )
    assert ran.exit_code == 0, ran.output
    args = [str(tmp_path / "whatif.toml"), "-o", str(tmp_path / "c"), *serial]
    compared = CliRunner().invoke(compare, args)
    assert compared.exit_code == 0, compared.output
    for folder in (tmp_path / "r", tmp_path / "c"):
        manifest = _manifest(folder)
        assert {key: manifest[key] for key in EXPECTED} == EXPECTED, folder
