"""Facts filed into typed chunks as the run goes give the records of facts filed at the end.

The shipped configs' days report fewer facts than :data:`SPILL_FACTS`, so the golden
hashes (``test_record_hashes.py``) see one chunk; here the recorder files every few
facts, on both engines, and everything a replication gives hashes the same.
"""

from __future__ import annotations

import pytest
from loop_hashes import fingerprint

from peakend import load_scenario
from peakend.engine import recorder
from peakend.engine.facts import GaveUp
from peakend.simulation.replication import simulate

from conftest import CONFIGS


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_facts_spilled_every_few_give_the_same_records(monkeypatch, engine):
    scenario = load_scenario(CONFIGS[1])  # the contact centre: every lever's facts
    whole = fingerprint(simulate(scenario, 1, engine=engine))
    filed: list[int] = []
    file = recorder.Recorder._file

    def counting(self):  # type: ignore[no-untyped-def]
        filed.append(len(self.facts))
        file(self)

    monkeypatch.setattr(recorder, "SPILL_FACTS", 5)
    monkeypatch.setattr(recorder.Recorder, "_file", counting)
    assert fingerprint(simulate(scenario, 1, engine=engine)) == whole
    assert len(filed) >= 2  # filed during the run (every 1,024 arrivals) and at the end


def test_a_fact_number_beyond_32_bits_is_refused_not_wrapped():
    log = recorder.Recorder(spill_facts=1)
    log.report(GaveUp(2**31, 1.0))
    with pytest.raises(OverflowError):
        log.spill()
