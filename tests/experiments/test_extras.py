"""Optional extras: asking for a feature whose extra is missing names the extra."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from peakend.cli.main import main
from peakend.config.extras import EXTRAS, MissingExtraError, require
from peakend.runs.executors import DaskExecutor, make_executor

from conftest import ROOT


@pytest.fixture
def without_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dask as it is on a core install: ``import distributed`` fails."""
    monkeypatch.setitem(sys.modules, "distributed", None)


def test_require_returns_an_installed_module() -> None:
    assert require("json", "JSON", "dask") is sys.modules["json"]


def test_require_names_the_extra_of_a_missing_module(without_dask: None) -> None:
    with pytest.raises(MissingExtraError) as caught:
        require("distributed", "the Dask executor", "dask", parameter="address")
    error = caught.value
    assert isinstance(error, ImportError)
    assert (error.extra, error.parameter, error.name) == ("dask", "address", "distributed")
    assert "pip install 'peakend[dask]'" in str(error)


def test_require_knows_only_declared_extras() -> None:
    with pytest.raises(ValueError, match="unknown extra 'gpu'"):
        require("json", "JSON", "gpu")


def test_every_extra_is_declared_in_pyproject() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(EXTRAS) <= set(project["optional-dependencies"])
    assert not any("dask" in dep or "distributed" in dep for dep in project["dependencies"])


def test_a_dask_executor_without_dask_names_the_extra(without_dask: None) -> None:
    for make in (lambda: DaskExecutor("local"), lambda: make_executor(dask_address="local")):
        with pytest.raises(MissingExtraError, match=r"peakend\[dask\]"):
            make()
    # the other executors need nothing optional
    assert make_executor("serial").kind == "serial"


def test_a_bad_dask_address_is_reported_before_the_missing_extra(without_dask: None) -> None:
    with pytest.raises(ValueError, match="Dask address 'nowhere'"):
        make_executor(dask_address="nowhere")


def test_the_cli_says_which_extra_in_one_line_and_exits_2(
    without_dask: None, tmp_path: Path
) -> None:
    config = str(ROOT / "configs" / "contact_centre.toml")
    out = tmp_path / "out"
    args = ["run", config, "-r", "1", "--dask", "local", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("peakend: error: --dask: the Dask executor needs")
    assert lines[0].endswith("pip install 'peakend[dask]'")
    assert not out.exists()
