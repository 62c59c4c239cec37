"""The same history gives the same habits on SQLite and on a real PostgreSQL.

The recorder is Home Assistant's own, on SQLite (in memory) and on a PostgreSQL
server this module starts once for the session (`tests/postgresql.py`). Three
weeks of one household are written into it as Home Assistant writes them; HA AI
is then set up, copies the recorder's history into its habit log (the back-fill)
and mines it (the first analysis). Both databases must give exactly the changes
the household made, each with its origin, and the same patterns.

Databases differ in what this history exercises: timestamps (changes a moment
before and after local and UTC midnight, changes in the same second, several in
one and the same instant, whose order only the recorder's row ids keep), time
zones (Home Assistant's is US/Pacific, the server's UTC+14) and rows that are not
changes (attributes only, the same state written again), next to an automation's
changes (known by the context its run shares with them) and an entity's trip to
`unavailable`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    RecorderInstanceGenerator,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.ha_ai.const import CONF_HISTORY_DAYS, DEFAULT_OPTIONS
from custom_components.ha_ai.engine.habits.model import Origin

from .conftest import published
from .postgresql import SKIP_HINT, PostgreSQL, driver_missing, find_bindir

TIME_ZONE = "US/Pacific"
LOCAL = ZoneInfo(TIME_ZONE)
DAYS = 21
FIRST_DAY = datetime(2026, 1, 5, tzinfo=LOCAL)  # winter: UTC-8 all along
END = FIRST_DAY + timedelta(days=DAYS, hours=12)
# HA AI reads the last two weeks: the back-fill starts within the history, so the
# states from before it are read too (each entity's last one).
HISTORY_DAYS = 14
BACKFILL_START = END - timedelta(days=HISTORY_DAYS)
# When each routine of the household below is kept, local time.
ROUTINES = {
    ("light.bedroom", "on"): "06:55",
    ("light.bedroom", "off"): "07:40",
    ("switch.kettle", "on"): "15:59",
    ("switch.kettle", "off"): "16:03",
    ("light.hall", "on"): "19:30",
    ("light.hall", "off"): "23:58",
}


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgreSQL]:
    """Start one PostgreSQL server for the whole run; skip where there is none."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(f"PostgreSQL is not installed; {SKIP_HINT}")
    if driver_missing():
        pytest.skip("psycopg2 is not installed; requirements_test.txt installs it")
    server = PostgreSQL(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def recorder_db_url(
    request: pytest.FixtureRequest, hass_fixture_setup: list[bool]
) -> Generator[str]:
    """Give the recorder SQLite, or a new database on the PostgreSQL server."""
    assert not hass_fixture_setup  # the database comes before Home Assistant
    if request.param == "sqlite":
        yield "sqlite://"
        return
    request.getfixturevalue("socket_enabled")  # a free port for the server
    server: PostgreSQL = request.getfixturevalue("postgresql_server")
    with server.database() as url:
        yield url


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Learn from the last two weeks."""
    return {**DEFAULT_OPTIONS, CONF_HISTORY_DAYS: HISTORY_DAYS}


@pytest.fixture(autouse=True)
async def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceGenerator,
) -> None:
    """Set the recorder up before Home Assistant, as the recorder tests do."""


@dataclass(frozen=True)
class Write:
    """One state written to Home Assistant, as a device or a person makes it."""

    when: datetime
    entity_id: str
    state: str
    attributes: dict[str, Any] = field(default_factory=dict)
    automation: str | None = None  # the run of this automation made it


def household() -> list[Write]:
    """Return three weeks of one household's writes, in the order they happen.

    Writes at the same instant keep their order here and in Home Assistant.
    """
    draw = random.Random(17)  # noqa: S311 - a fixed, repeatable history
    writes: list[Write] = []

    def jitter(minutes: int) -> timedelta:
        return timedelta(seconds=draw.randint(-minutes * 60, minutes * 60))

    start = FIRST_DAY - timedelta(hours=12)
    writes += [
        Write(start, entity, "off")
        for entity in (
            "light.bedroom",
            "light.hall",
            "light.kitchen",
            "switch.coffee",
            "switch.kettle",
            "light.porch",
            "binary_sensor.door",
        )
    ]
    for day in range(DAYS):
        midnight = FIRST_DAY + timedelta(days=day)
        # Up at seven; the bedroom light is on, and off again, each morning.
        on = midnight + timedelta(hours=6, minutes=55) + jitter(6)
        writes.append(Write(on, "light.bedroom", "on", {"brightness": 80}))
        # The same state written again, attributes alone changing: not changes.
        writes.append(
            Write(on + timedelta(minutes=3), "light.bedroom", "on", {"brightness": 200})
        )
        writes.append(
            Write(on + timedelta(minutes=4), "light.bedroom", "on", {"brightness": 200})
        )
        writes.append(
            Write(
                midnight + timedelta(hours=7, minutes=40) + jitter(5),
                "light.bedroom",
                "off",
            )
        )
        # Coffee follows the kitchen light at any hour of the morning, a little
        # later; on some days in the same instant, or a millisecond before or
        # after the light's next second: changes in the same whole second are
        # one action (a group, a scene), not coffee following.
        kitchen = midnight + timedelta(
            hours=5,
            seconds=draw.randint(0, 6 * 3600),
            microseconds=draw.randint(0, 899_999),
        )
        next_second = timedelta(microseconds=1_000_000 - kitchen.microsecond)
        delay = (
            timedelta(0),
            next_second + timedelta(milliseconds=1 if day % 8 == 5 else -1),
            timedelta(seconds=draw.randint(20, 90)),
            timedelta(seconds=draw.randint(20, 90)),
        )[day % 4]
        writes.append(Write(kitchen, "light.kitchen", "on", {"brightness": 120}))
        writes.append(Write(kitchen + delay, "switch.coffee", "on"))
        writes.append(
            Write(
                kitchen + timedelta(minutes=2),
                "light.kitchen",
                "on",
                {"brightness": 255},
            )
        )
        done = kitchen + timedelta(minutes=draw.randint(20, 40))
        writes.append(Write(done, "switch.coffee", "off"))
        writes.append(Write(done, "light.kitchen", "off"))
        # Tea at four: the minutes either side of UTC midnight (16:00 local).
        tea = midnight + timedelta(hours=15, minutes=59) + jitter(3)
        writes.append(Write(tea, "switch.kettle", "on"))
        writes.append(Write(tea + timedelta(minutes=4), "switch.kettle", "off"))
        # The door sensor reports opened and closed in one instant, three times
        # a day at any time: read in another order, the door would stay open.
        for _ in range(3):
            moment = midnight + timedelta(seconds=draw.randint(8 * 3600, 20 * 3600))
            writes.append(Write(moment, "binary_sensor.door", "on"))
            writes.append(Write(moment, "binary_sensor.door", "off"))
        # The porch light is an automation's, at five and at eleven.
        writes.append(
            Write(
                midnight + timedelta(hours=17), "light.porch", "on", automation="porch"
            )
        )
        writes.append(
            Write(
                midnight + timedelta(hours=23), "light.porch", "off", automation="porch"
            )
        )
        # The hall light goes off a few minutes either side of local midnight.
        writes.append(
            Write(
                midnight + timedelta(hours=19, minutes=30) + jitter(4),
                "light.hall",
                "on",
            )
        )
        writes.append(
            Write(
                midnight + timedelta(days=1, minutes=-2) + jitter(5),
                "light.hall",
                "off",
            )
        )
        if day == 10:  # the kettle's plug drops off the network for a while
            writes.append(
                Write(midnight + timedelta(hours=3), "switch.kettle", "unavailable")
            )
            writes.append(Write(midnight + timedelta(hours=4), "switch.kettle", "off"))
    # The door's last report before the back-fill's first day: still closed.
    moment = BACKFILL_START - timedelta(minutes=1)
    writes.append(Write(moment, "binary_sensor.door", "on"))
    writes.append(Write(moment, "binary_sensor.door", "off"))
    return sorted(writes, key=lambda write: write.when)  # stable: instants keep order


def expected_rows(writes: list[Write]) -> list[tuple[int, str, str, Origin]]:
    """Return the changes the habit log must hold, each with who made it."""
    previous: dict[str, str] = {}
    rows = []
    for write in writes:
        old = previous.get(write.entity_id)
        previous[write.entity_id] = write.state
        if old == write.state or write.when < BACKFILL_START:
            continue
        if old is None or "unavailable" in (old, write.state):
            origin = Origin.SYSTEM
        elif write.automation:
            origin = Origin.AUTOMATED
        else:
            origin = Origin.MANUAL
        rows.append((int(write.when.timestamp()), write.entity_id, write.state, origin))
    return rows


async def record(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, writes: list[Write]
) -> None:
    """Write the history into Home Assistant, each write at its time."""
    for write in writes:
        freezer.move_to(write.when)
        context = None
        if write.automation is not None:
            # A time-triggered run: its context has no parent, only its id
            # joins the run to the changes its actions make.
            context = Context()
            hass.bus.async_fire(
                "automation_triggered", {"name": write.automation}, context=context
            )
            hass.bus.async_fire(
                EVENT_CALL_SERVICE,
                {
                    "domain": "light",
                    "service": f"turn_{write.state}",
                    "service_data": {"entity_id": write.entity_id},
                },
                context=context,
            )
        hass.states.async_set(
            write.entity_id, write.state, write.attributes, context=context
        )
    freezer.move_to(END)
    await async_wait_recording_done(hass)


async def test_both_databases_give_the_same_history_and_patterns(
    hass: HomeAssistant,
    recorder_mock: object,
    recorder_db_url: str,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    await hass.config.async_set_time_zone(TIME_ZONE)
    writes = household()
    await record(hass, freezer, writes)

    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    table = await config_entry.runtime_data.habit_log.async_read()
    rows = [
        (int(when), table.entity_ids[entity], table.states[state], Origin(origin))
        for when, entity, state, origin in zip(
            table.when, table.entity, table.state, table.origin, strict=True
        )
    ]
    assert rows == expected_rows(writes)

    patterns = sorted(
        (
            {
                key: value
                for key, value in payload.items()
                if key not in {"event_id", "timestamp", "expires_at"}
            }
            for _, payload, _, _ in published(mqtt_mock, "ha-ai/events/pattern/")
        ),
        key=lambda pattern: pattern["pattern_id"],
    )
    # The household's habits, each at about its time: the kettle's across UTC
    # midnight, the hall light's across local midnight. Not the porch light
    # (the automation's) nor the door (at any time).
    found = {
        (pattern["pattern_type"], *pattern["entities"], pattern["state"]): pattern
        for pattern in patterns
    }
    assert set(found) == {
        ("time_of_day", "light.bedroom", "on"),
        ("time_of_day", "light.bedroom", "off"),
        ("time_of_day", "switch.kettle", "on"),
        ("time_of_day", "switch.kettle", "off"),
        ("time_of_day", "light.hall", "on"),
        ("time_of_day", "light.hall", "off"),
        ("used_together", "light.kitchen", "switch.coffee", "on"),
    }
    for (kind, entity_id, *_, state), pattern in found.items():
        assert pattern["level"] == "established"
        assert not pattern["automated"]
        if kind == "time_of_day":
            assert pattern["day_class"] == "daily"
            assert minutes_apart(pattern["time"], ROUTINES[entity_id, state]) <= 5
    pair = found["used_together", "light.kitchen", "switch.coffee", "on"]
    assert pair["count"] == coffee_a_second_later(writes) == 7
    assert hass.states.get("sensor.ha_ai_patterns_detected").state == "7"

    # Every field of every pattern, against the one snapshot per database: the
    # two entries of the snapshot file are the same, so are the databases'.
    assert patterns == snapshot.use_extension(HomeAssistantSnapshotExtension)


def coffee_a_second_later(writes: list[Write]) -> int:
    """Return on how many days the coffee went on in a later second than the light.

    The history makes that 7 of the 13 mornings read: 6 with the coffee a little
    later, and 1 with it a millisecond into the light's next second.
    """
    switched_on = [
        write
        for write in writes
        if write.state == "on"
        and write.entity_id in {"light.kitchen", "switch.coffee"}
        and write.when >= BACKFILL_START
    ]
    return sum(
        int(coffee.when.timestamp()) > int(light.when.timestamp())
        for light, coffee in itertools.pairwise(switched_on)
        if light.entity_id == "light.kitchen" and coffee.entity_id == "switch.coffee"
    )


def minutes_apart(first: str, second: str) -> int:
    """Return the minutes between two local times (HH:MM), across midnight too."""
    difference = abs(
        (int(first[:2]) * 60 + int(first[3:]))
        - (int(second[:2]) * 60 + int(second[3:]))
    )
    return min(difference, 24 * 60 - difference)
