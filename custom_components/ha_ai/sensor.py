"""Sensors of HA AI: counters of its MQTT traffic, for troubleshooting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
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
class HaAiSensorEntityDescription(SensorEntityDescription):
    """A sensor that reads its value from the bus."""

    value_fn: Callable[[MqttBus], int]


SENSORS: tuple[HaAiSensorEntityDescription, ...] = (
    HaAiSensorEntityDescription(
        key="messages_published",
        translation_key="messages_published",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda bus: bus.statistics.messages_published,
    ),
    HaAiSensorEntityDescription(
        key="publish_errors",
        translation_key="publish_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda bus: bus.statistics.publish_errors,
    ),
    HaAiSensorEntityDescription(
        key="queued_messages",
        translation_key="queued_messages",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda bus: bus.queued_messages,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the sensors of the entry."""
    async_add_entities(HaAiSensor(entry, description) for description in SENSORS)


class HaAiSensor(HaAiEntity, SensorEntity):
    """A counter of the HA AI device."""

    entity_description: HaAiSensorEntityDescription

    @property
    def native_value(self) -> int:
        """Return the counter from the bus."""
        return self.entity_description.value_fn(self.bus)
