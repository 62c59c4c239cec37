"""Diagnostics download: settings, MQTT bus, each part's summary, how stores loaded."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .cameras.diagnostics import camera_diagnostics
from .const import SECRET_FIELDS
from .data import HaAiConfigEntry
from .store_loading import async_store_reports

# The entry's data holds two secrets: the LLM's API key and the remote deploy
# secret. They are redacted wherever they are, options included: an entry not yet
# migrated keeps them there.
TO_REDACT = set(SECRET_FIELDS)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HaAiConfigEntry
) -> dict[str, Any]:
    """Return what helps to understand a problem, secrets redacted."""
    data = entry.runtime_data
    return {
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": async_redact_data(dict(entry.options), TO_REDACT),
        "version": data.version,
        "mqtt": data.bus.as_diagnostics(),
        "zigbee": data.zigbee.as_diagnostics(),
        "insights": data.insights.as_diagnostics(),
        "habits": data.habits.as_diagnostics(),
        "habit_log": await data.habit_log.async_diagnostics(),
        "suggestions": data.suggestions.as_diagnostics(),
        "automation_health": data.runs.as_diagnostics(),
        "remote_deploy": data.remote.as_diagnostics() if data.remote else None,
        "cameras": camera_diagnostics(data.cameras),
        "sports": data.sports.as_diagnostics(),
        "stores": async_store_reports(hass),
    }
