"""Damaged stores: one bad record, or a whole unreadable store, never stops HA AI.

Each attack writes a store as a crash, an edit or another version could leave it
(through `hass_storage`, and on disk where the copy set aside is checked), sets
the entry up and checks, through states, services, diagnostics and the issue
registry, that only the damaged part is lost, that the loss is logged and counted,
and that the rest of HA AI works: `ha_ai.publish_event` publishes and a camera
event still counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import storage
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.ha_ai.const import DOMAIN, SERVICE_PUBLISH_EVENT
from custom_components.ha_ai.engine.habits.log_files import append_rows, day_file
from custom_components.ha_ai.engine.habits.serialize import patterns_to_store
from custom_components.ha_ai.engine.zigbee.devices import parse_device_list
from custom_components.ha_ai.engine.zigbee.serialize import devices_to_store
from custom_components.ha_ai.habits.log import LOG_DIRECTORY
from custom_components.ha_ai.store_loading import copy_aside

from .camera_helpers import FRONT, event_payload, send_event
from .conftest import published
from .habit_helpers import COFFEE, MORNING
from .zigbee_helpers import PLUG, house_devices

# Home Assistant's own loading, kept before the test harness replaces it, for the
# one attack that needs a real file read: invalid JSON.
REAL_STORE_LOAD = storage.Store._async_load

ZIGBEE = f"{DOMAIN}.zigbee"
INSIGHTS = f"{DOMAIN}.zigbee_insights"
HABITS = f"{DOMAIN}.habits"
SUGGESTIONS = f"{DOMAIN}.suggestions"
CAMERAS = f"{DOMAIN}.cameras"
DEVICES = "sensor.ha_ai_zigbee_devices"
PATTERNS = "sensor.ha_ai_patterns_detected"
PENDING = "sensor.ha_ai_suggestions_pending"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


# The stores as HA AI writes them


def zigbee_store() -> dict[str, Any]:
    devices = parse_device_list(house_devices()).devices
    return {
        "devices": devices_to_store(devices),
        "bridge_info": {"version": "2.1.3", "permit_join": False},
        "last_devices_received": NOW.isoformat(),
        "changes": [],
        "anomalies": {"version": 1, "devices": {}},
        "settings": {"first": {}, "latest": {}},
    }


def suggestion(number: int) -> dict[str, Any]:
    return {
        "suggestion_id": f"feature_{number:02d}",
        "kind": "feature",
        "category": "comfort",
        "title": f"Use feature {number}",
        "description": "A feature nothing uses yet.",
        "confidence": 0.5,
        "value": 0.5,
        "entities": [f"light.lamp_{number}"],
        "source": {},
        "automation": None,
        "how_to_start": "",
        "status": "new",
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
        "last_seen": NOW.isoformat(),
        "error": None,
        "automation_id": None,
        "enriched": False,
    }


def suggestions_store(count: int = 50) -> dict[str, Any]:
    return {
        "book": {
            "version": 1,
            "suggestions": [suggestion(n) for n in range(count)],
            "dismissed_ids": [],
        },
        "unannounced": [],
    }


def cameras_store() -> dict[str, Any]:
    now = dt_util.utcnow()
    return {
        "version": 1,
        "cameras": {
            camera_id: {
                "camera_id": camera_id,
                "camera_name": camera_id.title(),
                "last_seen": now.isoformat(),
                "status": None,
                "activity": {"version": 1, "day": now.date().isoformat(), "today": 2},
            }
            for camera_id in ("garage", "garden")
        },
    }


def put(hass_storage: dict[str, Any], key: str, data: object, version: int = 1) -> None:
    hass_storage[key] = {
        "version": version,
        "minor_version": 1,
        "key": key,
        "data": data,
    }


def on_disk(hass: HomeAssistant, key: str) -> Path:
    return Path(hass.config.path(".storage", key))


def write_on_disk(hass: HomeAssistant, hass_storage: dict[str, Any], key: str) -> bytes:
    """Write the store's file as Home Assistant would, beside the harness's copy."""
    path = on_disk(hass, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = json.dumps(hass_storage[key]).encode()
    path.write_bytes(content)
    return content


# Setting up and checking that the rest of HA AI works


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def assert_the_rest_works(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_PUBLISH_EVENT,
        {"path": "store/check"},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response is not None
    assert [topic for topic, *_ in published(mqtt_mock, "ha-ai/events/store")] == [
        "ha-ai/events/store/check"
    ]
    send_event(hass, event_payload("front_door", "after-load"))
    await hass.async_block_till_done()
    state = hass.states.get(FRONT["events_today"])
    assert state is not None
    assert state.state == "1"


async def stores_in_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    stores: dict[str, Any] = diagnostics["stores"]
    return stores


def issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


# One wrong-typed field: that record is dropped and counted, the rest loads


async def test_a_friendly_name_as_a_list_drops_one_device_not_the_integration(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = zigbee_store()
    data["devices"]["devices"][PLUG]["friendly_name"] = ["Kitchen", "plug"]
    data["devices"]["devices"][PLUG]["vendor"] = 42  # optional: read as unknown
    put(hass_storage, ZIGBEE, data)
    entry = await set_up(hass, config_entry)

    assert hass.states.get(DEVICES).state == "3"  # 4 devices stored, one dropped
    assert "ha_ai.zigbee: 1 damaged records dropped" in caplog.text
    assert "friendly_name is a list, not text" in caplog.text
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[ZIGBEE]["outcome"] == "loaded"
    assert stores[ZIGBEE]["dropped_records"] == 1
    await assert_the_rest_works(hass, mqtt_mock)


async def test_a_damaged_field_in_one_device_keeps_the_others_vendor_reset(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    data = zigbee_store()
    data["devices"]["devices"][PLUG]["vendor"] = {"name": "Aqara"}
    put(hass_storage, ZIGBEE, data)
    entry = await set_up(hass, config_entry)
    assert hass.states.get(DEVICES).state == "4"
    assert entry.runtime_data.zigbee.devices[PLUG].vendor is None
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[ZIGBEE]["fields_reset"] == {"device.vendor": 1}


async def test_five_damaged_suggestions_of_fifty_are_counted_and_logged(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = suggestions_store()
    damaged = data["book"]["suggestions"]
    damaged[3]["confidence"] = "high"
    damaged[7]["kind"] = "wish"
    damaged[11]["created_at"] = "yesterday"
    damaged[19]["entities"] = "light.x"
    damaged[23]["title"] = None
    damaged[30]["error"] = 7  # optional: kept, error reset
    put(hass_storage, SUGGESTIONS, data)
    entry = await set_up(hass, config_entry)

    answer = await hass.services.async_call(
        DOMAIN, "get_suggestions", {"limit": 100}, blocking=True, return_response=True
    )
    assert answer is not None
    assert answer["total"] == 45
    assert "ha_ai.suggestions: 5 damaged records dropped and 1 fields reset" in (
        caplog.text
    )
    for reason in (
        "confidence is not a number",
        "kind is not one of",
        "created_at is not a time",
        "entities is not a list",
        "title is not text",
    ):
        assert reason in caplog.text
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[SUGGESTIONS]["dropped_records"] == 5
    await assert_the_rest_works(hass, mqtt_mock)


async def test_a_damaged_pattern_is_dropped_and_the_others_stay(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    patterns = patterns_to_store([MORNING, COFFEE])
    patterns[0]["minute_of_day"] = "06:30"
    put(
        hass_storage,
        HABITS,
        {"patterns": patterns, "last_run": NOW.isoformat(), "last_duration": "long"},
    )
    entry = await set_up(hass, config_entry)
    assert hass.states.get(PATTERNS).state == "1"
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[HABITS]["dropped"] == {
        "pattern: minute_of_day is text, not an integer": 1
    }
    assert stores[HABITS]["fields_reset"] == {"habits.last_duration": 1}
    await assert_the_rest_works(hass, mqtt_mock)


async def test_published_opportunity_ids_of_the_wrong_type_are_counted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    put(hass_storage, INSIGHTS, {"published": ["unused_power", 3, None, ["x"]]})
    entry = await set_up(hass, config_entry)
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[INSIGHTS]["dropped_records"] == 3
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["insights"]["published_opportunities"] == 1
    await assert_the_rest_works(hass, mqtt_mock)


async def test_a_camera_with_a_damaged_last_seen_is_dropped_and_the_others_count(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    data = cameras_store()
    data["cameras"]["garden"]["last_seen"] = ["today"]
    put(hass_storage, CAMERAS, data)
    entry = await set_up(hass, config_entry)
    assert hass.states.get("sensor.garage_events_today") is not None
    assert hass.states.get("sensor.garden_events_today") is None
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[CAMERAS]["dropped"] == {
        "camera: last_seen is not a time with its time zone": 1
    }
    await assert_the_rest_works(hass, mqtt_mock)


async def test_damaged_habit_log_lines_are_counted_and_the_analysis_runs(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = Path(hass.config.path(".storage", LOG_DIRECTORY))
    today = dt_util.utcnow()
    append_rows(
        directory,
        [(int(today.timestamp()), 0, "light.hall", "on")],
        max_day_bytes=10_000,
    )
    with day_file(directory, today.date()).open("a") as file:
        file.write("garbage\n1,9,light.x,on\n" + "x" * 200_000 + "\n")
    (directory / f"{(today - timedelta(days=1)).date()}.csv").mkdir()
    entry = await set_up(hass, config_entry)

    await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    [(_, complete, _, _)] = published(mqtt_mock, "ha-ai/analysis/complete")
    assert complete["entities_analyzed"] == 1  # the good line of today's file
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["habit_log"]["damaged_at_last_read"] == 4
    assert "damaged lines or files left out" in caplog.text
    await assert_the_rest_works(hass, mqtt_mock)


# A store that cannot be read at all: set aside, repaired, the rest runs


def not_an_object(_: Any) -> Any:
    return ["not", "a", "store"]


def section_of_wrong_type(key: str) -> Any:
    return {
        ZIGBEE: {"devices": "all"},
        INSIGHTS: {"published": "all"},
        HABITS: {"patterns": {"a": 1}},
        SUGGESTIONS: {"book": {"version": 1, "suggestions": "all"}},
        CAMERAS: {"version": 1, "cameras": ["garage"]},
    }[key]


def inner_version_from_the_future(key: str) -> Any:
    if key == SUGGESTIONS:
        return {"book": {"version": 7, "suggestions": []}}
    if key == CAMERAS:
        return {"version": 7, "cameras": {}}
    return not_an_object(key)


ALL_STORES = [ZIGBEE, INSIGHTS, HABITS, SUGGESTIONS, CAMERAS]
DAMAGE: dict[str, Callable[[str], Any]] = {
    "not_an_object": not_an_object,
    "section_of_wrong_type": section_of_wrong_type,
    "inner_version_from_the_future": inner_version_from_the_future,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("key", ALL_STORES)
async def test_an_unreadable_store_is_set_aside_with_a_repair_and_ha_ai_runs(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    key: str,
    damage: str,
) -> None:
    put(hass_storage, key, DAMAGE[damage](key))
    original = write_on_disk(hass, hass_storage, key)
    entry = await set_up(hass, config_entry)

    [copy] = on_disk(hass, key).parent.glob(f"{key}.corrupt-*")
    assert copy.read_bytes() == original
    found = issue(hass, f"store_set_aside_{key}")
    assert found is not None
    assert found.translation_key == "store_set_aside"
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["store"] == key
    assert found.translation_placeholders["copy"] == str(copy)
    assert found.translation_placeholders["path"] == str(on_disk(hass, key))
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[key]["outcome"] == "set aside"
    assert stores[key]["copy"] == str(copy)
    await assert_the_rest_works(hass, mqtt_mock)
    # With the copy made, the part writes its own store again (insights and
    # habits after their next judgement or run, the others when they stop).
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    if key not in (INSIGHTS, HABITS):
        assert hass_storage[key]["data"] != DAMAGE[damage](key)


@pytest.mark.parametrize("key", ALL_STORES)
async def test_a_store_from_a_newer_version_is_set_aside_not_migrated(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    key: str,
) -> None:
    put(hass_storage, key, {"from": "the future"}, version=9)
    original = write_on_disk(hass, hass_storage, key)
    await set_up(hass, config_entry)
    [copy] = on_disk(hass, key).parent.glob(f"{key}.corrupt-*")
    assert copy.read_bytes() == original
    found = issue(hass, f"store_set_aside_{key}")
    assert found is not None
    assert "newer version of HA AI" in found.translation_placeholders["reason"]
    await assert_the_rest_works(hass, mqtt_mock)


@pytest.mark.parametrize("key", ALL_STORES)
async def test_a_store_that_cannot_be_copied_aside_is_never_written(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # No file on disk to copy (or a disk that refuses the copy): the damaged
    # store is the only copy of the user's data, so HA AI leaves it as it is.
    put(hass_storage, key, not_an_object(key))
    entry = await set_up(hass, config_entry)
    found = issue(hass, f"store_left_in_place_{key}")
    assert found is not None
    assert found.translation_key == "store_left_in_place"
    assert "nor copied aside" in caplog.text
    await assert_the_rest_works(hass, mqtt_mock)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"] == not_an_object(key)


async def test_an_exception_in_a_restore_sets_the_store_aside(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    put(hass_storage, ZIGBEE, zigbee_store())
    original = write_on_disk(hass, hass_storage, ZIGBEE)
    with patch(
        "custom_components.ha_ai.zigbee.bridge.restore_zigbee_store",
        side_effect=RecursionError("maximum recursion depth exceeded"),
    ):
        await set_up(hass, config_entry)
    [copy] = on_disk(hass, ZIGBEE).parent.glob(f"{ZIGBEE}.corrupt-*")
    assert copy.read_bytes() == original
    found = issue(hass, f"store_set_aside_{ZIGBEE}")
    assert found is not None
    assert "RecursionError" in found.translation_placeholders["reason"]
    assert hass.states.get(DEVICES).state == "0"
    await assert_the_rest_works(hass, mqtt_mock)


async def test_invalid_json_is_set_aside_by_home_assistant_and_reported(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = on_disk(hass, ZIGBEE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"version": 1, "data": {"devices": ')
    with patch.object(storage.Store, "_async_load", REAL_STORE_LOAD):
        entry = await set_up(hass, config_entry)
    [copy] = path.parent.glob(f"{ZIGBEE}.corrupt.*")
    assert copy.read_bytes() == b'{"version": 1, "data": {"devices": '
    issues = ir.async_get(hass).issues
    assert any(
        domain == "homeassistant"
        and issue_id.startswith(f"storage_corruption_{ZIGBEE}")
        for domain, issue_id in issues
    )
    stores = await stores_in_diagnostics(hass, hass_client, entry)
    assert stores[ZIGBEE]["outcome"] == "set aside by Home Assistant"
    assert stores[ZIGBEE]["copy"] == str(copy)
    assert "Home Assistant set it aside" in caplog.text
    await assert_the_rest_works(hass, mqtt_mock)


# A part never writes a store it has not loaded


async def test_a_failed_setup_writes_no_store_over_the_stored_ones(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    put(hass_storage, ZIGBEE, zigbee_store())
    put(hass_storage, SUGGESTIONS, suggestions_store(3))
    put(hass_storage, HABITS, {"patterns": patterns_to_store([MORNING])})
    put(hass_storage, CAMERAS, cameras_store())
    before = json.loads(json.dumps(hass_storage))
    config_entry.add_to_hass(hass)
    with patch(
        "custom_components.ha_ai.bus.mqtt_bus.MqttBus.async_start",
        side_effect=RuntimeError("broken"),
    ):
        assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    for key in (ZIGBEE, SUGGESTIONS, HABITS, CAMERAS):
        assert hass_storage[key]["data"] == before[key]["data"], key


async def test_a_damaged_store_loads_the_same_after_a_restart(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    data = zigbee_store()
    data["devices"]["devices"][PLUG]["friendly_name"] = ["a", "list"]
    put(hass_storage, ZIGBEE, data)
    entry = await set_up(hass, config_entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # The store written back holds the good devices (and the coordinator).
    saved = hass_storage[ZIGBEE]["data"]["devices"]["devices"]
    assert PLUG not in saved
    assert len(saved) == 4
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(DEVICES).state == "3"


async def test_mqtt_stays_subscribed_after_a_store_is_set_aside(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    put(hass_storage, ZIGBEE, not_an_object(ZIGBEE))
    write_on_disk(hass, hass_storage, ZIGBEE)
    await set_up(hass, config_entry)
    async_fire_mqtt_message(
        hass, "zigbee2mqtt/bridge/devices", json.dumps(house_devices())
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(DEVICES).state == "4"


async def test_json_that_is_not_a_store_file_is_set_aside(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    # Valid JSON, but not the `{"version", "data"}` Home Assistant's Store reads:
    # its load raises, and HA AI copies the file aside.
    path = on_disk(hass, SUGGESTIONS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('["not", "a", "store"]')
    with patch.object(storage.Store, "_async_load", REAL_STORE_LOAD):
        await set_up(hass, config_entry)
    [copy] = path.parent.glob(f"{SUGGESTIONS}.corrupt-*")
    assert copy.read_text() == '["not", "a", "store"]'
    found = issue(hass, f"store_set_aside_{SUGGESTIONS}")
    assert found is not None
    assert found.translation_placeholders is not None
    assert (
        "Home Assistant could not load it" in (found.translation_placeholders["reason"])
    )
    await assert_the_rest_works(hass, mqtt_mock)


def test_copies_aside_never_overwrite_each_other(tmp_path: Path) -> None:
    store = tmp_path / "ha_ai.zigbee"
    store.write_text("first")
    first = copy_aside(store, "20261201T120000Z")
    store.write_text("second")
    second = copy_aside(store, "20261201T120000Z")
    assert first.name == "ha_ai.zigbee.corrupt-20261201T120000Z"
    assert second.name == "ha_ai.zigbee.corrupt-20261201T120000Z-1"
    assert (first.read_text(), second.read_text()) == ("first", "second")
    # At most a hundred copies of one store in one second; none overwritten.
    for _ in range(98):
        copy_aside(store, "20261201T120000Z")
    with pytest.raises(FileExistsError):
        copy_aside(store, "20261201T120000Z")
    assert len(list(tmp_path.glob("ha_ai.zigbee.corrupt-*"))) == 100
    assert first.read_text() == "first"
    with pytest.raises(FileNotFoundError):
        copy_aside(tmp_path / "missing", "20261201T120000Z")
    assert not list(tmp_path.glob("missing*"))
