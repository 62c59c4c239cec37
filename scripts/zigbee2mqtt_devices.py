"""The demo house's Zigbee devices, as Zigbee2MQTT 2.x lists them.

``scripts/develop`` plays a Zigbee2MQTT bridge with about twenty devices: the
four of ``tests/fixtures/house/devices.json`` (same addresses and names, so the
entities the demo history uses stay the same) and sixteen more of common makes.
Each entry has the fields of a real ``bridge/devices`` entry (``model_id``,
``manufacturer``, ``power_source``, ``endpoints``, ``definition`` with
``exposes`` and ``options``), and the exposes are built the way
zigbee-herdsman-converters builds them (the helpers below follow its presets:
names, properties, access bits, units, categories, ranges).

``POOL`` holds devices that are not in the house yet: the stand-in lets one of
them join when it is asked to permit joining (see ``scripts/zigbee2mqtt_bridge``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HOUSE_FIXTURE = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "fixtures"
    / "house"
    / "devices.json"
)

Expose = dict[str, Any]

STATE = 1  # published in the device's state
SET = 2  # settable through <base>/<name>/set
GET = 4  # readable through <base>/<name>/get
ALL = STATE | SET | GET


def _leaf(  # noqa: PLR0913 - the fields of an expose, as the converters name them
    kind: str,
    name: str,
    access: int,
    description: str,
    *,
    label: str | None = None,
    prop: str | None = None,
    category: str | None = None,
    endpoint: str | None = None,
    **fields: Any,  # noqa: ANN401 - unit, values, value_min, ...
) -> Expose:
    expose: Expose = {
        "access": access,
        "description": description,
        "label": label or name.replace("_", " ").capitalize(),
        "name": name,
        "property": prop or (f"{name}_{endpoint}" if endpoint else name),
        "type": kind,
    }
    if category:
        expose["category"] = category
    if endpoint:
        expose["endpoint"] = endpoint
    expose.update({key: value for key, value in fields.items() if value is not None})
    return expose


def numeric(  # noqa: PLR0913 - the fields of a numeric expose
    name: str,
    access: int,
    description: str,
    unit: str | None = None,
    *,
    value_min: float | None = None,
    value_max: float | None = None,
    category: str | None = None,
    label: str | None = None,
) -> Expose:
    """Return a numeric expose."""
    return _leaf(
        "numeric",
        name,
        access,
        description,
        unit=unit,
        value_min=value_min,
        value_max=value_max,
        category=category,
        label=label,
    )


def binary(  # noqa: PLR0913 - the fields of a binary expose
    name: str,
    access: int,
    description: str,
    *,
    value_on: object = True,
    value_off: object = False,
    category: str | None = None,
    label: str | None = None,
) -> Expose:
    """Return a binary expose."""
    return _leaf(
        "binary",
        name,
        access,
        description,
        value_on=value_on,
        value_off=value_off,
        category=category,
        label=label,
    )


def enum(  # noqa: PLR0913 - the fields of an enum expose
    name: str,
    access: int,
    description: str,
    values: list[str],
    *,
    category: str | None = None,
    label: str | None = None,
) -> Expose:
    """Return an enum expose."""
    return _leaf(
        "enum", name, access, description, values=values, category=category, label=label
    )


# The presets of zigbee-herdsman-converters that the demo devices use.


def battery() -> Expose:
    """Return the battery percentage."""
    return numeric(
        "battery",
        STATE,
        "Remaining battery in %, can take up to 24 hours before reported",
        "%",
        value_min=0,
        value_max=100,
        category="diagnostic",
    )


def battery_voltage() -> Expose:
    """Return the battery voltage (millivolts)."""
    return numeric(
        "voltage",
        STATE,
        "Voltage of the battery in millivolts",
        "mV",
        category="diagnostic",
    )


def battery_low() -> Expose:
    """Return the battery-low flag."""
    return binary(
        "battery_low",
        STATE,
        "Indicates if the battery of this device is almost empty",
        category="diagnostic",
    )


def linkquality() -> Expose:
    """Return the link quality every device reports."""
    return numeric(
        "linkquality",
        STATE,
        "Link quality (signal strength)",
        "lqi",
        value_min=0,
        value_max=255,
        category="diagnostic",
    )


def device_temperature() -> Expose:
    """Return the device's own temperature."""
    return numeric(
        "device_temperature",
        STATE,
        "Temperature of the device",
        "°C",
        category="diagnostic",
    )


