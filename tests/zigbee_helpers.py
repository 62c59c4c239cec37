"""Helpers for the Zigbee2MQTT tests: the house fixture and bridge messages."""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)

from custom_components.ha_ai.engine.zigbee.judge import UnusedCapability

FIXTURES = Path(__file__).parent / "fixtures" / "house"
BASE = "zigbee2mqtt"
VIBRATION = "0x00158d0001a2b3c4"
PLUG = "0x54ef441000a1b2c3"
BUTTON = "0x00158d0002b3c4d5"
LIGHT = "0x001788010c0d0e0f"
# The vibration a window sensor can detect and no automation uses.
UNUSED_VIBRATION = UnusedCapability(
    opportunity_id="0x00158d0001/vibration",
    ieee_address="0x00158d0001",
    friendly_name="Hall window",
    device_model="Aqara DJT11LM",
    area=None,
    capability_key="vibration",
    property_name="vibration",
    feature_kind="vibration",
    reason="not_referenced",
    entity_id="binary_sensor.hall_window_vibration",
    title="Your Aqara DJT11LM can detect vibration",
    description="Nothing uses it yet.",
    how_to_start="Use binary_sensor.hall_window_vibration in an automation.",
    gain=4,
    ease=4,
    score=4.0,
)


def house_devices() -> list[dict[str, Any]]:
    """Return a fresh copy of the house's `bridge/devices` list."""
    devices: list[dict[str, Any]] = json.loads((FIXTURES / "devices.json").read_text())
    return deepcopy(devices)


def send(hass: HomeAssistant, subtopic: str, payload: object) -> None:
    """Publish `payload` (JSON unless it is text or bytes) under the base topic."""
    if not isinstance(payload, str | bytes):
        payload = json.dumps(payload)
    async_fire_mqtt_message(hass, f"{BASE}/{subtopic}", payload)


def entity(
    entity_registry: er.EntityRegistry,
    device: dr.DeviceEntry,
    domain: str,
    unique_id: str,
    object_id: str,
    *,
    disabled: bool = False,
    platform: str = "mqtt",
) -> str:
    entry = entity_registry.async_get_or_create(
        domain,
        platform,
        unique_id,
        suggested_object_id=object_id,
        device_id=device.id,
        disabled_by=er.RegistryEntryDisabler.USER if disabled else None,
    )
    return entry.entity_id


def register_house(hass: HomeAssistant) -> dict[str, str]:
    """Register the house the way Zigbee2MQTT's discovery would; return the ids."""
    device_registry = dr.async_get(hass)
    entity_registry = er.async_get(hass)
    area_registry = ar.async_get(hass)
    mqtt_entry = MockConfigEntry(domain="mqtt")
    mqtt_entry.add_to_hass(hass)
    hall = area_registry.async_create("Hall")
    ids: dict[str, str] = {}
    for ieee in (VIBRATION, PLUG, BUTTON):
        device = device_registry.async_get_or_create(
            config_entry_id=mqtt_entry.entry_id,
            identifiers={("mqtt", f"zigbee2mqtt_{ieee}")},
        )
        ids[ieee] = device.id
    device_registry.async_update_device(ids[VIBRATION], area_id=hall.id)
    vibration = device_registry.async_get(ids[VIBRATION])
    plug = device_registry.async_get(ids[PLUG])
    assert vibration is not None
    assert plug is not None
    ids["vibration"] = entity(
        entity_registry,
        vibration,
        "binary_sensor",
        f"{VIBRATION}_vibration_zigbee2mqtt",
        "hall_vibration",
    )
    ids["strength"] = entity(
        entity_registry,
        vibration,
        "sensor",
        f"{VIBRATION}_strength_zigbee2mqtt",
        "hall_strength",
        disabled=True,
    )
    ids["other_platform"] = entity(
        entity_registry,
        vibration,
        "sensor",
        f"{VIBRATION}_battery_zigbee2mqtt",
        "hall_battery",
        platform="template",
    )
    ids["switch"] = entity(
        entity_registry, plug, "switch", f"{PLUG}_switch_zigbee2mqtt", "kitchen_plug"
    )
    ids["power_disabled"] = entity(
        entity_registry,
        plug,
        "sensor",
        f"{PLUG}_power_zigbee2mqtt",
        "plug_power_old",
        disabled=True,
    )
    ids["power"] = entity(
        entity_registry, plug, "sensor", f"{PLUG}_power_zigbee2mqtt_2", "plug_power"
    )
    return ids
