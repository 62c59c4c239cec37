"""Config, options and reconfigure flows, every step, error and abort."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntriesFlowManager,
    OptionsFlowManager,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.ha_ai.const import (
    CONF_ALLOWED_SERVICES,
    CONF_ANALYSIS_TIME,
    CONF_ANNOUNCE_FORMING_ROUTINES,
    CONF_BATTERY_THRESHOLD,
    CONF_CAMERA_FORGET_DAYS,
    CONF_CAMERA_QUIET_MINUTES,
    CONF_CAMERA_TOPIC_PREFIX,
    CONF_EXCLUDED_AREAS,
    CONF_EXCLUDED_DOMAINS,
    CONF_EXCLUDED_ENTITIES,
    CONF_HISTORY_DAYS,
    CONF_LAST_SEEN_STALE_HOURS,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_LLM_TIMEOUT,
    CONF_MAX_SUGGESTIONS,
    CONF_MESSAGE_TTL,
    CONF_NAMESPACE_PREFIX,
    CONF_NEW_REMOTE_SECRET,
    CONF_NOTIFY_SUGGESTIONS,
    CONF_OVERRIDE_WINDOW_MINUTES,
    CONF_PAIR_DELAY_SECONDS,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    CONF_SENSITIVE_SERVICES_ALLOWED,
    CONF_STALE_AFTER_DAYS,
    CONF_SUGGESTION_EXPIRY_DAYS,
    CONF_UNAVAILABLE_MINUTES,
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    DEFAULT_OPTIONS,
    DEFAULT_PAIR_DELAY_SECONDS,
    DOMAIN,
    LLM_PROVIDER_NONE,
    SECTION_AUTOMATION_SAFETY,
    SECTION_CAMERAS,
    SECTION_DELIVERY,
    SECTION_DEVICE_ANOMALIES,
    SECTION_HABIT_MINING,
    SECTION_REMOTE_DEPLOY,
    SECTION_SUGGESTIONS,
    SERVICE_PUBLISH_EVENT,
    TOPIC_PREFIX_FIELDS,
)
from custom_components.ha_ai.engine.automations.safety import DEFAULT_ALLOWED_SERVICES
from custom_components.ha_ai.engine.habits.model import LOGGED_DOMAINS
from custom_components.ha_ai.entry_settings import split_settings

from .conftest import published, set_mqtt_connected

USER_INPUT = {
    CONF_ZIGBEE2MQTT_BASE_TOPIC: "home/zigbee",
    CONF_NAMESPACE_PREFIX: "house-ai",
    CONF_CAMERA_TOPIC_PREFIX: "cams",
    SECTION_DELIVERY: {CONF_QOS: "2", CONF_MESSAGE_TTL: 60, CONF_QUEUE_SIZE: 50},
    SECTION_DEVICE_ANOMALIES: {
        CONF_UNAVAILABLE_MINUTES: 30,
        CONF_BATTERY_THRESHOLD: 20,
        CONF_LAST_SEEN_STALE_HOURS: 48.0,
    },
    SECTION_HABIT_MINING: {
        CONF_ANALYSIS_TIME: "06:30:00",
        CONF_HISTORY_DAYS: 30,
        CONF_PAIR_DELAY_SECONDS: 300.0,
        CONF_EXCLUDED_ENTITIES: ["light.secret", "light.attic"],
        CONF_EXCLUDED_AREAS: [],
        CONF_EXCLUDED_DOMAINS: ["media_player"],
        CONF_ANNOUNCE_FORMING_ROUTINES: False,
    },
    SECTION_SUGGESTIONS: {
        CONF_MAX_SUGGESTIONS: 20,
        CONF_SUGGESTION_EXPIRY_DAYS: 10,
        CONF_NOTIFY_SUGGESTIONS: False,
        CONF_OVERRIDE_WINDOW_MINUTES: 5,
        CONF_STALE_AFTER_DAYS: 30,
    },
    SECTION_AUTOMATION_SAFETY: {
        CONF_ALLOWED_SERVICES: ["light.*", " Switch.Turn_On "],
        CONF_SENSITIVE_SERVICES_ALLOWED: ["lock.unlock"],
    },
    SECTION_REMOTE_DEPLOY: {CONF_REMOTE_DEPLOY: False, CONF_NEW_REMOTE_SECRET: False},
    SECTION_CAMERAS: {CONF_CAMERA_QUIET_MINUTES: 10, CONF_CAMERA_FORGET_DAYS: 3},
}
STORED = {
    **DEFAULT_OPTIONS,
    CONF_ZIGBEE2MQTT_BASE_TOPIC: "home/zigbee",
    CONF_NAMESPACE_PREFIX: "house-ai",
    CONF_CAMERA_TOPIC_PREFIX: "cams",
    CONF_QOS: 2,
    CONF_MESSAGE_TTL: 60,
    CONF_QUEUE_SIZE: 50,
    CONF_UNAVAILABLE_MINUTES: 30,
    CONF_BATTERY_THRESHOLD: 20,
    CONF_LAST_SEEN_STALE_HOURS: 48,
    CONF_ANALYSIS_TIME: "06:30:00",
    CONF_HISTORY_DAYS: 30,
    CONF_PAIR_DELAY_SECONDS: 300,
    CONF_EXCLUDED_ENTITIES: ["light.attic", "light.secret"],
    CONF_EXCLUDED_AREAS: [],
    CONF_EXCLUDED_DOMAINS: ["media_player"],
    CONF_MAX_SUGGESTIONS: 20,
    CONF_SUGGESTION_EXPIRY_DAYS: 10,
    CONF_NOTIFY_SUGGESTIONS: False,
    CONF_OVERRIDE_WINDOW_MINUTES: 5,
    CONF_STALE_AFTER_DAYS: 30,
    CONF_ALLOWED_SERVICES: ["light.*", "switch.turn_on"],
    CONF_SENSITIVE_SERVICES_ALLOWED: ["lock.unlock"],
    CONF_REMOTE_DEPLOY: False,
    CONF_REMOTE_SECRET: "",
    CONF_CAMERA_QUIET_MINUTES: 10,
    CONF_CAMERA_FORGET_DAYS: 3,
}
# Set-up keeps what defines the connection in the entry's data, the rest in options.
STORED_DATA, STORED_OPTIONS = split_settings(STORED)
DEFAULT_DATA, DEFAULT_TUNABLES = split_settings(DEFAULT_OPTIONS)
# Reconfiguring shows the topics only; the options flow the sections only.
TOPICS_INPUT = {key: USER_INPUT[key] for key in TOPIC_PREFIX_FIELDS}
OPTIONS_INPUT = {
    key: value for key, value in USER_INPUT.items() if key not in TOPIC_PREFIX_FIELDS
}


def suggested(result: dict[str, Any]) -> dict[str, Any]:
    """Return the values the form shows, sections nested."""
    values: dict[str, Any] = {}
    for key, value in result["data_schema"].schema.items():
        if isinstance(value, section):
            # A default on the section would hide the suggested values inside it.
            assert key.default is vol.UNDEFINED
            values[key.schema] = {
                inner.schema: inner.description["suggested_value"]
                for inner in value.schema.schema
            }
        else:
            values[key.schema] = key.description["suggested_value"]
    return values


TOPIC_INVALID_INPUTS = [
    ({CONF_NAMESPACE_PREFIX: "ha-ai/#"}, {CONF_NAMESPACE_PREFIX: "topic_wildcard"}),
    ({CONF_NAMESPACE_PREFIX: "ha-ai/+/x"}, {CONF_NAMESPACE_PREFIX: "topic_wildcard"}),
    (
        {CONF_CAMERA_TOPIC_PREFIX: "/cams"},
        {CONF_CAMERA_TOPIC_PREFIX: "topic_edge_slash"},
    ),
    (
        {CONF_CAMERA_TOPIC_PREFIX: "cams/"},
        {CONF_CAMERA_TOPIC_PREFIX: "topic_edge_slash"},
    ),
    (
        {CONF_ZIGBEE2MQTT_BASE_TOPIC: "a//b"},
        {CONF_ZIGBEE2MQTT_BASE_TOPIC: "topic_empty_segment"},
    ),
    ({CONF_ZIGBEE2MQTT_BASE_TOPIC: "  "}, {CONF_ZIGBEE2MQTT_BASE_TOPIC: "topic_empty"}),
    ({CONF_NAMESPACE_PREFIX: "$SYS"}, {CONF_NAMESPACE_PREFIX: "topic_reserved"}),
    (
        {CONF_NAMESPACE_PREFIX: "home"},
        {
            CONF_NAMESPACE_PREFIX: "prefix_overlap",
            CONF_ZIGBEE2MQTT_BASE_TOPIC: "prefix_overlap",
        },
    ),
    (
        {CONF_CAMERA_TOPIC_PREFIX: "house-ai/cameras"},
        {
            CONF_CAMERA_TOPIC_PREFIX: "prefix_overlap",
            CONF_NAMESPACE_PREFIX: "prefix_overlap",
        },
    ),
]
OPTION_INVALID_INPUTS = [
    (
        {
            SECTION_AUTOMATION_SAFETY: {
                CONF_ALLOWED_SERVICES: ["light.*", "light turn on"],
                CONF_SENSITIVE_SERVICES_ALLOWED: [],
            }
        },
        {CONF_ALLOWED_SERVICES: "invalid_service"},
    ),
]
INVALID_INPUTS = TOPIC_INVALID_INPUTS + OPTION_INVALID_INPUTS


NO_LLM = {CONF_LLM_PROVIDER: LLM_PROVIDER_NONE}


async def skip_llm(
    manager: ConfigEntriesFlowManager | OptionsFlowManager, result: dict[str, Any]
) -> dict[str, Any]:
    """Answer the LLM step, which follows the settings form, with no LLM."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "llm"
    assert result["errors"] is None
    return await manager.async_configure(result["flow_id"], NO_LLM)


