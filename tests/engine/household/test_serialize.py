"""The household's routines stored and read back, whole or damaged."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.households import household
from custom_components.ha_ai.engine.habits.model import DayClass, PatternLevel
from custom_components.ha_ai.engine.household.learn import learn_household
from custom_components.ha_ai.engine.household.model import (
    AwayRoutine,
    AwaySource,
    HouseholdRoutine,
    HouseholdRoutines,
    RoutineKind,
    RoutineStep,
)
from custom_components.ha_ai.engine.household.serialize import (
    routines_from_dict,
    routines_to_dict,
)
from tests.engine.test_store_restores_fuzzed import damaged_store

AWAY = AwayRoutine(
    source=AwaySource.LEARNED,
    leaving=(("binary_sensor.front_door", "on"), ("lock.front_door", "locked")),
    quiet_minutes=45,
    coming_back=(("binary_sensor.front_door", "on"),),
    occurrences=12,
    observed_days=50,
    typical_duration_minutes=540,
    confidence=0.31,
    level=PatternLevel.FORMING,
)
BEDTIME = HouseholdRoutine(
    routine_id="bedtime_weekends",
    kind=RoutineKind.BEDTIME,
    day_class=DayClass.WEEKENDS,
    typical_start=1430,
    window_start=1410,
    window_end=10,
    starters=(("media_player.tv", "off"),),
    steps=(
        RoutineStep(
            entity_id="media_player.tv", state="off", typical_delay_seconds=0, share=1.0
        ),
        RoutineStep(
            entity_id="light.hall", state="off", typical_delay_seconds=200, share=0.75
        ),
    ),
    support_days=14,
    observed_days=16,
    confidence=0.64,
    level=PatternLevel.ESTABLISHED,
    quiet_minutes=470,
)


def found_away(*args: Any, **kwargs: Any) -> tuple[AwayRoutine | None, str | None]:
    return AWAY, None


def stored() -> dict[str, Any]:
    return routines_to_dict(
        HouseholdRoutines(
            routines=(BEDTIME,), away=AWAY, missing={"morning_daily": "no_quiet_night"}
        )
    )


def test_learned_routines_survive_json() -> None:
    table, truth = household("lie_ins")
    learned = learn_household(
        table,
        timezone=truth.timezone,
        end=truth.end,
        roles=truth.roles,
        away=found_away,
    )
    assert len(learned.routines) == 3
    data = json.loads(json.dumps(routines_to_dict(learned)))
    restored, drops = routines_from_dict(data)
    assert restored == learned
    assert drops.dropped_count == 0
    assert drops.reset_count == 0


def test_presence_away_and_a_window_across_midnight_survive() -> None:
    presence = AwayRoutine(
        source=AwaySource.PRESENCE,
        presence_entities=("person.alex", "device_tracker.phone"),
        occurrences=3,
        observed_days=30,
        typical_duration_minutes=2880,
        confidence=0.02,
        level=PatternLevel.FORMING,
    )
    routines = HouseholdRoutines(routines=(BEDTIME,), away=presence)
    restored, drops = routines_from_dict(routines_to_dict(routines))
    assert restored == routines
    assert restored.routines[0].window_start > restored.routines[0].window_end
    assert drops.dropped_count == 0


def test_nothing_learned_is_stored_as_nothing() -> None:
    data = routines_to_dict(HouseholdRoutines())
    assert data == {"version": 1, "routines": [], "away": None, "missing": {}}
    assert routines_from_dict(data)[0] == HouseholdRoutines()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "household routines: not an object"),
        ([1, 2], "household routines: not an object"),
        ({"version": 7}, "household routines: an unknown version"),
    ],
)
def test_a_store_of_another_shape_gives_nothing(data: object, reason: str) -> None:
    restored, drops = routines_from_dict(data)
    assert restored == HouseholdRoutines()
    assert drops.dropped == {reason: 1}


def test_a_damaged_routine_is_dropped_and_the_rest_kept() -> None:
    data = stored()
    good = copy.deepcopy(data["routines"][0])
    data["routines"] = [
        good,
        {**good, "kind": "lunch"},
        {**good, "typical_start": 1440},
        {**good, "confidence": 1.5},
        {**good, "support_days": True},
        {**good, "steps": "many"},
        {**good, "routine_id": ""},
        "not a routine",
    ]
    restored, drops = routines_from_dict(data)
    assert restored.routines == (BEDTIME,)
    assert restored.away == AWAY
    assert drops.dropped == {
        "household routine: kind is not a known RoutineKind": 1,
        "household routine: typical_start is out of range": 1,
        "household routine: confidence is not a share between 0 and 1": 1,
        "household routine: support_days is a boolean, not an integer": 1,
        "household routine: steps is not a list": 1,
        "household routine: routine_id is empty": 1,
        "household routine: is text, not an object": 1,
    }


def test_a_damaged_step_or_starter_is_left_out_of_its_routine() -> None:
    data = stored()
    routine = data["routines"][0]
    routine["steps"].append({"entity_id": "light.x", "state": "on"})
    routine["steps"].append(3)
    routine["starters"].append(["light.x"])
    routine["starters"].append("light.x")
    restored, drops = routines_from_dict(data)
    assert restored.routines == (BEDTIME,)
    assert drops.dropped == {
        "household routine step: typical_delay_seconds is missing, not an integer": 1,
        "household routine step: is a number, not an object": 1,
    }
    assert drops.reset == {"household routine.starters": 1}


def test_damaged_lists_and_away_fields() -> None:
    data = stored()
    data["routines"][0]["starters"] = "tv"
    data["away"]["presence_entities"] = ["person.alex", 3]
    data["away"]["leaving"] = {"door": "on"}
    restored, drops = routines_from_dict(data)
    assert restored.routines[0].starters == ()
    assert restored.away is not None
    assert restored.away.presence_entities == ()
    assert restored.away.leaving == ()
    assert restored.away.coming_back == AWAY.coming_back
    assert drops.reset == {
        "household routine.starters": 1,
        "away routine.presence_entities": 1,
        "away routine.leaving": 1,
    }
    del data["away"]["leaving"]
    assert routines_from_dict(data)[0].away.leaving == ()  # type: ignore[union-attr]


def test_a_damaged_away_routine_is_dropped() -> None:
    data = stored()
    data["away"]["source"] = "teleport"
    restored, drops = routines_from_dict(data)
    assert restored.away is None
    assert restored.routines == (BEDTIME,)
    assert drops.dropped == {"away routine: source is not a known AwaySource": 1}
    data["away"] = "gone"
    assert routines_from_dict(data)[0].away is None


def test_damaged_sections_and_reasons() -> None:
    data = stored()
    data["routines"] = {"morning": 1}
    data["missing"] = {"bedtime_daily": "no_regular_time", "morning_daily": 3}
    restored, drops = routines_from_dict(data)
    assert restored.routines == ()
    assert restored.missing == {"bedtime_daily": "no_regular_time"}
    assert drops.dropped == {
        "household routine: routines is not a list": 1,
        "household missing reason: not text": 1,
    }
    data["missing"] = ["no"]
    assert routines_from_dict(data)[0].missing == {}
    del data["missing"]
    del data["routines"]
    restored, drops = routines_from_dict(data)
    assert restored.missing == {}
    assert restored.routines == ()
    assert drops.dropped_count == 0


JUNK: list[object] = [None, True, -1, 1e400, float("nan"), "", "x", [], {}, [[1, 2]]]


def test_no_damage_to_any_field_raises() -> None:
    data = stored()
    paths: list[tuple[str, ...]] = [
        *(("routines", "0", key) for key in data["routines"][0]),
        *(
            ("routines", "0", "steps", "0", key)
            for key in data["routines"][0]["steps"][0]
        ),
        *(("away", key) for key in data["away"]),
        ("missing",),
        ("version",),
    ]
    for path in paths:
        for junk in JUNK:
            damaged = copy.deepcopy(data)
            target: Any = damaged
            for part in path[:-1]:
                target = target[int(part)] if isinstance(target, list) else target[part]
            target[path[-1]] = junk
            restored, _ = routines_from_dict(damaged)
            assert isinstance(restored, HouseholdRoutines)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=damaged_store(stored()))
def test_a_store_damaged_anyhow_reads_back_without_raising(data: object) -> None:
    restored, _ = routines_from_dict(data)
    assert isinstance(restored, HouseholdRoutines)
    # Whatever was kept is whole: stored and read back, it is the same.
    again, drops = routines_from_dict(routines_to_dict(restored))
    assert again == restored
    assert drops.dropped_count == drops.reset_count == 0
