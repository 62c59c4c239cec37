"""The entities of the household: where it is in its day, and what just began."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass

from ..const import HOUSEHOLD_EVENT_KEY
from ..data import HaAiRuntimeData, Listenable
from ..engine.household.live import routine_windows
from ..engine.household.model import HouseholdState, MomentKind
from ..entity import HaAiEntityDescription, HaAiSensorEntityDescription


def from_household(data: HaAiRuntimeData) -> Listenable:
    """Follow the household's live follower (a push-fed part)."""
    return data.household


HOUSEHOLD_SENSORS = (
    HaAiSensorEntityDescription(
        key="household_state",
        translation_key="household_state",
        device_class=SensorDeviceClass.ENUM,
        options=[str(state) for state in HouseholdState],
        source=from_household,
        value_fn=lambda data: data.household.state,
        attributes_fn=lambda data: routine_windows(data.habits.data.household),
    ),
)


@dataclass(frozen=True, kw_only=True)
class HouseholdEventDescription(HaAiEntityDescription, EventEntityDescription):
    """The household's event entity: one event type per kind of moment."""


HOUSEHOLD_EVENT = HouseholdEventDescription(
    key=HOUSEHOLD_EVENT_KEY,
    translation_key="household",
    event_types=[str(kind) for kind in MomentKind],
    source=from_household,
)
