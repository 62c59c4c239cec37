"""Fixtures shared by the HA AI tests."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from types import TracebackType
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, settings
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.ha_ai.const import DEFAULT_OPTIONS, DOMAIN

from .broker import Mosquitto

# The test plugin logs every SQL statement the recorder runs; they reach the
# terminal from the recorder's thread and bury the test output.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

# Home Assistant does not raise when a custom integration uses something
# deprecated: it logs a report naming the integration (`frame.report_usage`, the
# deprecated constants, functions and classes of `helpers.deprecation`). The run
# treats such a report about HA AI as an error, as setup.cfg does for Python's own
# deprecation warnings raised from HA AI's modules; reports about other
# integrations and libraries' own warnings pass.
HA_AI_DEPRECATION_REPORT = re.compile(
    r"Detected that custom integration 'ha_ai'|\bwas \w+ from ha_ai\b"
)


class DeprecationReports(logging.Handler):
    """Collects Home Assistant's reports that HA AI uses something deprecated."""

    def __init__(self) -> None:
        """Collect from WARNING up, where Home Assistant logs these reports."""
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep a report about HA AI, or a deprecation HA AI caught and logged."""
        message = record.getMessage()
        if HA_AI_DEPRECATION_REPORT.search(message) or _is_deprecation(record.exc_info):
            self.found.append(f"{record.name}: {message}")


def _is_deprecation(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None]
    | None,
) -> bool:
    """Tell whether a logged exception is a deprecation warning made an error."""
    return bool(exc_info) and isinstance(
        exc_info[1], DeprecationWarning | PendingDeprecationWarning
    )


deprecation_reports = DeprecationReports()
logging.getLogger().addHandler(deprecation_reports)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start each test with no report collected."""
    deprecation_reports.found.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail a test's teardown when HA AI was reported for a deprecated use."""
    report = yield
    if call.when == "teardown" and deprecation_reports.found and report.passed:
        report.outcome = "failed"
        report.longrepr = "Home Assistant reported a deprecated use by HA AI:\n" + (
            "\n".join(deprecation_reports.found)
        )
    return report


# Property tests judge behaviour, never speed: a loaded, shared machine must not
# fail them on Hypothesis's per-example deadline or its too-slow health check.
settings.register_profile(
    "ha_ai", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# CI draws the same examples on every run (`.ci/run` asks for this profile), so a
# run lands or fails on the code alone; local runs keep exploring new examples.
settings.register_profile("ci", parent=settings.get_profile("ha_ai"), derandomize=True)
settings.load_profile(os.environ.get("HA_AI_HYPOTHESIS_PROFILE", "ha_ai"))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def config_dir_in_tmp(hass: HomeAssistant, tmp_path: Path) -> None:
    """Keep files HA AI writes (its habit log) out of the shared test config."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture
async def broker(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[Mosquitto]:
    """Run a real mosquitto broker for the test (on a loopback port)."""
    mosquitto = Mosquitto(tmp_path)
    await mosquitto.start()
    yield mosquitto
    await mosquitto.stop()


@pytest.fixture
def expected_lingering_timers() -> bool:
    """Home Assistant's mqtt integration leaves a debouncer timer behind."""
    return True


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Return the options of the test entry; override to test other settings."""
    return dict(DEFAULT_OPTIONS)


@pytest.fixture
def config_entry(entry_options: dict[str, Any]) -> MockConfigEntry:
    """Return an HA AI entry with the default settings."""
    return MockConfigEntry(domain=DOMAIN, title="HA AI", data={}, options=entry_options)


@pytest.fixture
async def setup_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set HA AI up on a mocked, connected MQTT client."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture
def all_entities_enabled() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default", True
    ):
        yield


def set_mqtt_connected(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, connected: bool
) -> None:
    """Simulate the broker going away or coming back, as the mqtt client reports it."""
    mqtt_mock.connected = connected
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, connected)


def published(
    mqtt_mock: MqttMockHAClient, topic_prefix: str = "", *, probes: bool = False
) -> list[tuple[str, Any, int, bool]]:
    """Return (topic, payload, qos, retain) of what was published, JSON decoded.

    The probes of HA AI's write check (`<prefix>/probe`, sent a moment after each
    connection) are left out unless `probes` asks for them.
    """
    messages = []
    for call in mqtt_mock.async_publish.call_args_list:
        topic, payload, qos, retain = call.args
        if not topic.startswith(topic_prefix):
            continue
        with contextlib.suppress(ValueError):
            payload = json.loads(payload)
        if not probes and is_probe(topic, payload):
            continue
        messages.append((topic, payload, qos, retain))
    return messages


def is_probe(topic: str, payload: object) -> bool:
    """Tell whether a message is a probe of HA AI's write check."""
    return (
        topic.endswith("/probe") and isinstance(payload, dict) and "check_id" in payload
    )


async def notifications(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> dict[str, dict[str, Any]]:
    """Return HA AI's notifications by id, as the frontend lists them."""
    assert await async_setup_component(hass, "persistent_notification", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "persistent_notification/get"})
    response = await client.receive_json()
    assert response["success"]
    return {
        found["notification_id"]: found
        for found in response["result"]
        if found["notification_id"].startswith("ha_ai_")
    }


@pytest.fixture
async def mqtt_ready(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> AsyncGenerator[MqttMockHAClient]:
    """Return a set up and connected mqtt integration.

    The entries a flow created are unloaded afterwards, the mqtt one last: its
    subscription cooldown then ends with the test instead of firing while Home
    Assistant stops (a lingering task on a slow machine).
    """
    yield mqtt_mock
    entries = hass.config_entries.async_entries()
    for entry in sorted(entries, key=lambda e: e.domain == "mqtt"):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
