"""A 20,000-device pairing burst through a real Home Assistant and mosquitto.

Zigbee2MQTT (a paho client here) first lists its coordinator and a few devices;
once HA AI knows them, it lists `PAIRING_DEVICES` more at once, as after a mass
pairing. An outside subscriber (paho, QoS 1, on `ha-ai/events/device/#`) counts
what reaches the broker: `paired` events (one per new device when each is
announced), and every other kind of device event by its name (a summary of the
burst, if HA AI summarises; the opportunities the judgement publishes after it).
The figure is "events delivered out of N pairings"; the devices HA AI counted
(its `sensor.ha_ai_zigbee_devices`) show the list was taken in at all.

While the burst is handled, and on until the judgement and the suggestions have
been refreshed after it (both debounced), websocket `ping`s go out every few
milliseconds: the longest round trip is the longest the event loop of a running
Home Assistant kept a client waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from typing import Any

import aiohttp
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from benchmarks.device_lists import coordinator, device_list
from scripts import devenv

# The bridge's limit on a device list (zigbee/bridge.py, MAX_DEVICE_LIST_BYTES).
MAX_DEVICE_LIST_BYTES = 32 * 1024 * 1024

PAIRING_DEVICES = 20_000
FIRST_LIST = 5  # devices listed before the burst
DEVICES_SENSOR = "sensor.ha_ai_zigbee_devices"
EVENT_TOPIC = "ha-ai/events/device/#"
QUIET_FOR = 15.0  # no new device event for this long: the burst is over
BURST_TIMEOUT = 300.0
# The judgement and then the suggestion refresh each wait 10 s for changes to
# settle; the judgement's opportunities are device events, so once the events are
# quiet, this is enough for the refresh to have run.
FOLLOW_UP = 15.0
PING_EVERY = 0.005


class DeviceEvents:
    """An outside subscriber counting device events by their last topic level."""

    def __init__(self, port: int) -> None:
        """Prepare a QoS 1 subscriber for the broker on loopback `port`."""
        self.port = port
        self.kinds: Counter[str] = Counter()
        self.devices: set[str] = set()
        self.last_at = time.monotonic()
        self.loop = asyncio.get_running_loop()
        self.subscribed = asyncio.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-pairing-events"
        )
        self.client.on_connect = lambda client, *_: client.subscribe(EVENT_TOPIC, 1)
        self.client.on_subscribe = lambda *_: self.loop.call_soon_threadsafe(
            self.subscribed.set
        )
        self.client.on_message = self._on_message

    async def start(self) -> None:
        """Connect, subscribe and wait for the SUBACK."""
        self.client.connect(devenv.LOOPBACK, self.port)
        self.client.loop_start()
        await asyncio.wait_for(self.subscribed.wait(), 10)

    def stop(self) -> None:
        """Disconnect and join paho's network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def reset(self) -> None:
        """Forget what was counted so far."""
        self.kinds.clear()
        self.devices.clear()

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        self.last_at = time.monotonic()
        levels = message.topic.split("/")
        self.kinds[levels[-1]] += 1
        if levels[-1] == "paired":
            self.devices.add(levels[-2])


async def publish_list(port: int, devices: list[dict[str, Any]]) -> None:
    """Publish a retained `bridge/devices` list as Zigbee2MQTT does (QoS 1)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pairing-z2m")
    client.connect(devenv.LOOPBACK, port)
    client.loop_start()
    try:
        info = client.publish(
            "zigbee2mqtt/bridge/devices", json.dumps(devices), qos=1, retain=True
        )
        await asyncio.to_thread(info.wait_for_publish, 60)
    finally:
        client.disconnect()
        client.loop_stop()


async def devices_counted(api: devenv.HassApi) -> int:
    """Return HA AI's count of Zigbee devices, -1 while it has none."""
    try:
        return int((await api.request("GET", f"/api/states/{DEVICES_SENSOR}"))["state"])
    except (devenv.DevEnvError, ValueError, KeyError):
        return -1


async def wait_above(api: devenv.HassApi, count: int, timeout: float) -> int:
    """Wait until HA AI counts more than `count` devices; return the count.

    A list is taken in as a whole, so the count changes once. (Some cloned
    definitions may be refused, so the new count need not be the list's length.)
    """
    deadline = time.monotonic() + timeout
    while (seen := await devices_counted(api)) <= count:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    return seen


