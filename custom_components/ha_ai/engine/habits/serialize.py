"""Turn patterns into JSON-ready data and back, for the integration's store."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..household.model import HouseholdRoutines
from ..household.serialize import routines_from_dict
from ..stored import (
    BadRecordError,
    Drops,
    Restored,
    aware_time,
    finite_number,
    flag,
    mapping_or_unreadable,
    optional_number,
    record,
    required_int,
    required_text,
    section,
)
from .model import (
    DayClass,
    Pattern,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)

MINUTES_A_DAY = 24 * 60


def pattern_summary(pattern: Pattern) -> dict[str, Any]:
    """Return a pattern's fields as HA AI reports them (MQTT events, offline tool)."""
    if isinstance(pattern, TimeOfDayPattern):
        return {
            "pattern_id": pattern.pattern_id,
            "pattern_type": pattern.pattern_type,
            "entity_id": pattern.entity_id,
            "state": pattern.state,
            "time": pattern.time,
            "window_minutes": pattern.window_minutes,
            "day_class": str(pattern.day_class),
            "support_days": pattern.support_days,
            "observed_days": pattern.observed_days,
            "confidence": pattern.confidence,
            "automated": pattern.automated,
            "level": str(pattern.level),
            "evidence": pattern.evidence,
            "changes": pattern.changes,
        }
    return {
        "pattern_id": pattern.pattern_id,
        "pattern_type": pattern.pattern_type,
        "trigger_entity_id": pattern.trigger_entity_id,
        "trigger_state": pattern.trigger_state,
        "entity_id": pattern.entity_id,
        "state": pattern.state,
        "count": pattern.count,
        "confidence": pattern.confidence,
        "lift": pattern.lift,
        "median_delay_seconds": pattern.median_delay_seconds,
        "automated": pattern.automated,
        "level": str(pattern.level),
        "evidence": pattern.evidence,
        "distinct_days": pattern.distinct_days,
        "reverse_confidence": pattern.reverse_confidence,
        "reverse_only": pattern.reverse_only,
    }


def patterns_to_store(patterns: list[Pattern]) -> list[dict[str, Any]]:
    """Return the patterns as JSON-ready dicts (each carries its pattern_type)."""
    return [asdict(pattern) for pattern in patterns]


def patterns_from_store(data: object) -> list[Pattern]:
    """Return the patterns stored by `patterns_to_store`; damaged ones are skipped."""
    if not isinstance(data, list):
        return []
    return _restore_patterns(data, Drops())


@dataclass(frozen=True, slots=True)
class StoredHabits:
    """What the habits store holds, checked: see `restore_habits_store`."""

    patterns: list[Pattern]
    last_run: datetime | None
    last_duration: float | None
    household: HouseholdRoutines = field(default_factory=HouseholdRoutines)


def restore_habits_store(data: object) -> Restored[StoredHabits]:
    """Return the last analysis' result, each pattern checked field by field.

    A pattern of the wrong shape is left out and counted; a wrong last run time or
    duration is read as none. Raises `UnreadableStoreError` when the store is not
    an object or its `patterns` are not a list.
    """
    stored = mapping_or_unreadable(data, "the habits store")
    drops = Drops()
    patterns = _restore_patterns(
        section(stored, "patterns", list, "the habits store"), drops
    )
    last_run_data = stored.get("last_run")
    last_run = aware_time(last_run_data)
    if last_run_data is not None and last_run is None:
        drops.reset_field("habits", "last_run")
    duration = optional_number(stored, "last_duration", drops, "habits")
    # Stores written before household routines were learned have none.
    household = HouseholdRoutines()
    if stored.get("household") is not None:
        household, _ = routines_from_dict(stored["household"], drops)
    return Restored(
        StoredHabits(
            patterns=patterns,
            last_run=last_run,
            last_duration=None if duration is None else float(duration),
            household=household,
        ),
        drops,
    )


def _restore_patterns(items: list[object], drops: Drops) -> list[Pattern]:
    patterns: list[Pattern] = []
    for item in items:
        try:
            patterns.append(_restore_pattern(record(item), drops))
        except BadRecordError as err:
            drops.drop("pattern", str(err))
    return patterns


