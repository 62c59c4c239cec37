"""Diagnostics download: settings, MQTT bus, Zigbee capability store, insights."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .data import HaAiConfigEntry


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HaAiConfigEntry
) -> dict[str, Any]:
    """Return what helps to understand a problem; HA AI stores no secrets yet."""
    data = entry.runtime_data
    return {
        "options": dict(entry.options),
        "version": data.version,
        "mqtt": data.bus.as_diagnostics(),
        "zigbee": data.zigbee.as_diagnostics(),
        "insights": data.insights.as_diagnostics(),
        "habits": data.habits.as_diagnostics(),
        "habit_log": await data.habit_log.async_diagnostics(),
    }
