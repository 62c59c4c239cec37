"""The house empty and back, and what a restart keeps of the household's day."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from custom_components.ha_ai.engine.habits.model import Origin, PatternLevel
from custom_components.ha_ai.engine.household.live import HouseholdFollower
from custom_components.ha_ai.engine.household.model import (
    AwaySource,
    EntityRole,
    HouseholdRoutines,
    HouseholdState,
    MomentKind,
)

from .routines import (
    BEDTIME,
    HOUSEHOLD,
    LEARNED_AWAY,
    MORNING,
    PRESENCE_AWAY,
    TUESDAY,
    ZONE,
    at,
)

PRESENCE = EntityRole.PRESENCE
DOOR = EntityRole.DOOR
LOCK = EntityRole.LOCK


def kinds(moments: list[Any]) -> list[MomentKind]:
    return [moment.kind for moment in moments]


def test_everyone_away_then_the_first_back() -> None:
    watcher = HouseholdFollower(HOUSEHOLD, ZONE, announce_forming=False)
    seen = watcher.observe
    assert (
        seen(at(TUESDAY, 8), "person.anna", "not_home", Origin.SYSTEM, PRESENCE) == []
    )
    # Someone not of the household changes nothing; Ben is still home.
    assert seen(at(TUESDAY, 8), "person.guest", "work", Origin.MANUAL, PRESENCE) == []
    assert seen(at(TUESDAY, 8), "person.ben", "home", Origin.MANUAL, PRESENCE) == []
    assert seen(at(TUESDAY, 8), "person.ben", "unknown", Origin.MANUAL, PRESENCE) == []
    [away] = seen(at(TUESDAY, 8, 5), "person.ben", "work", Origin.MANUAL, PRESENCE)
    assert away.kind is MomentKind.AWAY
    assert away.source is AwaySource.PRESENCE
    assert away.started_by == ("person.ben", "work")
    assert away.at == at(TUESDAY, 8, 5)
    assert watcher.state(at(TUESDAY, 12)) is HouseholdState.AWAY
    # An automation's light while away is no one coming home.
    assert (
        watcher.observe(at(TUESDAY, 12), "light.hall", "on", Origin.AUTOMATED, None)
        == []
    )
    # Nor is a manual change a morning while the house is empty.
    assert seen(at(TUESDAY, 12), "light.bedroom", "on", Origin.MANUAL, None) == []
    assert seen(at(TUESDAY, 13), "person.anna", "shop", Origin.MANUAL, PRESENCE) == []
    [back] = seen(at(TUESDAY, 17), "person.anna", "home", Origin.MANUAL, PRESENCE)
    assert back.kind is MomentKind.BACK_HOME
    assert back.started_by == ("person.anna", "home")
    assert seen(at(TUESDAY, 18), "person.ben", "home", Origin.MANUAL, PRESENCE) == []
    assert watcher.state(at(TUESDAY, 20)) is HouseholdState.EVENING


def test_presence_without_listed_entities_follows_every_one_seen() -> None:
    routines = HouseholdRoutines(away=replace(PRESENCE_AWAY, presence_entities=()))
    watcher = HouseholdFollower(routines, ZONE, announce_forming=False)
    seen = watcher.observe
    assert (
        seen(at(TUESDAY, 8), "device_tracker.phone", "home", Origin.MANUAL, PRESENCE)
        == []
    )
    [away] = seen(
        at(TUESDAY, 9), "device_tracker.phone", "not_home", Origin.MANUAL, PRESENCE
    )
    assert away.kind is MomentKind.AWAY
    # Again away: nothing new.
    assert (
        seen(
            at(TUESDAY, 9), "device_tracker.phone", "not_home", Origin.MANUAL, PRESENCE
        )
        == []
    )


def test_presence_changes_without_a_presence_routine_say_nothing() -> None:
    for away in (None, LEARNED_AWAY):
        watcher = HouseholdFollower(
            HouseholdRoutines(away=away), ZONE, announce_forming=False
        )
        assert (
            watcher.observe(
                at(TUESDAY, 9), "person.anna", "not_home", Origin.MANUAL, PRESENCE
            )
            == []
        )


def test_learned_away_after_the_silence_and_back_with_the_next_activity() -> None:
    routines = HouseholdRoutines(routines=(MORNING, BEDTIME), away=LEARNED_AWAY)
    watcher = HouseholdFollower(routines, ZONE, announce_forming=False)
    watcher.tick(at(TUESDAY, 7))
    manual = Origin.MANUAL
    # Leaving, then someone turns a light off: still home.
    assert (
        watcher.observe(at(TUESDAY, 8), "binary_sensor.front_door", "on", manual, DOOR)
        == []
    )
    assert watcher.observe(at(TUESDAY, 8, 5), "light.hall", "off", manual, None) == []
    assert watcher.tick(at(TUESDAY, 9)) == []
    # Leaving for real: the door, closing it, locking it; motion stops.
    assert (
        watcher.observe(at(TUESDAY, 9), "binary_sensor.front_door", "on", manual, DOOR)
        == []
    )
    assert (
        watcher.observe(at(TUESDAY, 9), "binary_sensor.front_door", "off", manual, DOOR)
        == []
    )
    assert (
        watcher.observe(at(TUESDAY, 9, 1), "lock.front", "locked", manual, LOCK) == []
    )
    assert (
        watcher.observe(
            at(TUESDAY, 9, 2), "binary_sensor.hall", "off", manual, EntityRole.MOTION
        )
        == []
    )
    assert watcher.tick(at(TUESDAY, 9, 30)) == []
    assert watcher.state(at(TUESDAY, 9, 30)) is HouseholdState.DAY
    [away] = watcher.tick(at(TUESDAY, 9, 46))
    assert away.kind is MomentKind.AWAY
    assert away.source is AwaySource.LEARNED
    assert away.at == at(TUESDAY, 9, 1)  # when they left
    assert away.started_by == ("lock.front", "locked")
    assert watcher.tick(at(TUESDAY, 10)) == []
    assert watcher.state(at(TUESDAY, 12)) is HouseholdState.AWAY
    [back] = watcher.observe(
        at(TUESDAY, 17), "binary_sensor.front_door", "on", manual, DOOR
    )
    assert back.kind is MomentKind.BACK_HOME
    assert back.at == at(TUESDAY, 17)
    assert watcher.observe(at(TUESDAY, 17, 1), "light.hall", "on", manual, None) == []


def test_a_forming_away_routine_is_silent_unless_asked_for() -> None:
    forming = HouseholdRoutines(away=replace(PRESENCE_AWAY, level=PatternLevel.FORMING))
    quiet = HouseholdFollower(forming, ZONE, announce_forming=False)
    for person in ("person.anna", "person.ben"):
        assert (
            quiet.observe(at(TUESDAY, 9), person, "not_home", Origin.MANUAL, PRESENCE)
            == []
        )
    assert quiet.state(at(TUESDAY, 9)) is HouseholdState.AWAY
    asked = HouseholdFollower(forming, ZONE, announce_forming=True)
    asked.observe(at(TUESDAY, 9), "person.anna", "not_home", Origin.MANUAL, PRESENCE)
    moments = asked.observe(
        at(TUESDAY, 9), "person.ben", "not_home", Origin.MANUAL, PRESENCE
    )
    assert kinds(moments) == [MomentKind.AWAY]


def test_a_restart_mid_morning_announces_nothing_again() -> None:
    watcher = HouseholdFollower(HOUSEHOLD, ZONE, announce_forming=False)
    watcher.tick(at(TUESDAY, 0))
    assert kinds(
        watcher.observe(at(TUESDAY, 6, 45), "light.bedroom", "on", Origin.MANUAL, None)
    ) == [MomentKind.MORNING_ROUTINE]
    memory = json.loads(json.dumps(watcher.memory()))

    restarted = HouseholdFollower(
        HOUSEHOLD, ZONE, announce_forming=False, memory=memory
    )
    restarted.tick(at(TUESDAY, 6, 50))
    assert restarted.state(at(TUESDAY, 6, 50)) is HouseholdState.MORNING
    assert (
        restarted.observe(
            at(TUESDAY, 6, 51), "light.bedroom", "on", Origin.MANUAL, None
        )
        == []
    )
    assert restarted.memory() == {
        **memory,
        "last_activity": at(TUESDAY, 6, 51).isoformat(),
    }
    # Without the memory, the restart has not seen the night: no morning either.
    forgetful = HouseholdFollower(HOUSEHOLD, ZONE, announce_forming=False)
    forgetful.tick(at(TUESDAY, 6, 50))
    assert (
        forgetful.observe(
            at(TUESDAY, 6, 51), "light.bedroom", "on", Origin.MANUAL, None
        )
        == []
    )


def test_a_restart_keeps_the_bedtime_and_the_absence() -> None:
    routines = HouseholdRoutines(routines=(MORNING, BEDTIME), away=LEARNED_AWAY)
    watcher = HouseholdFollower(routines, ZONE, announce_forming=False)
    watcher.tick(at(TUESDAY, 22))
    watcher.observe(at(TUESDAY, 23), "media_player.tv", "off", Origin.MANUAL, None)
    watcher.observe(at(TUESDAY, 23, 10), "lock.front", "locked", Origin.MANUAL, LOCK)
    memory = json.loads(json.dumps(watcher.memory()))
    restarted = HouseholdFollower(routines, ZONE, announce_forming=False, memory=memory)
    assert restarted.state(at(TUESDAY, 23, 15)) is HouseholdState.BEDTIME
    twice = HouseholdFollower(routines, ZONE, announce_forming=False, memory=memory)
    tv_off = (at(TUESDAY, 23, 16), "media_player.tv", "off", Origin.MANUAL, None)
    assert twice.observe(*tv_off) == []
    # The leaving it heard is still waiting for its silence.
    [away] = restarted.tick(at(TUESDAY, 23, 56))
    assert away.at == at(TUESDAY, 23, 10)
    again = HouseholdFollower(
        routines, ZONE, announce_forming=False, memory=restarted.memory()
    )
    assert again.state(at(TUESDAY, 1, days=1)) is HouseholdState.AWAY
    assert again.tick(at(TUESDAY, 1, days=1)) == []


@pytest.mark.parametrize(
    "memory",
    [
        {},
        {"occurrences": "x", "silences": "x", "away": "x"},
        {
            "occurrences": {
                "morning": {
                    "day": "nope",
                    "at": "2025-06-03T06:45:00+02:00",
                    "routine_id": "m",
                },
                "bedtime": {
                    "day": "2025-06-03",
                    "at": "2025-06-03T23:00:00",
                    "routine_id": "b",
                },
            },
            "last_activity": "x" * 100,
            "silences": [["2025-06-03T00:00:00+02:00"], [1, 2], ["bad", "worse"]],
            "away": {
                "away": "yes",
                "since": 3,
                "leaving_at": None,
                "leaving_action": ["a"],
            },
        },
        {"occurrences": {"morning": 1, "bedtime": {"day": 1, "at": None}}},
    ],
)
def test_a_damaged_memory_is_left_out_piece_by_piece(memory: dict[str, Any]) -> None:
    watcher = HouseholdFollower(HOUSEHOLD, ZONE, announce_forming=False, memory=memory)
    assert watcher.memory() == {
        "version": 1,
        "occurrences": {},
        "last_activity": None,
        "silences": [],
        "away": {
            "away": False,
            "since": None,
            "leaving_at": None,
            "leaving_action": None,
        },
    }
    watcher.tick(at(TUESDAY, 0))
    moments = watcher.observe(
        at(TUESDAY, 6, 45), "light.bedroom", "on", Origin.MANUAL, None
    )
    assert kinds(moments) == [MomentKind.MORNING_ROUTINE]


def test_hostile_entity_ids_and_states_never_break_it() -> None:
    watcher = HouseholdFollower(HOUSEHOLD, ZONE, announce_forming=True)
    watcher.tick(at(TUESDAY, 0))
    for entity_id in ("", "light.#/+", "x" * 10_000, "person.\u202e"):
        for role in (None, *EntityRole):
            for state in ("on", "\x00", "home" * 500):
                watcher.observe(at(TUESDAY, 6), entity_id, state, Origin.MANUAL, role)
    assert watcher.state(at(TUESDAY, 6) + timedelta(seconds=1)) is HouseholdState.NIGHT
