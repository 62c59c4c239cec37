"""End to end: the write check against a real mosquitto with a password file and ACL.

Home Assistant's real mqtt integration logs in as `homeassistant`; the ACL is the
least-privilege one of `scripts/devenv/broker_acl.py`, with or without the line
that lets Home Assistant write HA AI's namespace. Without it mosquitto
acknowledges HA AI's publishes and passes none on: the write check must find that
out, while what HA AI reads (a camera's events, sent by the classifier's user)
still works. The check's waits are shortened; what they are is not the point.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ha_ai.bus.mqtt_bus import MqttBus
from custom_components.ha_ai.const import (
    DEFAULT_OPTIONS,
    DOMAIN,
    WRITES_REFUSED_ISSUE,
)
from scripts.devenv.broker_acl import (
    BrokerUser,
    camera_acl,
    home_assistant_acl,
    locked_down_config,
)

from .broker import find_program, free_port, skip_without, wait_for
from .camera_helpers import FRONT, PREFIX, event_payload

pytestmark = [
    skip_without("mosquitto", "mosquitto_pub", "mosquitto_passwd"),
    pytest.mark.usefixtures("mock_hass_config"),
]

HOME_ASSISTANT = ("homeassistant", "ha-password")
CLASSIFIER = ("liveobject", "camera-password")


@contextlib.asynccontextmanager
async def locked_broker(directory: Path, *, refuse: bool) -> AsyncIterator[int]:
    """Run mosquitto with no anonymous clients and the least-privilege ACL."""
    users = [
        BrokerUser(*HOME_ASSISTANT, home_assistant_acl(refuse_namespace=refuse)),
        BrokerUser(*CLASSIFIER, camera_acl()),
    ]
    port = free_port()
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        + await locked_down_config(directory, users)
        + "persistence false\n",
        encoding="utf-8",
    )
    program = find_program("mosquitto")
    assert program
    process = await asyncio.create_subprocess_exec(
        program,
        "-c",
        str(config),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    await writer.wait_closed()
                    break
                await asyncio.sleep(0.05)
        yield port
    finally:
        process.terminate()
        await process.wait()


async def classifier_publishes(port: int, topic: str, payload: object) -> None:
    """Publish as the AI camera classifier's user."""
    program = find_program("mosquitto_pub")
    assert program
    process = await asyncio.create_subprocess_exec(
        program,
        *("-h", "127.0.0.1", "-p", str(port), "-q", "1"),
        *("-u", CLASSIFIER[0], "-P", CLASSIFIER[1]),
        *("-t", topic, "-m", json.dumps(payload)),
    )
    assert await process.wait() == 0


@contextlib.asynccontextmanager
async def ha_ai_on(hass: HomeAssistant, port: int) -> AsyncIterator[MqttBus]:
    """Set up Home Assistant's mqtt integration as its user, then HA AI on it."""
    mqtt_entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={
            mqtt.CONF_BROKER: "127.0.0.1",
            "port": port,
            "username": HOME_ASSISTANT[0],
            "password": HOME_ASSISTANT[1],
        },
        version=1,
        minor_version=2,
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    await wait_for(lambda: mqtt.is_connected(hass))
    entry = MockConfigEntry(domain=DOMAIN, options=dict(DEFAULT_OPTIONS))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry.runtime_data.bus
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_unload(mqtt_entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture(autouse=True)
def quick_check() -> Generator[None]:
    """Probe sooner and less often than in a house: the logic is the same."""
    module = "custom_components.ha_ai.bus.mqtt_bus"
    with (
        patch(f"{module}.WRITE_CHECK_DELAY", 0.5),
        patch(f"{module}.WRITE_CHECK_INTERVAL", 1.0),
        patch(f"{module}.WRITE_CHECK_PROBES", 3),
    ):
        yield


async def test_refused_writes_are_found_and_reading_still_works(
    hass: HomeAssistant,
    tmp_path: Path,
    socket_enabled: None,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        locked_broker(tmp_path, refuse=True) as port,
        ha_ai_on(hass, port) as bus,
    ):
        await wait_for(lambda: bus.writes_refused)
        assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE)
        assert "`topic write ha-ai/#` and `topic read ha-ai/probe`" in caplog.text
        assert bus.connected
        assert not bus.stalled

        # What HA AI reads still arrives, from the classifier's own user.
        async with asyncio.timeout(30):
            while hass.states.get(FRONT["events_today"]) is None:
                await classifier_publishes(
                    port, f"{PREFIX}/camera/front_door/event", event_payload()
                )
                await asyncio.sleep(0.3)
        assert hass.states.get(FRONT["events_today"]).state == "1"


async def test_allowed_writes_raise_nothing(
    hass: HomeAssistant,
    tmp_path: Path,
    socket_enabled: None,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, "custom_components.ha_ai")
    async with (
        locked_broker(tmp_path, refuse=False) as port,
        ha_ai_on(hass, port) as bus,
    ):
        await wait_for(lambda: "HA AI's probe on ha-ai/probe came back" in caplog.text)
        assert not bus.writes_refused
        assert issue_registry.async_get_issue(DOMAIN, WRITES_REFUSED_ISSUE) is None
        assert "probes on" not in caplog.text
