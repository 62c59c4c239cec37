"""Remote deploy over MQTT: signed, fresh, once, checked, answered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch
from uuid import uuid4

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.ha_ai.automations import deploy as automation_deploy
from custom_components.ha_ai.automations import remote_deploy, remote_replay
from custom_components.ha_ai.const import (
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.engine.automations.commands import sign_command
from custom_components.ha_ai.engine.automations.refusal_limit import RefusalLimits

from .conftest import published
from .fixtures_common import mock_hass_config  # noqa: F401
from .habit_helpers import COFFEE, add_house

# Home Assistant's own loading, kept before the test harness replaces it.
REAL_STORE_LOAD = Store._async_load
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


@pytest.fixture(autouse=True)
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    add_house(hass)
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text(USER_FILE)
    assert await async_setup_component(hass, "automation", {})


async def listed(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return every suggestion, as the get_suggestions action answers."""
    response = await hass.services.async_call(
        "ha_ai", "get_suggestions", {}, blocking=True, return_response=True
    )
    assert response is not None
    return list(response["suggestions"])  # type: ignore[arg-type]


async def remote_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> Any:
    """Return the remote deploy part of the entry's diagnostics download."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    return diagnostics["remote_deploy"]


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
    with patch(
        "custom_components.ha_ai.habits.coordinator.mine_habits",
        return_value=[COFFEE],
    ):
        await hass.services.async_call("ha_ai", "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    [suggestion] = await listed(hass)
    await send(hass, DEPLOY, command(suggestion_id=suggestion["suggestion_id"]))
    [deployed] = await listed(hass)
    assert deployed["suggestion_id"] == suggestion["suggestion_id"]
    assert deployed["status"] == "deployed"
    assert deployed["automation_id"] == "remote_coffee"
    # Unknown suggestion ids are ignored; the automation is still deployed.
    await send(
        hass,
        DEPLOY,
        command(automation_id="remote_two", suggestion_id="routine_unknown"),
    )
    assert hass.states.get("automation.coffee_at_seven_2") is not None


async def test_too_many_commands_at_once(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
) -> None:
    with patch.object(remote_deploy, "MAX_PENDING_COMMANDS", 0):
        await send(hass, DEPLOY, command())
    [(outcome, response)] = responses(mqtt_mock)
    assert outcome == "failed"
    assert response["reason"] == "busy"
    remote = await remote_diagnostics(hass, hass_client, setup_entry)
    assert remote["refused"] == 1


@pytest.mark.parametrize("entry_options", [dict(DEFAULT_OPTIONS)])
async def test_off_by_default(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
) -> None:
    assert await remote_diagnostics(hass, hass_client, setup_entry) is None
    await send(hass, DEPLOY, command())
    assert responses(mqtt_mock) == []
    assert hass.states.get("automation.coffee_at_seven") is None


# Issue 10: replays across reloads and restarts, lone surrogates, refusals that
# name their command, and floods of refusals.


async def test_replayed_command_after_reload_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    sent = command()
    await send(hass, DEPLOY, sent)
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    mqtt_mock.async_publish.reset_mock()
    await send(hass, DEPLOY, sent)
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "replayed")
    assert response["command_event_id"] == sent["event_id"]


async def test_accepted_commands_are_saved_without_a_stop(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A restart that never unloads HA AI still finds the record on disk."""
    sent = command()
    await send(hass, DEPLOY, sent)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await hass.async_block_till_done()
    accepted = hass_storage[remote_replay.STORE_KEY]["data"]["accepted"]
    assert list(accepted) == [sent["event_id"]]


@pytest.fixture
def stored_record(hass_storage: dict[str, Any]) -> dict[str, Any]:
    """The record a previous run of Home Assistant left, with one accepted command."""
    sent = command()
    issued = dt_util.parse_datetime(sent["timestamp"])
    assert issued is not None
    hass_storage[remote_replay.STORE_KEY] = {
        "version": remote_replay.STORE_VERSION,
        "key": remote_replay.STORE_KEY,
        "data": {
            "accepted": {
                sent["event_id"]: [
                    issued.isoformat(),
                    (issued + timedelta(seconds=sent["ttl"])).isoformat(),
                ]
            },
            "distrust": None,
        },
    }
    return sent


