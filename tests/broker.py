"""A real mosquitto broker and a real MQTT client process, for end-to-end tests.

Both run as subprocesses on a loopback port and are always stopped by the
fixtures that start them, so no thread or process outlives a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

MOSQUITTO_PATHS = ("/usr/sbin", "/usr/bin", "/usr/local/sbin")


def find_program(name: str) -> str | None:
    """Return the path of a mosquitto program, also outside PATH (/usr/sbin)."""
    return shutil.which(name) or shutil.which(name, path=":".join(MOSQUITTO_PATHS))


def skip_without(*programs: str) -> pytest.MarkDecorator:
    """Skip a module's tests where the mosquitto programs are missing."""
    return pytest.mark.skipif(
        any(find_program(program) is None for program in programs),
        reason="mosquitto is not installed; scripts/test installs it",
    )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mosquitto:
    """A mosquitto broker that keeps sessions across restarts (persistence on)."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        config = self.directory / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.directory}/\n"
            "log_dest stderr\n"
            "log_type error\n"
        )
        program = find_program("mosquitto")
        assert program, "mosquitto is not installed (scripts/test installs it)"
        self.process = await asyncio.create_subprocess_exec(
            program,
            "-c",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.close()
                    await writer.wait_closed()
                    return
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop the broker; it saves its sessions and retained messages."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
        self.process = None


@dataclass(frozen=True)
class Received:
    """One message as the external client saw it."""

    qos: int
    retained: bool
    topic: str
    payload: str


class Subscriber:
    """`mosquitto_sub` with a persistent session: it misses nothing while away."""

    def __init__(self, port: int, topic: str, *, persistent: bool = True) -> None:
        """Prepare a subscriber to `topic` on the broker at `port`.

        A persistent subscriber's session outlives its connection and the broker's
        restarts; a clean one starts afresh and sees only the retained message.
        """
        self.port = port
        self.topic = topic
        self.persistent = persistent
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Connect and subscribe with QoS 1 and a session the broker keeps."""
        program = find_program("mosquitto_sub")
        assert program, "mosquitto_sub is not installed (scripts/test installs it)"
        self.process = await asyncio.create_subprocess_exec(
            program,
            *("-h", "127.0.0.1", "-p", str(self.port), "-t", self.topic, "-q", "1"),
            *(("-c", "-i", "ha-ai-test-subscriber") if self.persistent else ()),
            *("-F", "%q %r %t %p"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )

    async def next(self, timeout: float = 30) -> Received:
        """Return the next message, waiting at most `timeout` seconds."""
        assert self.process is not None
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            line = (await self.process.stdout.readline()).decode().rstrip("\n")
        qos, retained, topic, payload = line.split(" ", 3)
        return Received(int(qos), retained == "1", topic, payload)

    async def stop(self) -> None:
        """Disconnect."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
        self.process = None


async def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Wait until `condition()` is true (real clients change state on their own)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def publish(
    port: int, topic: str, payload: object, *, retain: bool = False
) -> None:
    """Publish with QoS 1 as an outside program would, through `mosquitto_pub`."""
    program = find_program("mosquitto_pub")
    assert program, "mosquitto_pub is not installed (scripts/test installs it)"
    text = payload if isinstance(payload, str) else json.dumps(payload)
    process = await asyncio.create_subprocess_exec(
        program,
        *("-h", "127.0.0.1", "-p", str(port), "-q", "1"),
        *(("-r",) if retain else ()),
        *("-t", topic, "-m", text),
    )
    assert await process.wait() == 0


@contextlib.asynccontextmanager
async def real_mqtt_entry(hass: HomeAssistant, port: int) -> AsyncIterator[None]:
    """Set Home Assistant's real mqtt integration up on the broker, connected."""
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={mqtt.CONF_BROKER: "127.0.0.1", "port": port},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for(lambda: mqtt.is_connected(hass))
    yield
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
