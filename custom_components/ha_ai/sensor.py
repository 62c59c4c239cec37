"""Sensors of HA AI: Zigbee devices and capabilities, unused ones, MQTT counters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .cameras.entity import async_add_camera_entities
from .cameras.sensor import camera_sensors
from .data import HaAiConfigEntry, HaAiRuntimeData
from .entity import (
    HaAiEntity,
    HaAiEntityDescription,
    from_habits,
    from_insights,
    from_suggestions,
    from_zigbee,
)

# Entities are pushed by their sources; nothing is polled.
PARALLEL_UPDATES = 0
ATTR_TOP_OPPORTUNITIES = "top_opportunities"
ATTR_TOP_PATTERNS = "top_patterns"
ATTR_TOP_SUGGESTIONS = "top_suggestions"


@dataclass(frozen=True, kw_only=True)
class HaAiSensorEntityDescription(HaAiEntityDescription, SensorEntityDescription):
    """A sensor that reads its value from the runtime data."""

    value_fn: Callable[[HaAiRuntimeData], float | str | datetime | None]
    attributes_fn: Callable[[HaAiRuntimeData], Mapping[str, Any]] | None = None


SENSORS: tuple[HaAiSensorEntityDescription, ...] = (
    HaAiSensorEntityDescription(
        key="zigbee_devices",
        translation_key="zigbee_devices",
        state_class=SensorStateClass.MEASUREMENT,
        source=from_zigbee,
        value_fn=lambda data: len(data.zigbee.zigbee_devices),
    ),
    HaAiSensorEntityDescription(
        key="zigbee_capabilities",
        translation_key="zigbee_capabilities",
        state_class=SensorStateClass.MEASUREMENT,
        source=from_zigbee,
        value_fn=lambda data: data.zigbee.capability_count,
    ),
    HaAiSensorEntityDescription(
        key="unused_capabilities",
        translation_key="unused_capabilities",
        state_class=SensorStateClass.MEASUREMENT,
        source=from_insights,
        # A failed judgement keeps the last findings, which may no longer be true.
        available_fn=lambda data: data.insights.last_update_success,
        value_fn=lambda data: len(data.insights.findings),
        attributes_fn=lambda data: {ATTR_TOP_OPPORTUNITIES: data.insights.top()},
    ),
    HaAiSensorEntityDescription(
        key="patterns_detected",
        translation_key="patterns_detected",
        state_class=SensorStateClass.MEASUREMENT,
        source=from_habits,
        # A failed analysis keeps the last patterns, which may no longer be true.
        available_fn=lambda data: data.habits.last_update_success,
        value_fn=lambda data: len(data.habits.patterns),
        attributes_fn=lambda data: {
            **data.habits.level_counts(),
            ATTR_TOP_PATTERNS: data.habits.top(),
        },
    ),
    HaAiSensorEntityDescription(
        key="last_analysis",
        translation_key="last_analysis",
        device_class=SensorDeviceClass.TIMESTAMP,
        source=from_habits,
        # A failed analysis keeps the last patterns, which may no longer be true.
        available_fn=lambda data: data.habits.last_update_success,
        value_fn=lambda data: data.habits.last_run,
        attributes_fn=lambda data: {"duration_seconds": data.habits.last_duration},
    ),
    HaAiSensorEntityDescription(
        key="suggestions_pending",
        translation_key="suggestions_pending",
        state_class=SensorStateClass.MEASUREMENT,
        source=from_suggestions,
        value_fn=lambda data: data.suggestions.pending,
        attributes_fn=lambda data: {ATTR_TOP_SUGGESTIONS: data.suggestions.top()},
    ),
    HaAiSensorEntityDescription(
        key="deployed_suggestions",
        translation_key="deployed_suggestions",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_suggestions,
        value_fn=lambda data: data.suggestions.deployed,
    ),
    HaAiSensorEntityDescription(
        key="deployment_success_rate",
        translation_key="deployment_success_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_suggestions,
        value_fn=lambda data: data.suggestions.success_percent,
    ),
    HaAiSensorEntityDescription(
        key="last_device_list",
        translation_key="last_device_list",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_zigbee,
        value_fn=lambda data: data.zigbee.last_devices_received,
    ),
    HaAiSensorEntityDescription(
        key="zigbee2mqtt_version",
        translation_key="zigbee2mqtt_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_zigbee,
        value_fn=lambda data: data.zigbee.bridge_info.get("version"),
    ),
    HaAiSensorEntityDescription(
        key="messages_published",
        translation_key="messages_published",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.bus.statistics.messages_published,
    ),
    HaAiSensorEntityDescription(
        key="publish_errors",
        translation_key="publish_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.bus.statistics.publish_errors,
    ),
    HaAiSensorEntityDescription(
        key="queued_messages",
        translation_key="queued_messages",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.bus.queued_messages,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the sensors of the entry."""
    async_add_entities(HaAiSensor(entry, description) for description in SENSORS)
    async_add_camera_entities(entry, async_add_entities, camera_sensors)


class HaAiSensor(HaAiEntity, SensorEntity):
    """A sensor of the HA AI device."""

    entity_description: HaAiSensorEntityDescription
    # Lists of findings are for dashboards, not for the database.
    _unrecorded_attributes = frozenset(
        {ATTR_TOP_OPPORTUNITIES, ATTR_TOP_PATTERNS, ATTR_TOP_SUGGESTIONS}
    )

    @property
    def native_value(self) -> float | str | datetime | None:
        """Return the value from the runtime data."""
        return self.entity_description.value_fn(self.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return extra attributes, where the sensor has some."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.data)
