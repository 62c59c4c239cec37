"""The simulated Zigbee2MQTT bridge, and `--check` of what HA AI makes of it."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from scripts import zigbee2mqtt_sim

from .common import JSON, REPO_ROOT, DevEnvError, log
from .environment import Environment
from .hass_api import HassApi
from .processes import Service

DISCOVERY_TIMEOUT = 30.0
LIGHT_TIMEOUT = 10.0

# HA AI judges 10 s after the last change, once Home Assistant has started.
ZIGBEE_CHECK_TIMEOUT = 30.0

# HA AI's entities: (key, entity id on a fresh instance, friendly name)
HA_AI_ENTITIES = (
    ("devices", "sensor.ha_ai_zigbee_devices", "HA AI Zigbee devices"),
    ("bridge", "binary_sensor.ha_ai_zigbee2mqtt_bridge", "HA AI Zigbee2MQTT bridge"),
    ("unused", "sensor.ha_ai_unused_capabilities", "HA AI Unused capabilities"),
)

# Loaded entities of the mqtt platform that are available.
AVAILABLE_MQTT_ENTITIES = (
    "{{ integration_entities('mqtt') | reject('is_state', 'unavailable') "
    "| list | count }}"
)


def zigbee_line(simulation: zigbee2mqtt_sim.Simulation) -> str:
    """Describe the simulated Zigbee2MQTT for the banner."""
    line = (
        f"a stand-in bridge {zigbee2mqtt_sim.VERSION} with "
        f"{len(simulation.end_devices)} devices answering /set and /get; pair, "
        "remove or drop one with .venv/bin/python -m scripts.zigbee2mqtt_sim --port "
        "<MQTT port> pair | remove NAME | drop NAME"
    )
    if demo := zigbee2mqtt_sim.demo_automation(simulation):
        line += f"; automation {demo[0]!r} uses {demo[1]}"
    return line


def stand_in_command(mqtt_port: int) -> list[str]:
    """Return the command line of the Zigbee2MQTT stand-in for the broker's port."""
    return [
        sys.executable,
        "-m",
        "scripts.zigbee2mqtt_sim",
        "--port",
        str(mqtt_port),
        "run",
    ]


async def simulate_zigbee2mqtt(
    env: Environment, simulation: zigbee2mqtt_sim.Simulation
) -> Service:
    """Start the Zigbee2MQTT stand-in, then wait for the discovered entities.

    It runs in the background with the other services (stopped with them) and
    answers `/set` and `/get`; see scripts/zigbee2mqtt_bridge.py. Everything it
    publishes is retained and published again on every run: the broker keeps
    nothing across runs (``persistence false``).
    """
    log(f"Starting the Zigbee2MQTT stand-in: {simulation.summary()}")
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(REPO_ROOT), environ.get("PYTHONPATH")) if part
    )
    service = await env.group.start(
        "Zigbee2MQTT stand-in",
        stand_in_command(env.mqtt_port),
        env.run_dir / "zigbee2mqtt.log",
        echo=lambda _line: True,
        env=environ,
    )
    expected = sum(entity.enabled for entity in simulation.entities)
    deadline = time.monotonic() + DISCOVERY_TIMEOUT
    while (
        available := int(
            await env.api.request(
                "POST", "/api/template", {"template": AVAILABLE_MQTT_ENTITIES}
            )
        )
    ) < expected:
        if not service.running:
            msg = (
                f"the Zigbee2MQTT stand-in exited with {service.process.returncode}; "
                f"see {env.run_dir / 'zigbee2mqtt.log'}"
            )
            raise DevEnvError(msg)
        if time.monotonic() > deadline:
            log(
                f"Only {available} of {expected} discovered MQTT entities are "
                f"available after {DISCOVERY_TIMEOUT:.0f} s; see the log"
            )
            break
        await asyncio.sleep(0.25)
    return service


