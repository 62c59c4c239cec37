"""The summary of the analyses: days of history so far, and the next run."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from custom_components.ha_ai.engine.suggestions.summary import history_days, next_run


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (None, 0),
        (date(2025, 3, 10), 1),
        (date(2025, 3, 7), 4),
        (date(2024, 1, 1), 30),
        (date(2025, 3, 12), 0),  # a clock set back: never negative
    ],
)
def test_history_days(first: date | None, expected: int) -> None:
    assert history_days(first, date(2025, 3, 10), 30) == expected


def test_next_run_is_today_or_tomorrow() -> None:
    morning = datetime(2025, 3, 10, 2, 30, 15, 7, tzinfo=UTC)
    assert next_run(morning, time(3)) == datetime(2025, 3, 10, 3, tzinfo=UTC)
    evening = datetime(2025, 3, 10, 3, tzinfo=UTC)
    assert next_run(evening, time(3)) == datetime(2025, 3, 11, 3, tzinfo=UTC)
