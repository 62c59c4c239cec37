"""How capabilities are recognised, scored and documented."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.ha_ai.engine.zigbee.devices import parse_device_list
from custom_components.ha_ai.engine.zigbee.features import (
    FEATURE_KINDS,
    MAX_EASE,
    MAX_GAIN,
    MIN_EASE,
    MIN_GAIN,
    OTHER_KIND,
    base_names,
    catalogue_markdown,
    catalogue_rows,
    classify,
    kind_by_key,
    parent_segments,
    score,
)
from custom_components.ha_ai.engine.zigbee.model import Capability


def capabilities(*exposes: dict[str, Any]) -> dict[str, Capability]:
    """Return the capabilities of one device with these exposes, by key."""
    payload = [
        {
            "ieee_address": "0x00158d0000000001",
            "type": "Router",
            "friendly_name": "device",
            "definition": {"vendor": "V", "model": "M", "exposes": list(exposes)},
        }
    ]
    device = next(iter(parse_device_list(payload).devices.values()))
    return {cap.key: cap for cap in device.capabilities}


def leaf(
    name: str, kind: str = "numeric", access: int = 1, **extra: Any
) -> dict[str, Any]:
    return {"type": kind, "name": name, "property": name, "access": access, **extra}


def kind_of(cap: Capability) -> str:
    recognised = classify(cap)
    return recognised.kind.key if recognised else OTHER_KIND


@pytest.mark.parametrize(
    ("expose", "expected"),
    [
        (leaf("water_leak", "binary"), "water_leak"),
        (leaf("carbon_monoxide", "binary"), "smoke_co"),
        (leaf("smoke", "binary"), "smoke_co"),
        (leaf("co", unit="ppm"), "smoke_co"),
        (leaf("tamper", "binary"), "tamper"),
        (leaf("vibration", "binary"), "vibration"),
        (leaf("angle_x", unit="°"), "vibration"),
        (leaf("contact", "binary"), "contact"),
        (leaf("occupancy", "binary"), "occupancy"),
        (leaf("presence", "binary"), "occupancy"),
        (leaf("motion_state", "enum", values=["none", "large"]), "occupancy"),
        (leaf("action", "enum", values=["single", "double"]), "button_action"),
        (leaf("over_current_breaker", "binary", 3), "protection"),
        (leaf("power_threshold", access=3, unit="kW"), "protection"),
        (leaf("led_effect", "enum", 3), "led_notification"),
        (leaf("led_disabled_night", "binary", 7, category="config"), "indicator_led"),
        (leaf("indicator_mode", "enum", 7), "indicator_led"),
        (leaf("backlight_mode", "enum", 3), "indicator_led"),
        (leaf("effect", "enum", 2, values=["blink", "breathe"]), "light_effect"),
        (leaf("countdown", access=3, unit="s"), "auto_off_timer"),
        (
            leaf("motion_sensitivity", "enum", 7, category="config"),
            "presence_sensitivity",
        ),
        (leaf("small_detection_distance", access=3, unit="m"), "presence_sensitivity"),
        (leaf("fading_time", access=3, unit="s"), "presence_sensitivity"),
        (leaf("transition", access=7, category="config"), "transition"),
        (leaf("power_on_behavior", "enum", 7, category="config"), "power_on_behavior"),
        (leaf("power_outage_memory", "binary", 7), "power_on_behavior"),
        (leaf("do_not_disturb", "binary", 3), "power_on_behavior"),
        (leaf("child_lock", "binary", 3), "child_lock"),
        (leaf("window_detection", "binary", 3), "window_detection"),
        (leaf("weekly_schedule", "text", 3), "heating_schedule"),
        (leaf("power", unit="W"), "power_metering"),
        (leaf("current", unit="A"), "power_metering"),
        (leaf("voltage", unit="V"), "power_metering"),
        (leaf("power_factor"), "power_metering"),
        (leaf("energy", unit="kWh"), "energy_metering"),
        (leaf("produced_energy", unit="Wh"), "energy_metering"),
        (leaf("illuminance", unit="lx"), "illuminance"),
        (leaf("illuminance_lux", unit="lx"), "illuminance"),
        (leaf("air_quality", "enum", values=["good", "poor"]), "air_quality"),
        (leaf("co2", unit="ppm"), "air_quality"),
        (leaf("pm25", unit="µg/m³"), "air_quality"),
        (leaf("formaldehyd", unit="mg/m³"), "air_quality"),
        (leaf("humidity", unit="%"), "humidity"),
        (leaf("temperature", unit="°C"), "temperature"),
        # Noise
        (leaf("linkquality", unit="lqi", category="diagnostic"), "link_quality"),
        (leaf("battery", unit="%", category="diagnostic"), "battery"),
        (leaf("battery_low", "binary", category="diagnostic"), "battery"),
        (leaf("voltage", unit="mV", category="diagnostic"), "battery"),
        (leaf("device_temperature", unit="°C", category="diagnostic"), "device_health"),
        (leaf("power_outage_count", category="diagnostic"), "device_health"),
        (leaf("click_count", category="diagnostic"), "device_health"),
        (leaf("local_temperature_calibration", access=3), "calibration"),
        # Nothing known
        (leaf("pressure", unit="hPa"), OTHER_KIND),
        (leaf("switch_type", "enum", 7, values=["toggle", "momentary"]), OTHER_KIND),
        (leaf("operation_mode", "enum", 7, values=["command", "event"]), OTHER_KIND),
        (leaf("effect", "enum", 2, values=["rainbow"]), OTHER_KIND),
        (leaf("countdown", unit="s"), OTHER_KIND),  # read-only: not a timer to set
        (leaf("water_leak"), OTHER_KIND),  # a number, not a leak alarm
    ],
)
def test_kinds_are_recognised(expose: dict[str, Any], expected: str) -> None:
    (cap,) = capabilities(expose).values()
    assert kind_of(cap) == expected


def test_endpoint_suffixes_do_not_hide_a_kind() -> None:
    caps = capabilities(
        {
            "type": "switch",
            "endpoint": "l1",
            "features": [
                {
                    "type": "binary",
                    "name": "state",
                    "property": "state_l1",
                    "endpoint": "l1",
                    "access": 7,
                }
            ],
        },
        leaf("countdown_l2", access=3, unit="s"),
        {
            "type": "numeric",
            "name": "power",
            "property": "power_left",
            "endpoint": "left",
            "access": 1,
            "unit": "W",
        },
        leaf("energy_ep2", unit="kWh"),
        {
            "type": "enum",
            "name": "operation_mode",
            "property": "operation_mode_l1",
            "endpoint": "l1",
            "access": 7,
            "category": "config",
            "values": ["decoupled", "control_relay"],
        },
    )
    assert {key: kind_of(cap) for key, cap in caps.items()} == {
        "switch_l1/state_l1": "control",
        "countdown_l2": "auto_off_timer",
        "power_left": "power_metering",
        "energy_ep2": "energy_metering",
        "operation_mode_l1": "decoupled_mode",
    }
    assert base_names(caps["power_left"]) == ("power",)
    assert parent_segments(caps["switch_l1/state_l1"]) == ("switch",)


def test_features_of_specific_types() -> None:
    caps = capabilities(
        {
            "type": "light",
            "features": [
                leaf("state", "binary", 7),
                leaf("brightness", access=7),
                leaf("color_temp_startup", access=7, unit="mired"),
                {
                    "type": "composite",
                    "name": "color_xy",
                    "property": "color",
                    "features": [leaf("x", access=7), leaf("y", access=7)],
                },
            ],
        },
        {
            "type": "lock",
            "features": [
                {
                    "type": "binary",
                    "name": "state",
                    "property": "child_lock",
                    "access": 3,
                }
            ],
        },
        {
            "type": "climate",
            "features": [
                leaf("current_heating_setpoint", access=3, unit="°C"),
                leaf("local_temperature", unit="°C"),
                leaf("local_temperature_calibration", access=3, unit="°C"),
            ],
        },
    )
    assert {key: kind_of(cap) for key, cap in caps.items()} == {
        "light/state": "control",
        "light/brightness": "control",
        "light/color_temp_startup": "power_on_behavior",
        "light/color/x": "control",
        "light/color/y": "control",
        "lock/child_lock": "child_lock",
        "climate/current_heating_setpoint": "heating_control",
        "climate/local_temperature": "heating_control",
        "climate/local_temperature_calibration": "calibration",
    }
    # Only kinds that stand on their own leave their parent entity.
    own = {
        key
        for key, cap in caps.items()
        if (recognised := classify(cap)) and recognised.kind.own_suggestion
    }
    assert own == {"light/color_temp_startup", "lock/child_lock"}


def test_composite_parents_are_recognised() -> None:
    caps = capabilities(
        {
            "type": "composite",
            "name": "program",
            "property": "program",
            "features": [leaf("weekdays_p1_hour", access=3, unit="h")],
        },
        {
            "type": "composite",
            "name": "led_effect",
            "property": "led_effect",
            "features": [leaf("effect", "enum", 3, values=["solid", "pulse"])],
        },
    )
    assert kind_of(caps["program/weekdays_p1_hour"]) == "heating_schedule"
    assert kind_of(caps["led_effect/effect"]) == "led_notification"


def test_rank_orders_the_capabilities_of_a_kind() -> None:
    caps = capabilities(
        leaf("voltage", unit="V"),
        leaf("current", unit="A"),
        leaf("power", unit="W"),
        leaf("illuminance", unit="lx"),
    )
    ranks = {}
    for key, cap in caps.items():
        recognised = classify(cap)
        assert recognised is not None
        ranks[key] = recognised.rank
    assert ranks["power"] < ranks["current"] < ranks["voltage"]
    assert ranks["illuminance"] == 0


def test_noise_kinds_are_never_suggested() -> None:
    for key in ("link_quality", "battery", "device_health", "calibration"):
        kind = kind_by_key(key)
        assert kind is not None
        assert not kind.suggest
    assert kind_by_key("nonsense") is None


def test_catalogue_is_consistent() -> None:
    keys = [kind.key for kind in FEATURE_KINDS]
    assert len(keys) == len(set(keys))
    assert OTHER_KIND not in keys
    for kind in FEATURE_KINDS:
        assert MIN_GAIN <= kind.gain <= MAX_GAIN, kind.key
        assert MIN_EASE <= kind.ease <= MAX_EASE, kind.key
        assert kind.match, kind.key
        for match in kind.match:
            # A match without a name, parent or value condition would claim all.
            assert match.names or match.within or match.parents or match.values
        assert kind.can, kind.key
        if not kind.suggest:
            continue
        assert kind.benefit.endswith("."), kind.key
        if kind.device_trigger:
            continue
        if kind.setting:
            assert kind.setting_hint, kind.key
        else:
            # The first step names the entity, and nothing else is a placeholder.
            assert kind.start.format(entity="sensor.x").count("sensor.x") == 1


def test_score_prefers_gain_then_ease() -> None:
    assert score(5, 3) == 5
    for gain in range(1, 6):
        assert score(gain, 1) < score(gain, 2) < score(gain, 3) == gain
    for ease in range(1, 4):
        assert score(1, ease) < score(2, ease) < score(5, ease)
    # A big gain that is hard to start still beats a small one ready to use.
    assert score(5, 1) > score(2, 3)


def test_catalogue_rows_document_every_kind() -> None:
    rows = catalogue_rows()
    assert [row.kind for row in rows] == [kind.key for kind in FEATURE_KINDS]
    by_kind = {row.kind: row for row in rows}
    assert "`vibration`" in by_kind["vibration"].recognised_by
    assert "type binary" in by_kind["vibration"].recognised_by
    assert "unit W/kW" in by_kind["power_metering"].recognised_by
    assert "unit lx/none" in by_kind["illuminance"].recognised_by
    assert "feature of climate" in by_kind["heating_control"].recognised_by
    assert "inside `program(_\\w+)?`" in by_kind["heating_schedule"].recognised_by
    assert "values include decoupled" in by_kind["decoupled_mode"].recognised_by
    assert "settable" in by_kind["auto_off_timer"].recognised_by
    assert "category diagnostic" in by_kind["device_health"].recognised_by
    assert "single, double, hold" in by_kind["button_action"].example
    assert not by_kind["link_quality"].suggested
    assert by_kind["water_leak"].example.startswith(
        "Your device can detect water leaks."
    )


def test_catalogue_markdown_is_a_table() -> None:
    table = catalogue_markdown()
    lines = table.strip().splitlines()
    assert lines[0].startswith("| kind |")
    assert len(lines) == 2 + len(FEATURE_KINDS) + 1
    for line in lines[2:]:
        # Patterns with | are escaped, so every row has the same five cells.
        assert line.replace("\\|", "").count("|") == 6, line
    assert "(never suggested)" in table
    assert f"| `{OTHER_KIND}` |" in table
