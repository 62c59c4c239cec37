"""The LLM steps of the config and reconfigure flows."""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_LLM_AGENT_ID,
    CONF_LLM_AI_TASK_ENTITY,
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_MAX_CALLS,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_LLM_TIMEOUT,
    CONF_REMOTE_DEPLOY,
    DEFAULT_OPTIONS,
    DOMAIN,
    LLM_PROVIDER_AI_TASK,
    LLM_PROVIDER_CONVERSATION,
    LLM_PROVIDER_NONE,
    LLM_PROVIDER_OPENAI,
    SECTION_REMOTE_DEPLOY,
)
from custom_components.ha_ai.entry_settings import split_settings

from .llm_fakes import (
    AI_TASK_MODULE,
    Answer,
    FakeAiTask,
    FakeLlmServer,
    register_fake_agent,
    run_fake_server,
)

LLM_OPTIONS = {
    CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI,
    CONF_LLM_BASE_URL: "http://old.example/v1",
    CONF_LLM_API_KEY: "sk-old",
    CONF_LLM_MODEL: "old-model",
    CONF_LLM_TIMEOUT: 45,
    CONF_LLM_MAX_CALLS: 4,
    CONF_LLM_AGENT_ID: "conversation.old",
}


DEFAULT_DATA, _ = split_settings(DEFAULT_OPTIONS)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    return {**DEFAULT_OPTIONS, **LLM_OPTIONS}


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[FakeLlmServer]:
    async with run_fake_server() as server:
        yield server


