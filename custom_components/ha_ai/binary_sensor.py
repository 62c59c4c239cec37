"""Binary sensors of HA AI: the state of its MQTT link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .data import HaAiConfigEntry
from .entity import HaAiEntity
from .mqtt_bus import MqttBus

# Entities are pushed by the bus; nothing is polled.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HaAiBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor that reads its state from the bus."""

    is_on_fn: Callable[[MqttBus], bool]


BINARY_SENSORS: tuple[HaAiBinarySensorEntityDescription, ...] = (
    HaAiBinarySensorEntityDescription(
        key="mqtt_connected",
        translation_key="mqtt_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda bus: bus.connected,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the binary sensors of the entry."""
    async_add_entities(
        HaAiBinarySensor(entry, description) for description in BINARY_SENSORS
    )


class HaAiBinarySensor(HaAiEntity, BinarySensorEntity):
    """A binary sensor of the HA AI device."""

    entity_description: HaAiBinarySensorEntityDescription

    @property
    def is_on(self) -> bool:
        """Return the state from the bus."""
        return self.entity_description.is_on_fn(self.bus)
