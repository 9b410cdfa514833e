"""The README quickstart prints what docs/quickstart.out stores, figure for figure.

As SimPy's documentation tests do, the printed output of a documented command is kept
beside the docs and compared with a fresh run: here the compare of quickstart command 1
(``peakend compare experiments/quickstart.toml``), run by the same function that writes
the stored copy (``docs/quickstart_out.py``), at the same terminal width. Same config,
same seed: every line must match byte for byte, whatever the machine or executor. After a
change that moves the quickstart's numbers on purpose, regenerate and review the diff::

    python docs/quickstart_out.py

The run takes about a minute on two busy cores: the test is marked ``slow`` (it still
runs by default and in CI; ``-m "not slow"`` leaves it out while iterating).
"""

from __future__ import annotations

import difflib
import importlib.util
from types import ModuleType

import pytest

from conftest import ROOT

SCRIPT = ROOT / "docs" / "quickstart_out.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quickstart_out", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_normalise_drops_only_what_differs_between_runs() -> None:
    printed = (
        "quickstart: 3 scenarios × 6 replications, seed 1; ran 18 on processes ×2 in 43.7 s\n"
        "  Profit   base   €2,228,212 [2,224,538, 2,231,887]      \n"
        "results written to /tmp/x/, plots: compare_profit.png\n"
        "compare_service_level.png\n"
    )
    assert load_script().normalise(printed) == (
        "quickstart: 3 scenarios × 6 replications, seed 1\n"
        "  Profit   base   €2,228,212 [2,224,538, 2,231,887]\n"
    )


@pytest.mark.slow
def test_the_quickstart_prints_the_stored_output() -> None:
    script = load_script()
    stored = script.STORED.read_text(encoding="utf-8")
    fresh = script.quickstart_output()
    diff = "\n".join(
        difflib.unified_diff(
            stored.splitlines(), fresh.splitlines(), "docs/quickstart.out", "fresh run", lineterm=""
        )
    )
    assert fresh == stored, (
        "the quickstart's output differs from docs/quickstart.out; if on purpose, run "
        f"`python docs/quickstart_out.py` and update the README's quoted figures:\n{diff}"
    )
    assert stored.count("\n") >= 50, "the stored copy holds the whole table"