def temperature() -> Expose:
    """Return a measured temperature."""
    return numeric("temperature", STATE, "Measured temperature value", "°C")


def humidity() -> Expose:
    """Return a measured relative humidity."""
    return numeric("humidity", STATE, "Measured relative humidity", "%")


def pressure() -> Expose:
    """Return a measured atmospheric pressure."""
    return numeric("pressure", STATE, "The measured atmospheric pressure", "hPa")


def illuminance() -> Expose:
    """Return a measured illuminance."""
    return numeric("illuminance", STATE, "Measured illuminance", "lx")


def occupancy() -> Expose:
    """Return a motion sensor's occupancy."""
    return binary("occupancy", STATE, "Indicates whether the device detected occupancy")


def contact() -> Expose:
    """Return a door or window contact (true = closed)."""
    return binary(
        "contact",
        STATE,
        "Indicates if the contact is closed (= true) or open (= false)",
        value_on=False,
        value_off=True,
    )


def water_leak() -> Expose:
    """Return a leak sensor's alarm."""
    return binary(
        "water_leak", STATE, "Indicates whether the device detected a water leak"
    )


def smoke() -> Expose:
    """Return a smoke alarm."""
    return binary("smoke", STATE, "Indicates whether the device detected smoke")


def tamper() -> Expose:
    """Return a tamper flag."""
    return binary("tamper", STATE, "Indicates whether the device is tampered")


def action(values: list[str]) -> Expose:
    """Return the actions of a button or remote."""
    return enum("action", STATE, "Triggered action (e.g. a button click)", values)


def power() -> Expose:
    """Return an instantaneous power measurement."""
    return numeric("power", STATE | GET, "Instantaneous measured power", "W")


def energy() -> Expose:
    """Return a consumed energy counter."""
    return numeric("energy", STATE | GET, "Sum of consumed energy", "kWh")


def current() -> Expose:
    """Return an electrical current measurement."""
    return numeric(
        "current",
        STATE | GET,
        "Instantaneous measured electrical current",
        "A",
        category="diagnostic",
    )


def mains_voltage() -> Expose:
    """Return a mains voltage measurement."""
    return numeric(
        "voltage",
        STATE | GET,
        "Measured electrical potential value",
        "V",
        category="diagnostic",
    )


def power_on_behavior(values: list[str] | None = None) -> Expose:
    """Return what the device does when power comes back."""
    return enum(
        "power_on_behavior",
        ALL,
        "Controls the behavior when the device is powered on after power loss",
        values or ["off", "on", "toggle", "previous"],
        category="config",
        label="Power-on behavior",
    )


def child_lock() -> Expose:
    """Return the physical child lock of a plug."""
    return binary(
        "child_lock",
        ALL,
        "Enables/disables physical input on the device",
        value_on="LOCK",
        value_off="UNLOCK",
        category="config",
    )


def effect(extra: list[str] | None = None) -> Expose:
    """Return a light's effects (identify blinks)."""
    values = ["blink", "breathe", "okay", "channel_change", "finish_effect"]
    return enum(
        "effect",
        SET,
        "Triggers an effect on the light (e.g. make light blink for a few seconds)",
        [*values, "stop_effect", *(extra or [])],
    )


def switch(endpoint: str | None = None) -> Expose:
    """Return an on/off switch, on an endpoint of a multi-gang device or not."""
    state = _leaf(
        "binary",
        "state",
        ALL,
        "On/off state of the switch",
        endpoint=endpoint,
        value_on="ON",
        value_off="OFF",
        value_toggle="TOGGLE",
    )
    expose: Expose = {"features": [state], "type": "switch"}
    if endpoint:
        expose["endpoint"] = endpoint
    return expose


