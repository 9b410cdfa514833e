"""Start-up and install size: ``peakend --help``, ``import peakend``, a fresh venv's size.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7] [--skip-install] [--source DIR]

Times are the best of ``--runs`` fresh processes each (the best, not the mean: a busy
machine only ever adds time), printed beside ``python -c pass`` in the same
interpreter and as a ratio to it, so that figures from machines of different speed
compare. Without ``--skip-install`` it also builds two temporary venvs, one with
``pip install SOURCE`` and one with ``pip install "SOURCE[dask]"`` (SOURCE is this
checkout unless ``--source`` names another, e.g. a worktree of an older commit),
and reports for each the size of its site-packages, the number of installed
distributions (pip itself and setuptools excepted) and the same start-up times
measured in that venv. The venvs are removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What any venv has, whatever it installs.
_TOOLING = {"pip", "setuptools", "wheel"}


def best_of(command: list[str], runs: int) -> float:
    """The shortest wall-clock time of ``runs`` fresh runs of ``command``, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return min(times)


def startup_times(python: Path, runs: int) -> dict[str, float]:
    """``python -c pass``, ``import peakend`` and ``peakend --help`` with this interpreter."""
    script = python.parent / "peakend"
    help_command = [str(script), "--help"] if script.exists() else [str(python), "-m", "peakend"]
    if not script.exists():
        help_command.append("--help")
    return {
        "python -c pass": best_of([str(python), "-c", "pass"], runs),
        "import peakend": best_of([str(python), "-c", "import peakend"], runs),
        "peakend --help": best_of(help_command, runs),
    }


def print_times(title: str, times: dict[str, float]) -> None:
    baseline = times["python -c pass"]
    print(f"\n{title}")
    for name, seconds in times.items():
        print(f"  {name:<16} {seconds:7.3f} s   {seconds / baseline:5.1f} x python -c pass")


def directory_bytes(folder: Path) -> int:
    total = 0
    for path, _, files in os.walk(folder):
        for name in files:
            full = Path(path) / name
            if not full.is_symlink():
                total += full.stat().st_size
    return total


def fresh_install(requirement: str, runs: int) -> dict[str, object]:
    """Install ``requirement`` into a new venv; its size, distributions and start-up times."""
    with tempfile.TemporaryDirectory(prefix="peakend-bench-venv-") as folder:
        venv = Path(folder)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        started = time.perf_counter()
        subprocess.run([str(python), "-m", "pip", "install", "-q", requirement], check=True)
        seconds = time.perf_counter() - started
        listed = subprocess.run(
            [str(python), "-m", "pip", "list", "--format", "json"],
            check=True,
            capture_output=True,
            text=True,
        )
        names = sorted(item["name"].lower() for item in json.loads(listed.stdout))
        site = next((venv / "lib").glob("python*/site-packages"))
        # pip and setuptools come with every venv: not peakend's weight
        tooling = sum(
            directory_bytes(path)
            for path in site.iterdir()
            if path.name.split("-")[0].lower() in _TOOLING or path.name == "_distutils_hack"
        )
        return {
            "requirement": requirement,
            "install_seconds": seconds,
            "site_packages_mb": (directory_bytes(site) - tooling) / 2**20,
            "distributions": [name for name in names if name not in _TOOLING],
            "times": startup_times(python, runs),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per timing")
    parser.add_argument("--skip-install", action="store_true", help="only the start-up times")
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to install")
    options = parser.parse_args()

    print_times(
        f"this interpreter ({sys.executable})", startup_times(Path(sys.executable), options.runs)
    )
    if options.skip_install:
        return
    source = options.source.resolve()
    results = [fresh_install(f"{source}{extra}", options.runs) for extra in ("", "[dask]")]
    core_mb = float(results[0]["site_packages_mb"])  # type: ignore[arg-type]
    core_count = len(results[0]["distributions"])  # type: ignore[arg-type]
    for result in results:
        size = float(result["site_packages_mb"])  # type: ignore[arg-type]
        distributions = list(result["distributions"])  # type: ignore[call-overload]
        print(
            f"\npip install {result['requirement']}: {size:.0f} MB in site-packages "
            f"({size / core_mb:.2f} x the core install), {len(distributions)} distributions "
            f"({len(distributions) - core_count:+d}), "
            f"installed in {result['install_seconds']:.0f} s"
        )
        print(f"  {', '.join(distributions)}")
        print_times("  start-up in that venv", result["times"])  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
