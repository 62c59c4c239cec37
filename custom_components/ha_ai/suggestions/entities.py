"""The entities of the suggestions: how many wait, how many were deployed.

How well the deployed ones then run is told by the automations' entities.
"""

from __future__ import annotations

from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import EntityCategory

from ..data import HaAiRuntimeData, Listenable
from ..entity import HaAiBinarySensorEntityDescription, HaAiSensorEntityDescription

ATTR_TOP_SUGGESTIONS = "top_suggestions"


def from_suggestions(data: HaAiRuntimeData) -> Listenable:
    """Follow the suggestion book."""
    return data.suggestions


SUGGESTION_SENSORS = (
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
)

SUGGESTION_BINARY_SENSORS = (
    HaAiBinarySensorEntityDescription(
        key="new_suggestions",
        translation_key="new_suggestions",
        source=from_suggestions,
        is_on_fn=lambda data: data.suggestions.pending > 0,
    ),
)
