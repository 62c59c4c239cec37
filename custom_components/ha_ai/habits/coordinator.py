"""Runs habit mining every day and on demand, and says so over MQTT.

The analysis is a coordinator over what it learned (`LearnedHabits`). It reads
HA AI's habit log (an executor job), mines it in another executor job, compares
the patterns with the last run's (ids stay stable), and publishes
`analysis/complete` (or `analysis/failed`, keeping the last good result) and one
`events/pattern/<type>_detected` per new pattern, and per forming pattern that
became established since the last run (`promoted`: it becomes a suggestion now).
It hands its patterns to the suggestions it was built with, which count theirs
for `analysis/complete`. Setup never waits for it: the stored result is the first
data. A new installation does not wait for the daily run either: once the
recorder's history has been copied into the empty log, the first analysis starts
in the background, when there is no earlier result to show.
"""

from __future__ import annotations

import time as monotonic_time
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..bus.mqtt_bus import MqttBus
from ..const import DOMAIN, LOGGER
from ..engine.habits.mining import compare_patterns, mine_habits
from ..engine.habits.model import (
    MiningSettings,
    Pattern,
    PatternLevel,
    UsedTogetherPattern,
)
from ..engine.habits.results import count_levels, pattern_fields, promoted_patterns
from ..engine.habits.serialize import (
    patterns_to_store,
    restore_habits_store,
)
from ..engine.household.learn import learn_household
from ..engine.household.model import HouseholdRoutines
from ..engine.household.serialize import routines_to_dict
from ..household.roles import household_roles
from ..stored_part import PartStore
from ..suggestions.manager import SuggestionManager
from ..zigbee.bridge import ZigbeeBridge
from .backfill import async_backfill
from .coverage import automation_coverage
from .log import HabitLog

STORE_VERSION = 1
HABITS_STORE_KEY = f"{DOMAIN}.habits"
# A run asked for right after another is refused: mining is not free.
RUN_COOLDOWN = timedelta(seconds=60)
TOP_PATTERNS = 5


class AnalysisRunningError(HomeAssistantError):
    """An analysis is already under way."""


class AnalysisCooldownError(HomeAssistantError):
    """The last analysis finished a moment ago."""


@dataclass(frozen=True, slots=True)
class AnalysisSchedule:
    """When the daily analysis runs, and how far back it looks."""

    run_at: time
    history_days: int


@dataclass(frozen=True, slots=True)
class LearnedHabits:
    """What the last good analysis learned, as entities and diagnostics read it."""

    patterns: tuple[Pattern, ...] = ()
    last_run: datetime | None = None
    last_duration: float | None = None
    # The household's morning, bedtime and absence, which the live follower watches.
    household: HouseholdRoutines = field(default_factory=HouseholdRoutines)


