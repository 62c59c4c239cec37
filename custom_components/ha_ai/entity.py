"""The base of every HA AI entity: one device for the integration, push updates."""

from __future__ import annotations

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .data import HaAiConfigEntry
from .mqtt_bus import MqttBus


class HaAiEntity(Entity):
    """An entity of the HA AI service device, updated when the bus changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: HaAiConfigEntry, description: EntityDescription) -> None:
        """Attach the entity to the entry's device and bus."""
        self.entity_description = description
        self.bus: MqttBus = entry.runtime_data.bus
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name="HA AI",
            manufacturer="HA AI",
            model="Home automation insights",
            entry_type=DeviceEntryType.SERVICE,
            sw_version=entry.runtime_data.version,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the bus; the listener goes when the entity does."""
        await super().async_added_to_hass()
        self.async_on_remove(self.bus.async_add_listener(self._handle_bus_update))

    @callback
    def _handle_bus_update(self) -> None:
        self.async_write_ha_state()
