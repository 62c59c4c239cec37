"""Four weeks of a household's life, written into HA AI's log before the demo starts.

A fresh Home Assistant has no history, so HA AI would have nothing to learn for
weeks. The demo house instead starts with the log a real one would have after
four weeks: a light switched on every evening and off at bedtime, a plug used
on weekday mornings, the plug following the light at night, and noise around it
(changes at random times, some made by automations, which must not count). The
first analysis, run when the demo starts, then finds these routines and suggests
their automations, so the card has something to show and to deploy.

The log is HA AI's own (one CSV file per UTC day under
`.storage/ha_ai_habits`); writing it before Home Assistant starts is what HA AI
itself would have written, and a log that holds days means HA AI does not
back-fill from the (empty) recorder. An existing log is never touched: the demo
keeps what it learned across runs. The engine is loaded alone
(`scripts/engine_alone.py`): this process never sets the integration up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from scripts.engine_alone import load_engine_alone

if TYPE_CHECKING:
    from benchmarks.planted import Noise, Planted, PlantedPair, PlantedRoutine

LOG_DIRECTORY = ("ha_ai_habits",)
DAYS = 28
SEED = 20261202
# Far above what four weeks of a few devices write: nothing is ever dropped.
MAX_DAY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DemoHistory:
    """What was written, for the banner."""

    changes: int
    days: int


def _household(
    light: str, plug: str
) -> tuple[list[PlantedRoutine], list[PlantedPair], list[Noise]]:
    """Return the demo household's habits on its light and plug."""
    from benchmarks.planted import Noise, PlantedPair, PlantedRoutine
    from custom_components.ha_ai.engine.habits.model import DayClass

    routines = [
        PlantedRoutine(light, "on", 19 * 60 + 10, jitter_minutes=6, probability=0.9),
        PlantedRoutine(light, "off", 23 * 60 + 5, jitter_minutes=7, probability=0.9),
        PlantedRoutine(
            plug,
            "on",
            6 * 60 + 50,
            jitter_minutes=4,
            probability=0.9,
            day_class=DayClass.WEEKDAYS,
        ),
    ]
    pairs = [
        PlantedPair(
            light,
            "off",
            plug,
            "off",
            probability=0.85,
            min_delay_seconds=10,
            max_delay_seconds=50,
        )
    ]
    noise = [
        Noise(light, per_day=1.0, automated_share=0.3),
        Noise(plug, per_day=0.7, automated_share=0.3),
    ]
    return routines, pairs, noise


def seed_history(
    config_dir: Path,
    *,
    light: str,
    plug: str,
    time_zone: str,
    now: datetime | None = None,
) -> DemoHistory | None:
    """Write four weeks of the demo household into an empty habit log.

    Returns what was written, or None when the log already holds days. The
    engine is imported here, not with this module: a process that sets the
    integration up (the tests import the development environment) must never
    see the engine loaded alone.
    """
    load_engine_alone()
    from benchmarks.planted import generate
    from custom_components.ha_ai.engine.habits.log_files import first_day

    directory = config_dir.joinpath(".storage", *LOG_DIRECTORY)
    if first_day(directory) is not None:
        return None
    zone = ZoneInfo(time_zone)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    routines, pairs, noise = _household(light, plug)
    planted = generate(
        days=DAYS,
        seed=SEED,
        timezone=zone,
        start=today - timedelta(days=DAYS),
        routines=routines,
        pairs=pairs,
        noise=noise,
    )
    return DemoHistory(changes=write_planted(directory, planted), days=DAYS)


def write_planted(directory: Path, planted: Planted) -> int:
    """Append a generated history to the habit log in `directory`; return the rows.

    The engine must be importable already (`load_engine_alone`, or the
    integration loaded).
    """
    from custom_components.ha_ai.engine.habits.log_files import append_rows

    table = planted.table
    rows = [
        (
            int(table.when[i]),
            int(table.origin[i]),
            table.entity_ids[int(table.entity[i])],
            table.states[int(table.state[i])],
        )
        for i in range(len(table))
    ]
    return append_rows(directory, rows, max_day_bytes=MAX_DAY_BYTES).written
