"""The LLM back-end the settings name, and the providers this Home Assistant offers."""

from __future__ import annotations

from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from ..const import (
    DEFAULT_LLM_MAX_CALLS,
    DEFAULT_LLM_TIMEOUT,
    LLM_PROVIDER_AI_TASK,
    LLM_PROVIDER_CONVERSATION,
    LLM_PROVIDER_NONE,
    LLM_PROVIDER_OPENAI,
    LLM_PROVIDERS,
)
from .agents import AiTaskBackend, ConversationAgentBackend, ai_task_available
from .client import LlmBackend
from .openai_api import OpenAiCompatibleBackend, OpenAiSettings


@dataclass(frozen=True, slots=True)
class LlmSettings:
    """Which LLM writes the suggestions' texts, and the bounds of its calls.

    Each provider reads its own fields; the others are kept so that switching back
    needs no retyping.
    """

    provider: str = LLM_PROVIDER_NONE
    agent_id: str = ""
    ai_task_entity: str = ""
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    model: str = ""
    timeout: float = DEFAULT_LLM_TIMEOUT
    max_calls: int = DEFAULT_LLM_MAX_CALLS


def available_providers(hass: HomeAssistant) -> list[str]:
    """Return the providers to offer; AI Task only where it exists and has an entity."""
    return [
        provider
        for provider in LLM_PROVIDERS
        if provider != LLM_PROVIDER_AI_TASK or ai_task_available(hass)
    ]


def create_backend(
    hass: HomeAssistant,
    settings: LlmSettings,
    *,
    entry: ConfigEntry | None = None,
) -> LlmBackend | None:
    """Return the back-end the settings name, or None when no LLM is configured.

    `entry` is the entry the settings belong to, whose reauthentication a refused
    key starts; a flow testing new settings gives none.
    """
    provider = settings.provider
    if provider == LLM_PROVIDER_CONVERSATION and settings.agent_id:
        return ConversationAgentBackend(hass, settings.agent_id, settings.timeout)
    if provider == LLM_PROVIDER_AI_TASK and settings.ai_task_entity:
        return AiTaskBackend(hass, settings.ai_task_entity, settings.timeout)
    if provider == LLM_PROVIDER_OPENAI and settings.base_url:
        return OpenAiCompatibleBackend(
            hass,
            OpenAiSettings(
                base_url=settings.base_url,
                api_key=settings.api_key,
                model=settings.model,
                timeout=settings.timeout,
            ),
            entry=entry,
        )
    return None
