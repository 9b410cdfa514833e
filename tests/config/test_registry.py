"""A config is data: pluggable models by registered name, entry points, no imports from configs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from peakend import ConfigError, load_scenario, scenario_from_dict
from peakend.base.registry import Registry
from peakend.cli.main import main
from peakend.experience.memory import (
    BaseMemoryModel,
    available_memory_models,
    memory_model_from_spec,
)
from peakend.retention.returns import BaseReturnModel, return_model_from_config
from peakend.runs.runner import replicate

from conftest import ROOT, busy_day_data

CONFIG = ROOT / "configs" / "contact_centre.toml"

PLUGIN_SOURCE = '''
from dataclasses import dataclass

import numpy as np

from peakend.experience.memory import BaseMemoryModel, summarize
from peakend.retention.returns import LogisticReturn


@dataclass(frozen=True)
class WorstTimes(BaseMemoryModel):
    """The worst moment, scaled: a third-party model."""

    scale: float = 1.0

    def remember(self, traces):
        return self.scale * summarize(traces)["worst"]


@dataclass(frozen=True)
class NeverBack(LogisticReturn):
    def probability(self, remembered, effort, loyalty):
        return np.zeros(len(remembered))


class NotAModel:
    pass
'''


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def install_plugin(root: Path, entry_points: str, source: str = PLUGIN_SOURCE) -> str:
    """A tiny installed distribution on ``root``: a module and its ``*.dist-info``."""
    module = unique("peakend_plugin")
    (root / f"{module}.py").write_text(source)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points.format(module=module))
    return module


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str]]:
    """An installed plugin declaring models under fresh names; yields (module, names)."""
    names = {kind: unique(kind) for kind in ("worst", "never_back", "not_a_model", "broken")}
    entry_points = textwrap.dedent(
        f"""\
        [peakend.memory_models]
        {names["worst"]} = {{module}}:WorstTimes
        {names["not_a_model"]} = {{module}}:NotAModel
        {names["broken"]} = {{module}}:NoSuchClass

        [peakend.return_models]
        {names["never_back"]} = {{module}}:NeverBack
        """
    )
    module = install_plugin(tmp_path, entry_points)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield module, names
    sys.modules.pop(module, None)


# ------------------------------------------------------------------ entry points


def test_an_entry_point_model_works_from_a_config_by_its_name(plugin) -> None:
    module, names = plugin
    assert module not in sys.modules
    data = busy_day_data()
    data["experience"] = {"memory": {"model": names["worst"], "scale": 2.0}}
    scenario = scenario_from_dict(data, "plugin.toml")
    model = memory_model_from_spec(scenario.experience.memory)
    assert type(model).__name__ == "WorstTimes" and model.scale == 2.0  # type: ignore[attr-defined]
    assert module in sys.modules  # loaded lazily, on first use of its name
    assert available_memory_models()[names["worst"]] is type(model)
    result = replicate(scenario, 0)
    assert np.isfinite(result.metrics["mean_remembered_utility"])
    # the worst moment of every customer, doubled
    assert result.metrics["mean_remembered_utility"] == pytest.approx(
        2.0 * result.metrics["mean_worst_utility"]
    )


def test_an_entry_point_model_runs_from_a_scenario_file(plugin, tmp_path, monkeypatch) -> None:
    import tomli_w

    _, names = plugin
    data = busy_day_data()
    data["experience"] = {"memory": {"model": names["worst"], "scale": 3.0}}
    (tmp_path / "plugin.toml").write_text(tomli_w.dumps(data))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    shown = runner.invoke(main, ["show", "plugin.toml"])
    assert shown.exit_code == 0, shown.output
    assert f'model = "{names["worst"]}"' in shown.output
    ran = runner.invoke(main, ["run", "plugin.toml", "-r", "1", "--executor", "serial", "-q"])
    assert ran.exit_code == 0, ran.output


def test_entry_point_parameters_are_checked_against_its_fields(plugin) -> None:
    _, names = plugin
    data = busy_day_data()
    data["experience"] = {"memory": {"model": names["worst"], "factor": 2.0}}
    with pytest.raises(ConfigError) as caught:
        scenario_from_dict(data, "plugin.toml")
    message = str(caught.value)
    assert message.count("\n") == 0
    assert "plugin.toml: experience.memory: unknown parameter(s) factor" in message
    assert "allowed: scale" in message


def test_entry_points_must_point_at_a_model_subclass(plugin) -> None:
    _, names = plugin
    with pytest.raises(ValueError, match="is not a subclass of BaseMemoryModel"):
        memory_model_from_spec({"model": names["not_a_model"]})
    with pytest.raises(ValueError, match="cannot load memory model .*AttributeError"):
        memory_model_from_spec({"model": names["broken"]})
    assert names["not_a_model"] not in available_memory_models()


def test_a_return_model_from_an_entry_point(plugin) -> None:
    _, names = plugin
    data = busy_day_data()
    data["retention"] = {"returns": {"model": names["never_back"]}}
    scenario = scenario_from_dict(data)
    model = return_model_from_config(scenario.retention.returns)
    assert isinstance(model, BaseReturnModel)
    assert model.probability(np.zeros(3), np.zeros(3), np.zeros(3)).tolist() == [0, 0, 0]


def test_built_in_names_never_load_entry_points(tmp_path, monkeypatch) -> None:
    # a package declaring a built-in name is not loaded: built-ins win
    source = "open(__file__ + '.imported', 'w').close()\n" + PLUGIN_SOURCE
    module = install_plugin(
        tmp_path, "[peakend.memory_models]\npeak_end = {module}:WorstTimes\n", source
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert type(memory_model_from_spec({"model": "peak_end"})).__name__ == "PeakEnd"
    assert module not in sys.modules
    assert not (tmp_path / f"{module}.py.imported").exists()


def test_a_name_declared_twice_is_ambiguous(tmp_path, monkeypatch) -> None:
    name = unique("twice")
    for _ in range(2):
        install_plugin(tmp_path, f"[peakend.memory_models]\n{name} = {{module}}:WorstTimes\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="declared by several installed packages"):
        memory_model_from_spec({"model": name})


def test_registry_requires_dataclass_subclasses() -> None:
    registry = Registry[BaseMemoryModel]("thing", BaseMemoryModel, "peakend.test_none")
    with pytest.raises(TypeError, match="not a subclass of BaseMemoryModel"):
        registry.register("plain")(dict)
    with pytest.raises(ValueError, match="snake_case"):
        registry.register("a:b")
    with pytest.raises(ValueError, match="unknown thing 'missing'; registered: none"):
        registry.get("missing")


# ------------------------------------------------------------------ nothing imported from configs


@pytest.fixture
def trap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A module on sys.path that writes a file when imported; yields (name, that file)."""
    name = unique("trap_module")
    marker = tmp_path / f"{name}.imported"
    (tmp_path / f"{name}.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n\nclass Model:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield name, marker
    sys.modules.pop(name, None)


def _refused(result, key: str) -> None:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.output
    assert key in lines[0] and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ('experience.memory={{ model = "{trap}:Model" }}', "experience.memory"),
        ('experience.memory={{ model = "{trap}" }}', "experience.memory"),
        ('retention.returns.model="{trap}:Model"', "retention.returns.model"),
        ('retention.returns.model="{trap}"', "retention.returns.model"),
    ],
)
def test_a_config_naming_a_module_imports_nothing(trap, override, key) -> None:
    name, marker = trap
    result = CliRunner().invoke(main, ["show", str(CONFIG), "--set", override.format(trap=name)])
    _refused(result, key)
    assert name not in sys.modules
    assert not marker.exists()


