"""Links Zigbee2MQTT capabilities to Home Assistant entities, and finds references.

Zigbee2MQTT's Home Assistant discovery gives each device the identifier
`zigbee2mqtt_<ieee>` and each entity the unique id `<ieee>_<object_id>_<base_topic>`.
The object id is the capability's property (`temperature`, `state_l1`), or, for the
features of a light, switch, cover, lock, fan or climate, the specific type with its
endpoint (`light`, `switch_l2`). Versions differ in details (case, the base topic
suffix, legacy names), so matching tries the candidates from the most to the least
specific. References come from Home Assistant's own automation, script and scene
helpers, never from parsing YAML.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

from homeassistant.components import automation, script
from homeassistant.components.homeassistant import scene
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from ..engine.zigbee.judge import DISABLED, REFERENCED, DeviceUsage, EntityLinks
from ..engine.zigbee.model import Capability, ZigbeeDevice

MQTT_DOMAIN = "mqtt"
AUTOMATION_DOMAIN = "automation"
SCRIPT_DOMAIN = "script"
SCENE_DOMAIN = "scene"
DEVICE_IDENTIFIER_PREFIX = "zigbee2mqtt_"
# Linking reads Home Assistant's registries, so it runs on the event loop; it gives
# the loop back after this many seconds, so no stall grows with the house. The
# slice is short because other work that becomes due while one slice runs waits
# for the next slice as well (ready callbacks run in the order they were queued).
LINK_SLICE = 0.004
# One empty set for every device without changed settings, rather than thousands
# of equal ones for the garbage collector to track.
NO_CHANGED_SETTINGS: frozenset[str] = frozenset()


def object_id_candidates(capability: Capability) -> list[str]:
    """Return the object ids Zigbee2MQTT may have given the capability's entity."""
    candidates: list[str] = []
    if capability.parent_type and capability.parent_type != "composite":
        if capability.endpoint:
            candidates.append(f"{capability.parent_type}_{capability.endpoint}")
        candidates.append(capability.parent_type)
    candidates.append(capability.property_name)
    if capability.endpoint and not capability.property_name.endswith(
        f"_{capability.endpoint}"
    ):
        candidates.append(f"{capability.property_name}_{capability.endpoint}")
    candidates.append(capability.name)
    return list(dict.fromkeys(candidate.lower() for candidate in candidates))


def object_ids_of(unique_id: str, ieee: str) -> list[str]:
    """Return the possible object ids of `<ieee>_<object_id>_<base_topic>`."""
    prefix = f"{ieee.lower()}_"
    lowered = unique_id.lower()
    if not lowered.startswith(prefix):
        return []
    rest = lowered[len(prefix) :]
    object_ids = [rest]
    position = len(rest)
    while (position := rest.rfind("_", 0, position)) > 0:
        object_ids.append(rest[:position])
    return object_ids


class ReferenceIndex:
    """Entities and devices that automations, scripts and scenes use."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Collect the references once, so linking costs one pass over each."""
        self.entities: set[str] = set()
        self.devices: set[str] = set()
        components = hass.config.components
        if AUTOMATION_DOMAIN in components:
            for entity_id in hass.states.async_entity_ids(AUTOMATION_DOMAIN):
                self.entities.update(automation.entities_in_automation(hass, entity_id))
                self.devices.update(automation.devices_in_automation(hass, entity_id))
        if SCRIPT_DOMAIN in components:
            for entity_id in hass.states.async_entity_ids(SCRIPT_DOMAIN):
                self.entities.update(script.entities_in_script(hass, entity_id))
                self.devices.update(script.devices_in_script(hass, entity_id))
        if SCENE_DOMAIN in components:
            for entity_id in hass.states.async_entity_ids(SCENE_DOMAIN):
                self.entities.update(scene.entities_in_scene(hass, entity_id))


