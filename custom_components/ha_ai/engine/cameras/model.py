"""What an AI camera classifier publishes, checked and bounded (DESIGN.md §3).

`parse_camera_event` and `parse_camera_status` take a decoded JSON object and return
a frozen value or a `Rejection`. Nothing in a payload can make them raise, and every
value they return is bounded:

- ids (`camera_id`, `event_id`) are text or integers, at most `MAX_ID_LENGTH`
  characters; a longer id keeps its start and ends with a hash of the whole id, so
  two long ids that share a start stay distinct. Control characters and runs of
  white space in an id become one space. The camera's key (a safe slug for device
  and entity ids) is given by `keys.CameraKeys`, not here: it depends on which ids
  are already known.
- names, descriptions, object labels and detection types lose their control
  characters (line breaks become spaces, runs of white space one space) and are cut
  with an ellipsis at their limit.
- `confidence` is a percentage from 0 to 100. A value from 0 to 1 with a fractional
  part (0.87) is read as a fraction and multiplied by 100; 1 itself and other whole
  numbers are percentages. Values outside 0-100 are clamped; values that are not
  numbers (or numeric text) are dropped.
- times are ISO 8601 with a timezone, or seconds (milliseconds when larger than
  `EPOCH_MILLISECONDS_ABOVE`) since the epoch. A time that is missing, does not
  parse, has no timezone, is before `EARLIEST_TIME` or more than `FUTURE_TOLERANCE`
  after the time of receipt is replaced by the time of receipt.
- `thumbnail_url` is kept only when it is an absolute http(s) URL without white
  space or control characters, at most `MAX_URL_LENGTH` characters.

Each replaced or dropped value leaves a line in `notes`, fit for a log.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from ..inbound import Rejection
from ..log_text import log_safe

MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1_000
MAX_OBJECTS = 50
MAX_OBJECT_LENGTH = 50
MAX_LABEL_LENGTH = 64  # source_type, smart_detection_type
MAX_URL_LENGTH = 2_048
MAX_TIME_TEXT = 64
MAX_NUMBER_TEXT = 32
STATE_MAX_LENGTH = 255  # Home Assistant's limit for a state
ELLIPSIS = "…"
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
EPOCH_MILLISECONDS_ABOVE = 100_000_000_000  # seconds-since-epoch in year 5138
DERIVED_ID_PREFIX = "derived-"
_ID_HASH_LENGTH = 16

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_WHITE_SPACE = re.compile(r"\s+")
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class CameraState(StrEnum):
    """A camera's status, as its status messages give it."""

    ONLINE = "online"
    OFFLINE = "offline"
    UNAVAILABLE = "unavailable"


_STATES = frozenset(state.value for state in CameraState)


@dataclass(frozen=True, slots=True)
class CameraEvent:
    """One thing a camera saw, checked and bounded."""

    event_id: str
    camera_id: str
    camera_name: str
    description: str
    objects: tuple[str, ...]
    confidence: float | None  # percent, 0-100
    source_type: str | None
    timestamp: datetime  # timezone-aware
    thumbnail_url: str | None
    smart_detection_type: str | None
    is_doorbell_ring: bool
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready data in the payload's own field names."""
        return {
            "event_id": self.event_id,
            "camera_id": self.camera_id,
            "camera_name": self.camera_name,
            "description": self.description,
            "objects_detected": list(self.objects),
            "confidence": self.confidence,
            "source_type": self.source_type,
            "timestamp": self.timestamp.isoformat(),
            "thumbnail_url": self.thumbnail_url,
            "smart_detection_type": self.smart_detection_type,
            "is_doorbell_ring": self.is_doorbell_ring,
        }

    @classmethod
    def from_dict(cls, data: object) -> CameraEvent | None:
        """Return an event stored by `to_dict`, or None when it is not one.

        The stored time is kept as it is (it was checked when the event arrived),
        and the confidence is not read as a fraction again.
        """
        if not isinstance(data, Mapping):
            return None
        timestamp = _parse_time(data.get("timestamp"))
        if (
            not isinstance(timestamp, datetime)
            or timestamp < EARLIEST_TIME
            or bounded_id(data.get("event_id")) is None
        ):
            return None
        event = _parse_event(data, now=timestamp, topic_camera_id=None, fractions=False)
        if isinstance(event, Rejection):
            return None
        return replace(event, notes=())


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """A camera's status message, checked and bounded."""

    camera_id: str
    camera_name: str
    status: CameraState
    last_updated: datetime  # timezone-aware
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the status as JSON-ready data in the payload's own field names."""
        return {
            "camera_id": self.camera_id,
            "camera_name": self.camera_name,
            "status": self.status.value,
            "last_updated": self.last_updated.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: object) -> CameraStatus | None:
        """Return a status stored by `to_dict`, or None when it is not one."""
        if not isinstance(data, Mapping):
            return None
        last_updated = _parse_time(data.get("last_updated"))
        if not isinstance(last_updated, datetime) or last_updated < EARLIEST_TIME:
            return None
        status = parse_camera_status(data, now=last_updated, topic_camera_id=None)
        if isinstance(status, Rejection):
            return None
        return replace(status, notes=())


