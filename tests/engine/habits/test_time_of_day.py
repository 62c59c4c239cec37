"""Routines at a time of day, on generated histories with planted routines."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from benchmarks.planted import (
    Noise,
    Planted,
    PlantedRoutine,
    generate,
    random_house,
)
from custom_components.ha_ai.engine.habits import time_of_day
from custom_components.ha_ai.engine.habits.model import (
    ChangeTable,
    DayClass,
    MiningSettings,
    Origin,
    PatternLevel,
    StateChange,
    TimeOfDayPattern,
)
from custom_components.ha_ai.engine.habits.time_of_day import (
    binomial_tail,
    find_time_of_day_patterns,
    local_day_and_minute,
    utc_offsets,
    weekday_of,
    wilson_lower,
    wilson_upper,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
SETTINGS = MiningSettings()


def routines(planted: Planted, **settings: object) -> list[TimeOfDayPattern]:
    return find_time_of_day_patterns(
        planted.table,
        timezone=planted.timezone,
        end=planted.end,
        settings=MiningSettings(**settings),  # type: ignore[arg-type]
    )


def clock_distance(a: int, b: int) -> int:
    distance = abs(a - b) % 1440
    return min(distance, 1440 - distance)


def only(found: list[TimeOfDayPattern], state: str = "on") -> TimeOfDayPattern:
    matching = [p for p in found if p.state == state]
    assert len(matching) == 1, found
    return matching[0]


# --- statistics ---


def test_wilson_bounds() -> None:
    assert wilson_lower(21, 30) == pytest.approx(0.5212, abs=1e-4)
    assert wilson_upper(21, 30) == pytest.approx(0.8334, abs=1e-4)
    assert wilson_lower(30, 30) == pytest.approx(0.8865, abs=1e-4)
    assert wilson_lower(0, 30) == 0.0
    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(6, 8) < 0.75 < wilson_upper(6, 8)


@pytest.mark.parametrize(
    ("successes", "trials", "share"),
    [(2, 3, 0.5), (7, 8, 0.1), (20, 30, 0.22), (1, 1, 0.3), (5, 40, 0.01)],
)
def test_binomial_tail_is_exact(successes: int, trials: int, share: float) -> None:
    exact = sum(
        math.comb(trials, k) * share**k * (1 - share) ** (trials - k)
        for k in range(successes, trials + 1)
    )
    assert binomial_tail(successes, trials, share) == pytest.approx(exact, rel=1e-9)


def test_binomial_tail_edges() -> None:
    assert binomial_tail(0, 10, 0.2) == 1.0
    assert binomial_tail(3, 10, 1.0) == 1.0
    assert binomial_tail(11, 10, 0.2) == 0.0
    assert binomial_tail(3, 10, 0.0) == 0.0


# --- local time ---


@pytest.mark.parametrize("zone", [PARIS, NEW_YORK, ZoneInfo("Australia/Lord_Howe")])
def test_utc_offsets_match_the_zone_at_every_moment(zone: ZoneInfo) -> None:
    rng = np.random.default_rng(5)
    start = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
    when = np.sort(rng.integers(start, start + 2 * 365 * 86_400, 5000))
    expected = [datetime.fromtimestamp(int(t), zone).utcoffset() for t in when]
    offsets = utc_offsets(when, zone)
    assert [timedelta(seconds=int(o)) for o in offsets] == expected


def test_utc_offsets_change_on_the_second() -> None:
    change = int(datetime(2024, 3, 31, 1, 0, tzinfo=UTC).timestamp())
    when = np.asarray([change - 86_400, change - 1, change, change + 86_400])
    assert utc_offsets(when, PARIS).tolist() == [3600, 3600, 7200, 7200]
    back = int(datetime(2024, 11, 3, 6, 0, tzinfo=UTC).timestamp())
    when = np.asarray([back - 3600, back - 1, back, back + 3600])
    assert utc_offsets(when, NEW_YORK).tolist() == [-14400, -14400, -18000, -18000]


def test_utc_offsets_of_nothing_and_of_a_zone_without_offset() -> None:
    class Floating(tzinfo):
        def utcoffset(self, dt: datetime | None) -> None:
            return None

        def dst(self, dt: datetime | None) -> None:
            return None

        def fromutc(self, dt: datetime) -> datetime:
            return dt.replace(tzinfo=self)

    assert utc_offsets(np.zeros(0, dtype=np.int64), PARIS).shape == (0,)
    assert utc_offsets(np.asarray([0, 10**9]), Floating()).tolist() == [0, 0]


def test_local_day_and_minute() -> None:
    moment = datetime(2024, 7, 1, 23, 30, tzinfo=PARIS)  # 21:30 UTC
    day, minute = local_day_and_minute(np.asarray([int(moment.timestamp())]), PARIS)
    assert int(day[0]) == (date(2024, 7, 1) - date(1970, 1, 1)).days
    assert int(minute[0]) == 23 * 60 + 30
    assert weekday_of(int(day[0])) == date(2024, 7, 1).weekday()


# --- routines ---


def test_a_daily_routine_is_found_with_its_time_window_and_support() -> None:
    planted = generate(
        days=30,
        seed=1,
        routines=[PlantedRoutine("light.bedroom", "on", 6 * 60 + 7, 4.0, 0.9)],
        noise=[Noise("light.bedroom", 4.0)],
    )
    found = only(routines(planted))
    truth = planted.routines[0]
    assert found.day_class is DayClass.DAILY
    assert clock_distance(found.minute_of_day, 6 * 60 + 7) <= 3
    assert (
        found.time == f"{found.minute_of_day // 60:02d}:{found.minute_of_day % 60:02d}"
    )
    assert 10 <= found.window_minutes <= 40
    assert found.window_minutes % 2 == 1  # centred on the typical time
    assert found.observed_days == 30
    assert truth.present_days - 1 <= found.support_days <= truth.present_days + 1
    assert found.confidence == pytest.approx(
        wilson_lower(found.support_days, found.observed_days), abs=1e-4
    )
    assert found.confidence >= SETTINGS.min_confidence
    assert found.pattern_id == ""  # ids come from mine_habits


def test_a_routine_across_midnight_is_one_routine() -> None:
    planted = generate(
        days=30,
        seed=2,
        routines=[PlantedRoutine("light.hall", "off", 23 * 60 + 58, 6.0, 0.95)],
        noise=[Noise("light.hall", 3.0)],
    )
    found = routines(planted)
    assert len([p for p in found if p.state == "off"]) == 1
    routine = only(found, "off")
    assert clock_distance(routine.minute_of_day, 23 * 60 + 58) <= 4
    # The window holds both sides of midnight.
    assert routine.window_minutes > 2 * clock_distance(routine.minute_of_day, 0)
    assert routine.support_days >= planted.routines[0].present_days - 2


def test_a_weekday_routine_comes_out_as_weekdays() -> None:
    planted = generate(
        days=35,
        seed=3,
        start=date(2024, 4, 1),
        routines=[
            PlantedRoutine(
                "switch.coffee", "on", 6 * 60 + 30, 3.0, 0.95, DayClass.WEEKDAYS
            )
        ],
        noise=[Noise("switch.coffee", 4.0)],
    )
    found = only(routines(planted))
    assert found.day_class is DayClass.WEEKDAYS
    assert found.observed_days == 25  # 5 weeks of 5 weekdays
    assert clock_distance(found.minute_of_day, 6 * 60 + 30) <= 3
    assert found.support_days >= planted.routines[0].present_days - 1


def test_a_weekend_routine_comes_out_as_weekends() -> None:
    planted = generate(
        days=63,
        seed=4,
        start=date(2024, 4, 1),
        routines=[
            PlantedRoutine(
                "cover.living", "on", 9 * 60 + 45, 6.0, 0.9, DayClass.WEEKENDS
            )
        ],
        noise=[Noise("cover.living", 4.0)],
    )
    found = only(routines(planted))
    assert found.day_class is DayClass.WEEKENDS
    assert found.observed_days == 18
    assert clock_distance(found.minute_of_day, 9 * 60 + 45) <= 5


def test_weekdays_and_weekends_at_different_times_are_two_routines() -> None:
    planted = generate(
        days=63,
        seed=5,
        routines=[
            PlantedRoutine(
                "light.kitchen", "on", 6 * 60 + 45, 4.0, 0.9, DayClass.WEEKDAYS
            ),
            PlantedRoutine("light.kitchen", "on", 9 * 60, 4.0, 0.9, DayClass.WEEKENDS),
        ],
        noise=[Noise("light.kitchen", 4.0)],
    )
    found = sorted(routines(planted), key=lambda p: p.minute_of_day)
    assert [(p.day_class, p.state) for p in found] == [
        (DayClass.WEEKDAYS, "on"),
        (DayClass.WEEKENDS, "on"),
    ]


def test_a_daily_routine_is_not_also_reported_for_weekdays_or_weekends() -> None:
    for seed in range(6):
        planted = generate(
            days=42,
            seed=seed,
            routines=[PlantedRoutine("light.desk", "on", 8 * 60, 5.0, 0.85)],
            noise=[Noise("light.desk", 5.0)],
        )
        found = routines(planted)
        assert [p.day_class for p in found] == [DayClass.DAILY], (seed, found)


@pytest.mark.parametrize(
    ("morning", "evening"), [(7 * 60, 22 * 60 + 30), (7 * 60, 8 * 60 + 15)]
)
def test_two_routines_a_day_are_both_found(morning: int, evening: int) -> None:
    planted = generate(
        days=30,
        seed=6,
        routines=[
            PlantedRoutine("light.bath", "on", morning, 4.0, 0.9),
            PlantedRoutine("light.bath", "on", evening, 4.0, 0.9),
        ],
        noise=[Noise("light.bath", 4.0)],
    )
    found = sorted(routines(planted), key=lambda p: p.minute_of_day)
    assert len(found) == 2, found
    assert clock_distance(found[0].minute_of_day, morning) <= 4
    assert clock_distance(found[1].minute_of_day, evening) <= 4
    # Their windows do not overlap.
    gap = clock_distance(found[0].minute_of_day, found[1].minute_of_day)
    assert gap * 2 > found[0].window_minutes + found[1].window_minutes


def test_up_to_six_routines_of_one_state_are_found() -> None:
    times = [3 * 60, 7 * 60, 11 * 60, 15 * 60, 19 * 60, 23 * 60]
    planted = generate(
        days=30,
        seed=7,
        routines=[PlantedRoutine("switch.pump", "on", t, 3.0, 0.95) for t in times],
        noise=[Noise("switch.pump", 2.0, states=("off",))],
    )
    found = sorted(routines(planted), key=lambda p: p.minute_of_day)
    assert len(found) == time_of_day.MAX_CORES
    for routine, minute in zip(found, times, strict=True):
        assert clock_distance(routine.minute_of_day, minute) <= 3


@pytest.mark.parametrize("jitter", [1.0, 5.0, 10.0, 14.0])
def test_jittered_routines_are_found_with_wider_windows(jitter: float) -> None:
    planted = generate(
        days=42,
        seed=8,
        routines=[PlantedRoutine("fan.office", "on", 14 * 60, jitter, 0.9)],
        noise=[Noise("fan.office", 3.0)],
    )
    found = only(routines(planted))
    assert clock_distance(found.minute_of_day, 14 * 60) <= max(3, jitter)
    assert found.window_minutes >= min(2 * jitter, 60)
    assert found.window_minutes <= SETTINGS.max_window.total_seconds() / 60
    assert found.support_days >= 0.85 * planted.routines[0].present_days


def test_the_window_keeps_to_the_widest_allowed() -> None:
    planted = generate(
        days=30,
        seed=9,
        routines=[PlantedRoutine("fan.office", "on", 14 * 60, 12.0, 1.0)],
        noise=[Noise("fan.office", 1.0)],
    )
    found = only(routines(planted, max_window=timedelta(minutes=25)))
    assert found.window_minutes <= 25
    assert found.support_days < 30


def test_missing_days_lower_the_support_but_not_the_observed_days() -> None:
    planted = generate(
        days=40,
        seed=10,
        routines=[PlantedRoutine("light.porch", "on", 19 * 60, 3.0, 1.0)],
        noise=[Noise("light.porch", 3.0)],
        missing_days=frozenset(range(10, 17)),  # a week away
    )
    found = only(routines(planted))
    assert found.observed_days == 40
    assert found.support_days <= 33
    assert found.support_days >= planted.routines[0].present_days - 1


@pytest.mark.parametrize(
    ("zone", "start", "minute"),
    [
        (PARIS, date(2024, 3, 15), 7 * 60),  # spring forward on 31 March
        (PARIS, date(2024, 10, 15), 7 * 60 + 30),  # fall back on 27 October
        (NEW_YORK, date(2024, 10, 20), 90),  # 01:30 happens twice on 3 November
        (NEW_YORK, date(2024, 2, 25), 23 * 60 + 57),  # spring forward on 10 March
    ],
)
def test_routines_keep_their_local_time_across_daylight_saving(
    zone: ZoneInfo, start: date, minute: int
) -> None:
    planted = generate(
        days=30,
        seed=11,
        timezone=zone,
        start=start,
        routines=[PlantedRoutine("light.stairs", "on", minute, 2.0, 1.0)],
        noise=[Noise("light.stairs", 3.0)],
    )
    found = only(routines(planted))
    assert clock_distance(found.minute_of_day, minute) <= 2
    assert found.observed_days == 30
    assert found.support_days >= 29
    assert found.window_minutes <= 21


def test_daylight_saving_days_count_as_one_day_each() -> None:
    # A change every local day at 12:00 in New York over both changes of 2024.
    changes = [
        StateChange(
            "switch.fountain",
            "on",
            datetime.combine(
                date(2024, 1, 1) + timedelta(days=d), datetime.min.time()
            ).replace(hour=12, tzinfo=NEW_YORK),
        )
        for d in range(366)
    ]
    table = ChangeTable.from_changes(changes)
    found = find_time_of_day_patterns(
        table,
        timezone=NEW_YORK,
        end=datetime(2025, 1, 1, tzinfo=NEW_YORK),
        settings=SETTINGS,
    )
    assert len(found) == 1
    assert (found[0].minute_of_day, found[0].support_days) == (720, 366)
    assert found[0].observed_days == 366
    assert found[0].window_minutes == 1


def test_only_manual_changes_make_routines() -> None:
    planted = generate(
        days=30,
        seed=12,
        routines=[PlantedRoutine("light.garden", "on", 20 * 60, 3.0, 1.0)],
    )
    table = planted.table
    table.origin = np.full(len(table), Origin.AUTOMATED, dtype=np.int8)
    assert routines(planted) == []
    table.origin[::2] = Origin.SYSTEM
    assert routines(planted) == []


def test_observed_days_start_at_the_entity_first_change_of_any_origin() -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    changes = [
        StateChange("light.a", "unavailable", start + timedelta(hours=3), Origin.SYSTEM)
    ]
    changes += [
        StateChange("light.a", "on", start + timedelta(days=d, hours=7))
        for d in range(10, 30)
    ]
    found = find_time_of_day_patterns(
        ChangeTable.from_changes(changes),
        timezone=UTC,
        end=start + timedelta(days=30),
        settings=SETTINGS,
    )
    assert [(p.support_days, p.observed_days) for p in found] == [(20, 30)]


def test_today_and_the_future_are_left_out() -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    changes = [
        StateChange("light.a", "on", start + timedelta(days=d, hours=7))
        for d in range(40)
    ]
    table = ChangeTable.from_changes(changes)
    end = start + timedelta(days=20, hours=9)  # today's 07:00 already happened
    found = find_time_of_day_patterns(table, timezone=UTC, end=end, settings=SETTINGS)
    assert [(p.support_days, p.observed_days) for p in found] == [(20, 20)]


def test_too_few_observed_days_make_a_forming_routine_at_most() -> None:
    planted = generate(
        days=6,
        seed=13,
        routines=[PlantedRoutine("light.a", "on", 7 * 60, 1.0, 1.0)],
    )
    assert [p.level for p in routines(planted)] == [PatternLevel.FORMING]
    assert [p.level for p in routines(planted, min_observed_days=5)] == [
        PatternLevel.ESTABLISHED
    ]
    assert routines(planted, min_forming_days=7) == []
    # Without a minimum, a class without days (no weekend yet) is skipped.
    short = generate(
        days=3,
        seed=13,
        start=date(2024, 4, 1),
        routines=[PlantedRoutine("light.a", "on", 7 * 60, 1.0, 1.0)],
    )
    found = routines(short, min_observed_days=0, min_confidence=0.0)
    assert {p.day_class for p in found} <= {DayClass.DAILY, DayClass.WEEKDAYS}


def test_a_threshold_no_support_can_reach_makes_no_routine() -> None:
    planted = generate(
        days=30,
        seed=14,
        routines=[PlantedRoutine("light.a", "on", 7 * 60, 1.0, 1.0)],
    )
    # Above today's bar no routine is established; it is real, so it is forming.
    for bar in (0.9, 1.0):
        assert [p.level for p in routines(planted, min_confidence=bar)] == [
            PatternLevel.FORMING
        ]
        assert routines(planted, min_confidence=bar, min_forming_share=1.01) == []


def test_nothing_in_makes_nothing_out() -> None:
    empty = ChangeTable()
    assert (
        find_time_of_day_patterns(
            empty, timezone=UTC, end=datetime(2024, 1, 1, tzinfo=UTC), settings=SETTINGS
        )
        == []
    )


def test_rare_changes_are_not_routines() -> None:
    planted = generate(
        days=30,
        seed=15,
        noise=[Noise("light.a", 0.3), Noise("light.b", 1.0)],
    )
    assert routines(planted) == []


@pytest.mark.parametrize(
    ("seed", "per_day"), [(21, 4.0), (22, 8.0), (23, 8.0), (24, 20.0), (25, 50.0)]
)
def test_pure_noise_makes_no_routine(seed: int, per_day: float) -> None:
    planted = random_house(
        days=30,
        entities=120,
        changes_per_entity_day=per_day,
        seed=seed,
        timezone=PARIS,
        routine_share=0,
        pair_share=0,
        other_origin_share=0.3,
    )
    assert routines(planted) == []


def test_a_planted_house_is_found_again() -> None:
    planted = random_house(
        days=60,
        entities=80,
        changes_per_entity_day=6,
        seed=31,
        timezone=PARIS,
        start=date(2024, 3, 1),
        other_origin_share=0.3,
    )
    found = routines(planted)
    present = [t for t in planted.routines if t.present_share >= 0.7]
    hits = [
        t
        for t in present
        if any(
            p.entity_id == t.routine.entity_id
            and p.state == t.routine.state
            and p.day_class == t.routine.day_class
            and clock_distance(p.minute_of_day, t.routine.minute_of_day)
            <= max(10, 3 * t.routine.jitter_minutes)
            for p in found
        )
    ]
    assert len(present) >= 20
    assert len(hits) >= 0.95 * len(present)
    planted_keys = {(t.routine.entity_id, t.routine.state) for t in planted.routines}
    assert all((p.entity_id, p.state) in planted_keys for p in found)


# --- helpers on their own ---


def test_day_distances_find_each_day_nearest_change() -> None:
    absolute = np.asarray([5, 1430, 1440 + 700, 2 * 1440 + 10])
    distance, signed = time_of_day._day_distances(0, absolute, 3)
    # Day 0: 00:05 (+5); day 1: 23:50 of day 0 (-10); day 2: 00:10 (+10).
    assert distance.tolist() == [5, 10, 10]
    assert signed.tolist() == [5, -10, 10]
    distance, _ = time_of_day._day_distances(720, np.asarray([0]), 2)
    assert distance.tolist() == [720, 1440]


def test_room_stays_clear_of_windows_already_found() -> None:
    assert time_of_day._room(600, [], 90) == 44
    assert time_of_day._room(600, [(620, 10)], 90) == 19
    assert time_of_day._room(600, [(570, 10)], 90) == 20
    assert time_of_day._room(5, [(1430, 5)], 90) == 10  # across midnight
    assert time_of_day._room(600, [(601, 10)], 90) == 0


def daily_routine(inside: np.ndarray) -> time_of_day._Candidate:
    return time_of_day._Candidate(
        day_class=DayClass.DAILY,
        minute=600,
        half_width=10,
        support=int(inside.sum()),
        observed=int(inside.shape[0]),
        confidence=0.5,
        day_distance=np.where(inside, 0, 1440),
    )


def preferred(inside: np.ndarray, weekend: np.ndarray, per_day: int = 3) -> DayClass:
    # Each day's chance of a 21-minute window when it holds `per_day` uses.
    chance = np.full(inside.shape[0], 1 - (1 - 21 / 1440) ** per_day)
    return time_of_day._preferred_class(daily_routine(inside), weekend, chance, 0.4)


WEEKEND = np.asarray(([False] * 5 + [True] * 2) * 6)


def test_preferred_class_needs_both_kinds_of_days_and_a_difference() -> None:
    assert preferred(np.ones(7, dtype=np.bool_), np.zeros(7, dtype=np.bool_)) is (
        DayClass.DAILY
    )
    assert preferred(np.ones(42, dtype=np.bool_), WEEKEND) is DayClass.DAILY


def test_preferred_class_follows_where_the_routine_holds() -> None:
    assert preferred(WEEKEND.copy(), WEEKEND) is DayClass.WEEKENDS
    assert preferred(~WEEKEND, WEEKEND) is DayClass.WEEKDAYS
    # On weekdays and most weekends (a routine by itself): daily.
    mostly = ~WEEKEND
    mostly[[5, 6, 12, 13, 19, 20, 26, 27, 33, 34]] = True
    assert preferred(mostly, WEEKEND) is DayClass.DAILY
    # On 5 of 12 weekends: not a routine by itself, but far above chance.
    some = ~WEEKEND
    some[[5, 12, 19, 26, 33]] = True
    assert preferred(some, WEEKEND) is DayClass.DAILY
    # The same where the entity changes all day long: chance explains them.
    assert preferred(some, WEEKEND, per_day=200) is DayClass.WEEKDAYS
