"""The replay guard: remembers accepted commands until they expire, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.automations.replay import (
    Distrust,
    ReplayGuard,
    restore_guard,
)
from custom_components.ha_ai.engine.stored import UnreadableStoreError

NOW = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_remembers_until_expiry() -> None:
    guard = ReplayGuard()
    guard.remember("a", NOW + MINUTE, NOW)
    assert guard.seen("a", NOW)
    assert guard.seen("a", NOW + MINUTE)
    assert not guard.seen("a", NOW + 2 * MINUTE)
    assert not guard.seen("b", NOW)


def test_bounded_expired_first_then_oldest_which_are_then_distrusted() -> None:
    guard = ReplayGuard(max_events=3)
    guard.remember("old", NOW + 10 * MINUTE, NOW)
    guard.remember("short", NOW + MINUTE, NOW)
    guard.remember("c", NOW + 10 * MINUTE, NOW)
    later = NOW + 2 * MINUTE
    guard.remember("d", NOW + 10 * MINUTE, later)
    assert len(guard) == 3
    assert [
        event for event in ("old", "short", "c", "d") if guard.seen(event, later)
    ] == [
        "old",
        "c",
        "d",
    ]
    guard.remember("e", NOW + 10 * MINUTE, later)
    assert len(guard) == 3
    assert not guard.seen("old", later)
    assert guard.seen("e", later)
    # "old" was forgotten before it expired: a replay of it must still fail.
    assert guard.distrusted(NOW + 10 * MINUTE, later) == NOW + 10 * MINUTE
    assert guard.distrusted(NOW + 11 * MINUTE, later) is None


def test_remembering_again_refreshes() -> None:
    guard = ReplayGuard(max_events=2)
    guard.remember("a", NOW + MINUTE, NOW)
    guard.remember("b", NOW + MINUTE, NOW)
    guard.remember("a", NOW + 5 * MINUTE, NOW)
    guard.remember("c", NOW + MINUTE, NOW)
    assert guard.seen("a", NOW + 3 * MINUTE)
    assert not guard.seen("b", NOW)


def test_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ReplayGuard(max_events=0)


def test_an_evicted_command_with_its_issue_time_distrusts_exactly_up_to_it() -> None:
    guard = ReplayGuard(max_events=1)
    guard.remember("a", NOW + 10 * MINUTE, NOW, issued_at=NOW - MINUTE)
    guard.remember("b", NOW + 10 * MINUTE, NOW, issued_at=NOW)
    assert guard.distrusted(NOW - MINUTE, NOW) == NOW - MINUTE
    assert guard.distrusted(NOW, NOW) is None


def test_distrust_widens_and_ends() -> None:
    guard = ReplayGuard()
    assert guard.distrust_in_force is None
    guard.distrust(NOW, until=NOW + MINUTE)
    widened = guard.distrust(NOW - MINUTE, until=NOW + 5 * MINUTE)
    assert widened == Distrust(NOW, NOW + 5 * MINUTE)
    assert guard.distrusted(NOW, NOW + 5 * MINUTE) == NOW
    assert guard.distrusted(NOW, NOW + 6 * MINUTE) is None
    assert guard.distrust_in_force is None


def test_survives_as_data_without_what_expired() -> None:
    guard = ReplayGuard()
    guard.remember("gone", NOW + MINUTE, NOW, issued_at=NOW)
    guard.remember("kept", NOW + 10 * MINUTE, NOW, issued_at=NOW)
    guard.distrust(NOW, until=NOW + 3 * MINUTE)
    later = NOW + 2 * MINUTE
    data = guard.as_data(later)
    assert data == {
        "accepted": {"kept": [NOW.isoformat(), (NOW + 10 * MINUTE).isoformat()]},
        "distrust": [NOW.isoformat(), (NOW + 3 * MINUTE).isoformat()],
    }
    loaded = ReplayGuard.from_data(data, later)
    assert loaded.unreadable == 0
    assert loaded.guard.seen("kept", later)
    assert not loaded.guard.seen("gone", later)
    assert loaded.guard.distrusted(NOW, later) == NOW
    # Past the distrust, it is neither kept nor read back.
    much_later = NOW + 4 * MINUTE
    assert guard.as_data(much_later)["distrust"] is None
    assert ReplayGuard.from_data(data, much_later).guard.distrust_in_force is None


def test_from_data_keeps_the_latest_to_expire_within_the_bound() -> None:
    data = {
        "accepted": {
            name: [NOW.isoformat(), (NOW + minutes * MINUTE).isoformat()]
            for name, minutes in (("late", 9), ("soon", 1), ("middle", 5))
        }
    }
    loaded = ReplayGuard.from_data(data, NOW, max_events=2)
    assert [name for name in ("late", "soon", "middle") if loaded.guard.seen(name, NOW)]
    assert loaded.guard.seen("late", NOW)
    assert loaded.guard.seen("middle", NOW)
    assert loaded.guard.distrusted(NOW, NOW) == NOW


@pytest.mark.parametrize(
    ("data", "unreadable"),
    [
        ({"accepted": {"a b": [NOW.isoformat(), NOW.isoformat()]}}, 1),
        ({"accepted": {"a": "2025-06-02"}}, 1),
        ({"accepted": {"a": [1, 2]}}, 1),
        ({"accepted": {"a": ["x", "y"]}}, 1),
        ({"accepted": {"a": ["2025-06-02T06:00:00", "2025-06-02T07:00:00"]}}, 1),
        ({"accepted": {"a": [NOW.isoformat()]}}, 1),
        ({"accepted": {}, "distrust": "soon"}, 1),
        ({"accepted": {}, "distrust": None}, 0),
        ({"accepted": {"old": [(NOW - MINUTE).isoformat(), NOW.isoformat()[:19]]}}, 1),
        (
            {
                "accepted": {
                    "expired": [
                        (NOW - 2 * MINUTE).isoformat(),
                        (NOW - MINUTE).isoformat(),
                    ]
                }
            },
            0,
        ),
    ],
)
def test_from_data_counts_what_it_cannot_read(data: Any, unreadable: int) -> None:
    loaded = ReplayGuard.from_data(data, NOW)
    assert loaded.unreadable == unreadable
    assert len(loaded.guard) == 0


@pytest.mark.parametrize("data", [None, [], "x", {"accepted": []}, {}])
def test_from_data_refuses_what_is_not_a_record(data: Any) -> None:
    with pytest.raises(TypeError):
        ReplayGuard.from_data(data, NOW)


_ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(deadline=None)  # a busy machine must not fail it
@given(
    st.one_of(
        _ANY,
        st.fixed_dictionaries(
            {"accepted": st.dictionaries(st.text(), _ANY, max_size=4)},
            optional={"distrust": _ANY},
        ),
    )
)
def test_from_data_reads_anything_or_says_it_is_no_record(data: Any) -> None:
    try:
        loaded = ReplayGuard.from_data(data, NOW)
    except TypeError:
        return
    assert loaded.unreadable >= 0


def test_restore_counts_each_dropped_entry_with_its_reason() -> None:
    good = [NOW.isoformat(), (NOW + MINUTE).isoformat()]
    restored = restore_guard(
        {"accepted": {"good": good, "a b": good, "c": [1]}, "distrust": "soon"}, NOW
    )
    assert len(restored.value.guard) == 1
    assert restored.value.unreadable == 3
    assert restored.drops.dropped == {
        "accepted command: its event id is not an id": 1,
        "accepted command: its times are not two ISO times with a zone": 1,
        "distrust: its times are not two ISO times with a zone": 1,
    }


@pytest.mark.parametrize("data", [None, [], {"accepted": []}, {}])
def test_restore_says_a_record_of_another_shape_is_unreadable(data: Any) -> None:
    with pytest.raises(UnreadableStoreError):
        restore_guard(data, NOW)


@settings(deadline=None)  # a busy machine must not fail it
@given(
    st.fixed_dictionaries(
        {"accepted": st.dictionaries(st.text(), _ANY, max_size=4)},
        optional={"distrust": _ANY},
    )
)
def test_restore_drops_and_counts_every_hostile_entry(data: Any) -> None:
    restored = restore_guard(data, NOW)
    assert restored.value.unreadable == restored.drops.dropped_count
    assert len(restored.value.guard) + restored.drops.dropped_count <= len(
        data["accepted"]
    ) + ("distrust" in data)
