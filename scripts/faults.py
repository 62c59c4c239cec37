"""Faults on a real Home Assistant with a real broker: what HA AI keeps through them.

`python -m scripts.faults <fault>` starts one Home Assistant process with HA AI
and a real mosquitto (the environment `scripts/develop` runs), puts something in
every part of HA AI worth keeping, causes one kind of fault and checks, through
REST, the websocket and MQTT clients outside Home Assistant (as a user's tools
see it), that nothing is lost nor done twice:

- `broker`: mosquitto (keeping its sessions, as an installed one does) is
  stopped in the middle of a burst of `ha_ai.publish_event` calls and started
  again. An outside subscriber with a persistent session gets every event that
  had not expired, none of those that expired while the broker was away, and
  copies only of events HA AI had handed over in time, at most one window of
  them (README: "At least once"); by `event_id` each arrives once. Inbound,
  camera events and a signed remote deploy sent before, during and after the
  outage, then all sent again (what a QoS 1 sender does when it is not sure),
  are applied once: the camera's count is the number of distinct events, the
  automation is deployed once.
- `restart`: Home Assistant is restarted; the suggestions, the camera's
  counts, the Zigbee capability store, the habit history and analysis, the
  sports state and the deployed automation read the same after as before, and
  the analysis that ran before is not run again at start.
- `stores`: with Home Assistant stopped, HA AI's stored files are damaged, one
  half of them, then the other: each damaged one raises a repair issue and its
  part starts fresh, the file is kept aside as `<file>.corrupt-<time>`, and the
  undamaged parts read as before.

Each check that fails stops the run with a message saying what differed; on
success one JSON line per fact checked goes to stdout (what
tests/test_real_ha_faults.py asserts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from scripts import devenv, zigbee2mqtt_sim
from scripts.bench import (
    WebSocketApi,
    add_run_dir_options,
    emit,
    kept_when_failed,
    run_dir_for,
)
from scripts.bench_runs import enable_remote_deploy, sign
from scripts.devenv.demo_history import demo_household, seed_history
from scripts.devenv.hass_api import repair_issues
from scripts.devenv.home_assistant import TIME_ZONE
from scripts.devenv.sports_demo import StandInTeam, teamtracker_yaml

PREFIX = "ha-ai"
CONNECTED = "binary_sensor.ha_ai_mqtt_link"
LAST_ANALYSIS = "sensor.ha_ai_last_analysis"
PATTERNS = "sensor.ha_ai_patterns_detected"
PENDING = "sensor.ha_ai_suggestions_pending"
ZIGBEE_DEVICES = "sensor.ha_ai_zigbee_devices"
UNUSED_CAPABILITIES = "sensor.ha_ai_unused_capabilities"
ANALYSIS_COMPLETE = f"{PREFIX}/analysis/complete"
DEPLOY_TOPIC = f"{PREFIX}/commands/automation/deploy"
RESPONSES = f"{PREFIX}/responses/automation/#"
BURST_PATH = "faults/burst"
CAMERA_PREFIX = "liveobject"
CAMERA = "fault_cam"
CAMERA_EVENTS_TODAY = "sensor.fault_cam_events_today"
PROBE_CAMERA = "fault_probe"
PROBE_EVENTS_TODAY = "sensor.fault_probe_events_today"
HABIT_LIGHT = "light.fault_lamp"
HABIT_PLUG = "switch.fault_plug"
TEAM = StandInTeam("Fault Crew", "MLS", "CLB", "soccer_tie", autoplay=False)
AUTOMATION_ID = "faults_remote"
STORAGE = Path(".storage")
WAIT = 60.0  # for anything HA AI does on its own (a reconnect takes up to 10 s)
POLL = 0.25
# HA AI's publish window (`const.PUBLISH_WINDOW`, not imported: this process
# loads the engine alone): the events an outage can make it send twice.
PUBLISH_WINDOW = 10


class FaultError(devenv.DevEnvError):
    """What HA AI did differs from what the fault must leave."""


def check(condition: object, message: str) -> None:
    """Stop the run with `message` unless `condition` holds."""
    if not condition:
        raise FaultError(message)


async def wait_for[T](probe: Callable[[], Any], what: str, timeout: float = WAIT) -> T:
    """Poll the coroutine function `probe` until it returns something true."""
    deadline = time.monotonic() + timeout
    while not (value := await probe()):
        if time.monotonic() > deadline:
            msg = f"{what}: not within {timeout:.0f} s (last: {value!r})"
            raise FaultError(msg)
        await asyncio.sleep(POLL)
    result: T = value
    return result


# A client outside Home Assistant


@dataclasses.dataclass(frozen=True)
class Message:
    """One message an outside client received."""

    topic: str
    payload: Any
    retained: bool
    # Sent again by the broker to this client (its own at-least-once): the
    # broker had sent it before and not heard it was received.
    redelivered: bool


class OutsideClient:
    """A paho client with a persistent session, as a program beside HA would run.

    Its session (`clean_session=False`) makes the broker keep its subscriptions
    and queue its QoS 1 messages while it is away, across a restart of a broker
    that keeps its sessions. Every message received is kept in `received`.
    `pause` stops its network loop (what it publishes then waits in the client)
    and `resume` reconnects it, so that the test decides when its queue goes.
    """

    def __init__(self, port: int, client_id: str, topics: Iterable[str]) -> None:
        """Prepare a client of the loopback broker on `port`."""
        self.port = port
        self.topics = list(topics)
        self.received: list[Message] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    async def start(self) -> None:
        """Connect and subscribe."""
        self.client.connect(devenv.LOOPBACK, self.port)
        self.client.loop_start()
        await asyncio.to_thread(self._subscribed.wait, 10)

    def stop(self) -> None:
        """Disconnect and join paho's thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def pause(self) -> None:
        """Drop the connection and stop the loop; publishes wait in the client."""
        self.client.loop_stop()
        with contextlib.suppress(OSError):
            sock = self.client.socket()
            if sock is not None:
                sock.close()

    def resume(self) -> None:
        """Reconnect: the publishes that waited are sent."""
        self.client.reconnect()
        self.client.loop_start()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Send a JSON message at QoS 1."""
        self.client.publish(topic, json.dumps(payload), qos=1)

    def messages(self, prefix: str = "") -> list[Message]:
        """Return what arrived so far on topics starting with `prefix`."""
        with self._lock:
            return [m for m in self.received if m.topic.startswith(prefix)]

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:  # noqa: ANN401
        for topic in self.topics:
            client.subscribe(topic, qos=1)

    def _on_subscribe(self, *_: Any) -> None:  # noqa: ANN401
        self._subscribed.set()

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        try:
            payload = json.loads(message.payload)
        except ValueError:
            payload = message.payload.decode(errors="replace")
        with self._lock:
            self.received.append(
                Message(message.topic, payload, message.retain, message.dup)
            )


@contextlib.asynccontextmanager
async def outside_client(
    port: int, client_id: str, topics: Iterable[str]
) -> AsyncIterator[OutsideClient]:
    """Run an `OutsideClient` for the length of the block."""
    client = OutsideClient(port, client_id, topics)
    await client.start()
    try:
        yield client
    finally:
        client.stop()


# Setting HA AI up and reading it as a user does


async def set_up(env: devenv.Environment) -> str:
    """Create the mqtt and ha_ai entries; return HA AI's entry id."""
    entry = await devenv.ensure_entries(env.api, env.mqtt_port)
    return str(entry["entry_id"])


