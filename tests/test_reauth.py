"""Reauthentication: a refused LLM key asks the user for a new one, and only that.

The key is the only credential HA AI holds. When the OpenAI-compatible server
refuses it during an analysis, the entry starts Home Assistant's reauthentication
(once, however many calls were refused); its form asks for the key alone, tests
it as set-up does, and saves it into the entry's data, which reloads HA AI.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from http import HTTPStatus
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_NAME, MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ha_ai.const import (
    CONF_LLM_AGENT_ID,
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_MAX_CALLS,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_LLM_TIMEOUT,
    DEFAULT_OPTIONS,
    DOMAIN,
    LLM_PROVIDER_CONVERSATION,
    LLM_PROVIDER_NONE,
    LLM_PROVIDER_OPENAI,
)
from custom_components.ha_ai.engine.habits.model import Pattern

from .fixtures_common import no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, MORNING, add_house
from .llm_fakes import Answer, FakeLlmServer, register_fake_agent, run_fake_server

MINE = "custom_components.ha_ai.habits.coordinator.mine_habits"
# Since 2025.5 Home Assistant ends an entry's reauthentication when the entry
# reloads; 2025.4 keeps the flow, which then ends itself.
RELOAD_ENDS_REAUTH = (MAJOR_VERSION, MINOR_VERSION) >= (2025, 5)
CLOSED_PORT_URL = "http://127.0.0.1:9/v1"


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[FakeLlmServer]:
    async with run_fake_server() as server:
        yield server


@pytest.fixture
def base_url(server: FakeLlmServer) -> str:
    return server.base_url


@pytest.fixture
def api_key() -> str:
    return "sk-old"


@pytest.fixture
def entry_options(base_url: str, api_key: str) -> dict[str, Any]:
    return {
        **DEFAULT_OPTIONS,
        CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI,
        CONF_LLM_BASE_URL: base_url,
        CONF_LLM_API_KEY: api_key,
        CONF_LLM_MODEL: "llama3",
    }


@pytest.fixture(autouse=True)
def house(hass: HomeAssistant) -> None:
    add_house(hass)


async def analyse(hass: HomeAssistant, *patterns: Pattern) -> None:
    """Run an analysis that finds these habits; new suggestions ask the LLM."""
    with patch(MINE, return_value=list(patterns)):
        await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[Any]:
    return list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


def reauth_notice(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the notice Home Assistant shows while the entry needs a new key."""
    return ir.async_get(hass).async_get_issue(
        "homeassistant", f"config_entry_reauth_{DOMAIN}_{entry.entry_id}"
    )


def chat_keys(server: FakeLlmServer) -> list[str | None]:
    return [
        headers.get("Authorization")
        for kind, headers, _ in server.requests
        if kind == "chat"
    ]


@pytest.mark.parametrize("status", [HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN])
async def test_a_refused_key_starts_one_reauthentication(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    server: FakeLlmServer,
    status: HTTPStatus,
) -> None:
    server.queue(*[Answer({"error": "invalid api key"}, status=status)] * 2)
    await analyse(hass, MORNING)
    assert chat_keys(server) == ["Bearer sk-old"]

    (flow,) = reauth_flows(hass, setup_entry)
    assert flow["step_id"] == "reauth_confirm"
    assert flow["context"]["entry_id"] == setup_entry.entry_id
    assert reauth_notice(hass, setup_entry) is not None
    # The entry keeps running with its old key until the user gives a new one.
    assert setup_entry.state is ConfigEntryState.LOADED
    assert setup_entry.data[CONF_LLM_API_KEY] == "sk-old"

    # Refused again in the next analysis: still the one flow.
    await analyse(hass, COFFEE)
    assert chat_keys(server) == ["Bearer sk-old"] * 2
    assert [other["flow_id"] for other in reauth_flows(hass, setup_entry)] == [
        flow["flow_id"]
    ]


