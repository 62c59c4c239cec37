"""Checks every message HA AI receives before any other code sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from .envelope import is_expired


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an inbound message was dropped, in words fit for a log line."""

    reason: str


def parse_json_object(
    payload: bytes | str, *, max_bytes: int, now: datetime
) -> dict[str, Any] | Rejection:
    """Return the payload as a JSON object, or why it was rejected.

    The size is checked before parsing so that a huge payload costs nothing, and a
    message whose `expires_at` has passed is rejected like an invalid one.
    """
    size = len(payload.encode() if isinstance(payload, str) else payload)
    if size > max_bytes:
        return Rejection(f"payload of {size} bytes exceeds the {max_bytes} byte limit")
    try:
        message = orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        return Rejection(f"payload is not valid JSON ({err})")
    if not isinstance(message, dict):
        return Rejection(f"payload is JSON {type(message).__name__}, not an object")
    if is_expired(message, now):
        expires_at = message.get("expires_at")
        return Rejection(
            f"message expired or has an invalid expires_at ({expires_at!r})"
        )
    return message


def decode_text(payload: bytes | str, *, max_bytes: int) -> str | Rejection:
    """Return a plain-text payload (such as `online`), or why it was rejected."""
    if isinstance(payload, str):
        payload = payload.encode()
    if len(payload) > max_bytes:
        return Rejection(
            f"payload of {len(payload)} bytes exceeds the {max_bytes} byte limit"
        )
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError as err:
        return Rejection(f"payload is not UTF-8 text ({err})")
