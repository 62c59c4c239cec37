"""HA AI's compact log of the state changes habits are made of.

Each change is logged with who made it (`change_origin`). Fed live from Home
Assistant's state changes, back-filled from the recorder on the first run, kept
for a configurable number of days in one CSV file per day (see
`engine.habits.log_files`). Writes are batched and go through executor jobs, so
the event loop never waits on the disk; a crash loses at most the last batch.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..automations.change_origin import ChangeOrigins
from ..const import DOMAIN, LOGGER
from ..engine.habits.log_files import (
    LogRow,
    append_rows,
    first_day,
    prune,
    read_table,
    size_on_disk,
)
from ..engine.habits.model import (
    LOGGED_DOMAINS,
    ChangeTable,
    Origin,
)
from ..engine.log_text import log_safe
from ..engine.stored import Drops

LOG_DIRECTORY = "ha_ai_habits"
FLUSH_INTERVAL = timedelta(seconds=30)
FLUSH_SIZE = 1000
# One day's file never grows beyond this: the log stays bounded on disk.
MAX_DAY_BYTES = 8 * 1024 * 1024
MAX_STATE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Exclusions:
    """What the user keeps out of habit mining."""

    entities: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()


@dataclass(slots=True)
class LogStatistics:
    """Counters for the diagnostics."""

    logged: int = 0
    dropped: int = 0
    write_errors: int = 0
    last_flush: datetime | None = None
    # What the last read left out (damaged lines, unreadable day files), by reason.
    damaged: dict[str, int] = field(default_factory=dict)


class HabitLog:
    """The integration's own record of manual, automated and system changes."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        *,
        retention_days: int,
        exclusions: Exclusions,
    ) -> None:
        """Prepare; nothing is read or listened to before `async_start`.

        What the log follows, and its writes in the background, end with `entry`.
        """
        self.hass = hass
        self.entry = entry
        self.directory = Path(hass.config.path(".storage", LOG_DIRECTORY))
        self.retention_days = retention_days
        self.exclusions = exclusions
        self.statistics = LogStatistics()
        self._buffer: list[LogRow] = []
        # Whether each entity is excluded; cleared when the registries change.
        self._excluded_cache: dict[str, bool] = {}
        self._last_damage = ""
        # Who made each change: followed from start, shared with the live events.
        self.origins = ChangeOrigins(hass)

    @staticmethod
    async def async_remove_files(hass: HomeAssistant) -> None:
        """Delete the log, when the entry is removed."""
        directory = Path(hass.config.path(".storage", LOG_DIRECTORY))
        await hass.async_add_executor_job(
            lambda: shutil.rmtree(directory, ignore_errors=True)
        )

    async def async_start(self) -> None:
        """Follow state changes; flush the buffer regularly."""
        follow = self.entry.async_on_unload
        follow(self.origins.async_start())
        follow(
            self.hass.bus.async_listen(
                EVENT_STATE_CHANGED, self._on_state_changed, event_filter=_is_logged
            )
        )
        follow(
            async_track_time_interval(
                self.hass, self._on_interval, FLUSH_INTERVAL, name="ha_ai habit log"
            )
        )
        for event_type in (
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            dr.EVENT_DEVICE_REGISTRY_UPDATED,
        ):
            follow(self.hass.bus.async_listen(event_type, self._forget_exclusions))

    async def async_stop(self) -> None:
        """Write what is still buffered (the listeners end with the entry first)."""
        await self.async_flush()

    # Writing

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        old_state = event.data["old_state"]
        if new_state is None:
            return
        if old_state is not None and old_state.state == new_state.state:
            return  # only attributes changed
        entity_id = event.data["entity_id"]
        if self._excluded(entity_id):
            return
        origin = self.origins.origin_of(event)
        self.add(
            int(new_state.last_changed_timestamp),
            origin,
            entity_id,
            new_state.state,
        )

    @callback
    def add(self, epoch: int, origin: Origin, entity_id: str, state: str) -> None:
        """Buffer one change; a full buffer is written at once."""
        self._buffer.append((epoch, int(origin), entity_id, state[:MAX_STATE_LENGTH]))
        if len(self._buffer) >= FLUSH_SIZE:
            self.entry.async_create_background_task(
                self.hass, self.async_flush(), "ha_ai habit log flush"
            )

    @callback
    def _on_interval(self, now: datetime) -> None:
        if self._buffer:
            self.entry.async_create_background_task(
                self.hass, self.async_flush(), "ha_ai habit log flush"
            )

    async def async_flush(self) -> None:
        """Write the buffered changes in an executor job."""
        rows, self._buffer = self._buffer, []
        if not rows:
            return
        try:
            result = await self.hass.async_add_executor_job(
                lambda: append_rows(self.directory, rows, max_day_bytes=MAX_DAY_BYTES)
            )
        except OSError as err:
            self.statistics.write_errors += 1
            LOGGER.warning("Could not write the habit log: %s", err)
            return
        self.statistics.logged += result.written
        self.statistics.last_flush = dt_util.utcnow()
        if result.dropped:
            self.statistics.dropped += result.dropped
            LOGGER.info(
                "Habit log: a day reached its limit of %s bytes; %s changes left out",
                MAX_DAY_BYTES,
                result.dropped,
            )

    async def async_add_rows(self, rows: list[LogRow]) -> None:
        """Write rows found elsewhere (the recorder's back-fill) directly."""
        self._buffer.extend(rows)
        await self.async_flush()

    # Exclusions

    @callback
    def _forget_exclusions(self, event: Event[Any]) -> None:
        self._excluded_cache.clear()

    def _excluded(self, entity_id: str) -> bool:
        cache = self._excluded_cache
        if entity_id not in cache:
            cache[entity_id] = self._compute_excluded(entity_id)
        return cache[entity_id]

    def _compute_excluded(self, entity_id: str) -> bool:
        if entity_id in self.exclusions.entities:
            return True
        entry = er.async_get(self.hass).async_get(entity_id)
        if entry is not None and entry.platform == DOMAIN:
            return True  # HA AI's own entities are not habits
        if entity_id.split(".", 1)[0] in self.exclusions.domains:
            return True
        if not self.exclusions.areas:
            return False
        return area_of(self.hass, entity_id) in self.exclusions.areas

    def is_logged(self, entity_id: str) -> bool:
        """Tell whether changes of `entity_id` belong in the log."""
        return entity_id.split(".", 1)[0] in LOGGED_DOMAINS and not self._excluded(
            entity_id
        )

    # Reading and upkeep

    async def async_read(self, *, days: int | None = None) -> ChangeTable:
        """Return the logged changes of the last `days` (default: the retention)."""
        await self.async_flush()
        since = dt_util.utcnow().date() - timedelta(days=days or self.retention_days)
        drops = Drops()
        table: ChangeTable = await self.hass.async_add_executor_job(
            lambda: read_table(self.directory, since=since, drops=drops)
        )
        self._note_damage(drops)
        return _without_excluded(table, self._excluded)

    def _note_damage(self, drops: Drops) -> None:
        """Log what a read had to leave out, once for each new finding."""
        self.statistics.damaged = dict(drops.dropped)
        summary = drops.summary()
        if summary and summary != self._last_damage:
            LOGGER.warning(
                "Habit log %s: %s damaged lines or files left out (%s)",
                self.directory,
                drops.dropped_count,
                log_safe(summary, 1000),
            )
        self._last_damage = summary

    async def async_prune(self) -> None:
        """Delete the days that passed the retention."""
        today = dt_util.utcnow().date()
        removed = await self.hass.async_add_executor_job(
            lambda: prune(self.directory, keep_days=self.retention_days, today=today)
        )
        if removed:
            LOGGER.debug("Habit log: %s old day files removed", len(removed))

    async def async_is_empty(self) -> bool:
        """Tell whether nothing has been logged yet (then back-fill)."""
        return await self.async_first_day() is None

    async def async_first_day(self) -> date | None:
        """Return the first day the log holds, or None when it holds none."""
        return await self.hass.async_add_executor_job(first_day, self.directory)

    async def async_diagnostics(self) -> dict[str, Any]:
        """Return the log's size and counters."""
        size = await self.hass.async_add_executor_job(size_on_disk, self.directory)
        return {
            "retention_days": self.retention_days,
            "bytes_on_disk": size,
            "buffered": len(self._buffer),
            "logged": self.statistics.logged,
            "dropped": self.statistics.dropped,
            "write_errors": self.statistics.write_errors,
            "damaged_at_last_read": sum(self.statistics.damaged.values()),
            "damaged": dict(self.statistics.damaged),
            "last_flush": self.statistics.last_flush,
        }


@callback
def _is_logged(event_data: Mapping[str, Any]) -> bool:
    """Keep the bus listener to the domains habits are made of."""
    entity_id: str = event_data["entity_id"]
    return entity_id.split(".", 1)[0] in LOGGED_DOMAINS


def area_of(hass: HomeAssistant, entity_id: str) -> str | None:
    """Return the area of an entity, or of its device."""
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None:
        return None
    if entry.area_id:
        return entry.area_id
    if entry.device_id and (device := dr.async_get(hass).async_get(entry.device_id)):
        return device.area_id
    return None


def _without_excluded(
    table: ChangeTable, excluded: Callable[[str], bool]
) -> ChangeTable:
    """Drop the changes of entities excluded since they were logged."""
    dropped = [
        index for index, entity in enumerate(table.entity_ids) if excluded(entity)
    ]
    if not dropped:
        return table
    return table.subset(~np.isin(table.entity, dropped))
