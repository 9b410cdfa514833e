"""A multi-period run's records handed over a day at a time (``run_periods(..., emit=)``).

What was handed over, concatenated, is exactly what a run without ``emit`` keeps
(frames, dtypes, categories, row order, CSV bytes), every other table and metric is
the same, and a run without ``emit`` gives the records it gave before streaming
existed: ``multiperiod_hashes.json`` holds the fingerprints written by the code before
``emit`` (commit 824e2d7), for the two shipped configs with a retention loop, shrunk
to two periods and a tenth of their customers so that each runs in about a second.

    PYTHONPATH=src python tests/retention/test_streamed_records.py --write  # after a change
                                                                           # meant to change them
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from peakend import Scenario, load_scenario, scale_staffing
from peakend.retention.multiperiod import MultiPeriodOutput, run_periods

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("multiperiod_hashes.json")
SHRUNK = ["retention.periods=2", "retention.population*=0.1", "arrivals.rate_per_hour*=0.1"]
CASES = {
    # a warm-up week and a steady base
    "contact_centre_12_weeks": (ROOT / "configs" / "contact_centre_12_weeks.toml", 1),
    # no warm-up, a fixed acquisition, two skills
    "two_skill_centre": (ROOT / "configs" / "two_skill_centre.toml", 0),
}


def shrunk(path: Path) -> Scenario:
    """The shipped config over two periods, with a tenth of its customers and staff."""
    return scale_staffing(load_scenario(path, SHRUNK), 0.1)


def csv_hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def fingerprint(out: MultiPeriodOutput) -> str:
    """A hash of everything a run gives: metrics, and every table as CSV with its dtypes."""
    digest = hashlib.sha256(repr(sorted(out.metrics.items())).encode())
    for frame in (out.periods, out.cohorts, out.visits, out.contacts):
        digest.update(frame.to_csv(index=False).encode())
        digest.update(repr([str(dtype) for dtype in frame.dtypes]).encode())
    return digest.hexdigest()


def streamed(scenario: Scenario, replication: int) -> tuple[MultiPeriodOutput, dict]:
    """A run with ``emit``, and what it handed over, by name, in order."""
    handed: dict[str, list[pd.DataFrame]] = {"customers": [], "contacts": []}
    out = run_periods(scenario, replication, emit=lambda name, frame: handed[name].append(frame))
    return out, handed


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_is_handed_over_is_exactly_what_a_run_keeps(name):
    path, replication = CASES[name]
    scenario = shrunk(path)
    kept = run_periods(scenario, replication)
    assert fingerprint(kept) == json.loads(GOLDEN.read_text())[name]  # as before emit existed
    out, handed = streamed(scenario, replication)
    days = scenario.retention.periods * scenario.retention.days_per_period
    for kind, whole, empty in (
        ("customers", kept.visits, out.visits),
        ("contacts", kept.contacts, out.contacts),
    ):
        assert len(handed[kind]) == days  # one frame a day, days in order
        per = scenario.retention.days_per_period
        when = [frame["period"].iat[0] * per + frame["day"].iat[0] for frame in handed[kind]]
        assert when == list(range(days))
        joined = pd.concat(handed[kind], ignore_index=True)
        assert_frame_equal(joined, whole, check_exact=True)
        assert csv_hash(joined) == csv_hash(whole)
        # nothing kept, but the columns and dtypes (categories included) are there
        assert len(empty) == 0
        assert list(empty.columns) == list(whole.columns)
        assert dict(empty.dtypes) == dict(whole.dtypes)
    assert_frame_equal(out.periods, kept.periods, check_exact=True)
    assert_frame_equal(out.cohorts, kept.cohorts, check_exact=True)
    assert out.metrics == kept.metrics


def test_a_day_nobody_calls_hands_nothing_over():
    from test_calendar import calendar

    scenario = calendar(periods=2, days=3, day_load=[1.5, 0.0, 1.5])
    kept = run_periods(scenario, 0)
    out, handed = streamed(scenario, 0)
    assert [int(frame["day"].iat[0]) for frame in handed["customers"]] == [0, 2, 0, 2]
    assert_frame_equal(pd.concat(handed["customers"], ignore_index=True), kept.visits)
    assert_frame_equal(pd.concat(handed["contacts"], ignore_index=True), kept.contacts)
    assert out.metrics == kept.metrics


def main() -> int:
    """Check the fingerprints, or write them with ``--write``."""
    found = {
        name: fingerprint(run_periods(shrunk(path), rep)) for name, (path, rep) in CASES.items()
    }
    if "--write" in sys.argv:
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        return 0
    golden = json.loads(GOLDEN.read_text())
    changed = sorted(name for name in found if golden.get(name) != found[name])
    print("changed: " + ", ".join(changed) if changed else "unchanged")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
