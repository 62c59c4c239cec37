"""Couples of changes within a delay: counted at once, then exactly per pair."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.ha_ai.engine.habits import co_occurrence
from custom_components.ha_ai.engine.habits.co_occurrence import (
    count_couples,
    follow_up,
)


def naive_couples(
    lead: list[tuple[int, int]], follow: list[tuple[int, int]], delay: int, groups: int
) -> dict[int, int]:
    counts: dict[int, int] = {}
    for lead_time, lead_group in lead:
        for follow_time, follow_group in follow:
            if lead_time < follow_time <= lead_time + delay:
                key = lead_group * groups + follow_group
                counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("small_blocks", [False, True])
def test_couples_are_counted_as_a_double_loop_would(
    seed: int, small_blocks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if small_blocks:
        monkeypatch.setattr(co_occurrence, "KEYS_AT_ONCE", 7)
        monkeypatch.setattr(co_occurrence, "LEADS_AT_ONCE", 5)
        monkeypatch.setattr(co_occurrence, "CHUNK_PAIRS", 3)
    rng = np.random.default_rng(seed)
    groups, delay = 6, 50
    lead_time = np.sort(rng.integers(0, 2000, 150))
    lead_group = rng.integers(0, groups, 150)
    follow_time = np.sort(rng.integers(0, 2000, 120))
    follow_group = rng.integers(0, groups, 120)
    expected = naive_couples(
        list(zip(lead_time.tolist(), lead_group.tolist(), strict=True)),
        list(zip(follow_time.tolist(), follow_group.tolist(), strict=True)),
        delay,
        groups,
    )
    keys, counts = count_couples(
        lead_time,
        lead_group,
        follow_time,
        follow_group,
        delay,
        groups,
        lambda k: np.ones(k.shape[0], dtype=np.int64),
    )
    assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == expected
    # Keys under their least are left out.
    keys, counts = count_couples(
        lead_time,
        lead_group,
        follow_time,
        follow_group,
        delay,
        groups,
        lambda k: np.full(k.shape[0], 4, dtype=np.int64),
    )
    assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == {
        key: count for key, count in expected.items() if count >= 4
    }


def test_nothing_to_couple() -> None:
    empty = np.zeros(0, dtype=np.int64)
    keys, counts = count_couples(
        empty, empty, empty, empty, 60, 3, lambda k: np.ones(k.shape[0], np.int64)
    )
    assert keys.shape == counts.shape == (0,)


def test_follow_up_in_both_directions() -> None:
    leads = np.asarray([0, 100, 200, 300], dtype=np.int64)
    follows = np.asarray([0, 30, 110, 115, 290, 500], dtype=np.int64)
    found = follow_up(leads, follows, 20)
    # Strictly later and within 20 s: 100 -> 110; 0 -> 0 is the same second.
    assert found.followed.tolist() == [False, True, False, False]
    assert found.delays.tolist() == [10]
    # Preceded within 20 s by the last lead before: 110 (10 s), 115 (15 s).
    assert found.preceded.tolist() == [False, False, True, True, False, False]
    assert found.back_delays.tolist() == [10, 15]