async def state_of(api: devenv.HassApi, entity_id: str) -> dict[str, Any] | None:
    """Return an entity's state object, or None when there is none."""
    try:
        state: dict[str, Any] = await api.request("GET", f"/api/states/{entity_id}")
    except devenv.DevEnvError as err:
        if "HTTP 404" in str(err):
            return None
        raise
    return state


async def until_state(
    api: devenv.HassApi, entity_id: str, wanted: str, timeout: float = WAIT
) -> None:
    """Wait until `entity_id` is `wanted`."""

    async def probe() -> bool:
        return await api.state(entity_id) == wanted

    await wait_for(probe, f"{entity_id} to be {wanted}", timeout)


def camera_event(
    camera_id: str, event_id: str, name: str = "Fault Cam"
) -> dict[str, Any]:
    """Return a classifier event as the AI camera publishes it."""
    return {
        "event_id": event_id,
        "camera_id": camera_id,
        "camera_name": name,
        "description": "A person at the door",
        "objects_detected": ["person"],
        "confidence": 90,
        "source_type": "rtsp",
        "timestamp": datetime.now(UTC).isoformat(),
        "thumbnail_url": "",
    }


def camera_topic(camera_id: str) -> str:
    """Return the topic of `camera_id`'s events."""
    return f"{CAMERA_PREFIX}/camera/{camera_id}/event"


async def suggestions(api: devenv.HassApi) -> list[dict[str, Any]]:
    """Return the suggestions as the card gets them (the websocket subscription)."""
    ws = await WebSocketApi.connect(api)
    try:
        message_id = await ws.send({"type": "ha_ai/suggestions/subscribe"})
        await ws.result(message_id)
        while True:
            event = await ws.ws.receive_json()
            if event.get("id") == message_id and event.get("type") == "event":
                listed: list[dict[str, Any]] = event["event"]["suggestions"]
                return listed
    finally:
        await ws.ws.close()