async def check_light_follows(
    api: HassApi, simulation: zigbee2mqtt_sim.Simulation
) -> str | None:
    """Turn a light on over REST; the stand-in must answer and the light go on.

    Home Assistant sends ``<base>/<name>/set``; the state Zigbee2MQTT echoes on
    ``<base>/<name>`` is what makes the entity change.
    """
    light, _ = zigbee2mqtt_sim.demo_habit_entities(simulation)
    await api.call_service("light", "turn_on", {"entity_id": light, "brightness": 128})
    deadline = time.monotonic() + LIGHT_TIMEOUT
    while (state := await api.state(light)) != "on":
        if time.monotonic() > deadline:
            return f"{light} is {state!r} {LIGHT_TIMEOUT:.0f} s after light.turn_on"
        await asyncio.sleep(0.2)
    log(f"{light} went on after light.turn_on: the stand-in answered its /set")
    await api.call_service("light", "turn_off", {"entity_id": light})
    return None


def find_state(states: list[JSON], entity_id: str, friendly_name: str) -> JSON | None:
    """Return the live state of an entity, by entity id or by friendly name.

    An old config dir may hold a stale registry entry under the plain entity id
    (restored, unavailable), which moves the live entity to ``<id>_2``.
    """
    matches = [
        state
        for state in states
        if state["entity_id"] == entity_id
        or state["attributes"].get("friendly_name") == friendly_name
    ]
    matches.sort(
        key=lambda state: (
            bool(state["attributes"].get("restored")),
            state["entity_id"] != entity_id,
        )
    )
    return matches[0] if matches else None


def zigbee_problem(
    found: dict[str, JSON | None], simulation: zigbee2mqtt_sim.Simulation
) -> str | None:
    """Say what the HA AI entities do not show yet, or None when all is well."""
    present = {key: value for key, value in found.items() if value is not None}
    if missing := sorted(found.keys() - present.keys()):
        return f"HA AI entities not found: {', '.join(missing)}"
    devices, bridge, unused = present["devices"], present["bridge"], present["unused"]
    problems = []
    expected = str(len(simulation.end_devices))
    if devices["state"] != expected:
        problems.append(
            f"{devices['entity_id']} is {devices['state']!r}, not {expected!r}"
        )
    if bridge["state"] != "on":
        problems.append(f"{bridge['entity_id']} is {bridge['state']!r}, not 'on'")
    try:
        count = float(unused["state"])
    except ValueError:
        count = 0
    if count <= 0:
        problems.append(
            f"{unused['entity_id']} is {unused['state']!r}, not a number > 0"
        )
    elif not any(
        item.get("entity_id")
        for item in unused["attributes"].get("top_opportunities") or []
    ):
        problems.append(
            "no top opportunity names an entity: the discovered entities are not linked"
        )
    return "; ".join(problems) or None


async def check_zigbee(api: HassApi, simulation: zigbee2mqtt_sim.Simulation) -> bool:
    """Verify HA AI sees the simulated bridge and devices; print what it shows."""
    log("Waiting for HA AI's judgement of the simulated devices")
    start = time.monotonic()
    while True:
        states: list[JSON] = await api.request("GET", "/api/states")
        found = {
            key: find_state(states, entity_id, name)
            for key, entity_id, name in HA_AI_ENTITIES
        }
        problem = zigbee_problem(found, simulation)
        if problem is None or time.monotonic() - start > ZIGBEE_CHECK_TIMEOUT:
            break
        await asyncio.sleep(1)
    problem = problem or await check_light_follows(api, simulation)
    if problem:
        print(f"CHECK FAILED after {ZIGBEE_CHECK_TIMEOUT:.0f} s: {problem}", flush=True)
        return False
    lines = [f"Check passed after {time.monotonic() - start:.0f} s:"]
    lines += [
        f"  {state['entity_id']} = {state['state']}"
        for state in found.values()
        if state is not None
    ]
    unused = found["unused"] or {}
    lines.append("  top_opportunities:")
    lines += [
        f"    - {item.get('title')}  [{item.get('entity_id') or 'no entity'}]"
        for item in unused.get("attributes", {}).get("top_opportunities") or []
    ]
    print("\n".join(lines), flush=True)
    return True
