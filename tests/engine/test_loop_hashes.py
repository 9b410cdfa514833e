"""The event loop's records are the ones committed (``loop_hashes.json``), on both engines.

A faster event loop changes how a journey runs (fewer events and layers per
customer), never what it records: every shipped config at replications 0 and 1,
every differential case of ``test_core.py`` and the engine benchmark's scenario hash
as they did before. A change meant to change records regenerates the file
(``python tests/engine/loop_hashes.py --write``) and says so in its commit.
"""

from __future__ import annotations

import json

import pytest
from loop_hashes import GOLDEN, hashes


@pytest.mark.slow  # 48 replications of small days, both engines: about 5 CPU seconds
def test_every_record_of_the_event_loop_is_byte_identical_to_the_committed_hashes():
    golden = json.loads(GOLDEN.read_text())
    found = hashes()
    assert sorted(found) == sorted(golden)
    changed = [key for key in golden if found[key] != golden[key]]
    assert not changed, f"records changed: {changed}"