def publish_call(seq: int, ttl: int | None = None) -> dict[str, Any]:
    """Return the websocket message calling `ha_ai.publish_event` for `seq`."""
    data: dict[str, Any] = {"path": BURST_PATH, "payload": {"seq": seq}}
    if ttl is not None:
        data["ttl"] = ttl
    return {
        "type": "call_service",
        "domain": "ha_ai",
        "service": "publish_event",
        "service_data": data,
        "return_response": True,
    }


async def publish_events(
    ws: WebSocketApi, seqs: Iterable[int], ttl: int | None = None
) -> list[dict[str, Any]]:
    """Call `ha_ai.publish_event` for each of `seqs` at once; return the responses.

    The calls are all sent before the first answer is read, as a busy
    automation would call it.
    """
    ids = [await ws.send(publish_call(seq, ttl)) for seq in seqs]
    answers: dict[int, dict[str, Any]] = {}
    while len(answers) < len(ids):
        reply = await ws.ws.receive_json()
        if reply.get("type") == "result" and reply.get("id") in ids:
            check(reply.get("success"), f"publish_event failed: {reply}")
            answers[reply["id"]] = reply["result"]["response"]
    return [answers[i] for i in ids]


# The broker restarted during a burst


BURST_BEFORE = 30  # published in quick succession; the broker stops after half
STOP_AFTER = 15
LONG_DURING = 10  # published while HA AI knows the broker is away: kept
SHORT_DURING = 10  # published then with a time-to-live of 1 s: expire
SHORT_TTL = 1
CAMERA_BEFORE = 10
CAMERA_DURING = 10


def deploy_command(secret: str) -> dict[str, Any]:
    """Return a signed remote deploy of one automation (README's format)."""
    return sign(
        {
            "event_id": f"faults-deploy-{uuid.uuid4().hex}",
            "timestamp": datetime.now(UTC).isoformat(),
            "ttl": 600,
            "automation_id": AUTOMATION_ID,
            "suggestion_id": "faults_suggestion",
            "automation": {
                "alias": "Faults remote",
                "triggers": [
                    {"trigger": "state", "entity_id": "input_boolean.faults_trigger"}
                ],
                "actions": [
                    {
                        "action": "input_boolean.toggle",
                        "target": {"entity_id": "input_boolean.faults_sink"},
                    }
                ],
            },
        },
        secret,
    )


FAULTS_PACKAGE = (
    "input_boolean:\n"
    "  faults_trigger:\n    name: Faults trigger\n"
    "  faults_sink:\n    name: Faults sink\n"
    # The devices of the seeded habits: suggestions are made for entities
    # that exist.
    "mqtt:\n"
    "  light:\n"
    "    - name: Fault lamp\n      unique_id: fault_lamp\n"
    "      command_topic: faults/lamp/set\n"
    "  switch:\n"
    "    - name: Fault plug\n      unique_id: fault_plug\n"
    "      command_topic: faults/plug/set\n"
)


async def burst(ws: WebSocketApi, env: devenv.Environment) -> list[dict[str, Any]]:
    """Publish `BURST_BEFORE` events as fast as answered; stop the broker midway."""
    answered = await publish_events(ws, range(STOP_AFTER))
    stopping = asyncio.ensure_future(env.stop_broker())
    answered += await publish_events(ws, range(STOP_AFTER, BURST_BEFORE))
    await stopping
    return answered


async def received_once(
    outside: OutsideClient, wanted: set[str]
) -> tuple[Counter[str], list[Message]]:
    """Wait until every id of `wanted` reached `outside`; count each id's copies."""

    async def probe() -> bool:
        seen = {m.payload.get("event_id") for m in outside.messages(burst_prefix())}
        return wanted <= seen

    await wait_for(probe, "every unexpired event at the outside subscriber")
    # Copies handed over before the outage may trail the first ones a little.
    await asyncio.sleep(2)
    messages = outside.messages(burst_prefix())
    return Counter(m.payload.get("event_id") for m in messages), messages


def burst_prefix() -> str:
    """Return the topic of the burst's events."""
    return f"{PREFIX}/events/{BURST_PATH}"


async def probe_camera_counted(api: devenv.HassApi, sender: OutsideClient) -> int:
    """Send probe events until HA AI counts one: its subscriptions are live.

    Home Assistant's MQTT client sends subscriptions a moment after they are
    asked for (and again after a reconnect or a reload): what is published
    before is not for HA AI to see. Returns how many probes were sent.
    """
    sent = 0
    counted = await api.state(PROBE_EVENTS_TODAY)

    async def probe() -> bool:
        nonlocal sent
        sent += 1
        sender.publish(
            camera_topic(PROBE_CAMERA),
            camera_event(PROBE_CAMERA, f"probe-{uuid.uuid4().hex}", "Fault Probe"),
        )
        await asyncio.sleep(0.5)
        now = await api.state(PROBE_EVENTS_TODAY)
        return now not in (counted, None, "0", "unknown", "unavailable")

    await wait_for(probe, "HA AI's subscriptions live")
    return sent


