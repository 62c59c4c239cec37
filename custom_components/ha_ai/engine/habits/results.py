"""What one analysis says beyond its patterns: their levels, promotions, fields.

The analysis publishes these over MQTT and shows them on its entities; they are
plain functions of the patterns.
"""

from __future__ import annotations

from typing import Any

from .model import Pattern, PatternLevel, TimeOfDayPattern
from .serialize import pattern_summary


def promoted_patterns(
    reconfirmed: list[Pattern], previous: list[Pattern]
) -> list[Pattern]:
    """Return the patterns found again that were forming and are established now.

    `reconfirmed` carry the ids of the `previous` patterns they match.
    """
    was_forming = {p.pattern_id for p in previous if p.level == PatternLevel.FORMING}
    return [
        pattern
        for pattern in reconfirmed
        if pattern.level == PatternLevel.ESTABLISHED
        and pattern.pattern_id in was_forming
    ]


def count_levels(patterns: list[Pattern]) -> dict[PatternLevel, int]:
    """Return how many of the patterns are at each level (every level present)."""
    counts: dict[PatternLevel, int] = dict.fromkeys(PatternLevel, 0)
    for pattern in patterns:
        counts[pattern.level] += 1
    return counts


def pattern_fields(pattern: Pattern) -> dict[str, Any]:
    """Return a pattern as the fields of its MQTT events and attributes."""
    fields = pattern_summary(pattern)
    fields["confidence"] = round(pattern.confidence, 3)
    fields["evidence"] = round(pattern.evidence, 2)
    if isinstance(pattern, TimeOfDayPattern):
        fields["entities"] = [pattern.entity_id]
    else:
        fields["entities"] = [pattern.trigger_entity_id, pattern.entity_id]
        fields["lift"] = round(pattern.lift, 2)
        fields["reverse_confidence"] = round(pattern.reverse_confidence, 3)
        fields["median_delay_seconds"] = round(pattern.median_delay_seconds, 1)
    return fields