async def test_replayed_command_after_a_restart_is_refused(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    stored_record: dict[str, Any],
    setup_entry: MockConfigEntry,
) -> None:
    await send(hass, DEPLOY, stored_record)
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "replayed")
    assert hass.states.get("automation.coffee_at_seven") is None


@pytest.mark.parametrize(
    "stored",
    [
        {"version": 1, "key": remote_replay.STORE_KEY, "data": ["not", "a", "record"]},
        {"version": 1, "key": remote_replay.STORE_KEY, "data": {"accepted": {"a": 1}}},
        {"version": 7, "key": remote_replay.STORE_KEY, "data": {}},
        {"key": remote_replay.STORE_KEY},
    ],
    ids=["wrong_type", "wrong_field", "unknown_version", "no_data"],
)
async def test_a_damaged_replay_record_refuses_commands_issued_before(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    freezer: Any,
    stored: dict[str, Any],
) -> None:
    hass_storage[remote_replay.STORE_KEY] = stored
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert "record of accepted remote deploy commands" in caplog.text
    sent = command()
    await send(hass, DEPLOY, sent)
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "replay_unknown")
    assert response["command_event_id"] == sent["event_id"]
    remote = await remote_diagnostics(hass, hass_client, config_entry)
    assert remote["refusing_commands_issued_until"] is not None
    # Once every command that could be a replay has a timestamp too old to use,
    # new commands are accepted again.
    freezer.tick(timedelta(minutes=6))
    mqtt_mock.async_publish.reset_mock()
    await send(hass, DEPLOY, command())
    [(outcome, _)] = responses(mqtt_mock)
    assert outcome == "executed"


async def test_an_undecodable_replay_record_is_not_taken_for_an_empty_one(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    # Home Assistant's Store sets an undecodable file aside and loads nothing.
    storage = tmp_path / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / remote_replay.STORE_KEY).write_text("{not json")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await send(hass, DEPLOY, command())
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "replay_unknown")


async def test_removing_the_entry_removes_the_replay_record(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await send(hass, DEPLOY, command())
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert remote_replay.STORE_KEY in hass_storage
    await hass.config_entries.async_remove(setup_entry.entry_id)
    assert remote_replay.STORE_KEY not in hass_storage


def _json_with_escapes(payload: dict[str, Any]) -> str:
    """JSON as a sender writes it: a lone surrogate becomes a `\\ud800` escape."""
    return json.dumps(payload)


@pytest.mark.parametrize(
    ("fields", "names_the_event"),
    [
        ({"event_id": "evt-\ud800"}, False),
        ({"automation": {**AUTOMATION, "alias": "\ud800"}}, True),
        (
            {"automation": {**AUTOMATION, "actions": [{"data": {"a": ["\udfff"]}}]}},
            True,
        ),
        ({"automation": {**AUTOMATION, "\ud800": 1}}, True),
    ],
    ids=["event_id", "alias", "nested_value", "key"],
)
async def test_lone_surrogate_in_a_command_is_answered(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    tmp_path: Path,
    fields: dict[str, Any],
    names_the_event: bool,
) -> None:
    payload = {
        "event_id": "evt-1",
        "timestamp": dt_util.utcnow().isoformat(),
        "ttl": 30,
        "automation_id": "remote_coffee",
        "automation": AUTOMATION,
        "signature": "0" * 64,
        **fields,
    }
    await send(hass, DEPLOY, _json_with_escapes(payload))
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "invalid")
    assert "not Unicode" in response["error"]
    assert response["command_event_id"] == ("evt-1" if names_the_event else None)
    assert (tmp_path / "automations.yaml").read_text() == USER_FILE


