"""HA AI's life is its entry's: setup, failed setup, reload, unload and a clean stop.

Every store is filled as a previous run left it (through `hass_storage`); what
HA AI then writes, publishes or cancels is read back from the stores, the MQTT
client and the entry's state.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Coroutine
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
    DOMAIN,
    SERVICE_PUBLISH_EVENT,
)

from .camera_helpers import FRONT, event_payload, send_event
from .conftest import published
from .test_stores import (
    CAMERAS,
    HABITS,
    INSIGHTS,
    SUGGESTIONS,
    ZIGBEE,
    cameras_store,
    put,
    suggestions_store,
    zigbee_store,
)
from .zigbee_helpers import house_devices
from .zigbee_helpers import send as send_zigbee

DEPLOYMENTS = f"{DOMAIN}.deployments"
REMOTE_COMMANDS = f"{DOMAIN}.remote_commands"
EVERY_STORE = [ZIGBEE, INSIGHTS, HABITS, SUGGESTIONS, CAMERAS, DEPLOYMENTS]
STATUS = "ha-ai/status"
# Every test runs on Home Assistant's MQTT client, mocked and connected.
pytestmark = pytest.mark.usefixtures("mqtt_mock")


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Remote deploy on, so that its record of commands is loaded too."""
    return {**DEFAULT_OPTIONS, CONF_REMOTE_DEPLOY: True, CONF_REMOTE_SECRET: "s" * 32}


def fill_every_store(hass_storage: dict[str, Any]) -> dict[str, Any]:
    """Put what a previous run left in every store; return a copy to compare."""
    put(hass_storage, ZIGBEE, zigbee_store())
    put(hass_storage, INSIGHTS, {"published": ["0x0001_power_on_behavior"]})
    put(
        hass_storage,
        HABITS,
        {"patterns": [], "last_run": "2026-11-20T03:00:00+00:00", "last_duration": 2},
    )
    put(hass_storage, SUGGESTIONS, suggestions_store(3))
    put(hass_storage, CAMERAS, cameras_store())
    put(
        hass_storage,
        DEPLOYMENTS,
        {
            "deployed": {
                "ha_ai_routine_1": {
                    "source": "suggestion",
                    "suggestion_id": "feature_01",
                    "deployed_at": "2026-11-20T03:00:00+00:00",
                }
            }
        },
    )
    put(
        hass_storage,
        REMOTE_COMMANDS,
        {
            "accepted": {
                "a" * 32: ["2026-11-20T03:00:00+00:00", "2026-11-20T04:00:00+00:00"]
            },
            "distrust": None,
        },
    )
    return copy.deepcopy(
        {key: hass_storage[key] for key in [*EVERY_STORE, REMOTE_COMMANDS]}
    )


def stores(hass_storage: dict[str, Any]) -> dict[str, Any]:
    return {key: hass_storage.get(key) for key in [*EVERY_STORE, REMOTE_COMMANDS]}


