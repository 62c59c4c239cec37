"""Attacks on the AI camera topics: ids that merged cameras, floods of new
cameras, and names that forged log lines. Each test replays one attack through
MQTT messages and checks what a user would see: devices, entities, the log.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.cameras.tracker import (
    CAMERA_STORE_KEY,
    WAITING_LOG_INTERVAL,
    CameraTracker,
    camera_identifier,
)
from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.ha_ai.engine.cameras.admission import (
    DEFAULT_BURST,
    DEFAULT_PER_MINUTE,
)
from custom_components.ha_ai.engine.cameras.keys import hashed_key

from .camera_helpers import (
    FRONT,
    PREFIX,
    TIME_ZONE,
    camera_limit,
    event_payload,
    move_to,
    reload,
    send_event,
    send_status,
    state,
)

START = datetime(2025, 6, 11, 10, 0, tzinfo=ZoneInfo(TIME_ZONE))
SAFE = re.compile(r"^[a-z0-9_-]+$")
NON_LATIN_IDS = ("кухня", "日本", "كاميرا", "../..")
SUMMARY = "new AI camera(s) had to wait"


@pytest.fixture
async def clock(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> Any:
    """Freeze the clock before HA AI starts (the mqtt integration first)."""
    await hass.config.async_set_time_zone(TIME_ZONE)
    freezer.move_to(START)
    return freezer


@pytest.fixture
async def loaded(clock: FrozenDateTimeFactory, setup_entry: MockConfigEntry) -> Any:
    """HA AI, set up on the frozen clock."""
    return setup_entry


def tracker_of(entry: MockConfigEntry) -> CameraTracker:
    tracker: CameraTracker = entry.runtime_data.cameras
    return tracker


def camera_devices(
    device_registry: dr.DeviceRegistry, entry: MockConfigEntry
) -> list[dr.DeviceEntry]:
    return [
        device
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        if device.model == "AI camera"
    ]


def ha_ai_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.ha_ai")
    ]


# Ids that all became `unknown`


async def test_non_latin_camera_ids_are_distinct_devices_not_one_unknown(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    for index, camera_id in enumerate(NON_LATIN_IDS):
        for event in range(index + 1):  # 1, 2, 3, 4 events: counts must not merge
            send_event(
                hass,
                event_payload(camera_id, f"{index}-{event}", camera_name=camera_id),
                topic_camera_id=f"topic{index}",
            )
    await hass.async_block_till_done()
    devices = camera_devices(device_registry, loaded)
    assert sorted(device.name for device in devices) == sorted(NON_LATIN_IDS)
    counts: dict[str, str] = {}
    for device in devices:
        [(_domain, identifier)] = device.identifiers
        assert SAFE.fullmatch(identifier)
        assert "unknown" not in identifier
        entries = er.async_entries_for_device(entity_registry, device.id)
        assert len(entries) == 7
        today = next(e for e in entries if e.unique_id.endswith("_events_today"))
        counts[str(device.name)] = state(hass, today.entity_id)
    assert counts == {"кухня": "1", "日本": "2", "كاميرا": "3", "../..": "4"}
    kitchen = tracker_of(loaded).get(hashed_key("кухня"))
    assert kitchen is not None
    assert kitchen.camera_id == "кухня"


async def test_path_and_wildcard_ids_never_reach_unique_ids_or_topics(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    mqtt_mock: MqttMockHAClient,
    entity_registry: er.EntityRegistry,
) -> None:
    hostile = ("../..", "+", "#", "a/+/#", "../../etc/passwd", "$SYS/x", "a\x00b")
    for index, camera_id in enumerate(hostile):
        send_event(hass, event_payload(camera_id, f"h{index}"), f"safe{index}")
    await hass.async_block_till_done()
    cameras = list(tracker_of(loaded))
    assert len(cameras) == len(hostile)
    for camera in cameras:
        assert SAFE.fullmatch(camera.camera_slug)
    camera_entries = [
        entry
        for entry in er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
        if entry.unique_id.startswith("camera_")
    ]
    assert len(camera_entries) == len(hostile) * 7
    for entry in camera_entries:
        assert SAFE.fullmatch(entry.unique_id), entry.unique_id
    for call in mqtt_mock.async_publish.call_args_list:
        topic = call.args[0]
        assert "+" not in topic
        assert "#" not in topic
        assert ".." not in topic


async def test_ids_that_slug_alike_stay_apart_with_a_warning(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send_event(hass, event_payload("Front Door", "a1"), "front_door")
    send_event(hass, event_payload("front_door", "b1", camera_name="Porch"))
    send_event(hass, event_payload("front_door", "b2", camera_name="Porch"))
    await hass.async_block_till_done()
    assert device_registry.async_get_device(
        identifiers={camera_identifier("front_door")}
    )
    porch = device_registry.async_get_device(
        identifiers={camera_identifier(hashed_key("front_door"))}
    )
    assert porch is not None
    assert porch.name == "Porch"
    assert state(hass, FRONT["events_today"]) == "1"
    assert state(hass, "sensor.porch_events_today") == "2"
    [warning] = [m for m in ha_ai_messages(caplog) if "kept apart" in m]
    assert "'front_door'" in warning
    assert "'Front Door'" in warning
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    assert diagnostics["cameras"]["new_cameras"]["kept_apart"] == 1


async def test_cameras_stored_under_old_keys_keep_their_devices_and_entities(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
) -> None:
    """A store from before: `Front Door` as `front_door`, `кухня` as `unknown`."""
    at = START.isoformat()

    def stored(camera_id: str) -> dict[str, Any]:
        return {"camera_id": camera_id, "camera_name": camera_id, "last_seen": at}

    hass_storage[CAMERA_STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": CAMERA_STORE_KEY,
        "data": {
            "version": 1,
            "cameras": {"front_door": stored("Front Door"), "unknown": stored("кухня")},
        },
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    for key in ("front_door", "unknown"):
        assert entity_registry.async_get_entity_id(
            "sensor", DOMAIN, f"camera_{key}_events_today"
        )
    # Their messages still reach them; a new non-Latin id is a camera of its own.
    send_event(hass, event_payload("кухня", "k1", camera_name="Kitchen"))
    send_event(hass, event_payload("Front Door", "f1"))
    send_event(hass, event_payload("日本", "j1", camera_name="Japan"))
    await hass.async_block_till_done()
    kitchen = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, "camera_unknown_events_today"
    )
    assert kitchen is not None
    assert state(hass, kitchen) == "1"
    assert state(hass, "sensor.japan_events_today") == "1"
    assert len(list(tracker_of(config_entry))) == 3


# A flood of new cameras


async def test_a_burst_of_1000_new_camera_ids_creates_at_most_the_burst(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entities_before = len(
        er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
    )
    for index in range(1_000):
        send_event(hass, event_payload(f"flood{index}", f"f{index}"))
    await hass.async_block_till_done()
    assert len(tracker_of(loaded).cameras) == DEFAULT_BURST
    assert len(camera_devices(device_registry, loaded)) == DEFAULT_BURST
    entities = er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
    assert len(entities) - entities_before == DEFAULT_BURST * 7
    assert not [m for m in ha_ai_messages(caplog) if SUMMARY in m]  # not per message
    await move_to(hass, clock, START + timedelta(seconds=WAITING_LOG_INTERVAL))
    [summary] = [m for m in ha_ai_messages(caplog) if SUMMARY in m]
    assert summary.startswith("990 new AI camera(s) had to wait (990 message(s)")
    assert "'flood10', 'flood11', 'flood12'" in summary
    assert "\n" not in summary
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    assert diagnostics["cameras"]["new_cameras"] == {
        "burst": DEFAULT_BURST,
        "per_minute": DEFAULT_PER_MINUTE,
        "messages_waited": 990,
        "cameras_waited": 990,
        "kept_apart": 0,
    }
    # Nothing more waited: no second summary a minute later.
    await move_to(hass, clock, START + timedelta(seconds=WAITING_LOG_INTERVAL * 3))
    assert len([m for m in ha_ai_messages(caplog) if SUMMARY in m]) == 1


async def test_a_camera_that_waited_is_added_with_a_later_message(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
) -> None:
    for index in range(DEFAULT_BURST):
        send_event(hass, event_payload(f"cam{index}", f"c{index}", camera_name=None))
    send_event(hass, event_payload("late", "l1", camera_name="Late"))
    send_status(hass, "late", "online")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.late_events_today") is None
    # Known cameras never wait.
    send_event(hass, event_payload("cam0", "c0-again", camera_name=None))
    await hass.async_block_till_done()
    assert state(hass, "sensor.cam0_events_today") == "2"
    # Its turn comes after a fifth of a minute; its next message adds it.
    await move_to(hass, clock, START + timedelta(seconds=60 / DEFAULT_PER_MINUTE))
    send_event(hass, event_payload("late", "l2", camera_name="Late"))
    await hass.async_block_till_done()
    assert state(hass, "sensor.late_events_today") == "1"  # l1 was not recorded


async def test_the_camera_cap_still_refuses_without_waiting(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    with camera_limit(1):  # a full house
        await reload(hass, loaded.entry_id)
    tracker = tracker_of(loaded)
    rejected = loaded.runtime_data.bus.statistics.messages_rejected
    send_event(hass, event_payload("garage", "g1"))
    await hass.async_block_till_done()
    assert loaded.runtime_data.bus.statistics.messages_rejected == rejected + 1
    assert tracker.waiting.messages_total == 0


# Forged log lines


FORGED = "x\n2025-06-11 10:00:00.000 ERROR (MainThread) [homeassistant.core] pwned"


async def test_a_newline_in_a_camera_name_or_id_stays_one_log_line(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.ha_ai")
    send_event(hass, event_payload("cam\u2028evil", "e1", camera_name=FORGED))
    send_event(hass, event_payload(camera_name=FORGED, confidence=FORGED))
    send_event(hass, event_payload(camera_name=FORGED))  # delivered again
    async_fire_mqtt_message(hass, f"{PREFIX}/camera/{FORGED}/status", FORGED)
    send_status(hass, "front_door", {"camera_id": FORGED, "status": FORGED})
    async_fire_mqtt_message(hass, f"{PREFIX}/status", FORGED)
    for index in range(DEFAULT_BURST):
        send_event(hass, event_payload(f"{FORGED}{index}", f"w{index}"))
    await move_to(hass, clock, START + timedelta(seconds=WAITING_LOG_INTERVAL))
    messages = ha_ai_messages(caplog)
    forged = [message for message in messages if "pwned" in message]
    assert len(forged) >= 3
    assert any("\\n" in message for message in forged)  # shown, escaped
    assert any(SUMMARY in message for message in messages)
    for message in messages:
        assert "\n" not in message, message
        assert "\u2028" not in message, message
    assert not [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.name.startswith("custom_components.ha_ai")
    ]


async def test_a_forged_name_reaches_the_device_as_one_line(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    send_event(hass, event_payload(camera_name=FORGED))
    await hass.async_block_till_done()
    device = device_registry.async_get_device(
        identifiers={camera_identifier("front_door")}
    )
    assert device is not None
    assert device.name is not None
    assert "\n" not in device.name
