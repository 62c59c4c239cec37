"""When a learned routine happens: its days, its window, its next time.

The live watcher asks these of each state change; they know nothing of Home
Assistant, so they are tested and reused on their own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .model import (
    DayClass,
    Pattern,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from .time_of_day import minutes_apart

WEEKEND = (5, 6)


def in_day_class(day: date, day_class: DayClass) -> bool:
    """Tell whether `day` belongs to the routine's day class."""
    if day_class is DayClass.WEEKDAYS:
        return day.weekday() not in WEEKEND
    if day_class is DayClass.WEEKENDS:
        return day.weekday() in WEEKEND
    return True


def in_window(pattern: TimeOfDayPattern, minute: int) -> bool:
    """Tell whether a local minute of the day falls in the routine's window."""
    return minutes_apart(minute, pattern.minute_of_day) <= pattern.window_minutes / 2


def is_watched(pattern: Pattern) -> bool:
    """Tell whether a pattern's live occurrences are announced."""
    if pattern.level != PatternLevel.ESTABLISHED:
        return False
    return not (isinstance(pattern, UsedTogetherPattern) and pattern.reverse_only)


def next_occurrence(pattern: TimeOfDayPattern, now: datetime) -> datetime:
    """Return when the routine is next expected, after today's."""
    day = now.date()
    for offset in range(1, 8):
        candidate = day + timedelta(days=offset)
        if in_day_class(candidate, pattern.day_class):
            midnight = datetime.combine(candidate, datetime.min.time(), now.tzinfo)
            return midnight + timedelta(minutes=pattern.minute_of_day)
    return now + timedelta(days=1)  # pragma: no cover - every class has a day a week
