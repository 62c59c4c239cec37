"""Houses that look like real ones give their habits; pure noise gives nothing.

The houses come from benchmarks.planted: bursty devices, sensors firing all
day, residents away for days, visitors, entities used at every meal, weekday
routines in short histories, with the routines and pairs planted in them as the
truth. Mining runs with the default settings, as a new user's first analysis
does. A routine counts as found when one of the same entity, state and day class
is reported, at either level, within max(10 min, 3 jitter) of its time; a daily
routine may be found for weekdays or weekends only (ten days hold two weekend
days: a daily routine missed on one of them is kept on weekdays, and the
history says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from benchmarks.habit_truth import History, history_of_rows, routine_support
from benchmarks.planted import (
    NOISE_KINDS,
    REALISTIC_KINDS,
    Planted,
    RoutineTruth,
    noise_house,
    realistic_house,
)
from custom_components.ha_ai.engine.habits.mining import mine_habits
from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    Origin,
    Pattern,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)

PRESENT_SHARE = 0.7
PARIS = ZoneInfo("Europe/Paris")
SPRING = date(2024, 3, 25)  # Paris moves its clocks on 31 March


def mine(planted: Planted) -> list[Pattern]:
    return mine_habits(planted.table, timezone=planted.timezone, end=planted.end)


def routines_of(patterns: Sequence[Pattern]) -> list[TimeOfDayPattern]:
    return [p for p in patterns if isinstance(p, TimeOfDayPattern)]


def pairs_of(patterns: list[Pattern]) -> set[tuple[str, str, str, str]]:
    return {
        (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
        for p in patterns
        if isinstance(p, UsedTogetherPattern)
    }


def matches(pattern: TimeOfDayPattern, truth: RoutineTruth) -> bool:
    routine = truth.routine
    distance = abs(pattern.minute_of_day - routine.minute_of_day) % 1440
    classes = {routine.day_class}
    if routine.day_class is DayClass.DAILY:
        classes |= {DayClass.WEEKDAYS, DayClass.WEEKENDS}
    return (
        pattern.entity_id == routine.entity_id
        and pattern.state == routine.state
        and pattern.day_class in classes
        and min(distance, 1440 - distance) <= max(10, 3 * routine.jitter_minutes)
    )


def missed_and_false(
    planted: Planted, patterns: Sequence[Pattern]
) -> tuple[list[str], list[str]]:
    """Return the routines kept on >= 70 % of days not found, and those reported
    that were never planted and that brute force does not back either.

    A generated house holds regularities nobody planted (a kitchen light used at
    every meal, switched off after dinner at about the same time): a reported
    routine brute force finds in the manual history (benchmarks.habit_truth, the
    rule the real recordings are judged by) is in the data, not false.
    """
    routines = routines_of(patterns)
    present = [t for t in planted.routines if t.present_share >= PRESENT_SHARE]
    missed = [
        f"{t.routine.entity_id} {t.routine.state} {t.routine.minute_of_day} "
        f"{t.routine.day_class} {t.present_days}/{t.class_days}"
        for t in present
        if not any(matches(p, t) for p in routines)
    ]
    unplanted = [
        p for p in routines if not any(matches(p, t) for t in planted.routines)
    ]
    history = manual_history(planted) if unplanted else None
    false = [
        f"{p.entity_id} {p.state} {p.time} {p.day_class} {p.level}"
        for p in unplanted
        if history is None
        or not routine_support(
            history,
            p.entity_id,
            p.state,
            str(p.day_class),
            p.minute_of_day,
            p.window_minutes,
        ).supported
    ]
    return missed, false


def manual_history(planted: Planted) -> History:
    """Return the house's manual changes before its end, as brute force reads them."""
    table = planted.table
    end = int(planted.end.timestamp())
    keep = np.flatnonzero((table.origin == Origin.MANUAL) & (table.when < end))
    return history_of_rows(
        (
            (
                table.entity_ids[table.entity[i]],
                table.states[table.state[i]],
                int(table.when[i]),
            )
            for i in keep.tolist()
        ),
        planted.timezone,
    )


