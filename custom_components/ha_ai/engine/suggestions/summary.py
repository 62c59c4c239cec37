"""What a summary of the analyses says: days of history so far, the next run.

A card shows it above the suggestions, and says what HA AI is waiting for when
there are none yet ("first analysis tonight at 03:00; 4 days of history so far").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta


def history_days(first: date | None, today: date, window: int) -> int:
    """Return the days of history the analysis reads: since `first`, at most `window`.

    The first day and today both count; a log that holds nothing has none.
    """
    if first is None:
        return 0
    return max(0, min((today - first).days + 1, window))


def next_run(now: datetime, run_at: time) -> datetime:
    """Return the next moment after `now` at the time of day `run_at` (now's zone)."""
    today = now.replace(
        hour=run_at.hour, minute=run_at.minute, second=run_at.second, microsecond=0
    )
    return today if today > now else today + timedelta(days=1)
