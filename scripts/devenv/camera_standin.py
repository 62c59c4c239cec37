"""A stand-in for an AI camera classifier: two cameras that see things and a doorbell.

An AI camera classifier watches camera streams and publishes what it sees over
MQTT; HA AI makes a device of every camera it hears of (README, "AI cameras").
This program publishes exactly what such a classifier does, for the demo
house's two cameras (`DEMO_CAMERAS`): a doorbell camera at the front door and a
garden camera.

- `<prefix>/status`: the classifier's availability, `online` (retained) while
  it runs, `offline` when it stops (also as its last will, if it dies);
- `<prefix>/camera/<camera_id>/status`: each camera's status (JSON, retained),
  `online` at start, so both devices appear at once;
- `<prefix>/camera/<camera_id>/event`: an event (JSON: `event_id`, `camera_id`,
  `camera_name`, `description`, `objects_detected`, `confidence`,
  `source_type`, `timestamp`, `thumbnail_url`, `smart_detection_type`,
  `is_doorbell_ring`), QoS 1, not retained. Each camera sees something every
  few minutes (`EVENT_MINUTES` apart, at random), and the doorbell rings every
  `RING_MINUTES`; the first event of each camera and the first ring come within
  the first minute, so the demo shows its cameras at once.

`scripts/develop` runs it in the background (`run`) and stops it with
everything else; `scripts/camera-event` (`publish`) publishes one event by hand:

    python -m scripts.devenv.camera_standin run --port 1883
    python -m scripts.devenv.camera_standin publish --port 1883 front_door --ring

Without `--port`, the broker's port is read from the demo's directory
(`--dir`, `.dev` by default), where `scripts/develop` keeps it.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

# HA AI's default camera topic prefix (its options may name another).
PREFIX = "liveobject"
LOOPBACK = "127.0.0.1"
DEV_DIR = Path(__file__).resolve().parents[2] / ".dev"
# Minutes between two events of a camera, and between two rings, at random.
EVENT_MINUTES = (2.0, 8.0)
RING_MINUTES = (5.0, 15.0)
# The first event of each camera and the first ring come within this (seconds).
FIRST_WITHIN = 60.0
PUBLISH_TIMEOUT = 10.0
THUMBNAILS = "https://camera-standin.invalid/thumbnails"


@dataclass(frozen=True, slots=True)
class Scene:
    """Something a camera can see: its description, the objects and the kind."""

    description: str
    objects: tuple[str, ...]
    detection_type: str


@dataclass(frozen=True, slots=True)
class StandInCamera:
    """One camera of the classifier, with the scenes it sees."""

    camera_id: str
    camera_name: str
    scenes: tuple[Scene, ...]
    doorbell: bool = False

    @property
    def event_topic(self) -> str:
        """Return the topic of the camera's events."""
        return f"{PREFIX}/camera/{self.camera_id}/event"

    @property
    def status_topic(self) -> str:
        """Return the topic of the camera's status."""
        return f"{PREFIX}/camera/{self.camera_id}/status"


