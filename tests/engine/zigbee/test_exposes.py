"""Expose parsing: every expose type, nesting, endpoints, access, and hostile input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.ha_ai.engine.zigbee.exposes import (
    MAX_CAPABILITIES_PER_DEVICE,
    MAX_DEPTH,
    MAX_TEXT,
    ExposesParser,
)
from custom_components.ha_ai.engine.zigbee.model import Access, Capability, Category

FIXTURES = Path(__file__).parents[2] / "fixtures" / "zigbee"


def parse(exposes: object) -> tuple[dict[str, Capability], list[str]]:
    problems: list[str] = []
    capabilities = ExposesParser("Test device", problems).parse(exposes)
    return {cap.key: cap for cap in capabilities}, problems


def fixture_exposes(file: str, friendly_name: str) -> list[Any]:
    entries = json.loads((FIXTURES / file).read_text())
    entry = next(e for e in entries if e["friendly_name"] == friendly_name)
    exposes: list[Any] = entry["definition"]["exposes"]
    return exposes


def leaf(expose_type: str, prop: str, **fields: Any) -> dict[str, Any]:
    return {"type": expose_type, "name": prop, "property": prop, **fields}


# --- generic leaves ------------------------------------------------------------


def test_generic_leaves_keep_their_description() -> None:
    caps, problems = parse(
        [
            leaf("binary", "occupancy", access=1, value_on=True, value_off=False),
            leaf(
                "numeric",
                "temperature",
                access=5,
                unit="°C",
                value_min=-40,
                value_max=125.5,
                value_step=0.5,
                label="Temperature",
                description="Measured temperature value",
            ),
            leaf("enum", "sensitivity", access=7, values=["low", "medium", "high"]),
            leaf("text", "learned_ir_code", access=1),
        ]
    )
    assert problems == []
    assert list(caps) == ["occupancy", "temperature", "sensitivity", "learned_ir_code"]
    binary = caps["occupancy"]
    assert (binary.type, binary.value_on, binary.value_off) == ("binary", True, False)
    numeric = caps["temperature"]
    assert numeric.unit == "°C"
    assert (numeric.value_min, numeric.value_max, numeric.value_step) == (
        -40.0,
        125.5,
        0.5,
    )
    assert isinstance(numeric.value_min, float)
    assert numeric.label == "Temperature"
    assert numeric.description == "Measured temperature value"
    assert caps["sensitivity"].values == ("low", "medium", "high")
    text = caps["learned_ir_code"]
    assert text.type == "text"
    assert text.parent_type is None
    assert text.endpoint is None
    assert text.extra == {}


def test_list_keeps_item_type_and_length_in_extra() -> None:
    caps, problems = parse(
        fixture_exposes("bridge_devices_z2m2.json", "Living room/TV backlight")
    )
    assert problems == []
    gradient = caps["gradient"]
    assert gradient.type == "list"
    assert gradient.access == Access.PUBLISHED | Access.SETTABLE
    assert gradient.extra == {
        "item_type": {"type": "text"},
        "length_max": 9,
        "length_min": 1,
    }


def test_list_item_type_without_a_type_is_unknown() -> None:
    caps, _ = parse([leaf("list", "schedule", item_type={"name": "slot"})])
    assert caps["schedule"].extra == {"item_type": {"type": "unknown"}}


# --- specific types and nesting ------------------------------------------------


def test_light_with_composite_colors_nests_under_the_color_property() -> None:
    caps, problems = parse(
        fixture_exposes("bridge_devices_z2m1.json", "Living room strip")
    )
    assert problems == []
    assert list(caps) == [
        "light/state",
        "light/brightness",
        "light/color_temp",
        "light/color/x",
        "light/color/y",
        "light/color/hue",
        "light/color/saturation",
        "effect",
        "linkquality",
    ]
    for key in ("light/state", "light/color/x", "light/color/saturation"):
        assert caps[key].parent_type == "light"
    x = caps["light/color/x"]
    assert (x.property_name, x.name, x.type) == ("x", "x", "numeric")
    state = caps["light/state"]
    assert (state.value_on, state.value_off) == ("ON", "OFF")
    assert state.extra == {"value_toggle": "TOGGLE"}
    assert caps["light/color_temp"].presets == ("coolest", "neutral", "warmest")
    assert caps["light/color_temp"].unit == "mired"
    effect = caps["effect"]
    assert effect.parent_type is None
    assert (effect.published, effect.settable, effect.gettable) == (False, True, False)


@pytest.mark.parametrize(
    ("file", "device", "keys"),
    [
        (
            "bridge_devices_z2m1.json",
            "Hall thermostat",
            {
                "lock/child_lock": "lock",
                "climate/current_heating_setpoint": "climate",
                "climate/system_mode": "climate",
                "sensor": None,
                "program/weekdays_p1_hour": "composite",
                "program/weekdays_p1_temperature": "composite",
            },
        ),
        (
            "bridge_devices_z2m1.json",
            "Bedroom shutter",
            {"cover/state": "cover", "cover/position": "cover", "motor_reversal": None},
        ),
        (
            "bridge_devices_z2m2.json",
            "Bedroom fan",
            {"fan/fan_state": "fan", "fan/fan_mode": "fan", "learned_ir_code": None},
        ),
        (
            "bridge_devices_z2m2.json",
            "Front door",
            {"lock/state": "lock", "lock/lock_state": "lock", "battery": None},
        ),
    ],
)
def test_specific_types_group_their_features(
    file: str, device: str, keys: dict[str, str | None]
) -> None:
    caps, problems = parse(fixture_exposes(file, device))
    assert problems == []
    for key, parent_type in keys.items():
        assert caps[key].parent_type == parent_type, key


def test_climate_features_keep_ranges_and_steps() -> None:
    caps, _ = parse(fixture_exposes("bridge_devices_z2m1.json", "Hall thermostat"))
    calibration = caps["climate/local_temperature_calibration"]
    assert (calibration.value_min, calibration.value_max) == (-30.0, 30.0)
    assert calibration.value_step == pytest.approx(0.1)
    assert caps["climate/system_mode"].values == ("off", "heat")
    child_lock = caps["lock/child_lock"]
    assert (child_lock.name, child_lock.property_name) == ("state", "child_lock")
    assert (child_lock.value_on, child_lock.value_off) == ("LOCK", "UNLOCK")


def test_endpoints_name_the_group_and_reach_the_leaves() -> None:
    caps, problems = parse(fixture_exposes("bridge_devices_z2m1.json", "Kitchen relay"))
    assert problems == []
    l1 = caps["switch_l1/state_l1"]
    l2 = caps["switch_l2/state_l2"]
    assert (l1.endpoint, l1.name, l1.property_name) == ("l1", "state", "state_l1")
    assert l2.endpoint == "l2"
    assert caps["operation_mode_l1"].endpoint == "l1"
    assert caps["operation_mode_l2"].endpoint == "l2"
    assert caps["power"].endpoint is None


def test_endpoint_of_a_group_is_inherited_by_features_without_one() -> None:
    caps, _ = parse(
        [
            {
                "type": "light",
                "endpoint": "l2",
                "features": [
                    leaf("binary", "state_l2", access=7),
                    leaf("numeric", "brightness_l2", access=7, endpoint="l9"),
                ],
            }
        ]
    )
    assert caps["light_l2/state_l2"].endpoint == "l2"
    assert caps["light_l2/brightness_l2"].endpoint == "l9"


def test_composite_segment_falls_back_from_property_to_name_to_type() -> None:
    caps, _ = parse(
        [
            {
                "type": "composite",
                "name": "by_name",
                "features": [leaf("numeric", "a")],
            },
            {"type": "composite", "features": [leaf("numeric", "b")]},
        ]
    )
    assert set(caps) == {"by_name/a", "composite/b"}
    assert caps["by_name/a"].parent_type == "composite"


def test_nested_specific_type_keeps_the_outer_parent_type() -> None:
    caps, _ = parse(
        [
            {
                "type": "climate",
                "features": [{"type": "fan", "features": [leaf("enum", "m")]}],
            }
        ]
    )
    assert caps["climate/fan/m"].parent_type == "climate"


# --- access and category -------------------------------------------------------


@pytest.mark.parametrize(
    ("access", "flags"),
    [
        (0, (False, False, False)),
        (1, (True, False, False)),
        (2, (False, True, False)),
        (3, (True, True, False)),
        (4, (False, False, True)),
        (5, (True, False, True)),
        (7, (True, True, True)),
        (15, (True, True, True)),
    ],
)
def test_access_bits(access: int, flags: tuple[bool, bool, bool]) -> None:
    caps, problems = parse([leaf("numeric", "p", access=access)])
    cap = caps["p"]
    assert problems == []
    assert cap.access == access & 0b111
    assert (cap.published, cap.settable, cap.gettable) == flags


@pytest.mark.parametrize(
    ("access", "shown"),
    [
        ("7", "'7'"),
        (7.0, "7.0"),
        (True, "True"),
        (None, "None"),
        (-1, "-1"),
        ([1], "[1]"),
        ({"r": 1}, '{"r":1}'),
    ],
)
def test_access_that_is_not_a_bit_mask_becomes_zero(access: object, shown: str) -> None:
    caps, problems = parse([leaf("numeric", "p", access=access)])
    assert caps["p"].access == 0
    assert problems == [f"Test device: p: access {shown} is not a bit mask; using 0"]


def test_missing_access_is_zero_without_a_problem() -> None:
    caps, problems = parse([{"type": "numeric", "property": "p"}])
    assert caps["p"].access == 0
    assert problems == []


def test_categories() -> None:
    caps, _ = parse(fixture_exposes("bridge_devices_z2m1.json", "Kitchen relay"))
    assert caps["power_on_behavior"].category == Category.CONFIG
    assert caps["power_on_behavior"].is_config
    assert not caps["power_on_behavior"].is_diagnostic
    assert caps["power"].is_diagnostic
    assert caps["energy"].category is None
    assert not caps["energy"].is_config
    assert not caps["energy"].is_diagnostic


# --- unknown types and fields --------------------------------------------------


def test_unknown_types_and_fields_are_kept() -> None:
    caps, problems = parse(fixture_exposes("bridge_devices_z2m2.json", "Bedroom fan"))
    assert problems == []
    matrix = caps["led_matrix"]
    assert matrix.type == "matrix"
    assert matrix.extra == {"rows": 8, "columns": 8}
    assert caps["fan_speed"].extra == {
        "future_field": {"type": "unknown"},
        "future_list": [1, "two", '{"three":3}'],
    }


def test_unknown_group_type_with_features_is_walked() -> None:
    caps, problems = parse(
        [{"type": "thing", "property": "gadget", "features": [leaf("binary", "on")]}]
    )
    assert problems == []
    assert caps["gadget/on"].parent_type == "thing"


def test_missing_type_is_unknown() -> None:
    caps, _ = parse([{"property": "mystery", "access": 1}, {"type": 5, "name": "n"}])
    assert caps["mystery"].type == "unknown"
    assert caps["n"].type == "unknown"


def test_extra_values_are_bounded_and_made_simple() -> None:
    caps, _ = parse(
        [
            leaf(
                "numeric",
                "p",
                long="x" * (MAX_TEXT + 10),
                items=list(range(100)),
                obj=object(),
                flag=False,
                nothing=None,
                ratio=0.25,
                **{"k" * 150: 1},
            )
        ]
    )
    extra = caps["p"].extra
    assert extra["long"] == "x" * MAX_TEXT
    assert extra["items"] == list(range(50))
    assert isinstance(extra["obj"], str)
    assert (extra["flag"], extra["nothing"], extra["ratio"]) == (False, None, 0.25)
    assert extra["k" * 100] == 1


def test_extra_ignores_keys_that_are_not_strings() -> None:
    caps, _ = parse([{"type": "numeric", "property": "p", 7: "seven"}])
    assert caps["p"].extra == {}


def test_non_finite_numbers_are_not_kept_as_numbers() -> None:
    nan, inf = float("nan"), float("inf")
    caps, _ = parse(
        [
            leaf(
                "numeric",
                "p",
                value_min=nan,
                value_max=inf,
                value_step=-inf,
                value_on=nan,
                value_off=inf,
                wobble=nan,
            )
        ]
    )
    cap = caps["p"]
    assert (cap.value_min, cap.value_max, cap.value_step) == (None, None, None)
    assert (cap.value_on, cap.value_off) == ("nan", "inf")
    assert cap.extra == {"wobble": "nan"}


def test_numbers_that_are_not_numbers_are_ignored() -> None:
    caps, _ = parse([leaf("numeric", "p", value_min="0", value_max=True, unit=5)])
    cap = caps["p"]
    assert (cap.value_min, cap.value_max, cap.unit) == (None, None, None)


def test_values_and_presets_are_bounded_text() -> None:
    caps, _ = parse(
        [
            leaf(
                "enum",
                "e",
                values=["a", 1, None, "v" * (MAX_TEXT + 1), *range(300)],
                presets=[{"name": "p"}, {"value": 1}, "s", {"name": 5}, None],
            ),
            leaf("enum", "f", values="a,b", presets={"name": "p"}),
        ]
    )
    e = caps["e"]
    assert e.values[:4] == ("a", "1", "None", "v" * MAX_TEXT)
    assert len(e.values) == 200
    assert e.presets == ("p", "5")
    assert (caps["f"].values, caps["f"].presets) == ((), ())


# --- names, keys and duplicates ------------------------------------------------


def test_name_and_property_fall_back_to_each_other() -> None:
    caps, _ = parse(
        [{"type": "numeric", "name": "only_name"}, {"property": "only_prop"}]
    )
    assert caps["only_name"].property_name == "only_name"
    assert caps["only_prop"].name == "only_prop"


def test_leaf_without_name_or_property_is_a_problem() -> None:
    caps, problems = parse([{"type": "numeric", "access": 1, "name": 5}])
    assert caps == {}
    assert problems == ["Test device: a numeric expose has neither name nor property"]


def test_group_without_features_is_a_leaf() -> None:
    caps, problems = parse(
        [
            {"type": "light"},
            {"type": "composite", "property": "color", "features": []},
            {"type": "switch", "name": "relay", "features": "state"},
        ]
    )
    assert problems == ["Test device: a light expose has neither name nor property"]
    assert caps["color"].type == "composite"
    assert caps["relay"].type == "switch"


def test_duplicate_keys_get_a_numbered_suffix() -> None:
    caps, problems = parse(
        [
            leaf("numeric", "p", unit="a"),
            leaf("numeric", "p", unit="b"),
            leaf("numeric", "p", unit="c"),
        ]
    )
    assert problems == []
    assert [(key, cap.unit) for key, cap in caps.items()] == [
        ("p", "a"),
        ("p#2", "b"),
        ("p#3", "c"),
    ]


def test_keys_are_stable_across_parses() -> None:
    exposes = fixture_exposes("bridge_devices_z2m1.json", "Hall thermostat")
    first, _ = parse(exposes)
    second, _ = parse(json.loads(json.dumps(exposes)))
    assert first == second


# --- bad input -----------------------------------------------------------------


def test_no_exposes_is_no_capabilities() -> None:
    assert parse(None) == ({}, [])
    assert parse([]) == ({}, [])


@pytest.mark.parametrize(
    ("exposes", "kind"), [({"type": "numeric"}, "dict"), ("x", "str"), (3, "int")]
)
def test_exposes_that_are_not_a_list(exposes: object, kind: str) -> None:
    assert parse(exposes) == ({}, [f"Test device: exposes is a {kind}, not a list"])


def test_exposes_that_are_not_objects_are_skipped() -> None:
    caps, problems = parse(
        [
            None,
            "numeric",
            3,
            ["x"],
            leaf("numeric", "ok"),
            {"type": "light", "features": [7]},
        ]
    )
    assert list(caps) == ["ok"]
    assert problems == [
        "Test device: an expose is a NoneType, not an object",
        "Test device: an expose is a str, not an object",
        "Test device: an expose is a int, not an object",
        "Test device: an expose is a list, not an object",
        "Test device: an expose is a int, not an object",
    ]


def nested(levels: int, width: int = 1) -> dict[str, Any]:
    """Return `levels` composites around `width` leaves."""
    expose: dict[str, Any] = {
        "type": "composite",
        "property": "c0",
        "features": [leaf("numeric", f"p{i}") for i in range(width)],
    }
    for level in range(1, levels):
        expose = {"type": "composite", "property": f"c{level}", "features": [expose]}
    return expose


def test_nesting_up_to_the_limit_is_read() -> None:
    caps, problems = parse([nested(MAX_DEPTH)])
    assert problems == []
    (key,) = caps
    assert key.count("/") == MAX_DEPTH


def test_too_deep_nesting_is_cut_with_one_problem() -> None:
    caps, problems = parse([nested(MAX_DEPTH + 1, width=50), nested(MAX_DEPTH + 3)])
    assert caps == {}
    assert problems == [
        "Test device: exposes nest deeper than 8 levels; the rest is ignored"
    ]


def test_capabilities_per_device_are_bounded_with_one_problem() -> None:
    count = MAX_CAPABILITIES_PER_DEVICE + 25
    caps, problems = parse([leaf("numeric", f"p{i}") for i in range(count)])
    assert len(caps) == MAX_CAPABILITIES_PER_DEVICE
    assert "p1999" in caps
    assert "p2000" not in caps
    assert problems == ["Test device: more than 2000 capabilities; the rest is ignored"]


def test_long_text_is_bounded() -> None:
    caps, _ = parse(
        [leaf("numeric", "p" * 5000, description="d" * 5000, unit="u" * 5000)]
    )
    (cap,) = caps.values()
    assert len(cap.property_name) == MAX_TEXT
    assert cap.description == "d" * MAX_TEXT
    assert cap.unit == "u" * MAX_TEXT


def test_problem_lines_name_the_device() -> None:
    problems: list[str] = []
    ExposesParser("Hall/thermostat #1", problems).parse([None])
    assert problems == ["Hall/thermostat #1: an expose is a NoneType, not an object"]
