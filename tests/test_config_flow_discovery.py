"""Set-up offered by MQTT discovery: Zigbee2MQTT's `bridge/info` on the broker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_MQTT,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_NAMESPACE_PREFIX,
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.entry_settings import split_settings
from custom_components.ha_ai.zigbee.bridge import MAX_BRIDGE_INFO_BYTES

from .test_config_flow import USER_INPUT, skip_llm, suggested

# What a Zigbee2MQTT 2.x bridge publishes (retained) on `<base>/bridge/info`,
# shortened: its configuration is usually much longer.
BRIDGE_INFO: dict[str, Any] = {
    "version": "2.1.3",
    "commit": "b2e5ee1",
    "coordinator": {
        "ieee_address": "0x00124b0029d8a7c5",
        "type": "EmberZNet",
        "meta": {"revision": "7.4.4.0 [GA]"},
    },
    "network": {"channel": 15, "pan_id": 6754, "extended_pan_id": "0xdddddddddddddddd"},
    "log_level": "info",
    "permit_join": False,
    "permit_join_end": None,
    "restart_required": False,
    "config": {
        "advanced": {"last_seen": "ISO_8601", "log_level": "info"},
        "homeassistant": {"enabled": True},
        "mqtt": {"base_topic": "zigbee2mqtt", "server": "mqtt://localhost"},
        "serial": {"adapter": "ember"},
    },
    "config_schema": {"type": "object", "properties": {}},
}
PAYLOAD = json.dumps(BRIDGE_INFO)


def defaults_with(base_topic: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the data and options of a default set-up on `base_topic`."""
    return split_settings({**DEFAULT_OPTIONS, CONF_ZIGBEE2MQTT_BASE_TOPIC: base_topic})


def service_info(
    topic: str = "zigbee2mqtt/bridge/info", payload: str | bytes | bytearray = PAYLOAD
) -> MqttServiceInfo:
    """Return what Home Assistant's MQTT discovery hands a flow for a message."""
    return MqttServiceInfo(
        topic=topic,
        payload=payload,
        qos=0,
        retain=True,
        subscribed_topic="+/bridge/info",
        timestamp=0.0,
    )


async def start_discovery(
    hass: HomeAssistant, info: MqttServiceInfo | None = None
) -> dict[str, Any]:
    """Start the flow as Home Assistant's MQTT discovery does."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=info or service_info()
    )


async def offers(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the set-up flows in progress, as the integrations page lists them.

    Home Assistant starts a discovery flow in a background task: it is waited for.
    """
    await hass.async_block_till_done(wait_background_tasks=True)
    return list(hass.config_entries.flow.async_progress_by_handler(DOMAIN))


@pytest.mark.parametrize(
    ("topic", "base_topic"),
    [
        ("zigbee2mqtt/bridge/info", "zigbee2mqtt"),
        ("home/zigbee/bridge/info", "home/zigbee"),
    ],
)
async def test_a_bridge_info_on_the_broker_offers_the_set_up(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient, topic: str, base_topic: str
) -> None:
    async_fire_mqtt_message(hass, topic, PAYLOAD, retain=True)
    await hass.async_block_till_done()
    [offer] = await offers(hass)
    assert offer["step_id"] == "discovery_confirm"
    assert offer["context"]["source"] == SOURCE_MQTT
    assert offer["context"]["title_placeholders"] == {"base_topic": base_topic}

    result = await hass.config_entries.flow.async_configure(offer["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {
        "base_topic": base_topic,
        "version": "2.1.3",
    }
    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "HA AI"
    data, options = defaults_with(base_topic)
    assert (result["data"], result["options"]) == (data, options)
    await hass.async_block_till_done()
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_ZIGBEE2MQTT_BASE_TOPIC] == base_topic
    # The same message again (Zigbee2MQTT republishes it) offers nothing more.
    async_fire_mqtt_message(hass, topic, PAYLOAD.replace("false", "true"))
    await hass.async_block_till_done()
    assert await offers(hass) == []


