"""Things used together in houses that look real: bursts, evenings, days away.

Real devices change in bursts (a light switched on, off and on again, a motion
sensor flickering while someone is in the room), most of a house's use falls in
the evening, residents go away for days. None of this may make a pair by itself,
one afternoon's burst may not either, and planted pairs must still be found:
with half of A's uses followed, a few minutes late, or only as a reverse view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from benchmarks.planted import random_house
from custom_components.ha_ai.engine.habits.model import (
    ChangeTable,
    MiningSettings,
    Origin,
    PatternLevel,
    UsedTogetherPattern,
)
from custom_components.ha_ai.engine.habits.used_together import (
    find_used_together_patterns,
)

DAY = 86_400
START = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
MANUAL = int(Origin.MANUAL)

type Row = tuple[int, int, str, str]
type Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Follow:
    """B goes to a state after some of A's changes to one, within a delay."""

    trigger: str
    trigger_state: str
    entity: str
    state: str
    probability: float
    min_delay: int = 5
    max_delay: int = 90


def lifelike_house(
    *,
    entities: int,
    days: int,
    uses_per_day: float,
    seed: int,
    away: frozenset[int] = frozenset(),
    visitors: frozenset[int] = frozenset(),
    follows: Sequence[Follow] = (),
) -> tuple[ChangeTable, datetime]:
    """Return a history of bursty uses, mostly in the evening, and its end.

    A third of the entities are motion sensors (three times as many uses, each a
    flicker of on/off changes); the others lights and switches, each use a few
    toggles. On `away` days nothing happens, on `visitor` days three times as
    much. Follows are applied after, to the changes made so far.
    """
    rng = np.random.default_rng(seed)
    kinds = ("binary_sensor", "light", "switch")
    names = [f"{kinds[i % 3]}.room_{i:03d}" for i in range(entities)]
    rows: list[Row] = []
    for name in names:
        sensor = name.startswith("binary_sensor")
        rate = uses_per_day * (3.0 if sensor else 1.0) * rng.uniform(0.3, 1.7)
        for day in range(days):
            if day in away:
                continue
            busy = 3.0 if day in visitors else 1.0
            for _ in range(rng.poisson(rate * busy)):
                rows.extend(_use(rng, name, day, sensor=sensor))
    for follow in follows:
        rows.extend(
            (
                when + int(rng.integers(follow.min_delay, follow.max_delay + 1)),
                MANUAL,
                follow.entity,
                follow.state,
            )
            for when, _, entity, state in list(rows)
            if entity == follow.trigger
            and state == follow.trigger_state
            and rng.random() < follow.probability
        )
    return ChangeTable.from_rows(rows), datetime.fromtimestamp(START + days * DAY, UTC)


def _use(rng: np.random.Generator, name: str, day: int, *, sensor: bool) -> list[Row]:
    """Return one use: a burst of toggles, in the evening seven times in ten."""
    if rng.random() < 0.7:
        second = int(rng.normal(20.5 * 3600, 1.5 * 3600)) % DAY
    else:
        second = int(rng.integers(0, DAY))
    when = START + day * DAY + second
    toggles = int(rng.geometric(0.35 if sensor else 0.6))
    rows: list[Row] = []
    state = "on"
    for _ in range(toggles):
        rows.append((when, MANUAL, name, state))
        when += int(rng.exponential(40 if sensor else 90)) + 1
        state = "off" if state == "on" else "on"
    if state == "off":  # the use ends off
        rows.append(
            (when + (60 if sensor else int(rng.exponential(1800))), MANUAL, name, "off")
        )
    return rows


def pairs(
    table: ChangeTable, end: datetime, **settings: object
) -> list[UsedTogetherPattern]:
    return find_used_together_patterns(
        table,
        settings=MiningSettings(**settings),  # type: ignore[arg-type]
        end=end,
    )


def keys(found: list[UsedTogetherPattern]) -> list[Key]:
    return [(p.trigger_entity_id, p.trigger_state, p.entity_id, p.state) for p in found]


@pytest.mark.parametrize(
    ("entities", "days", "uses_per_day", "seed"),
    [
        (10, 7, 3.0, 1),
        (12, 14, 5.0, 2),
        (40, 10, 6.0, 3),
        (40, 30, 2.0, 4),
        (80, 21, 8.0, 5),
        (150, 14, 3.0, 6),
    ],
)
def test_bursts_evenings_and_days_away_make_no_pair(
    entities: int, days: int, uses_per_day: float, seed: int
) -> None:
    table, end = lifelike_house(
        entities=entities,
        days=days,
        uses_per_day=uses_per_day,
        seed=seed,
        away=frozenset({3, 4}),
        visitors=frozenset({6}),
    )
    assert pairs(table, end) == []
    # Chance alone explains what is there: even with no floor on confidence
    # and lift, nothing passes the evidence.
    loose = {
        "min_pair_confidence": 0.02,
        "min_reverse_confidence": 0.02,
        "min_pair_lift": 1.0,
    }
    assert pairs(table, end, **loose) == []


@pytest.mark.parametrize(
    ("entities", "days", "per_day", "seed"),
    [
        (10, 7, 2.0, 21),
        (10, 60, 30.0, 22),
        (30, 7, 200.0, 23),
        (60, 14, 50.0, 24),
        (300, 10, 4.0, 25),
    ],
)
def test_pure_noise_of_any_size_and_density_makes_no_pair(
    entities: int, days: int, per_day: float, seed: int
) -> None:
    planted = random_house(
        days=days,
        entities=entities,
        changes_per_entity_day=per_day,
        seed=seed,
        routine_share=0,
        pair_share=0,
        other_origin_share=0.3,
    )
    assert pairs(planted.table, planted.end) == []


