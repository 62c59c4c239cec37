"""An outside MQTT client that times each message where it lands.

The benches that measure HA AI through a real broker want the moment a message
reached a program outside Home Assistant. paho runs its network loop in a thread
of its own; the clock is read right there, in `on_message`, before any hop to the
asyncio loop, so thread switching is not counted as latency. The message then
goes to a queue on the asyncio loop, where the bench waits for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .common import LOOPBACK


@dataclasses.dataclass(frozen=True)
class Arrival:
    """One message, timed where paho received it."""

    at: float  # the client's clock, read in paho's thread
    topic: str
    payload: dict[str, Any]


class TimedClient:
    """Subscribes to `topic` on the loopback broker; queues what arrives, timed."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        port: int,
        *,
        client_id: str,
        topic: str,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """Prepare a client for the broker on loopback `port`.

        `clock` is what the bench compares the arrival with: `time.perf_counter`
        in this process, or `time.monotonic` against a time read in another
        process on the same machine.
        """
        self.loop = loop
        self.port = port
        self.topic = topic
        self.clock = clock
        self.subscribed = asyncio.Event()
        self.arrivals: asyncio.Queue[Arrival] = asyncio.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    async def start(self, timeout: float = 10) -> None:
        """Connect, subscribe and wait for the SUBACK."""
        self.client.connect(LOOPBACK, self.port)
        self.client.loop_start()
        await asyncio.wait_for(self.subscribed.wait(), timeout)

    def stop(self) -> None:
        """Disconnect and join paho's thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: dict[str, Any]) -> mqtt.MQTTMessageInfo:
        """Send a JSON message (QoS 1); the returned info tells when it is acked."""
        return self.client.publish(topic, json.dumps(payload), qos=1)

    async def next(self, timeout: float) -> Arrival:
        """Return the next message, or raise TimeoutError."""
        return await asyncio.wait_for(self.arrivals.get(), timeout)

    def drain(self) -> list[Arrival]:
        """Return (and drop) whatever arrived and was not taken yet."""
        left = []
        while not self.arrivals.empty():
            left.append(self.arrivals.get_nowait())
        return left

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:  # noqa: ANN401
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, *_: Any) -> None:  # noqa: ANN401
        self.loop.call_soon_threadsafe(self.subscribed.set)

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        arrived = self.clock()
        try:
            payload = json.loads(message.payload)
        except ValueError:
            # Not an event (a retained message cleared, say): a raise here would
            # end paho's thread and leave the bench waiting for nothing.
            return
        self.loop.call_soon_threadsafe(
            self.arrivals.put_nowait, Arrival(arrived, message.topic, payload)
        )
