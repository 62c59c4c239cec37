"""The envelope around every JSON message HA AI publishes, and its expiry rules.

Receivers use `event_id` to drop QoS 1 redeliveries and `expires_at` to ignore
events that arrive too late to mean anything (after a broker outage, say).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

SOURCE: Final = "ha_ai"
SCHEMA_VERSION: Final = 1
ENVELOPE_FIELDS: Final = frozenset(
    {"event_id", "timestamp", "ttl", "expires_at", "source", "schema"}
)


def build_envelope(
    fields: Mapping[str, Any],
    *,
    now: datetime,
    ttl: int,
    event_id: str | None = None,
) -> dict[str, Any]:
    """Return the event's fields with the envelope fields beside them.

    `now` must be timezone-aware so that `timestamp` and `expires_at` carry an offset.
    Envelope fields win over event fields of the same name: the envelope is what
    receivers rely on to de-duplicate and expire.
    """
    if now.tzinfo is None:
        raise ValueError("the envelope needs a timezone-aware time")
    message = dict(fields)
    message.update(
        event_id=event_id or uuid.uuid4().hex,
        timestamp=now.isoformat(),
        ttl=ttl,
        expires_at=(now + timedelta(seconds=ttl)).isoformat(),
        source=SOURCE,
        schema=SCHEMA_VERSION,
    )
    return message


def parse_expires_at(message: Mapping[str, Any]) -> datetime | None:
    """Return the message's expiry time, or None when it has none.

    Raises ValueError when `expires_at` is present but not an ISO 8601 time with a
    timezone: such a message cannot be trusted to be current.
    """
    raw = message.get("expires_at")
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueError("expires_at is not a string")  # noqa: TRY004
    expires_at = datetime.fromisoformat(raw)
    if expires_at.tzinfo is None:
        raise ValueError("expires_at has no timezone")
    return expires_at


def is_expired(message: Mapping[str, Any], now: datetime) -> bool:
    """Tell whether `expires_at` has passed; an invalid one counts as expired."""
    try:
        expires_at = parse_expires_at(message)
    except ValueError:
        return True
    return expires_at is not None and expires_at <= now