def _color_temp_presets(value_min: int, value_max: int) -> list[dict[str, Any]]:
    named = [(250, "cool", "Cool"), (370, "neutral", "Neutral"), (454, "warm", "Warm")]
    presets = [
        {
            "description": "Coolest temperature supported",
            "name": "coolest",
            "value": value_min,
        }
    ]
    presets += [
        {
            "description": f"{label} temperature ({mired} mireds / "
            f"{round(1_000_000 / mired / 100) * 100} Kelvin)",
            "name": name,
            "value": mired,
        }
        for mired, name, label in named
        if value_min <= mired <= value_max
    ]
    presets.append(
        {
            "description": "Warmest temperature supported",
            "name": "warmest",
            "value": value_max,
        }
    )
    return presets


def light(
    *,
    brightness: bool = True,
    color_temp: tuple[int, int] | None = None,
    color: bool = False,
) -> Expose:
    """Return a light: state, brightness, colour temperature, colour."""
    features: list[Expose] = [
        _leaf(
            "binary",
            "state",
            ALL,
            "On/off state of this light",
            value_on="ON",
            value_off="OFF",
            value_toggle="TOGGLE",
        )
    ]
    if brightness:
        features.append(
            numeric(
                "brightness",
                ALL,
                "Brightness of this light",
                value_min=0,
                value_max=254,
            )
        )
    if color_temp:
        low, high = color_temp
        temp = numeric(
            "color_temp",
            ALL,
            "Color temperature of this light",
            "mired",
            value_min=low,
            value_max=high,
        )
        temp["presets"] = _color_temp_presets(low, high)
        features.append(temp)
    if color:
        for name, label, parts, description in (
            (
                "color_xy",
                "Color (X/Y)",
                ("x", "y"),
                "in the CIE 1931 color space (x/y)",
            ),
            (
                "color_hs",
                "Color (HS)",
                ("hue", "saturation"),
                "expressed as hue/saturation",
            ),
        ):
            features.append(
                {
                    "access": ALL,
                    "description": f"Color of this light {description}",
                    "features": [
                        {
                            "access": ALL,
                            "label": part.capitalize(),
                            "name": part,
                            "property": part,
                            "type": "numeric",
                        }
                        for part in parts
                    ],
                    "label": label,
                    "name": name,
                    "property": "color",
                    "type": "composite",
                }
            )
    return {"features": features, "type": "light"}


def cover() -> Expose:
    """Return a roller blind: open/close/stop and a position."""
    return {
        "features": [
            enum("state", SET, "", ["OPEN", "CLOSE", "STOP"]),
            numeric(
                "position",
                ALL,
                "Position of this cover",
                "%",
                value_min=0,
                value_max=100,
            ),
        ],
        "type": "cover",
    }


def thermostat() -> Expose:
    """Return a radiator valve's climate controls."""
    return {
        "features": [
            numeric(
                "occupied_heating_setpoint",
                ALL,
                "Temperature setpoint",
                "°C",
                value_min=5,
                value_max=35,
                label="Occupied heating setpoint",
            )
            | {"value_step": 0.5},
            numeric(
                "local_temperature",
                STATE | GET,
                "Current temperature measured on the device",
                "°C",
            ),
            enum("system_mode", ALL, "Mode of this device", ["heat"]),
            enum(
                "running_state",
                STATE | GET,
                "The current running state",
                ["idle", "heat"],
            ),
        ],
        "type": "climate",
    }


LIGHT_OPTIONS = [
    {
        "access": SET,
        "description": "Controls the transition time (in seconds) of on/off, "
        "brightness, color temperature (if applicable) and color (if applicable) "
        "changes. "
        "Defaults to `0` (no transition).",
        "label": "Transition",
        "name": "transition",
        "property": "transition",
        "type": "numeric",
        "value_min": 0,
    }
]

