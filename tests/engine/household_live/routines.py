"""Household routines built by hand, as an analysis would have learned them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from custom_components.ha_ai.engine.habits.model import DayClass, PatternLevel
from custom_components.ha_ai.engine.household.model import (
    AwayRoutine,
    AwaySource,
    HouseholdRoutine,
    HouseholdRoutines,
    RoutineKind,
    RoutineStep,
)

ZONE = ZoneInfo("Europe/Berlin")
# A Tuesday; the Saturday after it; the last Sunday of March 2025 (clocks go
# forward at 02:00) and of October 2025 (back at 03:00).
TUESDAY = date(2025, 6, 3)
SATURDAY = date(2025, 6, 7)
SPRING_FORWARD = date(2025, 3, 30)
FALL_BACK = date(2025, 10, 26)

MORNING = HouseholdRoutine(
    routine_id="morning_weekdays",
    kind=RoutineKind.MORNING,
    day_class=DayClass.WEEKDAYS,
    typical_start=6 * 60 + 45,
    window_start=6 * 60 + 30,
    window_end=7 * 60 + 15,
    starters=(("light.bedroom", "on"),),
    steps=(
        RoutineStep(
            entity_id="light.bedroom", state="on", typical_delay_seconds=0, share=0.9
        ),
        RoutineStep(
            entity_id="light.kitchen", state="on", typical_delay_seconds=300, share=0.8
        ),
        RoutineStep(
            entity_id="switch.coffee", state="on", typical_delay_seconds=600, share=0.7
        ),
    ),
    support_days=18,
    observed_days=20,
    confidence=0.72,
    level=PatternLevel.ESTABLISHED,
    quiet_minutes=7 * 60,
)
BEDTIME = HouseholdRoutine(
    routine_id="bedtime_daily",
    kind=RoutineKind.BEDTIME,
    day_class=DayClass.DAILY,
    typical_start=23 * 60,
    window_start=22 * 60 + 40,
    window_end=23 * 60 + 30,
    starters=(("media_player.tv", "off"),),
    steps=(
        RoutineStep(
            entity_id="media_player.tv", state="off", typical_delay_seconds=0, share=1.0
        ),
        RoutineStep(
            entity_id="light.living", state="off", typical_delay_seconds=120, share=0.9
        ),
        RoutineStep(
            entity_id="lock.front", state="locked", typical_delay_seconds=240, share=0.6
        ),
    ),
    support_days=25,
    observed_days=28,
    confidence=0.75,
    level=PatternLevel.ESTABLISHED,
    quiet_minutes=7 * 60,
)
# A bedtime past midnight: from 23:40 to 00:30.
LATE_BEDTIME = replace(
    BEDTIME, typical_start=0, window_start=23 * 60 + 40, window_end=30
)
PRESENCE_AWAY = AwayRoutine(
    source=AwaySource.PRESENCE,
    presence_entities=("person.anna", "person.ben"),
    occurrences=20,
    observed_days=28,
    typical_duration_minutes=540,
    confidence=0.6,
    level=PatternLevel.ESTABLISHED,
)
LEARNED_AWAY = AwayRoutine(
    source=AwaySource.LEARNED,
    leaving=(("binary_sensor.front_door", "on"), ("lock.front", "locked")),
    quiet_minutes=45,
    coming_back=(("binary_sensor.front_door", "on"),),
    occurrences=15,
    observed_days=28,
    typical_duration_minutes=480,
    confidence=0.5,
    level=PatternLevel.ESTABLISHED,
)
HOUSEHOLD = HouseholdRoutines(routines=(MORNING, BEDTIME), away=PRESENCE_AWAY)


def at(day: date, hour: int, minute: int = 0, *, days: int = 0) -> datetime:
    """Return a local wall-clock time, `days` after `day`."""
    return datetime.combine(day + timedelta(days=days), time(hour, minute), ZONE)
