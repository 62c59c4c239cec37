"""The LLM steps of the config and reconfigure flows.

After the settings form a flow asks for the provider (`llm`), then that
provider's fields (`llm_conversation`, `llm_ai_task` or `llm_openai`), filled with
the current values. The settings are tested before the flow goes on; errors stay
on the form so the user can correct them. Provider `none` skips the provider step
and keeps the other LLM settings, so switching back later needs no retyping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import voluptuous as vol
import yarl
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.data_entry_flow import FlowHandler
from homeassistant.helpers.selector import (
    ConversationAgentSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from ..const import (
    CONF_LLM_AGENT_ID,
    CONF_LLM_AI_TASK_ENTITY,
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_MAX_CALLS,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_LLM_TIMEOUT,
    LLM_PROVIDER_AI_TASK,
    LLM_PROVIDER_CONVERSATION,
    LLM_PROVIDER_NONE,
    LOGGER,
    MAX_LLM_MAX_CALLS,
    MAX_LLM_TIMEOUT,
)
from ..entry_settings import HaAiSettings
from .agents import AI_TASK_DOMAIN, BUILT_IN_AGENTS
from .backends import available_providers, create_backend
from .client import LlmError

type Checker = Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, str]]]

BOUNDS_FIELDS: dict[str, Selector[Any]] = {
    CONF_LLM_TIMEOUT: NumberSelector(
        NumberSelectorConfig(
            min=1,
            max=MAX_LLM_TIMEOUT,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="s",
        )
    ),
    CONF_LLM_MAX_CALLS: NumberSelector(
        NumberSelectorConfig(
            min=1, max=MAX_LLM_MAX_CALLS, step=1, mode=NumberSelectorMode.BOX
        )
    ),
}


def _schema(*fields: tuple[vol.Marker, Selector[Any]]) -> vol.Schema:
    """Return a provider's fields followed by the bounds every provider has."""
    schema: dict[vol.Marker, Selector[Any]] = dict(fields)
    for field, selector in BOUNDS_FIELDS.items():
        schema[vol.Required(field)] = selector
    return vol.Schema(schema)


CONVERSATION_SCHEMA = _schema(
    (vol.Required(CONF_LLM_AGENT_ID), ConversationAgentSelector())
)
AI_TASK_SCHEMA = _schema(
    (
        vol.Required(CONF_LLM_AI_TASK_ENTITY),
        EntitySelector(EntitySelectorConfig(domain=AI_TASK_DOMAIN)),
    )
)
API_KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
OPENAI_SCHEMA = _schema(
    (
        vol.Required(CONF_LLM_BASE_URL),
        TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
    ),
    (vol.Optional(CONF_LLM_API_KEY), API_KEY_SELECTOR),
    (vol.Required(CONF_LLM_MODEL), TextSelector()),
)
# Reauthentication asks for the key alone: the server and the model stay.
API_KEY_SCHEMA = vol.Schema({vol.Required(CONF_LLM_API_KEY): API_KEY_SELECTOR})


class LlmSteps(FlowHandler[Any, ConfigFlowResult, Any]):
    """The LLM steps; the flow goes on with `_async_after_settings`."""

    _current: dict[str, Any]  # every setting by its key, before this flow
    _pending: dict[str, Any]  # every setting by its key, as this flow will save it

    if TYPE_CHECKING:

        async def _async_after_settings(self) -> ConfigFlowResult:
            """Go on after the LLM steps (the flow defines it)."""

    async def async_step_llm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which LLM writes the suggestions' texts, if any."""
        providers = available_providers(self.hass)
        if user_input is not None:
            provider = user_input[CONF_LLM_PROVIDER]
            self._pending[CONF_LLM_PROVIDER] = provider
            if provider == LLM_PROVIDER_NONE:
                return await self._async_after_settings()
            if provider == LLM_PROVIDER_CONVERSATION:
                return await self.async_step_llm_conversation()
            if provider == LLM_PROVIDER_AI_TASK:
                return await self.async_step_llm_ai_task()
            return await self.async_step_llm_openai()
        current = self._pending.get(CONF_LLM_PROVIDER, LLM_PROVIDER_NONE)
        schema = vol.Schema(
            {
                vol.Required(CONF_LLM_PROVIDER): SelectSelector(
                    SelectSelectorConfig(
                        options=providers,
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_LLM_PROVIDER,
                    )
                )
            }
        )
        suggested = current if current in providers else LLM_PROVIDER_NONE
        return self.async_show_form(
            step_id="llm",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_LLM_PROVIDER: suggested}
            ),
        )

    async def async_step_llm_conversation(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the conversation agent."""
        return await self._async_provider_step(
            "llm_conversation", CONVERSATION_SCHEMA, _check_conversation, user_input
        )

    async def async_step_llm_ai_task(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the AI Task entity."""
        return await self._async_provider_step(
            "llm_ai_task", AI_TASK_SCHEMA, _check_bounds, user_input
        )

    async def async_step_llm_openai(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server, key and model of an OpenAI-compatible API."""
        return await self._async_provider_step(
            "llm_openai", OPENAI_SCHEMA, _check_openai, user_input
        )

    async def _async_provider_step(
        self,
        step_id: str,
        schema: vol.Schema,
        check: Checker,
        user_input: dict[str, Any] | None,
    ) -> ConfigFlowResult:
        """Show a provider's form; go on once its settings check and answer."""
        values = dict(self._pending)
        errors: dict[str, str] = {}
        if user_input is not None:
            settings, errors = check(user_input)
            if not errors:
                candidate = {**self._pending, **settings}
                errors = await self._async_test(candidate)
                if not errors:
                    self._pending = candidate
                    return await self._async_after_settings()
            values.update(user_input)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
        )

    async def _async_test(self, values: dict[str, Any]) -> dict[str, str]:
        """Return the form's errors after asking the back-end once."""
        settings = HaAiSettings.from_values(values).llm
        backend = create_backend(self.hass, settings)
        if backend is None:  # a required field was empty
            return {"base": "cannot_connect"}
        try:
            await backend.async_test()
        except LlmError as err:
            LOGGER.debug("LLM settings test failed: %s", err)
            return {"base": err.reason}
        except Exception:  # noqa: BLE001 - shown on the form, the flow goes on
            LOGGER.exception("Unexpected error testing the LLM settings")
            return {"base": "unknown"}
        return {}


def _check_bounds(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the input with whole numbers for the timeout and the call limit."""
    settings = dict(user_input)
    for field in BOUNDS_FIELDS:
        settings[field] = int(float(settings[field]))
    return settings, {}


def _check_conversation(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Refuse the built-in agent: it runs sentences as commands, it is no model."""
    settings, errors = _check_bounds(user_input)
    if settings[CONF_LLM_AGENT_ID] in BUILT_IN_AGENTS:
        errors[CONF_LLM_AGENT_ID] = "agent_not_llm"
    return settings, errors


def _check_openai(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the settings with a clean base URL and key, or an invalid URL error."""
    settings, errors = _check_bounds(user_input)
    settings[CONF_LLM_API_KEY] = str(settings.get(CONF_LLM_API_KEY, "")).strip()
    settings[CONF_LLM_MODEL] = str(settings[CONF_LLM_MODEL]).strip()
    base_url = str(settings[CONF_LLM_BASE_URL]).strip().rstrip("/")
    try:
        url = yarl.URL(base_url)
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        errors[CONF_LLM_BASE_URL] = "invalid_url"
    settings[CONF_LLM_BASE_URL] = base_url
    return settings, errors