async def start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


async def test_user_flow_creates_entry_with_options(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    result = await start_user_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "HA AI"
    assert result["data"] == STORED_DATA
    assert result["options"] == STORED_OPTIONS
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert (entry.version, entry.minor_version) == (2, 1)
    assert entry.data == STORED_DATA
    assert entry.options == STORED_OPTIONS
    await hass.async_block_till_done()


async def test_user_flow_defaults(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == DEFAULT_DATA
    assert result["options"] == DEFAULT_TUNABLES
    await hass.async_block_till_done()


@pytest.mark.parametrize(("changes", "errors"), INVALID_INPUTS)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    mqtt_ready: MqttMockHAClient,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, **changes}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # The form keeps what the user typed, so they can correct it.
    assert suggested(result) == {**USER_INPUT, **changes}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == STORED_DATA
    assert result["options"] == STORED_OPTIONS
    await hass.async_block_till_done()


@pytest.mark.parametrize("seconds", [5, 601])
async def test_the_pair_delay_stays_within_ten_minutes(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient, seconds: int
) -> None:
    result = await start_user_flow(hass)
    habits = {**USER_INPUT[SECTION_HABIT_MINING], CONF_PAIR_DELAY_SECONDS: seconds}
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {**USER_INPUT, SECTION_HABIT_MINING: habits}
        )
    habits[CONF_PAIR_DELAY_SECONDS] = 600
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, SECTION_HABIT_MINING: habits}
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_PAIR_DELAY_SECONDS] == 600
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("field", "refused", "highest"),
    [
        (CONF_OVERRIDE_WINDOW_MINUTES, [0, 121], 120),
        (CONF_STALE_AFTER_DAYS, [0, 366], 365),
    ],
)
async def test_the_feedback_settings_stay_within_their_range(
    hass: HomeAssistant,
    mqtt_ready: MqttMockHAClient,
    field: str,
    refused: list[int],
    highest: int,
) -> None:
    result = await start_user_flow(hass)
    for value in refused:
        suggestions = {**USER_INPUT[SECTION_SUGGESTIONS], field: value}
        with pytest.raises(InvalidData):
            await hass.config_entries.flow.async_configure(
                result["flow_id"], {**USER_INPUT, SECTION_SUGGESTIONS: suggestions}
            )
    suggestions = {**USER_INPUT[SECTION_SUGGESTIONS], field: highest}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, SECTION_SUGGESTIONS: suggestions}
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][field] == highest
    await hass.async_block_till_done()


