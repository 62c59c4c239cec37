"""Config, reconfigure and options flows for HA AI.

Set-up asks for everything: the topics and the tunables on one form, then the LLM
and, when remote deploy is on, shows the new shared secret once. The options flow
shows the tunables, then the TeamTracker teams found (which to follow, and each
one's delay), when there are any. What defines the
connection (the topics, the LLM and its key, the remote deploy secret) is kept in
the entry's data and changed by reconfiguring (the topics, then the LLM); the
tunables are kept in its options and changed by the options flow. When
Zigbee2MQTT's `bridge/info` is on the broker, Home Assistant offers the set-up
(MQTT discovery): one confirmation, with the base topic it was found under and
every other setting at its default. When the
language model refuses the key, the entry starts a reauthentication that asks
for the key alone. Either way the entry reloads, so new settings take effect
without restarting Home Assistant.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.util import dt as dt_util

from .const import (
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_NEW_REMOTE_SECRET,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    CONF_SPORTS_DELAYS,
    CONF_SPORTS_UNFOLLOWED,
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    LLM_PROVIDER_OPENAI,
    LOGGER,
)
from .engine.inbound import Rejection
from .engine.log_text import log_safe, markdown_safe
from .engine.zigbee.discovery import discovered_bridge
from .entry_settings import settings_values, split_settings
from .llm.flow import API_KEY_SCHEMA, LlmSteps
from .settings import form_values, settings_schema, validate_settings
from .sports.options import (
    sports_form_values,
    sports_options,
    sports_schema,
    team_choices,
)
from .sports.teams import SportsSettings
from .zigbee.bridge import MAX_BRIDGE_INFO_BYTES

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
    """The steps every flow shares: a settings form, then the new secret if any."""

    def _settings_form(
        self, step_id: str, user_input: dict[str, Any] | None, schema: vol.Schema
    ) -> ConfigFlowResult | None:
        """Show the form (again, with errors); None once the input is valid."""
        errors: dict[str, str] = {}
        values = form_values(self._current)
        if user_input is not None:
            settings, errors = validate_settings(user_input, self._current)
            if not errors:
                self._pending = _with_remote_secret(settings)
                return None
            values.update(user_input)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
        )

    async def _async_after_settings(self) -> ConfigFlowResult:
        """Go on after the settings (and LLM) steps: show a new secret, or save."""
        if self._pending[CONF_REMOTE_SECRET] and (
            self._pending[CONF_REMOTE_SECRET] != self._current[CONF_REMOTE_SECRET]
        ):
            return await self.async_step_remote_secret()
        return self._async_save()

    async def async_step_remote_secret(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the new shared secret once; it is not shown anywhere again."""
        if user_input is not None:
            return self._async_save()
        return self.async_show_form(
            step_id="remote_secret",
            description_placeholders={"secret": self._pending[CONF_REMOTE_SECRET]},
        )

    if TYPE_CHECKING:

        def _async_save(self) -> ConfigFlowResult:
            """Store `_pending` (each flow saves its own way)."""


