"""What a Zigbee2MQTT bridge publishes, for the development environment.

This module builds the messages a Zigbee2MQTT 2.x bridge publishes for a
device list (the demo house of ``scripts/zigbee2mqtt_devices``, or
``tests/fixtures/house/devices.json``); the stand-in that ``scripts/develop``
runs in the background (``scripts/zigbee2mqtt_bridge``) publishes them and
answers requests. ``python -m scripts.zigbee2mqtt_sim --help`` runs the
stand-in or sends it a request (pair, remove, drop, restore). The messages:

- the bridge's retained ``bridge/state``, ``bridge/info`` and ``bridge/devices``;
- Home Assistant MQTT discovery configs, retained, shaped like those of
  Zigbee2MQTT's Home Assistant extension (``homeassistant/<component>/<ieee>/
  <object_id>/config``, unique id ``<ieee>_<object_id>_zigbee2mqtt``, device
  identifier ``zigbee2mqtt_<ieee>``), so Home Assistant creates real entities
  that HA AI links to the capabilities;
- each device's availability and a state message with ``last_seen``, retained
  (as with the device option ``retain: true``), so the entities have values.

Some capabilities deliberately get no entity (see ``WITHOUT_ENTITY``), so HA
AI shows every kind of finding: ``no_entity``, ``not_referenced``,
``default_setting``, and, through the automation of ``demo_automation_yaml``,
one capability in use. Covers and thermostats get no entity here either (their
discovery is not built). The broker runs with ``persistence false`` and every
message is published again on each run, so the simulation is idempotent.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from scripts.zigbee2mqtt_devices import INITIAL_STATES

REPO_ROOT = Path(__file__).resolve().parent.parent
DEVICES_FIXTURE = REPO_ROOT / "tests" / "fixtures" / "house" / "devices.json"
BASE_TOPIC = "zigbee2mqtt"
DISCOVERY_PREFIX = "homeassistant"
VERSION = "2.1.3"
COMMIT = "9f4c2d1"
CLIENT_ID = "ha-ai-dev-zigbee2mqtt"
PUBLISH_TIMEOUT = 10.0
ACCESS_PUBLISHED = 1
ACCESS_SETTABLE = 2

# Capabilities left without an entity (disabled in Zigbee2MQTT's Home Assistant
# settings, say), so that HA AI reports them as `no_entity` or `default_setting`.
WITHOUT_ENTITY = frozenset(
    {"sensitivity", "led_disabled_night", "child_lock", "effect", "power_on_behavior"}
)

# property -> (device_class, state_class) of its sensor, as Zigbee2MQTT maps them
SENSOR_CLASSES: dict[str, tuple[str | None, str | None]] = {
    "battery": ("battery", "measurement"),
    "voltage": ("voltage", "measurement"),
    "power": ("power", "measurement"),
    "energy": ("energy", "total_increasing"),
    "temperature": ("temperature", "measurement"),
    "humidity": ("humidity", "measurement"),
    "illuminance": ("illuminance", "measurement"),
    "linkquality": (None, "measurement"),
    "strength": (None, "measurement"),
}
BINARY_SENSOR_CLASSES = {
    "vibration": "vibration",
    "occupancy": "occupancy",
    "contact": "door",
    "water_leak": "moisture",
    "smoke": "smoke",
    "tamper": "tamper",
    "battery_low": "battery",
}
ICONS = {"action": "mdi:gesture-double-tap", "strength": "mdi:vibrate"}
# Zigbee2MQTT creates these entities disabled.
DISABLED_BY_DEFAULT = frozenset({"linkquality"})

# A plausible state message per device (friendly name); settings at their
# defaults, so HA AI does not count them as changed.
SAMPLE_STATES: dict[str, dict[str, Any]] = INITIAL_STATES


@dataclasses.dataclass(frozen=True)
class Message:
    """One MQTT message to publish."""

    topic: str
    payload: str
    retain: bool = True


@dataclasses.dataclass(frozen=True)
class DiscoveryEntity:
    """One Home Assistant MQTT discovery config."""

    component: str
    ieee: str
    object_id: str
    config: dict[str, Any]

    @property
    def topic(self) -> str:
        """Return the discovery topic."""
        return (
            f"{DISCOVERY_PREFIX}/{self.component}/{self.ieee}/{self.object_id}/config"
        )

    @property
    def entity_id(self) -> str:
        """Return the entity id Home Assistant gives it on a fresh instance."""
        return f"{self.component}.{self.config['object_id']}"

    @property
    def enabled(self) -> bool:
        """Tell whether Home Assistant creates it enabled."""
        return bool(self.config.get("enabled_by_default", True))


@dataclasses.dataclass(frozen=True)
class Simulation:
    """Everything the simulated bridge publishes."""

    devices: list[dict[str, Any]]
    entities: list[DiscoveryEntity]
    messages: list[Message]

    @property
    def end_devices(self) -> list[dict[str, Any]]:
        """Return the devices other than the coordinator."""
        return [d for d in self.devices if d.get("type") != "Coordinator"]

    def summary(self) -> str:
        """Describe the simulation in one line."""
        names = ", ".join(d["friendly_name"] for d in self.end_devices)
        return (
            f"bridge {VERSION} online, {len(self.end_devices)} devices ({names}), "
            f"{len(self.entities)} discovery entities, "
            f"{len(self.messages)} retained messages"
        )


def slug(text: str) -> str:
    """Return ``text`` as an object id: lower case, ``_`` between words."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def load_devices(path: Path = DEVICES_FIXTURE) -> list[dict[str, Any]]:
    """Read the device list fixture."""
    devices: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return devices