# Clusters of the first endpoint, by kind of device (what an interview finds).
CLUSTERS = {
    "light": [
        "genBasic",
        "genIdentify",
        "genGroups",
        "genScenes",
        "genOnOff",
        "genLevelCtrl",
        "lightingColorCtrl",
    ],
    "plug": [
        "genBasic",
        "genIdentify",
        "genGroups",
        "genScenes",
        "genOnOff",
        "haElectricalMeasurement",
        "seMetering",
    ],
    "sensor": ["genBasic", "genPowerCfg", "genIdentify"],
    "remote": ["genBasic", "genPowerCfg"],
    "cover": ["genBasic", "genPowerCfg", "genIdentify", "closuresWindowCovering"],
    "thermostat": ["genBasic", "genPowerCfg", "hvacThermostat"],
    "router": ["genBasic", "genIdentify"],
}
BATTERY = "Battery"
MAINS = "Mains (single phase)"


def device(  # noqa: PLR0913 - the fields of a bridge/devices entry
    ieee: str,
    name: str,
    *,
    model: str,
    vendor: str,
    description: str,
    model_id: str,
    manufacturer: str,
    kind: str,
    exposes: list[Expose],
    network_address: int,
    software_build_id: str = "",
    date_code: str = "",
    options: list[Expose] | None = None,
) -> dict[str, Any]:
    """Return one ``bridge/devices`` entry; routers are mains powered."""
    router = kind in {"light", "plug", "router"}
    return {
        "date_code": date_code,
        "definition": {
            "description": description,
            "exposes": [*exposes, linkquality()],
            "model": model,
            "options": options or [],
            "source": "native",
            "supports_ota": router,
            "vendor": vendor,
        },
        "disabled": False,
        "endpoints": {
            "1": {
                "bindings": [],
                "clusters": {"input": CLUSTERS[kind], "output": ["genOta"]},
                "configured_reportings": [],
                "scenes": [],
            }
        },
        "friendly_name": name,
        "ieee_address": ieee,
        "interview_completed": True,
        "interview_state": "SUCCESSFUL",
        "interviewing": False,
        "manufacturer": manufacturer,
        "model_id": model_id,
        "network_address": network_address,
        "power_source": MAINS if router else BATTERY,
        "software_build_id": software_build_id,
        "supported": True,
        "type": "Router" if router else "EndDevice",
    }


def _aqara_sensor(  # noqa: PLR0913 - what differs between Aqara sensors
    ieee: str,
    name: str,
    model: str,
    model_id: str,
    description: str,
    exposes: list[Expose],
    address: int,
) -> dict[str, Any]:
    return device(
        ieee,
        name,
        model=model,
        vendor="Aqara",
        description=description,
        model_id=model_id,
        manufacturer="LUMI",
        kind="sensor",
        exposes=[battery(), *exposes, battery_voltage()],
        network_address=address,
        software_build_id="3000-0001",
    )


def load_fixture(path: Path = HOUSE_FIXTURE) -> list[dict[str, Any]]:
    """Read a ``bridge/devices`` list from a JSON file."""
    devices: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return devices


