"""Turn patterns into JSON-ready data and back, for the integration's store."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .model import DayClass, Pattern, TimeOfDayPattern, UsedTogetherPattern


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
