"""A light, quick tool: ``import peakend`` and ``peakend --help`` load no heavy library.

Timings depend on the machine (benchmarks/bench_startup.py measures them); what the
tests pin down is the cause of a slow start: which modules a fresh process imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import peakend

HEAVY = ("scipy", "pandas", "numpy", "matplotlib", "simpy", "pyarrow", "pydantic", "distributed")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY)


def test_import_peakend_loads_no_heavy_library() -> None:
    assert _heavy(_modules_after("import peakend")) == []


def test_the_help_and_a_bad_option_load_no_heavy_library() -> None:
    for argv in (["--help"], ["run", "--help"], ["run", "--workers", "0", "x.toml"]):
        code = (
            "import sys\nfrom peakend.cli.main import main\n"
            f"sys.argv = ['peakend', *{argv!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass"
        )
        assert _heavy(_modules_after(code)) == [], argv


def test_a_public_name_loads_its_module_on_first_use() -> None:
    modules = _modules_after("import peakend\npeakend.PeakEnd")
    assert "peakend.experience.memory" in modules
    assert "peakend.simulation.replication" not in modules


@pytest.mark.parametrize("name", peakend.__all__)
def test_every_public_name_is_the_object_of_its_module(name: str) -> None:
    value = getattr(peakend, name)
    if name != "__version__":
        module = sys.modules[peakend._SOURCES[name]]
        assert value is getattr(module, name)
    assert name in dir(peakend)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'simulate_all'"):
        peakend.simulate_all  # noqa: B018
    assert not hasattr(peakend, "scipy")


def test_python_dash_m_peakend_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "peakend", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"peakend, version {peakend.__version__}"
    bad = subprocess.run(
        [sys.executable, "-m", "peakend", "run", "missing.toml"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "peakend: error: missing.toml: file not found"


def test_the_public_names_are_the_lazily_resolved_ones() -> None:
    assert sorted(peakend.__all__) == sorted([*peakend._SOURCES, "__version__"])


def test_a_small_run_with_out_imports_no_scipy_stats(tmp_path) -> None:
    """A plain ``peakend run --out`` needs only 95 % t quantiles: from a table
    (peakend.analysis.quantiles), not from ``scipy.stats`` (about a second to import)."""
    config = tmp_path / "tiny.toml"
    config.write_text(
        'name = "tiny"\n[run]\nreplications = 3\n[arrivals]\ninterval_minutes = 60.0\n'
        "rate_per_hour = [60.0]\n[segments.all]\nshare = 1.0\n"
        "[pools.agents]\nstaffing = [2]\n",
        encoding="utf-8",
    )
    argv = ["peakend", "run", str(config), "--out", str(tmp_path / "out"), "-q"]
    code = (
        f"import sys\nfrom peakend.cli.main import main\nsys.argv = {argv!r}\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code"
    )
    modules = _modules_after(code)
    assert (tmp_path / "out" / "summary.json").is_file()
    assert "peakend.analysis.stats" in modules
    assert "scipy.stats" not in modules


def test_a_run_big_enough_draws_its_plots_without_importing_matplotlib(tmp_path) -> None:
    """On an idle machine (its idle cores made 2 here), a run whose simulation hides
    the plot process's start-up (about 50,000 customers) leaves matplotlib to that
    process (peakend.output.plot_process): the command's own process never imports
    it, and the plots are there."""
    from peakend.config.budget import estimate_scenario
    from peakend.config.loading import load_scenario
    from peakend.output.plot_process import plot_process_pays
    from peakend.runs.executors import available_cores

    if available_cores() < 2:
        pytest.skip("one core: the plots are drawn in-process")
    config = tmp_path / "busy.toml"
    config.write_text(
        'name = "busy"\n[run]\nreplications = 1\n[arrivals]\ninterval_minutes = 5000.0\n'
        "rate_per_hour = [600.0]\n[segments.all]\nshare = 1.0\n"
        "[pools.agents]\nstaffing = [32]\n",
        encoding="utf-8",
    )
    estimated = estimate_scenario(load_scenario(config)).cpu_seconds
    assert plot_process_pays(estimated, idle_cores=2.0)
    argv = ["peakend", "run", str(config), "--out", str(tmp_path / "out"), "-q"]
    code = (
        "import peakend.output.plot_process as plots_helper\n"
        "plots_helper.idle_cores_now = lambda *args, **kwargs: 2.0\n"
        f"import sys\nfrom peakend.cli.main import main\nsys.argv = {argv!r}\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code"
    )
    modules = _modules_after(code)
    assert sorted((tmp_path / "out").glob("*.png"))
    assert "peakend.output.plot_process" in modules
    assert not [name for name in modules if name.split(".")[0] == "matplotlib"]
