"""A corpus of malformed, hostile and broken command-line input: options, output
folders and result stores.

Every case runs the real command line (in process, on tiny scenarios) inside a
workspace that already holds finished runs, and requires

- exit status 2 (bad input) or 1 (a failed replication, a failed write),
- exactly one line on stderr, ``peakend: error: ...``, and no traceback,
- nothing written outside the output folder, and nothing that existed before
  changed (every pre-existing file is compared byte for byte); bad input
  (status 2) writes nothing at all.

Cases are data: ``CASES`` below. Separately, names that try to leave the
results folder (``../../x``, absolute paths) must be contained.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from peakend.cli.main import main
from peakend.store.rundir import LOCK_NAME

from conftest import GRID, WHATIF

Setup = Callable[[Path, pytest.MonkeyPatch], None]


# ------------------------------------------------------------------ the workspace


def _invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def workspace(finished_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the session's finished runs (``finished_runs`` in tests/conftest.py:
    input files and a finished run, compare and sweep), nested so that ``../..`` stays
    inside ``tmp_path`` (which every case snapshots), as the working directory."""
    work = tmp_path / "outer" / "inner" / "work"
    shutil.copytree(finished_runs, work)
    monkeypatch.chdir(work)
    return work


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every folder (None) under ``root``."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        found[key] = None if path.is_dir() else path.read_bytes()
    return found


# ------------------------------------------------------------------------ setups


def _store_files(folder: Path) -> list[Path]:
    return sorted((folder / "replications").glob("*/*.parquet"))


def truncate_store(name: str) -> Setup:
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        target = _store_files(work / name)[0]
        target.write_bytes(target.read_bytes()[:40])

    return setup


def garble_store(name: str, content: bytes) -> Setup:
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        _store_files(work / name)[-1].write_bytes(content)

    return setup


def replace_manifest(name: str, content: bytes) -> Setup:
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (work / name / "manifest.json").write_bytes(content)

    return setup


def lock_with_live_process(name: str) -> Setup:
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import socket

        # This test process is alive: the folder looks busy to the command.
        (work / name / LOCK_NAME).write_text(f"{os.getpid()} {socket.gethostname()}\n")

    return setup


def fail_replication(at: int = 1, error: type[BaseException] = RuntimeError) -> Setup:
    """Make replication ``at`` of every scenario raise (in this process: serial executor)."""

    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import peakend.runs.simulate as simulation

        real = simulation.simulate_blocks

        def simulate(scenario: Any, replication: int) -> Any:
            if replication == at:
                raise error("the simulated disk caught fire")
            return real(scenario, replication)

        monkeypatch.setattr(simulation, "simulate_blocks", simulate)

    return setup