def _restore_pattern(item: Mapping[str, object], drops: Drops) -> Pattern:
    kind = item.get("pattern_type")
    if kind == "time_of_day":
        day_class = item.get("day_class")
        if not isinstance(day_class, str) or day_class not in set(DayClass):
            raise BadRecordError("day_class is not a known day class")
        return TimeOfDayPattern(
            pattern_id=required_text(item, "pattern_id"),
            entity_id=required_text(item, "entity_id"),
            state=_state(item, "state"),
            day_class=DayClass(str(day_class)),
            minute_of_day=_count(item, "minute_of_day", MINUTES_A_DAY - 1),
            window_minutes=_count(item, "window_minutes", MINUTES_A_DAY),
            support_days=_count(item, "support_days"),
            observed_days=_count(item, "observed_days"),
            confidence=_share(item, "confidence"),
            automated=flag(item, "automated", False, drops, "pattern"),  # noqa: FBT003
            level=_level(item, drops),
            evidence=_optional(_amount, item, "evidence", drops, 0.0),
            changes=_optional(_count, item, "changes", drops, 0),
        )
    if kind == "used_together":
        return UsedTogetherPattern(
            pattern_id=required_text(item, "pattern_id"),
            trigger_entity_id=required_text(item, "trigger_entity_id"),
            trigger_state=_state(item, "trigger_state"),
            entity_id=required_text(item, "entity_id"),
            state=_state(item, "state"),
            count=_count(item, "count"),
            confidence=_share(item, "confidence"),
            lift=_amount(item, "lift"),
            median_delay_seconds=_amount(item, "median_delay_seconds"),
            delay_spread_seconds=_amount(item, "delay_spread_seconds"),
            automated=flag(item, "automated", False, drops, "pattern"),  # noqa: FBT003
            level=_level(item, drops),
            evidence=_optional(_amount, item, "evidence", drops, 0.0),
            distinct_days=_optional(_count, item, "distinct_days", drops, 0),
            reverse_confidence=_optional(
                _share, item, "reverse_confidence", drops, 0.0
            ),
            reverse_only=flag(item, "reverse_only", False, drops, "pattern"),  # noqa: FBT003
        )
    raise BadRecordError("pattern_type is not a known kind of pattern")


def _level(item: Mapping[str, object], drops: Drops) -> PatternLevel:
    """Return the pattern's level; patterns stored before levels are established."""
    value = item.get("level", PatternLevel.ESTABLISHED.value)
    if isinstance(value, str) and value in set(PatternLevel):
        return PatternLevel(value)
    drops.reset_field("pattern", "level")
    return PatternLevel.ESTABLISHED


def _optional[T: (int, float)](
    read: Callable[[Mapping[str, object], str], T],
    item: Mapping[str, object],
    key: str,
    drops: Drops,
    absent: T,
) -> T:
    """Return a field added after the first release: `absent` when missing or damaged.

    Older stores lack it; a damaged one is reset (and counted) rather than dropping
    the whole pattern.
    """
    if key not in item:
        return absent
    try:
        return read(item, key)
    except BadRecordError:
        drops.reset_field("pattern", key)
        return absent


def _state(item: Mapping[str, object], key: str) -> str:
    """Return a state: text, possibly empty."""
    value = item.get(key)
    if not isinstance(value, str):
        raise BadRecordError(f"{key} is not text")
    return value


def _count(item: Mapping[str, object], key: str, most: int | None = None) -> int:
    value = required_int(item, key)
    if value < 0 or (most is not None and value > most):
        raise BadRecordError(f"{key} is out of range")
    return value


def _amount(item: Mapping[str, object], key: str) -> float:
    """Return a finite number that is not negative."""
    value = item.get(key)
    if not finite_number(value) or float(value) < 0:  # type: ignore[arg-type]
        raise BadRecordError(f"{key} is not a number of 0 or more")
    return float(value)  # type: ignore[arg-type]


def _share(item: Mapping[str, object], key: str) -> float:
    value = _amount(item, key)
    if value > 1:
        raise BadRecordError(f"{key} is above 1")
    return value
