"""Patterns in the store: round trip and damaged data."""

from __future__ import annotations

import json
from dataclasses import replace

from custom_components.ha_ai.engine.habits.serialize import (
    patterns_from_store,
    patterns_to_store,
)
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
