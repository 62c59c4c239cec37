"""The entities of the Zigbee side: devices, capabilities, unused ones, the bridge."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import EntityCategory

from ..data import HaAiRuntimeData, Listenable
from ..entity import HaAiBinarySensorEntityDescription, HaAiSensorEntityDescription

ATTR_TOP_OPPORTUNITIES = "top_opportunities"


def from_zigbee(data: HaAiRuntimeData) -> Listenable:
    """Follow the Zigbee2MQTT bridge."""
    return data.zigbee


def from_insights(data: HaAiRuntimeData) -> Listenable:
    """Follow the judgement of unused capabilities (a coordinator)."""
    return data.insights


ZIGBEE_SENSORS = (
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
        value_fn=lambda data: len(data.insights.findings),
        attributes_fn=lambda data: {ATTR_TOP_OPPORTUNITIES: data.insights.top()},
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
)

ZIGBEE_BINARY_SENSORS = (
    # The counts stay available while the bridge is offline: this sensor says so.
    HaAiBinarySensorEntityDescription(
        key="zigbee2mqtt_bridge",
        translation_key="zigbee2mqtt_bridge",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        source=from_zigbee,
        is_on_fn=lambda data: data.zigbee.reachable,
    ),
)
