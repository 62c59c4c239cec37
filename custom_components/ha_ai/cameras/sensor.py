"""Sensors of an AI camera: status, last event, last description, event counts.

The counts are `SensorStateClass.TOTAL` with a `last_reset` at the start of the
local day (or week): Home Assistant's long-term statistics then add up the events
of each period and start a new sum exactly when the count starts again, which is
what a count that resets at known times means. `MEASUREMENT` would keep the mean,
minimum and maximum of a running count, which say nothing, and `TOTAL_INCREASING`
would have to guess a reset from a drop.
"""

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
from homeassistant.util import dt as dt_util

from ..data import HaAiConfigEntry
from ..engine.cameras.counters import Camera, first_day_of_week, local_day
from ..engine.cameras.model import CameraEvent, CameraState, state_text
from .entity import HaAiCameraEntity

# Home Assistant reserves the state `unavailable` for entities it cannot read, so
# a camera the classifier reports as unavailable shows as `unreachable`.
STATUS_STATES: Mapping[CameraState, str] = {
    CameraState.ONLINE: "online",
    CameraState.OFFLINE: "offline",
    CameraState.UNAVAILABLE: "unreachable",
}
ATTR_EVENT_ID = "event_id"
ATTR_DESCRIPTION = "description"
ATTR_OBJECTS = "objects"
ATTR_CONFIDENCE = "confidence"
ATTR_DETECTION_TYPE = "detection_type"
ATTR_SOURCE_TYPE = "source_type"
ATTR_THUMBNAIL_URL = "thumbnail_url"
ATTR_DOORBELL = "doorbell"


def _status(camera: Camera) -> str | None:
    return STATUS_STATES[camera.status.status] if camera.status is not None else None


def _last_event_time(camera: Camera) -> datetime | None:
    event = camera.activity.last_event
    return event.timestamp if event is not None else None


def _last_event_attributes(camera: Camera) -> Mapping[str, Any]:
    event = camera.activity.last_event
    if event is None:
        return {}
    return {
        ATTR_EVENT_ID: event.event_id,
        ATTR_DESCRIPTION: event.description,
        ATTR_OBJECTS: list(event.objects),
        ATTR_CONFIDENCE: event.confidence,
        ATTR_DETECTION_TYPE: event.smart_detection_type,
        ATTR_SOURCE_TYPE: event.source_type,
        ATTR_THUMBNAIL_URL: event.thumbnail_url,
        ATTR_DOORBELL: event.is_doorbell_ring,
    }


def _last_description(camera: Camera) -> str | None:
    event = camera.activity.last_event
    return state_text(event.description) if event and event.description else None


def _events_today(camera: Camera) -> int:
    return camera.activity.counts(dt_util.utcnow(), dt_util.get_default_time_zone())[0]


def _events_this_week(camera: Camera) -> int:
    return camera.activity.counts(dt_util.utcnow(), dt_util.get_default_time_zone())[1]


def _start_of_today() -> datetime:
    return dt_util.start_of_local_day()


def _start_of_week() -> datetime:
    today = local_day(dt_util.utcnow(), dt_util.get_default_time_zone())
    return dt_util.start_of_local_day(first_day_of_week(today))


@dataclass(frozen=True, kw_only=True)
class CameraSensorEntityDescription(SensorEntityDescription):
    """A camera sensor that reads its value from the camera."""

    value_fn: Callable[[Camera], int | str | datetime | None]
    attributes_fn: Callable[[Camera], Mapping[str, Any]] | None = None
    last_reset_fn: Callable[[], datetime] | None = None


CAMERA_SENSORS: tuple[CameraSensorEntityDescription, ...] = (
    CameraSensorEntityDescription(
        key="status",
        translation_key="camera_status",
        device_class=SensorDeviceClass.ENUM,
        options=list(STATUS_STATES.values()),
        value_fn=_status,
    ),
    CameraSensorEntityDescription(
        key="last_event",
        translation_key="camera_last_event",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_last_event_time,
        attributes_fn=_last_event_attributes,
    ),
    CameraSensorEntityDescription(
        key="last_description",
        translation_key="camera_last_description",
        value_fn=_last_description,
    ),
    CameraSensorEntityDescription(
        key="events_today",
        translation_key="camera_events_today",
        state_class=SensorStateClass.TOTAL,
        value_fn=_events_today,
        last_reset_fn=_start_of_today,
    ),
    CameraSensorEntityDescription(
        key="events_this_week",
        translation_key="camera_events_this_week",
        state_class=SensorStateClass.TOTAL,
        value_fn=_events_this_week,
        last_reset_fn=_start_of_week,
    ),
)


def camera_sensors(
    entry: HaAiConfigEntry, slug: str, first_event: CameraEvent | None
) -> list[CameraSensor]:
    """Return the sensors of one camera."""
    return [CameraSensor(entry, slug, description) for description in CAMERA_SENSORS]


class CameraSensor(HaAiCameraEntity, SensorEntity):
    """A sensor of an AI camera."""

    entity_description: CameraSensorEntityDescription
    # Free text, lists and links are for dashboards, not for the database.
    _unrecorded_attributes = frozenset(
        {ATTR_EVENT_ID, ATTR_DESCRIPTION, ATTR_OBJECTS, ATTR_THUMBNAIL_URL}
    )

    @property
    def native_value(self) -> int | str | datetime | None:
        """Return the value from the camera."""
        camera = self.camera
        return self.entity_description.value_fn(camera) if camera else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the last event's details, on the last event sensor."""
        camera = self.camera
        if self.entity_description.attributes_fn is None or camera is None:
            return None
        return self.entity_description.attributes_fn(camera)

    @property
    def last_reset(self) -> datetime | None:
        """Return when the count started again: local midnight or week start."""
        if self.entity_description.last_reset_fn is None:
            return None
        return self.entity_description.last_reset_fn()
