"""Ownership of run folders (the manifest's ledger) and the rules for reading a folder's files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import tomli_w
from click.testing import CliRunner

from peakend.cli.main import main
from peakend.output.report import write_report
from peakend.store import ledger
from peakend.store.rundir import OutputError, RunDirectory, RunIdentity

from conftest import busy_day_data

SERIAL = ("--executor", "serial", "-q")
WHATIF = """
name = "whatif"
base = "base.toml"
replications = 3

[variants.more]
set = ["pools.agents.staffing+=1"]
"""


def _invoke(*args: str | Path) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "base.toml").write_text(tomli_w.dumps(busy_day_data(3)))
    (tmp_path / "whatif.toml").write_text(WHATIF)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _listed(folder: Path) -> dict[str, dict[str, object]]:
    return json.loads((folder / "manifest.json").read_text())["files"]


# ----------------------------------------------------------------------- ownership


def test_overwrite_onto_a_forged_manifest_keeps_the_users_files(work: Path) -> None:
    thesis = work / "thesis"
    (thesis / "chapters").mkdir(parents=True)
    (thesis / "manifest.json").write_text('{"peakend_version": "0.1.0"}\n')
    (thesis / "thesis.tex").write_text("\\documentclass{article}\n")
    (thesis / "chapters" / "intro.tex").write_text("\\section{Intro}\n")
    before = _files(thesis)

    result = _invoke("run", "base.toml", "--out", thesis, "--overwrite", *SERIAL)

    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("peakend: error: ") and "lists no files peakend wrote" in line
    assert "thesis.tex" in line
    assert _files(thesis) == before


def test_a_genuine_run_with_a_users_file_is_refused_until_the_file_is_moved(work: Path) -> None:
    assert _invoke("run", "base.toml", "--out", "day", *SERIAL).exit_code == 0
    (work / "day" / "notes.txt").write_text("my notes\n")
    before = _files(work / "day")

    refused = _invoke("run", "base.toml", "--seed", "9", "--out", "day", "--overwrite", *SERIAL)

    assert refused.exit_code == 2
    assert "notes.txt (not written by peakend)" in refused.stderr
    assert _files(work / "day") == before  # the user's file and the run's, untouched
    (work / "day" / "notes.txt").unlink()
    replaced = _invoke("run", "base.toml", "--seed", "9", "--out", "day", "--overwrite", *SERIAL)
    assert replaced.exit_code == 0, replaced.output
    assert json.loads((work / "day" / "summary.json").read_text())["seed"] == 9


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_the_manifest_lists_every_file_written_with_its_size_and_sha256(
    work: Path, kind: str
) -> None:
    config = "base.toml" if kind == "run" else "whatif.toml"
    assert _invoke(kind, config, "--out", "out", *SERIAL).exit_code == 0
    assert _invoke("report", "out").exit_code == 0
    found = _files(work / "out")
    found.pop("manifest.json")
    listed = _listed(work / "out")
    assert set(listed) == set(found)
    assert "report.html" in listed
    for name, data in found.items():
        assert listed[name] == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert not (work / "out" / ledger.JOURNAL_NAME).exists()


def test_overwriting_a_run_removes_exactly_its_files_and_the_folders_they_leave_empty(
    work: Path,
) -> None:
    assert _invoke("compare", "whatif.toml", "--out", "out", *SERIAL).exit_code == 0
    old = set(_files(work / "out"))
    result = _invoke("run", "base.toml", "--out", "out", "--overwrite", *SERIAL)
    assert result.exit_code == 0, result.output
    assert not (work / "out" / "replications").exists()
    assert "compare.csv" in old and not (work / "out" / "compare.csv").exists()
    assert (work / "out" / "resolved_config.toml").is_file()


KILLED_SESSION = """
import os, signal, sys
from pathlib import Path
from peakend.experiments.api import load_experiment, run_experiment
from peakend.runs.runner import replicate

calls = []