async def broker_fault(env: devenv.Environment) -> list[dict[str, Any]]:  # noqa: PLR0915 - one fault told in order
    """Restart the broker during a burst, with messages both ways; check both."""
    entry_id = await set_up(env)
    secret = await enable_remote_deploy(env.api, entry_id)
    await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
    facts: list[dict[str, Any]] = []
    async with (
        outside_client(
            env.mqtt_port, "faults-subscriber", [f"{PREFIX}/events/faults/#", RESPONSES]
        ) as outside,
        outside_client(env.mqtt_port, "faults-sender", []) as sender,
    ):
        await probe_camera_counted(env.api, sender)
        ws = await WebSocketApi.connect(env.api)
        try:
            # Inbound before: counted as they come.
            for n in range(CAMERA_BEFORE):
                sender.publish(camera_topic(CAMERA), camera_event(CAMERA, f"c{n:02d}"))
            await until_state(env.api, CAMERA_EVENTS_TODAY, str(CAMERA_BEFORE))
            devenv.log("Burst of events; the broker stops in the middle")
            sender.pause()
            long_lived = await burst(ws, env)
            await until_state(env.api, CONNECTED, "off")
            during = await publish_events(
                ws, range(BURST_BEFORE, BURST_BEFORE + LONG_DURING)
            )
            short = await publish_events(
                ws, range(100, 100 + SHORT_DURING), ttl=SHORT_TTL
            )
            # Inbound while the broker is away: waits in the sender.
            during_ids = [
                f"c{n:02d}" for n in range(CAMERA_BEFORE, CAMERA_BEFORE + CAMERA_DURING)
            ]
            for event_id in during_ids:
                sender.publish(camera_topic(CAMERA), camera_event(CAMERA, event_id))
            command = deploy_command(secret)
            sender.publish(DEPLOY_TOPIC, command)
            await asyncio.sleep(SHORT_TTL + 1)
            devenv.log("Starting the broker again")
            await env.start_broker()
            await until_state(env.api, CONNECTED, "on")
            wanted = {e["event_id"] for e in [*long_lived, *during]}
            expired = {e["event_id"] for e in short}
            copies, messages = await received_once(outside, wanted)
            sender.resume()
            probes = await probe_camera_counted(env.api, sender)
        finally:
            await ws.ws.close()
        # What a sender unsure of its messages does: all of them again.
        for n in range(CAMERA_BEFORE + CAMERA_DURING):
            sender.publish(camera_topic(CAMERA), camera_event(CAMERA, f"c{n:02d}"))
        sender.publish(DEPLOY_TOPIC, command)
        answers: list[tuple[str, dict[str, Any]]] = await wait_for(
            lambda: answers_to(outside, command["event_id"], 2),
            "two answers to the deploy command",
        )
        # The repeats are handled in order behind the deploy's second answer.
        await asyncio.sleep(2)
        counted = await env.api.state(CAMERA_EVENTS_TODAY)
    arrived = set(copies)
    # Copies the broker sent on its own (to a subscriber it was not sure had
    # one) are the broker's; the others reached the broker twice, from HA AI.
    sent_twice = Counter(
        m.payload.get("event_id") for m in messages if not m.redelivered
    )
    from_ha = sum(sent_twice.values()) - len(sent_twice)
    check(
        from_ha <= PUBLISH_WINDOW,
        f"{from_ha} events sent twice by HA AI; at most {PUBLISH_WINDOW} may be",
    )
    check(arrived >= wanted, f"events lost: {sorted(wanted - arrived)}")
    check(not arrived & expired, f"expired events sent: {sorted(arrived & expired)}")
    check(arrived <= wanted | expired, f"unknown events: {sorted(arrived - wanted)}")
    check(all(not m.retained for m in messages), "events arrived as retained messages")
    check(
        counted == str(CAMERA_BEFORE + CAMERA_DURING),
        f"camera events counted {counted}, sent {CAMERA_BEFORE + CAMERA_DURING}",
    )
    topics = [topic for topic, _ in answers]
    check(
        topics
        == [
            f"{PREFIX}/responses/automation/executed",
            f"{PREFIX}/responses/automation/failed",
        ],
        f"deploy answered {answers}",
    )
    check(answers[1][1].get("reason") == "replayed", f"second answer {answers[1]}")
    deployed = yaml_automations(env, AUTOMATION_ID)
    check(deployed == 1, f"{AUTOMATION_ID} deployed {deployed} times")
    facts += [
        {"name": "broker_events_expected", "value": len(wanted)},
        {"name": "broker_events_arrived", "value": len(arrived & wanted)},
        {"name": "broker_events_expired_sent", "value": len(arrived & expired)},
        {"name": "broker_event_copies", "value": sum(copies.values()) - len(copies)},
        {"name": "broker_event_copies_from_ha", "value": from_ha},
        {"name": "broker_camera_events_counted", "value": int(counted or 0)},
        {"name": "broker_camera_events_sent", "value": CAMERA_BEFORE + CAMERA_DURING},
        {"name": "broker_probe_events", "value": probes},
        {"name": "broker_deploys", "value": deployed},
        {"name": "broker_deploy_answers", "value": topics},
    ]
    return facts


