"""A corpus of hostile input files: arrival files and extreme numbers, run as a user would.

Each case writes a small workspace (a scenario folder ``scn`` with ``s.toml`` and the
files the case needs, and a folder ``outside`` beside it holding a valid times file),
then runs ``peakend run scn/s.toml --out out`` in a child process, measured
(:mod:`refusals`: exit status, wall time, peak memory). A refused case must give

- exit status 2 and exactly one ``peakend: error:`` line that names the arrival file
  (or the scenario and its key) and what is wrong, no traceback,
- within the harness's bounds (30 s, 300 MB): ``/dev/zero``, a named pipe and
  ``/proc/self/environ`` are refused before a byte is read (their in-process CPU
  time is checked in ``tests/engine/test_arrival_files.py``),
- no echo of the file's contents: every case runs with :data:`SECRET` in the
  environment, and the files that carry text carry it too,
- nothing written (no ``out``) and nothing changed in the workspace.

Kinds covered: pseudo-files and devices (``/dev/zero``, ``/proc``, symbolic links to
them, even from an allowed folder), named pipes, directories, missing files, path
escapes (``..``, absolute, symbolic links to files and to folders), sizes (a huge
file, too many rows, a very long line), encodings (binary, not UTF-8, UTF-16, an
empty file, a header only), numbers (huge, ``1e308``, beyond double range, NaN,
infinity, negative, hexadecimal, unsorted, beyond the day), the memory budget
counting replayed arrivals, and the post-run staffing search of an extreme but valid
service time (which runs to completion). A few valid files (CRLF with a byte-order
mark, an allowed outside folder) must still run.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from refusals import (
    PRELOADED,
    RUN_PRELOADED,
    Measured,
    assert_refused,
    assert_unchanged,
    measure,
    snapshot,
)

from conftest import busy_day_data

SECRET = "peakend-corpus-secret-5a7c1e"
"""In the environment of every case and inside the hostile files: never in the output."""

VALID_TIMES = "minutes,segment\n0.5,a\n3.25,b\n70,a\n"
ROWS_LIMIT = 1_000_000  # peakend.config.arrival_files.MAX_REPLAYED_ARRIVALS
OUTSIDE = "{outside}"
"""Placeholder for the absolute path of the folder beside the scenario's."""