def killed_at_the_fourth(scenario, replication):
    calls.append(replication)
    if len(calls) == 4:
        os.kill(os.getpid(), signal.SIGKILL)  # no clean-up code runs
    return replicate(scenario, replication)

run_experiment(load_experiment(Path(sys.argv[1])), "compare", out=sys.argv[2],
               replicate_fn=killed_at_the_fourth)
"""


def test_kill_9_then_resume_gives_the_files_of_an_uninterrupted_run(work: Path) -> None:
    script = work / "killed.py"
    script.write_text(KILLED_SESSION)
    killed = subprocess.run(
        [sys.executable, str(script), "whatif.toml", "resumed"], cwd=work, capture_output=True
    )
    assert killed.returncode == -9, killed.stderr
    assert (work / "resumed" / ledger.JOURNAL_NAME).is_file()  # what the killed run wrote

    assert _invoke("compare", "whatif.toml", "--out", "resumed", *SERIAL).exit_code == 0
    assert _invoke("compare", "whatif.toml", "--out", "whole", *SERIAL).exit_code == 0

    resumed, whole = _files(work / "resumed"), _files(work / "whole")
    assert set(_listed(work / "resumed")) == set(resumed) - {"manifest.json"}
    assert set(resumed) == set(whole)
    # The manifest's and the stored replications' timings differ (the stored metrics are
    # compared without them); matplotlib's SVGs carry random clip ids.
    for name in sorted(resumed):
        if name.startswith("replications/"):
            frames = [pd.read_parquet(work / run / name).drop(columns="seconds")
                      for run in ("resumed", "whole")]  # fmt: skip
            pd.testing.assert_frame_equal(*frames)
        elif name != "manifest.json" and not name.endswith(".svg"):
            assert resumed[name] == whole[name], name
    assert not (work / "resumed" / ledger.JOURNAL_NAME).exists()


def test_a_temporary_file_left_by_a_kill_is_removed_on_resume(work: Path) -> None:
    identity = RunIdentity("run", "x", "k")
    with RunDirectory(work / "out", identity) as folder:
        (folder.path / "manifest.json").write_text(
            json.dumps({"peakend_version": "0", **identity.manifest_fields()})
        )
        leftover = folder.path / ".summary.json.ab12cd_9"
        assert folder.ledger is not None
        folder.ledger.note_temporary(leftover)
        leftover.write_text("half written")
        os.replace(folder.path / ".peakend.lock", work / "lock")  # as if killed: no seal
        folder._lock = None
        folder.ledger = None
    stale_manifest = work / "out" / ".manifest.json.zz99yy_1"  # killed while sealing
    stale_manifest.write_text("{")
    with RunDirectory(work / "out", identity) as again:
        assert again.status == "resume"
        assert not leftover.exists()
        assert not stale_manifest.exists()


def test_no_write_goes_through_a_link_inside_a_claimed_folder(work: Path) -> None:
    outside = work / "outside"
    outside.mkdir()
    identity = RunIdentity("run", "x", "k")
    with RunDirectory(work / "out", identity) as folder:
        (folder.path / "replications").symlink_to(outside)
        from peakend.store.files import write_text

        with pytest.raises(OutputError, match="replications is a link or a file"):
            write_text(folder.path / "replications" / "k" / "0.txt", "x")
    assert list(outside.iterdir()) == []


def test_a_ledger_entry_outside_the_folder_is_refused() -> None:
    manifest = {"peakend_version": "0", "files": {"../x": {"bytes": 1, "sha256": "0" * 64}}}
    with pytest.raises(OutputError, match="is not a file record peakend writes"):
        ledger.check_manifest(manifest, Path("m.json"))


# ------------------------------------------------------------------------- reading


def test_read_inside_reads_a_listed_regular_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"{}")
    entry = {"a.json": ledger.Entry(2, hashlib.sha256(b"{}").hexdigest())}
    assert ledger.read_inside(tmp_path, "a.json", 10, entry) == b"{}"


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda d: (d / "x").symlink_to("/etc/hostname"), "x", "a symbolic link"),
        (lambda d: os.mkfifo(d / "x"), "x", "not a regular file"),
        (lambda d: (d / "x").symlink_to("/dev/zero"), "x", "a symbolic link"),
        (lambda d: (d / "x").mkdir(), "x", "not a regular file"),
        (lambda d: (d / "x").write_bytes(b"1" * 11), "x", "above the 10"),
        (lambda d: (d / "x").write_bytes(b"1"), "x", "not listed"),
        (lambda d: (d / "y").write_bytes(b"2"), "y", "changed since"),
        (lambda d: None, "../x", "no '..'"),
        (lambda d: None, "/etc/hostname", "no '..' and no absolute"),
        (lambda d: ((d / "sub").symlink_to(d.parent), (d / "y").write_bytes(b"1")), "sub/y",
         "is not a folder inside"),
    ],
)  # fmt: skip
def test_read_inside_refuses_what_the_run_did_not_write(
    tmp_path: Path, make: object, name: str, message: str
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    make(folder)  # type: ignore[operator]
    entries = {"y": ledger.Entry(1, hashlib.sha256(b"1").hexdigest())}
    with pytest.raises(OutputError, match=message):
        ledger.read_inside(folder, name, 10, entries)


def test_a_report_inside_the_folder_can_be_written_again_but_never_over_the_runs_files(
    work: Path,
) -> None:
    assert _invoke("run", "base.toml", "--out", "day", *SERIAL).exit_code == 0
    write_report(work / "day")
    write_report(work / "day")  # its own earlier report: replaced
    manifest = (work / "day" / "manifest.json").read_bytes()
    for name in ("manifest.json", "summary.json", "resolved_config.toml"):
        with pytest.raises(OutputError):
            write_report(work / "day", work / "day" / name)
    assert (work / "day" / "manifest.json").read_bytes() == manifest
    (work / "day" / "report.html").write_text("changed by hand")
    with pytest.raises(OutputError, match="peakend did not write it"):
        write_report(work / "day")


def test_leftovers_are_never_removed_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / ".0.parquet.abcd1234"
    victim.write_text("someone else's")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "replications").symlink_to(outside)
    (folder / ledger.JOURNAL_NAME).write_text(
        json.dumps({"temporary": "replications/.0.parquet.abcd1234"}) + "\n"
    )
    ledger.remove_temporaries(folder, {"replications/0.parquet": ledger.Entry(1, "0" * 64)})
    assert victim.read_text() == "someone else's"


def test_two_runs_racing_for_one_folder_are_serialised_and_match_an_uninterrupted_run(
    work: Path,
) -> None:
    # Two real processes started together on one --out: whichever claims the folder
    # first runs; the other is refused in one line while the folder is in use, or, if
    # it comes after, finds the run finished. A retry then resumes (or finds it done),
    # and the folder holds exactly what an uninterrupted run writes. No sleep: the
    # outcome holds for any interleaving.
    command = [sys.executable, "-m", "peakend.cli.main", "run", "base.toml", "--out", "raced"]
    racers = [
        subprocess.Popen([*command, *SERIAL], cwd=work, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        for _ in range(2)
    ]  # fmt: skip
    for racer in racers:
        _, stderr = racer.communicate(timeout=300)
        assert racer.returncode in (0, 2), stderr
        if racer.returncode == 2:
            assert stderr.count("\n") == 1 and "in use by another peakend process" in stderr
    assert 0 in [racer.returncode for racer in racers]
    assert _invoke("run", "base.toml", "--out", "raced", *SERIAL).exit_code == 0
    assert _invoke("run", "base.toml", "--out", "whole", *SERIAL).exit_code == 0

    raced, whole = _files(work / "raced"), _files(work / "whole")
    assert set(raced) == set(whole)
    assert set(_listed(work / "raced")) == set(raced) - {"manifest.json"}
    for name in sorted(raced):  # timings in the manifest; random clip ids in the SVGs
        if name != "manifest.json" and not name.endswith(".svg"):
            assert raced[name] == whole[name], name
