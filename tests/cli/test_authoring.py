"""Authoring aids: ``peakend init`` templates, ``peakend schema`` and the shipped schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from peakend.cli.main import main
from peakend.config.json_schema import packaged_schema_text, scenario_json_schema, schema_text
from peakend.config.loading import load_scenario
from peakend.config.templates import available_templates, template_text, write_template

from conftest import ROOT

CONFIGS = sorted((ROOT / "configs").glob("*.toml"))


def invoke(*args: str | Path):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_the_templates_are_the_example_configs_byte_for_byte() -> None:
    assert sorted(available_templates()) == [path.stem for path in CONFIGS]
    for path in CONFIGS:
        assert template_text(path.stem) == path.read_text(encoding="utf-8"), path.name


def test_the_templates_ship_in_the_wheel_as_package_data() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "examples/*.toml" in data["tool"]["setuptools"]["package-data"]["peakend"]
    link = ROOT / "src" / "peakend" / "examples"
    assert link.is_symlink() and link.resolve() == (ROOT / "configs").resolve()


def test_the_wheel_carries_the_templates_the_schema_and_main(tmp_path: Path) -> None:
    """A real build of the wheel (what ``pip install .`` installs), from a copy of the
    sources so that it neither reads nor leaves a ``build/`` folder in the checkout."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("src", "configs"):
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
        shutil.copytree(ROOT / folder, source / folder, symlinks=True, ignore=ignore)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), "."]
    subprocess.run(build, cwd=source, check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("peakend-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for path in CONFIGS:
            packaged = archive.read(f"peakend/examples/{path.name}")
            assert packaged == path.read_bytes(), path.name
        assert archive.read("peakend/schema.json").decode() == schema_text()
    assert {"peakend/__main__.py", "peakend/py.typed"} <= names


def test_init_writes_the_contact_centre_here_and_it_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "contact_centre.toml"
    assert written.read_text() == (ROOT / "configs" / "contact_centre.toml").read_text()
    assert "#" in written.read_text()  # commented
    assert load_scenario(written) == load_scenario(ROOT / "configs" / "contact_centre.toml")


def test_init_a_template_to_a_path_or_into_a_folder(tmp_path: Path) -> None:
    result = invoke("init", "contact_centre_12_weeks", tmp_path / "mine.toml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine.toml").read_text() == template_text("contact_centre_12_weeks")
    assert write_template("contact_centre", tmp_path) == tmp_path / "contact_centre.toml"
    nested = tmp_path / "new" / "folder" / "line.toml"
    assert invoke("init", "contact_centre", nested).exit_code == 0
    assert nested.read_text() == template_text("contact_centre")


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "scenario.toml"
    target.write_text("# my own work\n")
    refused = invoke("init", "contact_centre", target)
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        f"peakend: error: {target} already exists; pass --force to replace it"
    ]
    assert target.read_text() == "# my own work\n"
    forced = invoke("init", "contact_centre", target, "--force")
    assert forced.exit_code == 0
    assert target.read_text() == template_text("contact_centre")


def test_init_an_unknown_template_suggests_the_nearest(tmp_path: Path) -> None:
    result = invoke("init", "contact_center", tmp_path / "x.toml")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "unknown template 'contact_center'; did you mean 'contact_centre'?" in line
    assert not (tmp_path / "x.toml").exists()


def test_init_list_names_every_template_with_its_description() -> None:
    result = invoke("init", "--list")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == [path.stem for path in CONFIGS]
    assert all(len(line.split()) > 1 for line in lines)


def test_schema_prints_the_scenario_json_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema == scenario_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"arrivals", "pools", "run", "segments"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    run = schema["$defs"]["RunConfig"]["properties"]
    # a duration may be a number of minutes or a string with a unit
    types = {option["type"] for option in run["service_level_threshold_minutes"]["anyOf"]}
    assert types == {"number", "string"}


def test_the_shipped_schema_json_is_up_to_date() -> None:
    assert packaged_schema_text() == schema_text(), (
        "src/peakend/schema.json is stale: python -m peakend schema > src/peakend/schema.json"
    )


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_the_example_configs_satisfy_the_json_schema_keys(path: Path) -> None:
    """Every top-level table of an example is a property the schema allows."""
    import tomllib

    schema = scenario_json_schema()
    assert set(tomllib.loads(path.read_text())) <= set(schema["properties"])