async def test_user_flow_aborts_without_mqtt(hass: HomeAssistant) -> None:
    result = await start_user_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_user_flow_aborts_when_mqtt_disconnected(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    set_mqtt_connected(hass, mqtt_ready, False)
    result = await start_user_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_connected"


async def test_user_flow_aborts_when_mqtt_entry_is_not_loaded(
    hass: HomeAssistant,
) -> None:
    MockConfigEntry(domain="mqtt", data={"broker": "mock-broker"}).add_to_hass(hass)
    result = await start_user_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_connected"


async def test_single_instance(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    result = await start_user_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def published_event(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> tuple[str, int]:
    """Publish an event through HA AI's action; return its topic and QoS."""
    mqtt_mock.async_publish.reset_mock()
    await hass.services.async_call(
        DOMAIN, SERVICE_PUBLISH_EVENT, {"path": "probe"}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    [(topic, _, qos, _)] = [
        message for message in published(mqtt_mock) if message[0].endswith("/probe")
    ]
    return topic, qos


def status_messages(mqtt_mock: MqttMockHAClient) -> list[str]:
    """Return what HA AI said on its status topic, in order."""
    return [
        str(payload)
        for topic, payload, _, _ in published(mqtt_mock)
        if topic.endswith("/status")
    ]


async def test_options_flow_changes_the_tunables_and_reloads(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    data = dict(setup_entry.data)
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert suggested(result) == {
        SECTION_DELIVERY: {CONF_QOS: "1", CONF_MESSAGE_TTL: 30, CONF_QUEUE_SIZE: 100},
        SECTION_DEVICE_ANOMALIES: {
            CONF_UNAVAILABLE_MINUTES: 60,
            CONF_BATTERY_THRESHOLD: 15,
            CONF_LAST_SEEN_STALE_HOURS: 25,
        },
        SECTION_HABIT_MINING: {
            CONF_ANALYSIS_TIME: "03:00:00",
            CONF_HISTORY_DAYS: 60,
            CONF_PAIR_DELAY_SECONDS: DEFAULT_PAIR_DELAY_SECONDS,
            CONF_EXCLUDED_ENTITIES: [],
            CONF_EXCLUDED_AREAS: [],
            CONF_EXCLUDED_DOMAINS: [],
            CONF_ANNOUNCE_FORMING_ROUTINES: False,
        },
        SECTION_SUGGESTIONS: {
            CONF_MAX_SUGGESTIONS: 50,
            CONF_SUGGESTION_EXPIRY_DAYS: 14,
            CONF_NOTIFY_SUGGESTIONS: True,
            CONF_OVERRIDE_WINDOW_MINUTES: 10,
            CONF_STALE_AFTER_DAYS: 14,
        },
        SECTION_AUTOMATION_SAFETY: {
            CONF_ALLOWED_SERVICES: list(DEFAULT_ALLOWED_SERVICES),
            CONF_SENSITIVE_SERVICES_ALLOWED: [],
        },
        SECTION_REMOTE_DEPLOY: {
            CONF_REMOTE_DEPLOY: False,
            CONF_NEW_REMOTE_SECRET: False,
        },
        SECTION_CAMERAS: {CONF_CAMERA_QUIET_MINUTES: 5, CONF_CAMERA_FORGET_DAYS: 7},
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], OPTIONS_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert setup_entry.options == STORED_OPTIONS
    assert setup_entry.data == data
    # The entry reloaded: the running bus uses the new QoS, the miner the new pair
    # delay; the topics stay.
    assert await published_event(hass, mqtt_mock) == ("ha-ai/events/probe", 2)
    habits = setup_entry.runtime_data.habits
    assert habits.settings.pair_max_delay.total_seconds() == 300
    settings = setup_entry.runtime_data.settings
    assert (settings.feedback.override_window, settings.suggestions.stale_after) == (
        timedelta(minutes=5),
        timedelta(days=30),
    )
    assert setup_entry.runtime_data.suggestions.settings.stale_after == timedelta(
        days=30
    )
    assert setup_entry.runtime_data.overrides.watch.window == timedelta(minutes=5)


async def test_options_flow_without_a_change_does_not_reload(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    options = hass.config_entries.options
    result = await options.async_init(setup_entry.entry_id)
    mqtt_mock.async_publish.reset_mock()
    result = await options.async_configure(result["flow_id"], OPTIONS_INPUT)
    await hass.async_block_till_done()
    # A reload says so on the status topic: offline, then online again.
    assert status_messages(mqtt_mock) == ["offline", "online"]
    mqtt_mock.async_publish.reset_mock()
    result = await options.async_init(setup_entry.entry_id)
    result = await options.async_configure(result["flow_id"], OPTIONS_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert status_messages(mqtt_mock) == []


async def test_reconfigure_flow_changes_the_topics_and_reloads(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    options = dict(setup_entry.options)
    result = await setup_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert suggested(result) == {
        CONF_ZIGBEE2MQTT_BASE_TOPIC: "zigbee2mqtt",
        CONF_NAMESPACE_PREFIX: "ha-ai",
        CONF_CAMERA_TOPIC_PREFIX: "liveobject",
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], TOPICS_INPUT
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data == {**DEFAULT_DATA, **TOPICS_INPUT}
    assert setup_entry.options == options
    topic, _ = await published_event(hass, mqtt_mock)
    assert topic == "house-ai/events/probe"


async def start_settings_flow(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str
) -> dict[str, Any]:
    """Start the options or the reconfigure flow of `entry`."""
    if kind == "options":
        return await hass.config_entries.options.async_init(entry.entry_id)
    return await entry.start_reconfigure_flow(hass)


def manager_of(
    hass: HomeAssistant, kind: str
) -> ConfigEntriesFlowManager | OptionsFlowManager:
    """Return the flow manager of the options or the reconfigure flow."""
    return (
        hass.config_entries.options if kind == "options" else hass.config_entries.flow
    )


@pytest.mark.parametrize(
    ("kind", "valid", "changes", "errors"),
    [
        *(("reconfigure", TOPICS_INPUT, *case) for case in TOPIC_INVALID_INPUTS),
        *(("options", OPTIONS_INPUT, *case) for case in OPTION_INVALID_INPUTS),
    ],
)
async def test_settings_flows_show_errors_then_recover(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    kind: str,
    valid: dict[str, Any],
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    manager = manager_of(hass, kind)
    result = await start_settings_flow(hass, setup_entry, kind)
    result = await manager.async_configure(result["flow_id"], {**valid, **changes})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # The form keeps what the user typed, so they can correct it.
    assert suggested(result) == {**valid, **changes}
    result = await manager.async_configure(result["flow_id"], valid)
    if kind == "reconfigure":
        result = await skip_llm(manager, result)
    assert result["type"] in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT)
    await hass.async_block_till_done()
    expected = {**DEFAULT_OPTIONS, **(TOPICS_INPUT if kind == "reconfigure" else {})}
    if kind == "options":
        expected = {**STORED, **DEFAULT_DATA}
    assert {**setup_entry.data, **setup_entry.options} == expected


def test_every_excluded_domain_has_a_name() -> None:
    strings = json.loads(
        (Path(__file__).parents[1] / "custom_components/ha_ai/strings.json").read_text()
    )
    names = strings["selector"]["excluded_domains"]["options"]
    assert set(names) == LOGGED_DOMAINS


def remote_deploy(
    enabled: bool, *, new_secret: bool = False, base: dict[str, Any] = OPTIONS_INPUT
) -> dict[str, Any]:
    """Return the settings input with remote deploy switched on or off."""
    return {
        **base,
        SECTION_REMOTE_DEPLOY: {
            CONF_REMOTE_DEPLOY: enabled,
            CONF_NEW_REMOTE_SECRET: new_secret,
        },
    }


async def remote_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> Any:
    """Return the remote deploy part of the diagnostics download (None when off)."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    return diagnostics["remote_deploy"]


async def test_remote_deploy_secret_is_shown_once_and_kept_in_data(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    options = hass.config_entries.options
    result = await options.async_init(setup_entry.entry_id)
    result = await options.async_configure(result["flow_id"], remote_deploy(True))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "remote_secret"
    secret = result["description_placeholders"]["secret"]
    assert len(secret) >= 40
    result = await options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_REMOTE_SECRET] == secret
    assert CONF_REMOTE_SECRET not in setup_entry.options
    assert CONF_NEW_REMOTE_SECRET not in setup_entry.options
    assert setup_entry.options[CONF_REMOTE_DEPLOY] is True
    # The entry reloaded with remote deploy on.
    assert await remote_diagnostics(hass, hass_client, setup_entry) is not None

    # Saving again keeps the secret and does not show it.
    result = await options.async_init(setup_entry.entry_id)
    assert suggested(result)[SECTION_REMOTE_DEPLOY] == {
        CONF_REMOTE_DEPLOY: True,
        CONF_NEW_REMOTE_SECRET: False,
    }
    result = await options.async_configure(result["flow_id"], remote_deploy(True))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_REMOTE_SECRET] == secret

    # Reconfiguring keeps it too.
    result = await setup_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], TOPICS_INPUT
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_REMOTE_SECRET] == secret

    # Asking for a new one replaces it.
    result = await options.async_init(setup_entry.entry_id)
    result = await options.async_configure(
        result["flow_id"], remote_deploy(True, new_secret=True)
    )
    assert result["step_id"] == "remote_secret"
    renewed = result["description_placeholders"]["secret"]
    assert renewed != secret
    await options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_REMOTE_SECRET] == renewed

    # Switching remote deploy off forgets the secret.
    result = await options.async_init(setup_entry.entry_id)
    result = await options.async_configure(result["flow_id"], remote_deploy(False))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert setup_entry.data[CONF_REMOTE_SECRET] == ""
    assert setup_entry.options[CONF_REMOTE_DEPLOY] is False
    assert await remote_diagnostics(hass, hass_client, setup_entry) is None


async def test_user_flow_with_remote_deploy_shows_the_secret(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], remote_deploy(True, base=USER_INPUT)
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["step_id"] == "remote_secret"
    secret = result["description_placeholders"]["secret"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_REMOTE_SECRET] == secret
    assert CONF_REMOTE_SECRET not in result["options"]
    await hass.async_block_till_done()


async def test_reconfigure_keeps_settings_the_form_does_not_show(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        setup_entry,
        data={**setup_entry.data, CONF_LLM_MODEL: "llama3", CONF_LLM_TIMEOUT: 12},
    )
    options = dict(setup_entry.options)
    result = await setup_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], TOPICS_INPUT
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_entry.data == {
        **DEFAULT_DATA,
        **TOPICS_INPUT,
        CONF_LLM_MODEL: "llama3",
        CONF_LLM_TIMEOUT: 12,
    }
    assert setup_entry.options == options
