"""End to end: a classifier stand-in publishes on a real mosquitto with
`mosquitto_pub`; Home Assistant's real mqtt integration delivers, the entities follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ha_ai.const import DEFAULT_OPTIONS, DOMAIN

from .broker import Mosquitto, publish, real_mqtt_entry, skip_without, wait_for
from .camera_helpers import FRONT, PREFIX, event_payload

pytestmark = [
    skip_without("mosquitto", "mosquitto_pub"),
    pytest.mark.usefixtures("mock_hass_config"),
]


@pytest.fixture
async def ha_ai(hass: HomeAssistant, broker: Mosquitto) -> AsyncGenerator[None]:
    """Set up the real mqtt integration on the broker, then HA AI on top of it."""
    async with real_mqtt_entry(hass, broker.port):
        entry = MockConfigEntry(domain=DOMAIN, options=dict(DEFAULT_OPTIONS))
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        yield
        assert await hass.config_entries.async_unload(entry.entry_id)


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    current = hass.states.get(entity_id)
    return current.state if current is not None else None


def attributes_of(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    current = hass.states.get(entity_id)
    return dict(current.attributes) if current is not None else {}


async def test_entities_follow_a_real_classifier(
    hass: HomeAssistant, ha_ai: None, broker: Mosquitto
) -> None:
    # The subscriptions are debounced; publish until the first event arrives.
    first = event_payload(timestamp=dt_util.utcnow().isoformat())
    async with asyncio.timeout(30):
        while state_of(hass, FRONT["events_today"]) is None:
            await publish(broker.port, f"{PREFIX}/camera/front_door/event", first)
            await asyncio.sleep(0.3)
    # Republishing the same event id never counted twice.
    assert state_of(hass, FRONT["events_today"]) == "1"
    assert state_of(hass, FRONT["recent_activity"]) == STATE_ON
    assert attributes_of(hass, FRONT["event"])["event_type"] == "detected"

    ring = event_payload(
        event_id="ring",
        is_doorbell_ring=True,
        description="Someone rang",
        timestamp=dt_util.utcnow().isoformat(),
    )
    await publish(broker.port, f"{PREFIX}/camera/front_door/event", ring)
    await wait_for(lambda: state_of(hass, FRONT["events_today"]) == "2")
    assert state_of(hass, FRONT["last_description"]) == "Someone rang"
    assert attributes_of(hass, FRONT["event"])["event_type"] == "doorbell"

    await publish(
        broker.port,
        f"{PREFIX}/camera/front_door/status",
        {"camera_id": "front_door", "status": "online"},
        retain=True,
    )
    await wait_for(lambda: state_of(hass, FRONT["status"]) == "online")

    await publish(broker.port, f"{PREFIX}/status", "offline", retain=True)
    await wait_for(lambda: state_of(hass, FRONT["status"]) == STATE_UNAVAILABLE)
    await publish(broker.port, f"{PREFIX}/status", "online", retain=True)
    await wait_for(lambda: state_of(hass, FRONT["status"]) == "online")
