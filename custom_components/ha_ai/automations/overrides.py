"""Overrides, live: a person undoing what a run of HA AI's automations just did.

The engine's `OverrideWatch` holds the rules; this follower feeds it from the bus:

- Runs: `AutomationRuns` tells it each run of a followed automation as it starts
  (its context id, the run id, and the automation), before the run's actions.
- Commands: a `call_service` event under a run's context says what the run sets:
  the entities the call targets (`entities_of_call`) and the state it asks of
  each (`targets_of_call`). An entity asked for exactly one state other than
  the one it is in is awaited (`OverrideWatch.expect`) from that moment. A
  device that reports later (Zigbee, MQTT) writes its new state with a fresh
  context; the shared `ChangeOrigins` credits that echo to the command
  (AUTOMATED), and a change to the expected state leaves the expectation as it
  is, so expecting at command time serves quick and slow devices alike. An
  entity already in the asked state was not changed by the run, and a call that
  asks for several states (a cover `opening` or `open`) or none known cannot be
  undone in a way one can tell, so neither is awaited. Only the domains whose
  commands `ChangeOrigins` follows are awaited: elsewhere a late echo would
  look like a person.
- Changes: one `state_changed` listener, behind a filter that lets through only
  the entities awaited (or remembered, below), so the rest of the house costs a
  dict lookup per event. For those, `ChangeOrigins.origin_of` says whether a
  person made the change, and `OverrideWatch.observe` whether it undid the run:
  then the run is counted overridden (`AutomationRuns.async_record_override`).
- Afterwards: for a while (`ACTED_HORIZON`), the entity, the run and the state
  the run had set are remembered; when a person later sets that entity to that
  state, that is when they wanted what the run did (`async_record_acted`),
  which a revised automation can be timed by.

What is remembered is bounded: the runs (`MAX_RUNS`), the expectations (the
watch's own cap), the overridden runs (`MAX_ACTED`). A timer prunes the expired
ones each minute; states are never polled. Nothing is stored: after a restart,
runs that were awaited are no longer (their counts are in the health table).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_CALL_SERVICE, EVENT_STATE_CHANGED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..engine.automations.overrides import OverrideWatch
from ..engine.habits.model import LOGGED_DOMAINS, Origin
from ..engine.habits.origin import targets_of_call
from .change_origin import ChangeOrigins, RegistryLookup, entities_of_call
from .runs import AutomationRuns

# Runs remembered by context id, the most recently seen kept: far more than run
# at once, and an automation that waits for hours still acts under its context.
MAX_RUNS: Final = 1_000
# How long after an override a person doing what the run did is still noted.
ACTED_HORIZON: Final = timedelta(hours=4)
MAX_ACTED: Final = 1_000
PRUNE_INTERVAL: Final = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class _Overridden:
    """A run a person undid on one entity, awaiting them doing it themselves."""

    automation_id: str
    run_id: str
    state: str  # what the run had set
    at: datetime  # the override, UTC


class OverrideFollower:
    """Counts a person undoing what one of HA AI's automations just did."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        runs: AutomationRuns,
        origins: ChangeOrigins,
        window: timedelta,
    ) -> None:
        """Prepare; nothing is followed before `async_start`."""
        self.hass = hass
        self.entry = entry
        self.runs = runs
        self.origins = origins
        self.watch = OverrideWatch(window)
        self.overrides_seen = 0
        self.acted_seen = 0
        self._lookup = RegistryLookup(hass)
        # run id (context id) -> automation id; insertion order is last seen.
        self._runs_of: OrderedDict[str, str] = OrderedDict()
        # entity id -> the run overridden on it; insertion order is the override's.
        self._overridden: dict[str, _Overridden] = {}

    @callback
    def async_start(self) -> None:
        """Follow runs, their commands and the house's changes, with the entry."""
        follow = self.entry.async_on_unload
        follow(self.runs.async_add_run_listener(self._run_started))
        follow(self.hass.bus.async_listen(EVENT_CALL_SERVICE, self._on_call_service))
        follow(
            self.hass.bus.async_listen(
                EVENT_STATE_CHANGED,
                self._on_state_changed,
                event_filter=self._is_followed,
            )
        )
        follow(
            async_track_time_interval(
                self.hass, self._prune, PRUNE_INTERVAL, name="ha_ai overrides prune"
            )
        )

    # Runs and their commands

    @callback
    def _run_started(self, automation_id: str, run_id: str) -> None:
        runs = self._runs_of
        runs.pop(run_id, None)
        runs[run_id] = automation_id
        while len(runs) > MAX_RUNS:
            runs.popitem(last=False)

    @callback
    def _on_call_service(self, event: Event[Any]) -> None:
        """Await the entities a followed run's call sets to another state."""
        run_id = event.context.id
        automation_id = self._runs_of.get(run_id)
        if automation_id is None:
            return
        self._runs_of.move_to_end(run_id)
        data = event.data
        domain, service = data.get("domain"), data.get("service")
        service_data = data.get("service_data")
        if not isinstance(domain, str) or not isinstance(service, str):
            LOGGER.debug("A call of run %s names no service: %s", run_id, data)
            return
        if not isinstance(service_data, Mapping):
            service_data = {}
        entities = [
            entity_id
            for entity_id in entities_of_call(self._lookup, service_data)
            if entity_id.split(".", 1)[0] in LOGGED_DOMAINS
        ]
        targets = targets_of_call(
            domain, service, service_data, entities, self._current_state
        )
        for entity_id, states in targets.items():
            if states is None or len(states) != 1:
                continue
            (state,) = states
            current = self._current_state(entity_id)
            if current is None or current == state:
                continue
            self.watch.expect(
                automation_id=automation_id,
                run_id=run_id,
                at=event.time_fired,
                entity_id=entity_id,
                state=state,
            )

    def _current_state(self, entity_id: str) -> str | None:
        state = self.hass.states.get(entity_id)
        return None if state is None else state.state

    # The house's changes

    @callback
    def _is_followed(self, event_data: EventStateChangedData) -> bool:
        """Let through only the changes of entities awaited or remembered."""
        entity_id = event_data["entity_id"]
        return (
            self.watch.pending_for(entity_id) is not None
            or entity_id in self._overridden
        )

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        old_state = event.data["old_state"]
        if new_state is None or (
            old_state is not None and old_state.state == new_state.state
        ):
            return  # removed, or only attributes changed: nothing to undo
        entity_id = event.data["entity_id"]
        manual = self.origins.origin_of(event) is Origin.MANUAL
        at = event.time_fired
        if manual and (overridden := self._overridden.get(entity_id)) is not None:
            self._acted(entity_id, overridden, new_state.state, at)
        if self.watch.pending_for(entity_id) is None:
            return
        override = self.watch.observe(
            at=at, entity_id=entity_id, state=new_state.state, manual=manual
        )
        if override is None:
            return
        self.overrides_seen += 1
        LOGGER.debug(
            "%s set %s to %s; a person set it to %s %.0f s later (run %s)",
            override.automation_id,
            entity_id,
            override.set_state,
            override.reverted_to,
            override.after_seconds,
            override.run_id,
        )
        self.runs.async_record_override(override.automation_id, run_id=override.run_id)
        self._overridden.pop(entity_id, None)
        self._overridden[entity_id] = _Overridden(
            override.automation_id, override.run_id, override.set_state, at
        )
        while len(self._overridden) > MAX_ACTED:
            del self._overridden[next(iter(self._overridden))]

    def _acted(
        self, entity_id: str, overridden: _Overridden, state: str, at: datetime
    ) -> None:
        """Note a person setting the entity to what the overridden run had set."""
        if state != overridden.state:
            return
        del self._overridden[entity_id]
        if at - overridden.at > ACTED_HORIZON:
            return
        if self.runs.async_record_acted(
            overridden.automation_id, overridden.run_id, at
        ):
            self.acted_seen += 1

    @callback
    def _prune(self, now: datetime) -> None:
        """Drop the expectations past the window and the overrides past the horizon."""
        now = dt_util.as_utc(now)
        self.watch.prune(now)
        expired = [
            entity_id
            for entity_id, overridden in self._overridden.items()
            if now - overridden.at > ACTED_HORIZON
        ]
        for entity_id in expired:
            del self._overridden[entity_id]

    def as_diagnostics(self) -> dict[str, Any]:
        """Return what is awaited and what was seen since the entry loaded."""
        return {
            "window_minutes": self.watch.window.total_seconds() / 60,
            "runs_remembered": len(self._runs_of),
            "pending": self.watch.pending_count,
            "overridden_awaiting_action": len(self._overridden),
            "overrides_seen": self.overrides_seen,
            "acted_seen": self.acted_seen,
        }
