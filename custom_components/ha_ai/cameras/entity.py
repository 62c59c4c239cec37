"""The base of every AI camera entity: a device per camera, added when first seen.

Each camera the classifier reports becomes a Home Assistant device of its own,
identified by its slug (`camera_identifier`), so its entities group on one page
and the user can remove it there once it is stale. The device has no `via_device`:
a camera talks to its classifier, not through HA AI's service device, which may
not even exist yet when the first camera entity is added.

Entities and platforms follow the tracker through Home Assistant's dispatcher:
a camera's entities its signal, each platform the signal of new cameras.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from ..data import HaAiConfigEntry
from ..engine.cameras.counters import Camera
from ..engine.cameras.model import CameraEvent
from .tracker import (
    CameraTracker,
    camera_identifier,
    camera_signal,
    new_camera_signal,
)

type CameraEntityFactory = Callable[
    [HaAiConfigEntry, str, CameraEvent | None], Iterable[Entity]
]
"""Builds a platform's entities for one camera (entry, slug, its first event)."""


@callback
def async_add_camera_entities(
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
    factory: CameraEntityFactory,
) -> None:
    """Add a platform's entities for every known camera, and for each new one."""
    tracker = entry.runtime_data.cameras
    for camera in tracker:
        async_add_entities(factory(entry, camera.camera_slug, None))

    @callback
    def add(slug: str, first_event: CameraEvent | None) -> None:
        async_add_entities(factory(entry, slug, first_event))

    entry.async_on_unload(
        async_dispatcher_connect(tracker.hass, new_camera_signal(entry.entry_id), add)
    )


class HaAiCameraEntity(Entity):
    """An entity of one AI camera, updated when that camera changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, entry: HaAiConfigEntry, slug: str, description: EntityDescription
    ) -> None:
        """Attach the entity to the camera's device."""
        self.entity_description = description
        self.tracker: CameraTracker = entry.runtime_data.cameras
        self.slug = slug
        self._signal = camera_signal(entry.entry_id, slug)
        camera = self.tracker.get(slug)
        self._attr_unique_id = f"camera_{slug}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={camera_identifier(slug)},
            name=camera.camera_name if camera is not None else slug,
            model="AI camera",
        )

    @property
    def camera(self) -> Camera | None:
        """Return the camera, or None once the user removed it."""
        return self.tracker.get(self.slug)

    @property
    def available(self) -> bool:
        """Return False while the classifier says it is offline."""
        return self.tracker.classifier_online and self.camera is not None

    async def async_added_to_hass(self) -> None:
        """Follow the camera's signal; the connection goes when the entity does."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self._signal, self._handle_camera)
        )

    @callback
    def _handle_camera(self, event: CameraEvent | None) -> None:
        """Show the camera's new state; `event` is set when one just happened."""
        self.async_write_ha_state()
