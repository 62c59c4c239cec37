"""Event entities of HA AI: the household's moments, one per AI camera and team.

`household` fires `morning_routine`, `bedtime`, `away` and `back_home` as each
begins, with what the bus announces, so the UI automation editor can follow the
household's rhythm instead of a clock.

`detected` fires for what the camera saw, `doorbell` for a doorbell ring, with the
objects, description and confidence, so the automation editor can trigger on them.
Only a first delivery fires, and only while fresh: a redelivered event id and an
event older than the message TTL (replayed after an outage) still count but never
trigger an automation for something long past.

Each followed team's entity fires `game_started`, `scored`, `opponent_scored`,
`won`, `lost` and `tied` as they are announced on MQTT, with the same fields.
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .cameras.entity import HaAiCameraEntity, async_add_camera_entities
from .data import HaAiConfigEntry
from .engine.cameras.model import CameraEvent
from .engine.household.live import Moment, moment_fields
from .entity import HaAiEntity
from .household.entities import HOUSEHOLD_EVENT, HouseholdEventDescription
from .sports.entities import async_add_team_entities, team_events

# Entities are pushed by the camera tracker; nothing is polled.
PARALLEL_UPDATES = 0
EVENT_DETECTED = "detected"
EVENT_DOORBELL = "doorbell"

CAMERA_EVENT = EventEntityDescription(
    key="event",
    translation_key="camera_event",
    event_types=[EVENT_DETECTED, EVENT_DOORBELL],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the household's event entity, and one for every camera and team."""
    async_add_entities([HouseholdEventEntity(entry, HOUSEHOLD_EVENT)])
    async_add_camera_entities(entry, async_add_entities, camera_events)
    async_add_team_entities(entry, async_add_entities, team_events)


def camera_events(
    entry: HaAiConfigEntry, slug: str, first_event: CameraEvent | None
) -> list[CameraEventEntity]:
    """Return the event entity of one camera, with the event that revealed it."""
    return [CameraEventEntity(entry, slug, CAMERA_EVENT, first_event)]


class CameraEventEntity(HaAiCameraEntity, EventEntity):
    """Fires `detected` or `doorbell` for each new event of one camera."""

    def __init__(
        self,
        entry: HaAiConfigEntry,
        slug: str,
        description: EventEntityDescription,
        first_event: CameraEvent | None,
    ) -> None:
        """Keep the event that made the camera appear, to fire once added."""
        super().__init__(entry, slug, description)
        self._first_event = first_event

    async def async_added_to_hass(self) -> None:
        """Fire the camera's first event, which came before this entity."""
        await super().async_added_to_hass()
        if self._first_event is not None:
            self._fire(self._first_event)  # the platform writes the state next
            self._first_event = None

    @callback
    def _handle_camera(self, event: CameraEvent | None) -> None:
        if event is not None:
            self._fire(event)
        self.async_write_ha_state()

    def _fire(self, event: CameraEvent) -> None:
        self._trigger_event(
            EVENT_DOORBELL if event.is_doorbell_ring else EVENT_DETECTED,
            {
                "objects": list(event.objects),
                "description": event.description,
                "confidence": event.confidence,
                "detection_type": event.smart_detection_type,
            },
        )


class HouseholdEventEntity(HaAiEntity, EventEntity):
    """Fires each moment of the household as it begins."""

    entity_description: HouseholdEventDescription

    async def async_added_to_hass(self) -> None:
        """Follow the household's moments; the listener goes with the entity."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.data.household.async_add_moment_listener(self._handle_moment)
        )

    @callback
    def _handle_moment(self, moment: Moment) -> None:
        self._trigger_event(str(moment.kind), moment_fields(moment))
        self.async_write_ha_state()
