"""The Zigbee2MQTT stand-in of scripts/develop, against a real mosquitto.

The stand-in runs as its own process (`python -m scripts.zigbee2mqtt_sim run`);
an outside paho client talks to it as Home Assistant or a user's tool would:
`/set` and `/get`, Zigbee2MQTT's own bridge requests to pair and remove a
device, and the stand-in's command line to drop one. Bad requests must leave
a line in its log and the stand-in serving.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from scripts import zigbee2mqtt_commands as commands
from scripts import zigbee2mqtt_devices as catalogue
from scripts import zigbee2mqtt_sim

from .broker import Mosquitto, skip_without

REPO_ROOT = Path(__file__).resolve().parents[1]
BASE = "zigbee2mqtt"
TIMEOUT = 15

pytestmark = skip_without("mosquitto")


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retained: bool

    def json(self) -> Any:
        return json.loads(self.payload)


class OutsideClient:
    """A paho client that records everything under the bridge's topics."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="outside")
        self.client.on_connect = lambda c, *_: c.subscribe(
            [(f"{BASE}/#", 1), ("zigbee2mqtt-sim/#", 1), ("homeassistant/#", 1)]
        )
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._on_message

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append(
                Message(message.topic, message.payload, bool(message.retain))
            )

    async def start(self) -> None:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert await asyncio.to_thread(self.subscribed.wait, TIMEOUT)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, topic: str, payload: object) -> None:
        text = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        self.client.publish(topic, text, qos=1).wait_for_publish(TIMEOUT)

    def mark(self) -> int:
        with self.lock:
            return len(self.messages)

    def since(self, mark: int, topic: str, *, live: bool = True) -> list[Message]:
        """Return the messages on `topic` after `mark`; live ones unless told.

        Retained messages reach a new subscription with the retain flag set,
        while live ones do not: a test's echo is never a retained copy.
        """
        with self.lock:
            return [
                m
                for m in self.messages[mark:]
                if m.topic == topic and not (live and m.retained)
            ]

    async def next(
        self,
        topic: str,
        mark: int,
        match: Callable[[Message], bool] = lambda _: True,
        *,
        live: bool = True,
    ) -> Message:
        """Return the first message on `topic` after `mark` that matches."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                for message in self.since(mark, topic, live=live):
                    if match(message):
                        return message
                await asyncio.sleep(0.05)


class StandIn:
    """The stand-in process and its log."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, report_interval: float) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        with self.log.open("wb") as output:
            self.process = await asyncio.create_subprocess_exec(
                *self.command("run", "--report-interval", str(report_interval)),
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                cwd=REPO_ROOT,
                env=env,
            )
        await self.logged("online with 20 devices")

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "scripts.zigbee2mqtt_sim",
            "--port",
            str(self.port),
            *args,
        ]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def logged(self, text: str) -> str:
        """Wait for a log line containing `text`; return it."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                for line in self.log.read_text(errors="replace").splitlines():
                    if text in line:
                        return line
                assert self.running, self.log.read_text()
                await asyncio.sleep(0.05)

    async def run(self, *args: str) -> tuple[int, str]:
        """Run a command-line request; return its exit code and output."""
        process = await asyncio.create_subprocess_exec(
            *self.command(*args),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        )
        output, _ = await process.communicate()
        assert process.returncode is not None
        return process.returncode, output.decode()

    async def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.terminate()
        return await self.process.wait()


@pytest.fixture
def report_interval() -> float:
    """Return how often each device reports again (long: tests ask, not wait)."""
    return 3600


@pytest.fixture
async def stand_in(
    broker: Mosquitto, tmp_path: Path, report_interval: float
) -> AsyncGenerator[StandIn]:
    """Run the stand-in on the broker; it must stop cleanly on SIGTERM."""
    process = StandIn(broker.port, tmp_path / "zigbee2mqtt.log")
    try:
        await process.start(report_interval)
        yield process
        assert process.running, process.log.read_text()
    finally:
        code = await process.stop()
    assert code == 0, process.log.read_text()


@pytest.fixture
async def outside(stand_in: StandIn) -> AsyncGenerator[OutsideClient]:
    """Connect an outside client (after the stand-in published its retained state)."""
    client = OutsideClient(stand_in.port)
    await client.start()
    yield client
    client.stop()


async def echo_of(
    client: OutsideClient, name: str, topic: str, payload: object
) -> dict[str, Any]:
    """Send `payload` to `topic`; return the state the stand-in echoes for `name`."""
    mark = client.mark()
    client.send(topic, payload)
    message = await client.next(f"{BASE}/{name}", mark)
    state: dict[str, Any] = message.json()
    return state


async def test_set_is_echoed_with_the_new_state(outside: OutsideClient) -> None:
    name = "Kitchen spots"
    state = await echo_of(
        outside, name, f"{BASE}/{name}/set", {"state": "ON", "brightness": 100}
    )
    assert state["state"] == "ON"
    assert state["brightness"] == 100
    assert state["last_seen"].endswith("Z")
    # Colour: x/y, then hue/saturation (as Home Assistant's hs mode sends h/s).
    state = await echo_of(
        outside, name, f"{BASE}/{name}/set", {"color": {"x": 0.6, "y": 0.35}}
    )
    assert state["color_mode"] == "xy"
    assert (state["color"]["x"], state["color"]["y"]) == (0.6, 0.35)
    state = await echo_of(
        outside, name, f"{BASE}/{name}/set", {"color": {"h": 240, "s": 100}}
    )
    assert state["color_mode"] == "hs"
    assert (state["color"]["hue"], state["color"]["saturation"]) == (240, 100)
    # Colour temperature by number or preset, clamped to the light's range.
    state = await echo_of(outside, name, f"{BASE}/{name}/set", {"color_temp": 1000})
    assert (state["color_temp"], state["color_mode"]) == (555, "color_temp")
    state = await echo_of(outside, name, f"{BASE}/{name}/set", {"color_temp": "cool"})
    assert state["color_temp"] == 250
    # Plain text, TOGGLE, and one property on its own topic.
    state = await echo_of(outside, name, f"{BASE}/{name}/set", "OFF")
    assert state["state"] == "OFF"
    state = await echo_of(outside, name, f"{BASE}/{name}/set", {"state": "TOGGLE"})
    assert state["state"] == "ON"
    state = await echo_of(outside, name, f"{BASE}/{name}/set/brightness", "30")
    assert state["brightness"] == 30
    # A brightness of 0 switches off and keeps the last brightness.
    state = await echo_of(outside, name, f"{BASE}/{name}/set", {"brightness": 0})
    assert (state["state"], state["brightness"]) == ("OFF", 30)


async def test_get_answers_with_the_state(
    stand_in: StandIn, outside: OutsideClient
) -> None:
    name = "Living room/TV light"
    state = await echo_of(outside, name, f"{BASE}/{name}/get", {"state": ""})
    assert state["state"] == "OFF"
    assert state["brightness"] == 200
    assert "last_seen" in state
    # Nothing readable asked: no answer, a log line.
    mark = outside.mark()
    outside.send(f"{BASE}/{name}/get", {"linkquality": ""})
    await stand_in.logged("No converter available for 'get' 'linkquality'")
    state = await echo_of(outside, name, f"{BASE}/{name}/get", {"brightness": ""})
    assert len(outside.since(mark, f"{BASE}/{name}")) == 1


async def test_a_switch_on_an_endpoint_and_what_is_not_exposed(
    stand_in: StandIn, outside: OutsideClient
) -> None:
    name = "Office wall switch"
    state = await echo_of(outside, name, f"{BASE}/{name}/l2/set", "ON")
    assert (state["state_l1"], state["state_l2"]) == ("OFF", "ON")
    # A property the device does not expose, or exposes read-only, is ignored.
    state = await echo_of(
        outside,
        name,
        f"{BASE}/{name}/set",
        {"state_l1": "ON", "brightness": 100, "linkquality": 3},
    )
    assert state["state_l1"] == "ON"
    assert "brightness" not in state
    assert state["linkquality"] == catalogue.INITIAL_STATES[name]["linkquality"]
    await stand_in.logged("No converter available for 'brightness' (100)")
    await stand_in.logged("No converter available for 'linkquality' (3)")


@pytest.mark.parametrize(
    ("payload", "logged"),
    [
        (b"not json at all", "state must be one of 'ON', 'OFF', 'TOGGLE'"),
        (b'{"brightness": "bright"}', "brightness must be a number, not 'bright'"),
        (b'{"state": 1}', "state must be one of 'ON', 'OFF', 'TOGGLE', not 1"),
        (b'{"color": "red"}', "color must be an object"),
        (b'{"color": {"x": 7, "y": -1}}', "color x/y must be between 0 and 1"),
        (b"[1, 2]", "state must be one of"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b'{"state": "' + b"O" * 100_000 + b'"}', "a payload of 100013 bytes"),
    ],
    ids=[
        "text",
        "wrong-type",
        "number",
        "colour-text",
        "colour-range",
        "list",
        "bytes",
        "huge",
    ],
)
async def test_malformed_set_is_ignored_with_a_log_line(
    stand_in: StandIn, outside: OutsideClient, payload: bytes, logged: str
) -> None:
    name = "Kitchen spots"
    mark = outside.mark()
    outside.send(f"{BASE}/{name}/set", payload)
    await stand_in.logged(logged)
    # Still serving, and nothing was echoed for the bad request.
    state = await echo_of(outside, name, f"{BASE}/{name}/set", {"state": "ON"})
    assert state["state"] == "ON"
    assert len(outside.since(mark, f"{BASE}/{name}")) == 1
    assert stand_in.running


async def test_a_set_to_an_unknown_device_is_logged(
    stand_in: StandIn, outside: OutsideClient
) -> None:
    outside.send(f"{BASE}/Nobody/set", {"state": "ON"})
    await stand_in.logged("Entity 'Nobody' is unknown")


async def test_pairing_a_device(stand_in: StandIn, outside: OutsideClient) -> None:
    mark = outside.mark()
    outside.send(
        f"{BASE}/bridge/request/permit_join", {"time": 60, "transaction": "t1"}
    )
    response = await outside.next(f"{BASE}/bridge/response/permit_join", mark)
    assert response.json() == {
        "data": {"time": 60},
        "status": "ok",
        "transaction": "t1",
    }
    info = await outside.next(f"{BASE}/bridge/info", mark)
    assert info.json()["permit_join"] is True
    assert info.json()["permit_join_end"] > 0
    joined = await outside.next(
        f"{BASE}/bridge/event", mark, lambda m: m.json()["type"] == "device_joined"
    )
    new = catalogue.pool()[0]
    assert joined.json()["data"] == {
        "friendly_name": new["friendly_name"],
        "ieee_address": new["ieee_address"],
    }
    interviewed = await outside.next(
        f"{BASE}/bridge/event",
        mark,
        lambda m: m.json()["data"].get("status") == "successful",
    )
    assert interviewed.json()["type"] == "device_interview"
    assert interviewed.json()["data"]["definition"]["model"] == "LED1836G9"
    listed = await outside.next(
        f"{BASE}/bridge/devices",
        mark,
        lambda m: any(
            d["ieee_address"] == new["ieee_address"] and d["interview_completed"]
            for d in m.json()
        ),
    )
    assert len(listed.json()) == 22  # the coordinator, 20 devices and the new one
    config = await outside.next(
        f"homeassistant/light/{new['ieee_address']}/light/config", mark
    )
    assert config.json()["command_topic"] == f"{BASE}/{new['friendly_name']}/set"
    availability = await outside.next(
        f"{BASE}/{new['friendly_name']}/availability", mark
    )
    assert availability.json() == {"state": "online"}
    # The new device answers at once.
    name = new["friendly_name"]
    state = await echo_of(outside, name, f"{BASE}/{name}/set", {"state": "ON"})
    assert state["state"] == "ON"
    # Joining is stopped again with time 0.
    mark = outside.mark()
    outside.send(f"{BASE}/bridge/request/permit_join", {"time": 0})
    response = await outside.next(f"{BASE}/bridge/response/permit_join", mark)
    assert response.json() == {"data": {"time": 0}, "status": "ok"}
    info = outside.since(mark, f"{BASE}/bridge/info")[-1]
    assert info.json()["permit_join"] is False
    # A malformed request is answered with an error.
    mark = outside.mark()
    outside.send(f"{BASE}/bridge/request/permit_join", {"time": "soon"})
    response = await outside.next(f"{BASE}/bridge/response/permit_join", mark)
    assert response.json()["status"] == "error"


async def test_pairing_from_the_command_line(stand_in: StandIn) -> None:
    code, output = await stand_in.run("pair", "--time", "30")
    assert code == 0, output
    assert json.loads(output.splitlines()[-1])["data"] == {"time": 30}
    await stand_in.logged("Successfully interviewed 'Guest room lamp'")


async def test_removing_a_device(stand_in: StandIn, outside: OutsideClient) -> None:
    device = next(
        d for d in catalogue.demo_house() if d["friendly_name"] == "Front door"
    )
    ieee = device["ieee_address"]
    mark = outside.mark()
    outside.send(
        f"{BASE}/bridge/request/device/remove", {"id": "Front door", "transaction": 7}
    )
    response = await outside.next(f"{BASE}/bridge/response/device/remove", mark)
    assert response.json() == {
        "data": {"id": "Front door", "block": False, "force": False},
        "status": "ok",
        "transaction": 7,
    }
    left = outside.since(mark, f"{BASE}/bridge/event")
    assert [m.json() for m in left] == [
        {
            "type": "device_leave",
            "data": {"friendly_name": "Front door", "ieee_address": ieee},
        }
    ]
    listed = outside.since(mark, f"{BASE}/bridge/devices")[-1].json()
    assert ieee not in {d["ieee_address"] for d in listed}
    cleared = outside.since(mark, f"homeassistant/binary_sensor/{ieee}/contact/config")
    assert [m.payload for m in cleared] == [b""]
    assert [m.payload for m in outside.since(mark, f"{BASE}/Front door")] == [b""]
    # Gone: a /set is not answered, a second removal is an error.
    outside.send(f"{BASE}/Front door/set", {"state": "ON"})
    await stand_in.logged("Entity 'Front door' is unknown")
    code, output = await stand_in.run("remove", "Front door")
    assert code == 1
    assert (
        json.loads(output.splitlines()[-1])["error"]
        == "Device 'Front door' does not exist"
    )
    # Removed devices can pair again.
    mark = outside.mark()
    outside.send(f"{BASE}/bridge/request/permit_join", {"time": 60})
    for expected in (*(d["friendly_name"] for d in catalogue.pool()), "Front door"):
        await outside.next(
            f"{BASE}/bridge/event",
            mark,
            lambda m, name=expected: m.json()["type"] == "device_joined"
            and m.json()["data"]["friendly_name"] == name,
        )
        mark = outside.mark()
        outside.send(f"{BASE}/bridge/request/permit_join", {"time": 60})


async def test_dropping_and_restoring_a_device(
    stand_in: StandIn, outside: OutsideClient
) -> None:
    name = "Hall motion"
    mark = outside.mark()
    code, output = await stand_in.run("drop", name)
    assert code == 0, output
    assert json.loads(output.splitlines()[-1])["status"] == "ok"
    availability = await outside.next(f"{BASE}/{name}/availability", mark)
    assert availability.json() == {"state": "offline"}
    # A dropped device answers nothing.
    outside.send(f"{BASE}/{name}/get", {"occupancy": ""})
    await stand_in.logged(f"Publish 'get' to '{name}' failed: the device is offline")
    assert outside.since(mark, f"{BASE}/{name}") == []
    code, output = await stand_in.run("drop", "Nobody")
    assert code == 1
    assert "does not exist" in output
    # Back online: availability and a fresh state.
    code, output = await stand_in.run("restore", name)
    assert code == 0, output
    await outside.next(
        f"{BASE}/{name}/availability", mark, lambda m: m.json()["state"] == "online"
    )
    state = await outside.next(f"{BASE}/{name}", mark)
    assert state.json()["occupancy"] is False


async def test_retained_availability_for_a_late_client(stand_in: StandIn) -> None:
    code, _ = await stand_in.run("drop", "Bathroom leak")
    assert code == 0
    late = OutsideClient(stand_in.port)
    await late.start()
    try:
        message = await late.next(f"{BASE}/Bathroom leak/availability", 0, live=False)
    finally:
        late.stop()
    assert message.retained
    assert message.json() == {"state": "offline"}


@pytest.mark.parametrize("report_interval", [0.5])
async def test_devices_report_again_with_a_new_last_seen(
    outside: OutsideClient,
) -> None:
    name = "Living room climate"
    first = await outside.next(f"{BASE}/{name}", 0, live=False)
    later = await outside.next(
        f"{BASE}/{name}",
        0,
        lambda m: m.json()["last_seen"] != first.json()["last_seen"],
    )
    assert later.json()["temperature"] == first.json()["temperature"]


def test_commands_follow_the_device() -> None:
    """The pure part: one device's exposes decide what a request does."""
    house = {d["friendly_name"]: d for d in catalogue.demo_house()}
    radiator = house["Bedroom radiator"]
    start = catalogue.INITIAL_STATES["Bedroom radiator"]
    outcome = commands.apply_set(radiator, start, {"occupied_heating_setpoint": 21.3})
    assert outcome.state["occupied_heating_setpoint"] == 21.5
    outcome = commands.apply_set(radiator, start, {"occupied_heating_setpoint": 50})
    assert outcome.problems == [
        "occupied_heating_setpoint must be between 5 and 35, not 50"
    ]
    blinds = house["Living room blinds"]
    outcome = commands.apply_set(blinds, {"position": 100}, {"state": "close"})
    assert outcome.state["position"] == 0
    plug = house["Kitchen plug"]
    outcome = commands.apply_set(
        plug, {"child_lock": "UNLOCK"}, {"child_lock": "LOCK", "transition": 1}
    )
    assert outcome.state["child_lock"] == "LOCK"
    assert outcome.problems == ["No converter available for 'transition' (1)"]
    light = house["Kitchen spots"]
    outcome = commands.apply_set(
        light,
        {"state": "ON", "brightness": 100},
        {"brightness_step": -40, "transition": 2},
    )
    assert outcome.state["brightness"] == 60
    assert outcome.problems == []
    outcome = commands.apply_set(light, {}, {"color": {"hex": "#ff0000"}})
    assert outcome.state["color"]["hue"] == 0
    assert outcome.state["color_mode"] == "xy"
    assert commands.hs_to_xy(0, 0) == (0.3127, 0.329)


