"""Tests for peakend.experience.trace: validation, construction, selection, reductions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from peakend.experience.trace import EpisodeKind, TraceBuilder, Traces


def make(**overrides: Any) -> Traces:
    """Two customers: 0 has two pieces, 1 has one; overrides replace columns."""
    columns: dict[str, Any] = {
        "owner": [0, 0, 1],
        "start": [0.0, 2.0, 0.0],
        "duration": [2.0, 1.0, 4.0],
        "u_start": [-1.0, -3.0, 2.0],
        "u_end": [-3.0, -2.0, 1.0],
        "kind": [EpisodeKind.WAIT, EpisodeKind.SERVICE, EpisodeKind.SERVICE],
        "n": 2,
    }
    columns.update(overrides)
    return Traces(**columns)


# --------------------------------------------------------------------------- validation


def test_columns_are_typed_copies_and_read_only() -> None:
    owner = [0, 0, 1]
    traces = make(owner=owner)
    assert traces.owner.dtype == np.int64
    assert traces.kind.dtype == np.int8
    assert traces.u_start.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        traces.u_start[0] = 5.0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": [0.0, 1.0]}, "equal lengths"),
        ({"owner": [0, 0, 2]}, r"owner 2 is outside \[0, 2\)"),
        ({"owner": [-1, 0, 1]}, r"owner -1 is outside"),
        ({"owner": [0, 1, 0]}, "non-decreasing"),
        ({"owner": [0.0, 0.5, 1.0]}, "owner must hold integers"),
        ({"duration": [2.0, -1.0, 4.0]}, r"duration must be >= 0, piece 1 is -1.0"),
        ({"u_end": [0.0, np.nan, 0.0]}, "u_end must be finite, piece 1"),
        ({"start": [0.0, np.inf, 0.0]}, "start must be finite"),
        ({"kind": [0, 1, 8]}, "kind 8 of piece 2 is not an EpisodeKind code"),
        ({"kind": [0, 1, 300]}, "kind 300"),
        ({"n": -1}, "n must be >= 0"),
        ({"n": 2.0}, "n must be an integer"),
        ({"u_start": [[1.0, 2.0, 3.0]]}, "one-dimensional"),
    ],
)
def test_invalid_traces_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(**overrides)


def test_customers_without_pieces_are_allowed() -> None:
    traces = make(n=4)
    assert traces.counts.tolist() == [2, 1, 0, 0]
    assert traces.offsets.tolist() == [0, 2, 3, 3, 3]
    assert Traces.empty(3).counts.tolist() == [0, 0, 0]


# --------------------------------------------------------------------------- construction


def test_builder_matches_direct_construction() -> None:
    builder = TraceBuilder()
    builder.add(0, 0.0, 2.0, -1.0, -3.0, EpisodeKind.WAIT)
    builder.add(0, 2.0, 1.0, -3.0, -2.0, EpisodeKind.SERVICE)
    builder.add(1, 0.0, 4.0, 2.0, 1.0, EpisodeKind.SERVICE)
    assert len(builder) == 3
    built, direct = builder.build(2), make()
    for name in ("owner", "start", "duration", "u_start", "u_end", "kind"):
        np.testing.assert_array_equal(getattr(built, name), getattr(direct, name))


def test_builder_reports_unsorted_owners() -> None:
    builder = TraceBuilder()
    builder.add(1, 0.0, 1.0, 0.0, 0.0)
    builder.add(0, 0.0, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="non-decreasing"):
        builder.build(2)


def test_from_samples_joins_ratings_linearly() -> None:
    traces = Traces.from_samples([[1, 2, 4], [], [5], [3, 0]], step_minutes=0.5, start_minutes=10)
    assert traces.n == 4
    assert traces.owner.tolist() == [0, 0, 2, 3]
    assert traces.start.tolist() == [10.0, 10.5, 10.0, 10.0]
    assert traces.duration.tolist() == [0.5, 0.5, 0.0, 0.5]  # a single rating is an instant
    assert traces.u_start.tolist() == [1.0, 2.0, 5.0, 3.0]
    assert traces.u_end.tolist() == [2.0, 4.0, 5.0, 0.0]
    assert set(traces.kind.tolist()) == {EpisodeKind.OTHER}


@pytest.mark.parametrize("step", [0.0, -1.0, float("nan"), float("inf")])
def test_from_samples_needs_a_positive_step(step: float) -> None:
    with pytest.raises(ValueError, match="step_minutes must be positive"):
        Traces.from_samples([[1, 2]], step_minutes=step)


def test_concat_renumbers_customers() -> None:
    joined = Traces.concat([make(), Traces.empty(1), make()])
    assert joined.n == 5
    assert joined.owner.tolist() == [0, 0, 1, 3, 3, 4]
    assert Traces.concat([]).n == 0


def test_select_reorders_repeats_and_masks() -> None:
    traces = make(n=3)
    chosen = traces.select([1, 2, 0, 1])
    assert chosen.n == 4
    assert chosen.owner.tolist() == [0, 2, 2, 3]
    assert chosen.u_start.tolist() == [2.0, -1.0, -3.0, 2.0]
    masked = traces.select(np.array([False, True, True]))
    assert masked.n == 2 and masked.owner.tolist() == [0]


@pytest.mark.parametrize("bad", [[3], [-1], np.array([True, False])])
def test_select_rejects_bad_customers(bad: Any) -> None:
    with pytest.raises(ValueError, match="outside|mask"):
        make(n=3).select(bad)


def test_filter_pieces_keeps_customers() -> None:
    kept = make().filter_pieces(np.array([False, True, False]))
    assert kept.n == 2 and kept.counts.tolist() == [1, 0]
    with pytest.raises(ValueError, match="boolean mask"):
        make().filter_pieces([1, 0, 1])


# --------------------------------------------------------------------------- per customer


def test_experienced_time_ignores_gaps() -> None:
    # customer 0 waits 2 min, is away 10 min, then has 3 min of service
    traces = make(start=[0.0, 12.0, 0.0], duration=[2.0, 3.0, 4.0])
    assert traces.piece_end_time.tolist() == [2.0, 5.0, 4.0]
    assert traces.total_duration.tolist() == [5.0, 4.0]


def test_customer_polyline_breaks_at_gaps() -> None:
    times, utilities = make(start=[0.0, 12.0, 0.0]).customer(0)
    np.testing.assert_array_equal(times, [0.0, 2.0, np.nan, 12.0, 13.0])
    np.testing.assert_array_equal(utilities, [-1.0, -3.0, np.nan, -3.0, -2.0])
    times, _ = make(start=[0.0, 12.0, 0.0]).customer(0, experienced=True)
    np.testing.assert_array_equal(times, [0.0, 2.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="outside"):
        make().customer(2)


def test_grouped_reductions_handle_empty_customers() -> None:
    traces = make(n=3)
    values = np.array([5.0, -1.0, 7.0])
    np.testing.assert_array_equal(traces.group_min(values), [-1.0, 7.0, np.nan])
    np.testing.assert_array_equal(traces.group_max(values), [5.0, 7.0, np.nan])
    np.testing.assert_array_equal(traces.group_sum(values), [4.0, 7.0, 0.0])
    np.testing.assert_array_equal(traces.group_first(values), [5.0, 7.0, np.nan])
    np.testing.assert_array_equal(traces.group_last(values), [-1.0, 7.0, np.nan])
    with pytest.raises(ValueError, match="one value per piece"):
        traces.group_sum([1.0, 2.0])


def test_reductions_of_traces_without_pieces() -> None:
    empty = Traces.empty(2)
    assert np.isnan(empty.group_min(np.empty(0))).all()
    assert empty.group_sum(np.empty(0)).tolist() == [0.0, 0.0]
    assert empty.total_duration.tolist() == [0.0, 0.0]
