"""Follows the household live in Home Assistant, and announces its routines.

The habit analysis learns the household's morning, bedtime and absence
(`LearnedHabits.household`); this part hears every state change of the domains
habits are made of, judged manual or automated as the habit log judges it, with
what each entity tells of the household (its role), and hands them to the pure
`HouseholdFollower`. What begins is published on the bus
(`events/pattern/morning_routine_detected`, `bedtime_detected`,
`away_from_home`, `back_home`) and fired by the household event entity; where the
household is in its day is the household-state sensor. A timer every minute lets
the clock confirm an absence and move the state on. What was announced is kept in
a store, so that a restart repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..bus.mqtt_bus import MqttBus
from ..const import DOMAIN
from ..engine.habits.model import Origin
from ..engine.household.live import (
    MEMORY_VERSION,
    HouseholdFollower,
    Moment,
    moment_fields,
)
from ..engine.household.model import EntityRole, HouseholdState
from ..engine.stored import Drops, Restored, check_version, mapping_or_unreadable
from ..engine.topics import HOUSEHOLD_EVENT_PATHS
from ..habits.coordinator import HabitAnalysis
from ..habits.log import HabitLog
from ..signals import ChangeSignal, entry_signal
from ..stored_part import PartStore
from .roles import entity_role

STORE_VERSION = 1
HOUSEHOLD_STORE_KEY = f"{DOMAIN}.household"
# The memory changes with every activity: written a minute after, and on stop.
SAVE_DELAY = 60.0
TICK = timedelta(minutes=1)
PRESENCE_DOMAINS = ("person", "device_tracker")


def restore_memory(data: object) -> Restored[Mapping[str, Any]]:
    """Return the stored memory; the follower leaves out what it cannot read."""
    memory = mapping_or_unreadable(data, "the household memory")
    check_version(memory, MEMORY_VERSION, "the household memory")
    return Restored(memory, Drops())


class HouseholdLive:
    """The household's routines followed live: moments on the bus, a state."""

    def __init__(  # noqa: PLR0913 - the parts it follows, each named
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        habits: HabitAnalysis,
        log: HabitLog,
        *,
        announce_forming: bool,
    ) -> None:
        """Prepare; nothing is followed before `async_start`, nor after `entry`."""
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.habits = habits
        self.log = log
        self.announce_forming = announce_forming
        self.follower = HouseholdFollower(
            habits.data.household,
            dt_util.get_default_time_zone(),
            announce_forming=announce_forming,
        )
        self.state: HouseholdState | None = None
        self.announced = 0
        self._changes = ChangeSignal(hass, entry.entry_id, "household")
        self._moments = entry_signal(entry.entry_id, "household_moment")
        self._store = PartStore(
            hass,
            entry,
            HOUSEHOLD_STORE_KEY,
            STORE_VERSION,
            self._store_data,
            SAVE_DELAY,
        )

    async def async_start(self) -> None:
        """Resume from the stored memory, then follow the routines and the house."""
        memory = await self._store.async_load(restore_memory)
        self.follower = HouseholdFollower(
            self.habits.data.household,
            dt_util.get_default_time_zone(),
            announce_forming=self.announce_forming,
            memory=memory,
        )
        follow = self.entry.async_on_unload
        follow(self.habits.async_add_listener(self._on_routines))
        follow(
            self.hass.bus.async_listen(
                EVENT_STATE_CHANGED,
                self._on_state_changed,
                event_filter=self._is_followed,
            )
        )
        follow(
            async_track_time_interval(
                self.hass, self._on_tick, TICK, name="ha_ai household"
            )
        )
        now = dt_util.utcnow()
        self._handle(self.follower.tick(now), now)
        # Who is home now: an absence that began while Home Assistant was down
        # is announced, one already announced is not.
        for state in self.hass.states.async_all(PRESENCE_DOMAINS):
            if self.log.is_logged(state.entity_id):
                moments = self.follower.observe(
                    now,
                    state.entity_id,
                    state.state,
                    Origin.SYSTEM,
                    EntityRole.PRESENCE,
                )
                self._handle(moments, now)

    def _store_data(self) -> dict[str, Any]:
        return self.follower.memory()

    # For the entities

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` when the household's state or routines change."""
        return self._changes.async_add_listener(listener)

    @callback
    def async_add_moment_listener(
        self, listener: Callable[[Moment], None]
    ) -> CALLBACK_TYPE:
        """Call `listener` with each moment announced."""
        return async_dispatcher_connect(self.hass, self._moments, listener)

    # Following

    @callback
    def _on_routines(self) -> None:
        self.follower.use_routines(self.habits.data.household)
        self._handle([], dt_util.utcnow(), changed=True)

    @callback
    def _is_followed(self, event_data: EventStateChangedData) -> bool:
        """Keep the listener to what the habit log logs (its exclusions too)."""
        return self.log.is_logged(event_data["entity_id"])

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        old_state = event.data["old_state"]
        new_state = event.data["new_state"]
        if new_state is None or (old_state and old_state.state == new_state.state):
            return
        entity_id = event.data["entity_id"]
        # Judged as the habit log judges it: one answer for every listener.
        origin = self.log.origins.origin_of(event)
        when = new_state.last_changed
        moments = self.follower.observe(
            when, entity_id, new_state.state, origin, entity_role(self.hass, entity_id)
        )
        self._store.async_save_later()
        self._handle(moments, when)

    @callback
    def _on_tick(self, now: datetime) -> None:
        moments = self.follower.tick(now)
        self._handle(moments, now)

    def _handle(
        self, moments: list[Moment], now: datetime, *, changed: bool = False
    ) -> None:
        """Announce each moment; tell the entities when anything changed."""
        for moment in moments:
            self.announced += 1
            self.bus.async_publish_event(
                HOUSEHOLD_EVENT_PATHS[str(moment.kind)], moment_fields(moment)
            )
            async_dispatcher_send(self.hass, self._moments, moment)
        if moments:
            self._store.async_save_later()
        state = self.follower.state(now)
        if changed or moments or state is not self.state:
            self.state = state
            self._changes.async_send()
