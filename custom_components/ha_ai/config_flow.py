"""Config, options and reconfigure flows for HA AI.

All three show the same settings form and store the same settings, in the entry's
options. A flow then goes through the LLM steps and, when remote deploy has just
been switched on (or a new secret asked for), shows the new shared secret once.
The entry reloads after a change, so new settings take effect without restarting
Home Assistant.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from homeassistant.components import mqtt
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback

from .const import (
    CONF_NEW_REMOTE_SECRET,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DOMAIN,
)
from .llm_flow import LlmSteps
from .settings import form_values, settings_schema, validate_settings

TITLE = "HA AI"
REMOTE_SECRET_BYTES = 32


def _mqtt_problem(hass: HomeAssistant) -> str | None:
    """Return the abort reason when Home Assistant's MQTT cannot carry HA AI."""
    if not mqtt.mqtt_config_entry_enabled(hass):
        return "mqtt_not_configured"
    if mqtt.DATA_MQTT not in hass.data or not mqtt.is_connected(hass):
        return "mqtt_not_connected"
    return None


class _SettingsSteps(LlmSteps):
    """The steps every flow shares: settings, the LLM, then the new secret if any."""

    def _settings_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult | None:
        """Show the form (again, with errors); None once the input is valid."""
        errors: dict[str, str] = {}
        values = form_values(self._current)
        if user_input is not None:
            options, errors = validate_settings(user_input, self._current)
            if not errors:
                self._pending = _with_remote_secret(options)
                return None
            values.update(user_input)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(settings_schema(), values),
            errors=errors,
        )

    async def _async_after_settings(self) -> ConfigFlowResult:
        """Go on after the settings and LLM steps: show a new secret, or save."""
        if self._pending[CONF_REMOTE_SECRET] and (
            self._pending[CONF_REMOTE_SECRET] != self._current.get(CONF_REMOTE_SECRET)
        ):
            return await self.async_step_remote_secret()
        return self._async_save(self._pending)

    async def async_step_remote_secret(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the new shared secret once; it is not shown anywhere again."""
        if user_input is not None:
            return self._async_save(self._pending)
        return self.async_show_form(
            step_id="remote_secret",
            description_placeholders={"secret": self._pending[CONF_REMOTE_SECRET]},
        )

    if TYPE_CHECKING:

        def _async_save(self, options: dict[str, Any]) -> ConfigFlowResult:
            """Store the options (each flow saves its own way)."""


def _with_remote_secret(options: dict[str, Any]) -> dict[str, Any]:
    """Return the options with a secret when remote deploy needs a (new) one."""
    renew = options.pop(CONF_NEW_REMOTE_SECRET, False)
    if not options[CONF_REMOTE_DEPLOY]:
        return {**options, CONF_REMOTE_SECRET: ""}
    if renew or not options[CONF_REMOTE_SECRET]:
        return {
            **options,
            CONF_REMOTE_SECRET: secrets.token_urlsafe(REMOTE_SECRET_BYTES),
        }
    return options


class HaAiConfigFlow(_SettingsSteps, ConfigFlow, domain=DOMAIN):
    """Set HA AI up once, on top of Home Assistant's MQTT integration."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with no settings: set-up and reconfigure fill them in."""
        self._current = {}
        self._pending = {}

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
        if (form := self._settings_form("user", user_input)) is not None:
            return form
        return await self.async_step_llm()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the settings of the existing entry; its update listener reloads it."""
        self._current = dict(self._get_reconfigure_entry().options)
        if (form := self._settings_form("reconfigure", user_input)) is not None:
            return form
        return await self.async_step_llm()

    def _async_save(self, options: dict[str, Any]) -> ConfigFlowResult:
        if self.source == "reconfigure":
            self.hass.config_entries.async_update_entry(
                self._get_reconfigure_entry(), options=options
            )
            return self.async_abort(reason="reconfigure_successful")
        return self.async_create_entry(title=TITLE, data={}, options=options)


class HaAiOptionsFlow(_SettingsSteps, OptionsFlow):
    """Change the settings of a running entry; the entry reloads on save."""

    def __init__(self) -> None:
        """Start empty; the first step reads the entry's options."""
        self._current = {}
        self._pending = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the same form as set-up, filled with the current settings."""
        self._current = dict(self.config_entry.options)
        if (form := self._settings_form("init", user_input)) is not None:
            return form
        return await self.async_step_llm()

    def _async_save(self, options: dict[str, Any]) -> ConfigFlowResult:
        return self.async_create_entry(data=options)
