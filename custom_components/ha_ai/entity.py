"""The base of every HA AI entity: one device for the integration, push updates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .data import HaAiConfigEntry, HaAiRuntimeData, Listenable


def from_bus(data: HaAiRuntimeData) -> Listenable:
    """Follow the MQTT bus."""
    return data.bus


def from_zigbee(data: HaAiRuntimeData) -> Listenable:
    """Follow the Zigbee2MQTT bridge."""
    return data.zigbee


def from_insights(data: HaAiRuntimeData) -> Listenable:
    """Follow the judgement of unused capabilities."""
    return data.insights


def from_habits(data: HaAiRuntimeData) -> Listenable:
    """Follow the habit analysis."""
    return data.habits


def from_suggestions(data: HaAiRuntimeData) -> Listenable:
    """Follow the suggestion store."""
    return data.suggestions


def always_available(data: HaAiRuntimeData) -> bool:
    """Report the entity available: what it shows is always known."""
    return True


@dataclass(frozen=True, kw_only=True)
class HaAiEntityDescription(EntityDescription):
    """Says which runtime part an entity follows, and when what it shows is known."""

    source: Callable[[HaAiRuntimeData], Listenable] = from_bus
    available_fn: Callable[[HaAiRuntimeData], bool] = always_available


class HaAiEntity(Entity):
    """An entity of the HA AI service device, updated when its source changes."""

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
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name="HA AI",
            manufacturer="HA AI",
            model="Home automation insights",
            entry_type=DeviceEntryType.SERVICE,
            sw_version=self.data.version,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the source; the listener goes when the entity does."""
        await super().async_added_to_hass()
        source = self.entity_description.source(self.data)
        self.async_on_remove(source.async_add_listener(self._handle_update))

    @property
    def available(self) -> bool:
        """Return False when what the entity reports is not known now."""
        return super().available and self.entity_description.available_fn(self.data)

    @callback
    def _handle_update(self) -> None:
        self.async_write_ha_state()