def coordinator_ieee(devices: Iterable[dict[str, Any]]) -> str:
    """Return the coordinator's IEEE address."""
    for device in devices:
        if device.get("type") == "Coordinator":
            return str(device["ieee_address"])
    msg = "the device list has no coordinator"
    raise ValueError(msg)


def bridge_info(coordinator: str, permit_join_end: int | None = None) -> dict[str, Any]:
    """Return a small ``bridge/info`` payload of a 2.x bridge.

    ``permit_join_end`` (milliseconds since the epoch) is when joining,
    permitted now, ends.
    """
    info: dict[str, Any] = {
        "version": VERSION,
        "commit": COMMIT,
        "coordinator": {
            "type": "EmberZNet",
            "ieee_address": coordinator,
            "meta": {"revision": "7.4.4.0 [GA]"},
        },
        "network": {"channel": 15, "pan_id": 6754},
        "log_level": "info",
        "permit_join": permit_join_end is not None,
        "restart_required": False,
        "config": {
            "advanced": {"last_seen": "ISO_8601"},
            "homeassistant": {"enabled": True},
        },
    }
    if permit_join_end is not None:
        info["permit_join_end"] = permit_join_end
    return info


def _availability(friendly_name: str) -> dict[str, Any]:
    template = "{{ value_json.state }}"
    return {
        "availability": [
            {"topic": f"{BASE_TOPIC}/bridge/state", "value_template": template},
            {
                "topic": f"{BASE_TOPIC}/{friendly_name}/availability",
                "value_template": template,
            },
        ],
        "availability_mode": "all",
    }


def _device_block(device: dict[str, Any], coordinator: str) -> dict[str, Any]:
    definition = device["definition"]
    block = {
        "identifiers": [f"zigbee2mqtt_{device['ieee_address']}"],
        "name": device["friendly_name"],
        "model": definition.get("description") or definition["model"],
        "model_id": definition["model"],
        "manufacturer": definition.get("vendor"),
        "via_device": f"zigbee2mqtt_bridge_{coordinator}",
    }
    if build := device.get("software_build_id"):
        block["sw_version"] = build
    return block


def _origin() -> dict[str, str]:
    return {
        "name": "Zigbee2MQTT",
        "sw_version": VERSION,
        "support_url": "https://www.zigbee2mqtt.io",
    }


def _specific(expose: dict[str, Any], state_topic: str) -> tuple[str, dict[str, Any]]:
    """Return the component and config of a light or switch expose.

    A switch on an endpoint of a multi-gang device is commanded on
    ``<name>/<endpoint>/set``, as Zigbee2MQTT's discovery does it.
    """
    features = {f["name"]: f for f in expose.get("features", [])}
    state = features.get("state", {})
    endpoint = expose.get("endpoint")
    command_topic = (
        f"{state_topic}/{endpoint}/set" if endpoint else f"{state_topic}/set"
    )
    if expose["type"] == "switch":
        return "switch", {
            "command_topic": command_topic,
            "value_template": f"{{{{ value_json.{state.get('property', 'state')} }}}}",
            "payload_on": state.get("value_on", "ON"),
            "payload_off": state.get("value_off", "OFF"),
        }
    config: dict[str, Any] = {
        "schema": "json",
        "command_topic": command_topic,
        "brightness": "brightness" in features,
        "brightness_scale": 254,
    }
    modes = []
    if "color_xy" in features:
        modes.append("xy")
    elif "color_hs" in features:
        modes.append("hs")
    if color_temp := features.get("color_temp"):
        modes.append("color_temp")
        config["min_mireds"] = color_temp.get("value_min", 150)
        config["max_mireds"] = color_temp.get("value_max", 500)
    if not modes:
        modes.append("brightness" if "brightness" in features else "onoff")
    config["supported_color_modes"] = modes
    return "light", config


