"""The MQTT link binary sensor."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DOMAIN

from .conftest import set_mqtt_connected

ENTITY_ID = "binary_sensor.ha_ai_mqtt_link"


async def test_mqtt_link_follows_the_connection(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    state = hass.states.get(ENTITY_ID)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["device_class"] == "connectivity"
    assert state.attributes["friendly_name"] == "HA AI MQTT link"

    entry = entity_registry.async_get(ENTITY_ID)
    assert entry is not None
    assert entry.unique_id == f"{setup_entry.entry_id}_mqtt_connected"
    assert entry.entity_category is EntityCategory.DIAGNOSTIC
    assert entry.translation_key == "mqtt_connected"

    device = device_registry.async_get(entry.device_id or "")
    assert device is not None
    assert device.identifiers == {(DOMAIN, setup_entry.entry_id)}
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.sw_version == "0.3.0"

    set_mqtt_connected(hass, mqtt_mock, False)
    await hass.async_block_till_done()
    assert hass.states.get(ENTITY_ID).state == STATE_OFF

    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done()
    assert hass.states.get(ENTITY_ID).state == STATE_ON
