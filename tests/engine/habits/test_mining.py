"""Mining a house: both detectors, what is automated, ids run to run; the model."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from benchmarks.planted import (
    Noise,
    Planted,
    PlantedPair,
    PlantedRoutine,
    generate,
    random_house,
)
from custom_components.ha_ai.engine.habits.mining import (
    PatternComparison,
    compare_patterns,
    mine_habits,
    pattern_id,
    with_ids,
)
from custom_components.ha_ai.engine.habits.model import (
    AutomationCoverage,
    ChangeTable,
    DayClass,
    MiningSettings,
    Origin,
    Pattern,
    StateChange,
    TimeOfDayPattern,
    UsedTogetherPattern,
    classify_origin,
)

ID = re.compile(r"^(tod|pair)_[0-9a-f]{12}$")


def history(
    morning: int = 7 * 60,
    *,
    seed: int = 1,
    evening: bool = True,
    weekdays_only: bool = False,
) -> Planted:
    """A small house: a bedroom routine or two, a pair, and noise."""
    routines = [
        PlantedRoutine(
            "light.bedroom",
            "on",
            morning,
            3.0,
            0.95,
            DayClass.WEEKDAYS if weekdays_only else DayClass.DAILY,
        )
    ]
    if evening:
        routines.append(PlantedRoutine("light.bedroom", "off", 23 * 60, 3.0, 0.95))
    return generate(
        days=35,
        seed=seed,
        start=date(2024, 4, 1),
        routines=routines,
        pairs=[PlantedPair("light.kitchen", "on", "switch.coffee", "on", 0.9, 5, 60)],
        noise=[
            Noise("light.bedroom", 3.0, automated_share=0.2, system_share=0.1),
            Noise("light.kitchen", 6.0, automated_share=0.2),
            Noise("switch.coffee", 2.0),
        ],
    )


def mine(planted: Planted, **options: object) -> list[Pattern]:
    return mine_habits(
        planted.table,
        timezone=planted.timezone,
        end=planted.end,
        **options,  # type: ignore[arg-type]
    )


def routines_of(patterns: list[Pattern]) -> list[TimeOfDayPattern]:
    return [p for p in patterns if isinstance(p, TimeOfDayPattern)]


def pairs_of(patterns: list[Pattern]) -> list[UsedTogetherPattern]:
    return [p for p in patterns if isinstance(p, UsedTogetherPattern)]


# --- mine_habits ---


def test_mining_finds_routines_and_pairs_with_ids() -> None:
    patterns = mine(history())
    routines, pairs = routines_of(patterns), pairs_of(patterns)
    assert [(r.entity_id, r.state) for r in routines] == [
        ("light.bedroom", "off"),
        ("light.bedroom", "on"),
    ]
    assert [(p.trigger_entity_id, p.entity_id) for p in pairs] == [
        ("light.kitchen", "switch.coffee")
    ]
    ids = [p.pattern_id for p in patterns]
    assert all(ID.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert [i.split("_")[0] for i in ids] == ["tod", "tod", "pair"]
    assert not any(p.automated for p in patterns)


def test_mining_is_deterministic() -> None:
    assert mine(history()) == mine(history())
    assert mine(history(), settings=MiningSettings()) == mine(history())


def test_covered_patterns_are_marked_automated() -> None:
    patterns = mine(history())
    coverage = AutomationCoverage(
        timed_actions=frozenset(
            (p.entity_id, p.state, p.minute_of_day) for p in routines_of(patterns)
        ),
        triggered_actions=frozenset({("light.kitchen", "on", "switch.coffee", "on")}),
    )
    patterns = mine(history(), coverage=coverage)
    assert patterns
    assert all(p.automated for p in patterns)
    # Acting on the same entities, but not the same way, is not doing it.
    other = AutomationCoverage(
        timed_targets=frozenset({"light.bedroom"}),
        state_triggered=frozenset({("light.kitchen", "switch.coffee")}),
        timed_actions=frozenset({("light.bedroom", "on", 13 * 60)}),
        triggered_actions=frozenset({("light.kitchen", "on", "switch.coffee", "off")}),
    )
    assert not any(p.automated for p in mine(history(), coverage=other))


def test_one_device_pairs_are_left_out_on_request() -> None:
    patterns = mine(history(), same_device=lambda *_: True)
    assert pairs_of(patterns) == []
    assert len(routines_of(patterns)) == 2


def test_pattern_ids_derive_from_what_identifies_a_pattern() -> None:
    routine = routines_of(mine(history()))[0]
    assert pattern_id(routine) == routine.pattern_id
    assert pattern_id(replace(routine, support_days=1)) == routine.pattern_id
    assert pattern_id(replace(routine, minute_of_day=1)) != routine.pattern_id
    assert (
        pattern_id(replace(routine, day_class=DayClass.WEEKENDS)) != routine.pattern_id
    )
    pair = pairs_of(mine(history()))[0]
    assert pattern_id(replace(pair, count=1, lift=9.0)) == pair.pattern_id
    assert pattern_id(replace(pair, state="off")) != pair.pattern_id


def test_ids_are_unique_within_a_run() -> None:
    routine = routines_of(mine(history()))[0]
    same = with_ids([routine, routine, routine])
    assert [p.pattern_id for p in same] == [
        routine.pattern_id,
        f"{routine.pattern_id}_2",
        f"{routine.pattern_id}_3",
    ]


# --- compare_patterns ---


def test_the_same_run_again_is_all_reconfirmed() -> None:
    first = mine(history())
    comparison = compare_patterns(mine(history()), first)
    assert isinstance(comparison, PatternComparison)
    assert comparison.patterns == first
    assert comparison.reconfirmed == first
    assert (comparison.new, comparison.gone) == ([], [])


def test_a_routine_that_moved_a_few_minutes_keeps_its_id() -> None:
    before = mine(history(7 * 60))
    after = mine(history(7 * 60 + 6, seed=2))
    moved = next(p for p in routines_of(after) if p.state == "on")
    earlier = next(p for p in routines_of(before) if p.state == "on")
    assert moved.minute_of_day != earlier.minute_of_day
    assert moved.pattern_id != earlier.pattern_id  # its own id would differ
    comparison = compare_patterns(after, before)
    carried = next(p for p in routines_of(comparison.patterns) if p.state == "on")
    assert carried.pattern_id == earlier.pattern_id
    assert carried.minute_of_day == moved.minute_of_day  # figures are today's
    assert {p.pattern_id for p in comparison.patterns} == {p.pattern_id for p in before}
    assert len(comparison.reconfirmed) == 3
    assert (comparison.new, comparison.gone) == ([], [])


def test_new_and_gone_patterns() -> None:
    before = mine(history(evening=False))
    after = mine(history(evening=True))
    comparison = compare_patterns(after, before)
    assert [(p.entity_id, p.state) for p in routines_of(comparison.new)] == [
        ("light.bedroom", "off")
    ]
    assert comparison.new[0].pattern_id == pattern_id(comparison.new[0])
    assert comparison.gone == []
    back = compare_patterns(before, after)
    assert back.new == []
    assert [(p.entity_id, p.state) for p in routines_of(back.gone)] == [
        ("light.bedroom", "off")
    ]
    assert len(back.reconfirmed) == 2


def test_a_routine_of_another_day_class_or_far_away_is_a_new_one() -> None:
    before = mine(history())
    weekdays = mine(history(weekdays_only=True))
    comparison = compare_patterns(weekdays, before)
    assert [p.day_class for p in routines_of(comparison.new)] == [DayClass.WEEKDAYS]
    assert [p.day_class for p in routines_of(comparison.gone)] == [DayClass.DAILY]
    later = mine(history(9 * 60))
    comparison = compare_patterns(later, before)
    assert [p.minute_of_day for p in routines_of(comparison.new)] == [
        p.minute_of_day for p in routines_of(later) if p.state == "on"
    ]
    assert len(comparison.gone) == 1


def test_the_closest_previous_routine_gives_its_id() -> None:
    current = routines_of(mine(history()))[1]
    assert current.state == "on"
    near = replace(
        current, pattern_id="tod_near", minute_of_day=current.minute_of_day + 2
    )
    far = replace(
        current, pattern_id="tod_far", minute_of_day=current.minute_of_day - 6
    )
    comparison = compare_patterns([current], [far, near])
    assert [p.pattern_id for p in comparison.patterns] == ["tod_near"]
    assert comparison.gone == [far]
    # Two current routines, one previous: the nearer keeps it, the other is new.
    twin = replace(current, minute_of_day=current.minute_of_day + 1)
    comparison = compare_patterns([current, twin], [near])
    assert [p.pattern_id for p in comparison.reconfirmed] == ["tod_near"]
    assert comparison.reconfirmed[0].minute_of_day == twin.minute_of_day
    assert len(comparison.new) == 1


def test_a_pair_matches_on_its_entities_and_states_only() -> None:
    pair = pairs_of(mine(history()))[0]
    earlier = replace(pair, pattern_id="pair_earlier", count=3, confidence=0.61)
    other = replace(pair, pattern_id="pair_other", state="off")
    comparison = compare_patterns([pair], [earlier, other])
    assert [p.pattern_id for p in comparison.patterns] == ["pair_earlier"]
    assert comparison.patterns[0].count == pair.count
    assert comparison.gone == [other]
    # A previous pair is matched once.
    assert len(compare_patterns([pair, pair], [earlier]).new) == 1


def test_a_new_pattern_never_takes_an_id_already_carried() -> None:
    current = routines_of(mine(history()))[1]
    # The previous routine had, by chance, the id the new one would get.
    previous = replace(
        current,
        pattern_id=pattern_id(replace(current, minute_of_day=600)),
        minute_of_day=current.minute_of_day + 3,
    )
    newcomer = replace(current, minute_of_day=600, pattern_id="")
    comparison = compare_patterns([current, newcomer], [previous])
    assert [p.pattern_id for p in comparison.reconfirmed] == [previous.pattern_id]
    assert [p.pattern_id for p in comparison.new] == [f"{previous.pattern_id}_2"]


def test_a_planted_house_mined_twice_a_day_apart_keeps_its_ids() -> None:
    planted = random_house(
        days=45, entities=60, changes_per_entity_day=6, seed=9, pair_share=0.1
    )
    yesterday = mine_habits(
        planted.table,
        timezone=planted.timezone,
        end=planted.end - timedelta(days=1),
    )
    today = mine_habits(planted.table, timezone=planted.timezone, end=planted.end)
    assert len(yesterday) >= 20
    comparison = compare_patterns(today, yesterday)
    assert len(comparison.reconfirmed) >= 0.9 * len(yesterday)
    assert len(comparison.new) + len(comparison.gone) <= 0.1 * len(yesterday) + 2
    ids = [p.pattern_id for p in comparison.patterns]
    assert len(set(ids)) == len(ids)


# --- the model ---


@pytest.mark.parametrize(
    ("old", "new", "parent", "origin"),
    [
        ("off", "on", None, Origin.MANUAL),
        ("off", "on", "", Origin.MANUAL),
        ("off", "on", "01HPARENT", Origin.AUTOMATED),
        (None, "on", None, Origin.SYSTEM),
        ("unavailable", "on", None, Origin.SYSTEM),
        ("on", "unknown", "01HPARENT", Origin.SYSTEM),
        ("", "on", None, Origin.SYSTEM),
    ],
)
def test_classify_origin(
    old: str | None, new: str, parent: str | None, origin: Origin
) -> None:
    assert classify_origin(old, new, context_parent_id=parent) is origin


def test_change_table_from_changes() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    changes = [
        StateChange("light.b", "on", start + timedelta(seconds=30)),
        StateChange("light.a", "on", start, Origin.AUTOMATED),
        StateChange("light.b", "off", start + timedelta(seconds=30, milliseconds=900)),
        StateChange("light.a", "off", start + timedelta(seconds=10), Origin.SYSTEM),
    ]
    table = ChangeTable.from_changes(iter(changes))
    assert len(table) == 4
    assert table.entity_ids == ["light.b", "light.a"]
    assert table.states == ["on", "off"]
    rows = [
        (table.entity_ids[e], table.states[s], int(w), Origin(o))
        for e, s, w, o in zip(
            table.entity, table.state, table.when, table.origin, strict=True
        )
    ]
    t0 = int(start.timestamp())
    assert rows == [
        ("light.a", "on", t0, Origin.AUTOMATED),
        ("light.a", "off", t0 + 10, Origin.SYSTEM),
        ("light.b", "on", t0 + 30, Origin.MANUAL),  # equal seconds keep their order
        ("light.b", "off", t0 + 30, Origin.MANUAL),
    ]
    assert (table.entity.dtype, table.state.dtype) == (np.int32, np.int32)
    assert (table.when.dtype, table.origin.dtype) == (np.int64, np.int8)
    empty = ChangeTable.from_changes([])
    assert len(empty) == 0
    assert len(ChangeTable()) == 0


def test_time_of_day_pattern_time() -> None:
    routine = TimeOfDayPattern(
        pattern_id="tod_x",
        entity_id="light.a",
        state="on",
        day_class=DayClass.DAILY,
        minute_of_day=6 * 60 + 7,
        window_minutes=15,
        support_days=20,
        observed_days=21,
        confidence=0.8,
    )
    assert routine.time == "06:07"
    assert replace(routine, minute_of_day=0).time == "00:00"
