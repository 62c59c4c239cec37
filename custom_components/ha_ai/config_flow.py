"""Config, options and reconfigure flows for HA AI.

All three show the same form and store the same settings, in the entry's options.
The entry reloads after a change, so a new prefix, QoS or TTL takes effect without
restarting Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowHandler

from .const import DOMAIN
from .settings import form_values, settings_schema, validate_settings

TITLE = "HA AI"


def _mqtt_problem(hass: HomeAssistant) -> str | None:
    """Return the abort reason when Home Assistant's MQTT cannot carry HA AI."""
    if not mqtt.mqtt_config_entry_enabled(hass):
        return "mqtt_not_configured"
    if mqtt.DATA_MQTT not in hass.data or not mqtt.is_connected(hass):
        return "mqtt_not_connected"
    return None


def _settings_step(
    flow: FlowHandler[Any, ConfigFlowResult, Any],
    step_id: str,
    user_input: Mapping[str, Any] | None,
    current: Mapping[str, Any],
    save: Callable[[dict[str, Any]], ConfigFlowResult],
) -> ConfigFlowResult:
    """Show the settings form, or save valid input; invalid input is shown again."""
    errors: dict[str, str] = {}
    values = form_values(current)
    if user_input is not None:
        options, errors = validate_settings(user_input)
        if not errors:
            return save(options)
        values.update(user_input)
    return flow.async_show_form(
        step_id=step_id,
        data_schema=flow.add_suggested_values_to_schema(settings_schema(), values),
        errors=errors,
    )


class HaAiConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set HA AI up once, on top of Home Assistant's MQTT integration."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> HaAiOptionsFlow:
        """Return the options flow."""
        return HaAiOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the topics, QoS and TTL, after checking that MQTT is there."""
        if (reason := _mqtt_problem(self.hass)) is not None:
            return self.async_abort(reason=reason)
        return _settings_step(
            self,
            "user",
            user_input,
            {},
            lambda options: self.async_create_entry(
                title=TITLE, data={}, options=options
            ),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the settings of the existing entry; its update listener reloads it."""
        entry = self._get_reconfigure_entry()

        def save(options: dict[str, Any]) -> ConfigFlowResult:
            self.hass.config_entries.async_update_entry(entry, options=options)
            return self.async_abort(reason="reconfigure_successful")

        return _settings_step(self, "reconfigure", user_input, entry.options, save)


class HaAiOptionsFlow(OptionsFlow):
    """Change the settings of a running entry; the entry reloads on save."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the same form as set-up, filled with the current settings."""
        return _settings_step(
            self,
            "init",
            user_input,
            self.config_entry.options,
            lambda options: self.async_create_entry(data=options),
        )
