"""Routines of real households: uses not changes, the entity's own day, the run's bar.

Real devices change in bursts, some entities are busy all day, some are used at
every meal, and a new house has only a few days of history; the detector must
still find the routines and never make one from noise.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from benchmarks.planted import Noise, PlantedRoutine, generate, random_house
from custom_components.ha_ai.engine.habits import time_of_day
from custom_components.ha_ai.engine.habits.false_discovery import benjamini_hochberg
from custom_components.ha_ai.engine.habits.model import (
    ChangeTable,
    DayClass,
    MiningSettings,
    Origin,
    PatternLevel,
    StateChange,
    TimeOfDayPattern,
)
from custom_components.ha_ai.engine.habits.significance import (
    binomial_tail,
    evidence,
    poisson_binomial_tail,
)
from custom_components.ha_ai.engine.habits.time_of_day import (
    find_time_of_day_patterns,
)

START = datetime(2024, 4, 1, tzinfo=UTC)  # a Monday
SETTINGS = MiningSettings()


def mine(
    changes: list[StateChange], days: int, **settings: object
) -> list[TimeOfDayPattern]:
    return find_time_of_day_patterns(
        ChangeTable.from_changes(changes),
        timezone=UTC,
        end=START + timedelta(days=days),
        settings=MiningSettings(**settings),  # type: ignore[arg-type]
    )


def burst(
    entity_id: str, at: datetime, count: int, spacing: int = 20
) -> list[StateChange]:
    """A use: `count` on/off pairs, `spacing` seconds apart."""
    changes: list[StateChange] = []
    for n in range(count):
        moment = at + timedelta(seconds=2 * spacing * n)
        changes.append(StateChange(entity_id, "on", moment))
        changes.append(StateChange(entity_id, "off", moment + timedelta(seconds=5)))
    return changes


def near(pattern: TimeOfDayPattern, minute: int, slack: int = 10) -> bool:
    distance = abs(pattern.minute_of_day - minute) % 1440
    return min(distance, 1440 - distance) <= slack


# --- statistics ---


def test_poisson_binomial_tail_is_exact() -> None:
    chances = np.asarray([0.1, 0.5, 0.9, 0.3, 0.0, 1.0, 0.25])
    for successes in range(9):
        exact = sum(
            math.prod(c if hit else 1 - c for c, hit in zip(chances, hits, strict=True))
            for hits in itertools.product([0, 1], repeat=len(chances))
            if sum(hits) >= successes
        )
        assert poisson_binomial_tail(successes, chances) == pytest.approx(
            exact, abs=1e-12
        )
    same = np.full(20, 0.2)
    assert poisson_binomial_tail(9, same) == pytest.approx(
        binomial_tail(9, 20, 0.2), rel=1e-9
    )


def test_benjamini_hochberg_counts_every_hypothesis_tested() -> None:
    probabilities = np.asarray([0.01, 0.0001, 0.03, 0.5])
    # Tested on their own: the classic step-up adjustment.
    assert benjamini_hochberg(probabilities, 4).tolist() == pytest.approx(
        [0.02, 0.0004, 0.04, 0.5]
    )
    # Among 1000 hypotheses (the others never significant), far less survives.
    assert benjamini_hochberg(probabilities, 1000).tolist() == pytest.approx(
        [1.0, 0.1, 1.0, 1.0]
    )
    assert benjamini_hochberg(np.zeros(0), 10).shape == (0,)
    assert evidence(1e-6) == pytest.approx(6.0)
    assert evidence(0.0) == pytest.approx(300.0)


def test_day_coverage_is_the_share_of_shifts_that_hit_a_window() -> None:
    # Two episodes 30 minutes apart, and a burst of three within 2 minutes.
    day = np.asarray([0, 0, 1, 1, 1])
    minute = np.asarray([600, 630, 100, 101, 102])
    coverage = time_of_day._day_coverage(day, minute, 3, 90)
    for width in (1, 10, 30, 60, 90):
        for d in (0, 1):
            shifts = sum(
                any((m + shift - 700) % 1440 < width for m in minute[day == d].tolist())
                for shift in range(1440)
            )
            assert coverage[d, width] == pytest.approx(shifts / 1440)
    assert coverage[2].tolist() == [0.0] * 91  # a day without an episode


# --- uses, not changes ---


def test_a_routine_of_bursts_counts_each_day_once_and_keeps_the_raw_changes() -> None:
    """A breakfast cupboard on 11 of 15 days among bursts of ten changes.

    Counted change by change, the forty changes of each day's other uses would
    hit a half-hour window on most days by chance, and hide it.
    """
    rng = np.random.default_rng(3)
    changes: list[StateChange] = []
    for d in range(15):
        day = START + timedelta(days=d)
        if d not in {2, 6, 9, 13}:
            at = day + timedelta(hours=7, minutes=int(rng.integers(25, 36)))
            changes += burst("binary_sensor.cupboard", at, 5)
        for _ in range(4):
            at = day + timedelta(minutes=int(rng.integers(9 * 60, 23 * 60)))
            changes += burst("binary_sensor.cupboard", at, 10)
    found = [p for p in mine(changes, 15) if p.state == "on"]
    assert len(found) == 1, found
    routine = found[0]
    assert near(routine, 7 * 60 + 30)
    assert routine.level is PatternLevel.ESTABLISHED
    assert (routine.support_days, routine.observed_days) == (11, 15)
    assert routine.changes > 3 * routine.support_days  # raw changes, for display


def test_an_entity_used_at_every_meal_still_shows_its_breakfast() -> None:
    rng = np.random.default_rng(8)
    changes: list[StateChange] = []
    for d in range(28):
        day = START + timedelta(days=d)
        if rng.random() < 0.85:
            minutes = 7 * 60 + 20 + rng.normal(0, 4)
            changes += burst(
                "binary_sensor.pantry", day + timedelta(minutes=minutes), 4
            )
        for centre, spread in ((12 * 60 + 30, 45), (19 * 60, 50)):
            if rng.random() < 0.8:
                minutes = centre + rng.normal(0, spread)
                changes += burst(
                    "binary_sensor.pantry",
                    day + timedelta(minutes=minutes),
                    int(rng.integers(3, 8)),
                )
        for _ in range(2):  # snacks
            minutes = int(rng.integers(9 * 60, 23 * 60))
            changes += burst(
                "binary_sensor.pantry", day + timedelta(minutes=minutes), 2
            )
    found = [p for p in mine(changes, 28) if p.state == "on"]
    assert any(near(p, 7 * 60 + 20) for p in found), found


@pytest.mark.parametrize(("first_hour", "last_hour"), [(0, 24), (7, 23)])
def test_a_sensor_busy_all_day_makes_no_routine(
    first_hour: int, last_hour: int
) -> None:
    """All day long, or all waking hours: no time of day is its own."""
    rng = np.random.default_rng(first_hour)
    changes: list[StateChange] = []
    for d in range(45):
        day = START + timedelta(days=d)
        count = int(rng.integers(30, 60))
        seconds = np.sort(rng.integers(first_hour * 3600, last_hour * 3600, count))
        for second in seconds.tolist():
            at = day + timedelta(seconds=second)
            changes.append(StateChange("binary_sensor.hall_motion", "on", at))
            changes.append(
                StateChange(
                    "binary_sensor.hall_motion", "off", at + timedelta(seconds=90)
                )
            )
    assert mine(changes, 45) == []


# --- forming and established ---


def weekday_routine(weeks: int, missed: set[int]) -> list[StateChange]:
    """A light on at 06:40 on weekdays (but the weekdays `missed`), and noise."""
    rng = np.random.default_rng(weeks)
    changes: list[StateChange] = []
    weekday = 0
    for d in range(7 * weeks):
        day = START + timedelta(days=d)
        if day.weekday() < 5:
            if weekday not in missed:
                minutes = 6 * 60 + 40 + float(rng.normal(0, 3))
                changes.append(
                    StateChange(
                        "light.bathroom", "on", day + timedelta(minutes=minutes)
                    )
                )
            weekday += 1
        for _ in range(2):
            minutes = int(rng.integers(0, 1440))
            changes.append(
                StateChange("light.bathroom", "on", day + timedelta(minutes=minutes))
            )
    return changes


def test_seven_of_ten_weekdays_is_a_forming_routine_promoted_later() -> None:
    young = mine(weekday_routine(2, {1, 4, 8}), 14)
    assert [(p.day_class, p.level) for p in young] == [
        (DayClass.WEEKDAYS, PatternLevel.FORMING)
    ]
    assert (young[0].support_days, young[0].observed_days) == (7, 10)
    assert young[0].confidence < SETTINGS.min_confidence  # under today's bar
    assert near(young[0], 6 * 60 + 40)
    # Three more weeks, kept on 17 of 25 weekdays: established.
    grown = mine(weekday_routine(5, {1, 4, 8, 12, 15, 18, 21, 24}), 35)
    assert [(p.day_class, p.level) for p in grown] == [
        (DayClass.WEEKDAYS, PatternLevel.ESTABLISHED)
    ]
    assert grown[0].evidence > young[0].evidence


def test_a_few_days_make_a_forming_routine_once_there_are_enough() -> None:
    changes = [
        StateChange(
            "switch.kettle", "on", START + timedelta(days=d, hours=6, minutes=55)
        )
        for d in range(5)
    ]
    assert mine(changes, 3) == []  # fewer days than `min_forming_days`
    found = mine(changes, 5)
    assert [(p.level, p.support_days) for p in found] == [(PatternLevel.FORMING, 5)]


# --- the run's bar ---


def house(noise_entities: int, seed: int = 4) -> ChangeTable:
    """A routine of moderate evidence among `noise_entities` entities of noise."""
    planted = generate(
        days=14,
        seed=seed,
        routines=[PlantedRoutine("light.desk", "on", 9 * 60, 6.0, 0.8)],
        noise=[
            Noise("light.desk", 4.0),
            *(Noise(f"light.noise_{i:03d}", 6.0) for i in range(noise_entities)),
        ],
    )
    return planted.table


def desk(table: ChangeTable) -> list[TimeOfDayPattern]:
    found = find_time_of_day_patterns(
        table, timezone=UTC, end=datetime(2024, 1, 15, tzinfo=UTC), settings=SETTINGS
    )
    assert all(p.entity_id == "light.desk" for p in found), found
    return found


def test_the_bar_rises_with_the_size_of_the_house() -> None:
    small = desk(house(2))
    large = desk(house(400))
    assert [p.state for p in small] == ["on"]
    assert near(small[0], 9 * 60)
    assert small[0].level is PatternLevel.ESTABLISHED
    # The same routine judged among 130 times as many hypotheses: not enough.
    assert large == []


def test_the_bar_does_not_depend_on_a_fixed_probability() -> None:
    table = house(2)
    found = desk(table)
    strict = find_time_of_day_patterns(
        table,
        timezone=UTC,
        end=datetime(2024, 1, 15, tzinfo=UTC),
        settings=MiningSettings(routine_false_discovery_rate=1e-12),
    )
    assert found
    assert strict == []
    assert found[0].evidence > -math.log10(SETTINGS.routine_false_discovery_rate)


# --- noise ---


@pytest.mark.parametrize(
    ("entities", "per_day", "days", "seed"),
    [
        (5, 2.0, 7, 1),
        (12, 30.0, 10, 2),
        (40, 8.0, 14, 3),
        (20, 60.0, 21, 4),
        (200, 3.0, 10, 5),
        (60, 15.0, 45, 6),
    ],
)
def test_pure_noise_of_any_size_makes_nothing_established_or_forming(
    entities: int, per_day: float, days: int, seed: int
) -> None:
    planted = random_house(
        days=days,
        entities=entities,
        changes_per_entity_day=per_day,
        seed=seed,
        routine_share=0,
        pair_share=0,
        other_origin_share=0.2,
        start=date(2024, 5, 6),
    )
    found = find_time_of_day_patterns(
        planted.table, timezone=UTC, end=planted.end, settings=SETTINGS
    )
    assert found == []


def test_bursty_noise_makes_nothing() -> None:
    rng = np.random.default_rng(12)
    changes: list[StateChange] = []
    for entity in range(30):
        for d in range(21):
            day = START + timedelta(days=d)
            for _ in range(int(rng.integers(0, 6))):
                at = day + timedelta(seconds=int(rng.integers(0, 86_400)))
                changes += burst(
                    f"binary_sensor.door_{entity:02d}", at, int(rng.integers(1, 12))
                )
    changes += [
        StateChange("binary_sensor.door_00", "on", START, Origin.SYSTEM),
    ]
    assert mine(changes, 21) == []