def answers_to(outside: OutsideClient, event_id: str, count: int) -> Any:  # noqa: ANN401 - an awaitable for wait_for
    """Return HA AI's answers to the command `event_id`, once there are `count`."""

    async def probe() -> list[tuple[str, dict[str, Any]]] | None:
        answers = [
            (m.topic, m.payload)
            for m in outside.messages(f"{PREFIX}/responses/automation/")
            if isinstance(m.payload, dict)
            and m.payload.get("command_event_id") == event_id
        ]
        return answers if len(answers) >= count else None

    return probe()


def yaml_automations(env: devenv.Environment, automation_id: str) -> int:
    """Count the automations with `automation_id` in automations.yaml."""
    import yaml

    listed = yaml.safe_load(
        (env.config_dir / "automations.yaml").read_text(encoding="utf-8")
    )
    return sum(1 for item in listed or [] if item.get("id") == automation_id)


# Home Assistant restarted

# What changes at every start whatever HA AI keeps: the bus's counters count
# since the entry was loaded; the stand-in's team sensor starts with no game.
CAMERA_EVENTS = 5
SINCE_LOAD = ("messages_published", "publish_errors", "queued_messages")


async def ha_ai_entities(api: devenv.HassApi) -> list[str]:
    """Return the entity ids of HA AI's entities (the entity registry)."""
    ws = await WebSocketApi.connect(api)
    try:
        listed = await ws.result(await ws.send({"type": "config/entity_registry/list"}))
    finally:
        await ws.ws.close()
    return sorted(e["entity_id"] for e in listed if e["platform"] == "ha_ai")


async def snapshot(api: devenv.HassApi) -> dict[str, Any]:
    """Return what a user sees of HA AI: its entities' states and the card's list."""
    entities = {}
    for entity_id in await ha_ai_entities(api):
        if any(entity_id.endswith(key) for key in SINCE_LOAD):
            continue
        state = await state_of(api, entity_id)
        if state is not None:
            entities[entity_id] = {
                "state": state["state"],
                "attributes": state["attributes"],
            }
    listed = await suggestions(api)
    return {"entities": entities, "suggestions": listed}


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Describe how two snapshots differ (empty when they do not)."""
    found = []
    for entity_id in sorted(set(before["entities"]) | set(after["entities"])):
        old = before["entities"].get(entity_id)
        new = after["entities"].get(entity_id)
        if old != new:
            found.append(f"{entity_id}: {old} -> {new}")
    if before["suggestions"] != after["suggestions"]:
        found.append(f"suggestions: {before['suggestions']} -> {after['suggestions']}")
    return found


async def fill_ha_ai(env: devenv.Environment, sender: OutsideClient) -> None:
    """Give every part of HA AI something to keep.

    The first analysis (of the seeded history) has run, a suggestion is
    accepted (its automation deployed), a camera has events, the Zigbee
    bridge listed its devices (not retained: only HA AI's store keeps them
    after a restart), and the team's sensor has played a few steps.
    """
    await wait_for(
        lambda: analysed(env.api), "the first analysis of the seeded history"
    )
    listed: list[dict[str, Any]] = await wait_for(
        lambda: suggestions_if_any(env.api), "suggestions"
    )
    ws = await WebSocketApi.connect(env.api)
    try:
        await ws.result(
            await ws.send(
                {
                    "type": "ha_ai/suggestions/accept",
                    "suggestion_id": listed[0]["suggestion_id"],
                }
            )
        )
    finally:
        await ws.ws.close()
    for n in range(CAMERA_EVENTS):
        sender.publish(camera_topic(CAMERA), camera_event(CAMERA, f"r{n}"))
    await until_state(env.api, CAMERA_EVENTS_TODAY, str(CAMERA_EVENTS))
    devices = zigbee2mqtt_sim.load_devices()
    sender.client.publish(
        f"{zigbee2mqtt_sim.BASE_TOPIC}/bridge/devices", json.dumps(devices), qos=1
    )
    await until_state(env.api, ZIGBEE_DEVICES, str(len(devices) - 1))
    # The insights of the devices follow the list a little later.
    await wait_for(
        lambda: insights_ready(env.api), "the insights of the Zigbee devices"
    )
    for _ in range(4):
        await env.api.call_service(
            "teamtracker",
            "play_step",
            {"entity_id": TEAM.entity_id},
            return_response=True,
        )
    # Saves wait a little after a change, to write a burst once.
    await asyncio.sleep(2)


async def insights_ready(api: devenv.HassApi) -> bool:
    """Tell whether HA AI has judged the devices' capabilities."""
    return await api.state(UNUSED_CAPABILITIES) not in (None, "0", "unknown")