async def test_refusals_of_signed_commands_name_the_command(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    sent = command(automation_id="mine")
    await send(hass, DEPLOY, sent)
    removal = command(automation_id="mine", automation=None)
    await send(hass, REMOVE, removal)
    unknown = command(
        automation={
            **AUTOMATION,
            "actions": [
                {"action": "light.turn_on", "target": {"entity_id": "light.x"}}
            ],
        }
    )
    await send(hass, DEPLOY, unknown)
    assert [(r["reason"], r["command_event_id"]) for _, r in responses(mqtt_mock)] == [
        ("exists", sent["event_id"]),
        ("not_ours", removal["event_id"]),
        ("unknown_entity", unknown["event_id"]),
    ]


async def test_an_unexpected_error_is_logged_and_answered(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch.object(remote_deploy, "parse_command", side_effect=RuntimeError("bug")):
        await send(hass, DEPLOY, command())
    sent = command()
    with patch.object(
        setup_entry.runtime_data.deployer,
        "async_deploy",
        side_effect=OSError("disk full"),
    ):
        await send(hass, DEPLOY, sent)
    assert [(r["reason"], r["command_event_id"]) for _, r in responses(mqtt_mock)] == [
        ("internal_error", None),
        ("internal_error", sent["event_id"]),
    ]
    assert "Handling a remote command" in caplog.text
    assert "disk full" in caplog.text


async def test_a_flood_of_unsigned_commands_is_answered_with_a_bounded_number_of_messages_and_a_summary(  # noqa: E501
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # No refill during the test, however slow the machine.
    limits = RefusalLimits(burst=10, per_minute=1e-9)
    with patch.object(remote_deploy, "REFUSAL_LIMITS", limits):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    setup_entry = config_entry
    unsigned = {k: v for k, v in command().items() if k != "signature"}
    text = json.dumps(unsigned)
    for _ in range(2_000):
        async_fire_mqtt_message(hass, DEPLOY, text)
    async_fire_mqtt_message(hass, DEPLOY, "{not json")
    await hass.async_block_till_done(wait_background_tasks=True)
    burst = limits.burst
    answers = responses(mqtt_mock)
    assert [r["reason"] for _, r in answers] == ["unsigned"] * burst + ["invalid_json"]
    assert caplog.text.count("Refused a command") == burst + 1
    diagnostics = await remote_diagnostics(hass, hass_client, setup_entry)
    assert diagnostics["refused"] == 2_001
    assert diagnostics["refusals_answered"] == burst + 1
    assert diagnostics["refusals_not_answered_by_reason"] == {"unsigned": 2_000 - burst}

    mqtt_mock.async_publish.reset_mock()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done()
    [(outcome, summary)] = responses(mqtt_mock)
    assert outcome == "failed"
    assert summary["reason"] == "rate_limited"
    assert summary["refused"] == 2_000 - burst
    assert summary["refused_by_reason"] == {"unsigned": 2_000 - burst}
    assert summary["command_event_id"] is None
    assert "someone may be flooding" in caplog.text
    # Quiet again: no further summary.
    mqtt_mock.async_publish.reset_mock()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=200))
    await hass.async_block_till_done()
    assert responses(mqtt_mock) == []


async def test_held_back_refusals_are_summarised_on_unload(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for _ in range(RefusalLimits().burst + 3):
        async_fire_mqtt_message(hass, DEPLOY, "[]")
    await hass.async_block_till_done()
    assert "Refused 3 more" not in caplog.text
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert "Refused 3 more remote commands without answering each" in caplog.text


async def test_deploy_and_remove_cannot_take_over_a_configuration_yaml_automation(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
        "automation manual:\n"
        "  - id: front_door\n"
        "    alias: Front door\n"
        "    triggers: [{trigger: homeassistant, event: start}]\n"
        "    actions: []\n"
    )
    await hass.services.async_call("automation", "reload", blocking=True)
    assert hass.states.get("automation.front_door") is not None
    deploy = command(automation_id="front_door")
    await send(hass, DEPLOY, deploy)
    removal = command(automation_id="front_door", automation=None)
    await send(hass, REMOVE, removal)
    assert [(r["reason"], r["command_event_id"]) for _, r in responses(mqtt_mock)] == [
        ("exists", deploy["event_id"]),
        ("not_ours", removal["event_id"]),
    ]
    assert hass.states.get("automation.front_door") is not None
    assert (tmp_path / "automations.yaml").read_text() == USER_FILE


@pytest.fixture
def no_refill() -> Iterator[RefusalLimits]:
    """A burst of refusal answers that does not refill while the test runs."""
    limits = RefusalLimits(burst=3, per_minute=1e-9)
    with patch.object(remote_deploy, "REFUSAL_LIMITS", limits):
        yield limits


async def test_a_flood_that_triggers_an_unexpected_error_is_bounded_too(
    no_refill: RefusalLimits,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch.object(remote_deploy, "parse_command", side_effect=RuntimeError("bug")):
        for _ in range(50):
            async_fire_mqtt_message(hass, DEPLOY, "{}")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert [r["reason"] for _, r in responses(mqtt_mock)] == ["internal_error"] * 3
    assert caplog.text.count("Handling a remote command") == 3
    remote = await remote_diagnostics(hass, hass_client, setup_entry)
    assert remote["refusals_not_answered_by_reason"] == {"internal_error": 47}


# Issue 10 point 17: the ownership record and the replay record load through
# `store_loading` like every other store: a damaged entry is dropped and counted,
# a record that cannot be read is set aside with a repair issue, and each falls
# back to its own safe side while the rest of HA AI runs.

DEPLOYMENTS = automation_deploy.STORE_KEY


def _damage(
    hass: HomeAssistant, hass_storage: dict[str, Any], key: str, data: object
) -> Path:
    """Leave a store as damage could, in the harness and on disk; return the file."""
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}
    path = Path(hass.config.path(".storage", key))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(hass_storage[key]))
    return path


async def _stores_in_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    stores: dict[str, Any] = diagnostics["stores"]
    return stores


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    if entry.state is ConfigEntryState.NOT_LOADED and entry.entry_id not in [
        known.entry_id for known in hass.config_entries.async_entries(DOMAIN)
    ]:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_an_unreadable_ownership_record_is_set_aside_and_no_automation_is_taken_over(  # noqa: E501
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _set_up(hass, config_entry)
    await send(hass, DEPLOY, command())
    assert responses(mqtt_mock)[0][0] == "executed"
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    written = (tmp_path / "automations.yaml").read_text()
    path = _damage(hass, hass_storage, DEPLOYMENTS, ["remote_coffee"])
    original = path.read_bytes()

    await _set_up(hass, config_entry)
    [copy] = path.parent.glob(f"{DEPLOYMENTS}.corrupt-*")
    assert copy.read_bytes() == original
    found = ir.async_get(hass).async_get_issue(
        DOMAIN, f"deployments_set_aside_{DEPLOYMENTS}"
    )
    assert found is not None
    assert found.translation_key == "deployments_set_aside"
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["copy"] == str(copy)
    assert "treats every automation as yours" in caplog.text
    stores = await _stores_in_diagnostics(hass, hass_client, config_entry)
    assert stores[DEPLOYMENTS]["outcome"] == "set aside"
    # The automation HA AI wrote is the user's now: never replaced nor removed.
    mqtt_mock.async_publish.reset_mock()
    await send(hass, REMOVE, command(automation=None))
    await send(hass, DEPLOY, command())
    assert [
        (outcome, response["reason"]) for outcome, response in responses(mqtt_mock)
    ] == [("failed", "not_ours"), ("failed", "exists")]
    assert (tmp_path / "automations.yaml").read_text() == written
    # The rest of HA AI runs: a new automation is deployed and recorded again.
    mqtt_mock.async_publish.reset_mock()
    await send(hass, DEPLOY, command(automation_id="remote_tea"))
    [(outcome, _)] = responses(mqtt_mock)
    assert outcome == "executed"
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert list(hass_storage[DEPLOYMENTS]["data"]["deployed"]) == ["remote_tea"]


async def test_a_wrong_typed_ownership_entry_is_dropped_counted_and_named(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = {"source": "remote", "suggestion_id": None, "deployed_at": None}
    _damage(
        hass,
        hass_storage,
        DEPLOYMENTS,
        {"deployed": {"kept": good, "bad_source": {**good, "source": 7}}},
    )
    await _set_up(hass, config_entry)
    stores = await _stores_in_diagnostics(hass, hass_client, config_entry)
    assert stores[DEPLOYMENTS]["outcome"] == "loaded"
    assert stores[DEPLOYMENTS]["dropped_records"] == 1
    [named] = [
        record
        for record in caplog.records
        if "entries it cannot read" in record.getMessage()
    ]
    assert named.levelname == "ERROR"
    assert "bad_source" in named.getMessage()
    deployer = config_entry.runtime_data.deployer
    assert deployer.deployed_by_ha_ai("kept")
    assert not deployer.deployed_by_ha_ai("bad_source")


@pytest.mark.parametrize(
    "data",
    [["not", "a", "record"], {"accepted": "all of them"}],
    ids=["not_an_object", "section_of_wrong_type"],
)
async def test_an_unreadable_replay_record_is_set_aside_with_a_repair_and_replays_refused(  # noqa: E501
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    freezer: Any,
    data: object,
) -> None:
    path = _damage(hass, hass_storage, remote_replay.STORE_KEY, data)
    original = path.read_bytes()
    await _set_up(hass, config_entry)
    [copy] = path.parent.glob(f"{remote_replay.STORE_KEY}.corrupt-*")
    assert copy.read_bytes() == original
    found = ir.async_get(hass).async_get_issue(
        DOMAIN, f"remote_commands_set_aside_{remote_replay.STORE_KEY}"
    )
    assert found is not None
    assert found.translation_key == "remote_commands_set_aside"
    stores = await _stores_in_diagnostics(hass, hass_client, config_entry)
    assert stores[remote_replay.STORE_KEY]["outcome"] == "set aside"
    await send(hass, DEPLOY, command())
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "replay_unknown")
    # HA AI runs: once those commands have expired, new ones are carried out,
    # and the record is written again (its copy is safe aside).
    freezer.tick(timedelta(minutes=6))
    mqtt_mock.async_publish.reset_mock()
    sent = command()
    await send(hass, DEPLOY, sent)
    [(outcome, _)] = responses(mqtt_mock)
    assert outcome == "executed"
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    stored = hass_storage[remote_replay.STORE_KEY]["data"]
    assert list(stored["accepted"]) == [sent["event_id"]]


async def test_a_wrong_typed_replay_entry_is_dropped_counted_and_distrusted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    stored_record: dict[str, Any],
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    accepted = hass_storage[remote_replay.STORE_KEY]["data"]["accepted"]
    accepted["forgotten"] = "not two times"
    await _set_up(hass, config_entry)
    stores = await _stores_in_diagnostics(hass, hass_client, config_entry)
    assert stores[remote_replay.STORE_KEY]["dropped_records"] == 1
    # What the dropped entry was is unknown: every earlier command is refused.
    await send(hass, DEPLOY, command())
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "replay_unknown")


async def test_a_replay_record_that_cannot_be_copied_aside_is_left_and_replays_refused(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    # Only in the harness, not on disk: nothing to copy, so nothing is written.
    damaged = {"version": 1, "key": remote_replay.STORE_KEY, "data": [1]}
    hass_storage[remote_replay.STORE_KEY] = damaged
    await _set_up(hass, config_entry)
    found = ir.async_get(hass).async_get_issue(
        DOMAIN, f"remote_commands_left_in_place_{remote_replay.STORE_KEY}"
    )
    assert found is not None
    await send(hass, DEPLOY, command())
    [(outcome, response)] = responses(mqtt_mock)
    assert (outcome, response["reason"]) == ("failed", "replay_unknown")
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert hass_storage[remote_replay.STORE_KEY] == damaged


async def test_an_undecodable_ownership_record_gets_its_own_repair(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    # Home Assistant's own loading: it renames the file and raises its repair;
    # HA AI's repair says what losing this record means.
    storage = tmp_path / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / DEPLOYMENTS).write_text("{not json")
    with patch.object(Store, "_async_load", REAL_STORE_LOAD):
        await _set_up(hass, config_entry)
    found = ir.async_get(hass).async_get_issue(
        DOMAIN, f"deployments_set_aside_{DEPLOYMENTS}"
    )
    assert found is not None
    assert found.translation_placeholders is not None
    assert ".corrupt." in found.translation_placeholders["copy"]
    assert found.translation_placeholders["reason"] == "it was not valid JSON"
