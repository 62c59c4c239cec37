"""Back-ends that reuse a model the user already set up in Home Assistant.

A conversation agent (OpenAI, Google, Anthropic, Ollama… conversation) answers the
prompt as speech text; Home Assistant's AI Task entity (2025.8 and later) answers
it as generated data. The built-in intent agent is no model and is never used:
it would try to run the finding's names as voice commands.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Sequence
from types import ModuleType
from typing import Final

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent

from ..engine.llm.prompt import LlmMessage
from .client import (
    LlmConnectionError,
    LlmError,
    LlmNotFoundError,
    LlmResponseError,
    LlmTimeoutError,
)

AI_TASK_DOMAIN: Final = "ai_task"
AI_TASK_NAME: Final = "HA AI suggestion"
# Home Assistant's own intent agent, by its id and by its id before 2024.12.
BUILT_IN_AGENTS: Final = frozenset({"conversation.home_assistant", "homeassistant"})
TEST_MESSAGES: Final = (
    LlmMessage(role="user", content="Reply with the single word OK."),
)


def prompt_text(messages: Sequence[LlmMessage]) -> str:
    """Return the messages as one text, for back-ends that take a single prompt."""
    return "\n\n".join(message["content"] for message in messages)


class ConversationAgentBackend:
    """Ask a conversation agent; its speech is the answer."""

    def __init__(self, hass: HomeAssistant, agent_id: str, timeout: float) -> None:
        """Keep the agent to ask and how long to wait for it."""
        self._hass = hass
        self._agent_id = agent_id
        self._timeout = timeout

    async def async_complete(
        self, messages: Sequence[LlmMessage], *, max_tokens: int
    ) -> str:
        """Return the agent's speech; the agent's own settings bound its length."""
        conversation = self._conversation()
        system = [m["content"] for m in messages if m["role"] == "system"]
        user = [m for m in messages if m["role"] != "system"]
        try:
            async with asyncio.timeout(self._timeout):
                result = await conversation.async_converse(
                    self._hass,
                    prompt_text(user),
                    None,  # a new conversation each time: findings never mix
                    Context(),
                    agent_id=self._agent_id,
                    extra_system_prompt="\n\n".join(system) or None,
                )
        except TimeoutError as err:
            raise LlmTimeoutError(
                f"{self._agent_id}: no answer within {self._timeout:g} s"
            ) from err
        except (HomeAssistantError, ValueError) as err:
            raise LlmConnectionError(f"{self._agent_id}: {err}") from err
        response = result.response
        speech = response.speech.get("plain", {}).get("speech")
        if response.response_type is intent.IntentResponseType.ERROR:
            raise LlmResponseError(f"{self._agent_id}: {speech or 'error'}")
        if not isinstance(speech, str) or not speech.strip():
            raise LlmResponseError(f"{self._agent_id}: the answer holds no text")
        return speech

    async def async_test(self) -> None:
        """Ask the agent for one word."""
        await self.async_complete(TEST_MESSAGES, max_tokens=1)

    def _conversation(self) -> ModuleType:
        """Return the conversation component once the agent is known to exist.

        It is imported only once loaded (then it costs nothing): a Home Assistant
        without it lacks the packages it needs.
        """
        if self._agent_id in BUILT_IN_AGENTS:
            raise LlmError(
                f"{self._agent_id} matches commands and is no language model",
                reason="agent_not_llm",
            )
        if "conversation" not in self._hass.config.components:
            raise LlmNotFoundError("the conversation integration is not loaded")
        from homeassistant.components import conversation

        if conversation.async_get_agent_info(self._hass, self._agent_id) is None:
            raise LlmNotFoundError(f"no conversation agent {self._agent_id}")
        return conversation


def ai_task_module(hass: HomeAssistant) -> ModuleType | None:
    """Return Home Assistant's ai_task component once it is loaded, else None.

    Home Assistant before 2025.8 has no such component; once it is loaded the
    module is already imported, so importing it again does not block the loop.
    """
    if AI_TASK_DOMAIN not in hass.config.components:
        return None
    try:
        return importlib.import_module(f"homeassistant.components.{AI_TASK_DOMAIN}")
    except ImportError:
        return None


def ai_task_available(hass: HomeAssistant) -> bool:
    """Return whether this Home Assistant has the AI Task component and an entity."""
    return ai_task_module(hass) is not None and bool(
        hass.states.async_entity_ids(AI_TASK_DOMAIN)
    )


class AiTaskBackend:
    """Ask an AI Task entity to generate the answer as text."""

    def __init__(self, hass: HomeAssistant, entity_id: str, timeout: float) -> None:
        """Keep the entity to ask and how long to wait for it."""
        self._hass = hass
        self._entity_id = entity_id
        self._timeout = timeout

    async def async_complete(
        self, messages: Sequence[LlmMessage], *, max_tokens: int
    ) -> str:
        """Return the generated data; structured data comes back as JSON text."""
        if (module := ai_task_module(self._hass)) is None:
            raise LlmConnectionError("this Home Assistant has no AI Task component")
        if self._hass.states.get(self._entity_id) is None:
            raise LlmNotFoundError(f"no AI Task entity {self._entity_id}")
        try:
            async with asyncio.timeout(self._timeout):
                result = await module.async_generate_data(
                    self._hass,
                    task_name=AI_TASK_NAME,
                    entity_id=self._entity_id,
                    instructions=prompt_text(messages),
                )
        except TimeoutError as err:
            raise LlmTimeoutError(
                f"{self._entity_id}: no answer within {self._timeout:g} s"
            ) from err
        except HomeAssistantError as err:
            raise LlmConnectionError(f"{self._entity_id}: {err}") from err
        data = getattr(result, "data", None)
        if isinstance(data, dict):
            return json.dumps(data)
        if not isinstance(data, str) or not data.strip():
            raise LlmResponseError(f"{self._entity_id}: the answer holds no text")
        return data

    async def async_test(self) -> None:
        """Ask the entity for one word."""
        await self.async_complete(TEST_MESSAGES, max_tokens=1)