def demo_house() -> list[dict[str, Any]]:
    """Return the demo house's ``bridge/devices``: the coordinator and 20 devices.

    The coordinator and the first four devices are those of the tests' house,
    unchanged: the entities of an existing development instance keep their ids.
    """
    return [
        *load_fixture(),
        # Lights
        device(
            "0x04cd15fffe0d0e01",
            "Kitchen spots",
            model="RS 230 C",
            vendor="Innr",
            description="GU10 spot 350 lm, dimmable, RGBW",
            model_id="RS 230 C",
            manufacturer="innr",
            kind="light",
            exposes=[
                light(color_temp=(153, 555), color=True),
                effect(["colorloop", "stop_colorloop"]),
                power_on_behavior(),
            ],
            network_address=9493,
            software_build_id="2.00.04",
            date_code="20221018",
            options=LIGHT_OPTIONS,
        ),
        device(
            "0x000d6ffffe1a2b01",
            "Bedroom lamp",
            model="LED2101G4",
            vendor="IKEA",
            description="TRADFRI bulb E12/E14, white spectrum, globe, opal, 450 lm",
            model_id="TRADFRIbulbE14WSglobeopal470lm",
            manufacturer="IKEA of Sweden",
            kind="light",
            exposes=[
                light(color_temp=(250, 454)),
                effect(),
                power_on_behavior(["off", "on", "toggle", "previous"]),
            ],
            network_address=21001,
            software_build_id="1.0.021",
            date_code="20211110",
            options=LIGHT_OPTIONS,
        ),
        device(
            "0x0017880108a1b201",
            "Hallway light",
            model="8718699673147",
            vendor="Philips",
            description="Hue white A60 bulb E27 bluetooth",
            model_id="LWA001",
            manufacturer="Signify Netherlands B.V.",
            kind="light",
            exposes=[light(), effect(), power_on_behavior()],
            network_address=21002,
            software_build_id="1.104.2",
            date_code="20220315",
            options=LIGHT_OPTIONS,
        ),
        device(
            "0xa4c138071003ab01",
            "Dining room strip",
            model="GL-S-006P",
            vendor="Gledopto",
            description="Zigbee 5W GU10 RGBCCT",
            model_id="GL-S-006P",
            manufacturer="GLEDOPTO",
            kind="light",
            exposes=[light(color_temp=(158, 495), color=True), effect()],
            network_address=21003,
            date_code="20201012",
            options=LIGHT_OPTIONS,
        ),
        # Plugs and switches
        device(
            "0x000d6ffffe2c3d01",
            "Coffee machine",
            model="E1603/E1702/E1708",
            vendor="IKEA",
            description="TRADFRI control outlet",
            model_id="TRADFRI control outlet",
            manufacturer="IKEA of Sweden",
            kind="plug",
            exposes=[switch(), power_on_behavior(["off", "on", "toggle", "previous"])],
            network_address=22001,
            software_build_id="2.3.089",
            date_code="20190814",
        ),
        device(
            "0xa4c138f402df0001",
            "Washing machine",
            model="TS011F_plug_1",
            vendor="Tuya",
            description="Smart plug (with power monitoring)",
            model_id="TS011F",
            manufacturer="_TZ3000_gjnozsaz",
            kind="plug",
            exposes=[
                switch(),
                power(),
                current(),
                mains_voltage(),
                energy(),
                power_on_behavior(["off", "on", "previous"]),
                child_lock(),
            ],
            network_address=22002,
        ),
        device(
            "0xcc86ecfffe4e9d01",
            "Office wall switch",
            model="MS-104BZ",
            vendor="Moes",
            description="Smart light switch module (2 gang)",
            model_id="TS0002",
            manufacturer="_TZ3000_pmz6mjyu",
            kind="plug",
            exposes=[
                switch("l1"),
                switch("l2"),
                power_on_behavior(["off", "previous", "on"]),
            ],
            network_address=22003,
        ),
        # Sensors
        _aqara_sensor(
            "0x00158d00091e7b01",
            "Front door",
            "MCCGQ11LM",
            "lumi.sensor_magnet.aq2",
            "Door and window sensor",
            [contact(), device_temperature()],
            23001,
        ),
        _aqara_sensor(
            "0x00158d0007e77801",
            "Hall motion",
            "RTCGQ11LM",
            "lumi.sensor_motion.aq2",
            "Motion sensor",
            [occupancy(), illuminance(), device_temperature()],
            23002,
        ),
        _aqara_sensor(
            "0x00158d000945f201",
            "Living room climate",
            "WSDCGQ11LM",
            "lumi.weather",
            "Temperature, humidity and pressure sensor",
            [temperature(), humidity(), pressure()],
            23003,
        ),
        _aqara_sensor(
            "0x00158d00094d5a01",
            "Bathroom leak",
            "SJCGQ11LM",
            "lumi.sensor_wleak.aq1",
            "Water leak sensor",
            [water_leak(), battery_low(), device_temperature()],
            23004,
        ),
        device(
            "0x0015bc001a000001",
            "Landing smoke alarm",
            model="HS1SA",
            vendor="Heiman",
            description="Smoke detector",
            model_id="SmokeSensor-N-3.0",
            manufacturer="HEIMAN",
            kind="sensor",
            exposes=[smoke(), battery_low(), tamper(), battery()],
            network_address=23005,
            date_code="20190816",
        ),
        device(
            "0x000d6ffffe3e4f01",
            "Bedside remote",
            model="E1743",
            vendor="IKEA",
            description="TRADFRI ON/OFF switch",
            model_id="TRADFRI on/off switch",
            manufacturer="IKEA of Sweden",
            kind="remote",
            exposes=[
                battery(),
                action(
                    [
                        "on",
                        "off",
                        "brightness_move_down",
                        "brightness_move_up",
                        "brightness_stop",
                    ]
                ),
            ],
            network_address=24001,
            software_build_id="2.2.010",
        ),
        # Climate and covers
        device(
            "0x000b57fffe8c9d01",
            "Living room blinds",
            model="E1757",
            vendor="IKEA",
            description="FYRTUR roller blind",
            model_id="FYRTUR block-out roller blind",
            manufacturer="IKEA of Sweden",
            kind="cover",
            exposes=[cover(), battery()],
            network_address=25001,
            software_build_id="24.4.6",
        ),
        device(
            "0x14b457fffe7e8f01",
            "Bedroom radiator",
            model="014G2461",
            vendor="Danfoss",
            description="Ally thermostat",
            model_id="eTRV0100",
            manufacturer="Danfoss",
            kind="thermostat",
            exposes=[
                battery(),
                thermostat(),
                binary(
                    "window_open_external",
                    ALL,
                    "Set if the window is open or close",
                    category="config",
                ),
            ],
            network_address=25002,
            software_build_id="01.16.0008 01.16",
            date_code="20191031",
        ),
        device(
            "0x000d6ffffe5f6a01",
            "Attic repeater",
            model="E1746",
            vendor="IKEA",
            description="TRADFRI signal repeater",
            model_id="TRADFRI signal repeater",
            manufacturer="IKEA of Sweden",
            kind="router",
            exposes=[],
            network_address=26001,
            software_build_id="2.3.086",
        ),
    ]


