"""Linking capabilities to Home Assistant entities, and finding references."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from custom_components.ha_ai.engine.zigbee.devices import parse_device_list
from custom_components.ha_ai.engine.zigbee.model import Capability
from custom_components.ha_ai.zigbee import links as zigbee_links
from custom_components.ha_ai.zigbee.links import (
    async_build_usage,
    object_id_candidates,
    object_ids_of,
)

from .zigbee_helpers import (
    BUTTON,
    LIGHT,
    PLUG,
    VIBRATION,
    house_devices,
    register_house,
)


def capability(**fields: object) -> Capability:
    values: dict[str, object] = {
        "key": "x",
        "property_name": "x",
        "name": "x",
        "type": "numeric",
        "access": 1,
    }
    values.update(fields)
    return Capability(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "candidates"),
    [
        ({"property_name": "temperature", "name": "temperature"}, ["temperature"]),
        (
            {"property_name": "state", "parent_type": "light"},
            ["light", "state", "x"],
        ),
        (
            {"property_name": "state_l1", "parent_type": "switch", "endpoint": "l1"},
            ["switch_l1", "switch", "state_l1", "x"],
        ),
        (
            {"property_name": "power", "endpoint": "l2"},
            ["power", "power_l2", "x"],
        ),
        ({"property_name": "x", "parent_type": "composite"}, ["x"]),
    ],
)
def test_object_id_candidates(fields: dict[str, object], candidates: list[str]) -> None:
    assert object_id_candidates(capability(**fields)) == candidates


def test_object_ids_of_tolerates_base_topics_and_case() -> None:
    ieee = "0x00158d0001a2b3c4"
    assert object_ids_of(f"{ieee}_vibration_zigbee2mqtt", ieee) == [
        "vibration_zigbee2mqtt",
        "vibration",
    ]
    assert "state_l1" in object_ids_of(f"{ieee.upper()}_state_l1_my_z2m", ieee)
    assert object_ids_of("0xffff_vibration_zigbee2mqtt", ieee) == []


@pytest.fixture
def registry(hass: HomeAssistant) -> dict[str, str]:
    """Register the house the way Zigbee2MQTT's discovery would."""
    return register_house(hass)


async def test_build_usage_links_entities_and_references(
    hass: HomeAssistant, registry: dict[str, str]
) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "triggers": [
                        {
                            "trigger": "state",
                            "entity_id": registry["vibration"],
                            "to": "on",
                        }
                    ],
                    "actions": [
                        {
                            "action": "homeassistant.turn_on",
                            "target": {"device_id": registry[BUTTON]},
                        }
                    ],
                }
            ]
        },
    )
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "plug_on": {
                    "sequence": [
                        {
                            "action": "switch.turn_on",
                            "target": {"entity_id": registry["switch"]},
                        }
                    ]
                }
            }
        },
    )
    await hass.async_block_till_done()
    devices = parse_device_list(house_devices()).devices
    usage = await async_build_usage(
        hass, devices.values(), {PLUG: frozenset({"child_lock"})}
    )

    vibration = usage[VIBRATION]
    assert vibration.area == "Hall"
    assert vibration.links["vibration"].entity_id == registry["vibration"]
    assert vibration.links["vibration"].referenced
    assert not vibration.links["vibration"].disabled
    assert vibration.links["strength"].disabled
    assert "battery" not in vibration.links  # another platform's entity
    assert "sensitivity" not in vibration.links

    plug = usage[PLUG]
    assert plug.links["switch/state"].entity_id == registry["switch"]
    assert plug.links["switch/state"].referenced
    # Of two entities for one capability, the enabled one wins.
    assert plug.links["power"].entity_id == registry["power"]
    assert plug.changed_settings == {"child_lock"}
    assert plug.area is None

    assert usage[BUTTON].device_referenced
    assert not usage[VIBRATION].device_referenced
    # A device Home Assistant does not know has no links at all.
    assert usage[LIGHT].links == {}
    assert not usage[LIGHT].device_referenced


async def test_scenes_count_as_references(
    hass: HomeAssistant, registry: dict[str, str]
) -> None:
    assert await async_setup_component(
        hass,
        "scene",
        {"scene": [{"name": "Evening", "entities": {registry["switch"]: "on"}}]},
    )
    await hass.async_block_till_done()
    devices = parse_device_list(house_devices()).devices
    usage = await async_build_usage(hass, devices.values(), {})
    assert usage[PLUG].links["switch/state"].referenced


async def test_linking_in_many_slices_gives_the_same_usage(
    hass: HomeAssistant, registry: dict[str, str]
) -> None:
    devices = parse_device_list(house_devices()).devices
    in_one_slice = await async_build_usage(hass, devices.values(), {})
    # A slice of no time at all gives the loop back after every device.
    with patch.object(zigbee_links, "LINK_SLICE", 0):
        in_slices = await async_build_usage(hass, devices.values(), {})
    assert in_slices == in_one_slice


async def test_other_mqtt_devices_are_not_taken_for_zigbee_devices(
    hass: HomeAssistant, registry: dict[str, str]
) -> None:
    devices = parse_device_list(house_devices()).devices
    before = await async_build_usage(hass, devices.values(), {})
    mqtt_entry = hass.config_entries.async_entries("mqtt")[0]
    dr.async_get(hass).async_get_or_create(
        config_entry_id=mqtt_entry.entry_id,
        identifiers={("mqtt", "tasmota_1A2B3C"), ("mqtt", f"other_{PLUG}")},
    )
    assert await async_build_usage(hass, devices.values(), {}) == before
