"""Every store's restore function, fed damaged and random JSON (Hypothesis).

Each store HA AI writes is taken in its real shape, then damaged at random: any
field of any record replaced by a random JSON value, removed, or joined by an
extra one; or the whole store replaced by random JSON. The restore function must
then either give well-typed records only, with what it left out counted, or say
that the store as a whole is unreadable (`UnreadableStoreError`, which the Home
Assistant side answers by setting the file aside). Nothing else may escape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.cameras.counters import (
    Cameras,
    restore_cameras_store,
)
from custom_components.ha_ai.engine.cameras.model import (
    CameraEvent,
    parse_camera_event,
)
from custom_components.ha_ai.engine.habits.log_files import iter_rows
from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from custom_components.ha_ai.engine.habits.serialize import (
    pattern_summary,
    patterns_to_store,
    restore_habits_store,
)
from custom_components.ha_ai.engine.stored import Drops, Restored, UnreadableStoreError
from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.feedback import (
    FEEDBACK_MAX,
    FEEDBACK_MIN,
    FeedbackKeys,
    FeedbackTally,
    restore_tally,
)
from custom_components.ha_ai.engine.suggestions.model import (
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)
from custom_components.ha_ai.engine.suggestions.serialize import (
    book_to_store,
    restore_suggestions_store,
)
from custom_components.ha_ai.engine.zigbee.anomalies import AnomalySettings
from custom_components.ha_ai.engine.zigbee.devices import parse_device_list
from custom_components.ha_ai.engine.zigbee.model import Capability, ZigbeeDevice
from custom_components.ha_ai.engine.zigbee.serialize import (
    devices_to_store,
    restore_insights_store,
    restore_zigbee_store,
)
from tests.habit_helpers import COFFEE, MORNING

HOUSE = Path(__file__).parents[1] / "fixtures" / "house" / "devices.json"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What Home Assistant's loader (orjson) can give: integers within 64 bits (a
# larger one is read as a float), finite floats.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def damaged(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """Return `value` with random fields replaced, removed or added, at any depth."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(json_values)
    if isinstance(value, dict) and depth < 6:
        result = {}
        for key, item in value.items():
            action = draw(st.integers(0, 11))
            if action == 0:
                continue  # removed
            result[key] = damaged(draw, item, depth + 1) if action > 1 else item
        if draw(st.booleans()):
            result[draw(st.text(max_size=8))] = draw(json_values)
        return result
    if isinstance(value, list) and depth < 6:
        return [damaged(draw, item, depth + 1) for item in value]
    return value


