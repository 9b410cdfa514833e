"""What an install needs: a licence, pinned versions for reproducible installs, extras."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, separator, version = line.partition("==")
            assert separator and re.fullmatch(r"[\w.+!-]+", version), line
            pins[_name(name)] = version
    return pins


def test_the_licence_is_the_mit_licence_that_pyproject_declares() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert PROJECT["license"] == {"text": "MIT"}
    assert text.startswith("MIT License\n\nCopyright (c) 2026 peakend developers\n")


def test_constraints_pin_every_dependency_of_the_core_dask_and_test_installs() -> None:
    pins = _pins()
    extras = PROJECT["optional-dependencies"]
    wanted = [*PROJECT["dependencies"], *extras["dask"], *extras["test"]]
    wanted += [*extras["excel"], *extras["notebooks"]]  # both part of the test install
    missing = sorted({_name(r) for r in wanted} - {"peakend"} - set(pins))
    assert missing == []
    assert {"numpy", "simpy", "distributed", "pyarrow", "openpyxl", "nbclient"} <= set(pins)


def test_ci_installs_with_the_constraints() -> None:
    assert 'pip install -q -c constraints.txt -e ".[test]"' in (ROOT / ".ci" / "run").read_text()


def test_the_core_install_leaves_out_what_only_some_users_need() -> None:
    core = {_name(r) for r in PROJECT["dependencies"]}
    assert not core & {"dask", "distributed", "pytest", "hypothesis", "ruff", "mypy"}
    assert "peakend[dask]" in PROJECT["optional-dependencies"]["test"]
