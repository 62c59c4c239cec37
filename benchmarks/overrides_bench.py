"""Measure what following overrides costs each state change of the house.

Run from the repository root: `.venv/bin/python -m benchmarks.overrides_bench`.
stdout: one JSON line per figure ({"name", "value", "unit"}); progress on stderr.

Home Assistant calls `OverrideWatch.observe` for every state_changed event, so
its cost is paid by the whole house, not by HA AI's automations alone. The bar
is under 20 µs per event with 100 deployed automations.

- House: 2,000 entities; 100 deployed automations, each having just set 3
  entities (300 expectations pending, one per entity).
- Events: 1,000,000 `observe` calls, 95 % of them on the 1,700 entities no run
  set and 5 % on the 300 it did. Of the latter, 80 % keep the state (attribute
  updates: a light dimmed, a thermostat's reading), 10 % are a person's change
  to another state (an override) and 10 % the system's or another
  automation's; each of those ends the expectation, and the automation runs
  again at once (`expect`) so 300 stay pending throughout. The re-arming is
  inside the timed loop, so the figure is an upper bound. The events are 0.5 ms
  apart (2,000 a second, far busier than a house): all of them fall within the
  10-minute window, so no expectation expires and every watched event is
  judged in full.
- Figures: nanoseconds per observe, the median (p50) over 5 repeats of the
  whole million, each on a fresh watch; the same loop calling a function that
  does nothing, to show what the loop and the call alone cost; memory held by
  the watch with the 300 expectations, and at its cap (10,000 expectations,
  every text at Home Assistant's 255-character limit), by tracemalloc.

Only the engine is imported (`scripts/engine_alone.py`), never Home Assistant.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from scripts.engine_alone import load_engine_alone

load_engine_alone()

from custom_components.ha_ai.engine.automations.overrides import (  # noqa: E402
    DEFAULT_MAX_PENDING,
    MAX_TEXT_LENGTH,
    Override,
    OverrideWatch,
)

ENTITIES = 2_000
AUTOMATIONS = 100
ENTITIES_PER_AUTOMATION = 3
EVENTS = 1_000_000
WATCHED_SHARE = 0.05
REPEATS = 5
EVENT_STEP = timedelta(microseconds=500)
EVENTS_PER_TIME = 100  # events sharing one datetime object, to spare memory
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SEED = 15

Event = tuple[datetime, str, str, bool]


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    sys.stdout.write(json.dumps({"name": name, "value": value, "unit": unit}) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """Print progress on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def house() -> tuple[list[str], list[tuple[str, str]]]:
    """Return the unwatched entities, and the watched ones with their automation."""
    domains = ("light", "switch", "sensor", "binary_sensor", "cover", "climate")
    entity_ids = [
        f"{domains[number % len(domains)]}.device_{number:04d}"
        for number in range(ENTITIES)
    ]
    watched_count = AUTOMATIONS * ENTITIES_PER_AUTOMATION
    watched = [
        (entity_id, f"ha_ai_{number // ENTITIES_PER_AUTOMATION:03d}")
        for number, entity_id in enumerate(entity_ids[:watched_count])
    ]
    return entity_ids[watched_count:], watched


def events(unwatched: list[str], watched: list[tuple[str, str]]) -> list[Event]:
    """Return the million state changes, the same for every repeat."""
    rng = random.Random(SEED)  # noqa: S311 - a reproducible house, not a secret
    moments = [
        START + EVENT_STEP * EVENTS_PER_TIME * number
        for number in range(EVENTS // EVENTS_PER_TIME + 1)
    ]
    out: list[Event] = []
    for number in range(EVENTS):
        at = moments[number // EVENTS_PER_TIME]
        if rng.random() >= WATCHED_SHARE:
            out.append((at, rng.choice(unwatched), str(rng.randrange(100)), False))
            continue
        entity_id = rng.choice(watched)[0]
        kind = rng.random()
        if kind < 0.8:
            out.append((at, entity_id, "on", False))
        else:
            out.append((at, entity_id, "off", kind < 0.9))
    return out


def armed_watch(watched: list[tuple[str, str]]) -> OverrideWatch:
    """Return a watch with every automation's three entities just set to on."""
    watch = OverrideWatch()
    for entity_id, automation_id in watched:
        watch.expect(
            automation_id=automation_id,
            run_id=f"run-{entity_id}",
            at=START,
            entity_id=entity_id,
            state="on",
        )
    return watch


def run(watch: OverrideWatch, stream: list[Event], owners: dict[str, str]) -> int:
    """Feed every event to the watch, re-arming what ends; return the overrides."""
    overrides = 0
    observe = watch.observe
    expect = watch.expect
    for number, (at, entity_id, state, manual) in enumerate(stream):
        found: Override | None = observe(
            at=at, entity_id=entity_id, state=state, manual=manual
        )
        if state == "off":
            overrides += found is not None
            expect(
                automation_id=owners[entity_id],
                run_id=f"run-{number}",
                at=at,
                entity_id=entity_id,
                state="on",
            )
    return overrides


def baseline(stream: list[Event]) -> None:
    """Walk the events calling a function that does nothing."""

    def nothing(*, at: datetime, entity_id: str, state: str, manual: bool) -> None:
        del at, entity_id, state, manual

    for at, entity_id, state, manual in stream:
        nothing(at=at, entity_id=entity_id, state=state, manual=manual)


def per_event() -> None:
    """Time the million observe calls."""
    unwatched, watched = house()
    owners = dict(watched)
    stream = events(unwatched, watched)
    log(f"{len(stream)} events, {len(watched)} watched entities")
    timings: list[float] = []
    overrides = 0
    for repeat in range(REPEATS):
        watch = armed_watch(watched)
        gc.collect()
        begin = time.perf_counter_ns()
        overrides = run(watch, stream, owners)
        timings.append((time.perf_counter_ns() - begin) / EVENTS)
        assert watch.pending_count == len(watched)
        log(f"repeat {repeat + 1}: {timings[-1]:.0f} ns per observe")
    emit("overrides_observe_p50", round(statistics.median(timings)), "ns/event")
    emit("overrides_observe_max", round(max(timings)), "ns/event")
    emit("overrides_found_per_million", overrides, "overrides")
    baselines: list[float] = []
    for _ in range(REPEATS):
        begin = time.perf_counter_ns()
        baseline(stream)
        baselines.append((time.perf_counter_ns() - begin) / EVENTS)
    emit("overrides_empty_call_p50", round(statistics.median(baselines)), "ns/event")


def memory() -> None:
    """Measure what the watch holds, as deployed and at its cap."""
    _, watched = house()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    watch = armed_watch(watched)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    emit("overrides_memory_300_pending", round(held / 1024, 1), "KiB")
    del watch

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    full = OverrideWatch()
    pad = "x" * MAX_TEXT_LENGTH
    for number in range(DEFAULT_MAX_PENDING + 1_000):
        tag = f"{number:06d}"
        full.expect(
            automation_id=tag + pad[6:],
            run_id=tag + pad[6:],
            at=START,
            entity_id=tag + pad[6:],
            state=tag + pad[6:],
        )
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert full.pending_count == DEFAULT_MAX_PENDING
    emit("overrides_memory_at_cap", round(held / 2**20, 1), "MiB")


def main(argv: list[str]) -> int:
    """Run every measure."""
    del argv
    per_event()
    memory()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
