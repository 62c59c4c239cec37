"""The demo house's AI cameras: the stand-in started, described and checked.

`scripts/develop` starts the camera stand-in (`camera_standin`, see its
docstring) once HA AI is set up, as a service of the environment, so it stops
with everything else; `--check` then waits for both cameras' devices and their
first events.
"""

from __future__ import annotations

import asyncio
import sys
import time

from .camera_standin import DEMO_CAMERAS, StandInCamera
from .common import JSON
from .environment import Environment
from .hass_api import HassApi
from .processes import Service
from .zigbee_check import find_state

# Every camera's first event comes within 30 s of the stand-in's start.
CAMERA_CHECK_TIMEOUT = 60.0
EVENT_COMMAND = "scripts/camera-event"


async def start_cameras(env: Environment) -> Service:
    """Start the camera stand-in on the environment's broker, in the background."""
    return await env.group.start(
        "camera stand-in",
        [
            sys.executable,
            "-m",
            "scripts.devenv.camera_standin",
            "run",
            "--port",
            str(env.mqtt_port),
            "--dir",
            str(env.run_dir),
        ],
        env.run_dir / "cameras.log",
    )


def camera_event_command(mqtt_port: int, *, ring: bool = True) -> str:
    """Return the command that publishes one event by hand (from the repository)."""
    return f"{EVENT_COMMAND} --port {mqtt_port} front_door" + (
        " --ring" if ring else ""
    )


def cameras_line(env: Environment) -> str:
    """Describe the demo's cameras for the banner."""
    names = " and ".join(
        f"{camera.camera_name}{' (a doorbell)' if camera.doorbell else ''}"
        for camera in DEMO_CAMERAS
    )
    return (
        f"{names}: AI camera stand-in, an event every few minutes "
        f"(log {env.run_dir / 'cameras.log'})"
    )


def camera_counts(states: list[JSON], camera: StandInCamera) -> JSON | None:
    """Return the camera's `events today` sensor, found by its friendly name."""
    slug = camera.camera_id
    return find_state(
        states, f"sensor.{slug}_events_today", f"{camera.camera_name} Events today"
    )


async def check_cameras(api: HassApi) -> bool:
    """Verify HA AI made both cameras' devices and counts their events."""
    start = time.monotonic()
    while True:
        states: list[JSON] = await api.request("GET", "/api/states")
        found = {camera: camera_counts(states, camera) for camera in DEMO_CAMERAS}
        waiting = [
            camera.camera_name
            for camera, state in found.items()
            if state is None or state["state"] in ("unknown", "unavailable", "0")
        ]
        if not waiting or time.monotonic() - start > CAMERA_CHECK_TIMEOUT:
            break
        await asyncio.sleep(1)
    if waiting:
        print(
            f"CHECK FAILED after {CAMERA_CHECK_TIMEOUT:.0f} s: no event counted for "
            f"{', '.join(waiting)} (see cameras.log)",
            flush=True,
        )
        return False
    lines = ["HA AI counts the stand-in cameras' events:"]
    lines += [
        f"  {state['entity_id']} = {state['state']}"
        for state in found.values()
        if state is not None
    ]
    print("\n".join(lines), flush=True)
    return True