def test_the_demo_house_keeps_the_entities_of_the_tests_house() -> None:
    """Twenty devices; the first four, and the demo history's entities, unchanged."""
    house = catalogue.demo_house()
    fixture = zigbee2mqtt_sim.load_devices()
    assert house[: len(fixture)] == fixture
    devices = [d for d in house if d["type"] != "Coordinator"]
    assert len(devices) == 20
    names = [d["friendly_name"] for d in [*devices, *catalogue.pool()]]
    addresses = [d["ieee_address"] for d in [*devices, *catalogue.pool()]]
    assert len(set(names)) == len(names)
    assert len(set(addresses)) == len(addresses)
    assert set(names) <= set(catalogue.INITIAL_STATES)
    simulation = zigbee2mqtt_sim.build(house)
    assert zigbee2mqtt_sim.demo_habit_entities(simulation) == (
        "light.living_room_tv_light",
        "switch.kitchen_plug",
    )


async def test_a_broker_restart_gets_everything_again(
    broker: Mosquitto, stand_in: StandIn
) -> None:
    """A broker that restarts without its retained messages gets them all again."""
    code, _ = await stand_in.run("drop", "Bathroom leak")
    assert code == 0
    await broker.stop()
    for saved in broker.directory.glob("*.db"):
        saved.unlink()
    await broker.start()
    await stand_in.logged("Connected to the broker again")
    late = OutsideClient(stand_in.port)
    await late.start()
    try:
        state = await late.next(f"{BASE}/bridge/state", 0, live=False)
        assert state.json() == {"state": "online"}
        listed = await late.next(f"{BASE}/bridge/devices", 0, live=False)
        assert len(listed.json()) == 21
        dropped = await late.next(f"{BASE}/Bathroom leak/availability", 0, live=False)
        assert dropped.json() == {"state": "offline"}
        await late.next(
            "homeassistant/light/0x04cd15fffe0d0e01/light/config", 0, live=False
        )
        name = "Kitchen spots"
        state = await echo_of(late, name, f"{BASE}/{name}/set", {"state": "ON"})
        assert state["state"] == "ON"
    finally:
        late.stop()
