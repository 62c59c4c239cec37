"""AI camera events through a real Home Assistant and mosquitto: rate and latency.

A classifier stand-in (paho, QoS 1) publishes events for 20 cameras. Two figures:

- latency: the time from an event's publish to the state change of the camera's
  event entity, taken from the state's own `last_updated` (the same machine's
  clock), for single probe events on a quiet system;
- sustained rate: the flood steps up through `RATES` events per second, spread
  over the 20 cameras, for `STEP_SECONDS` each, while probe events measure the
  same latency. A rate is sustained when every event is counted by the cameras'
  `events today` sensors soon after the step and the probes' p95 stays under
  `MAX_LAG_MS`: past that, the event loop falls behind.

The entity changes are followed with the websocket `subscribe_entities` command,
limited to the probe camera's event entity, so watching costs Home Assistant
almost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from scripts import devenv

CAMERAS = 20
RATES = (100, 200, 400, 800, 1_600, 3_200)
STEP_SECONDS = 5.0
PROBES_PER_SECOND = 10
IDLE_PROBES = 200
MAX_LAG_MS = 250.0
COUNT_TIMEOUT = 10.0
# New cameras appear 10 at once, then 5 a minute (engine/cameras/admission.py):
# the 20 bench cameras need two minutes more than the first ten.
DISCOVERY_TIMEOUT = 60 + (CAMERAS - 10) / 5 * 60
TICK = 0.01  # the flood is sent in slices of this many seconds
# The watcher pings too, so a Home Assistant that stopped answering is noticed.
WS_HEARTBEAT = 30.0


def camera_id(number: int) -> str:
    """Return the id of bench camera `number`."""
    return f"bench_cam_{number:02d}"


PROBE_ENTITY = f"event.{camera_id(0)}_detection"


class Classifier:
    """Publishes events like an AI camera classifier, numbering them."""

    def __init__(self, port: int) -> None:
        """Prepare a QoS 1 publisher for the broker on loopback `port`."""
        self.port = port
        self.sent = [0] * CAMERAS
        self.serial = 0
        self.connected = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-cams")
        self.client.max_inflight_messages_set(1_000)
        self.client.on_connect = lambda *_: self.loop.call_soon_threadsafe(
            self.connected.set
        )

    async def start(self) -> None:
        """Connect and run paho's network thread."""
        self.client.connect(devenv.LOOPBACK, self.port)
        self.client.loop_start()
        await asyncio.wait_for(self.connected.wait(), 10)

    def stop(self) -> None:
        """Disconnect and join paho's network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, camera: int, description: str = "A person") -> float:
        """Publish one new event for `camera`; return the wall time of the publish."""
        self.serial += 1
        self.sent[camera] += 1
        now = time.time()
        payload = {
            "event_id": f"bench-{self.serial}",
            "camera_id": camera_id(camera),
            "camera_name": f"Bench cam {camera:02d}",
            "description": description,
            "objects_detected": ["person"],
            "confidence": 90,
            "source_type": "bench",
            "timestamp": datetime.fromtimestamp(now, UTC).isoformat(),
            "thumbnail_url": "http://127.0.0.1/thumb.jpg",
        }
        self.client.publish(
            f"liveobject/camera/{camera_id(camera)}/event", json.dumps(payload), qos=1
        )
        return now


async def authenticate(ws: aiohttp.ClientWebSocketResponse, access_token: str) -> None:
    """Log in on a fresh websocket; raise when Home Assistant refuses."""
    await ws.receive_json()  # auth_required
    await ws.send_json({"type": "auth", "access_token": access_token})
    reply = await ws.receive_json()
    if reply.get("type") != "auth_ok":
        msg = f"websocket authentication failed: {reply}"
        raise devenv.DevEnvError(msg)


async def subscribe(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Follow the probe entity; return once its present state has arrived.

    Only then is the subscription in place: a probe published earlier could
    change the state before Home Assistant follows it, and never be seen.
    """
    await ws.send_json(
        {"id": 1, "type": "subscribe_entities", "entity_ids": [PROBE_ENTITY]}
    )
    while True:
        reply = await ws.receive_json()
        if reply.get("type") == "result" and not reply.get("success"):
            msg = f"subscribe_entities failed: {reply.get('error')}"
            raise devenv.DevEnvError(msg)
        if PROBE_ENTITY in (reply.get("event") or {}).get("a", {}):
            return


