"""Remote deploy over MQTT: signed, fresh, once, checked, answered."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch
from uuid import uuid4

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai import remote_deploy
from custom_components.ha_ai.const import (
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
)
from custom_components.ha_ai.engine.automations.commands import sign_command

from .conftest import published
from .habit_helpers import COFFEE, add_house

SECRET = "a-shared-secret-of-the-options"  # noqa: S105 - a test secret
DEPLOY = "ha-ai/commands/automation/deploy"
REMOVE = "ha-ai/commands/automation/remove"
USER_FILE = "- id: mine\n  alias: Mine\n  triggers: []\n  actions: []\n"
AUTOMATION = {
    "alias": "Coffee at seven",
    "triggers": [{"trigger": "time", "at": "07:00:00"}],
    "actions": [{"action": "switch.turn_on", "target": {"entity_id": "switch.coffee"}}],
}


def command(secret: str = SECRET, **fields: Any) -> dict[str, Any]:
    payload = {
        "event_id": uuid4().hex,
        "timestamp": dt_util.utcnow().isoformat(),
        "ttl": 30,
        "automation_id": "remote_coffee",
        "automation": AUTOMATION,
        **fields,
    }
    # A field given as None is left out (a remove command has no automation).
    return sign_command(
        {key: value for key, value in payload.items() if value is not None}, secret
    )


def responses(mqtt_mock: MqttMockHAClient) -> list[tuple[str, dict[str, Any]]]:
    return [
        (topic.rsplit("/", 1)[1], payload)
        for topic, payload, _, _ in published(mqtt_mock, "ha-ai/responses/")
    ]


async def send(hass: HomeAssistant, topic: str, payload: dict[str, Any] | str) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    async_fire_mqtt_message(hass, topic, text)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    return {**DEFAULT_OPTIONS, CONF_REMOTE_DEPLOY: True, CONF_REMOTE_SECRET: SECRET}


@pytest.fixture
def mock_hass_config() -> None:
    """Let reloads read the test's own configuration.yaml (it includes automations)."""


@pytest.fixture(autouse=True)
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    add_house(hass)
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text(USER_FILE)
    assert await async_setup_component(hass, "automation", {})


async def test_a_signed_deploy_and_remove(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    sent = command()
    await send(hass, DEPLOY, sent)
    [(outcome, response)] = responses(mqtt_mock)
    assert outcome == "executed"
    assert response["automation_id"] == "remote_coffee"
    assert response["command_event_id"] == sent["event_id"]
    assert response["success"] is True
    assert response["error"] is None
    assert response["execution_time_ms"] > 0
    assert hass.states.get("automation.coffee_at_seven") is not None
    assert (tmp_path / "automations.yaml").read_text().startswith(USER_FILE)

    mqtt_mock.async_publish.reset_mock()
    await send(hass, REMOVE, command(automation=None))
    [(outcome, response)] = responses(mqtt_mock)
    assert outcome == "executed"
    assert (tmp_path / "automations.yaml").read_text() == USER_FILE
    assert hass.states.get("automation.coffee_at_seven") is None


async def test_the_automation_may_be_yaml_text(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    text = (
        "alias: Coffee by YAML\n"
        "triggers:\n  - trigger: time\n    at: '07:30:00'\n"
        "actions:\n  - action: switch.turn_on\n"
        "    target: {entity_id: switch.coffee}\n"
    )
    await send(hass, DEPLOY, command(automation=text))
    [(outcome, _)] = responses(mqtt_mock)
    assert outcome == "executed"
    assert hass.states.get("automation.coffee_by_yaml") is not None


def _tampered() -> dict[str, Any]:
    signed = command()
    signed["automation_id"] = "other"
    return signed


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (lambda: {k: v for k, v in command().items() if k != "signature"}, "unsigned"),
        (lambda: command(secret="not-the-secret"), "bad_signature"),  # noqa: S106
        (_tampered, "bad_signature"),
        (
            lambda: command(
                timestamp=(dt_util.utcnow() - timedelta(minutes=5)).isoformat()
            ),
            "expired",
        ),
        (lambda: "{not json", "invalid_json"),
        (lambda: command(padding="x" * 70_000), "oversized"),
        (lambda: command(automation_id="bad id/with slash"), "invalid"),
    ],
)
async def test_bad_commands_are_refused_with_the_reason(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    tmp_path: Path,
    payload: Any,
    reason: str,
) -> None:
    await send(hass, DEPLOY, payload())
    [(outcome, response)] = responses(mqtt_mock)
    assert outcome == "failed"
    assert response["reason"] == reason
    assert response["success"] is False
    assert response["error"]
    assert (tmp_path / "automations.yaml").read_text() == USER_FILE