def suggested(result: dict[str, Any]) -> dict[str, Any]:
    return {
        key.schema: (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }


async def to_llm_step(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Start reconfiguring and submit the topics unchanged."""
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "llm"
    return result


async def configure(flow_id: str, hass: HomeAssistant, data: dict[str, Any]) -> Any:
    return await hass.config_entries.flow.async_configure(flow_id, data)


def openai_input(server: FakeLlmServer, **changes: Any) -> dict[str, Any]:
    return {
        CONF_LLM_BASE_URL: f" {server.base_url}/ ",
        CONF_LLM_API_KEY: " sk-new ",
        CONF_LLM_MODEL: " llama3 ",
        CONF_LLM_TIMEOUT: 20.0,
        CONF_LLM_MAX_CALLS: 5.0,
        **changes,
    }


async def test_provider_step_offers_what_exists_and_shows_the_current_one(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    result = await to_llm_step(hass, setup_entry)
    assert suggested(result) == {CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI}
    selector = result["data_schema"].schema[CONF_LLM_PROVIDER]
    assert selector.config["options"] == [
        LLM_PROVIDER_NONE,
        LLM_PROVIDER_CONVERSATION,
        LLM_PROVIDER_OPENAI,
    ]
    with pytest.raises(InvalidData):
        await configure(
            result["flow_id"], hass, {CONF_LLM_PROVIDER: LLM_PROVIDER_AI_TASK}
        )


async def test_none_skips_the_provider_step_and_keeps_the_other_settings(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    result = await to_llm_step(hass, setup_entry)
    result = await configure(
        result["flow_id"], hass, {CONF_LLM_PROVIDER: LLM_PROVIDER_NONE}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data == {
        **DEFAULT_DATA,
        **LLM_OPTIONS,
        CONF_LLM_PROVIDER: LLM_PROVIDER_NONE,
    }


async def test_openai_step_prefills_tests_and_saves(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    result = await to_llm_step(hass, setup_entry)
    result = await configure(
        result["flow_id"], hass, {CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI}
    )
    assert result["step_id"] == "llm_openai"
    assert suggested(result) == {
        CONF_LLM_BASE_URL: "http://old.example/v1",
        CONF_LLM_API_KEY: "sk-old",
        CONF_LLM_MODEL: "old-model",
        CONF_LLM_TIMEOUT: 45,
        CONF_LLM_MAX_CALLS: 4,
    }
    result = await configure(result["flow_id"], hass, openai_input(server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data == {
        **DEFAULT_DATA,
        **LLM_OPTIONS,
        CONF_LLM_BASE_URL: server.base_url,
        CONF_LLM_API_KEY: "sk-new",
        CONF_LLM_MODEL: "llama3",
        CONF_LLM_TIMEOUT: 20,
        CONF_LLM_MAX_CALLS: 5,
    }
    ((kind, headers, _),) = server.requests
    assert kind == "models"
    assert headers["Authorization"] == "Bearer sk-new"


@pytest.mark.parametrize(
    ("prepare", "changes", "errors"),
    [
        (
            {},
            {CONF_LLM_BASE_URL: "localhost:11434"},
            {CONF_LLM_BASE_URL: "invalid_url"},
        ),
        ({}, {CONF_LLM_BASE_URL: "ftp://x/v1"}, {CONF_LLM_BASE_URL: "invalid_url"}),
        ({}, {CONF_LLM_BASE_URL: "http://[::1/v1"}, {CONF_LLM_BASE_URL: "invalid_url"}),
        ({"models_status": 401}, {}, {"base": "invalid_auth"}),
        ({"models_status": 500}, {}, {"base": "http_error"}),
        ({"models": ["mistral"]}, {}, {"base": "model_not_found"}),
        ({"models_body": "garbage"}, {}, {"base": "invalid_response"}),
        ({"slow": True}, {CONF_LLM_TIMEOUT: 1}, {"base": "timeout"}),
        ({}, {CONF_LLM_BASE_URL: "http://127.0.0.1:9/v1"}, {"base": "cannot_connect"}),
    ],
)
async def test_openai_errors_stay_on_the_form_until_corrected(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    server: FakeLlmServer,
    prepare: dict[str, Any],
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    slow = prepare.pop("slow", False)
    for name, value in prepare.items():
        setattr(server, name, value)
    if slow:
        server.models = None
        server.queue(Answer({}, slow=True))
    result = await to_llm_step(hass, setup_entry)
    result = await configure(
        result["flow_id"], hass, {CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI}
    )
    # A slow answer takes the whole time limit, the form's minimum (1 s).
    result = await configure(result["flow_id"], hass, openai_input(server, **changes))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "llm_openai"
    assert result["errors"] == errors
    # What the user typed stays on the form.
    assert suggested(result)[CONF_LLM_MODEL] == " llama3 "

    server.models, server.models_status, server.models_body = ["llama3"], 200, None
    result = await configure(result["flow_id"], hass, openai_input(server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_LLM_BASE_URL] == server.base_url


async def test_unexpected_errors_are_shown_as_unknown(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    result = await to_llm_step(hass, setup_entry)
    result = await configure(
        result["flow_id"], hass, {CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI}
    )
    with patch(
        "custom_components.ha_ai.llm.openai_api.OpenAiCompatibleBackend.async_test",
        side_effect=RuntimeError("bug"),
    ):
        result = await configure(result["flow_id"], hass, openai_input(server))
    assert result["errors"] == {"base": "unknown"}


@pytest.fixture
async def agent(hass: HomeAssistant, setup_entry: MockConfigEntry) -> str:
    _, agent_id = await register_fake_agent(hass)
    return agent_id


async def test_conversation_step(
    hass: HomeAssistant, setup_entry: MockConfigEntry, agent: str
) -> None:
    result = await to_llm_step(hass, setup_entry)
    result = await configure(
        result["flow_id"], hass, {CONF_LLM_PROVIDER: LLM_PROVIDER_CONVERSATION}
    )
    assert result["step_id"] == "llm_conversation"
    assert suggested(result)[CONF_LLM_AGENT_ID] == "conversation.old"
    bounds = {CONF_LLM_TIMEOUT: 30, CONF_LLM_MAX_CALLS: 10}
    for agent_id, errors in (
        ("conversation.home_assistant", {CONF_LLM_AGENT_ID: "agent_not_llm"}),
        ("conversation.missing", {"base": "not_found"}),
        ("", {"base": "cannot_connect"}),
    ):
        result = await configure(
            result["flow_id"], hass, {CONF_LLM_AGENT_ID: agent_id, **bounds}
        )
        assert result["step_id"] == "llm_conversation"
        assert result["errors"] == errors
    result = await configure(
        result["flow_id"], hass, {CONF_LLM_AGENT_ID: agent, **bounds}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_LLM_PROVIDER] == LLM_PROVIDER_CONVERSATION
    assert setup_entry.data[CONF_LLM_AGENT_ID] == agent
    # The other provider's settings are kept.
    assert setup_entry.data[CONF_LLM_BASE_URL] == "http://old.example/v1"


async def test_ai_task_step(hass: HomeAssistant, setup_entry: MockConfigEntry) -> None:
    fake = FakeAiTask()
    hass.config.components.add("ai_task")
    hass.states.async_set("ai_task.writer", "unknown")
    with patch.dict(sys.modules, {AI_TASK_MODULE: fake}):  # type: ignore[dict-item]
        result = await to_llm_step(hass, setup_entry)
        selector = result["data_schema"].schema[CONF_LLM_PROVIDER]
        assert LLM_PROVIDER_AI_TASK in selector.config["options"]
        result = await configure(
            result["flow_id"], hass, {CONF_LLM_PROVIDER: LLM_PROVIDER_AI_TASK}
        )
        assert result["step_id"] == "llm_ai_task"
        bounds = {CONF_LLM_TIMEOUT: 60, CONF_LLM_MAX_CALLS: 3}
        result = await configure(
            result["flow_id"],
            hass,
            {CONF_LLM_AI_TASK_ENTITY: "ai_task.gone", **bounds},
        )
        assert result["errors"] == {"base": "not_found"}
        result = await configure(
            result["flow_id"],
            hass,
            {CONF_LLM_AI_TASK_ENTITY: "ai_task.writer", **bounds},
        )
        assert result["type"] is FlowResultType.ABORT
        await hass.async_block_till_done()
    assert setup_entry.data[CONF_LLM_PROVIDER] == LLM_PROVIDER_AI_TASK
    assert setup_entry.data[CONF_LLM_AI_TASK_ENTITY] == "ai_task.writer"
    assert setup_entry.data[CONF_LLM_MAX_CALLS] == 3


async def test_a_stored_provider_no_longer_offered_is_not_suggested(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        setup_entry,
        data={**setup_entry.data, CONF_LLM_PROVIDER: LLM_PROVIDER_AI_TASK},
    )
    await hass.async_block_till_done()
    result = await to_llm_step(hass, setup_entry)
    assert suggested(result) == {CONF_LLM_PROVIDER: LLM_PROVIDER_NONE}


async def test_user_flow_with_an_llm_then_the_remote_secret(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, server: FakeLlmServer
) -> None:
    flow = hass.config_entries.flow
    result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await flow.async_configure(
        result["flow_id"], {SECTION_REMOTE_DEPLOY: {CONF_REMOTE_DEPLOY: True}}
    )
    assert result["step_id"] == "llm"
    assert suggested(result) == {CONF_LLM_PROVIDER: LLM_PROVIDER_NONE}
    result = await flow.async_configure(
        result["flow_id"], {CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI}
    )
    assert suggested(result)[CONF_LLM_BASE_URL] == ""
    result = await flow.async_configure(
        result["flow_id"], openai_input(server, **{CONF_LLM_API_KEY: ""})
    )
    assert result["step_id"] == "remote_secret"
    result = await flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_LLM_PROVIDER] == LLM_PROVIDER_OPENAI
    assert result["data"][CONF_LLM_API_KEY] == ""
    assert CONF_LLM_API_KEY not in result["options"]
    assert "Authorization" not in server.requests[0][1]
    await hass.async_block_till_done()


async def test_reconfigure_flow_with_an_llm(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    flow = hass.config_entries.flow
    options = dict(setup_entry.options)
    result = await setup_entry.start_reconfigure_flow(hass)
    result = await flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "llm"
    result = await flow.async_configure(
        result["flow_id"], {CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI}
    )
    result = await flow.async_configure(result["flow_id"], openai_input(server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_LLM_MODEL] == "llama3"
    assert setup_entry.data[CONF_LLM_API_KEY] == "sk-new"
    assert setup_entry.options == options
    assert CONF_LLM_API_KEY not in setup_entry.options