def test_experiment_set_lines_and_sweep_factors_import_nothing(trap, tmp_path) -> None:
    name, marker = trap
    spec = f'{{ model = "{name}:Model" }}'
    experiment = tmp_path / "exp.toml"
    experiment.write_text(
        f"base = \"{CONFIG}\"\nset = ['experience.memory={spec}']\n"
        "[variants.a]\nset = ['pools.agents.absenteeism=0.1']\n"
    )
    _refused(CliRunner().invoke(main, ["compare", str(experiment)]), "experience.memory")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        f'base = "{CONFIG}"\n[sweep.factors]\n'
        f'"retention.returns.model" = ["logistic", "{name}:Model"]\n'
    )
    _refused(CliRunner().invoke(main, ["sweep", str(sweep)]), "retention.returns.model")
    assert name not in sys.modules and not marker.exists()


def test_classic_files_import_nothing(trap, tmp_path) -> None:
    name, marker = trap
    classic = tmp_path / "classic.toml"
    classic.write_text(f'experiment = "patients"\nmemory = {{ model = "{name}:Model" }}\n')
    _refused(CliRunner().invoke(main, ["classic", str(classic)]), "classic.toml: memory")
    assert name not in sys.modules and not marker.exists()


def test_the_os_system_example_in_a_fresh_process(trap, tmp_path) -> None:
    """The issue's example, as a user would type it: exit 2, one line, no file created."""
    name, marker = trap
    env_path = f"{tmp_path}"
    overrides = [
        'experience.memory={ model = "os:system", command = "touch x" }',
        f'experience.memory={{ model = "{name}:Model" }}',
    ]
    for override in overrides:
        completed = subprocess.run(
            [sys.executable, "-m", "peakend.cli.main", "show", str(CONFIG), "--set", override],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
            timeout=60,
        )
        assert completed.returncode == 2, completed.stderr
        lines = completed.stderr.strip().splitlines()
        assert len(lines) == 1 and "experience.memory" in lines[0], completed.stderr
        assert "never names a module" in lines[0]
    assert not (tmp_path / "x").exists()
    assert not marker.exists()