class Pinger:
    """Sends websocket pings one after the other; keeps the longest round trip."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated websocket."""
        self.ws = ws
        self.longest = 0.0
        self.pings = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Ping in the background."""
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop pinging."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        message_id = 1000
        while True:
            message_id += 1
            started = time.perf_counter()
            await self.ws.send_json({"id": message_id, "type": "ping"})
            while (await self.ws.receive_json()).get("id") != message_id:
                pass
            self.longest = max(self.longest, time.perf_counter() - started)
            self.pings += 1
            await asyncio.sleep(PING_EVERY)


async def authenticated_websocket(
    api: devenv.HassApi,
) -> aiohttp.ClientWebSocketResponse:
    """Open Home Assistant's websocket and log in with the API's token."""
    ws = await api.session.ws_connect(f"{api.base_url}/api/websocket")
    await ws.receive_json()
    await ws.send_json({"type": "auth", "access_token": api.access_token})
    reply = await ws.receive_json()
    if reply.get("type") != "auth_ok":
        await ws.close()
        msg = f"Home Assistant refused the websocket login: {reply}"
        raise RuntimeError(msg)
    return ws


async def measure_pairing(
    env: devenv.Environment, count: int = PAIRING_DEVICES
) -> list[dict[str, Any]]:
    """Pair `count` devices at once; count the device events that reach the broker."""
    devices = [coordinator(), *device_list(FIRST_LIST + count)]
    if len(json.dumps(devices)) > MAX_DEVICE_LIST_BYTES:
        # Real definitions are large: such a list is refused by the bridge.
        devices = [coordinator(), *device_list(FIRST_LIST + count, real=False)]
    events = DeviceEvents(env.mqtt_port)
    await events.start()
    ws: aiohttp.ClientWebSocketResponse | None = None
    pinger: Pinger | None = None
    try:
        devenv.log(f"Zigbee2MQTT lists {FIRST_LIST} devices")
        await publish_list(env.mqtt_port, devices[: FIRST_LIST + 1])
        first = await wait_above(env.api, 0, 60)
        await asyncio.sleep(2)
        events.reset()
        # Opened only now, and read from then on: Home Assistant closes a
        # websocket whose heartbeat goes unanswered (about 82 s unread).
        ws = await authenticated_websocket(env.api)
        pinger = Pinger(ws)
        devenv.log(f"Zigbee2MQTT lists {count} more at once")
        pinger.start()
        started = time.monotonic()
        await publish_list(env.mqtt_port, devices)
        counted = await wait_above(env.api, first, BURST_TIMEOUT)
        taken_in = time.monotonic()
        while time.monotonic() - max(events.last_at, taken_in) < QUIET_FOR:
            if time.monotonic() - started > BURST_TIMEOUT:
                break
            await asyncio.sleep(0.5)
        last_event = max(events.last_at - started, 0.0)
        devenv.log("Waiting for the judgement and the suggestions after the burst")
        await asyncio.sleep(FOLLOW_UP)
        await pinger.stop()
    finally:
        if pinger is not None:
            await pinger.stop()
        if ws is not None:
            await ws.close()
        events.stop()
    devenv.log(f"  device events seen: {dict(events.kinds)}")
    return [
        {
            "name": f"pairing_{count}_paired_events_delivered",
            "value": len(events.devices),
            "unit": f"events of {count} pairings",
        },
        *(
            {"name": f"pairing_{count}_{kind}_events", "value": n, "unit": "events"}
            for kind, n in sorted(events.kinds.items())
            if kind != "paired"
        ),
        {
            "name": f"pairing_{count}_devices_counted",
            "value": counted,
            "unit": "devices",
        },
        {
            "name": f"pairing_{count}_last_event_after",
            "value": round(last_event, 1),
            "unit": "s",
        },
        {
            "name": f"pairing_{count}_ws_ping_max",
            "value": round(pinger.longest * 1000, 1),
            "unit": "ms",
        },
        {"name": f"pairing_{count}_ws_pings", "value": pinger.pings, "unit": "pings"},
    ]