async def writes_nothing(
    hass_storage: dict[str, Any], action: Coroutine[Any, Any, None]
) -> None:
    """Run `action`; check that it wrote no store."""
    written = copy.deepcopy(stores(hass_storage))
    await action
    assert stores(hass_storage) == written


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def stop_home_assistant(hass: HomeAssistant) -> None:
    """Fire the stop as Home Assistant does; its entries stay loaded."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()


def assert_the_changes_are_stored(hass_storage: dict[str, Any]) -> None:
    """Check that the stores hold what `change_every_part` changed."""
    assert len(hass_storage[ZIGBEE]["data"]["devices"]["devices"]) == 2
    assert "front_door" in hass_storage[CAMERAS]["data"]["cameras"]


async def change_every_part(hass: HomeAssistant) -> None:
    """Give the bridge a device list and a camera an event: both want a save."""
    send_zigbee(hass, "bridge/devices", house_devices()[:2])
    send_event(hass, event_payload("front_door", "lifecycle"))
    await hass.async_block_till_done()


async def set_up_with_changes(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
) -> None:
    """Set up on what a previous run stored, then change what the parts keep."""
    fill_every_store(hass_storage)
    await set_up(hass, entry)
    await change_every_part(hass)


def failing_on(
    topic: str,
) -> Callable[..., Coroutine[Any, Any, Callable[[], None]]]:
    """Return `mqtt.async_subscribe` as it is, except that `topic` fails."""
    subscribe = mqtt.async_subscribe

    async def async_subscribe(
        hass: HomeAssistant, subscribed: str, *args: Any, **kwargs: Any
    ) -> Callable[[], None]:
        if subscribed == topic:
            raise HomeAssistantError("MQTT is not enabled")
        return await subscribe(hass, subscribed, *args, **kwargs)

    return async_subscribe


# A failed setup writes no store


@pytest.mark.parametrize(
    "topic",
    [
        # Before any part following MQTT loaded its store.
        "homeassistant/status",
        # After the bridge restored its devices.
        "zigbee2mqtt/#",
        # After the cameras were restored.
        "liveobject/camera/+/event",
        # After the record of remote commands was loaded, last of all.
        "ha-ai/commands/automation/deploy",
    ],
)
async def test_a_failed_setup_leaves_every_store_untouched(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    topic: str,
) -> None:
    before = fill_every_store(hass_storage)
    config_entry.add_to_hass(hass)
    with patch("homeassistant.components.mqtt.async_subscribe", failing_on(topic)):
        assert not await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "MQTT is not enabled" in str(config_entry.reason)
    assert stores(hass_storage) == before


async def test_an_unchanged_unload_writes_no_store(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    before = fill_every_store(hass_storage)
    await set_up(hass, config_entry)
    await unload(hass, config_entry)
    assert stores(hass_storage) == before


# A reload leaves nothing of the old entry running


async def test_a_reload_cancels_what_the_old_entry_was_sending(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, config_entry: MockConfigEntry
) -> None:
    await set_up(hass, config_entry)
    cancelled: list[str] = []
    released = asyncio.Event()
    publish = mqtt_mock.async_publish.side_effect

    async def hanging_publish(topic: str, *args: Any, **kwargs: Any) -> None:
        if not topic.startswith("ha-ai/events/"):
            return
        try:
            await released.wait()
        except asyncio.CancelledError:
            cancelled.append(topic)
            raise

    mqtt_mock.async_publish.side_effect = hanging_publish
    try:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_PUBLISH_EVENT,
            {"path": "before/reload"},
            blocking=True,
            return_response=True,
        )
        await hass.async_block_till_done()
        assert cancelled == []
        assert await hass.config_entries.async_reload(config_entry.entry_id)
        await hass.async_block_till_done()
        assert config_entry.state is ConfigEntryState.LOADED
        # The old bus's publish ended with its entry: it cannot deliver late.
        assert cancelled == ["ha-ai/events/before/reload"]
    finally:
        released.set()
        mqtt_mock.async_publish.side_effect = publish
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_reload_keeps_what_changed_and_the_old_entry_writes_no_more(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    await set_up_with_changes(hass, hass_storage, config_entry)
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    # The old parts wrote what changed as they unloaded; the new ones read it.
    assert_the_changes_are_stored(hass_storage)
    state = hass.states.get(FRONT["events_today"])
    assert state is not None
    assert state.state == "1"
    # Home Assistant stopping now finds nothing new to write from either entry.
    await writes_nothing(hass_storage, stop_home_assistant(hass))


# A clean stop of Home Assistant says `offline` and writes the stores


async def test_a_clean_stop_publishes_offline_and_writes_the_stores(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    await set_up_with_changes(hass, hass_storage, config_entry)
    mqtt_mock.async_publish.reset_mock()

    await stop_home_assistant(hass)

    assert published(mqtt_mock, STATUS) == [(STATUS, "offline", 1, True)]
    assert_the_changes_are_stored(hass_storage)
    # Stopping the entry afterwards says nothing twice and writes nothing more.
    await writes_nothing(hass_storage, unload(hass, config_entry))
    assert published(mqtt_mock, STATUS) == [(STATUS, "offline", 1, True)]


async def test_home_assistant_stopping_for_real_says_offline_and_writes(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await set_up_with_changes(hass, hass_storage, config_entry)
    mqtt_mock.async_publish.reset_mock()
    # The stores are written in the final write stage, after the stop event.
    await hass.async_stop()
    assert published(mqtt_mock, STATUS) == [(STATUS, "offline", 1, True)]
    assert_the_changes_are_stored(hass_storage)
    assert config_entry.state is ConfigEntryState.LOADED


async def test_no_stop_listener_outlives_the_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    def stop_listeners() -> int:
        return hass.bus.async_listeners().get(EVENT_HOMEASSISTANT_STOP, 0)

    # A first round loads the platforms, which listen for the stop themselves.
    await set_up(hass, config_entry)
    await unload(hass, config_entry)
    before = stop_listeners()
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert stop_listeners() > before
    await change_every_part(hass)
    await unload(hass, config_entry)
    assert stop_listeners() == before
    mqtt_mock.async_publish.reset_mock()
    await writes_nothing(hass_storage, stop_home_assistant(hass))
    assert published(mqtt_mock, "ha-ai") == []


# A store that cannot be read is never written over


async def test_stores_from_a_newer_version_are_never_overwritten(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> None:
    # No file on disk to copy aside: the store is the only copy of the data.
    for key in [*EVERY_STORE, REMOTE_COMMANDS]:
        put(hass_storage, key, {"from": "the future"}, version=9)
    before = copy.deepcopy(stores(hass_storage))
    await set_up(hass, config_entry)
    for key in [*EVERY_STORE, REMOTE_COMMANDS]:
        issue_id = f"store_left_in_place_{key}"
        if key == DEPLOYMENTS:
            issue_id = f"deployments_left_in_place_{key}"
        if key == REMOTE_COMMANDS:
            issue_id = f"remote_commands_left_in_place_{key}"
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    await change_every_part(hass)
    await stop_home_assistant(hass)
    await unload(hass, config_entry)
    assert stores(hass_storage) == before