def planted_pairs(planted: Planted) -> set[tuple[str, str, str, str]]:
    return {
        (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
        for p in planted.pairs
    }


# --- the generated houses are what they say ---


@pytest.mark.parametrize("kind", REALISTIC_KINDS)
def test_a_realistic_house_keeps_its_states_consistent(kind: str) -> None:
    planted = realistic_house(kind, days=14, entities=40, seed=3)
    table = planted.table
    assert len(table) > 0
    assert np.all(np.diff(table.when) >= 0)
    assert table.when.min() >= planted.start.timestamp()
    assert table.when.max() < planted.end.timestamp()
    for entity in range(len(table.entity_ids)):
        states = table.state[table.entity == entity]
        assert np.all(states[1:] != states[:-1]), table.entity_ids[entity]
    assert planted.routines
    assert planted.pairs


def test_realistic_houses_are_deterministic_per_seed() -> None:
    first = realistic_house("mixed", days=10, entities=30, seed=5)
    again = realistic_house("mixed", days=10, entities=30, seed=5)
    other = realistic_house("mixed", days=10, entities=30, seed=6)
    assert np.array_equal(first.table.when, again.table.when)
    assert first.routines == again.routines
    assert not np.array_equal(first.table.when, other.table.when)


@pytest.mark.parametrize(("entities", "days"), [(10, 7), (120, 60), (500, 10)])
def test_realistic_houses_come_in_every_size(entities: int, days: int) -> None:
    planted = realistic_house("mixed", days=days, entities=entities, seed=1)
    assert len(planted.table.entity_ids) == entities
    assert round((planted.end - planted.start).days) == days


def test_a_realistic_house_needs_its_core_and_two_days() -> None:
    with pytest.raises(ValueError, match="at least 10 entities"):
        realistic_house("plain", days=14, entities=9, seed=1)
    with pytest.raises(ValueError, match="unknown kind"):
        realistic_house("castle", days=14, entities=10, seed=1)
    with pytest.raises(ValueError, match="unknown kind"):
        noise_house("castle", days=14, entities=10, changes_per_entity_day=1, seed=1)


def test_weekday_routines_are_kept_on_7_of_10_weekdays() -> None:
    planted = realistic_house("weekdays", days=14, entities=20, seed=2)
    assert {t.routine.day_class for t in planted.routines} == {DayClass.WEEKDAYS}
    assert {(t.present_days, t.class_days) for t in planted.routines} == {(7, 10)}


def test_away_days_hold_only_automated_and_system_changes() -> None:
    planted = realistic_house("away", days=30, entities=30, seed=4)
    table = planted.table
    midnights = [planted.start.timestamp() + d * 86_400 for d in range(31)]
    manual_per_day = np.bincount(
        np.searchsorted(midnights, table.when[table.origin == Origin.MANUAL], "right")
        - 1,
        minlength=30,
    )
    quiet = np.flatnonzero(manual_per_day == 0)
    assert 3 <= quiet.shape[0] <= 7
    assert np.all(np.diff(quiet) == 1)  # several days in a row
    assert np.count_nonzero(table.origin == Origin.AUTOMATED) > 0


def test_visitors_leave_a_pair_of_one_afternoon() -> None:
    planted = realistic_house("visitors", days=14, entities=20, seed=4)
    assert len(planted.decoys) == 1
    assert not planted_pairs(planted) & {
        (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
        for p in planted.decoys
    }


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_houses_plant_nothing_and_reach_their_density(kind: str) -> None:
    planted = noise_house(kind, days=14, entities=50, changes_per_entity_day=20, seed=1)
    assert planted.routines == []
    assert planted.pairs == []
    per_entity_day = np.count_nonzero(planted.table.origin == Origin.MANUAL) / (50 * 14)
    assert 10 <= per_entity_day <= 30


# --- pure noise gives nothing ---

NOISE_CASES: list[object] = [
    # kind, entities, days, changes per entity and day
    ("uniform", 10, 7, 3.0),
    ("uniform", 50, 14, 50.0),
    ("uniform", 200, 30, 5.0),
    ("uniform", 500, 10, 2.0),
    ("uniform", 500, 10, 50.0),
    ("bursty", 10, 14, 20.0),
    ("bursty", 100, 30, 10.0),
    ("bursty", 300, 10, 50.0),
    ("all_day", 20, 14, 60.0),
    ("all_day", 100, 30, 20.0),
    ("all_day", 500, 7, 5.0),
]


@pytest.mark.parametrize(("kind", "entities", "days", "per_day"), NOISE_CASES)
def test_pure_noise_gives_no_routine_and_no_pair(
    kind: str, entities: int, days: int, per_day: float
) -> None:
    planted = noise_house(
        kind,
        days=days,
        entities=entities,
        changes_per_entity_day=per_day,
        seed=entities + days,
        timezone=PARIS,
        start=SPRING,
    )
    patterns = mine(planted)
    found = [(type(p).__name__, getattr(p, "entity_id", ""), p.level) for p in patterns]
    assert found == []


# --- realistic houses give their habits ---

HOUSES = (
    # kind, entities, days
    ("plain", 30, 30),
    ("bursty", 30, 30),
    ("busy", 30, 30),
    ("away", 30, 30),
    ("visitors", 30, 30),
    ("meals", 30, 30),
    ("mixed", 60, 28),
    ("mixed", 200, 14),
)


# Houses whose routines the miner on this branch does not give yet.
def houses() -> list[object]:
    return [
        pytest.param(*house, id=f"{house[0]}-{house[1]}-{house[2]}d")
        for house in HOUSES
    ]


@pytest.mark.parametrize(("kind", "entities", "days"), houses())
def test_a_realistic_house_gives_its_routines(
    kind: str, entities: int, days: int
) -> None:
    """The issue's targets: recall 0.9 over a month (0.7 over two weeks, counting
    forming routines) of routines kept on >= 70 % of days, precision 0.95.

    The run controls its false discoveries at a rate, not to none: in a house of a
    dozen routines one forming routine may be a coincidence (a light switched
    off at bedtime after its evening routine, on 5 of 8 weekend days), never an
    established one beyond the rate.
    """
    planted = realistic_house(
        kind, days=days, entities=entities, seed=days, timezone=PARIS, start=SPRING
    )
    patterns = mine(planted)
    missed, false = missed_and_false(planted, patterns)
    present = sum(t.present_share >= PRESENT_SHARE for t in planted.routines)
    reported = len(routines_of(patterns))
    assert present > 0
    assert len(missed) <= (0.1 if days >= 28 else 0.3) * present, missed
    assert len(false) <= 0.05 * reported, false


@pytest.mark.parametrize(("kind", "entities", "days"), houses())
def test_a_realistic_house_gives_its_pairs_and_no_other(
    kind: str, entities: int, days: int
) -> None:
    """Pairs: recall and precision 0.9, none of one afternoon.

    Two planted routines a minute apart make a pair the history holds: not false.
    """
    planted = realistic_house(
        kind, days=days, entities=entities, seed=days, timezone=PARIS, start=SPRING
    )
    found = pairs_of(mine(planted))
    truth = planted_pairs(planted)
    false = {p for p in found if not planted.explains(p[:2], p[2:])}
    assert len(truth - found) <= 0.1 * len(truth), truth - found
    assert len(false) <= 0.1 * len(found), false
    assert not found & {
        (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
        for p in planted.decoys
    }


def test_weekday_routines_of_ten_days_show_as_forming_at_least() -> None:
    planted = realistic_house("weekdays", days=14, entities=30, seed=8)
    routines = routines_of(mine(planted))
    for truth in planted.routines:
        found = [p for p in routines if matches(p, truth)]
        assert found, truth.routine
        assert found[0].level in {PatternLevel.FORMING, PatternLevel.ESTABLISHED}
    missed, false = missed_and_false(planted, routines)
    assert (missed, false) == ([], [])


def test_an_entity_used_at_every_meal_keeps_its_breakfast_routine() -> None:
    planted = realistic_house("meals", days=14, entities=10, seed=9)
    routines = routines_of(mine(planted))
    breakfast = [
        t for t in planted.routines if t.routine.entity_id.startswith("binary_sensor")
    ]
    assert breakfast
    for truth in breakfast:
        assert any(matches(p, truth) for p in routines), truth.routine
    missed, false = missed_and_false(planted, routines)
    assert (missed, false) == ([], [])


def test_sensors_firing_all_day_make_no_routine() -> None:
    planted = realistic_house("busy", days=30, entities=50, seed=12)
    sensors = {
        p.entity_id
        for p in routines_of(mine(planted))
        if p.entity_id.startswith("binary_sensor.")
    }
    assert sensors == set()


def test_a_pair_of_one_afternoon_is_not_reported() -> None:
    """A visitor used the microwave and then the kettle 15 times one afternoon."""
    planted = realistic_house("visitors", days=14, entities=30, seed=1)
    decoys = {
        (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
        for p in planted.decoys
    }
    assert decoys
    assert not pairs_of(mine(planted)) & decoys


def test_days_away_add_no_habit_of_their_own() -> None:
    planted = realistic_house("away", days=21, entities=20, seed=14)
    missed, false = missed_and_false(planted, mine(planted))
    assert false == []