RING = Scene("A person rang the doorbell", ("person",), "person")
FRONT_DOOR = StandInCamera(
    "front_door",
    "Front Door",
    (
        Scene("A person walked up to the front door", ("person",), "person"),
        Scene("A courier left a parcel at the door", ("person", "package"), "package"),
        Scene("A car pulled into the driveway", ("car",), "vehicle"),
        Scene("A cat crossed the porch", ("cat",), "animal"),
    ),
    doorbell=True,
)
GARDEN = StandInCamera(
    "garden",
    "Garden",
    (
        Scene("A person is walking across the lawn", ("person",), "person"),
        Scene("A fox ran along the fence", ("fox",), "animal"),
        Scene("Birds at the feeder", ("bird",), "animal"),
        Scene("A bicycle was leaned against the shed", ("bicycle",), "vehicle"),
    ),
)
DEMO_CAMERAS = (FRONT_DOOR, GARDEN)
AVAILABILITY_TOPIC = f"{PREFIX}/status"


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message to publish."""

    topic: str
    payload: str
    retain: bool = False


def event_payload(
    camera: StandInCamera,
    scene: Scene,
    *,
    ring: bool = False,
    now: datetime | None = None,
    confidence: float = 90.0,
) -> dict[str, Any]:
    """Return an event as the classifier writes it, under a new event id."""
    event_id = uuid.uuid4().hex[:16]
    return {
        "event_id": event_id,
        "camera_id": camera.camera_id,
        "camera_name": camera.camera_name,
        "description": scene.description,
        "objects_detected": list(scene.objects),
        "confidence": round(confidence, 1),
        "source_type": "rtsp",
        "timestamp": (now or datetime.now().astimezone()).isoformat(),
        "thumbnail_url": f"{THUMBNAILS}/{camera.camera_id}/{event_id}.jpg",
        "smart_detection_type": scene.detection_type,
        "is_doorbell_ring": ring,
    }


def event_message(
    camera: StandInCamera,
    rng: random.Random,
    *,
    ring: bool = False,
    description: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Return a random event of the camera (a ring of its doorbell if `ring`)."""
    scene = RING if ring else rng.choice(camera.scenes)
    if description:
        scene = Scene(description, scene.objects, scene.detection_type)
    payload = event_payload(
        camera, scene, ring=ring, now=now, confidence=rng.uniform(70.0, 98.0)
    )
    return Message(camera.event_topic, json.dumps(payload))


def status_message(
    camera: StandInCamera, status: str, now: datetime | None = None
) -> Message:
    """Return the camera's status (retained, as the classifier keeps it)."""
    payload = {
        "camera_id": camera.camera_id,
        "camera_name": camera.camera_name,
        "status": status,
        "last_updated": (now or datetime.now().astimezone()).isoformat(),
    }
    return Message(camera.status_topic, json.dumps(payload), retain=True)


def availability_message(*, online: bool) -> Message:
    """Return the classifier's availability (plain text, retained)."""
    return Message(AVAILABILITY_TOPIC, "online" if online else "offline", retain=True)


@dataclass(slots=True)
class Due:
    """When something happens next: a camera's event, or its doorbell's ring."""

    at: float  # seconds from the start
    camera: StandInCamera
    ring: bool = False


def first_schedule(
    cameras: Sequence[StandInCamera],
    rng: random.Random,
    within: float = FIRST_WITHIN,
) -> list[Due]:
    """Return the first event of each camera and each doorbell's first ring.

    All `within` seconds (the first minute): a new demo shows its cameras at
    once. The events come in the first half, the rings after them.
    """
    due = [Due(rng.uniform(0.03, 0.5) * within, camera) for camera in cameras]
    due += [
        Due(rng.uniform(0.5, 0.9) * within, camera, ring=True)
        for camera in cameras
        if camera.doorbell
    ]
    return due


def next_due(due: Due, rng: random.Random) -> Due:
    """Return when the same thing happens again: random minutes later."""
    minutes = RING_MINUTES if due.ring else EVENT_MINUTES
    return Due(due.at + 60 * rng.uniform(*minutes), due.camera, ring=due.ring)


