"""The entities of HA AI's automations: how they run, and how often they are undone."""

from __future__ import annotations

from homeassistant.components.sensor import SensorStateClass

from ..data import HaAiRuntimeData, Listenable
from ..entity import HaAiSensorEntityDescription

ATTR_AUTOMATIONS = "automations"


def from_runs(data: HaAiRuntimeData) -> Listenable:
    """Follow the runs of HA AI's automations."""
    return data.runs


AUTOMATION_SENSORS = (
    HaAiSensorEntityDescription(
        key="automation_health",
        translation_key="automation_health",
        state_class=SensorStateClass.MEASUREMENT,
        source=from_runs,
        value_fn=lambda data: len(data.runs.followed),
        attributes_fn=lambda data: {ATTR_AUTOMATIONS: data.runs.health()},
    ),
    HaAiSensorEntityDescription(
        key="automation_runs_today",
        translation_key="automation_runs_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        source=from_runs,
        value_fn=lambda data: data.runs.runs_today,
    ),
    HaAiSensorEntityDescription(
        key="automation_overrides_this_week",
        translation_key="automation_overrides_this_week",
        state_class=SensorStateClass.TOTAL_INCREASING,
        source=from_runs,
        value_fn=lambda data: data.runs.overrides_this_week,
    ),
)
