"""The bounded outage queue: order, overflow and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.outbound_queue import OutboundQueue, QueuedMessage

NOW = datetime(2026, 11, 23, 6, 0, 0, tzinfo=UTC)


def message(name: str, ttl: float = 60) -> QueuedMessage:
    return QueuedMessage(
        topic=f"ha-ai/{name}",
        payload=name,
        qos=1,
        expires_at=NOW + timedelta(seconds=ttl),
    )


def drain(queue: OutboundQueue, now: datetime = NOW) -> list[str]:
    names = []
    while (item := queue.pop(now)) is not None:
        names.append(item.payload)
    return names


def test_first_in_first_out() -> None:
    queue = OutboundQueue(10)
    for name in "abc":
        queue.put(message(name), NOW)
    assert len(queue) == 3
    assert drain(queue) == ["a", "b", "c"]
    assert queue.pop(NOW) is None


def test_full_queue_drops_the_oldest() -> None:
    queue = OutboundQueue(3)
    for name in "abcde":
        queue.put(message(name), NOW)
    assert drain(queue) == ["c", "d", "e"]
    assert queue.dropped_overflow == 2


def test_expired_messages_are_dropped_first_and_never_sent() -> None:
    queue = OutboundQueue(3)
    queue.put(message("short", ttl=1), NOW)
    queue.put(message("a"), NOW)
    queue.put(message("b"), NOW)
    # The short-lived message has expired: it makes room, and "a" survives.
    queue.put(message("c"), NOW + timedelta(seconds=2))
    assert queue.dropped_expired == 1
    assert queue.dropped_overflow == 0
    assert drain(queue, NOW + timedelta(seconds=2)) == ["a", "b", "c"]


def test_expiry_on_pop() -> None:
    queue = OutboundQueue(5)
    queue.put(message("a", ttl=1), NOW)
    queue.put(message("b", ttl=10), NOW)
    assert drain(queue, NOW + timedelta(seconds=5)) == ["b"]
    assert queue.dropped_expired == 1


def test_already_expired_message_is_not_queued() -> None:
    queue = OutboundQueue(5)
    queue.put(message("a", ttl=-1), NOW)
    assert len(queue) == 0
    assert queue.dropped_expired == 1


def test_put_back_returns_to_the_head() -> None:
    queue = OutboundQueue(3)
    queue.put(message("a"), NOW)
    queue.put(message("b"), NOW)
    first = queue.pop(NOW)
    assert first is not None
    queue.put_back(first)
    assert drain(queue) == ["a", "b"]


def test_put_back_into_a_full_queue_drops_the_returned_oldest() -> None:
    queue = OutboundQueue(2)
    queue.put(message("a"), NOW)
    first = queue.pop(NOW)
    assert first is not None
    queue.put(message("b"), NOW)
    queue.put(message("c"), NOW)
    queue.put_back(first)
    assert drain(queue) == ["b", "c"]
    assert queue.dropped_overflow == 1


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        OutboundQueue(0)