async def analysed(api: devenv.HassApi) -> bool:
    """Tell whether an analysis has run (the last-analysis sensor has a time)."""
    return await api.state(LAST_ANALYSIS) not in (None, "unknown", "unavailable")


async def suggestions_if_any(api: devenv.HassApi) -> list[dict[str, Any]] | None:
    """Return the suggestions once there are some."""
    return await suggestions(api) or None


def habit_log_lines(config_dir: Path) -> set[tuple[str, str]]:
    """Return the lines of HA AI's compact history on disk, with their day file."""
    return {
        (day.name, line)
        for day in (config_dir / ".storage" / "ha_ai_habits").glob("*.csv")
        for line in day.read_text(encoding="utf-8").splitlines()
    }


def complete_count(outside: OutsideClient) -> int:
    """Count the `analysis/complete` events the outside client received."""
    return len(outside.messages(ANALYSIS_COMPLETE))


async def restart_fault(env: devenv.Environment) -> list[dict[str, Any]]:
    """Restart Home Assistant; what HA AI keeps must read the same after."""
    async with (
        outside_client(
            env.mqtt_port,
            "faults-subscriber",
            [f"{PREFIX}/analysis/#", f"{PREFIX}/events/sports/#"],
        ) as outside,
        outside_client(env.mqtt_port, "faults-sender", []) as sender,
    ):
        await set_up(env)
        await probe_camera_counted(env.api, sender)
        await fill_ha_ai(env, sender)
        await wait_for(
            lambda: asyncio.sleep(0, complete_count(outside)),
            "the first analysis's analysis/complete",
        )
        before = await snapshot(env.api)
        analyses = complete_count(outside)
        moments = [
            m.payload.get("event_id")
            for m in outside.messages(f"{PREFIX}/events/sports/")
        ]
        logged = habit_log_lines(env.config_dir)
        devenv.log("Restarting Home Assistant")
        await env.restart_hass()
        await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
        lost = logged - habit_log_lines(env.config_dir)
        await until_state(env.api, CONNECTED, "on")
        # An analysis started at start would have published by now.
        await asyncio.sleep(10)
        after = await snapshot(env.api)
        analyses_after = complete_count(outside)
        moments_after = [
            m.payload.get("event_id")
            for m in outside.messages(f"{PREFIX}/events/sports/")
        ]
        # The camera's events sent again: counted before the restart, not twice.
        await probe_camera_counted(env.api, sender)
        for n in range(CAMERA_EVENTS):
            sender.publish(camera_topic(CAMERA), camera_event(CAMERA, f"r{n}"))
        await asyncio.sleep(2)
        recounted = await env.api.state(CAMERA_EVENTS_TODAY)
    team_sensors = [
        e
        for e in before["entities"]
        if TEAM.topic in str(before["entities"][e]["attributes"].get("topic"))
    ]
    # The stand-in's sensor shows no game after its own restart; HA AI's
    # reading of it follows. What HA AI kept of the team is its entity.
    for entity_id in team_sensors:
        before["entities"].pop(entity_id)
        check(entity_id in after["entities"], f"{entity_id} gone after the restart")
        after["entities"].pop(entity_id)
    changed = differences(before, after)
    check(not changed, "changed by the restart:\n" + "\n".join(changed))
    check(analyses == 1, f"{analyses} analysis/complete before the restart")
    check(
        recounted == str(CAMERA_EVENTS),
        f"events counted before the restart counted again: {recounted}",
    )
    check(analyses_after == analyses, "an analysis ran again at start")
    check(bool(logged), "nothing in HA AI's habit log before the restart")
    check(not lost, f"habit log lines gone after the restart: {sorted(lost)[:5]}")
    repeated = [m for m in moments_after if moments_after.count(m) > 1]
    check(not repeated, f"sports moments announced again: {repeated}")
    return [
        {"name": "restart_entities_compared", "value": len(before["entities"])},
        {"name": "restart_suggestions_compared", "value": len(before["suggestions"])},
        {"name": "restart_entities_changed", "value": len(changed)},
        {"name": "restart_camera_events_after_resend", "value": int(recounted or 0)},
        {"name": "restart_analyses_before", "value": analyses},
        {"name": "restart_habit_log_lines", "value": len(logged)},
        {"name": "restart_habit_log_lines_lost", "value": len(lost)},
        {"name": "restart_analyses_after", "value": analyses_after},
        {"name": "restart_sports_moments", "value": len(moments)},
        {"name": "restart_sports_moments_after", "value": len(moments_after)},
        {"name": "restart_team_sensors", "value": team_sensors},
    ]


# HA AI's stored files damaged

