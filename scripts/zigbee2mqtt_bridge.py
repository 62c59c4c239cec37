"""A living Zigbee2MQTT stand-in: it stays connected and answers like the real bridge.

``scripts/develop`` runs it in the background with the demo house's devices
(``scripts/zigbee2mqtt_devices``); it can also run on its own against any
broker: ``python -m scripts.zigbee2mqtt_sim --port 1883 run``. Over MQTT it
does what Zigbee2MQTT 2.x does (base topic ``zigbee2mqtt``):

- on start, the retained ``bridge/state``, ``bridge/info``, ``bridge/devices``,
  Home Assistant discovery, and each device's availability and state
  (``scripts/zigbee2mqtt_sim`` builds the messages); on stop,
  ``bridge/state`` offline (also its last will);
- ``<name>/set`` (also ``<name>/set/<property>`` and ``<name>/<endpoint>/set``)
  changes the device's state and echoes the whole state, with ``last_seen``,
  on ``<name>``; ``<name>/get`` echoes it too. What the device does not expose,
  and malformed payloads, are ignored with a log line
  (``scripts/zigbee2mqtt_commands`` decides);
- every device reports again now and then (a fresh ``last_seen``);
- ``bridge/request/permit_join`` (``{"time": 60}``): the next device of a
  small pool joins a moment later (``bridge/event`` device_joined,
  device_announce, device_interview started and successful; ``bridge/devices``;
  discovery; availability; state);
- ``bridge/request/device/remove`` (``{"id": "<name or IEEE address>"}``):
  answered on ``bridge/response/device/remove``; ``device_leave``, the device
  is gone from ``bridge/devices``, its discovery, state and availability are
  cleared, and it goes back to the pool (pair it again);
- ``bridge/request/health_check``.

Zigbee2MQTT cannot be told to lose a device, so the stand-in has a control
topic of its own, ``zigbee2mqtt-sim/request/<drop|restore>`` with
``{"id": "<name>"}``, answered on ``zigbee2mqtt-sim/response/<...>``: a dropped
device goes offline (availability ``offline``) and stops answering and
reporting until it is restored. The command line sends all of these
(``pair``, ``remove``, ``drop``, ``restore``; see ``main``).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from scripts import zigbee2mqtt_commands as commands
from scripts import zigbee2mqtt_devices as catalogue
from scripts import zigbee2mqtt_sim as sim

LOGGER = logging.getLogger("zigbee2mqtt")
BASE = sim.BASE_TOPIC
CONTROL = "zigbee2mqtt-sim"
CLIENT_ID = sim.CLIENT_ID
CONNECT_TIMEOUT = 10.0
REPORT_INTERVAL = 60.0  # each device reports again this often (seconds)
JOIN_DELAY = 2.0  # from permitting joins to a device joining (seconds)
PERMIT_JOIN_MAX = 254
TICK = 0.2
ONLINE = json.dumps({"state": "online"})
OFFLINE = json.dumps({"state": "offline"})
Device = dict[str, Any]


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class Zigbee2MqttStandIn:
    """The bridge: its devices, their states, and the MQTT client that serves them.

    paho's network thread runs the handlers; a second thread keeps time (reports,
    joins, the end of permit-join). A lock guards the devices and states.
    """

    def __init__(  # noqa: PLR0913 - each knob is used by develop or a test
        self,
        host: str,
        port: int,
        devices: list[Device] | None = None,
        pool: list[Device] | None = None,
        *,
        report_interval: float = REPORT_INTERVAL,
        join_delay: float = JOIN_DELAY,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        credentials: tuple[str, str] | None = None,
    ) -> None:
        """Prepare the bridge with ``devices`` (default: the demo house).

        ``credentials`` (user name, password) are for a broker that wants them.
        """
        self.host, self.port = host, port
        listed = copy.deepcopy(
            devices if devices is not None else catalogue.demo_house()
        )
        self.coordinator = sim.coordinator_ieee(listed)
        self.devices: dict[str, Device] = {d["ieee_address"]: d for d in listed}
        self.pool = copy.deepcopy(pool if pool is not None else catalogue.pool())
        self.states: dict[str, dict[str, Any]] = {
            ieee: dict(catalogue.INITIAL_STATES.get(device["friendly_name"], {}))
            for ieee, device in self.devices.items()
        }
        self.offline: set[str] = set()
        self.report_interval = report_interval
        self.join_delay = join_delay
        self.now = now
        self.permit_join_until: float | None = None
        self.join_at: float | None = None
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.refused: str | None = None
        self.published = False
        self.clock_thread: threading.Thread | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=CLIENT_ID)
        if credentials is not None:
            self.client.username_pw_set(*credentials)
        self.client.will_set(f"{BASE}/bridge/state", OFFLINE, qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    # Life cycle

    def start(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect, publish the bridge and its devices, and start answering."""
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        if not self.connected.wait(timeout) or self.refused:
            self.client.disconnect()
            self.client.loop_stop()
            where = f"the broker at {self.host}:{self.port}"
            if self.refused:
                msg = f"{where} refused the connection: {self.refused}"
                raise ConnectionError(msg)
            msg = f"no CONNACK from {where}"
            raise TimeoutError(msg)
        try:
            with self.lock:
                messages = self._everything()
            self._publish(messages, wait=timeout)
            self.published = True
        except BaseException:
            self.client.disconnect()
            self.client.loop_stop()
            raise
        self.clock_thread = threading.Thread(
            target=self._keep_time, name="zigbee2mqtt stand-in clock", daemon=True
        )
        self.clock_thread.start()
        LOGGER.info(
            "Zigbee2MQTT stand-in %s online with %s devices on %s:%s",
            sim.VERSION,
            len(self.devices) - 1,
            self.host,
            self.port,
        )

    def stop(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Say the bridge is offline, as Zigbee2MQTT does on stopping; disconnect."""
        self.stopping.set()
        if self.clock_thread is not None:
            self.clock_thread.join(timeout)
        if self.client.is_connected():
            info = self.client.publish(
                f"{BASE}/bridge/state", OFFLINE, qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as err:
                # The broker went away meanwhile; its copy of the last will says it.
                LOGGER.warning("Could not say the bridge is offline: %s", err)
        self.client.disconnect()
        self.client.loop_stop()
        LOGGER.info("Zigbee2MQTT stand-in stopped")

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        _flags: object,
        reason: ReasonCode,
        _properties: object = None,
    ) -> None:
        if reason.is_failure:
            self.refused = str(reason)
            LOGGER.error("The broker refused the connection: %s", reason)
        else:
            self.refused = None
            client.subscribe([(f"{BASE}/#", 1), (f"{CONTROL}/request/#", 1)])
            if self.published:
                # Back after a lost connection: a broker that restarted without
                # persistence has forgotten every retained message.
                LOGGER.info("Connected to the broker again; publishing everything")
                with self.lock:
                    self._publish(self._everything())
        self.connected.set()

    def _everything(self) -> list[sim.Message]:
        """Return all the retained messages of the bridge as it is now."""
        messages = sim.build(self._listed(), self.now()).messages
        retained_now = {
            message.topic: message
            for ieee, device in self._end_devices()
            for message in (
                sim.availability_message(device, online=ieee not in self.offline),
                sim.state_message(device, self.states[ieee], self.now()),
            )
        }
        return [retained_now.get(message.topic, message) for message in messages]

    # Publishing

    def _publish(self, messages: list[sim.Message], wait: float | None = None) -> None:
        infos = [
            self.client.publish(m.topic, m.payload, qos=1, retain=m.retain)
            for m in messages
        ]
        if wait is not None:
            for info in infos:
                info.wait_for_publish(wait)

    def _listed(self) -> list[Device]:
        return list(self.devices.values())

    def _end_devices(self) -> list[tuple[str, Device]]:
        return [
            (ieee, device)
            for ieee, device in self.devices.items()
            if device.get("type") != "Coordinator"
        ]

    def _publish_devices(self) -> None:
        self._publish([sim.Message(f"{BASE}/bridge/devices", _json(self._listed()))])

    def _publish_info(self) -> None:
        end = None
        if self.permit_join_until is not None:
            left = self.permit_join_until - time.monotonic()
            end = int((self.now().timestamp() + left) * 1000)
        info = sim.bridge_info(self.coordinator, end)
        self._publish([sim.Message(f"{BASE}/bridge/info", _json(info))])

    def _publish_state(self, ieee: str) -> None:
        device = self.devices[ieee]
        self._publish([sim.state_message(device, self.states[ieee], self.now())])

    def _event(self, kind: str, device: Device, **data: object) -> None:
        payload = {
            "type": kind,
            "data": {
                "friendly_name": device["friendly_name"],
                "ieee_address": device["ieee_address"],
                **data,
            },
        }
        self._publish(
            [sim.Message(f"{BASE}/bridge/event", _json(payload), retain=False)]
        )

    def _respond(
        self,
        topic: str,
        request: object,
        data: dict[str, Any],
        error: str | None = None,
    ) -> None:
        response: dict[str, Any] = {"data": data, "status": "error" if error else "ok"}
        if error:
            response["error"] = error
            LOGGER.error("%s", error)
        if isinstance(request, dict) and "transaction" in request:
            response["transaction"] = request["transaction"]
        self._publish([sim.Message(topic, _json(response), retain=False)])

    # Incoming

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        try:
            with self.lock:
                self._route(message.topic, message.payload)
        except Exception:
            # The stand-in keeps serving whatever one message did.
            LOGGER.exception("Handling a message on %s failed", message.topic)

    def _route(self, topic: str, payload: bytes) -> None:
        if topic.startswith(f"{CONTROL}/request/"):
            self._control(topic.removeprefix(f"{CONTROL}/request/"), payload)
            return
        rest = topic.removeprefix(f"{BASE}/")
        if rest.startswith("bridge/"):
            if rest.startswith("bridge/request/"):
                self._request(rest.removeprefix("bridge/request/"), payload)
            return
        attribute = None
        if rest.endswith(("/set", "/get")):
            target, verb = rest[:-4], rest[-3:]
        elif "/set/" in rest:
            target, _, attribute = rest.rpartition("/set/")
            verb = "set"
        else:
            return  # a state or availability message: the bridge's own
        self._device_request(target, verb, attribute, payload)

    def _find(self, target: str) -> tuple[str, str | None] | None:
        """Return the IEEE address and endpoint that a topic's name part means."""
        for ieee, device in self._end_devices():
            if target in {device["friendly_name"], ieee}:
                return ieee, None
        name, _, endpoint = target.rpartition("/")
        for ieee, device in self._end_devices():
            if name in {
                device["friendly_name"],
                ieee,
            } and endpoint in commands.endpoints(device):
                return ieee, endpoint
        return None

    def _device_request(
        self, target: str, verb: str, attribute: str | None, payload: bytes
    ) -> None:
        found = self._find(target)
        if found is None:
            LOGGER.error("Entity '%s' is unknown", target[:100])
            return
        ieee, endpoint = found
        device = self.devices[ieee]
        name = device["friendly_name"]
        problem: str | None = None
        try:
            request = commands.parse_request(payload, attribute, endpoint)
        except commands.InvalidValueError as err:
            problem = str(err)
        if problem is not None:
            LOGGER.error("Ignored a '%s' to '%s': %s", verb, name, problem)
            return
        if ieee in self.offline:
            LOGGER.error(
                "Publish '%s' to '%s' failed: the device is offline (dropped)",
                verb,
                name,
            )
            return
        self._answer(ieee, verb, request)

    def _answer(self, ieee: str, verb: str, request: dict[str, Any]) -> None:
        """Apply a /set or read a /get, and echo the state as the device reports it."""
        device = self.devices[ieee]
        name = device["friendly_name"]
        if verb == "get":
            found_keys, problems = commands.readable(device, request)
            for problem in problems:
                LOGGER.error("Ignored a 'get' to '%s': %s", name, problem)
            if found_keys:
                self._publish_state(ieee)
            return
        outcome = commands.apply_set(device, self.states[ieee], request)
        for problem in outcome.problems:
            LOGGER.error("Publish 'set' to '%s' failed: %s", name, problem)
        if outcome.applied:
            self.states[ieee] = outcome.state
            self._publish_state(ieee)

    def _request(self, kind: str, payload: bytes) -> None:
        topic = f"{BASE}/bridge/response/{kind}"
        request = _parse_json(payload)
        if kind == "permit_join":
            self._permit_join(topic, request)
        elif kind == "device/remove":
            self._remove(topic, request)
        elif kind == "health_check":
            self._respond(topic, request, {"healthy": True})
        else:
            self._respond(topic, request, {}, f"Request '{kind}' is not supported")

    def _control(self, kind: str, payload: bytes) -> None:
        topic = f"{CONTROL}/response/{kind}"
        request = _parse_json(payload)
        target = _request_id(request)
        found = self._find(target) if target else None
        if kind not in {"drop", "restore"}:
            self._respond(topic, request, {}, f"Unknown stand-in request '{kind}'")
        elif found is None:
            self._respond(topic, request, {}, f"Device '{target}' does not exist")
        else:
            ieee = found[0]
            device = self.devices[ieee]
            if kind == "drop":
                self.offline.add(ieee)
            else:
                self.offline.discard(ieee)
            self._publish([sim.availability_message(device, online=kind == "restore")])
            if kind == "restore":
                self._publish_state(ieee)
            LOGGER.info(
                "Device '%s' is %s",
                device["friendly_name"],
                "offline (dropped)" if kind == "drop" else "back online",
            )
            self._respond(topic, request, {"id": target})

    # Pairing and removal

    def _permit_join(self, topic: str, request: object) -> None:
        seconds = _permit_time(request)
        if seconds is None:
            self._respond(topic, request, {}, "Invalid payload: 'time' must be 0-254")
            return
        if seconds:
            self.permit_join_until = time.monotonic() + seconds
            self.join_at = time.monotonic() + self.join_delay if self.pool else None
            LOGGER.info("Zigbee: allowing new devices to join for %s s", seconds)
            if not self.pool:
                LOGGER.info("No device of the stand-in's pool is left to join")
        else:
            self.permit_join_until = self.join_at = None
            LOGGER.info("Zigbee: disabled joining new devices")
        self._publish_info()
        self._respond(topic, request, {"time": seconds})

    def _join(self) -> None:
        device = self.pool.pop(0)
        ieee = device["ieee_address"]
        interviewing = {
            **device,
            "definition": None,
            "interview_completed": False,
            "interview_state": "IN_PROGRESS",
            "interviewing": True,
            "supported": False,
        }
        self._event("device_joined", device)
        self._event("device_announce", device)
        self._event("device_interview", device, status="started")
        self.devices[ieee] = interviewing
        self._publish_devices()
        self.devices[ieee] = device
        self.states[ieee] = dict(
            catalogue.INITIAL_STATES.get(device["friendly_name"], {})
        )
        self._event(
            "device_interview",
            device,
            status="successful",
            supported=True,
            definition=device["definition"],
        )
        self._publish_devices()
        self._publish(
            sim.device_messages(device, self.coordinator, self.states[ieee], self.now())
        )
        LOGGER.info(
            "Successfully interviewed '%s', device has successfully been paired",
            device["friendly_name"],
        )

    def _remove(self, topic: str, request: object) -> None:
        target = _request_id(request)
        found = self._find(target) if target else None
        flags = request if isinstance(request, dict) else {}
        data = {
            "id": target,
            "block": flags.get("block") is True,
            "force": flags.get("force") is True,
        }
        if found is None:
            self._respond(topic, request, {}, f"Device '{target}' does not exist")
            return
        ieee = found[0]
        device = self.devices.pop(ieee)
        self.states.pop(ieee, None)
        self.offline.discard(ieee)
        if not data["force"]:
            self._event("device_leave", device)
        self._publish_devices()
        self._publish(sim.cleared_messages(device, self.coordinator))
        if not data["block"]:
            self.pool.append(device)
        LOGGER.info("Successfully removed device '%s'", device["friendly_name"])
        self._respond(topic, request, data)

    # Time

    def _keep_time(self) -> None:
        """Report each device's state in turn, let devices join, end permit-join."""
        next_report = time.monotonic()
        turn = 0
        while not self.stopping.wait(TICK):
            now = time.monotonic()
            try:
                with self.lock:
                    if self.join_at is not None and now >= self.join_at:
                        self.join_at = None
                        self._join()
                    if (
                        self.permit_join_until is not None
                        and now >= self.permit_join_until
                    ):
                        self.permit_join_until = self.join_at = None
                        LOGGER.info("Zigbee: disabled joining new devices")
                        self._publish_info()
                    reporting = [
                        ieee
                        for ieee, _ in self._end_devices()
                        if ieee not in self.offline
                    ]
                    if reporting and now >= next_report:
                        turn %= len(reporting)
                        self._publish_state(reporting[turn])
                        turn += 1
                        next_report = now + self.report_interval / len(reporting)
            except Exception:
                LOGGER.exception("The stand-in's clock failed; it carries on")


def _parse_json(payload: bytes) -> object:
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode(errors="replace")


def _request_id(request: object) -> str:
    """Return the device a request names: ``{"id": ...}`` or a plain name."""
    value = request.get("id") if isinstance(request, dict) else request
    return value if isinstance(value, str) else ""


def _permit_time(request: object) -> int | None:
    """Return the seconds of a permit_join request (2.x ``time``, 1.x ``value``)."""
    if not isinstance(request, dict):
        return None
    if "time" in request:
        seconds = request["time"]
        valid = isinstance(seconds, int) and not isinstance(seconds, bool)
        return seconds if valid and 0 <= seconds <= PERMIT_JOIN_MAX else None
    if isinstance(request.get("value"), bool):
        return PERMIT_JOIN_MAX if request["value"] else 0
    return None


# The command line


def _credentials(args: argparse.Namespace) -> tuple[str, str] | None:
    return (args.username, args.password or "") if args.username else None


def _ask(
    args: argparse.Namespace,
    topic: str,
    response_topic: str,
    request: dict[str, Any],
) -> dict[str, Any]:
    """Publish a request and return its response (matched by transaction)."""
    host, port, timeout = args.host, args.port, args.timeout
    transaction = uuid.uuid4().hex[:8]
    answers: list[dict[str, Any]] = []
    answered = threading.Event()
    subscribed = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        answer = _parse_json(message.payload)
        if isinstance(answer, dict) and answer.get("transaction") == transaction:
            answers.append(answer)
            answered.set()

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"{CLIENT_ID}-cli-{transaction}"
    )
    if credentials := _credentials(args):
        client.username_pw_set(*credentials)
    refused: list[str] = []

    def on_connect(
        c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object = None
    ) -> None:
        if reason.is_failure:
            refused.append(str(reason))
            subscribed.set()
        else:
            c.subscribe(response_topic, qos=1)

    client.on_connect = on_connect
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = on_message
    client.connect(host, port)
    client.loop_start()
    try:
        if not subscribed.wait(timeout):
            msg = f"no answer from the broker at {host}:{port}"
            raise TimeoutError(msg)
        if refused:
            msg = f"the broker at {host}:{port} refused the connection: {refused[0]}"
            raise ConnectionError(msg)
        client.publish(topic, _json({**request, "transaction": transaction}), qos=1)
        if not answered.wait(timeout):
            msg = f"no response on {response_topic} within {timeout:.0f} s"
            raise TimeoutError(msg)
    finally:
        client.disconnect()
        client.loop_stop()
    return answers[0]