def pool() -> list[dict[str, Any]]:
    """Return the devices that can join when the bridge permits joining, in order.

    They join under a friendly name already configured for their address, as
    after an earlier pairing, so their entities get readable names.
    """
    return [
        device(
            "0x000d6ffffe7a8b01",
            "Guest room lamp",
            model="LED1836G9",
            vendor="IKEA",
            description="TRADFRI bulb E26/E27, white, globe, opal, 806 lm",
            model_id="TRADFRI bulb E27 WW 806lm",
            manufacturer="IKEA of Sweden",
            kind="light",
            exposes=[light(), effect(), power_on_behavior()],
            network_address=27001,
            software_build_id="2.3.093",
            options=LIGHT_OPTIONS,
        ),
        device(
            "0x00124b0023b86d01",
            "Study motion",
            model="SNZB-03",
            vendor="SONOFF",
            description="Motion sensor",
            model_id="MS01",
            manufacturer="eWeLink",
            kind="sensor",
            exposes=[battery(), battery_voltage(), occupancy(), battery_low()],
            network_address=27002,
        ),
        device(
            "0xa4c138c9bb780001",
            "Balcony plug",
            model="TS011F_plug_1",
            vendor="Tuya",
            description="Smart plug (with power monitoring)",
            model_id="TS011F",
            manufacturer="_TZ3000_gjnozsaz",
            kind="plug",
            exposes=[
                switch(),
                power(),
                energy(),
                power_on_behavior(["off", "on", "previous"]),
            ],
            network_address=27003,
        ),
    ]


