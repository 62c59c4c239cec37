"""Four weeks of a household's life, written into HA AI's log before the demo starts.

A fresh Home Assistant has no history, so HA AI would have nothing to learn for
weeks. The demo house instead starts with the log a real one would have after
four weeks, on the devices of the simulated Zigbee2MQTT (`demo_household`):

- routines: the living-room light switched on every evening and off at bedtime,
  the kitchen plug (the coffee machine) on weekday mornings, and later on
  weekends (the weekend routine);
- pairs: the plug switched off right after the light at night, and, in a house
  with a second light, that light following the first one on;
- a forming routine: a device that came into use five days ago and has been
  switched at the same time on each of them (shown, too young to suggest);
- automation-made changes: a wake-up automation switching the light on and off
  every morning, which must not count as a habit, and automated changes among
  the noise (changes at random times) around it all.

The first analysis, run when the demo starts, then finds these routines and
suggests their automations, so the card has something to show and to deploy;
`history_check` verifies that it did (`scripts/develop --check`).

The log is HA AI's own (one CSV file per UTC day under
`.storage/ha_ai_habits`); writing it before Home Assistant starts is what HA AI
itself would have written, and a log that holds days means HA AI does not
back-fill from the (empty) recorder. An existing log is never touched: the demo
keeps what it learned across runs. The engine is loaded alone
(`scripts/engine_alone.py`): this process never sets the integration up.
"""

from __future__ import annotations

from collections.abc import Iterable
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
# The forming routine began this many days before today.
FORMING_DAYS = 5
# Domains a person switches, in the order the demo's habits take them.
SWITCHABLE = ("light", "switch", "fan", "cover")


@dataclass(frozen=True, slots=True)
class Routine:
    """An entity goes to a state at about the same local time, on days of a class."""

    entity_id: str
    state: str
    minute_of_day: int
    day_class: str = "daily"  # daily, weekdays or weekends
    jitter_minutes: float = 5.0
    probability: float = 0.9
    first_day: int = 0  # offset from the first day: later for a young habit
    automated: bool = False  # made by an automation: must never count

    @property
    def time(self) -> str:
        """Return the routine's time as HH:MM."""
        return f"{self.minute_of_day // 60:02d}:{self.minute_of_day % 60:02d}"


@dataclass(frozen=True, slots=True)
class Pair:
    """B goes to a state by hand soon after A went to one."""

    trigger_entity_id: str
    trigger_state: str
    entity_id: str
    state: str
    probability: float = 0.85
    min_delay_seconds: int = 10
    max_delay_seconds: int = 50


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    """The habits planted in the demo house's history, and its noise."""

    routines: tuple[Routine, ...]
    pairs: tuple[Pair, ...]
    # (entity id, changes a day at random times); 30 % made by automations.
    noise: tuple[tuple[str, float], ...]

    @property
    def established(self) -> tuple[Routine, ...]:
        """Return the routines kept by hand all month: each must be suggested."""
        return tuple(r for r in self.routines if not r.automated and r.first_day == 0)

    @property
    def forming(self) -> tuple[Routine, ...]:
        """Return the routines only days old: found, too young to suggest."""
        return tuple(r for r in self.routines if not r.automated and r.first_day)

    @property
    def automated(self) -> tuple[Routine, ...]:
        """Return the routines an automation made: never a pattern."""
        return tuple(r for r in self.routines if r.automated)

    @property
    def entities(self) -> list[str]:
        """Return the entities the history uses, once each."""
        names = [r.entity_id for r in self.routines]
        for pair in self.pairs:
            names += [pair.trigger_entity_id, pair.entity_id]
        return list(dict.fromkeys(names))


