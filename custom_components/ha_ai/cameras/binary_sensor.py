"""The recent activity binary sensor of an AI camera.

On from each fresh event for the configured quiet time, then off: the tracker wakes
the entity when the quiet time ends, and after a restart the stored time of the
last activity decides, so the state is right without waiting for a new event. It
has the motion device class: like a motion sensor with a hold time, it says that
the camera saw something a moment ago, not that someone is still there.
"""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.util import dt as dt_util

from ..data import HaAiConfigEntry
from ..engine.cameras.model import CameraEvent
from .entity import HaAiCameraEntity

RECENT_ACTIVITY = BinarySensorEntityDescription(
    key="recent_activity",
    translation_key="camera_recent_activity",
    device_class=BinarySensorDeviceClass.MOTION,
)


def camera_binary_sensors(
    entry: HaAiConfigEntry, slug: str, first_event: CameraEvent | None
) -> list[CameraActivitySensor]:
    """Return the binary sensors of one camera."""
    return [CameraActivitySensor(entry, slug, RECENT_ACTIVITY)]


class CameraActivitySensor(HaAiCameraEntity, BinarySensorEntity):
    """On while the camera's last fresh event is within the quiet time."""

    @property
    def is_on(self) -> bool | None:
        """Return whether the camera saw something within the quiet time."""
        camera = self.camera
        if camera is None:
            return None
        return camera.activity.active(dt_util.utcnow(), self.tracker.settings.quiet)
