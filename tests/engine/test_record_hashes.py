"""The records of every shipped config are the ones committed (``record_hashes.json``).

The lean record path changes how records are stored (typed chunks, narrow dtypes,
tables streamed to Parquet), never their columns or values: each single-period
shipped config's replication 1, its metrics and record frames, hash as they did
before (its records on both engines are in ``loop_hashes.json``). A change meant to
change records regenerates the file (``python tests/engine/record_hashes.py --write``)
and says so in its commit.
"""

from __future__ import annotations

import json

from record_hashes import GOLDEN, hashes


def test_every_shipped_record_is_byte_identical_to_the_committed_hashes():
    golden = json.loads(GOLDEN.read_text())
    found = hashes()
    assert sorted(found) == sorted(golden)
    changed = [key for key in golden if found[key] != golden[key]]
    assert not changed, f"records changed: {changed}"
