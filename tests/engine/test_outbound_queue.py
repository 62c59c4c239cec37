"""The bounded outbound queue: order, limits, overflow, expiry and drop reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from custom_components.ha_ai.engine.outbound_queue import (
    DropReason,
    OutboundQueue,
    QueuedMessage,
)

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


def test_resize_to_a_lower_limit_drops_the_oldest_and_reports_them() -> None:
    dropped: list[tuple[str, DropReason]] = []
    queue = OutboundQueue(
        10, on_drop=lambda m, reason: dropped.append((m.payload, reason))
    )
    for name in "abcde":
        queue.put(message(name), NOW)
    queue.resize(2)
    assert queue.max_size == 2
    assert dropped == [
        ("a", DropReason.OVERFLOW),
        ("b", DropReason.OVERFLOW),
        ("c", DropReason.OVERFLOW),
    ]
    queue.resize(5)
    assert drain(queue) == ["d", "e"]
    with pytest.raises(ValueError, match="at least 1"):
        queue.resize(0)


def test_byte_limit_drops_the_oldest_and_refuses_a_message_larger_than_all() -> None:
    size = message("a").size
    queue = OutboundQueue(100, max_bytes=3 * size)
    for name in "abcd":
        queue.put(message(name), NOW)
    assert queue.queued_bytes == 3 * size
    assert queue.dropped_overflow == 1
    huge = QueuedMessage("ha-ai/huge", "x" * (4 * size), 1, NOW + timedelta(seconds=60))
    queue.put(huge, NOW)
    assert queue.dropped_overflow == 2
    assert drain(queue) == ["b", "c", "d"]
    assert queue.queued_bytes == 0


def test_clear_reports_every_waiting_message() -> None:
    dropped: list[DropReason] = []
    queue = OutboundQueue(5, on_drop=lambda _m, reason: dropped.append(reason))
    queue.put(message("a"), NOW)
    queue.put(message("b"), NOW)
    assert queue.clear(DropReason.UNLOADED) == 2
    assert dropped == [DropReason.UNLOADED] * 2
    assert len(queue) == 0
    # Counters are for the queue's own drops: overflow and expiry.
    assert queue.dropped_overflow == queue.dropped_expired == 0


def test_expired_messages_are_looked_for_only_once_one_can_have_expired() -> None:
    queue = OutboundQueue(3)
    queue.put(message("a", ttl=10), NOW)
    queue.put(message("b", ttl=20), NOW)
    assert queue.drop_expired(NOW + timedelta(seconds=5)) == 0
    assert queue.drop_expired(NOW + timedelta(seconds=15)) == 1
    assert queue.drop_expired(NOW + timedelta(seconds=15)) == 0
    assert drain(queue, NOW + timedelta(seconds=15)) == ["b"]


# Property: random interleavings of put, pop, put_back, resize and time passing.


class QueueMachine(RuleBasedStateMachine):
    """Compare the queue with a plain list model after every step.

    Invariants: order is kept (what leaves comes out in the order it was put, a
    message put back first), the limit is kept, nothing expired is handed out,
    and every message is delivered, still waiting, or counted as dropped.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.dropped: list[tuple[int, DropReason]] = []
        self.queue = OutboundQueue(
            5,
            max_bytes=400,
            on_drop=lambda m, reason: self.dropped.append((int(m.payload), reason)),
        )
        self.next_id = 0
        self.put_ids: list[int] = []
        self.delivered: list[int] = []
        self.held: QueuedMessage | None = None

    @rule(ttl=st.integers(min_value=-5, max_value=60), padding=st.integers(0, 150))
    def put(self, ttl: int, padding: int) -> None:
        self.next_id += 1
        self.put_ids.append(self.next_id)
        self.queue.put(
            QueuedMessage(
                topic="t" * padding,
                payload=str(self.next_id),
                qos=1,
                expires_at=self.now + timedelta(seconds=ttl),
            ),
            self.now,
        )

    @rule()
    def pop(self) -> None:
        if self.held is not None:
            self.delivered.append(int(self.held.payload))
        self.held = self.queue.pop(self.now)
        if self.held is not None:
            assert self.held.expires_at > self.now

    @precondition(lambda self: self.held is not None)
    @rule()
    def put_back(self) -> None:
        assert self.held is not None
        self.queue.put_back(self.held)
        self.held = None

    @rule(seconds=st.integers(min_value=0, max_value=30))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(size=st.integers(min_value=1, max_value=8))
    def resize(self, size: int) -> None:
        self.queue.resize(size)

    @rule()
    def drop_expired(self) -> None:
        self.queue.drop_expired(self.now)

    @invariant()
    def bound_is_kept(self) -> None:
        assert len(self.queue) <= self.queue.max_size
        assert self.queue.queued_bytes <= 400

    @invariant()
    def every_message_is_accounted_for(self) -> None:
        waiting = [int(m.payload) for m in self.queue]
        held = [int(self.held.payload)] if self.held is not None else []
        dropped = [message_id for message_id, _ in self.dropped]
        assert sorted(self.delivered + held + waiting + dropped) == self.put_ids
        assert len(self.dropped) == (
            self.queue.dropped_overflow + self.queue.dropped_expired
        )

    @invariant()
    def order_is_kept(self) -> None:
        waiting = [int(m.payload) for m in self.queue]
        assert self.delivered == sorted(self.delivered)
        assert waiting == sorted(waiting)
        if self.delivered and waiting:
            assert self.delivered[-1] < waiting[0]


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