# Text


def truncate(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def state_text(description: str) -> str:
    """Return a description fit for a Home Assistant state (255 characters)."""
    return truncate(description, STATE_MAX_LENGTH)


def clean_text(value: str, limit: int) -> str:
    """Return `value` without control characters, on one line, at most `limit` long.

    Only the first characters are looked at (a few times the limit), so a huge text
    costs no more than a short one.
    """
    text = value[: limit * 4 + 16]
    text = _CONTROL.sub(" ", text)
    text = _WHITE_SPACE.sub(" ", text).strip()
    return truncate(text, limit)


def _optional_text(
    payload: Mapping[str, Any], key: str, limit: int, notes: list[str]
) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        notes.append(f"{key} is {type(value).__name__}, not text; ignored")
        return None
    return clean_text(value, limit) or None


def bounded_id(value: object) -> str | None:
    """Return an id (text or integer) cleaned and bounded, or None when it is none.

    An id longer than `MAX_ID_LENGTH` keeps its start and ends with a hash of the
    whole id, so distinct long ids stay distinct.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    cleaned = _WHITE_SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()
    if not cleaned:
        return None
    if len(cleaned) <= MAX_ID_LENGTH:
        return cleaned
    digest = hashlib.sha256(cleaned.encode("utf-8", "replace")).hexdigest()
    keep = MAX_ID_LENGTH - _ID_HASH_LENGTH - 1
    return f"{cleaned[:keep]}~{digest[:_ID_HASH_LENGTH]}"


# Numbers and times


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) <= MAX_NUMBER_TEXT:
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _parse_confidence(
    value: object, notes: list[str], *, fractions: bool
) -> float | None:
    if value is None:
        return None
    number = _number(value)
    if number is None:
        notes.append(f"confidence {_shown(value)} is not a number; ignored")
        return None
    if fractions and 0 < number < 1:
        number *= 100
    if not 0 <= number <= 100:  # noqa: PLR2004
        clamped = min(max(number, 0.0), 100.0)
        notes.append(f"confidence {number:g} is outside 0-100; read as {clamped:g}")
        number = clamped
    return number


def _parse_time(value: object) -> datetime | str:
    """Return an aware time, or why the value is not one."""
    if isinstance(value, str):
        if len(value) > MAX_TIME_TEXT:
            return "is too long to be a time"
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return "does not parse as ISO 8601"
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            return "has no timezone"
        return parsed
    number = _number(value) if not isinstance(value, str) else None
    if number is None:
        return f"is {type(value).__name__}, not a time"
    if number > EPOCH_MILLISECONDS_ABOVE:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return "is out of range"


def _checked_time(
    payload: Mapping[str, Any], key: str, now: datetime, notes: list[str]
) -> datetime:
    value = payload.get(key)
    if value is None:
        notes.append(f"no {key}; the time of receipt is used")
        return now
    parsed = _parse_time(value)
    if isinstance(parsed, str):
        problem = parsed
    elif parsed < EARLIEST_TIME:
        problem = f"is before {EARLIEST_TIME.year}"
    elif parsed > now + FUTURE_TOLERANCE:
        problem = "is more than a day in the future"
    else:
        return parsed
    notes.append(f"{key} {_shown(value)} {problem}; the time of receipt is used")
    return now


def _shown(value: object) -> str:
    """Return a value as a short text for a note, safe for a log line."""
    return log_safe(truncate(repr(value), 60))


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the time must be timezone-aware")


# Other fields


def _parse_objects(value: object, notes: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        notes.append(f"objects_detected is {type(value).__name__}, not a list; ignored")
        return ()
    objects: list[str] = []
    dropped = 0
    for item in value:
        label = clean_text(item, MAX_OBJECT_LENGTH) if isinstance(item, str) else ""
        if not label:
            dropped += 1
        elif len(objects) < MAX_OBJECTS:
            objects.append(label)
    if dropped:
        notes.append(f"{dropped} objects_detected item(s) are not text; dropped")
    if len(value) - dropped > MAX_OBJECTS:
        notes.append(f"objects_detected has more than {MAX_OBJECTS} items; cut")
    return tuple(objects)


def _parse_url(value: object, notes: list[str]) -> str | None:
    if value is None or value == "":
        return None
    if (
        not isinstance(value, str)
        or len(value) > MAX_URL_LENGTH
        or _URL_FORBIDDEN.search(value)
    ):
        notes.append(f"thumbnail_url {_shown(value)} is not a usable URL; ignored")
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in {"http", "https"}
        or not parts.hostname
    ):
        notes.append(f"thumbnail_url {_shown(value)} is not an http(s) URL; ignored")
        return None
    return value


def _parse_flag(payload: Mapping[str, Any], key: str, notes: list[str]) -> bool:
    value = payload.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    notes.append(f"{key} {_shown(value)} is not true or false; read as false")
    return False


def _camera_id(
    payload: Mapping[str, Any], topic_camera_id: str | None, notes: list[str]
) -> str | None:
    from_payload = bounded_id(payload.get("camera_id"))
    from_topic = bounded_id(topic_camera_id)
    if from_payload is None:
        if payload.get("camera_id") is not None:
            notes.append(
                f"camera_id {_shown(payload.get('camera_id'))} is not an id; "
                "the topic's is used"
            )
        return from_topic
    if from_topic is not None and from_topic != from_payload:
        notes.append(
            f"camera_id {_shown(from_payload)} differs from the topic's "
            f"{_shown(from_topic)}; the payload's is used"
        )
    return from_payload


def _camera_name(payload: Mapping[str, Any], camera_id: str, notes: list[str]) -> str:
    name = _optional_text(payload, "camera_name", MAX_NAME_LENGTH, notes)
    return name or clean_text(camera_id, MAX_NAME_LENGTH)


def _derived_event_id(camera_id: str, payload: Mapping[str, Any]) -> str:
    """Return an id that is the same for every delivery of the same payload."""
    timestamp = payload.get("timestamp")
    description = payload.get("description")
    material = "\x1f".join(
        (
            camera_id,
            timestamp if isinstance(timestamp, str) else repr(timestamp),
            description if isinstance(description, str) else repr(description),
        )
    )
    digest = hashlib.sha256(material.encode("utf-8", "replace")).hexdigest()
    return f"{DERIVED_ID_PREFIX}{digest[:32]}"


# Parsers


def parse_camera_event(
    payload: Mapping[str, Any], *, now: datetime, topic_camera_id: str | None
) -> CameraEvent | Rejection:
    """Return the event a classifier published, or why it cannot be used.

    `topic_camera_id` is the `<camera_id>` segment of the topic, used when the
    payload has no camera id. An event without an `event_id` gets one derived from
    its camera, raw timestamp and description, so a redelivery of the same payload
    has the same id.
    """
    return _parse_event(
        payload, now=now, topic_camera_id=topic_camera_id, fractions=True
    )


def _parse_event(
    payload: Mapping[str, Any],
    *,
    now: datetime,
    topic_camera_id: str | None,
    fractions: bool,
) -> CameraEvent | Rejection:
    _require_aware(now)
    notes: list[str] = []
    camera_id = _camera_id(payload, topic_camera_id, notes)
    if camera_id is None:
        return Rejection("camera event without a camera_id")
    event_id = bounded_id(payload.get("event_id"))
    if event_id is None:
        raw = payload.get("event_id")
        if raw is not None:
            notes.append(f"event_id {_shown(raw)} is not an id; one is derived")
        event_id = _derived_event_id(camera_id, payload)
    description = payload.get("description")
    if description is not None and not isinstance(description, str):
        notes.append(f"description is {type(description).__name__}, not text; ignored")
    return CameraEvent(
        event_id=event_id,
        camera_id=camera_id,
        camera_name=_camera_name(payload, camera_id, notes),
        description=clean_text(description, MAX_DESCRIPTION_LENGTH)
        if isinstance(description, str)
        else "",
        objects=_parse_objects(payload.get("objects_detected"), notes),
        confidence=_parse_confidence(
            payload.get("confidence"), notes, fractions=fractions
        ),
        source_type=_optional_text(payload, "source_type", MAX_LABEL_LENGTH, notes),
        timestamp=_checked_time(payload, "timestamp", now, notes),
        thumbnail_url=_parse_url(payload.get("thumbnail_url"), notes),
        smart_detection_type=_optional_text(
            payload, "smart_detection_type", MAX_LABEL_LENGTH, notes
        ),
        is_doorbell_ring=_parse_flag(payload, "is_doorbell_ring", notes),
        notes=tuple(notes),
    )


def parse_camera_status(
    payload: Mapping[str, Any] | str,
    *,
    now: datetime,
    topic_camera_id: str | None,
) -> CameraStatus | Rejection:
    """Return a camera's status message, or why it cannot be used.

    Plain text (`online`) is read as `{"status": "online"}`. A status that is not
    one of `online`, `offline`, `unavailable` (in any case) is rejected: there is no
    sane state to guess.
    """
    _require_aware(now)
    if isinstance(payload, str):
        payload = {"status": payload}
    notes: list[str] = []
    camera_id = _camera_id(payload, topic_camera_id, notes)
    if camera_id is None:
        return Rejection("camera status without a camera_id")
    raw_status = payload.get("status")
    text = raw_status.strip().lower() if isinstance(raw_status, str) else None
    if text not in _STATES:
        return Rejection(
            f"camera {_shown(camera_id)} status {_shown(raw_status)} is not one of "
            "online, offline, unavailable"
        )
    return CameraStatus(
        camera_id=camera_id,
        camera_name=_camera_name(payload, camera_id, notes),
        status=CameraState(text),
        last_updated=_checked_time(payload, "last_updated", now, notes),
        notes=tuple(notes),
    )
