"""What each entity tells of the household, from Home Assistant's own knowledge.

A person or a device tracker says who is home; a lock, whether the house is shut;
a binary sensor, by its device class, motion or a door. The entity registry's
device class (set by the user, or the integration's own) comes first, the state's
attribute after it, so that entities without a registry entry are known too.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..engine.household.model import EntityRole

_DOMAIN_ROLES = {
    "person": EntityRole.PRESENCE,
    "device_tracker": EntityRole.PRESENCE,
    "lock": EntityRole.LOCK,
}
_CLASS_ROLES: dict[str, EntityRole] = {
    BinarySensorDeviceClass.MOTION: EntityRole.MOTION,
    BinarySensorDeviceClass.OCCUPANCY: EntityRole.MOTION,
    BinarySensorDeviceClass.PRESENCE: EntityRole.MOTION,
    BinarySensorDeviceClass.DOOR: EntityRole.DOOR,
    BinarySensorDeviceClass.GARAGE_DOOR: EntityRole.DOOR,
    BinarySensorDeviceClass.OPENING: EntityRole.DOOR,
}


def entity_role(hass: HomeAssistant, entity_id: str) -> EntityRole | None:
    """Return what `entity_id` tells of the household, or None: only its state."""
    domain = entity_id.split(".", 1)[0]
    if domain in _DOMAIN_ROLES:
        return _DOMAIN_ROLES[domain]
    if domain != "binary_sensor":
        return None
    device_class: object = None
    entry = er.async_get(hass).async_get(entity_id)
    if entry is not None:
        device_class = entry.device_class or entry.original_device_class
    if device_class is None and (state := hass.states.get(entity_id)) is not None:
        device_class = state.attributes.get(ATTR_DEVICE_CLASS)
    return _CLASS_ROLES.get(str(device_class)) if device_class else None


def household_roles(
    hass: HomeAssistant, entity_ids: Iterable[str]
) -> dict[str, EntityRole]:
    """Return the role of each entity that has one, for learning the household."""
    roles = {}
    for entity_id in entity_ids:
        role = entity_role(hass, entity_id)
        if role is not None:
            roles[entity_id] = role
    return roles