# A plausible first state of each device (settings at their defaults).
INITIAL_STATES: dict[str, dict[str, Any]] = {
    "Hall vibration": {
        "battery": 91,
        "voltage": 3005,
        "vibration": False,
        "strength": 0,
        "sensitivity": "medium",
        "linkquality": 120,
    },
    "Kitchen plug": {
        "state": "ON",
        "power": 12.5,
        "energy": 3.42,
        "led_disabled_night": False,
        "child_lock": "UNLOCK",
        "linkquality": 156,
    },
    "Desk button": {"battery": 100, "action": "", "linkquality": 87},
    "Living room/TV light": {
        "state": "OFF",
        "brightness": 200,
        "color_temp": 370,
        "color_mode": "color_temp",
        "power_on_behavior": "on",
        "linkquality": 142,
    },
    "Kitchen spots": {
        "state": "OFF",
        "brightness": 254,
        "color_temp": 370,
        "color": {"hue": 32, "saturation": 82, "x": 0.4599, "y": 0.4106},
        "color_mode": "color_temp",
        "power_on_behavior": "on",
        "linkquality": 201,
    },
    "Bedroom lamp": {
        "state": "OFF",
        "brightness": 120,
        "color_temp": 454,
        "color_mode": "color_temp",
        "power_on_behavior": "on",
        "linkquality": 176,
    },
    "Hallway light": {
        "state": "OFF",
        "brightness": 180,
        "power_on_behavior": "on",
        "linkquality": 165,
    },
    "Dining room strip": {
        "state": "OFF",
        "brightness": 100,
        "color_temp": 370,
        "color": {"hue": 0, "saturation": 0, "x": 0.3227, "y": 0.329},
        "color_mode": "color_temp",
        "linkquality": 97,
    },
    "Coffee machine": {"state": "OFF", "power_on_behavior": "on", "linkquality": 190},
    "Washing machine": {
        "state": "ON",
        "power": 2.1,
        "current": 0.02,
        "voltage": 231,
        "energy": 41.87,
        "power_on_behavior": "off",
        "child_lock": "UNLOCK",
        "linkquality": 138,
    },
    "Office wall switch": {
        "state_l1": "OFF",
        "state_l2": "OFF",
        "power_on_behavior": "off",
        "linkquality": 149,
    },
    "Front door": {
        "battery": 97,
        "voltage": 3035,
        "contact": True,
        "device_temperature": 21,
        "linkquality": 102,
    },
    "Hall motion": {
        "battery": 88,
        "voltage": 2995,
        "occupancy": False,
        "illuminance": 64,
        "device_temperature": 22,
        "linkquality": 111,
    },
    "Living room climate": {
        "battery": 94,
        "voltage": 3015,
        "temperature": 21.4,
        "humidity": 48.2,
        "pressure": 1012.6,
        "linkquality": 131,
    },
    "Bathroom leak": {
        "battery": 100,
        "voltage": 3055,
        "water_leak": False,
        "battery_low": False,
        "device_temperature": 23,
        "linkquality": 93,
    },
    "Landing smoke alarm": {
        "smoke": False,
        "battery_low": False,
        "tamper": False,
        "battery": 100,
        "linkquality": 84,
    },
    "Bedside remote": {"battery": 74, "action": "", "linkquality": 118},
    "Living room blinds": {"position": 100, "battery": 81, "linkquality": 127},
    "Bedroom radiator": {
        "battery": 90,
        "occupied_heating_setpoint": 20,
        "local_temperature": 19.5,
        "system_mode": "heat",
        "running_state": "heat",
        "window_open_external": False,
        "linkquality": 99,
    },
    "Attic repeater": {"linkquality": 212},
    "Guest room lamp": {
        "state": "OFF",
        "brightness": 254,
        "power_on_behavior": "on",
        "linkquality": 160,
    },
    "Study motion": {
        "battery": 100,
        "voltage": 3100,
        "occupancy": False,
        "battery_low": False,
        "linkquality": 140,
    },
    "Balcony plug": {
        "state": "OFF",
        "power": 0,
        "energy": 0,
        "power_on_behavior": "off",
        "linkquality": 122,
    },
}
