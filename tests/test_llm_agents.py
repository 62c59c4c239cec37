"""Back-ends that reuse Home Assistant's conversation agents and AI Task."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from custom_components.ha_ai.const import (
    LLM_PROVIDER_AI_TASK,
    LLM_PROVIDER_CONVERSATION,
    LLM_PROVIDER_NONE,
    LLM_PROVIDER_OPENAI,
    LLM_PROVIDERS,
)
from custom_components.ha_ai.engine.llm.prompt import LlmMessage
from custom_components.ha_ai.llm.agents import (
    AI_TASK_NAME,
    AiTaskBackend,
    ConversationAgentBackend,
    ai_task_available,
    ai_task_module,
)
from custom_components.ha_ai.llm.backends import (
    LlmSettings,
    available_providers,
    create_backend,
)
from custom_components.ha_ai.llm.client import (
    LlmConnectionError,
    LlmError,
    LlmNotFoundError,
    LlmResponseError,
    LlmTimeoutError,
)
from custom_components.ha_ai.llm.openai_api import OpenAiCompatibleBackend

from .llm_fakes import (
    AI_TASK_MODULE,
    GOOD_ANSWER,
    FakeAiTask,
    register_fake_agent,
)

MESSAGES = [
    LlmMessage(role="system", content="Reply with JSON."),
    LlmMessage(role="user", content="Finding (data only): {}"),
]


@pytest.fixture
async def agent(hass: HomeAssistant) -> tuple[Any, str]:
    """Return a fake agent registered for a config entry, and its id."""
    return await register_fake_agent(hass)


def conversation_module() -> Any:
    return sys.modules["homeassistant.components.conversation"]


async def test_conversation_agent_answers(
    hass: HomeAssistant, agent: tuple[Any, str]
) -> None:
    fake, agent_id = agent
    backend = ConversationAgentBackend(hass, agent_id, 5)
    text = await backend.async_complete(MESSAGES, max_tokens=100)
    assert json.loads(text) == GOOD_ANSWER
    (told,) = fake.inputs
    # The system text goes as the agent's extra system prompt, the finding as text.
    assert told.extra_system_prompt == "Reply with JSON."
    assert told.text == "Finding (data only): {}"
    assert told.conversation_id is None


async def test_conversation_agent_bad_answers(
    hass: HomeAssistant, agent: tuple[Any, str]
) -> None:
    fake, agent_id = agent
    backend = ConversationAgentBackend(hass, agent_id, 5)
    fake.answers = ["  "]
    with pytest.raises(LlmResponseError, match="no text"):
        await backend.async_complete(MESSAGES, max_tokens=100)
    fake.answers = ["I cannot do that"]
    fake.response_type = "error"
    with pytest.raises(LlmResponseError, match="I cannot do that"):
        await backend.async_complete(MESSAGES, max_tokens=100)
    fake.response_type = "speech"
    # An agent that fails is reported by conversation as an error response.
    fake.answers = [HomeAssistantError("model offline")]
    with pytest.raises(LlmResponseError, match="model offline"):
        await backend.async_complete(MESSAGES, max_tokens=100)


async def test_conversation_agent_test_and_timeout(
    hass: HomeAssistant, agent: tuple[Any, str]
) -> None:
    fake, agent_id = agent
    await ConversationAgentBackend(hass, agent_id, 5).async_test()
    assert "OK" in fake.inputs[-1].text

    async def slow(*args: Any, **kwargs: Any) -> None:
        await hass.loop.create_future()

    with (
        patch.object(conversation_module(), "async_converse", slow),
        pytest.raises(LlmTimeoutError),
    ):
        await ConversationAgentBackend(hass, agent_id, 0.01).async_test()


async def test_conversation_errors_become_connection_errors(
    hass: HomeAssistant, agent: tuple[Any, str]
) -> None:
    _, agent_id = agent

    async def failing(*args: Any, **kwargs: Any) -> None:
        raise ValueError("Agent not found")

    with (
        patch.object(conversation_module(), "async_converse", failing),
        pytest.raises(LlmConnectionError, match="Agent not found"),
    ):
        await ConversationAgentBackend(hass, agent_id, 5).async_test()


async def test_missing_and_built_in_agents(
    hass: HomeAssistant, agent: tuple[Any, str]
) -> None:
    with pytest.raises(LlmNotFoundError):
        await ConversationAgentBackend(hass, "nope", 5).async_test()
    for built_in in ("conversation.home_assistant", "homeassistant"):
        with pytest.raises(LlmError) as caught:
            await ConversationAgentBackend(hass, built_in, 5).async_test()
        assert caught.value.reason == "agent_not_llm"


async def test_conversation_not_loaded(hass: HomeAssistant) -> None:
    with pytest.raises(LlmNotFoundError):
        await ConversationAgentBackend(hass, "some_agent", 5).async_test()


@pytest.fixture
def ai_task(hass: HomeAssistant) -> Any:
    """Install the stand-in as a loaded ai_task component with one entity."""
    fake = FakeAiTask()
    hass.config.components.add("ai_task")
    hass.states.async_set("ai_task.writer", "unknown")
    with patch.dict(sys.modules, {AI_TASK_MODULE: fake}):  # type: ignore[dict-item]
        yield fake


async def test_ai_task_answers(hass: HomeAssistant, ai_task: FakeAiTask) -> None:
    backend = AiTaskBackend(hass, "ai_task.writer", 5)
    assert json.loads(await backend.async_complete(MESSAGES, max_tokens=5)) == (
        GOOD_ANSWER
    )
    assert ai_task.calls == [
        {
            "task_name": AI_TASK_NAME,
            "entity_id": "ai_task.writer",
            "instructions": "Reply with JSON.\n\nFinding (data only): {}",
        }
    ]
    ai_task.data = dict(GOOD_ANSWER)
    assert json.loads(await backend.async_complete(MESSAGES, max_tokens=5)) == (
        GOOD_ANSWER
    )
    await backend.async_test()


async def test_ai_task_failures(hass: HomeAssistant, ai_task: FakeAiTask) -> None:
    backend = AiTaskBackend(hass, "ai_task.writer", 5)
    ai_task.data = None
    with pytest.raises(LlmResponseError):
        await backend.async_complete(MESSAGES, max_tokens=5)
    ai_task.error = HomeAssistantError("entity does not support generating data")
    with pytest.raises(LlmConnectionError, match="does not support"):
        await backend.async_complete(MESSAGES, max_tokens=5)
    with pytest.raises(LlmNotFoundError):
        await AiTaskBackend(hass, "ai_task.gone", 5).async_test()

    async def slow(hass: HomeAssistant, **kwargs: Any) -> None:
        await hass.loop.create_future()

    ai_task.async_generate_data = slow  # type: ignore[method-assign]
    with pytest.raises(LlmTimeoutError):
        await AiTaskBackend(hass, "ai_task.writer", 0.01).async_test()


async def test_ai_task_offered_only_where_it_exists(
    hass: HomeAssistant, ai_task: FakeAiTask
) -> None:
    assert ai_task_available(hass)
    assert available_providers(hass) == list(LLM_PROVIDERS)
    hass.states.async_remove("ai_task.writer")
    assert not ai_task_available(hass)
    assert LLM_PROVIDER_AI_TASK not in available_providers(hass)


async def test_without_the_ai_task_component(hass: HomeAssistant) -> None:
    # Home Assistant before 2025.8, or ai_task not loaded.
    assert ai_task_module(hass) is None
    assert not ai_task_available(hass)
    assert available_providers(hass) == [
        LLM_PROVIDER_NONE,
        LLM_PROVIDER_CONVERSATION,
        LLM_PROVIDER_OPENAI,
    ]
    with pytest.raises(LlmConnectionError):
        await AiTaskBackend(hass, "ai_task.writer", 5).async_test()
    hass.config.components.add("ai_task")
    with patch.dict(sys.modules, {AI_TASK_MODULE: None}):
        assert ai_task_module(hass) is None


async def test_create_backend(hass: HomeAssistant) -> None:
    assert create_backend(hass, LlmSettings()) is None
    conversation = LlmSettings(provider=LLM_PROVIDER_CONVERSATION)
    assert create_backend(hass, conversation) is None
    assert isinstance(
        create_backend(hass, replace(conversation, agent_id="a")),
        ConversationAgentBackend,
    )
    assert isinstance(
        create_backend(
            hass,
            LlmSettings(provider=LLM_PROVIDER_AI_TASK, ai_task_entity="ai_task.x"),
        ),
        AiTaskBackend,
    )
    assert isinstance(
        create_backend(
            hass, LlmSettings(provider=LLM_PROVIDER_OPENAI, base_url="http://x/v1")
        ),
        OpenAiCompatibleBackend,
    )
