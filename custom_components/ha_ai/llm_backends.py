"""The LLM back-end the settings name, and the providers this Home Assistant offers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant

from .const import (
    CONF_LLM_AGENT_ID,
    CONF_LLM_AI_TASK_ENTITY,
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_LLM_TIMEOUT,
    DEFAULT_OPTIONS,
    LLM_PROVIDER_AI_TASK,
    LLM_PROVIDER_CONVERSATION,
    LLM_PROVIDER_OPENAI,
    LLM_PROVIDERS,
)
from .llm_agents import AiTaskBackend, ConversationAgentBackend, ai_task_available
from .llm_client import LlmBackend
from .llm_openai import OpenAiCompatibleBackend, OpenAiSettings


def available_providers(hass: HomeAssistant) -> list[str]:
    """Return the providers to offer; AI Task only where it exists and has an entity."""
    return [
        provider
        for provider in LLM_PROVIDERS
        if provider != LLM_PROVIDER_AI_TASK or ai_task_available(hass)
    ]


def create_backend(
    hass: HomeAssistant,
    options: Mapping[str, Any],
    *,
    report_auth_failed: bool = True,
) -> LlmBackend | None:
    """Return the back-end the options name, or None when no LLM is configured."""
    settings = {**DEFAULT_OPTIONS, **options}
    timeout = float(settings[CONF_LLM_TIMEOUT])
    provider = settings[CONF_LLM_PROVIDER]
    if provider == LLM_PROVIDER_CONVERSATION and settings[CONF_LLM_AGENT_ID]:
        return ConversationAgentBackend(hass, settings[CONF_LLM_AGENT_ID], timeout)
    if provider == LLM_PROVIDER_AI_TASK and settings[CONF_LLM_AI_TASK_ENTITY]:
        return AiTaskBackend(hass, settings[CONF_LLM_AI_TASK_ENTITY], timeout)
    if provider == LLM_PROVIDER_OPENAI and settings[CONF_LLM_BASE_URL]:
        return OpenAiCompatibleBackend(
            hass,
            OpenAiSettings(
                base_url=settings[CONF_LLM_BASE_URL],
                api_key=settings[CONF_LLM_API_KEY],
                model=settings[CONF_LLM_MODEL],
                timeout=timeout,
            ),
            report_auth_failed=report_auth_failed,
        )
    return None
