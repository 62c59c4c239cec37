"""Checks every message HA AI receives before any other code sees it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from .envelope import is_expired

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _skip_whitespace(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


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


class NotAnArrayError(ValueError):
    """The JSON document is valid or not, but it is not an array."""


def iter_json_array(payload: bytes) -> Iterator[object]:
    """Yield the elements of a top-level JSON array one at a time.

    Decoding a 15 MB array in one call holds the interpreter lock for a tenth of a
    second or more, and Home Assistant's event loop waits that long even when the
    call runs in an executor thread. Element by element, the lock is released
    between elements, and each element can be used and dropped before the next is
    decoded, so the decoded document never lives long enough to burden the garbage
    collector. Raises NotAnArrayError when the document is not an array, and
    ValueError when the JSON is invalid.
    """
    text = payload.decode("utf-8")
    position = _skip_whitespace(text, 0)
    if not text.startswith("[", position):
        raise NotAnArrayError("the document is not a JSON array")
    position = _skip_whitespace(text, position + 1)
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            item, position = _DECODER.raw_decode(text, position)
            yield item
            position = _skip_whitespace(text, position)
            if text.startswith(",", position):
                position = _skip_whitespace(text, position + 1)
                continue
            if text.startswith("]", position):
                position += 1
                break
            raise ValueError(f"expected , or ] at character {position}")
    if _skip_whitespace(text, position) != len(text):
        raise ValueError(f"extra data after the array at character {position}")
