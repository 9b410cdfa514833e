"""A corpus of hostile and damaged result folders: who owns a folder, what the report
reads, and stored results read back on resume.

Every case runs the real command line in a child process, measured
(:func:`refusals.measure`), in a fresh copy of a workspace that holds a finished
run and a finished comparison, each folder's files listed in its manifest's
ledger (see :mod:`peakend.store.ledger`), and requires

- exit status 2, exactly one ``peakend: error:`` line naming what is wrong, no
  traceback, bounded time and peak memory, and no secret echoed
  (:func:`refusals.assert_refused`);
- every file that existed before byte-identical afterwards (a user's thesis
  survives an ``--overwrite``), and nothing new written.

Kinds: forged, copied and genuine-with-extras folders under ``--overwrite`` and
resume; links, FIFOs and sparse giants inside a folder; a stored replication of
5 M rows (with and without a matching ledger) and other tampered store files;
tampered manifests; and ``peakend report`` on links, FIFOs, ``/dev/zero``,
``/proc/self/environ``, oversized files, tampered manifests, summaries, resolved
configs and tables, and ``--out`` aimed at the run's own files or a user's.

Cases are data: ``CASES`` below.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from refusals import RUN_PRELOADED, assert_refused, assert_unchanged, measure, snapshot

Setup = Callable[[Path], None]

SECRET = "peakend-corpus-secret-7f3a9c"
"""Written into a file outside the run folders and into the children's environment:
no error line may echo it."""


@pytest.fixture
def workspace(finished_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the session's finished runs (``finished_runs`` in tests/conftest.py:
    input files, a finished run and comparison with their reports, a sweep) and a secret
    beside them."""
    work = tmp_path / "work"
    shutil.copytree(finished_runs, work, symlinks=True)
    (work / "secret.txt").write_text(f"{SECRET}\n")
    monkeypatch.setenv("PEAKEND_CORPUS_SECRET", SECRET)  # the children inherit it
    return work


# ------------------------------------------------------------------------ setups


def _ledger_entry(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _edit_manifest(folder: Path, change: Callable[[dict], None]) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def relist(folder: Path, relative: str) -> None:
    """Make the manifest's ledger vouch for ``folder/relative`` as it is now (a tamperer
    who also edits the ledger)."""
    entry = _ledger_entry(folder / relative)
    _edit_manifest(folder, lambda m: m["files"].__setitem__(relative, entry))


def _store_file(work: Path, number: int = 1) -> Path:
    return sorted((work / "compare_dir" / "replications").glob(f"*/{number}.parquet"))[0]


def forged_folder(copy_from: str | None = None) -> Setup:
    """A user's folder (thesis.tex, chapters/) with a one-line forged manifest, or a copy
    of a real run's manifest."""

    def setup(work: Path) -> None:
        folder = work / "thesis"
        (folder / "chapters").mkdir(parents=True)
        (folder / "thesis.tex").write_text("\\documentclass{article}\n")
        (folder / "chapters" / "intro.tex").write_text("\\section{Intro}\n")
        if copy_from is None:
            (folder / "manifest.json").write_text('{"peakend_version": "0.1.0"}\n')
        else:
            shutil.copy(work / copy_from / "manifest.json", folder / "manifest.json")

    return setup


def add_file(relative: str, content: str = "my notes\n") -> Setup:
    def setup(work: Path) -> None:
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / relative).write_text(content)

    return setup


def change_file(relative: str) -> Setup:
    def setup(work: Path) -> None:
        with (work / relative).open("a") as file:
            file.write(" ")

    return setup


def symlink(relative: str, target: str) -> Setup:
    def setup(work: Path) -> None:
        link = work / relative
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        elif os.path.lexists(link):
            link.unlink()
        link.symlink_to(target if target.startswith("/") else work / target)

    return setup


def fifo(relative: str) -> Setup:
    def setup(work: Path) -> None:
        path = work / relative
        if os.path.lexists(path):
            path.unlink()
        os.mkfifo(path)

    return setup