def _numeric(expose: dict[str, Any]) -> dict[str, Any]:
    """Return the sensor classes and unit of a numeric expose."""
    device_class, state_class = SENSOR_CLASSES.get(
        expose.get("name", ""), (None, "measurement")
    )
    config = {
        "device_class": device_class,
        "state_class": state_class,
        "unit_of_measurement": expose.get("unit"),
    }
    return {key: value for key, value in config.items() if value}


def _simple(expose: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Return the component and config of a value expose, or None for none."""
    name = expose.get("name", "")
    access = expose.get("access", 0)
    template = f"{{{{ value_json.{expose['property']} }}}}"
    config: dict[str, Any] = {"name": expose.get("label") or name}
    if expose.get("category") == "diagnostic":
        config["entity_category"] = "diagnostic"
    if name in DISABLED_BY_DEFAULT:
        config["enabled_by_default"] = False
    if icon := ICONS.get(name):
        config["icon"] = icon
    kind = expose["type"]
    if kind == "binary" and access & ACCESS_PUBLISHED and not access & ACCESS_SETTABLE:
        config |= {
            "value_template": template,
            "payload_on": expose.get("value_on", True),
            "payload_off": expose.get("value_off", False),
        }
        if device_class := BINARY_SENSOR_CLASSES.get(name):
            config["device_class"] = device_class
        return "binary_sensor", config
    if kind in {"numeric", "enum"} and access & ACCESS_PUBLISHED:
        config["value_template"] = template
        if kind == "numeric":
            config |= _numeric(expose)
        return "sensor", config
    return None


def discovery_entities(
    device: dict[str, Any], coordinator: str
) -> list[DiscoveryEntity]:
    """Return the discovery configs Zigbee2MQTT would publish for ``device``."""
    definition = device.get("definition")
    if not definition or device.get("type") == "Coordinator":
        return []
    friendly_name = device["friendly_name"]
    ieee = device["ieee_address"]
    state_topic = f"{BASE_TOPIC}/{friendly_name}"
    entities = []
    for expose in definition.get("exposes", []):
        name = expose.get("name") or expose["type"]
        if name in WITHOUT_ENTITY:
            continue
        if expose["type"] in {"light", "switch"}:
            component, config = _specific(expose, state_topic)
            endpoint = expose.get("endpoint")
            object_id = f"{expose['type']}_{endpoint}" if endpoint else expose["type"]
            # The main entity takes the device's name (entity name None).
            config["name"] = endpoint or None
            entity_object_id = slug(f"{friendly_name}_{endpoint or ''}")
        elif "property" in expose and (simple := _simple(expose)) is not None:
            component, config = simple
            object_id = expose["property"]
            entity_object_id = slug(f"{friendly_name}_{object_id}")
        else:
            continue
        config |= {
            "unique_id": f"{ieee}_{object_id}_{BASE_TOPIC}",
            "object_id": entity_object_id,
            "state_topic": state_topic,
            **_availability(friendly_name),
            "device": _device_block(device, coordinator),
            "origin": _origin(),
        }
        entities.append(DiscoveryEntity(component, ieee, object_id, config))
    return entities


def bridge_entity(coordinator: str) -> DiscoveryEntity:
    """Return the bridge's own connection state entity."""
    return DiscoveryEntity(
        "binary_sensor",
        f"zigbee2mqtt_bridge_{coordinator}",
        "connection_state",
        {
            "name": "Connection state",
            "unique_id": f"bridge_{coordinator}_connection_state_{BASE_TOPIC}",
            "object_id": "zigbee2mqtt_bridge_connection_state",
            "state_topic": f"{BASE_TOPIC}/bridge/state",
            "value_template": "{{ value_json.state }}",
            "payload_on": "online",
            "payload_off": "offline",
            "device_class": "connectivity",
            "entity_category": "diagnostic",
            "device": {
                "identifiers": [f"zigbee2mqtt_bridge_{coordinator}"],
                "name": "Zigbee2MQTT Bridge",
                "model": "Bridge",
                "manufacturer": "Zigbee2MQTT",
                "sw_version": VERSION,
                "hw_version": "EmberZNet 7.4.4.0",
            },
            "origin": _origin(),
        },
    )


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def timestamp(now: datetime) -> str:
    """Return ``last_seen`` as Zigbee2MQTT's ``ISO_8601`` setting writes it."""
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def state_message(
    device: dict[str, Any], state: dict[str, Any], now: datetime
) -> Message:
    """Return a device's state message, with its ``last_seen``."""
    payload = {**state, "last_seen": timestamp(now)}
    return Message(f"{BASE_TOPIC}/{device['friendly_name']}", _json(payload))


def availability_message(device: dict[str, Any], *, online: bool) -> Message:
    """Return a device's retained availability message."""
    state = "online" if online else "offline"
    return Message(
        f"{BASE_TOPIC}/{device['friendly_name']}/availability", _json({"state": state})
    )


def device_messages(
    device: dict[str, Any], coordinator: str, state: dict[str, Any], now: datetime
) -> list[Message]:
    """Return what the bridge publishes for a device: discovery, availability, state."""
    messages = [
        Message(entity.topic, _json(entity.config))
        for entity in discovery_entities(device, coordinator)
    ]
    messages.append(availability_message(device, online=True))
    messages.append(state_message(device, state, now))
    return messages


def cleared_messages(device: dict[str, Any], coordinator: str) -> list[Message]:
    """Return the empty retained messages that clear a removed device."""
    topic = f"{BASE_TOPIC}/{device['friendly_name']}"
    return [
        *(
            Message(entity.topic, "")
            for entity in discovery_entities(device, coordinator)
        ),
        Message(f"{topic}/availability", ""),
        Message(topic, ""),
    ]


def build(devices: list[dict[str, Any]], now: datetime | None = None) -> Simulation:
    """Return what the bridge publishes for ``devices``, in publishing order."""
    now = now or datetime.now(UTC)
    coordinator = coordinator_ieee(devices)
    entities = [bridge_entity(coordinator)]
    for device in devices:
        entities += discovery_entities(device, coordinator)
    messages = [
        Message(f"{BASE_TOPIC}/bridge/state", _json({"state": "online"})),
        Message(f"{BASE_TOPIC}/bridge/info", _json(bridge_info(coordinator))),
        Message(f"{BASE_TOPIC}/bridge/devices", _json(devices)),
    ]
    messages += [Message(entity.topic, _json(entity.config)) for entity in entities]
    for device in devices:
        if device.get("type") == "Coordinator":
            continue
        messages.append(availability_message(device, online=True))
        state = SAMPLE_STATES.get(device["friendly_name"], {})
        messages.append(state_message(device, state, now))
    return Simulation(devices, entities, messages)


def demo_automation(simulation: Simulation) -> tuple[str, str] | None:
    """Return the alias and the entity of the demo automation, if it has a switch."""
    for entity in simulation.entities:
        if entity.component == "switch":
            return f"{entity.config['device']['name']} off at night", entity.entity_id
    return None


def demo_habit_entities(simulation: Simulation) -> tuple[str, str]:
    """Return the light and the plug the demo household's habits use (the first)."""
    by_component: dict[str, str] = {}
    for entity in simulation.entities:
        by_component.setdefault(entity.component, entity.entity_id)
    return by_component["light"], by_component["switch"]


def demo_automation_yaml(simulation: Simulation) -> str:
    """Return configuration.yaml lines with one automation using a switch.

    It makes HA AI count one capability as used. It has a key of its own
    (`automation demo:`) beside the editor's `automation: !include
    automations.yaml`, so it cannot be edited in the UI; add your own there.
    """
    demo = demo_automation(simulation)
    if demo is None:
        return ""
    alias, entity_id = demo
    return (
        "automation demo:\n"
        "  - id: ha_ai_dev_plug_off_at_night\n"
        f"    alias: {json.dumps(alias)}\n"
        "    triggers:\n"
        "      - trigger: time\n"
        '        at: "23:30:00"\n'
        "    actions:\n"
        "      - action: switch.turn_off\n"
        "        target:\n"
        f"          entity_id: {entity_id}\n"
    )


def publish(
    host: str, port: int, messages: Iterable[Message], timeout: float = PUBLISH_TIMEOUT
) -> None:
    """Publish ``messages`` with QoS 1 and wait until the broker has them all.

    Blocking (paho runs its own network thread): call it from a worker thread.
    """
    connected = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=CLIENT_ID)
    client.on_connect = lambda *_: connected.set()
    client.connect(host, port)
    client.loop_start()
    try:
        if not connected.wait(timeout):
            msg = f"no CONNACK from the broker at {host}:{port}"
            raise TimeoutError(msg)
        infos = [
            client.publish(message.topic, message.payload, qos=1, retain=message.retain)
            for message in messages
        ]
        for info in infos:
            info.wait_for_publish(timeout)
            if not info.is_published():
                msg = f"the broker did not acknowledge message {info.mid}"
                raise TimeoutError(msg)
    finally:
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    # The living stand-in and its command line (it builds on this module).
    from scripts.zigbee2mqtt_bridge import main

    sys.exit(main())