class HabitAnalysis(DataUpdateCoordinator[LearnedHabits]):
    """The learned patterns, kept current by a daily analysis.

    A coordinator without a polling interval: the daily schedule and the first
    analysis of a new installation request a refresh, `ha_ai.run_analysis` runs
    one and waits for it. A failed run keeps the last patterns, and the habit
    entities are unavailable until a run succeeds again.
    """

    def __init__(  # noqa: PLR0913
        self,
        hass: HomeAssistant,
        bus: MqttBus,
        log: HabitLog,
        zigbee: ZigbeeBridge,
        schedule: AnalysisSchedule,
        settings: MiningSettings | None = None,
        *,
        entry: ConfigEntry[Any],
        suggestions: SuggestionManager,
    ) -> None:
        """Prepare; nothing runs before `async_start`.

        `suggestions` is handed the patterns: the restored ones at start, the new
        ones after each good run, which it turns into suggestions, counting how
        many are open and how many are new for the `analysis/complete` event.
        The first analysis of a new installation is a task of `entry`, so
        unloading the entry ends it.
        """
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name="HA AI habit analysis",
            update_interval=None,
        )
        self.data = LearnedHabits()
        self.entry = entry
        self.bus = bus
        self.log = log
        self.zigbee = zigbee
        self.schedule = schedule
        self.settings = settings or MiningSettings()
        self.suggestions = suggestions
        self.last_error: str | None = None
        self.running = False
        self._finished_at: float | None = None
        # What the store holds: the last good result, set before each save.
        self._kept = self.data
        self._store = PartStore(
            hass, entry, HABITS_STORE_KEY, STORE_VERSION, self._store_data, 0
        )
        self._stopped = False

    async def async_start(self) -> None:
        """Restore the last result, schedule the daily run, back-fill if needed.

        The restored result is the coordinator's first data: setup never waits
        for an analysis. Once Home Assistant has started, the back-fill and then,
        on a new installation, the first analysis run in the background.
        """
        stored = await self._store.async_load(restore_habits_store)
        if stored is not None:
            self._kept = LearnedHabits(
                patterns=tuple(stored.patterns),
                last_run=stored.last_run,
                last_duration=stored.last_duration,
                household=stored.household,
            )
            self.data = self._kept
        self.suggestions.async_use_patterns(self.patterns, self.data.household)
        run_at = self.schedule.run_at
        self.entry.async_on_unload(
            async_track_time_change(
                self.hass,
                self._on_schedule,
                hour=run_at.hour,
                minute=run_at.minute,
                second=run_at.second,
            )
        )
        self.entry.async_on_unload(async_at_started(self.hass, self._on_started))

    async def async_stop(self) -> None:
        """Keep a back-fill still running from starting an analysis.

        The coordinator shuts itself down with the entry: no refresh is
        requested after that.
        """
        self._stopped = True

    def _store_data(self) -> dict[str, Any]:
        return {
            "patterns": patterns_to_store(list(self._kept.patterns)),
            "last_run": self._kept.last_run.isoformat()
            if self._kept.last_run
            else None,
            "last_duration": self._kept.last_duration,
            "household": routines_to_dict(self._kept.household),
        }

    @property
    def patterns(self) -> list[Pattern]:
        """Return the patterns of the last good analysis."""
        return list(self.data.patterns)

    @property
    def last_run(self) -> datetime | None:
        """Return when the last good analysis finished (None: never)."""
        return self.data.last_run

    @property
    def last_duration(self) -> float | None:
        """Return how long the last good analysis took, in seconds."""
        return self.data.last_duration

    @callback
    def _on_started(self, hass: HomeAssistant) -> None:
        self.entry.async_create_background_task(
            self.hass, self._async_prepare_history(), "ha_ai habit back-fill"
        )

    async def _async_prepare_history(self) -> None:
        """Back-fill an empty log, then start the first analysis if none ran yet.

        Without the recorder there is no history to learn from before the daily
        run; with it, a new user sees the first patterns minutes after setup.
        """
        if "recorder" not in self.hass.config.components:
            return
        if await self.log.async_is_empty():
            try:
                await async_backfill(self.hass, self.log, self.schedule.history_days)
            except Exception:  # noqa: BLE001 - the live log works without a back-fill
                LOGGER.exception("Could not back-fill the habit log from the recorder")
        if self._first_analysis_due() and not await self.log.async_is_empty():
            self.entry.async_create_background_task(
                self.hass, self._async_first_run(), "ha_ai first analysis"
            )

    def _first_analysis_due(self) -> bool:
        """Tell whether an analysis should run now because none ever did."""
        return not self._stopped and not self.running and self.last_run is None

    async def _async_first_run(self) -> None:
        if self._first_analysis_due():
            LOGGER.info("Starting the first habit analysis on the recorder's history")
            await self._async_prune_and_request()

    @callback
    def _on_schedule(self, now: datetime) -> None:
        if self.running:
            return
        self.entry.async_create_background_task(
            self.hass, self._async_prune_and_request(), "ha_ai daily analysis"
        )

    async def _async_prune_and_request(self) -> None:
        await self.log.async_prune()
        await self.async_request_refresh()

    # Running

    def check_can_run(self) -> None:
        """Raise when a run asked for now cannot start."""
        if self.running:
            raise AnalysisRunningError
        if (
            self._finished_at is not None
            and monotonic_time.monotonic() - self._finished_at
            < RUN_COOLDOWN.total_seconds()
        ):
            raise AnalysisCooldownError

    async def async_run(self) -> bool:
        """Run one analysis now and wait for it; return whether it succeeded."""
        await self.async_refresh()
        return self.last_update_success

    async def _async_update_data(self) -> LearnedHabits:
        """Mine the log and publish what was found; `UpdateFailed` keeps the last.

        Any failure of the run, also while its results are handed on, is
        published as `analysis/failed`. The entities hear that a run started (the
        running state), and hear again when it failed, also after a second
        failure in a row, which the coordinator itself does not announce.
        """
        self.running = True
        self.async_update_listeners()
        started = monotonic_time.monotonic()
        try:
            result = await self._async_analyze()
            duration = round(monotonic_time.monotonic() - started, 3)
            learned = await self._async_publish_results(result, duration)
        except Exception as err:
            self._finish()
            self.last_error = f"{type(err).__name__}: {err}"
            self.bus.async_publish_event(
                ["analysis", "failed"], {"error": self.last_error}
            )
            self.async_update_listeners()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="analysis_failed",
                translation_placeholders={"error": self.last_error},
            ) from err
        self._finish()
        return learned

    def _finish(self) -> None:
        self.running = False
        self._finished_at = monotonic_time.monotonic()

    async def _async_analyze(self) -> _RunResult:
        table = await self.log.async_read(days=self.schedule.history_days)
        coverage = automation_coverage(self.hass)
        device_of = devices_of(self.hass, table.entity_ids)
        roles = household_roles(self.hass, table.entity_ids)
        tz = dt_util.get_default_time_zone()
        end = dt_util.utcnow()
        previous = self.patterns

        def same_device(first: str, second: str) -> bool:
            device = device_of.get(first)
            return device is not None and device == device_of.get(second)

        mined: list[Pattern] = await self.hass.async_add_executor_job(
            lambda: mine_habits(
                table,
                timezone=tz,
                end=end,
                settings=self.settings,
                coverage=coverage,
                same_device=same_device,
            )
        )
        # The household's morning, bedtime and absence, from the same history.
        household = await self.hass.async_add_executor_job(
            lambda: learn_household(table, timezone=tz, end=end, roles=roles)
        )
        comparison = compare_patterns(mined, previous)
        entities = int(np.unique(table.entity).size)
        return _RunResult(
            patterns=comparison.patterns,
            new=comparison.new,
            promoted=promoted_patterns(comparison.reconfirmed, previous),
            entities_analyzed=entities,
            household=household,
        )

    async def _async_publish_results(
        self, result: _RunResult, duration: float
    ) -> LearnedHabits:
        learned = LearnedHabits(
            patterns=tuple(result.patterns),
            last_run=dt_util.utcnow(),
            last_duration=duration,
            household=result.household,
        )
        self.last_error = None
        suggestions, new_suggestions = await self.suggestions.async_refresh_patterns(
            result.patterns, result.household
        )
        for pattern, was_forming in [
            *((pattern, False) for pattern in result.new),
            *((pattern, True) for pattern in result.promoted),
        ]:
            self.bus.async_publish_event(
                ["events", "pattern", f"{pattern.pattern_type}_detected"],
                {**pattern_fields(pattern), "promoted": was_forming},
            )
        levels = count_levels(result.patterns)
        self.bus.async_publish_event(
            ["analysis", "complete"],
            {
                "patterns_detected": len(result.patterns),
                "patterns_established": levels[PatternLevel.ESTABLISHED],
                "patterns_forming": levels[PatternLevel.FORMING],
                "patterns_promoted": len(result.promoted),
                "suggestions_generated": suggestions,
                "new_suggestions": new_suggestions,
                "devices_analyzed": len(self.zigbee.zigbee_devices),
                "entities_analyzed": result.entities_analyzed,
                "duration_seconds": duration,
            },
        )
        LOGGER.info(
            "Habit analysis: %s patterns (%s forming, %s new, %s promoted) in %.1f s",
            len(result.patterns),
            levels[PatternLevel.FORMING],
            len(result.new),
            len(result.promoted),
            duration,
        )
        self._kept = learned
        await self._store.async_save()
        return learned

    # For entities and diagnostics

    def top(self) -> list[dict[str, Any]]:
        """Return the best patterns, for an entity's attributes.

        Established ones come first (they are what suggestions are made of), each
        group by confidence.
        """
        best = sorted(
            self.data.patterns,
            key=lambda p: (p.level != PatternLevel.ESTABLISHED, -p.confidence),
        )[:TOP_PATTERNS]
        return [pattern_fields(pattern) for pattern in best]

    def level_counts(self) -> dict[str, int]:
        """Return how many patterns are established and how many are forming."""
        return {
            str(level): count for level, count in count_levels(self.patterns).items()
        }

    def as_diagnostics(self) -> dict[str, Any]:
        """Return a summary for the diagnostics download."""
        patterns = self.data.patterns
        by_type: dict[str, int] = {}
        for pattern in patterns:
            by_type[pattern.pattern_type] = by_type.get(pattern.pattern_type, 0) + 1
        return {
            "patterns": len(patterns),
            "by_type": by_type,
            "by_level": self.level_counts(),
            "reverse_only": sum(
                isinstance(p, UsedTogetherPattern) and p.reverse_only for p in patterns
            ),
            "automated": sum(p.automated for p in patterns),
            "last_run": self.last_run,
            "last_duration": self.last_duration,
            "last_error": self.last_error,
            "running": self.running,
            "schedule": {
                "run_at": self.schedule.run_at.isoformat(),
                "history_days": self.schedule.history_days,
            },
            "settings": {
                "pair_max_delay_seconds": self.settings.pair_max_delay.total_seconds(),
            },
            "household": household_diagnostics(self.data.household),
        }


