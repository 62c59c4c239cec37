"""Remembers which remote commands were already carried out.

A signed command stays valid until it expires, so whoever sees it on the broker
could send it again. Remembering each accepted `event_id` until its command
would have expired anyway makes a resend useless; after that, expiry refuses it.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Final

DEFAULT_MAX_EVENTS: Final = 10_000


class ReplayGuard:
    """The event ids of accepted commands, each with when its command expires.

    Bounded: past `max_events`, expired ids are dropped, then the oldest ones.
    """

    def __init__(self, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        """Start with no ids remembered."""
        if max_events < 1:
            raise ValueError("a replay guard must remember at least one event")
        self._max_events = max_events
        self._expires: OrderedDict[str, datetime] = OrderedDict()

    def __len__(self) -> int:
        """Return how many ids are remembered."""
        return len(self._expires)

    def seen(self, event_id: str, now: datetime) -> bool:
        """Return whether a command with this id was accepted and is still valid."""
        expires_at = self._expires.get(event_id)
        return expires_at is not None and now <= expires_at

    def remember(self, event_id: str, expires_at: datetime, now: datetime) -> None:
        """Remember an accepted command's id until `expires_at`."""
        self._expires[event_id] = expires_at
        self._expires.move_to_end(event_id)
        if len(self._expires) > self._max_events:
            self._forget_expired(now)
        while len(self._expires) > self._max_events:
            self._expires.popitem(last=False)

    def _forget_expired(self, now: datetime) -> None:
        for event_id in [key for key, when in self._expires.items() if when < now]:
            del self._expires[event_id]
