"""Following the AI camera classifier: discovery, de-duplication, persistence,
availability, out-of-order and stale events, bad input, floods and removal.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.binary_sensor import (
    DATA_COMPONENT as BINARY_SENSOR_COMPONENT,
)
from homeassistant.components.sensor import DATA_COMPONENT as SENSOR_COMPONENT
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    MockHAClientWebSocket,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.ha_ai import async_remove_config_entry_device
from custom_components.ha_ai.cameras.tracker import (
    CAMERA_STORE_KEY,
    STORE_SAVE_DELAY,
    CameraTracker,
    camera_identifier,
)
from custom_components.ha_ai.const import (
    CONF_CAMERA_FORGET_DAYS,
    CONF_CAMERA_QUIET_MINUTES,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.engine.cameras.admission import DEFAULT_BURST

from .camera_helpers import (
    FRONT,
    TIME_ZONE,
    camera_entities,
    camera_limit,
    event_payload,
    move_to,
    reload,
    send_availability,
    send_event,
    send_status,
    state,
)

BERLIN = ZoneInfo(TIME_ZONE)
START = datetime(2025, 6, 11, 10, 0, tzinfo=BERLIN)  # a Wednesday


@pytest.fixture
async def clock(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> Any:
    """Freeze the clock in Berlin before HA AI starts its timers.

    The mqtt integration is set up first: importing it under a frozen clock fails.
    """
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


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


# Discovery


async def test_a_camera_appears_with_its_first_event(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    assert hass.states.get(FRONT["status"]) is None
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    device = device_registry.async_get_device(
        identifiers={camera_identifier("front_door")}
    )
    assert device is not None
    assert device.name == "Front Door"
    assert device.model == "AI camera"
    assert device.config_entries == {loaded.entry_id}
    for key, entity_id in FRONT.items():
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.device_id == device.id
        assert entry.unique_id == f"camera_front_door_{key}"
    assert state(hass, FRONT["events_today"]) == "1"


async def test_a_second_camera_gets_its_own_device(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    send_event(hass, event_payload())
    send_event(hass, event_payload("garage", "g1", camera_name="Garage"))
    send_event(hass, event_payload("garage", "g2", camera_name="Garage"))
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "1"
    assert state(hass, "sensor.garage_events_today") == "2"
    assert len(dr.async_entries_for_config_entry(device_registry, loaded.entry_id)) == 3


async def test_a_status_makes_an_unknown_camera_appear(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    send_status(
        hass,
        "porch",
        {
            "camera_id": "porch",
            "camera_name": "Porch",
            "status": "online",
            "last_updated": dt_util.utcnow().isoformat(),
        },
    )
    send_status(hass, "shed", "offline")  # plain text: named after its id
    await hass.async_block_till_done()
    porch = camera_entities("porch")
    assert state(hass, porch["status"]) == "online"
    assert state(hass, porch["events_today"]) == "0"
    assert state(hass, porch["last_event"]) == STATE_UNKNOWN
    assert state(hass, porch["recent_activity"]) == STATE_OFF
    assert state(hass, "sensor.shed_status") == "offline"


async def test_a_renamed_camera_renames_its_device(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    send_event(hass, event_payload(event_id="e2", camera_name="Front Gate"))
    await hass.async_block_till_done()
    device = device_registry.async_get_device(
        identifiers={camera_identifier("front_door")}
    )
    assert device is not None
    assert device.name == "Front Gate"
    # A message without a name keeps the name.
    send_status(hass, "front_door", "online")
    await hass.async_block_till_done()
    device = device_registry.async_get(device.id)
    assert device is not None
    assert device.name == "Front Gate"


# De-duplication, order, staleness


async def test_a_redelivered_event_counts_once(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    payload = event_payload()
    for _ in range(3):
        send_event(hass, payload)
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "1"
    assert state(hass, FRONT["events_this_week"]) == "1"
    send_event(hass, event_payload(event_id="e2"))
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "2"


async def test_an_event_arriving_late_counts_but_is_not_the_last(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    now = dt_util.utcnow()
    send_event(hass, event_payload(event_id="new", description="newest"))
    send_event(
        hass,
        event_payload(
            event_id="old",
            description="older",
            timestamp=(now - timedelta(seconds=20)).isoformat(),
        ),
    )
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "2"
    assert state(hass, FRONT["last_description"]) == "newest"
    assert dt_util.parse_datetime(state(hass, FRONT["last_event"])) == now


async def test_a_stale_event_counts_without_switching_activity_on(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    long_ago = dt_util.utcnow() - timedelta(minutes=2)  # older than the 30 s TTL
    send_event(hass, event_payload(timestamp=long_ago.isoformat()))
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "1"
    assert state(hass, FRONT["recent_activity"]) == STATE_OFF
    assert state(hass, FRONT["event"]) == STATE_UNKNOWN
    assert dt_util.parse_datetime(state(hass, FRONT["last_event"])) == long_ago


# Recent activity


async def test_recent_activity_ends_after_the_quiet_time(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, loaded: MockConfigEntry
) -> None:
    assert loaded.options[CONF_CAMERA_QUIET_MINUTES] == 5
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert state(hass, FRONT["recent_activity"]) == STATE_ON
    await move_to(hass, clock, START + timedelta(minutes=3))
    send_event(hass, event_payload(event_id="e2"))  # the quiet time starts again
    await hass.async_block_till_done()
    await move_to(hass, clock, START + timedelta(minutes=7, seconds=59))
    assert state(hass, FRONT["recent_activity"]) == STATE_ON
    await move_to(hass, clock, START + timedelta(minutes=8))
    assert state(hass, FRONT["recent_activity"]) == STATE_OFF


@pytest.mark.parametrize(
    "entry_options", [{**DEFAULT_OPTIONS, CONF_CAMERA_QUIET_MINUTES: 1}]
)
async def test_the_quiet_time_is_a_setting(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, setup_entry: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    await move_to(hass, clock, START + timedelta(seconds=59))
    assert state(hass, FRONT["recent_activity"]) == STATE_ON
    await move_to(hass, clock, START + timedelta(minutes=1))
    assert state(hass, FRONT["recent_activity"]) == STATE_OFF


# Persistence


async def test_cameras_counts_and_activity_survive_a_restart(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    send_event(hass, event_payload())
    send_event(hass, event_payload(event_id="e2", description="second"))
    await hass.async_block_till_done()
    await restart(hass, loaded)
    stored = hass_storage[CAMERA_STORE_KEY]["data"]
    assert list(stored["cameras"]) == ["front_door"]
    # Known again before the classifier says anything.
    assert state(hass, FRONT["events_today"]) == "2"
    assert state(hass, FRONT["last_description"]) == "second"
    assert state(hass, FRONT["recent_activity"]) == STATE_ON
    # A redelivery of an event from before the restart is still recognised.
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "2"
    # The quiet time ends when it would have without the restart.
    await move_to(hass, clock, START + timedelta(minutes=4, seconds=59))
    assert state(hass, FRONT["recent_activity"]) == STATE_ON
    await move_to(hass, clock, START + timedelta(minutes=5))
    assert state(hass, FRONT["recent_activity"]) == STATE_OFF


async def test_activity_that_ended_during_a_restart_is_off(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(loaded.entry_id)
    clock.move_to(START + timedelta(minutes=6))
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done()
    assert state(hass, FRONT["recent_activity"]) == STATE_OFF
    assert state(hass, FRONT["events_today"]) == "1"


async def test_a_flood_is_saved_once_per_delay(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    for camera in range(DEFAULT_BURST):  # as many new cameras as may come at once
        for n in range(50):
            send_event(
                hass,
                event_payload(f"cam{camera}", f"{camera}-{n}", camera_name=None),
            )
        send_event(hass, event_payload(f"cam{camera}", f"{camera}-0"))  # again
    await hass.async_block_till_done()
    assert CAMERA_STORE_KEY not in hass_storage  # nothing written per event
    assert state(hass, "sensor.cam0_events_today") == "50"
    assert state(hass, "sensor.cam9_events_this_week") == "50"
    await move_to(hass, clock, START + timedelta(seconds=STORE_SAVE_DELAY + 1))
    await hass.async_block_till_done()
    stored = hass_storage[CAMERA_STORE_KEY]["data"]["cameras"]
    assert len(stored) == DEFAULT_BURST
    assert stored["cam7"]["activity"]["today"] == 50


async def test_more_cameras_than_the_limit_are_ignored(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    with camera_limit(1):
        await reload(hass, loaded.entry_id)
    tracker = tracker_of(loaded)
    rejected = loaded.runtime_data.bus.statistics.messages_rejected
    send_event(hass, event_payload())
    send_event(hass, event_payload("garage", "g1"))
    send_status(hass, "porch", "online")
    await hass.async_block_till_done()
    assert len(tracker.cameras) == 1
    assert hass.states.get("sensor.garage_status") is None
    assert loaded.runtime_data.bus.statistics.messages_rejected == rejected + 2


async def test_a_lower_limit_keeps_the_cameras_first_heard_of(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    send_event(hass, event_payload("garage", "g1", camera_name="Garage"))
    await hass.async_block_till_done()
    with camera_limit(1):
        await reload(hass, loaded.entry_id)
    tracker = tracker_of(loaded)
    assert [camera.camera_slug for camera in tracker] == ["front_door"]
    assert state(hass, FRONT["events_today"]) == "1"


# Availability


async def test_entities_follow_the_classifier_availability(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert all(state(hass, e) != STATE_UNAVAILABLE for e in FRONT.values())
    send_availability(hass, "offline")
    await hass.async_block_till_done()
    assert all(state(hass, e) == STATE_UNAVAILABLE for e in FRONT.values())
    assert not tracker_of(loaded).classifier_online
    send_availability(hass, "offline")  # no change
    send_availability(hass, "rebooting")  # not a state: ignored
    await hass.async_block_till_done()
    assert state(hass, FRONT["status"]) == STATE_UNAVAILABLE
    send_availability(hass, json.dumps({"status": "online"}))
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "1"
    send_availability(hass, json.dumps({"state": "offline"}))
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == STATE_UNAVAILABLE
    send_availability(hass, "{not json")
    send_availability(hass, "ONLINE")
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "1"


# Bad input


async def test_messages_that_cannot_be_used_are_logged_and_dropped(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    statistics = loaded.runtime_data.bus.statistics
    before = statistics.messages_rejected
    with patch("custom_components.ha_ai.bus.mqtt_bus.LOGGER") as logger:
        send_event(hass, "{not json", "front_door")
        send_event(hass, "[1, 2]", "front_door")
        send_event(hass, b"\xff\xfe", "front_door")
        send_event(hass, "x" * 70_000, "front_door")
        send_status(hass, "front_door", "sleeping")
        send_status(hass, "front_door", "{broken")
        send_status(hass, "front_door", {"status": 3})
        await hass.async_block_till_done()
    assert statistics.messages_rejected == before + 7
    assert logger.debug.call_count == 7
    assert len(tracker_of(loaded).cameras) == 0


async def test_a_missing_camera_id_is_taken_from_the_topic(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    payload = event_payload()
    del payload["camera_id"]
    del payload["event_id"]  # one is derived: a redelivery is still recognised
    send_event(hass, payload, "front_door")
    send_event(hass, payload, "front_door")
    await hass.async_block_till_done()
    assert state(hass, FRONT["events_today"]) == "1"


async def test_odd_fields_get_sane_states_and_a_log_line(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    with patch("custom_components.ha_ai.cameras.tracker.LOGGER") as logger:
        send_event(
            hass,
            event_payload(
                confidence=250,
                timestamp="3024-01-01T00:00:00+00:00",
                objects_detected="person",
                thumbnail_url="javascript:alert(1)",
                is_doorbell_ring="yes",
                description=["not", "text"],
                smart_detection_type=7,
            ),
        )
        await hass.async_block_till_done()
    [notes] = [
        call.args[2]
        for call in logger.debug.call_args_list
        if "message on" in call[0][0]
    ]
    assert "confidence 250 is outside 0-100" in notes
    assert "more than a day in the future" in notes
    attributes = hass.states.get(FRONT["last_event"]).attributes
    assert attributes["confidence"] == 100
    assert attributes["objects"] == ["person"]
    assert attributes["thumbnail_url"] is None
    assert attributes["doorbell"] is False
    assert attributes["detection_type"] is None
    assert attributes["description"] == ""
    assert state(hass, FRONT["last_description"]) == STATE_UNKNOWN
    # The absurd time is replaced by the time of receipt.
    assert dt_util.parse_datetime(state(hass, FRONT["last_event"])) == START


@pytest.mark.parametrize(
    ("timestamp", "confidence", "shown"),
    [
        ("1999-12-31T23:59:59+00:00", -5, 0),
        ("yesterday", 0.42, 42),
        (1e30, "87", 87),
        ("2025-06-11T08:00:00", None, None),  # no time zone
    ],
)
async def test_absurd_times_and_confidences(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    timestamp: object,
    confidence: object,
    shown: float | None,
) -> None:
    send_event(hass, event_payload(timestamp=timestamp, confidence=confidence))
    await hass.async_block_till_done()
    assert dt_util.parse_datetime(state(hass, FRONT["last_event"])) == START
    assert hass.states.get(FRONT["last_event"]).attributes["confidence"] == shown
    assert state(hass, FRONT["recent_activity"]) == STATE_ON


async def test_hostile_ids_and_names_are_bounded(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    hostile_id = "../../etc/passwd\u202e" + "x" * 500
    send_event(
        hass,
        event_payload(
            hostile_id,
            "h1",
            camera_name="<script>alert(1)</script>\n\x00" + "N" * 500,
        ),
        "evil",
    )
    send_event(hass, event_payload(12345, "n1", camera_name=None), "12345")
    send_event(hass, event_payload(True, "b1"), "bool_cam")
    await hass.async_block_till_done()
    slugs = sorted(camera.camera_slug for camera in tracker_of(loaded))
    assert slugs == [
        "12345",
        "bool_cam",
        next(s for s in slugs if s.startswith("etc_passwd")),
    ]
    for slug in slugs:
        assert len(slug) <= 64
        assert all(c.isalnum() or c in "_-" for c in slug)
    evil = next(s for s in slugs if s.startswith("etc"))
    device = device_registry.async_get_device(identifiers={camera_identifier(evil)})
    assert device is not None
    assert device.name is not None
    assert len(device.name) <= 100
    assert "\n" not in device.name
    assert "\x00" not in device.name
    numeric = device_registry.async_get_device(identifiers={camera_identifier("12345")})
    assert numeric is not None
    assert numeric.name == "12345"
    for entry in er.async_entries_for_config_entry(entity_registry, loaded.entry_id):
        assert len(entry.entity_id) < 255


async def test_a_very_long_description_is_cut_for_the_state(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload(description="word " * 10_000))
    await hass.async_block_till_done()
    description = state(hass, FRONT["last_description"])
    assert len(description) == 255
    assert description.endswith("…")
    attribute = hass.states.get(FRONT["last_event"]).attributes["description"]
    assert len(attribute) <= 1_000


# Removal


async def ws_client(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> MockHAClientWebSocket:
    """Connect to the websocket API now: its token would expire as days pass."""
    assert await async_setup_component(hass, "config", {})
    return await hass_ws_client(hass)


async def remove_device(
    client: MockHAClientWebSocket, device_id: str, entry_id: str
) -> bool:
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    response = await client.receive_json()
    success: bool = response["success"]
    return success


async def test_a_stale_camera_can_be_removed_and_comes_back_as_new(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_storage: dict[str, Any],
) -> None:
    assert loaded.options[CONF_CAMERA_FORGET_DAYS] == 7
    client = await ws_client(hass, hass_ws_client)
    send_event(hass, event_payload())
    send_event(hass, event_payload("garage", "g1", camera_name="Garage"))
    await hass.async_block_till_done()
    front = device_registry.async_get_device(
        identifiers={camera_identifier("front_door")}
    )
    assert front is not None
    # Recent: refused.
    assert not await remove_device(client, front.id, loaded.entry_id)
    assert device_registry.async_get(front.id) is not None

    await move_to(hass, clock, START + timedelta(days=7, minutes=1))
    send_event(hass, event_payload("garage", "g2", camera_name="Garage"))
    await hass.async_block_till_done()
    assert await remove_device(client, front.id, loaded.entry_id)
    await hass.async_block_till_done()
    assert device_registry.async_get(front.id) is None
    assert entity_registry.async_get(FRONT["status"]) is None
    assert hass.states.get(FRONT["status"]) is None
    assert "front_door" not in tracker_of(loaded).cameras
    # The others are untouched.
    assert state(hass, "sensor.garage_events_this_week") == "1"
    garage = device_registry.async_get_device(identifiers={camera_identifier("garage")})
    assert garage is not None
    assert not await remove_device(client, garage.id, loaded.entry_id)
    # Forgotten in the store too.
    await move_to(hass, clock, START + timedelta(days=7, minutes=2))
    assert list(hass_storage[CAMERA_STORE_KEY]["data"]["cameras"]) == ["garage"]

    # It comes back as a new camera, counting from zero.
    send_event(hass, event_payload(event_id="e9"))
    await hass.async_block_till_done()
    again = device_registry.async_get_device(
        identifiers={camera_identifier("front_door")}
    )
    assert again is not None
    assert state(hass, FRONT["events_this_week"]) == "1"
    assert state(hass, FRONT["event"]) != STATE_UNKNOWN


async def test_other_devices_cannot_be_removed(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
) -> None:
    service = device_registry.async_get_device(identifiers={(DOMAIN, loaded.entry_id)})
    assert service is not None
    client = await ws_client(hass, hass_ws_client)
    assert not await remove_device(client, service.id, loaded.entry_id)


async def test_a_forgotten_camera_device_left_behind_can_go(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    device = device_registry.async_get_or_create(
        config_entry_id=loaded.entry_id, identifiers={camera_identifier("gone")}
    )
    assert await async_remove_config_entry_device(hass, loaded, device)
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert not await async_remove_config_entry_device(hass, loaded, device)


async def test_removing_the_entry_deletes_the_camera_store(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert CAMERA_STORE_KEY in hass_storage
    assert await hass.config_entries.async_remove(loaded.entry_id)
    await hass.async_block_till_done()
    assert CAMERA_STORE_KEY not in hass_storage


@pytest.mark.parametrize(
    "failing",
    [
        "homeassistant.components.mqtt.async_subscribe",  # before the cameras start
        "custom_components.ha_ai.bus.mqtt_bus.MqttBus.async_subscribe_json",
    ],
)
async def test_a_failed_setup_keeps_the_stored_cameras(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_storage: dict[str, Any],
    failing: str,
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(loaded.entry_id)
    with patch(failing, side_effect=HomeAssistantError("MQTT is not enabled")):
        assert not await hass.config_entries.async_setup(loaded.entry_id)
    assert loaded.state is ConfigEntryState.SETUP_RETRY
    assert list(hass_storage[CAMERA_STORE_KEY]["data"]["cameras"]) == ["front_door"]


async def test_an_event_without_any_camera_id_is_dropped(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    statistics = loaded.runtime_data.bus.statistics
    payload = event_payload()
    del payload["camera_id"]
    send_event(hass, payload, " ")
    await hass.async_block_till_done()
    assert statistics.messages_rejected == 1
    assert len(tracker_of(loaded).cameras) == 0


async def test_a_camera_renamed_without_a_device_is_renamed_in_place(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    device = device_registry.async_get_device(
        identifiers={camera_identifier("front_door")}
    )
    assert device is not None
    device_registry.async_remove_device(device.id)
    await hass.async_block_till_done()
    send_event(hass, event_payload(event_id="e2", camera_name="Front Gate"))
    await hass.async_block_till_done()
    camera = tracker_of(loaded).get("front_door")
    assert camera is not None
    assert camera.camera_name == "Front Gate"


async def test_an_entity_whose_camera_is_gone_reads_nothing(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    tracker = tracker_of(loaded)
    entities = [
        hass.data[component].get_entity(entity_id)
        for component, entity_id in (
            (SENSOR_COMPONENT, FRONT["last_event"]),
            (SENSOR_COMPONENT, FRONT["events_today"]),
            (BINARY_SENSOR_COMPONENT, FRONT["recent_activity"]),
        )
    ]
    tracker.cameras.forget("front_door")
    last_event, today, activity = entities
    assert not last_event.available
    assert last_event.native_value is None
    assert last_event.extra_state_attributes is None
    assert today.native_value is None
    assert activity.is_on is None
