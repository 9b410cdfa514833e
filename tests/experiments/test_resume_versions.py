"""Resuming a run directory written under other peakend, NumPy or SimPy versions."""

from __future__ import annotations

import json

import pytest

from peakend import compare
from peakend._version import software_versions
from peakend.cli.main import main
from peakend.experiments import manifest
from peakend.experiments.manifest import VersionChangeWarning, VersionMismatchError

from conftest import mmc

VARIANTS = {"plus_one": ["pools.agents.staffing+=1"]}


def small():
    return mmc(arrival_rate=2.0, agents=3, horizon=120.0, warmup=0.0, seed=2)


def _installed_as(monkeypatch, **changes):
    versions = {**software_versions(), **changes}
    monkeypatch.setattr(manifest, "software_versions", lambda: dict(versions))


def test_the_same_versions_resume_silently(tmp_path, recwarn):
    compare(small(), VARIANTS, replications=2, out=tmp_path / "run")
    compare(small(), VARIANTS, replications=3, out=tmp_path / "run")
    assert not [w for w in recwarn if issubclass(w.category, VersionChangeWarning)]
    sessions = json.loads((tmp_path / "run" / "manifest.json").read_text())["sessions"]
    assert [s["skipped"] for s in sessions] == [0, 4]
    assert sessions[1]["versions"]["numpy"] == software_versions()["numpy"]


@pytest.mark.parametrize(
    ("key", "name"), [("numpy", "NumPy"), ("simpy", "SimPy"), ("peakend_version", "peakend")]
)
def test_another_version_is_refused_and_names_the_change(tmp_path, monkeypatch, key, name):
    out = tmp_path / "run"
    compare(small(), VARIANTS, replications=2, out=out)
    before = sorted(p.name for p in (out / "replications").rglob("*.parquet"))
    _installed_as(monkeypatch, **{key: "0.0.1"})
    with pytest.raises(VersionMismatchError) as refused:
        compare(small(), VARIANTS, replications=2, out=out)
    written = software_versions()[key]
    assert f"{name} {written} (now 0.0.1)" in str(refused.value)
    assert "allow_version_change=True" in str(refused.value)
    assert sorted(p.name for p in (out / "replications").rglob("*.parquet")) == before


def test_allowing_the_change_warns_and_resumes(tmp_path, monkeypatch):
    out = tmp_path / "run"
    compare(small(), VARIANTS, replications=2, out=out)
    _installed_as(monkeypatch, numpy="0.0.1")
    with pytest.warns(VersionChangeWarning, match=r"NumPy .* \(now 0\.0\.1\)"):
        compare(small(), VARIANTS, replications=2, out=out, allow_version_change=True)
    data = json.loads((out / "manifest.json").read_text())
    assert data["numpy"] == "0.0.1"  # the folder now says what it was last resumed with
    assert [s["versions"]["numpy"] for s in data["sessions"]][-1] == "0.0.1"
    assert data["sessions"][-1]["skipped"] == 4


def test_the_command_line_refuses_in_one_line_and_takes_the_flag(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from peakend.config.loading import scenario_to_toml

    base = tmp_path / "base.toml"
    base.write_text(scenario_to_toml(small()), encoding="utf-8")
    args = ["compare", str(base), "--variant", "plus_one:pools.agents.staffing+=1"]
    args += ["-r", "2", "--executor", "serial", "-q", "--out", str(tmp_path / "run")]
    assert CliRunner().invoke(main, args).exit_code == 0
    _installed_as(monkeypatch, simpy="0.0.1")
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    assert "SimPy" in refused.output and "Traceback" not in refused.output
    assert "--allow-version-change" in refused.output
    allowed = CliRunner().invoke(main, [*args, "--allow-version-change"])
    assert allowed.exit_code == 0, allowed.output
    assert "warning" in allowed.output and "SimPy" in allowed.output