class Publisher:
    """A connected MQTT client that publishes with QoS 1 and waits for the broker."""

    def __init__(self, host: str, port: int, client_id: str, *, will: bool) -> None:
        """Connect (with the classifier's last will if `will`); raise if refused."""
        connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = lambda *_: connected.set()
        if will:
            offline = availability_message(online=False)
            self.client.will_set(offline.topic, offline.payload, qos=1, retain=True)
        self.client.connect(host, port)
        self.client.loop_start()
        if not connected.wait(PUBLISH_TIMEOUT):
            self.close()
            msg = f"no CONNACK from the broker at {host}:{port}"
            raise TimeoutError(msg)

    def publish(self, message: Message) -> None:
        """Publish one message and wait until the broker has it."""
        info = self.client.publish(
            message.topic, message.payload, qos=1, retain=message.retain
        )
        info.wait_for_publish(PUBLISH_TIMEOUT)
        if not info.is_published():
            msg = f"the broker did not acknowledge {message.topic}"
            raise TimeoutError(msg)

    def close(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


def describe(message: Message) -> str:
    """Return a line for the log: which camera saw what."""
    payload = json.loads(message.payload)
    what = "ring" if payload.get("is_doorbell_ring") else "event"
    return f"{payload['camera_name']}: {what}: {payload['description']}"


def run(
    publisher: Publisher,
    cameras: Sequence[StandInCamera],
    rng: random.Random,
    stop: threading.Event,
    first_within: float = FIRST_WITHIN,
) -> None:
    """Publish the cameras' events until `stop` is set, then say offline."""
    publisher.publish(availability_message(online=True))
    for camera in cameras:
        publisher.publish(status_message(camera, "online"))
    print(f"Cameras online: {', '.join(c.camera_name for c in cameras)}", flush=True)
    start = time.monotonic()
    schedule = first_schedule(cameras, rng, first_within)
    while schedule:
        due = min(schedule, key=lambda item: item.at)
        if stop.wait(max(0.0, start + due.at - time.monotonic())):
            break
        message = event_message(due.camera, rng, ring=due.ring)
        try:
            publisher.publish(message)
        except TimeoutError as err:
            print(f"Not published: {err}", flush=True)
        else:
            print(describe(message), flush=True)
        schedule.remove(due)
        schedule.append(next_due(due, rng))
    publisher.publish(availability_message(online=False))
    print("Cameras offline", flush=True)


def broker_port(port: int | None, directory: Path) -> int:
    """Return the broker's port: given, or the one the demo in `directory` uses."""
    if port is not None:
        return port
    try:
        state = json.loads((directory / "state.json").read_text(encoding="utf-8"))
        return int(state["mqtt_port"])
    except (OSError, ValueError, KeyError, TypeError):
        msg = (
            f"no broker port in {directory / 'state.json'}: start scripts/develop "
            "first, or give --port"
        )
        raise SystemExit(msg) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.devenv.camera_standin",
        description="Publish over MQTT as an AI camera classifier does.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "publish the demo cameras' events until stopped"),
        ("publish", "publish one event and exit"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--host", default=LOOPBACK, help="broker host")
        command.add_argument("--port", type=int, help="broker port")
        command.add_argument(
            "--dir",
            type=Path,
            default=DEV_DIR,
            help="the demo's directory, whose broker port is used without --port "
            "(default %(default)s)",
        )
    run_command = commands.choices["run"]
    run_command.add_argument("--seed", type=int, help="for the same events each run")
    run_command.add_argument(
        "--first-within",
        type=float,
        default=FIRST_WITHIN,
        help="seconds within which every camera's first event and the first "
        "ring come (default %(default)s)",
    )
    publish_command = commands.choices["publish"]
    publish_command.add_argument(
        "camera",
        nargs="?",
        default=FRONT_DOOR.camera_id,
        choices=[camera.camera_id for camera in DEMO_CAMERAS],
        help="which camera sees it (default %(default)s)",
    )
    publish_command.add_argument(
        "--ring", action="store_true", help="a ring of the doorbell"
    )
    publish_command.add_argument("--description", help="what the camera saw")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the stand-in, or publish one event; return the exit code."""
    args = _parser().parse_args(argv)
    port = broker_port(args.port, args.dir)
    try:
        return _main(args, port)
    except (OSError, TimeoutError) as err:
        print(f"No broker at {args.host}:{port}: {err}", file=sys.stderr)
        return 1


def _main(args: argparse.Namespace, port: int) -> int:
    if args.command == "publish":
        camera = next(c for c in DEMO_CAMERAS if c.camera_id == args.camera)
        message = event_message(
            camera,
            random.Random(),  # noqa: S311 - a scene and a confidence, no secret
            ring=args.ring,
            description=args.description,
        )
        publisher = Publisher(
            args.host, port, f"ha-ai-camera-event-{uuid.uuid4().hex[:8]}", will=False
        )
        try:
            publisher.publish(message)
        finally:
            publisher.close()
        print(f"Published on {message.topic}: {message.payload}")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    publisher = Publisher(args.host, port, "ha-ai-camera-standin", will=True)
    try:
        rng = random.Random(args.seed)  # noqa: S311 - when events come, no secret
        run(publisher, DEMO_CAMERAS, rng, stop, args.first_within)
    finally:
        publisher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
