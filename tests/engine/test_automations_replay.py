"""The replay guard: remembers accepted commands until they expire, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.automations.replay import ReplayGuard

NOW = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_remembers_until_expiry() -> None:
    guard = ReplayGuard()
    guard.remember("a", NOW + MINUTE, NOW)
    assert guard.seen("a", NOW)
    assert guard.seen("a", NOW + MINUTE)
    assert not guard.seen("a", NOW + 2 * MINUTE)
    assert not guard.seen("b", NOW)


def test_bounded_expired_first_then_oldest() -> None:
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
