"""Hashes of every record of the shipped configs, in their public form, on both engines.

The guard of the lean record path (``docs/benchmarks.md``, memory): a record's storage
may change (narrower dtypes, facts filed in typed chunks, tables streamed to Parquet),
its columns and values may not. Each hash covers, for one single-period shipped
config (``configs/*.toml``), replication 1 as :func:`replicate` gives it: its metrics
and its record frames written as CSV. What :func:`simulate` gives for the same
replications, on both engines and widened to the public dtypes, is hashed by
``loop_hashes.py`` (its cases ``CONFIG#1``), whose fingerprint and command line this
guard shares.

    PYTHONPATH=src python tests/engine/record_hashes.py          # check
    PYTHONPATH=src python tests/engine/record_hashes.py --write  # after a change that
                                                                 # is meant to change records
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from loop_hashes import ROOT, check_or_write

GOLDEN = Path(__file__).with_name("record_hashes.json")


def replicate_fingerprint(result) -> str:  # type: ignore[no-untyped-def]
    """A hash of a :func:`replicate` result: its metrics and its record frames as CSV."""
    digest = hashlib.sha256()
    digest.update(repr(sorted(result.metrics.items())).encode())
    for frame in (result.customers, result.contacts, result.traces, result.intervals):
        if frame is not None:
            digest.update(frame.to_csv(index=False).encode())
    return digest.hexdigest()


def hashes() -> dict[str, str]:
    """``{config/replicate: hash}``: the metrics and frames of one replication of every
    single-period shipped config (a multi-period replication takes minutes)."""
    from peakend import load_scenario
    from peakend.runs.runner import replicate

    found = {}
    for path in sorted((ROOT / "configs").glob("*.toml")):
        scenario = load_scenario(path)
        if scenario.retention.periods == 1:
            found[f"{path.stem}/replicate"] = replicate_fingerprint(replicate(scenario, 1))
    return found


def main() -> int:
    return check_or_write(hashes(), GOLDEN)


if __name__ == "__main__":
    sys.exit(main())
