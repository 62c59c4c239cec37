"""The bases of every HA AI entity: one service device, and how each is updated.

An entity follows one runtime part. A part that computes (the habit analysis,
the Zigbee judgement) is a `DataUpdateCoordinator`, and its entities are
`CoordinatorEntity`s: unavailable while its last update failed. A part fed by
MQTT (the bus, the bridge, the suggestion book) sends a change signal, and its
entities follow that. The features describe their entities; the platform modules
build them with `described_entities`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.sensor import SensorEntityDescription
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .const import DOMAIN
from .data import HaAiConfigEntry, HaAiRuntimeData, Listenable


def from_bus(data: HaAiRuntimeData) -> Listenable:
    """Follow the MQTT bus."""
    return data.bus


@dataclass(frozen=True, kw_only=True)
class HaAiEntityDescription(EntityDescription):
    """Says which runtime part an entity follows.

    `known_after_failure` keeps a coordinator's entity available after a failed
    update, for what stays known then (whether a run is under way).
    """

    source: Callable[[HaAiRuntimeData], Listenable] = from_bus
    known_after_failure: bool = False


@dataclass(frozen=True, kw_only=True)
class HaAiSensorEntityDescription(HaAiEntityDescription, SensorEntityDescription):
    """A sensor that reads its value from the runtime data."""

    value_fn: Callable[[HaAiRuntimeData], float | str | datetime | None]
    attributes_fn: Callable[[HaAiRuntimeData], dict[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class HaAiBinarySensorEntityDescription(
    HaAiEntityDescription, BinarySensorEntityDescription
):
    """A binary sensor that reads its state from the runtime data."""

    is_on_fn: Callable[[HaAiRuntimeData], bool]


def service_device(entry: HaAiConfigEntry) -> DeviceInfo:
    """Return the one device of an entry, which every non-camera entity is on."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name="HA AI",
        manufacturer="HA AI",
        model="Home automation insights",
        entry_type=DeviceEntryType.SERVICE,
        sw_version=entry.runtime_data.version,
    )


class HaAiEntity(Entity):
    """An entity of the HA AI device that follows a part fed by MQTT."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: HaAiEntityDescription

    def __init__(
        self, entry: HaAiConfigEntry, description: HaAiEntityDescription
    ) -> None:
        """Attach the entity to the entry's device and runtime data."""
        self.entity_description = description
        self.data = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = service_device(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the part's change signal; the listener goes with the entity."""
        await super().async_added_to_hass()
        source = self.entity_description.source(self.data)
        self.async_on_remove(source.async_add_listener(self.async_write_ha_state))


class HaAiCoordinatorEntity(CoordinatorEntity[DataUpdateCoordinator[Any]]):
    """An entity of the HA AI device that follows a coordinator."""

    _attr_has_entity_name = True
    entity_description: HaAiEntityDescription

    def __init__(
        self,
        entry: HaAiConfigEntry,
        description: HaAiEntityDescription,
        coordinator: DataUpdateCoordinator[Any],
    ) -> None:
        """Attach the entity to the entry's device, runtime data and coordinator."""
        super().__init__(coordinator)
        self.entity_description = description
        self.data = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = service_device(entry)

    @property
    def available(self) -> bool:
        """Return False while the coordinator's last update failed."""
        if self.entity_description.known_after_failure:
            return True
        return super().available


def described_entities[D: HaAiEntityDescription](
    entry: HaAiConfigEntry,
    descriptions: Iterable[D],
    follows_part: Callable[[HaAiConfigEntry, D], Entity],
    follows_coordinator: Callable[
        [HaAiConfigEntry, D, DataUpdateCoordinator[Any]], Entity
    ],
) -> Iterator[Entity]:
    """Build each description's entity: a coordinator entity where it follows one."""
    for description in descriptions:
        source = description.source(entry.runtime_data)
        if isinstance(source, DataUpdateCoordinator):
            yield follows_coordinator(entry, description, source)
        else:
            yield follows_part(entry, description)
