"""End to end: the demo house's camera stand-in, as a process, on a real mosquitto.

The stand-in (`scripts/devenv/camera_standin.py`) runs as scripts/develop runs
it; an outside subscriber sees what it publishes, and Home Assistant's real
mqtt integration delivers it to HA AI, whose camera entities follow. The
one-shot `publish` command (scripts/camera-event) is delivered too.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ha_ai.const import DEFAULT_OPTIONS, DOMAIN
from scripts.devenv.camera_standin import FRONT_DOOR, status_message

from .broker import (
    Mosquitto,
    Received,
    Subscriber,
    free_port,
    publish,
    real_mqtt_entry,
    skip_without,
    wait_for,
)
from .camera_helpers import camera_entities

pytestmark = [
    skip_without("mosquitto", "mosquitto_sub"),
    pytest.mark.usefixtures("mock_hass_config"),
]

REPO_ROOT = Path(__file__).resolve().parents[1]
STANDIN = (sys.executable, "-m", "scripts.devenv.camera_standin")
FRONT = camera_entities("front_door")
BACK = camera_entities("garden")
# Every first event and the first ring within this many seconds.
FIRST_WITHIN = "4"


async def start(*args: str) -> asyncio.subprocess.Process:
    """Start the stand-in from the repository, as scripts/develop does."""
    return await asyncio.create_subprocess_exec(
        *STANDIN,
        *args,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


@asynccontextmanager
async def running(port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run the stand-in in the background; always stop it."""
    process = await start(
        "run", "--port", str(port), "--seed", "3", "--first-within", FIRST_WITHIN
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stop(process: asyncio.subprocess.Process) -> str:
    """Stop the stand-in as scripts/develop does (SIGTERM); return its output."""
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output
    return output.decode()


async def receive_until(
    subscriber: Subscriber, done: Any, timeout: float = 30
) -> list[Received]:
    """Collect messages until `done(messages)` holds."""
    messages: list[Received] = []
    async with asyncio.timeout(timeout):
        while not done(messages):
            messages.append(await subscriber.next())
    return messages


def events(messages: list[Received]) -> list[dict[str, Any]]:
    return [json.loads(m.payload) for m in messages if m.topic.endswith("/event")]


async def test_a_subscriber_receives_the_cameras(broker: Mosquitto) -> None:
    subscriber = Subscriber(broker.port, "liveobject/#", persistent=False)
    await subscriber.start()
    try:
        async with running(broker.port) as process:

            def complete(messages: list[Received]) -> bool:
                seen = events(messages)
                cameras = {event["camera_id"] for event in seen}
                return cameras == {"front_door", "garden"} and any(
                    event["is_doorbell_ring"] for event in seen
                )

            messages = await receive_until(subscriber, complete)
            statuses = {
                m.topic: json.loads(m.payload)["status"]
                for m in messages
                if m.topic.endswith("/status") and m.topic.count("/") == 3
            }
            assert statuses == {
                "liveobject/camera/front_door/status": "online",
                "liveobject/camera/garden/status": "online",
            }
            assert messages[0].topic == "liveobject/status"
            assert messages[0].payload == "online"
            assert all(m.qos == 1 for m in messages)
            [ring] = [event for event in events(messages) if event["is_doorbell_ring"]]
            assert ring["camera_id"] == "front_door"

            output = await stop(process)
        [offline] = await receive_until(subscriber, lambda m: len(m) == 1)
        assert (offline.topic, offline.payload) == ("liveobject/status", "offline")
        assert "Front Door: ring: A person rang the doorbell" in output
        assert output.rstrip().endswith("Cameras offline")
    finally:
        await subscriber.stop()


async def test_one_event_by_hand(broker: Mosquitto, tmp_path: Path) -> None:
    subscriber = Subscriber(broker.port, "liveobject/#", persistent=False)
    await subscriber.start()
    try:
        await asyncio.sleep(0.5)  # subscribed
        process = await start(
            "publish", "--port", str(broker.port), "garden", "--description", "A fox"
        )
        output, _ = await process.communicate()
        assert process.returncode == 0, output
        [message] = await receive_until(subscriber, lambda m: len(m) == 1)
        assert message.topic == "liveobject/camera/garden/event"
        event = json.loads(message.payload)
        assert (event["description"], event["is_doorbell_ring"]) == ("A fox", False)

        # Without --port, the port of the demo in --dir.
        (tmp_path / "state.json").write_text(json.dumps({"mqtt_port": broker.port}))
        process = await start("publish", "--dir", str(tmp_path), "--ring")
        output, _ = await process.communicate()
        assert process.returncode == 0, output
        [message] = await receive_until(subscriber, lambda m: len(m) == 1)
        event = json.loads(message.payload)
        assert (event["camera_id"], event["is_doorbell_ring"]) == ("front_door", True)
    finally:
        await subscriber.stop()


async def test_without_a_broker_it_says_what_to_do(
    tmp_path: Path, socket_enabled: None
) -> None:
    process = await start("publish", "--dir", str(tmp_path))
    output, _ = await process.communicate()
    assert process.returncode == 1
    assert b"start scripts/develop first, or give --port" in output
    port = free_port()  # nothing listens on it
    process = await start("publish", "--port", str(port))
    output, _ = await process.communicate()
    assert process.returncode == 1
    assert f"No broker at 127.0.0.1:{port}".encode() in output


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    current = hass.states.get(entity_id)
    return current.state if current is not None else None


async def test_home_assistant_follows_the_cameras(
    hass: HomeAssistant, broker: Mosquitto
) -> None:
    rings: list[str] = []

    @callback
    def on_change(event: Event[Any]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == FRONT["event"] and new is not None:
            rings.append(new.attributes.get("event_type"))

    hass.bus.async_listen("state_changed", on_change)
    # What an earlier run of the classifier left on the broker.
    status = json.loads(status_message(FRONT_DOOR, "online").payload)
    await publish(broker.port, FRONT_DOOR.status_topic, status, retain=True)
    async with real_mqtt_entry(hass, broker.port):
        entry = MockConfigEntry(domain=DOMAIN, options=dict(DEFAULT_OPTIONS))
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        # HA AI subscribes to the events and statuses together: once the
        # retained status of a camera is in, no event of the stand-in is missed.
        await wait_for(lambda: state_of(hass, FRONT["status"]) == "online")
        async with running(broker.port) as process:
            await wait_for(lambda: "doorbell" in rings)
            await wait_for(lambda: state_of(hass, BACK["events_today"]) == "1")
            assert state_of(hass, FRONT["events_today"]) == "2"
            assert state_of(hass, FRONT["status"]) == "online"
            assert state_of(hass, BACK["status"]) == "online"
            await stop(process)
        await wait_for(lambda: state_of(hass, FRONT["status"]) == STATE_UNAVAILABLE)
        assert await hass.config_entries.async_unload(entry.entry_id)
