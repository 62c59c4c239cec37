"""When a learned routine happens: its days, its window, its next time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from custom_components.ha_ai.engine.habits.occurrence import (
    in_day_class,
    in_window,
    is_watched,
    next_occurrence,
)
from custom_components.ha_ai.engine.habits.results import (
    count_levels,
    pattern_fields,
    promoted_patterns,
)

MIDNIGHT = TimeOfDayPattern(
    pattern_id="x",
    entity_id="light.a",
    state="on",
    day_class=DayClass.WEEKENDS,
    minute_of_day=23 * 60 + 55,
    window_minutes=20,
    support_days=5,
    observed_days=6,
    confidence=0.7,
)


def test_day_classes_and_windows() -> None:
    saturday = date(2026, 11, 21)
    monday = date(2026, 11, 23)
    assert in_day_class(saturday, DayClass.WEEKENDS)
    assert not in_day_class(saturday, DayClass.WEEKDAYS)
    assert in_day_class(monday, DayClass.WEEKDAYS)
    assert in_day_class(monday, DayClass.DAILY)
    midnight = TimeOfDayPattern(
        pattern_id="x",
        entity_id="light.a",
        state="on",
        day_class=DayClass.WEEKENDS,
        minute_of_day=23 * 60 + 55,
        window_minutes=20,
        support_days=5,
        observed_days=6,
        confidence=0.7,
    )
    assert in_window(midnight, 5)
    assert not in_window(midnight, 30)
    friday_night = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    assert next_occurrence(midnight, friday_night).date() == saturday


def _pair(**changes: object) -> UsedTogetherPattern:
    fields: dict[str, object] = {
        "pattern_id": "pair",
        "trigger_entity_id": "binary_sensor.door",
        "trigger_state": "on",
        "entity_id": "light.hall",
        "state": "on",
        "count": 12,
        "confidence": 0.8,
        "lift": 4.0,
        "median_delay_seconds": 3.0,
        "delay_spread_seconds": 1.0,
        **changes,
    }
    return UsedTogetherPattern(**fields)  # type: ignore[arg-type]


def test_only_established_patterns_with_a_forward_view_are_watched() -> None:
    assert is_watched(MIDNIGHT)
    assert not is_watched(_pair(level=PatternLevel.FORMING))
    assert not is_watched(_pair(reverse_only=True))
    assert is_watched(_pair())


def test_a_forming_pattern_found_established_again_is_promoted() -> None:
    forming = _pair(level=PatternLevel.FORMING)
    established = _pair()
    other = _pair(pattern_id="other")
    assert promoted_patterns([established, other], [forming]) == [established]
    assert promoted_patterns([forming], [forming]) == []


def test_levels_are_counted_with_every_level_present() -> None:
    assert count_levels([]) == dict.fromkeys(PatternLevel, 0)
    counts = count_levels([MIDNIGHT, _pair(level=PatternLevel.FORMING)])
    assert counts == {PatternLevel.ESTABLISHED: 1, PatternLevel.FORMING: 1}


def test_fields_name_a_pattern_s_entities_and_rounded_figures() -> None:
    routine = pattern_fields(MIDNIGHT)
    assert routine["entities"] == ["light.a"]
    assert routine["confidence"] == 0.7
    pair = pattern_fields(_pair(confidence=0.87654, lift=4.126))
    assert pair["entities"] == ["binary_sensor.door", "light.hall"]
    assert pair["confidence"] == 0.877
    assert pair["lift"] == 4.13
    assert pair["median_delay_seconds"] == 3.0
