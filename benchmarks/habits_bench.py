"""Measure habit mining: time and memory at load, recall and precision on plants.

Run from the repository root: `.venv/bin/python -m benchmarks.habits_bench`.
stdout: one JSON line per figure ({"name", "value", "unit"}); progress on stderr.

- Load: 30 days x 500 entities x 50 manual changes per entity per day (750,000
  changes, with planted routines and pairs). The table is built first; only
  `mine_habits` is timed: the median of three runs, and the first; and the
  process's CPU time of a fourth run (all threads), which a busy shared machine
  does not inflate the way it does the elapsed time. Memory:
  tracemalloc's peak during a run, and the growth of the process's maximum
  resident set (getrusage) over its resident set just before the first run (an
  upper bound when building the table peaked higher).
- Recall and precision: houses of 300 entities making 8 manual changes a day each
  (plus automated and system ones), in Europe/Paris across a daylight-saving
  change, over 30 and over 60 days, three seeds each. Recall counts the planted
  routines that happened on at least 70 % of their observed days (also per day
  class: 30 days hold only 8 or 9 weekend days); a routine is
  found when one of the same entity, state and day class is reported within
  max(10 min, 3 jitter) of its time. Precision is the share of reported patterns
  that match a planted routine (any presence) or pair.
- Pure noise: the load's size and density with nothing planted, and a house's
  density; the routines and pairs found must be 0.
- Realistic houses (`realistic_house`): per kind (plain, bursty devices,
  sensors firing all day, days away, visitors, entities used at every meal,
  weekday routines, all of them) and history length (10, 14, 28 and 60 days),
  two seeds of 100 entities, and the mixed kind at 10 and 500 entities:
  recall of the planted routines kept on at least 70 % of their days, found at
  the established level and at either level (a daily routine may be found for
  weekdays or weekends only: short histories hold few weekend days); precision
  (reported routines, at either level and established only, that match a
  planted one); pair recall and precision (a reported pair is right when
  planted, led by either change of a planted pair's A, or made by two planted
  routines a minute or two apart: the history holds it); and the reported pairs
  whose B followed A on a single day only (counted by brute force over the
  history, with the default delay), which must be 0.
- Realistic pure noise (`noise_house`): uniform, bursty and all-day noise of
  10 to 500 entities making 2 to 60 changes a day each: the routines and pairs
  found at each level must all be 0.

Only the engine is imported (`scripts/engine_alone.py`), never Home Assistant,
so the memory figures are the miner's.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from scripts.engine_alone import load_engine_alone

load_engine_alone()

from benchmarks.planted import (  # noqa: E402
    REALISTIC_KINDS,
    Planted,
    RoutineTruth,
    noise_house,
    random_house,
    realistic_house,
)
from custom_components.ha_ai.engine.habits.mining import mine_habits  # noqa: E402
from custom_components.ha_ai.engine.habits.model import (  # noqa: E402
    ChangeTable,
    DayClass,
    MiningSettings,
    Origin,
    Pattern,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)

PRESENT_SHARE = 0.7
PARIS = ZoneInfo("Europe/Paris")
SPRING = date(2024, 3, 11)  # Paris moves its clocks on 31 March
SEEDS = (1, 2, 3)
RUNS = 3  # mining runs timed at load; the median is reported


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    sys.stdout.write(json.dumps({"name": name, "value": value, "unit": unit}) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """Print progress on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def mine(planted: Planted) -> list[Pattern]:
    """Return the patterns of a planted history, with the default settings."""
    return mine_habits(
        planted.table,
        timezone=planted.timezone,
        end=planted.end,
        settings=MiningSettings(),
    )


