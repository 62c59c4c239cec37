"""The entities of the MQTT bus: the link, and its counters (off by default)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import EntityCategory

from ..entity import (
    HaAiBinarySensorEntityDescription,
    HaAiSensorEntityDescription,
    from_bus,
)

BUS_SENSORS = (
    HaAiSensorEntityDescription(
        key="messages_published",
        translation_key="messages_published",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        source=from_bus,
        value_fn=lambda data: data.bus.statistics.messages_published,
    ),
    HaAiSensorEntityDescription(
        key="publish_errors",
        translation_key="publish_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        source=from_bus,
        value_fn=lambda data: data.bus.statistics.publish_errors,
    ),
    HaAiSensorEntityDescription(
        key="queued_messages",
        translation_key="queued_messages",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        source=from_bus,
        value_fn=lambda data: data.bus.queued_messages,
    ),
)

BUS_BINARY_SENSORS = (
    HaAiBinarySensorEntityDescription(
        key="mqtt_connected",
        translation_key="mqtt_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_bus,
        is_on_fn=lambda data: data.bus.connected,
    ),
)
