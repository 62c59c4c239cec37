"""The household's nights: quiet, mornings and bedtimes on small written days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.ha_ai.engine.habits.model import ChangeTable, Origin
from custom_components.ha_ai.engine.household.model import EntityRole
from custom_components.ha_ai.engine.household.nights import find_nights

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = date(2024, 1, 8)  # a Monday
DAYS = 4
ROLES = {
    "binary_sensor.hall_motion": EntityRole.MOTION,
    "person.alex": EntityRole.PRESENCE,
}

type Row = tuple[float, str, str, Origin]  # (hours after day 0's midnight, ...)


def table_of(rows: list[Row], timezone: ZoneInfo = AMSTERDAM) -> ChangeTable:
    midnight = datetime.combine(START, datetime.min.time(), timezone)
    return ChangeTable.from_rows(
        (
            int((midnight + timedelta(hours=hours)).timestamp()),
            int(origin),
            entity_id,
            state,
        )
        for hours, entity_id, state, origin in rows
    )


def end_of(days: int = DAYS, timezone: ZoneInfo = AMSTERDAM) -> datetime:
    return datetime.combine(START + timedelta(days=days), datetime.min.time(), timezone)


def usual_days(days: int = DAYS) -> list[Row]:
    """Up at 07:00, busy until 07:20, out, back at 18:00, in bed at 23:00."""
    rows: list[Row] = []
    for day in range(days):
        base = 24.0 * day
        rows += [
            (base + 7.0, "light.bedroom", "on", Origin.MANUAL),
            (base + 7.1, "light.kitchen", "on", Origin.MANUAL),
            (base + 7.3, "light.kitchen", "off", Origin.MANUAL),
            (base + 18.0, "light.kitchen", "on", Origin.MANUAL),
            (base + 22.8, "light.kitchen", "off", Origin.MANUAL),
            (base + 23.0, "light.bedroom", "off", Origin.MANUAL),
        ]
    return rows


def day_number(offset: int) -> int:
    return (START + timedelta(days=offset) - date(1970, 1, 1)).days


def test_mornings_and_bedtimes_around_each_night() -> None:
    nights = find_nights(
        table_of(usual_days()), timezone=AMSTERDAM, end=end_of(), roles=ROLES
    )
    # The first day has no night before it; the last no morning after.
    assert sorted(nights.mornings) == [day_number(d) for d in (1, 2, 3)]
    assert sorted(nights.bedtimes) == [day_number(d) for d in (0, 1, 2)]
    morning = nights.mornings[day_number(1)]
    assert morning.minute.tolist() == [420, 426, 438]
    assert morning.quiet_minutes == 8 * 60
    bedtime = nights.bedtimes[day_number(1)]
    assert bedtime.minute.tolist() == [1368, 1380]
    # Observed: mornings after a day at home, bedtimes before one.
    assert nights.morning_days.tolist() == [day_number(d) for d in (1, 2, 3)]
    assert nights.bedtime_days.tolist() == [day_number(d) for d in (0, 1, 2)]
    # The working day's silence (07:20 to 18:00) is no night.
    assert len(nights.mornings) == DAYS - 1


def test_a_visit_to_the_bathroom_stays_inside_the_night() -> None:
    rows = usual_days()
    rows.append((24.0 + 2.5, "binary_sensor.hall_motion", "on", Origin.MANUAL))
    rows.append((24.0 + 2.52, "binary_sensor.hall_motion", "off", Origin.MANUAL))
    nights = find_nights(table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=ROLES)
    # 23:00 to 02:30 and 02:30 to 07:00 are both night silences: one night.
    assert nights.mornings[day_number(1)].minute[0] == 420
    assert nights.bedtimes[day_number(0)].minute[-1] == 1380
    assert nights.mornings[day_number(1)].quiet_minutes == 8 * 60


def test_what_is_not_a_person_does_not_break_the_night() -> None:
    rows = usual_days()
    rows += [
        (24.0 + 3.0, "light.porch", "on", Origin.AUTOMATED),
        (24.0 + 3.2, "light.bedroom", "unavailable", Origin.SYSTEM),
        (24.0 + 3.4, "binary_sensor.hall_motion", "off", Origin.MANUAL),
        (24.0 + 3.5, "binary_sensor.hall_motion", "on", Origin.SYSTEM),
        (24.0 + 3.6, "person.alex", "not_home", Origin.MANUAL),
        (24.0 + 3.7, "binary_sensor.hall_motion", "on", Origin.AUTOMATED),
    ]
    nights = find_nights(table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=ROLES)
    # Only the motion sensor's automated "on" is activity (a sensor has no
    # context to tell who moved): 23:00 to 03:42 and 03:42 to 07:00 are one night.
    assert nights.mornings[day_number(1)].minute[0] == 420
    assert nights.mornings[day_number(1)].quiet_minutes == 8 * 60


def test_an_absence_is_no_night_and_its_days_are_not_observed() -> None:
    rows = [row for row in usual_days(6) if not 36 <= row[0] < 4 * 24 + 12]
    nights = find_nights(table_of(rows), timezone=AMSTERDAM, end=end_of(6), roles=ROLES)
    assert day_number(2) not in nights.mornings
    assert day_number(4) not in nights.mornings  # back at 18:00, no morning
    assert nights.morning_days.tolist() == [day_number(d) for d in (1, 5)]
    assert nights.bedtime_days.tolist() == [day_number(d) for d in (0, 4)]


def test_changes_after_the_end_are_not_read() -> None:
    nights = find_nights(
        table_of(usual_days()), timezone=AMSTERDAM, end=end_of(2), roles=ROLES
    )
    assert sorted(nights.mornings) == [day_number(1)]
    assert nights.bedtime_days.tolist() == [day_number(0)]


def test_too_little_activity_has_no_nights() -> None:
    one = [(7.0, "light.bedroom", "on", Origin.MANUAL)]
    nights = find_nights(table_of(one), timezone=AMSTERDAM, end=end_of(), roles={})
    assert nights.mornings == {}
    assert nights.rates == {}
    empty = find_nights(ChangeTable(), timezone=UTC, end=end_of(), roles={})
    assert empty.morning_days.shape == (0,)
    # Two actions five minutes apart: no silence at all.
    two = [*one, (7.1, "light.bedroom", "off", Origin.MANUAL)]
    nights = find_nights(table_of(two), timezone=AMSTERDAM, end=end_of(), roles={})
    assert nights.mornings == {}
    assert nights.bedtimes == {}


def test_a_morning_not_over_at_the_end_is_not_judged() -> None:
    end = end_of(3) + timedelta(hours=7, minutes=10)  # day 3, mid-morning
    nights = find_nights(
        table_of(usual_days()), timezone=AMSTERDAM, end=end, roles=ROLES
    )
    assert nights.morning_days.tolist() == [day_number(d) for d in (1, 2)]
    assert nights.bedtime_days.tolist() == [day_number(d) for d in (0, 1)]


def test_a_sleeper_turning_over_does_not_end_the_night() -> None:
    rows = usual_days()
    for hours in (24.0 + 1.0, 24.0 + 1.4, 24.0 + 2.2, 24.0 + 3.7):
        rows.append((hours, "binary_sensor.hall_motion", "on", Origin.MANUAL))
    nights = find_nights(table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=ROLES)
    assert nights.mornings[day_number(1)].minute[0] == 420
    assert nights.mornings[day_number(1)].quiet_minutes == 8 * 60
    # Someone up at 04:30 moves and switches a light: that is no sleeper, and
    # what is left of the night (two and a half hours) is too short for one.
    rows += [
        (24.0 + 4.5, "binary_sensor.hall_motion", "on", Origin.MANUAL),
        (24.0 + 4.55, "light.bathroom", "on", Origin.MANUAL),
    ]
    nights = find_nights(table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=ROLES)
    assert nights.mornings[day_number(1)].minute[0] == 270
    # The sensor alone before midnight is someone still up: it is activity.
    rows = usual_days()
    rows.append((23.6, "binary_sensor.hall_motion", "on", Origin.MANUAL))
    nights = find_nights(table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=ROLES)
    assert nights.bedtimes[day_number(0)].minute[-1] == 23 * 60 + 36


SENSORS = {
    "binary_sensor.hall_motion": EntityRole.MOTION,
    "binary_sensor.bedroom_motion": EntityRole.MOTION,
    "binary_sensor.front_door": EntityRole.DOOR,
}


def trip(hours: float, *, door: bool = False, back: bool = True) -> list[Row]:
    """Someone up in the night: bedroom, hall, (the front door,) bedroom."""
    rows: list[Row] = [
        (hours, "binary_sensor.bedroom_motion", "on", Origin.MANUAL),
        (hours + 0.02, "binary_sensor.hall_motion", "on", Origin.MANUAL),
        (hours + 0.1, "binary_sensor.hall_motion", "on", Origin.MANUAL),
    ]
    if door:
        rows += [
            (hours + 0.11, "binary_sensor.front_door", "on", Origin.MANUAL),
            (hours + 0.12, "binary_sensor.front_door", "off", Origin.MANUAL),
        ]
    if back:
        rows.append((hours + 0.13, "binary_sensor.bedroom_motion", "on", Origin.MANUAL))
    return rows


def test_trips_to_the_bathroom_stay_inside_the_night() -> None:
    rows = usual_days()
    # Up at 01:00, 03:00 and 05:30: no silence of the night is three hours long.
    for hours in (1.0, 3.0, 5.5):
        rows += trip(24.0 + hours)
    nights = find_nights(
        table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=SENSORS
    )
    assert nights.mornings[day_number(1)].minute[0] == 420
    assert nights.mornings[day_number(1)].quiet_minutes == 8 * 60
    assert nights.bedtimes[day_number(0)].minute[-1] == 1380


def test_the_paper_fetched_at_dawn_stays_inside_the_night_and_leaving_ends_it() -> None:
    rows = usual_days()
    rows += trip(24.0 + 2.0) + trip(24.0 + 5.5, door=True)
    nights = find_nights(
        table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=SENSORS
    )
    # Someone moved inside after the door shut: back to bed.
    assert nights.mornings[day_number(1)].minute[0] == 420
    # The door shut with nobody moving after it: gone out, back at 06:15.
    rows = usual_days()
    rows += trip(24.0 + 2.0) + trip(24.0 + 5.5, door=True, back=False)
    rows.append((24.0 + 6.25, "binary_sensor.front_door", "on", Origin.MANUAL))
    nights = find_nights(
        table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=SENSORS
    )
    # The trip at 02:00 stays inside the night; leaving at 05:30 ends it.
    assert nights.mornings[day_number(1)].minute[0] == 330


def test_a_sleeper_restless_in_bed_before_getting_up_is_still_asleep() -> None:
    rows = usual_days()
    rows += trip(24.0 + 3.0)
    # The bedroom's sensor alone, every ten minutes from 05:20 to 06:00.
    for minutes in range(320, 361, 10):
        rows.append(
            (24.0 + minutes / 60, "binary_sensor.bedroom_motion", "on", Origin.MANUAL)
        )
    nights = find_nights(
        table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=SENSORS
    )
    assert nights.mornings[day_number(1)].minute[0] == 420
    # The same 40 minutes through two rooms is someone up.
    rows += [
        (24.0 + minutes / 60 + 0.02, "binary_sensor.hall_motion", "on", Origin.MANUAL)
        for minutes in (320, 360)
    ]
    nights = find_nights(
        table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=SENSORS
    )
    assert nights.mornings[day_number(1)].minute[0] == 320


def test_a_silent_bedtime_before_midnight_is_not_taken_into_the_night() -> None:
    rows: list[Row] = []
    for day in range(DAYS):
        base = 24.0 * day
        rows += [(base + 7.0, "light.bedroom", "on", Origin.MANUAL)]
        # A quiet evening of short walks, and a bedtime of a few minutes of
        # motion: each as brief and as silent around as a trip in the night.
        rows += trip(base + 19.0) + trip(base + 20.5) + trip(base + 22.75)
    nights = find_nights(
        table_of(rows), timezone=AMSTERDAM, end=end_of(), roles=SENSORS
    )
    bedtime = nights.bedtimes[day_number(1)]
    assert bedtime.minute[0] == 22 * 60 + 45
    assert nights.mornings[day_number(2)].minute[0] == 420