def demo_household(light: str, plug: str, entity_ids: Iterable[str]) -> DemoHousehold:
    """Return the demo household's habits on the demo house's entities.

    `light` and `plug` keep the main routines; of the house's other entities
    (`entity_ids`), a second light (if any) follows the first one on, and the
    next switchable device (else a binary sensor) makes the forming routine, so
    the history fits a house of four devices as well as one of twenty.
    """
    others = [e for e in dict.fromkeys(entity_ids) if e not in (light, plug)]
    switchable = sorted(
        (e for e in others if e.partition(".")[0] in SWITCHABLE),
        key=lambda e: SWITCHABLE.index(e.partition(".")[0]),
    )
    second_light = next((e for e in switchable if e.startswith("light.")), None)
    spare = [e for e in switchable if e != second_light]
    spare += [e for e in others if e.startswith("binary_sensor.")]
    routines = [
        Routine(light, "on", 19 * 60 + 10, jitter_minutes=6),
        Routine(light, "off", 23 * 60 + 5, jitter_minutes=7),
        Routine(plug, "on", 6 * 60 + 50, "weekdays", jitter_minutes=4),
        Routine(plug, "on", 8 * 60 + 40, "weekends", jitter_minutes=6, probability=1),
        # A wake-up automation, every morning: in the log, never a habit.
        Routine(
            light, "on", 6 * 60 + 30, jitter_minutes=1, probability=1, automated=True
        ),
        Routine(
            light, "off", 7 * 60 + 15, jitter_minutes=1, probability=1, automated=True
        ),
    ]
    if spare:
        routines.append(
            Routine(
                spare[0],
                "on",
                21 * 60 + 30,
                jitter_minutes=4,
                probability=1,
                first_day=DAYS - FORMING_DAYS,
            )
        )
    pairs = [Pair(light, "off", plug, "off")]
    noise = [(light, 1.0), (plug, 0.7)]
    if second_light is not None:
        pairs.append(
            Pair(
                light,
                "on",
                second_light,
                "on",
                min_delay_seconds=5,
                max_delay_seconds=40,
            )
        )
        noise.append((second_light, 0.5))
    return DemoHousehold(tuple(routines), tuple(pairs), tuple(noise))


@dataclass(frozen=True, slots=True)
class DemoHistory:
    """What was written, for the banner."""

    changes: int
    days: int


def _planted(
    household: DemoHousehold,
) -> tuple[list[PlantedRoutine], list[PlantedPair], list[Noise]]:
    """Return the household in the terms of the habit benchmarks' generator."""
    from benchmarks.planted import Noise, PlantedPair, PlantedRoutine
    from custom_components.ha_ai.engine.habits.model import DayClass, Origin

    routines = [
        PlantedRoutine(
            r.entity_id,
            r.state,
            r.minute_of_day,
            jitter_minutes=r.jitter_minutes,
            probability=r.probability,
            day_class=DayClass(r.day_class),
            first_day=r.first_day,
            origin=Origin.AUTOMATED if r.automated else Origin.MANUAL,
        )
        for r in household.routines
    ]
    pairs = [
        PlantedPair(
            p.trigger_entity_id,
            p.trigger_state,
            p.entity_id,
            p.state,
            probability=p.probability,
            min_delay_seconds=p.min_delay_seconds,
            max_delay_seconds=p.max_delay_seconds,
        )
        for p in household.pairs
    ]
    noise = [
        Noise(entity_id, per_day=per_day, automated_share=0.3)
        for entity_id, per_day in household.noise
    ]
    return routines, pairs, noise


def seed_history(
    config_dir: Path,
    household: DemoHousehold,
    *,
    time_zone: str,
    now: datetime | None = None,
) -> DemoHistory | None:
    """Write four weeks of the demo household into an empty habit log.

    The days end with yesterday. Returns what was written, or None when the log
    already holds days. The engine is imported here, not with this module: a
    process that sets the integration up (the tests import the development
    environment) must never see the engine loaded alone.
    """
    load_engine_alone()
    from benchmarks.planted import generate
    from custom_components.ha_ai.engine.habits.log_files import first_day

    directory = config_dir.joinpath(".storage", *LOG_DIRECTORY)
    if first_day(directory) is not None:
        return None
    zone = ZoneInfo(time_zone)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    routines, pairs, noise = _planted(household)
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