class ProbeWatcher:
    """Follows the probe camera's event entity; pairs probes with their change.

    The websocket is opened only once the cameras exist, and from then on a task
    reads it all the time. Home Assistant pings each websocket every 55 s and
    closes it when the pong is not back within half of that, and aiohttp only
    answers a ping while the socket is being read: a socket opened before the
    minutes of discovery and left unread is gone by the time it is used.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated websocket."""
        self.ws = ws
        self.published: dict[str, float] = {}
        self.latencies: dict[str, float] = {}
        self.arrived = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None
        self.lost: str | None = None

    @classmethod
    async def connect(cls, api: devenv.HassApi) -> ProbeWatcher:
        """Open and authenticate a websocket, subscribe to the probe entity."""
        ws = await api.session.ws_connect(
            f"{api.base_url}/api/websocket", heartbeat=WS_HEARTBEAT
        )
        try:
            await authenticate(ws, api.access_token)
            await subscribe(ws)
        except BaseException:
            await ws.close()
            raise
        watcher = cls(ws)
        watcher.task = asyncio.create_task(watcher._read())
        return watcher

    async def close(self) -> None:
        """Stop reading and close the websocket."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.ws.close()

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue  # an error; the socket reports closed next
            data = json.loads(message.data)
            for change in (data.get("event") or {}).get("c", {}).values():
                added = change.get("+", {})
                description = added.get("a", {}).get("description")
                # The state changes with each event, so last_changed is set.
                updated = added.get("lc", added.get("lu"))
                if description in self.published and updated is not None:
                    latency = (updated - self.published.pop(description)) * 1000
                    async with self.arrived:
                        self.latencies[description] = latency
                        self.arrived.notify_all()
        # The loop ends only when the socket closed: say so instead of letting
        # every probe after this one time out.
        self.lost = (
            f"Home Assistant's websocket closed (code {self.ws.close_code}"
            f"{f': {self.ws.exception()}' if self.ws.exception() else ''})"
        )
        devenv.log(self.lost)
        async with self.arrived:
            self.arrived.notify_all()

    async def probe(self, classifier: Classifier, name: str) -> None:
        """Publish one probe event on camera 0 (its description is its name)."""
        self.published[name] = classifier.publish(0, name)

    async def wait_for(self, name: str, timeout: float) -> float:
        """Return the latency of probe `name` once its state change arrived."""
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(
                lambda: name in self.latencies or self.lost is not None
            )
        if name not in self.latencies:
            raise devenv.DevEnvError(f"{self.lost}: probe {name} not seen")
        return self.latencies[name]


async def counted(api: devenv.HassApi) -> list[int]:
    """Return each camera's `events today`, -1 where it is not known."""
    values = []
    for camera in range(CAMERAS):
        try:
            data = await api.request(
                "GET", f"/api/states/sensor.{camera_id(camera)}_events_today"
            )
            values.append(int(data["state"]))
        except (devenv.DevEnvError, ValueError):
            values.append(-1)
    return values


async def wait_counted(
    api: devenv.HassApi, classifier: Classifier, timeout: float
) -> float | None:
    """Wait until every event sent is counted; return how long that took."""
    started = time.monotonic()
    while await counted(api) != classifier.sent:
        if time.monotonic() - started > timeout:
            return None
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def discover(api: devenv.HassApi, classifier: Classifier) -> None:
    """Publish to each camera until its entities exist, then take the counts.

    Home Assistant subscribes a moment after the entry is loaded: the first
    events may go nowhere, so the counts that matter start from here. New
    cameras beyond the first ten wait their turn, so this takes a few minutes.
    """
    deadline = time.monotonic() + DISCOVERY_TIMEOUT
    while -1 in (values := await counted(api)):
        if time.monotonic() > deadline:
            raise devenv.DevEnvError("the bench cameras did not appear")
        for camera, value in enumerate(values):
            if value < 0:
                classifier.publish(camera)
        await asyncio.sleep(1)
    await asyncio.sleep(1)
    classifier.sent = await counted(api)


async def flood(
    classifier: Classifier, watcher: ProbeWatcher, rate: int, step: int
) -> list[str]:
    """Send `rate` events a second for STEP_SECONDS with probes; return the probes."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = 0
    probes: list[str] = []
    camera = 0
    while (elapsed := loop.time() - started) < STEP_SECONDS:
        due = int(elapsed * rate)
        while sent < due:
            camera = camera % (CAMERAS - 1) + 1  # camera 0 carries the probes
            classifier.publish(camera)
            sent += 1
        if len(probes) < elapsed * PROBES_PER_SECOND:
            name = f"probe {step}-{len(probes)}"
            probes.append(name)
            await watcher.probe(classifier, name)
        await asyncio.sleep(TICK)
    return probes


async def measure_cameras(
    env: devenv.Environment,
    summary: Any,  # noqa: ANN401 - bench.summary
) -> list[dict[str, Any]]:
    """Discover the cameras, time idle probes, then step the flood up."""
    classifier = Classifier(env.mqtt_port)
    await classifier.start()
    figures: list[dict[str, Any]] = []
    try:
        devenv.log(f"Discovering {CAMERAS} cameras")
        await discover(env.api, classifier)
        watcher = await ProbeWatcher.connect(env.api)
    except BaseException:
        classifier.stop()
        raise
    try:
        devenv.log(f"Latency: {IDLE_PROBES} single events")
        idle = []
        for n in range(IDLE_PROBES):
            await watcher.probe(classifier, f"idle {n}")
            idle.append(await watcher.wait_for(f"idle {n}", 5))
        figures += summary("camera_event_latency", idle)
        sustained = 0
        for step, rate in enumerate(RATES):
            devenv.log(f"Flood: {rate} events/s over {CAMERAS} cameras")
            probes = await flood(classifier, watcher, rate, step)
            settle = await wait_counted(env.api, classifier, COUNT_TIMEOUT)
            lags = []
            for name in probes:
                with contextlib.suppress(TimeoutError):
                    lags.append(await watcher.wait_for(name, 5))
            complete = settle is not None and len(lags) == len(probes)
            p95 = summary("x", lags)[1]["value"] if lags else float("inf")
            counted_in = f"in {settle:.1f} s" if settle is not None else "NO"
            devenv.log(f"  p95 {p95:.1f} ms, all counted {counted_in}")
            figures.append(
                {"name": f"camera_flood_{rate}_p95", "value": p95, "unit": "ms"}
            )
            if not complete or p95 > MAX_LAG_MS:
                break
            sustained = rate
        figures.append(
            {"name": "camera_events_sustained", "value": sustained, "unit": "events/s"}
        )
    finally:
        await watcher.close()
        classifier.stop()
    return figures
