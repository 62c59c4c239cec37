"""The bus's write check: a broker that takes HA AI's publishes but passes none on.

Mosquitto acknowledges a publish its ACL refuses to an MQTT 3.1.1 client as if it
were taken, so HA AI's own probe, on a topic it subscribes to, is what tells. The
mocked client of these tests passes every publish on to the subscribers (as a
broker does); `RefusingBroker` makes it acknowledge HA AI's and drop them, as
mosquitto does with an ACL without `topic write ha-ai/#`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    MqttMockPahoClient,
)

from custom_components.ha_ai.const import (
    CONF_NAMESPACE_PREFIX,
    DEFAULT_OPTIONS,
    DOMAIN,
    WRITE_CHECK_DELAY,
    WRITE_CHECK_INTERVAL,
    WRITE_CHECK_PROBES,
    WRITE_RECHECK_INTERVAL,
    WRITES_REFUSED_ISSUE,
)

from .camera_helpers import event_payload, send_event
from .conftest import published, set_mqtt_connected
from .test_mqtt_bus import FrozenBroker, bus_of, let_time_pass

PROBE = "ha-ai/probe"
# From the connection to the conclusion that no probe came back.
CHECK_SECONDS = WRITE_CHECK_DELAY + WRITE_CHECK_PROBES * WRITE_CHECK_INTERVAL


class RefusingBroker:
    """Acknowledges publishes under `prefix/` but delivers none, while refusing."""

    def __init__(self, client: MqttMockPahoClient, prefix: str) -> None:
        self.prefix = prefix
        self.refusing = True
        self.refused: list[str] = []
        self._deliver: Callable[..., Any] = client.publish.side_effect
        client.publish.side_effect = self.publish

    def publish(
        self, topic: str, payload: Any, qos: int = 0, retain: bool = False
    ) -> Any:
        if self.refusing and topic.startswith(f"{self.prefix}/"):
            self.refused.append(topic)
            # Acknowledged like any publish, delivered to nobody.
            return self._deliver("refused/by/the/acl", b"", qos, False)
        return self._deliver(topic, payload, qos, retain)


@pytest.fixture
def refusing_broker(mqtt_client_mock: MqttMockPahoClient) -> RefusingBroker:
    """Refuse HA AI's writes from the start, as a broker with a strict ACL does."""
    return RefusingBroker(mqtt_client_mock, "ha-ai")


def probes(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    return [
        payload
        for topic, payload, *_ in published(mqtt_mock, probes=True)
        if topic == PROBE
    ]


def refusal_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "probes on" in record.getMessage()
    ]


async def test_probe_that_comes_back_raises_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    published_before = bus.statistics.messages_published
    received_before = bus.statistics.messages_received
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)

    # One probe, with the envelope and the check's id; it came back at once.
    [probe] = probes(mqtt_mock)
    assert probe["source"] == "ha_ai"
    assert probe["check_id"]
    assert (PROBE, probe, 1, False) in published(mqtt_mock, probes=True)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None
    assert refusal_warnings(caplog) == []
    assert bus.writes_refused is False
    # A probe is not an event: the counters the entities show do not move.
    assert bus.statistics.messages_published == published_before
    assert bus.statistics.messages_received == received_before


