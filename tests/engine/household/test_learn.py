"""The household's morning and bedtime, learned from generated households."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from benchmarks.households import HouseholdTruth, household
from custom_components.ha_ai.engine.habits.model import (
    ChangeTable,
    DayClass,
    Origin,
    PatternLevel,
)
from custom_components.ha_ai.engine.habits.time_of_day import (
    local_day_and_minute,
    minutes_apart,
)
from custom_components.ha_ai.engine.household import learn
from custom_components.ha_ai.engine.household.learn import learn_household
from custom_components.ha_ai.engine.household.model import (
    AwayRoutine,
    AwaySource,
    EntityRole,
    HouseholdRoutines,
    RoutineKind,
)
from custom_components.ha_ai.engine.household.nights import find_nights

AWAY = AwayRoutine(
    source=AwaySource.PRESENCE,
    presence_entities=("person.alex",),
    occurrences=3,
    observed_days=40,
    typical_duration_minutes=600,
    confidence=0.5,
    level=PatternLevel.ESTABLISHED,
)
STEADY = (
    "early_birds",
    "night_owls",
    "lie_ins",
    "visitors",
    "holiday",
    "restless",
    "night_trips",
)
DST = ("dst_spring", "dst_autumn")
# How far a learned start may be from the planted one (the planted starts
# jitter by 8 minutes a day).
START_MINUTES = 5


def no_away(*args: Any, **kwargs: Any) -> tuple[AwayRoutine | None, str | None]:
    return None, "no_presence_entities"


def found_away(*args: Any, **kwargs: Any) -> tuple[AwayRoutine | None, str | None]:
    return AWAY, None


@functools.cache
def planted(kind: str, days: int = 60) -> tuple[ChangeTable, HouseholdTruth]:
    return household(kind, days=days)


@functools.cache
def learned(kind: str, days: int = 60) -> HouseholdRoutines:
    table, truth = planted(kind, days)
    return learn_household(
        table, timezone=truth.timezone, end=truth.end, roles=truth.roles, away=no_away
    )


@pytest.mark.parametrize("kind", STEADY + DST)
def test_planted_routines_are_found_at_their_time_with_their_actions(
    kind: str,
) -> None:
    _, truth = planted(kind)
    result = learned(kind)
    assert {(r.kind, r.day_class) for r in result.routines} == {
        (p.kind, p.day_class) for p in truth.routines
    }
    for plant in truth.routines:
        routine = result.routine(plant.kind, plant.day_class)
        assert routine is not None
        assert routine.routine_id == f"{plant.kind}_{plant.day_class}"
        assert minutes_apart(routine.typical_start, plant.minute) <= START_MINUTES
        assert minutes_apart(routine.window_start, plant.minute) <= 30
        assert minutes_apart(routine.window_end, plant.minute) <= 30
        assert routine.level is PatternLevel.ESTABLISHED
        assert routine.confidence >= 0.6
        assert routine.support_days <= routine.observed_days
        assert routine.starters[0] == (
            plant.actions[0].entity_id,
            plant.actions[0].state,
        )
        # The usual actions in their planted order; the one kept on 40 % of
        # the mornings is not among them.
        assert tuple((s.entity_id, s.state) for s in routine.steps) == plant.usual
        delays = [s.typical_delay_seconds for s in routine.steps]
        assert delays == sorted(delays)
        assert delays[0] == 0
        for step, action in zip(
            routine.steps,
            (a for a in plant.actions if a.probability >= 0.5),
            strict=True,
        ):
            assert abs(step.typical_delay_seconds - action.delay * 60) <= 45
            assert 0.5 <= step.share <= 1.0


def test_a_night_owls_bedtime_after_midnight_keeps_its_time() -> None:
    bedtime = learned("night_owls").routine(RoutineKind.BEDTIME, DayClass.DAILY)
    assert bedtime is not None
    assert minutes_apart(bedtime.typical_start, 2 * 60 + 30) <= START_MINUTES
    # The night runs from after the bedtime's last action to the 11:00 morning.
    assert abs(bedtime.quiet_minutes - (11 * 60 - (2 * 60 + 55))) <= 15


def test_an_early_birds_quiet_is_its_night_despite_automations_in_it() -> None:
    # An automated porch light switches at 03:00 and 04:00 and a device drops off
    # at 02:30: none of them is a person, so the night lasts from 20:55 to 05:00.
    morning = learned("early_birds").routine(RoutineKind.MORNING, DayClass.DAILY)
    assert morning is not None
    assert abs(morning.quiet_minutes - (5 * 60 + 24 * 60 - (20 * 60 + 55))) <= 15


def test_a_restless_sleeper_keeps_the_whole_night_as_quiet() -> None:
    table, _ = planted("restless")
    assert "binary_sensor.bedroom_motion" in table.entity_ids
    morning = learned("restless").routine(RoutineKind.MORNING, DayClass.DAILY)
    assert morning is not None
    # From after the 23:00 bedtime (its last action at 23:25) to 07:00.
    assert abs(morning.quiet_minutes - (7 * 60 + 24 * 60 - (23 * 60 + 25))) <= 15
    assert "binary_sensor.bedroom_motion" not in {s.entity_id for s in morning.steps}


def test_trips_to_the_bathroom_at_night_are_neither_morning_nor_bedtime() -> None:
    # Up around 03:00 and 05:30, at times fetching the paper: the night runs
    # from after the 23:00 bedtime (its last action at 23:25) to 07:00.
    table, _ = planted("night_trips")
    assert "binary_sensor.front_door" in table.entity_ids
    result = learned("night_trips")
    morning = result.routine(RoutineKind.MORNING, DayClass.DAILY)
    assert morning is not None
    assert morning.starters[0] == ("light.bedroom", "on")
    assert abs(morning.quiet_minutes - (7 * 60 + 24 * 60 - (23 * 60 + 25))) <= 15
    bedtime = result.routine(RoutineKind.BEDTIME, DayClass.DAILY)
    assert bedtime is not None
    assert minutes_apart(bedtime.typical_start, 23 * 60) <= START_MINUTES


def test_a_morning_starts_where_the_night_ends_even_with_motion_only() -> None:
    # A house of motion sensors and one light: up at 07:00 (the bedroom's
    # motion, which fires all day long), the kitchen light any time from 07:15
    # to 07:45. The morning is when the bedroom wakes, not when the light goes on.
    rng = np.random.default_rng(3)
    rows: list[tuple[int, int, str, str]] = []
    first = datetime(2024, 1, 1, tzinfo=UTC)
    days = 28
    for day in range(days):
        midnight = first + timedelta(days=day)
        wake = 7 * 60 + float(rng.normal(0, 4))
        minutes = [wake, *np.arange(wake + 5, 22 * 60, 10.0)]
        rows += [
            (
                int((midnight + timedelta(minutes=float(m))).timestamp()),
                int(Origin.MANUAL),
                "binary_sensor.bedroom_motion",
                "on",
            )
            for m in minutes
        ]
        light = midnight + timedelta(
            minutes=float(rng.uniform(7 * 60 + 15, 7 * 60 + 45))
        )
        rows.append((int(light.timestamp()), int(Origin.MANUAL), "light.kitchen", "on"))
    result = learn_household(
        ChangeTable.from_rows(rows),
        timezone=UTC,
        end=first + timedelta(days=days),
        roles={"binary_sensor.bedroom_motion": EntityRole.MOTION},
        away=no_away,
    )
    morning = result.routine(RoutineKind.MORNING, DayClass.DAILY)
    assert morning is not None
    assert minutes_apart(morning.typical_start, 7 * 60) <= START_MINUTES
    assert morning.starters[0] == ("binary_sensor.bedroom_motion", "on")
    assert [s.entity_id for s in morning.steps] == ["light.kitchen"]


def test_weekend_lie_ins_give_a_routine_per_day_class_and_one_daily_bedtime() -> None:
    result = learned("lie_ins")
    weekdays = result.routine(RoutineKind.MORNING, DayClass.WEEKDAYS)
    weekends = result.routine(RoutineKind.MORNING, DayClass.WEEKENDS)
    assert weekdays is not None
    assert weekends is not None
    assert minutes_apart(weekdays.typical_start, 6 * 60 + 30) <= START_MINUTES
    assert minutes_apart(weekends.typical_start, 9 * 60) <= START_MINUTES
    assert weekends.observed_days < weekdays.observed_days
    assert result.routine(RoutineKind.MORNING, DayClass.DAILY) is None
    assert result.missing["morning_daily"] == "weekdays_and_weekends_differ"
    assert result.routine(RoutineKind.BEDTIME, DayClass.DAILY) is not None
    assert "bedtime_daily" not in result.missing


def test_visitors_evenings_do_not_move_the_bedtime_or_add_actions() -> None:
    bedtime = learned("visitors").routine(RoutineKind.BEDTIME, DayClass.DAILY)
    assert bedtime is not None
    # The evenings with visitors end an hour later: they are not in the window.
    assert bedtime.support_days < bedtime.observed_days
    assert not {s.entity_id for s in bedtime.steps} & {
        "light.dining_room",
        "media_player.speaker",
        "light.guest_room",
    }


def test_days_away_are_not_observed_days() -> None:
    _, truth = planted("holiday")
    away = truth.away_days
    assert len(away) == 7
    # A morning is observed when the night before was at home; a bedtime when
    # the night after is: the days away and the days of leaving and coming back
    # are not held against the routines.
    expected = truth.days - 1 - len(away) - 1
    result = learned("holiday")
    for kind in RoutineKind:
        routine = result.routine(kind, DayClass.DAILY)
        assert routine is not None
        assert routine.observed_days == expected
        assert routine.confidence >= 0.7


@pytest.mark.parametrize("kind", DST)
def test_daylight_saving_keeps_the_local_times(kind: str) -> None:
    table, truth = planted(kind)
    change = date(2024, 3, 31) if kind == "dst_spring" else date(2024, 10, 27)
    assert truth.start.date() < change < truth.end.date()
    nights = find_nights(
        table, timezone=truth.timezone, end=truth.end, roles=truth.roles
    )
    before = (change - timedelta(days=2) - date(1970, 1, 1)).days
    after = (change + timedelta(days=2) - date(1970, 1, 1)).days
    # The same local time on both sides is another UTC hour.
    first = {day: nights.mornings[day] for day in (before, after)}
    for occurrence in first.values():
        assert minutes_apart(int(occurrence.minute[0]), 7 * 60) <= 25
    utc_hours = {
        day: int(occurrence.when[0] // 3600 % 24) for day, occurrence in first.items()
    }
    assert utc_hours[before] != utc_hours[after]
    # The night of the change is an hour shorter (spring) or longer (autumn)
    # than its wall clock says: silences are measured in real time.
    change_day = (change - date(1970, 1, 1)).days
    morning, bedtime = nights.mornings[change_day], nights.bedtimes[change_day - 1]
    wall = int(morning.minute[0]) + 1440 - int(bedtime.minute[-1])
    shift = -60 if kind == "dst_spring" else 60
    assert abs(morning.quiet_minutes - (wall + shift)) <= 1
    for kind_of_routine in RoutineKind:
        routine = learned(kind).routine(kind_of_routine, DayClass.DAILY)
        assert routine is not None
        assert routine.support_days >= 0.9 * routine.observed_days


def test_shift_work_gets_no_routine() -> None:
    result = learned("shift_work")
    assert result.routines == ()
    assert result.missing["morning_daily"] == "no_regular_time"
    assert result.missing["bedtime_daily"] == "no_regular_time"
    assert result.missing["morning_weekdays"] == "no_regular_time"


def test_noise_gives_no_routine_and_says_why() -> None:
    result = learned("noise")
    assert result.routines == ()
    for kind in RoutineKind:
        for day_class in DayClass:
            assert result.missing[f"{kind}_{day_class}"] == "no_quiet_night"
    sparse = learned("sparse_noise")
    assert sparse.routines == ()
    assert sparse.missing["morning_daily"] == "no_regular_time"


def test_too_few_days_give_no_routine() -> None:
    result = learned("early_birds", 3)
    assert result.routines == ()
    assert result.missing["morning_daily"] == "too_few_days"
    assert result.missing["bedtime_weekends"] == "too_few_days"


def test_a_young_routine_is_forming_and_daily() -> None:
    # Monday to Saturday: five mornings to judge, one of them on a weekend.
    result = learned("early_birds", 6)
    morning = result.routine(RoutineKind.MORNING, DayClass.DAILY)
    assert morning is not None
    assert morning.level is PatternLevel.FORMING
    assert morning.observed_days == 5
    assert not [k for k in result.missing if k.startswith("morning")]


@pytest.mark.parametrize(
    ("scattered", "kept"),
    [(DayClass.WEEKENDS, DayClass.WEEKDAYS), (DayClass.WEEKDAYS, DayClass.WEEKENDS)],
)
def test_one_day_class_only_when_the_other_keeps_no_time(
    scattered: DayClass, kept: DayClass
) -> None:
    table, truth = planted("lie_ins")
    # The days of one class moved whole by up to three hours either way: their
    # mornings keep no time.
    day, _ = local_day_and_minute(table.when, truth.timezone)
    weekend = (day + 3) % 7 >= 5
    chosen = weekend if scattered is DayClass.WEEKENDS else ~weekend
    shifted = table.when.copy()
    by_day = np.random.default_rng(5).integers(-3, 4, int(day.max() + 1))
    shifted[chosen] += by_day[day[chosen]] * 3600
    moved = ChangeTable(
        entity_ids=table.entity_ids,
        states=table.states,
        entity=table.entity,
        state=table.state,
        when=shifted,
        origin=table.origin,
    )
    moved.sort()
    result = learn_household(
        moved, timezone=truth.timezone, end=truth.end, roles=truth.roles, away=no_away
    )
    assert result.routine(RoutineKind.MORNING, kept) is not None
    assert result.routine(RoutineKind.MORNING, scattered) is None
    assert result.missing["morning_daily"] == "weekdays_and_weekends_differ"
    assert result.missing[f"morning_{scattered}"] in {
        "no_regular_time",
        "no_quiet_night",
    }


def test_a_daily_routine_when_no_day_class_has_days_enough_alone() -> None:
    # Thursday to Tuesday: three weekday and two weekend mornings to judge.
    table, truth = household("early_birds", days=6, start=date(2024, 1, 4))
    result = learn_household(
        table, timezone=truth.timezone, end=truth.end, roles=truth.roles, away=no_away
    )
    morning = result.routine(RoutineKind.MORNING, DayClass.DAILY)
    assert morning is not None
    assert morning.observed_days == 5
    assert morning.level is PatternLevel.FORMING


def test_the_away_routine_comes_from_the_away_learner() -> None:
    table, truth = planted("early_birds")
    calls: list[dict[str, Any]] = []

    def away(
        table: ChangeTable, **kwargs: Any
    ) -> tuple[AwayRoutine | None, str | None]:
        calls.append(kwargs)
        return AWAY, None

    result = learn_household(
        table, timezone=truth.timezone, end=truth.end, roles=truth.roles, away=away
    )
    assert result.away == AWAY
    assert "away" not in result.missing
    assert calls == [
        {"timezone": truth.timezone, "end": truth.end, "roles": truth.roles}
    ]
    assert learned("early_birds").missing["away"] == "no_presence_entities"

    def silent(*args: Any, **kwargs: Any) -> tuple[AwayRoutine | None, str | None]:
        return None, None

    unexplained = learn_household(
        table, timezone=truth.timezone, end=truth.end, roles=truth.roles, away=silent
    )
    assert unexplained.missing["away"] == "no_away"


def test_the_away_part_is_used_when_no_learner_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(learn, "learn_away", found_away)
    table, truth = planted("early_birds")
    result = learn_household(
        table, timezone=truth.timezone, end=truth.end, roles=truth.roles
    )
    assert result.away == AWAY


def test_presence_entities_are_not_activity() -> None:
    table, truth = planted("early_birds")
    # A phone's tracker reports at 02:30 every night (a manual-looking change).
    day, _ = local_day_and_minute(table.when, truth.timezone)
    nights = np.unique(day)
    rows = [
        (int(t), int(o), table.entity_ids[e], table.states[s])
        for t, o, e, s in zip(
            table.when, table.origin, table.entity, table.state, strict=True
        )
    ]
    for number in (int(d) for d in nights):
        moment = datetime.combine(
            date(1970, 1, 1) + timedelta(days=number), datetime.min.time()
        ).replace(tzinfo=truth.timezone) + timedelta(hours=2, minutes=30)
        rows.append((int(moment.timestamp()), Origin.MANUAL, "person.alex", "home"))
    flipped = ChangeTable.from_rows(rows)
    with_role = learn_household(
        flipped, timezone=truth.timezone, end=truth.end, roles=truth.roles, away=no_away
    )
    morning = with_role.routine(RoutineKind.MORNING, DayClass.DAILY)
    assert morning is not None
    assert minutes_apart(morning.typical_start, 5 * 60) <= START_MINUTES
    without_role = learn_household(
        flipped,
        timezone=truth.timezone,
        end=truth.end,
        roles={k: v for k, v in truth.roles.items() if v is not EntityRole.PRESENCE},
        away=no_away,
    )
    # Taken for a person getting up, it ends every night at 02:30 (the rest,
    # two and a half hours, is too short to be a night).
    early = without_role.routine(RoutineKind.MORNING, DayClass.DAILY)
    assert early is not None
    assert early.starters == (("person.alex", "home"),)
    assert minutes_apart(early.typical_start, 2 * 60 + 30) <= 1


def test_a_house_known_only_by_its_presence_has_no_routine_but_its_away() -> None:
    # A person tracked for weeks, and nothing else: no night is ever seen.
    zone = ZoneInfo("Europe/Amsterdam")
    start = datetime(2026, 3, 2, tzinfo=zone)
    rows: list[tuple[int, int, str, str]] = []
    for day in range(28):
        for hour, state in ((8, "not_home"), (17, "home")):
            moment = start + timedelta(days=day, hours=hour)
            rows.append((int(moment.timestamp()), Origin.MANUAL, "person.alex", state))
    result = learn_household(
        ChangeTable.from_rows(rows),
        timezone=zone,
        end=start + timedelta(days=28),
        roles={"person.alex": EntityRole.PRESENCE},
        away=found_away,
    )
    assert result.routines == ()
    assert result.away == AWAY
    assert "morning_daily" in result.missing


def test_an_empty_history_learns_nothing_and_says_why() -> None:
    result = learn_household(
        ChangeTable(), timezone=UTC, end=datetime(2026, 12, 1, tzinfo=UTC), roles={}
    )
    assert result.routines == ()
    assert result.away is None
    assert result.missing["morning_daily"] == "too_few_days"
    assert result.missing["away"] == "no_presence_and_no_door"