def sparse(relative: str, size: int, listed: bool = False) -> Setup:
    """A file of ``size`` bytes that takes no disk (a hole), optionally vouched for."""

    def setup(work: Path) -> None:
        path = work / relative
        with path.open("wb") as file:
            file.truncate(size)
        if listed:
            folder, _, name = relative.partition("/")
            _edit_manifest(
                work / folder,
                lambda m: m["files"].__setitem__(name, {"bytes": size, "sha256": "0" * 64}),
            )

    return setup


def store_of_zero_rows(rows: int, listed: bool) -> Setup:
    """A stored replication replaced by ``rows`` rows of zeros (a few hundred KB)."""

    def setup(work: Path) -> None:
        path = _store_file(work)
        columns = list(pd.read_parquet(path).columns)
        zeros = np.zeros(rows)  # one column of zeros shared by all (built in milliseconds)
        frame = pd.DataFrame({name: zeros for name in columns}, copy=False)
        frame.to_parquet(path, index=False)
        if listed:
            relist(work / "compare_dir", path.relative_to(work / "compare_dir").as_posix())

    return setup


def store_replaced(make: Callable[[Path, Path], None], listed: bool = False) -> Setup:
    def setup(work: Path) -> None:
        path = _store_file(work)
        make(path, work)
        if listed:
            relist(work / "compare_dir", path.relative_to(work / "compare_dir").as_posix())

    return setup


def manifest_edit(folder: str, change: Callable[[dict], None]) -> Setup:
    return lambda work: _edit_manifest(work / folder, change)


def summary_edit(folder: str, change: Callable[[dict], None]) -> Setup:
    def setup(work: Path) -> None:
        path = work / folder / "summary.json"
        summary = json.loads(path.read_text())
        change(summary)
        path.write_text(json.dumps(summary))
        relist(work / folder, "summary.json")

    return setup


def rewrite(relative: str, text: str, listed: bool = True) -> Setup:
    def setup(work: Path) -> None:
        (work / relative).write_text(text)
        if listed:
            folder, _, name = relative.partition("/")
            relist(work / folder, name)

    return setup


def _set(key: str, value: object) -> Callable[[dict], None]:
    return lambda data: data.__setitem__(key, value)


def _first_scenario_key(value: str) -> Callable[[dict], None]:
    return lambda manifest: manifest["scenarios"][0].__setitem__("key", value)


def _first_metric_mean(value: object) -> Callable[[dict], None]:
    return lambda summary: next(iter(summary["metrics"].values())).__setitem__("mean", value)


# ------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    message: str  # a piece of the one error line
    setup: Setup | None = None


RUN = ("run", "base.toml", "--executor", "serial", "-q")
RUN_OTHER_SEED = (*RUN, "--seed", "11")
COMPARE = ("compare", "whatif.toml", "--executor", "serial", "-q", "--out", "compare_dir")

