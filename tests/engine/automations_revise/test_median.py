"""The median time of day, on the clock's circle."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.ha_ai.engine.automations.revise import (
    MAX_ACTED_SPREAD,
    SECONDS_A_DAY,
    circular_median,
)

SPREAD = int(MAX_ACTED_SPREAD.total_seconds())


def clock(text: str) -> int:
    hour, minute = (int(part) for part in text.split(":"))
    return hour * 3600 + minute * 60


@pytest.mark.parametrize(
    ("times", "median"),
    [
        (["07:30"], "07:30"),
        (["07:30", "07:40"], "07:35"),
        (["07:30", "07:40", "08:00"], "07:40"),
        (["23:50", "00:10"], "00:00"),
        (["23:40", "23:50", "00:20"], "23:50"),
        (["23:58", "00:04", "00:10", "23:55", "00:06"], "00:04"),
        (["00:00", "00:00", "23:59"], "00:00"),
    ],
)
def test_known_medians(times: list[str], median: str) -> None:
    assert circular_median([clock(t) for t in times]) == clock(median)


def test_no_times_or_times_far_apart_give_none() -> None:
    assert circular_median([]) is None
    assert circular_median([clock("06:00"), clock("09:01")]) is None
    assert circular_median([clock("06:00"), clock("18:00")]) is None
    assert circular_median([clock("22:00"), clock("01:00")]) == clock("23:30")


def test_an_even_count_rounds_down_to_the_second() -> None:
    assert circular_median([0, 1]) == 0
    assert circular_median([SECONDS_A_DAY - 1, 0]) == SECONDS_A_DAY - 1


def test_times_beyond_a_day_are_read_on_the_clock() -> None:
    assert circular_median([clock("07:30") + SECONDS_A_DAY]) == clock("07:30")


grouped = st.tuples(
    st.integers(0, SECONDS_A_DAY - 1),
    st.lists(st.integers(0, SPREAD), min_size=1, max_size=15),
)


@given(grouped, st.integers(0, SECONDS_A_DAY - 1), st.randoms())
def test_the_median_turns_with_the_clock_and_ignores_order(
    group: tuple[int, list[int]], turn: int, shuffler: object
) -> None:
    start, offsets = group
    times = [(start + offset) % SECONDS_A_DAY for offset in offsets]
    median = circular_median(times)
    assert median is not None

    turned = circular_median([(t + turn) % SECONDS_A_DAY for t in times])
    shuffled = list(times)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]

    assert turned == (median + turn) % SECONDS_A_DAY
    assert circular_median(shuffled) == median


@given(grouped)
def test_the_median_lies_among_the_times(group: tuple[int, list[int]]) -> None:
    start, offsets = group
    times = [(start + offset) % SECONDS_A_DAY for offset in offsets]

    median = circular_median(times)

    assert median is not None
    offset = (median - start) % SECONDS_A_DAY
    assert min(offsets) <= offset <= max(offsets)
    below = sum(o <= offset for o in offsets)
    above = sum(o >= offset for o in offsets)
    assert 2 * below >= len(offsets)
    assert 2 * above >= len(offsets)


@given(st.lists(st.integers(0, SECONDS_A_DAY - 1), min_size=1, max_size=20))
def test_any_times_give_a_time_of_day_or_none(times: list[int]) -> None:
    median = circular_median(times)

    assert median is None or 0 <= median < SECONDS_A_DAY
