"""The record of accepted remote commands, kept across reloads and restarts.

A signed command stays valid for up to 24 hours, so the ids of accepted ones
must outlive a reload or a restart of Home Assistant, or a resend would be
carried out again. The record is loaded before the command topics are
subscribed, saved shortly after each accepted command and when HA AI stops.
It is loaded through `store_loading` (a file that cannot be read is set aside
with a repair issue, an entry of the wrong shape is dropped and counted). On any
such loss HA AI does not start with an empty record: it distrusts every command
issued before that moment, until they have all expired, and says so in the log.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..engine.automations.commands import distrust_earlier_commands
from ..engine.automations.replay import ReplayGuard, restore_guard
from ..engine.log_text import log_safe
from ..stored_part import PartStore

STORE_KEY: Final = f"{DOMAIN}.remote_commands"
STORE_VERSION: Final = 1
SAVE_DELAY_SECONDS: Final = 1
# The repair issues of a record that cannot be read say which commands are refused.
REPLAY_REPAIR: Final = "remote_commands"


class ReplayRecord:
    """Holds the replay guard of remote commands and its Store."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Prepare an empty guard; `async_load` reads the stored one.

        The record is written when `entry` unloads or Home Assistant stops.
        """
        self.hass = hass
        self.guard = ReplayGuard()
        self._store = PartStore(
            hass,
            entry,
            STORE_KEY,
            STORE_VERSION,
            self._data,
            SAVE_DELAY_SECONDS,
            repair=REPLAY_REPAIR,
        )
        self.damaged_at: datetime | None = None

    async def async_load(self) -> None:
        """Read the record; on any damage, distrust the commands it may have held.

        Never raises: a damaged record must not stop HA AI, and must not be
        mistaken for an empty one either.
        """
        now = dt_util.utcnow()
        loaded = await self._store.async_load(partial(restore_guard, now=now))
        if loaded is not None:
            self.guard = loaded.guard
        if self._store.lost_reason is not None:
            self._damaged(now, self._store.lost_reason)
        elif loaded is not None and loaded.unreadable:
            self._damaged(now, f"{loaded.unreadable} of its entries could not be read")

    def _damaged(self, now: datetime, why: str) -> None:
        self.damaged_at = now
        distrust = distrust_earlier_commands(self.guard, now)
        LOGGER.error(
            "The record of accepted remote deploy commands (%s) is damaged: %s. "
            "So that none can be replayed, commands issued up to %s are refused "
            "until %s",
            STORE_KEY,
            log_safe(why),
            distrust.issued_until.isoformat(),
            distrust.until.isoformat(),
        )
        self.async_schedule_save()

    @callback
    def async_schedule_save(self) -> None:
        """Save soon (several accepted commands in a row are saved once)."""
        self._store.async_save_later()

    def _data(self) -> dict[str, Any]:
        return self.guard.as_data(dt_util.utcnow())

    def as_diagnostics(self) -> dict[str, Any]:
        """Return how many ids are remembered and whether commands are distrusted."""
        distrust = self.guard.distrust_in_force
        damaged_at = self.damaged_at
        return {
            "remembered_event_ids": len(self.guard),
            "damaged_at": None if damaged_at is None else damaged_at.isoformat(),
            "refusing_commands_issued_until": (
                None if distrust is None else distrust.issued_until.isoformat()
            ),
            "refusing_them_until": (
                None if distrust is None else distrust.until.isoformat()
            ),
        }