def current_rss_kib() -> int:
    """Return the resident set in KiB now (the max so far if /proc is missing)."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * resource.getpagesize() // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # pragma: no cover


def matches(
    pattern: TimeOfDayPattern, truth: RoutineTruth, *, narrower: bool = False
) -> bool:
    """Tell whether a reported routine is a planted one.

    With `narrower`, a routine reported for weekdays or weekends only matches a
    daily one (ten days hold two weekend days: a daily routine missed on one of
    them is kept on weekdays, and the history says so).
    """
    routine = truth.routine
    distance = abs(pattern.minute_of_day - routine.minute_of_day) % 1440
    return (
        pattern.entity_id == routine.entity_id
        and pattern.state == routine.state
        and (
            pattern.day_class == routine.day_class
            or (narrower and routine.day_class is DayClass.DAILY)
        )
        and min(distance, 1440 - distance) <= max(10, 3 * routine.jitter_minutes)
    )


def score(
    planted: Planted, patterns: list[Pattern], *, narrower: bool = False
) -> dict[str, int]:
    """Return the counts that recall and precision are made of."""
    routines = [p for p in patterns if isinstance(p, TimeOfDayPattern)]
    pairs = {
        (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
        for p in patterns
        if isinstance(p, UsedTogetherPattern)
    }
    planted_pairs = {
        (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
        for p in planted.pairs
    }
    matched = [
        p
        for p in routines
        if any(matches(p, t, narrower=narrower) for t in planted.routines)
    ]
    present = [t for t in planted.routines if t.present_share >= PRESENT_SHARE]
    found = [
        t for t in present if any(matches(p, t, narrower=narrower) for p in matched)
    ]
    by_class = {
        f"{kind}_{day_class.value}": sum(
            t.routine.day_class is day_class for t in truths
        )
        for kind, truths in (("present", present), ("found", found))
        for day_class in DayClass
    }
    return {
        **by_class,
        "present": len(present),
        "found": len(found),
        "reported": len(routines),
        "matched": len(matched),
        "pairs_planted": len(planted_pairs),
        "pairs_reported": len(pairs),
        "pairs_matched": len(pairs & planted_pairs),
        # Reported pairs that the history holds: planted, or two routines at once.
        "pairs_explained": sum(
            planted.explains((a, a_state), (b, b_state))
            for a, a_state, b, b_state in pairs
        ),
    }


def ratio(part: int, whole: int) -> float:
    """Return part / whole rounded, 1 when there is nothing to count."""
    return round(part / whole, 4) if whole else 1.0


def load() -> None:
    """Time and memory of mining the 750,000-change load, and its recall."""
    log("Building 30 days x 500 entities x 50 manual changes a day")
    started = time.perf_counter()
    planted = random_house(days=30, entities=500, changes_per_entity_day=50, seed=7)
    log(f"  {len(planted.table):,} changes in {time.perf_counter() - started:.1f} s")
    emit("habits_load_changes", len(planted.table), "changes")
    gc.collect()
    rss_before = current_rss_kib()
    started = time.perf_counter()
    patterns = mine(planted)
    times = [time.perf_counter() - started]
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    for _ in range(RUNS - 1):
        started = time.perf_counter()
        mine(planted)
        times.append(time.perf_counter() - started)
    cpu = time.process_time()
    mine(planted)
    cpu = time.process_time() - cpu
    log(f"  mined {len(patterns)} patterns in {', '.join(f'{t:.2f}' for t in times)} s")
    emit("habits_mining_seconds", round(statistics.median(times), 3), "s")
    emit("habits_mining_cpu_seconds", round(cpu, 3), "s")
    emit("habits_mining_first_run_seconds", round(times[0], 3), "s")
    emit("habits_mining_max_rss_growth", round(max(rss_growth, 0) / 1024, 1), "MiB")

    gc.collect()
    tracemalloc.start()
    mine(planted)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    emit("habits_mining_tracemalloc_peak", round(peak / 2**20, 1), "MiB")

    counts = score(planted, patterns)
    emit("habits_load_routine_recall", ratio(counts["found"], counts["present"]), "")
    emit(
        "habits_load_routine_precision",
        ratio(counts["matched"], counts["reported"]),
        "",
    )
    emit(
        "habits_load_pair_recall",
        ratio(counts["pairs_matched"], counts["pairs_planted"]),
        "",
    )


def houses(days: int) -> None:
    """Recall and precision over a few seeded houses of `days` days."""
    log(f"Planted houses: 300 entities, {days} days, Europe/Paris")
    totals: dict[str, int] = {}
    for seed in SEEDS:
        planted = random_house(
            days=days,
            entities=300,
            changes_per_entity_day=8,
            seed=seed,
            timezone=PARIS,
            start=SPRING,
            other_origin_share=0.3,
        )
        counts = score(planted, mine(planted))
        log(f"  seed {seed}: {counts}")
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    emit(
        f"habits_routine_recall_{days}d", ratio(totals["found"], totals["present"]), ""
    )
    for day_class in DayClass:
        emit(
            f"habits_routine_recall_{days}d_{day_class.value}",
            ratio(
                totals[f"found_{day_class.value}"], totals[f"present_{day_class.value}"]
            ),
            "",
        )
    emit(
        f"habits_routine_precision_{days}d",
        ratio(totals["matched"], totals["reported"]),
        "",
    )
    emit(
        f"habits_pair_recall_{days}d",
        ratio(totals["pairs_matched"], totals["pairs_planted"]),
        "",
    )
    emit(
        f"habits_pair_precision_{days}d",
        ratio(totals["pairs_matched"], totals["pairs_reported"]),
        "",
    )


def noise() -> None:
    """Patterns found in pure noise: none may be."""
    found = {"routines": 0, "pairs": 0}
    runs: list[Callable[[], Planted]] = [
        lambda: random_house(
            days=30,
            entities=500,
            changes_per_entity_day=50,
            seed=11,
            routine_share=0,
            pair_share=0,
        ),
        *(
            (
                lambda seed=seed: random_house(
                    days=30,
                    entities=300,
                    changes_per_entity_day=8,
                    seed=seed,
                    timezone=PARIS,
                    start=SPRING,
                    routine_share=0,
                    pair_share=0,
                    other_origin_share=0.3,
                )
            )
            for seed in SEEDS
        ),
    ]
    log(f"Pure noise: {len(runs)} houses")
    for build in runs:
        patterns = mine(build())
        found["routines"] += sum(isinstance(p, TimeOfDayPattern) for p in patterns)
        found["pairs"] += sum(isinstance(p, UsedTogetherPattern) for p in patterns)
    emit("habits_noise_routines", found["routines"], "routines")
    emit("habits_noise_pairs", found["pairs"], "pairs")


HISTORY_DAYS = (10, 14, 28, 60)
REALISTIC_SEEDS = (1, 2)
REALISTIC_ENTITIES = 100
# kind, entities, days, changes per entity and day
NOISE_HOUSES = (
    ("uniform", 10, 14, 5.0),
    ("uniform", 100, 30, 20.0),
    ("uniform", 500, 10, 50.0),
    ("bursty", 50, 14, 10.0),
    ("bursty", 300, 30, 30.0),
    ("all_day", 20, 10, 60.0),
    ("all_day", 200, 30, 20.0),
    ("all_day", 500, 60, 2.0),
)


def single_day_pairs(
    table: ChangeTable, pairs: list[UsedTogetherPattern], planted: Planted
) -> int:
    """Return how many pairs have B following A (manual, within the default
    delay) on one local day only, counted over the table by brute force."""
    delay = int(MiningSettings().pair_max_delay.total_seconds())
    manual = table.origin == Origin.MANUAL
    start = int(planted.start.timestamp())
    single = 0
    for pair in pairs:
        a = table.when[
            manual
            & (table.entity == table.entity_ids.index(pair.trigger_entity_id))
            & (table.state == table.states.index(pair.trigger_state))
        ]
        b = table.when[
            manual
            & (table.entity == table.entity_ids.index(pair.entity_id))
            & (table.state == table.states.index(pair.state))
        ]
        after = np.searchsorted(b, a, side="right")
        followed = (after < b.shape[0]) & (
            b[np.minimum(after, b.shape[0] - 1)] <= a + delay
        )
        # Days of the history (a day is 24 h from the first local midnight).
        days = np.unique((a[followed] - start) // 86_400)
        single += int(days.shape[0] <= 1)
    return single


def realistic_score(planted: Planted, patterns: list[Pattern]) -> dict[str, int]:
    """Return the counts of the realistic figures, by level."""
    counts = score(planted, patterns, narrower=True)
    routines = [p for p in patterns if isinstance(p, TimeOfDayPattern)]
    established = [p for p in routines if p.level is PatternLevel.ESTABLISHED]
    present = [t for t in planted.routines if t.present_share >= PRESENT_SHARE]
    pairs = [p for p in patterns if isinstance(p, UsedTogetherPattern)]
    return {
        "present": counts["present"],
        "found": counts["found"],
        "found_established": sum(
            any(matches(p, t, narrower=True) for p in established) for t in present
        ),
        "reported": counts["reported"],
        "matched": counts["matched"],
        "reported_established": len(established),
        "matched_established": sum(
            any(matches(p, t, narrower=True) for t in planted.routines)
            for p in established
        ),
        "pairs_planted": counts["pairs_planted"],
        "pairs_reported": counts["pairs_reported"],
        "pairs_matched": counts["pairs_matched"],
        "pairs_explained": counts["pairs_explained"],
        "pairs_single_day": single_day_pairs(planted.table, pairs, planted),
    }


def emit_realistic(prefix: str, totals: dict[str, int]) -> None:
    """Emit the figures of one kind of house and history length."""
    emit(f"{prefix}_routine_recall", ratio(totals["found"], totals["present"]), "")
    emit(
        f"{prefix}_routine_recall_established",
        ratio(totals["found_established"], totals["present"]),
        "",
    )
    emit(
        f"{prefix}_routine_precision",
        ratio(totals["matched"], totals["reported"]),
        "",
    )
    emit(
        f"{prefix}_routine_precision_established",
        ratio(totals["matched_established"], totals["reported_established"]),
        "",
    )
    emit(
        f"{prefix}_pair_recall",
        ratio(totals["pairs_matched"], totals["pairs_planted"]),
        "",
    )
    emit(
        f"{prefix}_pair_precision",
        ratio(totals["pairs_explained"], totals["pairs_reported"]),
        "",
    )
    emit(f"{prefix}_pairs_single_day", totals["pairs_single_day"], "pairs")


def realistic(kind: str, days: int, entities: int, seeds: tuple[int, ...]) -> float:
    """Figures of a kind of realistic house; return the seconds spent mining."""
    totals: dict[str, int] = {}
    seconds = 0.0
    for seed in seeds:
        planted = realistic_house(
            kind,
            days=days,
            entities=entities,
            seed=seed,
            timezone=PARIS,
            start=SPRING,
        )
        started = time.perf_counter()
        patterns = mine(planted)
        seconds += time.perf_counter() - started
        counts = realistic_score(planted, patterns)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    log(f"  {kind}, {entities} entities, {days} days: {totals}")
    sized = "" if entities == REALISTIC_ENTITIES else f"_{entities}e"
    emit_realistic(f"habits_realistic_{kind}{sized}_{days}d", totals)
    return seconds


def realistic_houses() -> None:
    """Realistic houses per kind and history length, and the mixed at two sizes."""
    log(f"Realistic houses: {REALISTIC_ENTITIES} entities, Europe/Paris")
    seconds = 0.0
    for kind in REALISTIC_KINDS:
        for days in HISTORY_DAYS:
            seconds += realistic(kind, days, REALISTIC_ENTITIES, REALISTIC_SEEDS)
    for entities in (10, 500):
        seconds += realistic("mixed", 28, entities, REALISTIC_SEEDS[:1])
    emit("habits_realistic_mining_seconds", round(seconds, 2), "s")


def realistic_noise() -> None:
    """Realistic pure noise of several sizes and densities: nothing may be found."""
    log(f"Realistic pure noise: {len(NOISE_HOUSES)} houses")
    found = {
        (kind, level): 0 for kind in ("routines", "pairs") for level in PatternLevel
    }
    for kind, entities, days, per_day in NOISE_HOUSES:
        planted = noise_house(
            kind,
            days=days,
            entities=entities,
            changes_per_entity_day=per_day,
            seed=entities + days,
            timezone=PARIS,
            start=SPRING,
        )
        patterns = mine(planted)
        for pattern in patterns:
            sort = "routines" if isinstance(pattern, TimeOfDayPattern) else "pairs"
            found[sort, pattern.level] += 1
        log(f"  {kind}, {entities} x {days} d x {per_day:g}/d: {len(patterns)}")
        emit(
            f"habits_noise_{kind}_{entities}e_{days}d_{per_day:g}pd_patterns",
            len(patterns),
            "patterns",
        )
    for (sort, level), count in found.items():
        emit(f"habits_noise_realistic_{sort}_{level.value}", count, sort)


def main(argv: list[str]) -> int:
    """Run every measure."""
    del argv
    load()
    houses(30)
    houses(60)
    noise()
    realistic_houses()
    realistic_noise()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