def household_diagnostics(household: HouseholdRoutines) -> dict[str, Any]:
    """Return what was learned of the household, without naming its entities.

    When people wake, sleep and leave is shared in a diagnostics download only
    as windows, levels and counts.
    """
    away = household.away
    return {
        "routines": [
            {
                "routine_id": routine.routine_id,
                "window": [routine.window_start, routine.window_end],
                "level": str(routine.level),
                "support_days": routine.support_days,
                "observed_days": routine.observed_days,
                "steps": len(routine.steps),
            }
            for routine in household.routines
        ],
        "away": None
        if away is None
        else {
            "source": str(away.source),
            "level": str(away.level),
            "occurrences": away.occurrences,
            "observed_days": away.observed_days,
        },
        "missing": dict(household.missing),
    }


@dataclass(frozen=True, slots=True)
class _RunResult:
    patterns: list[Pattern]
    new: list[Pattern]
    promoted: list[Pattern]
    entities_analyzed: int
    household: HouseholdRoutines


def devices_of(hass: HomeAssistant, entity_ids: list[str]) -> dict[str, str]:
    """Return the device of each entity that has one, from the entity registry."""
    registry = er.async_get(hass)
    devices = {}
    for entity_id in entity_ids:
        entry = registry.async_get(entity_id)
        if entry is not None and entry.device_id:
            devices[entity_id] = entry.device_id
    return devices
