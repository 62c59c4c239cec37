"""The diagnostic counters of MQTT traffic."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DOMAIN, SERVICE_PUBLISH_EVENT

from .conftest import set_mqtt_connected

PUBLISHED = "sensor.ha_ai_messages_published"
ERRORS = "sensor.ha_ai_publish_errors"
QUEUED = "sensor.ha_ai_queued_messages"


async def publish(hass: HomeAssistant, path: str) -> None:
    """Publish an event the way a user does, through the action."""
    await hass.services.async_call(
        DOMAIN, SERVICE_PUBLISH_EVENT, {"path": path}, blocking=True
    )


async def test_counters_are_disabled_by_default(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    for entity_id in (PUBLISHED, ERRORS, QUEUED):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert entry.entity_category is EntityCategory.DIAGNOSTIC
        assert hass.states.get(entity_id) is None


@pytest.mark.usefixtures("all_entities_enabled")
async def test_counters_follow_the_traffic(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    # The retained `online` status counts as a published message.
    assert hass.states.get(PUBLISHED).state == "1"
    assert hass.states.get(PUBLISHED).attributes["state_class"] == "total_increasing"
    assert hass.states.get(QUEUED).attributes["state_class"] == "measurement"

    set_mqtt_connected(hass, mqtt_mock, False)
    await publish(hass, "a")
    await publish(hass, "b")
    await hass.async_block_till_done()
    assert hass.states.get(QUEUED).state == "2"

    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(QUEUED).state == "0"
    assert hass.states.get(PUBLISHED).state == "4"

    with patch(
        "homeassistant.components.mqtt.async_publish",
        side_effect=HomeAssistantError("refused"),
    ):
        await publish(hass, "c")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(ERRORS).state == "1"