async def test_only_base_topics_of_one_or_two_levels_are_discovered(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    # The manifest lists `+/bridge/info` and `+/+/bridge/info`: a deeper base
    # topic is set up by hand.
    async_fire_mqtt_message(hass, "a/b/c/bridge/info", PAYLOAD, retain=True)
    async_fire_mqtt_message(hass, "zigbee2mqtt/bridge/devices", "[]", retain=True)
    await hass.async_block_till_done()
    assert await offers(hass) == []


def deep(levels: int) -> str:
    """Return a bridge info whose configuration nests `levels` levels deep."""
    return json.dumps({**BRIDGE_INFO, "config": {}})[:-1] + (
        ', "x": ' + "[" * levels + "]" * levels + "}"
    )


HOSTILE_PAYLOADS = [
    pytest.param("not json", id="not-json"),
    pytest.param(b"\xff\xfe{", id="not-utf8"),
    pytest.param("online", id="plain-text"),
    pytest.param("[]", id="array"),
    pytest.param('"2.1.3"', id="string"),
    pytest.param("{}", id="empty-object"),
    pytest.param(json.dumps({"version": "2.1.3"}), id="version-only"),
    pytest.param(json.dumps({**BRIDGE_INFO, "version": 2}), id="version-number"),
    pytest.param(json.dumps({**BRIDGE_INFO, "version": ""}), id="version-empty"),
    pytest.param(
        json.dumps({**BRIDGE_INFO, "version": "[update](https://example.com)"}),
        id="version-link",
    ),
    pytest.param(
        json.dumps({**BRIDGE_INFO, "version": "2." * 5000}), id="version-long"
    ),
    pytest.param(json.dumps({**BRIDGE_INFO, "coordinator": "ember"}), id="coordinator"),
    pytest.param(
        json.dumps({k: v for k, v in BRIDGE_INFO.items() if k != "config"}),
        id="no-config",
    ),
    pytest.param(json.dumps({**BRIDGE_INFO, "config": []}), id="config-array"),
    pytest.param(deep(100_000), id="deeply-nested"),
    pytest.param(
        json.dumps({**BRIDGE_INFO, "padding": "x" * MAX_BRIDGE_INFO_BYTES}), id="huge"
    ),
]


@pytest.mark.parametrize("payload", HOSTILE_PAYLOADS)
async def test_a_message_that_is_not_a_bridge_info_offers_nothing(
    hass: HomeAssistant,
    mqtt_ready: MqttMockHAClient,
    caplog: pytest.LogCaptureFixture,
    payload: str | bytes,
) -> None:
    result = await start_discovery(hass, service_info(payload=payload))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_zigbee2mqtt"
    assert "which is not Zigbee2MQTT's bridge info" in caplog.text
    # Over the broker too: nothing offered, nothing raised.
    async_fire_mqtt_message(hass, "zigbee2mqtt/bridge/info", payload, retain=True)
    await hass.async_block_till_done()
    assert await offers(hass) == []
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_a_cleared_bridge_info_offers_nothing(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    result = await start_discovery(hass, service_info(payload=""))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "bridge_info_cleared"


async def test_a_message_on_another_topic_offers_nothing(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    result = await start_discovery(hass, service_info(topic="zigbee2mqtt/bridge"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_zigbee2mqtt"


@pytest.mark.parametrize("base_topic", ["zigbee2mqtt", "home/zigbee"])
async def test_nothing_is_offered_once_ha_ai_is_set_up(
    hass: HomeAssistant, setup_entry: MockConfigEntry, base_topic: str
) -> None:
    # On the base topic it follows or on another: HA AI runs once.
    result = await start_discovery(
        hass, service_info(topic=f"{base_topic}/bridge/info")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def test_an_ignored_offer_is_not_made_again(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    result = await start_discovery(hass)
    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": DOMAIN, "title": "HA AI"},
    )
    await hass.async_block_till_done()
    assert await offers(hass) == []
    result = await start_discovery(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"
    # Set up by hand, it still can be.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "user"


async def test_one_offer_at_a_time(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    first = await start_discovery(hass)
    assert first["step_id"] == "discovery_confirm"
    for topic in ("zigbee2mqtt/bridge/info", "zigbee2mqtt_2/bridge/info"):
        result = await start_discovery(hass, service_info(topic=topic))
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_in_progress"
    assert [offer["flow_id"] for offer in await offers(hass)] == [first["flow_id"]]


async def test_setting_up_by_hand_withdraws_the_offer(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    await start_discovery(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert await offers(hass) == []


@pytest.mark.parametrize(
    ("topic", "base_topic", "errors"),
    [
        # Zigbee2MQTT under HA AI's own namespace: the topics would overlap.
        (
            "ha-ai/bridge/info",
            "ha-ai",
            {
                CONF_NAMESPACE_PREFIX: "prefix_overlap",
                CONF_ZIGBEE2MQTT_BASE_TOPIC: "prefix_overlap",
            },
        ),
        ("/bridge/info", "", {CONF_ZIGBEE2MQTT_BASE_TOPIC: "topic_empty"}),
    ],
)
async def test_a_base_topic_the_defaults_cannot_go_with_shows_the_form(
    hass: HomeAssistant,
    mqtt_ready: MqttMockHAClient,
    topic: str,
    base_topic: str,
    errors: dict[str, str],
) -> None:
    result = await start_discovery(hass, service_info(topic=topic))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert suggested(result)[CONF_ZIGBEE2MQTT_BASE_TOPIC] == base_topic
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    result = await skip_llm(hass.config_entries.flow, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ZIGBEE2MQTT_BASE_TOPIC] == "home/zigbee"
    await hass.async_block_till_done()


async def test_the_dialog_shows_a_strange_base_topic_as_plain_text(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient
) -> None:
    topic = "<b>[z](example.com)</b>/bridge/info"
    result = await start_discovery(hass, service_info(topic=topic))
    assert result["step_id"] == "discovery_confirm"
    shown = result["description_placeholders"]["base_topic"]
    assert shown == r"\<b\>\[z\]\(example\.com\)\</b\>"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["data"][CONF_ZIGBEE2MQTT_BASE_TOPIC] == "<b>[z](example.com)</b>"
    await hass.async_block_till_done()


@pytest.mark.parametrize("payload", [PAYLOAD.encode(), bytearray(PAYLOAD.encode())])
async def test_a_bridge_info_as_bytes_is_recognised(
    hass: HomeAssistant, mqtt_ready: MqttMockHAClient, payload: bytes | bytearray
) -> None:
    # Home Assistant hands over bytes when a subscription asks for no decoding.
    result = await start_discovery(hass, service_info(payload=payload))
    assert result["step_id"] == "discovery_confirm"
