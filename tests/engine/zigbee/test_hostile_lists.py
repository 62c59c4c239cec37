"""Hostile device lists and expose trees: only real devices, never a traceback.

Each test names the attack it reproduces. The property-based tests generate
random JSON, deep nesting, random types and random IEEE strings, and check that
the parsers return only devices with a valid IEEE address (or a problem line),
never raise, and never recurse deeper than their bound.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.inbound import (
    MAX_JSON_DEPTH,
    TooDeepError,
    iter_json_array,
    json_nesting,
)
from custom_components.ha_ai.engine.zigbee.bursts import (
    BurstSummary,
    DeviceEventLimiter,
)
from custom_components.ha_ai.engine.zigbee.devices import (
    parse_device,
    parse_device_entries,
    parse_device_list,
)
from custom_components.ha_ai.engine.zigbee.exposes import MAX_DEPTH, ExposesParser
from custom_components.ha_ai.engine.zigbee.model import ieee_address

REAL_IEEE = re.compile(r"0x[0-9a-f]{16}")
COORDINATOR = {
    "ieee_address": "0x00124b0025e1f196",
    "type": "Coordinator",
    "friendly_name": "Coordinator",
    "definition": None,
    "network_address": 0,
    "supported": True,
    "interview_completed": True,
}
SENSOR = "0x00158d0001a2b3c4"
HYPOTHESIS = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    deadline=None,
    max_examples=60,
)


def sensor(ieee: object = SENSOR, **fields: Any) -> dict[str, Any]:
    """An entry shaped like a real Aqara sensor of `bridge/devices`."""
    return {
        "ieee_address": ieee,
        "type": "EndDevice",
        "friendly_name": "Hall vibration",
        "network_address": 12345,
        "power_source": "Battery",
        "model_id": "lumi.vibration.aq1",
        "manufacturer": "LUMI",
        "interview_state": "SUCCESSFUL",
        "definition": {
            "model": "DJT11LM",
            "vendor": "Aqara",
            "description": "Vibration sensor",
            "exposes": [
                {
                    "type": "binary",
                    "name": "vibration",
                    "property": "vibration",
                    "access": 1,
                    "value_on": True,
                    "value_off": False,
                },
                {
                    "type": "numeric",
                    "name": "battery",
                    "property": "battery",
                    "access": 1,
                    "unit": "%",
                    "category": "diagnostic",
                },
            ],
        },
        **fields,
    }


def nested_list(levels: int) -> list[Any]:
    """A list nested `levels` deep, built without recursion."""
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def nested_features(levels: int) -> dict[str, Any]:
    """A composite expose whose features nest `levels` deep, built without recursion."""
    expose: dict[str, Any] = {"type": "numeric", "name": "leaf", "property": "leaf"}
    for level in range(levels):
        expose = {"type": "composite", "property": f"c{level}", "features": [expose]}
    return expose


@contextmanager
def recursion_budget(frames: int) -> Iterator[None]:
    """Allow only `frames` more Python frames than the caller's: deeper raises."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


# --- IEEE addresses --------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0x00158d0001a2b3c4/../+/#",
        "0x00158d0001a2b3c4/availability",
        "0x00158d0001a2b3c4\n",
        "0x00158d0001a2b3c",
        "0x00158d0001a2b3c4d",
        "0xa4c138363dff5c1q",
        "00158d0001a2b3c4",
        "0X00158D0001A2B3C4",
        "0x00158d0001a2b3c٤",
        "",
        "+",
        "#",
        None,
        1234,
        ["0x00158d0001a2b3c4"],
    ],
)
def test_a_topic_path_or_anything_else_is_not_an_ieee_address(value: object) -> None:
    assert ieee_address(value) is None


def test_real_ieee_addresses_are_kept_in_lower_case() -> None:
    assert ieee_address("0x00158d0001a2b3c4") == "0x00158d0001a2b3c4"
    assert ieee_address("0x00158D0001A2B3C4") == "0x00158d0001a2b3c4"


