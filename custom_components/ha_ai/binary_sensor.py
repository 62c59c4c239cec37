"""Binary sensors of HA AI: what each feature describes, on the device and cameras."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .bus.entities import BUS_BINARY_SENSORS
from .cameras.binary_sensor import camera_binary_sensors
from .cameras.entity import async_add_camera_entities
from .data import HaAiConfigEntry, HaAiRuntimeData
from .entity import (
    HaAiBinarySensorEntityDescription,
    HaAiCoordinatorEntity,
    HaAiEntity,
    described_entities,
)
from .habits.entities import HABIT_BINARY_SENSORS
from .suggestions.entities import SUGGESTION_BINARY_SENSORS
from .zigbee.entities import ZIGBEE_BINARY_SENSORS

# Entities are pushed by their parts; nothing is polled.
PARALLEL_UPDATES = 0
BINARY_SENSORS: tuple[HaAiBinarySensorEntityDescription, ...] = (
    *BUS_BINARY_SENSORS,
    *ZIGBEE_BINARY_SENSORS,
    *HABIT_BINARY_SENSORS,
    *SUGGESTION_BINARY_SENSORS,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the binary sensors of the entry."""
    async_add_entities(
        described_entities(
            entry, BINARY_SENSORS, HaAiBinarySensor, HaAiCoordinatorBinarySensor
        )
    )
    async_add_camera_entities(entry, async_add_entities, camera_binary_sensors)


class DescribedBinarySensor(BinarySensorEntity):
    """A binary sensor whose state its description reads."""

    entity_description: HaAiBinarySensorEntityDescription
    data: HaAiRuntimeData

    @property
    def is_on(self) -> bool:
        """Return the state from the runtime data."""
        return self.entity_description.is_on_fn(self.data)


class HaAiBinarySensor(HaAiEntity, DescribedBinarySensor):
    """A binary sensor of the HA AI device that follows a part fed by MQTT."""

    entity_description: HaAiBinarySensorEntityDescription


class HaAiCoordinatorBinarySensor(HaAiCoordinatorEntity, DescribedBinarySensor):
    """A binary sensor of the HA AI device that follows a coordinator."""

    entity_description: HaAiBinarySensorEntityDescription