@st.composite
def damaged_store(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A valid store damaged at random, or random JSON altogether."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    return damaged(draw, valid)


def restored_or_unreadable[T](
    restore: Callable[[object], Restored[T]], data: object
) -> Restored[T] | None:
    """Run `restore`; None when it says the store is unreadable as a whole."""
    try:
        restored = restore(data)
    except UnreadableStoreError:
        return None
    assert restored.drops.dropped_count >= 0
    return restored


def json_round_trip(value: object) -> None:
    """What a restore gives back can be stored again."""
    orjson.dumps(value)


# The stores in their real shape


@cache
def zigbee_store() -> dict[str, Any]:
    # The coordinator and two devices: every kind of field, few enough to fuzz.
    devices = parse_device_list(json.loads(HOUSE.read_text())[:3]).devices
    return json.loads(
        json.dumps(
            {
                "devices": devices_to_store(devices),
                "bridge_info": {"version": "2.1.3", "permit_join": False},
                "last_devices_received": NOW.isoformat(),
                "changes": [
                    {
                        "at": NOW.isoformat(),
                        "ieee_address": "0x1",
                        "friendly_name": "Plug",
                        "capabilities_added": ["power"],
                        "capabilities_removed": [],
                        "software_build_id": [None, "1.2"],
                    }
                ],
                "anomalies": {"version": 1, "devices": {}},
                "settings": {"first": {}, "latest": {}},
            }
        )
    )


@cache
def suggestions_store() -> dict[str, Any]:
    suggestions = [
        Suggestion(
            suggestion_id=f"s{number}",
            kind=SuggestionKind.ROUTINE,
            category="comfort",
            title="Turn the hall light on at 06:30",
            description="You do it by hand most mornings.",
            confidence=0.8,
            value=0.5,
            entities=("light.hall",),
            source={"pattern_id": "p"},
            automation={"alias": "x", "triggers": [], "actions": []},
            status=SuggestionStatus.NEW,
            created_at=NOW,
            updated_at=NOW,
            last_seen=NOW,
            error="it failed" if number else None,
        )
        for number in range(3)
    ]
    book = SuggestionBook(suggestions, ["old"])
    tally = FeedbackTally()
    kitchen = FeedbackKeys.of("lighting", "routine", ["Kitchen", "Hall"])
    tally.accepted("s0", kitchen, automation_id="ha_ai_s0")
    tally.note_overrides("s0", kitchen, 2)
    tally.dismissed("s1", FeedbackKeys.of("climate", "used_together", ["Office"]))
    return json.loads(
        json.dumps(
            {
                "book": book_to_store(book),
                "unannounced": ["s1"],
                "feedback": tally.as_dict(),
            }
        )
    )


@cache
def cameras_store() -> dict[str, Any]:
    cameras = Cameras()
    for camera_id in ("garage", "garden"):
        event = parse_camera_event(
            {
                "event_id": f"{camera_id}-1",
                "camera_id": camera_id,
                "camera_name": camera_id.title(),
                "description": "A person",
                "objects_detected": ["person"],
                "confidence": 80,
                "timestamp": NOW.isoformat(),
            },
            now=NOW,
            topic_camera_id=camera_id,
        )
        assert isinstance(event, CameraEvent)
        cameras.record_event(event, now=NOW, tz=UTC, stale_after=timedelta(minutes=1))
    return json.loads(json.dumps(cameras.to_dict()))


@cache
def habits_store() -> dict[str, Any]:
    return json.loads(
        json.dumps(
            {
                "patterns": patterns_to_store([MORNING, COFFEE]),
                "last_run": NOW.isoformat(),
                "last_duration": 1.5,
            }
        )
    )


# Checks of what came back


OPTIONAL_DEVICE_TEXTS = (
    "model",
    "vendor",
    "description",
    "model_id",
    "manufacturer",
    "power_source",
    "software_build_id",
    "date_code",
)


def assert_well_typed_capability(capability: Capability) -> None:
    for name in ("key", "property_name", "name", "type"):
        assert isinstance(getattr(capability, name), str)
    assert isinstance(capability.access, int)
    assert not isinstance(capability.access, bool)
    for name in ("category", "endpoint", "parent_type", "label", "description"):
        assert isinstance(getattr(capability, name), str | None)
    for name in ("value_min", "value_max", "value_step"):
        value = getattr(capability, name)
        assert value is None or (
            isinstance(value, int | float) and not isinstance(value, bool)
        )
    assert all(isinstance(v, str) for v in (*capability.values, *capability.presets))
    assert isinstance(capability.extra, dict)


def assert_well_typed_device(ieee: str, device: ZigbeeDevice) -> None:
    assert device.ieee_address == ieee
    for name in ("ieee_address", "friendly_name", "device_type", "interview_state"):
        assert isinstance(getattr(device, name), str)
    for name in OPTIONAL_DEVICE_TEXTS:
        assert isinstance(getattr(device, name), str | None)
    assert isinstance(device.supported, bool)
    assert isinstance(device.disabled, bool)
    for capability in device.capabilities:
        assert_well_typed_capability(capability)


def assert_well_typed_suggestion(suggestion: Suggestion) -> None:
    for field in fields(Suggestion):
        value = getattr(suggestion, field.name)
        if field.name in ("title", "description", "category", "how_to_start"):
            assert isinstance(value, str)
    assert isinstance(suggestion.kind, SuggestionKind)
    assert isinstance(suggestion.status, SuggestionStatus)
    assert 0.0 <= suggestion.confidence <= 1.0
    assert 0.0 <= suggestion.value <= 1.0
    assert all(isinstance(e, str) for e in suggestion.entities)
    assert isinstance(suggestion.source, dict)
    assert suggestion.automation is None or isinstance(suggestion.automation, dict)
    for moment in (suggestion.created_at, suggestion.updated_at, suggestion.last_seen):
        assert moment.tzinfo is not None
    assert isinstance(suggestion.error, str | None)
    assert isinstance(suggestion.automation_id, str | None)
    assert isinstance(suggestion.enriched, bool)


# The properties


@FUZZ
@given(st.data())
def test_zigbee_restore_never_raises_and_keeps_only_well_typed_devices(
    data: st.DataObject,
) -> None:
    stored = data.draw(damaged_store(zigbee_store()))
    restored = restored_or_unreadable(
        lambda d: restore_zigbee_store(d, AnomalySettings()), stored
    )
    if restored is None:
        return
    bridge = restored.value
    for ieee, device in bridge.devices.items():
        assert_well_typed_device(ieee, device)
    for key in ("version", "commit", "coordinator_type", "last_seen"):
        assert isinstance(bridge.bridge_info.get(key), str | None)
    assert all(isinstance(change["friendly_name"], str) for change in bridge.changes)
    json_round_trip(bridge.stored_devices)
    json_round_trip(bridge.changes)
    json_round_trip(bridge.bridge_info)
    again = restore_zigbee_store(
        json.loads(json.dumps({"devices": bridge.stored_devices})), AnomalySettings()
    )
    assert again.value.devices == bridge.devices
    assert again.drops.dropped_count == 0


@FUZZ
@given(st.data())
def test_insights_restore_never_raises_and_keeps_only_ids(data: st.DataObject) -> None:
    stored = data.draw(damaged_store({"published": ["a", "b", "c"]}))
    restored = restored_or_unreadable(restore_insights_store, stored)
    if restored is not None:
        assert all(isinstance(i, str) and i for i in restored.value)


@FUZZ
@given(st.data())
def test_habits_restore_never_raises_and_keeps_only_well_typed_patterns(
    data: st.DataObject,
) -> None:
    stored = data.draw(damaged_store(habits_store()))
    restored = restored_or_unreadable(restore_habits_store, stored)
    if restored is None:
        return
    habits = restored.value
    for pattern in habits.patterns:
        assert isinstance(pattern, TimeOfDayPattern | UsedTogetherPattern)
        assert isinstance(pattern.pattern_id, str)
        assert isinstance(pattern.entity_id, str)
        assert 0.0 <= pattern.confidence <= 1.0
        if isinstance(pattern, TimeOfDayPattern):
            assert isinstance(pattern.day_class, DayClass)
            assert 0 <= pattern.minute_of_day < 24 * 60
        json_round_trip(pattern_summary(pattern))
    assert habits.last_run is None or habits.last_run.tzinfo is not None
    assert habits.last_duration is None or isinstance(habits.last_duration, float)


@FUZZ
@given(st.data())
def test_suggestions_restore_never_raises_and_keeps_only_well_typed_records(
    data: st.DataObject,
) -> None:
    stored = data.draw(damaged_store(suggestions_store()))
    restored = restored_or_unreadable(restore_suggestions_store, stored)
    if restored is None:
        return
    book = restored.value.book
    for suggestion in book.query():
        assert_well_typed_suggestion(suggestion)
    assert all(isinstance(i, str) and i for i in book.dismissed_ids)
    assert all(isinstance(i, str) and i for i in restored.value.unannounced)
    json_round_trip(book_to_store(book))
    tally = restored.value.feedback
    json_round_trip(tally.as_dict())
    stored_tally = orjson.loads(orjson.dumps(tally.as_dict()))
    for answer in stored_tally["answers"]:
        keys = FeedbackKeys.of(answer["name"], answer["name"], [answer["name"]])
        assert FEEDBACK_MIN <= tally.factor(keys) <= FEEDBACK_MAX
        assert min(answer["kept"], answer["dismissed"], answer["overridden"]) >= 0
    again = restore_tally(stored_tally, Drops())
    assert again.as_dict() == stored_tally


@FUZZ
@given(st.data())
def test_cameras_restore_never_raises_and_keeps_only_well_typed_cameras(
    data: st.DataObject,
) -> None:
    stored = data.draw(damaged_store(cameras_store()))
    restored = restored_or_unreadable(restore_cameras_store, stored)
    if restored is None:
        return
    for camera in restored.value:
        assert isinstance(camera.camera_id, str)
        assert isinstance(camera.camera_name, str)
        assert camera.last_seen.tzinfo is not None
        today, week = camera.activity.counts(NOW, UTC)
        assert isinstance(today, int)
        assert isinstance(week, int)
    json_round_trip(restored.value.to_dict())


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_any_bytes_in_a_habit_log_file_give_rows_or_counted_drops(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    directory = tmp_path_factory.mktemp("log")
    (directory / "2026-11-20.csv").write_bytes(content)
    drops = Drops()
    rows = list(iter_rows(directory, since=date(2026, 1, 1), drops=drops))
    for epoch, origin, entity_id, state in rows:
        assert isinstance(epoch, int)
        assert isinstance(origin, int)
        assert "." in entity_id
        assert isinstance(state, str)
    assert drops.dropped_count >= 0
