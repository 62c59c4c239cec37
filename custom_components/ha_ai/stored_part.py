"""The store of one part of HA AI, with a life bound to the config entry.

Six parts of HA AI keep what they learned in a `Store`. They all need the same
life: load once, save a little after each change, write what is still unsaved
when the entry unloads (a reload, an options save) or Home Assistant stops
(entries are not unloaded then), and never write a store that was not loaded.
The last rule is what keeps a failed setup harmless: when the MQTT subscription
fails after the parts are built, the entry's unload callbacks run, and a part
whose store was never loaded holds nothing but its empty start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .engine.stored import Restored
from .store_loading import HaAiStore, async_load_store


class PartStore:
    """Loads, saves and writes one part's `Store` for as long as its entry runs.

    `data` returns what the part keeps, ready for JSON; it is called when a save
    is due. Writes are left out before `async_load` finished (see `HaAiStore`).
    """

    def __init__(  # noqa: PLR0913 - what a store is, each named
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        key: str,
        version: int,
        data: Callable[[], dict[str, Any]],
        delay: float,
        *,
        repair: str = "store",
    ) -> None:
        """Prepare `.storage/<key>`; it is written when `entry` unloads or HA stops.

        `delay` is how long after a change the save waits, so that a burst of
        changes is written once. `repair` names the store's own repair issues
        (see `HaAiStore`).
        """
        self.hass = hass
        self._store = HaAiStore(hass, version, key, repair=repair)
        self._data = data
        self._delay = delay
        self._changed = False
        self._cancel_save: CALLBACK_TYPE | None = None
        entry.async_on_unload(self.async_write)
        entry.async_on_unload(
            hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_on_stop)
        )

    @property
    def lost_reason(self) -> str | None:
        """Return why the stored file could not be used, once loaded; else None."""
        return self._store.lost_reason

    async def async_load[T](
        self, restore: Callable[[object], Restored[T]], *, in_executor: bool = False
    ) -> T | None:
        """Return what the store holds, checked by `restore`; None for nothing.

        A part loads its store once, as it starts: nothing is written before
        (see `HaAiStore`). A file that was set aside, or had records dropped, is
        written at the next write even if nothing else changed, so that it is not
        reported again at every start.
        """
        value = await async_load_store(
            self.hass, self._store, restore, in_executor=in_executor
        )
        self._changed = self._store.stale_on_disk
        return value

    @callback
    def async_note_changed(self) -> None:
        """Remember a change to write with the next save or on stop, not sooner."""
        self._changed = True

    @callback
    def async_save_later(self) -> None:
        """Save within the store's delay; a flood of changes does not put it off.

        The timer is the part's own, not `Store.async_delay_save`: that one calls
        the data function in a worker thread on older Home Assistant releases,
        where the part's live state must not be read.
        """
        self._changed = True
        if self._cancel_save is None:
            self._cancel_save = async_call_later(
                self.hass, self._delay, self._async_save_due
            )

    async def _async_save_due(self, _now: datetime) -> None:
        self._cancel_save = None
        await self.async_write()

    async def async_save(self) -> None:
        """Write now: what just changed is worth more than one write."""
        self.async_note_changed()
        await self.async_write()

    async def async_write(self) -> None:
        """Write what changed since the last save, now; nothing if nothing did.

        What is written is taken here, on the event loop.
        """
        if self._cancel_save is not None:
            self._cancel_save()
            self._cancel_save = None
        if not self._changed:
            return
        self._changed = False
        await self._store.async_save(self._data())

    async def _async_on_stop(self, _event: Event) -> None:
        await self.async_write()


async def async_remove_store(hass: HomeAssistant, key: str) -> None:
    """Delete `.storage/<key>`, when the entry is removed."""
    await Store[dict[str, Any]](hass, 1, key).async_remove()