def test_device_with_a_topic_path_for_an_ieee_is_skipped() -> None:
    hostile = sensor("0x00158d0001a2b3c4/../+/#", friendly_name="Fake\nERROR")
    result = parse_device_list([COORDINATOR, sensor(), hostile])
    assert sorted(result.devices) == [COORDINATOR["ieee_address"], SENSOR]
    assert result.devices[SENSOR].friendly_name == "Hall vibration"
    assert result.skipped == 1
    assert result.problems == [
        "Fake\nERROR: ieee_address '0x00158d0001a2b3c4/../+/#' is not 0x and 16"
        " hex digits; the device is ignored"
    ]


def test_upper_case_ieee_is_the_same_device() -> None:
    result = parse_device_list([sensor(SENSOR.upper().replace("0X", "0x"))])
    assert list(result.devices) == [SENSOR]


def test_a_list_knows_whether_it_names_its_coordinator() -> None:
    assert parse_device_list([COORDINATOR, sensor()]).has_coordinator
    assert not parse_device_list([sensor()]).has_coordinator
    assert not parse_device_list([]).has_coordinator


# --- depth -------------------------------------------------------------------------


def test_deeply_nested_element_of_a_large_list_is_refused_before_decoding() -> None:
    entries = [COORDINATOR, sensor(), {"x": nested_list(50)}]
    payload = orjson.dumps(entries)[:-1] + b"," + b"[" * 200_000 + b"]" * 200_000
    payload += b"]"
    assert json_nesting(payload) == 200_001
    with pytest.raises(TooDeepError):
        parse_device_entries(iter_json_array(payload))


def test_features_nested_without_end_stop_at_the_bound() -> None:
    problems: list[str] = []
    with recursion_budget(60):
        capabilities = ExposesParser("Deep", problems).parse([nested_features(5_000)])
    assert capabilities == ()
    assert problems == [
        f"Deep: exposes nest deeper than {MAX_DEPTH} levels; the rest is ignored"
    ]


def test_deep_values_of_an_expose_become_text_without_recursion() -> None:
    deep = nested_list(100_000)
    expose = {
        "type": "enum",
        "name": "mode",
        "property": "mode",
        "access": deep,
        "value_on": deep,
        "values": [deep, "a"],
        "presets": [{"name": deep}],
        "future": deep,
        "future_list": [deep],
    }
    problems: list[str] = []
    with recursion_budget(60):
        device = parse_device(sensor(definition={"exposes": [expose]}), problems)
    assert device is not None
    [capability] = device.capabilities
    assert capability.access == 0
    assert capability.value_on == "a list"
    assert capability.values == ("a list", "a")
    assert capability.presets == ("a list",)
    assert capability.extra == {"future": ["a list"], "future_list": ["a list"]}
    assert problems == [
        "Hall vibration: mode: access a list is not a bit mask; using 0"
    ]


# --- property-based: hostile lists and expose trees ---------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    return st.recursive(
        json_scalars,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=max_leaves,
    )


ieee_strings = (
    st.from_regex(r"0x[0-9a-fA-F]{16}", fullmatch=True)
    | st.text(max_size=24)
    | st.from_regex(r"0x[0-9a-f]{16}[/+#\n ].{0,8}", fullmatch=True)
    | json_values(3)
)

expose_trees: st.SearchStrategy[Any] = st.recursive(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["binary", "numeric", "enum", "text", "list"])
            | json_scalars,
            "name": st.text(max_size=10) | json_scalars,
            "property": st.text(max_size=10) | json_scalars,
            "access": json_scalars,
            "endpoint": json_scalars,
            "values": json_values(4),
            "presets": json_values(4),
            "value_on": json_values(4),
            "unknown_field": json_values(4),
        },
    )
    | json_values(3),
    lambda children: st.fixed_dictionaries(
        {
            "type": st.sampled_from(["composite", "light", "switch", "climate"])
            | json_scalars,
            "features": st.lists(children, max_size=4) | json_values(2),
        },
        optional={"property": st.text(max_size=10), "endpoint": json_scalars},
    ),
    max_leaves=20,
)

