"""Patterns in the store: round trip and damaged data."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from custom_components.ha_ai.engine.habits.serialize import (
    patterns_from_store,
    patterns_to_store,
    restore_habits_store,
)
from custom_components.ha_ai.engine.stored import UnreadableStoreError
from tests.habit_helpers import COFFEE, MORNING

ROUTINE = replace(MORNING, minute_of_day=367)
PAIR = replace(COFFEE, automated=True)


def test_round_trip_through_json() -> None:
    stored = json.loads(json.dumps(patterns_to_store([ROUTINE, PAIR])))
    assert patterns_from_store(stored) == [ROUTINE, PAIR]
    assert ROUTINE.time == "06:07"


def test_damaged_entries_are_skipped() -> None:
    stored = patterns_to_store([ROUTINE, PAIR])
    stored[0]["day_class"] = "sometimes"
    stored.append({"pattern_type": "used_together"})
    stored.append({"pattern_type": "other"})
    stored.append("x")  # type: ignore[arg-type]
    assert patterns_from_store(stored) == [PAIR]
    assert patterns_from_store(None) == []


def test_the_habits_store_is_checked_pattern_by_pattern() -> None:
    patterns = patterns_to_store([ROUTINE, PAIR, ROUTINE, PAIR, PAIR])
    patterns[0]["minute_of_day"] = 24 * 60  # past the end of the day
    patterns[1]["confidence"] = 1.5
    patterns[2]["day_class"] = ["workday"]
    patterns[3]["lift"] = -1
    patterns[4]["automated"] = "yes"  # optional: read as not automated
    restored = restore_habits_store(
        {"patterns": patterns, "last_run": "never", "last_duration": 2}
    )
    assert restored.value.patterns == [replace(PAIR, automated=False)]
    assert restored.drops.dropped == {
        "pattern: minute_of_day is out of range": 1,
        "pattern: confidence is above 1": 1,
        "pattern: day_class is not a known day class": 1,
        "pattern: lift is not a number of 0 or more": 1,
    }
    assert restored.drops.reset == {"pattern.automated": 1, "habits.last_run": 1}
    assert restored.value.last_run is None
    assert restored.value.last_duration == 2.0


def test_a_habits_store_of_unknown_shape_is_unreadable() -> None:
    for data in ([], {"patterns": "all"}):
        with pytest.raises(UnreadableStoreError):
            restore_habits_store(data)
    empty = restore_habits_store({})
    assert empty.value.patterns == []
    assert empty.value.last_run is None


def test_fields_added_later_are_zero_when_missing_and_reset_when_damaged() -> None:
    routine, pair = patterns_to_store([ROUTINE, PAIR])
    del routine["evidence"]
    routine["changes"] = -3
    pair["distinct_days"] = "many"
    pair["reverse_confidence"] = 2.0
    restored = restore_habits_store({"patterns": [routine, pair]})
    assert restored.value.patterns == [
        replace(ROUTINE, evidence=0.0, changes=0),
        replace(PAIR, distinct_days=0, reverse_confidence=0.0),
    ]
    assert restored.drops.reset == {
        "pattern.changes": 1,
        "pattern.distinct_days": 1,
        "pattern.reverse_confidence": 1,
    }