def _with_remote_secret(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the settings with a secret when remote deploy needs a (new) one."""
    renew = settings.pop(CONF_NEW_REMOTE_SECRET, False)
    if not settings[CONF_REMOTE_DEPLOY]:
        return {**settings, CONF_REMOTE_SECRET: ""}
    if renew or not settings[CONF_REMOTE_SECRET]:
        return {
            **settings,
            CONF_REMOTE_SECRET: secrets.token_urlsafe(REMOTE_SECRET_BYTES),
        }
    return settings


class HaAiConfigFlow(_SettingsSteps, ConfigFlow, domain=DOMAIN):
    """Set HA AI up once, on top of Home Assistant's MQTT integration."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    def __init__(self) -> None:
        """Start from the defaults: set-up and reconfigure fill them in."""
        self._current = settings_values({}, {})
        self._pending = {}
        self._discovered: dict[str, str] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> HaAiOptionsFlow:
        """Return the options flow."""
        return HaAiOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the topics and the tunables, after checking that MQTT is there."""
        if (reason := _mqtt_problem(self.hass)) is not None:
            return self.async_abort(reason=reason)
        form = self._settings_form("user", user_input, settings_schema())
        if form is not None:
            return form
        return await self.async_step_llm()

    async def async_step_mqtt(
        self, discovery_info: MqttServiceInfo
    ) -> ConfigFlowResult:
        """Offer the set-up when a Zigbee2MQTT bridge info appears on the broker.

        Home Assistant starts this for every message on the manifest's topics, and
        with an empty payload when a retained one is cleared. The flow's unique id
        is HA AI's domain: HA AI runs once, so one offer at a time (the first bridge
        found; an ignored offer stays ignored). Home Assistant itself aborts the
        offer when HA AI is already set up.
        """
        topic = log_safe(discovery_info.topic)
        if not discovery_info.payload:
            LOGGER.debug("Zigbee2MQTT's bridge info on %s was cleared", topic)
            return self.async_abort(reason="bridge_info_cleared")
        bridge = discovered_bridge(
            discovery_info.topic,
            discovery_info.payload,
            max_bytes=MAX_BRIDGE_INFO_BYTES,
            now=dt_util.now(),
        )
        if isinstance(bridge, Rejection):
            LOGGER.info(
                "Not offering to set up HA AI for the message on %s, which is not "
                "Zigbee2MQTT's bridge info: %s",
                topic,
                bridge.reason,
            )
            return self.async_abort(reason="not_zigbee2mqtt")
        await self.async_set_unique_id(DOMAIN)
        self._discovered = {
            "base_topic": markdown_safe(bridge.base_topic),
            "version": bridge.version,
        }
        self.context["title_placeholders"] = {"base_topic": log_safe(bridge.base_topic)}
        self._current[CONF_ZIGBEE2MQTT_BASE_TOPIC] = bridge.base_topic
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask to set HA AI up on the bridge found, every other setting by default.

        A base topic the defaults cannot go with (it overlaps HA AI's namespace,
        say) leads to the set-up form instead, filled in and showing why.
        """
        base_topic = self._current[CONF_ZIGBEE2MQTT_BASE_TOPIC]
        form = self._settings_form(
            "user", {CONF_ZIGBEE2MQTT_BASE_TOPIC: base_topic}, settings_schema()
        )
        if form is not None:
            return form
        if user_input is None:
            self._set_confirm_only()
            return self.async_show_form(
                step_id="discovery_confirm",
                description_placeholders=self._discovered,
            )
        return await self._async_after_settings()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change what defines the connection: the topics, then the LLM."""
        entry = self._get_reconfigure_entry()
        self._current = settings_values(entry.data, entry.options)
        form = self._settings_form(
            "reconfigure", user_input, settings_schema(sections=False)
        )
        if form is not None:
            return form
        return await self.async_step_llm()

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start when the language model refused the key: ask for a new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the key alone; save it once the server accepts it."""
        entry = self._get_reauth_entry()
        self._current = settings_values(entry.data, entry.options)
        if self._current[CONF_LLM_PROVIDER] != LLM_PROVIDER_OPENAI:
            # Reconfigured meanwhile to a language model that takes no key: Home
            # Assistant 2025.4 keeps a reauthentication over the reload (later
            # releases end it on reload), so the flow ends itself.
            return self.async_abort(reason="llm_key_not_used")
        errors: dict[str, str] = {}
        if user_input is not None:
            key = str(user_input[CONF_LLM_API_KEY]).strip()
            errors = await self._async_test({**self._current, CONF_LLM_API_KEY: key})
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_LLM_API_KEY: key}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=API_KEY_SCHEMA,
            errors=errors,
            description_placeholders={
                "url": self._current[CONF_LLM_BASE_URL],
                "model": self._current[CONF_LLM_MODEL],
            },
        )

    def _async_save(self) -> ConfigFlowResult:
        data, options = split_settings(self._pending)
        if self.source == SOURCE_RECONFIGURE:
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), data_updates=data
            )
        return self.async_create_entry(title=TITLE, data=data, options=options)


class HaAiOptionsFlow(_SettingsSteps, OptionsFlow):
    """Change the tunables of a running entry; the entry reloads on a change."""

    def __init__(self) -> None:
        """Start empty; the first step reads the entry's settings."""
        self._current = {}
        self._pending = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the tunables, filled with the current settings."""
        entry = self.config_entry
        self._current = settings_values(entry.data, entry.options)
        form = self._settings_form("init", user_input, settings_schema(topics=False))
        if form is not None:
            return form
        return await self.async_step_sports()

    async def async_step_sports(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the TeamTracker teams found: which to follow, each one's delay.

        Without any TeamTracker team, there is nothing to ask.
        """
        choices = team_choices(self.hass, self.config_entry)
        if not choices:
            return await self._async_after_settings()
        unfollowed = self._pending[CONF_SPORTS_UNFOLLOWED]
        delays = self._pending[CONF_SPORTS_DELAYS]
        if user_input is not None:
            self._pending.update(
                sports_options(user_input, choices, unfollowed, delays)
            )
            return await self._async_after_settings()
        values = sports_form_values(
            choices, SportsSettings.from_options(unfollowed, delays)
        )
        return self.async_show_form(
            step_id="sports",
            data_schema=self.add_suggested_values_to_schema(
                sports_schema(choices), values
            ),
        )

    def _async_save(self) -> ConfigFlowResult:
        # The remote deploy secret belongs in the data: both are written at once,
        # so the entry reloads once (the flow's own write then changes nothing).
        _, options = split_settings(self._pending)
        entry = self.config_entry
        data = {**entry.data, CONF_REMOTE_SECRET: self._pending[CONF_REMOTE_SECRET]}
        if self.hass.config_entries.async_update_entry(
            entry, data=data, options=options
        ):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data=options)
