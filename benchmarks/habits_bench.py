"""Measure habit mining: time and memory at load, recall and precision on plants.

Run from the repository root: `.venv/bin/python benchmarks/habits_bench.py`.
stdout: one JSON line per figure ({"name", "value", "unit"}); progress on stderr.

- Load: 30 days x 500 entities x 50 manual changes per entity per day (750,000
  changes, with planted routines and pairs). The table is built first; only
  `mine_habits` is timed: the median of three runs, and the first. Memory:
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

Only the engine is imported (custom_components/ha_ai on sys.path, as `engine`),
never Home Assistant.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "custom_components" / "ha_ai"))
sys.path.insert(0, str(REPO))

from engine.habits.mining import mine_habits  # noqa: E402
from engine.habits.model import (  # noqa: E402
    DayClass,
    MiningSettings,
    Pattern,
    TimeOfDayPattern,
    UsedTogetherPattern,
)

from benchmarks.planted import Planted, RoutineTruth, random_house  # noqa: E402

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


def matches(pattern: TimeOfDayPattern, truth: RoutineTruth) -> bool:
    """Tell whether a reported routine is a planted one."""
    routine = truth.routine
    distance = abs(pattern.minute_of_day - routine.minute_of_day) % 1440
    return (
        pattern.entity_id == routine.entity_id
        and pattern.state == routine.state
        and pattern.day_class == routine.day_class
        and min(distance, 1440 - distance) <= max(10, 3 * routine.jitter_minutes)
    )


def score(planted: Planted, patterns: list[Pattern]) -> dict[str, int]:
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
    matched = [p for p in routines if any(matches(p, t) for t in planted.routines)]
    present = [t for t in planted.routines if t.present_share >= PRESENT_SHARE]
    found = [t for t in present if any(matches(p, t) for p in matched)]
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
    log(f"  mined {len(patterns)} patterns in {', '.join(f'{t:.2f}' for t in times)} s")
    emit("habits_mining_seconds", round(statistics.median(times), 3), "s")
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


def main(argv: list[str]) -> int:
    """Run every measure."""
    del argv
    load()
    houses(30)
    houses(60)
    noise()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
