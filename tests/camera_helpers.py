"""Helpers for the AI camera tests: classifier messages, entity ids, the clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_fire_mqtt_message,
    async_fire_time_changed,
)

from custom_components.ha_ai.entry_settings import HaAiSettings

PREFIX = "liveobject"
TIME_ZONE = "Europe/Berlin"


def event_payload(
    camera_id: str = "front_door", event_id: str = "e1", **fields: Any
) -> dict[str, Any]:
    """Return a classifier event, stamped now, with `fields` on top."""
    return {
        "event_id": event_id,
        "camera_id": camera_id,
        "camera_name": "Front Door",
        "description": "A person at the door",
        "objects_detected": ["person"],
        "confidence": 87.5,
        "source_type": "rtsp",
        "timestamp": dt_util.utcnow().isoformat(),
        "thumbnail_url": "https://nvr.local/thumb/e1.jpg?token=secret",
        "smart_detection_type": "person",
        "is_doorbell_ring": False,
        **fields,
    }


def send_event(
    hass: HomeAssistant, payload: object, topic_camera_id: str | None = None
) -> None:
    """Publish an event (JSON unless text or bytes) on the camera's event topic."""
    if topic_camera_id is None:
        assert isinstance(payload, dict)
        topic_camera_id = str(payload["camera_id"])
    if not isinstance(payload, str | bytes):
        payload = json.dumps(payload)
    async_fire_mqtt_message(hass, f"{PREFIX}/camera/{topic_camera_id}/event", payload)


def send_status(hass: HomeAssistant, camera_id: str, payload: object) -> None:
    """Publish a camera status (JSON unless text) on its status topic."""
    if not isinstance(payload, str | bytes):
        payload = json.dumps(payload)
    async_fire_mqtt_message(hass, f"{PREFIX}/camera/{camera_id}/status", payload)


def send_availability(hass: HomeAssistant, payload: str) -> None:
    """Publish the classifier's availability."""
    async_fire_mqtt_message(hass, f"{PREFIX}/status", payload)


def camera_entities(name: str) -> dict[str, str]:
    """Return the entity ids of a camera whose device name slugs to `name`."""
    return {
        "status": f"sensor.{name}_status",
        "last_event": f"sensor.{name}_last_event",
        "last_description": f"sensor.{name}_last_description",
        "events_today": f"sensor.{name}_events_today",
        "events_this_week": f"sensor.{name}_events_this_week",
        "recent_activity": f"binary_sensor.{name}_recent_activity",
        "event": f"event.{name}_detection",
    }


FRONT = camera_entities("front_door")


async def move_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    """Move the frozen clock to `moment` and run the timers that are due."""
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state of an entity that must exist."""
    current = hass.states.get(entity_id)
    assert current is not None, f"{entity_id} does not exist"
    return current.state


@contextmanager
def camera_limit(max_cameras: int) -> Iterator[None]:
    """Set HA AI up, while inside, with room for at most `max_cameras` cameras."""
    from_entry = HaAiSettings.from_entry

    def limited(entry: ConfigEntry[Any]) -> HaAiSettings:
        settings = from_entry(entry)
        cameras = replace(settings.cameras, max_cameras=max_cameras)
        return replace(settings, cameras=cameras)

    with patch.object(HaAiSettings, "from_entry", side_effect=limited):
        yield


async def reload(hass: HomeAssistant, entry_id: str) -> None:
    """Reload the entry and wait until it is set up again."""
    assert await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
