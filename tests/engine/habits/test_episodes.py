"""Episodes: bursts of one entity count once per state."""

from __future__ import annotations

import numpy as np

from custom_components.ha_ai.engine.habits.episodes import find_episodes
from custom_components.ha_ai.engine.habits.model import ChangeTable, Origin

MANUAL = int(Origin.MANUAL)


def table_of(rows: list[tuple[int, str, str]]) -> ChangeTable:
    """Return a table of manual (second, entity, state) rows."""
    return ChangeTable.from_rows((t, MANUAL, e, s) for t, e, s in rows)


def starts(table: ChangeTable, gap: int) -> list[tuple[int, str, str, int]]:
    found = find_episodes(table, np.ones(len(table), dtype=np.bool_), gap)
    return [
        (
            int(table.when[i]),
            table.entity_ids[table.entity[i]],
            table.states[table.state[i]],
            int(raw),
        )
        for i, raw in zip(found.index, found.raw, strict=True)
    ]


def test_a_cupboard_opened_five_times_while_cooking_is_one_use() -> None:
    rows = []
    for n in range(5):
        rows += [(1000 + 60 * n, "binary_sensor.cupboard", "on")]
        rows += [(1010 + 60 * n, "binary_sensor.cupboard", "off")]
    table = table_of(rows)
    assert starts(table, 300) == [
        (1000, "binary_sensor.cupboard", "on", 5),
        (1010, "binary_sensor.cupboard", "off", 5),
    ]


def test_uses_further_apart_than_the_gap_are_separate() -> None:
    table = table_of(
        [(0, "light.a", "on"), (301, "light.a", "on"), (1000, "light.a", "on")]
    )
    assert [row[0] for row in starts(table, 300)] == [0, 301, 1000]
    assert [row[0] for row in starts(table, 600)] == [0, 1000]


def test_a_chain_of_close_changes_stays_one_episode() -> None:
    table = table_of([(t, "binary_sensor.motion", "on") for t in range(0, 3000, 200)])
    assert starts(table, 300) == [(0, "binary_sensor.motion", "on", 15)]


def test_other_entities_do_not_join_or_split_an_episode() -> None:
    table = table_of(
        [
            (0, "light.a", "on"),
            (100, "light.b", "on"),
            (200, "light.a", "on"),
            (250, "light.b", "on"),
        ]
    )
    assert starts(table, 250) == [
        (0, "light.a", "on", 2),
        (100, "light.b", "on", 2),
    ]


def test_gap_zero_keeps_every_change_but_same_second_repeats() -> None:
    table = table_of([(0, "light.a", "on"), (0, "light.a", "on"), (1, "light.a", "on")])
    assert [row[0] for row in starts(table, 0)] == [0, 1]


def test_only_kept_changes_count() -> None:
    table = ChangeTable.from_rows(
        [
            (0, MANUAL, "light.a", "on"),
            (60, int(Origin.AUTOMATED), "light.a", "on"),
            (400, MANUAL, "light.a", "on"),
        ]
    )
    manual = table.origin == Origin.MANUAL
    assert find_episodes(table, manual, 300).index.tolist() == [0, 2]
    assert find_episodes(table, manual, 500).index.tolist() == [0]


def test_nothing_kept_gives_no_episodes() -> None:
    table = table_of([(0, "light.a", "on")])
    assert len(find_episodes(table, np.zeros(1, dtype=np.bool_), 300)) == 0
