"""Checks every message HA AI receives before any other code sees it."""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any, Final

import orjson

from .envelope import is_expired
from .log_text import log_safe

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# How deep a JSON document received over MQTT may nest. Zigbee2MQTT's deepest
# payloads (device lists with composite exposes) nest about ten levels; anything
# recursive over a decoded document stays far from Python's recursion limit.
MAX_JSON_DEPTH: Final = 64
# Bytes the nesting scan handles per step: a fraction of a millisecond each.
NESTING_CHUNK: Final = 256 * 1024
MAX_REASON: Final = 300
_BACKSLASH: Final = ord("\\")
# Everything but quotes and brackets is deleted before the nesting is counted.
_NOT_STRUCTURE: Final = bytes(range(256)).translate(None, b'"[]{}')
# Opening brackets count +1 and closing ones -1 (0xff, as a signed byte).
_BRACKET_STEP: Final = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_QUOTED: Final = re.compile(rb'"[^"]*"')
_ESCAPE: Final = re.compile(rb"\\.", re.DOTALL)


def _skip_whitespace(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an inbound message was dropped, in words fit for a log line."""

    reason: str

    def __post_init__(self) -> None:
        """Make the reason one bounded, visible line, whatever text went into it.

        Reasons quote what a sender chose (names, ids, values), and every reason
        ends up in a log line.
        """
        object.__setattr__(self, "reason", log_safe(self.reason, MAX_REASON))


class TooDeepError(ValueError):
    """The JSON document nests deeper than allowed; it is not decoded at all."""


class NestingScanner:
    """Measures how deep a JSON document nests, chunk by chunk, without decoding.

    Decoders recurse once per level: a document nested a hundred thousand levels
    deep makes them raise `RecursionError`, or overflow a thread's stack. This
    scan runs first and uses only flat byte operations: escaped backslashes and
    quotes are dropped, then everything but quotes and brackets, then the quoted
    parts (brackets inside strings do not nest). Invalid JSON may give a wrong
    depth; its decoding fails afterwards anyway.
    """

    def __init__(self) -> None:
        """Start before the first byte of a document."""
        self.depth = 0
        self.deepest = 0
        self._in_string = False

    def feed(self, chunk: bytes) -> None:
        """Scan the next part of the document.

        A chunk must not end with a backslash: an escape must not be split.
        """
        if b"\\" in chunk:
            chunk = _ESCAPE.sub(b"", chunk)
        structure = chunk.translate(None, _NOT_STRUCTURE)
        if self._in_string:
            structure = b'"' + structure
        structure = _QUOTED.sub(b"", structure.replace(b'""', b""))
        # At most one quote is left: a string that goes on in the next chunk.
        structure, quote, _ = structure.partition(b'"')
        self._in_string = bool(quote)
        if structure:
            steps = array("b", structure.translate(_BRACKET_STEP))
            deepest_here = max(accumulate(steps, initial=self.depth))
            self.deepest = max(self.deepest, deepest_here)
            self.depth += 2 * steps.count(1) - len(steps)


def json_nesting_steps(
    payload: bytes, chunk_size: int = NESTING_CHUNK
) -> Generator[None, None, int]:
    """Return how deep `payload` nests, one step per chunk (see `steps.Slices`)."""
    scanner = NestingScanner()
    start = 0
    while start < len(payload):
        end = min(start + chunk_size, len(payload))
        while end < len(payload) and payload[end - 1] == _BACKSLASH:
            end += 1
        scanner.feed(payload[start:end])
        start = end
        yield
    return scanner.deepest


def json_nesting(payload: bytes | str) -> int:
    """Return how deep a JSON document nests (0 for a bare value), in one go."""
    steps = json_nesting_steps(
        payload.encode("utf-8", "surrogatepass")
        if isinstance(payload, str)
        else payload
    )
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def parse_json_object(
    payload: bytes | str,
    *,
    max_bytes: int,
    now: datetime,
    max_depth: int = MAX_JSON_DEPTH,
) -> dict[str, Any] | Rejection:
    """Return the payload as a JSON object, or why it was rejected.

    The size is checked before parsing so that a huge payload costs nothing, the
    nesting before decoding so that nothing recursive ever meets a deep document,
    and a message whose `expires_at` has passed is rejected like an invalid one.
    """
    size = len(
        payload.encode("utf-8", "surrogatepass")
        if isinstance(payload, str)
        else payload
    )
    if size > max_bytes:
        return Rejection(f"payload of {size} bytes exceeds the {max_bytes} byte limit")
    if (depth := json_nesting(payload)) > max_depth:
        return Rejection(f"payload: {too_deep(depth, max_depth)}")
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


def iter_json_array(
    payload: bytes, *, max_depth: int | None = MAX_JSON_DEPTH
) -> Iterator[object]:
    """Yield the elements of a top-level JSON array one at a time.

    Decoding a 15 MB array in one call holds the interpreter lock for a tenth of a
    second or more, and Home Assistant's event loop waits that long even when the
    call runs in an executor thread. Element by element, the lock is released
    between elements, and each element can be used and dropped before the next is
    decoded, so the decoded document never lives long enough to burden the garbage
    collector. Raises NotAnArrayError when the document is not an array,
    TooDeepError when it nests deeper than `max_depth` (checked before anything is
    decoded; None when the caller has checked it with `json_nesting_steps`), and
    ValueError when the JSON is invalid.
    """
    if max_depth is not None and (depth := json_nesting(payload)) > max_depth:
        raise TooDeepError(too_deep(depth, max_depth))
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


def too_deep(depth: int, limit: int) -> str:
    """Return the reason given for a document that nests too deep."""
    return f"the document nests {depth} levels deep (the limit is {limit})"
