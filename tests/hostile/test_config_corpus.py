"""A corpus of malformed, hostile and oversized configuration input.

Scenario files, ``--set`` overrides, experiment files and classic files, each run
through the real command line (in process with click's runner; a few in a fresh
interpreter) in a workspace of small valid files and a finished run, and each
must give

- exit status 2,
- exactly one line on stderr, ``peakend: error: FILE: KEY: ...``, naming the file
  and the key, and no traceback,
- nothing written and nothing changed anywhere in the workspace (every file is
  compared byte for byte before and after), and no module imported on a config's
  behalf.

Cases are data (``CASES``): the files to add to the workspace, the command, and the
file and key that the error line must name.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from peakend.cli.main import main

from conftest import busy_day_data

TRAP = "peakend_corpus_trap"
"""A module in the workspace that writes ``TRAPPED`` when imported: no case may import it."""
TRAPPED = "trap-was-imported"


def _scenario(**changes: Any) -> dict[str, Any]:
    data = busy_day_data()
    data["run"]["replications"] = 2
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return data


def toml(**changes: Any) -> str:
    """The workspace's base scenario with ``section__key=value`` changes, as TOML."""
    return tomli_w.dumps(_scenario(**changes))


BASE = toml()

WHATIF = """\
name = "whatif"
base = "base.toml"
replications = 2

[variants.more]
set = ["pools.agents.staffing+=1"]
"""

CLASSIC = 'experiment = "cold_pressor"\nn_subjects = 200\nseed = 1\n'


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    names: tuple[str, ...]
    """Pieces the one error line must contain: the file, then the key (and what is wrong)."""
    files: dict[str, str | bytes] = field(default_factory=dict)
    status: int = 2


def experiment(body: str, base: str = "base.toml") -> str:
    return f'name = "hostile"\nbase = "{base}"\nreplications = 2\n{body}'


VARIANT = '[variants.v]\nset = ["pools.agents.absenteeism=0.1"]\n'

