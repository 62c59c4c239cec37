"""Sensors of HA AI: what each feature describes, on its device, cameras and teams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .automations.entities import ATTR_AUTOMATIONS, AUTOMATION_SENSORS
from .bus.entities import BUS_SENSORS
from .cameras.entity import async_add_camera_entities
from .cameras.sensor import camera_sensors
from .data import HaAiConfigEntry, HaAiRuntimeData
from .entity import (
    HaAiCoordinatorEntity,
    HaAiEntity,
    HaAiSensorEntityDescription,
    described_entities,
)
from .habits.entities import ATTR_TOP_PATTERNS, HABIT_SENSORS
from .household.entities import HOUSEHOLD_SENSORS
from .sports.entities import async_add_team_entities, team_sensors
from .suggestions.entities import ATTR_TOP_SUGGESTIONS, SUGGESTION_SENSORS
from .zigbee.entities import ATTR_TOP_OPPORTUNITIES, ZIGBEE_SENSORS

# Entities are pushed by their parts; nothing is polled.
PARALLEL_UPDATES = 0
SENSORS: tuple[HaAiSensorEntityDescription, ...] = (
    *ZIGBEE_SENSORS,
    *HABIT_SENSORS,
    *HOUSEHOLD_SENSORS,
    *SUGGESTION_SENSORS,
    *AUTOMATION_SENSORS,
    *BUS_SENSORS,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the sensors of the entry."""
    async_add_entities(
        described_entities(entry, SENSORS, HaAiSensor, HaAiCoordinatorSensor)
    )
    async_add_camera_entities(entry, async_add_entities, camera_sensors)
    async_add_team_entities(entry, async_add_entities, team_sensors)


class DescribedSensor(SensorEntity):
    """A sensor whose value and attributes its description reads."""

    entity_description: HaAiSensorEntityDescription
    data: HaAiRuntimeData
    # Lists of findings are for dashboards, not for the database.
    _unrecorded_attributes = frozenset(
        {
            ATTR_AUTOMATIONS,
            ATTR_TOP_OPPORTUNITIES,
            ATTR_TOP_PATTERNS,
            ATTR_TOP_SUGGESTIONS,
        }
    )

    @property
    def native_value(self) -> float | str | datetime | None:
        """Return the value from the runtime data."""
        return self.entity_description.value_fn(self.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return extra attributes, where the sensor has some."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.data)


class HaAiSensor(HaAiEntity, DescribedSensor):
    """A sensor of the HA AI device that follows a part fed by MQTT."""

    entity_description: HaAiSensorEntityDescription


class HaAiCoordinatorSensor(HaAiCoordinatorEntity, DescribedSensor):
    """A sensor of the HA AI device that follows a coordinator."""

    entity_description: HaAiSensorEntityDescription
