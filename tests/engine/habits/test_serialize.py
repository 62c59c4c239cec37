"""Patterns in the store: round trip and damaged data."""

from __future__ import annotations

import json

from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from custom_components.ha_ai.engine.habits.serialize import (
    patterns_from_store,
    patterns_to_store,
)

ROUTINE = TimeOfDayPattern(
    pattern_id="tod_1",
    entity_id="light.bedroom",
    state="on",
    day_class=DayClass.WEEKDAYS,
    minute_of_day=367,
    window_minutes=20,
    support_days=18,
    observed_days=20,
    confidence=0.7,
)
PAIR = UsedTogetherPattern(
    pattern_id="pair_1",
    trigger_entity_id="light.kitchen",
    trigger_state="on",
    entity_id="switch.coffee",
    state="on",
    count=20,
    confidence=0.8,
    lift=12.0,
    median_delay_seconds=40.0,
    delay_spread_seconds=15.0,
    automated=True,
)


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