CASES = [
    # ------------------------------------------------ ownership: --overwrite and resume
    Case(
        "overwrite-one-line-forged-manifest",
        (*RUN, "--out", "thesis", "--overwrite"),
        "lists no files peakend wrote",
        forged_folder(),
    ),
    Case(
        "overwrite-copied-run-manifest",
        (*RUN, "--out", "thesis", "--overwrite"),
        "thesis.tex (not written by peakend)",
        forged_folder(copy_from="run_dir"),
    ),
    Case(
        "resume-into-copied-run-manifest",
        (*RUN, "--out", "thesis"),
        "thesis.tex (not written by peakend)",
        forged_folder(copy_from="run_dir"),
    ),
    Case(
        "sweep-overwrite-copied-compare-manifest",
        (
            "sweep",
            "whatif.toml",
            "--factor",
            "pools.agents.staffing*=1,2",
            "--executor",
            "serial",
            "-q",
            "--out",
            "thesis",
            "--overwrite",
        ),
        "not written by peakend",
        forged_folder(copy_from="compare_dir"),
    ),  # fmt: skip
    Case(
        "overwrite-genuine-run-with-a-user-file",
        (*RUN_OTHER_SEED, "--out", "run_dir", "--overwrite"),
        "notes.txt (not written by peakend)",
        add_file("run_dir/notes.txt"),
    ),
    Case(
        "resume-genuine-run-with-a-user-file",
        (*RUN, "--out", "run_dir"),
        "notes.txt (not written by peakend)",
        add_file("run_dir/notes.txt"),
    ),
    Case(
        "resume-compare-with-a-user-file-in-the-store",
        COMPARE,
        "replications/mine.csv (not written by peakend)",
        add_file("compare_dir/replications/mine.csv"),
    ),
    Case(
        "overwrite-run-with-a-changed-result",
        (*RUN_OTHER_SEED, "--out", "run_dir", "--overwrite"),
        "summary.json (changed since peakend wrote it)",
        change_file("run_dir/summary.json"),
    ),
    Case(
        "compare-replications-symlink-to-outside",
        COMPARE,
        "replications (a symbolic link)",
        symlink("compare_dir/replications", "elsewhere"),
    ),
    Case(
        "compare-overwrite-replications-symlink",
        (*COMPARE, "--overwrite", "--seed", "5"),
        "replications (a symbolic link)",
        symlink("compare_dir/replications", "run_dir"),
    ),
    Case(
        "new-out-holding-only-a-replications-symlink",
        ("compare", "whatif.toml", "--executor", "serial", "-q", "--out", "fresh"),
        "not a peakend run directory",
        lambda work: ((work / "fresh").mkdir(), (work / "fresh" / "replications").symlink_to(work)),
    ),
    Case(
        "overwrite-run-holding-a-fifo",
        (*RUN_OTHER_SEED, "--out", "run_dir", "--overwrite"),
        "pipe (not a regular file)",
        fifo("run_dir/pipe"),
    ),
    Case(
        "overwrite-run-holding-a-link-to-a-user-file",
        (*RUN_OTHER_SEED, "--out", "run_dir", "--overwrite"),
        "secret.txt (a symbolic link)",
        symlink("run_dir/secret.txt", "secret.txt"),
    ),
    Case(
        "overwrite-ledger-naming-a-file-outside",
        (*RUN_OTHER_SEED, "--out", "run_dir", "--overwrite"),
        "is not a file record peakend writes",
        manifest_edit(
            "run_dir",
            lambda m: m["files"].__setitem__("../secret.txt", _ledger_entry(Path("/dev/null"))),
        ),
    ),
    Case("run-out-root", (*RUN, "--out", "/"), "/"),
    # ---------------------------------------------------- stored results and manifests
    Case(
        "resume-store-of-5m-zero-rows",
        COMPARE,
        "(changed since peakend wrote it)",
        store_of_zero_rows(5_000_000, listed=False),
    ),
    Case(
        "resume-store-of-5m-zero-rows-ledger-edited-too",
        COMPARE,
        "holds 5,000,000 rows",
        store_of_zero_rows(5_000_000, listed=True),
    ),
    Case(
        "resume-store-file-of-2-mb-ledger-edited-too",
        COMPARE,
        "above the 1,048,576 a metrics file has",
        store_replaced(lambda path, work: path.write_bytes(b"PAR1" * 2**19), listed=True),
    ),
    Case(
        "resume-store-file-linked-to-dev-zero",
        COMPARE,
        "(a symbolic link)",
        store_replaced(lambda path, work: (path.unlink(), path.symlink_to("/dev/zero"))),
    ),
    Case(
        "resume-store-file-a-fifo",
        COMPARE,
        "(not a regular file)",
        store_replaced(lambda path, work: (path.unlink(), os.mkfifo(path))),
    ),
    Case(
        "resume-manifest-sessions-not-a-list",
        COMPARE,
        "key 'sessions' is not a list of objects",
        manifest_edit("compare_dir", _set("sessions", 5)),
    ),
    Case(
        "resume-manifest-files-not-an-object",
        COMPARE,
        "key 'files' is not an object",
        manifest_edit("compare_dir", _set("files", "everything")),
    ),
    Case(
        "resume-manifest-kind-a-number",
        COMPARE,
        "key 'kind' is not text",
        manifest_edit("compare_dir", _set("kind", 7)),
    ),
    Case(
        "resume-manifest-a-sparse-giant",
        COMPARE,
        "not a peakend run directory",
        sparse("compare_dir/manifest.json", 64 * 2**20 + 1),
    ),
    Case(
        "resume-manifest-linked-to-dev-zero",
        COMPARE,
        "not a peakend run directory",
        symlink("compare_dir/manifest.json", "/dev/zero"),
    ),
    Case(
        "resume-manifest-a-fifo",
        COMPARE,
        "not a peakend run directory",
        fifo("compare_dir/manifest.json"),
    ),
    # ------------------------------------------------------------------- the report
    Case(
        "report-png-linked-to-a-secret",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "leak.png: cannot be read (a symbolic link)",
        symlink("run_dir/leak.png", "secret.txt"),
    ),
    Case(
        "report-png-a-fifo",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "trace.png: not a regular file",
        fifo("run_dir/trace.png"),
    ),
    Case(
        "report-png-linked-to-dev-zero",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "zero.png: cannot be read (a symbolic link)",
        symlink("run_dir/zero.png", "/dev/zero"),
    ),
    Case(
        "report-png-a-sparse-giant",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "above the 16,777,216 a file here may have",
        sparse("run_dir/trace.png", 16 * 2**20 + 1, listed=True),
    ),
    Case(
        "report-png-not-listed",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "mine.png: not listed in the folder's manifest.json",
        add_file("run_dir/mine.png", "\x89PNG not really\n"),
    ),
    Case(
        "report-plots-folder-linked-outside",
        ("report", "compare_dir", "--out", "elsewhere.html"),
        "plots is not a folder inside",
        symlink("compare_dir/plots", "run_dir"),
    ),
    Case(
        "report-summary-linked-to-proc-environ",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "summary.json: cannot be read (a symbolic link)",
        symlink("run_dir/summary.json", "/proc/self/environ"),
    ),
    Case(
        "report-manifest-a-fifo",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "manifest.json: not a regular file",
        fifo("run_dir/manifest.json"),
    ),
    Case(
        "report-manifest-scenario-key-leaves-the-folder",
        ("report", "compare_dir", "--out", "elsewhere.html"),
        "a scenario's 'key' is not a hash peakend writes",
        manifest_edit("compare_dir", _first_scenario_key("../../../secret")),
    ),
    Case(
        "report-summary-changed",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "summary.json: changed since peakend wrote it",
        change_file("run_dir/summary.json"),
    ),
    Case(
        "report-summary-metrics-a-list",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "summary.json: key 'metrics' is not peakend's",
        summary_edit("run_dir", _set("metrics", [1, 2])),
    ),
    Case(
        "report-summary-mean-an-object",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "summary.json: values are not laid out as peakend writes them",
        summary_edit("run_dir", _first_metric_mean({"x": 1})),
    ),
    Case(
        "report-resolved-config-of-wrong-types",
        ("report", "run_dir", "--out", "elsewhere.html"),
        "resolved_config.toml: values are not laid out as peakend writes them",
        rewrite("run_dir/resolved_config.toml", 'arrivals = [1, 2]\npools = "x"\n'),
    ),
    Case(
        "report-compare-table-of-other-columns",
        ("report", "compare_dir", "--out", "elsewhere.html"),
        "compare.csv: not a table peakend writes (no column 'variant')",
        rewrite("compare_dir/compare.csv", "a,b\n1,2\n"),
    ),
    Case(
        "report-out-the-runs-manifest",
        ("report", "run_dir", "--out", "run_dir/manifest.json"),
        "not a new .html file inside the run folder",
    ),
    Case(
        "report-out-the-runs-summary",
        ("report", "compare_dir", "--out", "compare_dir/summary.json"),
        "not a new .html file inside the run folder",
    ),
    Case(
        "report-out-a-user-html-inside",
        ("report", "run_dir", "--out", "run_dir/notes.html"),
        "exists and peakend did not write it",
        add_file("run_dir/notes.html", "<p>mine</p>\n"),
    ),
    Case(
        "report-out-a-user-file-outside",
        ("report", "run_dir", "--out", "secret.txt"),
        "exists and is not a peakend report",
    ),
    Case(
        "report-out-a-link-to-a-user-file",
        ("report", "run_dir", "--out", "link.html"),
        "exists and is not a peakend report",
        symlink("link.html", "secret.txt"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_hostile_results_folder_is_refused_in_one_line_and_harms_nothing(
    case: Case, workspace: Path
) -> None:
    if case.setup is not None:
        case.setup(workspace)
    before = snapshot(workspace.parent)
    # forked ready to read results (pandas, pyarrow): see refusals.RUN_PRELOADED
    measured = measure(list(case.args), cwd=workspace, preloaded=RUN_PRELOADED)
    print(
        f"{case.id}: exit {measured.status}, {measured.seconds:.1f} s, "
        f"{measured.peak_bytes / 2**20:.0f} MB"
    )  # shown with -s
    assert_refused(measured, case.message, secret=SECRET)
    after = snapshot(workspace.parent)
    assert_unchanged(before, after)
    assert sorted(set(after) - set(before)) == []


def test_the_corpus_covers_every_kind() -> None:
    assert len(CASES) >= 40
    kinds = {case.args[0] for case in CASES}
    assert kinds == {"run", "compare", "sweep", "report"}


# ---------------------------------------------- more of each kind, batched in one child
# Cases beyond the issue's own, refused in a child that runs them one after another
# (``batched.measure_batch``): what each tests is how a folder is read, not the child's
# isolation. Same checks as above (the peak memory is the child's high-water mark).


def table_of_rows(relative: str, rows: int) -> Setup:
    """A table of the folder replaced by its header and ``rows`` copies of its first row,
    and the ledger edited to vouch for it."""

    def setup(work: Path) -> None:
        path = work / relative
        header, first = path.read_text().splitlines()[:2]
        path.write_text(header + "\n" + (first + "\n") * rows)
        folder, _, name = relative.partition("/")
        relist(work / folder, name)

    return setup


def many_plots(count: int, size: int) -> Setup:
    """``count`` PNG plots of ``size`` bytes each (holes) in the run folder, all listed."""

    def setup(work: Path) -> None:
        for i in range(count):
            sparse(f"run_dir/extra_{i}.png", size, listed=True)(work)

    return setup


def _loop(relative: str) -> Setup:
    def setup(work: Path) -> None:
        path = work / relative
        if path.exists():
            path.unlink()
        path.symlink_to(path.name)

    return setup


def _summary_bytes(content: bytes) -> Setup:
    def setup(work: Path) -> None:
        (work / "run_dir" / "summary.json").write_bytes(content)
        relist(work / "run_dir", "summary.json")

    return setup


def _summary_a_folder(work: Path) -> None:
    (work / "run_dir" / "summary.json").unlink()
    (work / "run_dir" / "summary.json").mkdir()


def _ledger_size(value: object) -> Callable[[dict], None]:
    return lambda manifest: manifest["files"]["summary.json"].__setitem__("bytes", value)


REPORT = ("report", "run_dir", "--out", "elsewhere.html")

OWN_CASES = [
    # tables and plots listed in an edited ledger: bounded by what the manifest says
    Case("report-compare-table-of-100k-rows-ledger-edited-too",
         ("report", "compare_dir", "--out", "elsewhere.html"),
         "rows that 2 scenarios of the manifest",
         table_of_rows("compare_dir/compare.csv", 100_000)),
    Case("report-sweep-table-of-100k-rows-ledger-edited-too",
         ("report", "sweep_dir", "--out", "elsewhere.html"),
         "rows that 2 scenarios of the manifest",
         table_of_rows("sweep_dir/sweep_summary.csv", 100_000)),
    Case("report-plots-over-32-mib-all-listed", REPORT, "above the 33,554,432 one report embeds",
         many_plots(3, 12 * 2**20)),
    # files of the wrong kind, shape or encoding
    Case("report-summary-deeply-nested-listed", REPORT, "summary.json: cannot read it",
         _summary_bytes(b"[" * 100_000 + b"]" * 100_000)),
    Case("report-summary-not-utf8-listed", REPORT, "summary.json: cannot read it",
         _summary_bytes(b'{"metrics": "\xff\xfe"}')),
    Case("report-summary-a-folder", REPORT, "summary.json: not a regular file", _summary_a_folder),
    Case("report-manifest-status-nan", REPORT, "key 'status' is not text",
         rewrite("run_dir/manifest.json", '{"peakend_version": "0.1.0", "status": NaN}',
                 listed=False)),
    Case("overwrite-ledger-size-negative", (*RUN_OTHER_SEED, "--out", "run_dir", "--overwrite"),
         "entry 'summary.json' is not a file record peakend writes",
         manifest_edit("run_dir", _ledger_size(-1))),
    Case("report-ledger-size-a-float", REPORT,
         "entry 'summary.json' is not a file record peakend writes",
         manifest_edit("run_dir", _ledger_size(1e300))),
    Case("resume-manifest-deeply-nested", COMPARE, "not a peakend run directory",
         rewrite("compare_dir/manifest.json", "[" * 100_000 + "]" * 100_000, listed=False)),
    # symbolic link loops, a file where a folder goes, pseudo-files
    Case("report-manifest-a-symlink-loop", REPORT, "manifest.json: cannot be read",
         _loop("run_dir/manifest.json")),
    Case("resume-manifest-a-symlink-loop", COMPARE, "not a peakend run directory",
         _loop("compare_dir/manifest.json")),
    Case("report-folder-a-symlink-loop", ("report", "loop", "--out", "elsewhere.html"),
         "loop: not a folder", _loop("loop")),
    Case("run-out-a-symlink-loop", (*RUN, "--out", "loop"), "loop", _loop("loop")),
    Case("report-folder-a-file", ("report", "notes.txt", "--out", "elsewhere.html"),
         "notes.txt: not a folder"),
    Case("report-folder-proc-self", ("report", "/proc/self", "--out", "elsewhere.html"),
         "/proc/self: no manifest.json"),
    Case("report-out-dev-null", ("report", "run_dir", "--out", "/dev/null"),
         "exists and is not a peakend report"),
    Case("report-out-a-fifo", ("report", "run_dir", "--out", "pipe.html"),
         "exists and is not a peakend report", fifo("pipe.html")),
]  # fmt: skip


def test_more_hostile_results_folders_are_refused_measured_in_one_child(
    finished_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batched import Command, measure_batch

    commands, before = [], {}
    for case in OWN_CASES:
        work = tmp_path / case.id / "work"
        shutil.copytree(finished_runs, work, symlinks=True)
        (work / "secret.txt").write_text(f"{SECRET}\n")
        if case.setup is not None:
            case.setup(work)
        before[case.id] = snapshot(work.parent)
        commands.append(Command(case.args, work, {"PEAKEND_CORPUS_SECRET": SECRET}))
    for case, measured in zip(OWN_CASES, measure_batch(commands), strict=True):
        print(
            f"{case.id}: exit {measured.status}, {measured.seconds:.2f} s, "
            f"peak so far {measured.peak_bytes / 2**20:.0f} MB"
        )  # shown with -s
        assert_refused(measured, case.message, secret=SECRET)
        after = snapshot(tmp_path / case.id)
        assert_unchanged(before[case.id], after)
        assert sorted(set(after) - set(before[case.id])) == [], case.id


def test_the_own_cases_add_to_every_kind() -> None:
    ids = {case.id for case in OWN_CASES}
    assert len(ids) == len(OWN_CASES) >= 15
    assert not ids & {case.id for case in CASES}
    assert {case.args[0] for case in OWN_CASES} == {"run", "compare", "report"}
