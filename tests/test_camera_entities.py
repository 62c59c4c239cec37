"""The sensors and binary sensor of an AI camera, and its counts across days,
weeks and daylight-saving changes in a time zone that is not UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .camera_helpers import (
    FRONT,
    TIME_ZONE,
    event_payload,
    move_to,
    send_event,
    send_status,
    state,
)

BERLIN = ZoneInfo(TIME_ZONE)
# Saturday before the spring change (Sunday 30 March 2025, 02:00 -> 03:00).
SPRING = datetime(2025, 3, 29, 22, 0, tzinfo=BERLIN)
# Saturday before the autumn change (Sunday 26 October 2025, 03:00 -> 02:00).
AUTUMN = datetime(2025, 10, 25, 12, 0, tzinfo=BERLIN)


@pytest.fixture
def start() -> datetime:
    """Return when the clock starts; overridden by parametrized tests."""
    return SPRING


@pytest.fixture
async def clock(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    start: datetime,
) -> FrozenDateTimeFactory:
    """Freeze the clock in Berlin before HA AI arms its midnight timer."""
    await hass.config.async_set_time_zone(TIME_ZONE)
    freezer.move_to(start)
    return freezer


@pytest.fixture
async def loaded(clock: FrozenDateTimeFactory, setup_entry: MockConfigEntry) -> Any:
    """HA AI, set up on the frozen clock."""
    return setup_entry


def at(moment: datetime) -> str:
    """Return an event time as the classifier writes it."""
    return moment.isoformat()


def counts(hass: HomeAssistant) -> tuple[str, str]:
    return state(hass, FRONT["events_today"]), state(hass, FRONT["events_this_week"])


def last_resets(hass: HomeAssistant) -> tuple[str, str]:
    today = hass.states.get(FRONT["events_today"])
    week = hass.states.get(FRONT["events_this_week"])
    assert today is not None
    assert week is not None
    return today.attributes["last_reset"], week.attributes["last_reset"]


# Every entity


async def test_the_sensors_of_a_camera(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()

    status = hass.states.get(FRONT["status"])
    assert status is not None
    assert status.state == STATE_UNKNOWN  # no status message yet
    assert status.attributes["device_class"] == "enum"
    assert status.attributes["options"] == ["online", "offline", "unreachable"]
    assert status.attributes["friendly_name"] == "Front Door Status"

    last_event = hass.states.get(FRONT["last_event"])
    assert last_event is not None
    assert dt_util.parse_datetime(last_event.state) == SPRING
    assert last_event.attributes["device_class"] == "timestamp"
    assert {
        key: value
        for key, value in last_event.attributes.items()
        if key not in {"device_class", "friendly_name", "icon"}
    } == {
        "event_id": "e1",
        "description": "A person at the door",
        "objects": ["person"],
        "confidence": 87.5,
        "detection_type": "person",
        "source_type": "rtsp",
        "thumbnail_url": "https://nvr.local/thumb/e1.jpg?token=secret",
        "doorbell": False,
    }
    assert state(hass, FRONT["last_description"]) == "A person at the door"

    for key in ("events_today", "events_this_week"):
        counter = hass.states.get(FRONT[key])
        assert counter is not None
        assert counter.state == "1"
        assert counter.attributes["state_class"] == "total"
        assert counter.attributes["unit_of_measurement"] == "events"

    activity = hass.states.get(FRONT["recent_activity"])
    assert activity is not None
    assert activity.state == STATE_ON
    assert activity.attributes["device_class"] == "motion"
    assert activity.attributes["friendly_name"] == "Front Door Recent activity"


@pytest.mark.parametrize(
    ("status", "shown"),
    [("online", "online"), ("OFFLINE", "offline"), ("unavailable", "unreachable")],
)
async def test_the_status_sensor_follows_status_messages(
    hass: HomeAssistant, loaded: MockConfigEntry, status: str, shown: str
) -> None:
    send_event(hass, event_payload())
    send_status(
        hass,
        "front_door",
        {"camera_id": "front_door", "status": status, "last_updated": at(SPRING)},
    )
    await hass.async_block_till_done()
    assert state(hass, FRONT["status"]) == shown
    # The camera keeps the name its events gave it.
    assert hass.states.get(FRONT["status"]).attributes["friendly_name"] == (
        "Front Door Status"
    )


# Days, weeks and daylight saving


async def test_counts_reset_at_local_midnight_across_the_spring_change(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert counts(hass) == ("1", "1")
    assert last_resets(hass) == (
        "2025-03-29T00:00:00+01:00",
        "2025-03-24T00:00:00+01:00",
    )

    await move_to(hass, clock, datetime(2025, 3, 29, 23, 59, 59, tzinfo=BERLIN))
    assert counts(hass) == ("1", "1")
    # Sunday: a new day, the same week; no event is needed for the reset.
    await move_to(hass, clock, datetime(2025, 3, 30, 0, 0, tzinfo=BERLIN))
    assert counts(hass) == ("0", "1")
    assert last_resets(hass)[0] == "2025-03-30T00:00:00+01:00"

    # After the clocks went forward.
    after_change = datetime(2025, 3, 30, 3, 30, tzinfo=BERLIN)
    await move_to(hass, clock, after_change)
    send_event(hass, event_payload(event_id="e2", timestamp=at(after_change)))
    # An event of Saturday arriving late counts in the week, not today.
    send_event(hass, event_payload(event_id="e0", timestamp=at(SPRING)))
    await hass.async_block_till_done()
    assert counts(hass) == ("1", "3")

    # The day had 23 hours: Monday starts at 22:00 UTC, and with it a new week.
    monday = datetime(2025, 3, 31, 0, 0, tzinfo=BERLIN)
    assert monday.astimezone(UTC) == datetime(2025, 3, 30, 22, 0, tzinfo=UTC)
    await move_to(hass, clock, monday - timedelta(seconds=1))
    assert counts(hass) == ("1", "3")
    await move_to(hass, clock, monday)
    assert counts(hass) == ("0", "0")
    assert last_resets(hass) == (
        "2025-03-31T00:00:00+02:00",
        "2025-03-31T00:00:00+02:00",
    )


@pytest.mark.parametrize("start", [AUTUMN])
async def test_counts_reset_at_local_midnight_across_the_autumn_change(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert counts(hass) == ("1", "1")
    await move_to(hass, clock, datetime(2025, 10, 26, 0, 0, tzinfo=BERLIN))
    assert counts(hass) == ("0", "1")
    late = datetime(2025, 10, 26, 23, 30, tzinfo=BERLIN)
    await move_to(hass, clock, late)
    send_event(hass, event_payload(event_id="e2", timestamp=at(late)))
    await hass.async_block_till_done()
    assert counts(hass) == ("1", "2")
    # The day had 25 hours: Monday starts at 23:00 UTC.
    monday = datetime(2025, 10, 27, 0, 0, tzinfo=BERLIN)
    assert monday.astimezone(UTC) == datetime(2025, 10, 26, 23, 0, tzinfo=UTC)
    await move_to(hass, clock, monday - timedelta(seconds=1))
    assert counts(hass) == ("1", "2")
    await move_to(hass, clock, monday)
    assert counts(hass) == ("0", "0")
    assert last_resets(hass)[1] == "2025-10-27T00:00:00+01:00"


async def test_counts_read_zero_after_a_restart_on_another_day(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, loaded: MockConfigEntry
) -> None:
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()
    clock.move_to(datetime(2025, 3, 30, 9, 0, tzinfo=BERLIN))
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done()
    assert counts(hass) == ("0", "1")
    assert state(hass, FRONT["recent_activity"]) == STATE_OFF
    assert dt_util.parse_datetime(state(hass, FRONT["last_event"])) == SPRING
