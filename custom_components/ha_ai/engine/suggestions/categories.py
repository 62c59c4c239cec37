"""Which category a suggestion falls in, so a user can group and filter them.

Habit suggestions take the category of the entity they act on (for "used
together", the one switched second), by its domain:

| domain | category |
|---|---|
| light | lighting |
| climate, fan, humidifier, water_heater | climate |
| cover | covers |
| media_player | media |
| lock, alarm_control_panel | security |
| switch, vacuum | appliances |
| anything else (input_boolean ...) | other |

Feature suggestions take the category of their feature kind (see
`zigbee/features.py`):

| feature kind | category |
|---|---|
| water_leak, smoke_co | safety |
| tamper, contact, vibration, child_lock | security |
| occupancy, presence_sensitivity | presence |
| illuminance, light_effect, transition | lighting |
| heating_control, heating_schedule, window_detection | climate |
| temperature, humidity, air_quality | climate |
| power_metering, energy_metering, auto_off_timer | energy |
| any other kind (control, button_action, other ...) | by its entity's domain |
| ... without an entity, or of a domain not above | device_feature |
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """The categories of suggestions."""

    LIGHTING = "lighting"
    CLIMATE = "climate"
    COVERS = "covers"
    MEDIA = "media"
    SECURITY = "security"
    SAFETY = "safety"
    PRESENCE = "presence"
    ENERGY = "energy"
    APPLIANCES = "appliances"
    DEVICE_FEATURE = "device_feature"
    OTHER = "other"


DOMAIN_CATEGORIES: dict[str, Category] = {
    "light": Category.LIGHTING,
    "climate": Category.CLIMATE,
    "fan": Category.CLIMATE,
    "humidifier": Category.CLIMATE,
    "water_heater": Category.CLIMATE,
    "cover": Category.COVERS,
    "media_player": Category.MEDIA,
    "lock": Category.SECURITY,
    "alarm_control_panel": Category.SECURITY,
    "switch": Category.APPLIANCES,
    "vacuum": Category.APPLIANCES,
}

FEATURE_CATEGORIES: dict[str, Category] = {
    "water_leak": Category.SAFETY,
    "smoke_co": Category.SAFETY,
    "tamper": Category.SECURITY,
    "contact": Category.SECURITY,
    "vibration": Category.SECURITY,
    "child_lock": Category.SECURITY,
    "occupancy": Category.PRESENCE,
    "presence_sensitivity": Category.PRESENCE,
    "illuminance": Category.LIGHTING,
    "light_effect": Category.LIGHTING,
    "transition": Category.LIGHTING,
    "heating_control": Category.CLIMATE,
    "heating_schedule": Category.CLIMATE,
    "window_detection": Category.CLIMATE,
    "temperature": Category.CLIMATE,
    "humidity": Category.CLIMATE,
    "air_quality": Category.CLIMATE,
    "power_metering": Category.ENERGY,
    "energy_metering": Category.ENERGY,
    "auto_off_timer": Category.ENERGY,
}


def domain_of(entity_id: str) -> str:
    """Return the domain of an entity id (`light` of `light.kitchen`)."""
    return entity_id.split(".", 1)[0]


def habit_category(entity_id: str) -> Category:
    """Return the category of a habit that acts on `entity_id`."""
    return DOMAIN_CATEGORIES.get(domain_of(entity_id), Category.OTHER)


def feature_category(feature_kind: str, entity_id: str | None) -> Category:
    """Return the category of an unused capability of `feature_kind`."""
    if feature_kind in FEATURE_CATEGORIES:
        return FEATURE_CATEGORIES[feature_kind]
    if entity_id is not None and domain_of(entity_id) in DOMAIN_CATEGORIES:
        return DOMAIN_CATEGORIES[domain_of(entity_id)]
    return Category.DEVICE_FEATURE
