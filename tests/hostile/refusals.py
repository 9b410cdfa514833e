"""What every case of the untrusted-file corpus checks: a command in a child process,
measured, refused in one line, and nothing that existed before changed.

Import into a test module: ``from refusals import Measured, assert_refused, measure, snapshot``.

A case runs the real command line (``python -m peakend.cli.main ...``) in a child,
under a small parent that reports the child's exit status, wall time and peak
resident memory (``RUSAGE_CHILDREN`` of that parent sees only the child and its
children). The bounds are deliberately generous against what a refusal costs
(start-up is about a second and 150 MB on an idle machine) and tight against what
the unguarded work costs (``/dev/zero`` read to the end grows by gigabytes; a FIFO
blocks forever, so its case times out instead of passing):

- ``MAX_SECONDS``: a refusal that read a huge file or simulated first takes minutes;
  start-up on a 2-core machine whose cores are busy takes a few seconds.
- ``MAX_PEAK_BYTES`` (300 MB, the issue's bound): the interpreter with numpy, pandas,
  SciPy and matplotlib imported peaks near 150-200 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_SECONDS = 30.0
MAX_PEAK_BYTES = 300 * 2**20
CHILD_TIMEOUT_SECONDS = 120.0
"""A child still running after this is killed and the case fails (a hang)."""

_MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
try:
    done = subprocess.run(
        sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]),
        stdin=subprocess.DEVNULL,
    )
    status, out, err = done.returncode, done.stdout, done.stderr
except subprocess.TimeoutExpired as expired:
    status, out, err = "timeout", "", str(expired)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
sys.stdout.write(f"{status} {seconds} {peak}\\n")
sys.stdout.write(out)
sys.stderr.write(err)
"""


@dataclass(frozen=True)
class Measured:
    """A finished child: exit status (None when it hung), time, peak memory, output."""

    status: int | None
    seconds: float
    peak_bytes: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def measure(args: list[str | Path], cwd: Path, timeout: float = CHILD_TIMEOUT_SECONDS) -> Measured:
    """Run ``peakend ARGS`` in ``cwd`` in a child process and measure it."""
    command = [sys.executable, "-m", "peakend.cli.main", *(str(arg) for arg in args)]
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(timeout), *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout + 60,
        env=env,
    )
    head, _, stdout = done.stdout.partition("\n")
    status, seconds, peak = head.split()
    return Measured(
        status=None if status == "timeout" else int(status),
        seconds=float(seconds),
        peak_bytes=int(peak),
        stdout=stdout,
        stderr=done.stderr,
    )


def assert_refused(
    measured: Measured,
    message: str,
    statuses: tuple[int, ...] = (2,),
    secret: str | None = None,
    max_seconds: float = MAX_SECONDS,
    max_peak_bytes: int = MAX_PEAK_BYTES,
) -> None:
    """One ``peakend: error:`` line containing ``message``, an allowed non-zero status,
    no traceback, bounded time and memory, and ``secret`` echoed nowhere."""
    assert measured.status is not None, "the command hung (killed at the time limit)"
    assert measured.status in statuses, (measured.status, measured.stderr)
    lines = measured.error_lines
    assert len(lines) == 1, measured.stderr
    assert lines[0].startswith("peakend: error: "), lines
    assert message in lines[0], lines[0]
    assert "Traceback" not in measured.stderr + measured.stdout
    assert measured.seconds < max_seconds, measured.seconds
    assert measured.peak_bytes < max_peak_bytes, measured.peak_bytes / 2**20
    if secret is not None:
        assert secret not in measured.stderr and secret not in measured.stdout


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every regular file under ``root`` (relative name -> content; None for other kinds),
    without following symbolic links or opening FIFOs and devices."""
    found: dict[str, bytes | None] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            relative = str(path.relative_to(root))
            if path.is_symlink():
                found[relative] = os.readlink(path).encode()
            elif path.is_file():
                found[relative] = path.read_bytes()
            elif not path.is_dir():
                found[relative] = None
    return found


def assert_unchanged(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> None:
    """Nothing that existed in ``before`` changed or vanished in ``after``."""
    for name, content in before.items():
        assert name in after, f"{name} vanished"
        assert after[name] == content, f"{name} changed"
