"""benchmarks/habit_truth.py: brute force finds what a history really holds."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.habit_truth import (
    DAILY,
    WEEKDAYS,
    History,
    TrueRoutine,
    day_coverages,
    history_of_rows,
    load_history,
    pair_supported,
    pair_truth,
    routine_support,
    routine_truth,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2024, 1, 1)


def at(day: int, hour: int, minute: int, second: int = 0) -> int:
    """Return epoch seconds of a local time, `day` days after a Monday."""
    moment = datetime.combine(
        MONDAY + timedelta(days=day), time(hour, minute, second), tzinfo=PARIS
    )
    return int(moment.timestamp())


def history(rows: list[tuple[str, str, int]]) -> History:
    return history_of_rows(rows, PARIS)


def light_routine(
    days: int, held: set[int], minute: int = 0
) -> list[tuple[str, str, int]]:
    """A light on at about 07:MM on the `held` days, off an hour later every day."""
    rng = random.Random(days)  # noqa: S311 - test data
    rows = [("light.kitchen", "off", at(0, 0, 1))]
    for day in range(days):
        if day in held:
            rows.append(("light.kitchen", "on", at(day, 7, minute + rng.randint(0, 6))))
        rows.append(("light.kitchen", "off", at(day, 8, rng.randint(0, 59))))
        rows.append(
            ("light.kitchen", "on", at(day, rng.randint(12, 22), rng.randint(0, 59)))
        )
        rows.append(("light.kitchen", "off", at(day, 23, rng.randint(0, 50))))
    return rows


def routines_of(
    found: list[TrueRoutine], entity_id: str, state: str
) -> list[TrueRoutine]:
    return [r for r in found if r.entity_id == entity_id and r.state == state]


def test_repeated_states_and_each_entitys_first_row_are_no_changes() -> None:
    made = history(
        [
            ("light.a", "on", at(0, 7, 0)),
            ("light.a", "on", at(0, 7, 5)),
            ("light.a", "off", at(0, 8, 0)),
            ("light.a", "off", at(0, 9, 0)),
            ("light.a", "on", at(1, 7, 0)),
        ]
    )

    assert [(c.state, c.when) for c in made.changes] == [
        ("off", at(0, 8, 0)),
        ("on", at(1, 7, 0)),
    ]
    assert made.first_state == {"light.a": "on"}
    assert (made.first_day, made.days) == (MONDAY, 2)


def test_a_light_switched_on_at_seven_on_most_days_is_a_daily_routine() -> None:
    made = history(light_routine(10, held=set(range(10)) - {3, 6}))

    found = routines_of(routine_truth(made), "light.kitchen", "on")

    assert len(found) == 1
    routine = found[0]
    assert routine.day_class == DAILY
    assert routine.distance(7 * 60 + 3) == 0
    assert (routine.support_days, routine.observed_days) == (8, 10)


def test_a_change_on_fewer_than_seven_days_in_ten_is_no_routine() -> None:
    made = history(light_routine(10, held={0, 1, 2, 4, 5, 8}))

    assert routines_of(routine_truth(made), "light.kitchen", "on") == []


def test_a_sensor_firing_all_day_has_no_routine() -> None:
    rows = [("binary_sensor.hall_motion", "off", at(0, 0, 0))]
    for day in range(14):
        for slot in range(0, 24 * 60, 20):
            rows.append(
                ("binary_sensor.hall_motion", "on", at(day, slot // 60, slot % 60))
            )
            rows.append(
                ("binary_sensor.hall_motion", "off", at(day, slot // 60, slot % 60, 30))
            )

    assert routine_truth(history(rows)) == []


def test_a_routine_kept_on_weekdays_only_is_a_weekdays_routine() -> None:
    weekdays = [
        day for day in range(14) if (MONDAY + timedelta(days=day)).weekday() < 5
    ]
    made = history(light_routine(14, held=set(weekdays) - {weekdays[4]}))

    found = routines_of(routine_truth(made), "light.kitchen", "on")

    assert [(r.day_class, r.support_days, r.observed_days) for r in found] == [
        (WEEKDAYS, 9, 10)
    ]


def test_a_weekdays_routine_inside_a_daily_one_is_counted_once() -> None:
    made = history(light_routine(14, held=set(range(14))))

    found = routines_of(routine_truth(made), "light.kitchen", "on")

    assert [r.day_class for r in found] == [DAILY]


def test_a_routine_across_midnight_is_one_run_of_the_clock() -> None:
    rows = [("light.porch", "off", at(0, 12, 0))]
    for day in range(10):
        late = day % 2 == 0
        rows.append(
            ("light.porch", "on", at(day, 23, 55) if late else at(day + 1, 0, 5))
        )
        rows.append(("light.porch", "off", at(day + 1, 6, day)))
    made = history(rows)

    found = routines_of(routine_truth(made.first(10)), "light.porch", "on")

    assert len(found) == 1
    assert found[0].distance(23 * 60 + 58) == 0
    assert found[0].distance(2) == 0
    assert found[0].distance(12 * 60) > 600


def test_first_days_keep_only_their_changes() -> None:
    made = history(light_routine(20, held=set(range(20))))

    ten = made.first(10)

    assert ten.days == 10
    assert max(c.when for c in ten.changes) < at(10, 0, 0)
    assert len(made.changes) > len(ten.changes)


def test_quiet_last_days_still_count_as_days() -> None:
    made = history(
        [*light_routine(4, held={0, 1, 2, 3}), ("light.kitchen", "on", at(9, 7, 0))]
    )

    assert made.first(8).days == 8
    assert made.first(8).first_day == MONDAY


def test_a_days_chance_is_the_share_of_the_clock_its_changes_would_cover() -> None:
    made = history(light_routine(10, set(range(10))))
    routine = next(
        r
        for r in routines_of(routine_truth(made), "light.kitchen", "on")
        if r.day_class == DAILY
    )
    chances = day_coverages(made, routine)
    # Each day: a change at about 07:00 and one in the afternoon, so a window of
    # the routine's width catches one of them from twice its width of the clock
    # (a width's less where the two are closer than that).
    assert chances.shape == (10,)
    assert (chances <= 2 * routine.best_width / 1440 + 1e-9).all()
    assert (chances >= routine.best_width / 1440 - 1e-9).all()


def test_a_reported_routine_is_supported_where_the_changes_are() -> None:
    made = history(light_routine(10, held=set(range(10)) - {3, 6}))

    here = routine_support(made, "light.kitchen", "on", DAILY, 7 * 60 + 3, 10)
    elsewhere = routine_support(made, "light.kitchen", "on", DAILY, 3 * 60, 30)
    unknown = routine_support(made, "light.garage", "on", DAILY, 7 * 60, 30)

    assert here.supported
    assert here.support_days == 8
    assert not elsewhere.supported
    assert not unknown.supported


def door_then_light(
    days: int, share: float, seed: int = 3
) -> list[tuple[str, str, int]]:
    """A door opened three times a day; the hall light follows it `share` of times."""
    rng = random.Random(seed)  # noqa: S311 - test data
    rows = [
        ("binary_sensor.front_door", "off", at(0, 0, 1)),
        ("light.hall", "off", at(0, 0, 1)),
    ]
    for day in range(days):
        for hour in (rng.randint(6, 9), rng.randint(12, 15), rng.randint(18, 22)):
            minute = rng.randint(0, 50)
            rows.append(("binary_sensor.front_door", "on", at(day, hour, minute)))
            rows.append(("binary_sensor.front_door", "off", at(day, hour, minute, 20)))
            if rng.random() < share:
                rows.append(("light.hall", "on", at(day, hour, minute, 40)))
                rows.append(("light.hall", "off", at(day, hour, minute + 8)))
    return rows


def test_a_light_following_a_door_is_a_pair() -> None:
    made = history(door_then_light(10, share=0.8))

    pairs = {
        (p.a_entity, p.a_state, p.b_entity, p.b_state): p for p in pair_truth(made)
    }

    pair = pairs[("binary_sensor.front_door", "on", "light.hall", "on")]
    assert pair.confidence >= 0.5
    assert pair.lift >= 10
    assert pair.distinct_days >= 3
    assert pair.median_delay == 40
    assert all(key[2].startswith("light.") for key in pairs)
    assert pair_supported(
        made, ("binary_sensor.front_door", "on"), ("light.hall", "on")
    )[0]


def test_a_burst_on_a_single_day_is_no_pair() -> None:
    rows = [
        ("binary_sensor.front_door", "off", at(0, 0, 1)),
        ("light.hall", "off", at(0, 0, 1)),
    ]
    for minute in range(0, 60, 6):
        rows.append(("binary_sensor.front_door", "on", at(2, 15, minute)))
        rows.append(("binary_sensor.front_door", "off", at(2, 15, minute, 10)))
        rows.append(("light.hall", "on", at(2, 15, minute, 20)))
        rows.append(("light.hall", "off", at(2, 15, minute, 50)))
    for day in range(10):
        rows.append(("light.hall", "on", at(day, 20, 0)))
        rows.append(("light.hall", "off", at(day, 22, 0)))

    assert pair_truth(history(rows)) == []


def test_unrelated_changes_make_no_pair_and_are_not_supported() -> None:
    rng = random.Random(5)  # noqa: S311 - test data
    rows = [
        ("binary_sensor.front_door", "off", at(0, 0, 1)),
        ("light.hall", "off", at(0, 0, 1)),
    ]
    for day in range(14):
        for _ in range(3):
            rows.append(
                (
                    "binary_sensor.front_door",
                    "on",
                    at(day, rng.randint(0, 23), rng.randint(0, 59)),
                )
            )
            rows.append(
                ("light.hall", "on", at(day, rng.randint(0, 23), rng.randint(0, 59)))
            )
    made = history(sorted(rows, key=lambda row: row[2]))

    assert pair_truth(made) == []
    assert not pair_supported(
        made, ("binary_sensor.front_door", "on"), ("light.hall", "on")
    )[0]


def test_a_history_panel_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "house.csv"
    path.write_text(
        "entity_id,state,last_changed\n"
        "light.a,off,2024-01-01T06:00:00.000Z\n"
        "light.a,on,2024-01-01T06:30:00.000Z\n"
        "short\n",
        encoding="utf-8",
    )

    made = load_history(path, PARIS)

    assert [(c.entity_id, c.state) for c in made.changes] == [("light.a", "on")]
    assert made.changes[0].when == at(0, 7, 30)
