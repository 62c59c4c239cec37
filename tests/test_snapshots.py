"""Snapshots of every platform's entities, the devices and the diagnostics.

The house: a Zigbee2MQTT bridge with the fixture's devices, judged; a camera that has
published a status and an event; a TeamTracker team whose game started and who
scored; an analysis that found two habits, which became two suggestions. The clock
is frozen and the entry's id fixed, so every snapshot is the same on every run and on
every Home Assistant version tested (2025.4 and 2026.2): the registry fields only
newer versions have are left out of the snapshot.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.ha_ai.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.ha_ai.engine.sports.timelines import HOCKEY_GAME

from .camera_helpers import TIME_ZONE, event_payload, send_event, send_status
from .habit_helpers import COFFEE, MORNING, add_house
from .sports_helpers import attributes, register
from .zigbee_helpers import house_devices, register_house, send

MINE = "custom_components.ha_ai.habits.coordinator.mine_habits"
# A Tuesday morning, so "today" and "this week" hold the same one event.
NOW = datetime(2025, 6, 3, 8, 30, tzinfo=UTC)
ENTRY_ID = "01JWSNAPSH0T0000000000ENTRY"
# The team's game starts as the snapshots are taken.
HOCKEY = HOCKEY_GAME.with_game("401688402", NOW)
# Entity registry fields Home Assistant added after 2025.4; both follow from fields
# the snapshot keeps (`object_id_base` from the name, `suggested_object_id` is unset).
NEWER_ENTITY_FIELDS = ("object_id_base", "suggested_object_id")
# Device registry fields newer versions removed or no longer snapshot.
OLDER_DEVICE_FIELDS = ("is_new", "suggested_area")


class SameOnEveryVersionSerializer(HomeAssistantSnapshotSerializer):
    """Core's serializer without the registry fields older versions lack."""

    @classmethod
    def _serializable_entity_registry_entry(cls, data: er.RegistryEntry) -> Any:
        serialized = super()._serializable_entity_registry_entry(data)
        for field in NEWER_ENTITY_FIELDS:
            serialized.pop(field, None)
        return serialized

    @classmethod
    def _serializable_device_registry_entry(cls, data: dr.DeviceEntry) -> Any:
        serialized = super()._serializable_device_registry_entry(data)
        for field in OLDER_DEVICE_FIELDS:
            serialized.pop(field, None)
        return serialized


class SameOnEveryVersionExtension(HomeAssistantSnapshotExtension):
    """Core's snapshot extension (files in tests/snapshots/), one file for both."""

    serializer_class = SameOnEveryVersionSerializer


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize registry entries and states as core's snapshots do (ids left out).

    The test plugin defines the same fixture, but syrupy's own one wins over it.
    """
    return snapshot.use_extension(SameOnEveryVersionExtension)


@pytest.fixture
def platforms() -> list[Platform]:
    """Return the platforms to set up; a platform's test sets up only its own."""
    return [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]


@pytest.fixture(autouse=True)
def only_platforms(platforms: list[Platform]) -> Generator[None]:
    """Set up only the platforms of the test, as `snapshot_platform` asks."""
    with patch("custom_components.ha_ai.PLATFORMS", platforms):
        yield


@pytest.fixture(autouse=True)
def configuration_yaml(tmp_path: Path) -> None:
    """Give the house a configuration.yaml, as a real one has."""
    (tmp_path / "configuration.yaml").write_text("{}\n")


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """Return the HA AI entry with a fixed id: the entities' unique ids contain it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="HA AI",
        data={},
        options=dict(DEFAULT_OPTIONS),
        entry_id=ENTRY_ID,
    )


@pytest.fixture(autouse=True)
def clock(
    mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> FrozenDateTimeFactory:
    """Freeze the clock before HA AI or the API client's token is made.

    MQTT is set up first: its modules cannot be imported on a frozen clock.
    """
    freezer.move_to(NOW)
    return freezer


@pytest.fixture
async def lived_in(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Set HA AI up in the house and let the bridge, a camera and habits report."""
    await hass.config.async_set_time_zone(TIME_ZONE)
    register_house(hass)
    add_house(hass)
    # A TeamTracker team whose game is about to start.
    islanders = register(hass, HOCKEY)
    hass.states.async_set(
        islanders.entity_id, "PRE", attributes(islanders, HOCKEY.pre(NOW))
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    for step in (
        HOCKEY.live(NOW, 0, 0, period=1, clock="20:00 - 1st"),
        HOCKEY.live(NOW, 1, 0, period=1, clock="19:12 - 1st"),
    ):
        hass.states.async_set(islanders.entity_id, "IN", attributes(islanders, step))
        await hass.async_block_till_done()

    send(hass, "bridge/state", "online")
    send(
        hass, "bridge/info", {"version": "2.1.3", "coordinator": {"type": "EmberZNet"}}
    )
    send(hass, "bridge/devices", house_devices())
    send_status(
        hass,
        "front_door",
        {
            "camera_id": "front_door",
            "status": "online",
            "last_updated": NOW.isoformat(),
        },
    )
    send_event(hass, event_payload())
    await hass.async_block_till_done(wait_background_tasks=True)
    # The device list is judged after a pause; let it pass.
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    with patch(MINE, return_value=[MORNING, COFFEE]):
        await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    return config_entry


@pytest.mark.usefixtures("all_entities_enabled")
@pytest.mark.parametrize(
    "platforms",
    [[Platform.BINARY_SENSOR], [Platform.EVENT], [Platform.SENSOR]],
    ids=["binary_sensor", "event", "sensor"],
)
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    lived_in: MockConfigEntry,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, lived_in.entry_id)


async def test_devices(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    lived_in: MockConfigEntry,
) -> None:
    """HA AI's own device and one device per camera and team."""
    devices = dr.async_entries_for_config_entry(device_registry, lived_in.entry_id)
    for device in sorted(devices, key=lambda device: sorted(device.identifiers)):
        [(_, identifier)] = device.identifiers
        assert device == snapshot(name=identifier)


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    lived_in: MockConfigEntry,
) -> None:
    assert (
        await get_diagnostics_for_config_entry(hass, hass_client, lived_in) == snapshot
    )
