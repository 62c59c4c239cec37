"""Measure learning the household's routines: time and memory at load, and truth.

Run from the repository root: `.venv/bin/python -m benchmarks.household_bench`.
stdout: one JSON line per figure ({"name", "value", "unit"}); progress on stderr.

- Load: 60 days of a household with weekend lie-ins and 500 entities (the
  household's own and 490 devices making 50 manual changes a day each while
  people are up: about 1.5 million changes). The table is built first; only
  `learn_household` is timed (with an away learner that finds nothing, so the
  figure is the morning and bedtime alone): the median of three runs, and the
  first; and the process's CPU time of a fourth run. Memory: tracemalloc's peak
  during a run, and the growth of the process's maximum resident set over its
  resident set just before the first run.
- Truth: every generated household (`households.HOUSEHOLD_KINDS`, three seeds):
  the planted routines found (same kind and day class, typical start within 5
  minutes, the planted usual actions as its steps, in order), and the routines
  reported that were not planted, which must be 0.

Only the engine is imported (`scripts/engine_alone.py`), never Home Assistant,
so the memory figures are the learner's.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from scripts.engine_alone import load_engine_alone

load_engine_alone()

from benchmarks.households import (  # noqa: E402
    HOUSEHOLD_KINDS,
    HouseholdTruth,
    household,
)
from custom_components.ha_ai.engine.habits.model import ChangeTable  # noqa: E402
from custom_components.ha_ai.engine.habits.time_of_day import (  # noqa: E402
    minutes_apart,
)
from custom_components.ha_ai.engine.household.learn import (  # noqa: E402
    learn_household,
)
from custom_components.ha_ai.engine.household.model import (  # noqa: E402
    AwayRoutine,
    HouseholdRoutines,
)

RUNS = 3
SEEDS = (1, 2, 3)
START_MINUTES = 5


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    sys.stdout.write(json.dumps({"name": name, "value": value, "unit": unit}) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """Print progress on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def no_away(*args: Any, **kwargs: Any) -> tuple[AwayRoutine | None, str | None]:
    """Find no away routine: the figures are the morning and bedtime's."""
    return None, "not measured"


def learn(table: ChangeTable, truth: HouseholdTruth) -> HouseholdRoutines:
    """Return the household's routines, with the away learner left out."""
    return learn_household(
        table, timezone=truth.timezone, end=truth.end, roles=truth.roles, away=no_away
    )


def current_rss_kib() -> int:
    """Return the resident set in KiB now (the max so far if /proc is missing)."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * resource.getpagesize() // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # pragma: no cover


def load() -> None:
    """Time and memory of learning 60 days x 500 entities."""
    log("Building 60 days x 500 entities (490 devices, 50 changes a day each)")
    started = time.perf_counter()
    table, truth = household(
        "lie_ins", days=60, extra_entities=490, changes_per_entity_day=50.0
    )
    log(f"  {len(table):,} changes in {time.perf_counter() - started:.1f} s")
    emit("household_load_changes", len(table), "changes")
    emit("household_load_entities", len(table.entity_ids), "entities")
    gc.collect()
    rss_before = current_rss_kib()
    started = time.perf_counter()
    result = learn(table, truth)
    times = [time.perf_counter() - started]
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    for _ in range(RUNS - 1):
        started = time.perf_counter()
        learn(table, truth)
        times.append(time.perf_counter() - started)
    cpu = time.process_time()
    learn(table, truth)
    cpu = time.process_time() - cpu
    log(
        f"  learned {len(result.routines)} routines in "
        f"{', '.join(f'{t:.2f}' for t in times)} s"
    )
    emit("household_learning_seconds", round(statistics.median(times), 3), "s")
    emit("household_learning_cpu_seconds", round(cpu, 3), "s")
    emit("household_learning_first_run_seconds", round(times[0], 3), "s")
    emit(
        "household_learning_max_rss_growth", round(max(rss_growth, 0) / 1024, 1), "MiB"
    )
    gc.collect()
    tracemalloc.start()
    learn(table, truth)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    emit("household_learning_tracemalloc_peak", round(peak / 2**20, 1), "MiB")
    found, unexpected = score(truth, result)
    emit("household_load_routines_found", found, "routines")
    emit("household_load_routines_planted", len(truth.routines), "routines")
    emit("household_load_routines_unexpected", unexpected, "routines")


def score(truth: HouseholdTruth, result: HouseholdRoutines) -> tuple[int, int]:
    """Return the planted routines found as planted, and those reported unplanted."""
    found = 0
    for plant in truth.routines:
        routine = result.routine(plant.kind, plant.day_class)
        if (
            routine is not None
            and minutes_apart(routine.typical_start, plant.minute) <= START_MINUTES
            and tuple((s.entity_id, s.state) for s in routine.steps) == plant.usual
        ):
            found += 1
    planted = {(p.kind, p.day_class) for p in truth.routines}
    unexpected = sum(1 for r in result.routines if (r.kind, r.day_class) not in planted)
    return found, unexpected


def truths() -> None:
    """Routines found and invented over every generated household and seed."""
    found = planted = unexpected = 0
    for kind in HOUSEHOLD_KINDS:
        for seed in SEEDS:
            table, truth = household(kind, seed=seed)
            hits, extra = score(truth, learn(table, truth))
            found += hits
            planted += len(truth.routines)
            unexpected += extra
            log(f"  {kind} seed {seed}: {hits} of {len(truth.routines)}, {extra} extra")
    emit("household_generated_routines_found", found, "routines")
    emit("household_generated_routines_planted", planted, "routines")
    emit("household_generated_routines_unexpected", unexpected, "routines")


def main(argv: list[str]) -> int:
    """Run every measure."""
    del argv
    load()
    truths()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