def zigbee_device_ids(hass: HomeAssistant) -> dict[str, dr.DeviceEntry]:
    """Return Home Assistant's Zigbee2MQTT devices by lower-case IEEE address.

    MQTT discovery gives its devices to the mqtt entry, so they are looked up
    there: reading the registry's whole device container is deprecated from
    Home Assistant 2026.9, and a lookup per config entry works on every version.
    """
    device_registry = dr.async_get(hass)
    devices: dict[str, dr.DeviceEntry] = {}
    for entry in hass.config_entries.async_entries(MQTT_DOMAIN):
        for device in dr.async_entries_for_config_entry(
            device_registry, entry.entry_id
        ):
            devices.update(_zigbee_ieee_addresses(device))
    return devices


def _zigbee_ieee_addresses(device: dr.DeviceEntry) -> dict[str, dr.DeviceEntry]:
    """Return `device` under each Zigbee2MQTT IEEE address it is known by."""
    devices: dict[str, dr.DeviceEntry] = {}
    for domain, identifier in device.identifiers:
        if domain == MQTT_DOMAIN and identifier.lower().startswith(
            DEVICE_IDENTIFIER_PREFIX
        ):
            devices[identifier[len(DEVICE_IDENTIFIER_PREFIX) :].lower()] = device
    return devices


def link_device(
    device: ZigbeeDevice,
    entities: Iterable[er.RegistryEntry],
    references: ReferenceIndex,
) -> EntityLinks:
    """Return the entity of each capability of `device` that has one."""
    by_object_id: dict[str, er.RegistryEntry] = {}
    for entity in entities:
        if entity.platform != MQTT_DOMAIN:
            continue
        for object_id in object_ids_of(entity.unique_id, device.ieee_address):
            current = by_object_id.get(object_id)
            # Prefer an enabled entity, then one that automations use.
            if current is None or _preference(entity, references) > _preference(
                current, references
            ):
                by_object_id[object_id] = entity
    entity_ids: dict[str, str] = {}
    flags: dict[str, int] = {}
    for capability in device.capabilities:
        for candidate in object_id_candidates(capability):
            if (linked := by_object_id.get(candidate)) is not None:
                entity_ids[capability.key] = linked.entity_id
                flags[capability.key] = DISABLED * linked.disabled + REFERENCED * (
                    linked.entity_id in references.entities
                )
                break
    return EntityLinks(entity_ids, flags)


def _preference(entity: er.RegistryEntry, references: ReferenceIndex) -> int:
    return 2 * (not entity.disabled) + (entity.entity_id in references.entities)


async def async_build_usage(
    hass: HomeAssistant,
    devices: Iterable[ZigbeeDevice],
    changed_settings: Mapping[str, frozenset[str]],
    previous: Mapping[str, DeviceUsage] | None = None,
) -> dict[str, DeviceUsage]:
    """Return what Home Assistant knows of each device, yielding to the loop often.

    A device's usage equal to its usage in `previous` (the last judgement's) is
    returned as that object: judgements repeat, mostly with the same outcome, and
    the old objects cost the garbage collector nothing new (see `DeviceUsage`).
    """
    previous = previous or {}
    references = ReferenceIndex(hass)
    entity_registry = er.async_get(hass)
    area_registry = ar.async_get(hass)
    ha_devices = zigbee_device_ids(hass)
    usage: dict[str, DeviceUsage] = {}
    deadline = time.perf_counter() + LINK_SLICE
    for device in devices:
        if time.perf_counter() > deadline:
            await asyncio.sleep(0)
            deadline = time.perf_counter() + LINK_SLICE
        ha_device = ha_devices.get(device.ieee_address.lower())
        changed = changed_settings.get(device.ieee_address, NO_CHANGED_SETTINGS)
        if ha_device is None:
            current = DeviceUsage(links={}, changed_settings=changed)
        else:
            entities = er.async_entries_for_device(
                entity_registry, ha_device.id, include_disabled_entities=True
            )
            area = area_registry.async_get_area(ha_device.area_id or "")
            current = DeviceUsage(
                links=link_device(device, entities, references),
                device_referenced=ha_device.id in references.devices,
                area=area.name if area else None,
                changed_settings=changed,
            )
        same = previous.get(device.ieee_address)
        usage[device.ieee_address] = same if same == current else current
    return usage