# What a user sees of each part (entity id prefixes; "suggestions" is the
# card's list): after a damaged store only these may change. Some show more
# than one part: a fresh habits part runs the first analysis again, which
# refreshes the suggestions; the share of runs kept also gives the share of
# accepted suggestions deployed.
PART_ENTITIES: dict[str, tuple[str, ...]] = {
    "ha_ai.cameras": tuple(
        f"{domain}.{camera}_"
        for domain in ("sensor", "binary_sensor", "event")
        for camera in (CAMERA, PROBE_CAMERA)
    ),
    "ha_ai.zigbee": (
        "sensor.ha_ai_zigbee_devices",
        "sensor.ha_ai_last_device_list",
        "sensor.ha_ai_zigbee_capabilities",
        "sensor.ha_ai_unused_capabilities",
        "sensor.ha_ai_zigbee2mqtt_version",
        "binary_sensor.ha_ai_zigbee2mqtt_bridge",
    ),
    "ha_ai.zigbee_insights": (
        "sensor.ha_ai_zigbee_capabilities",
        "sensor.ha_ai_unused_capabilities",
    ),
    "ha_ai.habits": (
        "sensor.ha_ai_patterns_detected",
        "sensor.ha_ai_last_analysis",
        "sensor.ha_ai_household_state",
        "sensor.ha_ai_suggestions_pending",
        "binary_sensor.ha_ai_new_suggestions",
        "suggestions",
    ),
    "ha_ai.suggestions": (
        "sensor.ha_ai_suggestions_pending",
        "sensor.ha_ai_deployed_suggestions",
        "binary_sensor.ha_ai_new_suggestions",
        "sensor.ha_ai_automation_runs_kept",
        "suggestions",
    ),
    "ha_ai.deployments": (
        "sensor.ha_ai_deployed_suggestions",
        "sensor.ha_ai_automation_runs_kept",
        "suggestions",
    ),
    "ha_ai.automation_health": ("sensor.ha_ai_automation_",),
    "ha_ai.sports": ("sensor.fault_crew_game", "event.fault_crew_moments"),
    "ha_ai.household": ("sensor.ha_ai_household_state", "event.ha_ai_household"),
    "ha_ai.remote_commands": (),
}
# The parts whose fresh start shows in their entities.
SHOWN_FRESH = ("ha_ai.cameras", "ha_ai.habits", "ha_ai.zigbee")
INVALID_JSON = b'{"version": 1, "data": {'


def damage(storage: Path, keys: list[str]) -> dict[str, bytes]:
    """Damage the stores `keys`; return what each file holds now.

    The first is not JSON at all (Home Assistant sets it aside itself); the
    others are JSON in a shape HA AI cannot use (HA AI sets them aside).
    """
    written = {}
    for number, key in enumerate(keys):
        content = (
            INVALID_JSON
            if number == 0
            else json.dumps(
                {"version": 1, "minor_version": 1, "key": key, "data": ["damaged"]}
            ).encode()
        )
        (storage / key).write_bytes(content)
        written[key] = content
    return written


async def deploy_and_run(
    env: devenv.Environment, entry_id: str, client: OutsideClient
) -> None:
    """Deploy an automation by remote command and run it once.

    So the record of remote commands and the automations' run history have
    something to keep. Switching remote deploy on reloads the entry.
    """
    secret = await enable_remote_deploy(env.api, entry_id)
    await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
    await probe_camera_counted(env.api, client)
    command = deploy_command(secret)
    client.publish(DEPLOY_TOPIC, command)
    answers: list[tuple[str, dict[str, Any]]] = await wait_for(
        lambda: answers_to(client, command["event_id"], 1), "the deploy's answer"
    )
    check(answers[0][0].endswith("/executed"), f"deploy answered {answers}")
    await env.api.call_service(
        "input_boolean", "toggle", {"entity_id": "input_boolean.faults_trigger"}
    )

    async def ran() -> bool:
        return any(
            isinstance(m.payload, dict)
            and m.payload.get("event") == "run"
            and m.payload.get("automation_id") == AUTOMATION_ID
            for m in client.messages(f"{PREFIX}/responses/automation/")
        )

    await wait_for(ran, "the deployed automation's run report")


def kept_aside(storage: Path, key: str) -> list[Path]:
    """Return the copies set aside of `key` (HA AI's `-` or Home Assistant's `.`)."""
    return sorted(
        path
        for path in storage.iterdir()
        if path.name.startswith((f"{key}.corrupt-", f"{key}.corrupt."))
    )


def parts_of(entity_id: str) -> set[str]:
    """Return the stores whose parts `entity_id` shows."""
    return {
        key
        for key, prefixes in PART_ENTITIES.items()
        if prefixes and entity_id.startswith(prefixes)
    }