def test_pairs_in_a_lifelike_house_are_found_and_nothing_else() -> None:
    follows = [
        # Half of the uses, far above chance: the missed pairs.
        Follow("light.room_001", "on", "switch.room_002", "on", 0.5, 5, 60),
        Follow("light.room_004", "off", "light.room_007", "off", 0.9, 2, 30),
        Follow("switch.room_005", "on", "light.room_010", "on", 0.8, 60, 170),
    ]
    table, end = lifelike_house(
        entities=30,
        days=21,
        uses_per_day=3.0,
        seed=11,
        away=frozenset({9, 10}),
        follows=follows,
    )
    found = pairs(table, end)
    assert keys(found) == sorted(
        (f.trigger, f.trigger_state, f.entity, f.state) for f in follows
    )
    assert all(p.level is PatternLevel.ESTABLISHED for p in found)
    assert not any(p.reverse_only for p in found)
    assert all(p.distinct_days >= 5 and p.evidence > 3 for p in found)


def test_a_light_after_motion_is_a_reverse_fact() -> None:
    # The hall light goes on after one motion in ten, and nearly never else:
    # motion -> light would make a poor automation, yet the light is nearly
    # always preceded by motion.
    follows = [Follow("binary_sensor.room_000", "on", "light.room_900", "on", 0.1)]
    table, end = lifelike_house(
        entities=12, days=28, uses_per_day=4.0, seed=12, follows=follows
    )
    (pair,) = pairs(table, end)
    assert keys([pair]) == [("binary_sensor.room_000", "on", "light.room_900", "on")]
    assert pair.reverse_only
    assert pair.confidence < 0.4
    assert pair.reverse_confidence >= 0.8
    assert pair.level is PatternLevel.ESTABLISHED


def burst_days(
    days: Sequence[int], *, per_day: int = 10
) -> tuple[ChangeTable, datetime]:
    """A and B toggled together many times in one afternoon, on the days given."""
    rows: list[Row] = []
    for day in days:
        for k in range(per_day):
            when = START + day * DAY + 15 * 3600 + 900 * k
            rows.append((when, MANUAL, "light.a", "on"))
            rows.append((when + 20, MANUAL, "switch.b", "on"))
            rows.append((when + 400, MANUAL, "light.a", "off"))
            rows.append((when + 420, MANUAL, "switch.b", "off"))
    # Both are used on their own the rest of the time.
    rng = np.random.default_rng(5)
    for name in ("light.a", "switch.b"):
        for when in rng.integers(START, START + 30 * DAY, 60):
            rows.append((int(when), MANUAL, name, "on"))
            rows.append((int(when) + 1200, MANUAL, name, "off"))
    return ChangeTable.from_rows(rows), datetime.fromtimestamp(START + 30 * DAY, UTC)


def test_one_afternoon_s_burst_makes_no_pair() -> None:
    assert pairs(*burst_days([12])) == []
    assert pairs(*burst_days([12], per_day=30)) == []
    assert pairs(*burst_days([3, 12])) == []
    # The same afternoon on many days is a habit.
    assert ("light.a", "on", "switch.b", "on") in keys(
        pairs(*burst_days([1, 3, 6, 12, 20, 25]))
    )


def young_house(days: int) -> tuple[ChangeTable, datetime]:
    """A history of `days` days: B after A three times a day, each also alone."""
    rng = np.random.default_rng(days)
    rows: list[Row] = []
    for day in range(days):
        for hour in (8, 13, 19):
            when = START + day * DAY + hour * 3600 + int(rng.integers(0, 1800))
            rows.append((when, MANUAL, "light.a", "on"))
            rows.append((when + int(rng.integers(5, 60)), MANUAL, "switch.b", "on"))
        for name in ("light.a", "switch.b"):
            alone = rng.integers(START + day * DAY, START + (day + 1) * DAY, 2)
            rows.extend((int(when), MANUAL, name, "on") for when in alone)
    return ChangeTable.from_rows(rows), datetime.fromtimestamp(START + days * DAY, UTC)


def test_a_pair_forms_over_a_few_days_and_is_established_later() -> None:
    wanted = [("light.a", "on", "switch.b", "on")]
    assert pairs(*young_house(2)) == []  # never from fewer days than asked
    (young,) = pairs(*young_house(3))
    assert keys([young]) == wanted
    assert (young.level, young.distinct_days) == (PatternLevel.FORMING, 3)
    (grown,) = pairs(*young_house(8))
    assert keys([grown]) == wanted
    assert (grown.level, grown.distinct_days) == (PatternLevel.ESTABLISHED, 8)
    assert grown.evidence > young.evidence


@pytest.mark.parametrize("minutes", [5, 10])
def test_delays_of_several_minutes(minutes: int) -> None:
    follows = [
        Follow(
            "light.room_001", "on", "switch.room_002", "on", 0.8, 150, 60 * minutes - 30
        )
    ]
    table, end = lifelike_house(
        entities=20, days=21, uses_per_day=3.0, seed=13, follows=follows
    )
    wanted = ("light.room_001", "on", "switch.room_002", "on")
    assert wanted not in keys(pairs(table, end, pair_max_delay=timedelta(minutes=2)))
    found = pairs(table, end, pair_max_delay=timedelta(minutes=minutes))
    assert keys(found) == [wanted]
    assert 150 <= found[0].median_delay_seconds <= 60 * minutes - 30
