"""Hashes of what the event loop produced, on every shipped config and every reference case.

The guard of the fast event loop (``docs/benchmarks.md``, engine speed): the journeys
may take fewer events and fewer layers per customer (a fused path for the common
contact, a direct hand-over from a releasing agent to the next ticket, no
abandonment timer that cannot matter), the records may not move by a single bit.
Each hash covers one replication as :func:`~peakend.simulation.replication.simulate`
gives it on one engine: the contact and customer tables, every fact (sorted: the fast
engine reports a lazily noticed abandonment later), the contact numbers, the
moment-utility traces, the agent-minutes and the capacity log. Columns are widened to
their public dtype first (int64, float64, bool), so that a narrower storage of the
same values hashes the same.

The cases are every shipped config (``configs/*.toml``, which ``src/peakend/examples``
ships as the same files) at replications 0 and 1, each differential test case of
``test_core.py`` (every queueing feature: retries, callbacks, escalation, stages,
transfers, priorities, breaks, overflow, chat, holds, balking, IVR, stress, drain) at
seed 0, and the engine benchmark's M/M/c+M with both experience settings.

    PYTHONPATH=src python tests/engine/loop_hashes.py          # check
    PYTHONPATH=src python tests/engine/loop_hashes.py --write  # after a change meant to
                                                               # change records
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("loop_hashes.json")
ENGINES = ("fast", "reference")
_WIDE: dict[str, type] = {"i": np.int64, "u": np.int64, "f": np.float64, "b": np.bool_}


def _wide(values: Any) -> bytes:
    """The bytes of a column widened to its public dtype (int64, float64 or bool)."""
    values = np.asarray(values)
    if values.dtype.names:  # a structured array: each field widened, in order
        return b"".join(_wide(values[name]) for name in values.dtype.names)
    return np.ascontiguousarray(values, dtype=_WIDE[values.dtype.kind]).tobytes()


def fingerprint(out: Any) -> str:
    """A hash of everything one replication gave (see the module docstring)."""
    digest = hashlib.sha256()
    for table in (out.contacts, out.customers):
        for name in table.columns:
            digest.update(name.encode())
            digest.update(_wide(table[name]))
    for kind, array in out.facts.arrays.items():
        digest.update(kind.__name__.encode())
        wide = np.array(
            [tuple(row) for row in array.tolist()],
            dtype=[(name, _WIDE[array.dtype[name].kind]) for name in array.dtype.names],
        )
        digest.update(np.sort(wide).tobytes())  # sorted: the reported order aside
    digest.update(_wide(out.facts.contact_number))
    if out.traces is not None:
        for field in ("owner", "start", "duration", "u_start", "u_end", "kind"):
            digest.update(_wide(getattr(out.traces, field)))
    minutes = (out.busy_minutes, out.available_minutes, out.end_time)
    digest.update(repr((minutes, sorted(out.capacity_log.items()))).encode())
    return digest.hexdigest()


def scenarios() -> Iterator[tuple[str, Any, int]]:
    """``(name, scenario, replication)`` of every case the guard hashes."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # conftest, test_core
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_engine import peakend_scenario
    from test_core import REFERENCE_CASES

    from peakend import load_scenario, scenario_from_dict

    for path in sorted((ROOT / "configs").glob("*.toml")):
        scenario = load_scenario(path)
        for replication in (0, 1):
            yield f"{path.stem}#{replication}", scenario, replication
    for case, data in REFERENCE_CASES.items():
        data = copy.deepcopy(data)
        data["run"]["seed"] = 0
        yield f"case: {case}", scenario_from_dict(data), 1
    for experience in (False, True):
        yield f"bench M/M/c+M, experience {experience}", peakend_scenario(600.0, 0, experience), 0


def hashes() -> dict[str, str]:
    """``{case/engine: hash}`` for every case of :func:`scenarios` and both engines."""
    from peakend.simulation.replication import simulate

    return {
        f"{name}/{engine}": fingerprint(simulate(scenario, replication, engine=engine))
        for name, scenario, replication in scenarios()
        for engine in ENGINES
    }


def check_or_write(hashes: dict[str, str], golden: Path, argv: list[str] | None = None) -> int:
    """The command line of a golden-hash guard: check ``hashes`` against ``golden``
    (exit 1 and name every changed case), or, with ``--write``, write them there."""
    parser = argparse.ArgumentParser(description="Check or write golden record hashes.")
    parser.add_argument("--write", action="store_true", help="write the golden hashes")
    args = parser.parse_args(argv)
    if args.write:
        golden.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(hashes)} hashes to {golden}")
        return 0
    committed = json.loads(golden.read_text())
    changed = sorted(
        key for key in committed.keys() | hashes.keys() if committed.get(key) != hashes.get(key)
    )
    for key in changed:
        print(f"changed: {key}")
    print(f"all {len(hashes)} records identical" if not changed else f"{len(changed)} changed")
    return 1 if changed else 0


def main() -> int:
    return check_or_write(hashes(), GOLDEN)


if __name__ == "__main__":
    sys.exit(main())