def test_load_scenario_refuses_import_paths(tmp_path) -> None:
    config = tmp_path / "bad.toml"
    text = CONFIG.read_text()
    assert 'model = "peak_end"' in text
    config.write_text(text.replace('model = "peak_end"', 'model = "os:system"', 1))
    with pytest.raises(ConfigError, match=r"bad\.toml: experience\.memory: .*registered name"):
        load_scenario(config)


def test_a_script_registered_model_is_found_by_name() -> None:
    from dataclasses import dataclass

    from peakend import register_memory_model

    name = unique("script_model")

    @register_memory_model(name)
    @dataclass(frozen=True)
    class Script(BaseMemoryModel):
        def remember(self, traces):  # type: ignore[no-untyped-def]
            return np.where(traces.counts > 0, 0.0, np.nan)  # NaN without pieces

    data = busy_day_data()
    data["experience"] = {"memory": {"model": name}}
    assert memory_model_from_spec(scenario_from_dict(data).experience.memory) == Script()


def test_an_installed_plugin_works_in_a_fresh_process_with_worker_processes(tmp_path) -> None:
    """As a user has it: a package on the path declares the model; peakend run, two workers."""
    import tomli_w

    name = unique("plugin_worst")
    install_plugin(tmp_path, f"[peakend.memory_models]\n{name} = {{module}}:WorstTimes\n")
    data = busy_day_data()
    data["experience"] = {"memory": {"model": name, "scale": 2.0}}
    (tmp_path / "plugin.toml").write_text(tomli_w.dumps(data))
    completed = subprocess.run(
        [sys.executable, "-m", "peakend.cli.main", "run", "plugin.toml", "-r", "2",
         "--workers", "2", "--force-workers", "--out", "out", "-q"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    resolved = (tmp_path / "out" / "resolved_config.toml").read_text()
    assert f'model = "{name}"' in resolved
    import json

    metrics = json.loads((tmp_path / "out" / "summary.json").read_text())["metrics"]
    remembered = metrics["mean_remembered_utility"]["mean"]
    assert remembered == pytest.approx(2.0 * metrics["mean_worst_utility"]["mean"])
