"""Remembers which remote commands were already carried out.

A signed command stays valid until it expires, so whoever sees it on the broker
could send it again. Remembering each accepted `event_id` until its command
would have expired anyway makes a resend useless; after that, expiry refuses it.

The guard fails safe. When it has to forget an id before its command expired
(the bound is reached), or its record was lost or damaged, it *distrusts*
every command issued up to a time: those are refused, since one of them could
be a replay, until all of them have expired. `as_data` and `from_data` keep it
across restarts; `restore_guard` (and `from_data`) check every field and say
how many entries they could not read, so that the caller can distrust what those
might have been.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ..stored import Drops, Restored, UnreadableStoreError
from .ids import is_message_id

DEFAULT_MAX_EVENTS: Final = 10_000
_ACCEPTED = "accepted command"


class UnreadableReplayRecordError(UnreadableStoreError, TypeError):
    """The replay record as a whole is not in the shape `as_data` writes."""


@dataclass(frozen=True, slots=True)
class _Accepted:
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Distrust:
    """Commands issued up to `issued_until` are refused, until `until`."""

    issued_until: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class LoadedGuard:
    """A guard read back from stored data, and how many entries were unreadable."""

    guard: ReplayGuard
    unreadable: int


class ReplayGuard:
    """The event ids of accepted commands, each with when its command expires.

    Bounded: past `max_events`, expired ids are dropped, then the oldest ones,
    whose commands are then distrusted until they expire.
    """

    def __init__(self, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        """Start with no ids remembered."""
        if max_events < 1:
            raise ValueError("a replay guard must remember at least one event")
        self._max_events = max_events
        self._accepted: OrderedDict[str, _Accepted] = OrderedDict()
        self._distrust: Distrust | None = None

    def __len__(self) -> int:
        """Return how many ids are remembered."""
        return len(self._accepted)

    @property
    def distrust_in_force(self) -> Distrust | None:
        """Return which commands are distrusted, if any (for diagnostics)."""
        return self._distrust

    def seen(self, event_id: str, now: datetime) -> bool:
        """Return whether a command with this id was accepted and is still valid."""
        accepted = self._accepted.get(event_id)
        return accepted is not None and now <= accepted.expires_at

    def distrusted(self, issued_at: datetime, now: datetime) -> datetime | None:
        """Return the cutoff when a command issued at `issued_at` is distrusted."""
        distrust = self._distrust
        if distrust is None:
            return None
        if now > distrust.until:
            self._distrust = None
            return None
        return distrust.issued_until if issued_at <= distrust.issued_until else None

    def distrust(self, issued_until: datetime, *, until: datetime) -> Distrust:
        """Refuse commands issued up to `issued_until` from now until `until`.

        Widens any distrust already in force, never narrows it; returns the
        distrust now in force.
        """
        if self._distrust is not None:
            issued_until = max(issued_until, self._distrust.issued_until)
            until = max(until, self._distrust.until)
        self._distrust = Distrust(issued_until, until)
        return self._distrust

    def remember(
        self,
        event_id: str,
        expires_at: datetime,
        now: datetime,
        *,
        issued_at: datetime | None = None,
    ) -> None:
        """Remember an accepted command's id until `expires_at`.

        `issued_at` (the command's timestamp) lets the guard distrust exactly the
        commands it can no longer tell apart if it has to forget this one early;
        without it, every command issued before `expires_at` is.
        """
        self._accepted[event_id] = _Accepted(
            expires_at if issued_at is None else issued_at, expires_at
        )
        self._accepted.move_to_end(event_id)
        if len(self._accepted) > self._max_events:
            self._forget_expired(now)
        while len(self._accepted) > self._max_events:
            _, oldest = self._accepted.popitem(last=False)
            self.distrust(oldest.issued_at, until=oldest.expires_at)

    def _forget_expired(self, now: datetime) -> None:
        for event_id in [
            key for key, accepted in self._accepted.items() if accepted.expires_at < now
        ]:
            del self._accepted[event_id]

    def as_data(self, now: datetime) -> dict[str, Any]:
        """Return what must outlive a restart, as JSON-ready data (expired left out)."""
        distrust = self._distrust
        if distrust is not None and now > distrust.until:
            distrust = self._distrust = None
        return {
            "accepted": {
                event_id: [
                    accepted.issued_at.isoformat(),
                    accepted.expires_at.isoformat(),
                ]
                for event_id, accepted in self._accepted.items()
                if accepted.expires_at >= now
            },
            "distrust": None
            if distrust is None
            else [distrust.issued_until.isoformat(), distrust.until.isoformat()],
        }

    @classmethod
    def from_data(
        cls, data: object, now: datetime, max_events: int = DEFAULT_MAX_EVENTS
    ) -> LoadedGuard:
        """Return the guard `as_data` described, checking every field.

        Expired entries are dropped; entries that cannot be read are counted in
        `unreadable`. Raises `UnreadableReplayRecordError` (a TypeError) when
        `data` is not that kind of data at all.
        """
        return restore_guard(data, now, max_events).value


def restore_guard(
    data: object, now: datetime, max_events: int = DEFAULT_MAX_EVENTS
) -> Restored[LoadedGuard]:
    """Return the guard `as_data` described, each entry checked, drops counted.

    An entry that cannot be read is dropped and counted (in the drops and in
    `unreadable`, so that the caller distrusts what it might have been).
    Raises `UnreadableReplayRecordError` when `data` is not a record at all.
    """
    if not isinstance(data, Mapping):
        raise UnreadableReplayRecordError(
            f"the replay record is a {type(data).__name__}, not a mapping"
        )
    accepted = data.get("accepted")
    if not isinstance(accepted, Mapping):
        raise UnreadableReplayRecordError("its `accepted` is not a mapping")
    guard = ReplayGuard(max_events)
    drops = Drops()
    # Kept in the order they expire, so a bound drops the soonest to expire.
    readable = sorted(_readable(accepted, now, drops), key=lambda i: i[1].expires_at)
    for event_id, entry in readable:
        guard.remember(event_id, entry.expires_at, now, issued_at=entry.issued_at)
    distrust = data.get("distrust")
    if distrust is not None:
        pair = _times(distrust)
        if pair is None:
            drops.drop("distrust", "its times are not two ISO times with a zone")
        elif now <= pair[1]:
            guard.distrust(pair[0], until=pair[1])
    return Restored(LoadedGuard(guard, drops.dropped_count), drops)


def _readable(
    accepted: Mapping[object, object], now: datetime, drops: Drops
) -> list[tuple[str, _Accepted]]:
    """Return the entries still valid at `now`; count those that cannot be read."""
    readable: list[tuple[str, _Accepted]] = []
    for event_id, times in accepted.items():
        pair = _times(times)
        if not is_message_id(event_id):
            drops.drop(_ACCEPTED, "its event id is not an id")
        elif pair is None:
            drops.drop(_ACCEPTED, "its times are not two ISO times with a zone")
        elif pair[1] >= now:
            readable.append((event_id, _Accepted(*pair)))
    return readable


def _times(value: object) -> tuple[datetime, datetime] | None:
    """Return two aware times from `[iso, iso]`, or None if it is not that."""
    if not isinstance(value, list):
        return None
    match value:
        case [str() as first, str() as second]:
            pass
        case _:
            return None
    try:
        times = datetime.fromisoformat(first), datetime.fromisoformat(second)
    except ValueError:
        return None
    if any(time.tzinfo is None for time in times):
        return None
    return times
