"""A bounded, time-aware queue for messages published while the broker is away.

When the queue is full the oldest message goes first, and messages whose time to
live has passed are never sent: after an outage, receivers get every event that
still means something, in the order it happened, and nothing stale.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One message waiting to be published."""

    topic: str
    payload: str
    qos: int
    expires_at: datetime


class OutboundQueue:
    """First in, first out and bounded: drops expired, then (when full) oldest."""

    def __init__(self, max_size: int) -> None:
        """Create an empty queue holding at most `max_size` messages."""
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._messages: deque[QueuedMessage] = deque()
        self._max_size = max_size
        self.dropped_overflow = 0
        self.dropped_expired = 0

    def __len__(self) -> int:
        """Return how many messages wait."""
        return len(self._messages)

    def put(self, message: QueuedMessage, now: datetime) -> None:
        """Append a message, making room by dropping expired, then oldest ones."""
        self.drop_expired(now)
        if message.expires_at <= now:
            self.dropped_expired += 1
            return
        while len(self._messages) >= self._max_size:
            self._messages.popleft()
            self.dropped_overflow += 1
        self._messages.append(message)

    def put_back(self, message: QueuedMessage) -> None:
        """Return a message that could not be sent to the head of the queue."""
        if len(self._messages) >= self._max_size:
            # The queue filled up meanwhile: the returned message is the oldest.
            self.dropped_overflow += 1
            return
        self._messages.appendleft(message)

    def pop(self, now: datetime) -> QueuedMessage | None:
        """Remove and return the oldest unexpired message, or None when none is left."""
        self.drop_expired(now)
        return self._messages.popleft() if self._messages else None

    def drop_expired(self, now: datetime) -> int:
        """Drop every expired message and return how many were dropped."""
        kept = deque(message for message in self._messages if message.expires_at > now)
        dropped = len(self._messages) - len(kept)
        self._messages = kept
        self.dropped_expired += dropped
        return dropped
