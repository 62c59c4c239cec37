"""The entities of the habit analysis: what it found, when, and whether it runs."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import EntityCategory

from ..data import HaAiRuntimeData, Listenable
from ..entity import HaAiBinarySensorEntityDescription, HaAiSensorEntityDescription

ATTR_TOP_PATTERNS = "top_patterns"


def from_habits(data: HaAiRuntimeData) -> Listenable:
    """Follow the habit analysis (a coordinator)."""
    return data.habits


HABIT_SENSORS = (
    HaAiSensorEntityDescription(
        key="patterns_detected",
        translation_key="patterns_detected",
        state_class=SensorStateClass.MEASUREMENT,
        source=from_habits,
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
        value_fn=lambda data: data.habits.last_run,
        attributes_fn=lambda data: {"duration_seconds": data.habits.last_duration},
    ),
)

HABIT_BINARY_SENSORS = (
    HaAiBinarySensorEntityDescription(
        key="analysis_running",
        translation_key="analysis_running",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_habits,
        # Known even after a failed run, so the next run shows while the
        # analysis' sensors wait for its result.
        known_after_failure=True,
        is_on_fn=lambda data: data.habits.running,
    ),
)