device_entries = st.fixed_dictionaries(
    {"ieee_address": ieee_strings},
    optional={
        "friendly_name": st.text(max_size=30) | json_scalars,
        "type": st.sampled_from(["Coordinator", "Router", "EndDevice"]) | json_scalars,
        "definition": st.none()
        | json_values(4)
        | st.fixed_dictionaries(
            {"exposes": st.lists(expose_trees, max_size=4) | json_values(3)},
            optional={"model": json_scalars, "vendor": json_scalars},
        ),
        "interview_state": json_scalars,
        "supported": json_scalars,
        "disabled": json_scalars,
    },
)


@HYPOTHESIS
@given(st.lists(device_entries | json_values(6), max_size=8))
def test_hostile_device_lists_give_only_real_devices(entries: list[Any]) -> None:
    with recursion_budget(80):
        result = parse_device_list(entries)
    for ieee, device in result.devices.items():
        assert REAL_IEEE.fullmatch(ieee)
        assert device.ieee_address == ieee
    assert result.entries == len(entries)
    assert len(result.devices) + result.skipped <= len(entries)
    assert result.skipped == sum(
        not isinstance(entry, dict) or ieee_address(entry.get("ieee_address")) is None
        for entry in entries
    )
    # What the parser keeps can always be encoded again (stored, published).
    orjson.dumps([device.friendly_name for device in result.devices.values()])


@HYPOTHESIS
@given(st.lists(expose_trees, max_size=6))
def test_hostile_expose_trees_never_raise_nor_recurse_past_the_bound(
    exposes: list[Any],
) -> None:
    problems: list[str] = []
    with recursion_budget(60):
        capabilities = ExposesParser("Device", problems).parse(exposes)
    assert len({cap.key for cap in capabilities}) == len(capabilities)
    for capability in capabilities:
        assert 0 <= capability.access <= 7
        assert all(isinstance(value, str) for value in capability.values)


@HYPOTHESIS
@given(
    st.lists(device_entries, max_size=4),
    st.integers(min_value=MAX_JSON_DEPTH + 1, max_value=5_000),
    st.integers(min_value=0, max_value=4),
)
def test_a_too_deep_element_anywhere_refuses_the_list(
    entries: list[Any], levels: int, position: int
) -> None:
    parts = [json.dumps(entry).encode() for entry in entries]
    parts.insert(min(position, len(parts)), b"[" * levels + b"]" * levels)
    payload = b"[" + b",".join(parts) + b"]"
    with pytest.raises(TooDeepError), recursion_budget(80):
        list(iter_json_array(payload))


@HYPOTHESIS
@given(st.lists(ieee_strings, max_size=10))
def test_random_ieee_strings_are_devices_only_when_real(values: list[Any]) -> None:
    entries = [sensor(value) for value in values]
    result = parse_device_list(entries)
    expected = {ieee_address(value) for value in values} - {None}
    assert set(result.devices) == expected


# --- bursts of device events -------------------------------------------------------


def test_a_burst_is_published_up_to_the_budget_then_summarised() -> None:
    limiter = DeviceEventLimiter(per_window=3, sample=2)
    admitted = [limiter.admit("paired", f"0x{n:016x}") for n in range(10)]
    assert admitted == [True] * 3 + [False] * 7
    assert limiter.admit("removed", SENSOR)
    assert limiter.take_summaries() == [
        BurstSummary("paired", 7, ("0x0000000000000003", "0x0000000000000004"))
    ]
    assert limiter.take_summaries() == []
    # The window's budget stays used until a new window.
    assert not limiter.admit("paired", SENSOR)
    limiter.new_window()
    assert limiter.admit("paired", SENSOR)
    assert limiter.take_summaries() == [BurstSummary("paired", 1, (SENSOR,))]