def _serve(args: argparse.Namespace) -> int:
    """Serve until SIGTERM, Ctrl-C, or the end of the program that started it.

    A stand-in left behind by a killed ``scripts/develop`` would otherwise
    reconnect to the next run's broker (same port, same client id) and fight
    the new one: when its parent is gone (it is adopted by another), it stops.
    """
    bridge = Zigbee2MqttStandIn(
        args.host,
        args.port,
        report_interval=args.report_interval,
        credentials=_credentials(args),
    )
    parent = os.getppid()
    try:
        bridge.start()
    except (OSError, TimeoutError) as err:
        LOGGER.error("The stand-in cannot start: %s", err)  # noqa: TRY400 - said in full
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            if os.getppid() != parent:
                LOGGER.warning("The program that started the stand-in is gone")
                break
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the stand-in, or send it a request; see ``--help``."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.zigbee2mqtt_sim",
        description="A Zigbee2MQTT stand-in (run) and the requests it answers.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="broker (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=1883, help="broker port (%(default)s)"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for a response"
    )
    parser.add_argument(
        "--username",
        default=os.environ.get("MQTT_USERNAME"),
        help="broker user name, if it wants one (default: $MQTT_USERNAME)",
    )
    parser.add_argument(
        "--password",
        default=os.environ.get("MQTT_PASSWORD"),
        help="broker password (default: $MQTT_PASSWORD)",
    )
    commands_parser = parser.add_subparsers(dest="command", required=True)
    run = commands_parser.add_parser("run", help="run the stand-in until stopped")
    run.add_argument(
        "--report-interval",
        type=float,
        default=REPORT_INTERVAL,
        help="seconds between two reports of a device (%(default)s)",
    )
    pair = commands_parser.add_parser(
        "pair", help="permit joining: the next device of the pool joins"
    )
    pair.add_argument(
        "--time",
        type=int,
        default=60,
        help="seconds joining stays permitted (%(default)s; 0 stops)",
    )
    for name, help_text in (
        ("remove", "remove a device (Zigbee2MQTT's bridge/request/device/remove)"),
        ("drop", "make a device go offline and stop answering (stand-in only)"),
        ("restore", "bring a dropped device back online (stand-in only)"),
    ):
        command = commands_parser.add_parser(name, help=help_text)
        command.add_argument("device", help="friendly name or IEEE address")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "run":
        return _serve(args)
    if args.command == "pair":
        kind, request = "permit_join", {"time": args.time}
        topic, response_topic = (
            f"{BASE}/bridge/request/{kind}",
            f"{BASE}/bridge/response/{kind}",
        )
    elif args.command == "remove":
        kind, request = "device/remove", {"id": args.device}
        topic, response_topic = (
            f"{BASE}/bridge/request/{kind}",
            f"{BASE}/bridge/response/{kind}",
        )
    else:
        kind, request = args.command, {"id": args.device}
        topic, response_topic = (
            f"{CONTROL}/request/{kind}",
            f"{CONTROL}/response/{kind}",
        )
    try:
        answer = _ask(args, topic, response_topic, request)
    except (OSError, TimeoutError) as err:
        print(f"{args.command} failed: {err}", file=sys.stderr)
        return 1
    print(_json(answer))
    return 0 if answer.get("status") == "ok" else 1