CASES = [
    # ------------------------------------------------------------ scenario files
    Case("binary-file", ("show", "bad.toml"), ("bad.toml", "not a UTF-8 text file"),
         {"bad.toml": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256))}),
    Case("latin-1-file", ("run", "bad.toml"), ("bad.toml", "not a UTF-8 text file"),
         {"bad.toml": BASE.replace('name = "busy_day"', 'name = "caf\xe9"').encode("latin-1")}),
    Case("nul-byte", ("show", "bad.toml"), ("bad.toml", "TOML syntax error"),
         {"bad.toml": b'name = "a\x00b"\n'}),
    Case("toml-syntax", ("run", "bad.toml"), ("bad.toml", "TOML syntax error"),
         {"bad.toml": "[arrivals\nrate_per_hour = [1]\n"}),
    Case("deep-nesting", ("show", "bad.toml"), ("bad.toml", "TOML syntax error"),
         {"bad.toml": "a = " + "[" * 50_000}),
    Case("oversized-file", ("show", "bad.toml"), ("bad.toml", "larger than 4 MiB"),
         {"bad.toml": BASE + "# padding\n" * 500_000}),
    Case("empty-file", ("run", "bad.toml"), ("bad.toml", "an empty file"),
         {"bad.toml": ""}),
    Case("directory", ("run", "folder"), ("folder", "is a directory")),
    Case("comments-only", ("compare", "bad.toml"), ("bad.toml", "an empty file"),
         {"bad.toml": "# nothing here\n\n"}),
    Case("device-file", ("run", "/dev/zero"), ("/dev/zero", "not a regular file")),
    Case("device-base", ("compare", "exp.toml"), ("exp.toml", "base:", "/dev/zero"),
         {"exp.toml": experiment(VARIANT, base="/dev/zero")}),
    Case("missing-file", ("run", "nowhere.toml"), ("nowhere.toml", "file not found")),
    Case("unknown-key", ("run", "bad.toml"), ("bad.toml", "run.replicatons: unknown key"),
         {"bad.toml": toml(run__replicatons=3)}),
    Case("bool-rate", ("run", "bad.toml"),
         ("bad.toml", "arrivals.rate_per_hour.1: expected a number, got a boolean"),
         {"bad.toml": toml(arrivals__rate_per_hour=[40, True, 120, 60])}),
    Case("bool-staffing", ("run", "bad.toml"),
         ("bad.toml", "pools.agents.staffing.0: expected a number, got a boolean"),
         {"bad.toml": toml(pools__agents__staffing=[True, 5, 3, 1])}),
    Case("seed-above-2-63", ("run", "bad.toml"), ("bad.toml", "run.seed:"),
         {"bad.toml": BASE.replace("seed = 3", "seed = 99999999999999999999")}),
    Case("nan-interval", ("run", "bad.toml"), ("bad.toml", "arrivals.interval_minutes"),
         {"bad.toml": toml(arrivals__interval_minutes=float("nan"))}),
    Case("negative-rate", ("run", "bad.toml"), ("bad.toml", "arrivals.rate_per_hour"),
         {"bad.toml": toml(arrivals__rate_per_hour=[40, -1, 120, 60])}),
    Case("staffing-length", ("run", "bad.toml"), ("bad.toml", "pools.agents.staffing: expected 4"),
         {"bad.toml": toml(pools__agents__staffing=[1, 2])}),
    Case("unknown-entry-pool", ("run", "bad.toml"), ("bad.toml", "segments.a.entry_pool: unknown"),
         {"bad.toml": toml(segments__a__entry_pool="nobody")}),
    Case("agents-per-interval", ("run", "bad.toml"), ("bad.toml", "pools.agents.staffing: agents"),
         {"bad.toml": toml(pools__agents__staffing=[2, 10**8, 3, 1])}),
    Case("too-many-intervals", ("show", "bad.toml"), ("bad.toml", "arrivals.rate_per_hour"),
         {"bad.toml": toml(arrivals__rate_per_hour=[1.0] * 100_001)}),
    Case("memory-import-path", ("run", "bad.toml"), ("bad.toml", "experience.memory", "registered"),
         {"bad.toml": toml(experience__memory={"model": f"{TRAP}:Model"})}),
    Case("memory-module-name", ("run", "bad.toml"), ("bad.toml", "experience.memory", "unknown"),
         {"bad.toml": toml(experience__memory={"model": TRAP})}),
    Case("memory-unknown-parameter", ("run", "bad.toml"),
         ("bad.toml", "experience.memory: unknown parameter(s) command", "allowed: window_minutes"),
         {"bad.toml": toml(experience__memory={"model": "end", "command": "touch x"})}),
    Case("return-model-import-path", ("run", "bad.toml"),
         ("bad.toml", "retention.returns.model", "registered name"),
         {"bad.toml": toml(retention__returns={"model": f"{TRAP}:Model"})}),
    Case("chat-concurrency-huge", ("run", "bad.toml"),
         ("bad.toml", "pools.agents.concurrency", "less than or equal to 20"),
         {"bad.toml": toml(pools__agents__concurrency=10**9)}),
    Case("slowdown-on-a-phone-pool", ("run", "bad.toml"),
         ("bad.toml", "pools.agents", "concurrency_slowdown applies to a chat pool only"),
         {"bad.toml": toml(pools__agents__concurrency_slowdown=0.3)}),
    Case("overflow-rule-unknown-pool", ("run", "bad.toml"),
         ("bad.toml", "pools.agents.overflow.0.pool", "unknown"),
         {"bad.toml": toml(pools__agents__overflow=[{"pool": TRAP, "after_minutes": 1}])}),
    Case("overflow-not-a-list", ("run", "bad.toml"), ("bad.toml", "pools.agents.overflow"),
         {"bad.toml": toml(pools__agents__overflow="chat")}),
    Case("stage-probability-above-1", ("run", "bad.toml"),
         ("bad.toml", "segments.a.stages.0", "probability"),
         {"bad.toml": toml(segments__a__stages=[{"pool": "agents", "probability": 2}])}),
    Case("huge-horizon", ("run", "bad.toml", "--out", "out"),
         ("bad.toml: too big to run", "estimated peak memory"),
         {"bad.toml": toml(arrivals__interval_minutes=1e9)}),
    # ------------------------------------------------------------ --set overrides
    Case("set-os-system", ("show", "base.toml", "--set",
         'experience.memory={ model = "os:system", command = "touch x" }'),
         ("base.toml", "experience.memory", "never names a module")),
    Case("set-trap-module",
         ("run", "base.toml", "--set", f'experience.memory={{ model = "{TRAP}:M" }}'),
         ("base.toml", "experience.memory")),
    Case("set-return-model", ("run", "base.toml", "--set", f'retention.returns.model="{TRAP}"'),
         ("base.toml", "retention.returns.model")),
    Case("set-unknown-key", ("run", "base.toml", "--set", "pools.agents.stafing=[1, 2, 3, 4]"),
         ("base.toml", "pools.agents.stafing", "unknown key")),
    Case("set-bool-in-list",
         ("run", "base.toml", "--set", "arrivals.rate_per_hour=[1, true, 1, 1]"),
         ("base.toml", "arrivals.rate_per_hour.1", "boolean")),
    Case("set-bool-seed", ("run", "base.toml", "--set", "run.seed=true"),
         ("base.toml", "run.seed", "boolean")),
    Case("set-number-as-flag", ("run", "base.toml", "--set", "run.drain=1"),
         ("base.toml", "run.drain: expected true or false")),
    Case("set-string-as-number", ("run", "base.toml", "--set", 'run.replications="3"'),
         ("base.toml", "run.replications: expected a number, got a string")),
    Case("set-deeply-nested", ("run", "base.toml", "--set", "run.seed=" + "[" * 5000 + "]" * 5000),
         ("base.toml", "--set", "nested too deeply")),
    Case("set-300-parameters", ("run", "base.toml", "--set", "experience.memory={ model = \"end\", "
                                + ", ".join(f"p{i} = 1" for i in range(300)) + " }"),
         ("base.toml", "experience.memory", "and 280 more")),
    Case("set-long-name", ("run", "base.toml", "--set", f'name="{"x" * 100_000}"'),
         ("base.toml", "name: String should have at most 128 characters")),
    Case("set-huge-key", ("run", "base.toml", "--set", "run." + "k" * 100_000 + "=1"),
         ("base.toml", "--set run.kkk", "unknown key")),
    Case("set-huge-index", ("run", "base.toml", "--set", f"pools.agents.staffing[{'9' * 5000}]=1"),
         ("base.toml", "pools.agents.staffing")),
    Case("set-bad-value", ("run", "base.toml", "--set", "run.seed=[unclosed"),
         ("base.toml", "run.seed")),
    Case("set-index-out-of-range", ("run", "base.toml", "--set", "pools.agents.staffing[9]=1"),
         ("base.toml", "pools.agents.staffing")),
    Case("set-rate-1e8",
         ("run", "base.toml", "--set", "arrivals.rate_per_hour*=1e8", "--out", "out"),
         ("base.toml: too big to run", "memory budget of 4.0 GiB")),
    Case("set-interval-1e9", ("compare", "whatif.toml", "--set", "arrivals.interval_minutes=1e9"),
         ("whatif.toml", "too big to run")),
    # ------------------------------------------------------------ experiment files
    Case("experiment-set-import-path", ("compare", "exp.toml"), ("exp.toml", "experience.memory"),
         {"exp.toml": experiment(
             f"set = ['experience.memory={{ model = \"{TRAP}:Model\" }}']\n" + VARIANT)}),
    Case("experiment-variant-import-path", ("compare", "exp.toml"),
         ("exp.toml", "variants.v.set", "retention.returns.model"),
         {"exp.toml": experiment(
             f"[variants.v]\nset = ['retention.returns.model=\"{TRAP}:M\"']\n")}),
    Case("sweep-factor-import-path", ("sweep", "exp.toml"),
         ("exp.toml", "retention.returns.model"),
         {"exp.toml": experiment(
             f'[sweep.factors]\n"retention.returns.model" = ["logistic", "{TRAP}:Model"]\n')}),
    Case("sweep-27000-scenarios", ("sweep", "exp.toml"),
         ("exp.toml", "sweep.factors", "27,000 scenarios", "(--max-scenarios)"),
         {"exp.toml": experiment(
             "[sweep.factors]\n"
             + "".join(f'"{key}" = {[i / 100 for i in range(30)]}\n' for key in (
                 "pools.agents.absenteeism", "segments.a.retry_probability",
                 "pools.agents.first_contact_resolution")))}),
    Case("experiment-seed-bool", ("compare", "exp.toml"), ("exp.toml", "seed"),
         {"exp.toml": experiment("seed = true\n" + VARIANT)}),
    Case("experiment-seed-huge", ("compare", "exp.toml"), ("exp.toml", "seed"),
         {"exp.toml": experiment("seed = 9223372036854775808\n" + VARIANT)}),
    Case("experiment-binary-base", ("compare", "exp.toml"), ("b.toml", "not a UTF-8 text file"),
         {"exp.toml": experiment(VARIANT, base="b.toml"), "b.toml": b"\xff\xfe\xfa"}),
    Case("experiment-missing-base", ("compare", "exp.toml"), ("exp.toml", "base:"),
         {"exp.toml": experiment(VARIANT, base="gone.toml")}),
    Case("experiment-binary", ("compare", "exp.toml"), ("exp.toml", "not a UTF-8 text file"),
         {"exp.toml": b"\x00\x01\x02\xff"}),
    Case("experiment-variant-named-base", ("compare", "exp.toml"), ("exp.toml", "variants.base"),
         {"exp.toml": experiment('[variants.base]\nset = ["run.warmup_minutes=1"]\n')}),
    Case("experiment-too-big", ("compare", "exp.toml", "--memory-budget", "50MB"),
         ("exp.toml", "too big to run", "memory budget of 47.7 MiB (--memory-budget)"),
         {"exp.toml": experiment(VARIANT)}),
    # ------------------------------------------------------------ classic files
    Case("classic-import-path", ("classic", "c.toml"), ("c.toml", "memory", "registered name"),
         {"c.toml": f'experiment = "patients"\nmemory = {{ model = "{TRAP}:Model" }}\n'}),
    Case("classic-os-system", ("classic", "c.toml"), ("c.toml", "memory"),
         {"c.toml": 'experiment = "patients"\nmemory = { model = "os:system", command = "x" }\n'}),
    Case("classic-unknown-experiment", ("classic", "c.toml"), ("c.toml", "experiment: unknown"),
         {"c.toml": 'experiment = "milgram"\n'}),
    Case("classic-huge-subjects", ("classic", "c.toml"), ("c.toml", "n_subjects: at most"),
         {"c.toml": CLASSIC.replace("200", "1000000000")}),
    Case("classic-bool-subjects", ("classic", "c.toml"),
         ("c.toml", "n_subjects: expected an integer"),
         {"c.toml": CLASSIC.replace("200", "true")}),
    Case("classic-seed-huge", ("classic", "c.toml"), ("c.toml", "seed"),
         {"c.toml": CLASSIC.replace("seed = 1", "seed = 99999999999999999999")}),
    Case("classic-unknown-key", ("classic", "c.toml"), ("c.toml", "subjects: unknown key"),
         {"c.toml": CLASSIC + "subjects = 3\n"}),
    Case("classic-assumption-string", ("classic", "c.toml"), ("c.toml", "assumptions.relief_mean"),
         {"c.toml": CLASSIC + '[assumptions]\nrelief_mean = "lots"\n'}),
    Case("classic-colonoscopy-too-long", ("classic", "c.toml"), ("c.toml", "n_per_arm"),
         {"c.toml": 'experiment = "colonoscopy"\nn_per_arm = 100000\n'
                    "[assumptions]\nduration_max_minutes = 200\n"}),
    Case("classic-binary", ("classic", "c.toml"), ("c.toml", "not a UTF-8 text file"),
         {"c.toml": b"\x89PNG\r\n\x1a\n\x00\x00"}),
]  # fmt: skip


