"""Diagnostics download: the settings and the MQTT bus's state and counters."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .data import HaAiConfigEntry


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HaAiConfigEntry
) -> dict[str, Any]:
    """Return what helps to understand a problem; HA AI stores no secrets yet."""
    return {
        "options": dict(entry.options),
        "version": entry.runtime_data.version,
        "mqtt": entry.runtime_data.bus.as_diagnostics(),
    }
