"""Regenerate docs/quickstart.out: what the README's first quickstart command prints.

    python docs/quickstart_out.py        # from the checkout, in the activated venv

runs ``peakend compare experiments/quickstart.toml`` (the compare of quickstart command 1)
into a temporary folder at a fixed terminal width of 120 columns and writes what it prints
to ``docs/quickstart.out``. ``tests/test_quickstart_out.py`` runs the same function and
requires every line to match byte for byte: same config and seed, same numbers.

What would differ between two honest runs is left out (a decision, written down here):
the wall-clock time, executor and worker count at the end of the first line (``; ran 18 on
processes ×2 in 43.7 s``) and the closing lines that name the temporary output folder and
its plots. Trailing blanks (the table renderer pads every line to the width) are stripped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORED = ROOT / "docs" / "quickstart.out"
WIDTH = "120"  # a fixed terminal width: the tables wrap by it
ARGS = ("compare", "experiments/quickstart.toml")
"""The ``peakend`` arguments of quickstart command 1's compare (before its ``--out``)."""


def normalise(printed: str) -> str:
    """The printed output without timings, executor, output folder and trailing blanks."""
    lines = [line.rstrip() for line in printed.splitlines()]
    if lines:
        lines[0] = re.sub(r"; ran \d+ on .*$", "", lines[0])
    for index, line in enumerate(lines):
        if line.startswith("results written to "):
            lines = lines[:index]
            break
    return "\n".join(lines).rstrip() + "\n"


def quickstart_output() -> str:
    """Run the quickstart's compare in a temporary folder; return its normalised output.

    Raises ``subprocess.CalledProcessError`` (with the command's stderr) when it fails.
    """
    env = {**os.environ, "COLUMNS": WIDTH, "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-m", "peakend", *ARGS, "--out", str(Path(out) / "quickstart")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return normalise(done.stdout)


if __name__ == "__main__":
    STORED.write_text(quickstart_output(), encoding="utf-8")
    print(f"wrote {STORED.relative_to(ROOT)}")
