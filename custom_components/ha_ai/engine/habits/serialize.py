"""Turn patterns into JSON-ready data and back, for the integration's store."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .model import DayClass, Pattern, TimeOfDayPattern, UsedTogetherPattern


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
    }


def patterns_to_store(patterns: list[Pattern]) -> list[dict[str, Any]]:
    """Return the patterns as JSON-ready dicts (each carries its pattern_type)."""
    return [asdict(pattern) for pattern in patterns]


def patterns_from_store(data: object) -> list[Pattern]:
    """Return the patterns stored by `patterns_to_store`; damaged ones are skipped."""
    if not isinstance(data, list):
        return []
    patterns: list[Pattern] = []
    for item in data:
        if not isinstance(item, dict):
            continue
        try:
            if item.get("pattern_type") == "time_of_day":
                patterns.append(
                    TimeOfDayPattern(
                        **{**item, "day_class": DayClass(item["day_class"])}
                    )
                )
            elif item.get("pattern_type") == "used_together":
                patterns.append(UsedTogetherPattern(**item))
        except (KeyError, TypeError, ValueError):
            continue
    return patterns
