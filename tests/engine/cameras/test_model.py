"""AI camera payloads: every field, every kind of bad input, round trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.ha_ai.engine.cameras.model import (
    DERIVED_ID_PREFIX,
    ELLIPSIS,
    MAX_DESCRIPTION_LENGTH,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_OBJECT_LENGTH,
    MAX_OBJECTS,
    MAX_URL_LENGTH,
    STATE_MAX_LENGTH,
    CameraEvent,
    CameraState,
    CameraStatus,
    bounded_id,
    clean_text,
    parse_camera_event,
    parse_camera_status,
    state_text,
    truncate,
)
from custom_components.ha_ai.engine.inbound import Rejection

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def payload(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "evt-1",
        "camera_id": "front_door",
        "camera_name": "Front Door",
        "description": "A person at the door",
        "objects_detected": ["person", "package"],
        "confidence": 87.5,
        "source_type": "unifi_protect",
        "timestamp": "2025-03-14T11:59:30+00:00",
        "thumbnail_url": "https://nvr.local/thumb/evt-1.jpg",
        "smart_detection_type": "person",
        "is_doorbell_ring": True,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


def event(topic: str | None = None, **changes: Any) -> CameraEvent:
    result = parse_camera_event(payload(**changes), now=NOW, topic_camera_id=topic)
    assert isinstance(result, CameraEvent), result
    return result


def test_a_full_payload_gives_every_field() -> None:
    parsed = event()
    assert parsed == CameraEvent(
        event_id="evt-1",
        camera_id="front_door",
        camera_name="Front Door",
        description="A person at the door",
        objects=("person", "package"),
        confidence=87.5,
        source_type="unifi_protect",
        timestamp=datetime(2025, 3, 14, 11, 59, 30, tzinfo=UTC),
        thumbnail_url="https://nvr.local/thumb/evt-1.jpg",
        smart_detection_type="person",
        is_doorbell_ring=True,
    )
    assert parsed.notes == ()


def test_a_minimal_payload_gets_defaults() -> None:
    parsed = parse_camera_event(
        {"event_id": "e", "camera_id": "Garage Cam"}, now=NOW, topic_camera_id=None
    )
    assert isinstance(parsed, CameraEvent)
    assert parsed.camera_name == "Garage Cam"
    assert parsed.description == ""
    assert parsed.objects == ()
    assert parsed.confidence is None
    assert parsed.source_type is None
    assert parsed.timestamp == NOW
    assert parsed.thumbnail_url is None
    assert parsed.smart_detection_type is None
    assert parsed.is_doorbell_ring is False
    assert parsed.notes == ("no timestamp; the time of receipt is used",)


def test_the_camera_id_comes_from_the_topic_when_the_payload_has_none() -> None:
    assert event("porch", camera_id=...).camera_id == "porch"
    garbage = event("porch", camera_id=["x"])
    assert garbage.camera_id == "porch"
    assert "not an id" in garbage.notes[0]


def test_the_payload_camera_id_wins_over_a_different_topic() -> None:
    parsed = event("porch")
    assert parsed.camera_id == "front_door"
    assert "differs from the topic" in parsed.notes[0]
    assert event("front_door").notes == ()


def test_an_integer_camera_id_is_text() -> None:
    assert event(camera_id=7, camera_name=...).camera_id == "7"
    assert event(camera_id=7, camera_name=...).camera_name == "7"


@pytest.mark.parametrize("camera_id", [..., None, "", "   ", True, 1.5, {"a": 1}])
def test_an_event_without_a_camera_id_is_rejected(camera_id: Any) -> None:
    result = parse_camera_event(
        payload(camera_id=camera_id), now=NOW, topic_camera_id=None
    )
    assert result == Rejection("camera event without a camera_id")


def test_without_an_event_id_a_stable_one_is_derived() -> None:
    first = event(event_id=...)
    again = event(event_id=...)
    assert first.event_id.startswith(DERIVED_ID_PREFIX)
    assert len(first.event_id) <= MAX_ID_LENGTH
    assert first.event_id == again.event_id
    assert event(event_id=..., description="other").event_id != first.event_id
    assert event(event_id=..., timestamp="2025-03-14T11:00:00Z").event_id != (
        first.event_id
    )
    assert event(event_id=..., camera_id="b").event_id != first.event_id


def test_a_derived_id_does_not_depend_on_the_time_of_receipt() -> None:
    body = payload(event_id=..., timestamp=..., description=...)
    first = parse_camera_event(body, now=NOW, topic_camera_id=None)
    later = parse_camera_event(body, now=NOW + timedelta(hours=1), topic_camera_id=None)
    assert isinstance(first, CameraEvent)
    assert isinstance(later, CameraEvent)
    assert first.event_id == later.event_id
    garbage = event(event_id=..., timestamp=12.5, description=3)
    assert garbage.event_id.startswith(DERIVED_ID_PREFIX)


def test_a_wrong_typed_event_id_is_noted_and_derived() -> None:
    parsed = event(event_id={"x": 1})
    assert parsed.event_id.startswith(DERIVED_ID_PREFIX)
    assert "event_id {'x': 1} is not an id; one is derived" in parsed.notes
    assert event(event_id=42).event_id == "42"


def test_hostile_ids_are_cleaned_and_bounded() -> None:
    long_a = "a" * 500 + "1"
    long_b = "a" * 500 + "2"
    first = event(camera_id=long_a, event_id=long_a)
    second = event(camera_id=long_b, event_id=long_b)
    assert len(first.camera_id) == MAX_ID_LENGTH
    assert len(first.event_id) == MAX_ID_LENGTH
    assert first.camera_id != second.camera_id
    assert first.event_id != second.event_id
    hostile = event(camera_id="cam/+/#\x00\n\u202e", camera_name=...)
    assert hostile.camera_id == "cam/+/#"
    assert "\x00" not in hostile.camera_name
    assert event(camera_id="+/#", camera_name=...).camera_id == "+/#"


def test_names_are_cleaned_and_bounded() -> None:
    parsed = event(camera_name="Front\x00 \tDoor\r\n" + "x" * 500)
    assert parsed.camera_name.startswith("Front Door x")
    assert len(parsed.camera_name) == MAX_NAME_LENGTH
    assert parsed.camera_name.endswith(ELLIPSIS)
    assert event(camera_name="\x07\x08").camera_name == "front_door"
    wrong = event(camera_name=12)
    assert wrong.camera_name == "front_door"
    assert "camera_name is int, not text; ignored" in wrong.notes


def test_a_very_long_description_is_bounded_and_cut_for_a_state() -> None:
    parsed = event(description="word " * 100_000)
    assert len(parsed.description) == MAX_DESCRIPTION_LENGTH
    assert parsed.description.endswith(ELLIPSIS)
    short = state_text(parsed.description)
    assert len(short) == STATE_MAX_LENGTH
    assert short.endswith(ELLIPSIS)
    assert state_text("short") == "short"
    assert event(description="line\none\x1b[31m").description == "line one [31m"


def test_a_wrong_typed_description_is_empty() -> None:
    parsed = event(description=["a"])
    assert parsed.description == ""
    assert "description is list, not text; ignored" in parsed.notes


def test_objects_are_bounded_and_non_text_is_dropped() -> None:
    parsed = event(objects_detected=["person", 3, None, "", "car\n", "x" * 200])
    assert parsed.objects == ("person", "car", "x" * (MAX_OBJECT_LENGTH - 1) + ELLIPSIS)
    assert "3 objects_detected item(s) are not text; dropped" in parsed.notes
    many = event(objects_detected=[f"o{i}" for i in range(500)])
    assert len(many.objects) == MAX_OBJECTS
    assert f"objects_detected has more than {MAX_OBJECTS} items; cut" in many.notes
    assert event(objects_detected="person").objects == ("person",)
    assert event(objects_detected=...).objects == ()
    wrong = event(objects_detected={"person": 1})
    assert wrong.objects == ()
    assert "objects_detected is dict, not a list; ignored" in wrong.notes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (87.5, 87.5),
        (0, 0.0),
        (100, 100.0),
        (1, 1.0),
        (1.0, 1.0),
        (0.87, 87.0),
        ("55.5", 55.5),
        (150, 100.0),
        (-3, 0.0),
        (1e300, 100.0),
        (None, None),
        ("high", None),
        ("1" * 40, None),
        (True, None),
        (float("nan"), None),
        (float("inf"), None),
        ([1], None),
    ],
)
def test_confidence_is_a_percentage(raw: Any, expected: float | None) -> None:
    parsed = event(confidence=raw)
    assert parsed.confidence == pytest.approx(expected)
    if raw is not None and expected is None:
        assert any("is not a number" in note for note in parsed.notes)
    if expected is not None and isinstance(raw, int | float) and not 0 <= raw <= 100:
        assert any("outside 0-100" in note for note in parsed.notes)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-14T13:59:30+02:00", datetime(2025, 3, 14, 11, 59, 30, tzinfo=UTC)),
        ("2025-03-14T11:59:30Z", datetime(2025, 3, 14, 11, 59, 30, tzinfo=UTC)),
        (" 2025-03-14T11:59:30Z ", datetime(2025, 3, 14, 11, 59, 30, tzinfo=UTC)),
        (1741953570, datetime(2025, 3, 14, 11, 59, 30, tzinfo=UTC)),
        (1741953570000, datetime(2025, 3, 14, 11, 59, 30, tzinfo=UTC)),
        (1741953570.5, datetime(2025, 3, 14, 11, 59, 30, 500000, tzinfo=UTC)),
        ("2025-03-15T11:59:00Z", datetime(2025, 3, 15, 11, 59, tzinfo=UTC)),
    ],
)
def test_good_timestamps_are_kept(raw: Any, expected: datetime) -> None:
    parsed = event(timestamp=raw)
    assert parsed.timestamp == expected
    assert parsed.notes == ()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("yesterday", "does not parse as ISO 8601"),
        ("2025-03-14T11:59:30", "has no timezone"),
        ("2" * 100, "is too long to be a time"),
        ("1999-12-31T23:59:59Z", "is before 2000"),
        (0, "is before 2000"),
        ("2025-03-15T12:00:01Z", "is more than a day in the future"),
        ("9999-12-31T23:59:59+00:00", "is more than a day in the future"),
        (1e20, "is out of range"),
        (True, "is bool, not a time"),
        ([2025], "is list, not a time"),
        (float("nan"), "is float, not a time"),
    ],
)
def test_absurd_timestamps_are_replaced_by_now(raw: Any, problem: str) -> None:
    parsed = event(timestamp=raw)
    assert parsed.timestamp == NOW
    assert len(parsed.notes) == 1
    assert problem in parsed.notes[0]
    assert parsed.notes[0].endswith("the time of receipt is used")


@pytest.mark.parametrize(
    "url",
    [
        "http://nvr.local/a.jpg",
        "HTTPS://nvr.local:7443/thumb?id=1&size=2",
    ],
)
def test_http_thumbnail_urls_are_kept(url: str) -> None:
    assert event(thumbnail_url=url).thumbnail_url == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://nvr.local/a.jpg",
        "/thumb/a.jpg",
        "http://",
        "http://nvr.local/a b.jpg",
        "http://nvr.local/\x00.jpg",
        "http://[::1/a.jpg",
        "https://nvr.local/" + "a" * MAX_URL_LENGTH,
        42,
    ],
)
def test_other_thumbnail_urls_are_dropped(url: Any) -> None:
    parsed = event(thumbnail_url=url)
    assert parsed.thumbnail_url is None
    assert any(note.startswith("thumbnail_url") for note in parsed.notes)
    assert event(thumbnail_url="").thumbnail_url is None
    assert event(thumbnail_url="").notes == ()


def test_labels_are_optional_text() -> None:
    parsed = event(source_type="  ", smart_detection_type=5)
    assert parsed.source_type is None
    assert parsed.smart_detection_type is None
    assert "smart_detection_type is int, not text; ignored" in parsed.notes


def test_the_doorbell_flag_is_a_boolean() -> None:
    assert event(is_doorbell_ring=False).is_doorbell_ring is False
    assert event(is_doorbell_ring=None).is_doorbell_ring is False
    wrong = event(is_doorbell_ring="yes")
    assert wrong.is_doorbell_ring is False
    assert "is_doorbell_ring 'yes' is not true or false; read as false" in wrong.notes


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_camera_event(payload(), now=datetime(2025, 1, 1), topic_camera_id=None)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_camera_status("online", now=datetime(2025, 1, 1), topic_camera_id="a")  # noqa: DTZ001


def test_an_event_round_trips_through_json() -> None:
    parsed = event(confidence=0.005, description="x" * 5000)
    assert parsed.confidence == pytest.approx(0.5)
    stored = orjson.loads(orjson.dumps(parsed.to_dict()))
    assert CameraEvent.from_dict(stored) == parsed
    old = event(timestamp="2001-01-01T00:00:00+01:00")
    assert CameraEvent.from_dict(old.to_dict()) == old
    noted = event(timestamp="garbage")
    restored = CameraEvent.from_dict(noted.to_dict())
    assert restored is not None
    assert restored.notes == ()


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "event",
        [],
        {},
        {**payload(), "timestamp": "garbage"},
        {**payload(), "timestamp": "1990-01-01T00:00:00Z"},
        {**payload(), "event_id": None},
        {**payload(), "camera_id": ""},
    ],
)
def test_a_garbage_stored_event_is_none(stored: Any) -> None:
    assert CameraEvent.from_dict(stored) is None


# Status


def status(
    body: Any = None, topic: str | None = "front_door"
) -> CameraStatus | Rejection:
    if body is None:
        body = {
            "camera_id": "front_door",
            "camera_name": "Front Door",
            "status": "online",
            "last_updated": "2025-03-14T11:00:00+00:00",
        }
    return parse_camera_status(body, now=NOW, topic_camera_id=topic)


def test_a_full_status_gives_every_field() -> None:
    assert status() == CameraStatus(
        camera_id="front_door",
        camera_name="Front Door",
        status=CameraState.ONLINE,
        last_updated=datetime(2025, 3, 14, 11, tzinfo=UTC),
    )


def test_a_plain_or_sparse_status_uses_the_topic_and_now() -> None:
    parsed = status(" OFFLINE\n", topic="Back Yard")
    assert isinstance(parsed, CameraStatus)
    assert parsed.status is CameraState.OFFLINE
    assert parsed.camera_id == "Back Yard"
    assert parsed.camera_name == "Back Yard"
    assert parsed.last_updated == NOW
    assert parsed.notes == ("no last_updated; the time of receipt is used",)
    unavailable = status({"status": "unavailable"})
    assert isinstance(unavailable, CameraStatus)
    assert unavailable.status is CameraState.UNAVAILABLE


@pytest.mark.parametrize("value", [None, "", "on", 1, ["online"], "x" * 10_000])
def test_an_unknown_status_is_rejected(value: Any) -> None:
    result = status({"camera_id": "cam", "status": value})
    assert isinstance(result, Rejection)
    assert "is not one of online, offline, unavailable" in result.reason
    assert len(result.reason) < 200


def test_a_status_without_a_camera_is_rejected() -> None:
    assert status({"status": "online"}, topic=None) == Rejection(
        "camera status without a camera_id"
    )


def test_an_absurd_last_updated_is_replaced() -> None:
    parsed = status({"status": "online", "last_updated": "1970-01-01T00:00:00Z"})
    assert isinstance(parsed, CameraStatus)
    assert parsed.last_updated == NOW
    assert "is before 2000" in parsed.notes[0]


def test_a_status_round_trips_through_json() -> None:
    parsed = status()
    assert isinstance(parsed, CameraStatus)
    assert CameraStatus.from_dict(orjson.loads(orjson.dumps(parsed.to_dict()))) == (
        parsed
    )
    offset = status(
        {"status": "offline", "last_updated": "2025-03-14T08:00:00-05:00"},
        topic="x",
    )
    assert isinstance(offset, CameraStatus)
    restored = CameraStatus.from_dict(offset.to_dict())
    assert restored == offset
    assert restored is not None
    assert restored.last_updated.utcoffset() == timezone(timedelta(hours=-5)).utcoffset(
        None
    )


@pytest.mark.parametrize(
    "stored",
    [
        None,
        [],
        {"camera_id": "a", "status": "online"},
        {"camera_id": "a", "status": "online", "last_updated": "1980-01-01T00:00:00Z"},
        {"camera_id": "a", "status": "on", "last_updated": "2025-01-01T00:00:00Z"},
    ],
)
def test_a_garbage_stored_status_is_none(stored: Any) -> None:
    assert CameraStatus.from_dict(stored) is None


# Helpers


def test_text_helpers() -> None:
    assert truncate("abcdef", 4) == "abc" + ELLIPSIS
    assert truncate("ab   cdef", 4) == "ab" + ELLIPSIS
    assert truncate("abcd", 4) == "abcd"
    assert clean_text("a\u2066b\u2069\ud800c", 10) == "a b c"
    assert bounded_id(None) is None
    assert bounded_id(False) is None
    assert bounded_id(" id ") == "id"


# Properties: generated hostile payloads

HOSTILE_TEXT = st.text(
    alphabet=st.characters(codec=None)
    | st.sampled_from(["\n", "\r", "\x00", "\u2028", "\u202e", "\ud800", "+", "#"]),
    max_size=300,
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | HOSTILE_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
FIELDS = (
    "event_id",
    "camera_id",
    "camera_name",
    "description",
    "objects_detected",
    "confidence",
    "source_type",
    "timestamp",
    "thumbnail_url",
    "smart_detection_type",
    "is_doorbell_ring",
    "status",
    "last_updated",
)
HOSTILE_PAYLOADS = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=13)
UNSAFE_IN_TEXT = ("\n", "\r", "\x00", "\u2028", "\u202e")


def _assert_one_clean_line(text: str, limit: int) -> None:
    assert len(text) <= limit
    for char in UNSAFE_IN_TEXT:
        assert char not in text


@given(HOSTILE_PAYLOADS, st.none() | HOSTILE_TEXT)
def test_a_hostile_event_payload_never_raises_and_stays_bounded(
    body: dict[str, Any], topic: str | None
) -> None:
    parsed = parse_camera_event(body, now=NOW, topic_camera_id=topic)
    if isinstance(parsed, Rejection):
        _assert_one_clean_line(parsed.reason, 1_000)
        return
    _assert_one_clean_line(parsed.camera_id, MAX_ID_LENGTH)
    _assert_one_clean_line(parsed.event_id, MAX_ID_LENGTH)
    _assert_one_clean_line(parsed.camera_name, MAX_NAME_LENGTH)
    _assert_one_clean_line(parsed.description, MAX_DESCRIPTION_LENGTH)
    assert len(parsed.objects) <= MAX_OBJECTS
    assert parsed.confidence is None or 0 <= parsed.confidence <= 100
    assert parsed.timestamp.tzinfo is not None
    for note in parsed.notes:
        _assert_one_clean_line(note, 1_000)
    # What is stored comes back the same.
    assert CameraEvent.from_dict(orjson.loads(orjson.dumps(parsed.to_dict()))) == (
        replace(parsed, notes=())
    )


@given(HOSTILE_PAYLOADS | HOSTILE_TEXT, st.none() | HOSTILE_TEXT)
def test_a_hostile_status_payload_never_raises_and_stays_bounded(
    body: dict[str, Any] | str, topic: str | None
) -> None:
    parsed = parse_camera_status(body, now=NOW, topic_camera_id=topic)
    if isinstance(parsed, Rejection):
        _assert_one_clean_line(parsed.reason, 1_000)
        return
    assert parsed.status in CameraState
    _assert_one_clean_line(parsed.camera_id, MAX_ID_LENGTH)
    _assert_one_clean_line(parsed.camera_name, MAX_NAME_LENGTH)
    for note in parsed.notes:
        _assert_one_clean_line(note, 1_000)