async def test_probe_that_never_comes_back_is_logged_and_raised_once(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    await let_time_pass(hass, freezer, CHECK_SECONDS - WRITE_CHECK_INTERVAL)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None
    await let_time_pass(hass, freezer, WRITE_CHECK_INTERVAL + 1)

    assert len(probes(mqtt_mock)) == WRITE_CHECK_PROBES
    [warning] = refusal_warnings(caplog)
    assert "ha-ai/probe" in warning
    assert "probably refuses HA AI's publishes" in warning
    assert "`topic write ha-ai/#`" in warning
    assert "`topic read ha-ai/probe`" in warning
    issue = issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == WRITES_REFUSED_ISSUE
    assert issue.translation_placeholders == {
        "topic": "ha-ai/probe",
        "seconds": str(round(WRITE_CHECK_PROBES * WRITE_CHECK_INTERVAL)),
        "write_line": "topic write ha-ai/#",
        "read_line": "topic read ha-ai/probe",
        "minutes": str(round(WRITE_RECHECK_INTERVAL / 60)),
    }
    assert bus.writes_refused is True

    # Checked again later, and after a reconnection: still refused, said once.
    await let_time_pass(hass, freezer, WRITE_RECHECK_INTERVAL + CHECK_SECONDS)
    set_mqtt_connected(hass, mqtt_mock, False)
    set_mqtt_connected(hass, mqtt_mock, True)
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert len(probes(mqtt_mock)) == 3 * WRITE_CHECK_PROBES
    assert len(refusal_warnings(caplog)) == 1
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is not None


async def test_refused_writes_change_nothing_else(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    bus = bus_of(setup_entry)
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert bus.writes_refused

    # Events are still handed to the broker, in order, counted as before.
    published_before = bus.statistics.messages_published
    for n in range(3):
        bus.async_publish_event(["seq"], {"n": n})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [
        payload["n"] for topic, payload, *_ in published(mqtt_mock, "ha-ai/seq")
    ] == [0, 1, 2]
    assert refusing_broker.refused.count("ha-ai/seq") == 3
    assert bus.statistics.messages_published == published_before + 3
    assert bus.statistics.publish_errors == 0
    assert bus.queued_messages == 0
    assert bus.connected
    assert not bus.stalled
    assert hass.states.get("binary_sensor.ha_ai_mqtt_link").state == "on"

    # What HA AI reads still works: a camera's event makes its device.
    send_event(hass, event_payload("front_door", "e1"))
    await hass.async_block_till_done()
    assert entity_registry.async_get_entity_id(
        "sensor", DOMAIN, "camera_front_door_events_today"
    )


async def test_probe_back_after_a_reconnection_clears_the_issue(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is not None

    # The ACL is fixed; Home Assistant reconnects.
    refusing_broker.refusing = False
    set_mqtt_connected(hass, mqtt_mock, False)
    await hass.async_block_till_done()
    set_mqtt_connected(hass, mqtt_mock, True)
    await let_time_pass(hass, freezer, WRITE_CHECK_DELAY + 1)

    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None
    assert bus_of(setup_entry).writes_refused is False
    assert "came back: the MQTT broker passes HA AI's publishes on again" in (
        caplog.text
    )


async def test_probe_back_without_a_reconnection_clears_the_issue(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is not None

    # The broker reloads its ACL; the connection stays.
    refusing_broker.refusing = False
    await let_time_pass(hass, freezer, WRITE_RECHECK_INTERVAL + WRITE_CHECK_DELAY + 1)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None


async def test_no_conclusion_while_the_link_is_down(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    await let_time_pass(hass, freezer, WRITE_CHECK_DELAY + 1)
    set_mqtt_connected(hass, mqtt_mock, False)
    await let_time_pass(hass, freezer, 2 * CHECK_SECONDS)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None
    assert bus_of(setup_entry).writes_refused is False
    sent = len(probes(mqtt_mock))

    # Back: a new check, from its start.
    set_mqtt_connected(hass, mqtt_mock, True)
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert len(probes(mqtt_mock)) == sent + WRITE_CHECK_PROBES
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is not None


async def test_only_its_own_probe_counts(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    # Another instance's probe on the same topic, and garbage: neither is an echo.
    for payload in (json.dumps({"check_id": "someone-else"}), "not json", "[1]"):
        async_fire_mqtt_message(hass, PROBE, payload)
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is not None


async def test_unload_removes_the_issue(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is not None
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None


@pytest.mark.parametrize(
    "entry_options", [{**DEFAULT_OPTIONS, CONF_NAMESPACE_PREFIX: "home/ai"}]
)
async def test_the_lines_to_add_follow_the_namespace(
    hass: HomeAssistant,
    mqtt_client_mock: MqttMockPahoClient,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    RefusingBroker(mqtt_client_mock, "home/ai")
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    [warning] = refusal_warnings(caplog)
    assert "`topic write home/ai/#` and `topic read home/ai/probe`" in warning
    issue = issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders["read_line"] == "topic read home/ai/probe"


async def test_check_cut_short_by_a_stall_runs_again_after_it(
    hass: HomeAssistant,
    refusing_broker: RefusingBroker,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    bus = bus_of(setup_entry)
    frozen = FrozenBroker()
    with patch(
        "homeassistant.components.mqtt.async_publish", side_effect=frozen.publish
    ):
        bus.async_publish_event(["seq"], {"n": 1})
        await hass.async_block_till_done()
        await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
        assert bus.stalled
        # A broker that acknowledges nothing is not taken for one that refuses.
        assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None
        frozen.thawed.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert not bus.stalled
    await let_time_pass(hass, freezer, CHECK_SECONDS + 1)
    assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is not None


async def test_probe_the_client_refuses_is_a_debug_line(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, "custom_components.ha_ai")
    with patch(
        "homeassistant.components.mqtt.async_publish",
        side_effect=HomeAssistantError("client queue full"),
    ):
        await let_time_pass(hass, freezer, WRITE_CHECK_DELAY + 1)
    assert "Publishing a probe to ha-ai/probe failed: client queue full" in caplog.text