# ------------------------------------------------------------------ the workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Valid inputs, a finished run, a trap module on sys.path; the working directory."""
    (tmp_path / "base.toml").write_text(BASE)
    (tmp_path / "whatif.toml").write_text(WHATIF)
    (tmp_path / "classic.toml").write_text(CLASSIC)
    (tmp_path / "folder").mkdir()
    (tmp_path / "finished_run").mkdir()
    (tmp_path / "finished_run" / "summary.json").write_text('{"precious": true}\n')
    (tmp_path / f"{TRAP}.py").write_text(
        f"open({str(tmp_path / TRAPPED)!r}, 'w').close()\n\nclass Model:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every folder (None) under ``root``."""
    return {
        str(path.relative_to(root)): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
        if "__pycache__" not in path.parts
    }


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert len(lines[0]) < 1000, lines[0][:300]  # one readable line, not a dump
    assert lines[0].startswith("peakend: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_config_gets_one_line_and_changes_nothing(case: Case, workspace: Path) -> None:
    for name, content in case.files.items():
        path = workspace / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    before = snapshot(workspace)
    args = [*case.args]
    if args[0] in ("run", "compare", "sweep"):
        args += ["--executor", "serial", "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == case.status, result.output
    line = error_line(result.stderr)
    for piece in case.names:
        assert piece in line, line
    assert snapshot(workspace) == before  # nothing written, nothing changed
    assert TRAP not in sys.modules
    assert not (workspace / TRAPPED).exists()


def test_the_corpus_is_large_and_covers_every_kind_of_file() -> None:
    assert len(CASES) >= 35
    assert len({case.id for case in CASES}) == len(CASES)
    commands = {case.args[0] for case in CASES}
    assert {"run", "show", "compare", "sweep", "classic"} <= commands
    assert sum("--set" in case.args for case in CASES) >= 8


# ------------------------------------------------------------------ in a fresh interpreter

FRESH = [
    ("show", "base.toml", "--set", 'experience.memory={ model = "os:system", command = "x" }'),
    ("show", "base.toml", "--set", f'experience.memory={{ model = "{TRAP}:Model" }}'),
    ("run", "bin.toml"),
    ("classic", "c.toml"),
    ("run", "base.toml", "--set", "arrivals.interval_minutes=1e9", "--out", "out"),
]


@pytest.mark.parametrize("args", FRESH, ids=["os-system", "trap", "binary", "classic", "horizon"])
def test_a_fresh_interpreter_imports_nothing_and_writes_nothing(
    args: tuple[str, ...], workspace: Path
) -> None:
    """As a user types it: the trap module is importable (PYTHONPATH), yet never imported."""
    (workspace / "bin.toml").write_bytes(bytes(range(256)))
    (workspace / "c.toml").write_text(f'experiment = "patients"\nmemory = "{TRAP}:Model"\n')
    before = snapshot(workspace)
    completed = subprocess.run(
        [sys.executable, "-m", "peakend.cli.main", *args],
        cwd=workspace,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(workspace)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2, completed.stderr
    error_line(completed.stderr)
    assert snapshot(workspace) == before
    assert not (workspace / "x").exists() and not (workspace / TRAPPED).exists()
