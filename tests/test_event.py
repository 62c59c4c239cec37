"""The event entity of an AI camera: `detected` and `doorbell`, fired once each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from .camera_helpers import (
    FRONT,
    event_payload,
    send_availability,
    send_event,
    state,
)

EVENT = FRONT["event"]


@pytest.fixture
def fired(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Collect the attributes of each event the entity fires."""
    attributes: list[dict[str, Any]] = []

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            attributes.append(dict(new.attributes))

    async_track_state_change_event(hass, [EVENT], changed)
    return attributes


async def test_the_first_event_of_a_new_camera_fires(
    hass: HomeAssistant, setup_entry: MockConfigEntry, fired: list[dict[str, Any]]
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    [first] = fired
    assert first["event_type"] == "detected"
    assert first["event_types"] == ["detected", "doorbell"]
    assert first["objects"] == ["person"]
    assert first["description"] == "A person at the door"
    assert first["confidence"] == 87.5
    assert first["detection_type"] == "person"
    assert first["friendly_name"] == "Front Door Detection"
    assert dt_util.parse_datetime(state(hass, EVENT)) is not None


async def test_each_new_event_fires_once_and_rings_are_doorbell(
    hass: HomeAssistant, setup_entry: MockConfigEntry, fired: list[dict[str, Any]]
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    ring = event_payload(
        event_id="ring", is_doorbell_ring=True, objects_detected=["person", "parcel"]
    )
    send_event(hass, ring)
    send_event(hass, ring)  # QoS 1 delivered it twice
    long_ago = dt_util.utcnow() - timedelta(hours=1)
    send_event(hass, event_payload(event_id="old", timestamp=long_ago.isoformat()))
    await hass.async_block_till_done()
    assert [attributes["event_type"] for attributes in fired] == [
        "detected",
        "doorbell",
    ]
    assert fired[-1]["objects"] == ["person", "parcel"]


async def test_the_event_entity_is_unavailable_with_the_classifier(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    send_availability(hass, "offline")
    await hass.async_block_till_done()
    assert state(hass, EVENT) == STATE_UNAVAILABLE
    send_availability(hass, "online")
    await hass.async_block_till_done()
    assert dt_util.parse_datetime(state(hass, EVENT)) is not None


async def test_the_last_event_is_restored_after_a_restart(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    send_event(hass, event_payload(is_doorbell_ring=True))
    await hass.async_block_till_done()
    before = hass.states.get(EVENT)
    assert before is not None
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    after = hass.states.get(EVENT)
    assert after is not None
    assert after.state == before.state
    assert after.attributes["event_type"] == "doorbell"


async def test_an_automation_triggers_on_a_doorbell_ring(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    calls = async_mock_service(hass, "test", "ring")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [{"trigger": "state", "entity_id": EVENT}],
                "conditions": [
                    {
                        "condition": "state",
                        "entity_id": EVENT,
                        "attribute": "event_type",
                        "state": "doorbell",
                    }
                ],
                "actions": [
                    {
                        "action": "test.ring",
                        "data": {
                            "objects": "{{ trigger.to_state.attributes.objects }}"
                        },
                    }
                ],
            }
        },
    )
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert calls == []
    send_event(hass, event_payload(event_id="ring", is_doorbell_ring=True))
    await hass.async_block_till_done()
    assert len(calls) == 1
    assert calls[0].data["objects"] == ["person"]
