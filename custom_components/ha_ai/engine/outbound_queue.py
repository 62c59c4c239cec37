"""A bounded, time-aware queue for messages waiting to be published.

Messages leave in the order they were put. The queue has a limit in messages (the
caller changes it: small while the broker is away, large while it takes messages)
and, optionally, in bytes; when it is full the oldest message goes first, and
messages whose time to live has passed are never handed out. Every message that
leaves the queue other than through `pop` is counted and reported with its reason,
so a caller can say what was lost and why: after an outage, receivers get every
event that still means something, in the order it happened, and nothing stale.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DropReason(StrEnum):
    """Why a message was never published."""

    OVERFLOW = "overflow"  # pushed out of a full queue, the oldest first
    EXPIRED = "expired"  # its time to live passed while it waited
    REFUSED = "refused"  # the MQTT client refused it while the broker was up
    UNLOADED = "unloaded"  # still waiting when the queue's owner stopped


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One message waiting to be published."""

    topic: str
    payload: str
    qos: int
    expires_at: datetime

    @property
    def size(self) -> int:
        """Return the characters the message holds, for the queue's byte limit."""
        return len(self.topic) + len(self.payload)


type DropListener = Callable[[QueuedMessage, DropReason], None]


class OutboundQueue:
    """First in, first out and bounded: drops expired, then (when full) oldest."""

    def __init__(
        self,
        max_size: int,
        *,
        max_bytes: int | None = None,
        on_drop: DropListener | None = None,
    ) -> None:
        """Create an empty queue of at most `max_size` messages and `max_bytes`.

        `on_drop(message, reason)` is called for each message the queue drops.
        """
        _check_size(max_size)
        self._messages: deque[QueuedMessage] = deque()
        self._max_size = max_size
        self._max_bytes = max_bytes
        self._bytes = 0
        # No queued message expires before this (it may be earlier than the true
        # earliest, never later): expired messages are looked for only after it.
        self._earliest_expiry: datetime | None = None
        self._on_drop = on_drop
        self.dropped_overflow = 0
        self.dropped_expired = 0

    def __len__(self) -> int:
        """Return how many messages wait."""
        return len(self._messages)

    def __iter__(self) -> Iterator[QueuedMessage]:
        """Iterate over the waiting messages, oldest first."""
        return iter(self._messages)

    @property
    def max_size(self) -> int:
        """Return how many messages the queue holds at most."""
        return self._max_size

    @property
    def queued_bytes(self) -> int:
        """Return the characters the waiting messages hold, topics included."""
        return self._bytes

    def resize(self, max_size: int) -> None:
        """Set a new limit; when it is lower, the oldest messages beyond it go."""
        _check_size(max_size)
        self._max_size = max_size
        while len(self._messages) > max_size:
            self._drop(self._popleft(), DropReason.OVERFLOW)

    def put(self, message: QueuedMessage, now: datetime) -> None:
        """Append a message, making room by dropping expired, then oldest ones."""
        if message.expires_at <= now:
            self._drop(message, DropReason.EXPIRED)
            return
        if self._max_bytes is not None and message.size > self._max_bytes:
            self._drop(message, DropReason.OVERFLOW)
            return
        if self._full(message):
            self.drop_expired(now)
        while self._full(message):
            self._drop(self._popleft(), DropReason.OVERFLOW)
        self._append(message, left=False)

    def put_back(self, message: QueuedMessage) -> None:
        """Return a message that could not be sent to the head of the queue.

        When the queue filled up meanwhile the returned message, the oldest of
        all, is the one dropped.
        """
        if self._full(message):
            self._drop(message, DropReason.OVERFLOW)
            return
        self._append(message, left=True)

    def pop(self, now: datetime) -> QueuedMessage | None:
        """Remove and return the oldest unexpired message, or None when none is left."""
        while self._messages:
            message = self._popleft()
            if message.expires_at > now:
                return message
            self._drop(message, DropReason.EXPIRED)
        return None

    def drop_expired(self, now: datetime) -> int:
        """Drop every expired message and return how many were dropped."""
        if self._earliest_expiry is None or now < self._earliest_expiry:
            return 0
        kept: deque[QueuedMessage] = deque()
        expired: list[QueuedMessage] = []
        for message in self._messages:
            (kept if message.expires_at > now else expired).append(message)
        self._messages = kept
        self._bytes = sum(message.size for message in kept)
        self._earliest_expiry = min((m.expires_at for m in kept), default=None)
        for message in expired:
            self._drop(message, DropReason.EXPIRED)
        return len(expired)

    def clear(self, reason: DropReason) -> int:
        """Drop every waiting message for `reason`; return how many there were."""
        count = len(self._messages)
        while self._messages:
            self._drop(self._popleft(), reason)
        return count

    def _full(self, message: QueuedMessage) -> bool:
        if len(self._messages) >= self._max_size:
            return True
        return (
            self._max_bytes is not None and self._bytes + message.size > self._max_bytes
        )

    def _append(self, message: QueuedMessage, *, left: bool) -> None:
        if left:
            self._messages.appendleft(message)
        else:
            self._messages.append(message)
        self._bytes += message.size
        if self._earliest_expiry is None or message.expires_at < self._earliest_expiry:
            self._earliest_expiry = message.expires_at

    def _popleft(self) -> QueuedMessage:
        message = self._messages.popleft()
        self._bytes -= message.size
        if not self._messages:
            self._earliest_expiry = None
        return message

    def _drop(self, message: QueuedMessage, reason: DropReason) -> None:
        if reason is DropReason.EXPIRED:
            self.dropped_expired += 1
        elif reason is DropReason.OVERFLOW:
            self.dropped_overflow += 1
        if self._on_drop is not None:
            self._on_drop(message, reason)


def _check_size(max_size: int) -> None:
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
