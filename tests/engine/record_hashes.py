"""Hashes of every record of the shipped configs, in their public form, on both engines.

The guard of the lean record path (``docs/benchmarks.md``, memory): a record's storage
may change (narrower dtypes, facts filed in typed chunks, tables streamed to Parquet),
its columns and values may not. Each hash covers, for one shipped config
(``configs/*.toml``) and one engine, replication 1 as :func:`simulate` gives it (the
contact and customer tables, every fact, the moment-utility traces, the agent-minutes
and the capacity log) and as :func:`replicate` gives it (its metrics and its record
frames written as CSV). Every column is widened to its public dtype first (int64,
float64, bool, as :func:`peakend.engine.records.row_dtype` declares for the public
tables), so a narrower storage dtype hashes the same and a changed value does not.

    PYTHONPATH=src python tests/engine/record_hashes.py          # check
    PYTHONPATH=src python tests/engine/record_hashes.py --write  # after a change that
                                                                 # is meant to change records
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("record_hashes.json")


def _public(values: np.ndarray) -> bytes:
    """The bytes of a column widened to its public dtype (int64, float64 or bool)."""
    values = np.asarray(values)
    if values.dtype.names:  # a structured array: each field widened, in order
        return b"".join(_public(values[name]) for name in values.dtype.names)
    kind = values.dtype.kind
    wide = {"i": np.int64, "u": np.int64, "f": np.float64, "b": np.bool_}[kind]
    return np.ascontiguousarray(values, dtype=wide).tobytes()


def fingerprint(out) -> str:  # type: ignore[no-untyped-def]
    """A hash of everything one replication gave, in public dtypes."""
    digest = hashlib.sha256()
    for table in (out.contacts, out.customers):
        for name in table.columns:
            digest.update(name.encode())
            digest.update(_public(table[name]))
    for kind, array in out.facts.arrays.items():
        digest.update(kind.__name__.encode())
        wide = np.array(
            [tuple(row) for row in array.tolist()],
            dtype=[(name, _wide_dtype(array.dtype[name])) for name in array.dtype.names],
        )
        digest.update(np.sort(wide).tobytes())
    digest.update(_public(out.facts.contact_number))
    if out.traces is not None:
        for field in ("owner", "start", "duration", "u_start", "u_end", "kind"):
            digest.update(_public(getattr(out.traces, field)))
    minutes = (out.busy_minutes, out.available_minutes, out.end_time)
    digest.update(repr((minutes, sorted(out.capacity_log.items()))).encode())
    return digest.hexdigest()


def _wide_dtype(dtype: np.dtype) -> type:
    return {"i": np.int64, "u": np.int64, "f": np.float64, "b": np.bool_}[dtype.kind]


def replicate_fingerprint(result) -> str:  # type: ignore[no-untyped-def]
    """A hash of a :func:`replicate` result: its metrics and its record frames as CSV."""
    digest = hashlib.sha256()
    digest.update(repr(sorted(result.metrics.items())).encode())
    for frame in (result.customers, result.contacts, result.traces, result.intervals):
        if frame is not None:
            digest.update(frame.to_csv(index=False).encode())
    return digest.hexdigest()


def hashes() -> dict[str, str]:
    """``{config/engine: hash}`` for every shipped config and both engines, and
    ``{config/replicate: hash}`` for the metrics and frames of one replication."""
    from peakend import load_scenario
    from peakend.runs.runner import replicate
    from peakend.simulation.replication import simulate

    found = {}
    for path in sorted((ROOT / "configs").glob("*.toml")):
        scenario = load_scenario(path)
        for engine in ("fast", "reference"):
            found[f"{path.stem}/{engine}"] = fingerprint(simulate(scenario, 1, engine=engine))
        if scenario.retention.periods == 1:  # a multi-period replication takes minutes
            found[f"{path.stem}/replicate"] = replicate_fingerprint(replicate(scenario, 1))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the golden hashes")
    args = parser.parse_args()
    found = hashes()
    if args.write:
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(found)} hashes to {GOLDEN}")
        return 0
    golden = json.loads(GOLDEN.read_text())
    changed = sorted(
        key for key in golden.keys() | found.keys() if golden.get(key) != found.get(key)
    )
    for key in changed:
        print(f"changed: {key}")
    print("all records identical" if not changed else f"{len(changed)} changed")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