@pytest.mark.parametrize("api_key", [""])
async def test_a_keyless_server_that_starts_refusing_asks_for_a_key(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    server.queue(Answer({"error": "key required"}, status=HTTPStatus.UNAUTHORIZED))
    await analyse(hass, MORNING)
    assert chat_keys(server) == [None]
    assert len(reauth_flows(hass, setup_entry)) == 1


async def test_other_server_errors_start_no_reauthentication(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    server.queue(Answer({"error": "overloaded"}, status=HTTPStatus.BAD_GATEWAY))
    await analyse(hass, MORNING)
    assert chat_keys(server) == ["Bearer sk-old"]
    assert not reauth_flows(hass, setup_entry)
    assert reauth_notice(hass, setup_entry) is None


async def test_a_conversation_agent_never_starts_one(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    """An agent holds its own credentials: its failures ask HA AI for no key."""
    fake, agent_id = await register_fake_agent(hass)
    result = await setup_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LLM_PROVIDER: LLM_PROVIDER_CONVERSATION}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_LLM_AGENT_ID: agent_id, CONF_LLM_TIMEOUT: 10, CONF_LLM_MAX_CALLS: 5},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    fake.answers = [HomeAssistantError("401 Unauthorized: invalid api key")] * 2

    await analyse(hass, MORNING, COFFEE)
    assert len(fake.inputs) == 3  # the settings test, then both suggestions
    assert not reauth_flows(hass, setup_entry)
    assert reauth_notice(hass, setup_entry) is None


async def test_the_form_asks_for_the_key_alone(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    result = await setup_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {}
    assert list(result["data_schema"].schema) == [CONF_LLM_API_KEY]
    assert result["description_placeholders"] == {
        "url": server.base_url,
        "model": "llama3",
        CONF_NAME: "HA AI",
    }


async def test_a_wrong_key_shows_invalid_auth_and_a_good_one_is_saved(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    data_before = dict(setup_entry.data)
    result = await setup_entry.start_reauth_flow(hass)

    server.models_status = HTTPStatus.UNAUTHORIZED
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LLM_API_KEY: "sk-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert setup_entry.data == data_before
    # The key being tried starts no second flow of its own.
    assert len(reauth_flows(hass, setup_entry)) == 1

    server.models_status = HTTPStatus.OK
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LLM_API_KEY: " sk-new "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert setup_entry.data == {**data_before, CONF_LLM_API_KEY: "sk-new"}
    assert [headers.get("Authorization") for kind, headers, _ in server.requests] == [
        "Bearer sk-wrong",
        "Bearer sk-new",
    ]
    assert not reauth_flows(hass, setup_entry)

    # HA AI reloaded: the next analysis asks with the new key.
    assert setup_entry.state is ConfigEntryState.LOADED
    await analyse(hass, MORNING)
    assert chat_keys(server) == ["Bearer sk-new"]


async def test_the_flow_a_refused_key_started_ends_with_the_new_key(
    hass: HomeAssistant, setup_entry: MockConfigEntry, server: FakeLlmServer
) -> None:
    server.queue(Answer({"error": "invalid api key"}, status=HTTPStatus.UNAUTHORIZED))
    await analyse(hass, MORNING)
    (flow,) = reauth_flows(hass, setup_entry)

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_LLM_API_KEY: "sk-new"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_LLM_API_KEY] == "sk-new"
    # Home Assistant's notice goes with the flow.
    assert reauth_notice(hass, setup_entry) is None


@pytest.mark.parametrize("base_url", [CLOSED_PORT_URL])
async def test_an_unreachable_server_shows_cannot_connect(
    hass: HomeAssistant, setup_entry: MockConfigEntry, socket_enabled: None
) -> None:
    result = await setup_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LLM_API_KEY: "sk-new"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert setup_entry.data[CONF_LLM_API_KEY] == "sk-old"


async def test_a_reconfigure_to_a_keyless_model_meanwhile_ends_the_flow(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    reauth = await setup_entry.start_reauth_flow(hass)
    result = await setup_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LLM_PROVIDER: LLM_PROVIDER_NONE}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    if RELOAD_ENDS_REAUTH:
        assert not reauth_flows(hass, setup_entry)
    else:
        result = await hass.config_entries.flow.async_configure(
            reauth["flow_id"], {CONF_LLM_API_KEY: "sk-new"}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "llm_key_not_used"
    assert setup_entry.data[CONF_LLM_API_KEY] == "sk-old"


async def test_only_an_administrator_can_give_the_key(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_read_only_access_token: str,
) -> None:
    assert await async_setup_component(hass, "config", {})
    result = await setup_entry.start_reauth_flow(hass)
    client = await hass_client(hass_read_only_access_token)
    response = await client.post(
        f"/api/config/config_entries/flow/{result['flow_id']}",
        json={CONF_LLM_API_KEY: "sk-new"},
    )
    assert response.status == HTTPStatus.UNAUTHORIZED
    assert setup_entry.data[CONF_LLM_API_KEY] == "sk-old"
