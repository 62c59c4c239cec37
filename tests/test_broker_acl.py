"""The least-privilege ACL of `scripts/devenv/broker_acl.py` (the README's snippet).

It must follow the code: Home Assistant's MQTT user may read every topic HA AI
subscribes to and write every topic HA AI publishes, and the outside deployer
only its commands. HA AI is set up with every part on (remote deploy too) on the
mocked MQTT client, and its subscriptions and publishes are matched against the
ACL lines as mosquitto matches them.
"""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as paho
import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
)
from scripts.devenv.broker_acl import (
    BrokerUser,
    acl_text,
    deployer_acl,
    home_assistant_acl,
)

from .conftest import published
from .test_init import our_subscriptions


def allowed(acl: Any, access: str, topic: str) -> bool:
    """Tell whether a `topic read/write/readwrite` line lets `topic` through."""
    for line, _ in acl:
        _, kind, pattern = line.split(" ", 2)
        if kind in (access, "readwrite") and paho.topic_matches_sub(pattern, topic):
            return True
    return False


@pytest.fixture
def entry_options() -> dict[str, Any]:
    return {**DEFAULT_OPTIONS, CONF_REMOTE_DEPLOY: True, CONF_REMOTE_SECRET: "s" * 32}


async def test_home_assistant_may_read_what_ha_ai_reads_and_write_what_it_writes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    acl = home_assistant_acl()
    subscriptions = our_subscriptions(mqtt_mock)
    assert "ha-ai/commands/automation/deploy" in subscriptions
    for topic in subscriptions:
        assert allowed(acl, "read", topic), topic
    publishes = {topic for topic, *_ in published(mqtt_mock, probes=True)}
    publishes |= {"ha-ai/probe", "ha-ai/analysis/complete", "ha-ai/status"}
    for topic in publishes:
        assert allowed(acl, "write", topic), topic
    # Home Assistant's own: its birth, and the lights it switches.
    for topic in (
        "homeassistant/status",
        "zigbee2mqtt/Kitchen plug/set",
        "zigbee2mqtt/Living room/TV light/set",
    ):
        assert allowed(acl, "write", topic), topic
    # Nothing else of Zigbee2MQTT's: no bridge request, no device's state.
    for topic in ("zigbee2mqtt/bridge/request/device/remove", "zigbee2mqtt/Lamp"):
        assert not allowed(acl, "write", topic), topic


def test_refusing_variant_leaves_out_only_the_namespace_write() -> None:
    full = home_assistant_acl()
    refusing = home_assistant_acl(refuse_namespace=True)
    assert [line for line in full if line not in refusing] == [
        ("topic write ha-ai/#", "everything HA AI publishes")
    ]
    assert not allowed(refusing, "write", "ha-ai/probe")
    assert allowed(refusing, "read", "ha-ai/probe")


def test_deployer_writes_only_the_commands() -> None:
    acl = deployer_acl()
    assert allowed(acl, "write", "ha-ai/commands/automation/deploy")
    assert allowed(acl, "write", "ha-ai/commands/automation/remove")
    assert allowed(acl, "read", "ha-ai/responses/automation/executed")
    for topic in ("ha-ai/analysis/complete", "ha-ai/status", "ha-ai/probe"):
        assert not allowed(acl, "write", topic), topic


def test_acl_file_puts_each_reason_on_its_own_line() -> None:
    text = acl_text([BrokerUser("deployer", "pw", deployer_acl())])
    assert text == (
        "user deployer\n"
        "topic write ha-ai/commands/automation/deploy\n"
        "topic write ha-ai/commands/automation/remove\n"
        "# the answers\n"
        "topic read ha-ai/responses/automation/#\n"
    )