def disk_full(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import peakend.output.files as files

    def no_space(path: Path, frame: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(files, "write_table", no_space)


def read_only_file_system(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every open for writing under ``ro_dir`` fails as on a read-only mount (works as root)."""
    (work / "ro_dir").mkdir()
    real_open = os.open
    forbidden = str(work / "ro_dir")

    def guarded(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.path.abspath(path).startswith(forbidden) and flags & (
            os.O_WRONLY | os.O_RDWR | os.O_CREAT
        ):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded)


def make_file(name: str, content: str = "precious\n") -> Setup:
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (work / name).write_text(content)

    return setup


def write_experiment(name: str, text: str) -> Setup:
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (work / name).write_text(text)

    return setup


# ------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    status: int
    message: str  # a piece of the one error line
    out: str | None = None  # the output folder the command may write into (status 1)
    setup: Setup | None = None
    serial: bool = True  # add --executor serial (not when the case is about executors)
    extra: dict[str, Any] = field(default_factory=dict)


SERIAL = ("--executor", "serial")

CASES = [
    # ---------------------------------------------------------------- options
    Case("run-workers-zero", ("run", "base.toml", "--workers", "0"), 2, "--workers", serial=False),
    Case("run-workers-negative", ("run", "base.toml", "--workers", "-3"), 2, "--workers"),
    Case("run-workers-text", ("run", "base.toml", "--workers", "many"), 2, "--workers"),
    Case("compare-workers-zero", ("compare", "whatif.toml", "--workers", "0"), 2, "--workers"),
    Case(
        "run-executor-threads",
        ("run", "base.toml", "--executor", "threads"),
        2,
        "--executor",
        serial=False,
    ),
    Case("compare-dask-nowhere", ("compare", "whatif.toml", "--dask", "nowhere"), 2, "--dask"),
    Case("sweep-dask-empty", ("sweep", "grid.toml", "--dask", ""), 2, "--dask"),
    Case("run-zero-replications", ("run", "base.toml", "-r", "0"), 2, "--replications"),
    Case("compare-replications-text", ("compare", "whatif.toml", "-r", "x"), 2, "--replications"),
    Case("run-negative-seed", ("run", "base.toml", "--seed", "-1"), 2, "--seed"),
    Case("run-negative-scale", ("run", "base.toml", "--scale-staffing", "-1"), 2, "scale"),
    Case("run-format-xlsx", ("run", "base.toml", "--format", "xlsx"), 2, "--format"),
    Case("run-unknown-option", ("run", "base.toml", "--turbo"), 2, "--turbo"),
    Case("run-set-without-equals", ("run", "base.toml", "--set", "nokey"), 2, "nokey"),
    Case(
        "run-set-unknown-pool",
        ("run", "base.toml", "--set", "pools.nope.staffing=[1]"),
        2,
        "unknown key 'nope'",
    ),
    Case("run-missing-config", ("run", "missing.toml"), 2, "missing.toml"),
    Case("run-config-is-a-folder", ("run", "foreign"), 2, "foreign"),
    Case(
        "compare-metric-typo",
        ("compare", "whatif.toml", "--metric", "servce_level", "--out", "new_cmp"),
        2,
        "unknown metric 'servce_level'",
    ),
    Case(
        "compare-metric-traversal",
        ("compare", "whatif.toml", "--metric", "../../x"),
        2,
        "unknown metric '../../x'",
    ),
    Case(
        "sweep-metric-typo",
        ("sweep", "grid.toml", "--metric", "happiness", "--out", "new_sweep"),
        2,
        "unknown metric 'happiness'",
    ),
    Case(
        "compare-variant-name-traversal",
        ("compare", "base.toml", "--variant", "../../evil:pools.agents.absenteeism=0"),
        2,
        "letters, digits",
    ),
    Case("compare-variant-malformed", ("compare", "base.toml", "--variant", "oops"), 2, "oops"),
    Case(
        "sweep-factor-without-levels",
        ("sweep", "base.toml", "--factor", "pools.agents.staffing*="),
        2,
        "--factor",
    ),
    Case(
        "sweep-factor-unknown-key",
        ("sweep", "base.toml", "--factor", "pools.agents.stafing*=1,2"),
        2,
        "stafing",
    ),
    Case(
        "experiment-file-variant-traversal",
        ("compare", "evil.toml"),
        2,
        "variants",
        setup=write_experiment(
            "evil.toml", 'base = "base.toml"\n[variants."../../escape"]\nset = []\n'
        ),
    ),
    Case(
        "experiment-plot-metric-typo",
        ("sweep", "plot.toml"),
        2,
        "sweep.plot: unknown metric 'servicelevel'",
        setup=write_experiment(
            "plot.toml",
            'base = "base.toml"\n[sweep]\nplot = ["servicelevel"]\n'
            '[sweep.factors]\n"pools.agents.absenteeism" = [0.0, 0.1]\n',
        ),
    ),
    # --------------------------------------------------------- output folders
    Case("run-out-is-a-file", ("run", "base.toml", "--out", "notes.txt"), 2, "not a folder"),
    Case(
        "compare-out-is-a-file", ("compare", "whatif.toml", "--out", "notes.txt"), 2, "not a folder"
    ),
    Case("run-out-below-a-file", ("run", "base.toml", "--out", "notes.txt/sub"), 2, "not a folder"),
    Case(
        "run-out-foreign-folder",
        ("run", "base.toml", "--out", "foreign"),
        2,
        "not a peakend run directory",
    ),
    Case(
        "run-out-foreign-folder-overwrite",
        ("run", "base.toml", "--out", "foreign", "--overwrite"),
        2,
        "refusing to write into it or to delete it",
    ),
    Case(
        "run-out-another-scenario",
        ("run", "other.toml", "--out", "run_dir"),
        2,
        "pass --overwrite",
    ),
    Case(
        "run-out-same-scenario-other-seed",
        ("run", "base.toml", "--seed", "99", "--out", "run_dir"),
        2,
        "holds another run",
    ),
    Case(
        "compare-into-a-run-folder",
        ("compare", "whatif.toml", "--out", "run_dir"),
        2,
        "holds another run (run of",
    ),
    Case(
        "sweep-into-a-compare-folder",
        ("sweep", "grid.toml", "--out", "compare_dir"),
        2,
        "holds another run (compare of 'whatif'",
    ),
    Case(
        "run-into-a-sweep-folder",
        ("run", "base.toml", "--out", "sweep_dir"),
        2,
        "holds another run (sweep of 'grid'",
    ),
    Case(
        "compare-corrupted-manifest",
        ("compare", "whatif.toml", "--out", "compare_dir"),
        2,
        "manifest.json is unreadable",
        setup=replace_manifest("compare_dir", b'{"peakend_version": "0.1", "kind": '),
    ),
    Case(
        "run-binary-manifest-even-with-overwrite",
        ("run", "base.toml", "--out", "run_dir", "--overwrite"),
        2,
        "not a peakend run directory",
        setup=replace_manifest("run_dir", bytes(range(256))),
    ),
    Case(
        "run-locked-folder",
        ("run", "base.toml", "--out", "run_dir"),
        2,
        f"in use by another peakend process (PID {os.getpid()}",
        setup=lock_with_live_process("run_dir"),
    ),
    Case(
        "compare-locked-folder",
        ("compare", "whatif.toml", "--out", "compare_dir"),
        2,
        "in use by another peakend process",
        setup=lock_with_live_process("compare_dir"),
    ),
    Case(
        "sweep-locked-even-with-overwrite",
        ("sweep", "grid.toml", "--out", "sweep_dir", "--overwrite"),
        2,
        "in use by another peakend process",
        setup=lock_with_live_process("sweep_dir"),
    ),
    Case(
        "run-out-in-sysfs",
        ("run", "base.toml", "--out", "/sys/peakend-corpus-test"),
        2,
        "/sys/peakend-corpus-test",
    ),
    Case(
        "run-read-only-file-system",
        ("run", "base.toml", "--out", "ro_dir/run"),
        2,
        "read-only file system",
        setup=read_only_file_system,
    ),
    Case(
        "run-read-only-file-system-deep",
        ("run", "base.toml", "--out", "ro_dir/a/b/c"),
        2,
        "read-only file system",
        setup=read_only_file_system,
    ),
    Case(
        "compare-read-only-file-system",
        ("compare", "whatif.toml", "--out", "ro_dir"),
        2,
        "read-only file system",
        setup=read_only_file_system,
    ),
    # --------------------------------------------------------- stores on resume
    Case(
        "compare-truncated-store",
        ("compare", "whatif.toml", "--out", "compare_dir"),
        2,
        "(changed since peakend wrote it)",
        setup=truncate_store("compare_dir"),
    ),
    Case(
        "compare-garbage-store",
        ("compare", "whatif.toml", "--out", "compare_dir"),
        2,
        "(changed since peakend wrote it)",
        setup=garble_store("compare_dir", b"PAR1 this is not parquet PAR1"),
    ),
    Case(
        "sweep-empty-store-file",
        ("sweep", "grid.toml", "--out", "sweep_dir"),
        2,
        "(changed since peakend wrote it)",
        setup=garble_store("sweep_dir", b""),
    ),
    Case(
        "sweep-truncated-store",
        ("sweep", "grid.toml", "--out", "sweep_dir"),
        2,
        "delete it, and peakend writes it again",
        setup=truncate_store("sweep_dir"),
    ),
    # ------------------------------------------------- failures while running
    Case(
        "run-failing-replication",
        ("run", "base.toml", "--out", "fresh_run"),
        1,
        "1 of 2 replications failed; first: replication 1 of busy_day: RuntimeError",
        out="fresh_run",
        setup=fail_replication(),
    ),
    Case(
        "run-failing-replication-no-out",
        ("run", "base.toml"),
        1,
        "tracebacks in",
        setup=fail_replication(at=0),
    ),
    Case(
        "compare-failing-replications",
        ("compare", "whatif.toml", "--out", "fresh_cmp"),
        1,
        "2 of 4 replications failed",
        out="fresh_cmp",
        setup=fail_replication(),
    ),
    Case(
        "sweep-failing-replications",
        ("sweep", "grid.toml", "-r", "2", "--out", "fresh_sweep"),
        1,
        "replications failed",
        out="fresh_sweep",
        setup=fail_replication(),
    ),
    Case(
        "run-memory-error-in-replication",
        ("run", "base.toml", "--out", "fresh_mem"),
        1,
        "MemoryError",
        out="fresh_mem",
        setup=fail_replication(error=MemoryError),
    ),
    Case(
        "run-disk-full",
        ("run", "base.toml", "--out", "full_disk"),
        1,
        "No space left on device",
        out="full_disk",
        setup=disk_full,
    ),
]


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_gets_one_line_and_harms_nothing(
    case: Case, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.setup is not None:
        case.setup(workspace, monkeypatch)
    outside = workspace.parent.parent.parent  # tmp_path: the workspace and around it
    before = snapshot(outside)
    args = [*case.args, *(SERIAL if case.serial else ()), "-q"]
    result = CliRunner().invoke(main, args)

    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == case.status, result.output
    lines = _error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("peakend: error: "), lines
    assert case.message in lines[0]
    assert "Traceback" not in result.output

    after = snapshot(outside)
    for name, content in before.items():
        assert after.get(name, b"<gone>") == content, f"{name} changed or vanished"
    new = sorted(set(after) - set(before))
    prefix = str((workspace / case.out).relative_to(outside)) if case.out else None
    if case.status == 2 or prefix is None:
        assert new == []
    else:
        assert all(name == prefix or name.startswith(prefix + os.sep) for name in new), new


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert {case.status for case in CASES} == {1, 2}


def test_a_failed_replication_leaves_its_traceback_in_errors_log(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_replication()(workspace, monkeypatch)
    result = _invoke("run", "base.toml", "--out", "fresh", *SERIAL, "-q")
    assert result.exit_code == 1
    log = (workspace / "fresh" / "errors.log").read_text()
    assert "Traceback" in log and "the simulated disk caught fire" in log
    summary = (workspace / "fresh" / "summary.json").read_text()
    assert '"status": "failed"' in summary and '"replications": 1' in summary


def test_a_chmod_read_only_folder_is_refused(workspace: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders (the EROFS case covers it)")
    folder = workspace / "locked_down"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = _invoke("run", "base.toml", "--out", folder / "run", *SERIAL, "-q")
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 2
    assert "permission denied" in result.stderr
    assert list(folder.iterdir()) == []


def test_a_lock_left_by_a_dead_process_is_taken_over(workspace: Path) -> None:
    import socket

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                              capture_output=True, text=True)  # fmt: skip
    dead = int(finished.stdout)
    (workspace / "run_dir" / LOCK_NAME).write_text(f"{dead} {socket.gethostname()}\n")
    result = _invoke("run", "base.toml", "--out", "run_dir", *SERIAL, "-q")
    assert result.exit_code == 0, result.output
    assert not (workspace / "run_dir" / LOCK_NAME).exists()


# ------------------------------------------------ names that try to leave results/

ESCAPING_NAMES = [
    ("../../x", "x"),
    ("../../../../../../tmp/peakend-escape", "tmp_peakend-escape"),
    ("/tmp/peakend-absolute", "tmp_peakend-absolute"),
    ("..", "unnamed"),
    ("~/home", "home"),
    ("a/../../b", "a_b"),
    ("C:\\\\windows\\\\system32", "C_windows_system32"),
]


@pytest.mark.parametrize(("name", "folder"), ESCAPING_NAMES, ids=[n for n, _ in ESCAPING_NAMES])
@pytest.mark.parametrize("kind", ["compare", "sweep"])
def test_experiment_names_cannot_escape_the_results_folder(
    name: str, folder: str, kind: str, workspace: Path
) -> None:
    text = WHATIF if kind == "compare" else GRID
    experiment = workspace / "escape.toml"
    body = text.split("\n", 2)[2]  # everything after the name line
    experiment.write_text(f"name = {json.dumps(name)}\n{body}")
    outside = workspace.parent.parent.parent
    before = set(snapshot(outside))
    result = _invoke(kind, experiment, *SERIAL, "-q", "-r", "1")
    assert result.exit_code == 0, result.output
    new = set(snapshot(outside)) - before
    expected = workspace / "results" / f"{folder}-{kind}"
    assert (expected / "summary.json").is_file()
    inside = str(workspace.relative_to(outside) / "results")
    assert all(path.startswith(inside) for path in new), sorted(new)
    assert not Path("/tmp/peakend-absolute-compare").exists()
