"""The entities of HA AI's automations: how they run, and how often they are undone."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import CALLBACK_TYPE, callback

from ..data import HaAiRuntimeData, Listenable
from ..entity import HaAiSensorEntityDescription

ATTR_AUTOMATIONS = "automations"
ATTR_RUNS = "runs"
ATTR_KEPT = "kept"
ATTR_DEPLOY_SUCCESS_RATE = "deploy_success_rate"


def from_runs(data: HaAiRuntimeData) -> Listenable:
    """Follow the runs of HA AI's automations."""
    return data.runs


class _EitherOf:
    """Tells its listeners when any of its parts changes."""

    def __init__(self, *parts: Listenable) -> None:
        self.parts = parts

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        removers = [part.async_add_listener(listener) for part in self.parts]

        @callback
        def remove() -> None:
            for remover in removers:
                remover()

        return remove


def from_runs_and_suggestions(data: HaAiRuntimeData) -> Listenable:
    """Follow the runs, and the suggestion book for its deploys."""
    return _EitherOf(data.runs, data.suggestions)


def kept_attributes(data: HaAiRuntimeData) -> dict[str, Any]:
    """Return the counts behind the share of runs kept, and the deploys' own."""
    runs, kept = data.runs.runs_and_kept
    return {
        ATTR_RUNS: runs,
        ATTR_KEPT: kept,
        ATTR_DEPLOY_SUCCESS_RATE: data.suggestions.success_percent,
    }


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
    # Once the share of deploys that worked; now the share of runs that worked
    # and that nobody undid, which says whether the automations are wanted. The
    # key (and so the unique id) is the old one, so the entity stays the same.
    HaAiSensorEntityDescription(
        key="deployment_success_rate",
        translation_key="deployment_success_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        source=from_runs_and_suggestions,
        value_fn=lambda data: data.runs.kept_percent,
        attributes_fn=kept_attributes,
    ),
)
