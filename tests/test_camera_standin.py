"""The demo house's AI camera stand-in publishes what HA AI accepts.

Its messages (`scripts/devenv/camera_standin.py`) are fed to HA AI as the
broker would deliver them; the two cameras become devices with their entities,
count their events, and the doorbell's ring fires as a ring. Its schedule puts
every camera's first event and the first ring in the first minute.
"""

from __future__ import annotations

import json
import random

from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)

from custom_components.ha_ai.const import DEFAULT_CAMERA_TOPIC_PREFIX, DOMAIN
from scripts.devenv import camera_standin
from scripts.devenv.camera_standin import (
    DEMO_CAMERAS,
    FRONT_DOOR,
    GARDEN,
    RING,
    Due,
    Message,
    availability_message,
    event_message,
    first_schedule,
    next_due,
    status_message,
)

from .camera_helpers import camera_entities, state

FRONT = camera_entities("front_door")
BACK = camera_entities("garden")
# What the README's AI cameras section lists for an event.
EVENT_FIELDS = {
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
}


def seeded(seed: int) -> random.Random:
    """Return the same draws each run (the stand-in's scenes, not a secret)."""
    return random.Random(seed)  # noqa: S311


def deliver(hass: HomeAssistant, message: Message) -> None:
    """Deliver as the broker does to a subscriber that is already there.

    A broker sets the retain flag only on what it delivers at subscription time.
    """
    async_fire_mqtt_message(hass, message.topic, message.payload)


def test_the_stand_in_speaks_the_classifier_contract() -> None:
    assert camera_standin.PREFIX == DEFAULT_CAMERA_TOPIC_PREFIX
    rng = seeded(1)
    message = event_message(GARDEN, rng)
    payload = json.loads(message.payload)
    assert message.topic == "liveobject/camera/garden/event"
    assert not message.retain
    assert set(payload) == EVENT_FIELDS
    assert payload["camera_name"] == "Garden"
    assert payload["is_doorbell_ring"] is False
    assert 70 <= payload["confidence"] <= 98
    assert payload["thumbnail_url"].startswith("https://")
    assert (
        payload["event_id"]
        != json.loads(event_message(GARDEN, rng).payload)["event_id"]
    )
    status = status_message(FRONT_DOOR, "online")
    assert status.retain
    assert json.loads(status.payload).keys() == {
        "camera_id",
        "camera_name",
        "status",
        "last_updated",
    }
    assert availability_message(online=True) == Message(
        "liveobject/status", "online", retain=True
    )


def test_the_first_events_and_ring_come_in_the_first_minute() -> None:
    for seed in range(20):
        rng = seeded(seed)
        schedule = first_schedule(DEMO_CAMERAS, rng)
        events = [due for due in schedule if not due.ring]
        [ring] = [due for due in schedule if due.ring]
        assert sorted(due.camera.camera_id for due in events) == [
            "front_door",
            "garden",
        ]
        assert ring.camera is FRONT_DOOR
        assert all(0 < due.at < 30 for due in events)
        assert 30 <= ring.at < 60
        later = next_due(ring, rng)
        assert 5 * 60 <= later.at - ring.at <= 15 * 60
        assert later.ring
        again = next_due(Due(100.0, GARDEN), rng)
        assert 2 * 60 <= again.at - 100.0 <= 8 * 60


async def test_both_cameras_become_devices_with_counts(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    rng = seeded(7)
    deliver(hass, availability_message(online=True))
    for camera in DEMO_CAMERAS:
        deliver(hass, status_message(camera, "online"))
    deliver(hass, event_message(GARDEN, rng))
    deliver(hass, event_message(FRONT_DOOR, rng))
    deliver(hass, event_message(FRONT_DOOR, rng, ring=True))
    await hass.async_block_till_done()

    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), setup_entry.entry_id
    )
    names = {device.name for device in devices}
    assert {"Front Door", "Garden"} <= names
    for entities in (FRONT, BACK):
        assert state(hass, entities["status"]) == "online"
        assert state(hass, entities["recent_activity"]) == STATE_ON
    assert state(hass, FRONT["events_today"]) == "2"
    assert state(hass, FRONT["events_this_week"]) == "2"
    assert state(hass, BACK["events_today"]) == "1"
    assert state(hass, FRONT["last_description"]) == RING.description
    ring = hass.states.get(FRONT["event"])
    assert ring is not None
    assert ring.attributes["event_type"] == "doorbell"
    last = hass.states.get(FRONT["last_event"])
    assert last is not None
    assert last.attributes["doorbell"] is True
    assert last.attributes["objects"] == ["person"]
    garden = hass.states.get(BACK["event"])
    assert garden is not None
    assert garden.attributes["event_type"] == "detected"

    # A description given by hand (scripts/camera-event --description).
    deliver(hass, event_message(GARDEN, rng, description="A hedgehog on the lawn"))
    await hass.async_block_till_done()
    assert state(hass, BACK["last_description"]) == "A hedgehog on the lawn"
    assert state(hass, BACK["events_today"]) == "2"

    # The stand-in stopping says offline: every camera entity is unavailable.
    deliver(hass, availability_message(online=False))
    await hass.async_block_till_done()
    assert state(hass, FRONT["status"]) == STATE_UNAVAILABLE
    assert state(hass, BACK["events_today"]) == STATE_UNAVAILABLE
    assert hass.config_entries.async_entries(DOMAIN) == [setup_entry]