async def damage_round(
    env: devenv.Environment, keys: list[str], before: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Damage `keys` with Home Assistant stopped, start it, check each part.

    Returns what was found and the snapshot after.
    """
    storage = env.config_dir / STORAGE
    written: dict[str, bytes] = {}
    devenv.log(f"Damaging {', '.join(keys)}")
    await env.restart_hass(lambda: written.update(damage(storage, keys)))
    await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
    await until_state(env.api, CONNECTED, "on")
    await asyncio.sleep(3)
    issues = await repair_issues(env.api)
    after = await snapshot(env.api)
    for key in keys:
        ids = [i["issue_id"] for i in issues if key in i["issue_id"]]
        check(ids, f"no repair issue for {key}: {issues}")
        copies = kept_aside(storage, key)
        check(copies, f"{key} not kept aside")
        check(
            copies[-1].read_bytes() == written[key],
            f"{copies[-1]} is not the damaged file",
        )
    changed = [
        entity_id
        for entity_id in sorted(set(before["entities"]) | set(after["entities"]))
        if before["entities"].get(entity_id) != after["entities"].get(entity_id)
    ]
    damaged_parts = set(keys)
    if before["suggestions"] != after["suggestions"]:
        changed.append("suggestions")
    kept_changed = [e for e in changed if not parts_of(e) & damaged_parts]
    check(not kept_changed, f"undamaged parts changed: {kept_changed}")
    fresh = sorted(
        {part for e in changed for part in parts_of(e)}
        & damaged_parts
        & set(SHOWN_FRESH)
    )
    found = {
        "damaged": keys,
        "issues": sorted(i["issue_id"] for i in issues),
        "fresh_parts": fresh,
        "changed": changed,
    }
    return found, after


async def stores_fault(env: devenv.Environment) -> list[dict[str, Any]]:
    """Damage HA AI's stored files, half at a time; check repairs and the rest."""
    async with outside_client(env.mqtt_port, "faults-sender", [RESPONSES]) as sender:
        entry_id = await set_up(env)
        await probe_camera_counted(env.api, sender)
        await fill_ha_ai(env, sender)
        await deploy_and_run(env, entry_id, sender)
        # Every part writes what it holds when Home Assistant stops.
        await env.restart_hass()
        await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
        storage = env.config_dir / STORAGE
        keys = sorted(
            path.name for path in storage.glob("ha_ai.*") if ".corrupt" not in path.name
        )
        before = await snapshot(env.api)
        first, before = await damage_round(env, keys[0::2], before)
        second, _ = await damage_round(env, keys[1::2], before)
        rounds = [first, second]
    fresh = sorted({part for r in rounds for part in r["fresh_parts"]})
    for key in SHOWN_FRESH:
        check(key in fresh, f"{key} did not start fresh")
    return [
        {"name": "stores_damaged", "value": keys},
        {"name": "stores_fresh_parts", "value": fresh},
        *(
            {"name": f"stores_round_{n}", "value": r}
            for n, r in enumerate(rounds, start=1)
        ),
    ]


# Running one fault

FAULTS: dict[str, Callable[[devenv.Environment], Any]] = {
    "broker": broker_fault,
    "restart": restart_fault,
    "stores": stores_fault,
}


async def run_fault(args: argparse.Namespace) -> int:
    """Start the environment, cause the fault, check; print the facts."""
    run_dir = run_dir_for(f"faults-{args.fault}-", args.run_dir)
    config_dir = run_dir / "config"
    packages = config_dir / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    (packages / "faults.yaml").write_text(FAULTS_PACKAGE, encoding="utf-8")
    seed_history(
        config_dir, demo_household(HABIT_LIGHT, HABIT_PLUG, []), time_zone=TIME_ZONE
    )
    with kept_when_failed(run_dir, keep=args.keep):
        async with devenv.environment(
            run_dir,
            devenv.free_port(),
            devenv.free_port(),
            {},
            debug=args.debug,
            extra_yaml=teamtracker_yaml([TEAM]),
            persistent_broker=True,
        ) as env:
            if args.debug:
                await env.api.call_service(
                    "logger",
                    "set_level",
                    {"homeassistant.components.mqtt": "debug", "paho": "debug"},
                )
            facts = await FAULTS[args.fault](env)
        for fact in facts:
            emit(fact)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one fault."""
    parser = argparse.ArgumentParser(
        prog="faults.py",
        description="Cause one fault on a real Home Assistant with HA AI; check "
        "that nothing is lost nor done twice.",
    )
    parser.add_argument("fault", choices=sorted(FAULTS))
    parser.add_argument(
        "--debug",
        action="store_true",
        help="HA AI's and MQTT's debug lines in hass.log",
    )
    add_run_dir_options(parser)
    args = parser.parse_args(argv)
    devenv.ensure_runtime_requirements()
    return devenv.run(run_fault(args))


if __name__ == "__main__":
    sys.exit(main())