@dataclass(frozen=True)
class Case:
    id: str
    message: tuple[str, ...]
    """Pieces the one error line must contain (the file first)."""
    times: str | bytes | None = None
    """Content of ``scn/times.csv`` (None: no such file)."""
    key: str = "times_file"
    path: Any = "times.csv"
    """The value of ``arrivals.<key>`` (``{outside}`` is replaced)."""
    files: dict[str, str | bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    """Symbolic links in ``scn``: name -> target (``{outside}`` is replaced)."""
    fifos: tuple[str, ...] = ()
    sockets: tuple[str, ...] = ()
    """Unix sockets in ``scn`` (bound, then closed: the file stays a socket)."""
    sparse: dict[str, int] = field(default_factory=dict)
    """Files in ``scn`` of this size, all holes (created at once, never read)."""
    folders: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    profile: bool = True
    """Whether the scenario gives ``rate_per_hour`` (else the times file sets the day)."""
    args: tuple[str, ...] = ()


def _times(*rows: str) -> str:
    return "minutes\n" + "".join(f"{row}\n" for row in rows)


CASES = [
    # ------------------------------------------------ what the issue names
    Case("dev-zero", ("times_file", "'/dev/zero'", "pseudo-file"), path="/dev/zero"),
    Case("fifo", ("pipe.csv", "named pipe"), path="pipe.csv", fifos=("pipe.csv",)),
    Case("proc-self-environ", ("times_file", "pseudo-file"), path="/proc/self/environ"),
    Case("etc-passwd", ("counts_file", "outside the scenario's folder"), key="counts_file",
         path="/etc/passwd"),
    Case("3e9-minutes", ("times.csv", "line 2, column 1 ('minutes')", "end of the day"),
         times=_times("3e9")),
    Case("1e308-minutes", ("times.csv", "line 2", "end of the longest day"),
         times=_times("1e308"), profile=False),
    # ------------------------------------------------ pseudo-files, devices, kinds
    Case("proc-environ-allowed-folder", ("pseudo-file",), path="/proc/self/environ",
         env={"PEAKEND_DATA_DIRS": "/"}),
    Case("link-to-proc-environ", ("'env.csv'", "pseudo-file"), path="env.csv",
         links={"env.csv": "/proc/self/environ"}),
    Case("link-to-dev-zero-counts", ("counts_file", "pseudo-file"), key="counts_file",
         path="zero.csv", links={"zero.csv": "/dev/zero"}),
    Case("dev-urandom-allowed-folder", ("pseudo-file",), path="/dev/urandom",
         env={"PEAKEND_DATA_DIRS": "/dev"}),
    Case("fifo-in-allowed-folder", ("named pipe",), path=f"{OUTSIDE}/pipe.csv",
         env={"PEAKEND_DATA_DIRS": OUTSIDE}),
    Case("directory", ("data", "is a directory"), path="data", folders=("data",)),
    Case("missing-file", ("nowhere.csv", "file not found"), path="nowhere.csv"),
    Case("path-not-a-string", ("arrivals.times_file", "expected a file path"), path=5),
    Case("path-empty", ("arrivals.times_file", "expected a file name"), path=""),
    # ------------------------------------------------ escapes from the scenario's folder
    Case("dotdot-escape", ("'../outside/times.csv'", "outside the scenario's folder"),
         path="../outside/times.csv"),
    Case("absolute-escape", ("outside the scenario's folder",), path=f"{OUTSIDE}/times.csv"),
    Case("symlink-escape", ("'link.csv'", "outside the scenario's folder"), path="link.csv",
         links={"link.csv": f"{OUTSIDE}/times.csv"}),
    Case("symlinked-folder-escape", ("'data/times.csv'", "outside the scenario's folder"),
         path="data/times.csv", links={"data": OUTSIDE}),
    Case("dotdot-inside-then-out", ("outside the scenario's folder",),
         path="data/../../outside/times.csv", folders=("data",)),
    # ------------------------------------------------ sizes
    Case("huge-file", ("big.csv", "larger than the limit of 32 MiB"), path="big.csv",
         sparse={"big.csv": 33 * 2**20}),
    Case("too-many-rows", ("times.csv", "more than the limit", "1,000,000 rows"),
         times="minutes\n" + "1\n" * (ROWS_LIMIT + 1)),
    Case("too-many-intervals", ("counts.csv", "more than the limit", "100,000 rows"),
         key="counts_file", path="counts.csv",
         files={"counts.csv": "interval,count\n" + "".join(f"{i},1\n" for i in range(100_001))}),
    Case("lines-just-under-the-limit", ("times.csv", "line 2", "too large"),
         times="minutes\n" + ("1" * 999 + "\n") * ((32 * 2**20 - 8) // 1000)),
    Case("very-long-line", ("times.csv", "line 2", "longer than 1,000 bytes"),
         times=f"minutes\n{SECRET * 200}\n"),
    Case("count-beyond-limit", ("counts.csv", "line 3, column 2 ('count')", "1,000,000,000"),
         key="counts_file", path="counts.csv",
         files={"counts.csv": "interval,count\n0,1\n1,1e300\n2,1\n3,1\n"}),
    # ------------------------------------------------ encodings and shapes
    Case("binary-garbage", ("times.csv", "binary data"),
         times=b"minutes\n" + bytes(range(256)) + SECRET.encode()),
    Case("not-utf8", ("times.csv", "line 2, column 3", "not UTF-8"),
         times=b"minutes\n1.\xff\xfe" + SECRET.encode() + b"\n"),
    Case("utf-16", ("times.csv", "UTF-16"), times=_times("1", "2").encode("utf-16")),
    Case("empty-file", ("times.csv", "empty"), times=""),
    Case("header-only", ("times.csv", "no arrivals"), times="minutes\n"),
    Case("header-is-a-secret", ("times.csv", "line 1: no column 'minutes'"),
         times=f"{SECRET},x\n1,2\n"),
    Case("unterminated-quote", ("times.csv", "not valid CSV"), times='minutes\n"1\n'),
    Case("missing-cell", ("times.csv", "line 3: no value in column 2 ('segment')"),
         times="minutes,segment\n1,a\n2\n"),
    Case("unknown-segment-secret", ("times.csv", "line 2, column 2 ('segment')", "allowed: a, b"),
         times=f"minutes,segment\n1,{SECRET}\n"),
    # ------------------------------------------------ numbers
    Case("beyond-double-range", ("times.csv", "line 2", "too large"), times=_times("1e999")),
    Case("nan", ("times.csv", "line 3, column 1", "not a number"), times=_times("1", "nan")),
    Case("infinity", ("times.csv", "line 2", "not a number"), times=_times("inf")),
    Case("negative", ("times.csv", "line 2", "negative"), times=_times("-5")),
    Case("hexadecimal", ("times.csv", "line 2", "not a number"), times=_times("0x10")),
    Case("underscores", ("times.csv", "line 2", "not a number"), times=_times("1_000")),
    Case("cell-is-a-secret", ("times.csv", "line 2", "not a number"), times=_times(SECRET)),
    Case("unsorted", ("times.csv", "line 4", "earlier than the time on line 3"),
         times=_times("1", "5", "2")),
    Case("counts-out-of-order", ("counts.csv", "line 3, column 1 ('interval')", "expected 1"),
         key="counts_file", path="counts.csv", files={"counts.csv": "interval,count\n0,1\n2,1\n"}),
    # ------------------------------------------------ the memory budget counts a replay
    Case("replay-counted-by-budget",
         ("s.toml: too big to run", "~200,000 customers per replication"),
         times="minutes\n" + "1\n" * 200_000, args=("--memory-budget", "1GiB")),
    # A million replayed arrivals (the most a file may hold) fit the default 4 GiB budget
    # since a run streams big records (about 1.5 GiB estimated here); below it, refused.
    Case("million-arrivals-over-the-budget", ("s.toml: too big to run", "~1e+06 customers"),
         times="minutes,segment\n" + "1.5,a\n" * ROWS_LIMIT, args=("--memory-budget", "1GiB")),
]  # fmt: skip


def _scenario(case: Case, outside: Path) -> dict[str, Any]:
    data = busy_day_data()
    data["run"]["replications"] = 2
    if not case.profile:
        del data["arrivals"]["rate_per_hour"]
    path = case.path.replace(OUTSIDE, str(outside)) if isinstance(case.path, str) else case.path
    data["arrivals"][case.key] = path
    return data


def _workspace(root: Path, case: Case) -> tuple[Path, Path]:
    """``root/scn`` (the scenario and the case's files) and ``root/outside``."""
    folder, outside = root / "scn", root / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "times.csv").write_text(VALID_TIMES)
    os.mkfifo(outside / "pipe.csv")
    for name in case.folders:
        (folder / name).mkdir()
    files: dict[str, str | bytes] = dict(case.files)
    if case.times is not None:
        files["times.csv"] = case.times
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, newline="")
    for name, target in case.links.items():
        (folder / name).symlink_to(target.replace(OUTSIDE, str(outside)))
    for name in case.fifos:
        os.mkfifo(folder / name)
    for name in case.sockets:
        with socket.socket(socket.AF_UNIX) as bound:
            bound.bind(str(folder / name))
    for name, size in case.sparse.items():
        with (folder / name).open("wb") as handle:
            handle.truncate(size)
    (folder / "s.toml").write_text(tomli_w.dumps(_scenario(case, outside)))
    return folder, outside


def _run(
    root: Path,
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
    preloaded: tuple[str, ...] = PRELOADED,
) -> Measured:
    monkeypatch.setenv("PEAKEND_CORPUS_SECRET", SECRET)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value.replace(OUTSIDE, str(root / "outside")))
    args = ["run", "scn/s.toml", "--out", "out", "-q", *case.args]
    return measure(args, cwd=root, preloaded=preloaded)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_hostile_input_file_is_refused_in_one_line_measured(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _workspace(tmp_path, case)
    before = snapshot(tmp_path)
    measured = _run(tmp_path, case, monkeypatch)
    print(
        f"{case.id}: exit {measured.status}, {measured.seconds:.1f} s, "
        f"{measured.peak_bytes / 2**20:.0f} MB"
    )  # shown with -s

    assert_refused(measured, case.message[0], secret=SECRET)
    for piece in case.message[1:]:
        assert piece in measured.error_lines[0], measured.error_lines[0]
    assert "root:x:0" not in measured.stderr + measured.stdout  # /etc/passwd's first line
    assert not (tmp_path / "out").exists()
    assert_unchanged(before, snapshot(tmp_path))


def test_the_corpus_covers_every_kind() -> None:
    assert len(CASES) >= 45
    ids = {case.id for case in CASES}
    assert {"dev-zero", "fifo", "proc-self-environ", "etc-passwd"} <= ids
    assert len(ids) == len(CASES)


# ------------------------------------------------ more of each kind, batched in one child
# Cases beyond the issue's own, refused in a child that runs them one after another
# (``batched.measure_batch``): what each tests is the reader, not the child's isolation.
# Same checks as above; the peak memory is the child's high-water mark after the case.

OWN_CASES = [
    # kinds of file
    Case("symlink-loop", ("a.csv", "Too many levels of symbolic links"), path="a.csv",
         links={"a.csv": "b.csv", "b.csv": "a.csv"}),
    Case("symlink-to-itself", ("self.csv", "Too many levels of symbolic links"),
         path="self.csv", links={"self.csv": "self.csv"}),
    Case("dangling-symlink", ("gone.csv", "file not found"), path="gone.csv",
         links={"gone.csv": "nowhere.csv"}),
    Case("unix-socket", ("sock.csv", "is a socket, not a regular file"), path="sock.csv",
         sockets=("sock.csv",)),
    Case("dev-stdin", ("'/dev/stdin'", "pseudo-file"), path="/dev/stdin"),
    Case("dotdot-into-proc", ("pseudo-file",), path="../" * 12 + "proc/self/environ"),
    Case("sparse-one-byte-over", ("big.csv", "larger than the limit of 32 MiB"), path="big.csv",
         sparse={"big.csv": 32 * 2**20 + 1}),
    # an allowed folder of system files: read, refused, never echoed
    Case("etc-passwd-allowed-folder", ("/etc/passwd", "line 1: no column 'interval'"),
         key="counts_file", path="/etc/passwd", env={"PEAKEND_DATA_DIRS": "/etc"}),
    Case("etc-hostname-allowed-folder", ("/etc/hostname", "line 1: no column 'minutes'"),
         path="/etc/hostname", env={"PEAKEND_DATA_DIRS": "/etc"}),
    # rows and the budget, at the sizes
    Case("replayed-1.5m-timestamps", ("times.csv", "1,500,001 lines", "1,000,000 rows"),
         times="minutes\n" + "1\n" * 1_500_000),
    Case("counted-2m-rows", ("counts.csv", "2,000,001 lines", "100,000 rows"),
         key="counts_file", path="counts.csv",
         files={"counts.csv": "interval,count\n" + "0,1\n" * 2_000_000}),
    Case("counts-over-the-budget", ("s.toml: too big to run", "~5e+08 customers"),
         key="counts_file", path="counts.csv",
         files={"counts.csv": "interval,count\n0,1\n1,5e8\n2,1\n3,1\n"}),
    # encodings, line ends and forged lines inside a file
    Case("cr-only-line-ends", ("times.csv", "line 1", "not valid CSV"),
         times=b"minutes\r1\r2\r"),
    Case("escapes-and-a-forged-line-in-a-cell", ("times.csv", "line 2", "not valid CSV"),
         times=b"minutes,segment\n1,a\x1b[2J\rpeakend: error: forged\n"),
    Case("latin-1-segment", ("times.csv", "line 2, column 3", "not UTF-8"),
         times=b"minutes,segment\n1,\xe9t\xe9\n"),
    # names of files: shown escaped, never raw
    Case("bidi-named-pipe", ("\\u202epipe.csv", "named pipe"), path="\u202epipe.csv",
         fifos=("\u202epipe.csv",)),
    Case("c1-control-in-the-path", ("\\x9bnone.csv", "file not found"), path="\x9bnone.csv"),
]  # fmt: skip


def test_more_hostile_input_files_are_refused_in_one_line_measured_in_one_child(
    tmp_path: Path,
) -> None:
    from batched import Command, measure_batch

    commands, before = [], {}
    for case in OWN_CASES:
        root = tmp_path / case.id
        root.mkdir()
        _workspace(root, case)
        before[case.id] = snapshot(root)
        env = {
            name: value.replace(OUTSIDE, str(root / "outside")) for name, value in case.env.items()
        }
        env["PEAKEND_CORPUS_SECRET"] = SECRET
        args = ("run", "scn/s.toml", "--out", "out", "-q", *case.args)
        commands.append(Command(args, root, env))
    for case, measured in zip(OWN_CASES, measure_batch(commands), strict=True):
        print(
            f"{case.id}: exit {measured.status}, {measured.seconds:.2f} s, "
            f"peak so far {measured.peak_bytes / 2**20:.0f} MB"
        )  # shown with -s
        assert_refused(measured, case.message[0], secret=SECRET)
        for piece in case.message[1:]:
            assert piece in measured.error_lines[0], (case.id, measured.error_lines[0])
        assert "root:x:0" not in measured.stderr + measured.stdout, case.id
        assert "\x1b" not in measured.stderr and "\u202e" not in measured.stderr, case.id
        root = tmp_path / case.id
        assert not (root / "out").exists(), case.id
        assert_unchanged(before[case.id], snapshot(root))


def test_the_own_cases_cover_more_of_every_kind() -> None:
    ids = {case.id for case in OWN_CASES}
    assert len(ids) == len(OWN_CASES) >= 15
    assert not ids & {case.id for case in CASES}


def test_a_file_that_grows_while_it_is_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file is checked (kind, size) and opened; then it grows past the limit before
    # it is read (appended to right after the check of the open descriptor). Reading
    # stops one byte past the limit and refuses, for arrival files and result folders.
    from peakend.base.reading import read_limited
    from peakend.config.arrival_files import ArrivalFileError
    from peakend.store import ledger

    real_fstat = os.fstat
    path = tmp_path / "times.csv"

    def fstat_then_grow(descriptor: int) -> os.stat_result:
        found = real_fstat(descriptor)
        with path.open("ab") as handle:
            handle.write(b"1\n" * 64)
        return found

    path.write_text("minutes\n1\n")
    monkeypatch.setattr(os, "fstat", fstat_then_grow)

    def refuse(shown: Path, size: int) -> None:
        if size > 32:
            raise ArrivalFileError(f"{shown}: grew to {size} bytes")

    with pytest.raises(ArrivalFileError, match="grew to 33 bytes"):  # the limit and one more
        read_limited(path, path, 32, ArrivalFileError, lambda shown, mode: None, refuse)
    path.write_text("minutes\n1\n")
    with pytest.raises(ledger.OutputError, match="grew above the 32 bytes"):
        ledger.read_inside(tmp_path, "times.csv", 32)


# ------------------------------------------------ valid files still run


ACCEPTED = [
    Case("crlf-with-bom", (), times=b"\xef\xbb\xbfminutes,segment\r\n0.5,a\r\n3.25,b\r\n70,a\r\n"),
    Case("allowed-outside-folder", (), path="../outside/times.csv",
         env={"PEAKEND_DATA_DIRS": OUTSIDE}),
    Case("link-inside-the-folder", (), path="link.csv", files={"real.csv": VALID_TIMES},
         links={"link.csv": "real.csv"}),
    Case("subfolder-and-blank-lines", (), path="data/t.csv",
         files={"data/t.csv": "minutes,segment\n\n0.5,a\n\n70,b\n\n"}, folders=("data",)),
]  # fmt: skip


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.id for case in ACCEPTED])
def test_a_valid_arrival_file_still_runs(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _workspace(tmp_path, case)
    measured = _run(tmp_path, case, monkeypatch, RUN_PRELOADED)  # runs to the end
    assert measured.status == 0, measured.stderr
    assert measured.peak_bytes < 300 * 2**20 and measured.cpu_seconds < 60
    resolved = (tmp_path / "out" / "resolved_config.toml").read_text()
    assert "times = [" in resolved


# ------------------------------------------------ extreme but valid numbers (post-run work)


def test_an_extreme_service_time_runs_to_the_end_with_empty_staffing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mean service time of 1e7 minutes: millions of Erlangs. The Erlang C and A
    # staffing of intervals.csv stop at 100,000 agents at once (this hung for hours).
    data = busy_day_data()
    data["run"]["replications"] = 2
    data["pools"]["agents"]["service_time"] = {"distribution": "exponential", "mean": 1e7}
    (tmp_path / "slow.toml").write_text(tomli_w.dumps(data))
    monkeypatch.setenv("PEAKEND_CORPUS_SECRET", SECRET)
    measured = measure(
        ["run", "slow.toml", "--out", "out", "-q", "--executor", "serial"],
        cwd=tmp_path,
        preloaded=RUN_PRELOADED,
    )
    assert measured.status == 0, measured.stderr
    assert "Traceback" not in measured.stderr
    assert measured.cpu_seconds < 60 and measured.peak_bytes < 400 * 2**20
    lines = (tmp_path / "out" / "intervals.csv").read_text().splitlines()
    header = lines[0].split(",")
    columns = header.index("erlang_c_agents"), header.index("erlang_a_agents")
    for line in lines[1:]:
        cells = line.split(",")
        assert [cells[i] for i in columns] == ["", ""]


# Refused before the heavy imports: what "within a second" rests on, asserted without a
# clock. The engine, the statistics (SciPy) and pandas are imported only once the
# scenario and its arrival files have loaded, so a refused file costs the interpreter
# and the schema (measured: 0.3-0.5 s and under 50 MB on the 2-core machine).
_REFUSE_AND_REPORT_IMPORTS = """
import sys
from peakend.cli.main import main
try:
    main(["run", "s.toml", "--out", "o"])
except SystemExit as exit:
    heavy = sorted(m for m in ("scipy", "pandas", "peakend.runs.runner") if m in sys.modules)
    print(exit.code, ",".join(heavy) or "-")
"""


@pytest.mark.parametrize("path", ["/dev/zero", "pipe.csv", "/proc/self/environ"])
def test_a_refused_arrival_file_costs_no_heavy_import(path: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    data = busy_day_data()
    del data["arrivals"]["rate_per_hour"]
    data["arrivals"]["times_file"] = path
    (tmp_path / "s.toml").write_text(tomli_w.dumps(data))
    os.mkfifo(tmp_path / "pipe.csv")
    done = subprocess.run(
        [sys.executable, "-c", _REFUSE_AND_REPORT_IMPORTS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.stdout.split() == ["2", "-"], (done.stdout, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1
