"""Binary sensors of HA AI: the MQTT link and the Zigbee2MQTT bridge."""

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

from .cameras.binary_sensor import camera_binary_sensors
from .cameras.entity import async_add_camera_entities
from .data import HaAiConfigEntry, HaAiRuntimeData
from .entity import (
    HaAiEntity,
    HaAiEntityDescription,
    from_habits,
    from_suggestions,
    from_zigbee,
)

# Entities are pushed by their sources; nothing is polled.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HaAiBinarySensorEntityDescription(
    HaAiEntityDescription, BinarySensorEntityDescription
):
    """A binary sensor that reads its state from the runtime data."""

    is_on_fn: Callable[[HaAiRuntimeData], bool]


BINARY_SENSORS: tuple[HaAiBinarySensorEntityDescription, ...] = (
    HaAiBinarySensorEntityDescription(
        key="mqtt_connected",
        translation_key="mqtt_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda data: data.bus.connected,
    ),
    HaAiBinarySensorEntityDescription(
        key="zigbee2mqtt_bridge",
        translation_key="zigbee2mqtt_bridge",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        source=from_zigbee,
        is_on_fn=lambda data: data.zigbee.reachable,
    ),
    HaAiBinarySensorEntityDescription(
        key="analysis_running",
        translation_key="analysis_running",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_habits,
        # Whether a run is under way is known even after a failed one, so the
        # next run shows while the analysis' sensors wait for its result.
        is_on_fn=lambda data: data.habits.running,
    ),
    HaAiBinarySensorEntityDescription(
        key="new_suggestions",
        translation_key="new_suggestions",
        source=from_suggestions,
        is_on_fn=lambda data: data.suggestions.pending > 0,
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
    async_add_camera_entities(entry, async_add_entities, camera_binary_sensors)


class HaAiBinarySensor(HaAiEntity, BinarySensorEntity):
    """A binary sensor of the HA AI device."""

    entity_description: HaAiBinarySensorEntityDescription

    @property
    def is_on(self) -> bool:
        """Return the state from the runtime data."""
        return self.entity_description.is_on_fn(self.data)