async def test_a_replayed_command_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    sent = command()
    await send(hass, DEPLOY, sent)
    await send(hass, DEPLOY, sent)
    assert [(o, r.get("reason")) for o, r in responses(mqtt_mock)] == [
        ("executed", None),
        ("failed", "replayed"),
    ]


@pytest.mark.parametrize(
    ("fields", "reason", "words"),
    [
        (
            {
                "automation": {
                    **AUTOMATION,
                    "actions": [
                        {"action": "lock.unlock", "target": {"entity_id": "lock.front"}}
                    ],
                }
            },
            "refused",
            "lock.unlock",
        ),
        (
            {
                "automation": {
                    **AUTOMATION,
                    "actions": [{"action": "shell_command.wipe"}],
                }
            },
            "refused",
            "shell_command.wipe",
        ),
        ({"automation": {"alias": "No triggers"}}, "invalid", "does not accept"),
        (
            {
                "automation": {
                    **AUTOMATION,
                    "actions": [
                        {"action": "light.turn_on", "target": {"entity_id": "light.x"}}
                    ],
                }
            },
            "unknown_entity",
            "light.x",
        ),
        ({"automation_id": "mine"}, "exists", "does not overwrite"),
    ],
)
async def test_valid_commands_still_pass_every_check(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    tmp_path: Path,
    fields: dict[str, Any],
    reason: str,
    words: str,
) -> None:
    await send(hass, DEPLOY, command(**fields))
    [(outcome, response)] = responses(mqtt_mock)
    assert outcome == "failed"
    assert response["reason"] == reason
    assert words in response["error"]
    assert (tmp_path / "automations.yaml").read_text() == USER_FILE


async def test_only_ha_ai_automations_can_be_removed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    await send(hass, REMOVE, command(automation_id="mine", automation=None))
    [(outcome, response)] = responses(mqtt_mock)
    assert outcome == "failed"
    assert response["reason"] == "not_ours"


async def test_a_deployed_suggestion_is_marked(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    suggestions = setup_entry.runtime_data.suggestions
    with patch(
        "custom_components.ha_ai.habit_analysis.mine_habits",
        return_value=[COFFEE],
    ):
        await hass.services.async_call("ha_ai", "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    [suggestion] = suggestions.query()
    await send(hass, DEPLOY, command(suggestion_id=suggestion.suggestion_id))
    deployed = suggestions.book.get(suggestion.suggestion_id)
    assert deployed is not None
    assert str(deployed.status) == "deployed"
    assert deployed.automation_id == "remote_coffee"
    # Unknown suggestion ids are ignored; the automation is still deployed.
    await send(
        hass,
        DEPLOY,
        command(automation_id="remote_two", suggestion_id="routine_unknown"),
    )
    assert hass.states.get("automation.coffee_at_seven_2") is not None


async def test_too_many_commands_at_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch.object(remote_deploy, "MAX_PENDING_COMMANDS", 0):
        await send(hass, DEPLOY, command())
    [(outcome, response)] = responses(mqtt_mock)
    assert outcome == "failed"
    assert response["reason"] == "busy"
    diagnostics = setup_entry.runtime_data.remote
    assert diagnostics is not None
    assert diagnostics.as_diagnostics()["refused"] == 1


@pytest.mark.parametrize("entry_options", [dict(DEFAULT_OPTIONS)])
async def test_off_by_default(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert setup_entry.runtime_data.remote is None
    await send(hass, DEPLOY, command())
    assert responses(mqtt_mock) == []
    assert hass.states.get("automation.coffee_at_seven") is None
