"""How fast new cameras may appear, and the tally of those that waited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.cameras.admission import (
    DEFAULT_BURST,
    DEFAULT_PER_MINUTE,
    MAX_TRACKED_IDS,
    NewCameraLimit,
    WaitingSummary,
    WaitingTally,
)

NOW = datetime(2025, 6, 11, 8, tzinfo=UTC)


def test_a_burst_then_a_few_a_minute() -> None:
    limit = NewCameraLimit(now=NOW)
    admitted = sum(limit.admit(NOW) for _ in range(1_000))
    assert admitted == DEFAULT_BURST
    assert not limit.admit(NOW + timedelta(seconds=11))  # not yet a whole one
    assert limit.admit(NOW + timedelta(seconds=13))  # one every 60 s / 5
    one_minute = NOW + timedelta(minutes=1, seconds=20)
    assert sum(limit.admit(one_minute) for _ in range(100)) == DEFAULT_PER_MINUTE


def test_a_long_quiet_time_gives_no_more_than_a_burst() -> None:
    limit = NewCameraLimit(now=NOW, per_minute=2, burst=3)
    later = NOW + timedelta(days=7)
    assert sum(limit.admit(later) for _ in range(100)) == 3


def test_a_clock_going_back_gives_nothing_extra() -> None:
    limit = NewCameraLimit(now=NOW, per_minute=1, burst=1)
    assert limit.admit(NOW)
    assert not limit.admit(NOW - timedelta(hours=1))
    assert not limit.admit(NOW + timedelta(seconds=30))
    assert limit.admit(NOW + timedelta(seconds=60))


@pytest.mark.parametrize(("per_minute", "burst"), [(0, 5), (-1, 5), (5, 0)])
def test_a_limit_must_let_something_through(per_minute: float, burst: int) -> None:
    with pytest.raises(ValueError, match="per_minute"):
        NewCameraLimit(now=NOW, per_minute=per_minute, burst=burst)


def test_the_tally_sums_up_each_interval_and_keeps_totals() -> None:
    tally = WaitingTally()
    assert tally.summary() is None
    assert not tally.pending
    for camera_id in ("a", "b", "a", "c", "d"):
        tally.add(camera_id)
    assert tally.pending
    assert tally.summary() == WaitingSummary(
        cameras=4, messages=5, sample=("a", "b", "c")
    )
    assert tally.summary() is None
    tally.add("a")
    assert tally.summary() == WaitingSummary(cameras=1, messages=1, sample=("a",))
    assert (tally.messages_total, tally.cameras_total) == (6, 5)


def test_the_tally_remembers_a_bounded_number_of_ids() -> None:
    tally = WaitingTally()
    for index in range(MAX_TRACKED_IDS * 3):
        tally.add(f"cam{index}")
    summary = tally.summary()
    assert summary is not None
    assert summary.cameras == MAX_TRACKED_IDS
    assert summary.messages == MAX_TRACKED_IDS * 3
