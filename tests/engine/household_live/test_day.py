"""A day of the household followed live: morning, day, evening, bedtime, night."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    Origin,
    PatternLevel,
)
from custom_components.ha_ai.engine.household.live import (
    HouseholdFollower,
    Moment,
    moment_fields,
    routine_windows,
)
from custom_components.ha_ai.engine.household.model import (
    EntityRole,
    HouseholdRoutines,
    HouseholdState,
    MomentKind,
)

from .routines import (
    BEDTIME,
    FALL_BACK,
    HOUSEHOLD,
    LATE_BEDTIME,
    MORNING,
    SATURDAY,
    SPRING_FORWARD,
    TUESDAY,
    ZONE,
    at,
)


def follower(
    routines: HouseholdRoutines = HOUSEHOLD, *, forming: bool = False
) -> HouseholdFollower:
    return HouseholdFollower(routines, ZONE, announce_forming=forming)


def manual(
    watcher: HouseholdFollower,
    when: datetime,
    entity_id: str,
    state: str,
    role: EntityRole | None = None,
) -> list[Moment]:
    return watcher.observe(when, entity_id, state, Origin.MANUAL, role)


def evening_and_night(watcher: HouseholdFollower, day: date) -> list[Moment]:
    """Watch the evening of `day` from 18:00, bedtime at 23:00 and the night."""
    watcher.tick(at(day, 18))
    moments = manual(watcher, at(day, 20), "light.living", "on")
    moments += manual(watcher, at(day, 23), "media_player.tv", "off")
    moments += manual(watcher, at(day, 23, 2), "light.living", "off")
    return moments


def test_a_weekday_announces_its_morning_and_bedtime_once_each() -> None:
    watcher = follower()
    moments = evening_and_night(watcher, TUESDAY - timedelta(days=1))
    assert [moment.kind for moment in moments] == [MomentKind.BEDTIME]
    assert watcher.state(at(TUESDAY, 23, 10, days=-1)) is HouseholdState.BEDTIME
    assert watcher.state(at(TUESDAY, 1)) is HouseholdState.NIGHT

    # Motion in the hall just before: the morning still starts with its action.
    assert (
        manual(
            watcher, at(TUESDAY, 6, 40), "binary_sensor.hall", "on", EntityRole.MOTION
        )
        == []
    )
    [morning] = manual(watcher, at(TUESDAY, 6, 42), "light.bedroom", "on")
    assert morning.kind is MomentKind.MORNING_ROUTINE
    assert morning.routine_id == "morning_weekdays"
    assert morning.at == at(TUESDAY, 6, 42)
    assert morning.started_by == ("light.bedroom", "on")
    assert [step.entity_id for step in morning.follows] == [
        "light.kitchen",
        "switch.coffee",
    ]
    assert morning.day_class is DayClass.WEEKDAYS
    assert watcher.state(at(TUESDAY, 6, 50)) is HouseholdState.MORNING
    # Its other usual actions, and the starter again, announce nothing more.
    assert manual(watcher, at(TUESDAY, 6, 47), "light.kitchen", "on") == []
    assert manual(watcher, at(TUESDAY, 7, 0), "light.bedroom", "off") == []
    assert manual(watcher, at(TUESDAY, 7, 1), "light.bedroom", "on") == []
    # The morning lasts until its last step's typical delay.
    assert watcher.state(at(TUESDAY, 6, 53)) is HouseholdState.DAY
    assert watcher.state(at(TUESDAY, 12)) is HouseholdState.DAY
    assert watcher.state(at(TUESDAY, 20)) is HouseholdState.EVENING
    assert watcher.state(at(TUESDAY, 23, 10)) is HouseholdState.EVENING

    [bedtime] = manual(watcher, at(TUESDAY, 23, 5), "light.living", "off")
    assert bedtime.kind is MomentKind.BEDTIME
    assert bedtime.started_by == ("light.living", "off")
    assert [step.entity_id for step in bedtime.follows] == [
        "media_player.tv",
        "lock.front",
    ]
    assert manual(watcher, at(TUESDAY, 23, 8), "media_player.tv", "off") == []
    assert watcher.state(at(TUESDAY, 23, 20)) is HouseholdState.BEDTIME
    assert watcher.state(at(TUESDAY, 23, 40)) is HouseholdState.NIGHT
    # A bathroom visit at 03:00 does not wake the household up.
    assert manual(watcher, at(TUESDAY, 3, days=1), "light.bath", "on") == []
    assert watcher.state(at(TUESDAY, 3, 5, days=1)) is HouseholdState.NIGHT


def test_nothing_outside_the_window_or_without_the_nights_quiet() -> None:
    watcher = follower()
    watcher.tick(at(TUESDAY, 0))
    assert manual(watcher, at(TUESDAY, 6), "light.bedroom", "on") == []
    assert manual(watcher, at(TUESDAY, 6, 30), "light.hall", "on") == []
    # An unusual action inside the window is not the morning either.
    assert manual(watcher, at(TUESDAY, 6, 40), "light.hall", "off") == []

    # A night without quiet: activity every half hour, no morning.
    restless = follower()
    restless.tick(at(TUESDAY, 0))
    for minutes in range(0, 6 * 60 + 31, 30):
        when = at(TUESDAY, 0) + timedelta(minutes=minutes)
        manual(restless, when, "light.hall", "on")
    assert manual(restless, at(TUESDAY, 6, 45), "light.bedroom", "on") == []


def test_a_sleepers_stirrings_do_not_end_the_night() -> None:
    """Motion alone in the small hours keeps the quiet, as learning sees nights."""
    watcher = follower()
    evening_and_night(watcher, TUESDAY - timedelta(days=1))
    # Up for the bathroom every 50 minutes, motion only: still the night.
    for minutes in range(60, 6 * 60 + 11, 50):
        when = at(TUESDAY, 0) + timedelta(minutes=minutes)
        assert manual(watcher, when, "binary_sensor.bed", "on", EntityRole.MOTION) == []
    [morning] = manual(watcher, at(TUESDAY, 6, 42), "light.bedroom", "on")
    assert morning.kind is MomentKind.MORNING_ROUTINE

    # A light in the small hours is someone up: no morning in the window then.
    awake = follower()
    evening_and_night(awake, TUESDAY - timedelta(days=1))
    for minutes in range(60, 6 * 60 + 11, 50):
        manual(awake, at(TUESDAY, 0) + timedelta(minutes=minutes), "light.hall", "on")
    assert manual(awake, at(TUESDAY, 6, 42), "light.bedroom", "on") == []


def test_a_weekend_without_a_morning_routine_announces_none() -> None:
    watcher = follower()
    watcher.tick(at(SATURDAY, 0))
    assert manual(watcher, at(SATURDAY, 6, 45), "light.bedroom", "on") == []
    # Its state is still known by the clock and the daily bedtime.
    assert watcher.state(at(SATURDAY, 12)) is HouseholdState.DAY
    assert watcher.state(at(SATURDAY, 3)) is HouseholdState.NIGHT
    assert watcher.state(at(SATURDAY, 9)) is HouseholdState.DAY


def test_a_forming_routine_is_silent_unless_asked_for() -> None:
    forming = HouseholdRoutines(
        routines=(replace(MORNING, level=PatternLevel.FORMING),)
    )
    for asked, expected in ((False, []), (True, [MomentKind.MORNING_ROUTINE])):
        watcher = follower(forming, forming=asked)
        watcher.tick(at(TUESDAY, 0))
        moments = manual(watcher, at(TUESDAY, 6, 45), "light.bedroom", "on")
        assert [moment.kind for moment in moments] == expected
        # Announced or not, the household's morning has begun.
        assert watcher.state(at(TUESDAY, 6, 46)) is HouseholdState.MORNING


def test_automated_and_system_changes_are_not_the_household() -> None:
    watcher = follower()
    watcher.tick(at(TUESDAY, 0))
    when = at(TUESDAY, 6, 45)
    for origin in (Origin.AUTOMATED, Origin.SYSTEM):
        assert watcher.observe(when, "light.bedroom", "on", origin, None) == []
    for state in ("unavailable", "unknown", ""):
        assert manual(watcher, when, "light.bedroom", state) == []
    assert manual(watcher, when, "binary_sensor.hall", "off", EntityRole.MOTION) == []
    [morning] = manual(watcher, when, "light.bedroom", "on")
    assert morning.kind is MomentKind.MORNING_ROUTINE


def test_a_bedtime_past_midnight_belongs_to_its_evening() -> None:
    weekdays_bedtime = replace(LATE_BEDTIME, day_class=DayClass.WEEKDAYS)
    watcher = follower(HouseholdRoutines(routines=(weekdays_bedtime,)))
    # Friday night, 00:10 on Saturday: Friday's bedtime.
    friday = SATURDAY - timedelta(days=1)
    watcher.tick(at(friday, 18))
    [bedtime] = manual(watcher, at(SATURDAY, 0, 10), "media_player.tv", "off")
    assert bedtime.at == at(SATURDAY, 0, 10)
    assert watcher.state(at(SATURDAY, 0, 20)) is HouseholdState.BEDTIME
    assert watcher.state(at(SATURDAY, 1)) is HouseholdState.NIGHT
    # Saturday night is a weekend evening: no weekday bedtime.
    assert manual(watcher, at(SATURDAY, 23, 50), "media_player.tv", "off") == []
    assert watcher.state(at(SATURDAY, 22)) is HouseholdState.DAY
    # Without a morning routine the night lasts the learned quiet.
    assert watcher.state(at(SATURDAY, 8)) is HouseholdState.DAY


def test_daylight_saving_days_keep_the_wall_clock() -> None:
    daily_morning = replace(MORNING, day_class=DayClass.DAILY)
    routines = HouseholdRoutines(routines=(daily_morning, BEDTIME))
    for sunday in (SPRING_FORWARD, FALL_BACK):
        watcher = follower(routines)
        evening_and_night(watcher, sunday - timedelta(days=1))
        assert watcher.state(at(sunday, 2, 30)) is HouseholdState.NIGHT
        assert manual(watcher, at(sunday, 6, 25), "light.bedroom", "on") == []
        [morning] = manual(watcher, at(sunday, 6, 35), "light.bedroom", "on")
        assert morning.at.astimezone(ZONE).hour == 6
        assert watcher.state(at(sunday, 6, 40)) is HouseholdState.MORNING
        assert watcher.state(at(sunday, 19, 45)) is HouseholdState.EVENING


def test_the_state_is_unknown_without_routines() -> None:
    assert follower(HouseholdRoutines()).state(at(TUESDAY, 12)) is None
    only_away = HouseholdRoutines(away=HOUSEHOLD.away)
    assert follower(only_away).state(at(TUESDAY, 12)) is HouseholdState.DAY


def test_a_morning_without_steps_lasts_its_window() -> None:
    bare = replace(MORNING, steps=())
    watcher = follower(HouseholdRoutines(routines=(bare,)))
    watcher.tick(at(TUESDAY, 0))
    [morning] = manual(watcher, at(TUESDAY, 6, 35), "light.bedroom", "on")
    assert morning.follows == ()
    assert watcher.state(at(TUESDAY, 7, 10)) is HouseholdState.MORNING
    assert watcher.state(at(TUESDAY, 7, 20)) is HouseholdState.DAY
    # Routines learned anew without it: its morning is over.
    watcher.use_routines(HouseholdRoutines(routines=(BEDTIME,)))
    assert watcher.state(at(TUESDAY, 7, 10)) is HouseholdState.DAY


def test_a_bedtime_learned_anew_keeps_its_night() -> None:
    watcher = follower()
    evening_and_night(watcher, TUESDAY)
    watcher.use_routines(
        HouseholdRoutines(routines=(replace(BEDTIME, routine_id="x"),))
    )
    # The bedtime it began with is gone: its night lasts no learned quiet.
    assert watcher.state(at(TUESDAY, 23, 40)) is HouseholdState.NIGHT
    assert watcher.state(at(TUESDAY, 5, days=1)) is HouseholdState.NIGHT


def test_moment_fields_and_windows_are_plain_json() -> None:
    watcher = follower()
    watcher.tick(at(TUESDAY, 0))
    [morning] = manual(watcher, at(TUESDAY, 6, 45), "light.bedroom", "on")
    fields = moment_fields(morning)
    assert fields == {
        "routine_id": "morning_weekdays",
        "kind": "morning_routine",
        "at": at(TUESDAY, 6, 45).isoformat(),
        "started_by": {"entity_id": "light.bedroom", "state": "on"},
        "follows": [
            {
                "entity_id": "light.kitchen",
                "state": "on",
                "typical_delay_seconds": 300,
                "share": 0.8,
            },
            {
                "entity_id": "switch.coffee",
                "state": "on",
                "typical_delay_seconds": 600,
                "share": 0.7,
            },
        ],
        "level": "established",
        "confidence": 0.72,
        "day_class": "weekdays",
        "window": {"start": "06:30", "end": "07:15"},
        "away_source": None,
    }
    assert routine_windows(HOUSEHOLD) == {
        "morning": {
            "weekdays": {
                "typical_start": "06:45",
                "window_start": "06:30",
                "window_end": "07:15",
                "level": "established",
                "confidence": 0.72,
            }
        },
        "bedtime": {
            "daily": {
                "typical_start": "23:00",
                "window_start": "22:40",
                "window_end": "23:30",
                "level": "established",
                "confidence": 0.75,
            }
        },
        "away_source": "presence",
    }
    assert routine_windows(HouseholdRoutines())["away_source"] is None


def test_a_night_workers_morning_may_wrap_past_midnight() -> None:
    late = replace(
        MORNING, day_class=DayClass.DAILY, window_start=23 * 60 + 30, window_end=30
    )
    watcher = follower(HouseholdRoutines(routines=(late,)))
    watcher.tick(at(TUESDAY, 12))
    [morning] = manual(watcher, at(TUESDAY, 0, 10, days=1), "light.bedroom", "on")
    assert morning.window == (23 * 60 + 30, 30)
